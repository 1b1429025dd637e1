"""The baseline: a straightforward per-row Django ORM import (what one writes first), for the speed ratio."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from arrears.core.money import parse_yuan
from arrears.portfolio.models import Borrower, Loan, Payment, ScheduleInstallment


def _rows(path: Path):
    with path.open(encoding="utf-8-sig", newline="") as fh:
        yield from csv.DictReader(fh)


def _money(text: str) -> int | None:
    return parse_yuan(text) if text else None


@transaction.atomic
def naive_import(directory: str) -> dict[str, int]:
    root = Path(directory)
    counts = {"borrowers": 0, "loans": 0, "schedules": 0, "payments": 0}
    for r in _rows(root / "borrowers.csv"):
        Borrower.objects.update_or_create(
            borrower_id=r["borrower_id"],
            defaults={
                "name": r["name"],
                "id_type": r["id_type"] or "resident_id",
                "id_number": r["id_number"],
                "phone": r["phone"],
                "province": r["province"],
                "city": r["city"],
            },
        )
        counts["borrowers"] += 1
    for r in _rows(root / "loans.csv"):
        rate = Decimal(r["annual_rate"])
        Loan.objects.update_or_create(
            loan_id=r["loan_id"],
            defaults={
                "borrower_id": r["borrower_id"],
                "lender": r["lender"],
                "lender_type": r["lender_type"],
                "product_type": r["product_type"],
                "principal": parse_yuan(r["principal"]),
                "annual_rate": rate,
                "penalty_rate": Decimal(r["penalty_rate"])
                if r.get("penalty_rate")
                else rate * Decimal("1.5"),
                "contract_date": dt.date.fromisoformat(r["contract_date"]),
                "disbursement_date": dt.date.fromisoformat(r["disbursement_date"]),
                "repayment_method": r.get("repayment_method", ""),
            },
        )
        counts["loans"] += 1
    for r in _rows(root / "schedules.csv"):
        ScheduleInstallment.objects.update_or_create(
            loan_id=r["loan_id"],
            installment_no=int(r["installment_no"]),
            defaults={
                "due_date": dt.date.fromisoformat(r["due_date"]),
                "principal_due": parse_yuan(r["principal_due"]),
                "interest_due": parse_yuan(r["interest_due"]),
                "fee_due": _money(r.get("fee_due", "")) or 0,
            },
        )
        counts["schedules"] += 1
    for r in _rows(root / "payments.csv"):
        Payment.objects.update_or_create(
            payment_id=r["payment_id"],
            defaults={
                "loan_id": r["loan_id"],
                "paid_on": dt.date.fromisoformat(r["paid_on"]),
                "amount": parse_yuan(r["amount"]),
                "principal_paid": _money(r.get("principal_paid", "")),
                "interest_paid": _money(r.get("interest_paid", "")),
                "penalty_paid": _money(r.get("penalty_paid", "")),
                "fee_paid": _money(r.get("fee_paid", "")),
                "reverses_id": r.get("reverses") or None,
            },
        )
        counts["payments"] += 1
    return counts
