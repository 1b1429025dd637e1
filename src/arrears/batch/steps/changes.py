"""History: what changed between the end of one day and the end of the next (bucket, classification, overdue).

Both sides are computed from the data, so a day's changes are the same however often and in whichever chunks
the batch ran. Loans absent on one side (new, closed, skipped) compare as empty.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

FIELDS = ("bucket", "classification", "overdue")


def tracked(state: pl.DataFrame) -> pl.DataFrame:
    return state.select(
        "loan_id",
        pl.col("bucket").fill_null(""),
        pl.col("classification").fill_null(""),
        overdue=pl.when(pl.col("dpd") > 0).then(pl.lit("overdue")).otherwise(pl.lit("")),
    )


def status_changes(before: pl.DataFrame, after: pl.DataFrame, on: dt.date) -> pl.DataFrame:
    """Rows (loan_id, field, on, old, new) for each tracked field that differs between two days' states."""
    joined = tracked(before).join(tracked(after), on="loan_id", how="full", suffix="_new", coalesce=True)
    parts = [
        joined.select(
            "loan_id",
            field=pl.lit(field),
            on=pl.lit(on),
            old=pl.col(field).fill_null(""),
            new=pl.col(f"{field}_new").fill_null(""),
        ).filter(pl.col("old") != pl.col("new"))
        for field in FIELDS
    ]
    return pl.concat(parts)
