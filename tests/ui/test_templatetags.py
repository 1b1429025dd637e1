"""The `arrears` template filters: money, rates and masking as people see them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from arrears.core.templatetags.arrears import (
    get_item,
    masked_email,
    masked_id,
    masked_phone,
    percent,
    thousands,
    yuan,
)


@pytest.mark.parametrize(
    ("fen", "shown"),
    [
        (0, "0.00"),
        (5, "0.05"),
        (123456789, "1,234,567.89"),
        (-408027, "-4,080.27"),
        (None, ""),
        ("", ""),
        ("12", "0.12"),
        ("x", ""),
    ],
)
def test_yuan(fen: object, shown: str) -> None:
    assert yuan(fen) == shown


@pytest.mark.parametrize(
    ("rate", "shown"),
    [
        (Decimal("0.12"), "12.00%"),
        (Decimal("0.0365"), "3.65%"),
        (Decimal("0.000125"), "0.0125%"),
        (Decimal("0.18"), "18.00%"),
        (Decimal("1"), "100.00%"),
        ("0.24", "24.00%"),
        (None, ""),
        ("bad", ""),
    ],
)
def test_percent(rate: object, shown: str) -> None:
    assert percent(rate) == shown


def test_thousands() -> None:
    assert thousands(1234567) == "1,234,567"
    assert thousands(0) == "0"
    assert thousands(None) == ""


def test_masking_follows_the_role_flag() -> None:
    assert masked_id("11010519491231002X") == "110105********002X"
    assert masked_id("11010519491231002X", True) == "11010519491231002X"
    assert masked_phone("13812345678") == "138****5678"
    assert masked_phone("13812345678", True) == "13812345678"
    assert masked_email("hr@example.com") == "h***@example.com"
    assert masked_email("hr@example.com", True) == "hr@example.com"
    assert masked_id("") == masked_phone(None) == masked_email("") == ""


def test_get_item() -> None:
    assert get_item({"created": 3}, "created") == 3
    assert get_item({"created": 3}, "updated") == ""
    assert get_item(None, "x") == ""
