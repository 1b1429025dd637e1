"""Legal endpoints of /api/v1 (issue 8): matters (list with filters, paged; detail with its steps, deadlines and the
steps allowed next), a step forward, open deadlines, the limitation watch, and litigation batches (start, status).
For the legal roles only (anyone else: 403, as on the pages). Matters are looked up through
`legal.selectors.visible_matters` (a matter the caller may not see is a 404, as one that does not exist); writes go
through `legal.services`. Amounts travel as yuan strings with two decimals ("1234.50"), parsed to fen exactly."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from ninja import Router, Schema

from arrears.accounts.models import User
from arrears.core.errors import DomainError
from arrears.core.money import MoneyError, format_fen, parse_yuan
from arrears.legal import selectors, services
from arrears.legal.models import Deadline, LitigationBatch, Matter
from arrears.legal.views import allowed_steps, business_day, legal_user, watch_rows, with_next_deadline

router = Router(tags=["legal"])
PAGE = 50


class MatterOut(Schema):
    id: int
    case_id: int
    loan_ids: list[str]
    case_type: str
    plaintiff: str
    defendant: str
    stage: str
    stage_since: str
    referred_on: str
    lawyer: str | None
    firm: str | None
    owner: str | None
    court: str | None
    case_number: str | None
    enforcement_case_number: str | None
    claim_amount: str
    amount_awarded: str | None
    amount_recovered: str
    closure_reason: str | None
    closed_on: str | None
    next_deadline: dt.date | None = None
    next_deadline_kind: str | None = None


class MatterPage(Schema):
    count: int
    page: int
    matters: list[MatterOut]


class StepOut(Schema):
    to: str
    requires: list[str]
    reason_required: bool
    closure_reasons: list[str]


class RecordOut(Schema):
    step: str
    from_stage: str
    on: dt.date
    court: str
    case_number: str
    amount_awarded: str | None
    amount_recovered: str | None
    details: dict[str, Any]
    note: str
    documents: list[int]


class DeadlineOut(Schema):
    id: int
    matter_id: int
    kind: str
    basis_on: dt.date
    nominal_on: dt.date
    due_on: dt.date
    provisional: bool
    basis: str
    status: str
    reminded: list[int]


class MatterDetail(MatterOut):
    claim: dict[str, Any]
    flags: list[str]
    allowed_steps: list[StepOut]
    records: list[RecordOut]
    deadlines: list[DeadlineOut]


class AdvanceIn(Schema):
    to: str
    on: dt.date
    court: str = ""
    case_number: str = ""
    amount_awarded: str | None = None
    amount_recovered: str | None = None
    reason: str = ""
    closure_reason: str = ""
    served_on: dt.date | None = None
    ruling: bool = False
    perform_by: dt.date | None = None
    final: bool = False


class DeadlinePage(Schema):
    count: int
    page: int
    deadlines: list[DeadlineOut]


class WatchRow(Schema):
    loan_id: str
    lender: str | None = None
    guarantee_id: str | None = None
    last_due: dt.date | None = None
    runs_from: dt.date | None = None
    interrupted_by: str | None = None
    interruptions: int | None = None
    expires_on: dt.date | None = None
    ends_on: dt.date | None = None
    days_left: int | None = None


class WatchPage(Schema):
    as_of: dt.date
    kind: str
    within_days: int
    count: int
    page: int
    rows: list[WatchRow]


class BatchIn(Schema):
    filing_date: dt.date
    matter_ids: list[int] | None = None  # or choose by filter:
    stage: str | None = None
    min_dpd: int | None = None
    lender: str | None = None
    firm_id: int | None = None
    case_type: str | None = None
    min_claim: str | None = None  # yuan


class BatchOut(Schema):
    id: int
    status: str
    done: int
    total: int
    percent: int
    filing_date: dt.date
    matter_ids: list[int]
    criteria: dict[str, Any]
    zip_sha256: str | None
    zip_size: int
    summary: dict[str, Any]
    error: str


def _fen(text: str | None, name: str) -> int | None:
    if text in (None, ""):
        return None
    try:
        return parse_yuan(str(text))
    except MoneyError:
        raise DomainError(f"{name}: not an amount in yuan with at most 2 decimals: {text!r}") from None


def _matter(matter: Matter) -> dict[str, Any]:
    row = selectors.matter_as_dict(matter)
    due = getattr(matter, "next_due", None)
    return row | {
        "next_deadline": due,
        "next_deadline_kind": getattr(matter, "next_kind", None) if due else None,
    }


def _deadline(d: Deadline) -> dict[str, Any]:
    return {
        "id": d.pk, "matter_id": d.matter_id, "kind": d.kind, "basis_on": d.basis_on, "nominal_on": d.nominal_on,
        "due_on": d.due_on, "provisional": d.provisional, "basis": d.basis, "status": d.status,
        "reminded": list(d.reminded or []),
    }  # fmt: skip


def _detail(user: User, matter: Matter) -> dict[str, Any]:
    matter = with_next_deadline(selectors.visible_matters(user).filter(pk=matter.pk)).get()
    records = [
        {"step": r.step, "from_stage": r.from_stage, "on": r.happened_on, "court": r.court,
         "case_number": r.case_number,
         "amount_awarded": None if r.amount_awarded is None else format_fen(r.amount_awarded),
         "amount_recovered": None if r.amount_recovered is None else format_fen(r.amount_recovered),
         "details": r.details or {}, "note": r.note, "documents": list(r.documents or [])}
        for r in selectors.matter_records(matter)
    ]  # fmt: skip
    steps = [
        {"to": s.target, "requires": list(s.requires), "reason_required": s.reason_required,
         "closure_reasons": list(s.closure_reasons)}
        for s in allowed_steps(user, matter)
    ]  # fmt: skip
    return _matter(matter) | {
        "claim": matter.claim or {},
        "flags": list((matter.viability or {}).get("flags", [])),
        "allowed_steps": steps,
        "records": records,
        "deadlines": [_deadline(d) for d in matter.deadlines.order_by("due_on", "pk")],
    }


def _batch(batch: LitigationBatch) -> dict[str, Any]:
    return {
        "id": batch.pk, "status": batch.status, "done": batch.done, "total": batch.total, "percent": batch.percent,
        "filing_date": batch.filing_date, "matter_ids": [int(i) for i in batch.matter_ids],
        "criteria": batch.criteria or {}, "zip_sha256": batch.zip_sha256 or None, "zip_size": batch.zip_size,
        "summary": batch.summary or {}, "error": batch.error,
    }  # fmt: skip


@router.get("/matters", response=MatterPage)
def list_matters(request: HttpRequest, stage: str = "", lawyer: str = "", firm: str = "", court: str = "",
                 page: int = 1) -> dict[str, Any]:  # fmt: skip
    """The caller's visible matters, newest referral first; filters: `stage`, `lawyer` (username), `firm` (name or
    id), `court` (contains)."""
    user = legal_user(request)
    matters = selectors.visible_matters(user)
    if stage:
        matters = matters.filter(stage=stage)
    if lawyer:
        matters = matters.filter(lawyer__username=lawyer)
    if firm:
        matters = matters.filter(firm_id=int(firm)) if firm.isdigit() else matters.filter(firm__name=firm)
    if court:
        matters = matters.filter(Q(court__icontains=court) | Q(enforcement_court__icontains=court))
    page = max(page, 1)
    count = matters.count()
    rows = with_next_deadline(matters.order_by("-referred_on", "-pk"))[(page - 1) * PAGE : page * PAGE]
    return {"count": count, "page": page, "matters": [_matter(m) for m in rows]}


@router.get("/matters/{matter_id}", response=MatterDetail)
def matter_detail(request: HttpRequest, matter_id: int) -> dict[str, Any]:
    user = legal_user(request)
    return _detail(user, selectors.get_matter(user, matter_id))


@router.post("/matters/{matter_id}/advance", response=MatterDetail)
def advance(request: HttpRequest, matter_id: int, payload: AdvanceIn) -> dict[str, Any]:
    """Move the matter to `to` (`services.advance`: the lifecycle's checks; the deadlines it starts)."""
    user = legal_user(request)
    matter = selectors.get_matter(user, matter_id)
    services.advance(
        matter, payload.to, actor=user, on=payload.on, court=payload.court, case_number=payload.case_number,
        amount_awarded=_fen(payload.amount_awarded, "amount_awarded"),
        amount_recovered=_fen(payload.amount_recovered, "amount_recovered"), reason=payload.reason,
        closure_reason=payload.closure_reason, served_on=payload.served_on, ruling=payload.ruling,
        perform_by=payload.perform_by, final=payload.final,
    )  # fmt: skip
    return _detail(user, matter)


@router.get("/deadlines", response=DeadlinePage)
def deadlines(request: HttpRequest, until: dt.date | None = None, page: int = 1) -> dict[str, Any]:
    """Open deadlines of the caller's visible matters, the nearest first (up to `until`)."""
    user = legal_user(request)
    rows = selectors.open_deadlines(user, until=until).order_by("due_on", "pk")
    page = max(page, 1)
    return {"count": rows.count(), "page": page,
            "deadlines": [_deadline(d) for d in rows[(page - 1) * PAGE : page * PAGE]]}  # fmt: skip


@router.get("/watch", response=WatchPage)
def watch(request: HttpRequest, kind: str = "limitation", within_days: int = 180, include_expired: bool = False,
          page: int = 1) -> dict[str, Any]:  # fmt: skip
    """The limitation watch (or `kind=guarantee`): what expires within `within_days` of the business date, for the
    loans the caller may see, the soonest first."""
    user = legal_user(request)
    if kind not in ("limitation", "guarantee"):
        raise DomainError("kind: limitation or guarantee")
    as_of = business_day()
    rows = watch_rows(user, kind, as_of, within_days, expired=include_expired)
    page = max(page, 1)
    return {"as_of": as_of, "kind": kind, "within_days": within_days, "count": len(rows), "page": page,
            "rows": rows[(page - 1) * PAGE : page * PAGE]}  # fmt: skip


@router.post("/batches", response=BatchOut)
def start_batch(request: HttpRequest, payload: BatchIn) -> dict[str, Any]:
    """Start a litigation batch: the `matter_ids` given, or those the filters choose (`selectors.matters_for_batch`);
    generated in the background — poll `GET /batches/{id}`."""
    user = legal_user(request)
    criteria: dict[str, Any] = {
        k: v for k, v in {"stage": payload.stage, "min_dpd": payload.min_dpd, "lender": payload.lender,
                          "firm_id": payload.firm_id, "case_type": payload.case_type,
                          "min_claim": _fen(payload.min_claim, "min_claim")}.items() if v not in (None, "")
    }  # fmt: skip
    if payload.matter_ids is not None:
        ids = list(payload.matter_ids)
    else:
        ids = list(selectors.matters_for_batch(user, **criteria).values_list("pk", flat=True))
    batch = services.start_packages(ids, actor=user, filing_date=payload.filing_date, criteria=criteria)
    services.run_packages_in_background(batch.pk)
    return _batch(batch)


@router.get("/batches/{batch_id}", response=BatchOut)
def batch_status(request: HttpRequest, batch_id: int) -> dict[str, Any]:
    user = legal_user(request)
    return _batch(selectors.get_batch(user, batch_id))
