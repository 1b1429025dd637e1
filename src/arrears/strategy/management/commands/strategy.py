from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from arrears.core.commands import ArrearsCommand, user_named
from arrears.core.errors import NotFound
from arrears.core.money import format_fen
from arrears.strategy import selectors, services
from arrears.strategy.models import Segment, TreatmentPath


class Command(ArrearsCommand):
    help = (
        "Collection strategy: `import [FILE]` (paths, segments and arms; the shipped default without FILE), "
        "`list`, `outcomes` (cure, roll-forward and recovery per arm), `promote SEGMENT PATH --by USER`, "
        "`simulate --as-of DATE` (what the strategy would have done that day; sends nothing)."
    )
    json_option = False

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="load paths, segments and arms from JSON")
        imp.add_argument("file", nargs="?", type=Path, default=services.DEFAULT_STRATEGY)
        imp.add_argument("--by", help="the user doing it")
        sub.add_parser("list", help="segments with their arms, and paths")
        out = sub.add_parser("outcomes", help="outcomes per segment and arm")
        out.add_argument("--as-of", type=dt.date.fromisoformat, help="default: the latest close")
        promote = sub.add_parser("promote", help="make a challenger the champion of its segment")
        promote.add_argument("segment")
        promote.add_argument("path")
        promote.add_argument("--by", required=True)
        promote.add_argument("--reason", default="")
        sim = sub.add_parser("simulate", help="what the strategy would have done on a date")
        sim.add_argument("--as-of", required=True, type=dt.date.fromisoformat)
        for p in (imp, sub.choices["list"], out, promote, sim):
            p.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, {"import": "import_"}.get(options["action"], options["action"]))(options)

    def import_(self, options: dict[str, Any]) -> None:
        counts = services.import_strategy(json.loads(options["file"].read_text("utf-8")),
                                          actor=user_named(options["by"]))  # fmt: skip
        self.emit(options, counts, f"imported {counts['paths']} paths and {counts['segments']} segments")

    def list(self, options: dict[str, Any]) -> None:
        segments = [
            {"name": s.name, "priority": s.priority, "active": s.active, "conditions": s.conditions,
             "required_skills": s.required_skills, "arms": selectors.arms_as_list(s)}
            for s in Segment.objects.all()
        ]  # fmt: skip
        paths = [{"name": p.name, "repeat": p.repeat, "steps": p.steps} for p in TreatmentPath.objects.all()]
        text = "\n".join(
            f"{s['priority']:>4} {s['name']}: "
            + ", ".join(
                f"{a['path']} {a['percent']:g}%{' (champion)' if a['champion'] else ''}" for a in s["arms"]
            )
            for s in segments
        )
        self.emit(options, {"segments": segments, "paths": paths}, text or "no segments")

    def outcomes(self, options: dict[str, Any]) -> None:
        from arrears.cases.views import business_day

        rows = selectors.outcomes(options["as_of"] or business_day())
        text = "\n".join(
            f"{r['segment']} / {r['path']}: {r['cases']} cases, cure {r['cure_rate']:.1%}, "
            f"roll forward {r['roll_forward_rate']:.1%}, recovered {format_fen(r['recovered_fen'])}"
            for r in rows
        )
        self.emit(options, {"arms": rows}, text or "no treatments yet")

    def promote(self, options: dict[str, Any]) -> None:
        segment = Segment.objects.filter(name=options["segment"]).first()
        path = TreatmentPath.objects.filter(name=options["path"]).first()
        if segment is None or path is None:
            raise NotFound(f"no segment {options['segment']!r} or no path {options['path']!r}")
        services.promote(segment, path, actor=user_named(options["by"]), reason=options["reason"])
        self.emit(
            options,
            {"segment": segment.name, "champion": path.name},
            f"{path} is now the champion of {segment}",
        )

    def simulate(self, options: dict[str, Any]) -> None:
        result = selectors.simulate(options["as_of"])
        text = "\n".join(
            f"{a['segment'] or '(no segment)'} / {a['path'] or '-'}: {a['cases']} cases, "
            f"{format_fen(a['overdue_fen'])} overdue, first step {a['first_step'] or '-'} on {a['first_step_on'] or '-'}"
            for a in result["arms"]
        )
        self.emit(options, result, f"{result['cases']} cases on {result['as_of']}\n{text}")
