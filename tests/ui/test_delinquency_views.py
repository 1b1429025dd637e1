"""The loan page's delinquency panel (issue 3) through Django's test client: the status of the latest close with
hand-checked figures, the schedule's allocation, the history, pauses and manual classification with their
rules, permissions and row-level visibility, the API, and the page's query count.

The sample portfolio (tests/conftest.py) closed from 2026-04-01 to 2026-05-01. L001 (招商银行, 12,000.00 at 12%,
3 monthly installments of 4,080.27 from 2026-02-05, grace 3 days, penalty rate 18% ACT/360) paid installment 1
on time and nothing since, so on 2026-05-01:
- days past due 57 (installment 2 due 2026-03-05), delinquent days 57 − 3 = 54 → bucket M2 (31–60),
  classification special mention (overdue, not beyond 90 days); overdue since 2026-03-06;
- overdue principal 3,999.87 + 4,039.86 = 8,039.73, interest 80.40 + 40.40 = 120.80;
- penalty 3,999.87 × 18% × 57/360 = 114.00 and 4,039.86 × 18% × 26/360 = 52.52 (total 166.52);
- total due 8,039.73 + 120.80 + 166.52 = 8,327.05; by bucket: installment 3 is 26 days past due (M1) 4,080.26,
  installment 2 is 57 days past due (M2) 4,080.27.
"""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from arrears.accounts.models import Role
from arrears.audit.models import AuditEvent
from arrears.batch.runner import close
from arrears.delinquency import services
from arrears.delinquency.models import ClassificationOverride, LoanStatus, Pause
from arrears.portfolio.models import Loan
from arrears.portfolio.services import import_portfolio
from tests.factories import TeamFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]

PAGE = "/portfolio/loans/L001/"
PAUSE = "/delinquency/loans/L001/pauses/"
CLASSIFY = "/delinquency/loans/L001/classification/"
HTMX = {"HX-Request": "true", "HX-Target": "delinquency"}
BUSINESS_DATE = dt.date(2026, 5, 1)


class _MarkedText(HTMLParser):
    """The text inside each element with a data-testid."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, str] = {}
        self.open: list[tuple[str, int]] = []  # (testid, depth)
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("input", "br", "meta", "link", "img"):
            return
        self.depth += 1
        testid = dict(attrs).get("data-testid")
        if testid:
            self.open.append((testid, self.depth))
            self.found.setdefault(testid, "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("input", "br", "meta", "link", "img"):
            return
        while self.open and self.open[-1][1] == self.depth:
            self.open.pop()
        self.depth -= 1

    def handle_data(self, data: str) -> None:
        for testid, _depth in self.open:
            self.found[testid] += data


def marked(html: str) -> dict[str, str]:
    parser = _MarkedText()
    parser.feed(html)
    return {k: " ".join(v.split()) for k, v in parser.found.items()}


@pytest.fixture
def sample(write_portfolio: Any) -> None:
    import_portfolio(write_portfolio())


@pytest.fixture
def closed(sample: None) -> None:
    close([dt.date(2026, 4, 1) + dt.timedelta(days=n) for n in range(31)], workers=1)


@pytest.fixture
def cmb_team() -> Any:
    return TeamFactory(name="招商银行催收组", lenders=["招商银行"])


@pytest.fixture
def lead(cmb_team: Any) -> Any:
    """May pause and request a manual classification; sees 招商银行's L001 only."""
    return UserFactory(username="lead", display_name="孙组长", role=Role.TEAM_LEAD, team=cmb_team)


@pytest.fixture
def cmb_collector(cmb_team: Any) -> Any:
    """Sees L001 but may not pause."""
    return UserFactory(username="cmb-collector", display_name="周催收", role=Role.COLLECTOR, team=cmb_team)


@pytest.fixture
def compliance() -> Any:
    return UserFactory(username="compliance", display_name="吴合规", role=Role.COMPLIANCE)


def page(client: Any, user: Any) -> str:
    client.force_login(user)
    response = client.get(PAGE)
    assert response.status_code == 200
    return response.content.decode()


def pause_data(start: str, end: str = "", reason: str = "hardship", note: str = "") -> dict[str, str]:
    return {"pause-reason": reason, "pause-start": start, "pause-end": end, "pause-note": note}


