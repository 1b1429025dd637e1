"""The cases API: list and detail start from what the caller may see (another collector's case is a 404), and
transitions, assignment, notes and tasks go through the services with their errors mapped to HTTP."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from arrears.batch import runner
from arrears.cases.models import Case
from tests.factories import TeamFactory, UserFactory, loan_with_details

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 4, 15)


@pytest.fixture
def case() -> Case:
    team = TeamFactory(name="一组", lenders=["A银行"])
    UserFactory(username="c1", team=team)
    loan_with_details(loan_id="L001")
    runner.close([AS_OF])
    return Case.objects.get()


def test_list_and_detail_respect_visibility(client: Any, case: Case) -> None:
    other = UserFactory(username="c2", team=case.assigned_to.team)
    client.force_login(other)
    assert client.get("/api/v1/cases").json()["count"] == 0
    assert client.get(f"/api/v1/cases/{case.pk}").status_code == 404
    client.force_login(case.assigned_to)
    listed = client.get("/api/v1/cases").json()
    assert listed["count"] == 1 and listed["cases"][0]["loan_ids"] == ["L001"]
    detail = client.get(f"/api/v1/cases/{case.pk}").json()
    assert detail["allowed_transitions"] == ["contacting", "closed"]
    assert [e["action"] for e in detail["timeline"]] == ["case.opened", "case.assigned"]


def test_transition_note_task_and_assign_through_the_api(client: Any, case: Case) -> None:
    collector = case.assigned_to
    client.force_login(collector)
    url = f"/api/v1/cases/{case.pk}"
    bad = client.post(f"{url}/transition", {"to": "legal"}, content_type="application/json")
    assert bad.status_code == 400  # in the default language, with the stages it may go to
    assert bad.json()["message"] == "案件不能从 new 转到 legal；从 new 可转到：contacting, closed。"
    moved = client.post(f"{url}/transition", {"to": "contacting"}, content_type="application/json").json()
    assert moved["status"] == "contacting"
    noted = client.post(
        f"{url}/notes", {"text": "spoke to the spouse"}, content_type="application/json"
    ).json()
    assert noted["notes"][0]["text"] == "spoke to the spouse"
    due = (AS_OF + dt.timedelta(days=3)).isoformat()
    tasked = client.post(
        f"{url}/tasks", {"title": "call back", "due_on": due}, content_type="application/json"
    )
    assert (
        tasked.json()["next_action_on"] == due
        and tasked.json()["tasks"][0]["assigned_to"] == collector.username
    )
    early = client.post(
        f"{url}/tasks", {"title": "x", "due_on": "2026-01-01"}, content_type="application/json"
    )
    assert early.status_code == 400
    forbidden = client.post(
        f"{url}/assign", {"username": "c1", "reason": "r"}, content_type="application/json"
    )
    assert forbidden.status_code == 403
    lead = UserFactory(username="lead", role="team_lead", team=collector.team)
    other = UserFactory(username="c9", team=collector.team)
    client.force_login(lead)
    given = client.post(
        f"{url}/assign", {"username": "c9", "reason": "leave"}, content_type="application/json"
    )
    assert given.json()["assigned_to"] == "c9"
    client.force_login(other)
    assert client.get(url).status_code == 200


def test_call_outcomes_and_escalation_proposals(client: Any, case: Case) -> None:
    other = UserFactory(username="c2", team=case.assigned_to.team)
    client.force_login(other)
    url = f"/api/v1/cases/{case.pk}"
    assert (
        client.post(f"{url}/calls", {"outcome": "answered"}, content_type="application/json").status_code
        == 404
    )
    client.force_login(case.assigned_to)
    refused = client.post(f"{url}/calls", {"outcome": "maybe"}, content_type="application/json")
    assert refused.status_code == 400 and "maybe" in refused.json()["message"]
    done = client.post(f"{url}/calls", {"outcome": "promise_to_pay", "note": "Friday"},
                       content_type="application/json").json()  # fmt: skip
    assert (done["status"], done["last_contact_on"]) == ("contacting", AS_OF.isoformat())
    proposed = client.post(f"{url}/escalation", {"reason": "two broken promises"},
                           content_type="application/json").json()  # fmt: skip
    assert [t["escalation"] for t in proposed["tasks"]] == ["escalated"]


def test_bulk_reassign_place_and_recall(client: Any, case: Case) -> None:
    from arrears.accounts.models import Agency

    team = case.assigned_to.team
    UserFactory(username="c2", team=team)
    client.force_login(case.assigned_to)
    body = {"case_ids": [case.pk], "to": ["c2"], "reason": "holiday"}
    assert (
        client.post("/api/v1/cases/bulk/reassign", body, content_type="application/json").status_code == 403
    )
    client.force_login(UserFactory(username="boss", role="manager"))
    moved = client.post("/api/v1/cases/bulk/reassign", body, content_type="application/json")
    assert moved.json() == {"count": 1} and Case.objects.get().assigned_to.username == "c2"
    missing = client.post("/api/v1/cases/bulk/reassign", {**body, "case_ids": [case.pk, 999]},
                          content_type="application/json")  # fmt: skip
    assert missing.status_code == 404
    Agency.objects.create(name="外包一号")
    placed = client.post("/api/v1/cases/bulk/place", {"case_ids": [case.pk], "agency": "外包一号"},
                         content_type="application/json")  # fmt: skip
    assert (
        placed.json() == {"count": 1}
        and client.get(f"/api/v1/cases/{case.pk}").json()["placed_with"] == "外包一号"
    )
    recalled = client.post("/api/v1/cases/bulk/recall", {"case_ids": [case.pk], "reason": "contract ended"},
                           content_type="application/json")  # fmt: skip
    assert recalled.json() == {"count": 1}
    assert client.get(f"/api/v1/cases/{case.pk}").json()["placed_with"] is None
