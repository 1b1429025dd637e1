"""The UI shell end to end through Django's test client: access, search, filters, paging, HTMX partials,
masking per role, row-level visibility, the import page, query counts and the language switch."""

from __future__ import annotations

import datetime as dt
import importlib
import io
import sys
import types
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from arrears.portfolio.models import ImportRun
from tests.factories import BorrowerFactory, ImportRunFactory, LoanFactory, UserFactory, loan_with_details

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]

LIST = "/portfolio/loans/"


def rows(response: Any) -> int:
    """Loan rows in a list page: every loan-detail link in the results table."""
    return response.content.decode().count('href="/portfolio/loans/L')


# ── access ──────────────────────────────────────────────────


@pytest.mark.parametrize(
    "url", ["/", LIST, "/portfolio/loans/L001/", "/portfolio/import/", "/settings/", "/cases/", "/legal/"]
)
def test_pages_require_login(client: Any, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(f"/login/?next={url}")


def test_login_page_renders_and_signs_in(client: Any, collector: Any) -> None:
    page = client.get("/login/")
    assert page.status_code == 200
    assert 'name="username"' in page.content.decode()
    response = client.post("/login/", {"username": "collector", "password": "correct-horse-battery-staple"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_wrong_password_shows_error(client: Any, collector: Any) -> None:
    response = client.post("/login/", {"username": "collector", "password": "nope"})
    assert response.status_code == 200
    assert "alert-error" in response.content.decode()


def test_logout_is_a_post(client: Any, collector: Any) -> None:
    client.force_login(collector)
    page = client.get("/", follow=True).content.decode()  # a collector lands on the workbench
    assert 'action="/logout/" method="post"' in page
    response = client.post("/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


# ── shell pages ─────────────────────────────────────────────


def test_home_shows_summary_of_visible_portfolio(
    client: Any, collector: Any, loan_a: Any, loan_b: Any
) -> None:
    client.force_login(collector)
    assert client.get("/").url == "/cases/workbench/"  # a collector's landing page
    lead = UserFactory(username="lead", display_name="赵敏", role="team_lead", team=collector.team)
    client.force_login(lead)
    html = client.get("/").content.decode()
    assert "12,000.00" in html  # A银行's principal only; B银行's 3,000.00 is not visible
    assert "15,000.00" not in html
    assert "赵敏" in html and "A银行" in html
    for item in ("工作台", "案件", "贷款", "协商", "报表", "设置"):
        assert item in html
    assert 'href="/legal/"' not in html  # the legal workspace is for the legal roles
    legal = UserFactory(username="lawyer", role="legal")
    client.force_login(legal)
    html = client.get("/").content.decode()
    assert html.count('href="/legal/"') == 2  # the nav and the shortcut


def test_coming_soon_pages_name_their_issue(client: Any, collector: Any) -> None:
    client.force_login(collector)
    assert client.get("/legal/").status_code == 403  # built (issue 8): for the legal roles only
    assert client.get("/cases/").status_code == 200  # built: the queue
    assert client.get("/reports/").status_code == 200


def test_settings_admin_links_only_for_admins(client: Any, collector: Any, admin_user: Any) -> None:
    client.force_login(collector)
    assert "/admin/accounts/user/" not in client.get("/settings/").content.decode()
    client.force_login(admin_user)
    html = client.get("/settings/").content.decode()
    for url in ("/admin/accounts/user/", "/admin/accounts/team/", "/admin/audit/auditevent/"):
        assert url in html


# ── loan list: search, filters, paging ──────────────────────


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("张伟", "L001"),  # name
        ("张", "L001"),  # part of a name
        ("L001", "L001"),  # loan ID
        ("l001", "L001"),  # loan ID, any case
        ("B001", "L001"),  # borrower ID
        ("11010519491231002X", "L001"),  # ID number
        ("13812345678", "L001"),  # phone
        ("王芳", "L002"),
    ],
)
def test_search(client: Any, manager: Any, loan_a: Any, loan_b: Any, query: str, found: str) -> None:
    client.force_login(manager)
    response = client.get(LIST, {"q": query})
    assert response.status_code == 200
    assert rows(response) == 1
    assert f'href="/portfolio/loans/{found}/"' in response.content.decode()


def test_search_without_match_says_so(client: Any, manager: Any, loan_a: Any) -> None:
    client.force_login(manager)
    response = client.get(LIST, {"q": "不存在的人"})
    assert rows(response) == 0
    assert "没有符合条件的贷款" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"lender_type": "bank"}, {"L001", "L002"}),
        ({"product_type": "credit_card"}, {"L002"}),
        ({"product_type": "term_loan"}, {"L001"}),
        ({"status": "closed"}, {"L002"}),
        ({"province": "北京"}, {"L001"}),
        ({"province": "广东", "status": "active"}, set()),
        ({"status": "no-such-status"}, {"L001", "L002"}),  # an invalid filter is ignored
    ],
)
def test_filters(
    client: Any, manager: Any, loan_a: Any, loan_b: Any, params: dict[str, str], expected: set[str]
) -> None:
    client.force_login(manager)
    html = client.get(LIST, params).content.decode()
    shown = {loan for loan in ("L001", "L002") if f'href="/portfolio/loans/{loan}/"' in html}
    assert shown == expected


