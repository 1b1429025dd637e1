"""Negotiation in the browser (issue 7): a collector proposes a repayment plan after its live preview, the team
lead approves it in the approval queue, the collector uploads the signed copy and sees the plan active; a manager
opens the dashboard and its charts are drawn. Leaves var/screenshots/negotiation_*.png."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.browser.conftest import log_in
from tests.factories import PASSWORD, TeamFactory, UserFactory, loan_with_details

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


@pytest.fixture
def a_case(transactional_db: Any) -> int:
    from arrears.batch.runner import close
    from arrears.cases.models import Case

    team = TeamFactory(name="A银行催收一组", lenders=["A银行"])
    UserFactory(username="zhaomin", display_name="赵敏", role="collector", team=team)
    UserFactory(username="sunlead", display_name="孙组长", role="team_lead", team=team)
    UserFactory(username="qian", display_name="钱经理", role="manager")
    loan_with_details(loan_id="L20260001", lender="A银行")
    close([dt.date(2026, 4, 15)], workers=1)
    case = Case.objects.get()
    assert case.assigned_to is not None and case.assigned_to.username == "zhaomin"
    return case.pk


def test_a_plan_from_preview_to_signed(a_case: int, new_page: Any, screenshot: Any, tmp_path: Any) -> None:
    from playwright.sync_api import expect

    from arrears.negotiation.models import RepaymentPlan

    collector = new_page()
    log_in(collector, "zhaomin", PASSWORD)
    collector.goto(f"/cases/{a_case}/")
    card = collector.locator("[data-testid=negotiation]")
    expect(card.locator("[data-testid=nego-owing]")).to_contain_text("L20260001")
    card.locator("[data-testid=nego-plan] summary").click()
    form = card.locator("[data-testid=plan-form]")
    form.locator("input[name=plan-first_due]").fill("2026-05-10")
    form.locator("input[name=plan-installments]").fill("3")
    form.locator("input[name=plan-installments]").dispatch_event("change")
    preview = form.locator("[data-testid=plan-preview]")
    expect(preview.locator("[data-testid=schedule] tbody tr")).to_have_count(3)
    expect(preview.locator("[data-testid=check-verdict]")).to_be_visible()
    form.locator("textarea[name=plan-note]").fill("借款人5月起有新工作，申请分三期还清逾期款项")
    screenshot(collector, "negotiation_plan_preview")
    form.locator("button[type=submit]").click()
    expect(collector.locator(".alert-success")).to_be_visible()
    row = collector.locator("[data-testid=nego-request][data-kind=plan]")
    expect(row.locator("[data-testid=plan-status] .badge-proposed")).to_be_visible()
    plan = RepaymentPlan.objects.get()
    assert plan.status == "proposed"

    lead = new_page()
    log_in(lead, "sunlead", PASSWORD)
    lead.goto("/negotiation/approvals/")
    item = lead.locator(f"[data-testid=approval][data-request='{plan.concession_id}']")
    expect(item.locator("[data-testid=schedule] tbody tr")).to_have_count(3)
    expect(item.locator("[data-testid=borrower-name]")).to_contain_text("*")  # a team lead sees names masked
    screenshot(lead, "negotiation_queue")
    item.locator("[data-testid=approve]").click()
    expect(lead.locator(f"#request-{plan.concession_id} [data-testid=decision-done]")).to_be_visible()
    plan.refresh_from_db()
    assert plan.status == "approved"

    signed = tmp_path / "signed.pdf"
    signed.write_bytes(b"%PDF-1.4 signed by the borrower")
    collector.goto(f"/cases/{a_case}/")
    sign = collector.locator("[data-testid=sign-form]")
    sign.locator("input[type=file]").set_input_files(str(signed))
    sign.locator("button[type=submit]").click()
    expect(collector.locator(".alert-success")).to_be_visible()
    plan.refresh_from_db()
    assert plan.status == "active"
    expect(row.locator("[data-testid=plan-status] .badge-active")).to_be_visible()
    collector.locator("[data-testid=plan-link]").click()
    expect(collector.locator("[data-testid=evidence-hash]")).to_have_text(plan.signed_copy.hash)


def test_the_dashboard_draws_its_charts(a_case: int, new_page: Any, screenshot: Any) -> None:
    from playwright.sync_api import expect

    page = new_page()
    log_in(page, "qian", PASSWORD)
    page.goto("/negotiation/dashboard/")
    charts = page.locator("[data-chart]")
    expect(charts).to_have_count(7)
    expect(page.locator("[data-chart='chart-ptp'] svg")).to_have_count(1)
    assert page.locator("[data-chart] svg").count() == 7
    expect(page.locator("[data-testid=csv-link]")).to_have_attribute(
        "href", "/negotiation/dashboard.csv?start=2026-03-17&end=2026-04-15"
    )
    screenshot(page, "negotiation_dashboard")
