"""The compliance guard's data: rule packs (versioned, approved with four eyes) and which portfolio uses which,
contact holds and consents, the ledger of contacts that happened (what the guard counts) and every decision."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from arrears.compliance import guard


class PackStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")


class HoldKind(models.TextChoices):
    CEASE_CONTACT = "cease_contact", _("Cease-contact request")
    DISPUTE = "dispute", _("Dispute under review")
    BANKRUPTCY = "bankruptcy", _("Bankruptcy")
    DECEASED = "deceased", _("Deceased")
    LEGAL_HOLD = "legal_hold", _("Legal hold")
    PAYMENT_PLAN = "payment_plan", _("Active payment plan (reminders only)")


class ConsentKind(models.TextChoices):
    TIME_WINDOW = "time_window", _("Contact outside the usual hours")
    FREQUENCY = "frequency", _("More contacts than the usual limits")


class Channel(models.TextChoices):
    CALL = "call", _("Call")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    LETTER = "letter", _("Letter")
    VISIT = "visit", _("Field visit")
    CHAT = "chat", _("Chat / in-app")


class Party(models.TextChoices):
    DEBTOR = "debtor", _("Debtor")
    GUARANTOR = "guarantor", _("Guarantor")
    THIRD_PARTY = "third_party", _("Third party")


class Scope(models.TextChoices):
    LENDER = "lender", _("Lender")
    LENDER_TYPE = "lender_type", _("Lender type")
    DEFAULT = "default", _("Every portfolio")


assert tuple(HoldKind.values) == guard.HOLD_KINDS
assert tuple(ConsentKind.values) == guard.CONSENT_KINDS
assert tuple(Channel.values) == guard.CHANNELS
assert tuple(Party.values) == guard.PARTIES


class RulePack(models.Model):
    """A version of a rule pack (`guard.Pack` as JSON). The guard uses the approved version of a code with the
    latest `effective_from` on or before the day (then the highest version). Approved versions never change."""

    code = models.CharField(_("code"), max_length=40)
    version = models.PositiveIntegerField(_("version"))
    effective_from = models.DateField(_("effective from"))
    definition = models.JSONField(_("definition"))
    status = models.CharField(
        _("status"), max_length=10, choices=PackStatus.choices, default=PackStatus.DRAFT
    )
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)

    class Meta:
        verbose_name = _("rule pack")
        verbose_name_plural = _("rule packs")
        ordering = ["code", "-effective_from", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="rule_pack_version")]

    def __str__(self) -> str:
        return f"{self.code} v{self.version} ({self.status})"


class PackAssignment(models.Model):
    """Which pack a portfolio uses from a date: by lender, else by lender type, else the default (`*`)."""

    scope = models.CharField(_("applies to"), max_length=20, choices=Scope.choices)
    value = models.CharField(_("lender or lender type"), max_length=200, default="*")
    pack_code = models.CharField(_("rule pack"), max_length=40)
    effective_from = models.DateField(_("effective from"))
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("rule pack assignment")
        verbose_name_plural = _("rule pack assignments")
        ordering = ["scope", "value", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "value", "effective_from"], name="one_pack_per_scope_date"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.value} → {self.pack_code} from {self.effective_from}"


class ContactHold(models.Model):
    """A hold on contacting a borrower (or, with a loan, about one debt) from `starts_on` to `ends_on` (the last
    day in force; none: until lifted). A soft hold (a payment plan) lets reminders through."""

    borrower = models.ForeignKey(
        "portfolio.Borrower", on_delete=models.PROTECT, related_name="contact_holds", db_index=False
    )
    loan = models.ForeignKey(
        "portfolio.Loan", null=True, blank=True, on_delete=models.PROTECT, related_name="contact_holds"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=HoldKind.choices)
    soft = models.BooleanField(_("reminders allowed"), default=False)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    reason = models.TextField(_("reason"))
    evidence_sha256 = models.CharField(_("evidence SHA-256"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("placed"), auto_now_add=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lift_reason = models.TextField(_("why lifted"), blank=True)

    class Meta:
        verbose_name = _("contact hold")
        verbose_name_plural = _("contact holds")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["borrower", "lifted_at"], name="hold_borrower_lifted")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.borrower_id}"

    def in_force(self, day: dt.date) -> bool:
        return (
            self.lifted_at is None and self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)
        )

    def as_guard_hold(self) -> guard.Hold:
        return guard.Hold(
            kind=self.kind,
            soft=self.soft,
            debt_id=self.loan_id,
            starts_on=self.starts_on,
            ends_on=self.ends_on,
        )


class Consent(models.Model):
    """The borrower's consent, with evidence (a recording's or document's SHA-256), to contact outside the hours
    or beyond the limits, on one channel (blank: any) while valid. A pack lifts only what its `consent_lifts`
    names, and no longer than its `consent_max_days` from `valid_from`."""

    borrower = models.ForeignKey(
        "portfolio.Borrower", on_delete=models.PROTECT, related_name="contact_consents", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ConsentKind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
    evidence_sha256 = models.CharField(_("evidence SHA-256"), max_length=64)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact consent")
        verbose_name_plural = _("contact consents")
        ordering = ["-valid_from", "-pk"]
        indexes = [models.Index(fields=["borrower", "valid_until"], name="consent_borrower_until")]

    def __str__(self) -> str:
        return f"{self.kind} by {self.borrower_id}"


class ContactLedger(models.Model):
    """Every contact that happened (after the guard allowed it), with its outcome: what the guard counts.
    `at` is stored in UTC; `utc_offset_minutes` is the contacted person's offset, so their local time and day
    are exact."""

    at = models.DateTimeField(_("at"))
    utc_offset_minutes = models.SmallIntegerField(_("UTC offset (minutes)"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    party = models.CharField(_("party"), max_length=12, choices=Party.choices)
    address = models.CharField(_("address"), max_length=500)
    debt_id = models.CharField(_("loan ID"), max_length=64)
    borrower = models.ForeignKey(
        "portfolio.Borrower", on_delete=models.PROTECT, related_name="contact_ledger", db_index=False
    )
    outcome = models.CharField(_("outcome"), max_length=40, blank=True)
    purpose = models.CharField(_("purpose"), max_length=40, blank=True)
    collectors = models.PositiveSmallIntegerField(_("collectors"), default=1)
    case_id = models.PositiveIntegerField(_("case"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contact ledger")
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["debt_id", "at"], name="ledger_debt_at"),
            models.Index(fields=["borrower", "party", "at"], name="ledger_borrower_party_at"),
            models.Index(fields=["address", "at"], name="ledger_address_at"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.party} {self.debt_id} @ {self.at:%Y-%m-%d %H:%M}"

    @property
    def local_at(self) -> dt.datetime:
        return self.at.astimezone(dt.timezone(dt.timedelta(minutes=self.utc_offset_minutes)))

    def as_attempt(self) -> guard.Attempt:
        return guard.Attempt(
            at=self.local_at,
            channel=self.channel,
            party=self.party,
            address=self.address,
            debt_id=self.debt_id,
            outcome=self.outcome or None,
            collectors=self.collectors,
            purpose=self.purpose,
            debtor=self.borrower_id,
        )


class GuardDecision(models.Model):
    """Every decision the guard took for real (dry runs are not kept): the attempt, the answer, the pack version.
    `reason` is English; `message`/`params` show it in the reader's language (`guard.render_reason`)."""

    decided_at = models.DateTimeField(_("decided"), db_index=True)
    at = models.DateTimeField(_("attempt at"))
    utc_offset_minutes = models.SmallIntegerField(_("UTC offset (minutes)"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    party = models.CharField(_("party"), max_length=12, choices=Party.choices)
    address = models.CharField(_("address"), max_length=500)
    debt_id = models.CharField(_("loan ID"), max_length=64)
    borrower_id = models.CharField(_("borrower ID"), max_length=64)
    outcome = models.CharField(_("outcome"), max_length=40, blank=True)
    collectors = models.PositiveSmallIntegerField(_("collectors"), default=1)
    product_type = models.CharField(_("product"), max_length=20, blank=True)
    has_opt_out = models.BooleanField(_("opt-out included"), default=False)
    discloses_debt = models.BooleanField(_("discloses the debt"), default=False)
    consent = models.JSONField(_("consent"), default=list)
    purpose = models.CharField(_("purpose"), max_length=40, blank=True)
    allowed = models.BooleanField(_("allowed"))
    rule = models.CharField(_("rule"), max_length=80, blank=True)
    reason = models.TextField(_("reason"))
    message = models.CharField(max_length=40, blank=True)
    params = models.JSONField(default=dict)
    pack_code = models.CharField(_("rule pack"), max_length=40)
    pack_version = models.PositiveIntegerField(_("pack version"), null=True)
    case_id = models.PositiveIntegerField(_("case"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("guard decision")
        verbose_name_plural = _("guard decisions")
        ordering = ["-decided_at", "-pk"]
        indexes = [
            models.Index(fields=["allowed", "decided_at"], name="decision_allowed_at"),
            models.Index(fields=["rule", "decided_at"], name="decision_rule_at"),
            models.Index(fields=["borrower_id", "decided_at"], name="decision_borrower_at"),
        ]

    def __str__(self) -> str:
        verdict = "allowed" if self.allowed else f"denied ({self.rule})"
        return f"{self.channel} {self.party} {self.debt_id}: {verdict}"

    @property
    def local_at(self) -> dt.datetime:
        return self.at.astimezone(dt.timezone(dt.timedelta(minutes=self.utc_offset_minutes)))

    @property
    def reason_text(self) -> str:
        """The reason in the active language."""
        return guard.render_reason(self.message, self.params) if self.message else self.reason
