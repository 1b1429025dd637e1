"""Negotiation pages and API (issue 7): the case view's negotiation card (forms, live check, plan preview), the
approval queue (a request above the requester's authority waits in a manager's queue and is never approvable by the
requester), a plan's page (signing uploads the copy into the evidence log and activates the plan), the dashboard
and its CSV; each for the roles allowed and 403/404 for the others; refusals shown inline with nothing changed."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation

from arrears.batch import runner
from arrears.cases.models import Case
from arrears.delinquency.models import LoanStatus
from arrears.negotiation import plans
from arrears.negotiation import services as nego
from arrears.negotiation.models import Concession, RepaymentPlan
from tests.factories import TeamFactory, UserFactory, loan_with_details

AS_OF = dt.date(2026, 4, 15)
pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def english(client: Any) -> Any:
    """Pages in English (Chinese is the default whatever the browser says)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def world() -> dict[str, Any]:
    from arrears.accounts.models import Agency

    team = TeamFactory(name="一组", lenders=["A银行"])
    people = {
        "c1": UserFactory(username="c1", display_name="赵敏", role="collector", team=team),
        "c2": UserFactory(username="c2", display_name="孙丽", role="collector", team=team),
        "lead": UserFactory(username="lead", role="team_lead", team=team),
        "manager": UserFactory(username="boss", role="manager"),
        "compliance": UserFactory(username="comp", role="compliance"),
        "outsider": UserFactory(
            username="far", role="collector", team=TeamFactory(name="二组", lenders=["B小贷"])
        ),
    }
    agent = UserFactory(username="agent", role="collector")
    agent.agency = Agency.objects.create(name="外包", kind=Agency.Kind.AGENCY)
    agent.save(update_fields=["agency"])
    people["agent"] = agent
    loan_with_details(loan_id="L001", lender="A银行")
    runner.close([AS_OF])
    case = Case.objects.get()
    Case.objects.filter(pk=case.pk).update(assigned_to=people["c1"])
    case.refresh_from_db()
    return people | {"case": case, "status": LoanStatus.objects.get(loan_id="L001")}


def waiver_data(**overrides: str) -> dict[str, str]:
    return {
        "waiver-loan": "L001",
        "waiver-penalty": "",
        "waiver-interest": "",
        "waiver-fee": "",
        "waiver-principal": "",
        "waiver-reason": "hardship",
        "waiver-note": "lost his job in March",
    } | overrides


def plan_data(**overrides: str) -> dict[str, str]:
    return {
        "plan-loan": "L001",
        "plan-scope": "overdue",
        "plan-installments": "3",
        "plan-rate": "0",
        "plan-down_payment": "",
        "plan-first_due": "2026-05-10",
        "plan-reason": "hardship",
        "plan-note": "new job from May",
    } | overrides


def overdue(world: dict[str, Any]) -> int:
    s = world["status"]
    return s.overdue_principal + s.overdue_interest + s.overdue_fees + s.penalty_interest


# ------------------------------------------------------------------------------------------------ the case view


def test_the_case_view_shows_what_is_owed_the_authority_and_the_forms(
    client: Any, world: dict[str, Any]
) -> None:
    client.force_login(world["c1"])
    page = client.get(f"/cases/{world['case'].pk}/").content.decode()
    for testid in (
        "negotiation",
        "nego-owing",
        "nego-authority",
        "waiver-form",
        "settlement-form",
        "plan-form",
    ):
        assert f'data-testid="{testid}"' in page, testid
    owing = page[page.index('data-testid="nego-owing"') :]
    s = world["status"]
    assert "L001" in owing and f"{s.outstanding_principal / 100:,.2f}" in owing
    # a collector's own limit: 30 % of penalty interest, at most 2,000 yuan; nothing else
    assert "30.00%" in page and "2,000.00" in page
    assert "not yours: goes to approval" in page


