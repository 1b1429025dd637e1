"""The close against the database (SQLite here, PostgreSQL in CI): results, history, reruns, the lock, faults,
`loan show`, `status export` and `buckets import`."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import socket
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from arrears.audit.models import AuditEvent
from arrears.batch import io as batch_io
from arrears.batch import runner
from arrears.batch.models import CobRun
from arrears.core.errors import Conflict
from arrears.delinquency.models import BucketSet, LoanStatus, StatusChange
from tests.factories import LoanFactory, ScheduleInstallmentFactory, loan_with_details

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 4, 15)


@pytest.fixture
def loan() -> Any:
    """12,000 yuan at 12 %, penalty 18 %, grace 3, installments due 02-05/03-05/04-05; its only payment was
    reversed, so nothing counts as paid."""
    return loan_with_details(loan_id="L001")


def close(*days: dt.date, **kwargs: Any) -> runner.Outcome:
    return runner.close(list(days), **kwargs)


def test_the_close_writes_each_loans_status(loan: Any) -> None:
    outcome = close(AS_OF)
    assert outcome.run.status == CobRun.Status.SUCCEEDED and outcome.run.loans == 1
    status = LoanStatus.objects.get(loan=loan)
    # dpd 04-15 − 02-05 = 69, less 3 grace days = 66 → M3 (61–90); special mention (≤ 90).
    assert (status.dpd, status.delinquent_days, status.bucket, status.classification) == (
        69,
        66,
        "M3",
        "special_mention",
    )
    assert status.overdue_principal == 1_200_000 and status.overdue_interest == 24_080
    # Penalty at 18 %/360: 3960.27 × 69 days = 136.63, 3999.87 × 41 = 82.00, 4039.86 × 10 = 20.20.
    assert status.penalty_interest == 13_663 + 8_200 + 2_020
    assert status.total_due == 1_200_000 + 24_080 + 23_883
    assert status.overdue_by_bucket == {"M3": 408_027, "M2": 408_027, "M1": 408_026}
    assert (status.times_overdue, status.max_dpd, status.episode_start) == (1, 69, dt.date(2026, 2, 6))
    assert AuditEvent.objects.filter(action="cob.closed", object_id=str(outcome.run.pk)).exists()


def test_loan_show_json_carries_the_status_fields(loan: Any) -> None:
    out = io.StringIO()
    call_command("loan", "show", "L001", "--json", stdout=out)
    before = json.loads(out.getvalue())
    assert before["dpd"] is None and before["bucket"] is None  # no close yet
    close(AS_OF)
    out = io.StringIO()
    call_command("loan", "show", "L001", "--json", stdout=out)
    shown = json.loads(out.getvalue())
    assert {k: shown[k] for k in ("dpd", "delinquent_days", "bucket", "classification", "times_overdue", "max_dpd", "paused")} == {
        "dpd": 69, "delinquent_days": 66, "bucket": "M3", "classification": "special_mention", "times_overdue": 1,
        "max_dpd": 69, "paused": False,
    }  # fmt: skip
    assert shown["overdue_principal"] == "12000.00"
    assert shown["overdue_interest"] == "240.80"
    assert shown["overdue_fees"] == "0.00"
    assert shown["penalty_interest"] == "238.83"
    assert shown["outstanding_principal"] == "12000.00"
    assert shown["total_due"] == "12479.63"
    assert shown["overdue_by_bucket"] == {"M3": "4080.27", "M2": "4080.27", "M1": "4080.26"}


def test_rerunning_a_date_gives_identical_results_and_a_range_equals_day_by_day(loan: Any) -> None:
    days = [dt.date(2026, 2, 1) + dt.timedelta(days=i) for i in range(60)]
    close(*days)
    ranged = sorted(StatusChange.objects.values_list("loan_id", "on", "field", "old", "new"))
    status = LoanStatus.objects.values().get()
    for day in days:
        close(day)
    assert sorted(StatusChange.objects.values_list("loan_id", "on", "field", "old", "new")) == ranged
    close(days[-1])
    close(days[-1])
    assert LoanStatus.objects.values().get() == status
    # Paid on time on 02-05, but the payment was reversed on 02-08: overdue since 02-06, past grace on 02-09.
    assert ("L001", dt.date(2026, 2, 9), "bucket", "", "M1") in ranged


def test_as_of_catches_up_the_days_missed_since_the_last_close(loan: Any) -> None:
    close(dt.date(2026, 3, 1))
    assert runner.dates_to_close(AS_OF) == [dt.date(2026, 3, 2) + dt.timedelta(days=i) for i in range(45)]
    assert runner.dates_to_close(dt.date(2026, 2, 1)) == [
        dt.date(2026, 2, 1)
    ]  # an earlier date: just that day


def test_closing_an_earlier_date_keeps_the_latest_status(loan: Any) -> None:
    close(AS_OF)
    close(dt.date(2026, 3, 1))
    assert LoanStatus.objects.get().as_of == AS_OF


def test_a_second_run_is_refused_while_one_is_running(loan: Any) -> None:
    now = timezone.now()
    CobRun.objects.create(
        as_of=AS_OF,
        from_date=AS_OF,
        started_at=now,
        heartbeat_at=now,
        host=socket.gethostname(),
        pid=os.getpid(),
    )
    with pytest.raises(Conflict, match="already running"):
        close(AS_OF)


def test_a_run_whose_process_died_is_taken_over(loan: Any) -> None:
    now = timezone.now()
    dead = CobRun.objects.create(
        as_of=AS_OF,
        from_date=AS_OF,
        started_at=now,
        heartbeat_at=now,
        host=socket.gethostname(),
        pid=2**22 + 12345,
    )
    close(AS_OF)
    dead.refresh_from_db()
    assert dead.status == CobRun.Status.FAILED and "abandoned" in dead.error


def test_a_run_that_fails_half_way_leaves_the_previous_results(
    loan: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    close(dt.date(2026, 3, 1))
    before = LoanStatus.objects.values().get()

    def crash(*args: Any, **kwargs: Any) -> None:
        LoanStatus.objects.all().delete()  # half-written ...
        raise RuntimeError("killed")  # ... then the process dies

    monkeypatch.setattr(batch_io, "write_results", crash)
    with pytest.raises(RuntimeError):
        close(AS_OF)
    assert LoanStatus.objects.values().get() == before
    assert CobRun.objects.filter(status=CobRun.Status.FAILED, as_of=AS_OF).exists()
    monkeypatch.undo()
    close(AS_OF)
    assert LoanStatus.objects.get().as_of == AS_OF


def test_loans_that_cannot_be_computed_are_skipped_and_reported(loan: Any) -> None:
    LoanFactory(loan_id="L-NO-SCHEDULE")
    outcome = close(AS_OF)
    assert outcome.run.loans == 1
    assert outcome.run.problems == [{"loan_id": "L-NO-SCHEDULE", "problem": "no_schedule"}]


def test_cob_command_prints_steps_as_json(loan: Any) -> None:
    out = io.StringIO()
    call_command("cob", "--as-of", "2026-04-15", "--json", stdout=out, stderr=io.StringIO())
    result = json.loads(out.getvalue())
    assert (result["from"], result["to"], result["loans"], result["skipped"]) == (
        "2026-04-15",
        "2026-04-15",
        1,
        0,
    )
    assert {s["step"] for s in result["steps"]} >= {"read", "allocate", "buckets", "classification", "write"}
    with pytest.raises(CommandError, match="--from"):
        call_command("cob", "--from", "2026-04-15", stdout=io.StringIO())


def test_status_export_writes_the_daily_file(loan: Any, tmp_path: Path) -> None:
    close(AS_OF)
    call_command("status", "export", str(tmp_path / "status.csv"), stdout=io.StringIO())
    with open(tmp_path / "status.csv", encoding="utf-8") as handle:
        (row,) = list(csv.DictReader(handle))
    assert row["loan_id"] == "L001" and row["borrower_id"] == loan.borrower_id
    assert (row["dpd"], row["delinquent_days"], row["bucket"], row["classification"]) == (
        "69",
        "66",
        "M3",
        "special_mention",
    )
    assert (row["total_due"], row["penalty_interest"], row["paused"]) == ("12479.63", "238.83", "0")
    assert json.loads(row["overdue_by_bucket"]) == {"M3": "4080.27", "M2": "4080.27", "M1": "4080.26"}
    # A date that was not closed is computed on the spot, nothing written.
    call_command(
        "status", "export", "--as-of", "2026-03-01", str(tmp_path / "march.csv"), stdout=io.StringIO()
    )
    with open(tmp_path / "march.csv", encoding="utf-8") as handle:
        (march,) = list(csv.DictReader(handle))
    assert (march["dpd"], march["bucket"], march["as_of"]) == ("24", "M1", "2026-03-01")
    assert LoanStatus.objects.get().as_of == AS_OF


def test_buckets_import_replaces_a_set_and_refuses_bad_ranges(loan: Any, tmp_path: Path) -> None:
    good = tmp_path / "short.csv"
    good.write_text("code,name,min_days,max_days\nD1,1–15 天,1,15\nD2,16+ 天,16,\n", encoding="utf-8")
    call_command("buckets", "import", str(good), "--name", "short", "--default", stdout=io.StringIO())
    assert BucketSet.objects.get(is_default=True).name == "short"
    close(AS_OF)
    assert LoanStatus.objects.get().bucket == "D2"
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,min_days,max_days\nD1,a,1,15\nD2,b,10,\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"overlaps|重叠"):
        call_command("buckets", "import", str(bad), "--name", "short", stdout=io.StringIO())
    assert list(BucketSet.objects.get(name="short").buckets.values_list("code", flat=True)) == ["D1", "D2"]


def test_more_schedule_rows_than_one_loan() -> None:
    loan = LoanFactory(loan_id="L2", grace_days=0)
    for n in range(1, 4):
        ScheduleInstallmentFactory(
            loan=loan, installment_no=n, due_date=dt.date(2026, n, 1), principal_due=100, interest_due=0
        )
    close(dt.date(2026, 3, 2))
    assert LoanStatus.objects.get(loan=loan).overdue_by_bucket == {"M2": 100, "M1": 200}


@pytest.mark.django_db(transaction=True)
def test_worker_processes_read_through_connectorx_and_agree_with_the_in_process_run() -> None:
    for n in range(6):
        loan_with_details(loan_id=f"L{n:03d}")
    close(AS_OF)
    in_process = sorted(
        LoanStatus.objects.values_list("loan_id", "dpd", "penalty_interest", "total_due", "bucket")
    )
    frames = batch_io.read_inputs(batch_io.loan_filter("L002", "L004"), url=batch_io.connection_url())
    assert sorted(frames["loans"]["loan_id"]) == ["L002", "L003"]
    runner.close([AS_OF], workers=2)
    assert (
        sorted(LoanStatus.objects.values_list("loan_id", "dpd", "penalty_interest", "total_due", "bucket"))
        == in_process
    )
    assert len(in_process) == 6
