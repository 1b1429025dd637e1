"""A team lead opens a loan after the daily close, pauses its delinquency through the panel's form (HTMX: the
panel updates in place, no reload), and ends the pause. Leaves docs/screenshots/loan_status.png."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import log_in
from tests.factories import PASSWORD, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]

DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "loan_status.png"


@pytest.fixture
def closed_portfolio(transactional_db: Any, write_portfolio: Any) -> None:
    from arrears.batch.runner import close
    from arrears.delinquency import services
    from arrears.portfolio.models import Loan
    from arrears.portfolio.services import import_portfolio

    import_portfolio(write_portfolio())
    close([dt.date(2026, 2, 1) + dt.timedelta(days=n) for n in range(90)], workers=1)  # 2026-02-01 … 05-01
    team = TeamFactory(name="招商银行催收组", lenders=["招商银行"])
    UserFactory(username="sun", display_name="孙组长", role="team_lead", team=team)
    manager = UserFactory(username="qian", display_name="钱经理", role="manager")
    services.request_override(
        Loan.objects.get(pk="L001"),
        "substandard",
        dt.date(2026, 5, 1),
        "借款人失联，担保人拒绝代偿",
        actor=manager,
    )


def test_pause_and_resume_from_the_loan_page(closed_portfolio: None, new_page: Any) -> None:
    from playwright.sync_api import expect

    page = new_page()
    log_in(page, "sun", PASSWORD)
    page.goto("/portfolio/loans/L001/")
    panel = page.locator("#delinquency")
    expect(panel.locator("[data-testid=status-as-of]")).to_have_text("截至 2026-05-01 日终")
    expect(panel.locator("[data-testid=dpd]")).to_have_text("57")
    expect(panel.locator("[data-testid=delinquent-days]")).to_have_text("54")
    expect(panel.locator("[data-testid=bucket]")).to_have_text("M2")
    expect(panel.locator("[data-testid=total-due]")).to_have_text("¥8,327.05")
    expect(panel.locator("[data-testid=paused-badge]")).to_have_count(0)
    page.evaluate("document.body.dataset.marker = 'same-page'")

    # Pause from 2026-04-20, open-ended: the panel comes back paused, 12 days fewer delinquent.
    panel.get_by_text("暂停计算逾期", exact=True).click()
    form = panel.locator("[data-testid=pause-form]")
    form.get_by_label("原因").select_option("hardship")
    form.get_by_label("暂停起始日").fill("2026-04-20")
    form.get_by_label("备注").fill("借款人住院，提供了诊断证明")
    form.get_by_role("button", name="暂停", exact=True).click()
    expect(panel.locator(".alert-success")).to_contain_text("已自 2026-04-20 起暂停计算逾期")
    expect(panel.locator("[data-testid=paused-badge]")).to_have_text("已暂停")
    expect(panel.locator("[data-testid=delinquent-days]")).to_have_text("42")
    pause_row = panel.locator("#pauses tbody tr")
    expect(pause_row).to_have_count(1)
    expect(pause_row).to_contain_text("经济困难")
    expect(pause_row).to_contain_text("孙组长")
    assert page.evaluate("document.body.dataset.marker") == "same-page"  # swapped in place, no reload
    expect(panel.locator("#classification tbody tr")).to_contain_text("待审批")  # the manager's request
    expect(panel.locator("#classification tbody button")).to_have_count(0)  # a team lead does not approve
    # normal (opened by the first close), overdue, special mention, M1, M2
    expect(panel.locator("#history tbody tr")).to_have_count(5)

    page.evaluate("window.scrollTo(0, 0)")
    bottom = page.evaluate(
        "document.querySelector('#history').getBoundingClientRect().bottom + window.scrollY"
    )
    DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=str(DOCS_SCREENSHOT), full_page=True, clip={"x": 0, "y": 0, "width": 1440, "height": bottom + 20}
    )

    # An overlapping pause is refused inline, in Chinese.
    panel.get_by_text("暂停计算逾期", exact=True).click()
    form = panel.locator("[data-testid=pause-form]")
    form.get_by_label("暂停起始日").fill("2026-04-25")
    form.get_by_role("button", name="暂停", exact=True).click()
    expect(panel.locator("[data-testid=pause-form] .alert-error")).to_have_text(
        "与已有的暂停期（2026-04-20 至 未结束）重叠。"
    )
    expect(pause_row).to_have_count(1)

    # End the pause on 2026-04-24: five paused days remain counted out.
    resume = panel.locator("[data-testid=resume-form]")
    resume.get_by_label("暂停最后一天").fill("2026-04-24")
    resume.get_by_role("button", name="结束暂停").click()
    expect(panel.locator(".alert-success")).to_contain_text("暂停已于 2026-04-24 结束")
    expect(panel.locator("[data-testid=paused-badge]")).to_have_count(0)
    expect(panel.locator("[data-testid=delinquent-days]")).to_have_text("49")
    expect(panel.locator("#pauses tbody tr")).to_contain_text("2026-04-24")
    expect(panel.locator("[data-testid=resume-form]")).to_have_count(0)
    assert page.evaluate("document.body.dataset.marker") == "same-page"
