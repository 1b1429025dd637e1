"""Writes to delinquency inputs: bucket sets, pauses, technical-overdue flags, restructurings, classification
overrides. Each runs in one transaction, is audited, and recomputes the affected loan inline (the same partition
function as the nightly close, on a one-loan frame) so the loan page is right at once.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears.accounts.models import User
from arrears.accounts.roles import APPROVE_CLASSIFICATION, PAUSE_DELINQUENCY, REQUEST_CLASSIFICATION, can
from arrears.audit import services as audit
from arrears.batch import io, runner
from arrears.batch.partition import STATUS_COLUMNS, close_days
from arrears.batch.steps.buckets import DEFAULT_RANGES, DEFAULT_SET, BucketRange, range_problems
from arrears.batch.steps.classification import RANK
from arrears.core.errors import Conflict, DomainError, PermissionDenied
from arrears.delinquency.models import (
    STATUS_MONEY,
    Bucket,
    BucketSet,
    ClassificationOverride,
    LoanStatus,
    Pause,
    Restructuring,
    TechnicalOverdue,
)
from arrears.portfolio.interchange.text import yuan_text
from arrears.portfolio.models import Loan

BUCKET_COLUMNS = ("code", "name", "min_days", "max_days")


def seed_default_bucket_set(**kwargs: Any) -> None:
    """The industry-convention set M0…M7+ (domain-rules.md §10.1) as the default, when there is no set at all."""
    if not BucketSet.objects.exists():
        _set_ranges(BucketSet.objects.create(name=DEFAULT_SET, is_default=True), DEFAULT_RANGES)


def _set_ranges(bucket_set: BucketSet, ranges: list[BucketRange]) -> None:
    bucket_set.buckets.all().delete()
    Bucket.objects.bulk_create(
        Bucket(bucket_set=bucket_set, code=r.code, name=r.name, min_days=r.min_days, max_days=r.max_days)
        for r in ranges
    )


# --- bucket sets ------------------------------------------------------------------------------------------


def read_bucket_csv(path: Path) -> list[BucketRange]:
    """Rows of a bucket CSV (columns code,name,min_days,max_days; max_days empty = open-ended)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip().lower() for h in reader.fieldnames or []]
        missing = [c for c in BUCKET_COLUMNS if c not in header]
        if missing:
            raise DomainError(
                f"{path}: missing column(s) {', '.join(missing)}; expected {','.join(BUCKET_COLUMNS)}"
            )
        ranges = []
        for line, row in enumerate(reader, start=2):
            row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
            try:
                ranges.append(
                    BucketRange(
                        code=row["code"],
                        name=row["name"] or row["code"],
                        min_days=int(row["min_days"]),
                        max_days=int(row["max_days"]) if row["max_days"] else None,
                    )
                )
            except ValueError:
                raise DomainError(
                    f"{path}, row {line}: min_days/max_days must be whole numbers "
                    f"(got {row['min_days']!r}, {row['max_days']!r})"
                ) from None
            if not row["code"]:
                raise DomainError(f"{path}, row {line}: code is empty")
    return ranges


@transaction.atomic
def save_bucket_set(
    name: str,
    ranges: list[BucketRange],
    *,
    default: bool = False,
    product_types: list[str] | None = None,
    actor: User | None = None,
) -> BucketSet:
    """Create or replace the bucket set `name` after checking its ranges (issue 3: no overlaps, no gaps inside
    the covered span, min ≤ max, unique codes)."""
    problems = range_problems(ranges)
    if problems:
        raise DomainError(
            _("Bucket set %(name)s is not valid: %(problems)s")
            % {"name": name, "problems": "; ".join(problems)},
            problems=problems,
        )
    bucket_set, created = BucketSet.objects.get_or_create(name=name)
    before = None if created else [f"{b}" for b in bucket_set.buckets.all()]
    if default:
        BucketSet.objects.exclude(pk=bucket_set.pk).filter(is_default=True).update(is_default=False)
        bucket_set.is_default = True
    if product_types is not None:
        for other in BucketSet.objects.exclude(pk=bucket_set.pk):
            kept = [p for p in other.product_types if p not in product_types]
            if kept != other.product_types:
                other.product_types = kept
                other.save(update_fields=["product_types"])
        bucket_set.product_types = product_types
    bucket_set.save()
    _set_ranges(bucket_set, ranges)
    audit.record(
        "bucket_set.saved",
        "BucketSet",
        bucket_set.pk,
        actor=actor,
        actor_label="" if actor else "cli",
        before=before,
        after={"name": name, "default": bucket_set.is_default, "products": bucket_set.product_types,
               "buckets": [f"{r.code} {r.min_days}-{'' if r.max_days is None else r.max_days}" for r in ranges]},
    )  # fmt: skip
    return bucket_set


