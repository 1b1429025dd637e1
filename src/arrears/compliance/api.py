"""Compliance endpoints of /api/v1/compliance: the guard's answer before sending (a dry run: nothing kept), the
denied decisions, contact holds (list, place, lift), consents and the rule packs. Reads start from the caller's
visibility; writes go through `compliance.services`, which check the capability again."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from arrears.accounts.models import User
from arrears.accounts.roles import MANAGE_COMPLIANCE, VIEW_AUDIT, WORK_CASES, can
from arrears.compliance import guard, selectors, services
from arrears.compliance.models import ContactHold
from arrears.core.dates import local_today
from arrears.core.errors import DomainError, NotFound, PermissionDenied

router = Router(tags=["compliance"])


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _require_any(request: HttpRequest, *capabilities: str) -> User:
    user = _user(request)
    if not any(can(user, c) for c in capabilities):
        raise PermissionDenied(_("You may not do this."))
    return user


class AttemptIn(Schema):
    borrower_id: str
    debt_id: str
    at: dt.datetime  # with the contacted person's UTC offset
    channel: str
    party: str
    address: str
    lender: str = ""  # the debt's lender when the debt is a loan
    case_id: int | None = None
    outcome: str | None = None
    collectors: int = 1
    product_type: str = ""
    has_opt_out: bool = False
    discloses_debt: bool = False
    purpose: str = ""


class DecisionOut(Schema):
    allowed: bool
    rule: str | None
    reason: str


class DecisionRow(Schema):
    id: int
    decided_at: dt.datetime
    at: str
    channel: str
    party: str
    address: str
    debt_id: str
    borrower_id: str
    allowed: bool
    rule: str | None
    reason: str
    pack: str
    pack_version: int | None
    case_id: int | None
    actor: str | None


class DecisionPage(Schema):
    count: int
    page: int
    decisions: list[DecisionRow]


class HoldOut(Schema):
    id: int
    borrower_id: str
    loan_id: str | None
    kind: str
    soft: bool
    starts_on: dt.date
    ends_on: dt.date | None
    reason: str
    evidence_sha256: str
    created_by: str | None
    created_at: dt.datetime
    lifted_by: str | None
    lifted_at: dt.datetime | None
    lift_reason: str


class HoldIn(Schema):
    borrower_id: str
    kind: str
    reason: str
    loan_id: str | None = None
    starts_on: dt.date | None = None  # default: today
    ends_on: dt.date | None = None
    evidence_sha256: str = ""


class LiftIn(Schema):
    reason: str


class ConsentIn(Schema):
    borrower_id: str
    kind: str
    evidence_sha256: str
    valid_from: dt.datetime
    valid_until: dt.datetime
    channel: str = ""
    note: str = ""


class ConsentOut(Schema):
    id: int
    borrower_id: str
    kind: str
    channel: str
    valid_from: dt.datetime
    valid_until: dt.datetime


class PackOut(Schema):
    id: int
    code: str
    version: int
    effective_from: dt.date
    status: str
    in_force: bool
    name: str
    created_by: str | None
    approved_by: str | None
    approved_at: dt.datetime | None


def _attempt(body: AttemptIn) -> guard.Attempt:
    try:
        return guard.Attempt(
            at=body.at,
            channel=body.channel,
            party=body.party,
            address=body.address,
            debt_id=body.debt_id,
            outcome=body.outcome,
            collectors=body.collectors,
            product_type=body.product_type,
            has_opt_out=body.has_opt_out,
            discloses_debt=body.discloses_debt,
            purpose=body.purpose,
        )
    except ValueError as exc:
        raise DomainError(str(exc)) from exc


@router.post("/check", response=DecisionOut)
def check(request: HttpRequest, body: AttemptIn) -> dict[str, Any]:
    """The guard's answer for an attempt, without keeping it (shown before sending): the pack in force for the
    debt's portfolio, the borrower's holds and consents, the ledger's history."""
    user = _require_any(request, WORK_CASES, MANAGE_COMPLIANCE)
    decision = services.check(
        _attempt(body),
        borrower_id=body.borrower_id,
        case_id=body.case_id,
        lender=body.lender,
        actor=user,
        dry_run=True,
    )
    return decision.as_dict()


