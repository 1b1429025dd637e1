"""Repayment plans end to end: proposed, approved with four eyes, signed (the signed copy in the evidence log),
the plan becoming the loan's schedule (original kept), the restructured classification, and the close breaking
or completing it. Bad terms are refused with nothing changed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from arrears.audit.models import EvidenceRecord
from arrears.batch import runner
from arrears.cases import lifecycle
from arrears.cases.models import Case, Task
from arrears.compliance.models import ContactHold
from arrears.core.errors import DomainError, PermissionDenied
from arrears.delinquency.models import LoanStatus, Restructuring
from arrears.negotiation import services
from arrears.negotiation.models import Adjustment, Concession, RepaymentPlan
from arrears.portfolio.models import ScheduleInstallment
from tests.factories import (
    LoanFactory,
    PaymentFactory,
    ScheduleInstallmentFactory,
    UserFactory,
)

AS_OF = dt.date(2026, 4, 15)
SIGNED = b"%PDF-1.4 signed plan agreement"


@pytest.fixture(autouse=True)
def english() -> Any:
    with translation.override("en"):
        yield


def propose(world: dict[str, Any], **terms: Any) -> RepaymentPlan:
    terms = {
        "installments": 3,
        "first_due": dt.date(2026, 5, 10),
        "note": "lost job, new one from May",
    } | terms
    return services.propose_plan(world["case"], "L001", actor=world["collector"], **terms)


def close(day: dt.date) -> None:
    runner.close(runner.dates_to_close(day))


def test_a_signed_plan_becomes_the_schedule_and_the_loan_is_restructured(world: dict[str, Any]) -> None:
    status = world["status"]
    owed = status.overdue_principal + status.overdue_interest + status.overdue_fees + status.penalty_interest
    plan = propose(world)
    assert plan.amount == owed and plan.status == "proposed"  # a collector's plan goes to the queue
    assert [row["principal"] for row in plan.schedule] == [owed // 3, owed // 3, owed - 2 * (owed // 3)]
    with pytest.raises(PermissionDenied, match="your own request"):
        services.decide(plan.concession, actor=world["collector"], approve=True)
    services.decide(plan.concession, actor=world["lead"], approve=True)
    plan.refresh_from_db()
    assert plan.status == "approved"

    services.sign_plan(plan, signed_copy=SIGNED, filename="plan.pdf", actor=world["collector"])
    plan.refresh_from_db()
    assert plan.status == "active" and plan.signed_on == AS_OF
    record = EvidenceRecord.objects.get(kind="agreement.signed")
    assert plan.signed_copy == record and record.files[0]["name"] == "plan.pdf"
    restructure = Adjustment.objects.get(kind="restructure")
    assert (restructure.principal, restructure.interest, restructure.penalty) == (
        status.overdue_principal, status.overdue_interest, status.penalty_interest,
    )  # fmt: skip
    rows = list(ScheduleInstallment.objects.filter(loan_id="L001").order_by("installment_no"))
    assert [r.installment_no for r in rows] == [1, 2, 3, 4, 5, 6]  # the original three are kept
    assert [(r.due_date, r.principal_due) for r in rows[3:]] == [
        (dt.date(2026, 5, 10), owed // 3), (dt.date(2026, 6, 10), owed // 3),
        (dt.date(2026, 7, 10), owed - 2 * (owed // 3)),
    ]  # fmt: skip
    assert Restructuring.objects.filter(loan_id="L001", restructured_on=AS_OF).exists()
    after = LoanStatus.objects.get(loan_id="L001")
    # nothing overdue any more, the capitalised interest and penalty are principal now, and the restructured loan
    # is kept at least special mention until the observation period ends: ≥ 1 year and ≥ 2 periods from the first
    # new due date (domain-rules.md §1.3 worked example)
    assert (after.dpd, after.total_due, after.outstanding_principal) == (0, 0, owed)
    assert after.classification == "special_mention"
    assert after.observation_until == dt.date(2027, 5, 10)
    assert ContactHold.objects.get(loan_id="L001", kind="payment_plan").lifted_at is None
    close(AS_OF + dt.timedelta(days=1))  # the close keeps it
    assert LoanStatus.objects.get(loan_id="L001").dpd == 0


def test_a_missed_installment_beyond_grace_breaks_the_plan(world: dict[str, Any]) -> None:
    plan = propose(world)
    services.decide(plan.concession, actor=world["lead"], approve=True)
    services.sign_plan(plan, signed_copy=SIGNED, filename="plan.pdf", actor=world["collector"])
    case = Case.objects.get()
    Case.objects.filter(pk=case.pk).update(status=lifecycle.NEGOTIATING)
    close(dt.date(2026, 5, 15))  # due 05-10, grace 5 days: day 5 past due is still within it
    plan.refresh_from_db()
    assert plan.status == "active"
    close(dt.date(2026, 5, 16))
    plan.refresh_from_db()
    assert (plan.status, plan.ended_on) == ("broken", dt.date(2026, 5, 16))
    case.refresh_from_db()
    assert case.status == lifecycle.CONTACTING
    assert Task.objects.filter(case=case, title__startswith=f"Plan {plan.pk} broken").exists()
    assert ContactHold.objects.get(loan_id="L001", kind="payment_plan").lifted_at is not None


def test_paying_every_installment_completes_the_plan(world: dict[str, Any]) -> None:
    plan = propose(world, installments=2)
    services.decide(plan.concession, actor=world["lead"], approve=True)
    services.sign_plan(plan, signed_copy=SIGNED, filename="plan.pdf", actor=world["collector"])
    for row in plan.schedule:
        PaymentFactory(loan_id="L001", paid_on=dt.date.fromisoformat(row["due_date"]), amount=row["total"])
    close(dt.date(2026, 6, 10))
    plan.refresh_from_db()
    assert plan.status == "active"  # on its due date an installment is not past due yet, paid or not
    close(dt.date(2026, 6, 11))
    plan.refresh_from_db()
    assert (plan.status, plan.ended_on) == ("completed", dt.date(2026, 6, 11))
    assert LoanStatus.objects.get(loan_id="L001").outstanding_principal == 0


def test_the_whole_outstanding_replaces_the_installments_not_yet_due(db: Any) -> None:
    collector, lead = UserFactory(username="c1"), UserFactory(username="lead", role="team_lead")
    loan = LoanFactory(loan_id="L100", maturity_date=dt.date(2026, 6, 5), installments=4)
    for n, due in enumerate(
        [dt.date(2026, 3, 5), dt.date(2026, 4, 5), dt.date(2026, 5, 5), dt.date(2026, 6, 5)]
    ):
        ScheduleInstallmentFactory(loan=loan, installment_no=n + 1, due_date=due, principal_due=100_000,
                                   interest_due=5_000)  # fmt: skip
    runner.close([AS_OF])
    case = Case.objects.get()
    status = LoanStatus.objects.get(loan_id="L100")
    plan = services.propose_plan(case, "L100", installments=6, first_due=dt.date(2026, 5, 20), scope="whole",
                                 annual_rate=Decimal("0.06"), down_payment=50_000, actor=collector, note="x")  # fmt: skip
    assert plan.components["future_principal"] == 200_000
    assert plan.amount == 200_000 + status.total_due
    assert sum(row["principal"] for row in plan.schedule) == plan.amount  # exact to the fen
    services.decide(plan.concession, actor=lead, approve=True)
    services.sign_plan(plan, signed_copy=SIGNED, filename="plan.pdf", actor=collector)
    plan.refresh_from_db()
    assert [s["no"] for s in plan.superseded] == [3, 4]  # kept in the plan
    zeroed = ScheduleInstallment.objects.filter(loan_id="L100", installment_no__in=[3, 4])
    assert {(i.principal_due, i.interest_due) for i in zeroed} == {(0, 0)}
    assert LoanStatus.objects.get(loan_id="L100").outstanding_principal == plan.amount


def test_bad_terms_are_refused_and_change_nothing(world: dict[str, Any]) -> None:
    with pytest.raises(DomainError, match="must fall after the business date"):
        propose(world, first_due=AS_OF)
    with pytest.raises(DomainError, match="at most 36 installments"):
        propose(world, installments=37)
    # past maturity (2026-04-05): a plan may run to 12 months after the business date
    with pytest.raises(DomainError, match="2027-05-10, after 2027-04-15"):
        propose(world, installments=13)
    with pytest.raises(DomainError, match="down payment"):
        propose(world, down_payment=10**12)
    assert not Concession.objects.exists() and not RepaymentPlan.objects.exists()
    plan = propose(world, installments=12)
    with pytest.raises(DomainError, match="already has a plan"):
        propose(world)
    with pytest.raises(DomainError, match="Only an approved plan"):
        services.sign_plan(plan, signed_copy=SIGNED, filename="plan.pdf", actor=world["collector"])
    services.decide(plan.concession, actor=world["manager"], approve=True)
    close(AS_OF + dt.timedelta(days=1))  # penalty interest accrued: the signed figures would be wrong
    with pytest.raises(DomainError, match="recompute the plan"):
        services.sign_plan(plan, signed_copy=SIGNED, filename="plan.pdf", actor=world["collector"])
    assert not Adjustment.objects.exists() and not EvidenceRecord.objects.exists()
    plan = services.refresh_plan(plan, actor=world["collector"])
    assert plan.status == "proposed"  # more than was approved: approve again
    assert plan.concession.status == "pending" and not plan.concession.approvals.exists()


def test_a_borrowers_proposal_from_the_portal_waits_in_the_same_queue(world: dict[str, Any]) -> None:
    plan = services.propose_plan(world["case"], "L001", installments=6, first_due=dt.date(2026, 5, 20),
                                 actor=None, source="portal", note="我想分6期还")  # fmt: skip
    assert (plan.status, plan.concession.status, plan.concession.requested_by) == (
        "proposed",
        "pending",
        None,
    )
    with pytest.raises(PermissionDenied, match="portal"):
        services.propose_plan(world["case"], "L001", installments=6, first_due=dt.date(2026, 5, 20), actor=None,
                              note="x")  # fmt: skip
    services.decide(plan.concession, actor=world["lead"], approve=True)
    plan.refresh_from_db()
    assert plan.status == "approved"


def test_a_plan_ends_with_its_loan_leaving_the_portfolio(world: dict[str, Any]) -> None:
    from arrears.portfolio.models import Loan

    plan = propose(world)
    services.decide(plan.concession, actor=world["lead"], approve=True)
    services.sign_plan(plan, signed_copy=SIGNED, filename="plan.pdf", actor=world["collector"])
    Loan.objects.filter(pk="L001").update(status="closed")  # paid off elsewhere, as the lender's file says
    close(AS_OF + dt.timedelta(days=1))
    plan.refresh_from_db()
    assert (plan.status, plan.ended_on) == ("completed", AS_OF + dt.timedelta(days=1))


def test_the_last_installment_unpaid_on_its_date_does_not_complete_the_plan(world: dict[str, Any]) -> None:
    plan = propose(world, installments=2)
    services.decide(plan.concession, actor=world["lead"], approve=True)
    services.sign_plan(plan, signed_copy=SIGNED, filename="plan.pdf", actor=world["collector"])
    first = plan.schedule[0]
    PaymentFactory(loan_id="L001", paid_on=dt.date.fromisoformat(first["due_date"]), amount=first["total"])
    close(dt.date(2026, 6, 11))  # the second, due 06-10, unpaid
    plan.refresh_from_db()
    assert plan.status == "active"  # not completed: past due by one day, within the grace
    close(dt.date(2026, 6, 16))
    plan.refresh_from_db()
    assert plan.status == "broken"


def test_the_whole_outstanding_includes_the_installment_due_on_the_signing_day(db: Any) -> None:
    collector, lead = UserFactory(username="c1"), UserFactory(username="lead", role="team_lead")
    loan = LoanFactory(loan_id="L200", maturity_date=dt.date(2026, 7, 15), installments=4)
    for n, due in enumerate(
        [dt.date(2026, 3, 15), dt.date(2026, 4, 15), dt.date(2026, 5, 15), dt.date(2026, 6, 15)]
    ):
        ScheduleInstallmentFactory(loan=loan, installment_no=n + 1, due_date=due, principal_due=100_000,
                                   interest_due=5_000)  # fmt: skip
    runner.close([AS_OF])  # 04-15: the second installment falls due today, not overdue yet
    case = Case.objects.get()
    plan = services.propose_plan(case, "L200", installments=3, first_due=dt.date(2026, 5, 20), scope="whole",
                                 actor=collector, note="x")  # fmt: skip
    assert plan.components["future_principal"] == 300_000  # today's, May's and June's
    services.decide(plan.concession, actor=lead, approve=True)
    services.sign_plan(plan, signed_copy=SIGNED, filename="plan.pdf", actor=collector)
    plan.refresh_from_db()
    assert [s["no"] for s in plan.superseded] == [2, 3, 4]
    status = LoanStatus.objects.get(loan_id="L200")
    assert status.outstanding_principal == plan.amount  # nothing counted twice
    close(dt.date(2026, 4, 20))
    assert LoanStatus.objects.get(loan_id="L200").dpd == 0  # today's installment is in the plan, not overdue
