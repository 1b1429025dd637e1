"""Judging promises at the date boundaries (pure step): kept, partially kept, broken, open; grace; several dated
amounts; the earlier event wins."""

from __future__ import annotations

import datetime as dt

import polars as pl

from arrears.batch.steps.promises import INSTALLMENTS, PAYMENTS, PROMISES, judge

MADE = dt.date(2026, 5, 1)
DUE = dt.date(2026, 5, 10)
GRACE = 2


def run(
    dues: list[tuple[dt.date, int]], paid: list[tuple[dt.date, int]], as_of: dt.date
) -> dict[str, object]:
    promises = pl.DataFrame({"promise_id": [1], "made_on": [MADE]}, schema=PROMISES)
    installments = pl.DataFrame([(1, d, a) for d, a in dues], schema=INSTALLMENTS, orient="row")
    payments = pl.DataFrame([(1, d, a) for d, a in paid], schema=PAYMENTS, orient="row")
    (row,) = judge(promises, installments, payments, as_of, GRACE).to_dicts()
    return row


def day(n: int) -> dt.date:
    return DUE + dt.timedelta(days=n)


def test_paid_in_full_on_the_last_day_of_grace_is_kept() -> None:
    row = run([(DUE, 500_00)], [(day(2), 500_00)], day(3))
    assert (row["status"], row["paid"], row["judged_on"]) == ("kept", 500_00, day(2))


def test_nothing_by_the_end_of_grace_is_broken_the_day_after() -> None:
    assert run([(DUE, 500_00)], [], day(2))["status"] == "open"  # still within grace
    row = run([(DUE, 500_00)], [(day(3), 500_00)], day(3))  # paid a day too late
    assert (row["status"], row["paid"], row["judged_on"]) == ("broken", 0, day(3))


def test_part_paid_is_partially_kept_and_payments_before_the_promise_do_not_count() -> None:
    row = run([(DUE, 500_00)], [(MADE - dt.timedelta(days=1), 400_00), (day(0), 200_00)], day(5))
    assert (row["status"], row["paid"]) == ("partially_kept", 200_00)


def test_several_dated_amounts_fail_at_the_first_short_date() -> None:
    dues = [(DUE, 300_00), (day(30), 300_00)]
    assert run(dues, [(day(1), 300_00)], day(10))["status"] == "open"  # first met, second not yet due
    row = run(dues, [(day(1), 300_00), (day(31), 100_00)], day(40))
    assert (row["status"], row["paid"], row["judged_on"]) == ("partially_kept", 400_00, day(33))
    early = run(dues, [(day(-5), 600_00)], day(0))  # everything at once, early
    assert (early["status"], early["judged_on"]) == ("kept", day(-5))
