"""The strategy step, pure: conditions as data, segment choice by priority, the stable champion/challenger split,
treatment paths step by step, and capacity-weighted dealing."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from arrears.batch.steps import cases as case_step
from arrears.batch.steps import strategy as step

DAY = dt.date(2026, 5, 1)


def test_conditions_are_checked_with_clear_messages() -> None:
    with pytest.raises(ValidationError, match="unknown field 'dps'"):
        step.conditions([{"field": "dps", "op": "gt", "value": 1}])
    with pytest.raises(
        ValidationError, match="bucket is text: it can be compared with eq, ne, in, not_in only"
    ):
        step.conditions([{"field": "bucket", "op": "gt", "value": "M1"}])
    with pytest.raises(ValidationError, match="overdue needs an amount in yuan, not 'lots'"):
        step.conditions([{"field": "overdue", "op": "ge", "value": "lots"}])
    with pytest.raises(ValidationError, match="in needs a non-empty list"):
        step.conditions([{"field": "risk_level", "op": "in", "value": "high"}])
    (money,) = step.conditions([{"field": "balance", "op": "ge", "value": "5,000.50"}])
    assert money.value == 500_050  # yuan in, fen compared


def test_the_first_matching_segment_by_priority_wins_and_missing_facts_fail() -> None:
    facts = pl.DataFrame(
        {"dpd": [5, 45, 95, 95], "risk_level": ["low", "high", "high", None], "overdue": [10_000, 0, 900_000, 1],
         "days_since_contact": [None, 3, 10, None]}
    )  # fmt: skip
    segments = [
        (1, step.conditions([{"field": "dpd", "op": "gt", "value": 90},
                             {"field": "risk_level", "op": "in", "value": ["high", "critical"]}])),
        (2, step.conditions([{"field": "dpd", "op": "gt", "value": 30}])),
        (3, step.conditions([{"field": "days_since_contact", "op": "eq", "value": None}])),
    ]  # fmt: skip
    assert step.choose_segments(facts, segments).to_list() == [3, 2, 1, 2]


def arms(champion_bp: int, challenger_bp: int) -> pl.DataFrame:
    return pl.DataFrame(
        {"segment_id": [1, 1], "path_id": [10, 20], "basis_points": [champion_bp, challenger_bp],
         "champion": [True, False]}
    )  # fmt: skip


def test_the_split_is_stable_near_its_shares_and_moves_only_the_boundary_cases() -> None:
    cases = pl.DataFrame({"id": range(1, 20_001), "segment_id": 1})
    first = step.choose_arms(cases, arms(5000, 5000))
    assert first.equals(step.choose_arms(cases.sample(fraction=1, shuffle=True, seed=3), arms(5000, 5000))
                        .sort("id"))  # fmt: skip
    share = first.filter(pl.col("path_id") == 20).height / cases.height
    assert 0.48 < share < 0.52
    widened = step.choose_arms(cases, arms(6000, 4000))
    moved = first.join(widened, on="id", suffix="_new").filter(pl.col("path_id") != pl.col("path_id_new"))
    assert set(moved.select("path_id", "path_id_new").unique().rows()) == {
        (20, 10)
    }  # challenger → champion only
    assert 0.08 < moved.height / cases.height < 0.12
    partial = step.choose_arms(cases, arms(3000, 2000))  # half the segment has no path
    assert 0.48 < partial["path_id"].null_count() / cases.height < 0.52


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 2**31 - 1), min_size=1, max_size=50, unique=True), st.integers(0, 10_000))
def test_a_case_keeps_its_arm_whatever_else_is_in_the_batch(ids: list[int], champion_bp: int) -> None:
    table = arms(champion_bp, 10_000 - champion_bp)
    together = step.choose_arms(pl.DataFrame({"id": ids, "segment_id": 1}), table)
    for row in together.iter_rows(named=True):
        alone = step.choose_arms(pl.DataFrame({"id": [row["id"]], "segment_id": 1}), table)
        assert alone["path_id"].to_list() == [row["path_id"]]


PATHS = step.path_steps(
    {
        1: (step.steps([{"channel": "sms", "template": "r1"}, {"channel": "call", "wait_days": 2}]), True),
        2: (step.steps([{"channel": "legal_review", "escalation": "legal"}, {"channel": "call", "wait_days": 7}]), False),
    }
)  # fmt: skip


def test_a_path_fires_one_step_per_close_repeats_or_ends() -> None:
    entered = step.entry(pl.DataFrame({"id": [1, 2], "path_id": [1, 2]}), PATHS, DAY)
    assert entered["next_step_on"].to_list() == [DAY, DAY] and entered["path_step"].to_list() == [0, 0]
    fired = step.due(entered, PATHS, DAY)
    assert fired.select("id", "channel", "escalation", "path_step", "next_step_on").rows() == [
        (1, "sms", "", 1, DAY + dt.timedelta(days=2)),
        (2, "legal_review", "legal", 1, DAY + dt.timedelta(days=7)),
    ]
    later = fired.select("id", "path_step", "next_step_on").with_columns(path_id=pl.Series([1, 2]))
    assert step.due(later, PATHS, DAY + dt.timedelta(days=1)).is_empty()  # not yet due
    week = step.due(later, PATHS, DAY + dt.timedelta(days=30))  # days missed: still one step each
    assert week.select("id", "channel", "path_step").rows() == [(1, "call", 0), (2, "call", 2)]
    assert week["next_step_on"].to_list() == [DAY + dt.timedelta(days=30), None]  # repeats / done


def test_a_path_needs_steps_with_known_channels() -> None:
    with pytest.raises(ValueError, match="at least one step"):
        step.steps([])
    with pytest.raises(ValidationError, match="unknown channel 'fax'"):
        step.steps([{"channel": "fax"}])


def roster(*people: tuple[int, int, int | None]) -> pl.DataFrame:
    return pl.DataFrame(
        people, schema={"user_id": pl.Int64, "load": pl.Int64, "capacity": pl.Int64}, orient="row"
    )


def cases_(n: int) -> pl.DataFrame:
    return pl.DataFrame({"id": range(1, n + 1)}, schema={"id": pl.Int64})


def test_dealing_without_limits_is_round_robin_by_load() -> None:
    dealt = case_step.deal(cases_(7), roster((1, 0, None), (2, 3, None), (3, 1, None)))
    loads = {1: 0, 2: 3, 3: 1} | {}
    for user_id, n in dealt.group_by("user_id").len().iter_rows():
        loads[user_id] += n
    assert sorted(loads.values()) == [3, 4, 4]  # levelled: 11 open cases over three people
    assert (
        dealt["id"].to_list()[:2] == [1, 2] and dealt["user_id"].to_list()[0] == 1
    )  # the least loaded first


def test_dealing_is_weighted_by_capacity_and_never_exceeds_it() -> None:
    dealt = case_step.deal(cases_(90), roster((1, 0, 20), (2, 0, 40), (3, 0, 60)))
    counts = dict(dealt.group_by("user_id").len().iter_rows())
    assert counts == {1: 15, 2: 30, 3: 45}  # in proportion to 20 : 40 : 60
    full = case_step.deal(cases_(200), roster((1, 10, 20), (2, 0, 40)))
    counts = dict(full.group_by("user_id").len().iter_rows())
    assert counts == {1: 10, 2: 40} and full.height == 50  # the other 150 stay unassigned
    assert case_step.deal(cases_(5), roster((1, 20, 20))).is_empty()
