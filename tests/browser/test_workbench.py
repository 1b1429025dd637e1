"""The collector's workbench (issue 5): log in, open the queue, open the case, move it to contacting, add a note
and a follow-up, and see them on the page. Leaves docs/screenshots/case_view.png."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import log_in
from tests.factories import PASSWORD, TeamFactory, UserFactory, loan_with_details

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]

DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "case_view.png"


@pytest.fixture
def a_case(transactional_db: Any) -> int:
    from arrears.batch.runner import close
    from arrears.cases.models import Case

    team = TeamFactory(name="A银行催收一组", lenders=["A银行"])
    UserFactory(username="zhaomin", display_name="赵敏", role="collector", team=team)
    loan_with_details(loan_id="L20260001", lender="A银行")
    close([dt.date(2026, 4, 15)], workers=1)
    case = Case.objects.get()
    assert case.assigned_to is not None and case.assigned_to.username == "zhaomin"
    return case.pk


def test_a_collector_works_a_case(a_case: int, new_page: Any) -> None:
    from playwright.sync_api import expect

    page = new_page()
    log_in(page, "zhaomin", PASSWORD)
    page.goto("/cases/")
    row = page.locator(f"tr[data-case='{a_case}']")
    expect(row).to_contain_text("A银行")
    expect(row).to_contain_text("新案件")
    row.locator("a").first.click()
    page.wait_for_url(f"**/cases/{a_case}/")
    expect(page.locator("[data-testid=case-stage]")).to_have_text("新案件")
    expect(page.locator("[data-testid=case-loan]")).to_contain_text("L20260001")

    # Move it to contacting.
    page.locator("#case-actions details").first.locator("summary").click()
    form = page.locator("[data-testid=transition-form]")
    form.locator("select[name=target]").select_option("contacting")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"**/cases/{a_case}/")
    expect(page.locator("[data-testid=case-stage]")).to_have_text("联系中")
    expect(page.locator(".alert-success")).to_be_visible()

    # A note.
    note = page.locator("[data-testid=note-form]")
    note.locator("textarea[name=text]").fill("借款人接听电话，承诺4月17日前还款")
    note.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=notes]")).to_contain_text("承诺4月17日前还款")

    # A follow-up: the date defaults to the business date + 3.
    task = page.locator("[data-testid=task-form]")
    expect(task.locator("input[name=due_on]")).to_have_value("2026-04-18")
    task.locator("input[name=title]").fill("核实还款到账")
    task.locator("input[name=due_on]").fill("2026-04-17")
    task.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=open-tasks]")).to_contain_text("核实还款到账")
    expect(page.locator("[data-testid=next-action]")).to_have_text("2026-04-17")
    timeline = page.locator("[data-testid=timeline]")
    expect(timeline).to_contain_text("L20260001")
    expect(timeline).to_contain_text("承诺4月17日前还款")

    DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_SCREENSHOT), full_page=True)
