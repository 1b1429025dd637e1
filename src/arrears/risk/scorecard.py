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
import itertools
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
    days = (
        installments.filter(pl.col("due_date") < as_of)
        .join(loans.select("loan_id", "grace_days"), on="loan_id", how="left", maintain_order="left")
        .group_by("loan_id")
        .agg(
            installments_overdue=(pl.col("cleared_on").is_null() | (pl.col("cleared_on") > as_of)).sum(),
            on_time_ratio=(
                pl.col("cleared_on") <= pl.col("due_date") + pl.duration(days=pl.col("grace_days"))
            )
            .fill_null(False)  # not cleared: not on time
            .mean(),
        )
    )
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
    extra = pl.col("extra").fill_null("{}")
    credit = borrowers.select(
        "borrower_id",
        contact_channels=(pl.col("phone").fill_null("") != "").cast(pl.Int32) + pl.col("contact_phones"),
        broken_promises=extra.str.json_path_match("$.broken_promises").cast(pl.Float64, strict=False),
        credit_score=extra.str.json_path_match("$.credit_score").cast(pl.Float64, strict=False),
        other_overdue_accounts=extra.str.json_path_match("$.other_overdue_accounts").cast(
            pl.Float64, strict=False
        ),
    )
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


# -------------------------------------------------------------------------------------------------------- scoring


def _points(factor: Factor, column: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """Points and bin number (len(bins) = missing) of every row for one factor."""
    table = np.array([b.points for b in [*factor.bins, factor.missing]], dtype=np.int64)
    if factor.feature in CATEGORICAL:
        mapping = {v: i for i, b in enumerate(factor.bins) for v in b.values or []}
        binned = column.cast(pl.String).replace_strict(
            mapping, default=len(factor.bins), return_dtype=pl.Int64
        )
        index: np.ndarray = binned.fill_null(len(factor.bins)).to_numpy()
    else:
        values = column.cast(pl.Float64).fill_null(np.nan).to_numpy()
        bounds = np.array([b.below for b in factor.bins[:-1]], dtype=float)
        index = np.where(np.isnan(values), len(factor.bins), np.searchsorted(bounds, values, side="right"))
    return table[index], index


def score(frame: pl.DataFrame, definition: Definition, *, reasons: int = REASON_COUNT) -> pl.DataFrame:
    """`loan_id`, `risk_score` (0–1000), `risk_level` and `risk_reasons` (a JSON list of reason codes) for every
    row of the feature frame `frame`."""
    factors = definition.factors
    weights = np.array([f.weight for f in factors], dtype=np.int64)
    parts = np.empty((frame.height, len(factors)), dtype=np.int64)
    bins = np.empty((frame.height, len(factors)), dtype=np.int64)
    codes: list[str] = []  # every bin's reason code, factor after factor; `bins` index into it
    for j, factor in enumerate(factors):
        column = (
            frame[factor.feature] if factor.feature in frame.columns else pl.Series([None] * frame.height)
        )
        points, index = _points(factor, column)
        parts[:, j] = points * weights[j]
        bins[:, j] = index + len(codes)
        codes.extend(b.reason for b in [*factor.bins, factor.missing])
    scale = 100 * int(weights.sum())
    risk_score = (2000 * parts.sum(axis=1) + scale) // (2 * scale)  # 1000 × Σ ÷ scale, half up, in integers
    thresholds = np.array([lv.min_score for lv in definition.levels[1:]])
    level = np.array(LEVELS)[np.searchsorted(thresholds, risk_score, side="right")]
    order = np.argsort(-parts, axis=1, kind="stable")[:, :reasons]
    chosen = np.take_along_axis(bins, order, axis=1)
    kept = np.take_along_axis(parts, order, axis=1) > 0
    table = pl.Series(codes, dtype=pl.String).replace("", None)
    nothing = pl.Series([None], dtype=pl.String)
    ranked = [
        ('"' + table.gather(chosen[:, i]) + '"').zip_with(pl.Series(kept[:, i]), nothing).alias(f"r{i}")
        for i in range(chosen.shape[1])
    ]
    listed = pl.DataFrame(ranked).select(pl.concat_str(pl.all(), separator=",", ignore_nulls=True))[:, 0]
    return pl.DataFrame(
        {
            "loan_id": frame["loan_id"],
            "risk_score": pl.Series(risk_score, dtype=pl.Int32),
            "risk_level": pl.Series(level, dtype=pl.String),
            "risk_reasons": "[" + listed.fill_null("") + "]",
        }
    )


def describe(definition: Definition, codes: list[str], language: str) -> list[dict[str, Any]]:
    """Reason codes with their text in `language` (zh or en), in order."""
    return [
        {"code": code, "text": getattr(definition.reasons[code], "en" if language.startswith("en") else "zh")}
        if code in definition.reasons
        else {"code": code, "text": code}
        for code in codes
    ]
