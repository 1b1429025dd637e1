"""Collection cases (issue 5, first part): the close opens, refreshes and closes them (cure and re-default), never
twice; assignment by load with continuity; the lifecycle table; visibility; the command line."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import polars as pl
import pytest
from django.core.management import call_command
from django.utils import translation

from arrears.audit.models import AuditEvent
from arrears.batch import runner
from arrears.batch.steps import cases as step
from arrears.cases import lifecycle, selectors, services
from arrears.cases.models import Case, CasePolicy
from arrears.core.errors import DomainError, NotFound, PermissionDenied
from tests.factories import PaymentFactory, TeamFactory, UserFactory, loan_with_details

AS_OF = dt.date(2026, 4, 15)


@pytest.fixture(autouse=True)
def english() -> Any:
    with translation.override("en"):
        yield


# ------------------------------------------------------------------------------------------- the pure step


def frames(rows: list[tuple[str, str, int, str]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(loan, borrower, dpd, lender) → status and loans frames."""
    status = pl.DataFrame(
        {
            "loan_id": [r[0] for r in rows],
            "borrower_id": [r[1] for r in rows],
            "dpd": [r[2] for r in rows],
            "total_due": [100 * r[2] for r in rows],
            "bucket": ["M1" if r[2] else None for r in rows],
            "classification": ["special_mention" if r[2] > 30 else "normal" for r in rows],
            "risk_level": ["high" if r[2] > 30 else "low" for r in rows],
            "risk_score": [r[2] for r in rows],
            "outstanding_principal": [1000 * r[2] for r in rows],
        }
    )
    loans = pl.DataFrame(
        {"loan_id": [r[0] for r in rows], "lender": [r[3] for r in rows], "case_type": "own",
         "product_type": "consumer", "lender_type": "bank"}
    )  # fmt: skip
    return status, loans


def test_plan_opens_refreshes_and_closes_by_borrower_lender_and_type() -> None:
    status, loans = frames(
        [
            ("A1", "X", 40, "bank"), ("A2", "X", 10, "bank"), ("A3", "X", 0, "bank"),  # one case, two loans
            ("B1", "X", 5, "micro"),  # the same borrower with another lender: its own case
            ("C1", "Y", 0, "bank"),  # current: no case, and Y's open case closes
            ("D1", "Z", 3, "bank"),  # below a threshold of 5: no case yet
        ]
    )  # fmt: skip
    open_cases = pl.DataFrame({"id": [7, 8], "borrower_id": ["X", "Y"], "lender": ["bank", "bank"],
                               "case_type": ["own", "own"]})  # fmt: skip
    plan = step.plan(status, loans, open_cases, open_at_dpd=5)
    assert plan.updated.to_dicts() == [
        {"id": 7, "loan_ids": ["A1", "A2"], "total_overdue": 5000, "max_dpd": 40, "bucket": "M1",
         "classification": "special_mention", "risk_level": "high", "risk_score": 40, "outstanding": 50000,
         "product_type": "consumer", "lender_type": "bank"}
    ]  # fmt: skip
    assert plan.opened.select("borrower_id", "lender", "loan_ids").to_dicts() == [
        {"borrower_id": "X", "lender": "micro", "loan_ids": ["B1"]}
    ]
    assert plan.closed["id"].to_list() == [8]


# ------------------------------------------------------------------------------------------- the close


@pytest.fixture
def collectors(db: Any) -> tuple[Any, Any]:
    team = TeamFactory(name="一组", lenders=["A银行"])
    return UserFactory(username="c1", team=team), UserFactory(username="c2", team=team)


def open_cases() -> list[Case]:
    return list(Case.objects.exclude(status=lifecycle.CLOSED).order_by("pk"))


@pytest.mark.django_db
def test_the_close_opens_one_case_refreshes_it_and_closes_it_when_cured(collectors: Any) -> None:
    loan = loan_with_details(loan_id="L001")
    runner.close([AS_OF])
    (case,) = open_cases()
    assert (case.status, case.loan_ids, case.max_dpd, case.total_overdue) == (
        "new",
        ["L001"],
        69,
        case.total_overdue,
    )
    assert case.total_overdue > 1_200_000  # principal, interest and penalty
    assert case.assigned_to is not None
    runner.close([AS_OF])  # again: the same case, no second one
    runner.close([AS_OF + dt.timedelta(days=1)])
    (again,) = open_cases()
    assert again.pk == case.pk and again.max_dpd == 70 and again.as_of == AS_OF + dt.timedelta(days=1)
    PaymentFactory(loan=loan, paid_on=AS_OF + dt.timedelta(days=2), amount=again.total_overdue + 600 * 2)
    runner.close([AS_OF + dt.timedelta(days=2)])
    case.refresh_from_db()
    assert (case.status, case.closed_reason, case.closed_on) == (
        "closed",
        "cured",
        AS_OF + dt.timedelta(days=2),
    )
    assert open_cases() == []
    actions = [e["action"] for e in selectors.timeline(case)]
    assert actions == ["case.opened", "case.assigned", "case.closed"]


