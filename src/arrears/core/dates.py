"""Business dates. Domain code receives a business date; only the edges (CLI, views) decide what 'today' is."""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings


def local_today() -> dt.date:
    """Today in the configured time zone (Asia/Shanghai by default). Edges only: never call from domain code."""
    return dt.datetime.now(ZoneInfo(settings.TIME_ZONE)).date()


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day-of-month `months` later, clamped to the month's end (01-31 + 1 month = 02-28/29)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def parse_iso_date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)
