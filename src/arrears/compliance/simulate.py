"""`arrears compliance simulate`: replay a CSV of contact attempts through a pack, as the guard would decide them
one after the other (denied attempts do not happen, so they do not count).

Columns (header row; names case-insensitive; order free; unknown columns are ignored):

| column | required | meaning |
| --- | --- | --- |
| `at` | yes | ISO 8601 with a UTC offset, the contacted person's local time (`2026-03-03T21:59:59+08:00`) |
| `channel` | yes | call, sms, email, letter, visit, chat |
| `party` | yes | debtor, guarantor, third_party |
| `address` | yes | the number, email address or place |
| `debt_id` | yes | the debt (loan id) |
| `outcome` | no | answered, unanswered, busy, invalid_number, wrong_party, refused, promise_to_pay, dispute, objected, delivered, failed… |
| `collectors` | no | collectors on a field visit (default 1) |
| `product_type` | no | e.g. credit_card |
| `has_opt_out`, `discloses_debt` | no | 1/0, true/false, yes/no (default false) |
| `purpose` | no | e.g. reminder |
| `consent` | no | consent with evidence covering the attempt: time_window, frequency (separated by `;`, `,`, `|` or spaces) |
| `debtor` | no | the borrower, when several debts are the same person's (default: the debt) |
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from arrears.compliance import guard

REQUIRED = ("at", "channel", "party", "address", "debt_id")
OPTIONAL = (
    "outcome",
    "collectors",
    "product_type",
    "has_opt_out",
    "discloses_debt",
    "purpose",
    "consent",
    "debtor",
)
TRUE = frozenset({"1", "true", "t", "yes", "y"})
FALSE = frozenset({"", "0", "false", "f", "no", "n"})
SEPARATORS = re.compile(r"[;,|\s]+")
MAX_PROBLEMS = 200


class AttemptsError(Exception):
    """The CSV could not be read: `problems` lists each as {row, column, value, reason} (row 1 is the header)."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        self.problems = problems
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(
            f"row {first['row']}, column {first['column']}, value {first['value']!r}: {first['reason']}{more}"
        )

    def lines(self) -> list[str]:
        return [
            f"row {p['row']}, column {p['column']}, value {p['value']!r}: {p['reason']}"
            for p in self.problems
        ]


class PackError(Exception):
    pass


def read_attempts(source: Path | str | Iterable[str]) -> list[guard.Attempt]:
    """The attempts of a CSV file (path) or of its lines, in file order; every problem is reported at once."""
    if isinstance(source, Path | str):
        path = Path(source)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise AttemptsError(
                [{"row": 0, "column": "", "value": str(path), "reason": exc.strerror or str(exc)}]
            ) from exc
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gb18030", errors="replace")
        lines: Iterable[str] = io.StringIO(text, newline="")
    else:
        lines = source
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None or not any(h.strip() for h in header):
        raise AttemptsError(
            [{"row": 1, "column": "", "value": "", "reason": "the file is empty: no header row"}]
        )
    names = [h.strip().lower().lstrip("\ufeff") for h in header]
    problems: list[dict[str, Any]] = []
    for column in REQUIRED:
        if column not in names:
            problems.append({"row": 1, "column": column, "value": "", "reason": "required column is missing"})
    if problems:
        raise AttemptsError(problems)
    index = {name: i for i, name in reversed(list(enumerate(names)))}
    attempts: list[guard.Attempt] = []
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(names) and any(c.strip() for c in cells[len(names) :]):
            problems.append(
                {"row": number, "column": "", "value": ",".join(cells[len(names):]),
                 "reason": f"{len(cells)} cells but {len(names)} columns in the header"}
            )  # fmt: skip
            continue
        row = {name: (cells[i] if i < len(cells) else "").strip() for name, i in index.items()}
        attempt = _attempt(row, number, problems)
        if attempt is not None:
            attempts.append(attempt)
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise AttemptsError(problems)
    return attempts


