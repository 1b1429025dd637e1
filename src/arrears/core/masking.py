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


def mask_email(value: str | None) -> str:
    """zhang.wei@example.com -> z*******@example.com: the domain kept, the person hidden."""
    if not value:
        return ""
    local, _at, domain = value.partition("@")
    return (local[:1] + "*" * max(len(local) - 1, 1) + ("@" + domain if domain else "")) if local else value


def mask_address(value: str | None) -> str:
    """北京市朝阳区建国路88号3单元502 -> 北京市朝阳区***: the first six characters (province and city, enough for
    jurisdiction and routing), the rest hidden."""
    if not value:
        return ""
    return value[:6] + "***" if len(value) > 6 else value[:1] + "***"
