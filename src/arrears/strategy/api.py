"""Strategy endpoints of /api/v1: segments with their arms, outcomes per arm, promotion of a challenger and the
simulation of a past date. Reading needs a portfolio-wide view or the strategy permission; writes go through
`strategy.services`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from arrears.accounts.models import User
from arrears.accounts.roles import MANAGE_STRATEGY, VIEW_ALL_PORTFOLIOS, can
from arrears.core.errors import NotFound, PermissionDenied
from arrears.strategy import selectors, services
from arrears.strategy.models import Segment

router = Router(tags=["strategy"])


class ArmOut(Schema):
    path: str
    percent: float
    champion: bool


class SegmentOut(Schema):
    id: int
    name: str
    priority: int
    active: bool
    conditions: list[dict[str, Any]]
    required_skills: list[str]
    arms: list[ArmOut]


class OutcomeOut(Schema):
    segment: str | None
    path: str | None
    percent: float
    champion: bool
    cases: int
    open: int
    cure_rate: float
    roll_forward_rate: float
    recovered_fen: int


class PromoteIn(Schema):
    path: str
    reason: str = ""


class SimulatedArm(Schema):
    segment: str | None
    path: str | None
    cases: int
    overdue_fen: int
    first_step: str | None
    first_step_on: dt.date | None


class SimulationOut(Schema):
    as_of: dt.date
    cases: int
    arms: list[SimulatedArm]


def _reader(request: HttpRequest) -> None:
    if not (can(request.user, MANAGE_STRATEGY) or can(request.user, VIEW_ALL_PORTFOLIOS)):
        raise PermissionDenied("you may not see the collection strategy")


def _segment(s: Segment) -> dict[str, Any]:
    return {"id": s.pk, "name": s.name, "priority": s.priority, "active": s.active, "conditions": s.conditions,
            "required_skills": s.required_skills, "arms": selectors.arms_as_list(s)}  # fmt: skip


@router.get("/segments", response=list[SegmentOut])
def segments(request: HttpRequest) -> list[dict[str, Any]]:
    _reader(request)
    return [_segment(s) for s in Segment.objects.all()]


@router.get("/outcomes", response=list[OutcomeOut])
def outcomes(request: HttpRequest, as_of: dt.date | None = None) -> list[dict[str, Any]]:
    """Cure rate, roll-forward rate and amount recovered per segment and arm (`as_of`: default the latest close)."""
    from arrears.cases.views import business_day

    _reader(request)
    return selectors.outcomes(as_of or business_day())


@router.post("/segments/{segment_id}/promote", response=SegmentOut)
def promote(request: HttpRequest, segment_id: int, body: PromoteIn) -> dict[str, Any]:
    """Make the arm running `path` the segment's champion for all its cases."""
    segment = Segment.objects.filter(pk=segment_id).first()
    if segment is None:
        raise NotFound(f"segment {segment_id} not found")
    path = segment.arms.filter(path__name=body.path).select_related("path").first()
    if path is None:
        raise NotFound(f"{body.path} is not an arm of {segment.name}")
    assert isinstance(request.user, User)
    services.promote(segment, path.path, actor=request.user, reason=body.reason)
    return _segment(segment)


@router.get("/simulate", response=SimulationOut)
def simulate(request: HttpRequest, as_of: dt.date) -> dict[str, Any]:
    """What the strategy in force would have done on `as_of` (computed from the stored history; sends nothing)."""
    _reader(request)
    return selectors.simulate(as_of)
