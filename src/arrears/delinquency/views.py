"""The loan page's delinquency panel (issue 3): the loan's state at the latest close, its history, its pauses
and its manual classification. The actions post with HTMX and get the panel back re-rendered; without
JavaScript they redirect to the loan page with a message.

Every view fetches the loan through `portfolio.selectors.get_loan`, so a loan the user may not see is a 404
before anything else happens; writes go through `delinquency.services`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from arrears.accounts import roles
from arrears.accounts.models import User
from arrears.batch import io
from arrears.batch.partition import state_as_of
from arrears.core.dates import local_today
from arrears.core.errors import DomainError, NotFound, PermissionDenied
from arrears.delinquency import selectors, services
from arrears.delinquency.forms import DecisionForm, OverrideRequestForm, PauseForm, ResumeForm
from arrears.delinquency.models import Bucket, ClassificationOverride, LoanStatus, StatusChange
from arrears.portfolio.models import Loan
from arrears.portfolio.selectors import get_loan
from arrears.rules.models import Classification

PANEL_TEMPLATE = "delinquency/panel.html"


# --- reads for the loan page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Allocated:
    """What the close's allocation did with one installment, in fen, as of the business date."""

    paid: int  # principal, interest and fees paid
    unpaid: int  # principal, interest and fees still open
    penalty_accrued: int
    penalty_paid: int
    cleared_on: dt.date | None
    days_overdue: int  # 0 unless past due and not cleared


def installment_allocation(loan: Loan, as_of: dt.date) -> dict[int, Allocated]:
    """Per installment number: the allocation of the one-loan recompute (the batch's own partition function on
    this loan's rows, a few milliseconds), so the schedule shows what is paid and what penalty interest runs.
    Empty for loans the close does not compute (not active)."""
    inputs = io.read_inputs(io.loan_filter(loan_ids=[loan.pk]))
    if inputs["loans"].is_empty():
        return {}
    result = state_as_of(inputs, as_of, io.load_rules([as_of])[as_of], detail=True)
    allocated = {}
    for row in result.installments.iter_rows(named=True):
        due = row["principal_due"] + row["interest_due"] + row["fee_due"]
        paid = row["principal_paid"] + row["interest_paid"] + row["fee_paid"]
        cleared_on = row["cleared_on"]
        overdue = cleared_on is None and row["due_date"] < as_of
        allocated[row["installment_no"]] = Allocated(
            paid=paid,
            unpaid=due - paid,
            penalty_accrued=row["penalty_accrued"],
            penalty_paid=row["penalty_paid"],
            cleared_on=cleared_on,
            days_overdue=(as_of - row["due_date"]).days if overdue else 0,
        )
    return allocated


def schedule_context(loan: Loan, installments: list[Any], status: LoanStatus | None) -> dict[str, Any]:
    """The schedule table's rows with their allocation (when a close has run) and the allocation's totals."""
    allocated = installment_allocation(loan, status.as_of) if status is not None else {}
    rows = [{"installment": i, "alloc": allocated.get(i.installment_no)} for i in installments]
    totals = {
        name: sum(getattr(a, name) for a in allocated.values())
        for name in ("paid", "unpaid", "penalty_accrued", "penalty_paid")
    }
    return {
        "schedule_rows": rows,
        "allocation_as_of": status.as_of if allocated and status else None,
        "allocation_totals": totals,
    }


@dataclass(frozen=True)
class HistoryRow:
    field: str
    what: str
    value_code: str
    value: str
    entered: dt.date
    left: dt.date | None
    days: int


def _value_label(field: str, value: str) -> str:
    if field == StatusChange.Field.CLASSIFICATION and value in Classification.values:
        return str(Classification(value).label)
    if field == StatusChange.Field.OVERDUE:
        return _("In arrears")
    return value


def history_rows(loan: Loan, as_of: dt.date | None) -> list[HistoryRow]:
    """The bucket, classification and overdue intervals, newest first; an open interval counts its days
    through `as_of`."""
    rows = []
    for interval in selectors.history(loan):
        end = interval.left or ((as_of + dt.timedelta(days=1)) if as_of else None)
        rows.append(
            HistoryRow(
                field=interval.field,
                what=str(StatusChange.Field(interval.field).label),
                value_code=interval.value,
                value=_value_label(interval.field, interval.value),
                entered=interval.entered,
                left=interval.left,
                days=max((end - interval.entered).days, 0) if end else 0,
            )
        )
    return sorted(rows, key=lambda r: (r.entered, r.field), reverse=True)


