from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from arrears.core.commands import ArrearsCommand
from arrears.core.dates import local_today
from arrears.portfolio.generator import generate_portfolio, write_portfolio


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (use YYYY-MM-DD): {text!r}") from exc


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from exc
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


class Command(ArrearsCommand):
    help = (
        "Write a realistic synthetic portfolio of overdue loans in the interchange format (borrowers, loans, "
        "schedules, payments, collateral, guarantees, contacts, claims, assignments, recourse payments). OUT is a "
        "directory of CSV files, or a .zip. The same --loans, --seed and --as-of always give the same files."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "out", type=Path, metavar="OUT", help="where to write: a directory, or a file ending in .zip"
        )
        parser.add_argument("--loans", type=_positive, default=1000, help="how many loans (default 1000)")
        parser.add_argument(
            "--seed", type=int, default=1, help="random seed; same seed, same portfolio (default 1)"
        )
        parser.add_argument(
            "--as-of",
            type=_date,
            default=None,
            dest="as_of",
            metavar="YYYY-MM-DD",
            help="the date the portfolio describes: nothing is paid after it (default: today in "
            "Asia/Shanghai)",
        )
        super().add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = options["as_of"] or local_today()
        started = time.perf_counter()
        frames = generate_portfolio(options["loans"], options["seed"], as_of)
        generated = time.perf_counter()
        counts = write_portfolio(frames, options["out"])
        written = time.perf_counter()
        seconds = {
            "generate": round(generated - started, 2),
            "write": round(written - generated, 2),
            "total": round(written - started, 2),
        }
        payload = {
            "out": str(options["out"]),
            "loans": options["loans"],
            "seed": options["seed"],
            "as_of": as_of.isoformat(),
            "files": counts,
            "seconds": seconds,
        }
        lines = [
            f"Wrote {options['loans']:,} loans (seed {options['seed']}, as of {as_of}) to {options['out']} "
            f"in {seconds['total']:.1f} s (generate {seconds['generate']:.1f} s, write {seconds['write']:.1f} s):"
        ]
        lines += [f"  {name:<24} {rows:>12,}" for name, rows in counts.items()]
        self.emit(options, payload, "\n".join(lines))
