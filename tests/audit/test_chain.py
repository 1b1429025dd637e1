"""The evidence chain: appending, the documented hash, and `verify_chain` finding any single edited, deleted or
reordered record or altered file, naming the first broken one."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import os
import stat
import threading
from pathlib import Path

import pytest
from django.db import connection, connections, transaction

from arrears.audit import selectors, services
from arrears.audit.chain import blob_path
from arrears.audit.models import EvidenceRecord
from tests.factories import UserFactory

TABLE = EvidenceRecord._meta.db_table
UTC = dt.UTC


def append(n: int = 5, **kwargs: object) -> list[EvidenceRecord]:
    return [
        services.append_evidence(
            "contact.sms",
            payload={"to": "13800000000", "n": i, "summary": f"短信 {i}"},
            case_id=1,
            borrower_id="B001",
            loan_ids=["L001"],
            subject_type="OutboxMessage",
            subject_id=i,
            content=f"您好，第 {i} 条".encode(),
            **kwargs,  # type: ignore[arg-type]
        )
        for i in range(1, n + 1)
    ]


def sql(statement: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def documented_hash(row: EvidenceRecord) -> str:
    """The serialization as the model's docstring states it, written out independently of `chain.py`."""
    obj = {
        "seq": row.seq,
        "at": row.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "kind": row.kind,
        "case_id": row.case_id,
        "borrower_id": row.borrower_id,
        "loan_ids": row.loan_ids,
        "subject_type": row.subject_type,
        "subject_id": row.subject_id,
        "payload": row.payload,
        "content_sha256": row.content_sha256,
        "files": row.files,
        "actor_label": row.actor_label,
        "prev_hash": row.prev_hash,
    }
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.django_db
def test_appending_builds_a_valid_chain(evidence_root: Path) -> None:
    user = UserFactory(username="li")
    at = dt.datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    first = services.append_evidence(
        "contact.call",
        payload={"outcome": "answered", "number": "13812345678"},
        case_id=7,
        subject_type="Call",
        subject_id=17,
        files=[("recording.wav", b"RIFF....WAVEfmt "), ("note.txt", b"note")],
        actor=user,
        at=at,
    )
    second = services.append_evidence(
        "guard.decision", payload={"allowed": False, "rule": "cn-cba-2026.night"}
    )
    third = services.append_evidence(
        "contact.letter", payload={}, content_sha256="A" * 64, actor_label="batch"
    )
    rows = list(EvidenceRecord.objects.order_by("seq"))
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[0].prev_hash == "0" * 64
    assert [r.prev_hash for r in rows[1:]] == [first.hash, second.hash]
    assert [r.hash for r in rows] == [first.hash, second.hash, third.hash]
    for row in rows:
        assert row.hash == documented_hash(row)  # read back from the database, recomputed from the docstring
    assert rows[0].at == dt.datetime(2026, 3, 1, 1, 30, 0, 123456, tzinfo=UTC)
    assert rows[0].actor_label == "li" and rows[1].actor_label == "system" and rows[2].actor_label == "batch"
    assert rows[0].subject_id == "17" and rows[0].case_id == 7 and rows[1].case_id is None
    assert rows[2].content_sha256 == "a" * 64 and rows[2].files == []
    wav = rows[0].files[0]
    assert wav == {
        "name": "recording.wav",
        "sha256": hashlib.sha256(b"RIFF....WAVEfmt ").hexdigest(),
        "size": 16,
    }
    path = evidence_root / wav["sha256"][:2] / wav["sha256"][2:]
    assert path.read_bytes() == b"RIFF....WAVEfmt "
    assert not os.stat(path).st_mode & stat.S_IWUSR  # stored read-only
    assert selectors.verify_chain() == {"ok": True, "records": 3, "first_broken": None}


@pytest.mark.django_db
def test_content_is_stored_and_listed_and_payload_normalised() -> None:
    rec = services.append_evidence(
        "contact.email",
        payload={"cost": 0.05, "fee": decimal.Decimal("1.50"), "on": dt.date(2026, 3, 1), 3: ("a", "b")},
        content="尊敬的客户".encode(),
    )
    rec.refresh_from_db()
    assert rec.payload == {"cost": "0.05", "fee": "1.50", "on": "2026-03-01", "3": ["a", "b"]}
    sha = hashlib.sha256("尊敬的客户".encode()).hexdigest()
    assert rec.content_sha256 == sha
    assert rec.files == [{"name": "content.txt", "sha256": sha, "size": 15}]
    assert (
        services.append_evidence("contact.call", payload={}, content=b"\xff\xfe").files[0]["name"]
        == "content.bin"
    )
    assert documented_hash(rec) == rec.hash
    with pytest.raises(ValueError, match="does not match"):
        services.append_evidence("contact.sms", payload={}, content=b"x", content_sha256="0" * 64)
    with pytest.raises(ValueError, match="aware"):
        services.append_evidence("contact.sms", payload={}, at=dt.datetime(2026, 1, 1))
    with pytest.raises(TypeError, match=r"payload\.x"):
        services.append_evidence("contact.sms", payload={"x": object()})
    assert EvidenceRecord.objects.count() == 2


