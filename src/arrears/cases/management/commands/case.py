from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from arrears.cases.selectors import case_as_dict, get_case, timeline
from arrears.core.commands import ArrearsCommand


class Command(ArrearsCommand):
    help = "One collection case: `arrears case show ID [--json]` (its facts and its timeline)."
    json_option = False

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="show a case")
        show.add_argument("id", type=int)
        show.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        case = get_case(None, options["id"])
        data = case_as_dict(case) | {"timeline": timeline(case)}
        lines = [f"{k}: {v}" for k, v in data.items() if k != "timeline"]
        lines += [
            f"  {e['at']} {e['action']} {e['by']} {e['after'] or ''} {e['note']}" for e in data["timeline"]
        ]
        self.emit(options, data, "\n".join(lines))
