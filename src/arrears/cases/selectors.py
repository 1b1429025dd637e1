"""Reads of the cases app, always starting from what the user may see (`visible_cases`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from arrears.accounts.models import Role, User
from arrears.accounts.roles import VIEW_ALL_PORTFOLIOS, can
from arrears.audit.models import AuditEvent
from arrears.cases.models import Case, StageSla, Task
from arrears.core.errors import NotFound
from arrears.core.money import format_fen


def visible_cases(user: User | AnonymousUser | None) -> QuerySet[Case]:
    """A collector sees the cases assigned to them; a team lead their team's (assigned to its members or of the
    lenders it works); whoever sees every portfolio sees every case. `None`: the command line (operators)."""
    cases = Case.objects.select_related("assigned_to")
    if user is None or can(user, VIEW_ALL_PORTFOLIOS):
        return cases
    if not isinstance(user, User) or not user.is_authenticated:
        return cases.none()
    if user.role == Role.TEAM_LEAD and user.team is not None:
        of_team = Q(assigned_to__team=user.team)
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
    }


def timeline(case: Case) -> list[dict[str, Any]]:
    """The case's audit events, oldest first: its timeline."""
    events = AuditEvent.objects.filter(object_type="Case", object_id=str(case.pk)).order_by("at", "pk")
    return [
        {"at": e.at.isoformat(), "action": e.action, "by": e.actor_label, "before": e.before, "after": e.after,
         "note": e.note}
        for e in events
    ]  # fmt: skip


def sla_breaches(cases: QuerySet[Case], as_of: dt.date) -> QuerySet[Case]:
    """Open cases that have stayed in their stage longer than its SLA allows at `as_of`."""
    limits = dict(StageSla.objects.values_list("stage", "days"))
    late = Q(pk__in=[])
    for stage, days in limits.items():
        late |= Q(status=stage, stage_since__lt=as_of - dt.timedelta(days=days))
    return cases.filter(late)


def due_tasks(user: User, as_of: dt.date) -> QuerySet[Task]:
    """The user's open follow-ups due on or before `as_of`, the oldest first."""
    return Task.objects.filter(assigned_to=user, done_at__isnull=True, due_on__lte=as_of).select_related(
        "case"
    )
