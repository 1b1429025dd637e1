"""The partition function: the whole close for a set of loans, frames in and frames out.

It reads nothing and writes nothing, so the runner can call it on any slice of loans in any process, and a
distributed engine (Spark `mapInArrow`) can call it unchanged on Arrow batches grouped by loan. Steps live in
`batch/steps/` and are pure functions of frames and rule values.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from arrears.batch.steps import allocation, buckets, changes, classification, delinquency, risk
from arrears.risk import scorecard

ONE_DAY = dt.timedelta(days=1)

INPUTS: dict[str, dict[str, pl.DataType]] = {
    "loans": {
        "loan_id": pl.String(),
        "borrower_id": pl.String(),
        "product_type": pl.String(),
        "penalty_rate": pl.Int64(),
        "day_basis": pl.Int64(),
        "compound_interest": pl.Boolean(),
        "grace_days": pl.Int32(),
    },
    "installments": {k: v() for k, v in allocation.INSTALLMENT_INPUT.items()},
    "payments": {k: v() for k, v in allocation.PAYMENT_INPUT.items()},
    "pauses": {k: v() for k, v in delinquency.PAUSE_INPUT.items()},
    "technical": {"loan_id": pl.String(), "episode_start": pl.Date()},
    "restructurings": {"loan_id": pl.String(), "restructured_on": pl.Date()},
    "overrides": {"loan_id": pl.String(), "classification": pl.String(), "effective_from": pl.Date()},
    # what the risk step reads besides the status (risk/scorecard.py features)
    "collateral": {
        "loan_id": pl.String(),
        "kind": pl.String(),
        "appraised_value": pl.Int64(),
        "appraised_on": pl.Date(),
        "lien_rank": pl.Int32(),
        "registered": pl.Boolean(),
    },
    "guarantees": {
        "loan_id": pl.String(),
        "guarantee_type": pl.String(),
        "period_end": pl.Date(),
        "guarantor_overdue": pl.Boolean(),
    },
    "borrowers": {
        "borrower_id": pl.String(),
        "phone": pl.String(),
        "extra": pl.String(),
        "contact_phones": pl.Int32(),
    },
}
# Columns an input may have or not, kept with these types when it does: the borrowers' credit report fields, as
# `batch.io` reads them out of `extra` in SQL (without them the risk step parses `extra` itself, risk/scorecard.py
# borrower_credit), and their province (the strategy's case facts read it; the close does not need it).
OPTIONAL: dict[str, dict[str, pl.DataType]] = {
    "borrowers": {"province": pl.String(), **{name: pl.Float64() for name in scorecard.CREDIT_FIELDS}},
}

# What the close writes per loan (delinquency.LoanStatus), money in fen.
STATUS_COLUMNS = [
    "loan_id", "as_of", "dpd", "delinquent_days", "bucket", "classification", "rule_classification",
    "outstanding_principal", "overdue_principal", "overdue_interest", "overdue_fees", "penalty_interest",
    "total_due", "credit", "overdue_by_bucket", "times_overdue", "max_dpd", "paused", "episode_start",
    "cure_date", "observation_until", "npl_until", "risk_score", "risk_level", "risk_reasons", "pd",
]  # fmt: skip


@dataclass(frozen=True)
class Rules:
    """The rule values a close needs, as plain data (picklable, so workers receive them as they are)."""

    bucket_ranges: pl.DataFrame  # set_id, code, min_days, max_days
    default_bucket_set: int
    product_bucket_sets: dict[str, int] = field(default_factory=dict)
    general: classification.Thresholds = classification.GENERAL
    credit_card: classification.Thresholds = classification.CREDIT_CARD
    waterfall: tuple[str, ...] = allocation.DEFAULT_WATERFALL
    scoring: risk.RiskRules | None = None  # None: loans are not scored


@dataclass
class DayResult:
    as_of: dt.date
    status: pl.DataFrame  # STATUS_COLUMNS + borrower_id
    installments: pl.DataFrame  # per-installment allocation
    problems: pl.DataFrame  # loan_id, problem
    timings: dict[str, float] = field(default_factory=dict)
    risk_counts: dict[str, Any] = field(default_factory=dict)  # the approved model's population (steps/risk)


def conform(frames: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Every input present with the columns and types of INPUTS (missing optional inputs are empty) and those of
    OPTIONAL it has, each column in one piece of memory (readers hand over many chunks; every later step is
    faster on one)."""
    out = {}
    for name, schema in INPUTS.items():
        frame = frames.get(name)
        if frame is None:
            out[name] = pl.DataFrame(schema=schema)
        else:
            schema = schema | {c: t for c, t in OPTIONAL.get(name, {}).items() if c in frame.columns}
            out[name] = frame.select(schema.keys()).cast(schema).rechunk()  # type: ignore[arg-type]
    return out


