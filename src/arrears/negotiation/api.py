"""Negotiation endpoints of /api/v1/negotiation (issue 7): requests (waivers, settlements, plan proposals) listed
and created, decided and withdrawn; plans read, previewed, recomputed and signed; the report. Amounts are yuan
strings with two decimals ("1234.50"), parsed to fen exactly; rates fractions as strings ("0.0365").

Everything is looked up through `cases.selectors.visible_cases` (a case, request or plan the caller may not see is
a 404, as one that does not exist); writes go through `negotiation.services`, whose `DomainError`s map to HTTP
statuses in `arrears.api`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import HttpRequest
from ninja import File, Router, Schema
from ninja.files import UploadedFile

from arrears.accounts.models import User
from arrears.accounts.roles import MANAGE_CASES, VIEW_AUDIT, WORK_CASES, require_any
from arrears.cases import selectors as case_selectors
from arrears.core.errors import DomainError
from arrears.core.money import MoneyError, format_fen, parse_yuan
from arrears.negotiation import services, views
from arrears.negotiation.models import COMPONENTS, Concession, RepaymentPlan

router = Router(tags=["negotiation"])
PAGE = 50


class ApprovalOut(Schema):
    approver: str
    approved: bool
    note: str
    at: dt.datetime


class InstallmentOut(Schema):
    no: int
    due_date: dt.date
    principal: str
    interest: str
    total: str


class PlanOut(Schema):
    id: int
    request_id: int
    status: str
    scope: str
    as_of: dt.date
    amount: str
    components: dict[str, str]
    installments: int
    annual_rate: str
    down_payment: str
    first_due: dt.date
    schedule: list[InstallmentOut]
    total: str
    signed_on: dt.date | None
    evidence_seq: int | None
    evidence_hash: str | None
    ended_on: dt.date | None


class ConcessionOut(Schema):
    id: int
    kind: str
    status: str
    case_id: int
    loan_id: str
    as_of: dt.date
    given_up: dict[str, str]
    total: str
    outstanding: dict[str, str]
    settle_amount: str | None
    settle_by: dt.date | None
    reason: str
    note: str
    source: str
    requested_by: str | None
    requested_at: dt.datetime
    decided_on: dt.date | None
    approvals: list[ApprovalOut]
    plan: PlanOut | None


class ConcessionPage(Schema):
    count: int
    page: int
    requests: list[ConcessionOut]


class WaiverIn(Schema):
    loan_id: str
    penalty: str = "0"
    interest: str = "0"
    fee: str = "0"
    principal: str = "0"
    reason: str = "hardship"
    note: str


class SettlementIn(Schema):
    loan_id: str
    settle_amount: str
    settle_by: dt.date
    reason: str = "settlement"
    note: str


class TermsIn(Schema):
    loan_id: str
    installments: int
    first_due: dt.date
    annual_rate: str = "0"
    down_payment: str = "0"
    scope: str = "overdue"


class PlanIn(TermsIn):
    reason: str = "hardship"
    note: str


class PreviewIn(TermsIn):
    case_id: int


class PreviewOut(Schema):
    amount: str
    components: dict[str, str]
    schedule: list[InstallmentOut]
    total: str
    within_authority: bool
    approvers: int


class DecisionIn(Schema):
    approve: bool
    note: str = ""


class ReasonIn(Schema):
    reason: str


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _fen(text: str, what: str) -> int:
    try:
        fen = parse_yuan(text)
    except MoneyError as error:
        raise DomainError(f"{what}: not an amount in yuan with at most 2 decimals: {text!r}") from error
    if fen < 0:
        raise DomainError(f"{what}: must not be negative")
    return fen


def _rate(text: str) -> Decimal:
    try:
        rate = Decimal(text)
    except InvalidOperation as error:
        raise DomainError(f"annual_rate: not a number: {text!r}") from error
    if not rate.is_finite() or rate < 0 or rate.as_tuple().exponent < -6:  # type: ignore[operator]
        raise DomainError(f"annual_rate: a fraction at least 0 with at most 6 decimals: {text!r}")
    return rate


def _money(parts: dict[str, Any]) -> dict[str, str]:
    return {k: format_fen(int(v or 0)) for k, v in parts.items()}


def _rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"no": r["no"], "due_date": r["due_date"], "principal": format_fen(r["principal"]),
         "interest": format_fen(r["interest"]), "total": format_fen(r["total"])}
        for r in rows
    ]  # fmt: skip


def plan_as_dict(plan: RepaymentPlan) -> dict[str, Any]:
    signed = plan.signed_copy
    return {
        "id": plan.pk,
        "request_id": plan.concession_id,
        "status": plan.status,
        "scope": plan.scope,
        "as_of": plan.as_of,
        "amount": format_fen(plan.amount),
        "components": _money(plan.components),
        "installments": plan.installments,
        "annual_rate": str(plan.annual_rate),
        "down_payment": format_fen(plan.down_payment),
        "first_due": plan.first_due,
        "schedule": _rows(plan.schedule),
        "total": format_fen(plan.total),
        "signed_on": plan.signed_on,
        "evidence_seq": signed.seq if signed is not None else None,
        "evidence_hash": signed.hash if signed is not None else None,
        "ended_on": plan.ended_on,
    }


def concession_as_dict(c: Concession) -> dict[str, Any]:
    plan = getattr(c, "plan", None) if c.kind == Concession.Kind.PLAN else None
    return {
        "id": c.pk,
        "kind": c.kind,
        "status": c.status,
        "case_id": c.case_id,
        "loan_id": c.loan_id,
        "as_of": c.as_of,
        "given_up": _money(c.amounts),
        "total": format_fen(c.total),
        "outstanding": _money(c.outstanding),
        "settle_amount": format_fen(c.settle_amount) if c.settle_amount is not None else None,
        "settle_by": c.settle_by,
        "reason": c.reason,
        "note": c.note,
        "source": c.source,
        "requested_by": c.requested_by.get_username() if c.requested_by else None,
        "requested_at": c.requested_at,
        "decided_on": c.decided_on,
        "approvals": [
            {"approver": a.approver.get_username(), "approved": a.approved, "note": a.note, "at": a.at}
            for a in c.approvals.all()
        ],
        "plan": plan_as_dict(plan) if plan is not None else None,
    }


def _joined(concessions: Any) -> Any:
    return concessions.select_related("requested_by", "plan__signed_copy").prefetch_related(
        "approvals__approver"
    )


def _one(request: HttpRequest, concession_id: int) -> dict[str, Any]:
    views.get_concession(request.user, concession_id)
    return concession_as_dict(_joined(Concession.objects.filter(pk=concession_id)).get())


@router.get("/requests", response=ConcessionPage)
def list_requests(request: HttpRequest, status: str = "pending", kind: str = "", case_id: int | None = None,
                  page: int = 1) -> dict[str, Any]:  # fmt: skip
    """The requests on the caller's visible cases, the newest first: `status` pending (default), all or one
    status; `kind` waiver, settlement or plan; `case_id` one case's."""
    rows = views.visible_concessions(request.user)
    if status != "all":
        rows = rows.filter(status=status)
    if kind:
        rows = rows.filter(kind=kind)
    if case_id is not None:
        rows = rows.filter(case_id=case_id)
    page = max(page, 1)
    shown = _joined(rows.order_by("-requested_at", "-pk"))[(page - 1) * PAGE : page * PAGE]
    return {"count": rows.count(), "page": page, "requests": [concession_as_dict(c) for c in shown]}


