"""Masking of personal data for roles that do not need it in full (PIPL art. 28–29: minimum necessary)."""

from __future__ import annotations


def mask_id_number(value: str | None) -> str:
    """110105199001011234 -> 110105********1234: region kept for jurisdiction, birth date hidden."""
    if not value:
        return ""
    if len(value) <= 8:
        return value[:1] + "*" * (len(value) - 1)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    """13812345678 -> 138****5678."""
    if not value:
        return ""
    digits = value.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(value: str | None) -> str:
    """张三丰 -> 张**: surname only."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1)
