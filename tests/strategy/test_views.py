"""The strategy pages (issue 5): who may see them, segments and paths in words, outcomes per arm, promoting a
challenger through the page (audited, only for who may manage the strategy), the simulation of a past date, and
a fixed number of queries for the overview."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from arrears.accounts.models import Agency
from arrears.audit.models import AuditEvent
from arrears.batch import runner
from arrears.strategy import services
from arrears.strategy.models import Arm, Segment
from tests.factories import TeamFactory, UserFactory, loan_with_details

EARLY = dt.date(2026, 3, 6)  # the sample loan is 29 days past due
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client: Any) -> Any:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def people(db: Any) -> dict[str, Any]:
    team = TeamFactory(name="一组", lenders=[])
    return {
        "collector": UserFactory(username="c1", role="collector", team=team),
        "lead": UserFactory(username="lead", role="team_lead", team=team),
        "manager": UserFactory(username="boss", role="manager"),
        "compliance": UserFactory(username="audit", role="compliance"),
        "lawyer": UserFactory(
            username="lawyer", role="manager", agency=Agency.objects.create(name="外部律所", kind="law_firm")
        ),
    }


@pytest.fixture
def strategy(db: Any) -> dict[str, Segment]:
    services.import_strategy(
        {
            "paths": [
                {"name": "gentle", "repeat": True, "steps": [{"channel": "sms", "template": "reminder_1"},
                                                              {"channel": "call", "wait_days": 2}]},
                {"name": "firm", "steps": [{"channel": "call"},
                                           {"channel": "visit", "wait_days": 7, "escalation": "escalated"}]},
            ],
            "segments": [
                {"name": "large", "priority": 10, "required_skills": ["legal"],
                 "conditions": [{"field": "overdue", "op": "ge", "value": "50000"},
                                {"field": "risk_level", "op": "in", "value": ["high", "critical"]}],
                 "arms": [{"path": "firm", "percent": 100, "champion": True}]},
                {"name": "early", "priority": 20, "conditions": [{"field": "dpd", "op": "le", "value": 60}],
                 "arms": [{"path": "gentle", "percent": 70, "champion": True}, {"path": "firm", "percent": 30}]},
            ],
        }
    )  # fmt: skip
    return {s.name: s for s in Segment.objects.all()}


def test_only_strategy_managers_and_portfolio_wide_roles_may_look(
    client: Any, people: dict[str, Any], strategy: dict[str, Segment]
) -> None:
    early = strategy["early"]
    pages = ["/strategy/", f"/strategy/segments/{early.pk}/", "/strategy/simulate/"]
    for who in ("collector", "lead", "lawyer"):
        client.force_login(people[who])
        for page in pages:
            assert client.get(page).status_code == 403, (who, page)
        assert 'href="/strategy/"' not in client.get("/settings/").content.decode()
    for who in ("manager", "compliance"):
        client.force_login(people[who])
        for page in pages:
            assert client.get(page).status_code == 200, (who, page)
        assert 'href="/strategy/"' in client.get("/settings/").content.decode()  # the navigation
    assert client.get("/strategy/segments/999999/").status_code == 404


def test_the_overview_shows_segments_and_paths_in_words(
    client: Any, people: dict[str, Any], strategy: dict[str, Segment]
) -> None:
    client.force_login(people["manager"])
    html = client.get("/strategy/").content.decode()
    segments = html[html.index('data-testid="segments"') : html.index('data-testid="paths"')]
    assert segments.index("large") < segments.index("early")  # by priority
    assert re.search(
        r"Total overdue<span class=\"strategy-op\">≥</span><strong>¥50,000.00</strong>", segments
    )
    assert re.search(r"Risk level<span class=\"strategy-op\">is one of</span><strong>High, Critical</strong>",
                     segments)  # fmt: skip
    assert re.search(r"Days past due<span class=\"strategy-op\">≤</span><strong>60</strong>", segments)
    assert '<span class="tag">legal</span>' in segments
    assert re.search(r"gentle · 70% · champion", segments) and re.search(r"firm · 30%\s*</span>", segments)
    paths = html[html.index('data-testid="paths"') :]
    assert 'SMS</strong> <span class="mono">reminder_1</span>' in paths
    assert "after 7 days" in paths and "propose Escalated" in paths and "repeats" in paths
    assert 'data-testid="simulate-form"' in html


def test_the_overview_runs_a_fixed_number_of_queries(
    client: Any, people: dict[str, Any], strategy: dict[str, Segment], django_assert_num_queries: Any
) -> None:
    client.force_login(people["manager"])
    with CaptureQueriesContext(connection) as few:
        assert client.get("/strategy/").status_code == 200
    assert len(few) <= 10
    path = services.save_path("extra", [{"channel": "letter"}])
    for n in range(5):
        segment = services.save_segment(f"s{n}", [{"field": "dpd", "op": "gt", "value": n}], priority=50 + n)
        services.set_arms(segment, [(path, 10_000, True)])
    with django_assert_num_queries(len(few)):
        client.get("/strategy/")


def test_outcomes_per_arm_and_promotion_through_the_page(
    client: Any, people: dict[str, Any], strategy: dict[str, Segment], monkeypatch: Any
) -> None:
    monkeypatch.setattr("arrears.cases.views.business_day", lambda: EARLY)
    early = strategy["early"]
    gentle = Arm.objects.get(segment=early, path__name="gentle").path
    firm = Arm.objects.get(segment=early, path__name="firm").path
    services.set_arms(
        early, [(gentle, 10_000, True), (firm, 0, False)]
    )  # the case's arm, whatever its id's hash
    loan_with_details(loan_id="L001")
    runner.close([EARLY])
    page = f"/strategy/segments/{early.pk}/"

    client.force_login(people["compliance"])  # may look, may not promote
    html = client.get(page).content.decode()
    assert 'data-testid="outcomes"' in html and 'data-testid="promote-form"' not in html
    assert client.post(f"{page}promote/", {"path": firm.pk, "reason": "x"}).status_code == 403

    client.force_login(people["manager"])
    html = client.get(page).content.decode()
    outcomes = html[html.index('data-testid="outcomes"') :]
    rows = {m.group(1): m.group(0) for m in re.finditer(r'<tr data-path="(\d+)">.*?</tr>', outcomes, re.S)}
    on_arm = [r for r in rows.values() if re.search(r'<td class="num">1</td>\s*<td class="num">1</td>', r)]
    assert len(on_arm) == 1 and "0.0%" in on_arm[0]  # the sample case, still on its arm, not cured
    assert "champion" in rows[str(Arm.objects.get(segment=early, champion=True).path_id)]
    assert html.count('data-testid="promote-form"') == 1 and f'value="{firm.pk}"' in html

    response = client.post(f"{page}promote/", {"path": firm.pk, "reason": ""})
    assert response.status_code == 400 and "Give a reason for the promotion." in response.content.decode()
    response = client.post(f"{page}promote/", {"path": firm.pk, "reason": "call-first cured more"})
    assert response.status_code == 302 and response["Location"] == page
    assert list(Arm.objects.filter(segment=early).values_list("path__name", "basis_points", "champion")) == [
        ("firm", 10_000, True)
    ]
    event = AuditEvent.objects.get(action="strategy.arms", note="call-first cured more")
    assert event.actor == people["manager"]
    html = client.get(page).content.decode()
    assert "firm is now the champion of early" in html
    assert "former arm" in html  # gentle still has the case's treatment to report
    assert 'data-testid="promote-form"' not in html
    other = strategy["large"].arms.get().path
    assert client.post(f"{page}promote/", {"path": other.pk + 999, "reason": "x"}).status_code == 404


def test_the_simulation_of_a_past_date(
    client: Any, people: dict[str, Any], strategy: dict[str, Segment]
) -> None:
    loan_with_details(loan_id="L001")
    loan_with_details(loan_id="L002")
    runner.close([EARLY])
    client.force_login(people["manager"])
    html = client.get("/strategy/simulate/").content.decode()
    assert 'data-testid="simulation"' not in html and 'value="2026-03-06"' in html  # the business date
    html = client.get("/strategy/simulate/", {"as_of": "2026-03-06"}).content.decode()
    table = html[html.index('data-testid="simulation"') :]
    assert 'data-testid="simulated-cases">' in html and "2 cases" in html
    assert re.search(r"<td>early</td>\s*<td>(gentle|firm)</td>", table)
    response = client.get("/strategy/simulate/", {"as_of": "2026-12-31"})
    assert response.status_code == 400 and "on or before the business date" in response.content.decode()