def state_as_of(
    inputs: dict[str, pl.DataFrame],
    as_of: dt.date,
    rules: Rules,
    *,
    detail: bool = False,
    prepared: allocation.Prepared | None = None,
    summary: bool = False,
) -> DayResult:
    """The state of every loan in `inputs` at the end of `as_of`; with `detail`, the installments carry what was
    paid of each component (the loan page wants it, the nightly close does not). `prepared`: the allocation
    inputs already prepared from `inputs` (`close_days` prepares them once for all its dates). `summary`: only
    what the history compares (days before the last of a close), without `overdue_by_bucket`."""
    return _states(inputs, as_of, rules, detail=detail, prepared=prepared, summary=summary)[0]


def risk_features(inputs: dict[str, pl.DataFrame], as_of: dt.date, rules: Rules) -> pl.DataFrame:
    """Every loan's risk features (risk/scorecard.FEATURES) and status at the end of `as_of`: what a statistical
    model for production is trained on."""
    inputs = conform(inputs)
    day = state_as_of(inputs, as_of, dataclasses.replace(rules, scoring=None), summary=True)
    haircuts = rules.scoring.scorecard.haircuts if rules.scoring else {}
    features = scorecard.features(
        day.status, day.installments, inputs["loans"], inputs["collateral"], inputs["guarantees"],
        inputs["borrowers"], as_of, haircuts,
    )  # fmt: skip
    return features


