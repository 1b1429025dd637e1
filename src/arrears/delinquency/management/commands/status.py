from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from arrears.core.commands import ArrearsCommand
from arrears.core.dates import parse_iso_date
from arrears.delinquency import services


class Command(ArrearsCommand):
    help = (
        "`arrears status export [--as-of DATE] OUT.csv`: one row per active loan with its delinquency status "
        "(dpd, bucket, classification, amounts in yuan) — the daily file for a data warehouse."
    )
    json_option = False

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="write the status of every active loan to a CSV file")
        export.add_argument("out", type=Path)
        export.add_argument("--as-of", type=parse_iso_date, help="default: the date of the latest close")
        export.add_argument("--workers", type=int, default=1)
        export.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        rows = services.export_status(options["out"], options["as_of"], workers=options["workers"])
        self.emit(options, {"file": str(options["out"]), "rows": rows}, f"{rows} loans → {options['out']}")
