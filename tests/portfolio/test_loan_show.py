"""`arrears loan show ID --json`: the contract other teams read."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from arrears.audit.models import AuditEvent
from arrears.portfolio.services import import_portfolio

pytestmark = pytest.mark.django_db


def show(capsys, *args):
    call_command("loan", "show", *args)
    return capsys.readouterr().out


def test_loan_show_json(write_portfolio, capsys):
    import_portfolio(write_portfolio())
    data = json.loads(show(capsys, "L001", "--json"))
    assert data["loan_id"] == "L001" and data["principal"] == "12000.00"
    assert data["annual_rate"] == "0.12" and data["penalty_rate"] == "0.18"
    assert data["borrower"]["id_number"] == "110105********002X"
    assert data["borrower"]["phone"] == "138****5678"
    assert data["schedule"][0] == {
        "installment_no": 1,
        "due_date": "2026-02-05",
        "principal_due": "3960.27",
        "interest_due": "120.00",
        "fee_due": "0.00",
        "total_due": "4080.27",
    }
    assert [i["installment_no"] for i in data["schedule"]] == [1, 2, 3]
    assert data["payments"][0]["amount"] == "4080.27"
    assert data["payments"][0]["principal_paid"] == "3960.27"

    l2 = json.loads(show(capsys, "L002", "--json"))
    assert [p["payment_id"] for p in l2["payments"]] == ["P2", "P3"]
    assert l2["payments"][1]["reverses"] == "P2"
    assert l2["paid_total"] == "0.00"  # a payment and its reversal


def test_loan_show_unmask_is_audited(write_portfolio, capsys):
    import_portfolio(write_portfolio())
    data = json.loads(show(capsys, "L001", "--json", "--unmask"))
    assert data["borrower"]["id_number"] == "11010519491231002X"
    assert AuditEvent.objects.filter(action="pii.read", object_id="B001").exists()


def test_loan_show_text_and_unknown(write_portfolio, capsys):
    import_portfolio(write_portfolio())
    text = show(capsys, "L001")
    assert "Loan L001" in text and "3960.27" in text
    with pytest.raises(CommandError, match="no loan L404"):
        call_command("loan", "show", "L404")
