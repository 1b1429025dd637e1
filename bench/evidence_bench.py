"""Evidence log benchmark: append N records (each in its own transaction, as the contact services do), verify the
chain (records only, then with every stored file re-hashed), find a tampered record, export a case.

Runs on a fresh SQLite database under bench/out/evidence/ (its own ARREARS_VAR_DIR; the blobs go there too), or on
PostgreSQL with `--database-url postgres://…/arrears_evidence_bench` (the database is emptied first: never point it
at a database you use). Prints its figures; asserts only that the chain verifies and the tampering is found.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "evidence"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--file-every", type=int, default=10, help="every Nth record stores a 2 KiB file")
    parser.add_argument("--database-url", default="", help="default: SQLite under bench/out/evidence/")
    args = parser.parse_args()

    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    os.environ["ARREARS_VAR_DIR"] = str(OUT)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "arrears.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from arrears.audit import selectors, services
    from arrears.audit.models import EvidenceRecord

    call_command("migrate", verbosity=0, interactive=False)
    EvidenceRecord.objects.all().delete()
    print(f"database: {connection.vendor}, {args.records:,} records, a file on every {args.file_every}th")

    clock = time.perf_counter()
    for i in range(args.records):
        files = [(f"receipt-{i}.txt", os.urandom(1024).hex().encode())] if i % args.file_every == 0 else ()
        services.append_evidence(
            "contact.sms" if i % 3 else "guard.decision",
            payload={"to": f"138{i:08d}", "template": "reminder-1", "outcome": "delivered", "n": i},
            case_id=i % 5000,
            borrower_id=f"B{i % 5000:06d}",
            loan_ids=[f"L{i % 5000:07d}"],
            subject_type="OutboxMessage",
            subject_id=i,
            files=files,
            actor_label="bench",
        )
    append_s = time.perf_counter() - clock
    print(f"append, one transaction each: {append_s:.1f} s, {args.records / append_s:,.0f} records/s")

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    clock = time.perf_counter()
    result = selectors.verify_chain(check_blobs=False)
    verify_s = time.perf_counter() - clock
    assert result["ok"] and result["records"] == args.records, result
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"verify (records): {verify_s:.2f} s, {args.records / verify_s:,.0f} records/s; "
        f"peak RSS {rss_before:.0f} → {rss_after:.0f} MiB"
    )
    clock = time.perf_counter()
    assert selectors.verify_chain()["ok"]
    blobs_s = time.perf_counter() - clock
    print(f"verify (records + files re-hashed): {blobs_s:.2f} s")

    tracemalloc.start()
    selectors.verify_chain(check_blobs=False)
    peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    tracemalloc.stop()
    print(f"verify, Python allocations at peak (tracemalloc): {peak:.1f} MiB")

    middle = args.records // 2
    EvidenceRecord.objects.filter(seq=middle).update(payload={"to": "someone else"})
    clock = time.perf_counter()
    broken = selectors.verify_chain(check_blobs=False)
    print(
        f"tampered seq {middle}: found {json.dumps(broken['first_broken'])} in {time.perf_counter() - clock:.2f} s"
    )
    assert broken["first_broken"] and broken["first_broken"]["seq"] == middle

    clock = time.perf_counter()
    exported = services.export_case_evidence(1, OUT / "case1.zip", actor_label="bench")
    print(
        f"export case 1 ({exported['records']} records, {exported['files']} files, chain verified inside): "
        f"{time.perf_counter() - clock:.2f} s, {exported['size'] / 1024:.0f} KiB"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    main()
