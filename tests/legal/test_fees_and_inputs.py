"""Court fees' options (halving twice, rounding), the interest cap's variants, and how the edges' text is parsed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal

import pytest

from arrears.legal import calculators as calc
from arrears.rules.statutory import SHIPPED, FeeBand, FeeScale, Rounding, RuleNotFound

D = dt.date


def test_two_grounds_halve_once_unless_configured() -> None:
    once = calc.court_fee(5_000_000, "simple", "mediation")
    assert (once.fee, once.halvings, len(once.grounds)) == (52_500, 1, 2)
    assert "halving twice is off" in once.basis
    twice = calc.court_fee(5_000_000, "small_claims", "withdrawal", halve_twice=True)
    assert (twice.fee, twice.halvings) == (26_250, 2)
    scale = dataclasses.replace(SHIPPED.latest_fee_scale("acceptance"), halve_twice=True)
    assert calc.court_fee(5_000_000, "simple", "mediation", scale=scale).fee == 26_250
    assert calc.court_fee(5_000_000, "simple", "judgment", scale=scale).fee == 52_500
    assert calc.court_fee(5_000_000, "ordinary", "judgment").as_dict()["reduction"] == "0.00"


def test_rounding_is_configurable() -> None:
    claim = calc.parse_amount("1234567")
    assert calc.court_fee(claim).fee == 1_591_110
    to_yuan = Rounding(step=100)
    assert calc.court_fee(claim, rounding=to_yuan).fee == 1_591_100
    # halving rounds the rounded base fee: 15,911 / 2 = 7,955.5 → 7,956 half up, 7,955 down
    assert calc.court_fee(claim, "simple", rounding=to_yuan).fee == 795_600
    assert calc.court_fee(claim, "simple", rounding=Rounding("ROUND_DOWN", 100)).fee == 795_500
    assert calc.court_fee(claim, "simple", rounding=Rounding("ROUND_HALF_EVEN", 100)).fee == 795_600
    # 0.9% of 0.01 yuan is 0.009 fen: one fen more claim above 1,000,000 rounds away
    assert calc.court_fee(100_000_001).fee == calc.court_fee(100_000_000).fee
    with pytest.raises(ValueError, match="unknown rounding mode"):
        Rounding("ROUND_SOMETIMES")


def test_fee_of_zero_and_small_amounts() -> None:
    assert calc.court_fee(0).fee == 5_000
    assert calc.preservation_fee(0).fee == 3_000
    assert calc.preservation_fee(100_000).fee == 3_000
    assert calc.enforcement_fee(1).fee == 5_000
    with pytest.raises(calc.CalcError, match="must not be negative"):
        calc.court_fee(-1)


def test_fee_scale_validation() -> None:
    with pytest.raises(ValueError, match="strictly increase"):
        FeeScale("x", D(2020, 1, 1), 0, (FeeBand(100, Decimal("0.01")), FeeBand(100, Decimal("0.02"))))


def test_unknown_procedure_or_outcome() -> None:
    with pytest.raises(
        calc.CalcError, match="unknown procedure 'summary'; one of ordinary, simple, small_claims"
    ):
        calc.court_fee(100, "summary")
    with pytest.raises(calc.CalcError, match="unknown outcome"):
        calc.court_fee(100, "simple", "settled")


def test_interest_cap_variants() -> None:
    principal = calc.parse_amount("100000")
    below = calc.interest_cap(
        principal, D(2026, 1, 1), D(2027, 1, 1), "consumer_finance", annual_rate=Decimal("0.18")
    )
    assert (below.contractual, below.cap, below.recoverable) == (1_800_000, 2_400_000, 1_800_000)
    d360 = calc.interest_cap(
        principal, D(2026, 1, 1), D(2026, 6, 30), "bank", annual_rate=Decimal(1), day_count=360
    )
    assert d360.days == 180 and d360.cap == 1_200_000
    amount = calc.interest_cap(principal, D(2026, 1, 1), D(2026, 6, 30), "bank", contractual=2_000_000)
    assert (amount.contractual, amount.recoverable) == (2_000_000, amount.cap)
    earlier = calc.interest_cap(
        principal,
        D(2025, 1, 1),
        D(2026, 1, 1),
        "private",
        annual_rate=Decimal("0.2"),
        contract_date=D(2024, 11, 1),
    )
    assert earlier.as_dict()["cap_rate"] == "0.124"
    assert earlier.as_dict()["lpr"] == "0.031"
    assert earlier.cap == 1_240_000
    assumed = calc.interest_cap(
        principal, D(2025, 8, 1), D(2026, 8, 1), "private", annual_rate=Decimal("0.1")
    )
    assert assumed.as_dict()["contract_date"] == "2025-08-01"
    assert assumed.recoverable == assumed.contractual == 1_000_000


def test_interest_cap_bad_input() -> None:
    principal = 10_000_000
    with pytest.raises(
        RuleNotFound,
        match=re.escape("no one-year LPR on record on 2023-06-01 (the LPR table starts 2024-10-21"),
    ):
        calc.interest_cap(
            principal,
            D(2026, 1, 1),
            D(2026, 2, 1),
            "private",
            annual_rate=Decimal("0.1"),
            contract_date=D(2023, 6, 1),
        )
    with pytest.raises(calc.CalcError, match="unknown lender type 'pawnshop'"):
        calc.interest_cap(principal, D(2026, 1, 1), D(2026, 2, 1), "pawnshop", annual_rate=Decimal("0.1"))
    with pytest.raises(calc.CalcError, match=re.escape("ends (2026-01-01) before it starts")):
        calc.interest_cap(principal, D(2026, 2, 1), D(2026, 1, 1), "bank", annual_rate=Decimal("0.1"))
    with pytest.raises(calc.CalcError, match="one of them"):
        calc.interest_cap(principal, D(2026, 1, 1), D(2026, 2, 1), "bank")
    with pytest.raises(calc.CalcError, match="360 or 365"):
        calc.interest_cap(
            principal, D(2026, 1, 1), D(2026, 2, 1), "bank", annual_rate=Decimal("0.1"), day_count=366
        )


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("1234.5", 123450),
        ("1,234.50", 123450),
        ("¥1,234.5", 123450),
        ("1234.5元", 123450),
        ("0", 0),
        (" 7 ", 700),
    ],
)
def test_parse_amount(text: str, fen: int) -> None:
    assert calc.parse_amount(text) == fen


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-5", "must not be negative"),
        ("1.234", "not an amount"),
        ("abc", "not an amount"),
        ("", "not an amount"),
    ],
)
def test_parse_amount_errors(text: str, message: str) -> None:
    with pytest.raises(calc.CalcError, match=message):
        calc.parse_amount(text)


def test_parse_date_and_rate() -> None:
    assert (
        calc.parse_date("2026-05-20")
        == calc.parse_date("2026/5/20")
        == calc.parse_date("20260520")
        == D(2026, 5, 20)
    )
    for bad in ("2026-02-30", "next week", "2026-5", "20261340"):
        with pytest.raises(calc.CalcError, match="is not a date"):
            calc.parse_date(bad)
    assert calc.parse_rate("0.15") == calc.parse_rate("15%") == calc.parse_rate("15") == Decimal("0.15")
    assert calc.parse_rate("1") == Decimal("0.01")
    assert calc.parse_rate("0.5%") == Decimal("0.005")
    for bad in ("-0.1", "fifteen", "NaN"):
        with pytest.raises(calc.CalcError):
            calc.parse_rate(bad)