def _attempt(row: dict[str, str], number: int, problems: list[dict[str, Any]]) -> guard.Attempt | None:
    before = len(problems)

    def bad(column: str, reason: str) -> None:
        problems.append({"row": number, "column": column, "value": row.get(column, ""), "reason": reason})

    at = None
    text = row["at"]
    if not text:
        bad("at", "required")
    else:
        try:
            at = dt.datetime.fromisoformat(text)
        except ValueError:
            bad("at", "not an ISO 8601 date and time (e.g. 2026-03-03T09:30:00+08:00)")
        else:
            if at.utcoffset() is None:
                bad("at", "needs the contacted person's UTC offset (e.g. +08:00)")
                at = None
    channel = row["channel"].lower()
    if channel not in guard.CHANNELS:
        bad("channel", f"not a channel: one of {', '.join(guard.CHANNELS)}")
    party = row["party"].lower().replace("-", "_").replace(" ", "_")
    if party not in guard.PARTIES:
        bad("party", f"not a party: one of {', '.join(guard.PARTIES)}")
    for column in ("address", "debt_id"):
        if not row[column]:
            bad(column, "required")
    collectors = 1
    if row.get("collectors"):
        try:
            collectors = int(row["collectors"])
            if collectors < 1:
                raise ValueError
        except ValueError:
            bad("collectors", "not a whole number of at least 1")
    flags = {}
    for column in ("has_opt_out", "discloses_debt"):
        value = row.get(column, "").lower()
        if value in TRUE:
            flags[column] = True
        elif value in FALSE:
            flags[column] = False
        else:
            bad(column, "not a yes/no value: 1/0, true/false or yes/no")
    consent: set[str] = set()
    for kind in SEPARATORS.split(row.get("consent", "").lower()):
        if not kind:
            continue
        if kind not in guard.CONSENT_KINDS:
            bad("consent", f"not a consent kind: {', '.join(guard.CONSENT_KINDS)}")
            break
        consent.add(kind)
    if len(problems) > before or at is None:
        return None
    outcome = row.get("outcome", "").lower().replace(" ", "_").replace("-", "_")
    return guard.Attempt(
        at=at,
        channel=channel,
        party=party,
        address=row["address"],
        debt_id=row["debt_id"],
        outcome=outcome or None,
        collectors=collectors,
        product_type=row.get("product_type", "").lower(),
        has_opt_out=flags.get("has_opt_out", False),
        discloses_debt=flags.get("discloses_debt", False),
        consent=frozenset(consent),
        purpose=row.get("purpose", "").lower(),
        debtor=row.get("debtor", ""),
    )


def load_pack(spec: str, day: dt.date) -> tuple[guard.Pack, str]:
    """The pack named by `spec`: a path to a pack JSON file (the definition, or a fixture with `definition`), or a
    code — the approved version in force on `day` in the database, else the shipped fixture. Returns the pack and
    where it came from."""
    from arrears.compliance import selectors

    path = Path(spec)
    if spec.endswith(".json") or path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except OSError as exc:
            raise PackError(f"cannot read the pack file {spec}: {exc.strerror or exc}") from exc
        except ValueError as exc:
            raise PackError(f"the pack file {spec} is not JSON: {exc}") from exc
        definition = data.get("definition", data) if isinstance(data, dict) else data
        try:
            return guard.parse_pack(definition), str(path)
        except ValidationError as exc:
            raise PackError(f"the pack file {spec} is not a valid pack: {selectors.problems(exc)}") from exc
    row = _in_force(spec, day)
    if row is not None:
        return selectors.parsed(row), f"{row.code} v{row.version} (database, effective {row.effective_from})"
    data = selectors.fixture(spec)
    if data is None:
        known = ", ".join(selectors.SHIPPED_PACKS)
        raise PackError(f"unknown rule pack {spec}: give a code ({known}) or a pack JSON file")
    return guard.parse_pack(data["definition"]), f"{spec} (shipped fixture)"


def _in_force(code: str, day: dt.date) -> Any:
    from django.db import DatabaseError

    from arrears.compliance import selectors

    try:
        return selectors.pack_in_force(code, day)
    except DatabaseError:  # no database or not migrated: the fixture
        return None
