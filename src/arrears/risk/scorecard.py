"""The rule scorecard (风险等级评估): the four factor groups post-loan departments weigh, as versioned data.

A scorecard is a definition (`Definition`, stored as JSON on `risk.Scorecard`): factors, each a feature with bins
and points 0–100 (100 = the riskiest), a weight, and a reason code per bin; collateral haircuts by kind; level
thresholds on the 0–1000 score; texts of the reasons and of the measures each level recommends. Everything here is
a pure function of frames, so the batch scores the whole portfolio set-based.

score = 1000 × Σ weight·points ÷ (100 × Σ weight), rounded half up; a factor whose feature is missing scores its
`missing` points. The reasons of a loan are the factors that added most to its score (weight × points, largest
first), those with a reason code and more than zero points.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import operator
from decimal import Decimal
from typing import Any

import numpy as np
import polars as pl
from pydantic import BaseModel, Field, model_validator

LEVELS = ["low", "medium", "high", "critical"]
REASON_COUNT = 3

# The features the batch computes per loan (`features`), by factor group; a scorecard or an approved statistical
# model may use any of them. Numeric unless listed in CATEGORICAL.
FEATURES = {
    "overdue": ["dpd", "times_overdue", "max_dpd", "installments_overdue", "overdue_ratio"],
    "credit": [
        "on_time_ratio", "cures", "broken_promises", "credit_score", "other_overdue_accounts", "contact_channels",
    ],
    "collateral": ["collateral_coverage", "lien_rank", "collateral_registered", "appraisal_age_days"],
    "guarantee": ["guarantee_type", "guarantor_overdue", "guarantee_running"],
    "model": ["pd"],
}  # fmt: skip
CATEGORICAL = {"guarantee_type"}
ALL_FEATURES = [name for names in FEATURES.values() for name in names]


class Bin(BaseModel):
    below: float | None = None  # numeric bins: the value is under this bound (the last bin has none)
    values: list[str] | None = None  # categorical bins: the values that fall in it
    points: int = Field(ge=0, le=100)
    reason: str = ""


class Factor(BaseModel):
    code: str
    feature: str
    weight: int = Field(gt=0)
    bins: list[Bin]
    missing: Bin = Bin(points=0)

    @model_validator(mode="after")
    def _bins_in_order(self) -> Factor:
        if self.feature not in ALL_FEATURES:
            raise ValueError(
                f"factor {self.code}: unknown feature {self.feature!r} (known: {', '.join(ALL_FEATURES)})"
            )
        if self.feature in CATEGORICAL:
            if any(b.values is None for b in self.bins):
                raise ValueError(f"factor {self.code}: every bin of a categorical feature lists its values")
            return self
        bounds = [b.below for b in self.bins]
        if not bounds or bounds[-1] is not None or any(b is None for b in bounds[:-1]):
            raise ValueError(f"factor {self.code}: every bin but the last needs `below`; the last has none")
        if any(a >= b for a, b in itertools.pairwise(bounds[:-1])):  # type: ignore[operator]
            raise ValueError(f"factor {self.code}: the `below` bounds must increase")
        return self


class Level(BaseModel):
    level: str
    min_score: int = Field(ge=0, le=1000)


class Text(BaseModel):
    zh: str
    en: str


class Definition(BaseModel):
    factors: list[Factor]
    levels: list[Level]
    haircuts: dict[str, Decimal]  # collateral kind → share of the appraised value counted as cover
    reasons: dict[str, Text]
    measures: dict[str, list[str]]  # level → measure codes
    measure_texts: dict[str, Text]

    @model_validator(mode="after")
    def _consistent(self) -> Definition:
        if [lv.level for lv in self.levels] != LEVELS or self.levels[0].min_score != 0:
            raise ValueError(f"levels must be {', '.join(LEVELS)} in this order, the first from 0")
        if any(a.min_score >= b.min_score for a, b in zip(self.levels, self.levels[1:], strict=False)):
            raise ValueError("level thresholds must increase")
        codes = {b.reason for f in self.factors for b in [*f.bins, f.missing] if b.reason}
        unknown = sorted(codes - set(self.reasons))
        if unknown:
            raise ValueError(f"reason code(s) without a text: {', '.join(unknown)}")
        missing = sorted({m for ms in self.measures.values() for m in ms} - set(self.measure_texts))
        if missing:
            raise ValueError(f"measure code(s) without a text: {', '.join(missing)}")
        if len({f.code for f in self.factors}) != len(self.factors):
            raise ValueError("factor codes must be unique")
        return self


# ------------------------------------------------------------------------------------------------------- features


def features(
    status: pl.DataFrame,
    installments: pl.DataFrame,
    loans: pl.DataFrame,
    collateral: pl.DataFrame,
    guarantees: pl.DataFrame,
    borrowers: pl.DataFrame,
    as_of: dt.date,
    haircuts: dict[str, Decimal],
) -> pl.DataFrame:
    """One row per loan of `status` with every feature of FEATURES except `pd` (null where the data is not
    there: no collateral, no guarantee, no credit report)."""
    days = _installment_days(installments, loans, as_of)
    cut = {kind: float(share) for kind, share in haircuts.items()}
    cover = collateral.group_by("loan_id").agg(
        covered=(
            pl.col("appraised_value").fill_null(0) * pl.col("kind").replace_strict(cut, default=0.0)
        ).sum(),
        lien_rank=pl.col("lien_rank").min(),
        collateral_registered=pl.col("registered").any().cast(pl.Int8),
        appraisal_age_days=(pl.lit(as_of) - pl.col("appraised_on").max()).dt.total_days(),
    )
    guarantee = guarantees.group_by("loan_id").agg(
        guarantee_type=pl.when((pl.col("guarantee_type") == "joint").any())
        .then(pl.lit("joint"))
        .otherwise(pl.lit("general")),
        guarantor_overdue=pl.col("guarantor_overdue").any().cast(pl.Int8),
        guarantee_running=(pl.col("period_end").is_null() | (pl.col("period_end") >= as_of))
        .any()
        .cast(pl.Int8),
    )
    credit = borrower_facts(borrowers)
    overdue = pl.sum_horizontal("overdue_principal", "overdue_interest", "overdue_fees", "penalty_interest")
    return (
        status.select(
            "loan_id",
            "borrower_id",
            "dpd",
            "times_overdue",
            "max_dpd",
            "outstanding_principal",
            overdue_ratio=overdue / pl.max_horizontal("outstanding_principal", 1),
            cures=pl.col("times_overdue") - (pl.col("dpd") > 0).cast(pl.Int32),
        )
        .join(days, on="loan_id", how="left", maintain_order="left")
        .join(cover, on="loan_id", how="left", maintain_order="left")
        .join(guarantee, on="loan_id", how="left", maintain_order="left")
        .join(credit, on="borrower_id", how="left", maintain_order="left")
        .with_columns(
            installments_overdue=pl.col("installments_overdue").fill_null(0),
            guarantee_type=pl.col("guarantee_type").fill_null("none"),
            contact_channels=pl.col("contact_channels").fill_null(0),
            collateral_coverage=pl.col("covered").fill_null(0)
            / pl.max_horizontal("outstanding_principal", 1),
        )
        .drop("covered", "outstanding_principal")
    )


CREDIT_FIELDS = ("broken_promises", "credit_score", "other_overdue_accounts")
NO_DAY = np.iinfo(np.int32).max  # a missing date, as days since 1970: after every other


def borrower_facts(borrowers: pl.DataFrame) -> pl.DataFrame:
    """Per borrower (the batch's borrowers input, `batch.io.read_borrowers`): how many phone numbers reach them
    (their own and their contacts', `contact_channels`) and their credit report's fields. The risk step and the
    strategy's case facts both read these."""
    return pl.concat(
        [
            borrowers.select(
                "borrower_id",
                contact_channels=(pl.col("phone").fill_null("") != "").cast(pl.Int32)
                + pl.col("contact_phones"),
            ),
            borrower_credit(borrowers),
        ],
        how="horizontal",
    )


def borrower_credit(borrowers: pl.DataFrame) -> pl.DataFrame:
    """The credit report's fields (CREDIT_FIELDS) of every borrower, as floats: the columns of that name when the
    borrowers frame has them all (the batch's reader selects them from `extra` with the database's own JSON
    functions, `batch.io.read_borrowers`, so that no JSON is parsed here every night: half a second per million
    borrowers), otherwise parsed from the `extra` JSON text (`credit_report`, the same values)."""
    if all(f in borrowers.columns for f in CREDIT_FIELDS):
        return borrowers.select(pl.col(f).cast(pl.Float64) for f in CREDIT_FIELDS)
    return credit_report(borrowers["extra"])


def credit_report(extra: pl.Series) -> pl.DataFrame:
    """The credit report's fields kept in the borrowers' `extra` JSON (null where absent or not a number): one
    decode of the documents that hold any of them; when one is not a flat JSON object, each field's path is
    matched instead."""
    text = extra.fill_null("{}")
    holds = functools.reduce(operator.or_, (text.str.contains(f'"{f}"', literal=True) for f in CREDIT_FIELDS))
    rows = holds.arg_true()
    try:
        decoded = text.gather(rows).str.json_decode(pl.Struct({f: pl.String for f in CREDIT_FIELDS}))
        found = decoded.struct.unnest()
    except pl.exceptions.PolarsError:
        found = pl.DataFrame({f: text.gather(rows).str.json_path_match(f"$.{f}") for f in CREDIT_FIELDS})
    found = found.select(pl.col(f).cast(pl.Float64, strict=False) for f in CREDIT_FIELDS)
    columns = {f: pl.repeat(None, text.len(), dtype=pl.Float64, eager=True).alias(f) for f in CREDIT_FIELDS}
    if rows.len():
        for f in CREDIT_FIELDS:
            columns[f].scatter(rows, found[f])
    return pl.DataFrame(list(columns.values()))


def _installment_days(installments: pl.DataFrame, loans: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """loan_id, installments_overdue (past due, not cleared by `as_of`) and on_time_ratio (share of the past due
    installments cleared within grace; null without any) per loan. The close's installments come sorted by loan,
    so each loan's rows are one run and numpy sums the runs; otherwise a group_by does the same."""
    keys = installments["loan_id"]
    rows = keys.len()
    starts = np.zeros(min(rows, 1), dtype=np.int64)
    if rows > 1:
        starts = np.append(starts, (keys.slice(1) != keys.slice(0, rows - 1)).arg_true().to_numpy() + 1)
    ids = keys.gather(starts)
    if rows == 0 or not ids.is_sorted():  # sorted runs of different ids: each loan is one run
        installments = installments.sort("loan_id", maintain_order=True)
        return (
            _installment_days(installments, loans, as_of)
            if rows
            else pl.DataFrame(
                schema={"loan_id": pl.String, "installments_overdue": pl.UInt32, "on_time_ratio": pl.Float64}
            )
        )
    today = (as_of - dt.date(1970, 1, 1)).days
    if loans.height == ids.len() and loans["loan_id"].equals(ids):  # the close's: every loan, in order
        grace = loans["grace_days"].fill_null(0)
    else:
        grace = ids.to_frame("loan_id").join(loans.select("loan_id", "grace_days"), on="loan_id", how="left",
                                             maintain_order="left")["grace_days"].fill_null(0)  # fmt: skip
    due = installments["due_date"].to_physical().fill_null(NO_DAY).to_numpy()
    cleared = installments["cleared_on"].to_physical().fill_null(NO_DAY).to_numpy()
    past = due < today
    lengths = np.diff(np.append(starts, rows))
    on_time = past & (cleared.astype(np.int64) - due <= np.repeat(grace.to_numpy().astype(np.int64), lengths))
    overdue = past & (cleared > today)
    past_count = np.add.reduceat(past, starts, dtype=np.int32)
    ratio = np.add.reduceat(on_time, starts, dtype=np.int32) / np.maximum(past_count, 1)
    return pl.DataFrame(
        {
            "loan_id": ids,
            "installments_overdue": pl.Series(
                np.add.reduceat(overdue, starts, dtype=np.int32), dtype=pl.UInt32
            ),
            "on_time_ratio": pl.Series(np.where(past_count > 0, ratio, np.nan)).fill_nan(None),
        }
    )


# -------------------------------------------------------------------------------------------------------- scoring


def _factor_input(factor: Factor, column: pl.Series) -> np.ndarray:
    """What `_bin_of` bins, for every row: the values as floats (NaN = missing) for a numeric feature, the bin
    number already for a categorical one (a lookup of text, done once for the whole column)."""
    if factor.feature in CATEGORICAL:
        mapping = {v: i for i, b in enumerate(factor.bins) for v in b.values or []}
        binned = column.cast(pl.String).replace_strict(
            mapping, default=len(factor.bins), return_dtype=pl.Int64
        )
        return binned.fill_null(len(factor.bins)).to_numpy()
    return column.cast(pl.Float64).fill_null(np.nan).to_numpy()


def _bin_of(factor: Factor, values: np.ndarray) -> np.ndarray:
    """The bin number (len(bins) = missing) of each of `values` (from `_factor_input`, or a slice of it)."""
    if factor.feature in CATEGORICAL:
        return values
    index = np.zeros(len(values), dtype=np.int64)
    for bin_ in factor.bins[:-1]:  # a comparison per bound: for a few bounds, faster than a binary search
        index += values >= bin_.below  # type: ignore[operator]
    index[np.isnan(values)] = len(factor.bins)
    return index


CHUNK = 32_768  # rows scored at a time: a factor's few vectors of a chunk stay in the CPU's cache


def score(frame: pl.DataFrame, definition: Definition, *, reasons: int = REASON_COUNT) -> pl.DataFrame:
    """`loan_id`, `risk_score` (0–1000), `risk_level` and `risk_reasons` (a JSON list of reason codes) for every
    row of the feature frame `frame`.

    The reasons are each row's `reasons` largest parts (weight × points), ties in factor order, kept when the
    part is above zero and its bin has a reason code. Finding them is most of the work, so it is done without a
    rows × factors matrix and without a sort: every bin gets one packed integer key,
    `(top − part) << bits | bin number` (top: the largest part any bin gives; bin numbers count up through the
    factors in order, so among equal parts the earlier factor's key is smaller), and each row keeps its
    `reasons` smallest keys in a sorted run of slots, one min/max insertion per factor. That is the ranking of
    `argmax` taken `reasons` times, in a handful of vector operations per factor, on 32k-row chunks that stay in
    cache. The JSON text is then built once per distinct ranking (a few hundred) and spread to the rows."""
    factors = definition.factors
    weights = np.array([f.weight for f in factors], dtype=np.int64)
    places = min(reasons, len(factors))
    inputs: list[np.ndarray] = []  # per factor, what `_bin_of` bins
    parts: list[np.ndarray] = []  # per factor, weight × points of each bin (missing last)
    offsets: list[int] = []  # per factor, the number of its first bin among all factors' bins
    codes: list[str] = []  # every bin's reason code, factor after factor
    named: list[bool] = []  # every bin: a reason when it is among a row's largest parts
    for factor, weight in zip(factors, weights, strict=True):
        column = (
            frame[factor.feature] if factor.feature in frame.columns else pl.Series([None] * frame.height)
        )
        bins = [*factor.bins, factor.missing]
        inputs.append(_factor_input(factor, column))
        parts.append(np.array([b.points for b in bins], dtype=np.int64) * weight)
        offsets.append(len(codes))
        codes.extend(b.reason for b in bins)
        named.extend(bool(b.reason) and b.points > 0 for b in bins)  # weight > 0: part > 0 ⇔ points > 0
    none = len(codes)  # the code of "no reason" in a ranking
    reason_of = np.array([i if keep else none for i, keep in enumerate(named)], dtype=np.int64)
    bits = max(none.bit_length(), 1)  # every bin number < 2**bits
    top = int(max((p.max() for p in parts), default=0))
    keys = [
        ((top - p) << bits) | (offset + np.arange(len(p))) for p, offset in zip(parts, offsets, strict=True)
    ]
    total = np.empty(frame.height, dtype=np.int64)
    ranking = np.zeros(frame.height, dtype=np.int64)  # the kept codes of a row as one number in base none + 1
    for start in range(0, frame.height, CHUNK):
        stop = min(start + CHUNK, frame.height)
        summed = np.zeros(stop - start, dtype=np.int64)
        slots = [np.full(stop - start, np.iinfo(np.int64).max) for _ in range(places)]  # ascending keys
        for factor, values, part, key in zip(factors, inputs, parts, keys, strict=True):
            index = _bin_of(factor, values[start:stop])
            summed += part[index]
            moving = key[index]
            for place in range(places - 1):  # insert: the smaller key stays in the slot, the larger moves on
                smaller = np.minimum(slots[place], moving)
                np.maximum(slots[place], moving, out=moving)
                slots[place] = smaller
            if slots:
                np.minimum(slots[-1], moving, out=slots[-1])
        total[start:stop] = summed
        ranked = ranking[start:stop]
        for slot in slots:
            ranked *= none + 1
            ranked += reason_of[slot & ((1 << bits) - 1)]
    scale = 100 * int(weights.sum())
    risk_score = (2000 * total + scale) // (2 * scale)  # 1000 × Σ ÷ scale, half up, in integers
    thresholds = np.array([lv.min_score for lv in definition.levels[1:]])
    level = pl.Series(LEVELS, dtype=pl.String).gather(np.searchsorted(thresholds, risk_score, side="right"))
    distinct, which = _distinct(ranking, (none + 1) ** places)
    texts = [_reason_list(int(value), none, places, codes) for value in distinct]
    return pl.DataFrame(
        {
            "loan_id": frame["loan_id"],
            "risk_score": pl.Series(risk_score, dtype=pl.Int32),
            "risk_level": level,
            "risk_reasons": pl.Series(texts, dtype=pl.String).gather(which),
        }
    )


def _distinct(values: np.ndarray, bound: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct `values` (all in 0…bound − 1), ascending, and each value's position among them. With a
    small bound a table of the values seen replaces np.unique's sort."""
    if bound > 1 << 22:
        distinct, which = np.unique(values, return_inverse=True)
        return distinct, which.reshape(-1)
    seen = np.zeros(bound, dtype=bool)
    seen[values] = True
    return np.flatnonzero(seen), (np.cumsum(seen) - 1)[values]


def _reason_list(ranking: int, none: int, places: int, codes: list[str]) -> str:
    """One row's ranking number back to its JSON list of reason codes (largest part first)."""
    picked = []
    for _ in range(places):
        ranking, code = divmod(ranking, none + 1)
        picked.append(code)
    return json.dumps([codes[c] for c in reversed(picked) if c != none], separators=(",", ":"))


def describe(definition: Definition, codes: list[str], language: str) -> list[dict[str, Any]]:
    """Reason codes with their text in `language` (zh or en), in order."""
    return [
        {"code": code, "text": getattr(definition.reasons[code], "en" if language.startswith("en") else "zh")}
        if code in definition.reasons
        else {"code": code, "text": code}
        for code in codes
    ]
