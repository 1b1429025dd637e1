"""Reading the evidence log: verifying the chain, a case's evidence, delivered demands (for the limitation period)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet

from arrears.audit.chain import HASHED_FIELDS, ZERO_HASH, blob_problem, evidence_root, record_hash
from arrears.audit.models import EvidenceLoan, EvidenceRecord

EDITED = "edited"
BROKEN_LINK = "deleted or reordered (gap in seq / prev_hash mismatch)"
BAD_BLOB = "blob missing or altered"
DEMAND_DELIVERED = "demand.delivered"
SHANGHAI = ZoneInfo("Asia/Shanghai")

KIND_LABELS: dict[str, tuple[str, str]] = {
    "guard.decision": ("合规检查", "Compliance check"),
    "contact.call": ("电话", "Phone call"),
    "contact.sms": ("短信", "SMS"),
    "contact.email": ("电子邮件", "Email"),
    "contact.letter": ("信函", "Letter"),
    "contact.chat": ("在线消息", "Chat / in-app"),
    "contact.visit": ("外访", "Field visit"),
    "contact.receipt": ("送达回执", "Delivery receipt"),
    "document.signed": ("签署文件", "Signed document"),
    "demand.delivered": ("催收函送达", "Demand delivered"),
}


class Broken(TypedDict):
    seq: int
    id: int
    problem: str


class Verification(TypedDict):
    ok: bool
    records: int
    first_broken: Broken | None


def verify_chain(*, check_blobs: bool = True, chunk_size: int = 2000) -> Verification:
    """Walk the whole log in `seq` order (streamed: constant memory whatever its size) and report the first record
    that breaks the chain, checked in this order for each record:

    1. its `seq` follows the previous one (1 for the first) and its `prev_hash` is the previous record's `hash`
       (64 zeros for the first) — else "deleted or reordered …": a record before it was removed, or records were
       swapped (a moved record's `prev_hash` names a record that is not before it);
    2. its `hash` is the SHA-256 of its canonical form — else "edited";
    3. with `check_blobs`, each of its `files` is in the blob store with its size and SHA-256 — else "blob missing
       or altered".

    A record edited together with its stored hash shows as a broken link at the next record. Removing the newest
    records leaves a valid, shorter chain: compare `records` (and the head hash in an export's manifest) with a
    copy kept elsewhere to detect that.
    """
    root = evidence_root() if check_blobs else None
    fields = ("id", "hash", *HASHED_FIELDS)
    expected_seq, expected_prev = 1, ZERO_HASH
    count = 0
    rows = EvidenceRecord.objects.order_by("seq").values_list(*fields).iterator(chunk_size=chunk_size)
    for row in rows:
        values = dict(zip(fields, row, strict=True))
        count += 1
        problem = None
        if values["seq"] != expected_seq or values["prev_hash"] != expected_prev:
            problem = BROKEN_LINK
        elif record_hash(values) != values["hash"]:
            problem = EDITED
        elif root is not None and any(blob_problem(entry, root) for entry in values["files"] or ()):
            problem = BAD_BLOB
        if problem:
            return {
                "ok": False,
                "records": EvidenceRecord.objects.count(),
                "first_broken": {"seq": values["seq"], "id": values["id"], "problem": problem},
            }
        expected_seq, expected_prev = values["seq"] + 1, values["hash"]
    return {"ok": True, "records": count, "first_broken": None}


def case_evidence(case_id: int) -> QuerySet[EvidenceRecord]:
    """Every evidence record of a case, in chain order."""
    return EvidenceRecord.objects.filter(case_id=case_id).order_by("seq")


def subject_evidence(subject_type: str, subject_id: str | int) -> QuerySet[EvidenceRecord]:
    """The evidence about one row (e.g. an outbox message), in chain order."""
    return EvidenceRecord.objects.filter(subject_type=subject_type, subject_id=str(subject_id)).order_by(
        "seq"
    )


def delivered_on(record: EvidenceRecord) -> dt.date:
    """The day a demand was delivered: `payload["delivered_on"]` (ISO date, e.g. from the postal tracking) when
    given, else the record's time as a date in the configured time zone."""
    value = (record.payload or {}).get("delivered_on")
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            pass
    return record.at.astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def demand_deliveries(loan_ids: Iterable[str]) -> list[dict[str, Any]]:
    """Delivered demands (kind "demand.delivered") naming any of the loans, oldest first:
    `[{"on": date, "record": seq, "loan_ids": [...]}]`. A delivered demand interrupts the limitation period of the
    loans it names (Civil Code art. 195); the legal app reads them from here."""
    loans = [str(loan) for loan in loan_ids]
    if not loans:
        return []
    records = (
        EvidenceRecord.objects.filter(
            pk__in=EvidenceLoan.objects.filter(loan_id__in=loans, kind=DEMAND_DELIVERED).values("record_id")
        )
        .filter(kind=DEMAND_DELIVERED)
        .order_by("seq")
    )
    rows = [{"on": delivered_on(r), "record": r.seq, "loan_ids": list(r.loan_ids)} for r in records]
    return sorted(rows, key=lambda row: (row["on"], row["record"]))


def kind_label(kind: str) -> tuple[str, str]:
    return KIND_LABELS.get(kind, (kind, kind))


def evidence_summary(record: EvidenceRecord, limit: int = 160) -> str:
    """One line about a record for lists and the printable index: `payload["summary"]` when given, else its
    first short values (`key: value; …`)."""
    payload = record.payload or {}
    if isinstance(payload.get("summary"), str) and payload["summary"]:
        text = payload["summary"]
    else:
        parts = [
            f"{key}: {value}"
            for key, value in payload.items()
            if isinstance(value, str | int | bool) and value not in ("", None) and len(str(value)) <= 80
        ]
        text = "; ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def index_context(
    records: list[EvidenceRecord],
    manifest_records: list[dict[str, Any]],
    case: dict[str, Any],
    chain: Verification,
    head: Mapping[str, Any] | None,
    exported_at: dt.datetime,
    exported_by: str,
) -> dict[str, Any]:
    """What `audit/evidence_index.html` shows: one row per record, times in Asia/Shanghai."""
    rows = []
    for rec, entry in zip(records, manifest_records, strict=True):
        zh, en = kind_label(rec.kind)
        rows.append(
            {
                "seq": rec.seq,
                "at": rec.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
                "kind": rec.kind,
                "kind_zh": zh,
                "kind_en": en,
                "summary": evidence_summary(rec),
                "subject": f"{rec.subject_type} {rec.subject_id}".strip(),
                "actor": rec.actor_label,
                "hash": rec.hash,
                "hash_ok": record_hash(rec) == rec.hash,
                "prev_hash": rec.prev_hash,
                "content_sha256": rec.content_sha256 or "",
                "files": entry["exported_files"],
            }
        )
    return {
        "case": case,
        "rows": rows,
        "chain": chain,
        "head": head,
        "exported_at": exported_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
        "exported_by": exported_by,
        "files": sum(1 for row in rows for f in row["files"] if f["status"] == "ok"),
    }
