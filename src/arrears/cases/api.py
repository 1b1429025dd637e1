"""Case endpoints of /api/v1: list (paged, filtered), detail with timeline, notes and tasks, and the writes —
transition, assign, note, task, call outcome, escalation proposal, and bulk reassign/place/recall. Cases are looked up through `cases.selectors.visible_cases` (a case the caller
may not see is a 404, as one that does not exist); writes go through `cases.services`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from arrears.accounts.models import Agency, User
from arrears.cases import lifecycle, selectors, services
from arrears.core.errors import NotFound

router = Router(tags=["cases"])
PAGE = 50


class CaseOut(Schema):
    id: int
    borrower_id: str
    lender: str
    type: str
    status: str
    closed_reason: str | None
    assigned_to: str | None
    loan_ids: list[str]
    total_overdue: str
    max_dpd: int
    bucket: str | None
    classification: str | None
    risk_level: str | None
    risk_score: int | None
    opened_on: dt.date
    closed_on: dt.date | None
    stage_since: dt.date
    as_of: dt.date
    next_action_on: dt.date | None
    priority: int
    outstanding: str
    product_type: str | None
    lender_type: str | None
    segment: str | None
    path: str | None
    path_step: int | None
    next_step_on: dt.date | None
    last_contact_on: dt.date | None
    placed_with: str | None


class CasePage(Schema):
    count: int
    page: int
    cases: list[CaseOut]


class EventOut(Schema):
    at: dt.datetime
    action: str
    by: str
    before: Any = None
    after: Any = None
    note: str


class NoteOut(Schema):
    id: int
    text: str
    author: str
    created_at: dt.datetime


class TaskOut(Schema):
    id: int
    title: str
    due_on: dt.date
    assigned_to: str
    channel: str
    escalation: str
    done_at: dt.datetime | None


class CaseDetail(CaseOut):
    allowed_transitions: list[str]
    timeline: list[EventOut]
    notes: list[NoteOut]
    tasks: list[TaskOut]


class TransitionIn(Schema):
    to: str
    reason: str = ""
    closed_reason: str = ""


class AssignIn(Schema):
    username: str
    reason: str


class NoteIn(Schema):
    text: str


class TaskIn(Schema):
    title: str
    due_on: dt.date
    assignee: str | None = None


class CallIn(Schema):
    outcome: str  # answered, unanswered, busy, invalid_number, wrong_party, refused, promise_to_pay, dispute
    note: str = ""


class EscalationIn(Schema):
    reason: str


class BulkIn(Schema):
    case_ids: list[int]
    reason: str = ""


class BulkReassignIn(BulkIn):
    to: list[str]


class BulkPlaceIn(BulkIn):
    agency: str


class BulkOut(Schema):
    count: int


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@router.get("", response=CasePage)
def list_cases(
    request: HttpRequest, status: str = "open", assigned_to: str = "", page: int = 1
) -> dict[str, Any]:
    """The caller's visible cases, the highest priority first: `status` open (default), closed, all or a
    stage."""
    cases = selectors.visible_cases(request.user)
    if status == "open":
        cases = cases.exclude(status=lifecycle.CLOSED)
    elif status != "all":
        cases = cases.filter(status=status)
    if assigned_to:
        cases = cases.filter(assigned_to__username=assigned_to)
    page = max(page, 1)
    rows = cases.order_by("-priority", "-max_dpd", "pk")[(page - 1) * PAGE : page * PAGE]
    return {"count": cases.count(), "page": page, "cases": [selectors.case_as_dict(c) for c in rows]}


def _detail(request: HttpRequest, case_id: int) -> dict[str, Any]:
    case = selectors.get_case(request.user, case_id)
    return selectors.case_as_dict(case) | {
        "allowed_transitions": [t.target for t in lifecycle.allowed_from(case.status)],
        "timeline": selectors.timeline(case),
        "notes": [
            {"id": n.pk, "text": n.text, "author": n.author.get_username(), "created_at": n.created_at}
            for n in case.notes.select_related("author")
        ],
        "tasks": [
            {
                "id": t.pk,
                "title": t.title,
                "due_on": t.due_on,
                "assigned_to": t.assigned_to.get_username(),
                "channel": t.channel,
                "escalation": t.escalation,
                "done_at": t.done_at,
            }
            for t in case.tasks.select_related("assigned_to")
        ],
    }


@router.get("/{case_id}", response=CaseDetail)
def case_detail(request: HttpRequest, case_id: int) -> dict[str, Any]:
    return _detail(request, case_id)


@router.post("/{case_id}/transition", response=CaseDetail)
def transition(request: HttpRequest, case_id: int, body: TransitionIn) -> dict[str, Any]:
    case = selectors.get_case(request.user, case_id)
    services.transition(
        case, body.to, actor=_user(request), reason=body.reason, closed_reason=body.closed_reason
    )
    return _detail(request, case_id)


@router.post("/{case_id}/assign", response=CaseDetail)
def assign(request: HttpRequest, case_id: int, body: AssignIn) -> dict[str, Any]:
    case = selectors.get_case(request.user, case_id)
    to = User.objects.filter(username=body.username, is_active=True).first()
    if to is None:
        raise NotFound(f"no active user {body.username}")
    services.reassign(case, to, actor=_user(request), reason=body.reason)
    return _detail(request, case_id)


@router.post("/{case_id}/notes", response=CaseDetail)
def note(request: HttpRequest, case_id: int, body: NoteIn) -> dict[str, Any]:
    case = selectors.get_case(request.user, case_id)
    services.add_note(case, body.text, actor=_user(request))
    return _detail(request, case_id)


@router.post("/{case_id}/tasks", response=CaseDetail)
def task(request: HttpRequest, case_id: int, body: TaskIn) -> dict[str, Any]:
    case = selectors.get_case(request.user, case_id)
    assignee = None
    if body.assignee:
        assignee = User.objects.filter(username=body.assignee, is_active=True).first()
        if assignee is None:
            raise NotFound(f"no active user {body.assignee}")
    services.add_task(case, body.title, body.due_on, actor=_user(request), assignee=assignee)
    return _detail(request, case_id)


@router.post("/{case_id}/calls", response=CaseDetail)
def call(request: HttpRequest, case_id: int, body: CallIn) -> dict[str, Any]:
    """Log a call's outcome (speaking to the debtor sets the last contact; a new case moves to contacting)."""
    case = selectors.get_case(request.user, case_id)
    services.log_call(case, body.outcome, actor=_user(request), note=body.note)
    return _detail(request, case_id)


