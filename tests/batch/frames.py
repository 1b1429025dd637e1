"""Tiny input frames for the batch steps, written the way a person reads a loan: dates, yuan, rates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import polars as pl

from arrears.batch.partition import INPUTS, Rules
from arrears.batch.steps.buckets import DEFAULT_RANGES, ranges_frame
from arrears.batch.steps.classification import CREDIT_CARD, GENERAL

D = dt.date
RULES = Rules(
    ranges_frame([(1, r.code, r.min_days, r.max_days) for r in DEFAULT_RANGES]),
    default_bucket_set=1,
    general=GENERAL,
    credit_card=CREDIT_CARD,
)


def fen(yuan: str | int) -> int:
    return int(Decimal(str(yuan)) * 100)


def loan(
    loan_id: str = "L1",
    *,
    penalty_rate: str = "0.18",
    basis: int = 360,
    compound: bool = False,
    grace: int = 0,
    product: str = "term_loan",
) -> dict[str, Any]:
    return {
        "loan_id": loan_id,
        "borrower_id": f"B-{loan_id}",
        "product_type": product,
        "penalty_rate": int(Decimal(penalty_rate) * 1_000_000),
        "day_basis": basis,
        "compound_interest": compound,
        "grace_days": grace,
    }


def installment(
    loan_id: str, no: int, due: dt.date, principal: str, interest: str = "0", fee: str = "0"
) -> dict[str, Any]:
    return {
        "loan_id": loan_id,
        "installment_no": no,
        "due_date": due,
        "principal_due": fen(principal),
        "interest_due": fen(interest),
        "fee_due": fen(fee),
    }


def payment(
    payment_id: str, loan_id: str, paid_on: dt.date, amount: str, *, reverses: str | None = None, **split: str
) -> dict[str, Any]:
    return {
        "payment_id": payment_id,
        "loan_id": loan_id,
        "paid_on": paid_on,
        "amount": fen(amount),
        **{
            f"{part}_paid": fen(split[part]) if part in split else None
            for part in ("principal", "interest", "penalty", "fee")
        },
        "reverses": reverses,
    }


def frame(name: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
    schema = INPUTS[name]
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def inputs(
    loans: list[dict[str, Any]],
    installments: list[dict[str, Any]],
    payments: list[dict[str, Any]] | None = None,
    **others: list[dict[str, Any]],
) -> dict[str, pl.DataFrame]:
    data = {"loans": loans, "installments": installments, "payments": payments or [], **others}
    return {name: frame(name, data.get(name, [])) for name in INPUTS}
