"""Runs one COB bench step in a fresh process (so its peak memory is its own) and prints one JSON line.

Usage: _cob_child.py MODE JSON-ARGS, MODE one of prepare, compute, partitions, pandas.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arrears.settings")

import _cob_data as data
import polars as pl

from arrears.batch.partition import close_days, conform, state_as_of


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare(loans: int, seed: int, as_of: str, directory: str) -> dict[str, Any]:
    """Generate the portfolio once: CSV files (for `arrears import`) and the batch inputs as Parquet."""
    from arrears.portfolio.generator import generate_portfolio, write_portfolio

    out = Path(directory)
    clock = time.perf_counter()
    frames = generate_portfolio(loans, seed, dt.date.fromisoformat(as_of))
    generated = time.perf_counter() - clock
    write_portfolio(frames, out / "csv")
    inputs = data.batch_inputs(frames)
    del frames
    data.write_inputs(inputs, out / "parquet")
    counts = {name: frame.height for name, frame in inputs.items()}
    return {"generate_s": generated, "total_s": time.perf_counter() - clock, "counts": counts}


def _warm_up(inputs: dict[str, pl.DataFrame], as_of: dt.date) -> float:
    """Close a few loans first: loads the Numba kernel from its disk cache (or compiles it) outside the timing."""
    clock = time.perf_counter()
    few = inputs["loans"]["loan_id"].head(100).implode()
    close_days({k: v.filter(pl.col("loan_id").is_in(few)) for k, v in inputs.items()}, [as_of], data.rules())
    return time.perf_counter() - clock


def _close(inputs: dict[str, pl.DataFrame], as_of: dt.date) -> dict[str, Any]:
    clock = time.perf_counter()
    result, changes, timings = close_days(inputs, [as_of], data.rules())
    return {
        "compute_s": time.perf_counter() - clock,
        "timings": timings,
        "status": result.status.height,
        "problems": result.problems.height,
        "changes": changes.height,
    }


def compute(directory: str, as_of: str) -> dict[str, Any]:
    """Read the Parquet inputs, then close one day: the two timed separately."""
    day = dt.date.fromisoformat(as_of)
    clock = time.perf_counter()
    inputs = data.read_inputs(Path(directory))
    read = time.perf_counter() - clock
    warm = _warm_up(inputs, day)
    out = {"read_s": read, "warm_up_s": warm, **_close(inputs, day)}
    out["peak_mib"] = peak_mib()
    # close_days computes D-1 as well (for the changes); one state alone is what a day really costs
    clock = time.perf_counter()
    one = state_as_of(conform(inputs), day, data.rules())
    out["one_day_s"] = time.perf_counter() - clock
    out["one_day_timings"] = one.timings
    out["counts"] = {name: frame.height for name, frame in inputs.items()}
    return out


def partitions(directories: list[str], as_of: str) -> dict[str, Any]:
    """Close partition after partition (read, close, drop), as a runner with one worker would."""
    day = dt.date.fromisoformat(as_of)
    parts, loans, status = [], 0, 0
    started = time.perf_counter()
    for directory in directories:
        clock = time.perf_counter()
        inputs = data.read_inputs(Path(directory))
        read = time.perf_counter() - clock
        closed = _close(inputs, day)
        loans += inputs["loans"].height
        status += closed["status"]
        parts.append({"read_s": read, "compute_s": closed["compute_s"]})
        del inputs, closed
    total = time.perf_counter() - started
    return {"total_s": total, "loans": loans, "status": status, "parts": parts, "peak_mib": peak_mib()}


FIELDS = (
    "dpd", "overdue_principal", "overdue_interest", "penalty_interest", "outstanding_principal", "bucket",
    "classification",
)  # fmt: skip


def _compare(inputs: dict[str, pl.DataFrame], day: dt.date) -> tuple[dict[str, Any], float, Any]:
    """Both implementations on `inputs`: every loan's FIELDS and skip reason compared; pandas' time."""
    import pandas_cob

    frames = {name: frame.to_pandas() for name, frame in inputs.items()}
    ranges = [(code, low, high) for code, low, high in data.DEFAULT_BUCKETS]
    clock = time.perf_counter()
    theirs, their_problems = pandas_cob.close(
        frames["loans"], frames["installments"], frames["payments"], day, ranges
    )
    pandas_s = time.perf_counter() - clock
    ours = state_as_of(conform(inputs), day, data.rules())
    joined = ours.status.select("loan_id", *FIELDS).join(
        pl.from_pandas(theirs[["loan_id", *FIELDS]]).cast({f: pl.Int64 for f in FIELDS[:5]}),
        on="loan_id",
        how="full",
        suffix="_pandas",
        coalesce=True,
    )
    mismatches = joined.filter(pl.any_horizontal(pl.col(f).ne_missing(pl.col(f"{f}_pandas")) for f in FIELDS))
    problems = ours.problems.join(
        pl.from_pandas(their_problems), on="loan_id", how="full", suffix="_pandas", coalesce=True
    )
    problem_mismatches = problems.filter(pl.col("problem").ne_missing(pl.col("problem_pandas")))
    found = {
        "compared": joined.height,
        "skipped": ours.problems.height,
        "mismatches": mismatches.height,
        "mismatch_rows": mismatches.head(20).to_dicts(),
        "mismatch_by_field": {
            f: joined.filter(pl.col(f).ne_missing(pl.col(f"{f}_pandas"))).height for f in FIELDS
        },
        "problem_mismatches": problem_mismatches.to_dicts()[:20],
    }
    return found, pandas_s, ours


def _stressed(inputs: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The same loans with what the generator never produces: compound interest on every other loan, fees on
    every third installment, and grace days on every fifth loan."""
    loans = (
        inputs["loans"]
        .with_row_index("i")
        .with_columns(
            compound_interest=pl.col("i") % 2 == 0,
            grace_days=pl.when(pl.col("i") % 5 == 0).then(7).otherwise(pl.col("grace_days")).cast(pl.Int32),
        )
    )
    installments = inputs["installments"].with_columns(
        fee_due=pl.when(pl.col("installment_no") % 3 == 0).then(1500).otherwise(pl.col("fee_due"))
    )
    return {**inputs, "loans": loans.drop("i"), "installments": installments}