def test_a_waiver_above_authority_waits_in_a_managers_queue(client: Any, world: dict[str, Any]) -> None:
    case = world["case"]
    client.force_login(world["c1"])
    # the live check says where it goes before anything is written
    check = client.post(
        f"/negotiation/cases/{case.pk}/check/waiver/", waiver_data(**{"waiver-interest": "10"}), **HTMX
    )
    assert check.status_code == 200 and "it goes to the approval queue" in check.content.decode()
    assert not Concession.objects.exists()

    response = client.post(f"/negotiation/cases/{case.pk}/waiver/", waiver_data(**{"waiver-interest": "10"}))
    assert response.status_code == 302 and response["Location"].endswith("#case-negotiation")
    request = Concession.objects.get()
    assert (request.kind, request.status, request.interest) == ("waiver", "pending", 1000)

    # the requester sees it in the queue, never approvable
    mine = client.get("/negotiation/approvals/").content.decode()
    assert f'data-request="{request.pk}"' in mine
    assert 'data-testid="approve"' not in mine and 'data-testid="reject"' not in mine
    assert "Your own request" in mine
    # a posted decision by the requester is refused by the service (nothing changes)
    client.post(f"/negotiation/requests/{request.pk}/decide/", {"decision": "approve"})
    request.refresh_from_db()
    assert request.status == "pending" and not request.approvals.exists()

    # a team lead may approve 20 % of interest: 10 yuan of the loan's overdue interest may be within or not;
    # the manager may approve it
    assert 'data-testid="nav-badge"' not in mine  # the requester has nothing to decide
    client.force_login(world["manager"])
    queue = client.get("/negotiation/approvals/").content.decode()
    assert re.search(r'data-testid="nav-badge"[^>]*>1<', queue)  # one request waits for a decision
    card = queue[queue.index(f'data-request="{request.pk}"') :]
    assert 'data-testid="approve"' in card and "10.00" in card and "lost his job in March" in card
    decided = client.post(
        f"/negotiation/requests/{request.pk}/decide/", {"decision": "approve", "note": ""}, **HTMX
    )
    assert decided.status_code == 200 and 'data-testid="decision-done"' in decided.content.decode()
    request.refresh_from_db()
    assert request.status == "posted"
    after = client.get("/negotiation/approvals/").content.decode()
    assert f'data-request="{request.pk}"' not in after and 'data-testid="nav-badge"' not in after


def test_a_waiver_within_authority_posts_at_once(client: Any, world: dict[str, Any]) -> None:
    penalty = world["status"].penalty_interest
    assert penalty > 100
    client.force_login(world["c1"])
    response = client.post(
        f"/negotiation/cases/{world['case'].pk}/waiver/", waiver_data(**{"waiver-penalty": "0.01"})
    )
    assert response.status_code == 302
    assert Concession.objects.get().status == "posted"


def test_a_refused_request_is_shown_inline_and_changes_nothing(client: Any, world: dict[str, Any]) -> None:
    case = world["case"]
    client.force_login(world["c1"])
    too_much = f"{world['status'].penalty_interest / 100 + 1:.2f}"
    response = client.post(
        f"/negotiation/cases/{case.pk}/waiver/", waiver_data(**{"waiver-penalty": too_much})
    )
    assert response.status_code == 400
    page = response.content.decode()
    form = page[page.index('data-testid="waiver-form"') :]
    assert 'data-testid="form-error"' in form and "is more than the" in form
    assert f'value="{too_much}"' in form  # the input is kept
    assert not Concession.objects.exists()
    # yuan are parsed exactly: three decimals are an error, not rounded
    response = client.post(
        f"/negotiation/cases/{case.pk}/waiver/", waiver_data(**{"waiver-penalty": "1.005"})
    )
    assert response.status_code == 400 and "at most two decimals" in response.content.decode()
    assert not Concession.objects.exists()


def test_a_settlement_check_shows_the_discount_and_its_split(client: Any, world: dict[str, Any]) -> None:
    case = world["case"]
    owed = sum(nego.outstanding_of("L001").values())
    client.force_login(world["c1"])
    amount = owed - 5_000  # 50 yuan off: penalty interest first
    data = {"settlement-loan": "L001", "settlement-settle_amount": f"{amount // 100}.{amount % 100:02d}",
            "settlement-settle_by": "2026-04-30", "settlement-reason": "settlement", "settlement-note": "one-off"}  # fmt: skip
    check = client.post(f"/negotiation/cases/{case.pk}/check/settlement/", data, **HTMX).content.decode()
    assert 'data-testid="settlement-discount"' in check and "50.00" in check
    assert client.post(f"/negotiation/cases/{case.pk}/settlement/", data).status_code == 302
    settlement = Concession.objects.get()
    assert (
        settlement.kind == "settlement" and settlement.settle_amount == amount and settlement.total == 5_000
    )
    # within a collector's authority: approved at once, its agreement to sign and the signed copy to upload
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="settlement-sign-form"' in page and 'data-testid="agreement-link"' in page
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("settlement.pdf", b"%PDF-1.4 signed", content_type="application/pdf")
    assert (
        client.post(f"/negotiation/requests/{settlement.pk}/sign/", {"signed_copy": upload}).status_code
        == 302
    )
    settlement.refresh_from_db()
    assert settlement.signed_copy is not None and settlement.signed_copy.files[0]["name"] == "settlement.pdf"
    assert 'data-testid="settlement-signed"' in client.get(f"/cases/{case.pk}/").content.decode()


