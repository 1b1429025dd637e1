"""Reads of the risk app: the scorecard and model in force, a borrower's risk, a model's drift."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from arrears.core.errors import NotFound
from arrears.delinquency.models import LoanStatus
from arrears.portfolio.models import Loan
from arrears.risk import scorecard
from arrears.risk.models import Approval, ModelMonitor, RiskModel, Scorecard

# An approved version never changes (a change is a new version), so its parsed definition is kept per process,
# keyed by id and creation time (ids come back after a test database is flushed).
_PARSED: dict[tuple[int, dt.datetime], scorecard.Definition] = {}


def scorecards_in_force(dates: Iterable[dt.date]) -> dict[dt.date, scorecard.Definition]:
    """Per date, the approved scorecard with the latest `effective_from` on or before it. One small query (the
    approved versions without their definitions); each version's definition is read and parsed once."""
    versions = list(
        Scorecard.objects.filter(status=Approval.APPROVED)
        .order_by("-effective_from", "-pk")
        .only("pk", "effective_from", "created_at")
    )
    in_force = {}
    for day in dates:
        row = next((v for v in versions if v.effective_from <= day), None)
        if row is None:
            raise NotFound(f"no approved scorecard is in force on {day}")
        key = (row.pk, row.created_at)
        if key not in _PARSED:
            definition = Scorecard.objects.values_list("definition", flat=True).get(pk=row.pk)
            _PARSED[key] = scorecard.Definition.model_validate(definition)
        in_force[day] = _PARSED[key]
    return in_force


def scorecard_in_force(day: dt.date) -> scorecard.Definition:
    return scorecards_in_force([day])[day]


def approved_model() -> RiskModel | None:
    return RiskModel.objects.filter(status=Approval.APPROVED).first()


def models() -> QuerySet[RiskModel]:
    return RiskModel.objects.select_related("registered_by", "approved_by").defer("artifact")


def chosen_metrics(row: RiskModel) -> dict[str, float]:
    """The cross-validated metrics of the kind the model is (the winner of champion vs challenger)."""
    metrics = row.metrics.get(row.kind) if isinstance(row.metrics, dict) else None
    return metrics if isinstance(metrics, dict) else {}


def model_summary(row: RiskModel) -> dict[str, Any]:
    """A model version as the API and `arrears risk models --json` show it (not the model itself)."""
    chosen = chosen_metrics(row)
    return {
        "id": row.pk,
        "name": row.name,
        "version": row.version,
        "kind": row.kind,
        "status": row.status,
        "auc": chosen.get("auc"),
        "ks": chosen.get("ks"),
        "gini": chosen.get("gini"),
        "registered_by": row.registered_by.get_username() if row.registered_by else None,
        "registered_at": row.registered_at,
        "approved_by": row.approved_by.get_username() if row.approved_by else None,
        "approved_at": row.approved_at,
    }


def borrower_risk(borrower_id: str, loans: QuerySet[Loan]) -> tuple[LoanStatus | None, int]:
    """A borrower's risk is their riskiest loan's: that loan's status (None when none is graded) and how many of
    their loans were graded — among `loans`, what the reader may see (a collector whose team works one lender
    does not learn about the borrower's loans with another)."""
    graded = LoanStatus.objects.filter(
        loan__in=loans.filter(borrower_id=borrower_id), risk_score__isnull=False
    )
    return graded.order_by("-risk_score", "loan_id").first(), graded.count()


def risk_as_dict(status: LoanStatus | None) -> dict[str, Any]:
    """The risk fields of `loan show --json` and the API (issue 4): the scorecard's score, level and reason codes,
    the reasons and the measures the level calls for in both languages, and the approved model's probability."""
    if status is None:
        return {"risk_score": None, "risk_level": None, "risk_reasons": [], "risk_reason_texts": [],
                "risk_measures": [], "pd": None}  # fmt: skip
    codes = list(status.risk_reasons or [])
    level = status.risk_level or None
    day = status.as_of

    def both(zh: list[dict[str, Any]], en: list[dict[str, Any]]) -> list[dict[str, str]]:
        return [{"code": a["code"], "zh": a["text"], "en": b["text"]} for a, b in zip(zh, en, strict=True)]

    return {
        "risk_score": status.risk_score,
        "risk_level": level,
        "risk_reasons": codes,
        "risk_reason_texts": both(reasons_text(codes, day, "zh"), reasons_text(codes, day, "en")),
        "risk_measures": both(measures(level, day, "zh"), measures(level, day, "en")) if level else [],
        "pd": status.pd,
    }


def reasons_text(codes: list[str], day: dt.date, language: str) -> list[dict[str, Any]]:
    """Reason codes with their text in `language`, from the scorecard in force on `day`."""
    try:
        definition = scorecard_in_force(day)
    except NotFound:
        return [{"code": code, "text": code} for code in codes]
    return scorecard.describe(definition, codes, language)


def measures(level: str, day: dt.date, language: str) -> list[dict[str, str]]:
    """The measures the scorecard in force recommends for `level`."""
    try:
        definition = scorecard_in_force(day)
    except NotFound:
        return []
    english = language.startswith("en")
    return [
        {"code": code, "text": getattr(definition.measure_texts[code], "en" if english else "zh")}
        for code in definition.measures.get(level, [])
    ]


def monitors(model: RiskModel, limit: int = 60) -> list[ModelMonitor]:
    return list(model.monitors.all()[:limit])


def training_set(as_of: dt.date, horizon: int = 30) -> Any:
    """Loans past due at the end of `as_of` with their risk features then, and what became of them `horizon` days
    later: `outcome` is `cured` (dpd back to 0), `rolled_forward` (dpd grew by the whole horizon: nothing paid)
    or `partial` (paid something, still past due). Both dates must be closed history (≤ the business date)."""
    import polars as pl

    from arrears.batch import io, partition
    from arrears.batch.runner import latest_closed

    later = as_of + dt.timedelta(days=horizon)
    latest = latest_closed()
    if latest is None or later > latest:
        raise NotFound(f"{later} is after the business date ({latest}): the outcome is not known yet")
    inputs = io.read_inputs()
    rules = io.load_rules([as_of, later])
    features = partition.risk_features(inputs, as_of, rules[as_of]).filter(pl.col("dpd") > 0)
    after = partition.state_as_of(inputs, later, rules[later], summary=True).status.select(
        "loan_id", dpd_after=pl.col("dpd")
    )
    return (
        features.join(after, on="loan_id", how="inner", maintain_order="left")
        .with_columns(
            outcome=pl.when(pl.col("dpd_after") == 0)
            .then(pl.lit("cured"))
            .when(pl.col("dpd_after") >= pl.col("dpd") + horizon)
            .then(pl.lit("rolled_forward"))
            .otherwise(pl.lit("partial"))
        )
        .drop("dpd_after")
    )