@router.get("/requests/{concession_id}", response=ConcessionOut)
def get_request(request: HttpRequest, concession_id: int) -> dict[str, Any]:
    return _one(request, concession_id)


@router.post("/cases/{case_id}/waivers", response={201: ConcessionOut})
def request_waiver(request: HttpRequest, case_id: int, body: WaiverIn) -> dict[str, Any]:
    """Ask to give up part of a loan's debt; within the caller's own authority it is posted at once."""
    case = case_selectors.get_case(request.user, case_id)
    amounts = {c: _fen(getattr(body, c), c) for c in COMPONENTS}
    c = services.request_waiver(case, body.loan_id, amounts, actor=_user(request), note=body.note,
                                reason=body.reason)  # fmt: skip
    return _one(request, c.pk)


@router.post("/cases/{case_id}/settlements", response={201: ConcessionOut})
def request_settlement(request: HttpRequest, case_id: int, body: SettlementIn) -> dict[str, Any]:
    """A one-off discounted payoff: `settle_amount` by `settle_by`, the rest given up once paid."""
    case = case_selectors.get_case(request.user, case_id)
    c = services.request_settlement(
        case, body.loan_id, settle_amount=_fen(body.settle_amount, "settle_amount"), settle_by=body.settle_by,
        actor=_user(request), note=body.note, reason=body.reason,
    )  # fmt: skip
    return _one(request, c.pk)


