"""Writing audit events and evidence. Services call these inside their own transaction, so the trail and the change
commit together.

`record`/`record_many`: the audit trail (who changed what). `append_evidence`: the tamper-evident evidence log
(communications, guard decisions, documents, delivered demands; see `EvidenceRecord`), with `store_blob` for the
content-addressed files and `export_case_evidence` for a case's court package."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path, PurePath
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connections, router, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from arrears.audit.chain import (
    CHUNK,
    ZERO_HASH,
    blob_path,
    blob_problem,
    canonical_fields,
    evidence_root,
    file_sha256,
    format_at,
    jsonable,
    record_hash,
)
from arrears.audit.models import AuditEvent, EvidenceLoan, EvidenceRecord
from arrears.core.errors import Conflict, NotFound, PermissionDenied
from arrears.core.middleware import current_request_id

Actor = AbstractBaseUser | AnonymousUser | None


def _actor_fields(actor: Actor, label: str) -> dict[str, Any]:
    if actor is not None and getattr(actor, "is_authenticated", False):
        return {"actor": actor, "actor_label": label or actor.get_username()}
    return {"actor": None, "actor_label": label or "system"}


def record(
    action: str,
    object_type: str,
    object_id: str | int = "",
    *,
    actor: Actor = None,
    actor_label: str = "",
    before: Any = None,
    after: Any = None,
    note: str = "",
) -> AuditEvent:
    return AuditEvent.objects.create(
        at=timezone.now(),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=before,
        after=after,
        note=note,
        request_id=current_request_id(),
        **_actor_fields(actor, actor_label),
    )


def record_many(
    action: str,
    object_type: str,
    changes: Iterable[tuple[str, Any, Any]],
    *,
    actor: Actor = None,
    actor_label: str = "",
    note: str = "",
    batch_size: int = 5000,
) -> int:
    """One event per (object_id, before, after), written in bulk: used by imports that change many rows."""
    now = timezone.now()
    request_id = current_request_id()
    who = _actor_fields(actor, actor_label)
    events = [
        AuditEvent(
            at=now,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            before=before,
            after=after,
            note=note,
            request_id=request_id,
            **who,
        )
        for object_id, before, after in changes
    ]
    AuditEvent.objects.bulk_create(events, batch_size=batch_size)
    return len(events)


# --- the evidence log -------------------------------------------------------------------------------------------

CHAIN_LOCK_KEY = 0x4152524541525345  # pg_advisory_xact_lock key of the evidence chain ("ARREARSE"), fixed
Data = bytes | Path


def store_blob(data: Data) -> str:
    """Keep `data` (bytes, or a file's path, copied in chunks) content-addressed under the evidence root
    (`<root>/ab/cdef…`, the root being `settings.EVIDENCE_ROOT` or `<ARREARS_VAR_DIR>/evidence`) and return its
    SHA-256. An existing blob is never overwritten: the same content is
    stored once, and a blob altered on disk stays altered (for `verify_chain` to find) rather than being
    silently replaced. Written to a temporary file under the root, synced, then hard-linked into place (atomic, no
    overwrite).
    A blob written by a transaction that later rolls back is an unreferenced file, harmless."""
    return _store(data)[0]


def _store(data: Data) -> tuple[str, int]:
    if not isinstance(data, Path):
        data = bytes(data)
        sha = hashlib.sha256(data).hexdigest()
        if blob_path(sha).exists():
            return sha, len(data)
    root = evidence_root()
    root.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as fh:
            if isinstance(data, Path):  # hashed as copied, so the hash is of exactly what is stored
                digest, size = hashlib.sha256(), 0
                with data.open("rb") as src:
                    while chunk := src.read(CHUNK):
                        digest.update(chunk)
                        fh.write(chunk)
                        size += len(chunk)
                sha = digest.hexdigest()
            else:
                fh.write(data)
                size = len(data)
            fh.flush()
            os.fsync(fh.fileno())
        path = blob_path(sha, root)
        if not path.exists():
            path.parent.mkdir(exist_ok=True)
            os.chmod(tmp, 0o444)
            try:
                os.link(tmp, path)  # atomic, and never replaces an existing file
            except FileExistsError:
                pass  # stored meanwhile by someone else
            except OSError:  # a file system without hard links
                if not path.exists():
                    os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return sha, size


def _content_name(data: Data) -> str:
    if isinstance(data, Path):
        return f"content{data.suffix}"
    try:
        bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        return "content.bin"
    return "content.txt"


def _lock_chain(using: str) -> None:
    """Serialize appenders for the rest of the transaction. PostgreSQL: a transaction-level advisory lock with a
    fixed key. SQLite: nothing to do, every transaction here is BEGIN IMMEDIATE (settings.py), so the write lock is
    held from the transaction's start. Anywhere else the unique `seq` still refuses a fork."""
    conn = connections[using]
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def append_evidence(
    kind: str,
    *,
    payload: dict[str, Any],
    case_id: int | None = None,
    borrower_id: str = "",
    loan_ids: Iterable[str] = (),
    subject_type: str = "",
    subject_id: str | int = "",
    content: Data | None = None,
    content_sha256: str | None = None,
    files: Iterable[tuple[str, Data]] = (),
    actor: Actor = None,
    actor_label: str = "",
    at: dt.datetime | None = None,
) -> EvidenceRecord:
    """Append one record to the evidence chain and return it (with `seq`, `prev_hash` and `hash` set).

    `content` (the message text, recording or document, bytes or a path) is stored as a blob, its SHA-256 becomes
    `content_sha256` and it is listed in `files` as `content.txt`/`content.bin`; pass `content_sha256` alone when
    the content is kept elsewhere (e.g. by the telephony system). `files` are (name, bytes or path) pairs, stored
    the same way and listed as `{name, sha256, size}`. `payload` is normalised to plain JSON (see `chain.jsonable`:
    floats and decimals become strings). `at` (aware; default now) is when it happened, kept in UTC.

    Runs in its own atomic block, so it joins the caller's transaction when there is one (the record commits or
    rolls back with the contact it describes). Appenders are serialized until that transaction ends, so append as
    late as convenient in a long transaction."""
    if not kind or len(kind) > 64:
        raise ValueError(f"evidence kind must be 1–64 characters: {kind!r}")
    if at is None:
        at = timezone.now()
    elif at.utcoffset() is None:
        raise ValueError("evidence time must be timezone-aware")
    at = at.astimezone(dt.UTC)
    clean = jsonable(payload)
    if not isinstance(clean, dict):
        raise TypeError("evidence payload must be a mapping")
    entries: list[dict[str, Any]] = []
    if content is not None:
        sha, size = _store(content)
        if content_sha256 and content_sha256.lower() != sha:
            raise ValueError(f"content_sha256 {content_sha256} does not match the content ({sha})")
        content_sha256 = sha
        entries.append({"name": _content_name(content), "sha256": sha, "size": size})
    elif content_sha256 is not None:
        content_sha256 = content_sha256.lower()
        blob_path(content_sha256)  # validates the digest
    for name, data in files:
        sha, size = _store(data)
        entries.append({"name": str(name), "sha256": sha, "size": size})
    loans = [loan_ids] if isinstance(loan_ids, str) else [str(loan) for loan in loan_ids]
    using = router.db_for_write(EvidenceRecord)
    with transaction.atomic(using=using):
        _lock_chain(using)
        last = EvidenceRecord.objects.using(using).order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, ZERO_HASH)
        evidence = EvidenceRecord(
            seq=seq,
            at=at,
            kind=kind,
            case_id=case_id,
            borrower_id=str(borrower_id),
            loan_ids=loans,
            subject_type=subject_type,
            subject_id=str(subject_id),
            payload=clean,
            content_sha256=content_sha256,
            files=entries,
            actor_label=_actor_fields(actor, actor_label)["actor_label"],
            prev_hash=prev_hash,
        )
        evidence.hash = record_hash(evidence)
        evidence.save(force_insert=True, using=using)
        if loans:
            EvidenceLoan.objects.using(using).bulk_create(
                [EvidenceLoan(record=evidence, loan_id=loan, kind=kind) for loan in dict.fromkeys(loans)]
            )
    return evidence


