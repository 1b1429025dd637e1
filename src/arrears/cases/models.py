"""Collection cases (issue 5): one per borrower, creditor and case type, opened, updated and closed by the daily
close; moved through the lifecycle (`cases.lifecycle`) by people. The timeline of a case is its audit events."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from arrears.cases import lifecycle
from arrears.portfolio.models import Borrower, CaseType
from arrears.rules.models import Classification


class CasePolicy(models.Model):
    """When the close opens a case, as versioned data: the version with the latest `effective_from` on or before
    the business date applies."""

    effective_from = models.DateField(_("effective from"), unique=True)
    open_at_dpd = models.PositiveIntegerField(
        _("open a case at days past due"),
        default=1,
        help_text=_("A borrower's loan this many days past due opens a case."),
    )

    class Meta:
        verbose_name = _("case policy")
        verbose_name_plural = _("case policies")
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"{self.effective_from}: dpd ≥ {self.open_at_dpd}"


class Case(models.Model):
    """A borrower's overdue loans with one creditor (lender) and of one case type, worked as one. The facts
    (`loan_ids` … `risk_score`) are the close's, refreshed every night while the case is open."""

    borrower = models.ForeignKey(Borrower, on_delete=models.PROTECT, related_name="cases")
    lender = models.CharField(_("lender"), max_length=200)
    case_type = models.CharField(
        _("case type"), max_length=20, choices=CaseType.choices, default=CaseType.OWN
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=list(lifecycle.STATE_LABELS.items()),
        default=lifecycle.NEW,
        db_index=True,
    )
    closed_reason = models.CharField(
        _("closed as"), max_length=20, choices=list(lifecycle.CLOSED_REASONS.items()), blank=True
    )
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    stage_since = models.DateField(_("in this stage since"))
    as_of = models.DateField(_("facts as of"))
    loan_ids = models.JSONField(_("loans"), default=list)
    total_overdue = models.BigIntegerField(_("total overdue (fen)"), default=0)
    max_dpd = models.PositiveIntegerField(_("max days past due"), default=0)
    bucket = models.CharField(_("bucket"), max_length=20, blank=True)
    classification = models.CharField(
        _("classification"), max_length=20, choices=Classification.choices, blank=True
    )
    risk_level = models.CharField(_("risk level"), max_length=10, blank=True, db_index=True)
    risk_score = models.PositiveSmallIntegerField(_("risk score"), null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("assigned to"),
    )
    next_action_on = models.DateField(_("next action"), null=True, blank=True)
    # the queue's first key, stored so that an index can give the queue's order: kept by the close
    # (`services.refresh_priorities`, last), by follow-ups (`services._next_action`) and by promises
    action_due = models.BooleanField(
        _("next action due"),
        default=False,
        db_default=False,  # the close inserts cases with SQL
        help_text=_("next_action_on on or before the business date; kept by the close and by follow-ups."),
    )
    outstanding = models.BigIntegerField(_("outstanding principal (fen)"), default=0)
    product_type = models.CharField(_("product"), max_length=20, blank=True)
    lender_type = models.CharField(_("lender type"), max_length=20, blank=True)
    priority = models.IntegerField(_("priority"), default=0, db_index=True)
    last_contact_on = models.DateField(_("last contact"), null=True, blank=True)
    # strategy (strategy.services.apply_strategy): the segment, the arm's path and where the case is on it
    segment = models.ForeignKey(
        "strategy.Segment", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases",
        verbose_name=_("segment"),
    )  # fmt: skip
    path = models.ForeignKey(
        "strategy.TreatmentPath", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases",
        verbose_name=_("treatment path"),
    )  # fmt: skip
    path_step = models.PositiveIntegerField(_("path step"), null=True, blank=True)
    next_step_on = models.DateField(_("next step due"), null=True, blank=True)
    placed_with = models.ForeignKey(
        "accounts.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="cases",
        verbose_name=_("placed with"),
    )  # fmt: skip

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-max_dpd", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["borrower", "lender", "case_type"],
                condition=~models.Q(status="closed"),
                name="one_open_case_per_borrower_lender_type",
            )
        ]
        indexes = [
            models.Index(fields=["assigned_to", "status", "priority"]),
            models.Index(fields=["placed_with", "status"]),
            # the queue's order (views.queue_cases) among open cases: everyone's, and one collector's
            models.Index(
                F("action_due").desc(), F("priority").desc(), F("total_overdue").desc(), F("id"),
                condition=~models.Q(status="closed"), name="case_queue_order",
            ),
            models.Index(
                F("assigned_to"), F("action_due").desc(), F("priority").desc(), F("total_overdue").desc(), F("id"),
                condition=~models.Q(status="closed"), name="case_queue_order_by_user",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"case {self.pk} ({self.borrower_id}, {self.status})"

    @property
    def is_open(self) -> bool:
        return self.status != lifecycle.CLOSED


class StageSla(models.Model):
    """How long a case may stay in a stage before it is overdue for attention (configurable per stage)."""

    stage = models.CharField(
        _("stage"), max_length=20, choices=list(lifecycle.STATE_LABELS.items()), unique=True
    )
    days = models.PositiveIntegerField(_("days"))

    class Meta:
        verbose_name = _("stage SLA")
        verbose_name_plural = _("stage SLAs")

    def __str__(self) -> str:
        return f"{self.stage}: {self.days} d"


class Note(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField(_("note"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("written"), auto_now_add=True)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"note on case {self.case_id}"


class Task(models.Model):
    """A follow-up: what to do on a case by when, and for whom. The earliest open task is the case's next
    action."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("task"), max_length=200)
    due_on = models.DateField(_("due"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="case_tasks"
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=20, blank=True)  # a strategy step's channel
    template = models.CharField(_("template"), max_length=64, blank=True)  # and its message template
    note = models.TextField(_("note"), blank=True)  # e.g. why the outbox could not send the step
    escalation = models.CharField(_("propose escalation to"), max_length=20, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # null: the close, following the case's treatment path
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["assigned_to", "done_at", "due_on"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.due_on})"


class Placement(models.Model):
    """A case placed with an outside agency or law firm, until recalled. While placed, the agency's users see the
    case (and only the cases placed with them) and in-house assignment leaves it alone."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="placements")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="placements")
    placed_on = models.DateField(_("placed on"))
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"), blank=True)
    recalled_on = models.DateField(_("recalled on"), null=True, blank=True)
    recalled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recall_reason = models.TextField(_("recall reason"), blank=True)

    class Meta:
        verbose_name = _("placement")
        verbose_name_plural = _("placements")
        ordering = ["-placed_on", "-pk"]

    def __str__(self) -> str:
        return f"case {self.case_id} with {self.agency_id} from {self.placed_on}"


class Queue(models.Model):
    """A named view of open cases for a team (or everyone): conditions over the same facts as segments, plus
    `segment` names. Team leads and managers see their queues with counts and workload."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="queues",
        verbose_name=_("team"),
    )  # fmt: skip
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    segments = models.ManyToManyField(
        "strategy.Segment", blank=True, related_name="queues", verbose_name=_("segments")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
