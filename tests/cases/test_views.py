"""Case pages (issue 5): the workbench, the queue and the case view, visibility (an invisible case is a 404 for the
page and for every action; an agency's user sees only what is placed with it), the quick actions and the bulk
actions through the services, a fixed number of queries for the lists, both languages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from arrears.accounts.models import Agency
from arrears.audit.models import AuditEvent
from arrears.batch import runner
from arrears.cases import lifecycle, services
from arrears.cases.forms import CALL_OUTCOME_LABELS
from arrears.cases.models import Case, Note, Placement, Queue, Task
from arrears.portfolio.models import Loan
from arrears.strategy import services as strategy_services
from tests.factories import BorrowerFactory, LoanFactory, TeamFactory, UserFactory, loan_with_details

AS_OF = dt.date(2026, 4, 15)
pytestmark = pytest.mark.django_db


@pytest.fixture
def team() -> Any:
    return TeamFactory(name="一组", lenders=["A银行"])


@pytest.fixture
def people(team: Any) -> dict[str, Any]:
    return {
        "c1": UserFactory(username="c1", display_name="赵敏", role="collector", team=team),
        "c2": UserFactory(username="c2", display_name="孙丽", role="collector", team=team),
        "lead": UserFactory(username="lead", display_name="孙组长", role="team_lead", team=team),
        "manager": UserFactory(username="boss", display_name="钱经理", role="manager"),
        "outsider": UserFactory(
            username="elsewhere", role="collector", team=TeamFactory(name="二组", lenders=["B小贷"])
        ),
    }


@pytest.fixture
def case(people: dict[str, Any]) -> Case:
    loan_with_details(loan_id="L001", lender="A银行")
    runner.close([AS_OF])
    case = Case.objects.get()
    assert case.assigned_to is not None
    return case


def owner_and_other(case: Case, people: dict[str, Any]) -> tuple[Any, Any]:
    owner = case.assigned_to
    other = people["c2"] if owner == people["c1"] else people["c1"]
    return owner, other


def url(case: Case, action: str = "") -> str:
    return f"/cases/{case.pk}/{action}"


# ------------------------------------------------------------------------------------------------ visibility


def test_the_owner_lead_and_manager_see_the_case(client: Any, case: Case, people: dict[str, Any]) -> None:
    owner, _ = owner_and_other(case, people)
    for user in (owner, people["lead"], people["manager"]):
        client.force_login(user)
        response = client.get(url(case))
        assert response.status_code == 200, user
        assert "L001" in response.content.decode()
        queue = client.get("/cases/").content.decode()
        assert f'data-case="{case.pk}"' in queue, user


def test_another_collector_gets_404_for_the_page_and_every_action(
    client: Any, case: Case, people: dict[str, Any]
) -> None:
    owner, other = owner_and_other(case, people)
    task = Task.objects.create(case=case, title="回访", due_on=AS_OF, assigned_to=owner, created_by=owner)
    for user in (other, people["outsider"]):
        client.force_login(user)
        assert client.get(url(case)).status_code == 404
        assert f'data-case="{case.pk}"' not in client.get("/cases/").content.decode()
        workbench = client.get("/cases/workbench/").content.decode()
        assert f'data-case="{case.pk}"' not in workbench
        posts = {
            "transition/": {"target": "contacting"},
            "notes/": {"text": "偷看"},
            "tasks/": {"title": "偷看", "due_on": "2026-04-20"},
            f"tasks/{task.pk}/done/": {},
            "reassign/": {"username": user.username, "reason": "x"},
            "calls/": {"outcome": "answered", "note": "偷看"},
            "escalation/": {"reason": "偷看"},
            "place/": {"agency": "1", "reason": "x"},
            "recall/": {"reason": "x"},
        }
        for action, data in posts.items():
            assert client.post(url(case, action), data).status_code == 404, action
    assert client.get("/cases/999999/").status_code == 404
    case.refresh_from_db()
    assert case.status == lifecycle.NEW and not Note.objects.exists()
    assert case.last_contact_on is None
    assert Task.objects.get().done_at is None
    assert not AuditEvent.objects.filter(action__in=["case.call", "case.escalation_proposed"]).exists()


def test_the_borrower_name_is_masked_for_a_collector_and_audited_when_shown_whole(
    client: Any, case: Case, people: dict[str, Any]
) -> None:
    owner, _ = owner_and_other(case, people)
    name = case.borrower.name
    client.force_login(owner)
    html = client.get(url(case)).content.decode()
    assert name not in html and f"{name[0]}{'*' * (len(name) - 1)}" in html
    assert not AuditEvent.objects.filter(action="pii.read").exists()
    client.force_login(people["manager"])
    assert name in client.get(url(case)).content.decode()
    assert AuditEvent.objects.filter(action="pii.read", object_id=case.borrower_id).exists()


# ------------------------------------------------------------------------------------------------ the queue


def make_cases(n: int, owner: Any) -> None:
    """`n` open cases of `owner`, each with its borrower and a loan LQ{i} (searching by loan ID goes through the
    loan: the first case made with a given LQ{i} owns it)."""
    for i in range(n):
        borrower = BorrowerFactory()
        if not Loan.objects.filter(loan_id=f"LQ{i}").exists():
            LoanFactory(loan_id=f"LQ{i}", borrower=borrower)
        Case.objects.create(
            borrower=borrower, lender="A银行", opened_on=AS_OF, stage_since=AS_OF, as_of=AS_OF,
            loan_ids=[f"LQ{i}"], total_overdue=1000 * i, max_dpd=i, risk_score=i, risk_level="high",
            bucket="M1", assigned_to=owner,
        )  # fmt: skip


@pytest.mark.parametrize("who", ["c1", "lead", "manager"])
def test_the_queue_runs_a_fixed_number_of_queries(
    client: Any, people: dict[str, Any], who: str, django_assert_num_queries: Any
) -> None:
    client.force_login(people[who])
    make_cases(1, people["c1"])
    with CaptureQueriesContext(connection) as few:
        assert client.get("/cases/").status_code == 200
    # + the queues, segments and agencies the filters and the bulk bar offer, + the navigation's approvals badge
    assert len(few) <= 17
    make_cases(5, people["c1"])
    with django_assert_num_queries(len(few)):
        response = client.get("/cases/")
    assert response.content.decode().count("data-case=") == 6


def test_the_queue_puts_due_first_then_priority_then_amount(
    client: Any, people: dict[str, Any], monkeypatch: Any
) -> None:
    monkeypatch.setattr("arrears.cases.views.business_day", lambda: AS_OF)
    owner = people["c1"]
    make_cases(4, owner)  # overdue 0, 1000, 2000, 3000 fen
    zero, small, mid, big = Case.objects.order_by("total_overdue")
    Case.objects.filter(pk=zero.pk).update(  # due: first (the close or `_next_action` sets both)
        next_action_on=AS_OF - dt.timedelta(days=1), action_due=True
    )
    Case.objects.filter(pk=small.pk).update(
        status="contacting", stage_since=AS_OF - dt.timedelta(days=30), priority=900
    )  # breached, and the close ranked it highest
    # the same priority: the larger amount first
    Case.objects.filter(pk__in=[mid.pk, big.pk]).update(priority=500)
    client.force_login(owner)
    html = client.get("/cases/").content.decode()
    order = [int(pk) for pk in re.findall(r'data-case="(\d+)"', html)]
    assert order == [zero.pk, small.pk, big.pk, mid.pk]
    assert "row-breached" in html and "row-due" in html


def test_queue_filters_and_search(client: Any, case: Case, people: dict[str, Any]) -> None:
    client.force_login(people["manager"])
    make_cases(2, people["c2"])

    def shown(**params: str) -> int:
        return client.get("/cases/", params).content.decode().count("data-case=")

    assert shown() == 3
    assert shown(q="L001") == 1
    assert shown(q=case.borrower_id) == 1
    assert shown(q="LQ1") == 1
    assert shown(stage="new") == 3 and shown(stage="contacting") == 0
    assert shown(risk_level="high") >= 2
    assert shown(bucket="M1") >= 2
    assert shown(assigned_to="c2") == 2 + (case.assigned_to == people["c2"])
    partial = client.get("/cases/", {"q": "L001"}, headers={"HX-Request": "true"}).content.decode()
    assert 'id="case-results"' in partial and "<html" not in partial


def test_the_assigned_to_filter_is_for_leads_and_managers(
    client: Any, case: Case, people: dict[str, Any]
) -> None:
    owner, _ = owner_and_other(case, people)
    client.force_login(owner)
    assert 'name="assigned_to"' not in client.get("/cases/").content.decode()
    client.force_login(people["lead"])
    assert 'name="assigned_to"' in client.get("/cases/").content.decode()


def test_the_due_today_count(client: Any, case: Case, people: dict[str, Any]) -> None:
    owner, _ = owner_and_other(case, people)
    Task.objects.create(case=case, title="回访", due_on=AS_OF, assigned_to=owner, created_by=owner)
    Task.objects.create(case=case, title="以后", due_on=AS_OF + dt.timedelta(days=5), assigned_to=owner,
                        created_by=owner)  # fmt: skip
    client.force_login(owner)
    html = client.get("/cases/").content.decode()
    assert re.search(r'data-testid="due-today">\s*<span class="case-due-count">1</span>', html)


# ------------------------------------------------------------------------------------------------ the actions


def test_transition_note_task_and_done_through_the_page(
    client: Any, case: Case, people: dict[str, Any]
) -> None:
    owner, _ = owner_and_other(case, people)
    client.force_login(owner)
    page = client.get(url(case)).content.decode()
    assert 'value="contacting"' in page and 'value="legal"' not in page  # only allowed next stages
    assert 'value="2026-04-18"' in page  # the follow-up defaults to the business date + 3

    response = client.post(url(case, "transition/"), {"target": "contacting", "reason": ""})
    assert response.status_code == 302 and response["Location"] == url(case)
    case.refresh_from_db()
    assert case.status == "contacting"

    assert client.post(url(case, "notes/"), {"text": "借款人承诺周五还款"}).status_code == 302
    assert client.post(url(case, "tasks/"), {"title": "周五回访", "due_on": "2026-04-17"}).status_code == 302
    html = client.get(url(case)).content.decode()
    assert "借款人承诺周五还款" in html and "周五回访" in html and "2026-04-17" in html
    task = Task.objects.get()
    case.refresh_from_db()
    assert case.next_action_on == dt.date(2026, 4, 17)

    assert client.post(url(case, f"tasks/{task.pk}/done/")).status_code == 302
    task.refresh_from_db()
    assert task.done_at is not None
    actions = list(
        AuditEvent.objects.filter(object_type="Case", object_id=str(case.pk)).values_list("action", flat=True)
    )
    for action in ("case.transition", "case.note", "case.task", "case.task_done"):
        assert action in actions


def test_a_refused_action_keeps_the_input_and_shows_why(
    client: Any, case: Case, people: dict[str, Any]
) -> None:
    owner, _ = owner_and_other(case, people)
    client.force_login(owner)
    client.post(url(case, "transition/"), {"target": "contacting"})
    # contacting → escalated needs a reason
    response = client.post(url(case, "transition/"), {"target": "escalated", "reason": "  "})
    assert response.status_code == 400
    assert "alert-error" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "contacting"
    # a follow-up before the business date is refused; the title stays in the form
    response = client.post(url(case, "tasks/"), {"title": "补一个", "due_on": "2026-04-01"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="补一个"' in html and "alert-error" in html
    # a stage the collector may not reach is not a choice at all
    response = client.post(
        url(case, "transition/"), {"target": "closed", "closed_reason": "paid", "reason": "x"}
    )
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.status == "contacting"


def test_a_manager_closes_and_reassigns(client: Any, case: Case, people: dict[str, Any]) -> None:
    owner, other = owner_and_other(case, people)
    client.force_login(people["manager"])
    page = client.get(url(case)).content.decode()
    assert 'data-testid="reassign-form"' in page and 'name="closed_reason"' in page
    response = client.post(url(case, "reassign/"), {"username": other.username, "reason": "调整负载"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.assigned_to == other
    response = client.post(
        url(case, "transition/"), {"target": "closed", "closed_reason": "settled", "reason": "和解"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.closed_reason) == ("closed", "settled")
    client.force_login(owner)
    assert 'data-testid="reassign-form"' not in client.get("/cases/").content.decode()


def test_a_collector_cannot_reassign(client: Any, case: Case, people: dict[str, Any]) -> None:
    owner, other = owner_and_other(case, people)
    client.force_login(owner)
    assert 'data-testid="reassign-form"' not in client.get(url(case)).content.decode()
    response = client.post(url(case, "reassign/"), {"username": other.username, "reason": "想换"})
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.assigned_to == owner


# ------------------------------------------------------------------------------------------------ languages


def test_the_stage_label_in_chinese_and_english(client: Any, case: Case, people: dict[str, Any]) -> None:
    owner, _ = owner_and_other(case, people)
    client.force_login(owner)
    client.post(url(case, "transition/"), {"target": "contacting"})
    html = client.get(url(case)).content.decode()
    assert "联系中" in html and "Contacting" not in html
    client.post("/i18n/setlang/", {"language": "en", "next": url(case)})
    html = client.get(url(case)).content.decode()
    assert "Contacting" in html and "联系中" not in html
    assert "Stage changed" in html
    assert "Contacting" in client.get("/cases/").content.decode()


# ------------------------------------------------------------------------------------------------ in English


@pytest.fixture
def english(client: Any) -> Any:
    """Pages in English (the language cookie the switch sets) and the services' messages too."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def agency() -> Agency:
    return Agency.objects.create(name="华信律师事务所", kind=Agency.Kind.LAW_FIRM)


