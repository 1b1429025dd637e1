"""Deadlines, limitation and guarantee periods: holidays (Spring Festival, National Day), make-up working days, month
ends, interruptions, and years the holiday calendar does not know yet."""

from __future__ import annotations

import dataclasses
import datetime as dt

import chinese_calendar
import pytest

from arrears.legal import calculators as calc
from arrears.rules.statutory import SHIPPED, RuleNotFound

D = dt.date


class UpTo2026:
    """chinese-calendar as of its 2026 data: later years unknown, whatever the installed version knows."""

    def is_workday(self, day: dt.date) -> bool | None:
        return None if day.year > 2026 else calc.CHINESE_CALENDAR.is_workday(day)


class WeekendsOnly:
    """A calendar that knows every year and only weekends: what a complete calendar does to far-off dates."""

    def is_workday(self, day: dt.date) -> bool | None:
        return day.weekday() < 5


@pytest.mark.parametrize(
    ("kind", "served", "expected", "why"),
    [
        ("appeal-judgment", D(2025, 9, 16), D(2025, 10, 9), "2025-10-01…08 National Day and Mid-Autumn"),
        ("appeal-ruling", D(2025, 9, 21), D(2025, 10, 9), "10 days end on 10-01"),
        ("appeal-judgment", D(2025, 9, 13), D(2025, 9, 28), "Sunday 09-28 is a make-up working day"),
        ("appeal-ruling", D(2025, 10, 1), D(2025, 10, 11), "Saturday 10-11 is a make-up working day"),
        ("appeal-judgment", D(2026, 2, 1), D(2026, 2, 24), "2026-02-15…23 Spring Festival"),
        ("appeal-judgment", D(2026, 1, 30), D(2026, 2, 14), "Saturday 02-14 is a make-up working day"),
        ("appeal-judgment", D(2025, 1, 13), D(2025, 2, 5), "2025-01-28…02-04 Spring Festival"),
        ("appeal-judgment", D(2026, 3, 13), D(2026, 3, 30), "an ordinary weekend"),
        ("appeal-judgment", D(2026, 3, 2), D(2026, 3, 17), "a working day stays"),
        ("retrial-application", D(2025, 8, 31), D(2026, 2, 28), "no 02-31: month end, a make-up Saturday"),
        ("retrial-application", D(2025, 8, 15), D(2026, 2, 24), "02-15 is in Spring Festival"),
        ("court-fee-payment", D(2025, 9, 24), D(2025, 10, 9), "7 days end on 10-01"),
        ("small-claims-trial", D(2025, 12, 1), D(2026, 2, 2), "02-01 is a Sunday"),
    ],
)
def test_deadlines_across_holidays(kind: str, served: dt.date, expected: dt.date, why: str) -> None:
    result = calc.deadline(kind, served)
    assert result.deadline == expected, why
    assert not result.provisional
    assert chinese_calendar.is_workday(result.deadline)
    data = result.as_dict()
    assert data["deadline"] == expected.isoformat()
    assert data["starts_on"] == (served + dt.timedelta(days=1)).isoformat()
    assert data["moved_off_rest_days"] == (result.nominal != expected)


def test_deadline_json_shape() -> None:
    data = calc.deadline("appeal-judgment", D(2025, 9, 16)).as_dict()
    assert data["period"] == "15 days"
    assert data["nominal_deadline"] == "2025-10-01"
    assert "art. 171" in data["basis"] and "art. 85" in data["basis"]
    assert "note" not in data


def test_years_the_calendar_does_not_know_are_provisional_and_not_moved() -> None:
    """2028-05-20 is a Saturday: unmoved while 2028's holidays are unknown; with a calendar that knows the year, the
    next working day (the worked examples of §4 give the unmoved dates)."""
    provisional = calc.deadline("enforcement-application", D(2026, 5, 20), calendar=UpTo2026())
    assert (provisional.deadline, provisional.provisional) == (D(2028, 5, 20), True)
    assert "not in the holiday calendar" in provisional.as_dict()["note"]
    known = calc.deadline("enforcement-application", D(2026, 5, 20), calendar=WeekendsOnly())
    assert (known.deadline, known.provisional) == (D(2028, 5, 22), False)
    limitation = calc.limitation(D(2025, 12, 31), calendar=WeekendsOnly())
    assert (limitation.nominal, limitation.expires_on) == (D(2028, 12, 31), D(2029, 1, 1))


def test_a_shift_into_an_unknown_year_stops_there() -> None:
    class KnowsOnly2026:
        def is_workday(self, day: dt.date) -> bool | None:
            return None if day.year > 2026 else False

    assert calc.next_working_day(D(2026, 12, 30), KnowsOnly2026()) == (D(2027, 1, 1), True)


def test_period_end_corresponding_dates() -> None:
    assert calc.period_end(D(2026, 1, 31), 1, "month") == D(2026, 2, 28)
    assert calc.period_end(D(2027, 8, 31), 6, "month") == D(2028, 2, 29)
    assert calc.period_end(D(2024, 2, 29), 1, "year") == D(2025, 2, 28)
    assert calc.period_end(D(2026, 6, 30), 6, "month") == D(2026, 12, 30)
    assert calc.period_end(D(2026, 12, 20), 15, "day") == D(2027, 1, 4)
    with pytest.raises(calc.CalcError):
        calc.period_end(D(2026, 1, 1), 0, "day")


