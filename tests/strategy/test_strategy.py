"""The strategy through the close: segments and arms on real cases, treatment steps as follow-ups, outcomes per
arm, promotion, simulation of a past date, and the command line."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import translation

from arrears.batch import runner
from arrears.cases.models import Case, Task
from arrears.core.errors import DomainError, PermissionDenied
from arrears.strategy import selectors, services
from arrears.strategy.models import Arm, Segment, Treatment
from tests.factories import PaymentFactory, TeamFactory, UserFactory, loan_with_details

EARLY = dt.date(2026, 3, 6)  # the sample loan is 29 days past due
LATE = dt.date(2026, 4, 15)  # 69 days


@pytest.fixture(autouse=True)
def english() -> Any:
    with translation.override("en"):
        yield


@pytest.fixture
def team(db: Any) -> Any:
    team = TeamFactory(name="一组", lenders=[])
    UserFactory(username="c1", team=team)
    return team


@pytest.fixture
def strategy(db: Any) -> dict[str, Any]:
    services.import_strategy(
        {
            "paths": [
                {"name": "gentle", "repeat": True, "steps": [{"channel": "sms", "template": "reminder_1"},
                                                              {"channel": "call", "wait_days": 2}]},
                {"name": "firm", "steps": [{"channel": "call"}, {"channel": "letter", "wait_days": 3}]},
                {"name": "legal", "steps": [{"channel": "legal_review", "escalation": "legal"}]},
            ],
            "segments": [
                {"name": "M3+", "priority": 10, "conditions": [{"field": "dpd", "op": "gt", "value": 60}],
                 "arms": [{"path": "legal", "percent": 100, "champion": True}]},
                {"name": "early", "priority": 20, "conditions": [{"field": "dpd", "op": "le", "value": 60},
                                                                 {"field": "collateral", "op": "ge", "value": 1}],
                 "arms": [{"path": "gentle", "percent": 100, "champion": True}, {"path": "firm", "percent": 0}]},
            ],
        }
    )  # fmt: skip
    return {s.name: s for s in Segment.objects.all()}


@pytest.mark.django_db
def test_the_close_segments_cases_starts_their_path_and_fires_due_steps(team: Any, strategy: Any) -> None:
    loan_with_details(loan_id="L001")
    runner.close([EARLY])
    case = Case.objects.get()
    assert (case.segment.name, case.path.name, case.path_step) == ("early", "gentle", 1)
    (task,) = Task.objects.filter(case=case)
    assert (task.channel, task.title, task.due_on, task.assigned_to.username) == (
        "sms", "SMS: reminder_1", EARLY, "c1",
    )  # fmt: skip
    assert case.next_step_on == EARLY + dt.timedelta(days=2) and case.next_action_on == EARLY
    runner.close([EARLY + dt.timedelta(days=1)])
    assert Task.objects.filter(case=case).count() == 1  # the call is due the day after
    runner.close([EARLY + dt.timedelta(days=2)])
    assert list(Task.objects.filter(case=case).values_list("channel", flat=True)) == ["sms", "call"]
    (treatment,) = Treatment.objects.all()
    assert (treatment.entry_dpd, treatment.ended_on) == (29, None)


@pytest.mark.django_db
def test_a_case_that_worsens_moves_segment_and_the_outcomes_count_per_arm(team: Any, strategy: Any) -> None:
    loan = loan_with_details(loan_id="L001")
    runner.close([EARLY])
    runner.close([LATE])  # 69 days: M3+
    case = Case.objects.get()
    assert (case.segment.name, case.path.name) == ("M3+", "legal")
    early, late = Treatment.objects.order_by("pk")
    assert (early.outcome, early.ended_on, early.exit_dpd, late.entry_dpd) == ("moved", LATE, 69, 69)
    legal_task = Task.objects.get(case=case, channel="legal_review")
    assert legal_task.escalation == "legal"
    PaymentFactory(loan=loan, paid_on=LATE + dt.timedelta(days=1), amount=case.total_overdue + 10_000)
    runner.close([LATE + dt.timedelta(days=1)])
    late.refresh_from_db()
    assert (late.outcome, late.ended_on) == ("cured", LATE + dt.timedelta(days=1))
    rows = {(r["segment"], r["path"]): r for r in selectors.outcomes(LATE + dt.timedelta(days=1))}
    assert rows[("M3+", "legal")]["cure_rate"] == 1.0
    assert rows[("M3+", "legal")]["recovered_fen"] == case.total_overdue + 10_000
    assert (
        rows[("early", "gentle")]["cure_rate"] == 0.0
        and rows[("early", "gentle")]["roll_forward_rate"] == 1.0
    )


@pytest.mark.django_db
def test_promoting_a_challenger_is_audited_and_needs_the_permission(team: Any, strategy: Any) -> None:
    early = strategy["early"]
    collector = UserFactory(username="c9", team=team)
    manager = UserFactory(username="boss", role="manager")
    firm = early.arms.get(path__name="firm").path
    with pytest.raises(PermissionDenied):
        services.promote(early, firm, actor=collector)
    services.promote(early, firm, actor=manager, reason="call-first cured more")
    assert list(Arm.objects.filter(segment=early).values_list("path__name", "basis_points", "champion")) == [
        ("firm", 10_000, True)
    ]
    with pytest.raises(DomainError, match=r"add up to 120\.0%"):
        services.set_arms(
            early, [(firm, 6000, True), (strategy["M3+"].arms.get().path, 6000, False)], actor=manager
        )
    with pytest.raises(DomainError, match=r"Segment bad is not valid: .*unknown field 'dps'"):
        services.save_segment("bad", [{"field": "dps", "op": "gt", "value": 1}], actor=manager)


@pytest.mark.django_db
def test_the_simulation_of_a_past_date_sends_nothing(team: Any, strategy: Any) -> None:
    loan_with_details(loan_id="L001")
    loan_with_details(loan_id="L002")
    result = selectors.simulate(EARLY)
    assert result["cases"] == 2
    (arm,) = result["arms"]
    assert (arm["segment"], arm["path"], arm["cases"], arm["first_step"], arm["first_step_on"]) == (
        "early", "gentle", 2, "sms", EARLY.isoformat(),
    )  # fmt: skip
    assert not Case.objects.exists() and not Task.objects.exists()
    out = io.StringIO()
    call_command("strategy", "simulate", "--as-of", LATE.isoformat(), "--json", stdout=out)
    assert json.loads(out.getvalue())["arms"][0]["path"] == "legal"


@pytest.mark.django_db
def test_the_shipped_strategy_imports_and_lists(team: Any) -> None:
    out = io.StringIO()
    call_command("strategy", "import", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"paths": 4, "segments": 4}
    out = io.StringIO()
    call_command("strategy", "list", "--json", stdout=out)
    listed = {s["name"]: s for s in json.loads(out.getvalue())["segments"]}
    assert [a["percent"] for a in listed["M1 low risk"]["arms"]] == [50.0, 50.0]
    loan_with_details(loan_id="L001")
    runner.close([EARLY])
    assert Case.objects.get().segment is not None
    out = io.StringIO()
    call_command("strategy", "outcomes", "--json", stdout=out)
    assert json.loads(out.getvalue())["arms"][0]["cases"] == 1


@pytest.mark.django_db
def test_the_admin_lists_strategy_and_refuses_bad_conditions(admin_client: Any, strategy: Any) -> None:
    for page in ("strategy/segment", "strategy/treatmentpath", "strategy/treatment", "cases/queue",
                 "cases/placement", "accounts/agency"):  # fmt: skip
        assert admin_client.get(f"/admin/{page}/").status_code == 200
    segment = strategy["early"]
    assert admin_client.get(f"/admin/strategy/segment/{segment.pk}/change/").status_code == 200
    response = admin_client.post(
        "/admin/strategy/segment/add/",
        {"name": "bad", "priority": 5, "conditions": '[{"field": "bucket", "op": "gt", "value": "M1"}]',
         "required_skills": "[]", "active": "on", "description": "",
         "arms-TOTAL_FORMS": 0, "arms-INITIAL_FORMS": 0},
    )  # fmt: skip
    assert response.status_code == 200 and "bucket is text" in response.content.decode()
    assert not Segment.objects.filter(name="bad").exists()
