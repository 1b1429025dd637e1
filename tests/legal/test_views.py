"""Legal pages (issue 8): the workspace (kanban), calendar, matter page, referral and its queue, limitation watch,
batch litigation and the API — visibility first (an outside firm's user sees only their firm's matters and gets a 404
on any other; a collector gets a 403 on the workspace), a step recorded through its form, refusals shown inline
with nothing changed."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from arrears.accounts.models import Agency
from arrears.batch import runner
from arrears.cases import services as case_services
from arrears.cases.models import Case
from arrears.core.money import display_fen
from arrears.legal import lifecycle, services
from arrears.legal.models import AssetFinding, Deadline, Matter, ReferralCriteria, StageRecord
from tests.factories import TeamFactory, UserFactory, loan_with_details

AS_OF = dt.date(2026, 7, 15)
D = dt.date
pytestmark = pytest.mark.django_db


def escalate(case: Case, actor: Any) -> Case:
    case = case_services.transition(case, "contacting", actor=actor)
    return case_services.transition(case, "escalated", actor=actor, reason="no contact for 60 days")


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    team = TeamFactory(name="一组", lenders=[])
    firm = Agency.objects.create(name="金诚律师事务所", kind=Agency.Kind.LAW_FIRM)
    other = Agency.objects.create(name="远方律师事务所", kind=Agency.Kind.LAW_FIRM)
    who = {
        "collector": UserFactory(username="c1", team=team),
        "manager": UserFactory(username="m1", role="manager"),
        "legal": UserFactory(username="legal1", display_name="王律", role="legal"),
        "legal2": UserFactory(username="legal2", role="legal"),
        "firm": firm,
        "firm_lawyer": UserFactory(username="lawyer", display_name="金律师", role="legal", agency=firm),
        "other_lawyer": UserFactory(username="elsewhere", role="legal", agency=other),
    }
    ReferralCriteria.objects.create(effective_from=D(2026, 1, 1), min_dpd=90, min_balance=1_000_000,
                                    min_contact_attempts=None, lawyer_fee_share="0.05",
                                    lawyer_fee_minimum=300_000)  # fmt: skip
    loan_with_details(loan_id="L001")
    loan_with_details(loan_id="L002")
    runner.close([AS_OF])
    cases = [escalate(c, who["manager"]) for c in Case.objects.order_by("pk")]
    return who | {"cases": cases}


def approved(world: dict[str, Any], case: Case) -> Matter:
    matter = services.refer(case, actor=world["manager"], reason="160 days past due, no contact")
    return services.decide_referral(matter, actor=world["legal"], approve=True, note="evidence complete")


def walk(matter: Matter, actor: Any, until: str) -> Matter:
    """Along the usual path up to (and including) `until`."""
    path = [
        (lifecycle.INVESTIGATING, {"on": D(2026, 7, 16)}),
        (lifecycle.FILED, {"on": D(2026, 7, 20), "court": "北京市朝阳区人民法院"}),
        (lifecycle.ACCEPTED, {"on": D(2026, 7, 27), "court": "北京市朝阳区人民法院",
                              "case_number": "(2026)京0105民初1234号"}),
        (lifecycle.HEARING, {"on": D(2026, 9, 1)}),
    ]  # fmt: skip
    for target, kwargs in path:
        services.advance(matter, target, actor=actor, **kwargs)
        matter.refresh_from_db()
        if target == until:
            break
    return matter


@pytest.fixture
def two_matters(world: dict[str, Any]) -> dict[str, Any]:
    """Matter A with the firm at the hearing; matter B approved, in-house, not yet assigned."""
    a = services.assign(approved(world, world["cases"][0]), actor=world["legal"], lawyer=world["firm_lawyer"])
    a = walk(a, world["firm_lawyer"], lifecycle.HEARING)
    b = approved(world, world["cases"][1])
    return world | {"a": a, "b": b}


def page(client: Any, user: Any, url: str, status: int = 200) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def column(html: str, stage: str) -> str:
    """The HTML of one kanban column."""
    match = re.search(rf'data-testid="column-{stage}".*?</section>', html, re.S)
    return match.group(0) if match else ""


# --- access and visibility ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["legal", "manager"])
def test_every_page_renders_for_legal_and_managers(
    client: Any, two_matters: dict[str, Any], who: str
) -> None:
    a, b = two_matters["a"], two_matters["b"]
    user = two_matters[who]
    for url in ("/legal/", "/legal/?stage=hearing", "/legal/calendar/", "/legal/calendar/?view=agenda",
                "/legal/calendar/?month=2026-09", f"/legal/matters/{a.pk}/", f"/legal/matters/{b.pk}/",
                "/legal/referrals/", "/legal/watch/", "/legal/watch/?kind=guarantee&within=3650&expired=on",
                f"/legal/refer/{a.case_id}/"):  # fmt: skip
        page(client, user, url)
    html = page(client, user, "/")
    assert 'href="/legal/"' in html  # the navigation's entry


def test_an_outside_firm_sees_only_its_matters(client: Any, two_matters: dict[str, Any]) -> None:
    a, b = two_matters["a"], two_matters["b"]
    html = page(client, two_matters["firm_lawyer"], "/legal/")
    assert f'data-matter="{a.pk}"' in html and f'data-matter="{b.pk}"' not in html
    page(client, two_matters["firm_lawyer"], f"/legal/matters/{a.pk}/")
    page(client, two_matters["firm_lawyer"], f"/legal/matters/{b.pk}/", status=404)
    client.post(
        f"/legal/matters/{b.pk}/advance/", {"target": "investigating", "to-investigating-on": "2026-07-16"}
    )
    assert Matter.objects.get(pk=b.pk).stage == "approved"
    # another firm: nothing at all, a 404 on the firm's matter, its deadlines not on the calendar
    html = page(client, two_matters["other_lawyer"], "/legal/")
    assert 'data-testid="matter-card"' not in html
    page(client, two_matters["other_lawyer"], f"/legal/matters/{a.pk}/", status=404)
    # firms decide nothing in-house: no referral queue, no refer page
    page(client, two_matters["firm_lawyer"], "/legal/referrals/", status=403)
    page(client, two_matters["firm_lawyer"], f"/legal/refer/{a.case_id}/", status=403)


def test_a_collector_may_not_open_the_workspace(client: Any, two_matters: dict[str, Any]) -> None:
    collector = two_matters["collector"]
    for url in ("/legal/", "/legal/calendar/", f"/legal/matters/{two_matters['a'].pk}/", "/legal/watch/"):
        page(client, collector, url, status=403)
    assert 'href="/legal/"' not in page(client, collector, "/cases/")  # nor sees it in the navigation


# --- the workspace --------------------------------------------------------------------------------------------


def test_the_kanban_puts_each_matter_in_its_stage_column_with_counts(
    client: Any, two_matters: dict[str, Any]
) -> None:
    a, b = two_matters["a"], two_matters["b"]
    html = page(client, two_matters["legal"], "/legal/")
    hearing, approved_ = column(html, "hearing"), column(html, "approved")
    assert f'data-matter="{a.pk}"' in hearing and f'data-matter="{b.pk}"' not in hearing
    assert f'data-matter="{b.pk}"' in approved_
    assert re.search(r'data-testid="column-count">1<', hearing)
    assert "金律师" in hearing and "金诚律师事务所" in hearing  # lawyer and firm on the card
    assert f"¥{display_fen(a.claim_amount)}" in hearing  # the claim in yuan
    # filters: the firm's, a court, a stage (the stage's list)
    html = page(client, two_matters["legal"], f"/legal/?firm={two_matters['firm'].pk}")
    assert f'data-matter="{a.pk}"' in html and f'data-matter="{b.pk}"' not in html
    html = page(client, two_matters["legal"], "/legal/?firm=none")
    assert f'data-matter="{b.pk}"' in html and f'data-matter="{a.pk}"' not in html
    html = page(client, two_matters["legal"], "/legal/?court=朝阳")
    assert f'data-matter="{a.pk}"' in html and f'data-matter="{b.pk}"' not in html
    partial = client.get(
        "/legal/?firm=none", headers={"HX-Request": "true"}
    ).content.decode()  # the filters' swap
    assert partial.lstrip().startswith('<section id="legal-board"') and f'data-matter="{b.pk}"' in partial
    html = page(client, two_matters["legal"], "/legal/?stage=approved")
    assert 'data-testid="stage-list"' in html and f'data-matter="{b.pk}"' in html


def test_a_card_shows_the_next_deadline_coloured_within_a_week(
    client: Any, two_matters: dict[str, Any]
) -> None:
    a = two_matters["a"]
    services.advance(a, lifecycle.JUDGED, actor=two_matters["firm_lawyer"], on=D(2026, 9, 18),
                     served_on=D(2026, 9, 20), amount_awarded=1_000_000)  # fmt: skip
    html = column(page(client, two_matters["legal"], "/legal/"), "judged")
    deadline = Deadline.objects.get(matter=a)
    assert deadline.due_on.isoformat() in html
    left = (deadline.due_on - AS_OF).days
    assert left > 7 and "legal-card-urgent" not in html
    Deadline.objects.filter(pk=deadline.pk).update(due_on=AS_OF + dt.timedelta(days=5))
    html = column(page(client, two_matters["legal"], "/legal/"), "judged")
    assert "legal-card-urgent" in html and (AS_OF + dt.timedelta(days=5)).isoformat() in html


def test_the_workspace_reads_a_fixed_number_of_queries(client: Any, two_matters: dict[str, Any]) -> None:
    client.force_login(two_matters["legal"])
    client.get("/legal/")
    with CaptureQueriesContext(connection) as few:
        client.get("/legal/")
    third = loan_with_details(loan_id="L003")
    runner.close([AS_OF])
    extra = escalate(Case.objects.get(borrower_id=third.borrower_id), two_matters["manager"])
    approved(two_matters, extra)
    with CaptureQueriesContext(connection) as more:
        client.get("/legal/")
    assert len(more) == len(few)


# --- the matter page and its steps ----------------------------------------------------------------------------


def test_a_judgment_recorded_through_its_form_starts_the_appeal_deadline_on_the_calendar(
    client: Any, two_matters: dict[str, Any]
) -> None:
    a = two_matters["a"]
    client.force_login(two_matters["firm_lawyer"])
    html = client.get(f"/legal/matters/{a.pk}/").content.decode()
    assert 'data-testid="step-judged"' in html and 'data-testid="step-mediated"' in html
    assert 'data-testid="step-closed"' not in html  # closure is in-house only
    response = client.post(f"/legal/matters/{a.pk}/advance/", {
        "target": "judged", "to-judged-on": "2026-09-18", "to-judged-served_on": "2026-09-20",
        "to-judged-amount_awarded": "12,500.5", "to-judged-reason": "判决支持全部诉讼请求",
    })  # fmt: skip
    assert response.status_code == 302
    record = StageRecord.objects.get(matter=a, step="judged")
    assert (record.happened_on, record.amount_awarded, record.details["served_on"]) == (
        D(2026, 9, 18), 1_250_050, "2026-09-20",
    )  # fmt: skip
    appeal = Deadline.objects.get(matter=a, kind="appeal")
    assert appeal.due_on == D(2026, 10, 8)  # 15 days from 09-20 end 10-05, in National Day → 10-08
    html = client.get(f"/legal/matters/{a.pk}/").content.decode()
    assert 'data-due="2026-10-08"' in html and "12,500.50" in html
    calendar = client.get("/legal/calendar/?month=2026-10").content.decode()
    cell = re.search(r'data-day="2026-10-08".*?</td>', calendar, re.S)
    assert cell and f'data-matter="{a.pk}"' in cell.group(0) and 'data-type="deadline"' in cell.group(0)
    assert "legal-day-holiday" in re.search(r'<td class="[^"]*" data-day="2026-10-05"', calendar).group(0)  # type: ignore[union-attr]
    agenda = client.get("/legal/calendar/?view=agenda&month=2026-10").content.decode()
    assert "2026-10-08" in agenda and appeal.basis[:10] in agenda
    # another firm's user never sees it on their calendar
    client.force_login(two_matters["other_lawyer"])
    assert f'data-matter="{a.pk}"' not in client.get("/legal/calendar/?month=2026-10").content.decode()


def test_a_refused_step_is_shown_inline_and_changes_nothing(client: Any, two_matters: dict[str, Any]) -> None:
    a = two_matters["a"]
    client.force_login(two_matters["firm_lawyer"])
    response = client.post(f"/legal/matters/{a.pk}/advance/", {
        "target": "judged", "to-judged-on": "2026-08-01", "to-judged-amount_awarded": "100",
    })  # fmt: skip
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="form-error"' in html and "2026-09-01" in html  # before the last step
    assert Matter.objects.get(pk=a.pk).stage == "hearing"
    response = client.post(f"/legal/matters/{a.pk}/advance/", {
        "target": "judged", "to-judged-on": "2026-09-18", "to-judged-amount_awarded": "1.234",
    })  # fmt: skip
    assert response.status_code == 400 and 'class="field-error"' in response.content.decode()
    assert not StageRecord.objects.filter(matter=a, step="judged").exists()
    response = client.post(
        f"/legal/matters/{a.pk}/advance/", {"target": "enforcing", "to-enforcing-on": "2026-09-18"}
    )
    assert response.status_code == 400 and Matter.objects.get(pk=a.pk).stage == "hearing"


def test_assets_actions_and_closing_in_house(client: Any, two_matters: dict[str, Any]) -> None:
    a = two_matters["a"]
    client.force_login(two_matters["firm_lawyer"])
    response = client.post(f"/legal/matters/{a.pk}/assets/", {
        "asset-kind": "bank_account", "asset-description": "工行账户 ****1234", "asset-source": "法院网络查控",
        "asset-found_on": "2026-09-02", "asset-value": "3,000",
    })  # fmt: skip
    # the collateral already covers the claim: looking further needs a reason (PIPL, minimum necessary)
    assert response.status_code == 400 and 'data-testid="form-error"' in response.content.decode()
    assert not AssetFinding.objects.exists()
    response = client.post(f"/legal/matters/{a.pk}/assets/", {
        "asset-kind": "bank_account", "asset-description": "工行账户 ****1234", "asset-source": "法院网络查控",
        "asset-found_on": "2026-09-02", "asset-value": "3,000", "asset-proportionality_note": "抵押物价值存疑",
    })  # fmt: skip
    assert response.status_code == 302
    assert AssetFinding.objects.get(matter=a).value == 300_000
    response = client.post(f"/legal/matters/{a.pk}/actions/", {
        "action": "preservation", "act-preservation-on": "2026-09-03", "act-preservation-court": "朝阳法院",
        "act-preservation-asset_kind": "bank_account", "act-preservation-amount": "3000",
    })  # fmt: skip
    assert response.status_code == 302
    renewal = Deadline.objects.get(matter=a, kind="preservation_renewal")
    assert renewal.due_on == D(2027, 9, 3)
    html = client.get(f"/legal/matters/{a.pk}/").content.decode()
    assert "工行账户" in html and 'data-kind="preservation_renewal"' in html and "T-30" in html
    client.force_login(two_matters["legal"])
    response = client.post(f"/legal/matters/{a.pk}/advance/", {
        "target": "closed", "to-closed-on": "2026-09-05", "to-closed-closure_reason": "settled",
        "to-closed-reason": "和解：一次性还款", "to-closed-amount_recovered": "10000",
    })  # fmt: skip
    assert response.status_code == 302, re.findall(r'form-error">(.*?)<', response.content.decode())
    a.refresh_from_db()
    assert (a.stage, a.closure_reason, a.amount_recovered) == ("closed", "settled", 1_000_000)
    renewal.refresh_from_db()
    assert renewal.status == "cancelled"


def test_documents_are_kept_and_downloaded_only_by_who_may_see_the_matter(
    client: Any, two_matters: dict[str, Any], tmp_path: Any, settings: Any
) -> None:
    settings.EVIDENCE_ROOT = str(tmp_path)
    a = two_matters["a"]
    client.force_login(two_matters["firm_lawyer"])
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("借款合同.pdf", b"%PDF-1.4 contract", content_type="application/pdf")
    response = client.post(
        f"/legal/matters/{a.pk}/documents/", {"doc-document": "contract", "doc-file": upload}
    )
    assert response.status_code == 302
    html = client.get(f"/legal/matters/{a.pk}/").content.decode()
    link = re.search(r'href="(/legal/matters/\d+/documents/\d+/0/)"', html)
    assert link is not None
    download = client.get(link.group(1))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 contract"
    from arrears.audit.models import AuditEvent

    read = AuditEvent.objects.get(action="legal.document_read")  # court papers name the parties in full
    assert read.object_id == str(a.pk) and read.after["file"] == "借款合同.pdf"
    client.force_login(two_matters["other_lawyer"])
    assert client.get(link.group(1)).status_code == 404


# --- referral -------------------------------------------------------------------------------------------------


def test_referral_shows_the_viability_check_and_goes_to_the_queue_for_someone_else(
    client: Any, world: dict[str, Any]
) -> None:
    case = world["cases"][0]
    client.force_login(world["manager"])
    assert (
        f'href="/legal/refer/{case.pk}/"' in client.get(f"/cases/{case.pk}/").content.decode()
    )  # the case view
    html = client.get(f"/legal/refer/{case.pk}/").content.decode()
    for part in ("v-claim", "v-costs", "v-periods", "v-evidence", "v-assets", "v-criteria"):
        assert f'data-testid="{part}"' in html
    assert 'data-criterion="min_dpd" data-met="yes"' in html and 'data-testid="criteria-unmet"' not in html
    response = client.post(f"/legal/refer/{case.pk}/", {"loans": ["L001"], "reason": ""})
    assert response.status_code == 400 and not Matter.objects.exists()
    response = client.post(f"/legal/refer/{case.pk}/", {"loans": ["L001"], "reason": "160 天逾期，失联"})
    matter = Matter.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/legal/matters/{matter.pk}/"
    assert matter.stage == "referred" and Case.objects.get(pk=case.pk).status == "legal"
    # the referrer cannot decide it
    html = client.get("/legal/referrals/").content.decode()
    assert 'data-testid="own-referral"' in html
    client.post(f"/legal/matters/{matter.pk}/decide/", {"decision": "approve", "next": "/legal/referrals/"})
    assert Matter.objects.get().stage == "referred"
    # someone else returns it without a reason (refused), then approves it
    client.force_login(world["legal"])
    html = client.get("/legal/referrals/").content.decode()
    assert f'data-matter="{matter.pk}"' in html and 'data-testid="approve"' in html
    client.post(
        f"/legal/matters/{matter.pk}/decide/", {"decision": "return", "note": "", "next": "/legal/referrals/"}
    )
    assert Matter.objects.get().stage == "referred"
    response = client.post(
        f"/legal/matters/{matter.pk}/decide/", {"decision": "approve", "next": "/legal/referrals/"}
    )
    assert response.status_code == 302 and response["Location"] == "/legal/referrals/"
    assert Matter.objects.get().stage == "approved"
    # a case with a live matter shows it instead of a second referral form
    client.force_login(world["manager"])
    html = client.get(f"/legal/refer/{case.pk}/").content.decode()
    assert 'data-testid="live-matter"' in html and 'data-testid="refer-form"' not in html


def test_unmet_criteria_need_an_override_reason(client: Any, world: dict[str, Any]) -> None:
    ReferralCriteria.objects.create(effective_from=D(2026, 7, 1), min_dpd=365, min_balance=1_000_000,
                                    min_contact_attempts=None)  # fmt: skip
    case = world["cases"][0]
    client.force_login(world["manager"])
    html = client.get(f"/legal/refer/{case.pk}/").content.decode()
    assert 'data-criterion="min_dpd" data-met="no"' in html and 'data-testid="criteria-unmet"' in html
    response = client.post(f"/legal/refer/{case.pk}/", {"loans": ["L001"], "reason": "long overdue"})
    assert response.status_code == 400 and 'data-testid="form-error"' in response.content.decode()
    client.post(f"/legal/refer/{case.pk}/", {"loans": ["L001"], "reason": "long overdue",
                                             "override_reason": "转移财产迹象"})  # fmt: skip
    assert Matter.objects.get().override_reason == "转移财产迹象"
    client.force_login(world["collector"])
    assert client.get(f"/legal/refer/{world['cases'][1].pk}/").status_code == 403


# --- the watch ------------------------------------------------------------------------------------------------


def test_the_limitation_watch_lists_what_expires_within_the_window(
    client: Any, world: dict[str, Any]
) -> None:
    html = page(client, world["legal"], "/legal/watch/?within=3650")
    assert 'data-loan="L001"' in html and 'data-loan="L002"' in html
    html = page(client, world["legal"], "/legal/watch/?within=30")
    assert 'data-loan="L001"' not in html
    html = page(client, world["legal"], "/legal/watch/?within=3650&q=L002&sort=loan_id")
    assert 'data-loan="L001"' not in html and 'data-loan="L002"' in html


# --- batch litigation -----------------------------------------------------------------------------------------


def test_a_batch_from_filter_to_zip_progress_and_filing(
    client: Any, two_matters: dict[str, Any], tmp_path: Any, settings: Any
) -> None:
    settings.EVIDENCE_ROOT = str(tmp_path)
    b = services.assign(two_matters["b"], actor=two_matters["legal"], lawyer=two_matters["legal2"])
    client.force_login(two_matters["legal"])
    html = client.get("/legal/batches/new/").content.decode()
    assert 'data-testid="preview-count">1<' in html and f'data-matter="{b.pk}"' in html  # A is past filing
    assert display_fen(b.claim_amount) in html
    response = client.post("/legal/batches/new/", {"filing_date": "2026-07-15"})
    from arrears.legal.models import LitigationBatch

    batch = LitigationBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/legal/batches/{batch.pk}/"
    assert (batch.total, batch.matter_ids, batch.status) == (1, [b.pk], "queued")  # runs after commit
    html = client.get(f"/legal/batches/{batch.pk}/progress/").content.decode()
    assert 'data-done="0" data-total="1"' in html and 'hx-trigger="every 1s"' in html
    assert 'data-testid="batch-run"' not in html  # queued, not stalled: nothing to run again
    # its process died: no sign of life for ten minutes → the page says so and offers to run it again
    from django.utils import timezone

    LitigationBatch.objects.filter(pk=batch.pk).update(
        status="running", heartbeat_at=timezone.now() - dt.timedelta(minutes=11)
    )
    html = client.get(f"/legal/batches/{batch.pk}/progress/").content.decode()
    assert (
        'data-testid="batch-stalled"' in html and 'data-testid="batch-run"' in html and "every 1s" not in html
    )
    assert (
        client.post(f"/legal/batches/{batch.pk}/run/").status_code == 302
    )  # the thread starts after commit,
    services.run_packages(
        batch.pk
    )  # which a test never reaches: run it here (it takes the stalled batch over)
    response = client.get(f"/legal/batches/{batch.pk}/progress/?from=running")
    html = response.content.decode()
    assert 'data-done="1" data-total="1"' in html and 'data-status="done"' in html and "every 1s" not in html
    assert response["HX-Refresh"] == "true"
    html = client.get(f"/legal/batches/{batch.pk}/").content.decode()
    assert 'data-testid="batch-zip"' in html and 'data-testid="file-form"' in html
    zipped = client.get(f"/legal/batches/{batch.pk}/zip/")
    assert zipped.status_code == 200 and b"".join(zipped.streaming_content)[:2] == b"PK"
    assert f'data-batch="{batch.pk}"' in client.get("/legal/batches/").content.decode()
    response = client.post(
        f"/legal/batches/{batch.pk}/file/", {"on": "2026-07-20", "court": "北京市朝阳区人民法院"}
    )
    assert response.status_code == 302
    b.refresh_from_db()
    assert (b.stage, b.court) == ("filed", "北京市朝阳区人民法院")
    assert 'data-testid="batch-filed"' in client.get(f"/legal/batches/{batch.pk}/").content.decode()
    # another firm's lawyer sees neither the batch nor its zip
    client.force_login(two_matters["other_lawyer"])
    assert client.get(f"/legal/batches/{batch.pk}/progress/").status_code == 404
    assert client.get(f"/legal/batches/{batch.pk}/zip/").status_code == 404


# --- the API --------------------------------------------------------------------------------------------------


def test_the_api_lists_details_advances_and_watches(client: Any, two_matters: dict[str, Any]) -> None:
    a, b = two_matters["a"], two_matters["b"]
    client.force_login(two_matters["firm_lawyer"])
    listing = client.get("/api/v1/legal/matters").json()
    assert [m["id"] for m in listing["matters"]] == [a.pk] and listing["count"] == 1
    assert client.get(f"/api/v1/legal/matters/{b.pk}").status_code == 404
    detail = client.get(f"/api/v1/legal/matters/{a.pk}").json()
    assert detail["stage"] == "hearing" and {s["to"] for s in detail["allowed_steps"]} == {
        "judged",
        "mediated",
    }
    response = client.post(f"/api/v1/legal/matters/{a.pk}/advance", {
        "to": "judged", "on": "2026-09-18", "served_on": "2026-09-20", "amount_awarded": "12500.50",
    }, content_type="application/json")  # fmt: skip
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["stage"] == "judged" and body["amount_awarded"] == "12500.50"
    assert [(d["kind"], d["due_on"]) for d in body["deadlines"]] == [("appeal", "2026-10-08")]
    refused = client.post(f"/api/v1/legal/matters/{a.pk}/advance", {"to": "closed", "on": "2026-09-20"},
                          content_type="application/json")  # fmt: skip
    assert refused.status_code == 403  # closing is in-house
    bad = client.post(f"/api/v1/legal/matters/{a.pk}/advance", {"to": "effective", "on": "2026-09-01"},
                      content_type="application/json")  # fmt: skip
    assert bad.status_code == 400 and "2026-09-18" in bad.json()["message"]
    deadlines = client.get("/api/v1/legal/deadlines").json()
    assert [d["due_on"] for d in deadlines["deadlines"]] == ["2026-10-08"]
    client.force_login(two_matters["legal"])
    watch = client.get("/api/v1/legal/watch?within_days=3650").json()
    assert {r["loan_id"] for r in watch["rows"]} == {"L001", "L002"}
    assert client.get("/api/v1/legal/matters?stage=approved").json()["matters"][0]["id"] == b.pk
    client.force_login(two_matters["collector"])
    assert client.get("/api/v1/legal/matters").status_code == 403


def test_the_api_starts_a_batch_and_reports_its_status(
    client: Any, two_matters: dict[str, Any], tmp_path: Any, settings: Any
) -> None:
    settings.EVIDENCE_ROOT = str(tmp_path)
    b = services.assign(two_matters["b"], actor=two_matters["legal"], lawyer=two_matters["legal2"])
    client.force_login(two_matters["legal"])
    response = client.post(
        "/api/v1/legal/batches", {"filing_date": "2026-07-15"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    batch = response.json()
    assert (batch["total"], batch["matter_ids"], batch["status"]) == (1, [b.pk], "queued")
    services.run_packages(batch["id"])
    status = client.get(f"/api/v1/legal/batches/{batch['id']}").json()
    assert (status["status"], status["done"], status["total"], status["percent"]) == ("done", 1, 1, 100)
    refused = client.post("/api/v1/legal/batches", {"filing_date": "2026-07-15", "matter_ids": [two_matters["a"].pk]},
                          content_type="application/json")  # fmt: skip
    assert refused.status_code == 400


# --- review fixes ---------------------------------------------------------------------------------------------


def test_a_loan_due_before_the_guarantee_period_rule_is_referred_and_watched(
    client: Any, world: dict[str, Any]
) -> None:
    """L001's guarantee, its loan last due 2020-06-01 (before the guarantee-period rule, 2021-01-01): the referral
    page shows it as not assessed, the referral goes through and the guarantee watch renders."""
    from arrears.legal import selectors
    from arrears.portfolio.models import Guarantee, ScheduleInstallment

    assert Guarantee.objects.filter(loan_id="L001").exists()
    ScheduleInstallment.objects.filter(loan_id="L001").update(due_date=D(2020, 6, 1))
    case = world["cases"][0]
    check = selectors.viability_check(case, AS_OF)
    assert all(g["not_assessed"] and g["ends_on"] is None for g in check["periods"]["guarantees"])
    client.force_login(world["manager"])
    html = page(client, world["manager"], f"/legal/refer/{case.pk}/")
    assert html.count('data-testid="not-assessed"') == Guarantee.objects.filter(loan_id="L001").count()
    response = client.post(f"/legal/refer/{case.pk}/", {"loans": ["L001"], "reason": "160 天逾期，失联"})
    assert response.status_code == 302 and Matter.objects.get().stage == "referred"
    page(client, world["legal"], "/legal/watch/?kind=guarantee&within=3650&expired=1")
    page(client, world["legal"], "/legal/referrals/")


def test_a_batch_shows_and_zips_only_what_the_firm_still_sees_and_audits_each_download(
    client: Any, two_matters: dict[str, Any], tmp_path: Any, settings: Any
) -> None:
    from arrears.audit.models import AuditEvent
    from arrears.legal.models import LitigationBatch

    settings.EVIDENCE_ROOT = str(tmp_path)
    lawyer = two_matters["firm_lawyer"]
    b = services.assign(two_matters["b"], actor=two_matters["legal"], lawyer=lawyer, firm=two_matters["firm"])
    batch = services.start_packages([b.pk], actor=lawyer, filing_date=AS_OF)
    services.run_packages(batch.pk)
    client.force_login(lawyer)
    html = client.get(f"/legal/batches/{batch.pk}/").content.decode()
    assert f'data-matter="{b.pk}"' in html
    zipped = client.get(f"/legal/batches/{batch.pk}/zip/")
    assert zipped.status_code == 200 and b"".join(zipped.streaming_content)[:2] == b"PK"
    read = AuditEvent.objects.get(action="legal.batch_zip_read")
    assert (read.object_type, read.object_id, read.actor_id) == ("LitigationBatch", str(batch.pk), lawyer.pk)
    assert read.after["matters"] == [b.pk]
    # the matter goes to another firm: the firm's lawyer no longer sees it in the list, nor gets the zip
    Matter.objects.filter(pk=b.pk).update(firm=two_matters["other_lawyer"].agency, lawyer=None)
    response = client.get(f"/legal/batches/{batch.pk}/")
    assert response.status_code == 200 and f'data-matter="{b.pk}"' not in response.content.decode()
    assert b.case.borrower.name not in response.content.decode()
    assert client.get(f"/legal/batches/{batch.pk}/zip/").status_code == 404
    assert AuditEvent.objects.filter(action="legal.batch_zip_read").count() == 1
    # back with the firm, but the firm is no longer active: no zip either
    Matter.objects.filter(pk=b.pk).update(firm=two_matters["firm"], lawyer=lawyer)
    assert client.get(f"/legal/batches/{batch.pk}/zip/").status_code == 200
    Agency.objects.filter(pk=two_matters["firm"].pk).update(active=False)
    assert client.get(f"/legal/batches/{batch.pk}/zip/").status_code == 404
    # in-house, who sees every matter, still gets it
    LitigationBatch.objects.filter(pk=batch.pk).update(created_by=two_matters["manager"])
    client.force_login(two_matters["manager"])
    assert client.get(f"/legal/batches/{batch.pk}/zip/").status_code == 200


def test_an_invalid_referral_decision_decides_nothing_and_says_why(
    client: Any, world: dict[str, Any]
) -> None:
    from django.contrib.messages import get_messages

    matter = services.refer(world["cases"][0], actor=world["manager"], reason="160 days past due, no contact")
    client.force_login(world["legal"])
    for decision in ("approve", "return"):
        for back in ("", "/legal/referrals/"):
            response = client.post(
                f"/legal/matters/{matter.pk}/decide/",
                {"decision": decision, "note": "x" * 1001, "next": back},
            )
            assert response.status_code == 400
            assert 'class="field-error"' in response.content.decode()
            assert not [m for m in get_messages(response.wsgi_request) if "Referral of matter" in str(m)]
            assert Matter.objects.get(pk=matter.pk).stage == "referred"
