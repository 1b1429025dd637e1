"""Delinquent days: days past due less the loan's grace days and the days paused within the current episode.

issue 3 / domain-rules.md §10.1: ``delinquent_days = max(0, dpd − grace_days − paused days within the current
overdue episode)``. Unlike Fineract, pause days before the episode began do not count, and while a pause is active
delinquent days (and so the bucket) stay frozen: dpd and paused days grow together.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

PAUSE_INPUT = {"loan_id": pl.String, "start": pl.Date, "end": pl.Date}


def paused_days(state: pl.DataFrame, pauses: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """Per loan of `state` (needs loan_id, episode_start): `paused_days` within [episode_start, as_of] and
    `paused` (a pause covers as_of). Pauses are inclusive of both ends; an open pause runs through as_of."""
    spans = (
        pauses.filter(pl.col("start") <= as_of)
        .join(state.select("loan_id", "episode_start"), on="loan_id", how="inner")
        .with_columns(last=pl.min_horizontal(pl.col("end").fill_null(as_of), pl.lit(as_of)))
        .with_columns(
            overlap=(pl.col("last") - pl.max_horizontal("start", "episode_start")).dt.total_days() + 1,
            covers=pl.col("last") >= as_of,
        )
        .group_by("loan_id")
        .agg(
            paused_days=pl.col("overlap")
            .filter(pl.col("episode_start").is_not_null())
            .clip(lower_bound=0)
            .sum(),
            paused=pl.col("covers").any(),
        )
    )
    return state.join(spans, on="loan_id", how="left").with_columns(
        pl.col("paused_days").fill_null(0).cast(pl.Int32), pl.col("paused").fill_null(False)
    )


def delinquent_days(state: pl.DataFrame) -> pl.DataFrame:
    """Needs dpd, grace_days, paused_days."""
    return state.with_columns(
        delinquent_days=(pl.col("dpd") - pl.col("grace_days") - pl.col("paused_days"))
        .clip(lower_bound=0)
        .cast(pl.Int32)
    )