@pytest.mark.django_db
def test_store_blob_is_content_addressed_and_never_overwrites(tmp_path: Path) -> None:
    sha = services.store_blob(b"evidence")
    path = blob_path(sha)
    assert sha == hashlib.sha256(b"evidence").hexdigest() and path.read_bytes() == b"evidence"
    os.chmod(path, 0o644)
    path.write_bytes(b"tampered")
    assert services.store_blob(b"evidence") == sha
    assert path.read_bytes() == b"tampered"  # left for verify to find, not silently repaired
    big = tmp_path / "call.mp3"
    big.write_bytes(os.urandom(3 << 20))
    assert services.store_blob(big) == hashlib.sha256(big.read_bytes()).hexdigest()
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    assert not list(path.parent.parent.glob(".incoming-*"))  # no temporary file left behind


@pytest.mark.django_db
def test_verify_names_an_edited_record() -> None:
    rows = append(5)
    sql(f"UPDATE {TABLE} SET payload = %s WHERE seq = %s", [json.dumps({"to": "13900000000", "n": 3}), 3])
    assert selectors.verify_chain() == {
        "ok": False,
        "records": 5,
        "first_broken": {"seq": 3, "id": rows[2].pk, "problem": "edited"},
    }


@pytest.mark.django_db
def test_verify_names_an_edited_time_or_actor() -> None:
    rows = append(4)
    sql(f"UPDATE {TABLE} SET actor_label = %s WHERE seq = %s", ["someone else", 2])
    assert selectors.verify_chain()["first_broken"] == {"seq": 2, "id": rows[1].pk, "problem": "edited"}
    sql(f"UPDATE {TABLE} SET actor_label = %s WHERE seq = %s", [rows[1].actor_label, 2])
    assert selectors.verify_chain()["ok"]
    EvidenceRecord.objects.filter(seq=1).update(at=rows[0].at + dt.timedelta(microseconds=1))
    assert selectors.verify_chain()["first_broken"] == {"seq": 1, "id": rows[0].pk, "problem": "edited"}


