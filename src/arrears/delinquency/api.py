"""Delinquency endpoints of /api/v1: a loan's status at the latest close, and pausing / resuming it.

Loans are looked up through `portfolio.selectors.get_loan` (a loan the caller may not see is a 404); writes go
through `delinquency.services`, whose domain errors `arrears.api` maps to 400/403/404/409. Amounts are yuan
strings with two decimals, as in `arrears loan show --json`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Router, Schema

from arrears.accounts.models import User
from arrears.delinquency import selectors, services
from arrears.delinquency.models import Pause
from arrears.portfolio.selectors import get_loan, status_as_dict

router = Router(tags=["delinquency"])


class PauseOut(Schema):
    id: int
    reason: str
    start: dt.date
    end: dt.date | None
    note: str
    created_by: str | None
    created_at: dt.datetime


class StatusOut(Schema):
    """The loan's state at the end of `status_as_of` (null fields before the first close)."""

    loan_id: str
    status_as_of: dt.date | None
    dpd: int | None
    delinquent_days: int | None
    bucket: str | None
    classification: str | None
    rule_classification: str | None
    overdue_principal: str | None
    overdue_interest: str | None
    overdue_fees: str | None
    penalty_interest: str | None
    outstanding_principal: str | None
    total_due: str | None
    credit: str | None
    overdue_by_bucket: dict[str, str] | None
    times_overdue: int | None
    max_dpd: int | None
    paused: bool | None
    episode_start: dt.date | None
    cure_date: dt.date | None
    observation_until: dt.date | None
    pauses: list[PauseOut]


class PauseIn(Schema):
    reason: Literal["hardship", "disaster", "dispute"]
    start: dt.date
    end: dt.date | None = None
    note: str = ""


class ResumeIn(Schema):
    end: dt.date


def _pause_out(pause: Pause) -> dict[str, Any]:
    return {
        "id": pause.pk,
        "reason": pause.reason,
        "start": pause.start,
        "end": pause.end,
        "note": pause.note,
        "created_by": pause.created_by.get_username() if pause.created_by else None,
        "created_at": pause.created_at,
    }


def _actor(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # both authenticators give an arrears user
    return request.user


@router.get("/loans/{loan_id}/status", response=StatusOut)
def loan_status(request: HttpRequest, loan_id: str) -> dict[str, Any]:
    loan = get_loan(request.user, loan_id)
    return {
        "loan_id": loan.pk,
        **status_as_dict(loan),
        "pauses": [_pause_out(p) for p in selectors.pauses(loan)],
    }


@router.post("/loans/{loan_id}/pauses", response={201: PauseOut})
def pause(request: HttpRequest, loan_id: str, payload: PauseIn) -> dict[str, Any]:
    """Answers 201 (the only status declared) with the new pause."""
    loan = get_loan(request.user, loan_id)
    created = services.pause(
        loan, payload.start, reason=payload.reason, end=payload.end, note=payload.note, actor=_actor(request)
    )
    return _pause_out(created)


@router.post("/loans/{loan_id}/pauses/{pause_id}/resume", response=PauseOut)
def resume(request: HttpRequest, loan_id: str, pause_id: int, payload: ResumeIn) -> dict[str, Any]:
    loan = get_loan(request.user, loan_id)
    return _pause_out(
        services.resume(selectors.get_pause(loan, pause_id), payload.end, actor=_actor(request))
    )
