"""Property tests: the set-based parsers agree with the reference implementations value by value."""

from __future__ import annotations

from decimal import Decimal

import phonenumbers
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from arrears.core.money import MoneyError, format_fen, parse_yuan
from arrears.portfolio.interchange.checks import phones_valid, resident_ids_valid
from arrears.portfolio.interchange.spec import Column, Kind
from arrears.portfolio.interchange.validate import parse_columns

money_text = st.one_of(
    st.decimals(min_value=0, max_value=Decimal("9999999999999.99"), places=2).map(str),
    st.integers(min_value=0, max_value=10**12).map(lambda n: f"{n:,}"),
    st.text(alphabet="0123456789.,- e", max_size=12),
)


def parse_column(kind: Kind, values: list[str | None]) -> pl.DataFrame:
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    return parse_columns(frame.lazy(), [Column("v", kind)], {}).collect()


@settings(max_examples=300, deadline=None)
@given(st.lists(money_text, min_size=1, max_size=30))
def test_money_column_matches_parse_yuan(texts):
    parsed = parse_column(Kind.MONEY, texts)
    for text, fen, error in zip(texts, parsed["v"], parsed["__e_v"], strict=True):
        stripped = text.strip()
        if not stripped:
            assert fen is None
            continue
        try:
            expected = parse_yuan(stripped)
        except MoneyError:
            expected = None
        if expected is not None and expected >= 0:
            assert fen == expected and error is None, text
            assert parse_yuan(format_fen(fen)) == fen
        else:
            assert fen is None and error is not None, text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.decimals(min_value=0, max_value=1, places=6).map(str), min_size=1, max_size=20))
def test_rate_column_is_exact_millionths(texts):
    parsed = parse_column(Kind.RATE, texts)
    assert [Decimal(v) / 1_000_000 for v in parsed["v"]] == [Decimal(t) for t in texts]


def _ric_candidates():
    regions = st.sampled_from(["110105", "440304", "310101", "510107", "999999", "110100", "330106"])
    dates = st.dates().map(lambda d: d.strftime("%Y%m%d"))
    serial = st.integers(min_value=0, max_value=999).map(lambda n: f"{n:03d}")
    check = st.sampled_from(list("0123456789X"))
    return st.one_of(
        st.builds(lambda r, d, s, c: r + d + s + c, regions, dates, serial, check),
        st.text(alphabet="0123456789Xx", min_size=15, max_size=19),
    )


@settings(max_examples=100, deadline=None)
@given(st.lists(_ric_candidates(), min_size=1, max_size=40))
def test_resident_id_check_agrees_with_stdnum(ids):
    assert resident_ids_valid(pl.Series(ids)).to_list() == [ric.is_valid(i) for i in ids]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.integers(min_value=10_000_000_000, max_value=19_999_999_999).map(str),
            st.integers(min_value=100_000_0000, max_value=999_999_9999).map(lambda n: f"0{n}"),
            st.text(alphabet="0123456789+- ", min_size=3, max_size=14),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_phone_check_agrees_with_phonenumbers(numbers):
    def reference(number: str) -> bool:
        try:
            cleaned = number.replace(" ", "").replace("-", "")
            if cleaned.startswith("+86"):
                cleaned = cleaned[3:]
            return phonenumbers.is_valid_number(phonenumbers.parse(cleaned, "CN"))
        except phonenumbers.NumberParseException:
            return False

    got = phones_valid(pl.Series(numbers, dtype=pl.String)).to_list()
    assert got == [reference(n) for n in numbers]


def test_five_digits_decide_a_cn_mobile_numbers_validity():
    """checks.py asks phonenumbers once per 5-digit prefix; that is sound only if the installed metadata never
    looks further. Every prefix, with the lowest, highest and a middle remainder."""
    from arrears.portfolio.interchange.checks import MOBILE_KEY_DIGITS

    tails = ("000000", "999999", "538271")
    for prefix in range(10 ** (MOBILE_KEY_DIGITS - 1), 2 * 10 ** (MOBILE_KEY_DIGITS - 1)):
        results = {phonenumbers.is_valid_number(phonenumbers.parse(f"{prefix}{t}", "CN")) for t in tails}
        assert len(results) == 1, prefix
