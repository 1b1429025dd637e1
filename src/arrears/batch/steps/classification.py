"""Five-tier classification (五级分类), domain-rules.md §1.

classification = the most severe of
- the days-past-due floor of the loan's scale (§1.1 for loans: dpd ≥ 1 → special mention, > 90 → substandard,
  > 270 → doubtful, > 360 → loss; §1.4 for credit cards: 1–90 / 91–120 / 121–180 / > 180), except that an episode
  flagged as a technical overdue stays normal while dpd ≤ the technical allowance (7 days);
- the restructuring floor (§1.3): during the observation period at least special mention, and at least substandard
  when the loan was restructured more than once. The period starts at the first repayment date after the
  restructuring and lasts at least `observation_months` and `observation_periods` repayment periods; a missed
  payment (an installment due in the period and not paid on its due date) restarts it from the missed date;
- the upgrade rule (§1.2): a loan that was non-performing (an episode beyond the substandard threshold) stays at
  least substandard after its arrears are repaid until `upgrade_periods` repayment periods or `upgrade_months`
  months of normal repayment have passed, whichever is first (the allocation kernel follows the episodes);
- an approved manual override, which can only make it stricter (it is ignored where the rules are stricter).
Thresholds come from the versioned `rules.ClassificationRule` in force on the business date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

SEVERITY = ["normal", "special_mention", "substandard", "doubtful", "loss"]
RANK = {code: rank for rank, code in enumerate(SEVERITY)}


@dataclass(frozen=True)
class Thresholds:
    technical_grace_days: int = 7
    special_mention_after: int = 0
    substandard_after: int = 90
    doubtful_after: int = 270
    loss_after: int = 360
    restructured_floor: str = "special_mention"
    restructured_again_floor: str = "substandard"
    observation_months: int = 12
    observation_periods: int = 2
    upgrade_months: int = 6
    upgrade_periods: int = 2


GENERAL = Thresholds()
CREDIT_CARD = Thresholds(substandard_after=90, doubtful_after=120, loss_after=180)


def _rank(expr: pl.Expr) -> pl.Expr:
    return expr.replace_strict(RANK, return_dtype=pl.Int8, default=0)


def _floor_by_dpd(t: Thresholds) -> pl.Expr:
    dpd = pl.col("dpd")
    technical = pl.col("technical_overdue") & (dpd <= t.technical_grace_days)
    return (
        pl.when(dpd > t.loss_after).then(4)
        .when(dpd > t.doubtful_after).then(3)
        .when(dpd > t.substandard_after).then(2)
        .when((dpd > t.special_mention_after) & ~technical).then(1)
        .otherwise(0)
    )  # fmt: skip


def observation(
    state: pl.DataFrame,
    installments: pl.DataFrame,
    restructurings: pl.DataFrame,
    as_of: dt.date,
    t: Thresholds,
) -> pl.DataFrame:
    """Per restructured loan: `observation_until` (null when not restructured) and `restructure_count`.

    `installments` carries due_date and cleared_on (the kernel's output); `restructurings` loan_id, restructured_on.
    """
    latest = (
        restructurings.filter(pl.col("restructured_on") <= as_of)
        .group_by("loan_id")
        .agg(restructured_on=pl.col("restructured_on").max(), restructure_count=pl.len().cast(pl.Int32))
    )
    if latest.height == 0:
        return state.with_columns(
            observation_until=pl.lit(None, pl.Date), restructure_count=pl.lit(0, pl.Int32)
        )
    dues = (
        installments.join(latest, on="loan_id", how="inner")
        .filter(pl.col("due_date") > pl.col("restructured_on"))
        .select("loan_id", "due_date", "cleared_on")
        .sort("loan_id", "due_date")
        .with_columns(rank=pl.int_range(pl.len()).over("loan_id"))
    )
    missed = dues.filter(
        pl.col("due_date") < as_of,
        pl.col("cleared_on").is_null() | (pl.col("cleared_on") > pl.col("due_date")),
    ).select("loan_id", missed_on="due_date", missed_rank="rank")

    def period_end(start: pl.Expr, start_rank: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
        return start.dt.offset_by(f"{t.observation_months}mo"), start_rank + t.observation_periods

    # The period starts at the first due date after the restructuring; each miss inside it restarts it.
    period = dues.filter(pl.col("rank") == 0).select("loan_id", start="due_date", start_rank="rank")
    while True:
        months_end, rank_end = period_end(pl.col("start"), pl.col("start_rank"))
        restart = (
            period.join(missed, on="loan_id")
            .join(
                dues.select("loan_id", rank_due="due_date", rank="rank"),
                left_on=["loan_id", rank_end],
                right_on=["loan_id", "rank"],
                how="left",
            )
            .filter(
                pl.col("missed_on") > pl.col("start"),
                pl.col("missed_on") <= pl.max_horizontal(months_end, pl.col("rank_due")),
            )
            .group_by("loan_id")
            .agg(next_start=pl.col("missed_on").min(), next_rank=pl.col("missed_rank").min())
        )
        if restart.height == 0:
            break
        period = period.join(restart, on="loan_id", how="left").select(
            "loan_id",
            start=pl.coalesce("next_start", "start"),
            start_rank=pl.coalesce("next_rank", "start_rank"),
        )
    months_end, rank_end = period_end(pl.col("start"), pl.col("start_rank"))
    ends = period.join(
        dues.select("loan_id", rank_due="due_date", rank="rank"),
        left_on=["loan_id", rank_end],
        right_on=["loan_id", "rank"],
        how="left",
    ).select("loan_id", observation_until=pl.max_horizontal(months_end, pl.col("rank_due")))
    # Restructured but no repayment date after it yet: under observation until one is known (open-ended).
    return (
        state.join(latest.select("loan_id", "restructure_count"), on="loan_id", how="left")
        .join(ends, on="loan_id", how="left")
        .with_columns(
            observation_until=pl.when(pl.col("restructure_count").is_not_null()).then(
                pl.col("observation_until").fill_null(dt.date(9999, 12, 31))
            ),
            restructure_count=pl.col("restructure_count").fill_null(0),
        )
    )


def classify(
    state: pl.DataFrame,
    overrides: pl.DataFrame,
    as_of: dt.date,
    general: Thresholds = GENERAL,
    credit_card: Thresholds = CREDIT_CARD,
) -> pl.DataFrame:
    """Needs product_type, dpd, technical_overdue, observation_until, restructure_count, npl_hold; `overrides` has loan_id,
    classification, effective_from of approved overrides. Adds rule_classification and classification."""
    card = pl.col("product_type") == "credit_card"
    in_observation = pl.col("observation_until").is_not_null() & (pl.col("observation_until") >= as_of)

    def restructured(t: Thresholds) -> pl.Expr:
        floor = (
            pl.when(pl.col("restructure_count") > 1)
            .then(RANK[t.restructured_again_floor])
            .otherwise(RANK[t.restructured_floor])
        )
        return pl.when(in_observation).then(floor).otherwise(0)

    manual = (
        overrides.filter(pl.col("effective_from") <= as_of)
        .sort("effective_from")
        .group_by("loan_id")
        .agg(manual=_rank(pl.col("classification").last()))
    )
    held = pl.when(pl.col("npl_hold")).then(RANK["substandard"]).otherwise(0)
    rule_rank = (
        pl.when(card)
        .then(pl.max_horizontal(_floor_by_dpd(credit_card), restructured(credit_card), held))
        .otherwise(pl.max_horizontal(_floor_by_dpd(general), restructured(general), held))
    )
    codes = pl.Series(SEVERITY)
    return (
        state.join(manual, on="loan_id", how="left")
        .with_columns(rule_rank=rule_rank.cast(pl.Int8))
        .with_columns(final_rank=pl.max_horizontal("rule_rank", pl.col("manual").fill_null(0)))
        .with_columns(
            rule_classification=pl.col("rule_rank").replace_strict(
                dict(enumerate(codes)), return_dtype=pl.String
            ),
            classification=pl.col("final_rank").replace_strict(
                dict(enumerate(codes)), return_dtype=pl.String
            ),
        )
        .drop("manual", "rule_rank", "final_rank")
    )
