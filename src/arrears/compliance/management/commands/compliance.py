from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import translation

from arrears.compliance import guard, selectors
from arrears.compliance.simulate import AttemptsError, PackError, load_pack, read_attempts
from arrears.core.commands import ArrearsCommand
from arrears.core.dates import local_today


class Command(ArrearsCommand):
    help = (
        "The compliance guard. `arrears compliance simulate --pack PACK --attempts FILE.csv --json` replays contact "
        "attempts in order through a rule pack (a code — the version in force today, or the shipped one — or a "
        'pack JSON file) and prints {"decisions": [{"allowed", "rule", "reason"}]}; denied attempts do not count '
        "as contacts. `arrears compliance packs` lists the rule packs and their versions."
    )
    json_option = False

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        simulate = sub.add_parser("simulate", help="replay a CSV of contact attempts through a rule pack")
        simulate.add_argument(
            "--pack", required=True, help="a pack code (cn-cba-2026, us-regf, house) or a JSON file"
        )
        simulate.add_argument("--attempts", required=True, type=Path, help="the attempts (CSV, in order)")
        simulate.add_argument("--json", action="store_true", help='print {"decisions": [...]}')
        packs = sub.add_parser("packs", help="list the rule packs and their versions")
        packs.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "simulate":
            self._simulate(options)
        else:
            self._packs(options)

    def _simulate(self, options: dict[str, Any]) -> None:
        with translation.override("en"):
            try:
                pack, source = load_pack(options["pack"], local_today())
            except PackError as exc:
                if options["json"]:
                    self.stdout.write(json.dumps({"errors": [{"reason": str(exc)}]}, ensure_ascii=False))
                raise CommandError(str(exc)) from exc
            try:
                attempts = read_attempts(options["attempts"])
            except AttemptsError as exc:
                if options["json"]:
                    self.stdout.write(json.dumps({"errors": exc.problems}, ensure_ascii=False))
                raise CommandError(
                    f"{options['attempts']}: {len(exc.problems)} problem(s):\n  " + "\n  ".join(exc.lines())
                ) from exc
            decisions = guard.replay(pack, attempts)
        if options["json"]:
            self.stdout.write(json.dumps({"decisions": [d.as_dict() for d in decisions]}, ensure_ascii=False))
            return
        denied = sum(not d.allowed for d in decisions)
        self.stdout.write(
            f"{source}: {len(decisions)} attempts, {len(decisions) - denied} allowed, {denied} denied"
        )
        for number, (attempt, decision) in enumerate(zip(attempts, decisions, strict=True), start=1):
            verdict = "allowed" if decision.allowed else f"DENIED {decision.rule}"
            line = (
                f"{number:>5}  {attempt.at.isoformat()}  {attempt.channel:<6} {attempt.party:<11} {verdict}"
            )
            self.stdout.write(line if decision.allowed else f"{line}: {decision.reason}")

    def _packs(self, options: dict[str, Any]) -> None:
        day = local_today()
        overview = selectors.packs_overview(day)
        rows = [
            selectors.pack_as_dict(v, in_force=entry["in_force"] is not None and v.pk == entry["in_force"].pk)
            for entry in overview
            for v in entry["versions"]
        ]
        if options["json"]:
            self.stdout.write(
                json.dumps({"as_of": day, "packs": rows}, ensure_ascii=False, indent=2, default=str)
            )
            return
        if not rows:
            self.stdout.write("No rule packs (run `arrears migrate`: the shipped packs are added after it).")
        for r in rows:
            mark = "  in force" if r["in_force"] else ""
            self.stdout.write(
                f"{r['code']:<16} v{r['version']:<3} from {r['effective_from']}  {r['status']:<9}{mark}  {r['name']}"
            )
