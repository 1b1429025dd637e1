"""The rule scorecard as pure functions: the score's arithmetic and rounding, levels, missing values,
categorical bins, reasons, and the definition's validation."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from typing import Any

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
