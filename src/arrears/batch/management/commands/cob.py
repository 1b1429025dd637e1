from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import CommandParser

from arrears.batch import runner
from arrears.core.commands import ArrearsCommand
from arrears.core.dates import parse_iso_date


class Command(ArrearsCommand):
    help = (
        "Close business dates: `arrears cob --as-of DATE` computes every active loan's delinquency as of the end "
        "of DATE (catching up any day missed since the last close); `--from A --to B` closes A..B day by day."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--as-of", type=parse_iso_date, help="business date YYYY-MM-DD")
        parser.add_argument("--from", dest="from_date", type=parse_iso_date, help="first date of a range")
        parser.add_argument("--to", dest="to_date", type=parse_iso_date, help="last date of a range")
        parser.add_argument("--workers", type=int, default=1, help="processes computing in parallel")
        parser.add_argument(
            "--wait", action="store_true", help="wait for a running close instead of refusing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dates = runner.dates_to_close(options["as_of"], options["from_date"], options["to_date"])
        started = time.perf_counter()

        def progress(stage: str, done: int, total: int) -> None:
            width = 30
            filled = width * done // max(total, 1)
            bar = "#" * filled + "-" * (width - filled)
            end = "\n" if done == total else ""
            sys.stderr.write(
                f"\r{stage:<8} [{bar}] {done}/{total}  {time.perf_counter() - started:6.1f} s{end}"
            )
            sys.stderr.flush()

        if len(dates) > 1:
            sys.stderr.write(f"closing {dates[0]} … {dates[-1]} ({len(dates)} days)\n")
        outcome = runner.close(dates, workers=options["workers"], progress=progress, wait=options["wait"])
        run = outcome.run
        payload = {
            "run": run.pk,
            "from": dates[0].isoformat(),
            "to": dates[-1].isoformat(),
            "days": len(dates),
            "loans": run.loans,
            "skipped": run.problem_count,
            "problems": run.problems[:20],
            "changes": outcome.changes,
            "cases": outcome.cases,
            "steps": run.steps,
            "seconds": round(time.perf_counter() - started, 3),
        }
        lines = [f"Closed {dates[0]}…{dates[-1]}: {run.loans} loans, {run.problem_count} skipped"]
        lines += [f"  {s['step']:<16} {s['rows']:>12,} rows {s['seconds']:>9.3f} s" for s in run.steps]
        lines += [f"  skipped {p['loan_id']}: {p['problem']}" for p in run.problems[:20]]
        lines += [f"  changes: {field} {count}" for field, count in sorted(outcome.changes.items())]
        lines += [f"  cases: {what} {count}" for what, count in outcome.cases.items()]
        self.emit(options, payload, "\n".join(lines))
