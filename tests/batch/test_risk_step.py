"""The batch's risk step on frames: the model's probability for loans past due only, computed once per distinct
combination of bins and equal to scoring every row on its own."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from arrears.batch.steps import risk
from arrears.risk import modeling


@pytest.fixture(scope="module")
def boosted() -> dict:
    rng = np.random.default_rng(3)
    n = 1500
    dpd = rng.integers(0, 200, n)
    frame = pl.DataFrame(
        {
            "dpd": dpd,
            "on_time_ratio": pl.Series(np.where(rng.random(n) < 0.1, np.nan, rng.random(n))).fill_nan(None),
            "guarantee_type": rng.choice(["joint", "general", "none"], n),
            "outcome": np.where(rng.random(n) < (dpd / 250 + 0.1), "rolled_forward", "cured"),
        }
    )
    model, _cv = modeling.train(frame, "outcome", ["rolled_forward"], folds=2)
    model["kind"] = (
        "lightgbm"  # whichever won: the step must agree with row-by-row scoring for the harder one
    )
    if "lightgbm" not in model:
        x = modeling.woe_matrix(model["features"], frame)
        model["lightgbm"] = modeling._fit_lightgbm(x, (frame["outcome"] == "rolled_forward").to_numpy(), 0)
        model["lightgbm"] = model["lightgbm"].booster_.model_to_string()
    return model


def test_the_probability_equals_scoring_each_loan_alone(boosted: dict) -> None:
    rng = np.random.default_rng(9)
    n = 5000
    frame = pl.DataFrame(
        {
            "loan_id": [f"L{i}" for i in range(n)],
            "dpd": rng.integers(0, 400, n),
            "on_time_ratio": pl.Series(np.where(rng.random(n) < 0.2, np.nan, rng.random(n))).fill_nan(None),
            "guarantee_type": rng.choice(["joint", "general", "none", "pledge"], n),  # pledge: unseen
        }
    )
    pd, counts = risk._model_pd(frame, boosted, 7)
    overdue = frame["dpd"] > 0
    alone = modeling.score_frame(boosted, frame.filter(overdue))["probability"]
    assert pd.filter(overdue).to_list() == alone.to_list()
    assert pd.filter(~overdue).null_count() == (~overdue).sum()  # not past due: not the model's population
    assert counts["rows"] == overdue.sum() and counts["model_id"] == 7
    assert all(sum(c) == overdue.sum() for c in counts["features"].values())
    assert sum(counts["score"]) == overdue.sum()


def test_no_loan_past_due_means_no_probability_and_no_counts(boosted: dict) -> None:
    frame = pl.DataFrame({"loan_id": ["a"], "dpd": [0], "on_time_ratio": [1.0], "guarantee_type": ["joint"]})
    pd, counts = risk._model_pd(frame, boosted, 1)
    assert pd.to_list() == [None] and counts == {}


def test_counts_of_two_partitions_add_up() -> None:
    a = {"model_id": 1, "rows": 2, "features": {"dpd": [1, 1, 0]}, "score": [2, 0]}
    b = {"model_id": 1, "rows": 3, "features": {"dpd": [0, 2, 1]}, "score": [1, 2]}
    assert risk.add_counts(a, b) == {
        "model_id": 1,
        "rows": 5,
        "features": {"dpd": [1, 3, 1]},
        "score": [3, 2],
    }
    assert risk.add_counts({}, b) == b and risk.add_counts(a, {}) == a
