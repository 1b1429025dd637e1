"""The COB bench's data: a generated portfolio turned into the batch's input frames, cached as Parquet.

The close reads loans, installments and payments from the database in loan order; the bench reads the same frames
from Parquet so that the compute figure has no database in it. Conversion reuses the importer's rules (fen, rate
millionths, default penalty rate, generated schedules via `schedules.amortize`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from arrears.batch.partition import INPUTS, Rules
from arrears.batch.steps.buckets import DEFAULT_RANGES, ranges_frame
from arrears.portfolio.interchange.validate import PENALTY_FACTOR
from arrears.portfolio.schedules import amortize

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "cob"
TABLES = ("loans", "installments", "payments")
SORT_KEYS = {
    "loans": ["loan_id"],
    "installments": ["loan_id", "installment_no"],
    "payments": ["loan_id", "paid_on", "payment_id"],
}
DEFAULT_BUCKETS = [(r.code, r.min_days, r.max_days) for r in DEFAULT_RANGES]


def rules() -> Rules:
    """The default bucket set (seeded after migrate) and the default classification thresholds."""
    return Rules(bucket_ranges=ranges_frame([(1, *row) for row in DEFAULT_BUCKETS]), default_bucket_set=1)


def portfolio_dir(loans: int, seed: int, as_of: dt.date) -> Path:
    return OUT / f"portfolio-{loans}-{seed}-{as_of.isoformat()}"


def _fen(column: str) -> pl.Expr:
    """Decimal yuan -> Int64 fen, exactly (the Decimal's scaled integer)."""
    return pl.col(column).cast(pl.Decimal(18, 2)).to_physical().cast(pl.Int64)


def _millionths(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.Decimal(18, 6)).to_physical().cast(pl.Int64)


def batch_inputs(frames: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Interchange frames (generator output) -> the close's inputs (partition.INPUTS), sorted by loan."""
    num, den = PENALTY_FACTOR
    raw = frames["loans"].with_columns(annual_rate=_millionths("annual_rate"), principal=_fen("principal"))
    loans = raw.select(
        "loan_id",
        "borrower_id",
        "product_type",
        penalty_rate=pl.coalesce(_millionths("penalty_rate"), pl.col("annual_rate") * num // den),
        day_basis=pl.when(pl.col("day_count") == "ACT/365").then(365).otherwise(360).cast(pl.Int64),
        compound_interest=pl.col("compound_interest")
        if "compound_interest" in raw.columns
        else pl.lit(False),
        grace_days=pl.col("grace_days").fill_null(0),
    )
    given = frames["schedules"].with_columns(_fen(c) for c in ("principal_due", "interest_due", "fee_due"))
    missing = raw.filter(~pl.col("loan_id").is_in(given["loan_id"].unique().implode()))
    generated = amortize(
        missing.select(
            "loan_id", "principal", "annual_rate", "repayment_method", "installments", "first_due_date"
        )
    )
    installments = pl.concat([given.select(generated.columns).cast(generated.schema), generated])  # type: ignore[arg-type]
    money = ("amount", "principal_paid", "interest_paid", "penalty_paid", "fee_paid")
    payments = frames["payments"].with_columns(_fen(c) for c in money)
    out = {"loans": loans, "installments": installments, "payments": payments}
    return {
        name: frame.select(INPUTS[name].keys()).cast(INPUTS[name]).sort(SORT_KEYS[name])  # type: ignore[arg-type]
        for name, frame in out.items()
    }


def write_inputs(inputs: dict[str, pl.DataFrame], directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        inputs[name].write_parquet(directory / f"{name}.parquet", statistics=True)


def read_inputs(directory: Path, loan_ids: pl.Series | None = None) -> dict[str, pl.DataFrame]:
    """The Parquet inputs (all loans, or only `loan_ids`)."""
    frames = {}
    for name in TABLES:
        scan = pl.scan_parquet(directory / f"{name}.parquet")
        if loan_ids is not None:
            scan = scan.filter(pl.col("loan_id").is_in(loan_ids.implode()))
        frames[name] = scan.collect()
    return frames


def replicate(source: Path, target: Path, copies: int) -> list[Path]:
    """`copies` partitions of the inputs in `source`, ids suffixed -0, -1, … (fixed-width ids keep the sort order),
    each streamed from Parquet to Parquet so the copies are never in memory together."""
    parts = []
    for i in range(copies):
        part = target / f"part-{i}"
        parts.append(part)
        if (part / "payments.parquet").exists():
            continue
        part.mkdir(parents=True, exist_ok=True)
        suffix = f"-{i}"
        ids = {"loans": ["loan_id", "borrower_id"], "installments": ["loan_id"]}
        ids["payments"] = ["loan_id", "payment_id", "reverses"]
        for name in TABLES:
            (
                pl.scan_parquet(source / f"{name}.parquet")
                .with_columns(pl.col(c) + suffix for c in ids[name])
                .sink_parquet(part / f"{name}.tmp")
            )
            (part / f"{name}.tmp").rename(part / f"{name}.parquet")
    return parts