def _safe_name(name: str) -> str:
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", PurePath(name.replace("\\", "/")).name).strip(" .")
    return name[:120] or "file"


def export_case_evidence(
    case_id: int, out: Path | str, *, actor: Actor = None, actor_label: str = ""
) -> dict[str, Any]:
    """Write a court-ready package of the case's evidence to the zip file `out`:

    - `files/<seq>/<name>`: every record's stored files (documents, recordings, message contents), each checked
      against its SHA-256 as it is copied (a missing or altered blob is left out and marked in the manifest);
    - `manifest.json`: each record's hashed fields exactly as hashed, with its `id`, `hash` and the exported
      files, how to recompute a hash, and the verification of the whole chain at export time with its head;
    - `index.html`: a printable index (Chinese and English), one row per record with its time in Asia/Shanghai.

    Refused (`NotFound`) when the folder of `out` does not exist or the case has no evidence; refused
    (`PermissionDenied`) for a user without EXPORT_EVIDENCE. The export is itself an audit event."""
    from arrears.accounts.roles import EXPORT_EVIDENCE, can
    from arrears.audit import selectors

    if actor is not None and not can(actor, EXPORT_EVIDENCE):  # type: ignore[arg-type]
        raise PermissionDenied("exporting evidence needs the export-evidence permission")
    out = Path(out).expanduser().absolute()
    if not out.parent.is_dir():
        raise NotFound(f"folder {out.parent} does not exist")
    if out.is_dir():
        raise Conflict(f"{out} is a folder; give the path of the zip file to write")
    records = list(selectors.case_evidence(case_id))
    if not records:
        raise NotFound(f"case {case_id} has no evidence records")
    chain = selectors.verify_chain(check_blobs=False)
    head = EvidenceRecord.objects.order_by("-seq").values("seq", "hash").first()
    exported_at = timezone.now()
    who = _actor_fields(actor, actor_label)["actor_label"]

    manifest_records: list[dict[str, Any]] = []
    fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    file_count = 0
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
            for rec in records:
                exported: list[dict[str, Any]] = []
                used: set[str] = set()
                for entry in rec.files:
                    name = _safe_name(str(entry["name"]))
                    stem, dot, suffix = name.rpartition(".")
                    n = 1
                    while name in used:
                        n += 1
                        name = f"{stem}-{n}.{suffix}" if dot else f"{suffix}-{n}"
                    used.add(name)
                    arcname = f"files/{rec.seq:06d}/{name}"
                    problem = blob_problem(entry)
                    row = {"name": entry["name"], "sha256": entry["sha256"], "size": entry["size"]}
                    if problem is None:
                        zf.write(blob_path(entry["sha256"]), arcname)
                        row |= {"path": arcname, "status": "ok"}
                        file_count += 1
                    else:
                        row |= {"path": None, "status": problem}
                    exported.append(row)
                manifest_records.append(
                    {**canonical_fields(rec), "id": rec.pk, "hash": rec.hash, "exported_files": exported}
                )
            case_info = _case_info(case_id, records)
            manifest = {
                "format": "arrears-evidence-export/1",
                "case_id": case_id,
                "case": case_info,
                "exported_at": format_at(exported_at),
                "exported_by": who,
                "hash_rule": HASH_RULE,
                "chain": {**chain, "head": head},
                "records": manifest_records,
            }
            zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
            zf.writestr(
                "index.html",
                render_to_string(
                    "audit/evidence_index.html",
                    selectors.index_context(
                        records, manifest_records, case_info, chain, head, exported_at, who
                    ),
                ),
            )
        zip_sha, zip_size = file_sha256(tmp)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    result = {
        "case_id": case_id,
        "path": str(out),
        "records": len(records),
        "files": file_count,
        "size": zip_size,
        "sha256": zip_sha,
        "chain_ok": chain["ok"],
    }
    record(
        "evidence.export",
        "Case",
        case_id,
        actor=actor,
        actor_label=actor_label,
        after={k: v for k, v in result.items() if k != "case_id"} | {"seqs": [r.seq for r in records]},
    )
    return result