# --- pauses -----------------------------------------------------------------------------------------------


def _require(user: User | None, capability: str) -> None:
    if user is not None and not can(user, capability):
        raise PermissionDenied(_("You may not do this."))


@transaction.atomic
def pause(
    loan: Loan,
    start: dt.date,
    *,
    reason: str,
    end: dt.date | None = None,
    note: str = "",
    actor: User | None = None,
) -> Pause:
    """Pause delinquency from `start` (backdating allowed) to `end` (open when empty); overlaps are refused."""
    _require(actor, PAUSE_DELINQUENCY)
    if reason not in Pause.Reason.values:
        raise DomainError(_("Unknown pause reason %(reason)s.") % {"reason": reason})
    if end is not None and end < start:
        raise DomainError(
            _("A pause cannot end (%(end)s) before it starts (%(start)s).") % {"end": end, "start": start}
        )
    Loan.objects.select_for_update().filter(pk=loan.pk).first()  # serialise pauses of one loan
    clash = _overlapping(loan, start, end).first()
    if clash is not None:
        if clash.end is None:
            raise Conflict(_("This pause overlaps the open pause from %(start)s.") % {"start": clash.start})
        raise Conflict(
            _("This pause overlaps the pause from %(start)s to %(end)s.")
            % {"start": clash.start, "end": clash.end}
        )
    created = Pause.objects.create(
        loan=loan, start=start, end=end, reason=reason, note=note, created_by=actor
    )
    audit.record(
        "delinquency.paused",
        "Loan",
        loan.pk,
        actor=actor,
        after={
            "pause": created.pk,
            "start": start.isoformat(),
            "end": end.isoformat() if end else None,
            "reason": reason,
        },
        note=note,
    )
    recompute_loans([loan.pk], since=start)
    return created


def _overlapping(loan: Loan, start: dt.date, end: dt.date | None) -> QuerySet[Pause]:
    clash = Q(end__isnull=True) | Q(end__gte=start)
    if end is not None:
        clash &= Q(start__lte=end)
    return Pause.objects.filter(loan=loan).filter(clash)


@transaction.atomic
def resume(pause_row: Pause, end: dt.date, *, actor: User | None = None, note: str = "") -> Pause:
    """End an open pause on `end` (its last paused day)."""
    _require(actor, PAUSE_DELINQUENCY)
    pause_row = Pause.objects.select_for_update().get(pk=pause_row.pk)
    if pause_row.end is not None:
        raise Conflict(_("This pause already ended on %(end)s.") % {"end": pause_row.end})
    if end < pause_row.start:
        raise DomainError(
            _("A pause cannot end (%(end)s) before it starts (%(start)s).")
            % {"end": end, "start": pause_row.start}
        )
    pause_row.end = end
    pause_row.save(update_fields=["end"])
    audit.record(
        "delinquency.resumed",
        "Loan",
        pause_row.loan_id,
        actor=actor,
        after={"pause": pause_row.pk, "end": end.isoformat()},
        note=note,
    )
    recompute_loans([pause_row.loan_id], since=end)
    return pause_row


# --- classification inputs --------------------------------------------------------------------------------


@transaction.atomic
def flag_technical_overdue(
    loan: Loan, episode_start: dt.date, reason: str, *, actor: User | None = None
) -> TechnicalOverdue:
    """Flag an overdue episode as technical (domain-rules.md §1.1: may stay normal up to 7 days)."""
    _require(actor, REQUEST_CLASSIFICATION)
    flag, _created = TechnicalOverdue.objects.get_or_create(
        loan=loan, episode_start=episode_start, defaults={"reason": reason, "created_by": actor}
    )
    audit.record(
        "delinquency.technical_overdue",
        "Loan",
        loan.pk,
        actor=actor,
        after={"episode_start": episode_start.isoformat()},
        note=reason,
    )
    recompute_loans([loan.pk], since=episode_start)
    return flag