def _terms(body: TermsIn) -> dict[str, Any]:
    return {
        "installments": body.installments,
        "first_due": body.first_due,
        "annual_rate": _rate(body.annual_rate),
        "down_payment": _fen(body.down_payment, "down_payment"),
        "scope": body.scope,
    }


@router.post("/cases/{case_id}/plans", response={201: ConcessionOut})
def propose_plan(request: HttpRequest, case_id: int, body: PlanIn) -> dict[str, Any]:
    """Propose a repayment plan for a loan of the case (approved at once within the caller's authority)."""
    case = case_selectors.get_case(request.user, case_id)
    plan = services.propose_plan(case, body.loan_id, actor=_user(request), note=body.note, reason=body.reason,
                                 **_terms(body))  # fmt: skip
    return _one(request, plan.concession_id)


@router.post("/plans/preview", response=PreviewOut)
def preview_plan(request: HttpRequest, body: PreviewIn) -> dict[str, Any]:
    """The schedule a plan on these terms would have now, and whether it is within the caller's authority
    (nothing is written)."""
    case = case_selectors.get_case(request.user, body.case_id)
    require_any(request.user, (WORK_CASES,))
    preview = views.preview_plan(case, body.loan_id, _terms(body))
    allowed, approvers = services.within_authority(
        _user(request).role, {"plan": preview["amount"]}, {"plan": preview["amount"]},
        services.limits_in_force(case.as_of),
    )  # fmt: skip
    return {
        "amount": format_fen(preview["amount"]),
        "components": _money(preview["components"]),
        "schedule": _rows(preview["rows"]),
        "total": format_fen(preview["total"]),
        "within_authority": allowed and approvers == 1,
        "approvers": approvers,
    }


@router.post("/requests/{concession_id}/decision", response=ConcessionOut)
def decide(request: HttpRequest, concession_id: int, body: DecisionIn) -> dict[str, Any]:
    """Approve or reject (never one's own request; a rejection needs a note)."""
    concession = views.get_concession(request.user, concession_id)
    services.decide(concession, actor=_user(request), approve=body.approve, note=body.note)
    return _one(request, concession_id)


@router.post("/requests/{concession_id}/cancel", response=ConcessionOut)
def cancel(request: HttpRequest, concession_id: int, body: ReasonIn) -> dict[str, Any]:
    """Withdraw a pending or approved request (the requester or a manager)."""
    concession = views.get_concession(request.user, concession_id)
    services.cancel(concession, actor=_user(request), reason=body.reason)
    return _one(request, concession_id)


@router.get("/plans/{plan_id}", response=PlanOut)
def get_plan(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    return plan_as_dict(views.get_plan(request.user, plan_id))


@router.post("/plans/{plan_id}/refresh", response=PlanOut)
def refresh_plan(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    """Recompute a plan not yet signed at the current business date."""
    plan = services.refresh_plan(views.get_plan(request.user, plan_id), actor=_user(request))
    return plan_as_dict(views.get_plan(request.user, plan.pk))


@router.post("/plans/{plan_id}/sign", response=PlanOut)
def sign_plan(request: HttpRequest, plan_id: int, signed_copy: UploadedFile = File(...)) -> dict[str, Any]:  # noqa: B008
    """Upload the signed agreement (multipart `signed_copy`): the plan becomes the loan's schedule."""
    plan = views.get_plan(request.user, plan_id)
    if (signed_copy.size or 0) > views.MAX_SIGNED_COPY:
        raise DomainError("the signed copy is too large")
    services.sign_plan(plan, signed_copy=signed_copy.read(), filename=signed_copy.name or "agreement",
                       actor=_user(request))  # fmt: skip
    return plan_as_dict(views.get_plan(request.user, plan.pk))


@router.get("/report")
def report(request: HttpRequest, start: dt.date | None = None, end: dt.date | None = None) -> dict[str, Any]:
    """The negotiation report (`negotiation.selectors.report`) for the caller's visible cases: by default the
    last 30 days up to the latest close. Amounts in fen, rates as fractions."""
    from arrears.negotiation import selectors

    require_any(request.user, (MANAGE_CASES, VIEW_AUDIT))
    end = end or views.business_day()
    start = start or end - dt.timedelta(days=views.DASHBOARD_DAYS - 1)
    data = selectors.report(request.user, start, end)
    return _plain(data)


def _plain(value: Any) -> Any:
    """The report as JSON: dates ISO, decimals as strings, lazy labels as text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
