from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from arrears.accounts.models import Agency, User
from arrears.cases import lifecycle, services
from arrears.cases.selectors import case_as_dict, visible_cases
from arrears.core.commands import ArrearsCommand, user_named
from arrears.core.errors import DomainError, NotFound


class Command(ArrearsCommand):
    help = (
        "Collection cases: `arrears cases list [--status open|closed] [--assigned-to USER] [--json]`; "
        "`reassign`, `place` and `recall` move many cases at once (as the user given with --by)."
    )
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
        for name, text in (("reassign", "spread cases over collectors"),
                           ("place", "place cases with an outside agency or law firm"),
                           ("recall", "take placed cases back")):  # fmt: skip
            bulk = sub.add_parser(name, help=text)
            bulk.add_argument("--ids", type=_ids, help="case ids, comma-separated")
            bulk.add_argument("--from", dest="from_user", help="every open case of this collector")
            bulk.add_argument("--by", required=True, help="the user doing it (their permissions apply)")
            bulk.add_argument("--reason", default="")
            bulk.add_argument("--json", action="store_true")
            if name == "reassign":
                bulk.add_argument(
                    "--to", required=True, type=lambda s: s.split(","), help="usernames, comma-separated"
                )
            if name == "place":
                bulk.add_argument("--agency", required=True, help="the agency's name")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] != "list":
            self.bulk(options)
            return
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

    def bulk(self, options: dict[str, Any]) -> None:
        actor = user_named(options["by"])
        cases = visible_cases(actor)
        if options["ids"]:
            cases = cases.filter(pk__in=options["ids"])
        elif options["from_user"]:
            cases = cases.filter(assigned_to=user_named(options["from_user"]))
        else:
            raise DomainError("say which cases: --ids or --from")
        action = options["action"]
        if action == "reassign":
            count = services.bulk_reassign(cases, [user_named(u) for u in options["to"]], actor=actor,
                                           reason=options["reason"])  # fmt: skip
        elif action == "place":
            agency = Agency.objects.filter(name=options["agency"]).first()
            if agency is None:
                raise NotFound(f"no agency {options['agency']}")
            count = services.place(cases, agency, actor=actor, reason=options["reason"])
        else:
            count = services.recall(cases, actor=actor, reason=options["reason"])
        self.emit(options, {action: count}, f"{action}: {count} cases")


def _ids(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise DomainError(f"--ids takes case numbers separated by commas, not {text!r}") from None
