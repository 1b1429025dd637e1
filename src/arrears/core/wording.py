"""How documents write numbers, dates, rates and amounts in Chinese (agreements, complaints, letters)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

_LOWER = "零一二三四五六七八九"
_DIGITS = "零壹贰叁肆伍陆柒捌玖"  # capitals (大写), as money is written
_SMALL_UNITS = ["", "拾", "佰", "仟"]
_GROUP_UNITS = ["", "万", "亿", "万亿"]


def cn_date(day: dt.date | None) -> str:
    """2026-05-10 → 2026年5月10日 ("" for none)."""
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def percent(rate: Decimal, places: int | None = 2) -> str:
    """A rate as a fraction → "6.00%" (`places` decimals, exact: a Decimal throughout); `places` None: as many
    as it has, "4.35%"."""
    hundred = Decimal(rate) * 100
    if places is None:
        return f"{format(hundred.normalize(), 'f')}%"
    return f"{hundred.quantize(Decimal(1).scaleb(-places))}%"


def _group_words(group: int) -> str:
    """0 < group < 10,000 in capitals, zeros inside collapsed to one 零 and trailing zeros dropped."""
    words, zero = "", False
    for position in range(3, -1, -1):
        digit = group // 10**position % 10
        if digit == 0:
            zero = bool(words)
            continue
        if zero:
            words += "零"
            zero = False
        words += _DIGITS[digit] + _SMALL_UNITS[position]
    return words


def yuan_in_words(fen: int) -> str:
    """An amount in capitals as cheques and contracts write it (大写, 《支付结算办法》附一, which lets one 零 stand
    for a run of zeros and allows leaving it out before 角 or after 万): 1,005,020.50 yuan → 壹佰万零伍仟零贰拾元伍角;
    100.00 → 壹佰元整; 1.05 → 壹元零伍分; 0.05 → 伍分."""
    if fen < 0:
        raise ValueError("a negative amount has no capitals")
    yuan, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)
    words = ""
    if yuan:
        groups = []
        while yuan:
            yuan, group = divmod(yuan, 10_000)
            groups.append(group)
        gap, previous = False, 0
        for index in range(len(groups) - 1, -1, -1):
            group = groups[index]
            if group == 0:
                gap = bool(words)
                continue
            # one 零 for the zeros between two groups (the 万 place, a whole group, the 千 place)
            if words and (gap or group < 1000 or previous % 10 == 0):
                words += "零"
            words += _group_words(group) + _GROUP_UNITS[index]
            gap, previous = False, group
        words += "元"
    if not jiao and not fen_digit:
        return (words or "零元") + "整"
    if jiao:
        words += _DIGITS[jiao] + "角"
    elif words:
        words += "零"
    if fen_digit:
        words += _DIGITS[fen_digit] + "分"
    return words


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 99 → 九十九 (the numbering of claims and parties)."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _LOWER[tens] + "十")
    return head + (_LOWER[ones] if ones else "")
