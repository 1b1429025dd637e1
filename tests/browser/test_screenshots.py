"""A tour of the UI for people: each page at desktop and phone width, in Chinese and English.

Besides checking that the pages render and respond (menu toggles on a phone, the language switch), it leaves
screenshots in var/screenshots/ for the README and for reviewing the look."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.browser.conftest import PHONE, log_in
from tests.factories import (
    PASSWORD,
    ImportRunFactory,
    LoanFactory,
    TeamFactory,
    UserFactory,
    loan_with_details,
    zhang_wei,
)

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]

LENDERS = [("A银行", "bank"), ("B消费金融", "consumer_finance"), ("C小贷", "microloan")]
PRODUCTS = ["term_loan", "credit_card", "auto", "mortgage", "revolving"]


@pytest.fixture
def tour_data(transactional_db: Any) -> dict[str, Any]:
    team = TeamFactory(name="A银行催收一组", lenders=["A银行"])
    UserFactory(username="zhaomin", display_name="赵敏", role="collector", team=team)
    manager = UserFactory(username="qian", display_name="钱经理", role="manager")
    UserFactory(username="root", display_name="系统管理员", role="admin", is_staff=True, is_superuser=True)
    borrower = zhang_wei()
    loan_with_details(
        loan_id="L20260001",
        borrower=borrower,
        lender="A银行",
        purpose="个人消费",
        jurisdiction_clause="北京市朝阳区人民法院",
    )
    for n in range(56):
        lender, lender_type = LENDERS[n % len(LENDERS)]
        LoanFactory(
            lender=lender,
            lender_type=lender_type,
            product_type=PRODUCTS[n % len(PRODUCTS)],
            principal=(n * 7919 % 500 + 20) * 100_000 + n * 37,
            status="written_off" if n % 11 == 5 else "active",
        )
    ImportRunFactory(
        source="2026年2月移交-A银行.zip",
        started_by=manager,
        status="succeeded",
        started_at=dt.datetime(2026, 2, 3, 2, 15, tzinfo=dt.UTC),
        counts={
            "borrowers": {"created": 812, "updated": 0, "unchanged": 0},
            "loans": {"created": 857, "updated": 0, "unchanged": 0},
        },
    )
    run = ImportRunFactory(
        source="2026年3月移交-B消费金融.xlsx",
        started_by=manager,
        status="partial",
        skip_invalid=True,
        counts={
            "borrowers": {"created": 120, "updated": 4, "unchanged": 311, "skipped": 2},
            "loans": {"created": 118, "updated": 9, "unchanged": 308, "skipped": 3},
            "schedules": {"created": 1416, "updated": 0, "unchanged": 3696, "generated": 12},
            "payments": {"created": 264, "updated": 0, "unchanged": 1902},
        },
        errors=[
            {
                "file": "borrowers.csv",
                "row": 17,
                "column": "id_number",
                "value": "110105199001011235",
                "message": "resident ID number checksum does not match",
            },
            {
                "file": "borrowers.csv",
                "row": 42,
                "column": "phone",
                "value": "1381234",
                "message": "not a valid phone number",
            },
            {
                "file": "loans.csv",
                "row": 9,
                "column": "principal",
                "value": "-300.00",
                "message": "amount must not be negative",
            },
            {
                "file": "loans.csv",
                "row": 58,
                "column": "disbursement_date",
                "value": "2025-13-01",
                "message": "not a date (YYYY-MM-DD)",
            },
            {
                "file": "loans.csv",
                "row": 77,
                "column": "borrower_id",
                "value": "B9999",
                "message": "unknown borrower",
            },
        ],
        error_count=5,
    )
    return {"run": run}


def test_tour_desktop(tour_data: dict[str, Any], new_page: Any, screenshot: Any) -> None:
    from playwright.sync_api import expect

    page = new_page()
    log_in(page, "qian", PASSWORD)
    page.goto("/portfolio/loans/")
    expect(page.locator("#loan-results tbody tr")).to_have_count(25)
    screenshot(page, "10-loans-manager", full_page=False)
    page.goto("/portfolio/loans/?page=3")
    expect(page.locator(".pagination .current")).to_have_text("3")
    page.goto("/portfolio/loans/L20260001/")
    expect(page.locator("[data-testid=borrower-phone]")).to_have_text(
        "13812345678"
    )  # a manager sees it whole
    screenshot(page, "11-loan-detail-manager", full_page=False)
    page.goto(f"/portfolio/import/runs/{tour_data['run'].pk}/")
    expect(page.locator("#run-report")).to_contain_text("checksum")
    screenshot(page, "12-import-report")
    page.goto("/legal/")
    screenshot(page, "13-coming-soon", full_page=False)
    page.goto("/portfolio/loans/NOPE/")
    expect(page.locator("h1")).to_have_text("页面不存在")
    screenshot(page, "14-not-found", full_page=False)

    # The language switch: English everywhere, kept across pages.
    page.goto("/portfolio/loans/")
    page.locator(".topbar .lang-switch button[value=en]").click()
    expect(page.locator(".mainnav")).to_contain_text("Workbench")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    screenshot(page, "15-loans-english", full_page=False)
    page.goto("/portfolio/loans/L20260001/")
    expect(page.locator("#schedule h2")).to_have_text("Repayment schedule")
    screenshot(page, "16-loan-detail-english")


def test_tour_admin_settings(tour_data: dict[str, Any], new_page: Any, screenshot: Any) -> None:
    from playwright.sync_api import expect

    page = new_page()
    log_in(page, "root", PASSWORD)
    page.goto("/settings/")
    expect(page.get_by_role("link", name="审计日志")).to_be_visible()
    screenshot(page, "17-settings-admin", full_page=False)


def test_tour_phone(tour_data: dict[str, Any], new_page: Any, screenshot: Any) -> None:
    from playwright.sync_api import expect

    page = new_page(viewport=PHONE)
    log_in(page, "zhaomin", PASSWORD)
    expect(page.locator(".mainnav")).to_be_hidden()
    screenshot(page, "20-phone-workbench")
    page.locator(".nav-toggle-label").click()
    expect(page.locator(".mainnav")).to_be_visible()
    screenshot(page, "21-phone-menu", full_page=False)
    page.locator(".mainnav").get_by_role("link", name="贷款").click()
    expect(page.locator("#loan-results tbody tr")).to_have_count(
        20
    )  # A银行's 20 loans only, not the other lenders' 37
    screenshot(page, "22-phone-loans", full_page=False)
    page.goto("/portfolio/loans/L20260001/")
    expect(page.locator("[data-testid=borrower-phone]")).to_have_text("138****5678")
    screenshot(page, "23-phone-loan-detail")
