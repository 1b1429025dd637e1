"""Portfolio writes: import and export of the interchange format, payments posted one by one. Services own the
transaction and the audit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears.accounts.models import User
from arrears.audit import services as audit
from arrears.core.errors import Conflict, DomainError
from arrears.portfolio.interchange import store
from arrears.portfolio.interchange.read import ContainerError, open_portfolio
from arrears.portfolio.interchange.spec import FILES, FileSpec
from arrears.portfolio.interchange.validate import Report, ValidatedPortfolio, validate_portfolio
from arrears.portfolio.models import ImportRun, Loan, Payment

COUNT_KEYS = ("created", "updated", "unchanged")
Progress = Callable[[str], None]


def _silent(stage: str) -> None:
    pass


def _model_for(spec: FileSpec) -> type[models.Model]:
    return next(m for m in apps.get_app_config("portfolio").get_models() if m._meta.db_table == spec.table)


def _max_lengths() -> dict[str, dict[str, int]]:
    lengths: dict[str, dict[str, int]] = {}
    for spec in FILES:
        fields = {f.column: f.max_length for f in _model_for(spec)._meta.concrete_fields if f.max_length}
        lengths[spec.name] = {c.name: fields[c.target] for c in spec.columns if c.target in fields}
    return lengths


def _lookup_payments(ids: list[str]) -> pl.DataFrame:
    from arrears.portfolio.models import Payment

    rows = list(Payment.objects.filter(pk__in=ids).values_list("payment_id", "loan_id", "amount"))
    return pl.DataFrame(
        rows, schema={"payment_id": pl.String, "loan_id": pl.String, "amount": pl.Int64}, orient="row"
    )


def _loans_with_handed_in_schedule() -> pl.Series:
    """Loans whose schedule rows came from a file. Generated schedules are regenerated on every import, from
    terms that may have changed, and compare as unchanged when the terms did not."""
    from arrears.portfolio.models import ScheduleInstallment

    ids = ScheduleInstallment.objects.filter(loan__schedule_generated=False).values_list("loan_id", flat=True)
    return pl.Series("loan_id", list(ids.distinct()), dtype=pl.String)


def _validate(source: Path) -> ValidatedPortfolio:
    with open_portfolio(source) as sources:
        return validate_portfolio(
            sources,
            existing={
                "borrowers": store.distinct_values("portfolio_borrower", "borrower_id"),
                "loans": store.distinct_values("portfolio_loan", "loan_id"),
            },
            lookup_payments=_lookup_payments,
            loans_with_db_schedule=_loans_with_handed_in_schedule(),
            max_lengths=_max_lengths(),
        )


def _write_file(spec: FileSpec, rows: pl.DataFrame, actor: User | None, run: ImportRun) -> dict[str, int]:
    new = store.to_target(spec, rows)
    empty = store.table_is_empty(spec.table)
    if empty:  # everything is new: no comparison, no copy
        old = pl.DataFrame(schema=store.target_dtypes(spec))
        counts = {"created": new.height, "updated": 0, "unchanged": 0}
        changed = new
    else:
        old = store.read_rows(spec)
        classified = store.classify(spec, new, old)
        counts = {k: classified.filter(pl.col("_change") == k).height for k in COUNT_KEYS}
        changed = classified.filter(pl.col("_change") != "unchanged").drop("_change")
    with store.bulk_load(spec.table, changed.height, keep_unique=not empty):
        store.upsert(spec, changed, insert_only=empty)
    if counts["updated"]:
        audit.record_many(
            "portfolio.import.updated",
            spec.name,
            store.changed_fields(spec, classified.filter(pl.col("_change") == "updated"), old),
            actor=actor,
            note=f"import run {run.pk}",
        )
    if spec.name == "schedules" and old.height:
        # A loan whose schedule came anew keeps no installment the new schedule does not have.
        keys = store.key_columns(spec)
        stale = old.join(new.select(keys), on=keys, how="anti").filter(
            pl.col("loan_id").is_in(new["loan_id"].implode())
        )
        store.delete_ids(spec.table, stale["id"].to_list())
        counts["deleted"] = stale.height
    return counts


def import_portfolio(
    source: Path,
    *,
    skip_invalid: bool = False,
    actor: User | None = None,
    source_name: str | None = None,
    progress: Progress = _silent,
) -> ImportRun:
    """Validate the whole portfolio, then write it in one transaction (or nothing, if anything is invalid and
    `skip_invalid` is off). Re-importing the same portfolio changes nothing; changed rows are audited.
    `progress(stage)` is told what is starting, for long imports."""
    run = ImportRun.objects.create(
        started_at=timezone.now(),
        source=source_name or str(source),
        started_by=actor,
        skip_invalid=skip_invalid,
    )
    try:
        return _import(run, Path(source), skip_invalid, actor, progress)
    except Exception as exc:
        report = Report()
        report.add(Path(source).name, f"import failed and wrote nothing: {type(exc).__name__}: {exc}")
        _finish(run, ImportRun.Status.FAILED, {}, report)
        raise


def _import(
    run: ImportRun, source: Path, skip_invalid: bool, actor: User | None, progress: Progress
) -> ImportRun:
    progress("validating")
    try:
        validated = _validate(source)
    except ContainerError as exc:
        report = Report()
        report.add(source.name, str(exc))
        return _finish(run, ImportRun.Status.REJECTED, {}, report)
    report = validated.report
    if report.count and not skip_invalid:
        return _finish(run, ImportRun.Status.REJECTED, {}, report)

    counts: dict[str, dict[str, int]] = {}
    with transaction.atomic():
        for spec in FILES:
            rows = validated.valid_rows(spec.name)
            if rows is None:
                continue
            progress(f"writing {spec.name} ({rows.height:,} rows)")
            counts[spec.name] = _write_file(spec, rows, actor, run)
            if spec.name == "schedules":
                counts[spec.name]["generated"] = validated.generated_schedules.height
            if vf := validated.files.get(spec.name):
                skipped = (
                    vf.frame.height
                    - rows.height
                    + (validated.generated_schedules.height if spec.name == "schedules" else 0)
                )
                if skipped:
                    counts[spec.name]["skipped"] = skipped
        audit.record(
            "portfolio.imported",
            "import_run",
            run.pk,
            actor=actor,
            after={"source": run.source, "counts": counts, "error_count": report.count},
        )
    status = ImportRun.Status.PARTIAL if report.count else ImportRun.Status.SUCCEEDED
    return _finish(run, status, counts, report)


def _finish(run: ImportRun, status: str, counts: dict[str, Any], report: Report) -> ImportRun:
    run.status = status
    run.counts = counts
    run.errors = report.rows()
    run.error_count = report.count
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "counts", "errors", "error_count", "finished_at"])
    return run


def record_full_pii_read(user: User | AnonymousUser, borrower_ids: list[str], where: str) -> None:
    """Every display of unmasked personal data is audited (PIPL: access to sensitive data must be traceable)."""
    if not borrower_ids:
        return
    if len(borrower_ids) == 1:
        audit.record("pii.read", "borrower", borrower_ids[0], actor=user, note=where)
    else:
        audit.record("pii.read", "borrower", "", actor=user, after={"borrower_ids": borrower_ids}, note=where)


def import_result(run: ImportRun) -> dict[str, Any]:
    """The `arrears import --json` object (a contract: counts and errors keep their shape)."""
    return {
        "counts": run.counts,
        "errors": run.errors,
        "error_count": run.error_count,
        "errors_truncated": run.error_count > len(run.errors),
        "status": run.status,
        "import_run": run.pk,
        "database": connection.vendor,
    }


# --- payments posted one by one ---------------------------------------------------------------------------


def _recompute(loan_id: str, since: dt.date) -> None:
    """The loan's delinquency and its history from `since`, at once, with the batch's own partition function
    (issue 3). Imported here: the delinquency app builds on the portfolio, not the other way round."""
    from arrears.delinquency.services import recompute_loans

    recompute_loans([loan_id], since=since)


@transaction.atomic
def post_payment(
    loan: Loan,
    payment_id: str,
    paid_on: dt.date,
    amount: int,
    *,
    split: dict[str, int] | None = None,
    actor: User | None = None,
) -> Payment:
    """Record a payment (fen) and recompute the loan. A split (principal/interest/penalty/fee in fen) must add up
    to the amount; without one the loan's waterfall allocates it."""
    if amount <= 0:
        raise DomainError(_("A payment amount must be positive."))
    parts = {f"{k}_paid": v for k, v in (split or {}).items()}
    unknown = set(parts) - {"principal_paid", "interest_paid", "penalty_paid", "fee_paid"}
    if unknown:
        raise DomainError(_("Unknown split part(s): %(parts)s.") % {"parts": ", ".join(sorted(unknown))})
    if parts and sum(parts.values()) != amount:
        raise DomainError(_("The split does not add up to the amount."))
    if Payment.objects.filter(pk=payment_id).exists():
        raise Conflict(_("Payment %(id)s already exists.") % {"id": payment_id})
    payment = Payment.objects.create(
        payment_id=payment_id, loan=loan, paid_on=paid_on, amount=amount, **parts
    )
    audit.record(
        "payment.posted", "Payment", payment_id, actor=actor,
        after={"loan": loan.pk, "paid_on": paid_on.isoformat(), "amount": amount, **parts},
    )  # fmt: skip
    _recompute(loan.pk, since=paid_on)
    return payment


@transaction.atomic
def reverse_payment(
    payment: Payment, reversal_id: str, reversed_on: dt.date, *, reason: str, actor: User | None = None
) -> Payment:
    """Undo a payment with a reversing row dated `reversed_on`; from that date the loan is replayed without it."""
    if payment.reverses_id:
        raise DomainError(_("A reversal cannot itself be reversed."))
    if Payment.objects.filter(reverses=payment).exists():
        raise Conflict(_("Payment %(id)s is already reversed.") % {"id": payment.pk})
    if reversed_on < payment.paid_on:
        raise DomainError(_("A payment cannot be reversed before it was made."))
    if not reason.strip():
        raise DomainError(_("Give a reason for the reversal."))
    reversal = Payment.objects.create(
        payment_id=reversal_id,
        loan_id=payment.loan_id,
        paid_on=reversed_on,
        amount=payment.amount,
        reverses=payment,
    )
    audit.record(
        "payment.reversed", "Payment", payment.pk, actor=actor,
        after={"reversal": reversal_id, "on": reversed_on.isoformat()}, note=reason,
    )  # fmt: skip
    _recompute(payment.loan_id, since=reversed_on)
    return reversal
