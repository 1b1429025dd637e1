#!/usr/bin/env python3
"""Compile every gettext catalogue (.po) under src/arrears to .mo with polib: no GNU gettext needed.

    python scripts/compile_messages.py           # write the .mo files next to their .po files
    python scripts/compile_messages.py --check   # exit 1 if a .mo is missing or out of date (for CI)

Fuzzy and untranslated entries are left out, as msgfmt does; `--check` also fails on any such entry, because
zh-Hans is the default language and an untranslated string shows in English.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "arrears"


def catalogues(root: Path = SOURCE) -> list[Path]:
    return sorted(p for p in root.rglob("locale/*/LC_MESSAGES/*.po") if ".venv" not in p.parts)


def compiled(po_path: Path) -> bytes:
    return polib.pofile(str(po_path)).to_binary()


def problems(po_path: Path) -> list[str]:
    po = polib.pofile(str(po_path))
    found = [f"untranslated: {e.msgid!r}" for e in po.untranslated_entries()]
    found += [f"fuzzy: {e.msgid!r}" for e in po.fuzzy_entries()]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="verify instead of writing")
    args = parser.parse_args(argv)

    failed = False
    for po_path in catalogues():
        mo_path = po_path.with_suffix(".mo")
        data = compiled(po_path)
        name = po_path.relative_to(ROOT)
        if args.check:
            for problem in problems(po_path):
                print(f"{name}: {problem}", file=sys.stderr)
                failed = True
            if not mo_path.exists() or mo_path.read_bytes() != data:
                print(f"{name}: .mo missing or out of date; run scripts/compile_messages.py", file=sys.stderr)
                failed = True
        else:
            if not mo_path.exists() or mo_path.read_bytes() != data:
                mo_path.write_bytes(data)
                print(f"compiled {name} -> {mo_path.name}")
            else:
                print(f"up to date {name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
