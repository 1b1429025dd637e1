"""The audit trail: who did what, when, to which object, with before/after; later every case's timeline."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    at = models.DateTimeField(_("at"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(
        _("actor"), max_length=150, blank=True, help_text="user name or system job"
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=128, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"])]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return (
            f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}:{self.object_id}"
        )


class EvidenceRecord(models.Model):
    """One link of the tamper-evident evidence log (以便后续查证): a communication, a guard decision, a signed
    document or a delivered demand, kept so that it can be shown to a court later.

    Records are only ever appended (`audit.services.append_evidence`); `seq` runs 1, 2, 3, … without gaps, and each
    record carries the hash of the one before it (`prev_hash`; 64 zeros for the first), so any edited, deleted or
    reordered record breaks the chain from that point (`audit.selectors.verify_chain`, `arrears evidence verify`).
    `case_id` is a plain integer, not a foreign key, so that no cascade can ever remove a record.

    How `hash` is computed — an outside auditor can recompute it from the manifest of an export:

        hash = lowercase hex of SHA-256 over the UTF-8 bytes of the JSON text of this object:

        {"actor_label": str, "at": str, "borrower_id": str, "case_id": int | null, "content_sha256": str | null,
         "files": [{"name": str, "sha256": str, "size": int}, …], "kind": str, "loan_ids": [str, …],
         "payload": object, "prev_hash": str, "seq": int, "subject_id": str, "subject_type": str}

    - every field of the record except `hash` (and the database `id`), under exactly these names;
    - `at` in UTC as `YYYY-MM-DDTHH:MM:SS.ffffffZ`, always six digits of microseconds (e.g.
      `2026-03-01T01:30:00.000000Z`);
    - hashes (`prev_hash`, `content_sha256`, file `sha256`) as 64 lowercase hex digits; `files` and `loan_ids` in
      the order stored;
    - the JSON is compact and canonical: object keys sorted (by code point) at every level, separators `,` and `:`
      with no whitespace, non-ASCII characters written as themselves (not `\\u` escapes), strings escaped only
      where JSON requires it (`\\"`, `\\\\`, `\\b`, `\\f`, `\\n`, `\\r`, `\\t`, other control characters as
      `\\u00xx`); `payload` holds only strings, integers, booleans, null, lists and objects (floats and decimals
      are stored as strings) — i.e. Python's
      `json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")`.
    """

    seq = models.BigIntegerField(_("sequence"), unique=True)
    at = models.DateTimeField(_("at"), db_index=True)
    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    case_id = models.BigIntegerField(_("case"), null=True, blank=True, db_index=True)
    borrower_id = models.CharField(_("borrower"), max_length=64, blank=True, db_index=True)
    loan_ids = models.JSONField(_("loans"), default=list, blank=True)
    subject_type = models.CharField(_("subject type"), max_length=64, blank=True)
    subject_id = models.CharField(_("subject id"), max_length=128, blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    content_sha256 = models.CharField(_("content SHA-256"), max_length=64, null=True, blank=True)
    files = models.JSONField(_("files"), default=list, blank=True)
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["subject_type", "subject_id"])]
        verbose_name = _("evidence record")
        verbose_name_plural = _("evidence records")

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class EvidenceLoan(models.Model):
    """An index of the evidence log by loan (derived from `EvidenceRecord.loan_ids`, not part of any hash), so that
    `demand_deliveries(loan_ids)` reads a few rows instead of scanning the log."""

    record = models.ForeignKey(
        EvidenceRecord, on_delete=models.CASCADE, db_constraint=False, related_name="loan_links"
    )
    loan_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["loan_id", "kind"])]
        verbose_name = _("evidence by loan")
        verbose_name_plural = _("evidence by loan")

    def __str__(self) -> str:
        return f"{self.loan_id} → #{self.record_id}"
