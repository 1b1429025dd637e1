"""Agreements for the borrower to sign (issue 7): a repayment plan agreement (分期还款协议) and a one-off settlement
agreement (一次性结清协议), Word documents rendered with docxtpl from the editable templates in `fixtures/`
(`scripts/make_agreement_templates.py` writes the originals and lists every variable; legal staff edit them in
Word). The signed copy comes back through `services.sign_plan` into the evidence log.

The documents are in the template's language — Chinese, with English beside headings and table columns — not the
reader's, so their wording lives in the templates and the labels here, not in the translation catalogue. Amounts
are integer fen shown as yuan to the fen (`core.money.display_fen`), totals also in capitals (大写); dates as
2026年5月10日. The borrower's ID number is written in full: a contract names its party (the screens mask it).

What they say follows the services: a plan breaks when an installment is unpaid for more than the policy's plan
grace (`NegotiationPolicy.plan_grace_days`, `services.evaluate_plans`); a settlement is void when its amount has not
arrived by the pay-by date plus the promise grace (`promise_grace_days`, the close judges its promise), and paid in
time the rest of the loan's debt is given up (`services._settle`).
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from arrears.core.errors import DomainError
from arrears.core.money import display_fen
from arrears.core.wording import cn_date, percent, yuan_in_words
from arrears.negotiation.models import Concession, RepaymentPlan
from arrears.negotiation.services import policy

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PLAN_TEMPLATE = FIXTURES / "plan_agreement.docx"
SETTLEMENT_TEMPLATE = FIXTURES / "settlement_agreement.docx"

# component → (Chinese, English) as the agreements name them
LABELS = {
    "principal": ("逾期本金", "Overdue principal"),
    "future_principal": ("未到期本金", "Principal not yet due"),
    "interest": ("利息", "Interest"),
    "penalty": ("罚息", "Penalty interest"),
    "fee": ("费用", "Fees"),
}
SETTLEMENT_LABELS = LABELS | {"principal": ("本金", "Principal")}  # a settlement: all outstanding principal
ORDER = ["principal", "future_principal", "interest", "penalty", "fee"]


def _parties(concession: Concession) -> dict[str, Any]:
    from arrears.contact.models import CreditorProfile

    loan, case = concession.loan, concession.case
    borrower = loan.borrower
    profile = CreditorProfile.objects.filter(lender=loan.lender).first()
    return {
        "as_of": cn_date(concession.as_of),
        "case_id": case.pk,
        "creditor": {
            "name": profile.display_name if profile else loan.lender,
            "address": profile.address if profile else "",
            "phone": profile.phone if profile else "",
        },
        "borrower": {
            "name": borrower.name,
            "id_number": borrower.id_number,
            "phone": borrower.phone,
            "address": borrower.address,
            "borrower_id": borrower.borrower_id,
        },
        "loan": {
            "loan_id": loan.loan_id,
            "contract_number": str((loan.extra or {}).get("contract_number") or loan.loan_id),
            "contract_date": cn_date(loan.contract_date),
            "principal": display_fen(loan.principal),
            "annual_rate": percent(loan.annual_rate),
            "maturity_date": cn_date(loan.maturity_date),
        },
    }


def _items(amounts: dict[str, Any], labels: dict[str, tuple[str, str]]) -> list[dict[str, str]]:
    """The non-zero components in the agreements' order, with their labels."""
    return [
        {"label": labels[c][0], "label_en": labels[c][1], "amount": display_fen(int(amounts[c]))}
        for c in ORDER
        if int(amounts.get(c) or 0)
    ]


def plan_context(plan: RepaymentPlan) -> dict[str, Any]:
    """The plan agreement's variables (listed in `scripts/make_agreement_templates.py`)."""
    if not plan.schedule:
        raise DomainError(_("Plan %(id)s has no schedule.") % {"id": plan.pk})
    concession = plan.concession
    rows = plan.schedule
    due = [dt.date.fromisoformat(row["due_date"]) for row in rows]
    return _parties(concession) | {
        "agreement_no": f"RP-{plan.pk:06d}",
        "as_of": cn_date(plan.as_of),
        "plan": {
            "amount": display_fen(plan.amount),
            "amount_words": yuan_in_words(plan.amount),
            "scope_text": "全部未结清欠款" if plan.scope == RepaymentPlan.Scope.WHOLE else "逾期欠款",
            "whole": plan.scope == RepaymentPlan.Scope.WHOLE,
            "installments": plan.installments,
            "annual_rate": percent(plan.annual_rate),
            "interest_free": not plan.annual_rate,
            "down_payment": display_fen(plan.down_payment),
            "has_down_payment": plan.down_payment > 0,
            "first_due": cn_date(due[0]),
            "last_due": cn_date(due[-1]),
        },
        "components": _items(plan.components, LABELS),
        "schedule": [
            {
                "no": "首付" if row["no"] == 0 else str(row["no"]),
                "due_date": cn_date(day),
                "principal": display_fen(row["principal"]),
                "interest": display_fen(row["interest"]),
                "total": display_fen(row["total"]),
            }
            for row, day in zip(rows, due, strict=True)
        ],
        "totals": {
            "principal": display_fen(sum(row["principal"] for row in rows)),
            "interest": display_fen(sum(row["interest"] for row in rows)),
            "total": display_fen(sum(row["total"] for row in rows)),
        },
        "grace_days": policy(plan.as_of).plan_grace_days,
    }


def settlement_context(concession: Concession) -> dict[str, Any]:
    """The settlement agreement's variables (listed in `scripts/make_agreement_templates.py`)."""
    if concession.kind != Concession.Kind.SETTLEMENT:
        raise DomainError(_("Only a settlement has a settlement agreement."))
    if concession.settle_amount is None or concession.settle_by is None:
        raise DomainError(_("The settlement has no amount or pay-by date."))
    outstanding = {c: int(v) for c, v in (concession.outstanding or {}).items()}
    return _parties(concession) | {
        "agreement_no": f"ST-{concession.pk:06d}",
        "settlement": {
            "amount": display_fen(concession.settle_amount),
            "amount_words": yuan_in_words(concession.settle_amount),
            "settle_by": cn_date(concession.settle_by),
            "owed_total": display_fen(sum(outstanding.values())),
            "discount": display_fen(concession.total),
        },
        "owed": _items(outstanding, SETTLEMENT_LABELS),
        "given_up": _items(concession.amounts, SETTLEMENT_LABELS),
        "grace_days": policy(concession.as_of).promise_grace_days,
    }


def render(template: Path, context: dict[str, Any]) -> bytes:
    """A docxtpl template filled with `context` (values XML-escaped), as .docx bytes."""
    from docxtpl import DocxTemplate

    document = DocxTemplate(str(template))
    document.render(context, autoescape=True)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def plan_agreement(plan: RepaymentPlan) -> bytes:
    """The repayment plan agreement (分期还款协议) as .docx bytes: the parties, what is restructured by component,
    the schedule with its totals, the rate and down payment, what a missed installment does, signature lines."""
    return render(PLAN_TEMPLATE, plan_context(plan))


def settlement_agreement(concession: Concession) -> bytes:
    """The one-off settlement agreement (一次性结清协议) as .docx bytes: the parties, what is owed, the amount and
    pay-by date, what is given up, what happens if it is not paid in time, signature lines."""
    return render(SETTLEMENT_TEMPLATE, settlement_context(concession))
