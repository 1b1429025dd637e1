from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from arrears.core.commands import ArrearsCommand
from arrears.portfolio import services
from arrears.portfolio.interchange.messages import localize
from arrears.portfolio.models import ImportRun


class Command(ArrearsCommand):
    help = (
        "Import a portfolio in the interchange format: a directory of CSV files, a .zip of one, or an .xlsx "
        "workbook. The whole portfolio is checked first; if anything is wrong nothing is written and every "
        "problem is listed (file, row, column, value, reason), unless --skip-invalid is given. Importing the "
        "same portfolio again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="directory, .zip or .xlsx to import")
        parser.add_argument(
            "--skip-invalid", action="store_true", help="write the valid rows and report the invalid ones"
        )
        super().add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()

        def progress(stage: str) -> None:
            if not options["json"]:
                self.stderr.write(f"[{time.perf_counter() - started:7.1f} s] {stage}")

        run = services.import_portfolio(
            options["path"], skip_invalid=options["skip_invalid"], progress=progress
        )
        progress("done")
        result = services.import_result(run)
        self.emit(options, result, self._human(run))
        if run.error_count:
            sys.exit(1)

    def _human(self, run: ImportRun) -> str:
        lines = [f"Import {run.pk}: {run.get_status_display()} ({run.source})"]
        for name, counts in run.counts.items():
            lines.append(f"  {name:<18} " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        if run.error_count:
            lines.append(f"{run.error_count} problem(s):")
            for e in run.errors:
                where = f"{e['file']}" + (f" row {e['row']}" if e["row"] else "")
                column = f" column {e['column']}" if e["column"] else ""
                value = f" value {e['value']!r}" if e["value"] else ""
                lines.append(f"  {where}{column}{value}: {localize(e['message'])}")
            if run.error_count > len(run.errors):
                lines.append(f"  … and {run.error_count - len(run.errors)} more")
            if run.status == ImportRun.Status.REJECTED:
                lines.append("Nothing was written.")
        return "\n".join(lines)
