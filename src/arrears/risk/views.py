"""The risk pages (issue 4): the statistical models (list, and each version's training data, cross-validation,
features and drift, with its approval), and the rule scorecard (the version in force, every version, factors,
levels and measures).

Who may look: users who manage or approve risk configuration, and those who see every portfolio; others get a
403. Approvals post to `services.approve_model` / `services.approve_scorecard`, which enforce the capability and
the four eyes; their domain errors come back as messages on the page.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from pydantic import ValidationError

from arrears.accounts import roles
from arrears.accounts.models import User
from arrears.core.dates import local_today
from arrears.core.errors import DomainError, NotFound
from arrears.portfolio.models import CollateralKind
from arrears.risk import scorecard, selectors, services
from arrears.risk.models import Approval, ModelMonitor, RiskLevel, RiskModel, Scorecard

# Who may open the risk pages.
VIEW_CAPABILITIES = (roles.MANAGE_RISK, roles.APPROVE_RISK, roles.VIEW_ALL_PORTFOLIOS)
MONITORS_SHOWN = 30  # the score's PSI over this many latest closes

# PSI bands (modeling.psi): below 0.1 stable, 0.1–0.25 shifting, above 0.25 shifted.
PSI_STABLE, PSI_SHIFTED = 0.1, 0.25
PSI_LABELS = {
    "stable": gettext_lazy("Stable"),
    "shifting": gettext_lazy("Shifting"),
    "shifted": gettext_lazy("Shifted"),
}

GROUP_LABELS: dict[str, Promise] = {
    "overdue": gettext_lazy("Overdue behaviour"),
    "credit": gettext_lazy("Credit and conduct"),
    "collateral": gettext_lazy("Collateral"),
    "guarantee": gettext_lazy("Guarantee"),
    "model": gettext_lazy("Statistical model"),
}

# The batch's features (scorecard.FEATURES) in words; a model trained on another table shows its column names.
FEATURE_LABELS: dict[str, Promise] = {
    "dpd": gettext_lazy("Days past due"),
    "times_overdue": gettext_lazy("Times overdue"),
    "max_dpd": gettext_lazy("Longest days past due"),
    "installments_overdue": gettext_lazy("Installments overdue"),
    "overdue_ratio": gettext_lazy("Overdue amount / outstanding principal"),
    "on_time_ratio": gettext_lazy("Share of installments paid on time"),
    "cures": gettext_lazy("Overdue episodes cured"),
    "broken_promises": gettext_lazy("Broken promises to pay"),
    "credit_score": gettext_lazy("Credit score"),
    "other_overdue_accounts": gettext_lazy("Overdue accounts elsewhere"),
    "contact_channels": gettext_lazy("Contact channels"),
    "collateral_coverage": gettext_lazy("Collateral coverage"),
    "lien_rank": gettext_lazy("Lien rank"),
    "collateral_registered": gettext_lazy("Collateral registered"),
    "appraisal_age_days": gettext_lazy("Days since the appraisal"),
    "guarantee_type": gettext_lazy("Guarantee type"),
    "guarantor_overdue": gettext_lazy("Guarantor overdue"),
    "guarantee_running": gettext_lazy("Guarantee period running"),
    "pd": gettext_lazy("Model probability of default"),
}

# Why `modeling.detect_columns` left a column out (stored in English in the model).
IGNORED_REASONS: dict[str, Promise] = {
    "identifier": gettext_lazy("identifier"),
    "constant": gettext_lazy("constant"),
    "empty": gettext_lazy("empty"),
    "dropped": gettext_lazy("dropped by the trainer"),
}
FREE_TEXT = re.compile(r"^free text \((\d+) distinct values\)$")

CV_METRICS = ("auc", "ks", "gini", "brier")
KIND_LABELS: dict[str, Promise] = {
    "logistic": gettext_lazy("WOE logistic regression"),
    "lightgbm": gettext_lazy("LightGBM"),
}


# --- access -----------------------------------------------------------------------------------------------


def may_view(user: User | AnonymousUser) -> bool:
    return roles.can_any(user, VIEW_CAPABILITIES)


def _require_view(request: HttpRequest) -> User:
    return roles.require_any(request.user, VIEW_CAPABILITIES)


# --- small helpers the templates and the API share -------------------------------------------------------


def psi_band(value: float | None) -> str:
    """stable | shifting | shifted ('' without a value)."""
    if value is None:
        return ""
    if value < PSI_STABLE:
        return "stable"
    return "shifting" if value <= PSI_SHIFTED else "shifted"


def psi_row(name: str, value: float | None) -> dict[str, Any]:
    band = psi_band(value)
    return {
        "name": name,
        "label": feature_label(name),
        "psi": value,
        "band": band,
        "band_label": PSI_LABELS.get(band, ""),
    }


def share_text(value: float | None, digits: int = 1) -> str:
    """A share as a percentage: 0.3333 → '33.3%' ('' without a value)."""
    return "" if value is None else f"{value * 100:.{digits}f}%"


def feature_label(name: str) -> str:
    return str(FEATURE_LABELS[name]) if name in FEATURE_LABELS else name


def ignored_reason(reason: str) -> str:
    match = FREE_TEXT.match(reason)
    if match:
        return _("free text (%(count)s distinct values)") % {"count": match.group(1)}
    return str(IGNORED_REASONS[reason]) if reason in IGNORED_REASONS else reason


def _when(text: Any) -> dt.datetime | None:
    """An ISO timestamp of the model (`trained_at`), or None."""
    try:
        return dt.datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _business_day() -> dt.date:
    from arrears.batch.runner import latest_closed

    return latest_closed() or local_today()


# --- models ------------------------------------------------------------------------------------------------


@login_required
def model_list(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    rows = [
        {"model": m, "cv": selectors.chosen_metrics(m), "kind_label": KIND_LABELS.get(m.kind, m.kind)}
        for m in selectors.models()
    ]
    return render(request, "risk/models.html", {"rows": rows, "tab": "models"})


def _get_model(model_id: int) -> RiskModel:
    row = RiskModel.objects.select_related("registered_by", "approved_by").filter(pk=model_id).first()
    if row is None:
        raise NotFound(f"risk model {model_id} not found")
    return row


def _cv_rows(row: RiskModel) -> list[dict[str, Any]]:
    cv = row.artifact.get("cv") or row.metrics or {}
    return [
        {
            "kind": kind,
            "label": KIND_LABELS[kind],
            "chosen": kind == row.kind,
            "metrics": {key: cv[kind].get(key) for key in CV_METRICS},
            "fold_auc": (cv[kind].get("fold_auc_mean"), cv[kind].get("fold_auc_std")),
            "fold_ks": (cv[kind].get("fold_ks_mean"), cv[kind].get("fold_ks_std")),
        }
        for kind in ("logistic", "lightgbm")
        if isinstance(cv.get(kind), dict)
    ]


def _feature_rows(row: RiskModel) -> list[dict[str, Any]]:
    features = []
    for feature in row.artifact.get("features", []):
        woe, shares = feature.get("woe", []), feature.get("shares", [])
        labels = [*feature.get("bins", []), _("Missing")]
        features.append(
            {
                "name": feature["name"],
                "label": feature_label(feature["name"]),
                "kind": feature.get("kind", ""),
                "iv": feature.get("iv"),
                "coefficient": feature.get("coefficient"),
                "bins": [
                    {
                        "label": label,
                        "woe": woe[i] if i < len(woe) else None,
                        "share": share_text(shares[i]) if i < len(shares) else "",
                    }
                    for i, label in enumerate(labels)
                ],
            }
        )
    return features


def drift_context(row: RiskModel, monitors: list[ModelMonitor]) -> dict[str, Any]:
    """The latest monitor's PSI per feature and for the score, with their bands, and the score's PSI over the
    monitors given (newest first)."""
    latest = monitors[0] if monitors else None
    psi = latest.psi if latest is not None else {}
    return {
        "latest": latest,
        "score": psi_row("score", psi.get("score")) if latest else None,
        "features": [psi_row(name, value) for name, value in (psi.get("features") or {}).items()],
        "history": [
            {
                "as_of": m.as_of,
                "rows": m.rows,
                **psi_row("score", (m.psi or {}).get("score")),
                "bar": min(100, round(100 * ((m.psi or {}).get("score") or 0) / (2 * PSI_SHIFTED))),
            }
            for m in monitors
        ],
    }


@login_required
def model_detail(request: HttpRequest, model_id: int) -> HttpResponse:
    user = _require_view(request)
    row = _get_model(model_id)
    artifact = row.artifact
    training = artifact.get("training") or {}
    draft = row.status == Approval.DRAFT
    may_approve = roles.can(user, roles.APPROVE_RISK)
    own = row.registered_by_id is not None and row.registered_by_id == user.pk
    context = {
        "tab": "models",
        "model": row,
        "kind_label": KIND_LABELS.get(row.kind, row.kind),
        "training": training,
        "trained_at": _when(artifact.get("trained_at")),
        "in_sample": training.get("in_sample") or {},
        "positive_rate": share_text(training.get("positive_rate")),
        "cv_rows": _cv_rows(row),
        "folds": (artifact.get("cv") or {}).get("folds"),
        "features": _feature_rows(row),
        "ignored": [
            {"column": i.get("column", ""), "reason": ignored_reason(i.get("reason", ""))}
            for i in artifact.get("ignored", [])
        ],
        "drift": drift_context(row, selectors.monitors(row, MONITORS_SHOWN)),
        "approvable": draft and may_approve and not own,
        "own_draft": draft and may_approve and own,
        "psi_stable": PSI_STABLE,
        "psi_shifted": PSI_SHIFTED,
    }
    return render(request, "risk/model_detail.html", context)


@login_required
@require_POST
def approve_model(request: HttpRequest, model_id: int) -> HttpResponse:
    user = _require_view(request)
    row = _get_model(model_id)
    try:
        services.approve_model(row, actor=user)
    except NotFound:
        raise
    except DomainError as exc:  # PermissionDenied (capability, four eyes) included: shown, not a 403
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(name)s v%(version)s is approved: it scores production loans from the next close.")
            % {"name": row.name, "version": row.version},
        )
    return redirect("risk:model_detail", model_id=row.pk)


# --- scorecard ---------------------------------------------------------------------------------------------


def _bin_label(definition_bins: list[scorecard.Bin], i: int) -> str:
    """A numeric bin as a range of its feature (the bins split at `below`)."""
    low = definition_bins[i - 1].below if i > 0 else None
    high = definition_bins[i].below
    if low is None and high is not None:
        return f"< {high:g}"
    if high is None and low is not None:
        return f"≥ {low:g}"
    if low is None:
        return _("Any value")
    return f"[{low:g}, {high:g})"


def _text(texts: dict[str, scorecard.Text], code: str, english: bool) -> str:
    if not code:
        return ""
    if code not in texts:
        return code
    return texts[code].en if english else texts[code].zh


def factor_groups(definition: scorecard.Definition, english: bool) -> list[dict[str, Any]]:
    """The factors by group of scorecard.FEATURES, with each bin's range, points and reason text, and each
    factor's weight as a share of all weights."""
    total = sum(f.weight for f in definition.factors) or 1
    group_of = {name: group for group, names in scorecard.FEATURES.items() for name in names}
    groups: dict[str, list[dict[str, Any]]] = {group: [] for group in scorecard.FEATURES}
    for factor in definition.factors:
        categorical = factor.feature in scorecard.CATEGORICAL
        bins = [
            {
                "label": ", ".join(b.values or []) if categorical else _bin_label(factor.bins, i),
                "points": b.points,
                "reason": b.reason,
                "reason_text": _text(definition.reasons, b.reason, english),
            }
            for i, b in enumerate(factor.bins)
        ]
        bins.append(
            {
                "label": _("Missing"),
                "points": factor.missing.points,
                "reason": factor.missing.reason,
                "reason_text": _text(definition.reasons, factor.missing.reason, english),
                "missing": True,
            }
        )
        groups[group_of.get(factor.feature, "model")].append(
            {
                "code": factor.code,
                "feature": factor.feature,
                "feature_label": feature_label(factor.feature),
                "weight": factor.weight,
                "share": share_text(factor.weight / total),
                "bins": bins,
            }
        )
    return [
        {
            "group": group,
            "label": GROUP_LABELS[group],
            "factors": factors,
            "weight": sum(f["weight"] for f in factors),
            "share": share_text(sum(f["weight"] for f in factors) / total),
        }
        for group, factors in groups.items()
        if factors
    ]


