"""Legal in the browser (issue 8): a legal user opens the kanban, opens the matter at its hearing, records the
judgment with the day it was served, and sees the appeal deadline moved past National Day (served 2026-09-20: 15
days end 2026-10-05, inside the holiday → 2026-10-08). Leaves docs/screenshots/legal_kanban.png and
legal_matter.png."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import log_in
from tests.factories import PASSWORD, UserFactory, loan_with_details

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
D = dt.date


@pytest.fixture
def matters(transactional_db: Any) -> dict[str, int]:
    """Four matters of A银行's cases at different stages; the one at the hearing is with an outside firm."""
    from arrears.accounts.models import Agency
    from arrears.batch.runner import close
    from arrears.cases import services as case_services
    from arrears.cases.models import Case
    from arrears.legal import lifecycle, services
    from arrears.legal.models import ReferralCriteria

    firm = Agency.objects.create(name="金诚律师事务所", kind=Agency.Kind.LAW_FIRM)
    manager = UserFactory(username="qian", display_name="钱经理", role="manager")
    legal = UserFactory(username="wanglv", display_name="王律", role="legal")
    lawyer = UserFactory(username="jinls", display_name="金律师", role="legal", agency=firm)
    ReferralCriteria.objects.create(effective_from=D(2026, 1, 1), min_dpd=90, min_balance=1_000_000,
                                    min_contact_attempts=None, lawyer_fee_share="0.05",
                                    lawyer_fee_minimum=300_000)  # fmt: skip
    for n in range(1, 5):
        loan_with_details(loan_id=f"L2026000{n}", lender="A银行")
    close([D(2026, 7, 15)], workers=1)
    ids = {}
    for n, case in enumerate(Case.objects.order_by("pk"), start=1):
        case = case_services.transition(case, "contacting", actor=manager)
        case = case_services.transition(case, "escalated", actor=manager, reason="失联60天")
        matter = services.refer(case, actor=manager, reason="逾期160天，失联")
        if n == 1:
            ids["referred"] = matter.pk
            continue
        matter = services.decide_referral(matter, actor=legal, approve=True, note="证据齐全")
        matter = services.assign(matter, actor=legal, lawyer=lawyer if n == 4 else legal)
        steps = [(lifecycle.INVESTIGATING, {"on": D(2026, 7, 16)})]
        if n >= 3:
            steps += [(lifecycle.FILED, {"on": D(2026, 7, 20), "court": "北京市朝阳区人民法院"})]
        if n == 4:
            steps += [
                (lifecycle.ACCEPTED, {"on": D(2026, 7, 27), "court": "北京市朝阳区人民法院",
                                      "case_number": "(2026)京0105民初1234号"}),
                (lifecycle.HEARING, {"on": D(2026, 9, 1)}),
            ]  # fmt: skip
        for target, kwargs in steps:
            services.advance(matter, target, actor=lawyer if n == 4 else legal, **kwargs)
            matter.refresh_from_db()
        ids[matter.stage] = matter.pk
    return ids


def test_a_legal_user_records_a_judgment_and_sees_the_appeal_deadline(
    matters: dict[str, int], new_page: Any
) -> None:
    from playwright.sync_api import expect

    page = new_page()
    log_in(page, "wanglv", PASSWORD)
    page.goto("/legal/")
    board = page.locator("[data-testid=kanban]")
    hearing = board.locator("[data-testid=column-hearing]")
    expect(hearing.locator("[data-testid=column-count]")).to_have_text("1")
    expect(hearing.locator(f"[data-matter='{matters['hearing']}']")).to_contain_text("金诚律师事务所")
    expect(
        board.locator(f"[data-testid=column-referred] [data-matter='{matters['referred']}']")
    ).to_be_visible()

    hearing.locator(f"[data-matter='{matters['hearing']}']").click()
    page.wait_for_url(f"**/legal/matters/{matters['hearing']}/")
    expect(page.locator("[data-testid=matter-stage]")).to_have_attribute("data-stage", "hearing")
    step = page.locator("[data-testid=step-judged]")
    step.locator("summary").click()
    step.locator("input[name=to-judged-on]").fill("2026-09-18")
    step.locator("input[name=to-judged-served_on]").fill("2026-09-20")
    step.locator("input[name=to-judged-amount_awarded]").fill("12,500.00")
    step.locator("textarea[name=to-judged-reason]").fill("判决支持全部诉讼请求")
    step.locator("button[type=submit]").click()
    page.wait_for_url(f"**/legal/matters/{matters['hearing']}/**")
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("[data-testid=matter-stage]")).to_have_attribute("data-stage", "judged")
    appeal = page.locator("[data-testid=deadline][data-kind=appeal]")
    expect(appeal.locator("[data-testid=deadline-due]")).to_have_text("2026-10-08")  # past National Day
    expect(page.locator("[data-testid=records]")).to_contain_text("12,500.00")
    page.evaluate("window.scrollTo(0, 0)")
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / "legal_matter.png"), full_page=True)

    page.goto("/legal/calendar/?month=2026-10")
    expect(page.locator(f"td[data-day='2026-10-08'] [data-matter='{matters['hearing']}']")).to_be_visible()

    page.goto("/legal/")  # the card now shows its appeal deadline
    card = page.locator(f"[data-testid=column-judged] [data-matter='{matters['hearing']}']")
    expect(card.locator("[data-testid=card-deadline]")).to_contain_text("2026-10-08")
    page.screenshot(path=str(DOCS / "legal_kanban.png"), full_page=True)
