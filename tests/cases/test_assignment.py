"""Assignment rules (skills, regions, capacity), bulk reassignment, placement with outside agencies and recall,
and the quick actions that feed the strategy (a call's outcome, a proposed escalation)."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import translation

from arrears.accounts.models import Agency
from arrears.accounts.selectors import visible_borrowers, visible_loans
from arrears.audit.models import AuditEvent
from arrears.batch import runner
from arrears.cases import selectors, services
from arrears.cases.models import Case, Placement
from arrears.core.errors import DomainError, PermissionDenied
from arrears.strategy import services as strategy
from tests.factories import BorrowerFactory, TeamFactory, UserFactory, loan_with_details

AS_OF = dt.date(2026, 4, 15)


@pytest.fixture(autouse=True)
def english() -> Any:
    with translation.override("en"):
        yield


def loans(n: int, **borrower: Any) -> None:
    for i in range(n):
        loan_with_details(loan_id=f"L{i:03d}", borrower=BorrowerFactory(borrower_id=f"B{i:03d}", **borrower))


@pytest.mark.django_db
def test_a_segment_that_needs_a_skill_goes_only_to_collectors_who_have_it() -> None:
    team = TeamFactory(name="一组", lenders=[])
    UserFactory(username="plain", team=team)
    lawyerly = UserFactory(username="lawyerly", team=team, skills=["legal"])
    strategy.save_segment(
        "needs legal", [{"field": "dpd", "op": "gt", "value": 60}], required_skills=["legal"]
    )
    loans(3)
    runner.close([AS_OF])
    assert set(Case.objects.values_list("assigned_to", flat=True)) == {lawyerly.pk}


@pytest.mark.django_db
def test_collectors_with_regions_take_only_their_provinces() -> None:
    team = TeamFactory(name="一组", lenders=[])
    south = UserFactory(username="south", team=team, skills=["region:广东省"])
    anywhere = UserFactory(username="anywhere", team=team)
    loans(2, province="广东省")
    loan_with_details(loan_id="L900", borrower=BorrowerFactory(borrower_id="B900", province="北京市"))
    runner.close([AS_OF])
    by_province = dict(Case.objects.values_list("borrower__province", "assigned_to"))
    assert by_province["北京市"] == anywhere.pk
    assert south.pk in set(
        Case.objects.filter(borrower__province="广东省").values_list("assigned_to", flat=True)
    )


@pytest.mark.django_db
def test_capacity_is_respected_and_what_nobody_can_take_is_reported() -> None:
    team = TeamFactory(name="一组", lenders=[])
    small = UserFactory(username="small", team=team, max_open_cases=1)
    big = UserFactory(username="big", team=team, max_open_cases=2)
    loans(5)
    outcome = runner.close([AS_OF])
    assert (outcome.cases["assigned"], outcome.cases["unassigned"]) == (3, 2)
    assert (
        Case.objects.filter(assigned_to=small).count() == 1
        and Case.objects.filter(assigned_to=big).count() == 2
    )
    big.max_open_cases = None
    big.save()
    outcome = runner.close([AS_OF])  # the next close gives the rest
    assert outcome.cases["unassigned"] == 0 and Case.objects.filter(assigned_to=big).count() == 4


@pytest.mark.django_db
def test_bulk_reassignment_spreads_cases_with_a_reason() -> None:
    team = TeamFactory(name="一组", lenders=[])
    leaving = UserFactory(username="leaving", team=team)
    loans(4)
    runner.close([AS_OF])
    assert Case.objects.filter(assigned_to=leaving).count() == 4
    a, b = UserFactory(username="a", team=team), UserFactory(username="b", team=team)
    lead = UserFactory(username="lead", role="team_lead", team=team)
    with pytest.raises(PermissionDenied):
        services.bulk_reassign(selectors.visible_cases(leaving), [a, b], actor=leaving, reason="x")
    with pytest.raises(DomainError, match="Give a reason"):
        services.bulk_reassign(selectors.visible_cases(lead), [a, b], actor=lead, reason=" ")
    out = io.StringIO()
    call_command("cases", "reassign", "--from", "leaving", "--to", "a,b", "--by", "lead", "--reason",
                 "left the company", "--json", stdout=out)  # fmt: skip
    assert json.loads(out.getvalue()) == {"reassign": 4}
    assert sorted(Case.objects.values_list("assigned_to__username", flat=True)) == ["a", "a", "b", "b"]
    assert AuditEvent.objects.filter(action="case.assigned", note="left the company").count() == 4


@pytest.mark.django_db
def test_an_agency_sees_only_what_is_placed_with_it_until_recalled() -> None:
    team = TeamFactory(name="一组", lenders=[])
    UserFactory(username="inhouse", team=team)
    manager = UserFactory(username="boss", role="manager")
    agency = Agency.objects.create(name="外包一号")
    agent = UserFactory(username="agent", role="collector", agency=agency)
    lawyer = UserFactory(
        username="lawyer", role="legal", agency=Agency.objects.create(name="某律所", kind="law_firm")
    )
    loans(3)
    runner.close([AS_OF])
    assert list(selectors.visible_cases(agent)) == [] and list(visible_loans(agent)) == []
    first = Case.objects.order_by("pk").first()
    assert (
        services.place(Case.objects.filter(pk=first.pk), agency, actor=manager, reason="M3 outsourcing") == 1
    )
    first.refresh_from_db()
    assert first.assigned_to is None and first.placed_with == agency
    assert list(selectors.visible_cases(agent)) == [first]
    assert [loan.pk for loan in visible_loans(agent)] == first.loan_ids
    assert [b.pk for b in visible_borrowers(agent)] == [first.borrower_id]
    assert (
        list(selectors.visible_cases(lawyer)) == [] and list(visible_loans(lawyer)) == []
    )  # role is not enough
    runner.close([AS_OF + dt.timedelta(days=1)])  # the close leaves a placed case with its agency
    first.refresh_from_db()
    assert first.assigned_to is None
    with pytest.raises(DomainError, match="Give a reason"):
        services.recall(Case.objects.filter(pk=first.pk), actor=manager, reason="")
    services.recall(Case.objects.filter(pk=first.pk), actor=manager, reason="contract ended")
    first.refresh_from_db()
    assert first.placed_with is None and first.assigned_to is not None
    assert list(selectors.visible_cases(agent)) == []
    (placement,) = Placement.objects.all()
    assert (placement.recalled_on, placement.recall_reason) == (
        AS_OF + dt.timedelta(days=1),
        "contract ended",
    )
    agency.active = False
    agency.save()
    with pytest.raises(DomainError, match="not active"):
        services.place(Case.objects.all(), agency, actor=manager)


@pytest.mark.django_db
def test_a_call_outcome_records_contact_and_moves_a_new_case_on() -> None:
    collector = UserFactory(username="c1", team=TeamFactory(name="一组", lenders=[]))
    loans(1)
    runner.close([AS_OF])
    case = Case.objects.get()
    case = services.log_call(case, "unanswered", actor=collector)
    assert (case.status, case.last_contact_on) == ("contacting", None)
    case = services.log_call(case, "promise_to_pay", actor=collector, note="will pay Friday")
    assert case.last_contact_on == AS_OF
    with pytest.raises(DomainError, match="Unknown call outcome"):
        services.log_call(case, "maybe", actor=collector)
    task = services.propose_escalation(case, "no payment after two promises", actor=collector)
    assert task.escalation == "escalated" and task.assigned_to == collector  # no team lead in this team