@pytest.mark.django_db
def test_a_redefault_opens_a_new_case_with_the_same_collector(collectors: Any) -> None:
    loan = loan_with_details(loan_id="L001")
    runner.close([AS_OF])
    (first,) = open_cases()
    Case.objects.filter(pk=first.pk).update(status="closed", closed_reason="settled", closed_on=AS_OF)
    UserFactory(username="c3", team=collectors[0].team)  # a new, empty collector: load alone would pick them
    runner.close([AS_OF + dt.timedelta(days=1)])
    (second,) = open_cases()
    assert second.pk != first.pk and second.assigned_to_id == first.assigned_to_id
    assert loan.pk in second.loan_ids


@pytest.mark.django_db
def test_cases_are_dealt_to_the_least_loaded_collectors_who_work_the_lender(collectors: Any) -> None:
    c1, c2 = collectors
    other = UserFactory(username="elsewhere", team=TeamFactory(name="二组", lenders=["B小贷"]))
    for n in range(5):
        loan_with_details(loan_id=f"L00{n}")
    runner.close([AS_OF])
    loads = {u.username: Case.objects.filter(assigned_to=u).count() for u in (c1, c2, other)}
    assert loads == {"c1": 3, "c2": 2, "elsewhere": 0} or loads == {"c1": 2, "c2": 3, "elsewhere": 0}


@pytest.mark.django_db
def test_the_opening_threshold_is_data(collectors: Any) -> None:
    loan_with_details(loan_id="L001")
    CasePolicy.objects.create(effective_from=dt.date(2026, 1, 1), open_at_dpd=90)
    runner.close([AS_OF])  # dpd 69 < 90
    assert open_cases() == []


# ------------------------------------------------------------------------------------------- lifecycle


@pytest.fixture
def case(collectors: Any) -> Case:
    loan_with_details(loan_id="L001")
    runner.close([AS_OF])
    return open_cases()[0]


@pytest.mark.django_db
def test_the_lifecycle_follows_the_table(case: Case, collectors: Any) -> None:
    collector = case.assigned_to
    lead = UserFactory(username="lead", role="team_lead", team=collectors[0].team)
    case = services.transition(case, "contacting", actor=collector)
    case = services.transition(case, "negotiating", actor=collector)
    with pytest.raises(DomainError, match="Give a reason"):
        services.transition(case, "contacting", actor=collector)
    case = services.transition(case, "contacting", actor=collector, reason="broke the plan")
    with pytest.raises(DomainError, match=r"cannot go from contacting to enforcement; .* escalated, closed"):
        services.transition(case, "enforcement", actor=lead)
    case = services.transition(case, "escalated", actor=collector, reason="no answer for 10 days")
    with pytest.raises(PermissionDenied, match="may not move a case from escalated to legal"):
        services.transition(case, "legal", actor=collector, reason="x")
    case = services.transition(case, "legal", actor=lead, reason="collateral worth suing for")
    with pytest.raises(DomainError, match="Say how the case closed"):
        services.transition(case, "closed", actor=lead, reason="done")
    case = services.transition(
        case, "closed", actor=lead, reason="paid at mediation", closed_reason="settled"
    )
    assert (case.status, case.closed_reason) == ("closed", "settled")
    steps = list(
        AuditEvent.objects.filter(object_type="Case", object_id=str(case.pk), action="case.transition")
        .order_by("at", "pk")
        .values_list("after__status", flat=True)
    )
    assert steps == ["contacting", "negotiating", "contacting", "escalated", "legal", "closed"]


def test_every_state_can_close_and_closed_is_final() -> None:
    for state in lifecycle.STATES[:-1]:
        assert lifecycle.find(state, lifecycle.CLOSED) is not None
    assert lifecycle.allowed_from(lifecycle.CLOSED) == []


# ------------------------------------------------------------------------------------------- visibility, CLI


@pytest.mark.django_db
def test_a_collector_sees_only_their_cases(case: Case, collectors: Any) -> None:
    owner = case.assigned_to
    other = collectors[1] if owner == collectors[0] else collectors[0]
    assert list(selectors.visible_cases(owner)) == [case]
    assert list(selectors.visible_cases(other)) == []
    with pytest.raises(NotFound):
        selectors.get_case(other, case.pk)
    lead = UserFactory(username="lead", role="team_lead", team=owner.team)
    assert list(selectors.visible_cases(lead)) == [case]
    manager = UserFactory(username="boss", role="manager")
    assert list(selectors.visible_cases(manager)) == [case]
    with pytest.raises(PermissionDenied):
        services.reassign(case, other, actor=owner, reason="holiday")
    services.reassign(case, other, actor=lead, reason="holiday")
    assert list(selectors.visible_cases(other)) == [case]