@transaction.atomic
def record_restructuring(
    loan: Loan, restructured_on: dt.date, note: str = "", *, actor: User | None = None
) -> Restructuring:
    """Record a restructuring (domain-rules.md §1.3); the observation period follows from the schedule."""
    _require(actor, REQUEST_CLASSIFICATION)
    row, created = Restructuring.objects.get_or_create(
        loan=loan, restructured_on=restructured_on, defaults={"note": note, "created_by": actor}
    )
    if not created:
        raise Conflict(_("A restructuring on %(day)s is already recorded.") % {"day": restructured_on})
    audit.record(
        "delinquency.restructured",
        "Loan",
        loan.pk,
        actor=actor,
        after={"restructured_on": restructured_on.isoformat()},
        note=note,
    )
    recompute_loans([loan.pk], since=restructured_on)
    return row


@transaction.atomic
def request_override(
    loan: Loan, classification: str, effective_from: dt.date, reason: str, *, actor: User
) -> ClassificationOverride:
    """Ask for a manual classification. It may only be stricter than the rule classification (domain-rules.md
    §1 implementation notes: manual override with approver); it takes effect once approved by someone else."""
    _require(actor, REQUEST_CLASSIFICATION)
    if classification not in RANK:
        raise DomainError(_("Unknown classification %(code)s.") % {"code": classification})
    if not reason.strip():
        raise DomainError(_("Give a reason for the manual classification."))
    status = LoanStatus.objects.filter(loan=loan).first()
    if status is not None and RANK[classification] <= RANK[status.rule_classification]:
        raise DomainError(
            _("A manual classification must be stricter than the rule classification (%(rule)s).")
            % {"rule": status.get_rule_classification_display()}
        )
    row = ClassificationOverride.objects.create(
        loan=loan,
        classification=classification,
        effective_from=effective_from,
        reason=reason,
        requested_by=actor,
    )
    audit.record(
        "classification.requested",
        "Loan",
        loan.pk,
        actor=actor,
        after={"override": row.pk, "classification": classification},
        note=reason,
    )
    return row


@transaction.atomic
def decide_override(
    override: ClassificationOverride, approve: bool, *, actor: User, note: str = ""
) -> ClassificationOverride:
    """Approve or reject a pending override; four eyes: the requester cannot decide their own request."""
    _require(actor, APPROVE_CLASSIFICATION)
    override = ClassificationOverride.objects.select_for_update().get(pk=override.pk)
    if override.status != ClassificationOverride.Status.PENDING:
        raise Conflict(_("This request was already decided."))
    if override.requested_by_id == actor.pk:
        raise PermissionDenied(_("You cannot approve your own request."))
    override.status = (
        ClassificationOverride.Status.APPROVED if approve else ClassificationOverride.Status.REJECTED
    )
    override.decided_by = actor
    override.decided_at = timezone.now()
    override.save()
    audit.record(
        "classification.approved" if approve else "classification.rejected",
        "Loan",
        override.loan_id,
        actor=actor,
        after={"override": override.pk, "classification": override.classification},
        note=note,
    )
    if approve:
        recompute_loans([override.loan_id], since=override.effective_from)
    return override


# --- inline recompute -------------------------------------------------------------------------------------


def business_date() -> dt.date | None:
    """The date of the latest close: the date loan statuses are kept at."""
    return runner.latest_closed()


def recompute_loans(loan_ids: list[str], since: dt.date | None = None, through: dt.date | None = None) -> int:
    """Recompute `loan_ids` with the batch's own partition function and replace their status (as of the
    business date) and their history from `since` (a backdated change: the date it takes effect; default: the
    business date only) — never before the first close, where history starts. Before any close there is
    nothing to recompute. `through`: the date the close is closing, when the close itself posts a change."""
    latest, first = through or runner.latest_closed(), runner.first_closed() or through
    if latest is None or first is None or not loan_ids:
        return 0
    start = latest if since is None else min(max(since, first), latest)
    dates = [start + dt.timedelta(days=i) for i in range((latest - start).days + 1)]
    inputs = io.read_inputs(io.loan_filter(loan_ids=loan_ids))
    rules = io.load_rules([start - dt.timedelta(days=1), *dates])
    result, changes, _timings = close_days(inputs, dates, rules, opening=start <= first)
    with transaction.atomic():
        io.write_results(result.status, changes, start, latest, loan_ids=loan_ids)
    return result.status.height


