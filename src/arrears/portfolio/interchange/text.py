"""Polars expressions that turn canonical integers back into the format's text: fen -> yuan, millionths -> rate."""

from __future__ import annotations

import polars as pl

from arrears.portfolio.schedules import RATE_SCALE


def yuan_text(value: pl.Expr) -> pl.Expr:
    """123450 -> '1234.50'; -5 -> '-0.05'."""
    sign = pl.when(value < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    magnitude = value.abs()
    return pl.when(value.is_not_null()).then(
        pl.format("{}{}.{}", sign, magnitude // 100, (magnitude % 100).cast(pl.String).str.pad_start(2, "0"))
    )


def rate_text(value: pl.Expr, *, trim: bool = True) -> pl.Expr:
    """120000 -> '0.12' (or '0.120000' with trim=False, the form decimal columns store)."""
    fraction = (value % RATE_SCALE).cast(pl.String).str.pad_start(6, "0")
    whole = (value // RATE_SCALE).cast(pl.String)
    if not trim:
        return pl.when(value.is_not_null()).then(pl.format("{}.{}", whole, fraction))
    fraction = fraction.str.strip_chars_end("0")
    return pl.when(value.is_not_null()).then(
        pl.when(fraction == "").then(whole).otherwise(pl.format("{}.{}", whole, fraction))
    )
