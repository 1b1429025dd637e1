"""Repayment schedules for loans handed over without schedule rows (portfolio-format.md, schedules.csv).

Monthly installments, to the fen, for the four methods of the format:

- 等额本息 ``equal_installment``: fixed installment A = P·r / (1 − (1+r)^−n) with r = annual rate / 12, rounded half
  up to the fen; each month interest = round(balance · r), principal = A − interest.
- 等额本金 ``equal_principal``: principal = round(P / n) each month, interest = round(balance · r).
- 先息后本 ``interest_first``: interest = round(P · r) each month, all principal with the last installment.
- ``bullet``: one installment at the end of the term, principal P and interest round(P · annual rate · n / 12).

The last installment absorbs every rounding difference, so principal always adds up to P exactly. Interest
arithmetic is integer (rates carry 6 decimals, held as millionths); only A, an irrational quantity, passes through
float64, whose error (< 1e-4 fen below 10^11 fen) is far under the rounding step.

Set-based: the generator and the importer amortise a whole portfolio at once, looping over installment numbers
(at most a few hundred), never over loans.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import polars as pl

RATE_SCALE = 1_000_000  # rates are stored with 6 decimals
MONTHS = 12
METHODS = ("equal_installment", "equal_principal", "interest_first", "bullet")
SCHEDULE_SCHEMA = {
    "loan_id": pl.String,
    "installment_no": pl.Int32,
    "due_date": pl.Date,
    "principal_due": pl.Int64,
    "interest_due": pl.Int64,
    "fee_due": pl.Int64,
}


def rate_to_millionths(rate: Decimal | str | float) -> int:
    return int((Decimal(str(rate)) * RATE_SCALE).to_integral_value())


def _monthly_interest(balance: np.ndarray, rate_millionths: np.ndarray) -> np.ndarray:
    """round_half_up(balance · annual / 12) in integer arithmetic: floor((2·b·R + D) / 2D), D = 12·10^6."""
    denominator = MONTHS * RATE_SCALE
    return (2 * balance * rate_millionths + denominator) // (2 * denominator)


def _equal_installment_amount(
    principal: np.ndarray, rate_millionths: np.ndarray, n: np.ndarray
) -> np.ndarray:
    r = rate_millionths.astype(np.float64) / (MONTHS * RATE_SCALE)
    p = principal.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        annuity = np.where(
            r > 0, p * r / (1.0 - np.power(1.0 + r, -n.astype(np.float64))), p / np.maximum(n, 1)
        )
    return np.floor(annuity + 0.5).astype(np.int64)


def amortize(loans: pl.DataFrame) -> pl.DataFrame:
    """Schedules for `loans` with columns loan_id, principal (fen), annual_rate (millionths, Int64),
    repayment_method, installments, first_due_date. Returns one row per installment (SCHEDULE_SCHEMA)."""
    if loans.height == 0:
        return pl.DataFrame(schema=SCHEDULE_SCHEMA)
    principal = loans["principal"].cast(pl.Int64).to_numpy()
    rate = loans["annual_rate"].cast(pl.Int64).to_numpy()
    method = loans["repayment_method"].to_numpy()
    term = loans["installments"].cast(pl.Int64).to_numpy()
    n = np.where(method == "bullet", 1, term)
    annuity = _equal_installment_amount(principal, rate, n)
    even_principal = (2 * principal + n) // (2 * n)
    is_annuity = method == "equal_installment"
    is_even = method == "equal_principal"
    is_interest_first = method == "interest_first"

    balance = principal.copy()
    frames = []
    for k in range(1, int(n.max()) + 1):
        live = k <= n
        last = k == n
        interest = _monthly_interest(balance, rate)
        principal_part = np.select(
            [is_annuity, is_even, is_interest_first], [annuity - interest, even_principal, 0], default=0
        )
        principal_part = np.where(last, balance, np.clip(principal_part, 0, balance))
        bullet_interest = (2 * principal * rate * term + MONTHS * RATE_SCALE) // (2 * MONTHS * RATE_SCALE)
        interest = np.where(method == "bullet", bullet_interest, interest)
        idx = np.flatnonzero(live)
        frames.append(
            pl.DataFrame(
                {
                    "row": idx.astype(np.int64),
                    "installment_no": np.full(idx.size, k, dtype=np.int32),
                    "principal_due": principal_part[idx],
                    "interest_due": interest[idx],
                }
            )
        )
        balance = np.where(live, balance - principal_part, balance)

    rows = pl.concat(frames)
    anchors = loans.select(
        pl.col("loan_id"),
        pl.col("first_due_date"),
        pl.when(pl.col("repayment_method") == "bullet")
        .then(pl.col("installments") - 1)
        .otherwise(0)
        .alias("shift"),
    ).with_row_index("row")
    return (
        rows.join(anchors.with_columns(pl.col("row").cast(pl.Int64)), on="row")
        .with_columns(
            pl.col("first_due_date")
            .dt.offset_by(pl.format("{}mo", pl.col("installment_no") - 1 + pl.col("shift")))
            .alias("due_date"),
            pl.lit(0, dtype=pl.Int64).alias("fee_due"),
        )
        .select(list(SCHEDULE_SCHEMA))
        .cast(SCHEDULE_SCHEMA)  # type: ignore[arg-type]
        .sort("loan_id", "installment_no")
    )


@dataclass(frozen=True)
class Installment:
    installment_no: int
    due_date: dt.date
    principal_due: int
    interest_due: int
    fee_due: int = 0


def amortize_one(
    principal_fen: int, annual_rate: Decimal | str, method: str, installments: int, first_due_date: dt.date
) -> list[Installment]:
    """One loan's schedule: the same set-based function on a one-row frame."""
    frame = amortize(
        pl.DataFrame(
            {
                "loan_id": ["_"],
                "principal": [principal_fen],
                "annual_rate": [rate_to_millionths(annual_rate)],
                "repayment_method": [method],
                "installments": [installments],
                "first_due_date": [first_due_date],
            }
        )
    )
    return [
        Installment(**{k: v for k, v in row.items() if k != "loan_id"}) for row in frame.iter_rows(named=True)
    ]
