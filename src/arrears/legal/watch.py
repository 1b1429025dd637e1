"""The limitation watch (issue 8 §7), pure and set-based: frames in, frames out, no loop over loans.

Limitation (诉讼时效, domain-rules.md §4): 3 years (民法典 art. 188) from the last instalment's due date (art. 189),
restarting from each interruption made while it runs — a demand that reached the debtor, an acknowledgement or a
part payment, a suit (art. 195); an interruption before the period began or after it expired changes nothing. The
rule is `calculators.limitation`'s; here it runs over the whole portfolio at once: each loan's events from its last
due date on, in date order, are a chain in which an event counts only if it falls on or before the expiry of the
period started by the one before — the first event that does not ends the chain (every later one is later still).
The expiry of a period started on a day comes from `calculators.limitation` itself, asked once per distinct day
(the holiday calendar), never per loan.

Guarantee period (保证期间, 民法典 art. 692; §6): as agreed, else 6 months from the principal debt's due date; never
interrupted; preserved by suing the debtor (general guarantee) or a demand on the guarantor (joint liability) within
it (art. 693) — `calculators.guarantee_period`, asked once per distinct (due date, agreed end, type).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl

from arrears.legal import calculators as calc
from arrears.rules.statutory import SHIPPED, Rulebook, RuleNotFound

EVENTS_SCHEMA = {"loan_id": pl.String, "on": pl.Date, "source": pl.String}
# when two interruptions fall on one day, which one the watch names (the strongest proof first)
SOURCE_ORDER = {"filing": 0, "acknowledgement": 1, "payment": 2, "demand": 3, "last_due": 9}


def _mapped(days: pl.Series, fn: Callable[[dt.date], dt.date | None]) -> pl.DataFrame:
    distinct = days.drop_nulls().unique().sort().to_list()
    return pl.DataFrame({"on": distinct, "expires_on": [fn(d) for d in distinct]},
                        schema={"on": pl.Date, "expires_on": pl.Date})  # fmt: skip


def limitation(
    loans: pl.DataFrame, events: pl.DataFrame, as_of: dt.date, *, rules: Rulebook = SHIPPED,
    calendar: calc.WorkdayCalendar | None = None,
) -> pl.DataFrame:  # fmt: skip
    """Per loan (`loans`: loan_id, last_due) with a last due date: `runs_from` (the last due date or the latest
    interruption that counted), `interrupted_by` (its source, null when none), `interruptions` (how many counted),
    `expires_on` and `days_left` at `as_of`. `events`: loan_id, on, source (demand, acknowledgement, payment,
    filing); events after `as_of` are left out. A period starting before the rule table's first version has no
    known expiry (null): the watch leaves it out."""
    start = loans.filter(pl.col("last_due").is_not_null()).select(
        "loan_id", on=pl.col("last_due"), source=pl.lit("last_due")
    )
    later = (
        events.select(list(EVENTS_SCHEMA)).cast(EVENTS_SCHEMA)  # type: ignore[arg-type]
        .filter(pl.col("on") <= as_of)
        .join(start.select("loan_id", last_due="on"), on="loan_id", how="inner")
        .filter(pl.col("on") >= pl.col("last_due"))
        .drop("last_due")
    )  # fmt: skip
    chain = (
        pl.concat([start, later])
        .with_columns(rank=pl.col("source").replace_strict(SOURCE_ORDER, default=5, return_dtype=pl.Int64))
        .sort("loan_id", "on", "rank")
        .unique(["loan_id", "on"], keep="first", maintain_order=True)
    )

    def expiry(day: dt.date) -> dt.date | None:
        try:
            return calc.limitation(day, rules=rules, calendar=calendar).expires_on
        except RuleNotFound:  # before the table's first version (民法总则, 2017-10-01): not assessed here
            return None

    chain = chain.join(_mapped(chain["on"], expiry), on="on", how="left").sort("loan_id", "on")
    counted = (
        chain.with_columns(
            previous=pl.col("expires_on").shift(1).over("loan_id"),
            first=pl.int_range(pl.len()).over("loan_id") == 0,
        )
        .with_columns(  # an unknown expiry (no rule in force) ends the chain too: nothing after it is assessed
            broken=(~pl.col("first") & (pl.col("previous").is_null() | (pl.col("on") > pl.col("previous"))))
            .cum_sum()
            .over("loan_id")
        )
        .filter(pl.col("broken") == 0)
    )
    return (
        counted.group_by("loan_id", maintain_order=True)
        .agg(
            runs_from=pl.col("on").last(),
            source=pl.col("source").last(),
            expires_on=pl.col("expires_on").last(),
            interruptions=(pl.col("source") != "last_due").sum().cast(pl.Int64),
        )
        .join(loans.select("loan_id", "last_due"), on="loan_id", how="left")
        .select(
            "loan_id",
            "last_due",
            "runs_from",
            interrupted_by=pl.when(pl.col("source") == "last_due").then(None).otherwise("source"),
            interruptions="interruptions",
            expires_on="expires_on",
            days_left=(pl.col("expires_on") - pl.lit(as_of)).dt.total_days().cast(pl.Int64),
        )
        .sort("loan_id")
    )


def guarantees(
    rows: pl.DataFrame,
    as_of: dt.date,
    *,
    rules: Rulebook = SHIPPED,
    calendar: calc.WorkdayCalendar | None = None,
) -> pl.DataFrame:
    """Per guarantee (`rows`: guarantee_id, loan_id, guarantee_type, period_end, last_due, acted_on — the first
    suit or demand that preserves it, null when none): `ends_on`, `days_left` at `as_of` and `preserved`. A due date
    before the rule table's first version has no known end (null): the watch leaves it out."""
    keyed = rows.filter(pl.col("last_due").is_not_null())
    combos = keyed.select("last_due", "period_end", "guarantee_type").unique()

    def ends_on(due: dt.date, end: dt.date | None, kind: str | None) -> dt.date | None:
        try:
            return calc.guarantee_period(
                due, agreed_until=end, guarantee_type=kind or "general", rules=rules, calendar=calendar
            ).ends_on
        except RuleNotFound:  # due before the rule's first version (民法典, 2021-01-01): not assessed here
            return None

    ends = [ends_on(due, end, kind) for due, end, kind in combos.iter_rows()]
    combos = combos.with_columns(ends_on=pl.Series(ends, dtype=pl.Date))
    return (
        keyed.join(combos, on=["last_due", "period_end", "guarantee_type"], how="left", nulls_equal=True)
        .with_columns(
            days_left=(pl.col("ends_on") - pl.lit(as_of)).dt.total_days().cast(pl.Int64),
            preserved=pl.col("acted_on").is_not_null() & (pl.col("acted_on") <= pl.col("ends_on")),
        )
        .select(
            "guarantee_id",
            "loan_id",
            "guarantee_type",
            "last_due",
            "period_end",
            "ends_on",
            "days_left",
            "acted_on",
            "preserved",
        )
        .sort("guarantee_id")
    )


def expiring(frame: pl.DataFrame, within_days: int, *, include_expired: bool = False) -> pl.DataFrame:
    """The rows whose `days_left` is within `within_days` (and not below zero unless `include_expired`); for
    guarantees, only those not preserved."""
    keep = pl.col("days_left") <= within_days
    if not include_expired:
        keep &= pl.col("days_left") >= 0
    if "preserved" in frame.columns:
        keep &= ~pl.col("preserved")
    return frame.filter(keep).sort("days_left", frame.columns[0])


def alert_threshold(frame: pl.DataFrame, thresholds: tuple[int, ...]) -> pl.DataFrame:
    """`threshold`: the tightest alert threshold (days before expiry) each row has reached, null when none."""
    expr: pl.Expr = pl.lit(None, dtype=pl.Int64)
    for days in sorted(thresholds, reverse=True):
        expr = pl.when(pl.col("days_left") <= days).then(pl.lit(days, dtype=pl.Int64)).otherwise(expr)
    return frame.with_columns(threshold=expr)
