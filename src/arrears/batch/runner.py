"""The close-of-business runner: which dates, which loans, in how many processes, and one write at the end.

`close` is the service behind `arrears cob`: it takes the run lock (a `CobRun` row in state running, unique in
the database), splits the active loans into id ranges, runs the pure partition function on each range (in worker
processes reading through connectorx when `workers` > 1), and writes the results and history in one transaction,
so a run killed half-way leaves the previous results intact and running it again completes it.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import socket
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any

import polars as pl
from django.db import IntegrityError, connection, transaction
from django.db.models import Min
from django.utils import timezone

from arrears.accounts.models import User
from arrears.audit import services as audit
from arrears.batch import io, worker
from arrears.batch.models import CobRun
from arrears.batch.partition import ONE_DAY
from arrears.batch.steps import risk
from arrears.core.errors import Conflict, DomainError

LOANS_PER_PARTITION = 250_000
STALE_AFTER = dt.timedelta(minutes=30)  # a running close that has not reported for this long has died
PROBLEMS_KEPT = 1000

Progress = Callable[[str, int, int], None]


def _quiet(stage: str, done: int, total: int) -> None:
    return None


@dataclass
class Outcome:
    run: CobRun
    dates: list[dt.date]
    changes: dict[str, int] = field(default_factory=dict)
    cases: dict[str, int] = field(default_factory=dict)  # opened, updated, closed, assigned


def dates_to_close(
    as_of: dt.date | None, from_date: dt.date | None = None, to_date: dt.date | None = None
) -> list[dt.date]:
    """`--from A --to B` closes A..B; `--as-of D` closes D, after catching up every day since the last close."""
    if from_date or to_date:
        if not (from_date and to_date):
            raise DomainError("give both --from and --to")
        if from_date > to_date:
            raise DomainError(f"--from {from_date} is after --to {to_date}")
        first, last = from_date, to_date
    elif as_of:
        latest = latest_closed()
        first = latest + ONE_DAY if latest and latest < as_of else as_of
        last = as_of
    else:
        raise DomainError("give --as-of DATE or --from A --to B")
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def first_closed() -> dt.date | None:
    """The first date any close covered: history starts there."""
    first: dt.date | None = CobRun.objects.filter(status=CobRun.Status.SUCCEEDED).aggregate(
        first=Min("from_date")
    )["first"]
    return first


def latest_closed() -> dt.date | None:
    run = CobRun.objects.filter(status=CobRun.Status.SUCCEEDED).order_by("-as_of").first()
    return run.as_of if run else None


def _acquire(dates: list[dt.date], workers: int, actor: User | None) -> CobRun:
    now = timezone.now()
    for _ in range(2):
        try:
            with transaction.atomic():
                return CobRun.objects.create(
                    as_of=dates[-1],
                    from_date=dates[0],
                    started_at=now,
                    heartbeat_at=now,
                    host=socket.gethostname(),
                    pid=os.getpid(),
                    workers=workers,
                    started_by=actor,
                )
        except IntegrityError:
            other = CobRun.objects.filter(status=CobRun.Status.RUNNING).first()
            if other is None:
                continue
            if not _abandoned(other):
                raise Conflict(
                    f"a close of {other.as_of} is already running (started {other.started_at:%Y-%m-%d %H:%M:%S} "
                    f"by process {other.pid} on {other.host}); wait for it to finish or use --wait",
                    run=other.pk,
                ) from None
            CobRun.objects.filter(pk=other.pk).update(
                status=CobRun.Status.FAILED, error="abandoned: the process stopped reporting", finished_at=now
            )
    raise Conflict("could not take the close-of-business lock")


def _abandoned(run: CobRun) -> bool:
    if run.host == socket.gethostname() and run.pid:
        try:
            os.kill(run.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    return timezone.now() - run.heartbeat_at > STALE_AFTER


def close(
    dates: list[dt.date],
    *,
    workers: int = 1,
    actor: User | None = None,
    progress: Progress = _quiet,
    wait: bool = False,
) -> Outcome:
    """Close `dates` (consecutive) for every active loan."""
    run = _acquire_waiting(dates, workers, actor) if wait else _acquire(dates, workers, actor)
    try:
        first = first_closed()
        opening = first is None or dates[0] <= first
        computed = compute(
            dates, workers=workers, progress=lambda *a: _beat(run, progress, *a), opening=opening
        )
        status, changes, problems, timings = (
            computed.status,
            computed.changes,
            computed.problems,
            computed.timings,
        )
        progress("write", 0, 1)
        clock = time.perf_counter()
        latest = latest_closed()
        with transaction.atomic():
            latest_date = latest is None or dates[-1] >= latest
            io.write_results(status if latest_date else None, changes, dates[0], dates[-1])
            if latest_date and computed.risk_counts:
                monitor(dates[-1], computed.risk_counts)
            written = time.perf_counter() - clock
            case_counts: dict[str, int] = {}
            if latest_date:
                case_counts = sync_cases(status, dates[-1])
            cased = time.perf_counter() - clock - written
            steps = [
                {"step": "read", "rows": computed.rows_read, "seconds": round(timings.pop("read"), 3)},
                *(
                    {"step": step, "rows": status.height, "seconds": round(s, 3)}
                    for step, s in timings.items()
                ),
                {"step": "compute (wall)", "rows": status.height, "seconds": round(computed.seconds, 3)},
                {"step": "write", "rows": status.height + changes.height, "seconds": round(written, 3)},
                {"step": "cases", "rows": sum(case_counts.values()), "seconds": round(cased, 3)},
            ]
            run.status = CobRun.Status.SUCCEEDED
            run.finished_at = timezone.now()
            run.loans = status.height
            run.steps = steps
            run.problem_count = problems.height
            run.problems = problems.head(PROBLEMS_KEPT).to_dicts()
            run.save()
            audit.record(
                "cob.closed",
                "CobRun",
                run.pk,
                actor=actor,
                actor_label="" if actor else "cob",
                after={"from": dates[0].isoformat(), "to": dates[-1].isoformat(), "loans": status.height},
            )
        progress("write", 1, 1)
    except BaseException as exc:
        CobRun.objects.filter(pk=run.pk).update(
            status=CobRun.Status.FAILED, finished_at=timezone.now(), error=repr(exc)[:2000]
        )
        raise
    counts = changes.group_by("field").len().rows()
    return Outcome(run, dates, {str(k): int(v) for k, v in counts}, case_counts)


def sync_cases(status: pl.DataFrame, as_of: dt.date) -> dict[str, int]:
    """The collection cases after the day's status: open, refresh and close them; judge the open promises to
    pay and the active repayment plans; put each in its strategy
    segment and arm (whose skills decide who may take it); assign the unassigned; turn the treatment steps due
    into follow-ups for the assigned collectors; remind litigation deadlines; and order every queue by priority."""
    from arrears.cases import services as cases
    from arrears.legal import services as legal
    from arrears.negotiation import services as negotiation
    from arrears.strategy import services as strategy

    counts = cases.sync_cases(status, as_of)
    counts |= negotiation.evaluate_promises(as_of)
    counts |= negotiation.evaluate_plans(status, as_of)
    counts |= strategy.apply_segments(as_of)
    counts |= cases.assign_unassigned()
    counts |= strategy.fire_due_steps(as_of)
    counts |= legal.remind_deadlines(as_of)  # litigation deadlines: T-30/T-7/T-1, missed (none: two queries)
    cases.refresh_priorities(as_of)
    return counts


def monitor(as_of: dt.date, counts: dict[str, Any]) -> None:
    """The scoring model's population on `as_of`, for its drift page."""
    from arrears.risk.services import record_monitor

    record_monitor(counts["model_id"], as_of, counts["rows"], counts)


