"""Negotiation (逾期协商, issue 7): promises to pay, and the policy that says how they are judged. The close judges
every open promise (`batch.steps.promises`, applied by `negotiation.services.evaluate_promises`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class NegotiationPolicy(models.Model):
    """How promises are judged, as versioned data: the version with the latest `effective_from` on or before the
    business date applies."""

    effective_from = models.DateField(_("effective from"), unique=True)
    promise_grace_days = models.PositiveIntegerField(
        _("grace for promises (days)"), default=2,
        help_text=_("A promise is kept if the money arrives by its date plus this many days."),
    )  # fmt: skip
    plan_grace_days = models.PositiveIntegerField(
        _("grace for plan installments (days)"), default=5,
        help_text=_("A plan installment unpaid for more than this many days breaks the plan."),
    )  # fmt: skip
    plan_max_installments = models.PositiveIntegerField(_("most installments in a plan"), default=36)
    plan_months_past_maturity = models.PositiveIntegerField(
        _("months a plan may run past maturity"), default=12,
        help_text=_("A plan's last installment may fall at most this many months after the loan's maturity "
                    "(or after signing, for a loan already past maturity)."),
    )  # fmt: skip

    class Meta:
        verbose_name = _("negotiation policy")
        verbose_name_plural = _("negotiation policies")
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"{self.effective_from}: +{self.promise_grace_days} d"


class Promise(models.Model):
    """A promise to pay (PTP): one or several dated amounts, from a call or the case view (or, later, the
    borrower's portal: `source`). Payments on the case's loans from the day it was made count towards it."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        KEPT = "kept", _("Kept")
        PARTIALLY_KEPT = "partially_kept", _("Partially kept")
        BROKEN = "broken", _("Broken")
        CANCELLED = "cancelled", _("Cancelled")

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="promises")
    made_on = models.DateField(_("made on"))
    amount = models.BigIntegerField(_("promised (fen)"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN,
                              db_index=True)  # fmt: skip
    paid = models.BigIntegerField(_("paid towards it (fen)"), default=0)
    judged_on = models.DateField(_("judged on"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=20, default="collector")  # collector, call, portal
    concession = models.ForeignKey(
        "Concession", null=True, blank=True, on_delete=models.PROTECT, related_name="promises",
        help_text=_("The settlement this promise pays."),
    )  # fmt: skip
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("promise to pay")
        verbose_name_plural = _("promises to pay")
        ordering = ["-made_on", "-pk"]

    def __str__(self) -> str:
        return f"promise {self.pk} on case {self.case_id} ({self.status})"


class PromiseInstallment(models.Model):
    promise = models.ForeignKey(Promise, on_delete=models.CASCADE, related_name="installments")
    due_on = models.DateField(_("due"))
    amount = models.BigIntegerField(_("amount (fen)"))

    class Meta:
        verbose_name = _("promised amount")
        verbose_name_plural = _("promised amounts")
        ordering = ["promise", "due_on"]

    def __str__(self) -> str:
        return f"{self.amount} on {self.due_on}"


COMPONENTS = ["penalty", "interest", "fee", "principal"]
# `plan`: the amount a role may approve as a repayment plan (its limit's `max_amount`; share 1)
AUTHORITY_COMPONENTS = [*COMPONENTS, "plan"]

REASONS = [
    ("hardship", _("Financial hardship")),
    ("illness", _("Illness or accident")),
    ("disaster", _("Natural disaster")),
    ("dispute", _("Resolving a dispute")),
    ("settlement", _("One-off settlement")),
    ("service_error", _("Our error")),
    ("other", _("Other")),
]


class AuthorityLimit(models.Model):
    """The authority matrix, as versioned data: how much of a component's outstanding amount a role may give up
    (`max_share`, 0–1) and up to what amount (`max_amount` in fen, empty: no cap); `approvers` is how many
    people with that authority must approve (two for principal). No row: the role may not give that up."""

    effective_from = models.DateField(_("effective from"))
    role = models.CharField(_("role"), max_length=20)
    component = models.CharField(
        _("component"), max_length=10, choices=[(c, c) for c in AUTHORITY_COMPONENTS]
    )
    max_share = models.DecimalField(_("at most this share"), max_digits=5, decimal_places=4)
    max_amount = models.BigIntegerField(_("at most (fen)"), null=True, blank=True)
    approvers = models.PositiveSmallIntegerField(_("approvers needed"), default=1)

    class Meta:
        verbose_name = _("authority limit")
        verbose_name_plural = _("authority limits")
        ordering = ["-effective_from", "role", "component"]
        constraints = [
            models.UniqueConstraint(
                fields=["effective_from", "role", "component"], name="one_limit_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.role} {self.component} ≤ {self.max_share:%} ({self.effective_from})"


class Concession(models.Model):
    """What the lender is asked to give up, in the one approval queue (four eyes: the requester can never approve
    it), by kind:
    - `waiver`: part of a loan's penalty interest, interest or fees (principal only with the highest authority
      and two approvers), posted as an `Adjustment` once approved;
    - `settlement`: a one-off discounted payoff — pay `settle_amount` by `settle_by` and the rest is given up;
      approved, it waits for the money (a promise the close judges); paid, the rest is posted and the case closed
      as settled; not paid, it is broken;
    - `plan`: a repayment plan (`RepaymentPlan`), approved up to an amount; signed, it becomes the loan's schedule.
    The component amounts are what is given up (for a settlement: the discount when asked). From a collector or,
    later, the borrower's portal (`source`): a borrower's proposal lands in the same queue."""

    class Kind(models.TextChoices):
        WAIVER = "waiver", _("Waiver")
        SETTLEMENT = "settlement", _("Settlement")
        PLAN = "plan", _("Repayment plan")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending approval")
        APPROVED = "approved", _("Approved")
        POSTED = "posted", _("Posted")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")
        REVERSED = "reversed", _("Reversed")
        BROKEN = "broken", pgettext_lazy("settlement", "Broken")

    kind = models.CharField(
        _("kind"), max_length=12, choices=Kind.choices, default=Kind.WAIVER, db_index=True
    )
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="concessions")
    loan = models.ForeignKey("portfolio.Loan", on_delete=models.PROTECT, related_name="concessions")
    as_of = models.DateField(_("business date"))
    penalty = models.BigIntegerField(_("penalty interest (fen)"), default=0)
    interest = models.BigIntegerField(_("interest (fen)"), default=0)
    fee = models.BigIntegerField(_("fees (fen)"), default=0)
    principal = models.BigIntegerField(_("principal (fen)"), default=0)
    outstanding = models.JSONField(_("outstanding when requested"), default=dict)  # component → fen
    settle_amount = models.BigIntegerField(_("settlement amount (fen)"), null=True, blank=True)
    settle_by = models.DateField(_("to be paid by"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=20, choices=REASONS, default="other")
    note = models.TextField(_("explanation"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING,
                              db_index=True)  # fmt: skip
    source = models.CharField(_("source"), max_length=20, default="collector")  # collector, portal
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT,
                                     related_name="+")  # fmt: skip
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    signed_copy = models.ForeignKey(
        "audit.EvidenceRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("The signed settlement agreement, in the evidence log."),
    )  # fmt: skip

    class Meta:
        verbose_name = _("concession")
        verbose_name_plural = _("concessions")
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} on {self.loan_id} ({self.status})"

    @property
    def total(self) -> int:
        """What is given up, in fen."""
        return self.penalty + self.interest + self.fee + self.principal

    @property
    def amounts(self) -> dict[str, int]:
        return {
            "penalty": self.penalty,
            "interest": self.interest,
            "fee": self.fee,
            "principal": self.principal,
        }


class Approval(models.Model):
    request = models.ForeignKey(Concession, on_delete=models.CASCADE, related_name="approvals")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved = models.BooleanField(_("approved"))
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["request", "approver"], name="one_decision_per_approver")
        ]

    def __str__(self) -> str:
        return f"{'approved' if self.approved else 'rejected'} by {self.approver_id}"


class Adjustment(models.Model):
    """What an approved waiver gives up, posted on the loan: the close reads adjustments with the payments (a
    non-cash payment split exactly into its components, `batch.io`), so penalty, dpd and classification follow.
    Never cash: recoveries, promises and exports read payments only. A reversal is an adjustment that `reverses`
    another, as with payments."""

    loan = models.ForeignKey("portfolio.Loan", on_delete=models.PROTECT, related_name="adjustments")
    posted_on = models.DateField(_("posted on"))
    penalty = models.BigIntegerField(default=0)
    interest = models.BigIntegerField(default=0)
    fee = models.BigIntegerField(default=0)
    principal = models.BigIntegerField(default=0)

    class Kind(models.TextChoices):
        WAIVER = "waiver", _("Waiver")
        SETTLEMENT = "settlement", _("Settlement")
        RESTRUCTURE = "restructure", _("Restructured into a plan")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.WAIVER)
    request = models.ForeignKey(Concession, null=True, on_delete=models.PROTECT, related_name="adjustments")
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )

    class Meta:
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")
        ordering = ["loan", "posted_on", "pk"]

    def __str__(self) -> str:
        return f"adjustment {self.pk} on {self.loan_id}"

    @property
    def amount(self) -> int:
        return self.penalty + self.interest + self.fee + self.principal


