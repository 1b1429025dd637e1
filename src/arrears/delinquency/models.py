"""Delinquency: bucket sets, pauses, restructurings, classification overrides, and the batch's results.

Inputs people maintain (bucket sets, pauses, technical-overdue flags, restructurings, overrides) are separate
from what the daily batch writes (`LoanStatus`, the state of each loan as of the latest close, and
`StatusChange`, the history of buckets, classifications and overdue episodes, which is never deleted).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from arrears.portfolio.models import Loan
from arrears.rules.models import Classification


class BucketSet(models.Model):
    """Named ranges of delinquent days (domain-rules.md §10.1); assigned to products, one set is the default."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_default = models.BooleanField(_("default"), default=False)
    product_types = models.JSONField(
        _("products"), default=list, blank=True, help_text=_("Products that use this set.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("bucket set")
        verbose_name_plural = _("bucket sets")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_bucket_set"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Bucket(models.Model):
    bucket_set = models.ForeignKey(BucketSet, on_delete=models.CASCADE, related_name="buckets")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    min_days = models.PositiveIntegerField(_("from day"))
    max_days = models.PositiveIntegerField(
        _("to day"), null=True, blank=True, help_text=_("Empty: open-ended.")
    )

    class Meta:
        verbose_name = _("bucket")
        verbose_name_plural = _("buckets")
        ordering = ["bucket_set", "min_days"]
        constraints = [models.UniqueConstraint(fields=["bucket_set", "code"], name="bucket_unique_code")]

    def __str__(self) -> str:
        upper = self.max_days if self.max_days is not None else "∞"
        return f"{self.code} ({self.min_days}–{upper})"


class Pause(models.Model):
    """A period in which delinquency does not advance (hardship, disaster, dispute). `end` empty: still paused."""

    class Reason(models.TextChoices):
        HARDSHIP = "hardship", _("Hardship")
        DISASTER = "disaster", _("Disaster")
        DISPUTE = "dispute", _("Dispute")

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="pauses")
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    start = models.DateField(_("from"))
    end = models.DateField(_("to"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("pause")
        verbose_name_plural = _("pauses")
        ordering = ["loan_id", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")), name="pause_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.start}–{self.end or ''}"


class TechnicalOverdue(models.Model):
    """An overdue episode flagged as technical (channel outage, bank error): may stay normal up to the allowance."""

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="technical_overdues")
    episode_start = models.DateField(_("episode began"))
    reason = models.TextField(_("reason"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("technical overdue")
        verbose_name_plural = _("technical overdues")
        constraints = [
            models.UniqueConstraint(fields=["loan", "episode_start"], name="technical_overdue_once")
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.episode_start}"


class Restructuring(models.Model):
    """重组 (domain-rules.md §1.3): starts an observation period at the first repayment date after it."""

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="restructurings")
    restructured_on = models.DateField(_("restructured on"))
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("restructuring")
        verbose_name_plural = _("restructurings")
        ordering = ["loan_id", "restructured_on"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "restructured_on"], name="restructuring_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.restructured_on}"


class ClassificationOverride(models.Model):
    """A manual classification: stricter than the rule floor only, and in force once someone else approves it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        ENDED = "ended", _("Ended")

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="classification_overrides")
    classification = models.CharField(_("classification"), max_length=20, choices=Classification.choices)
    effective_from = models.DateField(_("effective from"))
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("classification override")
        verbose_name_plural = _("classification overrides")
        ordering = ["loan_id", "-effective_from"]

    def __str__(self) -> str:
        return f"{self.loan_id} → {self.classification} ({self.status})"


# The amounts of a loan status, in fen; every view of the status shows them as yuan.
STATUS_MONEY = (
    "overdue_principal", "overdue_interest", "overdue_fees", "penalty_interest", "outstanding_principal",
    "total_due", "credit",
)  # fmt: skip


class LoanStatus(models.Model):
    """The state of a loan at the end of `as_of`, written by the latest close (or recomputed inline)."""

    # No database-level foreign key: the close rewrites every row each night from loans it has just read, and
    # validating a million references on every load would cost seconds for nothing.
    loan = models.OneToOneField(
        Loan, on_delete=models.CASCADE, primary_key=True, related_name="status_row", db_constraint=False
    )
    as_of = models.DateField(_("as of"))
    dpd = models.PositiveIntegerField(_("days past due"))
    delinquent_days = models.PositiveIntegerField(_("delinquent days"))
    bucket = models.CharField(_("bucket"), max_length=20, blank=True, db_index=True)
    classification = models.CharField(
        _("classification"), max_length=20, choices=Classification.choices, db_index=True
    )
    rule_classification = models.CharField(
        _("classification by rule"), max_length=20, choices=Classification.choices
    )
    outstanding_principal = models.BigIntegerField(_("outstanding principal"))
    overdue_principal = models.BigIntegerField(_("overdue principal"))
    overdue_interest = models.BigIntegerField(_("overdue interest"))
    overdue_fees = models.BigIntegerField(_("overdue fees"))
    penalty_interest = models.BigIntegerField(_("penalty interest"))
    total_due = models.BigIntegerField(_("total due"))
    credit = models.BigIntegerField(_("unapplied credit"), default=0)
    overdue_by_bucket = models.JSONField(_("overdue by bucket"), default=dict, blank=True)
    times_overdue = models.PositiveIntegerField(_("times overdue"))
    max_dpd = models.PositiveIntegerField(_("max days past due"))
    paused = models.BooleanField(_("paused"), default=False)
    episode_start = models.DateField(_("overdue since"), null=True, blank=True)
    cure_date = models.DateField(_("last cured"), null=True, blank=True)
    observation_until = models.DateField(_("restructuring observation until"), null=True, blank=True)
    npl_until = models.DateField(
        _("non-performing until"),
        null=True,
        blank=True,
        help_text=_("Repaid after being non-performing: may leave the NPL classes from this day (§1.2)."),
    )
    risk_score = models.PositiveSmallIntegerField(_("risk score"), null=True, blank=True, db_index=True)
    risk_level = models.CharField(_("risk level"), max_length=10, blank=True, db_index=True)
    risk_reasons = models.JSONField(_("risk reasons"), default=list, blank=True)
    pd = models.FloatField(_("probability of default"), null=True, blank=True)

    class Meta:
        verbose_name = _("loan status")
        verbose_name_plural = _("loan statuses")

    def __str__(self) -> str:
        return f"{self.loan_id} @ {self.as_of}: dpd {self.dpd}"


class StatusChange(models.Model):
    """History: on `on` the loan's `field` went from `old` to `new` (empty: none). Later issues read these."""

    class Field(models.TextChoices):
        BUCKET = "bucket", _("Bucket")
        CLASSIFICATION = "classification", _("Classification")
        OVERDUE = "overdue", _("Overdue")

    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="status_changes", db_index=False)
    on = models.DateField(_("on"), db_index=True)
    field = models.CharField(_("what"), max_length=20, choices=Field.choices)
    old = models.CharField(_("from"), max_length=20, blank=True)
    new = models.CharField(_("to"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["loan_id", "on", "field"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "field", "on"], name="status_change_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.on} {self.field}: {self.old or '-'} → {self.new or '-'}"
