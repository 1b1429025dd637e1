"""`arrears evidence verify [--json]` and `arrears evidence export CASE_ID OUT.zip` (the evidence log)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from arrears.audit import selectors, services
from arrears.core.commands import ArrearsCommand, user_named


class Command(ArrearsCommand):
    help = (
        "The tamper-evident evidence log: `verify` checks the hash chain and names the first broken record "
        "(exit code 1 when broken); `export CASE_ID OUT.zip` writes a case's court package (files, manifest.json "
        "with hashes, printable index.html)."
    )
    json_option = False
    # Verifying the log must not depend on the web layer (URLs, admin): no system checks, as for `migrate`.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="check the whole chain (and every stored file)")
        verify.add_argument(
            "--skip-blobs", action="store_true", help="do not re-hash the stored files (records only)"
        )
        export = sub.add_parser("export", help="write a case's evidence package as a zip file")
        export.add_argument("case_id", type=int)
        export.add_argument("out", type=Path, help="the zip file to write (its folder must exist)")
        export.add_argument("--by", help="the user doing it (needs the export-evidence permission)")
        for p in (verify, export):
            p.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, options["action"])(options)

    def verify(self, options: dict[str, Any]) -> None:
        result = selectors.verify_chain(check_blobs=not options["skip_blobs"])
        broken = result["first_broken"]
        if broken is None:
            text = f"evidence chain intact: {result['records']} records"
        else:
            text = (
                f"evidence chain BROKEN at seq {broken['seq']} (id {broken['id']}): {broken['problem']}; "
                f"{result['records']} records"
            )
        self.emit(options, result, text)
        if broken is not None:
            raise CommandError(
                f"evidence chain broken at seq {broken['seq']} (id {broken['id']}): {broken['problem']}",
                returncode=1,
            )

    def export(self, options: dict[str, Any]) -> None:
        result = services.export_case_evidence(
            options["case_id"], options["out"], actor=user_named(options["by"])
        )
        chain = "chain intact" if result["chain_ok"] else "WARNING: the chain is broken, see manifest.json"
        self.emit(
            options,
            result,
            f"wrote {result['path']}: {result['records']} records, {result['files']} files, "
            f"sha256 {result['sha256']} ({chain})",
        )