def test_the_plan_preview_returns_the_schedule_of_plans_schedule(client: Any, world: dict[str, Any]) -> None:
    case = world["case"]
    owed = overdue(world)
    client.force_login(world["c1"])
    response = client.post(
        f"/negotiation/cases/{case.pk}/check/plan/",
        plan_data(**{"plan-rate": "3.65", "plan-down_payment": "100", "plan-installments": "4"}),
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    expected = plans.schedule(
        owed, 4, dt.date(2026, 5, 10), annual_rate=plans.Decimal("0.0365"), down_payment=10_000
    )
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td class=\"mono\">(.*?)</td>\s*<td class=\"num\">(.*?)</td>"
                      r"\s*<td class=\"num\">(.*?)</td>\s*<td class=\"num\">(.*?)</td>", html)  # fmt: skip
    assert [(d, p, i, t) for _no, d, p, i, t in rows] == [
        (
            r.due_date.isoformat(),
            f"{r.principal / 100:,.2f}",
            f"{r.interest / 100:,.2f}",
            f"{r.total / 100:,.2f}",
        )
        for r in expected
    ]
    total = sum(r.total for r in expected)
    assert f"{total / 100:,.2f}" in html[html.index('data-testid="schedule-total"') :]
    assert "it goes to the approval queue" in html  # a collector's plans always do
    assert not RepaymentPlan.objects.exists()
    # terms the policy refuses are explained, in the service's words
    bad = client.post(
        f"/negotiation/cases/{case.pk}/check/plan/", plan_data(**{"plan-first_due": "2026-04-15"}), **HTMX
    )
    assert "must fall after the business date" in bad.content.decode()