def _states(
    inputs: dict[str, pl.DataFrame],
    as_of: dt.date,
    rules: Rules,
    *,
    detail: bool = False,
    prepared: allocation.Prepared | None = None,
    summary: bool = False,
    day_before: Rules | None = None,
) -> tuple[DayResult, DayResult | None]:
    """`state_as_of`, and with `day_before` (the rules of as_of − 1) also the summary of the day before, taken
    on the same walk of the kernel."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[step] = timings.get(step, 0.0) + now - clock
        clock = now

    loans = inputs["loans"].with_columns(
        bucket_set_id=pl.col("product_type").replace_strict(
            rules.product_bucket_sets, default=rules.default_bucket_set, return_dtype=pl.Int64
        )
    )
    bands, codes = buckets.bands(loans["bucket_set_id"], rules.bucket_ranges)
    if prepared is None:
        prepared = allocation.prepare(loans, inputs["installments"], inputs["payments"], rules.waterfall)
    card = (loans["product_type"] == "credit_card").to_numpy()

    def by_scale(name: str) -> np.ndarray:
        return np.where(card, getattr(rules.credit_card, name), getattr(rules.general, name)).astype(np.int64)

    upgrade = allocation.Upgrade(
        by_scale("substandard_after"), by_scale("upgrade_months"), by_scale("upgrade_periods")
    )
    before = as_of - ONE_DAY if day_before is not None else None
    alloc = allocation.allocate(prepared, as_of, bands=bands, upgrade=upgrade, detail=detail, before=before)
    lap("allocate")
    state = loans.select(
        "loan_id", "borrower_id", "product_type", "grace_days", "bucket_set_id"
    ).with_columns(
        overdue_by_bucket=pl.lit("{}")
        if summary
        else buckets.overdue_by_bucket(alloc.overdue_by_band, bands.set_of_loan, codes),
        **{c: alloc.loans[c] for c in alloc.loans.columns if c != "loan_id"},
    )
    result = _finish(state, alloc.installments, inputs, as_of, rules, lap)
    if not summary:
        result.status, result.risk_counts = risk.assess(
            result.status, alloc.installments, inputs, as_of, rules.scoring
        )
        result.status = result.status.select(*STATUS_COLUMNS, "borrower_id")
        lap("risk")
    result.timings = timings
    if day_before is None or before is None:
        return result, None
    earlier = state.with_columns(
        dpd=pl.col("before_dpd"),
        episode_start=pl.col("before_episode_start"),
        npl_hold=pl.col("before_npl_hold"),
        problem=pl.col("before_problem"),
    )
    return result, _finish(earlier, alloc.installments, inputs, before, day_before, lap)


def _finish(
    state: pl.DataFrame,
    installments: pl.DataFrame,
    inputs: dict[str, pl.DataFrame],
    as_of: dt.date,
    rules: Rules,
    lap: Callable[[str], None],
) -> DayResult:
    """From the kernel's per-loan facts to the status: problems set aside, delinquent days, bucket,
    classification, amounts."""
    problems = state.filter((pl.col("installment_count") == 0) | (pl.col("problem") != allocation.OK)).select(
        "loan_id",
        problem=pl.when(pl.col("installment_count") == 0)
        .then(pl.lit("no_schedule"))
        .otherwise(pl.lit("payments_exceed_debt")),
    )
    state = state.filter((pl.col("installment_count") > 0) & (pl.col("problem") == allocation.OK))
    state = delinquency.delinquent_days(delinquency.paused_days(state, inputs["pauses"], as_of))
    lap("delinquency")
    state = buckets.assign_buckets(state, rules.bucket_ranges)
    lap("buckets")
    flagged = inputs["technical"].select("loan_id", "episode_start", technical_overdue=pl.lit(True))
    state = state.join(flagged, on=["loan_id", "episode_start"], how="left", nulls_equal=False).with_columns(
        pl.col("technical_overdue").fill_null(False)
    )
    state = classification.observation(state, installments, inputs["restructurings"], as_of, rules.general)
    state = classification.classify(state, inputs["overrides"], as_of, rules.general, rules.credit_card)
    lap("classification")
    status = state.select(
        *[c for c in STATUS_COLUMNS if c not in ("as_of", "total_due", *risk.OUTPUT)],
        "borrower_id",
        as_of=pl.lit(as_of),
        total_due=pl.sum_horizontal(
            "overdue_principal", "overdue_interest", "overdue_fees", "penalty_interest", "due_today"
        ),
    )
    lap("assemble")
    return DayResult(as_of, status, installments, problems)


def close_days(
    inputs: dict[str, pl.DataFrame],
    dates: Iterable[dt.date],
    rules: Rules | Mapping[dt.date, Rules],
    *,
    opening: bool = False,
) -> tuple[DayResult, pl.DataFrame, dict[str, float]]:
    """Close consecutive business dates for the loans in `inputs`: the state at the last date, the changes of
    every date against the day before, and the time spent per step. `rules` may differ by date (a new version
    of a rule table takes effect on its date). `opening`: the first date opens the history, so every loan's
    state on it is recorded as entered (against nothing) rather than compared with the day before."""
    inputs = conform(inputs)
    dates = sorted(dates)

    def rules_on(day: dt.date) -> Rules:
        if isinstance(rules, Rules):
            return rules
        return rules[day] if day in rules else rules[max(day, dates[0])]

    clock = time.perf_counter()
    prepared = allocation.prepare(
        inputs["loans"], inputs["installments"], inputs["payments"], rules_on(dates[0]).waterfall
    )
    prepare_seconds = time.perf_counter() - clock
    found = []
    timings = {"prepare": prepare_seconds}
    previous: DayResult | None = None
    if opening:
        empty = pl.DataFrame(
            schema=dict.fromkeys(["loan_id", "bucket", "classification"], pl.String) | {"dpd": pl.Int32}
        )
        previous = DayResult(dates[0] - ONE_DAY, empty, pl.DataFrame(), pl.DataFrame())
    for day in dates:
        last = day == dates[-1]
        if previous is None:  # the first day and the day before it, on one walk
            current, previous = _states(
                inputs,
                day,
                rules_on(day),
                prepared=prepared,
                summary=not last,
                day_before=rules_on(day - ONE_DAY),
            )
        else:
            current = state_as_of(inputs, day, rules_on(day), prepared=prepared, summary=not last)
        for step, seconds in current.timings.items():
            timings[step] = timings.get(step, 0.0) + seconds
        clock = time.perf_counter()
        assert previous is not None
        found.append(changes.status_changes(previous.status, current.status, day))
        timings["changes"] = timings.get("changes", 0.0) + time.perf_counter() - clock
        previous = current
    assert previous is not None
    return previous, pl.concat(found), timings
