"""Payment allocation, penalty interest and episodes (batch/steps/allocation.py), on worked examples checked by
hand. Penalty: balance × rate × days ÷ basis, rounded half up once per posting."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from arrears.batch.steps.allocation import allocate, prepare
from tests.batch.frames import D, fen, frame, installment, loan, payment

AS_OF = D(2026, 4, 15)


def run(loans, installments, payments=(), as_of=AS_OF, waterfall=None):  # type: ignore[no-untyped-def]
    kwargs = {"waterfall": waterfall} if waterfall else {}
    prepared = prepare(
        frame("loans", loans),
        frame("installments", installments),
        frame("payments", list(payments)),
        **kwargs,
    )
    result = allocate(prepared, as_of, detail=True)
    return result.loans.row(0, named=True), result.installments.rows(named=True)


THREE_MONTHS = [
    installment("L1", 1, D(2026, 1, 10), "1000", "10"),
    installment("L1", 2, D(2026, 2, 10), "1000", "10"),
    installment("L1", 3, D(2026, 3, 10), "1000", "10"),
]


def test_partial_payments_pay_penalty_then_interest_then_principal_oldest_first() -> None:
    state, rows = run(
        [loan()],
        THREE_MONTHS,
        [payment("P1", "L1", D(2026, 1, 20), "500"), payment("P2", "L1", D(2026, 3, 1), "2000")],
    )
    # P1 (10 days late): penalty 1000 × 0.18 × 10/360 = 5.00, interest 10.00, principal 485.00 → 515.00 overdue.
    # P2: #1 penalty 515 × 0.18 × 40/360 = 10.30 and principal 515.00; #2 penalty 1000 × 0.18 × 19/360 = 9.50,
    # interest 10, principal 1000; 455.20 left waits as credit and pays #3 on 2026-03-10 (interest 10, principal
    # 445.20). #3 then owes 554.80, 36 days by 04-15: 554.80 × 0.18 × 36/360 = 9.9864 → 9.99.
    assert [r["penalty_accrued"] for r in rows] == [fen("15.30"), fen("9.50"), fen("9.99")]
    assert [r["principal_paid"] for r in rows] == [fen(1000), fen(1000), fen("445.20")]
    assert [r["cleared_on"] for r in rows] == [D(2026, 3, 1), D(2026, 3, 1), None]
    assert state["overdue_principal"] == fen("554.80")
    assert state["outstanding_principal"] == fen("554.80")
    assert state["overdue_interest"] == 0
    assert state["penalty_interest"] == fen("9.99")
    assert state["dpd"] == 36
    assert state["oldest_unpaid_due"] == D(2026, 3, 10)
    # Two episodes: 01-11 (dpd 50 just before P2 cured it on 03-01) and 03-11 (still running).
    assert (state["times_overdue"], state["max_dpd"]) == (2, 50)
    assert (state["episode_start"], state["cure_date"]) == (D(2026, 3, 11), D(2026, 3, 1))


def test_a_reversal_undoes_the_payment_from_its_own_date() -> None:
    payments = [
        payment("P1", "L1", D(2026, 1, 10), "1010"),
        payment("R1", "L1", D(2026, 2, 1), "1010", reverses="P1"),
    ]
    before, _ = run([loan()], THREE_MONTHS, payments, as_of=D(2026, 1, 31))
    assert before["dpd"] == 0 and before["times_overdue"] == 0
    after, rows = run([loan()], THREE_MONTHS, payments, as_of=D(2026, 2, 1))
    # As of 02-01 the payment never happened: #1 is 22 days overdue, penalty 1000 × 0.18 × 22/360 = 11.00.
    assert after["dpd"] == 22
    assert after["overdue_principal"] == fen(1000)
    assert after["penalty_interest"] == fen(11)
    assert after["episode_start"] == D(2026, 1, 11)
    assert rows[0]["principal_paid"] == 0


def test_only_payments_made_and_not_reversed_by_the_day_count() -> None:
    payments = [payment("P1", "L1", D(2026, 1, 10), "1"), payment("R1", "L1", D(2026, 2, 1), "1", reverses="P1"),
                payment("P2", "L1", D(2026, 2, 2), "2")]  # fmt: skip
    one = [installment("L1", 1, D(2026, 1, 5), "1000")]
    # No penalty, so what counts all goes to principal: P1 alone on 01-31, P2 alone on 02-02 (R1 never counts).
    assert run([loan(penalty_rate="0")], one, payments, as_of=D(2026, 1, 31))[1][0]["principal_paid"] == fen(
        1
    )
    assert run([loan(penalty_rate="0")], one, payments, as_of=D(2026, 2, 2))[1][0]["principal_paid"] == fen(2)


def test_an_overpayment_is_held_and_pays_the_next_installments_when_they_fall_due() -> None:
    state, rows = run(
        [loan()], THREE_MONTHS, [payment("P1", "L1", D(2026, 1, 10), "2500")], as_of=D(2026, 2, 20)
    )
    # 01-10: #1 takes 1010, 1490 waits; 02-10: #2 takes 1010, 480 waits for #3 (due 03-10).
    assert state["credit"] == fen(480)
    assert state["dpd"] == 0 and state["times_overdue"] == 0
    assert [r["cleared_on"] for r in rows] == [D(2026, 1, 10), D(2026, 2, 10), None]
    assert state["outstanding_principal"] == fen(1000)
    state, rows = run([loan()], THREE_MONTHS, [payment("P1", "L1", D(2026, 1, 10), "2500")])
    assert state["credit"] == 0
    assert rows[2]["interest_paid"] == fen(10) and rows[2]["principal_paid"] == fen(470)
    assert state["overdue_principal"] == fen(530)


def test_payments_beyond_the_whole_debt_are_reported() -> None:
    state, _ = run([loan()], THREE_MONTHS, [payment("P1", "L1", D(2026, 1, 10), "3030.01")])
    assert state["problem"] == 1  # OVERPAID: skipped by the run, never silently absorbed


def test_a_split_payment_pays_what_it_says() -> None:
    state, rows = run(
        [loan()],
        THREE_MONTHS,
        [payment("P1", "L1", D(2026, 2, 20), "1000", principal="1000")],
        as_of=D(2026, 2, 20),
    )
    # The split names principal only: #1's principal is paid although its interest and penalty are not.
    assert [r["principal_paid"] for r in rows[:2]] == [fen(1000), 0]
    assert rows[0]["interest_paid"] == 0
    assert state["overdue_interest"] == fen(20)
    # #1 accrued 1000 × 0.18 × 41/360 = 20.50 up to the payment; #2: 1000 × 0.18 × 10/360 = 5.00.
    assert state["penalty_interest"] == fen("25.50")
    assert state["dpd"] == 41  # #1's interest is still unpaid


def test_a_payment_on_the_due_date_is_on_time_and_one_day_late_is_an_episode() -> None:
    on_time, _ = run([loan()], THREE_MONTHS[:1], [payment("P1", "L1", D(2026, 1, 10), "1010")])
    assert (on_time["times_overdue"], on_time["max_dpd"], on_time["penalty_accrued"]) == (0, 0, 0)
    late, _ = run([loan()], THREE_MONTHS[:1], [payment("P1", "L1", D(2026, 1, 11), "1010.50")])
    # One day of penalty (1000 × 0.18 / 360 = 0.50) comes first; the episode began and ended on 01-11.
    assert (late["times_overdue"], late["max_dpd"], late["penalty_accrued"]) == (1, 1, fen("0.50"))
    assert late["overdue_principal"] == 0 and late["cure_date"] == D(2026, 1, 11)
    assert late["dpd"] == 0 and late["episode_start"] is None


def test_compound_interest_accrues_on_overdue_interest_when_the_product_says_so() -> None:
    rows_plain = run([loan()], THREE_MONTHS[:1], as_of=D(2026, 2, 9))[0]
    rows_compound = run([loan(compound=True)], THREE_MONTHS[:1], as_of=D(2026, 2, 9))[0]
    # 30 days: 1000 × 0.18 × 30/360 = 15.00; with compound (1000 + 10) × 0.18 × 30/360 = 15.15.
    assert rows_plain["penalty_interest"] == fen(15)
    assert rows_compound["penalty_interest"] == fen("15.15")


def test_day_count_and_half_up_rounding_per_posting() -> None:
    state, _ = run([loan(basis=365, penalty_rate="0.1")], [installment("L1", 1, D(2026, 1, 10), "1234.56")],
                   as_of=D(2026, 1, 13))  # fmt: skip
    # 1234.56 × 0.1 × 3/365 = 1.01471... fen 101.47 → 101
    assert state["penalty_interest"] == 101
    state, _ = run(
        [loan(penalty_rate="0.36")], [installment("L1", 1, D(2026, 1, 10), "0.25")], as_of=D(2026, 1, 12)
    )
    # 25 fen × 0.36 × 2/360 = 0.05 fen: rounds to 0; at 20 days 0.5 fen rounds half up to 1.
    assert state["penalty_interest"] == 0
    state, _ = run(
        [loan(penalty_rate="0.36")], [installment("L1", 1, D(2026, 1, 10), "0.25")], as_of=D(2026, 1, 30)
    )
    assert state["penalty_interest"] == 1


def test_the_waterfall_is_configurable() -> None:
    payments = [payment("P1", "L1", D(2026, 1, 20), "1000")]
    default, _ = run([loan()], THREE_MONTHS[:1], payments)
    principal_first, _ = run(
        [loan()], THREE_MONTHS[:1], payments, waterfall=("principal", "interest", "penalty", "fee")
    )
    assert default["overdue_principal"] == fen(15)  # 5 penalty + 10 interest came first
    assert principal_first["overdue_principal"] == 0
    assert principal_first["overdue_interest"] == fen(10)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_row_order_of_the_inputs_does_not_matter(seed: int) -> None:
    loans = [loan("L1"), loan("L2", compound=True), loan("L3")]
    installments = THREE_MONTHS + [installment("L2", n, D(2026, n, 5), "500", "20") for n in (1, 2, 3)]
    installments += [installment("L3", 1, D(2026, 3, 1), "100")]
    payments = [
        payment("P1", "L1", D(2026, 1, 20), "500"),
        payment("P2", "L2", D(2026, 2, 1), "300"),
        payment("P3", "L1", D(2026, 3, 1), "700"),
        payment("P4", "L2", D(2026, 2, 1), "100"),
    ]
    expected = allocate(
        prepare(frame("loans", loans), frame("installments", installments), frame("payments", payments)),
        AS_OF,
        detail=True,
    )
    shuffled = allocate(
        prepare(
            frame("loans", loans),
            frame("installments", installments).sample(fraction=1, shuffle=True, seed=seed),
            frame("payments", payments).sample(fraction=1, shuffle=True, seed=seed),
        ),
        AS_OF,
        detail=True,
    )
    assert shuffled.loans.equals(expected.loans)
    assert shuffled.installments.equals(expected.installments)


def test_loans_without_rows_elsewhere_are_computed_alone() -> None:
    result = allocate(
        prepare(
            frame("loans", [loan("A"), loan("B")]),
            frame("installments", [installment("B", 1, D(2026, 1, 10), "10")]),
            frame("payments", []),
        ),
        D(2026, 1, 11),
    )
    a, b = result.loans.rows(named=True)
    assert a["installment_count"] == 0 and b["dpd"] == 1
    assert result.installments.height == 1
    assert isinstance(result.loans["episode_start"].dtype, pl.Date)
    assert b["episode_start"] == dt.date(2026, 1, 11)