# ── the status panel ────────────────────────────────────────


def test_status_panel_shows_the_close(client: Any, lead: Any, closed: None) -> None:
    html = page(client, lead)
    shown = marked(html)
    assert shown["status-as-of"] == "截至 2026-05-01 日终"
    assert shown["dpd"] == "57"
    assert shown["delinquent-days"] == "54"
    assert shown["bucket"] == "M2"
    assert shown["classification"] == "关注"
    assert "rule-classification" not in shown  # no manual classification
    assert shown["total-due"] == "¥8,327.05"
    assert shown["overdue-principal"] == "¥8,039.73"
    assert shown["overdue-interest"] == "¥120.80"
    assert shown["overdue-fees"] == "¥0.00"
    assert shown["penalty-interest"] == "¥166.52"
    assert shown["outstanding-principal"] == "¥8,039.73"
    assert shown["credit"] == "¥0.00"
    assert shown["overdue-by-bucket"] == "M1 ¥4,080.26 M2 ¥4,080.27"
    assert shown["times-overdue"] == "1"
    assert shown["max-dpd"] == "57"
    assert shown["episode-start"] == "2026-03-06"
    assert shown["cure-date"] == "—"
    assert "observation-until" not in shown and "paused-badge" not in shown
    assert 'title="M2 (31–60)"' in html  # the bucket's name from the default set


def test_schedule_shows_the_allocation(client: Any, lead: Any, closed: None) -> None:
    html = page(client, lead)
    assert marked(html)["allocation-as-of"] == "还款分配截至 2026-05-01 日终"
    schedule = html[html.index('id="schedule"') : html.index('id="payments"')]
    text = " ".join(schedule.replace("<", " <").split())
    for figure in ("已结清", "逾期 57 天", "逾期 26 天", "114.00", "52.52", "166.52", "8,160.53"):
        assert figure in text


def test_history_intervals(client: Any, lead: Any, closed: None) -> None:
    from arrears.batch.runner import dates_to_close

    close(
        dates_to_close(dt.date(2026, 5, 10)), workers=1
    )  # L001 reaches 63 delinquent days: M3 on 2026-05-08
    html = page(client, lead)
    history = html[html.index('id="history"') :]
    rows = [" ".join(r.split()) for r in history.split('data-history="')[1:]]
    assert rows[0].startswith('bucket"') and "M3" in rows[0] and "2026-05-08" in rows[0] and "至今" in rows[0]
    assert "M2" in rows[1] and "2026-04-08" in rows[1] and "2026-05-08" in rows[1] and ">30<" in rows[1]


def test_before_the_first_close(client: Any, lead: Any, sample: None) -> None:
    html = page(client, lead)
    assert "尚未运行日终批处理" in html
    assert "allocation-as-of" not in html and 'data-testid="dpd"' not in html
    assert 'data-testid="pause-form"' in html  # pauses can be recorded before the first close


def test_english(client: Any, lead: Any, closed: None) -> None:
    client.force_login(lead)
    client.cookies["django_language"] = "en"
    html = client.get(PAGE).content.decode()
    for text in (
        "Delinquency status",
        "As of the close of 2026-05-01",
        "Special mention",
        "Overdue by bucket",
    ):
        assert text in html
    assert "逾期状态" not in html


# ── pauses ──────────────────────────────────────────────────


