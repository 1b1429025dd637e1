"""A manager opens a loan after the close and reads its risk grade (level, score, reasons, measures, the model's
probability), then opens the risk pages from the settings and approves a new model version another manager
registered. Leaves var/screenshots/risk_grade.png, risk_model.png and risk_scorecard.png."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.browser.conftest import log_in
from tests.factories import PASSWORD, UserFactory
from tests.risk.test_views import TEST_SCORECARD, artifact

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


@pytest.fixture
def graded_portfolio(transactional_db: Any, write_portfolio: Any) -> dict[str, Any]:
    from arrears.batch.runner import close
    from arrears.portfolio.services import import_portfolio
    from arrears.risk import services
    from arrears.risk.models import Scorecard

    import_portfolio(write_portfolio())
    qian = UserFactory(username="qian", display_name="钱经理", role="manager")
    li = UserFactory(username="li", display_name="李经理", role="manager")
    wu = UserFactory(username="wu", display_name="吴合规", role="compliance")
    Scorecard.objects.all().delete()  # the tests' own scorecard (see tests/risk/test_views.py) instead
    card = services.save_scorecard("test", dt.date(2020, 1, 1), TEST_SCORECARD, actor=li)
    services.approve_scorecard(card, actor=wu)
    first = services.register_model(artifact(), "rollrate", actor=li, description="30天滚动率")
    services.approve_model(first, actor=wu)
    close([dt.date(2026, 4, 1) + dt.timedelta(days=n) for n in range(31)], workers=1)  # through 2026-05-01
    cv = artifact()["cv"]
    cv["lightgbm"] = {**cv["lightgbm"], "auc": 0.8012}
    second = services.register_model(artifact(kind="lightgbm", cv=cv), "rollrate", actor=li)
    return {"manager": qian, "first": first, "second": second}


def test_manager_reads_the_grade_and_approves_a_model(
    graded_portfolio: dict[str, Any], new_page: Any, screenshot: Any
) -> None:
    from playwright.sync_api import expect

    from arrears.risk.models import Approval, RiskModel

    page = new_page()
    log_in(page, "qian", PASSWORD)

    # The loan page: L001 is medium risk, 385 of 1000, with the scorecard's reasons and measures in Chinese.
    page.goto("/portfolio/loans/L001/")
    grade = page.locator("[data-testid=risk-grade]")
    expect(grade.locator("[data-testid=risk-score]")).to_have_text("385 / 1000")
    expect(grade.locator("[data-testid=risk-reasons] li")).to_have_text(["逾期31–90天", "按时还款不足一半"])
    expect(grade.locator("[data-testid=risk-measures] li")).to_have_text(["加强监测", "核实联系方式"])
    expect(grade.locator("[data-testid=risk-pd] strong")).to_have_text("52.7%")
    level = grade.locator("[data-testid=risk-level]")
    expect(level).to_have_class("badge risk-level risk-level-medium")
    expect(level).to_have_text("中")
    grade.scroll_into_view_if_needed()
    screenshot(page, "risk_grade", full_page=False)

    # From the settings to the model list, then the draft 李经理 registered.
    page.goto("/settings/")
    page.locator("[data-testid=risk-settings] a[href='/risk/']").click()
    page.wait_for_url("**/risk/")
    rows = page.locator("[data-testid=model-list] tbody tr")
    expect(rows).to_have_count(2)
    rows.filter(has_text="v2").get_by_role("link").click()
    second = graded_portfolio["second"]
    page.wait_for_url(f"**/risk/models/{second.pk}/")
    expect(page.locator("[data-testid=chosen]")).to_have_count(1)
    expect(page.locator("#cv tr[data-kind=lightgbm] [data-testid=chosen]")).to_have_count(1)
    expect(page.locator("[data-testid=no-drift]")).to_be_visible()

    # Approve: the page comes back with the new status; version 1 retires.
    page.locator("[data-testid=approve-model] button").click()
    page.wait_for_url(f"**/risk/models/{second.pk}/")
    expect(page.locator(".messages .alert-success")).to_contain_text("rollrate v2")
    expect(page.locator("[data-testid=model-status]")).to_have_text("已批准")
    expect(page.locator("[data-testid=approve-model]")).to_have_count(0)
    expect(page.locator("[data-testid=approved-by]")).to_contain_text("钱经理")
    assert RiskModel.objects.get(pk=second.pk).status == Approval.APPROVED
    assert RiskModel.objects.get(pk=graded_portfolio["first"].pk).status == Approval.RETIRED

    # Version 1's page has the drift of the close it scored.
    page.goto(f"/risk/models/{graded_portfolio['first'].pk}/")
    expect(page.locator("[data-testid=drift-latest]")).to_contain_text("2026-05-01")
    expect(page.locator("[data-testid=drift-features] tbody tr")).to_have_count(
        3
    )  # the score and two features
    screenshot(page, "risk_model")

    # The scorecard in force, its factors by group.
    page.locator(".risk-tabs a[href='/risk/scorecard/']").click()
    page.wait_for_url("**/risk/scorecard/")
    expect(page.locator("[data-testid=in-force]")).to_be_visible()
    expect(page.locator("[data-group]")).to_have_count(4)
    expect(page.locator("tbody[data-factor=dpd]")).to_contain_text("逾期31–90天")
    screenshot(page, "risk_scorecard")
