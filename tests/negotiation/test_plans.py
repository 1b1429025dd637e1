"""Repayment-plan arithmetic: principal always adds up to the fen, the last installment absorbs rounding, the
annuity matches the textbook payment, due dates fall monthly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.negotiation.plans import PlanError, as_dict, schedule

FIRST = dt.date(2026, 1, 31)


def test_interest_free_equal_principal_with_the_rest_in_the_last() -> None:
    rows = schedule(1_000_000, 3, FIRST)  # 10,000.00 yuan in 3
    assert [(r.no, r.due_date, r.principal, r.interest) for r in rows] == [
        (1, dt.date(2026, 1, 31), 333_333, 0),
        (2, dt.date(2026, 2, 28), 333_333, 0),
        (3, dt.date(2026, 3, 31), 333_334, 0),
    ]


def test_a_down_payment_is_due_first_and_the_installments_follow_monthly() -> None:
    out = as_dict(schedule(1_200_000, 2, dt.date(2026, 5, 10), down_payment=200_000))
    assert out["installments"] == [
        {"no": 0, "due_date": "2026-05-10", "principal": "2000.00", "interest": "0.00", "total": "2000.00"},
        {"no": 1, "due_date": "2026-06-10", "principal": "5000.00", "interest": "0.00", "total": "5000.00"},
        {"no": 2, "due_date": "2026-07-10", "principal": "5000.00", "interest": "0.00", "total": "5000.00"},
    ]
    assert out["total_interest"] == "0.00"


def test_the_annuity_pays_the_textbook_payment_and_interest_on_the_balance() -> None:
    rows = schedule(1_200_000, 12, FIRST, annual_rate=Decimal("0.06"))
    expected = round(-npf.pmt(0.005, 12, 12_000) * 100)  # 1,032.80 yuan a month
    assert {r.total for r in rows[:-1]} == {expected}
    assert rows[0].interest == 6_000  # 12,000 × 0.5 %
    assert sum(r.principal for r in rows) == 1_200_000
    assert abs(rows[-1].total - expected) <= 12  # the last one absorbs a few fen of rounding


@settings(max_examples=300, deadline=None)
@given(
    amount=st.integers(1, 10**10),
    n=st.integers(1, 120),
    rate=st.decimals(0, Decimal("0.36"), places=4),
    down=st.integers(0, 10**9),
    first=st.dates(dt.date(2020, 1, 1), dt.date(2040, 12, 31)),
)
def test_principal_always_adds_up_exactly(
    amount: int, n: int, rate: Decimal, down: int, first: dt.date
) -> None:
    down = down % amount  # always less than the amount
    rows = schedule(amount, n, first, annual_rate=rate, down_payment=down)
    assert sum(r.principal for r in rows) == amount
    assert len(rows) == n + (1 if down else 0)
    assert all(r.principal >= 0 and r.interest >= 0 for r in rows)
    dates = [r.due_date for r in rows]
    assert dates == sorted(dates) and len(set(dates)) == len(dates)
    if rate == 0:
        assert sum(r.interest for r in rows) == 0


def test_terms_that_make_no_plan_are_refused() -> None:
    from django.utils import translation

    for kwargs, message in (
        ({"amount": 0, "installments": 3}, "must be positive"),
        ({"amount": 100, "installments": 0}, "at least one installment"),
        ({"amount": 100, "installments": 3, "down_payment": 100}, "less than the amount"),
        ({"amount": 100, "installments": 3, "annual_rate": Decimal("-0.01")}, "cannot be negative"),
    ):
        with translation.override("en"), pytest.raises(PlanError, match=message):  # the reader's language
            schedule(kwargs.pop("amount"), kwargs.pop("installments"), FIRST, **kwargs)  # type: ignore[arg-type]


def test_the_command_line_contract(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from django.core.management import call_command

    call_command("calc", "repayment-plan", "--amount", "12000", "--installments", "12", "--annual-rate", "0.06",
                 "--first-due", "2026-12-15", "--json")  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert set(out["installments"][0]) == {"no", "due_date", "principal", "interest", "total"}
    assert out["installments"][0] == {"no": 1, "due_date": "2026-12-15", "principal": "972.80", "interest": "60.00",
                                      "total": "1032.80"}  # fmt: skip
    assert out["total_interest"] == "393.58" and len(out["installments"]) == 12