def test_unknown_kind_and_dates_before_the_rules() -> None:
    with pytest.raises(RuleNotFound, match="unknown period kind 'appeal'; known: appeal-judgment"):
        calc.deadline("appeal", D(2026, 1, 1))
    with pytest.raises(RuleNotFound, match="no enforcement-application rule is in force on 2001-01-01"):
        calc.deadline("enforcement-application", D(2001, 1, 1))


def test_periods_table_covers_domain_rules() -> None:
    expected = {
        "appeal-judgment": "15 days",
        "appeal-ruling": "10 days",
        "enforcement-application": "2 years",
        "retrial-application": "6 months",
        "small-claims-trial": "2 months",
        "simple-procedure-trial": "3 months",
        "court-fee-payment": "7 days",
        "court-fee-refund": "15 days",
        "limitation": "3 years",
        "guarantee-period": "6 months",
    }
    assert {k: SHIPPED.period(k, D(2026, 1, 1)).text for k in SHIPPED.period_kinds()} == expected


# --- limitation ----------------------------------------------------------------------------------------------------


def test_limitation_last_day_on_a_holiday_moves() -> None:
    """Last due 2022-10-01: 3 years end on 2025-10-01, National Day → the day after the holiday (民法典 art. 203)."""
    result = calc.limitation(D(2022, 10, 1))
    assert (result.nominal, result.expires_on, result.provisional) == (D(2025, 10, 1), D(2025, 10, 9), False)
    assert result.as_dict()["moved_off_rest_days"] is True


def test_limitation_interruptions() -> None:
    result = calc.limitation(
        D(2022, 3, 15), [D(2021, 12, 1), D(2023, 5, 10), D(2024, 1, 8), D(2030, 1, 1), D(2024, 1, 8)]
    )
    assert result.applied == (D(2023, 5, 10), D(2024, 1, 8))
    assert result.runs_from == D(2024, 1, 8)
    assert result.expires_on == D(2027, 1, 8)
    reasons = {day: why for day, why in result.ignored}
    assert set(reasons) == {D(2021, 12, 1), D(2030, 1, 1)}
    assert "before the period ran" in reasons[D(2021, 12, 1)]
    assert "after the period expired on 2027-01-08" in reasons[D(2030, 1, 1)]
    data = result.as_dict()
    assert data["interruptions_applied"] == ["2023-05-10", "2024-01-08"]
    assert data["interruptions_ignored"][1]["date"] == "2030-01-01"


def test_an_interruption_on_the_last_day_still_counts() -> None:
    base = calc.limitation(D(2022, 10, 1))  # expires 2025-10-09 after the holiday
    result = calc.limitation(D(2022, 10, 1), [base.expires_on])
    assert result.applied == (D(2025, 10, 9),)
    late = calc.limitation(D(2022, 10, 1), [base.expires_on + dt.timedelta(days=1)])
    assert late.applied == () and late.expires_on == base.expires_on


# --- guarantee period ----------------------------------------------------------------------------------------------


def test_guarantee_period_agreed_or_not() -> None:
    assert calc.guarantee_period(D(2026, 8, 31)).ends_on == D(2027, 2, 28)
    agreed = calc.guarantee_period(D(2026, 6, 30), agreed_months=24)
    assert (agreed.ends_on, agreed.agreed) == (D(2028, 6, 30), True)
    assert agreed.as_dict()["period"] == "as agreed"
    until = calc.guarantee_period(D(2026, 6, 30), agreed_until=D(2027, 3, 31))
    assert (until.ends_on, until.agreed) == (D(2027, 3, 31), True)
    for not_agreed in (
        calc.guarantee_period(D(2026, 6, 30), agreed_months=0),
        calc.guarantee_period(D(2026, 6, 30), agreed_until=D(2026, 6, 30)),
        calc.guarantee_period(D(2026, 6, 30), agreed_until=D(2026, 1, 1)),
    ):
        assert (not_agreed.ends_on, not_agreed.agreed) == (D(2026, 12, 30), False)
        assert "counts as not agreed" in not_agreed.reasoning[0]


def test_guarantee_period_is_not_extended_past_a_holiday_by_default() -> None:
    """Due 2025-04-01: 6 months end on 2025-10-01 (National Day). Art. 692: never extended — kept as shipped; a rule
    version that moves it off rest days gives 2025-10-09."""
    kept = calc.guarantee_period(D(2025, 4, 1))
    assert kept.ends_on == D(2025, 10, 1)
    assert "2025-10-01 is a rest day and stays the last day" in kept.reasoning[1]
    assert len(calc.guarantee_period(D(2026, 6, 30)).reasoning) == 2  # a working day: nothing to say
    periods = tuple(
        dataclasses.replace(p, moves_off_rest_days=True) if p.kind == "guarantee-period" else p
        for p in SHIPPED.periods
    )
    moving = dataclasses.replace(SHIPPED, periods=periods)
    assert calc.guarantee_period(D(2025, 4, 1), rules=moving).ends_on == D(2025, 10, 9)


def test_guarantee_period_bad_input() -> None:
    with pytest.raises(calc.CalcError, match="must not be negative"):
        calc.guarantee_period(D(2026, 6, 30), agreed_months=-1)
    with pytest.raises(calc.CalcError, match="not both"):
        calc.guarantee_period(D(2026, 6, 30), agreed_months=3, agreed_until=D(2027, 1, 1))
    with pytest.raises(calc.CalcError, match="unknown guarantee type"):
        calc.guarantee_period(D(2026, 6, 30), guarantee_type="several")
    with pytest.raises(RuleNotFound, match="no guarantee-period rule is in force on 2020-12-31"):
        calc.guarantee_period(D(2020, 12, 31))
