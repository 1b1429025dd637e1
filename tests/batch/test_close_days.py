"""The partition function: delinquent days, buckets, classification and history on worked examples
(domain-rules.md §1 and §10.1, issue 3)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import polars as pl
import pytest
from django.utils import translation

from arrears.batch.partition import Rules, close_days, state_as_of
from arrears.batch.steps.buckets import DEFAULT_RANGES, BucketRange, range_problems
from tests.batch.frames import RULES, D, fen, inputs, installment, loan, payment


def status(data: dict[str, pl.DataFrame], as_of: dt.date, rules: Rules = RULES) -> dict[str, Any]:
    result = state_as_of(data, as_of, rules)
    assert result.problems.height == 0, result.problems
    return result.status.row(0, named=True)


JAN_10 = D(2026, 1, 10)


def one_installment(due: dt.date = JAN_10, **loan_terms: Any) -> dict[str, pl.DataFrame]:
    return inputs([loan(**loan_terms)], [installment("L1", 1, due, "1000", "10")])


# --- days past due, grace, pauses ---------------------------------------------------------------------------


def test_grace_days_are_deducted_from_delinquent_days_not_from_dpd() -> None:
    row = status(one_installment(grace=3), D(2026, 1, 14))
    assert (row["dpd"], row["delinquent_days"], row["bucket"]) == (4, 1, "M1")
    row = status(one_installment(grace=3), D(2026, 1, 13))
    assert (row["dpd"], row["delinquent_days"], row["bucket"]) == (3, 0, None)


def test_a_backdated_pause_inside_the_episode_is_deducted() -> None:
    data = one_installment()
    # Overdue since 01-11; a pause entered later for 01-21..01-30 (10 days).
    data = {
        **data,
        **inputs([], [], pauses=[{"loan_id": "L1", "start": D(2026, 1, 21), "end": D(2026, 1, 30)}]),
    }
    data["loans"], data["installments"] = one_installment()["loans"], one_installment()["installments"]
    row = status(data, D(2026, 2, 14))
    assert (row["dpd"], row["delinquent_days"], row["bucket"], row["paused"]) == (35, 25, "M1", False)


def test_pause_days_before_the_episode_do_not_count() -> None:
    data = one_installment(due=D(2026, 3, 10))
    data["pauses"] = inputs(
        [], [], pauses=[{"loan_id": "L1", "start": D(2026, 1, 1), "end": D(2026, 2, 28)}]
    )["pauses"]
    row = status(data, D(2026, 4, 15))
    assert (row["dpd"], row["delinquent_days"]) == (36, 36)


def test_an_open_pause_freezes_the_bucket() -> None:
    data = one_installment()
    data["pauses"] = inputs([], [], pauses=[{"loan_id": "L1", "start": D(2026, 2, 5), "end": None}])["pauses"]
    # 25 delinquent days when the pause began (01-11..02-04); frozen from then on.
    rows = [status(data, day) for day in (D(2026, 2, 10), D(2026, 3, 20), D(2026, 6, 1))]
    assert {(r["delinquent_days"], r["bucket"], r["paused"]) for r in rows} == {(25, "M1", True)}
    assert rows[-1]["dpd"] == 142  # dpd itself keeps counting
    assert rows[-1]["classification"] == "substandard"  # and the regulatory class follows dpd


# --- buckets ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ranges", "problem"),
    [
        ([("A", 1, 30), ("A", 31, None)], "duplicate code A"),
        ([("A", 1, 30), ("B", 30, None)], "overlaps"),
        ([("A", 1, 30), ("B", 32, None)], "days 31–31 fall between A and B"),
        ([("A", 10, 5)], "min_days 10 is greater than max_days 5"),
        ([("A", 1, None), ("B", 31, 60)], "A is open-ended"),
        ([], "at least one range"),
    ],
)
def test_bucket_sets_are_checked_before_loading(
    ranges: list[tuple[str, int, int | None]], problem: str
) -> None:
    with translation.override("en"):
        problems = range_problems([BucketRange(code, code, low, high) for code, low, high in ranges])
    assert any(problem in p for p in problems), problems


def test_the_default_set_is_valid_and_a_covering_set_is_accepted() -> None:
    assert range_problems(DEFAULT_RANGES) == []


def test_products_can_have_their_own_bucket_set() -> None:
    cards = pl.DataFrame(
        {"set_id": [2, 2], "code": ["C1", "C2+"], "min_days": [1, 30], "max_days": [29, None]},
        schema={"set_id": pl.Int64, "code": pl.String, "min_days": pl.Int64, "max_days": pl.Int64},
    )
    rules = dataclasses.replace(
        RULES, bucket_ranges=pl.concat([RULES.bucket_ranges, cards]), product_bucket_sets={"credit_card": 2}
    )
    data = inputs(
        [loan("L1"), loan("L2", product="credit_card")],
        [installment("L1", 1, D(2026, 1, 10), "100"), installment("L2", 1, D(2026, 1, 10), "100")],
    )
    result = state_as_of(data, D(2026, 2, 10), rules).status
    assert result.select("loan_id", "bucket").rows() == [("L1", "M2"), ("L2", "C2+")]


def test_overdue_by_bucket_puts_each_installment_under_its_own_age() -> None:
    data = inputs(
        [loan(grace=5)],
        [
            installment("L1", 1, D(2026, 1, 10), "1000", "10"),
            installment("L1", 2, D(2026, 2, 10), "1000", "10"),
            installment("L1", 3, D(2026, 3, 10), "1000", "10"),
            installment("L1", 4, D(2026, 4, 10), "1000", "10"),
        ],
        [payment("P1", "L1", D(2026, 1, 10), "400")],
    )
    row = status(data, D(2026, 3, 20))
    # #1 (69 days, M3) owes 1010 − 400 = 610; #2 (38 days, M2) 1010; #3 (10 days, M1) 1010; #4 not due.
    assert json.loads(row["overdue_by_bucket"]) == {"M3": fen(610), "M2": fen(1010), "M1": fen(1010)}
    assert (row["dpd"], row["delinquent_days"], row["bucket"]) == (
        69,
        64,
        "M3",
    )  # the loan's bucket uses grace


# --- classification (domain-rules.md §1 worked examples) ----------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (D(2026, 1, 10), "normal"),
        (D(2026, 1, 11), "special_mention"),
        (D(2026, 4, 10), "special_mention"),  # dpd 90
        (D(2026, 4, 15), "substandard"),  # dpd 95 ("oldest unpaid due 01-10, as of 04-15")
        (D(2026, 11, 6), "doubtful"),  # dpd 300
        (D(2027, 1, 5), "doubtful"),  # dpd 360
        (D(2027, 1, 6), "loss"),  # dpd 361
    ],
)
def test_loans_follow_the_2023_floors(as_of: dt.date, expected: str) -> None:
    assert status(one_installment(), as_of)["classification"] == expected


@pytest.mark.parametrize(("dpd", "expected"), [(90, "special_mention"), (91, "substandard"), (120, "substandard"),
                                               (121, "doubtful"), (180, "doubtful"), (181, "loss")])  # fmt: skip
def test_credit_cards_follow_their_own_scale(dpd: int, expected: str) -> None:
    as_of = D(2026, 1, 10) + dt.timedelta(days=dpd)
    assert status(one_installment(product="credit_card"), as_of)["classification"] == expected


def test_a_flagged_technical_overdue_stays_normal_up_to_seven_days() -> None:
    data = one_installment()
    data["technical"] = inputs([], [], technical=[{"loan_id": "L1", "episode_start": D(2026, 1, 11)}])[
        "technical"
    ]
    assert status(data, D(2026, 1, 15))["classification"] == "normal"  # dpd 5 (channel outage)
    assert status(data, D(2026, 1, 17))["classification"] == "normal"  # dpd 7
    assert status(data, D(2026, 1, 18))["classification"] == "special_mention"  # dpd 8
    assert status(one_installment(), D(2026, 1, 15))["classification"] == "special_mention"  # not flagged


def monthly(first: dt.date, count: int) -> list[dict[str, Any]]:
    from arrears.core.dates import add_months

    return [installment("L1", n + 1, add_months(first, n), "100") for n in range(count)]


def test_restructured_observation_period_and_its_restart_after_a_missed_payment() -> None:
    """domain-rules.md §1.3: restructured 2026-03-01, first new due date 2026-04-10, monthly → observation ends no
    earlier than 2027-04-10; a payment missed on 2026-09-10 restarts it: 2026-09-10 to 2027-09-10."""
    schedule = monthly(D(2026, 4, 10), 24)
    on_time = [payment(f"P{n}", "L1", row["due_date"], "100") for n, row in enumerate(schedule)]
    restructured = {"restructurings": [{"loan_id": "L1", "restructured_on": D(2026, 3, 1)}]}
    data = inputs([loan()], schedule, on_time, **restructured)
    row = status(data, D(2026, 6, 1))
    assert row["observation_until"] == D(2027, 4, 10)
    assert (row["dpd"], row["rule_classification"]) == (0, "special_mention")
    assert status(data, D(2027, 4, 11))["classification"] == "normal"  # period over, paid on time

    late = [p if p["paid_on"] != D(2026, 9, 10) else {**p, "paid_on": D(2026, 9, 15)} for p in on_time]
    row = status(inputs([loan()], schedule, late, **restructured), D(2026, 10, 1))
    assert row["observation_until"] == D(2027, 9, 10)
    assert (
        status(inputs([loan()], schedule, late, **restructured), D(2027, 5, 1))["classification"]
        == "special_mention"
    )


def test_restructured_again_is_at_least_substandard() -> None:
    schedule = monthly(D(2026, 4, 10), 24)
    paid = [payment(f"P{n}", "L1", row["due_date"], "100") for n, row in enumerate(schedule)]
    twice = {"restructurings": [{"loan_id": "L1", "restructured_on": D(2026, 3, 1)},
                                {"loan_id": "L1", "restructured_on": D(2026, 8, 1)}]}  # fmt: skip
    assert status(inputs([loan()], schedule, paid, **twice), D(2026, 9, 1))["classification"] == "substandard"


def test_a_manual_classification_can_only_be_stricter() -> None:
    stricter = {
        "overrides": [{"loan_id": "L1", "classification": "doubtful", "effective_from": D(2026, 1, 1)}]
    }
    laxer = {"overrides": [{"loan_id": "L1", "classification": "normal", "effective_from": D(2026, 1, 1)}]}
    base = one_installment()
    row = status(
        {**base, **inputs([], [], **stricter), "loans": base["loans"], "installments": base["installments"]},
        D(2026, 2, 1),
    )
    assert (row["classification"], row["rule_classification"]) == ("doubtful", "special_mention")
    row = status(
        {**base, **inputs([], [], **laxer), "loans": base["loans"], "installments": base["installments"]},
        D(2026, 5, 1),
    )
    assert (row["classification"], row["rule_classification"]) == ("substandard", "substandard")


# --- amounts and problems ---------------------------------------------------------------------------------


def test_total_due_is_everything_due_by_the_end_of_the_day() -> None:
    data = inputs(
        [loan()],
        [
            installment("L1", 1, D(2026, 1, 10), "1000", "10", fee="5"),
            installment("L1", 2, D(2026, 2, 10), "1000", "10"),
        ],
    )
    row = status(data, D(2026, 2, 10))
    # #1: 1000 + 10 + 5 overdue + penalty 1000 × 0.18 × 31/360 = 15.50; #2 due today: 1010.
    assert row["overdue_fees"] == fen(5)
    assert row["penalty_interest"] == fen("15.50")
    assert row["total_due"] == fen("1015") + fen("15.50") + fen("1010")


def test_loans_that_cannot_be_computed_are_reported_and_skipped() -> None:
    data = inputs(
        [loan("L1"), loan("L2"), loan("L3")],
        [installment("L1", 1, D(2026, 1, 10), "100"), installment("L3", 1, D(2026, 1, 10), "100")],
        [payment("P1", "L3", D(2026, 1, 5), "500")],
    )
    result = state_as_of(data, D(2026, 2, 1), RULES)
    assert result.status["loan_id"].to_list() == ["L1"]
    assert result.problems.rows() == [("L2", "no_schedule"), ("L3", "payments_exceed_debt")]


# --- history ----------------------------------------------------------------------------------------------


def history_inputs() -> dict[str, pl.DataFrame]:
    return inputs(
        [loan("L1", grace=2), loan("L2")],
        [installment("L1", 1, D(2026, 1, 10), "1000"), installment("L2", 1, D(2026, 1, 20), "500")],
        [payment("P1", "L1", D(2026, 2, 15), "1018")],  # 1000 + 36 days of penalty (18.00)
    )


def test_changes_record_what_entered_and_left_each_day() -> None:
    _, changes, _ = close_days(
        history_inputs(), [D(2026, 1, 1) + dt.timedelta(days=i) for i in range(60)], RULES
    )
    l1 = (
        changes.filter(pl.col("loan_id") == "L1")
        .sort("on", "field")
        .select("on", "field", "old", "new")
        .rows()
    )
    assert l1 == [
        (D(2026, 1, 11), "classification", "normal", "special_mention"),
        (D(2026, 1, 11), "overdue", "", "overdue"),
        (D(2026, 1, 13), "bucket", "", "M1"),  # dpd 3 − 2 grace days
        (D(2026, 2, 12), "bucket", "M1", "M2"),  # 31 delinquent days
        (D(2026, 2, 15), "bucket", "M2", ""),  # paid (with penalty) on 02-15
        (D(2026, 2, 15), "classification", "special_mention", "normal"),
        (D(2026, 2, 15), "overdue", "overdue", ""),
    ]


def test_history_does_not_depend_on_how_the_days_were_chunked() -> None:
    days = [D(2026, 1, 1) + dt.timedelta(days=i) for i in range(60)]
    _, at_once, _ = close_days(history_inputs(), days, RULES)
    pieces = [close_days(history_inputs(), days[i : i + 7], RULES)[1] for i in range(0, 60, 7)]
    one_by_one = pl.concat([close_days(history_inputs(), [day], RULES)[1] for day in days])
    key = ["loan_id", "on", "field"]
    assert pl.concat(pieces).sort(key).equals(at_once.sort(key))
    assert one_by_one.sort(key).equals(at_once.sort(key))
    last, _, _ = close_days(history_inputs(), days, RULES)
    again, _, _ = close_days(history_inputs(), days[-1:], RULES)
    assert last.status.equals(again.status)


def test_a_repaid_non_performing_loan_is_upgraded_only_after_two_periods_of_normal_repayment() -> None:
    """domain-rules.md §1.2: arrears fully repaid, then 2 consecutive repayment periods or 6 months (whichever is
    first) of normal repayment before it may leave the NPL classes."""
    schedule = monthly(D(2026, 1, 10), 12)
    # Nothing paid until 05-01 (dpd 111 on that day: non-performing), then every installment on its due date.
    catch_up = [payment("P0", "L1", D(2026, 5, 1), "400")]
    on_time = [payment(f"P{n}", "L1", row["due_date"], "100") for n, row in enumerate(schedule) if n >= 4]
    data = inputs([loan(penalty_rate="0")], schedule, catch_up + on_time)
    assert status(data, D(2026, 4, 30))["classification"] == "substandard"  # dpd 110
    assert (status(data, D(2026, 5, 2))["dpd"], status(data, D(2026, 5, 2))["classification"]) == (
        0,
        "substandard",
    )
    assert (
        status(data, D(2026, 6, 10))["classification"] == "substandard"
    )  # one period (05-10) and 06-10 today
    assert status(data, D(2026, 6, 11))["classification"] == "normal"  # two periods paid on time

    # Paid two days late on 06-12: the clock starts again; two more periods: 07-10 and 08-10.
    late = [p if p["paid_on"] != D(2026, 6, 10) else {**p, "paid_on": D(2026, 6, 12)} for p in on_time]
    data = inputs([loan(penalty_rate="0")], schedule, catch_up + late)
    assert (
        status(data, D(2026, 6, 11))["classification"] == "substandard"
    )  # overdue again, before the upgrade
    assert status(data, D(2026, 7, 20))["classification"] == "substandard"
    assert status(data, D(2026, 8, 11))["classification"] == "normal"
    # Once upgraded, a later short overdue is special mention again, not back to substandard.
    later = [p if p["paid_on"] != D(2026, 10, 10) else {**p, "paid_on": D(2026, 10, 15)} for p in late]
    data = inputs([loan(penalty_rate="0")], schedule, catch_up + later)
    assert status(data, D(2026, 10, 14))["classification"] == "special_mention"
    assert status(data, D(2026, 10, 16))["classification"] == "normal"
