"""The litigation pipeline (issue 8): referral criteria as versioned data, matters (one per referral of a case) moving
through `legal.lifecycle`, each step a `StageRecord`, asset findings, deadlines with reminders, a debtor's
acknowledgements (interruptions of the limitation period) and the limitation watch's alerts. Money is integer fen.
Written only by `legal.services`, which audit every change."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from arrears.legal import lifecycle
from arrears.portfolio.models import CaseType


class ReferralCriteria(models.Model):
    """When a case may be referred for litigation, and the lawyer's fee the viability check assumes, as versioned
    data: the version with the latest `effective_from` on or before the business date applies. A criterion left
    empty is not checked."""

    effective_from = models.DateField(_("effective from"), unique=True)
    min_dpd = models.PositiveIntegerField(_("at least days past due"), null=True, blank=True, default=90)
    min_balance = models.BigIntegerField(
        _("outstanding principal at least (fen)"), null=True, blank=True, default=1_000_000
    )
    require_no_plan = models.BooleanField(
        _("no open promise or repayment plan"), default=True,
        help_text=_("A case with an open promise to pay or an approved or active repayment plan is not referred."),
    )  # fmt: skip
    min_contact_attempts = models.PositiveIntegerField(
        _("contact exhausted: at least this many attempts"), null=True, blank=True, default=10,
        help_text=_("Contact counts as exhausted after this many recorded contacts on the case, or when the "
                    "case's treatment path has run out. Empty: not checked."),
    )  # fmt: skip
    lawyer_fee_share = models.DecimalField(
        _("lawyer's fee (share of the claim)"), max_digits=5, decimal_places=4, default=0
    )
    lawyer_fee_minimum = models.BigIntegerField(_("lawyer's fee at least (fen)"), default=0)

    class Meta:
        verbose_name = _("referral criteria")
        verbose_name_plural = _("referral criteria")
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"{self.effective_from}: dpd ≥ {self.min_dpd}, balance ≥ {self.min_balance}"


class Matter(models.Model):
    """One referral of a case for litigation, from referral to closure: the parties (for an assigned debt the
    assignee sues, 民法典 art. 546; for recourse the guarantor who paid, art. 700), who handles it (an in-house
    lawyer and/or an outside law firm, whose users then see it), the court and case numbers, and what the
    referral found (the criteria, the claim and the viability check, kept as they were). `claim_amount` is the
    amount claimed: the referral's, then the latest complaint's (`complaint`: what it claimed as of its filing
    date, `legal.complaints.snapshot`)."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="matters")
    loan_ids = models.JSONField(_("loans"), default=list)
    case_type = models.CharField(
        _("case type"), max_length=20, choices=CaseType.choices, default=CaseType.OWN
    )
    plaintiff = models.CharField(_("plaintiff"), max_length=200)
    defendant = models.CharField(_("defendant"), max_length=200, blank=True)
    stage = models.CharField(
        _("stage"), max_length=20, choices=list(lifecycle.STAGE_LABELS.items()), default=lifecycle.REFERRED,
        db_index=True,
    )  # fmt: skip
    stage_since = models.DateField(_("in this stage since"))
    referred_on = models.DateField(_("referred on"))
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    referral_reason = models.TextField(_("why referred"), blank=True)
    override_reason = models.TextField(_("referred although criteria unmet, because"), blank=True)
    decided_on = models.DateField(_("referral decided on"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="legal_matters",
        verbose_name=_("responsible (in-house)"),
        help_text=_("Who answers for the matter in-house; deadlines are reminded to the lawyer and to them."),
    )  # fmt: skip
    lawyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="lawyer_matters",
        verbose_name=_("lawyer"),
    )  # fmt: skip
    firm = models.ForeignKey(
        "accounts.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="matters",
        verbose_name=_("law firm"),
    )  # fmt: skip
    court = models.CharField(_("court"), max_length=200, blank=True)
    case_number = models.CharField(_("court case number"), max_length=100, blank=True)
    enforcement_court = models.CharField(_("enforcement court"), max_length=200, blank=True)
    enforcement_case_number = models.CharField(_("enforcement case number"), max_length=100, blank=True)
    claim = models.JSONField(_("claim at referral"), default=dict, blank=True)  # fen per component, per loan
    claim_amount = models.BigIntegerField(_("amount claimed (fen)"), default=0)
    viability = models.JSONField(_("viability at referral"), default=dict, blank=True)
    complaint = models.JSONField(
        _("complaint drafted"), default=dict, blank=True,
        help_text=_("The latest complaint drafted for the matter: filing date, court, amounts (fen), warnings."),
    )  # fmt: skip
    criteria = models.JSONField(_("criteria at referral"), default=list, blank=True)
    amount_awarded = models.BigIntegerField(_("amount awarded (fen)"), null=True, blank=True)
    amount_recovered = models.BigIntegerField(_("amount recovered (fen)"), default=0)
    closure_reason = models.CharField(
        _("closed as"), max_length=20, choices=list(lifecycle.CLOSURE_REASONS.items()), blank=True
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("legal matter")
        verbose_name_plural = _("legal matters")
        ordering = ["-referred_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=~models.Q(stage__in=sorted(lifecycle.ENDED)),
                name="one_live_matter_per_case",
            )
        ]
        indexes = [models.Index(fields=["firm", "stage"]), models.Index(fields=["lawyer", "stage"])]

    def __str__(self) -> str:
        return f"matter {self.pk} (case {self.case_id}, {self.stage})"

    @property
    def is_live(self) -> bool:
        return self.stage not in lifecycle.ENDED


