from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from arrears.audit import services as audit
from arrears.core.commands import ArrearsCommand
from arrears.portfolio.interchange.export import export_portfolio


class Command(ArrearsCommand):
    help = (
        "Export the portfolio in the interchange format: PATH ending in .zip writes a zip, .xlsx a workbook, "
        "anything else a new directory of CSV files."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="where to write (directory, .zip or .xlsx)")
        super().add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = export_portfolio(options["path"])
        except FileExistsError as exc:
            raise CommandError(str(exc)) from exc
        audit.record(
            "portfolio.exported",
            "portfolio",
            actor_label="cli",
            after={"path": str(options["path"]), "counts": counts},
        )
        text = f"Exported to {options['path']}:\n" + "\n".join(f"  {k:<18} {v}" for k, v in counts.items())
        self.emit(options, {"path": str(options["path"]), "counts": counts}, text)
