"""Promises to pay through the close: made on a case, judged at the date boundaries, and what a broken one does
to the case and the strategy."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import translation

from arrears.batch import runner
from arrears.cases.models import Case, Task
from arrears.core.errors import DomainError
from arrears.negotiation import services
from arrears.negotiation.models import Promise
from arrears.strategy import selectors as strategy_selectors
from tests.factories import PaymentFactory, TeamFactory, UserFactory, loan_with_details

AS_OF = dt.date(2026, 4, 15)


@pytest.fixture(autouse=True)
def english() -> Any:
    with translation.override("en"):
        yield


@pytest.fixture
def case(db: Any) -> Case:
    UserFactory(username="c1", team=TeamFactory(name="一组", lenders=[]))
    loan_with_details(loan_id="L001")
    runner.close([AS_OF])
    return Case.objects.get()


def day(n: int) -> dt.date:
    return AS_OF + dt.timedelta(days=n)


@pytest.mark.django_db
def test_a_promise_kept_on_the_last_day_of_grace(case: Case) -> None:
    promise = services.make_promise(
        case, [(day(5), 100_000)], actor=case.assigned_to, note="salary on the 20th"
    )
    case.refresh_from_db()
    assert case.status == "negotiating" and case.next_action_on == day(5)
    assert Task.objects.filter(case=case, channel="promise", due_on=day(5)).exists()
    PaymentFactory(loan_id="L001", paid_on=day(7), amount=100_000)  # due + 2 days of grace
    runner.close([day(7)])
    promise.refresh_from_db()
    assert (promise.status, promise.paid, promise.judged_on) == ("kept", 100_000, day(7))


@pytest.mark.django_db
def test_a_broken_promise_sends_the_case_back_and_counts_for_the_strategy(case: Case) -> None:
    promise = services.make_promise(case, [(day(5), 100_000)], actor=case.assigned_to)
    runner.close([day(7)])
    promise.refresh_from_db()
    assert promise.status == "open"  # within grace
    runner.close([day(8)])
    promise.refresh_from_db()
    case.refresh_from_db()
    assert (promise.status, promise.judged_on) == ("broken", day(8))
    assert case.status == "contacting"
    assert Task.objects.filter(case=case, title="Promise not kept: follow up", due_on=day(8)).exists()
    facts = strategy_selectors.case_facts(day(8))
    assert facts.filter(facts["id"] == case.pk)["broken_promises"].to_list() == [1]


@pytest.mark.django_db
def test_bad_promises_are_refused_and_change_nothing(case: Case) -> None:
    with pytest.raises(DomainError, match="before the business date"):
        services.make_promise(case, [(day(-1), 100)], actor=case.assigned_to)
    with pytest.raises(DomainError, match="must be positive"):
        services.make_promise(case, [(day(1), 0)], actor=case.assigned_to)
    assert not Promise.objects.exists() and not Task.objects.filter(channel="promise").exists()
