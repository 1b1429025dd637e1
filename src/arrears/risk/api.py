"""Risk endpoints of /api/v1: model versions (without the model itself: its features summarised, its
cross-validation and its latest drift) and a borrower's risk grade.

The model endpoints answer users who may open the risk pages (`risk.views.may_view`), others get 403. A
borrower is looked up through `accounts.selectors.visible_borrowers` (one the caller may not see is a 404), and
their grade is their riskiest loan among the loans the caller may see.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from arrears.accounts.selectors import visible_borrowers, visible_loans
from arrears.core.errors import NotFound, PermissionDenied
from arrears.risk import selectors
from arrears.risk.models import ModelMonitor, RiskModel
from arrears.risk.views import may_view, psi_band

router = Router(tags=["risk"])


class ModelOut(Schema):
    id: int
    name: str
    version: int
    kind: str
    status: str
    auc: float | None
    ks: float | None
    gini: float | None
    registered_by: str | None
    registered_at: dt.datetime
    approved_by: str | None
    approved_at: dt.datetime | None


class FeatureOut(Schema):
    name: str
    kind: str
    iv: float | None
    coefficient: float | None
    bins: list[str]
    woe: list[float]  # one per bin, then the missing bin's


class IgnoredOut(Schema):
    column: str
    reason: str


class DriftOut(Schema):
    """PSI against the training population at the latest close that scored with the model; `bands` says
    stable (< 0.1), shifting (0.1–0.25) or shifted (> 0.25) for `score` and each feature."""

    as_of: dt.date
    rows: int
    score: float | None
    features: dict[str, float]
    bands: dict[str, str]


class ModelDetailOut(ModelOut):
    description: str
    training: dict[str, Any]
    metrics: dict[str, Any]
    features: list[FeatureOut]
    ignored: list[IgnoredOut]
    latest_psi: DriftOut | None


class ReasonOut(Schema):
    code: str
    zh: str
    en: str


class BorrowerRiskOut(Schema):
    """The borrower's riskiest visible loan at the latest close (nulls when none is graded)."""

    borrower_id: str
    status_as_of: dt.date | None
    risk_score: int | None
    risk_level: str | None
    risk_reasons: list[str]
    risk_reason_texts: list[ReasonOut]
    risk_measures: list[ReasonOut]
    pd: float | None
    loan_id: str | None
    loans_scored: int


def _require_view(request: HttpRequest) -> None:
    if not may_view(request.user):
        raise PermissionDenied(_("You may not do this."))


def _drift(monitor: ModelMonitor | None) -> dict[str, Any] | None:
    if monitor is None:
        return None
    psi = monitor.psi or {}
    features = dict(psi.get("features") or {})
    bands = {"score": psi_band(psi.get("score")), **{name: psi_band(v) for name, v in features.items()}}
    return {
        "as_of": monitor.as_of,
        "rows": monitor.rows,
        "score": psi.get("score"),
        "features": features,
        "bands": bands,
    }


@router.get("/models", response=list[ModelOut])
def models(request: HttpRequest) -> list[dict[str, Any]]:
    _require_view(request)
    return [selectors.model_summary(row) for row in selectors.models()]


@router.get("/models/{model_id}", response=ModelDetailOut)
def model(request: HttpRequest, model_id: int) -> dict[str, Any]:
    _require_view(request)
    row = RiskModel.objects.select_related("registered_by", "approved_by").filter(pk=model_id).first()
    if row is None:
        raise NotFound(f"risk model {model_id} not found")
    artifact = row.artifact
    monitors = selectors.monitors(row, 1)
    return {
        **selectors.model_summary(row),
        "description": row.description,
        "training": artifact.get("training") or {},
        "metrics": row.metrics or {},
        "features": [
            {
                "name": f["name"],
                "kind": f.get("kind", ""),
                "iv": f.get("iv"),
                "coefficient": f.get("coefficient"),
                "bins": f.get("bins", []),
                "woe": f.get("woe", []),
            }
            for f in artifact.get("features", [])
        ],
        "ignored": [
            {"column": i.get("column", ""), "reason": i.get("reason", "")}
            for i in artifact.get("ignored", [])
        ],
        "latest_psi": _drift(monitors[0] if monitors else None),
    }


@router.get("/borrowers/{borrower_id}", response=BorrowerRiskOut)
def borrower(request: HttpRequest, borrower_id: str) -> dict[str, Any]:
    """The borrower's grade (`selectors.borrower_risk`) among the loans the caller may see."""
    if not visible_borrowers(request.user).filter(pk=borrower_id).exists():
        raise NotFound(f"borrower {borrower_id} not found")
    worst, graded = selectors.borrower_risk(borrower_id, visible_loans(request.user))
    return {
        "borrower_id": borrower_id,
        "status_as_of": worst.as_of if worst else None,
        "loan_id": worst.loan_id if worst else None,
        "loans_scored": graded,
        **selectors.risk_as_dict(worst),
    }
