from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from arrears.accounts.models import User
from arrears.cases import lifecycle
from arrears.cases.selectors import case_as_dict, visible_cases
from arrears.core.commands import ArrearsCommand
from arrears.core.errors import NotFound


class Command(ArrearsCommand):
    help = "Collection cases: `arrears cases list [--status open|closed] [--assigned-to USER] [--json]`."
    json_option = False

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="list cases")
        listing.add_argument(
            "--status", choices=["open", "closed", *lifecycle.STATES], help="open, closed or a stage"
        )
        listing.add_argument("--assigned-to", help="a username")
        listing.add_argument("--limit", type=int, default=0, help="at most this many (default: all)")
        listing.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        cases = visible_cases(None).order_by("pk")
        status = options["status"]
        if status == "open":
            cases = cases.exclude(status=lifecycle.CLOSED)
        elif status:
            cases = cases.filter(status=status)
        if options["assigned_to"]:
            user = User.objects.filter(username=options["assigned_to"]).first()
            if user is None:
                raise NotFound(f"no user {options['assigned_to']}")
            cases = cases.filter(assigned_to=user)
        if options["limit"]:
            cases = cases[: options["limit"]]
        rows = [case_as_dict(c) for c in cases]
        text = "\n".join(
            f"{c['id']:>7} {c['status']:<12} {c['borrower_id']:<12} {c['type']:<18} dpd {c['max_dpd']:>4} "
            f"{c['total_overdue']:>14} {c['bucket'] or '':<5} {c['risk_level'] or '':<8} {c['assigned_to'] or '-'}"
            for c in rows
        )
        self.emit(options, {"cases": rows, "count": len(rows)}, text or "no cases")
