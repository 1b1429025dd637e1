"""The risk bench's data: what `batch.steps.risk.assess` receives for N loans, generated set-based and cached.

One seeded latent risk per loan drives everything a post-loan book shows together: days past due, how often the
loan fell behind, how late its past installments were cleared, the credit report in the borrower's `extra`. The
frames have the columns and types of the batch (partition.INPUTS, STATUS_COLUMNS + borrower_id, and the
allocation's installments with `cleared_on`), sorted by loan as the close hands them over.

- status: one row per loan (all the close's status columns; the risk ones are what `assess` adds)
- installments: 12–24 per loan (≈ 18 on average), monthly; past ones cleared on time, late, or not yet
- loans: the close's loan inputs (grace days on 30 % of loans)
- collateral: ≈ 30 % of loans, 1–2 items; guarantees: ≈ 25 % of loans, 1–2 guarantors
- borrowers: 0.8 per loan; phone (5 % none), contact phones 0–4, `extra` JSON text with a credit report
  (credit_score, other_overdue_accounts, broken_promises and other keys) for half of them, `{}` or null otherwise;
  and the report's fields as float columns, as the batch's reader selects them out of `extra` in SQL
  (batch/io.py read_borrowers; partition.OPTIONAL). `without_credit_columns` drops them: the risk step then parses
  `extra` itself, as it does for inputs without them.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import polars as pl

from arrears.batch.partition import INPUTS, OPTIONAL, STATUS_COLUMNS
from arrears.batch.steps.risk import OUTPUT
from arrears.risk.scorecard import CREDIT_FIELDS, credit_report

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "risk"
NAMES = ("status", "installments", "loans", "collateral", "guarantees", "borrowers")
KINDS = [
    "deposit",
    "real_estate",
    "vehicle",
    "equity",
    "receivable",
    "other",
    "machinery",
]  # last: no haircut
INSTALLMENT_SCHEMA = {
    "loan_id": pl.String,
    "installment_no": pl.Int32,
    "due_date": pl.Date,
    "principal_due": pl.Int64,
    "interest_due": pl.Int64,
    "fee_due": pl.Int64,
    "cleared_on": pl.Date,
}


def data_dir(loans: int, seed: int, as_of: dt.date) -> Path:
    return OUT / f"risk-{loans}-{seed}-{as_of.isoformat()}"


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pl.Series:
    return prefix + pl.Series(numbers).cast(pl.String).str.zfill(width)


def _days(as_of: dt.date) -> int:
    return (as_of - dt.date(1970, 1, 1)).days


def _date(days: np.ndarray, valid: np.ndarray | None = None) -> pl.Series:
    series = pl.Series(days.astype(np.int32)).cast(pl.Date)
    if valid is not None:
        series = pl.DataFrame({"d": series, "m": valid}).select(pl.when("m").then("d")).to_series()
    return series


def generate(loans: int, seed: int, as_of: dt.date) -> dict[str, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    n = loans
    today = _days(as_of)
    width = max(8, len(str(n)))
    loan_ids = _ids("L", np.arange(1, n + 1), width)

    # borrowers: 0.8 per loan; every borrower has at least one loan, a fifth of them two or more
    b = max(1, int(n * 0.8))
    owner = np.concatenate([np.arange(b), rng.integers(0, b, n - b)])
    rng.shuffle(owner)
    borrower_ids = _ids("B", np.arange(1, b + 1), max(8, len(str(b))))

    # latent risk: most loans are fine, a tail is not
    risk = rng.beta(0.6, 4.0, n)  # mean ≈ 0.13

    # schedule: 12–24 monthly installments, `elapsed` of them due before as_of
    term = rng.integers(12, 25, n)
    elapsed = np.minimum(term, rng.integers(1, 30, n))
    day_of_month = rng.integers(1, 29, n)
    this_month = np.datetime64(as_of, "M")
    first_month = this_month - elapsed.astype("timedelta64[M]")
    grace = np.where(rng.random(n) < 0.3, rng.choice([3, 5, 10, 15], n), 0).astype(np.int32)

    # the loan's delinquency now: the riskier, the likelier and the longer overdue
    overdue_now = rng.random(n) < np.clip(risk * 0.9, 0, 0.95)
    dpd = np.where(overdue_now, np.minimum(rng.exponential(15 + 200 * risk), 720).astype(np.int64) + 1, 0)
    # an overdue loan's oldest unpaid installment is due dpd days ago (within the schedule)
    first_due = (first_month.astype("datetime64[D]") + (day_of_month - 1)).astype(np.int64)
    dpd = np.minimum(dpd, np.maximum(today - first_due - 1, 0))
    times_overdue = (rng.poisson(0.3 + 8 * risk) + (dpd > 0)).astype(np.int32)
    max_dpd = np.maximum(dpd, np.where(times_overdue > 0, rng.exponential(10 + 120 * risk), 0)).astype(
        np.int32
    )
    principal = (rng.lognormal(11.5, 0.9, n) * 100).astype(np.int64)  # fen; median ≈ ¥ 99k
    left = 1 - elapsed / term
    outstanding = (principal * np.clip(left + 0.05, 0, 1)).astype(np.int64)
    monthly = principal // term
    unpaid_count = np.where(dpd > 0, dpd // 30 + 1, 0)
    overdue_principal = np.minimum(outstanding, monthly * unpaid_count * 8 // 10)
    overdue_interest = monthly * unpaid_count // 10
    overdue_fees = np.where(rng.random(n) < 0.1, rng.integers(1_000, 50_000, n), 0) * (dpd > 0)
    penalty = overdue_principal * dpd // 2000

    # installments
    k = term
    total = int(k.sum())
    loan_of = np.repeat(np.arange(n), k)
    starts = np.cumsum(k) - k
    number = np.arange(total) - np.repeat(starts, k)  # 0-based
    months = np.repeat(first_month, k) + number.astype("timedelta64[M]")
    due = (months.astype("datetime64[D]") + np.repeat(day_of_month - 1, k)).astype(np.int64)
    lat_u = rng.random(total)
    r = risk[loan_of]
    lateness = np.where(
        lat_u < 0.88 - 0.6 * r,
        -rng.integers(0, 11, total),  # on or before the due date
        np.where(lat_u < 0.98 - 0.3 * r, rng.integers(1, 16, total), rng.integers(16, 91, total)),
    )
    past = due < today
    unpaid = past & (dpd[loan_of] > 0) & (due >= today - dpd[loan_of])
    cleared = np.minimum(due + lateness, today)
    prepaid = ~past & (rng.random(total) < 0.03)
    cleared = np.where(prepaid, today - rng.integers(0, 20, total), cleared)
    cleared_valid = (past & ~unpaid) | prepaid
    interest = (monthly[loan_of] * (term[loan_of] - number) // (term[loan_of] * 12)).astype(np.int64)
    installments = pl.DataFrame(
        {
            "loan_id": loan_ids.gather(loan_of),
            "installment_no": (number + 1).astype(np.int32),
            "due_date": _date(due),
            "principal_due": monthly[loan_of],
            "interest_due": interest,
            "fee_due": np.where(number == 0, 5_000, 0).astype(np.int64),
            "cleared_on": _date(cleared, cleared_valid),
        }
    )
    del (
        loan_of,
        number,
        months,
        due,
        lat_u,
        r,
        lateness,
        past,
        unpaid,
        cleared,
        prepaid,
        cleared_valid,
        interest,
    )

    loans_frame = pl.DataFrame(
        {
            "loan_id": loan_ids,
            "borrower_id": borrower_ids.gather(owner),
            "product_type": pl.Series(rng.choice(["consumer", "business", "mortgage", "auto"], n)),
            "penalty_rate": np.full(n, 54_000, np.int64),
            "day_basis": np.where(rng.random(n) < 0.8, 360, 365).astype(np.int64),
            "compound_interest": rng.random(n) < 0.05,
            "grace_days": grace,
        }
    )

    bucket = np.select(
        [dpd == 0, dpd <= 30, dpd <= 60, dpd <= 90, dpd <= 180], ["C", "M1", "M2", "M3", "M4-M6"], "M6+"
    )
    classification = np.select([dpd == 0, dpd <= 90, dpd <= 180, dpd <= 360], ["normal", "special_mention",
                               "substandard", "doubtful"], "loss")  # fmt: skip
    episode = np.where(dpd > 0, today - dpd + 1, 0)
    status = pl.DataFrame(
        {
            "loan_id": loan_ids,
            "as_of": pl.Series([as_of] * n, dtype=pl.Date) if n else pl.Series([], dtype=pl.Date),
            "dpd": dpd.astype(np.int32),
            "delinquent_days": np.maximum(dpd - grace, 0).astype(np.int32),
            "bucket": pl.Series(bucket),
            "classification": pl.Series(classification),
            "rule_classification": pl.Series(classification),
            "outstanding_principal": outstanding,
            "overdue_principal": overdue_principal,
            "overdue_interest": overdue_interest,
            "overdue_fees": overdue_fees,
            "penalty_interest": penalty,
            "total_due": overdue_principal + overdue_interest + overdue_fees + penalty,
            "credit": np.zeros(n, np.int64),
            "overdue_by_bucket": pl.Series(np.where(dpd > 0, '{"M1": 1}', "{}")),  # shape only
            "times_overdue": times_overdue,
            "max_dpd": max_dpd,
            "paused": np.zeros(n, bool),
            "episode_start": _date(episode, dpd > 0),
            "cure_date": _date(np.full(n, today - 40), (dpd == 0) & (times_overdue > 0)),
            "observation_until": _date(np.full(n, today + 100), np.zeros(n, bool)),
            "npl_until": _date(np.full(n, today + 180), dpd > 90),
            "borrower_id": loans_frame["borrower_id"],
        }
    ).select(*[c for c in STATUS_COLUMNS if c not in OUTPUT], "borrower_id")

    # collateral: 30 % of loans, one item or (a fifth of them) two
    secured = np.flatnonzero(rng.random(n) < 0.30)
    items = np.concatenate([secured, secured[rng.random(len(secured)) < 0.2]])
    items.sort()
    m = len(items)
    collateral = pl.DataFrame(
        {
            "loan_id": loan_ids.gather(items),
            "kind": pl.Series(rng.choice(KINDS, m, p=[0.1, 0.4, 0.25, 0.05, 0.1, 0.07, 0.03])),
            "appraised_value": np.where(
                rng.random(m) < 0.02, -1, (principal[items] * rng.uniform(0.3, 2.5, m)).astype(np.int64)
            ),
            "appraised_on": _date(today - rng.integers(0, 2000, m)),
            "lien_rank": rng.choice([1, 1, 1, 2, 3], m).astype(np.int32),
            "registered": rng.random(m) < 0.85,
        }
    ).with_columns(appraised_value=pl.when(pl.col("appraised_value") >= 0).then("appraised_value"))

    guaranteed = np.flatnonzero(rng.random(n) < 0.25)
    items = np.concatenate([guaranteed, guaranteed[rng.random(len(guaranteed)) < 0.3]])
    items.sort()
    m = len(items)
    period_end = today + rng.integers(-400, 1500, m)
    guarantees = pl.DataFrame(
        {
            "loan_id": loan_ids.gather(items),
            "guarantee_type": pl.Series(rng.choice(["general", "joint"], m, p=[0.6, 0.4])),
            "period_end": _date(period_end, rng.random(m) < 0.8),
            "guarantor_overdue": rng.random(m) < 0.06,
        }
    )

    # borrowers: the credit report in `extra` follows the worst loan's risk of the borrower, with noise
    worst = np.zeros(b)
    np.maximum.at(worst, owner, risk)
    reported = rng.random(b) < 0.5
    credit_score = np.clip(rng.normal(720 - 350 * worst, 60), 300, 900).astype(np.int64)
    other_overdue = rng.poisson(0.2 + 3 * worst)
    broken = rng.poisson(2 * worst)
    has_broken = rng.random(b) < 0.4
    shape = rng.random(b)
    extra = (
        pl.DataFrame(
            {
                "cs": credit_score,
                "oo": other_overdue,
                "bp": broken,
                "hb": has_broken,
                "rep": reported,
                "shape": shape,
                "income": (rng.lognormal(9, 0.6, b)).astype(np.int64),
            }
        )
        .select(
            pl.when(~pl.col("rep"))
            .then(pl.when(pl.col("shape") < 0.5).then(pl.lit(None)).otherwise(pl.lit("{}")))
            .otherwise(
                pl.concat_str(
                    pl.lit('{"bureau": "PBOC", "report_date": "2026-10-15", "credit_score": '),
                    pl.col("cs").cast(pl.String),
                    pl.lit(', "other_overdue_accounts": '),
                    pl.col("oo").cast(pl.String),
                    pl.lit(', "employer": "某某科技有限公司", "monthly_income": '),
                    pl.col("income").cast(pl.String),
                    pl.when("hb")
                    .then(pl.lit(', "broken_promises": ') + pl.col("bp").cast(pl.String))
                    .otherwise(pl.lit("")),
                    pl.lit("}"),
                )
            )
            .alias("extra")
        )
        .to_series()
    )
    phone_missing = rng.random(b)
    phones = "138" + pl.Series(rng.integers(0, 100_000_000, b)).cast(pl.String).str.zfill(8)
    borrowers = pl.DataFrame(
        {
            "borrower_id": borrower_ids,
            "phone": pl.DataFrame({"p": phones, "u": phone_missing})
            .select(
                pl.when(pl.col("u") < 0.03)
                .then(pl.lit(None))
                .when(pl.col("u") < 0.05)
                .then(pl.lit(""))
                .otherwise("p")
            )
            .to_series(),
            "extra": extra,
            "contact_phones": rng.integers(0, 5, b).astype(np.int32),
        }
    )
    out = {
        "status": status,
        "installments": installments.cast(INSTALLMENT_SCHEMA),  # type: ignore[arg-type]
        "loans": loans_frame,
        "collateral": collateral,
        "guarantees": guarantees,
        "borrowers": borrowers,
    }
    for name in ("loans", "collateral", "guarantees"):
        out[name] = out[name].select(INPUTS[name].keys()).cast(INPUTS[name])  # type: ignore[arg-type]
    out["borrowers"] = with_credit_columns(borrowers)
    return {name: frame.rechunk() for name, frame in out.items()}


def with_credit_columns(borrowers: pl.DataFrame) -> pl.DataFrame:
    """The borrowers with the credit report's fields as columns, the values the batch's reader selects out of
    `extra` (batch/io.py read_borrowers; the same as parsing `extra`, see tests/batch/test_io.py)."""
    schema = INPUTS["borrowers"] | OPTIONAL["borrowers"]
    return (
        borrowers.select(INPUTS["borrowers"].keys())
        .with_columns(credit_report(borrowers["extra"]))
        .cast(
            schema  # type: ignore[arg-type]
        )
    )


def without_credit_columns(frames: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """`frames` with the borrowers as an input without the credit report's columns comes: the risk step parses
    `extra` for them."""
    return frames | {"borrowers": frames["borrowers"].drop(CREDIT_FIELDS, strict=False)}


def load(loans: int, seed: int, as_of: dt.date) -> tuple[dict[str, pl.DataFrame], float | None]:
    """The frames, from the cache or generated (and cached); the generation time when it ran."""
    directory = data_dir(loans, seed, as_of)
    if all((directory / f"{name}.parquet").exists() for name in NAMES):
        frames = {name: pl.read_parquet(directory / f"{name}.parquet").rechunk() for name in NAMES}
        if not set(CREDIT_FIELDS) <= set(frames["borrowers"].columns):  # cached before the columns were added
            frames["borrowers"] = with_credit_columns(frames["borrowers"])
            _write(directory, "borrowers", frames["borrowers"])
        return frames, None
    clock = time.perf_counter()
    frames = generate(loans, seed, as_of)
    seconds = time.perf_counter() - clock
    directory.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        _write(directory, name, frame)
    return frames, seconds


def _write(directory: Path, name: str, frame: pl.DataFrame) -> None:
    frame.write_parquet(directory / f"{name}.tmp")
    (directory / f"{name}.tmp").rename(directory / f"{name}.parquet")
