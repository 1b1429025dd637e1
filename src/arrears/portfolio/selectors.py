"""Reads of the portfolio, always starting from what the user may see (`accounts.selectors`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet, Sum

from arrears.accounts.models import User
from arrears.accounts.roles import VIEW_FULL_PII, can
from arrears.accounts.selectors import visible_loans
from arrears.core.errors import NotFound
from arrears.core.masking import mask_id_number, mask_phone
from arrears.core.money import format_fen
from arrears.delinquency.models import STATUS_MONEY
from arrears.delinquency.selectors import current_status
from arrears.portfolio.models import ImportRun, Loan, Payment
from arrears.risk.selectors import risk_as_dict


def search_loans(
    user: User | AnonymousUser,
    query: str = "",
    *,
    lender_type: str = "",
    product_type: str = "",
    status: str = "",
    province: str = "",
) -> QuerySet[Loan]:
    """Loans matching a free-text query on loan ID, borrower name, ID number or phone, plus exact filters."""
    loans = visible_loans(user).select_related("borrower")
    query = query.strip()
    if query:
        loans = loans.filter(
            Q(loan_id__iexact=query)
            | Q(borrower__borrower_id__iexact=query)
            | Q(borrower__name__icontains=query)
            | Q(borrower__id_number__iexact=query)
            | Q(borrower__phone=query)
        )
    for field, value in {
        "lender_type": lender_type,
        "product_type": product_type,
        "status": status,
        "borrower__province": province,
    }.items():
        if value:
            loans = loans.filter(**{field: value})
    return loans.order_by("loan_id")


def get_loan(user: User | AnonymousUser, loan_id: str) -> Loan:
    loan = (
        visible_loans(user)
        .select_related("borrower", "status_row")
        .prefetch_related("installments_due", "payments", "collateral", "guarantees", "borrower__contacts")
        .filter(pk=loan_id)
        .first()
    )
    if loan is None:
        raise NotFound(f"loan {loan_id} not found", loan_id=loan_id)
    return loan


def portfolio_summary(user: User | AnonymousUser) -> dict[str, Any]:
    totals = visible_loans(user).aggregate(
        loans=Count("pk"), principal=Sum("principal"), borrowers=Count("borrower_id", distinct=True)
    )
    return {
        "loans": totals["loans"] or 0,
        "borrowers": totals["borrowers"] or 0,
        "principal": totals["principal"] or 0,
    }


def loan_provinces(user: User | AnonymousUser) -> list[str]:
    """The borrower provinces present in the user's visible portfolio, for the loan list's filter."""
    values = (
        visible_loans(user)
        .exclude(borrower__province="")
        .values_list("borrower__province", flat=True)
        .distinct()
        .order_by("borrower__province")
    )
    return list(values)


def recent_import_runs(limit: int = 20) -> list[ImportRun]:
    """The latest import runs, newest first. Only for users who may import (the caller checks)."""
    return list(ImportRun.objects.select_related("started_by").order_by("-started_at", "-pk")[:limit])


def get_import_run(run_id: int) -> ImportRun:
    run = ImportRun.objects.select_related("started_by").filter(pk=run_id).first()
    if run is None:
        raise NotFound(f"import run {run_id} not found", run_id=run_id)
    return run


def shows_full_pii(user: User | AnonymousUser) -> bool:
    return can(user, VIEW_FULL_PII)


def net_paid(payments: Iterable[Payment]) -> int:
    """What was paid, in fen, counting a reversal as taking its payment back."""
    return sum(-p.amount if p.reverses_id else p.amount for p in payments)


def loan_as_dict(loan: Loan, *, full_pii: bool = False) -> dict[str, Any]:
    """The `arrears loan show --json` object; amounts are yuan strings with 2 decimals. Later issues add fields."""
    borrower = loan.borrower
    payments = sorted(loan.payments.all(), key=lambda p: (p.paid_on, p.payment_id))
    installments = sorted(loan.installments_due.all(), key=lambda i: i.installment_no)

    def money(fen: int | None) -> str | None:
        return None if fen is None else format_fen(fen)

    paid_principal = sum((p.principal_paid or 0) * (-1 if p.reverses_id else 1) for p in payments)
    return {
        "loan_id": loan.loan_id,
        "borrower_id": borrower.borrower_id,
        "lender": loan.lender,
        "lender_type": loan.lender_type,
        "product_type": loan.product_type,
        "currency": loan.currency,
        "principal": money(loan.principal),
        "annual_rate": str(loan.annual_rate.normalize()),
        "penalty_rate": str(loan.penalty_rate.normalize()),
        "day_count": loan.day_count,
        "contract_date": loan.contract_date.isoformat(),
        "disbursement_date": loan.disbursement_date.isoformat(),
        "maturity_date": loan.maturity_date.isoformat() if loan.maturity_date else None,
        "repayment_method": loan.repayment_method or None,
        "installments": loan.installments,
        "first_due_date": loan.first_due_date.isoformat() if loan.first_due_date else None,
        "grace_days": loan.grace_days,
        "purpose": loan.purpose,
        "jurisdiction_clause": loan.jurisdiction_clause,
        "status": loan.status,
        "schedule_generated": loan.schedule_generated,
        "borrower": {
            "borrower_id": borrower.borrower_id,
            "name": borrower.name,
            "id_type": borrower.id_type,
            "id_number": borrower.id_number if full_pii else mask_id_number(borrower.id_number),
            "phone": borrower.phone if full_pii else mask_phone(borrower.phone),
            "province": borrower.province,
            "city": borrower.city,
            "is_company": borrower.is_company,
        },
        "schedule": [
            {
                "installment_no": i.installment_no,
                "due_date": i.due_date.isoformat(),
                "principal_due": money(i.principal_due),
                "interest_due": money(i.interest_due),
                "fee_due": money(i.fee_due),
                "total_due": money(i.principal_due + i.interest_due + i.fee_due),
            }
            for i in installments
        ],
        "payments": [
            {
                "payment_id": p.payment_id,
                "paid_on": p.paid_on.isoformat(),
                "amount": money(p.amount),
                "principal_paid": money(p.principal_paid),
                "interest_paid": money(p.interest_paid),
                "penalty_paid": money(p.penalty_paid),
                "fee_paid": money(p.fee_paid),
                "reverses": p.reverses_id,
            }
            for p in payments
        ],
        "paid_total": money(net_paid(payments)),
        "paid_principal_split": money(paid_principal),
        **status_as_dict(loan),
    }


STATUS_FIELDS = (
    "dpd", "delinquent_days", "bucket", "classification", "rule_classification", *STATUS_MONEY,
    "overdue_by_bucket", "times_overdue", "max_dpd", "paused", "status_as_of", "episode_start", "cure_date",
    "observation_until", "npl_until", "risk_score", "risk_level", "risk_reasons", "risk_reason_texts",
    "risk_measures", "pd",
)  # fmt: skip


def status_as_dict(loan: Loan) -> dict[str, Any]:
    """The delinquency fields of `loan show --json` (issue 3), from the latest close; null before the first."""
    status = current_status(loan)
    if status is None:
        return dict.fromkeys(STATUS_FIELDS)

    def day(value: dt.date | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "dpd": status.dpd,
        "delinquent_days": status.delinquent_days,
        "bucket": status.bucket or None,
        "classification": status.classification,
        "rule_classification": status.rule_classification,
        **{name: format_fen(getattr(status, name)) for name in STATUS_MONEY},
        "overdue_by_bucket": {code: format_fen(fen) for code, fen in status.overdue_by_bucket.items()},
        "times_overdue": status.times_overdue,
        "max_dpd": status.max_dpd,
        "paused": status.paused,
        "status_as_of": day(status.as_of),
        "episode_start": day(status.episode_start),
        "cure_date": day(status.cure_date),
        "observation_until": day(status.observation_until),
        "npl_until": day(status.npl_until),
        **risk_as_dict(status),
    }
