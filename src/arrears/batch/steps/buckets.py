"""Buckets: named ranges of days, as data (issue 3; domain-rules.md §10.1).

A loan's bucket is the range of its set containing its delinquent days (none when 0). At installment level,
`overdue_by_bucket` sums the overdue amount of each past-due installment under the bucket of its own days past due
(due date to as-of, grace not deducted); the allocation kernel adds the amounts up per band as it walks each
loan, so the installments are not scanned twice.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import polars as pl
from django.utils.translation import gettext as _

from arrears.batch.steps.allocation import Bands

BUCKET_RANGES = {"set_id": pl.Int64, "code": pl.String, "min_days": pl.Int64, "max_days": pl.Int64}


@dataclass(frozen=True)
class BucketRange:
    code: str
    name: str
    min_days: int
    max_days: int | None


# The industry-convention set (domain-rules.md §10.1): the default until someone loads another.
DEFAULT_SET = "M0–M7+"
DEFAULT_RANGES = [
    BucketRange("M0", "M0 正常", 0, 0),
    BucketRange("M1", "M1 (1–30)", 1, 30),
    BucketRange("M2", "M2 (31–60)", 31, 60),
    BucketRange("M3", "M3 (61–90)", 61, 90),
    BucketRange("M4", "M4 (91–120)", 91, 120),
    BucketRange("M5", "M5 (121–150)", 121, 150),
    BucketRange("M6", "M6 (151–180)", 151, 180),
    BucketRange("M7+", "M7+ (181+)", 181, None),
]


def ranges_frame(rows: list[tuple[int, str, int, int | None]]) -> pl.DataFrame:
    """Bucket ranges as the steps take them: (set id, code, min_days, max_days) rows."""
    return pl.DataFrame(rows, schema=BUCKET_RANGES, orient="row")


def range_problems(ranges: list[BucketRange]) -> list[str]:
    """Why a bucket set cannot be loaded (empty when it can), in the reader's language: duplicate codes,
    min > max, overlaps, gaps inside the covered span, and an open end anywhere but last."""
    problems = []
    codes = [r.code for r in ranges]
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        problems.append(_("duplicate code %(code)s") % {"code": code})
    for r in ranges:
        if r.min_days < 0:
            problems.append(_("%(code)s: min_days %(min)s is negative") % {"code": r.code, "min": r.min_days})
        if r.max_days is not None and r.min_days > r.max_days:
            problems.append(
                _("%(code)s: min_days %(min)s is greater than max_days %(max)s")
                % {"code": r.code, "min": r.min_days, "max": r.max_days}
            )
    ordered = sorted(ranges, key=lambda r: r.min_days)
    for before, after in itertools.pairwise(ordered):
        if before.max_days is None:
            problems.append(
                _("%(code)s is open-ended but %(next)s starts after it")
                % {"code": before.code, "next": after.code}
            )
        elif after.min_days <= before.max_days:
            problems.append(
                _("%(code)s (%(min)s–%(max)s) overlaps %(next)s (%(next_min)s–)")
                % {"code": before.code, "min": before.min_days, "max": before.max_days, "next": after.code,
                   "next_min": after.min_days}
            )  # fmt: skip
        elif after.min_days > before.max_days + 1:
            problems.append(
                _("days %(first)s–%(last)s fall between %(code)s and %(next)s")
                % {
                    "first": before.max_days + 1,
                    "last": after.min_days - 1,
                    "code": before.code,
                    "next": after.code,
                }
            )
    if not ranges:
        problems.append(_("a bucket set needs at least one range"))
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


def bands(set_ids: pl.Series, ranges: pl.DataFrame) -> tuple[Bands, list[list[str]]]:
    """The bucket ranges as the allocation kernel's age bands, and the codes of each set's bands in order."""
    sets = sorted(ranges["set_id"].unique().to_list()) or [0]
    per_set = [ranges.filter(pl.col("set_id") == s).sort("min_days") for s in sets]
    width = max(1, *(f.height for f in per_set))
    low = np.full((len(sets), width), -1, np.int64)
    high = np.full((len(sets), width), -1, np.int64)
    codes: list[list[str]] = []
    for i, frame in enumerate(per_set):
        low[i, : frame.height] = frame["min_days"].to_numpy()
        high[i, : frame.height] = frame["max_days"].fill_null(-1).to_numpy()
        codes.append(frame["code"].to_list())
    index = set_ids.replace_strict({s: i for i, s in enumerate(sets)}, default=0, return_dtype=pl.Int64)
    return Bands(index.to_numpy(), low, high), codes


def overdue_by_bucket(by_band: np.ndarray, set_index: np.ndarray, codes: list[list[str]]) -> pl.Series:
    """Per loan, JSON text {bucket code: overdue fen} of the bands with an overdue amount, youngest first.
    Formatted only for the loans with something overdue; the others get {}."""
    result = pl.repeat("{}", len(set_index), eager=True, dtype=pl.String)
    overdue = np.flatnonzero(by_band.sum(axis=1) > 0)
    if overdue.size == 0:
        return result
    by_band, set_index = by_band[overdue], set_index[overdue]
    frame = pl.DataFrame({"set": set_index, **{f"b{j}": by_band[:, j] for j in range(by_band.shape[1])}})
    pieces = []
    for j in range(by_band.shape[1]):
        label = pl.lit(None, pl.String)
        for i, names in enumerate(codes):
            if j < len(names):
                label = pl.when(pl.col("set") == i).then(pl.lit(f'"{names[j]}":')).otherwise(label)
        amount = pl.col(f"b{j}")
        pieces.append(pl.when(amount > 0).then(pl.concat_str(label, amount.cast(pl.String))))
    inside = pl.concat_str(pieces, separator=",", ignore_nulls=True)
    return result.scatter(overdue, frame.select(pl.concat_str(pl.lit("{"), inside, pl.lit("}"))).to_series())
