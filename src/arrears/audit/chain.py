"""The evidence log's pure parts: the canonical form a record's hash is computed over, and where blobs live.

See `EvidenceRecord`'s docstring for the exact serialization (an outside auditor recomputes it from an export's
manifest with nothing but a JSON library and SHA-256).
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import json
import math
import uuid
from collections.abc import Mapping
from pathlib import Path, PurePath
from typing import Any

from django.conf import settings

from arrears.conf import get_settings

ZERO_HASH = "0" * 64
HASHED_FIELDS = (
    "seq",
    "at",
    "kind",
    "case_id",
    "borrower_id",
    "loan_ids",
    "subject_type",
    "subject_id",
    "payload",
    "content_sha256",
    "files",
    "actor_label",
    "prev_hash",
)
CHUNK = 1 << 20


def jsonable(value: Any, where: str = "payload") -> Any:
    """`value` as plain JSON data with one canonical form: str, int, bool, None, lists and string-keyed objects.

    Floats (no single textual form across languages) and decimals become strings (`repr`: the shortest text that
    reads back as the same float; `str` for a decimal, keeping its digits); dates and times ISO 8601; UUIDs, paths
    and enums their value; tuples and sets lists (sets sorted). Anything else is refused, naming where it is.
    """
    if value is None or isinstance(value, bool | int | str):
        return value.value if isinstance(value, enum.Enum) else value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"evidence {where}: {value!r} is not a finite number")
        return repr(value)
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, uuid.UUID | PurePath):
        return str(value)
    if isinstance(value, enum.Enum):
        return jsonable(value.value, where)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((jsonable(v, f"{where}[]") for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, list | tuple):
        return [jsonable(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise TypeError(f"evidence {where}: {type(value).__name__} cannot be stored as JSON evidence")


def format_at(at: dt.datetime) -> str:
    """`at` in UTC with microseconds: `2026-03-01T01:30:00.000000Z`."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("evidence time must be timezone-aware")
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_fields(record: Any) -> dict[str, Any]:
    """The hashed fields of a record (a model instance or a mapping with the same names), `at` formatted."""
    get = record.get if isinstance(record, Mapping) else lambda name: getattr(record, name)
    fields = {name: get(name) for name in HASHED_FIELDS}
    if isinstance(fields["at"], dt.datetime):
        fields["at"] = format_at(fields["at"])
    return fields


def canonical_bytes(fields: Mapping[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def record_hash(record: Any) -> str:
    """SHA-256 (lowercase hex) of the record's canonical form."""
    return hashlib.sha256(canonical_bytes(canonical_fields(record))).hexdigest()


def evidence_root() -> Path:
    """Where blobs are kept: `settings.EVIDENCE_ROOT` when set, else `<ARREARS_VAR_DIR>/evidence`."""
    root = getattr(settings, "EVIDENCE_ROOT", None) or get_settings().var_dir / "evidence"
    return Path(root).resolve()


def blob_path(sha256: str, root: Path | None = None) -> Path:
    """`<root>/ab/cdef…`: content-addressed, the first two hex digits as a directory."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return (root or evidence_root()) / sha256[:2] / sha256[2:]


def file_sha256(path: Path) -> tuple[str, int]:
    """SHA-256 and size of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def blob_problem(entry: Mapping[str, Any], root: Path | None = None, *, full: bool = True) -> str | None:
    """None when the blob of a `files` entry is there with its size (and, when `full`, its hash); else why not."""
    path = blob_path(str(entry["sha256"]), root)
    try:
        if path.stat().st_size != entry["size"]:
            return "altered"
        if full and file_sha256(path)[0] != entry["sha256"]:
            return "altered"
    except FileNotFoundError:
        return "missing"
    return None