def _buckets(loan: Loan, codes: set[str]) -> dict[str, Bucket]:
    """Bucket code → bucket in the set the loan's product uses (the default set otherwise)."""
    if not codes:
        return {}
    buckets = list(Bucket.objects.filter(code__in=codes).select_related("bucket_set"))
    sets = {b.bucket_set_id: b.bucket_set for b in buckets}
    chosen = next((s.pk for s in sets.values() if loan.product_type in s.product_types), None)
    if chosen is None:
        chosen = next((s.pk for s in sets.values() if s.is_default), None)
    return {b.code: b for b in buckets if b.bucket_set_id == chosen}


def panel_context(
    request: HttpRequest,
    loan: Loan,
    status: LoanStatus | None,
    *,
    pause_form: PauseForm | None = None,
    resume_form: ResumeForm | None = None,
    override_form: OverrideRequestForm | None = None,
    notice: str = "",
    error: str = "",
) -> dict[str, Any]:
    """What `delinquency/panel.html` needs, under the key `dq` (so it sits beside the loan page's context)."""
    user = request.user
    as_of = status.as_of if status is not None else None
    pauses = selectors.pauses(loan)
    open_pause = next((p for p in pauses if p.end is None), None)
    overrides = selectors.overrides(loan)
    may_pause = roles.can(user, roles.PAUSE_DELINQUENCY)
    may_request = roles.can(user, roles.REQUEST_CLASSIFICATION)
    may_approve = roles.can(user, roles.APPROVE_CLASSIFICATION)
    default_day = as_of or local_today()
    if resume_form is not None and open_pause is None:  # e.g. ended meanwhile: no form left to show it on
        error = error or " ".join(str(e) for errors in resume_form.errors.values() for e in errors)
        resume_form = None
    by_bucket: dict[str, int] = status.overdue_by_bucket if status is not None else {}
    buckets = _buckets(loan, {*by_bucket, *([status.bucket] if status and status.bucket else [])})
    by_bucket_rows = [
        {"code": code, "name": buckets[code].name if code in buckets else "", "amount": amount}
        for code, amount in sorted(
            by_bucket.items(),
            key=lambda item: (buckets[item[0]].min_days if item[0] in buckets else 0, item[0]),
        )
    ]
    if pause_form is None and may_pause:
        pause_form = PauseForm(prefix="pause", initial={"start": default_day})
    if resume_form is None and may_pause and open_pause is not None:
        resume_form = ResumeForm(prefix="resume", initial={"end": default_day})
    if override_form is None and may_request:
        override_form = OverrideRequestForm(
            prefix="override",
            rule_classification=status.rule_classification if status else None,
            initial={"effective_from": default_day},
        )
    return {
        "dq": {
            "status": status,
            "as_of": as_of,
            "never_closed": status is None and services.business_date() is None,
            "manual_stricter": status is not None and status.classification != status.rule_classification,
            "by_bucket": by_bucket_rows,
            "bucket_name": buckets[status.bucket].name if status and status.bucket in buckets else "",
            "pauses": pauses,
            "open_pause": open_pause,
            "overrides": [
                {
                    "row": o,
                    "decidable": may_approve
                    and o.status == ClassificationOverride.Status.PENDING
                    and o.requested_by_id != user.pk,
                    "own_pending": o.status == ClassificationOverride.Status.PENDING
                    and o.requested_by_id == user.pk,
                }
                for o in overrides
            ],
            "history": history_rows(loan, as_of),
            "pause_form": pause_form,
            "resume_form": resume_form,
            "override_form": override_form
            if override_form is not None and override_form.has_choices()
            else None,
            "notice": notice,
            "error": error,
        }
    }


# --- actions ----------------------------------------------------------------------------------------------


def _require(request: HttpRequest, capability: str) -> None:
    if not roles.can(request.user, capability):
        raise PermissionDenied(_("You may not do this."))


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)  # login_required: a signed-in arrears user


def _loan_url(loan: Loan) -> str:
    return reverse("portfolio:loan_detail", args=[loan.pk]) + "#delinquency"


def _panel(request: HttpRequest, loan: Loan, **kwargs: Any) -> HttpResponse:
    """The panel with the loan's fresh status (the action's inline recompute may have replaced it)."""
    context = {"loan": loan, **panel_context(request, loan, selectors.loan_status(loan), **kwargs)}
    return render(request, PANEL_TEMPLATE, context)


