"""A collector signs in, finds a borrower by name as they type (HTMX), and opens the loan: phone masked."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import log_in
from tests.factories import (
    PASSWORD,
    BorrowerFactory,
    LoanFactory,
    TeamFactory,
    UserFactory,
    loan_with_details,
    zhang_wei,
)

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


@pytest.fixture
def portfolio(transactional_db: Any) -> dict[str, Any]:
    team = TeamFactory(name="A银行催收一组", lenders=["A银行"])
    collector = UserFactory(username="zhaomin", display_name="赵敏", role="collector", team=team)
    borrower = zhang_wei()
    loan = loan_with_details(loan_id="L20260001", borrower=borrower, lender="A银行", principal=1_200_000)
    for i in range(30):  # fillers whose names never match the search (factory names cycle through a list)
        LoanFactory(lender="A银行", borrower=BorrowerFactory(name=f"填充{i}"))
    LoanFactory(loan_id="LB0001", lender="B银行", borrower=BorrowerFactory(name="王芳"))
    return {"collector": collector, "loan": loan}


def test_collector_searches_by_name_and_opens_the_loan(
    portfolio: dict[str, Any], new_page: Any, screenshot: Any
) -> None:
    from playwright.sync_api import expect

    page = new_page()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    screenshot(page, "01-login")
    log_in(page, "zhaomin", PASSWORD)
    expect(page.locator(".user-name")).to_have_text("赵敏")
    screenshot(page, "02-workbench")

    page.get_by_role("link", name="贷款", exact=True).first.click()
    expect(page.locator("#loan-results tbody tr")).to_have_count(25)
    expect(page.locator(".pagination")).to_be_visible()
    screenshot(page, "03-loan-list")

    # Typing swaps only the results (HTMX) and pushes the search into the address bar.
    page.evaluate("document.body.dataset.marker = 'same-page'")
    page.locator("#id_q").press_sequentially("张伟", delay=60)
    expect(page.locator("#loan-results tbody tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=%E5%BC%A0%E4%BC%9F"))
    assert page.evaluate("document.body.dataset.marker") == "same-page"  # no full reload
    row = page.locator("#loan-results tbody tr").first
    expect(row).to_contain_text("138****5678")
    expect(row).not_to_contain_text("13812345678")
    expect(page.locator("#loan-results")).not_to_contain_text("王芳")  # B银行 is not this team's
    screenshot(page, "04-loan-search")

    row.get_by_role("link", name="L20260001").click()
    expect(page).to_have_url(re.compile(r"/portfolio/loans/L20260001/$"))
    expect(page.locator("[data-testid=borrower-phone]")).to_have_text("138****5678")
    expect(page.locator("body")).not_to_contain_text("13812345678")
    expect(page.locator("#schedule tbody tr")).to_have_count(3)
    screenshot(page, "05-loan-detail")

    page.go_back()
    expect(page.locator("#id_q")).to_have_value("张伟")
    expect(page.locator("#loan-results tbody tr")).to_have_count(1)


def test_search_works_without_javascript(portfolio: dict[str, Any], browser: Any, live_server: Any) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(base_url=live_server.url, locale="zh-CN", java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page, "zhaomin", PASSWORD)
        page.goto("/portfolio/loans/")
        page.fill("#id_q", "张伟")
        page.get_by_role("button", name="搜索").click()
        expect(page).to_have_url(re.compile(r"q=%E5%BC%A0%E4%BC%9F"))
        expect(page.locator("#loan-results tbody tr")).to_have_count(1)
    finally:
        context.close()


def test_changing_a_filter_swaps_the_results(portfolio: dict[str, Any], new_page: Any) -> None:
    from playwright.sync_api import expect

    page = new_page()
    log_in(page, "zhaomin", PASSWORD)
    page.goto("/portfolio/loans/")
    expect(page.locator("#loan-results tbody tr")).to_have_count(25)
    page.select_option("#id_province", "北京")
    expect(page).to_have_url(re.compile(r"province=%E5%8C%97%E4%BA%AC"))
    for name in page.locator("#loan-results tbody tr td:nth-child(2) .cell-sub").all_inner_texts():
        assert "北京" in name


def test_an_expired_session_goes_to_sign_in_instead_of_swapping_it_in(
    portfolio: dict[str, Any], new_page: Any
) -> None:
    from playwright.sync_api import expect

    page = new_page()
    log_in(page, "zhaomin", PASSWORD)
    page.goto("/portfolio/loans/")
    page.context.clear_cookies()
    page.locator("#id_q").press_sequentially("张伟", delay=40)
    expect(page).to_have_url(re.compile(r"/login/\?next="))
    expect(page.locator("#loan-results")).to_have_count(0)
