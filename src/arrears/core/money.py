"""Money is integer fen (分) everywhere; `Decimal` only inside calculations.

Rounding is explicit: `round_fen` rounds half up (四舍五入), the convention of Chinese bank statements.
Display and interchange use yuan strings with exactly two decimals.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN_PER_YUAN = 100
_YUAN_RE = re.compile(r"^(-)?(\d+)(?:\.(\d{1,2}))?$")


class MoneyError(ValueError):
    """A value that is not an amount in yuan with at most two decimals."""


def parse_yuan(text: str) -> int:
    """'1,234.5' -> 123450 fen. Thousands separators allowed; more than two decimals is an error, not rounded."""
    cleaned = text.strip().replace(",", "")
    match = _YUAN_RE.match(cleaned)
    if not match:
        raise MoneyError(f"not an amount in yuan with at most 2 decimals: {text!r}")
    sign, whole, frac = match.groups()
    fen = int(whole) * FEN_PER_YUAN + int((frac or "").ljust(2, "0"))
    return -fen if sign else fen


def format_fen(fen: int) -> str:
    """123450 -> '1234.50' (interchange and JSON: no separators)."""
    sign = "-" if fen < 0 else ""
    whole, frac = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole}.{frac:02d}"


def display_fen(fen: int | None) -> str:
    """123450 -> '1,234.50' for people."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, frac = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole:,}.{frac:02d}"


def round_fen(amount: Decimal) -> int:
    """A Decimal amount in fen, rounded half up to a whole fen."""
    try:
        return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    except InvalidOperation as exc:  # pragma: no cover - NaN/inf never come from our calculations
        raise MoneyError(f"cannot round {amount!r}") from exc


def fen_to_decimal_yuan(fen: int) -> Decimal:
    return Decimal(fen) / FEN_PER_YUAN
