"""The collector's workbench (issue 5): log in and land on the workbench, open the top case from the keyboard
(j, Enter), log a call, add a note and schedule a follow-up with the case view's shortcuts (c, n, f), and see them
on the timeline; and the same through the queue with the stage form. Contact (issue 6): preview an SMS with the
compliance guard's answer and send it in two clicks, ask the guard before a call. Leaves
docs/screenshots/case_view.png and var/screenshots/workbench*.png and contact*.png."""

from __future__ import annotations

import datetime as dt
import re
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


@pytest.fixture
def two_cases(transactional_db: Any) -> list[int]:
    from arrears.batch.runner import close
    from arrears.cases.models import Case

    team = TeamFactory(name="A银行催收一组", lenders=["A银行"])
    UserFactory(username="zhaomin", display_name="赵敏", role="collector", team=team)
    loan_with_details(loan_id="L20260001", lender="A银行")
    loan_with_details(loan_id="L20260002", lender="A银行", principal=2_400_000)
    close([dt.date(2026, 4, 15)], workers=1)
    cases = list(Case.objects.order_by("pk"))
    assert len(cases) == 2 and all(c.assigned_to is not None for c in cases)
    return [c.pk for c in cases]


def test_a_collector_works_the_top_case_from_the_workbench_with_the_keyboard(
    two_cases: list[int], new_page: Any, screenshot: Any
) -> None:
    from playwright.sync_api import expect

    page = new_page()
    log_in(page, "zhaomin", PASSWORD)
    page.wait_for_url("**/cases/workbench/")
    expect(page.locator("[data-testid=business-date]")).to_have_text("2026-04-15")
    rows = page.locator("[data-testid=today-queue] tbody tr")
    expect(rows).to_have_count(2)
    top = int(rows.first.get_attribute("data-case") or 0)
    assert top in two_cases
    screenshot(page, "workbench")

    # "/" goes to the search box; Escape leaves it; j selects the top case and Enter opens it.
    page.keyboard.press("/")
    expect(page.locator("#workbench-q")).to_be_focused()
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    expect(rows.first).to_have_class(re.compile(r"\brow-selected\b"))
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class(re.compile(r"\brow-selected\b"))
    page.keyboard.press("k")
    expect(rows.first).to_have_class(re.compile(r"\brow-selected\b"))
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/cases/{top}/")
    expect(page.locator("[data-testid=case-stage]")).to_have_text("新案件")

    # c: log a call (a promise to pay: the case moves to contacting and has a last contact).
    page.keyboard.press("c")
    call = page.locator("[data-testid=call-form]")
    expect(call.locator("select[name=outcome]")).to_be_focused()
    call.locator("select[name=outcome]").select_option("promise_to_pay")
    call.locator("textarea[name=note]").fill("承诺4月17日前还清")
    call.locator("[data-testid=log-call]").click()
    page.wait_for_url(f"**/cases/{top}/")
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("[data-testid=case-stage]")).to_have_text("联系中")
    expect(page.locator("[data-testid=last-contact]")).to_have_text("2026-04-15")

    # n: a note.
    page.keyboard.press("n")
    note = page.locator("[data-testid=note-form] textarea[name=text]")
    expect(note).to_be_focused()
    page.keyboard.type("借款人称工资4月17日到账")
    page.locator("[data-testid=note-form] button[type=submit]").click()
    expect(page.locator("[data-testid=notes]")).to_contain_text("工资4月17日到账")

    # f: a follow-up for the promised day.
    page.keyboard.press("f")
    task = page.locator("[data-testid=task-form]")
    expect(task.locator("input[name=title]")).to_be_focused()
    page.keyboard.type("核实还款到账")
    task.locator("input[name=due_on]").fill("2026-04-17")
    task.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=open-tasks]")).to_contain_text("核实还款到账")
    expect(page.locator("[data-testid=next-action]")).to_have_text("2026-04-17")

    timeline = page.locator("[data-testid=timeline]")
    expect(timeline.locator("li.case-event-call")).to_contain_text("承诺4月17日前还清")
    expect(timeline.locator("li.case-event-transition")).to_have_count(1)
    expect(timeline.locator("li.case-event-note")).to_contain_text("工资4月17日到账")
    expect(timeline.locator("li.case-event-task")).to_contain_text("核实还款到账 · 2026-04-17")
    screenshot(page, "workbench-case")

    # Back on the workbench the case shows its next action.
    page.goto("/cases/workbench/")
    row = page.locator(f"[data-testid=today-queue] tr[data-case='{top}']")
    expect(row).to_contain_text("2026-04-17")
    expect(row).to_contain_text("核实还款到账")


SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def test_a_collector_previews_and_sends_an_sms_from_the_case_view(
    a_case: int, new_page: Any, screenshot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two clicks: pick the template (the preview shows the text and the guard's answer), then Send. The live
    server runs in this process, so the frozen clock is the guard's: 10:00 in Shanghai is allowed, 23:00 not."""
    import io

    from django.core.management import call_command
    from django.utils import timezone
    from playwright.sync_api import expect

    from arrears.contact.models import Message, Template

    def clock(hour: int) -> None:
        moment = dt.datetime(2026, 4, 15, hour, 0, tzinfo=SHANGHAI).astimezone(dt.UTC)
        monkeypatch.setattr(timezone, "now", lambda: moment)

    UserFactory(username="author", role="manager")
    UserFactory(username="officer", role="compliance")
    call_command(
        "contact", "templates", "import", "--by", "author", "--approve-by", "officer", stdout=io.StringIO()
    )
    reminder = Template.objects.get(code="reminder_1", language="zh-hans")
    clock(10)

    page = new_page()
    log_in(page, "zhaomin", PASSWORD)
    page.goto(f"/cases/{a_case}/")
    addresses = page.locator("[data-testid=addresses]")
    expect(addresses).to_contain_text("****")  # a collector sees numbers masked
    form = page.locator("[data-testid=message-form]")
    expect(form.locator("[data-testid=send-message]")).to_be_disabled()

    # Click 1: the template. The preview comes back with the guard's answer and the address that suits it.
    form.locator("select[name=template]").select_option(str(reminder.pk))
    preview = page.locator("[data-testid=message-preview]")
    expect(preview).to_be_visible()
    expect(preview.locator("[data-testid=guard-answer]")).to_have_attribute("data-allowed", "true")
    expect(preview.locator("[data-testid=message-body]")).to_contain_text("A银行")
    expect(page.locator("[data-testid=message-form] select[name=to]")).to_have_value("0")
    screenshot(page, "contact-preview")

    # Click 2: Send. It is queued in the outbox (the test server has no SMS gateway: queuing is enough).
    page.locator("[data-testid=message-form] [data-testid=send-message]").click()
    page.wait_for_url(f"**/cases/{a_case}/")
    success = page.locator(".alert-success")
    expect(success).to_be_visible()
    expect(success.locator("a")).to_have_attribute("href", f"/contact/?case={a_case}")
    expect(page.locator("[data-testid=case-messages] [data-testid=message-status]")).to_have_count(1)
    message = Message.objects.get()
    assert (message.channel, message.status, message.party) == ("sms", "queued", "debtor")

    # At 23:00 the guard denies it, says which rule, and Send stays disabled.
    clock(23)
    form = page.locator("[data-testid=message-form]")
    form.locator("select[name=template]").select_option(str(reminder.pk))
    answer = page.locator("[data-testid=message-preview] [data-testid=guard-answer]")
    expect(answer).to_have_attribute("data-allowed", "false")
    expect(answer.locator("[data-testid=guard-rule]")).to_contain_text("hours")
    expect(page.locator("[data-testid=message-form] [data-testid=send-message]")).to_be_disabled()

    # "Call" asks the guard first and says how to dial (no telephony system here: by hand).
    clock(10)
    page.locator("[data-testid=start-call]").click()
    decision = page.locator("[data-testid=call-decision]")
    expect(decision.locator("[data-testid=guard-answer]")).to_have_attribute("data-allowed", "true")
    expect(decision.locator("[data-testid=click-to-call]")).to_be_visible()
    screenshot(page, "contact-call")

    # The outbox lists the message, linked to its case.
    page.goto("/contact/")
    row = page.locator(f"[data-testid=outbox] tr[data-message='{message.pk}']")
    expect(row).to_contain_text(f"#{a_case}")
    screenshot(page, "contact-outbox")
