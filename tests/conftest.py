"""Shared fixtures. The suite runs on SQLite by default and on PostgreSQL when DATABASE_URL points at it."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

PortfolioWriter = Callable[..., Path]

BORROWERS = [
    {
        "borrower_id": "B001",
        "name": "张伟",
        "id_number": "11010519491231002X",
        "phone": "13812345678",
        "province": "北京",
        "city": "北京",
        "hobby": "围棋",
    },
    {
        "borrower_id": "B002",
        "name": "王芳",
        "id_number": "440304199001011233",
        "phone": "+86 139-0000-1234",
        "province": "广东",
        "city": "深圳",
        "hobby": "",
    },
]
LOANS = [
    {
        "loan_id": "L001",
        "borrower_id": "B001",
        "lender": "招商银行",
        "lender_type": "bank",
        "product_type": "term_loan",
        "principal": "12,000.00",
        "annual_rate": "0.12",
        "contract_date": "2026-01-01",
        "disbursement_date": "2026-01-05",
        "repayment_method": "equal_installment",
        "installments": "3",
        "first_due_date": "2026-02-05",
        "grace_days": "3",
    },
    {
        "loan_id": "L002",
        "borrower_id": "B002",
        "lender": "马上消费金融",
        "lender_type": "consumer_finance",
        "product_type": "term_loan",
        "principal": "3000",
        "annual_rate": "0.18",
        "penalty_rate": "0.27",
        "contract_date": "2026/01/10",
        "disbursement_date": "20260110",
        "repayment_method": "equal_principal",
        "installments": "3",
        "first_due_date": "2026-02-10",
    },
]
SCHEDULES = [
    {
        "loan_id": "L002",
        "installment_no": str(n),
        "due_date": f"2026-0{n + 1}-10",
        "principal_due": p,
        "interest_due": i,
        "fee_due": "0",
    }
    for n, p, i in ((1, "1000.00", "45.00"), (2, "1000", "30.00"), (3, "1000.00", "15.00"))
]
PAYMENTS = [
    {
        "payment_id": "P1",
        "loan_id": "L001",
        "paid_on": "2026-02-05",
        "amount": "4080.27",
        "principal_paid": "3960.27",
        "interest_paid": "120.00",
        "penalty_paid": "",
        "fee_paid": "",
        "reverses": "",
    },
    {
        "payment_id": "P2",
        "loan_id": "L002",
        "paid_on": "2026-02-10",
        "amount": "1045.00",
        "principal_paid": "",
        "interest_paid": "",
        "penalty_paid": "",
        "fee_paid": "",
        "reverses": "",
    },
    {
        "payment_id": "P3",
        "loan_id": "L002",
        "paid_on": "2026-02-12",
        "amount": "1045.00",
        "principal_paid": "",
        "interest_paid": "",
        "penalty_paid": "",
        "fee_paid": "",
        "reverses": "P2",
    },
]
COLLATERAL = [
    {
        "collateral_id": "C1",
        "loan_id": "L001",
        "kind": "vehicle",
        "description": "大众朗逸 京A12345",
        "appraised_value": "80000",
        "appraised_on": "2026-01-01",
        "lien_rank": "1",
        "registered": "1",
    },
]
GUARANTEES = [
    {
        "guarantee_id": "G1",
        "loan_id": "L001",
        "guarantor_name": "李强",
        "guarantor_id_number": "",
        "guarantor_phone": "13700001111",
        "guarantee_type": "joint",
        "period_end": "",
        "amount_cap": "5000",
    },
]
CONTACTS = [
    {
        "contact_id": "K1",
        "borrower_id": "B001",
        "relation": "spouse",
        "name": "刘洋",
        "phone": "13600002222",
        "consented": "1",
    },
]
CLAIMS = [
    {
        "loan_id": "L001",
        "as_of": "2026-05-01",
        "principal": "8039.73",
        "interest": "80.40",
        "penalty": "10",
        "fees": "0",
        "case_type": "own",
        "claimant": "招商银行",
    },
]
ASSIGNMENTS = [
    {
        "loan_id": "L002",
        "assignor": "马上消费金融",
        "assignee": "东方资产",
        "assigned_on": "2026-04-01",
        "notice_delivered_on": "2026-04-10",
    },
]
RECOURSE = [
    {
        "loan_id": "L001",
        "guarantor": "中合担保",
        "paid_on": "2026-04-20",
        "amount": "4000",
        "recourse_rate": "0.06",
    },
]


def sample_portfolio() -> dict[str, list[dict[str, str]]]:
    return {
        "borrowers": [dict(r) for r in BORROWERS],
        "loans": [dict(r) for r in LOANS],
        "schedules": [dict(r) for r in SCHEDULES],
        "payments": [dict(r) for r in PAYMENTS],
        "collateral": [dict(r) for r in COLLATERAL],
        "guarantees": [dict(r) for r in GUARANTEES],
        "contacts": [dict(r) for r in CONTACTS],
        "claims": [dict(r) for r in CLAIMS],
        "assignments": [dict(r) for r in ASSIGNMENTS],
        "recourse_payments": [dict(r) for r in RECOURSE],
    }


def write_csv_dir(directory: Path, files: dict[str, list[dict[str, str]]], encoding: str = "utf-8") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, rows in files.items():
        columns = list(dict.fromkeys(k for row in rows for k in row))
        with (directory / f"{name}.csv").open("w", newline="", encoding=encoding) as fh:
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    return directory


@pytest.fixture
def write_portfolio(tmp_path: Path) -> PortfolioWriter:
    """write_portfolio(files=None, name='p', encoding='utf-8') -> a directory of CSV files."""
    counter = iter(range(1000))

    def write(files: dict[str, list[dict[str, str]]] | None = None, *, encoding: str = "utf-8") -> Path:
        return write_csv_dir(tmp_path / f"portfolio{next(counter)}", files or sample_portfolio(), encoding)

    return write


@pytest.fixture(autouse=True)
def evidence_root(settings: Any, tmp_path: Path) -> Path:
    """Every test keeps the evidence log's blobs in its own folder, never in the project's var/."""
    root = tmp_path / "evidence-store"
    settings.EVIDENCE_ROOT = root
    return root
