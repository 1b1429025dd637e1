"""`arrears legal …`: the litigation pipeline on the command line.

- `arrears legal watch --as-of D [--within DAYS] [--expired] [--json]`: the limitation watch (issue 8 §7) — every owed
  loan whose limitation period (民法典 arts. 188, 189, 195) expires within DAYS (default 180) of D, and every
  guarantee not yet preserved whose period (art. 692) ends within them; `--expired` adds those already past.
- `arrears legal remind --as-of D [--no-limitation] [--json]`: the day's reminders — deadlines missed or lapsed,
  follow-ups at T-30/T-7/T-1 (`legal.services.remind_deadlines`, which the close also runs), and the limitation
  watch's follow-ups (`alert_limitation`). Idempotent: run it daily (cron) or again the same day.
- `arrears legal matters [--stage STAGE] [--json]`: the matters, newest first.
- `arrears legal packages --filing-date D --out FILE.zip [--stage S] [--lender L] [--min-dpd N] [--case-type T]
  [--by USER] [--json]`: batch litigation (issue 8 §6) — the complaint packages (起诉状, 证据清单, manifest) of every
  matter the filter selects (those with a lawyer, not yet filed: `selectors.matters_for_batch`) as one zip, through
  a `LitigationBatch` (`services.start_packages` + `run_packages`); progress on stderr. `--by`: the user it is done
  as (their visibility applies); without it, the operator sees every matter.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import polars as pl
from django.core.management.base import CommandParser

from arrears.core.commands import ArrearsCommand, user_named
from arrears.core.dates import parse_iso_date
from arrears.core.errors import DomainError
from arrears.core.money import format_fen
from arrears.legal import lifecycle, selectors, services


def _date(text: str) -> dt.date:
    try:
        return parse_iso_date(text)
    except ValueError:
        raise DomainError(f"a date is YYYY-MM-DD, not {text!r}") from None


def _rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return [{k: v.isoformat() if isinstance(v, dt.date) else v for k, v in row.items()}
            for row in frame.iter_rows(named=True)]  # fmt: skip


class Command(ArrearsCommand):
    help = (
        "The litigation pipeline: `watch --as-of D [--within DAYS] [--expired]` (limitation and guarantee periods "
        "expiring), `remind --as-of D` (deadline reminders, missed deadlines, limitation follow-ups), `matters`, "
        "`packages --filing-date D --out FILE.zip` (batch complaint packages)."
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
        packages = sub.add_parser(
            "packages", help="complaint packages of many matters as one zip (batch litigation)"
        )
        packages.add_argument("--stage", choices=sorted(selectors.COMPLAINT_STAGES))
        packages.add_argument("--lender", help="the cases' lender, as on the loans")
        packages.add_argument("--min-dpd", type=int, help="at least this many days past due")
        packages.add_argument("--case-type", choices=["own", "assigned", "guarantee_recourse"])
        packages.add_argument(
            "--filing-date", required=True, type=_date, help="the complaints' date (YYYY-MM-DD)"
        )
        packages.add_argument("--out", required=True, type=Path, help="where to write the zip")
        packages.add_argument("--by", help="the user doing it (their visibility applies)")
        packages.add_argument("--json", action="store_true")

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

    def packages(self, options: dict[str, Any]) -> None:
        user = user_named(options["by"])
        criteria = {
            k: options[k] for k in ("stage", "lender", "min_dpd", "case_type") if options[k] is not None
        }
        matters = selectors.matters_for_batch(user, **criteria)
        ids = list(matters.values_list("pk", flat=True))
        if not ids:
            raise DomainError("no matter matches (matters with a lawyer, not yet filed)")
        out: Path = options["out"]
        if out.parent and not out.parent.exists():
            raise DomainError(f"no such directory: {out.parent}")
        filing_date = options["filing_date"]
        batch = services.start_packages(ids, actor=user, filing_date=filing_date, criteria=criteria)
        self.stderr.write(f"batch {batch.pk}: {batch.total} matters, complaints as of {filing_date}")

        def echo(done: int, total: int) -> None:
            self.stderr.write(f"  {done}/{total} ({done * 100 // total} %)")

        batch = services.run_packages(batch.pk, echo=echo)
        if batch.status != batch.Status.DONE:
            raise DomainError(f"batch {batch.pk} failed: {batch.error}")
        shutil.copyfile(selectors.batch_zip_path(batch), out)
        summary = batch.summary
        payload = {
            "batch": batch.pk, "out": str(out), "filing_date": filing_date.isoformat(), "criteria": criteria,
            "packages": summary["packages"], "evidence_incomplete": summary["evidence_incomplete"],
            "warnings": summary["warnings"], "claim_amount": format_fen(summary["claim_amount"]),
            "zip_sha256": batch.zip_sha256, "zip_size": batch.zip_size, "timings": summary.get("timings", {}),
        }  # fmt: skip
        text = (
            f"{payload['packages']} complaint packages → {out} ({batch.zip_size / 1024:,.0f} KiB, sha256 "
            f"{batch.zip_sha256[:12]}…); claimed {payload['claim_amount']} yuan in all; required evidence missing in "
            f"{payload['evidence_incomplete']}, {payload['warnings']} warnings (see index.csv and each manifest.json)"
        )
        self.emit(options, payload, text)