@router.get("/denied", response=DecisionPage)
def denied(
    request: HttpRequest,
    rule: str = "",
    channel: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    borrower_id: str = "",
    page: int = 1,
) -> dict[str, Any]:
    """Denied attempts, newest first, 50 a page (compliance officers and auditors)."""
    user = _require_any(request, MANAGE_COMPLIANCE, VIEW_AUDIT)
    filters = selectors.DecisionFilters(rule, channel, date_from, date_to, borrower_id)
    result = selectors.denied_decisions(user, filters, page=max(page, 1))
    return {
        "count": result.paginator.count,
        "page": result.number,
        "decisions": [selectors.decision_as_dict(d) for d in result.object_list],
    }


def _hold(row: ContactHold) -> dict[str, Any]:
    return {
        "id": row.pk,
        "borrower_id": row.borrower_id,
        "loan_id": row.loan_id,
        "kind": row.kind,
        "soft": row.soft,
        "starts_on": row.starts_on,
        "ends_on": row.ends_on,
        "reason": row.reason,
        "evidence_sha256": row.evidence_sha256,
        "created_by": row.created_by.get_username() if row.created_by else None,
        "created_at": row.created_at,
        "lifted_by": row.lifted_by.get_username() if row.lifted_by else None,
        "lifted_at": row.lifted_at,
        "lift_reason": row.lift_reason,
    }


@router.get("/holds", response=list[HoldOut])
def holds(request: HttpRequest, borrower_id: str = "", active: bool = True) -> list[dict[str, Any]]:
    """Contact holds on the borrowers the caller sees (active ones unless `active=false`), at most 500."""
    user = _require_any(request, WORK_CASES, MANAGE_COMPLIANCE, VIEW_AUDIT)
    rows = selectors.visible_holds(user, active=active, borrower_id=borrower_id)[:500]
    return [_hold(r) for r in rows]


@router.post("/holds", response={201: HoldOut})
def place_hold(request: HttpRequest, body: HoldIn) -> dict[str, Any]:
    """Place a hold (answers 201): any kind for a compliance officer; cease_contact or dispute for a collector
    (on the borrower's request)."""
    row = services.place_hold(
        body.borrower_id,
        body.kind,
        actor=_user(request),
        reason=body.reason,
        starts_on=body.starts_on or local_today(),
        ends_on=body.ends_on,
        loan_id=body.loan_id,
        evidence_sha256=body.evidence_sha256,
    )
    return _hold(ContactHold.objects.select_related("created_by", "lifted_by").get(pk=row.pk))


@router.post("/holds/{hold_id}/lift", response=HoldOut)
def lift_hold(request: HttpRequest, hold_id: int, body: LiftIn) -> dict[str, Any]:
    user = _user(request)
    if not selectors.visible_holds(user, active=False).filter(pk=hold_id).exists():
        raise NotFound(f"hold {hold_id} not found")
    row = services.lift_hold(hold_id, actor=user, reason=body.reason)
    return _hold(ContactHold.objects.select_related("created_by", "lifted_by").get(pk=row.pk))


@router.post("/consents", response={201: ConsentOut})
def record_consent(request: HttpRequest, body: ConsentIn) -> dict[str, Any]:
    """Record a consent with its evidence (the SHA-256 of the recording or document); answers 201."""
    row = services.record_consent(
        body.borrower_id,
        body.kind,
        actor=_user(request),
        evidence_sha256=body.evidence_sha256,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        channel=body.channel,
        note=body.note,
    )
    return {
        "id": row.pk,
        "borrower_id": row.borrower_id,
        "kind": row.kind,
        "channel": row.channel,
        "valid_from": row.valid_from,
        "valid_until": row.valid_until,
    }


@router.get("/packs", response=list[PackOut])
def packs(request: HttpRequest) -> list[dict[str, Any]]:
    """Every rule-pack version, with the one in force today marked."""
    _require_any(request, MANAGE_COMPLIANCE, VIEW_AUDIT, WORK_CASES)
    return [
        selectors.pack_as_dict(v, in_force=entry["in_force"] is not None and v.pk == entry["in_force"].pk)
        for entry in selectors.packs_overview(local_today())
        for v in entry["versions"]
    ]
