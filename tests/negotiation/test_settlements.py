"""Settlements: a discounted payoff approved by the authority matrix, paid in time (the rest given up, the case
closed as settled) or not (broken, the case back to contacting)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import translation

from arrears.batch import runner
from arrears.cases import lifecycle
from arrears.cases.models import Case
from arrears.core.errors import DomainError
from arrears.delinquency.models import LoanStatus
from arrears.negotiation import services
from arrears.negotiation.models import Adjustment, Concession, Promise
from tests.factories import PaymentFactory

AS_OF = dt.date(2026, 4, 15)


@pytest.fixture(autouse=True)
def english() -> Any:
    with translation.override("en"):
        yield


@pytest.fixture
def world(world: dict[str, Any]) -> dict[str, Any]:
    """The shared world (conftest), its case negotiating."""
    Case.objects.filter(pk=world["case"].pk).update(status=lifecycle.NEGOTIATING)
    world["case"].refresh_from_db()
    return world


def owed(status: LoanStatus) -> int:
    return (
        status.outstanding_principal + status.overdue_interest + status.overdue_fees + status.penalty_interest
    )


def test_the_discount_comes_off_penalty_first() -> None:
    left = {"penalty": 300, "fee": 50, "interest": 1_000, "principal": 10_000}
    assert services.discount_split(left, 400) == {"penalty": 300, "fee": 50, "interest": 50, "principal": 0}


def test_a_settlement_paid_in_time_closes_the_case_as_settled(world: dict[str, Any]) -> None:
    status = world["status"]
    # the lead may give up all penalty interest: paying everything else is within their authority
    amount = owed(status) - status.penalty_interest
    settlement = services.request_settlement(world["case"], "L001", settle_amount=amount,
                                             settle_by=dt.date(2026, 4, 30), actor=world["lead"],
                                             note="one-off payoff from a relative")  # fmt: skip
    assert settlement.status == "approved" and settlement.penalty == status.penalty_interest
    promise = Promise.objects.get(concession=settlement)
    assert promise.amount == amount
    PaymentFactory(loan_id="L001", paid_on=dt.date(2026, 4, 28), amount=amount)
    runner.close(runner.dates_to_close(dt.date(2026, 4, 30)))
    settlement.refresh_from_db()
    assert settlement.status == "posted"
    given_up = Adjustment.objects.get(kind="settlement")
    # the rest is given up as it stands after the payment's waterfall: at least the agreed discount (penalty
    # interest kept accruing until the money came)
    assert given_up.amount >= status.penalty_interest
    after = LoanStatus.objects.get(loan_id="L001")
    assert (after.total_due, after.outstanding_principal, after.dpd) == (0, 0, 0)
    case = Case.objects.get()
    assert (case.status, case.closed_reason) == (lifecycle.CLOSED, "settled")


def test_a_collector_needs_approval_and_an_unpaid_settlement_breaks(world: dict[str, Any]) -> None:
    status = world["status"]
    settlement = services.request_settlement(world["case"], "L001", settle_amount=owed(status) // 2,
                                             settle_by=dt.date(2026, 4, 20), actor=world["collector"],
                                             note="half now")  # fmt: skip
    assert settlement.status == "pending" and settlement.principal > 0  # principal: two managers
    with pytest.raises(Exception, match="above your authority"):
        services.decide(settlement, actor=world["lead"], approve=True)
    with pytest.raises(DomainError, match="why"):
        services.decide(settlement, actor=world["lead"], approve=False)
    services.decide(settlement, actor=world["lead"], approve=False, note="too generous")
    settlement.refresh_from_db()
    assert settlement.status == "rejected" and not Promise.objects.exists()

    smaller = services.request_settlement(world["case"], "L001", settle_amount=owed(status) - 5_000,
                                          settle_by=dt.date(2026, 4, 20), actor=world["collector"],
                                          note="pays all but 50 yuan")  # fmt: skip
    assert (
        smaller.status == "approved"
    )  # 50 yuan of 238.83 yuan penalty: within a collector's 30 % and 2,000 yuan
    runner.close(runner.dates_to_close(dt.date(2026, 4, 23)))  # 04-20 + 2 days of grace, then broken
    smaller.refresh_from_db()
    assert smaller.status == "broken" and not Adjustment.objects.exists()
    assert Case.objects.get().status == lifecycle.CONTACTING


def test_bad_settlements_are_refused(world: dict[str, Any]) -> None:
    status = world["status"]
    with pytest.raises(DomainError, match="not a settlement"):
        services.request_settlement(world["case"], "L001", settle_amount=owed(status), settle_by=AS_OF,
                                    actor=world["collector"], note="x")  # fmt: skip
    with pytest.raises(DomainError, match="before the business date"):
        services.request_settlement(world["case"], "L001", settle_amount=100, settle_by=AS_OF - dt.timedelta(1),
                                    actor=world["collector"], note="x")  # fmt: skip
    assert not Concession.objects.exists()


def test_the_signed_settlement_agreement_is_kept_in_the_evidence_log(world: dict[str, Any]) -> None:
    from arrears.audit.models import EvidenceRecord
    from arrears.audit.selectors import verify_chain

    status = world["status"]
    settlement = services.request_settlement(world["case"], "L001", settle_amount=owed(status) - 5_000,
                                             settle_by=dt.date(2026, 4, 20), actor=world["collector"], note="x")  # fmt: skip
    signed = services.sign_settlement(settlement, signed_copy=b"signed", filename="settlement.pdf",
                                      actor=world["collector"])  # fmt: skip
    record = EvidenceRecord.objects.get(kind="agreement.signed")
    assert signed.signed_copy == record and record.payload["settlement"] == settlement.pk
    assert verify_chain()["ok"]
    with pytest.raises(DomainError, match="already on file"):
        services.sign_settlement(settlement, signed_copy=b"again", filename="x.pdf", actor=world["collector"])
    with pytest.raises(DomainError, match="borrower signed"):  # a signed settlement ends when paid or broken
        services.cancel(settlement, actor=world["collector"], reason="changed my mind")
    settlement.refresh_from_db()
    assert settlement.status == "approved"
