"""The strategy pages (issue 5): the segments (priority, conditions in words, required skills, arms with their
shares and champion) and the treatment paths (their steps); a segment's outcomes per arm with "promote to
champion" for a challenger; the simulation of a past date.

Who may look: users who manage the strategy, and those who see every portfolio; others (and an outside agency's
users) get a 403. Promotion posts to `services.promote`, which checks the capability again and audits it; reads
are `strategy.selectors`."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from pydantic import ValidationError

from arrears.accounts import roles
from arrears.accounts.models import User
from arrears.batch.steps import strategy as step
from arrears.cases import lifecycle
from arrears.cases.models import Case
from arrears.core.errors import DomainError, NotFound, PermissionDenied
from arrears.core.money import display_fen
from arrears.portfolio.models import CaseType, LenderType, ProductType
from arrears.risk.templatetags.risk import level_label
from arrears.rules.models import Classification
from arrears.strategy import selectors, services
from arrears.strategy.forms import PromoteForm, SimulateForm
from arrears.strategy.models import Arm, Segment, TreatmentPath

VIEW_CAPABILITIES = (roles.MANAGE_STRATEGY, roles.VIEW_ALL_PORTFOLIOS)

# The facts a condition tests (`batch.steps.strategy.FIELDS`) and its operators, in words.
FIELD_LABELS: dict[str, Promise] = {
    "dpd": gettext_lazy("Days past due"),
    "bucket": gettext_lazy("Bucket"),
    "classification": gettext_lazy("Classification"),
    "risk_level": gettext_lazy("Risk level"),
    "risk_score": gettext_lazy("Risk score"),
    "balance": gettext_lazy("Outstanding principal"),
    "overdue": gettext_lazy("Total overdue"),
    "product": gettext_lazy("Product"),
    "lender": gettext_lazy("Lender"),
    "lender_type": gettext_lazy("Lender type"),
    "case_type": gettext_lazy("Case type"),
    "status": gettext_lazy("Stage"),
    "province": gettext_lazy("Province"),
    "broken_promises": gettext_lazy("Broken promises to pay"),
    "contactability": gettext_lazy("Phone numbers on file"),
    "collateral": gettext_lazy("Collateral items"),
    "days_since_contact": gettext_lazy("Days since the last contact"),
}
OP_LABELS: dict[str, Any] = {
    "eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥",
    "in": gettext_lazy("is one of"), "not_in": gettext_lazy("is none of"),
}  # fmt: skip
# Coded values shown by their labels.
VALUE_LABELS: dict[str, dict[str, Any]] = {
    "classification": dict(Classification.choices),
    "product": dict(ProductType.choices),
    "lender_type": dict(LenderType.choices),
    "case_type": dict(CaseType.choices),
    "status": dict(lifecycle.STATE_LABELS),
}


# --- access -----------------------------------------------------------------------------------------------


def may_view(user: User | AnonymousUser) -> bool:
    return roles.can_any(user, VIEW_CAPABILITIES)


def _require_view(request: HttpRequest) -> User:
    return roles.require_any(request.user, VIEW_CAPABILITIES)


def _get_segment(segment_id: int) -> Segment:
    segment = Segment.objects.filter(pk=segment_id).first()
    if segment is None:
        raise NotFound(f"segment {segment_id} not found", segment_id=segment_id)
    return segment


def _business_day() -> Any:
    from arrears.cases.views import business_day

    return business_day()


# --- what the pages show -----------------------------------------------------------------------------------


def _value_text(field: str, kind: str, value: Any) -> str:
    if value is None:
        return _("no value")
    if kind == "money":
        return f"¥{display_fen(int(value))}"
    if field == "risk_level":
        return level_label(str(value))
    labels = VALUE_LABELS.get(field)
    if labels is not None and value in labels:
        return str(labels[value])
    return str(value)


def condition_text(raw: dict[str, Any]) -> dict[str, Any]:
    """One condition in words: {field, op, value, invalid}; one that does not parse is shown as written."""
    try:
        (condition,) = step.conditions([raw])
    except (ValidationError, ValueError, TypeError):
        return {
            "field": str(raw.get("field", "?")) if isinstance(raw, dict) else "?",
            "op": str(raw.get("op", "?")) if isinstance(raw, dict) else "?",
            "value": json.dumps(raw.get("value") if isinstance(raw, dict) else raw, ensure_ascii=False),
            "invalid": True,
        }
    kind = step.FIELDS[condition.field]
    values = condition.value if isinstance(condition.value, list) else [condition.value]
    return {
        "field": str(FIELD_LABELS.get(condition.field, condition.field)),
        "op": str(OP_LABELS.get(condition.op, condition.op)),
        "value": ", ".join(_value_text(condition.field, kind, v) for v in values),
        "invalid": False,
    }


def step_text(raw: dict[str, Any]) -> dict[str, Any]:
    channel = str(raw.get("channel", ""))
    escalation = str(raw.get("escalation") or "")
    return {
        "channel": str(selectors.CHANNEL_LABELS.get(channel, channel)),
        "template": raw.get("template") or "",
        "wait_days": int(raw.get("wait_days") or 0),
        "escalation": str(lifecycle.STATE_LABELS.get(escalation, escalation)) if escalation else "",
    }


def rate_text(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _arms(segment: Segment) -> list[Arm]:
    """The segment's arms, champion first, each with its share in per cent (`arms__path` prefetched)."""
    arms = sorted(segment.arms.all(), key=lambda a: (not a.champion, a.path.name))
    for arm in arms:
        arm.percent = arm.basis_points / 100  # type: ignore[attr-defined]
    return arms