class RepaymentPlan(models.Model):
    """A repayment plan (分期还款协议, issue 7): the overdue amount (or the whole outstanding) restructured into
    installments (`plans.schedule`). Proposed → approved (its `Concession`, up to `amount`) → signed: the signed
    copy goes into the evidence log and the plan becomes the loan's schedule going forward — the restructure
    adjustment settles what was overdue, the plan's installments are added to the schedule after the original
    ones (kept; for the whole outstanding the original installments not yet due are set to zero, their amounts
    kept in `superseded`), and a `Restructuring` dated the signing day starts the observation period
    (domain-rules.md §1.3, art. 19: capitalising interest; art. 20). The close then watches it: an installment
    unpaid beyond the policy's grace breaks it (case back to contacting); all paid completes it."""

    class Scope(models.TextChoices):
        OVERDUE = "overdue", _("The overdue amount")
        WHOLE = "whole", _("The whole outstanding")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", _("Approved, to be signed")
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        BROKEN = "broken", pgettext_lazy("plan", "Broken")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    concession = models.OneToOneField(Concession, on_delete=models.PROTECT, related_name="plan")
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.OVERDUE)
    as_of = models.DateField(_("computed as of"))
    amount = models.BigIntegerField(_("amount restructured (fen)"))
    components = models.JSONField(_("made of"), default=dict)  # component → fen, and "future_principal"
    installments = models.PositiveSmallIntegerField(_("installments"))
    annual_rate = models.DecimalField(_("annual rate"), max_digits=8, decimal_places=6, default=0)
    down_payment = models.BigIntegerField(_("down payment (fen)"), default=0)
    first_due = models.DateField(_("first due"))
    schedule = models.JSONField(_("schedule"), default=list)  # [{no, due_date, principal, interest, total}]
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED,
                              db_index=True)  # fmt: skip
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    signed_copy = models.ForeignKey(
        "audit.EvidenceRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    first_installment_no = models.PositiveIntegerField(_("first schedule number"), null=True, blank=True)
    superseded = models.JSONField(_("original installments replaced"), default=list, blank=True)
    ended_on = models.DateField(_("completed or broken on"), null=True, blank=True)

    class Meta:
        verbose_name = _("repayment plan")
        verbose_name_plural = _("repayment plans")
        ordering = ["-as_of", "-pk"]

    def __str__(self) -> str:
        return f"plan {self.pk} ({self.status})"

    @property
    def total(self) -> int:
        return sum(row["total"] for row in self.schedule)