@dataclass
class Computed:
    status: pl.DataFrame
    changes: pl.DataFrame
    problems: pl.DataFrame
    timings: dict[str, float]
    rows_read: int
    seconds: float
    risk_counts: dict[str, Any] = field(default_factory=dict)


def compute(
    dates: list[dt.date], *, workers: int = 1, progress: Progress = _quiet, opening: bool = False
) -> Computed:
    """Compute `dates` for every active loan without writing anything (the close, `status export` of a date
    that was not closed). Partitions run in worker processes when `workers` > 1 and the data is committed.
    `opening`: the first date opens the history (see `partition.close_days`)."""
    wall = time.perf_counter()
    rules = io.load_rules([dates[0] - ONE_DAY, *dates])
    in_process = workers <= 1 or connection.in_atomic_block
    bounds = io.loan_id_bounds(1 if in_process else workers, LOANS_PER_PARTITION)
    wheres = [io.loan_filter(lower, upper) for lower, upper in bounds]
    parts: list[Any] = []
    progress("compute", 0, len(wheres))
    if in_process:
        for where in wheres:
            parts.append(worker.close_partition(None, where, dates, rules, opening))
            progress("compute", len(parts), len(wheres))
    else:
        url = io.connection_url()
        # spawn, not fork: Polars' thread pool does not survive a fork (the child can deadlock on its locks)
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            futures = [
                pool.submit(worker.close_partition, url, where, dates, rules, opening) for where in wheres
            ]
            for future in as_completed(futures):
                parts.append(future.result())
                progress("compute", len(parts), len(wheres))
    timings: dict[str, float] = {}
    for part in parts:
        for step, seconds in part[3].items():
            timings[step] = timings.get(step, 0.0) + seconds
    return Computed(
        status=pl.concat([p[0] for p in parts]),
        changes=pl.concat([p[1] for p in parts]),
        problems=pl.concat([p[2] for p in parts]).sort("loan_id"),
        timings=timings,
        rows_read=sum(p[4] for p in parts),
        seconds=time.perf_counter() - wall,
        risk_counts=functools.reduce(risk.add_counts, (p[5] for p in parts), {}),
    )


def _beat(run: CobRun, progress: Progress, stage: str, done: int, total: int) -> None:
    CobRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())
    progress(stage, done, total)


def _acquire_waiting(dates: list[dt.date], workers: int, actor: User | None) -> CobRun:
    while True:
        try:
            return _acquire(dates, workers, actor)
        except Conflict:
            time.sleep(5)
