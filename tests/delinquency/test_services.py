"""Delinquency inputs people maintain: pauses, restructurings, technical overdues and manual classifications,
each audited and recomputed at once (issue 3); and payments posted one by one."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from arrears.accounts.models import Role
from arrears.audit.models import AuditEvent
from arrears.batch import runner
from arrears.core.errors import Conflict, DomainError, PermissionDenied
from arrears.delinquency import services
from arrears.delinquency.models import ClassificationOverride, LoanStatus, Pause
from arrears.portfolio import services as portfolio_services
from arrears.portfolio.models import Payment
from tests.factories import UserFactory, loan_with_details

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 4, 15)


@pytest.fixture
def loan() -> Any:
    """Overdue since 02-06 (its only payment was reversed); closed as of 04-15: dpd 69, 66 delinquent days."""
    loan = loan_with_details(loan_id="L001")
    runner.close([AS_OF])
    return loan


@pytest.fixture
def lead() -> Any:
    return UserFactory(username="lead", role=Role.TEAM_LEAD)


@pytest.fixture
def manager() -> Any:
    return UserFactory(username="boss", role=Role.MANAGER)


def status() -> LoanStatus:
    return LoanStatus.objects.get(loan_id="L001")


def test_a_backdated_pause_is_applied_at_once_and_audited(loan: Any, lead: Any) -> None:
    assert (status().delinquent_days, status().bucket) == (66, "M3")
    services.pause(
        loan, dt.date(2026, 3, 1), end=dt.date(2026, 3, 20), reason="hardship", note="失业", actor=lead
    )
    assert (status().dpd, status().delinquent_days, status().bucket) == (69, 46, "M2")
    event = AuditEvent.objects.get(action="delinquency.paused")
    assert (event.actor, event.object_id, event.after["start"]) == (lead, "L001", "2026-03-01")


def test_an_open_pause_freezes_and_resume_releases(loan: Any, lead: Any) -> None:
    pause = services.pause(loan, dt.date(2026, 4, 10), reason="disaster", actor=lead)
    assert status().paused and status().delinquent_days == 60  # frozen at 04-09's (dpd 63 − 3 grace)
    services.resume(pause, dt.date(2026, 4, 12), actor=lead)
    assert not status().paused and status().delinquent_days == 63  # 3 paused days
    with pytest.raises(Conflict):
        services.resume(Pause.objects.get(pk=pause.pk), dt.date(2026, 4, 13), actor=lead)


def test_overlapping_pauses_and_backwards_dates_are_refused(loan: Any, lead: Any) -> None:
    services.pause(loan, dt.date(2026, 3, 1), end=dt.date(2026, 3, 20), reason="dispute", actor=lead)
    with pytest.raises(Conflict, match="2026-03-01"):
        services.pause(loan, dt.date(2026, 3, 20), end=dt.date(2026, 3, 25), reason="hardship", actor=lead)
    with pytest.raises(Conflict):
        services.pause(loan, dt.date(2026, 2, 1), reason="hardship", actor=lead)  # open-ended runs into it
    with pytest.raises(DomainError):
        services.pause(loan, dt.date(2026, 4, 1), end=dt.date(2026, 3, 31), reason="hardship", actor=lead)
    services.pause(loan, dt.date(2026, 3, 21), end=dt.date(2026, 3, 25), reason="hardship", actor=lead)
    assert Pause.objects.count() == 2


def test_collectors_cannot_pause(loan: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.pause(loan, dt.date(2026, 3, 1), reason="hardship", actor=UserFactory(role=Role.COLLECTOR))


def test_a_manual_classification_needs_a_second_person_and_must_be_stricter(
    loan: Any, lead: Any, manager: Any
) -> None:
    with pytest.raises(DomainError, match=r"stricter|更严格"):
        services.request_override(loan, "special_mention", AS_OF, "no", actor=lead)
    request = services.request_override(loan, "doubtful", AS_OF, "借款人失联, 涉嫌逃废债", actor=lead)
    assert status().classification == "special_mention"  # not in force until approved
    with pytest.raises(PermissionDenied):
        services.decide_override(request, True, actor=lead)  # a team lead may not approve
    own = services.request_override(loan, "loss", AS_OF, "破产清算", actor=manager)
    with pytest.raises(PermissionDenied, match=r"own|自己"):
        services.decide_override(own, True, actor=manager)
    services.decide_override(request, True, actor=manager)
    assert (status().classification, status().rule_classification) == ("doubtful", "special_mention")
    assert ClassificationOverride.objects.get(pk=request.pk).decided_by == manager
    with pytest.raises(Conflict):
        services.decide_override(request, False, actor=manager)


def test_a_restructuring_starts_the_observation_period(loan: Any, lead: Any) -> None:
    services.record_restructuring(loan, dt.date(2026, 1, 20), "展期", actor=lead)
    # First repayment date after it: 02-05; 12 months → 2027-02-05, but #1 was missed → restarts 02-05 anyway,
    # #2 (03-05) and #3 (04-05) missed too: the period runs from 04-05 to 2027-04-05.
    assert status().observation_until == dt.date(2027, 4, 5)
    with pytest.raises(Conflict):
        services.record_restructuring(loan, dt.date(2026, 1, 20), actor=lead)


def test_a_technical_overdue_flag_keeps_a_short_episode_normal(lead: Any) -> None:
    loan = loan_with_details(loan_id="L009")
    runner.close([dt.date(2026, 2, 10)])  # reversal on 02-08: overdue since 02-06, dpd 5
    assert LoanStatus.objects.get(loan=loan).classification == "special_mention"
    services.flag_technical_overdue(loan, dt.date(2026, 2, 6), "支付渠道故障", actor=lead)
    assert LoanStatus.objects.get(loan=loan).classification == "normal"


def test_a_posted_payment_and_its_reversal_recompute_the_loan(loan: Any, manager: Any) -> None:
    # Total due on 04-15: 12,000.00 principal + 240.80 interest + 238.83 penalty = 12,479.63.
    payment = portfolio_services.post_payment(loan, "P-NEW", AS_OF, 1_247_963, actor=manager)
    assert (status().dpd, status().overdue_principal, status().bucket) == (0, 0, "")
    assert AuditEvent.objects.filter(action="payment.posted", object_id="P-NEW").exists()
    portfolio_services.reverse_payment(payment, "P-NEW-R", AS_OF, reason="退票", actor=manager)
    assert (status().dpd, status().bucket) == (69, "M3")
    with pytest.raises(Conflict):
        portfolio_services.reverse_payment(payment, "P-NEW-R2", AS_OF, reason="again", actor=manager)
    with pytest.raises(DomainError):
        portfolio_services.post_payment(loan, "P-BAD", AS_OF, 100, split={"principal": 99}, actor=manager)
    assert not Payment.objects.filter(pk="P-BAD").exists()


def test_a_backdated_change_rewrites_the_history_from_its_date(lead: Any) -> None:
    from arrears.delinquency.selectors import history

    loan = loan_with_details(loan_id="L007")  # overdue since 02-06, grace 3
    runner.close([dt.date(2026, 2, 1) + dt.timedelta(days=i) for i in range(60)])  # up to 04-01
    buckets = [(i.value, i.entered, i.left) for i in history(loan) if i.field == "bucket"]
    assert buckets == [("M1", dt.date(2026, 2, 9), dt.date(2026, 3, 11)), ("M2", dt.date(2026, 3, 11), None)]
    # A hardship pause from 02-20 to 03-31, entered on 04-01: 40 days less, so the loan never left M1.
    services.pause(loan, dt.date(2026, 2, 20), end=dt.date(2026, 3, 31), reason="hardship", actor=lead)
    buckets = [(i.value, i.entered, i.left) for i in history(loan) if i.field == "bucket"]
    assert buckets == [("M1", dt.date(2026, 2, 9), None)]
    assert LoanStatus.objects.get(loan=loan).delinquent_days == 12  # 04-01: 55 dpd − 3 grace − 40 paused


def test_the_first_close_opens_the_history_with_each_loans_state(loan: Any) -> None:
    from arrears.delinquency.selectors import history

    opened = {(i.field, i.value, i.entered, i.left) for i in history(loan)}
    assert opened == {
        ("bucket", "M3", AS_OF, None),
        ("classification", "special_mention", AS_OF, None),
        ("overdue", "overdue", AS_OF, None),
    }