def _act(
    request: HttpRequest,
    loan: Loan,
    capability: str,
    form: forms.Form,
    action: Callable[[dict[str, Any]], str],
    form_key: str | None,
) -> HttpResponse:
    """Check the capability, parse `form`, run `action` (which calls a service and returns the notice), and
    answer: the panel (HTMX) or a redirect to the loan page with a message. Domain errors are shown on the form
    (`form_key`: the panel_context argument it is re-rendered as) or above the panel; NotFound stays a 404,
    and PermissionDenied a 403 outside HTMX."""
    error = ""
    try:
        _require(request, capability)
        if form.is_valid():
            notice = action(form.cleaned_data)
            if request.htmx:  # type: ignore[attr-defined]
                return _panel(request, loan, notice=notice)
            messages.success(request, notice)
            return redirect(_loan_url(loan))
    except NotFound:
        raise
    except PermissionDenied as exc:
        if not request.htmx:  # type: ignore[attr-defined]
            raise
        error = exc.message
    except DomainError as exc:
        if form_key is None:
            error = exc.message
        else:
            form.add_error(None, exc.message)
    if form_key is None and not error:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    if request.htmx:  # type: ignore[attr-defined]
        return _panel(request, loan, error=error, **({form_key: form} if form_key else {}))
    for text in [error, *(str(e) for errors in form.errors.values() for e in errors if form_key)]:
        if text:
            messages.error(request, text)
    return redirect(_loan_url(loan))


@login_required
@require_POST
def add_pause(request: HttpRequest, loan_id: str) -> HttpResponse:
    loan = get_loan(request.user, loan_id)

    def pause(data: dict[str, Any]) -> str:
        services.pause(
            loan,
            data["start"],
            reason=data["reason"],
            end=data["end"],
            note=data["note"],
            actor=_user(request),
        )
        if data["end"]:
            return _("Delinquency paused from %(start)s to %(end)s.") % {
                "start": data["start"].isoformat(),
                "end": data["end"].isoformat(),
            }
        return _("Delinquency paused from %(start)s until further notice.") % {
            "start": data["start"].isoformat()
        }

    form = PauseForm(request.POST, prefix="pause")
    return _act(request, loan, roles.PAUSE_DELINQUENCY, form, pause, "pause_form")


@login_required
@require_POST
def resume_pause(request: HttpRequest, loan_id: str, pause_id: int) -> HttpResponse:
    loan = get_loan(request.user, loan_id)
    pause_row = selectors.get_pause(loan, pause_id)

    def resume(data: dict[str, Any]) -> str:
        services.resume(pause_row, data["end"], actor=_user(request))
        return _("The pause ended on %(end)s; delinquency runs again from the next day.") % {
            "end": data["end"].isoformat()
        }

    form = ResumeForm(request.POST, prefix="resume")
    return _act(request, loan, roles.PAUSE_DELINQUENCY, form, resume, "resume_form")


@login_required
@require_POST
def request_classification(request: HttpRequest, loan_id: str) -> HttpResponse:
    loan = get_loan(request.user, loan_id)
    status = selectors.current_status(loan)

    def request_override(data: dict[str, Any]) -> str:
        services.request_override(
            loan, data["classification"], data["effective_from"], data["reason"], actor=_user(request)
        )
        return _("Manual classification requested; it applies once another person approves it.")

    form = OverrideRequestForm(
        request.POST, prefix="override", rule_classification=status.rule_classification if status else None
    )
    return _act(request, loan, roles.REQUEST_CLASSIFICATION, form, request_override, "override_form")


@login_required
@require_POST
def decide_classification(request: HttpRequest, loan_id: str, override_id: int) -> HttpResponse:
    loan = get_loan(request.user, loan_id)
    override = ClassificationOverride.objects.filter(loan=loan, pk=override_id).first()
    if override is None:
        raise NotFound(f"classification request {override_id} of loan {loan_id} not found")

    def decide(data: dict[str, Any]) -> str:
        approve = data["decision"] == DecisionForm.APPROVE
        services.decide_override(override, approve, actor=_user(request))
        return _("Manual classification approved.") if approve else _("Manual classification rejected.")

    form = DecisionForm(request.POST)
    return _act(request, loan, roles.APPROVE_CLASSIFICATION, form, decide, None)