@router.post("/{case_id}/escalation", response=CaseDetail)
def propose_escalation(request: HttpRequest, case_id: int, body: EscalationIn) -> dict[str, Any]:
    """Propose escalating the case: a follow-up for the team lead, with the reason."""
    case = selectors.get_case(request.user, case_id)
    services.propose_escalation(case, body.reason, actor=_user(request))
    return _detail(request, case_id)


def _selected(request: HttpRequest, body: BulkIn) -> Any:
    """The listed cases the caller may see (others are not found, all or nothing)."""
    cases = selectors.visible_cases(request.user).filter(pk__in=body.case_ids)
    if cases.count() != len(set(body.case_ids)):
        raise NotFound("some of these cases were not found", case_ids=body.case_ids)
    return cases


def _active_user(username: str) -> User:
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise NotFound(f"no active user {username}")
    return user


@router.post("/bulk/reassign", response=BulkOut)
def bulk_reassign(request: HttpRequest, body: BulkReassignIn) -> dict[str, int]:
    """Spread the cases over the collectors named in `to`, least loaded first, with a reason."""
    to = [_active_user(name) for name in body.to]
    return {
        "count": services.bulk_reassign(
            _selected(request, body), to, actor=_user(request), reason=body.reason
        )
    }


@router.post("/bulk/place", response=BulkOut)
def bulk_place(request: HttpRequest, body: BulkPlaceIn) -> dict[str, int]:
    """Place the cases with an outside agency or law firm."""
    agency = Agency.objects.filter(name=body.agency).first()
    if agency is None:
        raise NotFound(f"no agency {body.agency}")
    return {
        "count": services.place(_selected(request, body), agency, actor=_user(request), reason=body.reason)
    }


@router.post("/bulk/recall", response=BulkOut)
def bulk_recall(request: HttpRequest, body: BulkIn) -> dict[str, int]:
    """Take placed cases back in-house, with a reason; they are assigned at once."""
    return {"count": services.recall(_selected(request, body), actor=_user(request), reason=body.reason)}
