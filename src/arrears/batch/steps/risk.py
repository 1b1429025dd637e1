"""The risk step: features of every loan, the approved model's probability, and the rule scorecard's score,
level and reasons. Set-based: a loop over factors and features, never over loans."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import polars as pl

from arrears.risk import modeling, scorecard

OUTPUT = {"risk_score": pl.Int32, "risk_level": pl.String, "risk_reasons": pl.String, "pd": pl.Float64}


@dataclass(frozen=True)
class RiskRules:
    """What scoring needs, as plain data: the scorecard in force and the approved model (if any)."""

    scorecard: scorecard.Definition
    model: dict[str, Any] | None = None
    model_id: int | None = None


def unscored(status: pl.DataFrame) -> pl.DataFrame:
    return status.with_columns(pl.lit(None, dtype=dtype).alias(name) for name, dtype in OUTPUT.items())


def assess(
    status: pl.DataFrame,
    installments: pl.DataFrame,
    inputs: dict[str, pl.DataFrame],
    as_of: dt.date,
    rules: RiskRules | None,
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """`status` with the OUTPUT columns, and the approved model's population on this partition (bin counts of
    every feature and of the score, summed over partitions for the model's drift)."""
    if rules is None or status.is_empty():
        return unscored(status), {}
    frame = scorecard.features(
        status,
        installments,
        inputs["loans"],
        inputs["collateral"],
        inputs["guarantees"],
        inputs["borrowers"],
        as_of,
        rules.scorecard.haircuts,
    )
    counts: dict[str, Any] = {}
    pd = pl.Series("pd", [None] * frame.height, dtype=pl.Float64)
    if rules.model is not None:
        pd, counts = _model_pd(frame, rules.model, rules.model_id)
        frame = frame.with_columns(pd)
    scored = scorecard.score(frame, rules.scorecard)
    return status.with_columns(
        risk_score=scored["risk_score"],
        risk_level=scored["risk_level"],
        risk_reasons=scored["risk_reasons"],
        pd=pd,
    ), counts


def _model_pd(
    frame: pl.DataFrame, model: dict[str, Any], model_id: int | None
) -> tuple[pl.Series, dict[str, Any]]:
    """The model's probability for the loans past due (the population it is trained on, see
    `risk.selectors.training_set`; null for the others), and their bin counts of every feature and of the score."""
    overdue = (frame["dpd"] > 0).to_numpy()
    if not overdue.any():
        return pl.Series("pd", [None] * frame.height, dtype=pl.Float64), {}
    rows = frame.filter(pl.Series(overdue))
    features = model["features"]
    index = np.column_stack([modeling.bin_index(f, rows) for f in features])
    # Every feature is binned, so a loan's prediction depends only on its bins: predict each distinct combination
    # once (thousands, however many loans) and spread the results back. Exact, and what keeps a boosted model
    # within the batch's time.
    radix = np.array([len(f["bins"]) + 2 for f in features], dtype=np.int64)
    key = (
        index @ np.concatenate([[1], np.cumprod(radix[:-1])])
        if np.prod(radix.astype(float)) < 2**62
        else None
    )
    if key is None:
        distinct, inverse = index, np.arange(rows.height)
    else:
        _keys, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        distinct = index[first]
    log_odds = _log_odds(model, distinct)[inverse.reshape(-1)]
    probability = np.full(frame.height, np.nan)
    probability[overdue] = np.round(1.0 / (1.0 + np.exp(-log_odds)), 6)
    edges = np.asarray(model["score_bins"]["edges"], dtype=float)
    counts = {
        "model_id": model_id,
        "rows": rows.height,
        "features": {
            f["name"]: np.bincount(np.minimum(index[:, j], len(f["bins"])), minlength=len(f["bins"]) + 1)
            .astype(int)
            .tolist()
            for j, f in enumerate(features)
        },
        "score": np.bincount(
            np.searchsorted(edges, modeling.points(log_odds, model["scaling"]), side="right"),
            minlength=len(edges) + 1,
        )
        .astype(int)
        .tolist(),
    }
    return pl.Series("pd", probability).fill_nan(None), counts


def _log_odds(model: dict[str, Any], bins: np.ndarray) -> np.ndarray:
    """The model's log-odds for each row of bin numbers (rows × features). A LightGBM model is walked on the bins
    themselves (`modeling.lightgbm_forest`: its decisions tabulated per bin; the same sums as LightGBM's, in about
    two thirds of the time its own predict takes on the WOE values, which converts and checks its input and
    compares floats at every node); a booster the tables do not cover, and the logistic model, take the WOE
    values."""
    forest = modeling.lightgbm_forest(model) if model["kind"] == "lightgbm" else None
    if forest is None:
        return modeling.log_odds(model, modeling.woe_values(model["features"], bins))
    return _forest_sum(
        np.ascontiguousarray(bins, dtype=np.int64),
        forest.roots,
        forest.feature,
        forest.left,
        forest.right,
        forest.goes_left,
        forest.leaf_value,
    )


@numba.njit(cache=True)
def _forest_sum(bins, roots, feature, left, right, goes_left, leaf_value):  # fmt: skip
    """Each row's sum over the trees of its leaf (see modeling.Forest), added tree after tree from 0.0 as
    LightGBM's PredictRaw does, so the sums are the same to the last bit."""
    out = np.empty(bins.shape[0])
    for i in range(bins.shape[0]):
        total = 0.0
        for t in range(roots.shape[0]):
            node = roots[t]
            while node >= 0:
                node = left[node] if goes_left[node, bins[i, feature[node]]] else right[node]
            total += leaf_value[~node]
        out[i] = total
    return out


def add_counts(total: dict[str, Any], part: dict[str, Any]) -> dict[str, Any]:
    """Counts of two partitions together."""
    if not total:
        return part
    if not part:
        return total
    return {
        "model_id": total["model_id"],
        "rows": total["rows"] + part["rows"],
        "features": {
            name: [a + b for a, b in zip(counts, part["features"][name], strict=True)]
            for name, counts in total["features"].items()
        },
        "score": [a + b for a, b in zip(total["score"], part["score"], strict=True)],
    }