def level_rows(definition: scorecard.Definition, english: bool) -> list[dict[str, Any]]:
    levels = definition.levels
    return [
        {
            "level": lv.level,
            "label": RiskLevel(lv.level).label if lv.level in RiskLevel.values else lv.level,
            "min": lv.min_score,
            "max": levels[i + 1].min_score - 1 if i + 1 < len(levels) else 1000,
            "measures": [
                {"code": code, "text": _text(definition.measure_texts, code, english)}
                for code in definition.measures.get(lv.level, [])
            ],
        }
        for i, lv in enumerate(levels)
    ]


@login_required
def scorecard_page(request: HttpRequest, scorecard_id: int | None = None) -> HttpResponse:
    """The version `scorecard_id`, or the one in force on the business date (the latest close; today before
    any close), with every version."""
    user = _require_view(request)
    versions = list(
        Scorecard.objects.select_related("created_by", "approved_by")
        .defer("definition")
        .order_by("-effective_from", "-pk")
    )
    day = _business_day()
    in_force = next((v for v in versions if v.status == Approval.APPROVED and v.effective_from <= day), None)
    if scorecard_id is None:
        shown = in_force or (versions[0] if versions else None)
    else:
        shown = next((v for v in versions if v.pk == scorecard_id), None)
        if shown is None:
            raise NotFound(f"scorecard {scorecard_id} not found")
    english = (get_language() or "").startswith("en")
    definition = error = None
    if shown is not None:
        raw = Scorecard.objects.values_list("definition", flat=True).get(pk=shown.pk)
        try:
            definition = scorecard.Definition.model_validate(raw)
        except ValidationError as exc:
            error = str(exc)
    may_approve = roles.can(user, roles.APPROVE_RISK)
    context = {
        "tab": "scorecard",
        "day": day,
        "in_force": in_force,
        "shown": shown,
        "versions": [
            {
                "row": v,
                "in_force": in_force is not None and v.pk == in_force.pk,
                "approvable": v.status == Approval.DRAFT and may_approve and v.created_by_id != user.pk,
                "own_draft": v.status == Approval.DRAFT and may_approve and v.created_by_id == user.pk,
            }
            for v in versions
        ],
        "groups": factor_groups(definition, english) if definition else [],
        "levels": level_rows(definition, english) if definition else [],
        "haircuts": [
            {
                "kind": kind,
                "label": CollateralKind(kind).label if kind in CollateralKind.values else kind,
                "share": share_text(float(share), 0),
            }
            for kind, share in (definition.haircuts.items() if definition else [])
        ],
        "error": error,
    }
    return render(request, "risk/scorecard.html", context)


@login_required
@require_POST
def approve_scorecard(request: HttpRequest, scorecard_id: int) -> HttpResponse:
    user = _require_view(request)
    row = Scorecard.objects.filter(pk=scorecard_id).first()
    if row is None:
        raise NotFound(f"scorecard {scorecard_id} not found")
    try:
        services.approve_scorecard(row, actor=user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Scorecard %(name)s from %(date)s is approved: the close uses it from that date.")
            % {"name": row.name, "date": row.effective_from.isoformat()},
        )
    return redirect("risk:scorecard_version", scorecard_id=row.pk)