@pytest.mark.django_db
def test_an_edit_that_rewrites_the_hash_breaks_the_next_link() -> None:
    rows = append(4)
    forged = EvidenceRecord.objects.get(seq=2)
    forged.payload = {"to": "forged"}
    forged.hash = documented_hash(forged)
    sql(
        f"UPDATE {TABLE} SET payload = %s, hash = %s WHERE seq = 2", [json.dumps(forged.payload), forged.hash]
    )
    assert selectors.verify_chain()["first_broken"] == {
        "seq": 3,
        "id": rows[2].pk,
        "problem": "deleted or reordered (gap in seq / prev_hash mismatch)",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("deleted", [1, 3])
def test_verify_names_the_record_after_a_deleted_one(deleted: int) -> None:
    rows = append(5)
    sql(f"DELETE FROM {TABLE} WHERE seq = %s", [deleted])
    assert selectors.verify_chain() == {
        "ok": False,
        "records": 4,
        "first_broken": {
            "seq": deleted + 1,
            "id": rows[deleted].pk,
            "problem": "deleted or reordered (gap in seq / prev_hash mismatch)",
        },
    }


@pytest.mark.django_db
def test_verify_names_two_swapped_records() -> None:
    rows = append(5)
    # swap the places (seq) of records 2 and 4
    sql(f"UPDATE {TABLE} SET seq = -1 WHERE seq = 2", [])
    sql(f"UPDATE {TABLE} SET seq = 2 WHERE seq = 4", [])
    sql(f"UPDATE {TABLE} SET seq = 4 WHERE seq = -1", [])
    assert selectors.verify_chain()["first_broken"] == {
        "seq": 2,
        "id": rows[3].pk,  # record 4 now stands second
        "problem": "deleted or reordered (gap in seq / prev_hash mismatch)",
    }


@pytest.mark.django_db
def test_verify_names_two_records_with_contents_exchanged() -> None:
    """The rows keep their places (seq and the chain's hashes) but exchange what they say."""
    rows = append(4)
    names = ["at", "payload", "subject_id", "files", "content_sha256"]
    second, third = (EvidenceRecord.objects.filter(seq=n).values(*names).get() for n in (2, 3))
    EvidenceRecord.objects.filter(seq=2).update(**third)
    EvidenceRecord.objects.filter(seq=3).update(**second)
    assert selectors.verify_chain()["first_broken"] == {"seq": 2, "id": rows[1].pk, "problem": "edited"}


@pytest.mark.django_db
def test_verify_names_an_altered_or_missing_blob() -> None:
    rows = append(4)
    path = blob_path(rows[2].files[0]["sha256"])
    os.chmod(path, 0o644)
    path.write_bytes(path.read_bytes().replace("第".encode(), "无".encode()))  # same size, other content
    broken = {"seq": 3, "id": rows[2].pk, "problem": "blob missing or altered"}
    assert selectors.verify_chain()["first_broken"] == broken
    assert selectors.verify_chain(check_blobs=False)["ok"]
    path.unlink()
    assert selectors.verify_chain()["first_broken"] == broken


@pytest.mark.django_db
def test_verify_streams_in_chunks() -> None:
    append(7)
    assert selectors.verify_chain(chunk_size=2) == {"ok": True, "records": 7, "first_broken": None}
    assert selectors.verify_chain() == {"ok": True, "records": 7, "first_broken": None}


@pytest.mark.django_db
def test_empty_chain_is_valid() -> None:
    assert selectors.verify_chain() == {"ok": True, "records": 0, "first_broken": None}


@pytest.mark.django_db
def test_rolled_back_appends_leave_no_gap() -> None:
    append(2)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        services.append_evidence("contact.sms", payload={"n": "rolled back"}, loan_ids=["L009"])
        raise Boom
    rec = services.append_evidence("contact.sms", payload={"n": 3})
    assert rec.seq == 3
    assert selectors.verify_chain()["ok"]
    assert selectors.demand_deliveries(["L009"]) == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_appenders_never_fork_the_chain() -> None:
    """Two threads, each with its own connection to the (file) test database, appending at the same time."""
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def work(name: str) -> None:
        try:
            start.wait()
            for i in range(20):
                with transaction.atomic():  # as a contact service would: its own writes, then the evidence
                    services.append_evidence("contact.call", payload={"thread": name, "i": i}, case_id=1)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    start.wait()
    for thread in threads:
        thread.join()
    assert errors == []
    assert list(EvidenceRecord.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, 41))
    assert selectors.verify_chain() == {"ok": True, "records": 40, "first_broken": None}
    by_thread = EvidenceRecord.objects.order_by("seq").values_list("payload", flat=True)
    assert sorted(p["thread"] for p in by_thread) == ["a"] * 20 + ["b"] * 20


@pytest.mark.django_db
def test_case_and_subject_evidence_and_demand_deliveries(settings: object) -> None:
    services.append_evidence(
        "contact.sms", payload={}, case_id=5, loan_ids=["L1"], subject_type="OutboxMessage", subject_id=3
    )
    late = services.append_evidence(
        "demand.delivered",
        payload={"tracking": "EMS123", "delivered_on": "2026-04-02"},
        case_id=5,
        loan_ids=["L1", "L2"],
        at=dt.datetime(2026, 4, 5, 2, 0, tzinfo=UTC),
    )
    night = services.append_evidence(
        "demand.delivered",
        payload={},
        case_id=6,
        loan_ids=["L3"],
        at=dt.datetime(2026, 3, 1, 17, 0, tzinfo=UTC),
    )
    services.append_evidence("demand.delivered", payload={}, case_id=7, loan_ids=["L9"])
    assert [r.seq for r in selectors.case_evidence(5)] == [1, 2]
    assert [r.seq for r in selectors.subject_evidence("OutboxMessage", "3")] == [1]
    assert selectors.demand_deliveries(["L2", "L3"]) == [
        # 17:00 UTC on 1 March is 2 March in Shanghai
        {"on": dt.date(2026, 3, 2), "record": night.seq, "loan_ids": ["L3"]},
        {"on": dt.date(2026, 4, 2), "record": late.seq, "loan_ids": ["L1", "L2"]},
    ]
    assert selectors.demand_deliveries(["L1"]) == [
        {"on": dt.date(2026, 4, 2), "record": 2, "loan_ids": ["L1", "L2"]}
    ]
    assert selectors.demand_deliveries([]) == []
    assert services.append_evidence("contact.sms", payload={}, loan_ids="L77").loan_ids == ["L77"]
