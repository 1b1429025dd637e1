"""The rule scorecard as pure functions: the score's arithmetic and rounding, levels, missing values,
categorical bins, reasons, and the definition's validation."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import polars as pl
import pytest
from pydantic import ValidationError

from arrears.risk import scorecard
from arrears.risk.services import DEFAULT_SCORECARD

LEVELS = [{"level": lv, "min_score": s} for lv, s in zip(scorecard.LEVELS, (0, 250, 500, 750), strict=True)]
TEXT = {"zh": "文", "en": "text"}


def definition(**changes: Any) -> dict[str, Any]:
    """Two factors: dpd (weight 3) and guarantee type (weight 1)."""
    base: dict[str, Any] = {
        "factors": [
            {
                "code": "dpd",
                "feature": "dpd",
                "weight": 3,
                "bins": [
                    {"below": 1, "points": 0},
                    {"below": 91, "points": 50, "reason": "late"},
                    {"points": 100, "reason": "very_late"},
                ],
                "missing": {"points": 20, "reason": "unknown_dpd"},
            },
            {
                "code": "guarantee",
                "feature": "guarantee_type",
                "weight": 1,
                "bins": [
                    {"values": ["joint"], "points": 0},
                    {"values": ["general"], "points": 30, "reason": "general"},
                    {"values": ["none"], "points": 100, "reason": "no_guarantee"},
                ],
                "missing": {"points": 100, "reason": "no_guarantee"},
            },
        ],
        "levels": copy.deepcopy(LEVELS),
        "haircuts": {"real_estate": "0.7"},
        "reasons": {c: TEXT for c in ("late", "very_late", "unknown_dpd", "general", "no_guarantee")},
        "measures": {"critical": ["legal_review"]},
        "measure_texts": {"legal_review": TEXT},
    }
    base.update(changes)
    return base


def scored(rows: dict[str, list[Any]], **changes: Any) -> pl.DataFrame:
    frame = pl.DataFrame({"loan_id": [f"L{i}" for i in range(len(next(iter(rows.values()))))], **rows})
    return scorecard.score(frame, scorecard.Definition.model_validate(definition(**changes)))


def test_score_is_the_weighted_share_of_points_rounded_half_up() -> None:
    out = scored(
        {"dpd": [0, 30, 120, None, 30], "guarantee_type": ["joint", "general", "none", "joint", None]}
    )
    # 1000 × (3·points_dpd + 1·points_guarantee) ÷ 400
    # L0: 0 → 0; L1: (150 + 30)/400 = 450; L2: (300 + 100)/400 = 1000; L3: 60/400 = 150; L4: (150 + 100)/400 = 625
    assert out["risk_score"].to_list() == [0, 450, 1000, 150, 625]
    assert out["risk_level"].to_list() == ["low", "medium", "critical", "low", "high"]


def test_half_a_point_rounds_up() -> None:
    changed = definition()
    changed["factors"][0]["bins"][1]["points"] = 49
    changed["factors"][1]["bins"][1]["points"] = 0
    frame = pl.DataFrame({"loan_id": ["a"], "dpd": [30], "guarantee_type": ["general"]})
    # scale 400: 1000 × 3·49 / 400 = 367.5 → 368 (half up, not to even)
    assert scorecard.score(frame, scorecard.Definition.model_validate(changed))["risk_score"][0] == 368
    changed["factors"][1]["bins"][1]["points"] = 1  # 1000 × 148 / 400 = 370 exactly
    assert scorecard.score(frame, scorecard.Definition.model_validate(changed))["risk_score"][0] == 370
    changed["factors"][0]["weight"] = 7  # scale 800: 1000 × 7·49 / 800 = 428.75 → 429
    changed["factors"][1]["bins"][1]["points"] = 0
    assert scorecard.score(frame, scorecard.Definition.model_validate(changed))["risk_score"][0] == 429


def test_level_boundaries_are_inclusive_at_the_threshold() -> None:
    out = scored({"dpd": [30, 30], "guarantee_type": ["none", "joint"]})
    # (150 + 100)/400 = 625 → high (≥ 500); 150/400 = 375 → medium (≥ 250)
    assert out["risk_level"].to_list() == ["high", "medium"]
    levels = copy.deepcopy(LEVELS)
    levels[2]["min_score"] = 625
    assert scored({"dpd": [30], "guarantee_type": ["none"]}, levels=levels)["risk_level"][0] == "high"


def test_reasons_are_the_largest_contributions_with_a_code() -> None:
    out = scored({"dpd": [120, 30, 0, None], "guarantee_type": ["general", "none", "joint", None]})
    reasons = [json.loads(r) for r in out["risk_reasons"]]
    assert reasons[0] == ["very_late", "general"]  # 300 before 30
    assert reasons[1] == ["late", "no_guarantee"]  # 150 before 100
    assert reasons[2] == []  # nothing added to the score
    assert reasons[3] == ["no_guarantee", "unknown_dpd"]  # missing values score their own points and reasons


def test_unknown_category_scores_as_missing() -> None:
    out = scored({"dpd": [0], "guarantee_type": ["pledge"]})
    assert out["risk_score"][0] == 250  # the missing bin: 100 points × weight 1 of 400
    assert json.loads(out["risk_reasons"][0]) == ["no_guarantee"]


def test_a_feature_the_frame_lacks_scores_as_missing() -> None:
    frame = pl.DataFrame({"loan_id": ["a"], "guarantee_type": ["joint"]})
    out = scorecard.score(frame, scorecard.Definition.model_validate(definition()))
    assert out["risk_score"][0] == 150  # 3 × 20 of 400


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["factors"][0].update(feature="shoe_size"), "unknown feature 'shoe_size'"),
        (lambda d: d["factors"][0]["bins"][1].update(below=0), "must increase"),
        (lambda d: d["factors"][0]["bins"][2].update(below=500), "the last has none"),
        (lambda d: d["factors"][1]["bins"][0].pop("values"), "lists its values"),
        (lambda d: d["reasons"].pop("late"), "reason code(s) without a text: late"),
        (lambda d: d["levels"].reverse(), "levels must be low, medium, high, critical"),
        (lambda d: d["levels"][2].update(min_score=100), "must increase"),
        (lambda d: d["factors"][1].update(code="dpd"), "factor codes must be unique"),
        (lambda d: d["measures"].update(low=["pray"]), "measure code(s) without a text: pray"),
        (lambda d: d["factors"][0]["bins"][0].update(points=101), "less than or equal to 100"),
    ],
)
def test_definition_errors_say_what_is_wrong(change: Any, message: str) -> None:
    data = definition()
    change(data)
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        scorecard.Definition.model_validate(data)


def test_the_shipped_scorecard_is_valid_and_names_every_reason_in_both_languages() -> None:
    data = json.loads(DEFAULT_SCORECARD.read_text())
    card = scorecard.Definition.model_validate(data["definition"])
    groups = {g for f in card.factors for g, names in scorecard.FEATURES.items() if f.feature in names}
    assert groups == {"overdue", "credit", "collateral", "guarantee"}
    assert all(text.zh and text.en for text in card.reasons.values())
    assert set(card.measures) == set(scorecard.LEVELS)


def test_features_from_frames() -> None:
    """One loan per situation; the features a user would check by hand."""
    as_of = dt.date(2026, 4, 15)
    status = pl.DataFrame(
        {
            "loan_id": ["A", "B"],
            "borrower_id": ["X", "Y"],
            "dpd": [40, 0],
            "times_overdue": [2, 1],
            "max_dpd": [40, 10],
            "outstanding_principal": [100_000, 50_000],
            "overdue_principal": [20_000, 0],
            "overdue_interest": [3_000, 0],
            "overdue_fees": [0, 0],
            "penalty_interest": [2_000, 0],
        }
    )
    day = pl.Date
    installments = pl.DataFrame(
        {
            "loan_id": ["A", "A", "A", "B", "B"],
            "due_date": [dt.date(2026, 1, 5), dt.date(2026, 2, 5), dt.date(2026, 3, 5)] * 1
            + [dt.date(2026, 3, 1), dt.date(2026, 5, 1)],
            "cleared_on": [dt.date(2026, 1, 5), dt.date(2026, 2, 8), None, dt.date(2026, 3, 11), None],
        },
        schema_overrides={"due_date": day, "cleared_on": day},
    )
    loans = pl.DataFrame({"loan_id": ["A", "B"], "grace_days": [3, 0]})
    collateral = pl.DataFrame(
        {
            "loan_id": ["A", "A"],
            "kind": ["real_estate", "vehicle"],
            "appraised_value": [100_000, 20_000],
            "appraised_on": [dt.date(2025, 1, 1), dt.date(2026, 1, 15)],
            "lien_rank": [2, 1],
            "registered": [False, True],
        }
    )
    guarantees = pl.DataFrame(
        {
            "loan_id": ["B", "B"],
            "guarantee_type": ["general", "general"],
            "period_end": [dt.date(2026, 1, 1), None],
            "guarantor_overdue": [False, True],
        },
        schema_overrides={"period_end": day},
    )
    borrowers = pl.DataFrame(
        {
            "borrower_id": ["X", "Y"],
            "phone": ["13800000000", ""],
            "extra": ['{"credit_score": "612", "other_overdue_accounts": 2}', "{}"],
            "contact_phones": [1, 0],
        }
    )
    haircuts = {"real_estate": Decimal("0.7"), "vehicle": Decimal("0.5")}
    out = scorecard.features(status, installments, loans, collateral, guarantees, borrowers, as_of, haircuts)
    a, b = out.row(0, named=True), out.row(1, named=True)
    assert a["overdue_ratio"] == pytest.approx(0.25)  # (20,000 + 3,000 + 2,000) / 100,000
    assert a["installments_overdue"] == 1
    assert a["on_time_ratio"] == pytest.approx(2 / 3)  # 02-08 is within grace 3 of 02-05; 03-05 is unpaid
    assert a["cures"] == 1  # two episodes, the second still open
    assert a["collateral_coverage"] == pytest.approx(0.8)  # (70,000 + 10,000) / 100,000
    assert (a["lien_rank"], a["collateral_registered"], a["appraisal_age_days"]) == (1, 1, 90)
    assert (a["credit_score"], a["other_overdue_accounts"], a["contact_channels"]) == (612, 2, 2)
    assert (a["guarantee_type"], a["guarantor_overdue"], a["guarantee_running"]) == ("none", None, None)
    assert b["on_time_ratio"] == 0  # 03-11 is late with no grace; 05-01 is not due yet
    assert b["installments_overdue"] == 0  # cleared by as_of
    assert (b["collateral_coverage"], b["lien_rank"], b["collateral_registered"]) == (0, None, None)
    assert (b["guarantee_type"], b["guarantor_overdue"], b["guarantee_running"]) == ("general", 1, 1)
    assert (b["credit_score"], b["contact_channels"]) == (None, 0)


def test_installment_counts_do_not_depend_on_row_order() -> None:
    as_of = dt.date(2026, 4, 15)
    installments = pl.DataFrame(
        {
            "loan_id": ["B", "A", "B", "A", "A"],
            "due_date": [
                dt.date(2026, 3, 1),
                dt.date(2026, 1, 5),
                dt.date(2026, 5, 1),
                dt.date(2026, 3, 5),
                dt.date(2026, 2, 5),
            ],
            "cleared_on": [dt.date(2026, 3, 11), dt.date(2026, 1, 5), None, None, dt.date(2026, 2, 8)],
        }
    )
    loans = pl.DataFrame({"loan_id": ["A", "B"], "grace_days": [3, 0]})
    shuffled = scorecard._installment_days(installments, loans, as_of).sort("loan_id")
    in_runs = scorecard._installment_days(installments.sort("loan_id", "due_date"), loans, as_of)
    assert shuffled.equals(in_runs)
    assert in_runs.rows() == [("A", 1, pytest.approx(2 / 3)), ("B", 0, 0.0)]


def test_the_credit_report_survives_documents_that_are_not_flat_objects() -> None:
    extra = pl.Series(
        ['{"credit_score": 610}', None, "{}", '{"credit_score": {"x": 1}, "other_overdue_accounts": 2}']
    )
    report = scorecard.credit_report(extra)
    assert report["credit_score"].to_list() == [610.0, None, None, None]
    assert report["other_overdue_accounts"].to_list() == [None, None, None, 2.0]


# ---------------------------------------------------------------------------------- score against a reference


def reference_score(frame: pl.DataFrame, card: scorecard.Definition, reasons: int) -> list[tuple[Any, ...]]:
    """`scorecard.score` the obvious way, row by row: each factor's bin, the score as an exact fraction rounded
    half up, the level, and the reasons sorted by part, largest first, ties in factor order."""
    scale = 100 * sum(f.weight for f in card.factors)
    out = []
    for row in frame.iter_rows(named=True):
        parts = []
        for factor in card.factors:
            value = row.get(factor.feature)
            if factor.feature in scorecard.CATEGORICAL:
                found = [b for b in factor.bins if value is not None and str(value) in (b.values or [])]
                chosen = found[0] if found else factor.missing
            elif value is None or value != value:  # null or NaN
                chosen = factor.missing
            else:
                chosen = next(b for b in factor.bins if b.below is None or value < b.below)
            parts.append((factor.weight * chosen.points, chosen.reason))
        total = Fraction(1000 * sum(p for p, _ in parts), scale)
        points = int(total + Fraction(1, 2))  # half up (total ≥ 0)
        level = [lv.level for lv in card.levels if lv.min_score <= points][-1]
        order = sorted(range(len(parts)), key=lambda j: (-parts[j][0], j))[:reasons]
        codes = [parts[j][1] for j in order if parts[j][0] > 0 and parts[j][1]]
        out.append((row["loan_id"], points, level, json.dumps(codes, separators=(",", ":"))))
    return out


def random_card(rng: np.random.Generator, factors: int) -> scorecard.Definition:
    """`factors` factors on numeric features and one on the guarantee type, with few distinct points and weights
    (so that parts tie often), some bins without a reason code."""
    numeric = [f for f in scorecard.ALL_FEATURES if f not in scorecard.CATEGORICAL]
    codes = [f"r{i}" for i in range(12)]

    def bin_(**fields: Any) -> dict[str, Any]:
        reason = str(rng.choice(codes)) if rng.random() < 0.75 else ""
        return {"points": int(rng.choice([0, 20, 50, 50, 100])), "reason": reason, **fields}

    chosen = []
    for j, feature in enumerate(rng.choice(numeric, factors, replace=False)):
        bounds = sorted(rng.choice(np.arange(-2, 10), int(rng.integers(0, 4)), replace=False).tolist())
        bins = [bin_(below=float(b)) for b in bounds] + [bin_()]
        chosen.append({"code": f"f{j}", "feature": str(feature), "weight": int(rng.choice([1, 2, 4])),
                       "bins": bins, "missing": bin_()})  # fmt: skip
    groups = [["joint"], ["general"], ["none", "other"]]
    chosen.append({"code": "g", "feature": "guarantee_type", "weight": int(rng.choice([1, 2, 4])),
                   "bins": [bin_(values=g) for g in groups], "missing": bin_()})  # fmt: skip
    return scorecard.Definition.model_validate(definition(factors=chosen, reasons=dict.fromkeys(codes, TEXT)))


def random_features(rng: np.random.Generator, n: int) -> pl.DataFrame:
    """Small numbers (many on the bounds), a tenth null, a few NaN; guarantee types with unseen ones."""
    columns: dict[str, Any] = {"loan_id": [f"L{i}" for i in range(n)]}
    for name in scorecard.ALL_FEATURES:
        if name in scorecard.CATEGORICAL:
            values = rng.choice(["joint", "general", "none", "other", "pledge"], n).astype(object)
            values[rng.random(n) < 0.1] = None
            columns[name] = pl.Series(values.tolist(), dtype=pl.String)
            continue
        values = rng.integers(-3, 12, n).astype(float) + np.where(rng.random(n) < 0.3, 0.5, 0.0)
        values[rng.random(n) < 0.02] = np.nan
        columns[name] = pl.Series(values).fill_nan(None)
        if rng.random() < 0.3:  # and some columns keep NaN itself (a float column from numpy)
            columns[name] = pl.Series(np.where(rng.random(n) < 0.05, np.nan, values))
    return pl.DataFrame(columns)


@pytest.mark.parametrize("seed", range(6))
def test_score_equals_the_row_by_row_reference_with_ties(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(seed)
    card = random_card(rng, factors=int(rng.integers(1, 9)))
    frame = random_features(rng, 3000)
    monkeypatch.setattr(scorecard, "CHUNK", 1000 + seed)  # several chunks, the last one short
    for reasons in (1, 3, 5):
        got = scorecard.score(frame, card, reasons=reasons)
        assert got.rows() == reference_score(frame, card, reasons)
        assert got.schema == {
            "loan_id": pl.String, "risk_score": pl.Int32, "risk_level": pl.String, "risk_reasons": pl.String,
        }  # fmt: skip


def test_score_of_the_shipped_scorecard_equals_the_reference_across_chunks() -> None:
    """More rows than a chunk, the shipped scorecard, and an empty frame."""
    card = scorecard.Definition.model_validate(json.loads(DEFAULT_SCORECARD.read_text())["definition"])
    frame = random_features(np.random.default_rng(42), scorecard.CHUNK + 5000)
    assert scorecard.score(frame, card).rows() == reference_score(frame, card, scorecard.REASON_COUNT)
    assert scorecard.score(frame.clear(), card).height == 0


# ------------------------------------------------------------------------------- the credit report as columns

CREDIT_DOCUMENTS = [  # `extra`, and its fields as the batch's reader hands them over (see tests/batch/test_io.py)
    ('{"credit_score": 610, "other_overdue_accounts": 2, "broken_promises": 1}', (1.0, 610.0, 2.0)),
    ('{"credit_score": "612.5", "employer": "某某", "other_overdue_accounts": "two"}', (None, 612.5, None)),
    ('{"credit_score": true, "broken_promises": null, "other_overdue_accounts": [1]}', (None, None, None)),
    ('{"report": {"credit_score": 700}}', (None, None, None)),
    ("{}", (None, None, None)),
    (None, (None, None, None)),
]


def test_the_credit_reports_columns_give_the_features_parsing_extra_gives() -> None:
    n = len(CREDIT_DOCUMENTS)
    as_of = dt.date(2026, 4, 15)
    ids = [f"B{i}" for i in range(n)]
    status = pl.DataFrame(
        {
            "loan_id": [f"L{i}" for i in range(n)],
            "borrower_id": ids,
            **{c: [i % 3 for i in range(n)] for c in ("dpd", "times_overdue", "max_dpd")},
            **{c: [1000] * n for c in ("outstanding_principal", "overdue_principal")},
            **{c: [0] * n for c in ("overdue_interest", "overdue_fees", "penalty_interest")},
        }
    )
    installments = pl.DataFrame(
        {"loan_id": ["L0"], "due_date": [dt.date(2026, 1, 5)], "cleared_on": [None]},
        schema_overrides={"cleared_on": pl.Date},
    )
    loans = pl.DataFrame({"loan_id": status["loan_id"], "grace_days": [0] * n})
    collateral = pl.DataFrame(
        schema={"loan_id": pl.String, "kind": pl.String, "appraised_value": pl.Int64,
                "appraised_on": pl.Date, "lien_rank": pl.Int32, "registered": pl.Boolean}
    )  # fmt: skip
    guarantees = pl.DataFrame(
        schema={"loan_id": pl.String, "guarantee_type": pl.String, "period_end": pl.Date,
                "guarantor_overdue": pl.Boolean}
    )  # fmt: skip
    extra = pl.DataFrame(
        {
            "borrower_id": ids,
            "phone": ["138"] * n,
            "extra": pl.Series([doc for doc, _ in CREDIT_DOCUMENTS], dtype=pl.String),
            "contact_phones": [0] * n,
        }
    )
    fields = pl.DataFrame([fields for _, fields in CREDIT_DOCUMENTS], schema=scorecard.CREDIT_FIELDS,
                          orient="row").cast(pl.Float64)  # fmt: skip
    columns = pl.concat([extra, fields], how="horizontal")

    def features(borrowers: pl.DataFrame) -> pl.DataFrame:
        return scorecard.features(status, installments, loans, collateral, guarantees, borrowers, as_of, {})

    assert scorecard.credit_report(extra["extra"]).equals(fields)  # the parse reads what the reader selects
    assert scorecard.borrower_credit(columns).equals(fields)
    parsed, selected = features(extra), features(columns)
    assert parsed.equals(selected)
    assert selected["credit_score"].to_list() == [610.0, 612.5, None, None, None, None]
    # the columns are used when there: `extra` is not read at all then
    assert features(columns.with_columns(extra=pl.lit("{}"))).equals(selected)
    assert features(columns.drop("credit_score")).equals(parsed)  # not all of them: `extra` is parsed
