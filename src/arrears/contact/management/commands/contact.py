from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from arrears.cases.selectors import visible_cases
from arrears.contact import selectors, services
from arrears.contact.models import Message, Template
from arrears.core.commands import ArrearsCommand, user_named
from arrears.core.errors import DomainError

DEFAULT_TEMPLATES = Path(__file__).resolve().parents[2] / "fixtures" / "default_templates.json"


class Command(ArrearsCommand):
    help = (
        "Contact: `deliver [--loop]` runs the outbox (the strategy's due electronic steps become messages; due "
        "messages are claimed, checked by the guard, sent, retried); "
        "`templates import [FILE] [--approve-by USER]` and `templates list`; "
        "`letters --template CODE --cases IDS --by USER OUT.zip` generates demand letters in a batch."
    )
    json_option = False

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        deliver = sub.add_parser("deliver", help="send what is due in the outbox")
        deliver.add_argument("--loop", action="store_true", help="keep running (a worker)")
        deliver.add_argument(
            "--interval", type=float, default=30.0, help="seconds between rounds with --loop"
        )
        deliver.add_argument("--limit", type=int, default=100)
        deliver.add_argument("--callback", default="", help="the URL gateways post delivery receipts to")
        templates = sub.add_parser("templates", help="message templates")
        templates.add_argument("templates_action", choices=["import", "list"])
        templates.add_argument("file", nargs="?", type=Path, default=DEFAULT_TEMPLATES)
        templates.add_argument("--by", help="the author")
        templates.add_argument("--approve-by", help="a compliance officer who approves the imported versions")
        letters = sub.add_parser("letters", help="demand letters for several cases, as one zip of Word files")
        letters.add_argument("out", type=Path)
        letters.add_argument("--template", default="demand_letter")
        letters.add_argument("--language", default="zh-hans")
        letters.add_argument("--cases", required=True, help="case ids, comma-separated")
        letters.add_argument("--by", required=True)
        for p in (deliver, templates, letters):
            p.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, options["action"])(options)

    def deliver(self, options: dict[str, Any]) -> None:
        while True:
            counts = (
                services.recover_stale()
                | services.dispatch_strategy_steps()
                | services.deliver_due(limit=options["limit"], callback_url=options["callback"])
            )
            self.emit(options, counts, " ".join(f"{k} {v}" for k, v in counts.items()))
            if not options["loop"]:
                return
            time.sleep(options["interval"])

    def templates(self, options: dict[str, Any]) -> None:
        if options["templates_action"] == "list":
            rows = [{"code": t.code, "version": t.version, "language": t.language, "channel": t.channel,
                     "purpose": t.purpose, "approved": t.approved} for t in Template.objects.all()]  # fmt: skip
            text = "\n".join(f"{r['code']} v{r['version']} {r['language']} {r['channel']} "
                             f"{'approved' if r['approved'] else 'draft'}" for r in rows)  # fmt: skip
            self.emit(options, {"templates": rows}, text or "no templates")
            return
        author, approver = user_named(options["by"]), user_named(options["approve_by"])
        created = [
            services.save_template(t["code"], channel=t["channel"], body=t["body"], language=t["language"],
                                   subject=t.get("subject", ""), purpose=t.get("purpose", "reminder"),
                                   discloses_debt=t.get("discloses_debt", True), opt_out=t.get("opt_out", True),
                                   docx=(options["file"].parent / t["docx"]).read_bytes() if t.get("docx") else None,
                                   actor=author)
            for t in json.loads(options["file"].read_text("utf-8"))
        ]  # fmt: skip
        if approver is not None:
            for template in created:
                services.approve_template(template, actor=approver)
        self.emit(options, {"imported": len(created)}, f"imported {len(created)} templates")

    def letters(self, options: dict[str, Any]) -> None:
        actor = user_named(options["by"])
        if not options["out"].parent.is_dir():
            raise DomainError(f"{options['out']}: the folder {options['out'].parent} does not exist")
        template = selectors.template_for(options["template"], options["language"])
        ids = [int(x) for x in str(options["cases"]).split(",") if x.strip()]
        cases = list(visible_cases(actor).filter(pk__in=ids).select_related("borrower"))
        if len(cases) != len(set(ids)):
            raise DomainError("some of these cases were not found")
        missing = [c.pk for c in cases if not c.borrower.address]
        if missing:
            raise DomainError(f"no postal address for the borrower of case(s) {', '.join(map(str, missing))}")
        queued = [services.send_message(c, template, party="debtor", address=c.borrower.address, actor=actor,
                                        source="bulk") for c in cases]  # fmt: skip
        services.deliver_due(limit=len(queued), only=[m.pk for m in queued])
        with zipfile.ZipFile(options["out"], "w", zipfile.ZIP_DEFLATED) as archive:
            for message in Message.objects.filter(pk__in=[m.pk for m in queued], status=Message.Status.SENT):
                archive.writestr(
                    f"case-{message.case_id}-{message.key}.docx", services.render_letter(message)
                )
        sent = Message.objects.filter(pk__in=[m.pk for m in queued], status=Message.Status.SENT).count()
        self.emit(
            options, {"letters": sent, "out": str(options["out"])}, f"{sent} letters in {options['out']}"
        )
