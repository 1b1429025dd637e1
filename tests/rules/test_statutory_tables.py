"""The statutory rule tables: seeded after migrate with the shipped versions (domain-rules.md §2–4, §6), read back as
the same values, edits kept by the next seeding, versions chosen by effective date, and their constraints."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, transaction

from arrears.core.errors import DomainError
from arrears.rules import selectors, services, statutory
from arrears.rules.models import FeeScale, InterestCap, PrimeRate, SmallClaimsThreshold, StatutoryPeriod
from arrears.rules.statutory import SHIPPED, RuleNotFound

D = dt.date


@pytest.mark.django_db
def test_seeded_tables_read_back_as_the_shipped_versions() -> None:
    book = selectors.statutory_rulebook()
    assert book.origin == "database"
    assert set(book.fee_scales) == set(SHIPPED.fee_scales)
    assert set(book.periods) == set(SHIPPED.periods)
    assert set(book.prime_rates) == set(SHIPPED.prime_rates)
    assert set(book.interest_caps) == set(SHIPPED.interest_caps)
    assert set(book.small_claims) == set(SHIPPED.small_claims)
    assert selectors.rulebook().origin == "database"


@pytest.mark.django_db
def test_seed_values() -> None:
    acceptance = FeeScale.objects.get(kind="acceptance")
    assert acceptance.minimum == 5_000
    assert acceptance.bands[0] == {"above": "10000.00", "rate": "0.025"}
    assert acceptance.bands[-1] == {"above": "20000000.00", "rate": "0.005"}
    assert (acceptance.halve_twice, acceptance.rounding, acceptance.round_to) == (False, "ROUND_HALF_UP", 1)
    assert FeeScale.objects.get(kind="preservation").cap == 500_000
    assert [
        (p.kind, p.length, p.unit) for p in StatutoryPeriod.objects.filter(kind__startswith="appeal")
    ] == [
        ("appeal-judgment", 15, "day"),
        ("appeal-ruling", 10, "day"),
    ]
    assert [(r.effective_from, r.one_year) for r in PrimeRate.objects.order_by("effective_from")] == [
        (D(2024, 10, 21), Decimal("0.031")),
        (D(2025, 1, 20), Decimal("0.031")),
        (D(2025, 5, 20), Decimal("0.030")),
        (D(2025, 6, 20), Decimal("0.030")),
    ]
    assert InterestCap.objects.get(regime="financial_institution").annual_rate == Decimal("0.24")
    assert InterestCap.objects.get(regime="private_lending").lpr_multiple == Decimal(4)
    zhejiang = SmallClaimsThreshold.objects.get(province="浙江", year=2022)
    assert (zhejiang.threshold, zhejiang.agreed_limit) == (5_432_300, 21_729_000)


@pytest.mark.django_db
def test_seeding_again_keeps_edits_and_adds_missing_rows() -> None:
    StatutoryPeriod.objects.filter(kind="limitation").update(moves_off_rest_days=False)
    PrimeRate.objects.filter(effective_from=D(2025, 5, 20)).delete()
    services.seed_rules()
    assert StatutoryPeriod.objects.get(kind="limitation").moves_off_rest_days is False
    assert PrimeRate.objects.filter(effective_from=D(2025, 5, 20)).exists()
    assert StatutoryPeriod.objects.count() == len(SHIPPED.periods)


@pytest.mark.django_db
def test_versions_by_effective_date() -> None:
    FeeScale.objects.create(
        kind="enforcement",
        effective_from=D(2027, 1, 1),
        minimum=10_000,
        bands=[{"above": "10000.00", "rate": "0.02"}],
        basis="a future scale",
    )
    book = selectors.statutory_rulebook()
    assert book.fee_scale("enforcement", D(2026, 12, 31)).minimum == 5_000
    assert book.fee_scale("enforcement", D(2027, 1, 1)).minimum == 10_000
    assert book.one_year_lpr(D(2025, 5, 19)).one_year == Decimal("0.031")
    assert book.one_year_lpr(D(2025, 5, 20)).one_year == Decimal("0.030")
    with pytest.raises(RuleNotFound, match="no acceptance fee rule is in force on 2007-03-31"):
        book.fee_scale("acceptance", D(2007, 3, 31))


@pytest.mark.django_db
def test_an_invalid_row_is_a_clear_error() -> None:
    FeeScale.objects.filter(kind="preservation").update(bands=[{"from": "1000"}])
    with pytest.raises(DomainError, match="bands must be a list of"):
        selectors.statutory_rulebook()


@pytest.mark.django_db
def test_constraints() -> None:
    with transaction.atomic(), pytest.raises(IntegrityError):
        InterestCap.objects.create(
            regime="private_lending", effective_from=D(2030, 1, 1), annual_rate="0.2", lpr_multiple=4
        )
    with transaction.atomic(), pytest.raises(IntegrityError):
        StatutoryPeriod.objects.create(
            kind="appeal-judgment",
            effective_from=D(1991, 4, 9),
            length=20,
            unit="day",
            label="x",
            starts="x",
            basis="x",
        )
    with transaction.atomic(), pytest.raises(IntegrityError):
        SmallClaimsThreshold.objects.create(province="浙江", year=2022, threshold=1)


def test_fallback_to_the_shipped_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> None:
        raise DatabaseError("no such table")

    monkeypatch.setattr(selectors, "statutory_rulebook", missing)
    assert selectors.rulebook() is SHIPPED


@pytest.mark.parametrize(
    ("text", "name"),
    [("浙江", "浙江"), ("浙江省", "浙江"), ("Zhejiang", "浙江"), ("zhejiang province", "浙江"), ("广西壮族自治区", "广西"),
     ("新疆维吾尔自治区", "新疆"), ("Inner Mongolia", "内蒙古"), ("Neimenggu", "内蒙古"), ("上海市", "上海"), ("Tibet", "西藏")],
)  # fmt: skip
def test_province_names(text: str, name: str) -> None:
    assert statutory.province_name(text) == name


def test_value_types_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="either a fixed annual rate or an LPR multiple"):
        statutory.InterestCapRule("x", D(2020, 1, 1), None, None)
    with pytest.raises(ValueError, match="period unit"):
        statutory.Period("x", D(2020, 1, 1), 1, "week", True, "x", "x", "x")
    with pytest.raises(ValueError, match="rounding step"):
        statutory.Rounding(step=5)
