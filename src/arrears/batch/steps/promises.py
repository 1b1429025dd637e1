"""Judging promises to pay (issue 7), pure: frames in, a frame out; `negotiation.services.evaluate_promises` reads
and writes.

A promise of dated amounts is **kept** when the payments on the case's loans since the day it was made reach the
whole promised amount before any of its dates (plus grace) passes short; otherwise, at the first date (plus grace)
by which the payments fall short of what was promised up to it, it is **partially kept** if something was paid by
then and **broken** if nothing was. Until either happens it stays open. The earlier event wins, so a close that
catches up several days judges as the daily closes would have. Reversed payments do not count.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

PROMISES = {"promise_id": pl.Int64, "made_on": pl.Date}
INSTALLMENTS = {"promise_id": pl.Int64, "due_on": pl.Date, "amount": pl.Int64}
PAYMENTS = {"promise_id": pl.Int64, "paid_on": pl.Date, "amount": pl.Int64}


def judge(promises: pl.DataFrame, installments: pl.DataFrame, payments: pl.DataFrame, as_of: dt.date,
          grace_days: int) -> pl.DataFrame:  # fmt: skip
    """→ promise_id, status (open, kept, partially_kept, broken), paid (fen, counted up to the judgement or
    `as_of`), judged_on (null while open). `payments` are those on each promise's loans (any date)."""
    counted = (
        payments.join(promises, on="promise_id")
        .filter((pl.col("paid_on") >= pl.col("made_on")) & (pl.col("paid_on") <= as_of))
        .sort("promise_id", "paid_on")
        .with_columns(running=pl.col("amount").cum_sum().over("promise_id"))
    )
    total = installments.group_by("promise_id").agg(promised=pl.col("amount").sum())
    kept = (
        counted.join(total, on="promise_id")
        .filter(pl.col("running") >= pl.col("promised"))
        .group_by("promise_id")
        .agg(kept_on=pl.col("paid_on").min())
    )
    deadlines = installments.sort("promise_id", "due_on").with_columns(
        owed=pl.col("amount").cum_sum().over("promise_id"),
        deadline=pl.col("due_on") + pl.duration(days=grace_days),
    )
    paid_by = (
        deadlines.join(counted.select("promise_id", "paid_on", "amount"), on="promise_id", how="left")
        .with_columns(
            amount_right=pl.when(pl.col("paid_on") <= pl.col("deadline")).then("amount_right").otherwise(0)
        )
        .group_by("promise_id", "due_on", "deadline", "owed")
        .agg(paid_by=pl.col("amount_right").fill_null(0).sum())
    )
    short = (
        paid_by.filter((pl.col("deadline") < as_of) & (pl.col("paid_by") < pl.col("owed")))
        .sort("promise_id", "deadline")
        .group_by("promise_id", maintain_order=True)
        .first()
        .select("promise_id", failed_on=pl.col("deadline") + pl.duration(days=1), paid_then="paid_by")
    )
    paid_now = counted.group_by("promise_id").agg(paid=pl.col("amount").sum())
    judged = (
        promises.select("promise_id")
        .join(kept, on="promise_id", how="left")
        .join(short, on="promise_id", how="left")
        .join(paid_now, on="promise_id", how="left")
        .with_columns(pl.col("paid").fill_null(0))
    )
    kept_first = pl.col("kept_on").is_not_null() & (
        pl.col("failed_on").is_null() | (pl.col("kept_on") < pl.col("failed_on"))
    )
    failed = pl.col("failed_on").is_not_null()
    return judged.select(
        "promise_id",
        status=pl.when(kept_first).then(pl.lit("kept"))
        .when(failed & (pl.col("paid_then") > 0)).then(pl.lit("partially_kept"))
        .when(failed).then(pl.lit("broken"))
        .otherwise(pl.lit("open")),
        paid=pl.when(kept_first | ~failed).then("paid").otherwise("paid_then"),
        judged_on=pl.when(kept_first).then("kept_on").when(failed).then("failed_on").otherwise(None),
    ).sort("promise_id")  # fmt: skip
