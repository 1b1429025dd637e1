"""Reads of the cases app, always starting from what the user may see (`visible_cases`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet
from pydantic import ValidationError

from arrears.accounts.models import Role, User
from arrears.accounts.roles import MANAGE_CASES, VIEW_ALL_PORTFOLIOS, can
from arrears.audit.models import AuditEvent
from arrears.batch.steps import strategy as strategy_step
from arrears.cases import lifecycle
from arrears.cases.models import Case, Queue, StageSla, Task
from arrears.core.errors import NotFound
from arrears.core.money import format_fen


def visible_cases(user: User | AnonymousUser | None) -> QuerySet[Case]:
    """A collector sees the cases assigned to them; a team lead their team's (assigned to its members or of the
    lenders it works); whoever sees every portfolio sees every case; a user of an outside agency only the open
    cases placed with it (whatever their role). `None`: the command line (operators)."""
    cases = Case.objects.select_related("assigned_to", "segment", "path", "placed_with")
    if isinstance(user, User) and user.agency_id is not None:
        return cases.filter(placed_with_id=user.agency_id, placed_with__active=True).exclude(
            status=lifecycle.CLOSED
        )
    if user is None or can(user, VIEW_ALL_PORTFOLIOS):
        return cases
    if not isinstance(user, User) or not user.is_authenticated:
        return cases.none()
    if user.role == Role.TEAM_LEAD and user.team is not None:
        # the members' ids (one small query) rather than a join on accounts_user: the OR then uses two indexes
        of_team = Q(assigned_to_id__in=list(user.team.members.values_list("pk", flat=True)))
        if user.team.lenders:
            of_team |= Q(lender__in=user.team.lenders)
        return cases.filter(of_team)
    return cases.filter(assigned_to=user)


def get_case(user: User | AnonymousUser | None, case_id: int) -> Case:
    """The case, or NotFound when it does not exist or the user may not see it (the same answer for both)."""
    case = visible_cases(user).filter(pk=case_id).first()
    if case is None:
        raise NotFound(f"case {case_id} not found", case_id=case_id)
    return case


def case_as_dict(case: Case) -> dict[str, Any]:
    """A case as `arrears cases list --json` and `arrears case show --json` print it (amounts in yuan)."""
    return {
        "id": case.pk,
        "borrower_id": case.borrower_id,
        "lender": case.lender,
        "type": case.case_type,
        "status": case.status,
        "closed_reason": case.closed_reason or None,
        "assigned_to": case.assigned_to.get_username() if case.assigned_to else None,
        "loan_ids": list(case.loan_ids),
        "total_overdue": format_fen(case.total_overdue),
        "max_dpd": case.max_dpd,
        "bucket": case.bucket or None,
        "classification": case.classification or None,
        "risk_level": case.risk_level or None,
        "risk_score": case.risk_score,
        "opened_on": case.opened_on.isoformat(),
        "closed_on": case.closed_on.isoformat() if case.closed_on else None,
        "stage_since": case.stage_since.isoformat(),
        "as_of": case.as_of.isoformat(),
        "next_action_on": case.next_action_on.isoformat() if case.next_action_on else None,
        "priority": case.priority,
        "outstanding": format_fen(case.outstanding),
        "product_type": case.product_type or None,
        "lender_type": case.lender_type or None,
        "segment": case.segment.name if case.segment else None,
        "path": case.path.name if case.path else None,
        "path_step": case.path_step,
        "next_step_on": case.next_step_on.isoformat() if case.next_step_on else None,
        "last_contact_on": case.last_contact_on.isoformat() if case.last_contact_on else None,
        "placed_with": case.placed_with.name if case.placed_with else None,
    }


def timeline(case: Case) -> list[dict[str, Any]]:
    """The case's audit events, oldest first: its timeline."""
    events = AuditEvent.objects.filter(object_type="Case", object_id=str(case.pk)).order_by("at", "pk")
    return [
        {"at": e.at.isoformat(), "action": e.action, "by": e.actor_label, "before": e.before, "after": e.after,
         "note": e.note}
        for e in events
    ]  # fmt: skip


def sla_breached(as_of: dt.date) -> Q | None:
    """The condition "in its stage longer than the stage's SLA allows at `as_of`" on the case's own row: use it in
    filters, `When` and aggregate filters (never as `pk__in=<subquery>`, which scans every case of the table).
    None when no stage has an SLA."""
    late: Q | None = None
    for stage, days in StageSla.objects.values_list("stage", "days"):
        stage_late = Q(status=stage, stage_since__lt=as_of - dt.timedelta(days=days))
        late = stage_late if late is None else late | stage_late
    return late


def sla_breaches(cases: QuerySet[Case], as_of: dt.date) -> QuerySet[Case]:
    """Open cases that have stayed in their stage longer than its SLA allows at `as_of`."""
    late = sla_breached(as_of)
    return cases.filter(late) if late is not None else cases.none()


def due_tasks(user: User, as_of: dt.date) -> QuerySet[Task]:
    """The user's open follow-ups due on or before `as_of`, the oldest first."""
    return Task.objects.filter(assigned_to=user, done_at__isnull=True, due_on__lte=as_of).select_related(
        "case"
    )