class StageRecord(models.Model):
    """One step of a matter (a stage it moved to) or an action within a stage (a hearing, a preservation, a
    freeze, an auction, a distribution): when, where, the numbers, what was awarded or recovered, who is
    responsible, and the documents (ids of evidence records: `audit.EvidenceRecord`)."""

    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="records")
    step = models.CharField(
        _("step"), max_length=24, db_index=True
    )  # a stage, or an action (lifecycle.ACTIONS)
    from_stage = models.CharField(_("from stage"), max_length=20, blank=True)
    happened_on = models.DateField(_("on"))
    court = models.CharField(_("court"), max_length=200, blank=True)
    case_number = models.CharField(_("case number"), max_length=100, blank=True)
    amount_awarded = models.BigIntegerField(_("amount awarded (fen)"), null=True, blank=True)
    amount_recovered = models.BigIntegerField(_("amount recovered (fen)"), null=True, blank=True)
    asset_kind = models.CharField(_("asset kind"), max_length=20, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)  # e.g. served_on, perform_by, ruling
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("responsible"),
    )  # fmt: skip
    note = models.TextField(_("note"), blank=True)
    documents = models.JSONField(_("documents (evidence records)"), default=list, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("stage record")
        verbose_name_plural = _("stage records")
        ordering = ["matter", "happened_on", "pk"]

    def __str__(self) -> str:
        return f"matter {self.matter_id}: {self.step} on {self.happened_on}"


class AssetFinding(models.Model):
    """An asset of the debtor found by the investigation: what, where it was found and when, its value, and why
    looking at it was proportionate (no more than the claim needs: PIPL arts. 5–6, minimum necessary; bank
    accounts are sensitive personal information, art. 28; domain-rules.md §7.1)."""

    class Kind(models.TextChoices):
        BANK_ACCOUNT = "bank_account", _("Bank account")
        REAL_ESTATE = "real_estate", _("Real estate")
        VEHICLE = "vehicle", _("Vehicle")
        EQUITY = "equity", _("Equity")
        RECEIVABLE = "receivable", _("Receivable")
        OTHER = "other", _("Other")

    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="assets")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=500)
    source = models.CharField(_("source"), max_length=200)
    found_on = models.DateField(_("found on"))
    value = models.BigIntegerField(_("estimated value (fen)"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    proportionality_note = models.TextField(_("proportionality"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("asset finding")
        verbose_name_plural = _("asset findings")
        ordering = ["matter", "found_on", "pk"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.description}"


class Deadline(models.Model):
    """A deadline a step started (appeal, enforcement application, preservation renewal), computed by
    `legal.calculators.deadline` from its basis date with the holiday calendar, reminded at T-30/T-7/T-1, and
    done, lapsed (an appeal not needed), missed or cancelled."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        LAPSED = "lapsed", _("Passed (no action needed)")
        MISSED = "missed", _("Missed")
        CANCELLED = "cancelled", _("Cancelled")

    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="deadlines")
    kind = models.CharField(_("kind"), max_length=24, choices=list(lifecycle.DEADLINE_LABELS.items()))
    rule = models.CharField(_("period"), max_length=40)  # the period's kind in the rulebook
    basis_on = models.DateField(_("counted from"))
    nominal_on = models.DateField(_("nominal last day"))
    due_on = models.DateField(_("last day"), db_index=True)
    provisional = models.BooleanField(_("provisional"), default=False)
    basis = models.TextField(_("legal basis"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN,
                              db_index=True)  # fmt: skip
    reminded = models.JSONField(_("reminded (days before)"), default=list, blank=True)
    record = models.ForeignKey(
        StageRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="deadlines"
    )
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} by {self.due_on} ({self.status})"


class Acknowledgement(models.Model):
    """The debtor acknowledged the debt (agreed to perform, asked for time, signed a confirmation): it interrupts
    the limitation period, which runs again from that day (民法典 art. 195(2); domain-rules.md §4)."""

    loan = models.ForeignKey("portfolio.Loan", on_delete=models.PROTECT, related_name="acknowledgements")
    acknowledged_on = models.DateField(_("acknowledged on"))
    how = models.CharField(_("how"), max_length=200, blank=True)
    evidence = models.ForeignKey(
        "audit.EvidenceRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("acknowledgement of debt")
        verbose_name_plural = _("acknowledgements of debt")
        ordering = ["loan", "acknowledged_on", "pk"]
        indexes = [models.Index(fields=["loan", "acknowledged_on"])]

    def __str__(self) -> str:
        return f"{self.loan_id} acknowledged {self.acknowledged_on}"


class LimitationAlert(models.Model):
    """A follow-up the limitation watch gave: once per loan (or guarantee), expiry date and threshold, so the
    watch can run every day; a new expiry (after an interruption) alerts afresh."""

    class Kind(models.TextChoices):
        LIMITATION = "limitation", _("Limitation period")
        GUARANTEE = "guarantee", _("Guarantee period")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    loan_id = models.CharField(_("loan"), max_length=64)
    guarantee_id = models.CharField(_("guarantee"), max_length=64, blank=True)
    expires_on = models.DateField(_("expires on"))
    threshold_days = models.PositiveIntegerField(_("days before"))
    alerted_on = models.DateField(_("alerted on"))
    task = models.ForeignKey("cases.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("limitation alert")
        verbose_name_plural = _("limitation alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "loan_id", "guarantee_id", "expires_on", "threshold_days"],
                name="one_limitation_alert",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.loan_id} {self.expires_on} T-{self.threshold_days}"


class LitigationBatch(models.Model):
    """Batch litigation (issue 8 §6): complaint packages for many matters generated as one zip, then filed and
    tracked together. `criteria` is the filter the matters were chosen by, `matter_ids` the matters (in order);
    `done`/`total` drive the progress bar while it runs; the zip is kept content-addressed in the evidence blob store
    (`zip_sha256`, `audit.services.store_blob`); `summary` holds the counts (packages, cases with required evidence
    missing, warnings), the timings and, once filed, the filing."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("created by"),
    )  # fmt: skip
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    criteria = models.JSONField(_("chosen by"), default=dict, blank=True)
    matter_ids = models.JSONField(_("matters"), default=list)
    filing_date = models.DateField(_("filing date"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED,
                              db_index=True)  # fmt: skip
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)
    zip_sha256 = models.CharField(_("zip SHA-256"), max_length=64, blank=True)
    zip_size = models.BigIntegerField(_("zip size (bytes)"), default=0)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)

    class Meta:
        verbose_name = _("litigation batch")
        verbose_name_plural = _("litigation batches")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"batch {self.pk}: {self.total} matters ({self.status})"

    # a running batch that shows no sign of life for this long was left by a process that died: it may be taken over
    STALE_AFTER = dt.timedelta(minutes=10)

    @property
    def stalled(self) -> bool:
        """Running, but its worker has not written progress for `STALE_AFTER` (wall-clock: liveness, not business)."""
        return self.status == self.Status.RUNNING and (
            self.heartbeat_at is None or self.heartbeat_at < timezone.now() - self.STALE_AFTER
        )

    @property
    def percent(self) -> int:
        """Progress in whole percent (100 once done)."""
        if self.status == self.Status.DONE:
            return 100
        return self.done * 100 // self.total if self.total else 0