def queue_order(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-case="(\d+)"', html)]


# ------------------------------------------------------------------------------------------------ the workbench


def test_a_collector_lands_on_the_workbench_and_others_on_the_home_page(
    client: Any, people: dict[str, Any]
) -> None:
    client.force_login(people["c1"])
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/cases/workbench/"
    for who in ("lead", "manager"):
        client.force_login(people[who])
        response = client.get("/")
        assert response.status_code == 200
        assert 'href="/cases/workbench/"' in response.content.decode()


def test_the_workbench_orders_and_counts_the_collectors_day(
    client: Any, people: dict[str, Any], monkeypatch: Any, english: Any
) -> None:
    monkeypatch.setattr("arrears.cases.views.business_day", lambda: AS_OF)
    owner = people["c1"]
    make_cases(4, owner)
    make_cases(2, people["c2"])  # not theirs
    zero, small, mid, big = Case.objects.filter(assigned_to=owner).order_by("total_overdue")
    Case.objects.filter(pk=mid.pk).update(priority=700)
    Case.objects.filter(pk=small.pk).update(status="contacting", stage_since=AS_OF - dt.timedelta(days=30))
    services.add_task(Case.objects.get(pk=zero.pk), "Call back", AS_OF, actor=owner)  # due today: first
    Task.objects.create(case=big, title="Old promise", due_on=AS_OF, assigned_to=owner, created_by=owner,
                        channel="call")  # fmt: skip
    Case.objects.filter(pk=big.pk).update(next_action_on=AS_OF - dt.timedelta(days=2), action_due=True)
    Task.objects.create(case=mid, title="Later", due_on=AS_OF + dt.timedelta(days=3), assigned_to=owner,
                        created_by=owner)  # fmt: skip
    client.force_login(owner)
    html = client.get("/cases/workbench/").content.decode()
    assert queue_order(html) == [big.pk, zero.pk, mid.pk, small.pk]  # due (the larger first), then priority
    assert re.search(r'data-testid="count-open">.*?<span class="stat-value">4</span>', html, re.S)
    assert re.search(r'data-testid="count-due">.*?<span class="stat-value">2</span>', html, re.S)
    assert re.search(r'data-testid="count-breached">.*?<span class="stat-value">1</span>', html, re.S)
    assert "2026-04-15" in html and "Today's queue" in html
    due = html[html.index('data-testid="due-tasks"') :]
    assert "Call back" in due and "Old promise" in due and "Later" not in due
    assert f'href="/cases/{big.pk}/"' in due
    assert "workload" not in html  # a collector sees no team workload
    borrower = Case.objects.get(pk=big.pk).borrower.name
    assert borrower not in html and f"{borrower[0]}{'*' * (len(borrower) - 1)}" in html  # masked
    assert "data-keynav" in html and 'data-shortcut="/"' in html


def test_a_team_lead_sees_the_teams_workload_and_queues(
    client: Any, people: dict[str, Any], monkeypatch: Any, english: Any
) -> None:
    monkeypatch.setattr("arrears.cases.views.business_day", lambda: AS_OF)
    make_cases(3, people["c1"])
    make_cases(1, people["c2"])
    people["c1"].max_open_cases = 3
    people["c1"].save()
    first = Case.objects.filter(assigned_to=people["c1"]).order_by("pk").first()
    assert first is not None
    Case.objects.filter(pk=first.pk).update(status="contacting", stage_since=AS_OF - dt.timedelta(days=30))
    Task.objects.create(
        case=first, title="x", due_on=AS_OF, assigned_to=people["c1"], created_by=people["c1"]
    )
    Queue.objects.create(name="Large", team=people["lead"].team, conditions=[
        {"field": "overdue", "op": "ge", "value": "10.00"}])  # fmt: skip
    Queue.objects.create(name="Everyone's M1", conditions=[{"field": "bucket", "op": "eq", "value": "M1"}])
    Queue.objects.create(name="Other team", team=TeamFactory(name="三组"))
    client.force_login(people["lead"])
    html = client.get("/cases/workbench/").content.decode()
    workload = html[html.index('data-testid="workload"') :]
    c1 = workload[workload.index('data-collector="c1"') :]
    assert re.search(r'workload-open">3<.*?workload-due">1<.*?workload-breached"><span class="badge badge-sla">1<',
                     c1, re.S)  # fmt: skip
    assert "3 / 3" in c1 and "full" in c1
    assert 'data-collector="c2"' in workload and 'data-collector="elsewhere"' not in workload
    queues = html[html.index('data-testid="queues"') :]
    assert "Large" in queues and "Everyone&#x27;s M1" in queues and "Other team" not in queues
    large = Queue.objects.get(name="Large")
    assert re.search(rf'data-queue="{large.pk}">.*?<td class="num">2</td>', queues, re.S)  # 1000 fen and up
    client.force_login(people["manager"])
    html = client.get("/cases/workbench/").content.decode()
    assert 'data-collector="elsewhere"' in html and "Other team" in html


@pytest.mark.parametrize("who", ["c1", "lead", "manager"])
def test_the_workbench_runs_a_fixed_number_of_queries(
    client: Any, people: dict[str, Any], who: str, django_assert_num_queries: Any
) -> None:
    client.force_login(people[who])
    make_cases(1, people["c1"])
    Queue.objects.create(name="All")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/cases/workbench/").status_code == 200
    assert len(few) <= 18  # incl. the navigation's approvals badge for those who decide
    make_cases(8, people["c1"])
    make_cases(3, people["c2"])
    for case in Case.objects.all():
        Task.objects.create(case=case, title="t", due_on=AS_OF - dt.timedelta(days=400), assigned_to=people[who],
                            created_by=people["c1"], channel="sms")  # fmt: skip
    Queue.objects.create(name="M1", conditions=[{"field": "bucket", "op": "eq", "value": "M1"}])
    Queue.objects.create(name="Team", team=people["lead"].team)
    UserFactory(username="c3", role="collector", team=people["lead"].team, max_open_cases=10)
    cache.clear()  # a lead's or manager's figures are kept a minute: count the queries of a fresh render
    with django_assert_num_queries(len(few)):
        html = client.get("/cases/workbench/").content.decode()
    assert html.count("data-case=") == (12 if who != "c1" else 9)


# ------------------------------------------------------------------------------------------------ queue filters


def test_the_queue_filter_applies_the_queues_conditions_and_segments(
    client: Any, people: dict[str, Any], english: Any
) -> None:
    make_cases(4, people["c1"])  # dpd 0..3, overdue 0, 10.00, 20.00, 30.00 yuan
    cases = list(Case.objects.order_by("max_dpd"))
    Case.objects.filter(pk=cases[3].pk).update(outstanding=5_000_000, product_type="credit_card")
    segment = strategy_services.save_segment("late", [{"field": "dpd", "op": "ge", "value": 2}])
    Case.objects.filter(pk__in=[cases[2].pk, cases[3].pk]).update(segment=segment)
    province = cases[1].borrower.province

    def shown(
        conditions: list[dict[str, Any]], segments: list[Any] | None = None, **params: str
    ) -> list[int]:
        queue = Queue.objects.create(name=f"q{Queue.objects.count()}", conditions=conditions)
        queue.segments.set(segments or [])
        html = client.get("/cases/", {"queue": str(queue.pk), **params}).content.decode()
        return sorted(queue_order(html))

    client.force_login(people["manager"])
    ids = [c.pk for c in cases]
    assert shown([]) == ids
    assert shown([{"field": "dpd", "op": "ge", "value": 2}]) == ids[2:]
    assert shown([{"field": "overdue", "op": "gt", "value": "15.00"}]) == ids[2:]  # yuan → fen
    assert shown([{"field": "balance", "op": "ge", "value": "50000"}]) == ids[3:]
    assert shown([{"field": "product", "op": "in", "value": ["credit_card"]}]) == ids[3:]
    assert shown([{"field": "product", "op": "ne", "value": "credit_card"}]) == ids[:3]
    assert shown([{"field": "risk_score", "op": "not_in", "value": [0, 1]}]) == ids[2:]
    assert shown([{"field": "province", "op": "eq", "value": province}]) == sorted(
        c.pk for c in cases if c.borrower.province == province
    )
    assert shown([{"field": "contactability", "op": "ge", "value": 9}]) == ids  # not a column: ignored
    assert shown([{"field": "dps", "op": "gt", "value": 1}]) == []  # not valid: holds nothing
    assert shown([], [segment]) == ids[2:]
    assert shown([{"field": "dpd", "op": "le", "value": 2}], [segment]) == ids[2:3]
    assert shown([], [segment], segment=str(segment.pk)) == ids[2:]
    assert (
        sorted(queue_order(client.get("/cases/", {"segment": str(segment.pk)}).content.decode())) == ids[2:]
    )
    # a collector of another team cannot pick a team's queue (the filter is ignored)
    other = Queue.objects.create(name="theirs", team=TeamFactory(name="三组"), conditions=[
        {"field": "dpd", "op": "ge", "value": 3}])  # fmt: skip
    client.force_login(people["c1"])
    html = client.get("/cases/", {"queue": str(other.pk)}).content.decode()
    assert len(queue_order(html)) == 4 and "theirs" not in html


# ------------------------------------------------------------------------------------------------ bulk actions


def test_bulk_reassign_through_the_page(client: Any, people: dict[str, Any], english: Any) -> None:
    make_cases(4, people["c1"])
    ids = list(Case.objects.order_by("pk").values_list("pk", flat=True))
    client.force_login(people["lead"])
    page = client.get("/cases/", {"stage": "new"}).content.decode()
    assert 'data-testid="bulk-form"' in page and 'name="cases"' in page
    assert 'value="place"' not in page  # a team lead does not place cases with agencies
    back = "/cases/?stage=new"
    data = {"action": "reassign", "cases": ids[:3], "collectors": ["c2"], "reason": "", "next": back}
    response = client.post("/cases/bulk/", data, follow=True)
    assert "Give a reason for the reassignment." in response.content.decode()
    assert Case.objects.filter(assigned_to=people["c1"]).count() == 4
    response = client.post("/cases/bulk/", {**data, "reason": "c1 is on leave"})
    assert response.status_code == 302 and response["Location"] == back
    assert set(Case.objects.filter(assigned_to=people["c2"]).values_list("pk", flat=True)) == set(ids[:3])
    events = AuditEvent.objects.filter(action="case.assigned", note="c1 is on leave")
    assert events.count() == 3
    html = client.get(back).content.decode()
    assert "3 cases reassigned to 孙丽." in html
    # spread over two collectors, least loaded first
    client.post("/cases/bulk/", {**data, "cases": ids, "collectors": ["c1", "c2"], "reason": "balance"})
    assert Case.objects.filter(assigned_to=people["c1"]).count() == 2
    # a case the lead cannot see is ignored; an off-site "next" goes back to the queue
    hidden = BorrowerFactory()
    theirs = Case.objects.create(borrower=hidden, lender="B小贷", opened_on=AS_OF, stage_since=AS_OF, as_of=AS_OF,
                                 assigned_to=people["outsider"])  # fmt: skip
    response = client.post(
        "/cases/bulk/", {**data, "cases": [theirs.pk], "reason": "x", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/cases/"
    theirs.refresh_from_db()
    assert theirs.assigned_to == people["outsider"]
    # a collector may not
    client.force_login(people["c1"])
    assert 'data-testid="bulk-form"' not in client.get("/cases/").content.decode()
    assert client.post("/cases/bulk/", {**data, "reason": "x"}).status_code == 403


def test_place_and_recall_through_the_queue_and_the_agency_user_sees_only_the_placed_case(
    client: Any, people: dict[str, Any], agency: Agency, english: Any
) -> None:
    make_cases(3, people["c1"])
    placed, kept, _third = Case.objects.order_by("pk")
    lawyer = UserFactory(username="lawyer", role="collector", agency=agency)
    client.force_login(people["manager"])
    response = client.post(
        "/cases/bulk/",
        {"action": "place", "cases": [placed.pk], "agency": str(agency.pk), "reason": "M3+ to lawyers"},
        follow=True,
    )
    html = response.content.decode()
    assert "1 case placed with 华信律师事务所." in html
    assert "placed with 华信律师事务所" in html and 'data-testid="placed-with"' in html
    placed.refresh_from_db()
    assert placed.placed_with == agency and placed.assigned_to is None
    assert Placement.objects.get().reason == "M3+ to lawyers"

    client.force_login(lawyer)
    assert queue_order(client.get("/cases/").content.decode()) == [placed.pk]
    assert queue_order(client.get("/cases/workbench/").content.decode()) == [placed.pk]
    assert client.get(url(placed)).status_code == 200
    assert client.get(url(kept)).status_code == 404
    assert client.post(url(kept, "calls/"), {"outcome": "answered"}).status_code == 404

    client.force_login(people["manager"])
    response = client.post(
        "/cases/bulk/", {"action": "recall", "cases": [placed.pk], "reason": ""}, follow=True
    )
    assert "Give a reason for the recall." in response.content.decode()
    client.post("/cases/bulk/", {"action": "recall", "cases": [placed.pk], "reason": "contract ended"})
    placed.refresh_from_db()
    assert placed.placed_with is None and placed.assigned_to is not None
    client.force_login(lawyer)
    assert queue_order(client.get("/cases/").content.decode()) == []
    assert client.get(url(placed)).status_code == 404


# ------------------------------------------------------------------------------------------------ the case view


def test_log_a_call_and_propose_an_escalation_through_the_page(
    client: Any, case: Case, people: dict[str, Any], english: Any
) -> None:
    owner, _ = owner_and_other(case, people)
    client.force_login(owner)
    page = client.get(url(case)).content.decode()
    assert 'data-testid="call-form"' in page and 'data-shortcut="c"' in page
    assert 'value="promise_to_pay"' in page and "Promise to pay" in page
    assert set(CALL_OUTCOME_LABELS) == set(services.CALL_OUTCOMES)

    # the call log is the contact app's now (contact.views.log_call; this address delegates): the number is
    # posted as its index among the case's addresses (0: the debtor's phone), never as the number itself
    response = client.post(url(case, "calls/"), {"outcome": "nonsense", "number": "0"})
    assert response.status_code == 400
    response = client.post(
        url(case, "calls/"), {"outcome": "promise_to_pay", "number": "0", "note": "pays Friday"}
    )
    assert response.status_code == 302 and response["Location"] == url(case)
    assert "Call logged: Promise to pay." in client.get(url(case)).content.decode()
    case.refresh_from_db()
    assert case.status == lifecycle.CONTACTING and case.last_contact_on == case.as_of

    response = client.post(url(case, "escalation/"), {"reason": "  "})
    assert response.status_code == 400 and "alert-error" in response.content.decode()
    response = client.post(url(case, "escalation/"), {"reason": "refuses; has a car"})
    assert response.status_code == 302
    task = Task.objects.get(escalation=lifecycle.ESCALATED)
    assert task.assigned_to == people["lead"] and task.due_on == case.as_of

    html = client.get(url(case)).content.decode()
    timeline = html[html.index('data-testid="timeline"') :]
    # one event for the call: the contact (channel · party · outcome) with the call's note
    assert (
        "Contact" in timeline and "Call · Debtor · Promise to pay" in timeline and "pays Friday" in timeline
    )
    assert "Call logged" not in timeline
    assert "Escalation proposed" in timeline and "refuses; has a car" in timeline
    assert f"to {people['lead']}" in timeline
    assert 'data-testid="last-contact">2026-04-15<' in html


def test_the_strategy_block_and_the_new_timeline_events(
    client: Any, people: dict[str, Any], agency: Agency, english: Any
) -> None:
    strategy_services.import_strategy(
        {
            "paths": [{"name": "firm", "steps": [{"channel": "sms", "template": "reminder_1"},
                                                 {"channel": "call", "wait_days": 2}]}],
            "segments": [{"name": "all", "priority": 1, "conditions": [],
                          "arms": [{"path": "firm", "percent": 100, "champion": True}]}],
        }
    )  # fmt: skip
    loan_with_details(loan_id="L001", lender="A银行")
    runner.close([AS_OF])
    case = Case.objects.get()
    client.force_login(people["manager"])
    html = client.get(url(case)).content.decode()
    assert 'data-testid="strategy-segment">all<' in html and 'data-testid="strategy-path">firm<' in html
    assert re.search(r'data-testid="strategy-step">\s*Step 2 of 2:\s*Call', html)
    assert 'data-testid="last-contact">never<' in html
    timeline = html[html.index('data-testid="timeline"') :]
    assert "Segment and path" in timeline and "all → firm" in timeline
    assert "Treatment step" in timeline and "SMS: reminder_1" in timeline

    assert 'data-testid="place-form"' in html and 'data-testid="recall-form"' not in html
    response = client.post(url(case, "place/"), {"agency": str(agency.pk), "reason": "legal"})
    assert response.status_code == 302
    html = client.get(url(case)).content.decode()
    assert 'data-testid="placement">华信律师事务所' in html and 'data-testid="recall-form"' in html
    assert client.post(url(case, "recall/"), {"reason": ""}).status_code == 400
    assert client.post(url(case, "recall/"), {"reason": "back in-house"}).status_code == 302
    html = client.get(url(case)).content.decode()
    timeline = html[
        html.index('data-testid="timeline"') : html.index("</ol>", html.index('data-testid="timeline"'))
    ]
    assert "Placed with agency" in timeline and "Recalled from agency" in timeline
    assert timeline.count("华信律师事务所") == 2

    # a team lead (no PLACE_CASES) gets no placement forms, and a post is refused
    client.force_login(people["lead"])
    html = client.get(url(case)).content.decode()
    assert 'data-testid="place-form"' not in html
    assert client.post(url(case, "place/"), {"agency": str(agency.pk)}).status_code == 400
    case.refresh_from_db()
    assert case.placed_with is None


def test_a_promise_to_pay_through_the_page(
    client: Any, case: Case, people: dict[str, Any], english: Any
) -> None:
    owner, other = owner_and_other(case, people)
    due = case.as_of + dt.timedelta(days=5)
    client.force_login(other)
    assert (
        client.post(url(case, "promises/"), {"amount": "1000", "due_on": due.isoformat()}).status_code == 404
    )
    client.force_login(owner)
    past = client.post(url(case, "promises/"), {"amount": "1000", "due_on": "2026-01-01"})
    assert past.status_code == 400 and "before the business date" in past.content.decode()
    response = client.post(url(case, "promises/"), {"amount": "1000.50", "due_on": due.isoformat()})
    assert response.status_code == 302
    page = client.get(url(case)).content.decode()
    promises = page[page.index('data-testid="open-promises"') :]
    assert due.isoformat() in promises and "1,000.50" in promises
    case.refresh_from_db()
    assert case.status == lifecycle.NEGOTIATING