def test_province_filter_lists_only_visible_provinces(
    client: Any, collector: Any, loan_a: Any, loan_b: Any
) -> None:
    client.force_login(collector)
    html = client.get(LIST).content.decode()
    assert '<option value="北京"' in html
    assert '<option value="广东"' not in html  # only B银行's borrower lives there


def test_pagination(client: Any, manager: Any) -> None:
    LoanFactory.create_batch(60)
    client.force_login(manager)
    first = client.get(LIST)
    html = first.content.decode()
    assert rows(first) == 25
    assert "60" in html and "1–25" in html
    assert 'href="?page=2"' in html and 'href="?page=3"' in html
    last = client.get(LIST, {"page": 3})
    assert rows(last) == 10
    assert "51–60" in last.content.decode()
    assert rows(client.get(LIST, {"page": 99})) == 10  # out of range: the last page


def test_pagination_keeps_filters(client: Any, manager: Any) -> None:
    LoanFactory.create_batch(30, status="closed")
    client.force_login(manager)
    html = client.get(LIST, {"status": "closed"}).content.decode()
    assert "?status=closed&amp;page=2" in html


def test_htmx_request_gets_only_the_results(client: Any, manager: Any, loan_a: Any, loan_b: Any) -> None:
    client.force_login(manager)
    response = client.get(LIST, {"q": "张伟"}, headers={"HX-Request": "true", "HX-Target": "loan-results"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'id="loan-results"' in html
    assert rows(response) == 1
    assert "HX-Request" in response["Vary"]
    full = client.get(LIST, {"q": "张伟"}).content.decode()
    assert "<html" in full and 'hx-trigger="input changed delay:300ms, search"' in full


def test_history_restore_gets_the_full_page(client: Any, manager: Any) -> None:
    client.force_login(manager)
    response = client.get(LIST, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in response.content.decode()


# ── masking and visibility ──────────────────────────────────


def test_collector_sees_masked_pii(client: Any, collector: Any, loan_a: Any) -> None:
    client.force_login(collector)
    for url in (LIST, "/portfolio/loans/L001/"):
        html = client.get(url).content.decode()
        assert "138****5678" in html
        assert "110105********002X" in html
        assert "13812345678" not in html
        assert "11010519491231002X" not in html
    detail = client.get("/portfolio/loans/L001/").content.decode()
    assert "136****2222" in detail and "13600002222" not in detail  # contact phone
    assert "137****1111" in detail and "13700001111" not in detail  # guarantor phone


def test_manager_sees_full_pii(client: Any, manager: Any, loan_a: Any) -> None:
    client.force_login(manager)
    for url in (LIST, "/portfolio/loans/L001/"):
        html = client.get(url).content.decode()
        assert "13812345678" in html
        assert "11010519491231002X" in html
        assert "138****5678" not in html


def test_collector_does_not_see_other_lenders_loans(
    client: Any, collector: Any, loan_a: Any, loan_b: Any
) -> None:
    client.force_login(collector)
    html = client.get(LIST).content.decode()
    assert "L001" in html and "L002" not in html and "王芳" not in html
    assert rows(client.get(LIST, {"q": "王芳"})) == 0
    assert rows(client.get(LIST, {"q": "L002"})) == 0
    response = client.get("/portfolio/loans/L002/")
    assert response.status_code == 404
    assert "王芳" not in response.content.decode()


def test_user_without_team_sees_nothing(client: Any, loan_a: Any) -> None:
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="newcomer"))
    assert rows(client.get(LIST)) == 0
    assert client.get("/portfolio/loans/L001/").status_code == 404


def test_unknown_loan_is_404(client: Any, manager: Any) -> None:
    client.force_login(manager)
    assert client.get("/portfolio/loans/NOPE/").status_code == 404


# ── loan detail ─────────────────────────────────────────────


def test_loan_detail_sections(client: Any, manager: Any, loan_a: Any) -> None:
    client.force_login(manager)
    html = client.get("/portfolio/loans/L001/").content.decode()
    assert "12,000.00" in html  # principal
    assert "12.00%" in html and "18.00%" in html  # rates
    assert "2026-02-05" in html and "3,960.27" in html and "4,080.27" in html  # schedule
    assert "12,240.80" in html  # schedule total
    assert "冲正" in html and "已冲正" in html  # the reversal and the reversed payment
    assert "大众朗逸" in html and "80,000.00" in html  # collateral
    assert "李强" in html and "连带责任保证" in html  # guarantee
    assert "刘洋" in html and "配偶" in html  # contact
    assert "等额本息" in html


# ── import page ─────────────────────────────────────────────


def test_import_forbidden_for_collector(client: Any, collector: Any) -> None:
    client.force_login(collector)
    assert client.get("/portfolio/import/").status_code == 403
    zip_file = SimpleUploadedFile("p.zip", b"PK\x05\x06" + b"\0" * 18)
    assert client.post("/portfolio/import/", {"file": zip_file}).status_code == 403
    assert "/portfolio/import/" not in client.get(LIST).content.decode()


def test_import_page_for_manager(client: Any, manager: Any) -> None:
    ImportRunFactory(source="earlier.zip", started_by=manager)
    client.force_login(manager)
    response = client.get("/portfolio/import/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in html and 'name="skip_invalid"' in html
    assert "earlier.zip" in html
    assert "/portfolio/import/" in client.get(LIST).content.decode()


@pytest.fixture
def fake_import(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Stands in for `arrears.portfolio.services.import_portfolio`, recording its calls."""
    calls: list[dict[str, Any]] = []

    def import_portfolio(path: Path, *, skip_invalid: bool, actor: Any, source_name: str) -> ImportRun:
        calls.append(
            {
                "path": path,
                "exists": path.exists(),
                "content": path.read_bytes(),
                "skip_invalid": skip_invalid,
                "actor": actor,
                "source_name": source_name,
            }
        )
        return ImportRun.objects.create(
            started_at=dt.datetime.now(dt.UTC),
            finished_at=dt.datetime.now(dt.UTC),
            source=source_name,
            started_by=actor,
            skip_invalid=skip_invalid,
            status=ImportRun.Status.PARTIAL,
            counts={
                "borrowers": {"created": 2, "updated": 0, "unchanged": 1},
                "loans": {"created": 1, "updated": 1, "unchanged": 0},
            },
            errors=[
                {
                    "file": "loans.csv",
                    "row": 3,
                    "column": "principal",
                    "value": "-5",
                    "message": "amount must not be negative",
                }
            ],
            error_count=1,
        )

    name = "arrears.portfolio.services"
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError:
        module = types.ModuleType(name)
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setattr(module, "import_portfolio", import_portfolio, raising=False)
    return calls


def test_import_upload_calls_the_service_and_shows_the_report(
    client: Any, manager: Any, fake_import: list[dict[str, Any]]
) -> None:
    client.force_login(manager)
    upload = SimpleUploadedFile("二月移交.zip", b"zip bytes", content_type="application/zip")
    response = client.post("/portfolio/import/", {"file": upload, "skip_invalid": "on"}, follow=True)
    assert response.status_code == 200
    [call] = fake_import
    assert call["exists"] and call["content"] == b"zip bytes" and call["path"].suffix == ".zip"
    assert call["skip_invalid"] is True and call["actor"] == manager and call["source_name"] == "二月移交.zip"
    assert not call["path"].exists()  # the temporary copy is removed
    run = ImportRun.objects.get()
    assert response.redirect_chain == [(f"/portfolio/import/runs/{run.pk}/", 302)]
    html = response.content.decode()
    assert "二月移交.zip" in html
    assert "loans.csv" in html and "principal" in html and "amount must not be negative" in html
    assert "借款人" in html and "新增" in html  # counts table, translated
    csv_response = client.get(reverse("portfolio:import_run_errors", args=[run.pk]))
    body = csv_response.content.decode("utf-8-sig")
    assert body.splitlines()[1] == "loans.csv,3,principal,-5,amount must not be negative"


def test_import_without_skip_invalid(client: Any, manager: Any, fake_import: list[dict[str, Any]]) -> None:
    client.force_login(manager)
    client.post("/portfolio/import/", {"file": SimpleUploadedFile("p.xlsx", b"x")})
    assert fake_import[0]["skip_invalid"] is False and fake_import[0]["path"].suffix == ".xlsx"


def test_import_rejects_a_single_csv(client: Any, manager: Any, fake_import: list[dict[str, Any]]) -> None:
    client.force_login(manager)
    response = client.post("/portfolio/import/", {"file": SimpleUploadedFile("loans.csv", b"loan_id\n")})
    assert response.status_code == 200
    assert fake_import == []
    assert "field-error" in response.content.decode()


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text.encode())
    return buffer.getvalue()


BORROWERS_CSV = "borrower_id,name,id_number,phone,province\nB001,张伟,11010519491231002X,13812345678,北京\n"
LOANS_CSV = (
    "loan_id,borrower_id,lender,lender_type,product_type,principal,annual_rate,contract_date,disbursement_date,"
    "repayment_method,installments,first_due_date\n"
    'L001,B001,A银行,bank,term_loan,"12,000.00",0.12,2026-01-01,2026-01-05,equal_installment,3,2026-02-05\n'
)


def test_import_with_the_real_service(client: Any, manager: Any) -> None:
    pytest.importorskip("arrears.portfolio.services")
    client.force_login(manager)
    upload = SimpleUploadedFile(
        "portfolio.zip", _zip({"borrowers.csv": BORROWERS_CSV, "loans.csv": LOANS_CSV})
    )
    response = client.post("/portfolio/import/", {"file": upload}, follow=True)
    html = response.content.decode()
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.SUCCEEDED, run.errors
    assert "资产包已导入" in html and "portfolio.zip" in html
    assert client.get(LIST, {"q": "张伟"}).content.decode().count("L001") >= 1


def test_import_of_an_invalid_portfolio_shows_the_errors(client: Any, manager: Any) -> None:
    pytest.importorskip("arrears.portfolio.services")
    client.force_login(manager)
    bad = BORROWERS_CSV.replace("11010519491231002X", "110105194912310021")  # bad checksum
    upload = SimpleUploadedFile("bad.zip", _zip({"borrowers.csv": bad, "loans.csv": LOANS_CSV}))
    html = client.post("/portfolio/import/", {"file": upload}, follow=True).content.decode()
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.REJECTED and run.error_count >= 1
    assert "未通过校验" in html and "borrowers" in html and "id_number" in html


def test_import_run_of_another_id_is_404(client: Any, manager: Any) -> None:
    client.force_login(manager)
    assert client.get("/portfolio/import/runs/999/").status_code == 404


# ── no N+1 ──────────────────────────────────────────────────


def test_loan_list_query_count(client: Any, collector: Any, django_assert_max_num_queries: Any) -> None:
    for _ in range(30):
        LoanFactory(lender="A银行", borrower=BorrowerFactory())
    client.force_login(collector)
    with django_assert_max_num_queries(8):
        response = client.get(LIST)
    assert rows(response) == 25


def test_loan_detail_query_count(
    client: Any, collector: Any, loan_a: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(3):
        loan_with_details(loan_id=f"LX{n}", borrower=loan_a.borrower)  # more contacts on the same borrower
    client.force_login(collector)
    # 10 for the loan and its details, 4 for the delinquency panel (business date, pauses, requests, history):
    # a fixed number, however many rows each has
    with django_assert_max_num_queries(14):
        response = client.get("/portfolio/loans/L001/")
    assert response.status_code == 200


# ── language ────────────────────────────────────────────────


def test_chinese_is_the_default_and_english_is_a_switch_away(
    client: Any, collector: Any, loan_a: Any
) -> None:
    client.force_login(collector)
    html = client.get(LIST).content.decode()
    assert 'lang="zh-CN"' in html and "贷款" in html and "工作台" in html
    response = client.post("/i18n/setlang/", {"language": "en", "next": LIST}, follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == LIST
    assert 'lang="en"' in html
    for text in (
        "Workbench",
        "Loans",
        "Search",
        "Principal (¥)",
        "Personal data masked",
        "Term loan",
        "Active",
    ):
        assert text in html
    for text in ("工作台", "案件", "搜索", "本金"):
        assert text not in html
    detail = client.get("/portfolio/loans/L001/").content.decode()
    assert "Repayment schedule" in detail and "Equal installment" in detail


@pytest.mark.django_db
def test_full_pii_reads_are_audited_masked_reads_are_not(client, write_portfolio):
    from arrears.accounts.models import Role
    from arrears.accounts.services import create_user
    from arrears.audit.models import AuditEvent
    from arrears.portfolio.services import import_portfolio

    import_portfolio(write_portfolio())
    manager = create_user("m-audit", "pw-long-enough-1", Role.MANAGER)
    client.force_login(manager)
    client.get("/portfolio/loans/L001/")
    event = AuditEvent.objects.get(action="pii.read", object_id="B001")
    assert event.actor == manager and "loan detail L001" in event.note
    client.get("/portfolio/loans/")
    listed = AuditEvent.objects.filter(action="pii.read", object_id="").get()
    assert sorted(listed.after["borrower_ids"]) == ["B001", "B002"]
    assert client.get("/api/v1/portfolio/loans/L001").json()["borrower"]["phone"] == "13812345678"
    assert AuditEvent.objects.filter(action="pii.read", object_id="B001").count() == 2