def test_pause_with_htmx_rerenders_the_panel(client: Any, lead: Any, closed: None) -> None:
    client.force_login(lead)
    response = client.post(PAUSE, pause_data("2026-04-20", note="住院治疗"), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and html.lstrip().startswith('<div id="delinquency"')
    assert "已自 2026-04-20 起暂停计算逾期" in html
    shown = marked(html)
    assert shown["paused-badge"] == "已暂停"
    assert shown["delinquent-days"] == "42"  # 57 − 3 grace − 12 paused days (04-20 … 05-01)
    pause = Pause.objects.get()
    assert (pause.loan_id, pause.start, pause.end, pause.reason) == (
        "L001",
        dt.date(2026, 4, 20),
        None,
        "hardship",
    )
    assert pause.created_by == lead and pause.note == "住院治疗"
    event = AuditEvent.objects.get(action="delinquency.paused")
    assert event.actor == lead and event.object_id == "L001" and event.after["start"] == "2026-04-20"
    status = LoanStatus.objects.get(pk="L001")
    assert status.paused and status.delinquent_days == 42
    assert 'data-testid="resume-form"' in html and "孙组长" in html


def test_pause_without_javascript_redirects_with_a_message(client: Any, lead: Any, closed: None) -> None:
    client.force_login(lead)
    response = client.post(PAUSE, pause_data("2026-04-20", "2026-04-25", reason="dispute"))
    assert response.status_code == 302 and response["Location"] == "/portfolio/loans/L001/#delinquency"
    html = client.get(response["Location"]).content.decode()
    assert "已暂停计算逾期：2026-04-20 至 2026-04-25。" in html
    assert Pause.objects.get().reason == "dispute"


def test_overlapping_pause_is_refused_inline(client: Any, lead: Any, closed: None) -> None:
    loan = Loan.objects.get(pk="L001")
    services.pause(loan, dt.date(2026, 4, 20), reason="hardship", actor=lead)
    client.force_login(lead)
    response = client.post(PAUSE, pause_data("2026-04-25", "2026-04-28"), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "与已有的暂停期（2026-04-20 至 未结束）重叠。" in html
    assert '<details class="dq-details" open>' in html  # the form stays open with what was typed
    assert 'value="2026-04-25"' in html
    assert Pause.objects.count() == 1
    client.cookies["django_language"] = "en"
    html = client.post(PAUSE, pause_data("2026-04-25"), headers=HTMX).content.decode()
    assert "This pause overlaps the open pause from 2026-04-20." in html


def test_pause_ending_before_it_starts_is_refused(client: Any, lead: Any, closed: None) -> None:
    client.force_login(lead)
    html = client.post(PAUSE, pause_data("2026-04-20", "2026-04-10"), headers=HTMX).content.decode()
    assert "暂停的结束日（2026-04-10）不能早于开始日（2026-04-20）。" in html
    assert not Pause.objects.exists()


def test_pause_form_errors(client: Any, lead: Any, closed: None) -> None:
    client.force_login(lead)
    html = client.post(PAUSE, pause_data("", reason="holiday"), headers=HTMX).content.decode()
    assert html.count('class="field-error"') == 2  # no such reason, no start date
    assert not Pause.objects.exists()


def test_resume(client: Any, lead: Any, closed: None) -> None:
    loan = Loan.objects.get(pk="L001")
    pause = services.pause(loan, dt.date(2026, 4, 20), reason="disaster", actor=lead)
    client.force_login(lead)
    url = f"/delinquency/loans/L001/pauses/{pause.pk}/resume/"
    html = client.post(url, {"resume-end": "2026-04-10"}, headers=HTMX).content.decode()
    assert "暂停的结束日（2026-04-10）不能早于开始日（2026-04-20）。" in html
    html = client.post(url, {"resume-end": "2026-04-24"}, headers=HTMX).content.decode()
    assert "暂停已于 2026-04-24 结束" in html
    pause.refresh_from_db()
    assert pause.end == dt.date(2026, 4, 24)
    status = LoanStatus.objects.get(pk="L001")
    assert not status.paused and status.delinquent_days == 49  # 5 paused days
    assert marked(html)["delinquent-days"] == "49" and "paused-badge" not in marked(html)
    assert AuditEvent.objects.filter(action="delinquency.resumed", actor=lead, object_id="L001").exists()
    assert 'data-testid="resume-form"' not in html
    html = client.post(url, {"resume-end": "2026-04-25"}, headers=HTMX).content.decode()
    assert "该暂停已于 2026-04-24 结束。" in html


def test_pause_of_another_loan_is_404(client: Any, manager: Any, closed: None) -> None:
    other = services.pause(Loan.objects.get(pk="L002"), dt.date(2026, 4, 20), reason="hardship")
    client.force_login(manager)
    response = client.post(f"/delinquency/loans/L001/pauses/{other.pk}/resume/", {"resume-end": "2026-04-24"})
    assert response.status_code == 404
    assert Pause.objects.get().end is None


def test_who_may_pause(client: Any, cmb_collector: Any, closed: None) -> None:
    html = page(client, cmb_collector)
    assert 'data-testid="pause-form"' not in html and 'data-testid="classification-form"' not in html
    response = client.post(PAUSE, pause_data("2026-04-20"), headers=HTMX)
    assert response.status_code == 200 and "您无权执行此操作。" in response.content.decode()
    assert client.post(PAUSE, pause_data("2026-04-20")).status_code == 403
    assert not Pause.objects.exists()
    assert not AuditEvent.objects.filter(action="delinquency.paused").exists()


def test_another_teams_collector_gets_404(client: Any, collector: Any, lead: Any, closed: None) -> None:
    pause = services.pause(Loan.objects.get(pk="L001"), dt.date(2026, 4, 20), reason="hardship", actor=lead)
    client.force_login(collector)  # A银行's team: L001 is 招商银行's
    assert client.get(PAGE).status_code == 404
    for url, data in [
        (PAUSE, pause_data("2026-04-25")),
        (f"/delinquency/loans/L001/pauses/{pause.pk}/resume/", {"resume-end": "2026-04-25"}),
        (
            CLASSIFY,
            {
                "override-classification": "loss",
                "override-effective_from": "2026-05-01",
                "override-reason": "x",
            },
        ),
    ]:
        for headers in ({}, HTMX):
            response = client.post(url, data, headers=headers)
            assert response.status_code == 404, url
            assert "张伟" not in response.content.decode()
    assert client.get("/api/v1/delinquency/loans/L001/status").status_code == 404
    response = client.post(
        "/api/v1/delinquency/loans/L001/pauses",
        {"reason": "hardship", "start": "2026-04-25"},
        content_type="application/json",
    )
    assert response.status_code == 404
    response = client.post(
        f"/api/v1/delinquency/loans/L001/pauses/{pause.pk}/resume",
        {"end": "2026-04-25"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert Pause.objects.count() == 1 and Pause.objects.get().end is None
    assert not ClassificationOverride.objects.exists()


# ── manual classification ───────────────────────────────────


def test_manual_classification_needs_a_second_person(
    client: Any, lead: Any, manager: Any, compliance: Any, closed: None
) -> None:
    client.force_login(lead)
    html = client.get(PAGE).content.decode()
    options = html[
        html.index('name="override-classification"') : html.index(
            "</select>", html.index('name="override-classification"')
        )
    ]
    assert (
        "normal" not in options and "special_mention" not in options and "substandard" in options
    )  # stricter only
    html = client.post(
        CLASSIFY,
        {
            "override-classification": "substandard",
            "override-effective_from": "2026-05-01",
            "override-reason": "借款人失联",
        },
        headers=HTMX,
    ).content.decode()
    assert "已提交人工分类申请" in html and "待审批" in html and "须由他人审批。" in html
    override = ClassificationOverride.objects.get()
    assert override.status == "pending" and override.requested_by == lead
    decide = f"/delinquency/loans/L001/classification/{override.pk}/decide/"
    assert (
        client.post(decide, {"decision": "approve"}, headers=HTMX).status_code == 200
    )  # a team lead may not
    override.refresh_from_db()
    assert override.status == "pending"

    client.force_login(compliance)  # may approve, not request
    html = client.get(PAGE).content.decode()
    assert 'data-testid="classification-form"' not in html and 'value="approve"' in html
    html = client.post(decide, {"decision": "approve"}, headers=HTMX).content.decode()
    assert "人工分类已批准。" in html
    shown = marked(html)
    assert shown["classification"] == "次级" and shown["rule-classification"] == "人工认定；按规则：关注"
    assert LoanStatus.objects.get(pk="L001").classification == "substandard"
    assert AuditEvent.objects.filter(action="classification.approved", actor=compliance).exists()
    html = client.post(decide, {"decision": "reject"}, headers=HTMX).content.decode()
    assert "该申请已审批。" in html


def test_no_one_approves_their_own_request(client: Any, manager: Any, closed: None) -> None:
    client.force_login(manager)
    client.post(
        CLASSIFY,
        {
            "override-classification": "doubtful",
            "override-effective_from": "2026-05-01",
            "override-reason": "诉讼中",
        },
    )
    override = ClassificationOverride.objects.get()
    html = client.get(PAGE).content.decode()
    assert 'value="approve"' not in html and "须由他人审批。" in html
    html = client.post(
        f"/delinquency/loans/L001/classification/{override.pk}/decide/", {"decision": "approve"}, headers=HTMX
    ).content.decode()
    assert "不能审批自己提交的申请。" in html
    override.refresh_from_db()
    assert override.status == "pending"


def test_manual_classification_needs_a_reason(client: Any, lead: Any, closed: None) -> None:
    client.force_login(lead)
    html = client.post(
        CLASSIFY,
        {"override-classification": "normal", "override-effective_from": "2026-05-01", "override-reason": ""},
        headers=HTMX,
    ).content.decode()
    assert html.count('class="field-error"') == 2  # not a stricter choice, no reason
    assert not ClassificationOverride.objects.exists()


def test_nothing_to_request_at_the_strictest_classification(client: Any, lead: Any, closed: None) -> None:
    LoanStatus.objects.filter(pk="L001").update(classification="loss", rule_classification="loss")
    html = page(client, lead)
    assert 'data-testid="classification-form"' not in html and marked(html)["classification"] == "损失"


# ── API ─────────────────────────────────────────────────────


def test_api(client: Any, lead: Any, cmb_collector: Any, closed: None) -> None:
    client.force_login(lead)
    data = client.get("/api/v1/delinquency/loans/L001/status").json()
    assert data["loan_id"] == "L001" and data["status_as_of"] == "2026-05-01"
    assert (data["dpd"], data["delinquent_days"], data["bucket"]) == (57, 54, "M2")
    assert data["total_due"] == "8327.05" and data["overdue_by_bucket"] == {"M1": "4080.26", "M2": "4080.27"}
    assert data["pauses"] == [] and data["paused"] is False

    response = client.post(
        "/api/v1/delinquency/loans/L001/pauses",
        {"reason": "dispute", "start": "2026-04-20", "note": "对账单有异议"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    pause = response.json()
    assert pause["start"] == "2026-04-20" and pause["end"] is None and pause["created_by"] == "lead"
    assert client.get("/api/v1/delinquency/loans/L001/status").json()["paused"] is True
    response = client.post(
        "/api/v1/delinquency/loans/L001/pauses",
        {"reason": "dispute", "start": "2026-04-22"},
        content_type="application/json",
    )
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    response = client.post(
        f"/api/v1/delinquency/loans/L001/pauses/{pause['id']}/resume",
        {"end": "2026-04-24"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["end"] == "2026-04-24"
    data = client.get("/api/v1/delinquency/loans/L001/status").json()
    assert data["paused"] is False and data["delinquent_days"] == 49 and len(data["pauses"]) == 1

    client.force_login(cmb_collector)
    response = client.post(
        "/api/v1/delinquency/loans/L001/pauses",
        {"reason": "dispute", "start": "2026-04-26"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert Pause.objects.count() == 1


def test_api_before_the_first_close(client: Any, lead: Any, sample: None) -> None:
    client.force_login(lead)
    data = client.get("/api/v1/delinquency/loans/L001/status").json()
    assert data["status_as_of"] is None and data["dpd"] is None and data["pauses"] == []


# ── no N+1 ──────────────────────────────────────────────────


def test_loan_page_query_count(
    client: Any, lead: Any, manager: Any, closed: None, django_assert_max_num_queries: Any
) -> None:
    loan = Loan.objects.get(pk="L001")
    services.pause(loan, dt.date(2026, 3, 10), end=dt.date(2026, 3, 12), reason="hardship", actor=lead)
    services.request_override(loan, "substandard", BUSINESS_DATE, "x", actor=lead)
    client.force_login(lead)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(PAGE).status_code == 200
        return len(queries)

    few = count()
    for n in range(4):  # more pauses, classification requests (some decided) and history do not add queries
        day = dt.date(2026, 3, 14 + 2 * n)
        services.pause(loan, day, end=day, reason="dispute", actor=lead)
        override = services.request_override(loan, "doubtful", BUSINESS_DATE, f"y{n}", actor=lead)
        if n % 2:
            services.decide_override(override, False, actor=manager)
    close([dt.date(2026, 5, 2), dt.date(2026, 5, 3)], workers=1)
    assert count() == few
    # page 9, panel 4 + the risk grade 2 (scorecard texts), the one-loan recompute 15 (with the risk step), the
    # navigation's approvals badge 2 (a team lead's team, the count)
    with django_assert_max_num_queries(32):
        client.get(PAGE)
