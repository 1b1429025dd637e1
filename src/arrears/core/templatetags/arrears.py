"""Template filters for people-facing values: money in yuan, rates in per cent, personal data masked per role.

`{% load arrears %}` then `{{ loan.principal|yuan }}`, `{{ loan.annual_rate|percent }}`,
`{{ borrower.phone|masked_phone:full_pii }}` (full when the second argument is true, masked otherwise).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from arrears.core.masking import mask_id_number, mask_phone
from arrears.core.money import display_fen

register = template.Library()


@register.filter
def yuan(fen: Any) -> str:
    """123456789 (fen) -> '1,234,567.89'; empty for None or anything that is not a whole number of fen."""
    if fen is None or fen == "":
        return ""
    try:
        return display_fen(int(fen))
    except (TypeError, ValueError):
        return ""


@register.filter
def thousands(value: Any) -> str:
    """1234567 -> '1,234,567' in every language (Django's intcomma groups by locale; zh-Hans does not)."""
    if value is None or value == "":
        return ""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


@register.filter
def percent(rate: Any) -> str:
    """An annual rate (a fraction) in per cent: 0.12 -> '12.00%', 0.0365 -> '3.65%', 0.000125 -> '0.0125%'."""
    if rate is None or rate == "":
        return ""
    try:
        value = Decimal(str(rate)) * 100
    except (InvalidOperation, ValueError):
        return ""
    text = f"{value:.4f}".rstrip("0")
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}%"


@register.filter
def masked_id(value: str | None, full: bool = False) -> str:
    """An ID number, masked (region and last four kept) unless `full` is true."""
    if not value:
        return ""
    return value if full else mask_id_number(value)


@register.filter
def masked_phone(value: str | None, full: bool = False) -> str:
    """A phone number, masked (138****5678) unless `full` is true."""
    if not value:
        return ""
    return value if full else mask_phone(value)


@register.filter
def masked_email(value: str | None, full: bool = False) -> str:
    """An e-mail address with the local part masked (z***@example.com) unless `full` is true."""
    if not value:
        return ""
    if full:
        return value
    local, at, domain = value.partition("@")
    return f"{local[:1]}***{at}{domain}"


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """`{{ counts|get_item:"created" }}`: a dict lookup with a variable or awkward key; empty when missing."""
    if isinstance(mapping, dict):
        return mapping.get(key, "")
    return ""


@register.filter
def problem(message: str) -> str:
    """An import problem (stored in English, the report's contract) in the reader's language."""
    from arrears.portfolio.interchange.messages import localize

    return localize(message or "")
