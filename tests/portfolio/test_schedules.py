"""Schedule generation: worked examples to the fen, and agreement with numpy-financial."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy_financial as npf
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.portfolio.schedules import amortize, amortize_one, rate_to_millionths


def test_equal_installment_worked_example():
    # 12,000.00 at 12% over 3 months: A = 120 / (1 - 1.01^-3) = 4,080.27
    s = amortize_one(1_200_000, "0.12", "equal_installment", 3, dt.date(2026, 2, 5))
    assert [(i.principal_due, i.interest_due) for i in s] == [(396027, 12000), (399987, 8040), (403986, 4040)]
    assert [i.due_date for i in s] == [dt.date(2026, 2, 5), dt.date(2026, 3, 5), dt.date(2026, 4, 5)]


def test_equal_principal_last_installment_absorbs_rounding():
    s = amortize_one(1_000_000, "0.12", "equal_principal", 3, dt.date(2026, 1, 31))
    assert [i.principal_due for i in s] == [333333, 333333, 333334]
    assert [i.interest_due for i in s] == [10000, 6667, 3333]
    # anchored on the first due date's day: clamped in February, back to the 31st in March
    assert [i.due_date for i in s] == [dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31)]


def test_interest_first_and_bullet():
    first = amortize_one(500_000, "0.06", "interest_first", 4, dt.date(2026, 3, 1))
    assert [(i.principal_due, i.interest_due) for i in first] == [(0, 2500)] * 3 + [(500_000, 2500)]
    bullet = amortize_one(500_000, "0.06", "bullet", 12, dt.date(2026, 3, 1))
    assert [(i.installment_no, i.due_date, i.principal_due, i.interest_due) for i in bullet] == [
        (1, dt.date(2027, 2, 1), 500_000, 30_000)
    ]


def test_zero_rate_equal_installment():
    s = amortize_one(100_000, "0", "equal_installment", 3, dt.date(2026, 1, 15))
    assert [(i.principal_due, i.interest_due) for i in s] == [(33333, 0), (33333, 0), (33334, 0)]


@settings(max_examples=60, deadline=None)
@given(
    principal=st.integers(min_value=1000_00, max_value=50_000_000_00),
    rate=st.decimals(min_value=Decimal("0.001"), max_value=Decimal("0.36"), places=4),
    n=st.integers(min_value=1, max_value=360),
)
def test_equal_installment_matches_numpy_financial(principal, rate, n):
    s = amortize_one(principal, rate, "equal_installment", n, dt.date(2026, 1, 10))
    assert sum(i.principal_due for i in s) == principal
    expected = npf.pmt(float(rate) / 12, n, -principal)
    left = principal
    for i in s[:-1]:  # every installment but the last is the rounded annuity ...
        if (
            left > expected + 1
        ):  # ... until rounding the annuity up has repaid the balance early (long, dear loans)
            assert abs(i.principal_due + i.interest_due - expected) <= 0.5 + 1e-6
        left -= i.principal_due
    # interest is the rounded interest on the running balance
    balance = principal
    for i in s:
        exact = Decimal(balance) * rate / 12
        assert abs(Decimal(i.interest_due) - exact) <= Decimal("0.5")
        balance -= i.principal_due
    assert balance == 0


@settings(max_examples=40, deadline=None)
@given(
    principal=st.integers(min_value=1, max_value=10_000_000_00),
    rate=st.decimals(min_value=Decimal("0"), max_value=Decimal("0.36"), places=6),
    n=st.integers(min_value=1, max_value=120),
    method=st.sampled_from(["equal_installment", "equal_principal", "interest_first", "bullet"]),
)
def test_principal_always_adds_up(principal, rate, n, method):
    s = amortize_one(principal, rate, method, n, dt.date(2026, 1, 10))
    assert sum(i.principal_due for i in s) == principal
    assert all(i.principal_due >= 0 and i.interest_due >= 0 for i in s)


def test_portfolio_amortisation_is_set_based_and_matches_single_loans():
    loans = pl.DataFrame(
        {
            "loan_id": ["A", "B", "C"],
            "principal": [1_200_000, 1_000_000, 500_000],
            "annual_rate": [rate_to_millionths("0.12")] * 2 + [rate_to_millionths("0.06")],
            "repayment_method": ["equal_installment", "equal_principal", "interest_first"],
            "installments": [3, 3, 4],
            "first_due_date": [dt.date(2026, 2, 5), dt.date(2026, 1, 31), dt.date(2026, 3, 1)],
        }
    )
    frame = amortize(loans)
    assert frame.height == 10
    assert frame.group_by("loan_id").agg(pl.col("principal_due").sum()).sort("loan_id")[
        "principal_due"
    ].to_list() == [1_200_000, 1_000_000, 500_000]


@pytest.mark.parametrize("rate", ["0.12", "0.0435", "0.239999"])
def test_rate_to_millionths(rate):
    assert Decimal(rate_to_millionths(rate)) / 1_000_000 == Decimal(rate)