def pandas_vs_ours(directory: str, as_of: str, loans: int, stress_loans: int) -> dict[str, Any]:
    """The first `loans` loans through pandas_cob and through the partition function: times, and every loan
    compared; then the first `stress_loans` of them again with compound interest, fees and grace (_stressed)."""
    day = dt.date.fromisoformat(as_of)
    ids = (
        pl.scan_parquet(Path(directory) / "loans.parquet").select("loan_id").head(loans).collect()["loan_id"]
    )
    inputs = data.read_inputs(Path(directory), ids)
    _warm_up(inputs, day)
    found, pandas_s, _ = _compare(inputs, day)
    ours_close = _close(inputs, day)
    clock = time.perf_counter()
    state_as_of(conform(inputs), day, data.rules())
    ours_one_day = time.perf_counter() - clock
    few = ids.head(stress_loans).implode()
    stressed, _, _ = _compare(
        _stressed({name: frame.filter(pl.col("loan_id").is_in(few)) for name, frame in inputs.items()}), day
    )
    return {
        "loans": ids.len(),
        "installments": inputs["installments"].height,
        "payments": inputs["payments"].height,
        "pandas_s": pandas_s,
        "ours_close_s": ours_close["compute_s"],
        "ours_one_day_s": ours_one_day,
        **found,
        "stressed": stressed,
        "peak_mib": peak_mib(),
    }


def main() -> None:
    mode, args = sys.argv[1], json.loads(sys.argv[2])
    modes: dict[str, Callable[..., dict[str, Any]]] = {
        "prepare": prepare, "compute": compute, "partitions": partitions, "pandas": pandas_vs_ours,
    }  # fmt: skip
    result = modes[mode](**args)
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
