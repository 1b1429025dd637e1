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


# ------------------------------------------------------------------------------- LightGBM walked on the bins


def every_bin(features: list[dict]) -> np.ndarray:
    """Rows of bin numbers covering every bin (with missing and unseen) of every feature, in random mixes."""
    rng = np.random.default_rng(5)
    sizes = [len(f["bins"]) + 2 for f in features]
    rows = 20 * max(sizes)
    return np.column_stack([np.resize(rng.permutation(np.arange(size).repeat(20)), rows) for size in sizes])


def test_the_trees_walked_on_the_bins_sum_to_lightgbms_raw_score_bit_for_bit(boosted: dict) -> None:
    """The model of the fixture is trained on data with missing values (their own bin, with its WOE)."""
    forest = modeling.lightgbm_forest(boosted)
    assert forest is not None and len(forest.roots) == 300
    bins = every_bin(boosted["features"])
    walked = risk._log_odds(boosted, bins)
    predicted = modeling.log_odds(boosted, modeling.woe_values(boosted["features"], bins))
    assert np.array_equal(walked, predicted)  # not approximately: the same additions in the same order
    assert modeling.lightgbm_forest(boosted) is forest  # read once per model


def lightgbm_model(x: np.ndarray, y: np.ndarray, woe: list[list[float]], **params: object) -> dict:
    """A model whose booster is trained on `x` directly (its thresholds land where the test wants them) and whose
    features' WOE tables are `woe` (one value per bin number; the last bin, missing, then an unseen category's
    0)."""
    import lightgbm

    params = {"objective": "binary", "num_leaves": 6, "min_data_in_leaf": 5, "verbose": -1, "num_threads": 1,
              "seed": 1, **params}  # fmt: skip
    categorical = params.pop("categorical_feature", "auto")
    data = lightgbm.Dataset(x, y, params={"verbose": -1}, categorical_feature=categorical)
    booster = lightgbm.train(params, data, num_boost_round=40)
    features = [{"name": f"x{j}", "bins": ["b"] * (len(w) - 1), "woe": w} for j, w in enumerate(woe)]
    return {"kind": "lightgbm", "lightgbm": booster.model_to_string(), "features": features}


@pytest.mark.parametrize(
    "params",
    [{}, {"zero_as_missing": True}, {"use_missing": False}, {"min_data_per_group": 5, "max_bin": 15}],
    ids=["nan-missing", "zero-missing", "no-missing", "coarse"],
)
def test_lightgbms_decision_rules_per_bin(params: dict) -> None:
    """NaN, zeros, values within 1e-35 of zero and values on the thresholds themselves, under each missing
    type: the tabulated decisions are LightGBM's."""
    rng = np.random.default_rng(11)
    n = 4000
    x = rng.choice([-1.5, -0.2, 0.0, 0.3, 0.7, 2.0, np.nan], size=(n, 3))
    y = (np.nan_to_num(x[:, 0], nan=1.0) + (x[:, 1] == 0) + np.isnan(x[:, 2]) + rng.normal(0, 0.7, n)) > 0.8
    first = lightgbm_model(x, y.astype(int), [[0.0]] * 3, **params)
    thresholds = sorted({float(t) for line in first["lightgbm"].splitlines() if line.startswith("threshold=")
                         for t in line.split("=")[1].split()})  # fmt: skip
    values = [np.nan, 0.0, -0.0, 1e-36, -1e-36, 1e-30, -1.5, -0.2, 0.3, 0.7, 2.0, *thresholds,
              *(np.nextafter(t, np.inf) for t in thresholds)]  # fmt: skip
    model = lightgbm_model(x, y.astype(int), [values] * 3, **params)
    forest = modeling.lightgbm_forest(model)
    assert forest is not None
    bins = every_bin(model["features"])
    walked = risk._log_odds(model, bins)
    predicted = modeling.log_odds(model, modeling.woe_values(model["features"], bins))
    assert np.array_equal(walked, predicted)


@pytest.mark.parametrize(
    ("params", "why"),
    [
        ({"linear_tree": True}, "linear trees"),
        ({"objective": "multiclass", "num_class": 3}, "several classes"),
        ({"boosting": "rf", "bagging_fraction": 0.5, "bagging_freq": 1}, "averaged output"),
        ({"categorical_feature": [0]}, "categorical splits"),
    ],
)
def test_boosters_the_tables_do_not_cover_are_left_to_lightgbm(params: dict, why: str) -> None:
    rng = np.random.default_rng(2)
    x = np.column_stack([rng.integers(0, 6, 3000), rng.normal(size=3000)]).astype(float)
    y = ((x[:, 0] % 2 == 1) ^ (x[:, 1] > 0.5)).astype(int)
    if params.get("objective") == "multiclass":
        y = y + (x[:, 1] > 1)
    model = lightgbm_model(x, y, [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], **params)
    assert modeling.lightgbm_forest(model) is None, why
    if "num_class" not in params:  # and the batch still scores with them, through LightGBM's predict
        bins = every_bin(model["features"])
        expected = modeling.log_odds(model, modeling.woe_values(model["features"], bins))
        assert np.array_equal(risk._log_odds(model, bins), expected)