def test_a_plan_proposed_approved_and_signed_becomes_active(client: Any, world: dict[str, Any]) -> None:
    case = world["case"]
    client.force_login(world["c1"])
    assert client.post(f"/negotiation/cases/{case.pk}/plan/", plan_data()).status_code == 302
    plan = RepaymentPlan.objects.get()
    assert plan.status == "proposed" and plan.amount == overdue(world)
    # nothing to sign before it is approved
    assert client.get(f"/negotiation/requests/{plan.concession_id}/agreement.docx").status_code == 404

    client.force_login(world["lead"])
    queue = client.get("/negotiation/approvals/?kind=plan").content.decode()
    assert f'data-request="{plan.concession_id}"' in queue and 'data-testid="schedule"' in queue
    assert (
        client.get("/negotiation/approvals/?kind=waiver").content.decode().count('data-testid="approval"')
        == 0
    )
    # a rejection needs a note: refused inline, nothing changes
    refused = client.post(
        f"/negotiation/requests/{plan.concession_id}/decide/", {"decision": "reject"}, **HTMX
    )
    assert 'data-testid="decision-error"' in refused.content.decode()
    plan.refresh_from_db()
    assert plan.status == "proposed"
    client.post(f"/negotiation/requests/{plan.concession_id}/decide/", {"decision": "approve"})
    plan.refresh_from_db()
    assert plan.status == "approved"

    client.force_login(world["c1"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="sign-form"' in page and 'data-testid="agreement-link"' in page
    agreement = client.get(f"/negotiation/requests/{plan.concession_id}/agreement.docx")
    assert agreement.status_code == 200 and agreement.content[:2] == b"PK"  # a Word file (zip)
    from arrears.audit.models import AuditEvent

    assert AuditEvent.objects.filter(
        action="case.agreement_read", object_id=str(case.pk)
    ).exists()  # names in full
    assert agreement["Content-Disposition"].endswith('.docx"')
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("signed.pdf", b"%PDF-1.4 signed", content_type="application/pdf")
    response = client.post(f"/negotiation/plans/{plan.pk}/sign/", {"signed_copy": upload})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "active" and plan.signed_copy is not None
    detail = client.get(f"/negotiation/plans/{plan.pk}/").content.decode()
    assert plan.signed_copy.hash in detail and plan.signed_copy.files[0]["sha256"] in detail
    assert "Active" in detail


def test_withdrawing_and_recomputing(client: Any, world: dict[str, Any]) -> None:
    case = world["case"]
    client.force_login(world["c1"])
    client.post(f"/negotiation/cases/{case.pk}/plan/", plan_data())
    plan = RepaymentPlan.objects.get()
    response = client.post(f"/negotiation/plans/{plan.pk}/refresh/", {"next": f"/cases/{case.pk}/"})
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    response = client.post(f"/negotiation/requests/{plan.concession_id}/cancel/", {"reason": ""})
    plan.refresh_from_db()
    assert plan.status == "proposed"  # a reason is needed
    client.post(f"/negotiation/requests/{plan.concession_id}/cancel/", {"reason": "borrower paid in full instead",
                                                                        "next": "https://evil.example/"})  # fmt: skip
    plan.refresh_from_db()
    assert plan.status == "cancelled"


# ------------------------------------------------------------------------------------------------ who sees what


def test_each_page_for_the_right_roles(client: Any, world: dict[str, Any]) -> None:
    case = world["case"]
    plan = nego.propose_plan(case, "L001", installments=3, first_due=dt.date(2026, 5, 10), actor=world["c1"],
                             note="new job")  # fmt: skip
    expected = {
        "c1": {"approvals": 200, "dashboard": 403, "plan": 200},
        "lead": {"approvals": 200, "dashboard": 200, "plan": 200},
        "manager": {"approvals": 200, "dashboard": 200, "plan": 200},
        "compliance": {"approvals": 403, "dashboard": 200, "plan": 200},
        "outsider": {"approvals": 200, "dashboard": 403, "plan": 404},
        "agent": {"approvals": 403, "dashboard": 403, "plan": 404},
    }
    urls = {"approvals": "/negotiation/approvals/", "dashboard": "/negotiation/dashboard/",
            "plan": f"/negotiation/plans/{plan.pk}/"}  # fmt: skip
    for who, pages in expected.items():
        client.force_login(world[who])
        for name, status in pages.items():
            assert client.get(urls[name]).status_code == status, (who, name)
    # the outsider's queue does not list the request of a case they may not see
    client.force_login(world["outsider"])
    assert f'data-request="{plan.concession_id}"' not in client.get(urls["approvals"]).content.decode()
    client.logout()
    assert client.get(urls["approvals"]).status_code == 302


def test_actions_on_what_one_may_not_see_are_404(client: Any, world: dict[str, Any]) -> None:
    case = world["case"]
    plan = nego.propose_plan(case, "L001", installments=3, first_due=dt.date(2026, 5, 10), actor=world["c1"],
                             note="new job")  # fmt: skip
    client.force_login(world["outsider"])
    assert (
        client.post(
            f"/negotiation/cases/{case.pk}/waiver/", waiver_data(**{"waiver-penalty": "1"})
        ).status_code
        == 404
    )
    assert client.post(f"/negotiation/cases/{case.pk}/check/plan/", plan_data()).status_code == 404
    assert (
        client.post(
            f"/negotiation/requests/{plan.concession_id}/decide/", {"decision": "reject", "note": "x"}
        ).status_code
        == 404
    )
    assert (
        client.post(f"/negotiation/requests/{plan.concession_id}/cancel/", {"reason": "x"}).status_code == 404
    )
    assert client.post(f"/negotiation/plans/{plan.pk}/refresh/").status_code == 404
    assert client.get(f"/negotiation/requests/{plan.concession_id}/agreement.docx").status_code == 404
    assert Concession.objects.count() == 1 and Concession.objects.get().status == "pending"


def test_the_dashboard_and_its_csv(client: Any, world: dict[str, Any]) -> None:
    nego.request_waiver(world["case"], "L001", {"penalty": 1}, actor=world["c1"], note="goodwill")
    client.force_login(world["manager"])
    page = client.get("/negotiation/dashboard/")
    assert page.status_code == 200
    html = page.content.decode()
    # default period: the last 30 days up to the latest close
    assert 'value="2026-03-17"' in html and 'value="2026-04-15"' in html
    for chart in ("chart-ptp", "chart-kept-collector", "chart-kept-team", "chart-kept-bucket", "chart-plans",
                  "chart-waived-role", "chart-waived-reason"):  # fmt: skip
        assert f'data-chart="{chart}"' in html and f'id="{chart}"' in html, chart
    assert "vendor/echarts.min.js" in html and 'data-testid="waived-by-reason"' in html
    csv = client.get("/negotiation/dashboard.csv?start=2026-04-01&end=2026-04-15")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    text = csv.content.decode("utf-8-sig")
    assert "2026-04-01" in text and "waived" in text
    assert client.get("/negotiation/dashboard/?start=2026-04-15&end=2026-04-01").status_code == 200


# ------------------------------------------------------------------------------------------------ the API


def test_the_api(client: Any, world: dict[str, Any]) -> None:
    case = world["case"]
    client.force_login(world["c1"])
    created = client.post(f"/api/v1/negotiation/cases/{case.pk}/waivers",
                          {"loan_id": "L001", "interest": "10.00", "note": "hardship"}, content_type="application/json")  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "pending" and body["given_up"]["interest"] == "10.00"
    bad = client.post(f"/api/v1/negotiation/cases/{case.pk}/waivers",
                      {"loan_id": "L001", "interest": "10.001", "note": "x"}, content_type="application/json")  # fmt: skip
    assert bad.status_code == 400
    mine = client.post(f"/api/v1/negotiation/requests/{body['id']}/decision", {"approve": True},
                       content_type="application/json")  # fmt: skip
    assert mine.status_code == 403
    preview = client.post("/api/v1/negotiation/plans/preview", {"case_id": case.pk, "loan_id": "L001",
                          "installments": 3, "first_due": "2026-05-10"}, content_type="application/json")  # fmt: skip
    assert preview.status_code == 200
    owed = overdue(world)
    assert [r["principal"] for r in preview.json()["schedule"]] == [
        f"{p // 100}.{p % 100:02d}" for p in (owed // 3, owed // 3, owed - 2 * (owed // 3))
    ]
    plan = client.post(f"/api/v1/negotiation/cases/{case.pk}/plans", {"loan_id": "L001", "installments": 3,
                       "first_due": "2026-05-10", "note": "new job"}, content_type="application/json")  # fmt: skip
    assert plan.status_code == 201 and plan.json()["plan"]["status"] == "proposed"

    client.force_login(world["outsider"])
    assert client.get(f"/api/v1/negotiation/requests/{body['id']}").status_code == 404
    assert client.get("/api/v1/negotiation/requests").json()["count"] == 0

    client.force_login(world["manager"])
    listed = client.get("/api/v1/negotiation/requests?kind=waiver").json()
    assert [r["id"] for r in listed["requests"]] == [body["id"]]
    decided = client.post(f"/api/v1/negotiation/requests/{body['id']}/decision", {"approve": True},
                          content_type="application/json")  # fmt: skip
    assert decided.status_code == 200 and decided.json()["status"] == "posted"
    report = client.get("/api/v1/negotiation/report?start=2026-04-01&end=2026-04-15")
    assert report.status_code == 200 and report.json()["end"] == "2026-04-15"
    client.force_login(world["c1"])
    assert client.get("/api/v1/negotiation/report").status_code == 403


def test_the_queue_reads_a_fixed_number_of_queries(client: Any, world: dict[str, Any]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = world["case"]

    def queries() -> int:
        with CaptureQueriesContext(connection) as seen:
            assert client.get("/negotiation/approvals/").status_code == 200
        return len(seen)

    client.force_login(world["manager"])
    nego.request_waiver(case, "L001", {"interest": 100}, actor=world["c1"], note="one")
    one = queries()
    nego.request_waiver(case, "L001", {"interest": 200}, actor=world["c2"], note="two")
    nego.propose_plan(
        case, "L001", installments=3, first_due=dt.date(2026, 5, 10), actor=world["c1"], note="x"
    )
    assert queries() == one