def _segment_row(segment: Segment, arms: list[Arm], open_cases: int) -> dict[str, Any]:
    return {
        "segment": segment,
        "conditions": [condition_text(c) for c in segment.conditions or []],
        "skills": list(segment.required_skills or []),
        "arms": arms,
        "open_cases": open_cases,
    }


# --- pages -------------------------------------------------------------------------------------------------


@login_required
def strategy_home(request: HttpRequest) -> HttpResponse:
    user = _require_view(request)
    open_cases = dict(
        Case.objects.exclude(status=lifecycle.CLOSED)
        .filter(segment__isnull=False)
        .order_by()
        .values("segment_id")
        .annotate(n=Count("pk"))
        .values_list("segment_id", "n")
    )
    segments = [
        _segment_row(s, _arms(s), open_cases.get(s.pk, 0))
        for s in Segment.objects.prefetch_related("arms__path").order_by("priority", "pk")
    ]
    paths = [
        {"path": p, "steps": [step_text(s) for s in p.steps or []]}
        for p in TreatmentPath.objects.order_by("name")
    ]
    context = {
        "segments": segments,
        "paths": paths,
        "simulate_form": SimulateForm(initial={"as_of": _business_day()}),
        "may_manage": roles.can(user, roles.MANAGE_STRATEGY),
    }
    return render(request, "strategy/home.html", context)


def _outcome_rows(segment: Segment, arms: list[Arm], as_of: Any) -> list[dict[str, Any]]:
    """The segment's arms now (champion first), each with its outcomes so far, then the paths it no longer runs
    that still have treatments to report."""
    outcomes = {r["path_id"]: r for r in selectors.outcomes(as_of, segment)}
    rows = []
    for arm in arms:
        result = outcomes.pop(arm.path_id, None)
        rows.append(_outcome_row(arm.path, arm.basis_points / 100, arm.champion, True, result))
    if outcomes:
        names = {p.pk: p for p in TreatmentPath.objects.filter(pk__in=list(outcomes))}
        for path_id, result in outcomes.items():
            rows.append(_outcome_row(names.get(path_id), 0.0, False, False, result))
    return rows


def _outcome_row(
    path: TreatmentPath | None, percent: float, champion: bool, current: bool, result: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "path": path,
        "percent": percent,
        "champion": champion,
        "current": current,
        "cases": result["cases"] if result else 0,
        "open": result["open"] if result else 0,
        "cure_rate": rate_text(result["cure_rate"]) if result else "—",
        "roll_forward_rate": rate_text(result["roll_forward_rate"]) if result else "—",
        "recovered_fen": result["recovered_fen"] if result else 0,
    }


def _render_segment(
    request: HttpRequest, user: User, segment: Segment, *, bound: PromoteForm | None = None, status: int = 200
) -> HttpResponse:
    as_of = _business_day()
    segment = Segment.objects.prefetch_related("arms__path").get(pk=segment.pk)
    arms = _arms(segment)
    open_cases = Case.objects.exclude(status=lifecycle.CLOSED).filter(segment=segment).count()
    context = {
        "segment": segment,
        "row": _segment_row(segment, arms, open_cases),
        "as_of": as_of,
        "outcomes": _outcome_rows(segment, arms, as_of),
        "may_manage": roles.can(user, roles.MANAGE_STRATEGY),
        "promote_form": bound,
    }
    return render(request, "strategy/segment.html", context, status=status)


@login_required
def segment_detail(request: HttpRequest, segment_id: int) -> HttpResponse:
    user = _require_view(request)
    return _render_segment(request, user, _get_segment(segment_id))


@login_required
@require_POST
def promote(request: HttpRequest, segment_id: int) -> HttpResponse:
    """Make a challenger the segment's champion for every case (`services.promote`), with a reason."""
    user = _require_view(request)
    if not roles.can(user, roles.MANAGE_STRATEGY):
        raise PermissionDenied(_("You may not change the collection strategy."))
    segment = _get_segment(segment_id)
    form = PromoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for the promotion."))
        return _render_segment(request, user, segment, bound=form, status=400)
    arm = segment.arms.select_related("path").filter(path_id=form.cleaned_data["path"]).first()
    if arm is None:
        raise NotFound(f"path {form.cleaned_data['path']} is not an arm of segment {segment.pk}")
    if arm.champion:
        messages.error(request, _("%(path)s is already the champion.") % {"path": arm.path.name})
        return redirect("strategy_segment", segment_id=segment.pk)
    try:
        services.promote(segment, arm.path, actor=user, reason=form.cleaned_data["reason"])
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(path)s is now the champion of %(segment)s for every case, from the next close.")
            % {"path": arm.path.name, "segment": segment.name},
        )
    return redirect("strategy_segment", segment_id=segment.pk)


@login_required
def simulate(request: HttpRequest) -> HttpResponse:
    """What the strategy in force now would have done on a past date (`selectors.simulate`; sends nothing)."""
    _require_view(request)
    as_of = _business_day()
    form = SimulateForm(request.GET or None, initial={"as_of": as_of})
    result = None
    if form.is_valid():
        day = form.cleaned_data["as_of"]
        if day > as_of:
            form.add_error(
                "as_of", _("Choose a date on or before the business date %(day)s.") % {"day": as_of}
            )
        else:
            try:
                result = selectors.simulate(day)
            except DomainError as exc:
                form.add_error("as_of", exc.message)
    rows = []
    if result is not None:
        rows = [
            {
                **arm,
                "first_step_label": str(
                    selectors.CHANNEL_LABELS.get(arm["first_step"] or "", arm["first_step"] or "")
                ),
            }
            for arm in result["arms"]
        ]
    context = {"form": form, "result": result, "rows": rows, "as_of": as_of}
    return render(request, "strategy/simulate.html", context, status=400 if form.errors else 200)
