"""Repayment-plan arithmetic (分期还款协议, issue 7): pure, exact to the fen.

An amount is restructured into N monthly installments from a first due date, interest-free or at an annual rate,
optionally after a down payment:
- the down payment (installment 0) is due on the first due date; installments 1 … N then fall monthly from one
  month later (without a down payment, installment 1 is due on the first due date);
- interest-free: equal principal, rounded down to the fen, the last installment absorbing the rest;
- at a rate: equal totals (等额本息, the annuity), each month's interest on the remaining balance at rate ÷ 12,
  rounded half up to the fen; the payment is rounded half up once; the last installment takes exactly the
  remaining principal (so principal always adds up to the amount) and that month's interest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from arrears.core.dates import add_months
from arrears.core.money import round_fen


@dataclass(frozen=True)
class Installment:
    no: int
    due_date: dt.date
    principal: int  # fen
    interest: int  # fen

    @property
    def total(self) -> int:
        return self.principal + self.interest


class PlanError(ValueError):
    """Terms that make no plan (said in words a collector understands)."""


def schedule(amount: int, installments: int, first_due: dt.date, *, annual_rate: Decimal = Decimal(0),
             down_payment: int = 0) -> list[Installment]:  # fmt: skip
    """The plan's installments for `amount` fen (see the module docstring for the rules)."""
    if amount <= 0:
        raise PlanError(_("the amount must be positive"))
    if installments < 1:
        raise PlanError(_("a plan needs at least one installment"))
    if installments > 360:
        raise PlanError(_("a plan cannot have more than 360 installments"))
    if annual_rate < 0:
        raise PlanError(_("the rate cannot be negative"))
    if down_payment < 0 or down_payment >= amount:
        raise PlanError(_("the down payment must be at least zero and less than the amount"))
    rows = [Installment(0, first_due, down_payment, 0)] if down_payment else []
    start = 1 if down_payment else 0
    balance = amount - down_payment
    monthly = annual_rate / 12
    if monthly == 0:
        each = balance // installments
        payment = None
    else:
        factor = (1 + monthly) ** installments
        payment = round_fen(Decimal(balance) * monthly * factor / (factor - 1))
    for no in range(1, installments + 1):
        interest = round_fen(Decimal(balance) * monthly) if monthly else 0
        if no == installments:
            principal = balance
        elif payment is None:
            principal = each
        else:
            principal = min(balance, max(0, payment - interest))
        balance -= principal
        rows.append(Installment(no, add_months(first_due, start + no - 1), principal, interest))
    return rows


def as_rows(rows: list[Installment]) -> list[dict[str, Any]]:
    """The installments as stored with a plan (JSON: ISO dates, amounts in fen)."""
    return [
        {"no": r.no, "due_date": r.due_date.isoformat(), "principal": r.principal, "interest": r.interest,
         "total": r.total}
        for r in rows
    ]  # fmt: skip


def as_dict(rows: list[Installment]) -> dict[str, Any]:
    """The `arrears calc repayment-plan --json` shape, amounts as yuan strings."""
    from arrears.core.money import format_fen

    return {
        "installments": [
            {"no": r.no, "due_date": r.due_date.isoformat(), "principal": format_fen(r.principal),
             "interest": format_fen(r.interest), "total": format_fen(r.total)}
            for r in rows
        ],
        "total_interest": format_fen(sum(r.interest for r in rows)),
        "total": format_fen(sum(r.total for r in rows)),
    }  # fmt: skip
