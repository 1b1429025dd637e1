"""Reads of delinquency state for pages, the API and `loan show`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist

from arrears.core.errors import NotFound
from arrears.delinquency.models import ClassificationOverride, LoanStatus, Pause, StatusChange
from arrears.portfolio.models import Loan


def loan_status(loan: Loan) -> LoanStatus | None:
    """The loan's status read now (after an action's inline recompute replaced it), or None."""
    return LoanStatus.objects.filter(loan=loan).first()


def current_status(loan: Loan) -> LoanStatus | None:
    """The loan's status as `get_loan` loaded it (no query), or None before any close computed it."""
    try:
        return loan.status_row
    except ObjectDoesNotExist:
        return None


def get_pause(loan: Loan, pause_id: int) -> Pause:
    pause = Pause.objects.filter(loan=loan, pk=pause_id).first()
    if pause is None:
        raise NotFound(f"pause {pause_id} of loan {loan.pk} not found", pause_id=pause_id)
    return pause


@dataclass(frozen=True)
class Interval:
    """A stretch of history: the loan had `value` for `field` from `entered` to `left` (None: still has it)."""

    field: str
    value: str
    entered: dt.date
    left: dt.date | None


def history(loan: Loan) -> list[Interval]:
    """Bucket, classification and overdue history as intervals (entered / left), oldest first, from the change
    events the close records. Empty values (no bucket, not overdue) are gaps, not intervals."""
    intervals: list[Interval] = []
    open_since: dict[str, tuple[str, dt.date]] = {}
    for change in StatusChange.objects.filter(loan=loan).order_by("on", "field"):
        previous = open_since.pop(change.field, None)
        if previous is not None:
            intervals.append(Interval(change.field, previous[0], previous[1], change.on))
        if change.new:
            open_since[change.field] = (change.new, change.on)
    intervals += [Interval(field, value, since, None) for field, (value, since) in open_since.items()]
    return sorted(intervals, key=lambda i: (i.entered, i.field))


def pauses(loan: Loan) -> list[Pause]:
    return list(Pause.objects.filter(loan=loan).select_related("created_by").order_by("-start"))


def overrides(loan: Loan) -> list[ClassificationOverride]:
    return list(
        ClassificationOverride.objects.filter(loan=loan)
        .select_related("requested_by", "decided_by")
        .order_by("-requested_at")
    )