# --- the daily status file --------------------------------------------------------------------------------

EXPORT_COLUMNS = ["loan_id", "borrower_id", *STATUS_COLUMNS[1:]]
STATUS_SCHEMA: dict[str, pl.DataType] = {
    "loan_id": pl.String(), "borrower_id": pl.String(), "as_of": pl.Date(), "dpd": pl.Int32(),
    "delinquent_days": pl.Int32(), "bucket": pl.String(), "classification": pl.String(),
    "rule_classification": pl.String(), **{c: pl.Int64() for c in STATUS_MONEY}, "overdue_by_bucket": pl.String(),
    "times_overdue": pl.Int32(), "max_dpd": pl.Int32(), "paused": pl.Boolean(), "episode_start": pl.Date(),
    "cure_date": pl.Date(), "observation_until": pl.Date(), "npl_until": pl.Date(), "risk_score": pl.Int32(),
    "risk_level": pl.String(), "risk_reasons": pl.String(), "pd": pl.Float64(),
}  # fmt: skip


def status_frame(as_of: dt.date | None = None, *, workers: int = 1) -> pl.DataFrame:
    """Every active loan's status at the end of `as_of` (default: the business date): the closed results when
    that date is the one loan statuses are kept at, else computed now from the data, without writing."""
    kept = business_date()
    as_of = as_of or kept
    if as_of is None:
        raise DomainError(_("No close has run yet: give --as-of DATE."))
    if as_of == kept:
        columns = ", ".join(
            f"CAST(s.{c} AS TEXT) AS {c}" if c in ("overdue_by_bucket", "risk_reasons") else f"s.{c}"
            for c in STATUS_COLUMNS
            if c != "loan_id"
        )
        frame = io.read_frame(
            f"SELECT s.loan_id, l.borrower_id, {columns} FROM delinquency_loanstatus s "
            "JOIN portfolio_loan l ON l.loan_id = s.loan_id ORDER BY s.loan_id",
            STATUS_SCHEMA,
            None if connection.in_atomic_block else io.connection_url(),
        ).with_columns(pl.col("bucket").replace("", None), pl.col("risk_level").replace("", None))
    else:
        frame = runner.compute([as_of], workers=workers).status.sort("loan_id")
    return frame


def export_status(
    out: Path, as_of: dt.date | None = None, *, workers: int = 1, actor: User | None = None
) -> int:
    """Write the daily status file (CSV, UTF-8): one row per loan, amounts as yuan, overdue_by_bucket as JSON
    of yuan strings. The data warehouse picks it up; the export is audited."""
    frame = status_frame(as_of, workers=workers)
    by_bucket = frame["overdue_by_bucket"].str.json_decode(infer_schema_length=None)
    if isinstance(by_bucket.dtype, pl.Struct) and by_bucket.dtype.fields:
        pairs = [
            pl.when(pl.col("b").struct.field(f.name).is_not_null()).then(
                pl.format('"{}":"{}"', pl.lit(f.name), yuan_text(pl.col("b").struct.field(f.name)))
            )
            for f in by_bucket.dtype.fields
        ]
        text = (
            pl.DataFrame({"b": by_bucket})
            .select(
                pl.concat_str(
                    pl.lit("{"), pl.concat_list(pairs).list.drop_nulls().list.join(","), pl.lit("}")
                )
            )
            .to_series()
        )
    else:
        text = pl.Series(["{}"] * frame.height)
    frame = frame.with_columns(
        *(yuan_text(pl.col(c)).alias(c) for c in STATUS_MONEY),
        overdue_by_bucket=text,
        paused=pl.col("paused").cast(pl.Int8),
        risk_reasons=pl.col("risk_reasons").str.json_decode(pl.List(pl.String)).list.join(";"),
    ).select(EXPORT_COLUMNS)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.write_csv(out)
    audit.record(
        "status.exported", "LoanStatus", "", actor=actor, actor_label="" if actor else "cli",
        after={"file": str(out), "rows": frame.height, "as_of": str(frame["as_of"][0]) if frame.height else None},
    )  # fmt: skip
    return frame.height
