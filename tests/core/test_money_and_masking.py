from __future__ import annotations

from decimal import Decimal

import pytest

from arrears.core.dates import add_months
from arrears.core.masking import mask_id_number, mask_name, mask_phone
from arrears.core.money import MoneyError, display_fen, format_fen, parse_yuan, round_fen


@pytest.mark.parametrize(
    ("text", "fen"),
    [("1234.5", 123450), ("1,234.50", 123450), ("0.01", 1), ("12", 1200), (" 7.05 ", 705), ("-3.10", -310)],
)
def test_parse_yuan(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["1.234", "abc", "", "1e5", "12.3.4", "--1"])
def test_parse_yuan_rejects(text):
    with pytest.raises(MoneyError):
        parse_yuan(text)


def test_format_and_display():
    assert format_fen(123450) == "1234.50"
    assert format_fen(-5) == "-0.05"
    assert display_fen(123456789) == "1,234,567.89"
    assert display_fen(None) == ""


@pytest.mark.parametrize(("amount", "fen"), [("0.5", 1), ("1.49", 1), ("2.5", 3), ("-0.5", -1)])
def test_round_half_up(amount, fen):
    assert round_fen(Decimal(amount)) == fen


def test_add_months_clamps_to_month_end():
    import datetime as dt

    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2028, 1, 31), 1) == dt.date(2028, 2, 29)
    assert add_months(dt.date(2026, 11, 15), 3) == dt.date(2027, 2, 15)


def test_masking():
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三丰") == "张**"
    assert mask_id_number("") == "" and mask_phone(None) == ""
