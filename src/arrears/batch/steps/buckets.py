"""Buckets: named ranges of days, as data (issue 3; domain-rules.md §10.1).

A loan's bucket is the range of its set containing its delinquent days (none when 0). At installment level,
`overdue_by_bucket` sums the overdue amount of each past-due installment under the bucket of its own days past due
(due date to as-of, grace not deducted).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import polars as pl

BUCKET_RANGES = {"set_id": pl.Int64, "code": pl.String, "min_days": pl.Int64, "max_days": pl.Int64}


@dataclass(frozen=True)
class BucketRange:
    code: str
    name: str
    min_days: int
    max_days: int | None


def range_problems(ranges: list[BucketRange]) -> list[str]:
    """Why a bucket set cannot be loaded (empty when it can): duplicate codes, min > max, overlaps, gaps inside
    the covered span, and an open end anywhere but last."""
    problems = []
    codes = [r.code for r in ranges]
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        problems.append(f"duplicate code {code}")
    for r in ranges:
        if r.min_days < 0:
            problems.append(f"{r.code}: min_days {r.min_days} is negative")
        if r.max_days is not None and r.min_days > r.max_days:
            problems.append(f"{r.code}: min_days {r.min_days} is greater than max_days {r.max_days}")
    ordered = sorted(ranges, key=lambda r: r.min_days)
    for before, after in itertools.pairwise(ordered):
        if before.max_days is None:
            problems.append(f"{before.code} is open-ended but {after.code} starts after it")
        elif after.min_days <= before.max_days:
            problems.append(
                f"{before.code} ({before.min_days}–{before.max_days}) overlaps {after.code} ({after.min_days}–)"
            )
        elif after.min_days > before.max_days + 1:
            problems.append(
                f"days {before.max_days + 1}–{after.min_days - 1} fall between {before.code} and {after.code}"
            )
    if not ranges:
        problems.append("a bucket set needs at least one range")
    return problems


def bucket_of(days: pl.Expr, set_id: pl.Expr, ranges: pl.DataFrame) -> pl.Expr:
    """The code of the range containing `days` in the set `set_id` (null outside every range)."""
    expr = pl.lit(None, dtype=pl.String)
    for row in ranges.sort("set_id", "min_days", descending=True).iter_rows(named=True):
        inside = (set_id == row["set_id"]) & (days >= row["min_days"])
        if row["max_days"] is not None:
            inside = inside & (days <= row["max_days"])
        expr = pl.when(inside).then(pl.lit(row["code"])).otherwise(expr)
    return expr


def assign_buckets(state: pl.DataFrame, ranges: pl.DataFrame) -> pl.DataFrame:
    """Needs delinquent_days and bucket_set_id; adds `bucket` (null when delinquent_days is 0)."""
    return state.with_columns(
        bucket=pl.when(pl.col("delinquent_days") > 0).then(
            bucket_of(pl.col("delinquent_days"), pl.col("bucket_set_id"), ranges)
        )
    )


def overdue_by_bucket(
    installments: pl.DataFrame, state: pl.DataFrame, ranges: pl.DataFrame, as_of: dt.date
) -> pl.DataFrame:
    """Per loan: `overdue_by_bucket`, a list of {bucket, amount} (fen) over its past-due installments."""
    overdue = (
        installments.filter(pl.col("due_date") < as_of)
        .with_columns(
            amount=pl.col("principal_due")
            - pl.col("principal_paid")
            + pl.col("interest_due")
            - pl.col("interest_paid")
            + pl.col("fee_due")
            - pl.col("fee_paid")
        )
        .filter(pl.col("amount") > 0)
        .join(state.select("loan_id", "bucket_set_id"), on="loan_id", how="inner")
        .with_columns(
            bucket=bucket_of(
                (pl.lit(as_of) - pl.col("due_date")).dt.total_days(), pl.col("bucket_set_id"), ranges
            )
        )
        .group_by("loan_id", "bucket")
        .agg(pl.col("amount").sum())
        .sort("loan_id", "bucket")
        .group_by("loan_id", maintain_order=True)
        .agg(overdue_by_bucket=pl.struct("bucket", "amount"))
    )
    return state.join(overdue, on="loan_id", how="left")
