"""`arrears evidence export` (the court package) and the `arrears evidence verify` contract (JSON, exit codes)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from arrears.accounts.models import Role
from arrears.audit import services
from arrears.audit.models import AuditEvent, EvidenceRecord
from arrears.cli import main
from arrears.core.errors import Conflict, NotFound, PermissionDenied
from tests.factories import UserFactory

UTC = dt.UTC
TABLE = EvidenceRecord._meta.db_table


def evidence_for_two_cases() -> list[EvidenceRecord]:
    call = services.append_evidence(
        "contact.call",
        payload={"outcome": "promise to pay", "number": "13812345678", "summary": "承诺还款 3 月 10 日"},
        case_id=7,
        borrower_id="B001",
        loan_ids=["L001"],
        subject_type="Call",
        subject_id=1,
        files=[("recording.wav", b"RIFF-recording"), ("../../etc/passwd", b"odd name")],
        at=dt.datetime(2026, 3, 1, 16, 30, tzinfo=UTC),  # 00:30 on 2 March in Shanghai
    )
    other = services.append_evidence("contact.sms", payload={"to": "139"}, case_id=8, content=b"other case")
    guard = services.append_evidence(
        "guard.decision", payload={"allowed": False, "rule": "cn-cba-2026.night-hours"}, case_id=7
    )
    letter = services.append_evidence(
        "demand.delivered",
        payload={"tracking": "EMS1234567890", "delivered_on": "2026-03-05"},
        case_id=7,
        loan_ids=["L001"],
        content=b"PK\x03\x04 docx bytes \xff",
        files=[("scan.pdf", b"%PDF signed receipt"), ("scan.pdf", b"%PDF a second file, same name")],
    )
    return [call, other, guard, letter]


@pytest.mark.django_db
def test_export_writes_a_package_whose_hashes_match(tmp_path: Path) -> None:
    call, _, guard, letter = evidence_for_two_cases()
    out = tmp_path / "case7.zip"
    result = services.export_case_evidence(7, out, actor_label="法务 王")
    assert result["records"] == 3 and result["files"] == 5 and result["chain_ok"]
    assert result["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        index = zf.read("index.html").decode("utf-8")
        assert [r["seq"] for r in manifest["records"]] == [call.seq, guard.seq, letter.seq]
        assert manifest["chain"] == {
            "ok": True,
            "records": 4,
            "first_broken": None,
            "head": {"seq": 4, "hash": letter.hash},
        }
        exported = []
        for entry in manifest["records"]:
            fields = {k: v for k, v in entry.items() if k not in ("id", "hash", "exported_files")}
            canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            assert (
                hashlib.sha256(canonical.encode()).hexdigest() == entry["hash"]
            )  # recomputed as an auditor would
            assert [(f["sha256"], f["size"]) for f in entry["exported_files"]] == [
                (f["sha256"], f["size"]) for f in entry["files"]
            ]
            for f in entry["exported_files"]:
                assert f["status"] == "ok"
                data = zf.read(f["path"])
                assert hashlib.sha256(data).hexdigest() == f["sha256"] and len(data) == f["size"]
                exported.append(f["path"])
        assert sorted(exported) == sorted(n for n in names if n.startswith("files/"))
        assert exported == [
            "files/000001/recording.wav",
            "files/000001/passwd",  # a path in a name is reduced to its last part
            "files/000004/content.bin",
            "files/000004/scan.pdf",
            "files/000004/scan-2.pdf",
        ]
        assert manifest["records"][2]["content_sha256"] == letter.content_sha256
        assert manifest["records"][0]["prev_hash"] == "0" * 64
        assert manifest["exported_by"] == "法务 王"
        assert "hash_rule" in manifest
    # the printable index: one row per record, Shanghai time, both languages
    assert re.findall(r'id="seq-(\d+)"', index) == ["1", "3", "4"]
    assert "证据清单" in index and "Evidence index" in index
    assert "2026-03-02 00:30:00" in index  # 16:30 UTC
    assert "承诺还款 3 月 10 日" in index and "催收函送达" in index
    for rec in (call, guard, letter):
        assert rec.hash in index
    assert "与内容不符" not in index
    event = AuditEvent.objects.get(action="evidence.export")
    assert (event.object_type, event.object_id, event.actor_label) == ("Case", "7", "法务 王")
    assert event.after["seqs"] == [1, 3, 4] and event.after["sha256"] == result["sha256"]


@pytest.mark.django_db
def test_export_marks_a_tampered_file_and_a_broken_chain(tmp_path: Path) -> None:
    call, *_ = evidence_for_two_cases()
    blob = services.blob_path(call.files[0]["sha256"])
    blob.unlink()
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET payload = %s WHERE seq = 2", ['{"to": "000"}'])
    services.export_case_evidence(7, tmp_path / "p.zip")
    with zipfile.ZipFile(tmp_path / "p.zip") as zf:
        manifest = json.loads(zf.read("manifest.json"))
        index = zf.read("index.html").decode()
    assert manifest["chain"]["ok"] is False
    assert manifest["chain"]["first_broken"]["seq"] == 2
    assert manifest["records"][0]["exported_files"][0] | {"sha256": ""} == {
        "name": "recording.wav", "sha256": "", "size": 14, "path": None, "status": "missing"
    }  # fmt: skip
    assert "缺失或被改动" in index and "已损坏" in index
    assert "与内容不符" not in index  # the edited record is case 8's
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET payload = %s WHERE seq = 3", ['{"allowed": true}'])
    services.export_case_evidence(7, tmp_path / "p.zip")
    with zipfile.ZipFile(tmp_path / "p.zip") as zf:
        assert zf.read("index.html").decode().count("与内容不符") == 1


@pytest.mark.django_db
def test_export_refuses_without_evidence_folder_or_permission(tmp_path: Path) -> None:
    evidence_for_two_cases()
    with pytest.raises(NotFound, match="case 99 has no evidence"):
        services.export_case_evidence(99, tmp_path / "x.zip")
    with pytest.raises(NotFound, match="does not exist"):
        services.export_case_evidence(7, tmp_path / "missing" / "x.zip")
    with pytest.raises(Conflict, match="is a folder"):
        services.export_case_evidence(7, tmp_path)
    collector = UserFactory(username="c1", role=Role.COLLECTOR)
    with pytest.raises(PermissionDenied):
        services.export_case_evidence(7, tmp_path / "x.zip", actor=collector)
    assert not (tmp_path / "x.zip").exists()
    legal = UserFactory(username="legal1", role=Role.LEGAL)
    services.export_case_evidence(7, tmp_path / "x.zip", actor=legal)
    assert AuditEvent.objects.get(action="evidence.export").actor == legal
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.django_db
def test_verify_command_json_contract() -> None:
    evidence_for_two_cases()
    out = io.StringIO()
    call_command("evidence", "verify", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"ok": True, "records": 4, "first_broken": None}
    out = io.StringIO()
    call_command("evidence", "verify", stdout=out)
    assert "intact: 4 records" in out.getvalue()

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE seq = 2")
    out = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("evidence", "verify", "--json", stdout=out)
    assert failed.value.returncode == 1
    broken = {"seq": 3, "id": EvidenceRecord.objects.get(seq=3).pk,
              "problem": "deleted or reordered (gap in seq / prev_hash mismatch)"}  # fmt: skip
    assert json.loads(out.getvalue()) == {"ok": False, "records": 3, "first_broken": broken}


def run(capsys: Any, *argv: str) -> tuple[int, str, str]:
    """The console script as a shell runs it: the exit code, stdout and stderr."""
    try:
        main(["evidence", *argv])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.django_db(transaction=True)
def test_console_script_exit_codes(capsys: Any, tmp_path: Path) -> None:
    evidence_for_two_cases()
    code, out, _ = run(capsys, "verify", "--json")
    assert (code, json.loads(out)) == (0, {"ok": True, "records": 4, "first_broken": None})

    code, out, _ = run(capsys, "export", "7", str(tmp_path / "case7.zip"), "--json")
    assert code == 0 and json.loads(out)["records"] == 3 and (tmp_path / "case7.zip").is_file()
    code, _, err = run(capsys, "export", "7", str(tmp_path / "nowhere" / "case7.zip"))
    assert code == 1 and "does not exist" in err
    code, _, err = run(capsys, "export", "12345", str(tmp_path / "none.zip"))
    assert code == 1 and "no evidence" in err

    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET kind = 'contact.email' WHERE seq = 3")
    record_id = EvidenceRecord.objects.get(seq=3).pk
    code, out, err = run(capsys, "verify", "--json")
    assert code == 1
    assert json.loads(out) == {"ok": False, "records": 4,
                               "first_broken": {"seq": 3, "id": record_id, "problem": "edited"}}  # fmt: skip
    assert "seq 3" in err
    code, out, err = run(capsys, "verify")
    assert code == 1 and f"BROKEN at seq 3 (id {record_id}): edited" in out