HASH_RULE = (
    "hash = lowercase hex SHA-256 of the UTF-8 bytes of the compact canonical JSON of the record's fields "
    "seq, at, kind, case_id, borrower_id, loan_ids, subject_type, subject_id, payload, content_sha256, files, "
    "actor_label, prev_hash (every key of a manifest record except id, hash and exported_files): keys sorted at "
    "every level, separators ',' and ':' without whitespace, non-ASCII characters unescaped; at in UTC as "
    "YYYY-MM-DDTHH:MM:SS.ffffffZ. In Python: hashlib.sha256(json.dumps(fields, sort_keys=True, "
    "separators=(',', ':'), ensure_ascii=False).encode('utf-8')).hexdigest(). Each record's prev_hash is the hash "
    "of the record with the previous seq (64 zeros for seq 1); files[].sha256 is the SHA-256 of the file."
)


def _case_info(case_id: int, records: list[EvidenceRecord]) -> dict[str, Any]:
    """What the package says about the case: from the case row when it still exists, else from the evidence."""
    from arrears.cases.models import Case

    case = Case.objects.filter(pk=case_id).select_related("borrower").first()
    loans = list(dict.fromkeys(loan for r in records for loan in r.loan_ids))
    if case is None:
        borrower = next((r.borrower_id for r in records if r.borrower_id), "")
        return {"id": case_id, "borrower_id": borrower, "borrower_name": "", "lender": "", "loan_ids": loans}
    return {
        "id": case_id,
        "borrower_id": case.borrower_id,
        "borrower_name": case.borrower.name,
        "lender": case.lender,
        "loan_ids": list(dict.fromkeys([*case.loan_ids, *loans])),
    }
