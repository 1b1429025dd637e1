"""Case pages (issue 5): the queue and the case view, visibility (an invisible case is a 404 for the page and for
every action), the quick actions through the services, a fixed number of queries for the queue, both languages."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from arrears.audit.models import AuditEvent
from arrears.batch import runner
from arrears.cases import lifecycle
from arrears.cases.models import Case, Note, Task
from tests.factories import BorrowerFactory, TeamFactory, UserFactory, loan_with_details

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
        posts = {
            "transition/": {"target": "contacting"},
            "notes/": {"text": "偷看"},
            "tasks/": {"title": "偷看", "due_on": "2026-04-20"},
            f"tasks/{task.pk}/done/": {},
            "reassign/": {"username": user.username, "reason": "x"},
        }
        for action, data in posts.items():
            assert client.post(url(case, action), data).status_code == 404, action
    assert client.get("/cases/999999/").status_code == 404
    case.refresh_from_db()
    assert case.status == lifecycle.NEW and not Note.objects.exists()
    assert Task.objects.get().done_at is None


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
    for i in range(n):
        borrower = BorrowerFactory()
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
    assert len(few) <= 12
    make_cases(5, people["c1"])
    with django_assert_num_queries(len(few)):
        response = client.get("/cases/")
    assert response.content.decode().count("data-case=") == 6


def test_the_queue_puts_breached_then_due_then_riskiest_first(
    client: Any, people: dict[str, Any], monkeypatch: Any
) -> None:
    monkeypatch.setattr("arrears.cases.views.business_day", lambda: AS_OF)
    owner = people["c1"]
    make_cases(3, owner)  # risk 0, 1, 2
    low, mid, high = Case.objects.order_by("risk_score")
    Case.objects.filter(pk=low.pk).update(next_action_on=AS_OF - dt.timedelta(days=1))  # due
    Case.objects.filter(pk=mid.pk).update(status="contacting", stage_since=AS_OF - dt.timedelta(days=30))
    client.force_login(owner)
    html = client.get("/cases/").content.decode()
    order = [int(pk) for pk in re.findall(r'data-case="(\d+)"', html)]
    assert order == [mid.pk, low.pk, high.pk]
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
