"""Negotiation (逾期协商, issue 7): promises to pay, and the policy that says how they are judged. The close judges
every open promise (`batch.steps.promises`, applied by `negotiation.services.evaluate_promises`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NegotiationPolicy(models.Model):
    """How promises are judged, as versioned data: the version with the latest `effective_from` on or before the
    business date applies."""

    effective_from = models.DateField(_("effective from"), unique=True)
    promise_grace_days = models.PositiveIntegerField(
        _("grace for promises (days)"), default=2,
        help_text=_("A promise is kept if the money arrives by its date plus this many days."),
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


class AuthorityLimit(models.Model):
    """The authority matrix, as versioned data: how much of a component's outstanding amount a role may give up
    (`max_share`, 0–1) and up to what amount (`max_amount` in fen, empty: no cap); `approvers` is how many
    people with that authority must approve (two for principal). No row: the role may not give that up."""

    effective_from = models.DateField(_("effective from"))
    role = models.CharField(_("role"), max_length=20)
    component = models.CharField(_("component"), max_length=10, choices=[(c, c) for c in COMPONENTS])
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


class WaiverRequest(models.Model):
    """A request to give up part of what a loan owes (penalty, interest, fees — principal only with the highest
    authority and two approvers), with a reason. Within the requester's own authority it is approved at once;
    above it, it waits in the approval queue, where the requester can never approve it. From a collector or,
    later, the borrower's portal (`source`)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending approval")
        POSTED = "posted", _("Approved and posted")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")
        REVERSED = "reversed", _("Reversed")

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="waivers")
    loan = models.ForeignKey("portfolio.Loan", on_delete=models.PROTECT, related_name="waivers")
    as_of = models.DateField(_("business date"))
    penalty = models.BigIntegerField(_("penalty interest (fen)"), default=0)
    interest = models.BigIntegerField(_("interest (fen)"), default=0)
    fee = models.BigIntegerField(_("fees (fen)"), default=0)
    principal = models.BigIntegerField(_("principal (fen)"), default=0)
    outstanding = models.JSONField(_("outstanding when requested"), default=dict)  # component → fen
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING,
                              db_index=True)  # fmt: skip
    source = models.CharField(_("source"), max_length=20, default="collector")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT,
                                     related_name="+")  # fmt: skip
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)

    class Meta:
        verbose_name = _("waiver request")
        verbose_name_plural = _("waiver requests")
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"waiver {self.pk} on {self.loan_id} ({self.status})"

    @property
    def total(self) -> int:
        return self.penalty + self.interest + self.fee + self.principal


class Approval(models.Model):
    request = models.ForeignKey(WaiverRequest, on_delete=models.CASCADE, related_name="approvals")
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
    request = models.ForeignKey(
        WaiverRequest, null=True, on_delete=models.PROTECT, related_name="adjustments"
    )
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