# A queue's conditions (`cases.models.Queue`, the facts of `batch.steps.strategy.FIELDS`) as case columns; the
# facts the close derives (contactability, collateral, broken promises, days since contact) are not columns and
# are left out.
QUEUE_FIELDS = {
    "dpd": "max_dpd",
    "bucket": "bucket",
    "classification": "classification",
    "risk_level": "risk_level",
    "risk_score": "risk_score",
    "balance": "outstanding",
    "overdue": "total_overdue",
    "product": "product_type",
    "lender": "lender",
    "lender_type": "lender_type",
    "case_type": "case_type",
    "status": "status",
    "province": "borrower__province",
}
ORDERED_LOOKUPS = {"lt": "lt", "le": "lte", "gt": "gt", "ge": "gte"}


def queue_filter(queue: Queue) -> Q:
    """The cases a queue holds: every condition over the case's facts (`QUEUE_FIELDS`; money already in fen once
    parsed), and one of its segments when it names any. A missing fact fails a test, as in the close's segments.
    A queue whose conditions do not parse holds nothing. (The queue's `segments` should be prefetched.)"""
    try:
        conditions = strategy_step.conditions(list(queue.conditions or []))
    except (ValidationError, ValueError):
        return Q(pk__in=[])
    holds = Q()
    for c in conditions:
        column = QUEUE_FIELDS.get(c.field)
        if column is None:
            continue
        present = Q(**{f"{column}__isnull": False})
        if c.value is None:
            test = Q(**{f"{column}__isnull": c.op == "eq"})
        elif c.op in ("in", "not_in"):
            values = [v for v in c.value if v is not None]
            test = Q(**{f"{column}__in": values})
            if c.op == "not_in":
                test = present & ~test
        elif c.op == "eq":
            test = Q(**{column: c.value})
        elif c.op == "ne":
            test = present & ~Q(**{column: c.value})
        else:
            test = Q(**{f"{column}__{ORDERED_LOOKUPS[c.op]}": c.value})
        holds &= test
    segment_ids = [s.pk for s in queue.segments.all()]
    if segment_ids:
        holds &= Q(segment_id__in=segment_ids)
    return holds


def visible_queues(user: User | Any) -> QuerySet[Queue]:
    """The queues a user may pick: every one for whoever sees every portfolio, their team's and everyone's for
    the rest, none for an outside agency's users. Their segments come prefetched."""
    queues = Queue.objects.select_related("team").prefetch_related("segments").order_by("name")
    if not isinstance(user, User) or user.agency_id is not None:
        return queues.none()
    if can(user, VIEW_ALL_PORTFOLIOS):
        return queues
    return queues.filter(Q(team__isnull=True) | Q(team_id=user.team_id))


def managed_collectors(user: User) -> QuerySet[User]:
    """Whose workload a lead or manager sees: every in-house collector for whoever sees every portfolio, the
    team's for a team lead, nobody otherwise."""
    people = User.objects.filter(role=Role.COLLECTOR, is_active=True, agency__isnull=True).order_by(
        "display_name", "username"
    )
    if user.agency_id is not None or not can(user, MANAGE_CASES):
        return people.none()
    if can(user, VIEW_ALL_PORTFOLIOS):
        return people
    if user.team_id is None:
        return people.none()
    return people.filter(team_id=user.team_id)


def workload(
    user: User, as_of: dt.date, by_collector: dict[int | None, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Per collector the lead or manager oversees: open cases, follow-ups due, SLA breaches and capacity.
    `by_collector`: the counts (`open`, `breached`) of the user's visible open cases grouped by collector
    (`open_by_collector`; every case of a managed collector is visible to the user). Two more queries whatever
    the number of collectors (the people, their due tasks grouped)."""
    people = list(managed_collectors(user).select_related("team"))
    if not people:
        return []
    ids = [p.pk for p in people]
    cases = by_collector
    due = dict(
        Task.objects.filter(assigned_to_id__in=ids, done_at__isnull=True, due_on__lte=as_of)
        .order_by()  # a closed case has no open follow-ups (services.close_tasks): no join on the cases
        .values("assigned_to_id")
        .annotate(n=Count("pk"))
        .values_list("assigned_to_id", "n")
    )
    rows = []
    for person in people:
        counts: dict[str, Any] = cases.get(person.pk, {})
        open_ = counts.get("open", 0)
        capacity = person.max_open_cases
        rows.append(
            {
                "user": person,
                "open": open_,
                "due": due.get(person.pk, 0),
                "breached": counts.get("breached", 0),
                "capacity": capacity,
                "full": capacity is not None and open_ >= capacity,
                "load": round(100 * open_ / capacity) if capacity else None,
            }
        )
    return rows


def open_by_collector(open_cases: QuerySet[Case], as_of: dt.date) -> dict[int | None, dict[str, Any]]:
    """One pass over `open_cases` grouped by collector: per `assigned_to_id`, `open` and `breached` (past the
    stage's SLA at `as_of`)."""
    late = sla_breached(as_of) or Q(pk__in=[])
    return {
        row["assigned_to_id"]: dict(row)
        for row in open_cases.order_by()
        .values("assigned_to_id")
        .annotate(open=Count("pk"), breached=Count("pk", filter=late))
    }


def queue_counts(user: User, open_cases: QuerySet[Case]) -> list[dict[str, Any]]:
    """The queues the user may pick with how many of the user's visible open cases each holds: one aggregate
    query for all of them."""
    queues = list(visible_queues(user))
    if not queues:
        return []
    filters = {q.pk: queue_filter(q) for q in queues}
    counts = open_cases.order_by().aggregate(
        **{f"q{pk}": Count("pk", filter=held) if held else Count("pk") for pk, held in filters.items()}
    )
    return [{"queue": q, "count": counts[f"q{q.pk}"]} for q in queues]
