"""`arrears legal …`: the litigation pipeline on the command line.

- `arrears legal watch --as-of D [--within DAYS] [--expired] [--json]`: the limitation watch (issue 8 §7) — every owed
  loan whose limitation period (民法典 arts. 188, 189, 195) expires within DAYS (default 180) of D, and every
  guarantee not yet preserved whose period (art. 692) ends within them; `--expired` adds those already past.
- `arrears legal remind --as-of D [--no-limitation] [--json]`: the day's reminders — deadlines missed or lapsed,
  follow-ups at T-30/T-7/T-1 (`legal.services.remind_deadlines`, which the close also runs), and the limitation
  watch's follow-ups (`alert_limitation`). Idempotent: run it daily (cron) or again the same day.
- `arrears legal matters [--stage STAGE] [--json]`: the matters, newest first.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from django.core.management.base import CommandParser

from arrears.core.commands import ArrearsCommand
from arrears.core.dates import parse_iso_date
from arrears.core.errors import DomainError
from arrears.legal import lifecycle, selectors, services


def _date(text: str) -> dt.date:
    try:
        return parse_iso_date(text)
    except ValueError:
        raise DomainError(f"--as-of takes a date (YYYY-MM-DD), not {text!r}") from None


def _rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return [{k: v.isoformat() if isinstance(v, dt.date) else v for k, v in row.items()}
            for row in frame.iter_rows(named=True)]  # fmt: skip


class Command(ArrearsCommand):
    help = (
        "The litigation pipeline: `watch --as-of D [--within DAYS] [--expired]` (limitation and guarantee periods "
        "expiring), `remind --as-of D` (deadline reminders, missed deadlines, limitation follow-ups), `matters`."
    )
    json_option = False

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        watch = sub.add_parser("watch", help="limitation and guarantee periods expiring soon")
        watch.add_argument("--as-of", required=True, type=_date, help="the business date (YYYY-MM-DD)")
        watch.add_argument("--within", type=int, default=180, help="days ahead (default 180)")
        watch.add_argument("--expired", action="store_true", help="include periods already expired")
        watch.add_argument("--json", action="store_true")
        remind = sub.add_parser("remind", help="deadline reminders and the limitation watch's follow-ups")
        remind.add_argument("--as-of", required=True, type=_date, help="the business date (YYYY-MM-DD)")
        remind.add_argument("--no-limitation", action="store_true", help="deadlines only")
        remind.add_argument("--json", action="store_true")
        matters = sub.add_parser("matters", help="list the matters")
        matters.add_argument("--stage", choices=lifecycle.STAGES)
        matters.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, options["action"])(options)

    def watch(self, options: dict[str, Any]) -> None:
        as_of, within = options["as_of"], options["within"]
        if within < 0:
            raise DomainError("--within must not be negative")
        loans = selectors.limitation_watch(as_of, within, include_expired=options["expired"])
        guarantees = selectors.guarantee_watch(as_of, within, include_expired=options["expired"])
        payload = {"as_of": as_of.isoformat(), "within_days": within, "limitation": _rows(loans),
                   "guarantees": _rows(guarantees)}  # fmt: skip
        lines = [f"limitation periods expiring within {within} days of {as_of}: {loans.height}"]
        lines += [
            f"  {r['loan_id']:<16} {r['expires_on']} ({r['days_left']:>4} d) from {r['runs_from']} "
            f"{r['interrupted_by'] or 'last due'}  {r['lender'] or ''}"
            for r in payload["limitation"]
        ]
        lines.append(f"guarantee periods ending, not preserved: {guarantees.height}")
        lines += [
            f"  {r['guarantee_id']:<16} {r['loan_id']:<16} {r['ends_on']} ({r['days_left']:>4} d) {r['guarantee_type']}"
            for r in payload["guarantees"]
        ]
        self.emit(options, payload, "\n".join(lines))

    def remind(self, options: dict[str, Any]) -> None:
        as_of = options["as_of"]
        counts = services.remind_deadlines(as_of)
        if not options["no_limitation"]:
            counts |= services.alert_limitation(as_of)
        self.emit(options, {"as_of": as_of.isoformat(), **counts},
                  "\n".join(f"{k}: {v}" for k, v in counts.items()))  # fmt: skip

    def matters(self, options: dict[str, Any]) -> None:
        matters = selectors.visible_matters(None).order_by("-pk")
        if options["stage"]:
            matters = matters.filter(stage=options["stage"])
        rows = [selectors.matter_as_dict(m) for m in matters]
        text = "\n".join(
            f"{m['id']:>6} {m['stage']:<20} case {m['case_id']:<7} {m['plaintiff']:<20} {m['claim_amount']:>14} "
            f"{m['case_number'] or ''}"
            for m in rows
        )
        self.emit(options, {"matters": rows, "count": len(rows)}, text or "no matters")