@pytest.mark.django_db
def test_the_command_line_lists_and_shows_cases(case: Case) -> None:
    out = io.StringIO()
    call_command(
        "cases", "list", "--status", "open", "--assigned-to", case.assigned_to.username, "--json", stdout=out
    )
    (listed,) = json.loads(out.getvalue())["cases"]
    for key in ("id", "borrower_id", "type", "status", "assigned_to", "loan_ids", "total_overdue", "max_dpd",
                "bucket", "risk_level"):  # fmt: skip
        assert key in listed
    assert (listed["id"], listed["type"], listed["loan_ids"], listed["max_dpd"]) == (
        case.pk,
        "own",
        ["L001"],
        69,
    )
    out = io.StringIO()
    call_command("case", "show", str(case.pk), "--json", stdout=out)
    shown = json.loads(out.getvalue())
    assert shown["status"] == "new" and [e["action"] for e in shown["timeline"]][:1] == ["case.opened"]
    out = io.StringIO()
    call_command("cases", "list", "--status", "closed", "--json", stdout=out)
    assert json.loads(out.getvalue())["count"] == 0


@pytest.mark.django_db
def test_the_admin_lists_cases_and_edits_the_policy(admin_client: Any, case: Case) -> None:
    for page in ("case", "casepolicy", "stagesla"):
        assert admin_client.get(f"/admin/cases/{page}/").status_code == 200
    assert admin_client.get(f"/admin/cases/case/{case.pk}/change/").status_code == 200
    assert admin_client.get("/admin/cases/case/add/").status_code == 403  # cases come from the close


# ------------------------------------------------------------------------------------------- the queue's keys


@pytest.mark.django_db
def test_action_due_follows_the_follow_ups_and_the_close(case: Case) -> None:
    collector = case.assigned_to
    assert not case.action_due and case.next_action_on is None
    later = services.add_task(case, "Call back", AS_OF + dt.timedelta(days=2), actor=collector)
    case.refresh_from_db()
    assert (case.next_action_on, case.action_due) == (AS_OF + dt.timedelta(days=2), False)
    today = services.add_task(case, "Call now", AS_OF, actor=collector)
    case.refresh_from_db()
    assert (case.next_action_on, case.action_due) == (AS_OF, True)
    services.complete_task(today, actor=collector)
    case.refresh_from_db()
    assert (case.next_action_on, case.action_due) == (AS_OF + dt.timedelta(days=2), False)
    Case.objects.filter(pk=case.pk).update(priority=-1)
    services.refresh_priorities(AS_OF + dt.timedelta(days=2))  # the close's last step, the day it is due
    case.refresh_from_db()
    assert case.priority > 0 and case.action_due
    later.refresh_from_db()
    assert later.done_at is None


@pytest.mark.django_db
def test_a_closed_cases_open_follow_ups_end_with_it(case: Case, collectors: Any) -> None:
    lead = UserFactory(username="lead", role="team_lead", team=collectors[0].team)
    task = services.add_task(case, "Call back", AS_OF, actor=case.assigned_to)
    services.transition(case, "closed", actor=lead, reason="paid", closed_reason="settled")
    task.refresh_from_db()
    assert task.done_at is not None


@pytest.mark.django_db
def test_the_close_ends_a_cured_cases_follow_ups(collectors: Any) -> None:
    loan = loan_with_details(loan_id="L001")
    runner.close([AS_OF])
    (case,) = open_cases()
    task = services.add_task(case, "Call back", AS_OF + dt.timedelta(days=5), actor=case.assigned_to)
    PaymentFactory(loan=loan, paid_on=AS_OF + dt.timedelta(days=1), amount=case.total_overdue + 600)
    runner.close([AS_OF + dt.timedelta(days=1)])
    case.refresh_from_db()
    task.refresh_from_db()
    assert case.status == "closed" and task.done_at is not None and not case.action_due


def test_sla_breached_is_a_condition_on_the_row(case: Case) -> None:
    from arrears.cases.models import StageSla

    StageSla.objects.all().delete()
    assert selectors.sla_breached(AS_OF) is None
    assert not selectors.sla_breaches(Case.objects.all(), AS_OF).exists()
    StageSla.objects.create(stage="new", days=3)
    assert not selectors.sla_breaches(Case.objects.all(), AS_OF).exists()
    assert list(selectors.sla_breaches(Case.objects.all(), AS_OF + dt.timedelta(days=4))) == [case]
