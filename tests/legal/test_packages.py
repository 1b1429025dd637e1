"""Complaints wired to matters and batch litigation (issue 8, parts 4 and 6): a matter's package has its loan
status's figures (the charges within the cap) and the Word documents in the batch zip say them; an assigned debt is
sued by the assignee with the notice as an exhibit; `generate_documents` keeps both documents in the evidence log;
a batch refuses matters in the wrong stage and creates nothing, runs to done with a zip whose hash matches, files
every matter with its step; `complaint_packages` reads in a constant number of queries; the command line."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import time
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from docx import Document

from arrears.audit.chain import blob_path
from arrears.audit.models import AuditEvent, EvidenceRecord
from arrears.audit.selectors import case_evidence
from arrears.batch import runner
from arrears.cases import services as case_services
from arrears.cases.models import Case
from arrears.contact.models import CreditorProfile
from arrears.core.errors import Conflict, DomainError
from arrears.core.money import round_fen
from arrears.delinquency.models import LoanStatus
from arrears.legal import complaints, documents, lifecycle, selectors, services
from arrears.legal.models import LitigationBatch, Matter, ReferralCriteria, StageRecord
from arrears.portfolio.models import Assignment, Borrower, Loan
from tests.factories import UserFactory, loan_with_details

AS_OF = dt.date(2026, 7, 15)  # the close: L001's first instalment (2026-02-05) is 160 days past due
FILING = dt.date(2026, 7, 20)
D = dt.date


@pytest.fixture(autouse=True)
def english() -> Any:
    with translation.override("en"):
        yield


@pytest.fixture
def who(db: Any) -> dict[str, Any]:
    ReferralCriteria.objects.create(effective_from=D(2026, 1, 1), min_dpd=90, min_balance=0,
                                    min_contact_attempts=None, lawyer_fee_share="0.05")  # fmt: skip
    CreditorProfile.objects.create(lender="A银行", display_name="A银行", phone="010-88886666",
                                   address="北京市西城区金融大街1号")  # fmt: skip
    return {
        "manager": UserFactory(username="m1", role="manager"),
        "legal": UserFactory(username="legal1", role="legal"),
        "lawyer": UserFactory(username="legal2", role="legal"),
        "collector": UserFactory(username="c1"),
    }


def loans(n: int, *, case_type: str = "own", by: Any = None) -> list[Case]:
    """n loans (L001…) of n borrowers with addresses, closed on AS_OF: their cases escalated."""
    for i in range(1, n + 1):
        loan = loan_with_details(loan_id=f"L{i:03d}", extra={"lender_credit_code": "91110000100000001X",
                                                             "lender_representative": "王五",
                                                             "contract_number": f"HT-2026-{i:03d}"})  # fmt: skip
        Borrower.objects.filter(pk=loan.borrower_id).update(address=f"北京市朝阳区建国路{i}号")
        if case_type == "assigned":
            Assignment.objects.create(loan=loan, assignor="A银行", assignee="东方资产管理股份有限公司",
                                      assigned_on=D(2026, 5, 1), notice_delivered_on=D(2026, 5, 10),
                                      extra={"assignee_credit_code": "91110000100000000X"})  # fmt: skip
    runner.close([AS_OF])
    by = by or UserFactory(username="m1", role="manager")
    for case in Case.objects.order_by("pk"):
        case = case_services.transition(case, "contacting", actor=by)
        case_services.transition(case, "escalated", actor=by, reason="no contact")
    return list(Case.objects.order_by("pk"))


def matter_at(case: Case, who: dict[str, Any], stage: str = lifecycle.ASSIGNED) -> Matter:
    matter = services.refer(case, actor=who["manager"], reason="160 days past due")
    matter = services.decide_referral(matter, actor=who["legal"], approve=True)
    if stage == lifecycle.APPROVED:
        return matter
    matter = services.assign(matter, actor=who["legal"], lawyer=who["lawyer"])
    if stage == lifecycle.DRAFTING:
        services.advance(matter, lifecycle.DRAFTING, actor=who["lawyer"], on=AS_OF)
    matter.refresh_from_db()
    return matter


def docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def folder_of(archive: zipfile.ZipFile, matter: Matter) -> str:
    return next(n.split("/")[0] for n in archive.namelist() if n.startswith(f"M{matter.pk}-"))


# --- one matter's package ----------------------------------------------------------------------------------------


def test_a_package_claims_the_status_figures_capped_and_the_docx_in_the_zip_says_so(
    who: dict[str, Any],
) -> None:
    (case,) = loans(1)
    matter = matter_at(case, who)
    status = LoanStatus.objects.get(loan_id="L001")
    package = services.complaint_package(matter, FILING)
    lines = {c.kind: c for c in package.claims.lines}
    # 5 days of penalty on the overdue principal at 18 % a year, ACT/360, from the close to the filing date
    rolled = round_fen(Decimal(status.overdue_principal) * Decimal("0.18") * 5 / 360)
    assert (lines["principal"].amount, lines["interest"].amount, lines["penalty"].amount) == (
        status.outstanding_principal, status.overdue_interest, status.penalty_interest + rolled,
    )  # fmt: skip
    assert package.claims.amount == 1_200_000 + 24_080 + status.penalty_interest + rolled
    assert package.plaintiff.name == "A银行" and package.plaintiff.id_number == "91110000100000001X"
    # the creditor profile's own credit code and representative win over the loan's `extra`
    CreditorProfile.objects.filter(lender="A银行").update(
        credit_code="91110000717800000A", representative="张行长"
    )
    profiled = services.complaint_package(matter, FILING).plaintiff
    assert (profiled.id_number, profiled.representative) == ("91110000717800000A", "张行长")
    assert package.defendants[0].name == case.borrower.name and package.defendants[0].id_number
    assert package.facts.terms.contract_number == "HT-2026-001" and package.facts.terms.day_count == 360
    # the lender's location (the creditor profile) is the place of performance (民诉解释 art. 18)
    assert (package.jurisdiction.ground, package.court) == ("place_of_performance", "北京市西城区人民法院")
    assert [g.party.name for g in package.guarantors] == [
        "李强"
    ]  # joint guarantee, period runs to 2026-10-05

    # far more penalty than a court allows: the charges are cut to 24 % a year on the principal (法发〔2017〕22号
    # art. 2) from the start of the earliest unpaid period (the disbursement, 2026-01-05) to the filing date
    LoanStatus.objects.filter(loan_id="L001").update(penalty_interest=5_000_000)
    package = services.complaint_package(matter, FILING)
    cap = round_fen(Decimal(1_200_000) * Decimal("0.24") * (FILING - D(2026, 1, 5)).days / 360)
    assert cap == 156_800
    lines = {c.kind: c for c in package.claims.lines}
    assert lines["interest"].amount == 24_080 and lines["penalty"].amount == cap - 24_080
    assert lines["penalty"].capped and lines["penalty"].contractual == 5_000_000 + rolled

    batch = services.start_packages([matter], actor=who["lawyer"], filing_date=FILING)
    batch = services.run_packages(batch.pk)
    assert batch.status == "done", batch.error
    with zipfile.ZipFile(selectors.batch_zip_path(batch)) as archive:
        folder = folder_of(archive, matter)
        complaint = docx_text(archive.read(f"{folder}/起诉状.docx"))
        manifest = json.loads(archive.read(f"{folder}/manifest.json"))
    assert case.borrower.name in complaint and "A银行" in complaint
    assert "12,000.00" in complaint  # the principal
    assert "1,327.20" in complaint  # the penalty claimed …
    assert documents.yuan(5_000_000 + rolled) in complaint  # … and what the contract gives
    assert manifest["claims"]["claim_amount"] == "13568.00"  # 12,000.00 + 240.80 + 1,327.20
    matter.refresh_from_db()
    assert matter.claim_amount == 1_356_800 and matter.complaint["batch"] == batch.pk


def test_an_assigned_debt_is_sued_by_the_assignee_with_the_notice_as_an_exhibit(who: dict[str, Any]) -> None:
    (case,) = loans(1, case_type="assigned")
    assert case.case_type == "assigned"
    matter = matter_at(case, who, lifecycle.DRAFTING)
    services.add_document(matter, actor=who["lawyer"], name="转让通知.pdf", data=b"%PDF notice",
                          document="assignment_notice", summary="EMS 1234")  # fmt: skip
    services.add_document(matter, actor=who["lawyer"], name="转让协议.pdf", data=b"%PDF agreement",
                          document="assignment_agreement")  # fmt: skip
    package = services.complaint_package(matter, FILING)
    assert package.plaintiff.name == "东方资产管理股份有限公司" and package.plaintiff.kind == "company"
    assert package.plaintiff.id_number == "91110000100000000X"
    assert package.facts.assignment is not None and package.facts.assignment.assignor == "A银行"
    exhibits = {e.category: e for e in package.evidence.exhibits}
    assert {"assignment_notice", "assignment_agreement"} <= set(exhibits)
    notice = EvidenceRecord.objects.get(payload__document="assignment_notice")
    assert exhibits["assignment_notice"].records == (notice.seq,)
    assert not [m for m in package.evidence.missing if m.category.startswith("assignment")]
    # the place of performance stays the original creditor's (民诉解释 art. 18, 33)
    assert package.court == "北京市西城区人民法院"
    batch = services.run_packages(
        services.start_packages([matter], actor=who["lawyer"], filing_date=FILING).pk
    )
    with zipfile.ZipFile(selectors.batch_zip_path(batch)) as archive:
        folder = folder_of(archive, matter)
        complaint = docx_text(archive.read(f"{folder}/起诉状.docx"))
        evidence = docx_text(archive.read(f"{folder}/证据清单.docx"))
    assert "东方资产管理股份有限公司" in complaint and "债权转让" in complaint
    assert "债权转让通知及送达凭证" in evidence


def test_generate_documents_keeps_both_in_the_evidence_log_and_the_claim_on_the_matter(
    who: dict[str, Any],
) -> None:
    (case,) = loans(1)
    matter = matter_at(case, who, lifecycle.DRAFTING)
    services.add_document(matter, actor=who["lawyer"], name="借款合同.pdf", data=b"%PDF contract",
                          document="contract")  # fmt: skip
    before = case_evidence(case.pk).count()
    complaint, evidence = services.generate_documents(matter, actor=who["lawyer"], filing_date=FILING)
    assert case_evidence(case.pk).count() == before + 2
    assert [(r.kind, r.payload["document"], r.files[0]["name"]) for r in (complaint, evidence)] == [
        ("legal.document", "complaint", "起诉状.docx"), ("legal.document", "evidence_list", "证据清单.docx"),
    ]  # fmt: skip
    stored = blob_path(complaint.files[0]["sha256"]).read_bytes()
    assert case.borrower.name in docx_text(stored)
    assert hashlib.sha256(stored).hexdigest() == complaint.files[0]["sha256"]
    # the matter's documents in the log: the contract and the two drafted; the contract is an exhibit of the
    # evidence list, the complaint and the evidence list are not (a complaint does not prove itself)
    documents = case_evidence(case.pk).filter(kind=selectors.LEGAL_DOCUMENT)
    assert sorted(documents.values_list("payload__document", flat=True)) == [
        "complaint",
        "contract",
        "evidence_list",
    ]
    package = services.complaint_package(matter, FILING)
    assert [e.category for e in package.evidence.exhibits] == ["contract"]
    assert "借款合同" in docx_text(blob_path(evidence.files[0]["sha256"]).read_bytes())
    matter.refresh_from_db()
    assert matter.claim_amount == package.claims.amount == matter.complaint["amount"]
    assert matter.complaint["documents"] == [complaint.pk, evidence.pk]
    assert AuditEvent.objects.filter(action="legal.complaint", object_id=str(matter.pk)).exists()
    # the timeline shows both documents
    assert [
        e["after"]["document"] for e in selectors.matter_timeline(matter) if e["action"] == "legal.document"
    ][-2:] == ["complaint", "evidence_list"]


# --- batches ------------------------------------------------------------------------------------------------------


def test_start_packages_refuses_a_matter_in_the_wrong_stage_and_creates_nothing(who: dict[str, Any]) -> None:
    first, second = loans(2)
    good = matter_at(first, who)
    early = matter_at(second, who, lifecycle.APPROVED)  # no lawyer yet
    events = AuditEvent.objects.count()
    with pytest.raises(
        DomainError, match=rf"2 of the matters.*{early.pk} \(Referral approved\), 999 \(not found\)"
    ):
        services.start_packages([good, early, 999], actor=who["lawyer"], filing_date=FILING)
    with pytest.raises(DomainError, match="after the filing date"):
        services.start_packages([good], actor=who["lawyer"], filing_date=AS_OF - dt.timedelta(days=1))
    with pytest.raises(DomainError):  # a collector does not draft complaints
        services.start_packages([good], actor=who["collector"], filing_date=FILING)
    assert not LitigationBatch.objects.exists() and AuditEvent.objects.count() == events
    assert list(selectors.matters_for_batch(who["lawyer"])) == [good]
    assert list(selectors.matters_for_batch(who["lawyer"], min_dpd=161)) == []
    assert list(selectors.matters_for_batch(who["lawyer"], lender="A银行", stage="assigned")) == [good]


def test_run_packages_goes_to_done_with_a_zip_whose_hash_matches_and_files_them_all(
    who: dict[str, Any],
) -> None:
    cases = loans(3)
    matters = [matter_at(c, who) for c in cases]
    criteria = {"stage": "assigned", "lender": "A银行"}
    batch = services.start_packages(matters, actor=who["legal"], filing_date=FILING, criteria=criteria)
    assert (batch.status, batch.done, batch.total, batch.criteria) == ("queued", 0, 3, criteria)
    seen: list[tuple[int, int]] = []
    batch = services.run_packages(batch.pk, echo=lambda done, total: seen.append((done, total)))
    assert (batch.status, batch.done, batch.total, batch.percent) == ("done", 3, 3, 100)
    assert seen[-1] == (3, 3)
    path = selectors.batch_zip_path(batch)
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == batch.zip_sha256 and len(data) == batch.zip_size
    with zipfile.ZipFile(path) as archive:
        index = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode("utf-8-sig"))))
    assert [row["case_ref"] for row in index] == [f"M{m.pk}-{m.loan_ids[0]}" for m in matters]
    assert batch.summary["packages"] == 3 and batch.summary["evidence_incomplete"] == 3  # no contract on file
    assert set(batch.summary["timings"]) == {"gather_s", "build_s", "zip_s"}
    assert services.run_packages(batch.pk).finished_at == batch.finished_at  # done: left as it is

    rows = selectors.batch_matters(batch)
    assert [r["matter_id"] for r in rows] == [m.pk for m in matters]
    assert rows[0]["borrower"].endswith("*") and rows[0]["court"] == "北京市西城区人民法院"
    assert selectors.batch_matters(batch, full_pii=True)[0]["borrower"] == cases[0].borrower.name
    assert list(selectors.visible_batches(who["manager"])) == [batch]
    assert not selectors.visible_batches(who["collector"]).exists()  # not theirs, no portfolio-wide view
    with pytest.raises(DomainError, match="file them on or after"):
        services.file_batch(batch, actor=who["lawyer"], on=AS_OF)

    assert services.file_batch(batch, actor=who["lawyer"], on=D(2026, 7, 21)) == 3
    for matter in matters:
        matter.refresh_from_db()
        assert (matter.stage, matter.stage_since, matter.court) == (
            "filed",
            D(2026, 7, 21),
            "北京市西城区人民法院",
        )
    records = StageRecord.objects.filter(step="filed", matter__in=matters)
    assert records.count() == 3 and {r.court for r in records} == {"北京市西城区人民法院"}
    with pytest.raises(Conflict):
        services.file_batch(batch, actor=who["lawyer"], on=D(2026, 7, 21))
    assert all(r["stage"] == "filed" for r in selectors.batch_matters(batch))


def test_file_batch_refuses_all_when_one_cannot_be_filed(who: dict[str, Any]) -> None:
    first, second = loans(2)
    matters = [matter_at(first, who), matter_at(second, who)]
    batch = services.run_packages(services.start_packages(matters, actor=who["legal"], filing_date=FILING).pk)
    services.advance(matters[1], "filed", actor=who["lawyer"], on=FILING, court="北京市朝阳区人民法院")
    with pytest.raises(
        DomainError, match=rf"1 of the batch's matters cannot be filed: {matters[1].pk} \(Filed\)"
    ):
        services.file_batch(batch, actor=who["lawyer"], on=FILING)
    matters[0].refresh_from_db()
    assert matters[0].stage == "assigned"


def test_a_failed_batch_records_the_error(who: dict[str, Any]) -> None:
    (case,) = loans(1)
    matter = matter_at(case, who)
    batch = services.start_packages([matter], actor=who["legal"], filing_date=FILING)
    Borrower.objects.filter(pk=case.borrower_id).update(address="", city="")
    CreditorProfile.objects.all().delete()
    batch = services.run_packages(batch.pk)
    assert batch.status == "failed" and f"Matter {matter.pk}" in batch.error and not batch.zip_sha256


def test_a_batch_left_running_by_a_dead_process_is_taken_over_after_ten_minutes(who: dict[str, Any]) -> None:
    from django.utils import timezone

    (case,) = loans(1)
    batch = services.start_packages([matter_at(case, who)], actor=who["legal"], filing_date=FILING)
    alive = timezone.now() - dt.timedelta(minutes=9)
    LitigationBatch.objects.filter(pk=batch.pk).update(status="running", heartbeat_at=alive)
    left = services.run_packages(batch.pk)  # someone else is still at it: left alone
    assert (left.status, left.done, left.stalled) == ("running", 0, False)
    LitigationBatch.objects.filter(pk=batch.pk).update(heartbeat_at=alive - dt.timedelta(minutes=2))
    assert LitigationBatch.objects.get(pk=batch.pk).stalled
    taken = services.run_packages(batch.pk)
    assert (taken.status, taken.done, taken.total) == ("done", 1, 1) and taken.zip_sha256


def test_complaint_packages_read_in_a_constant_number_of_queries(who: dict[str, Any]) -> None:
    matters = [matter_at(c, who) for c in loans(6)]
    counts = []
    for some in (matters[:2], matters):
        with CaptureQueriesContext(connection) as queries:
            packages = services.complaint_packages(some, FILING)
        assert [p.case_ref for p in packages] == [f"M{m.pk}-{m.loan_ids[0]}" for m in some]
        counts.append(len(queries))
    # the rule tables (5), then matters, loans, statuses, due dates, guarantees, demands, exhibits, profiles
    assert counts[0] == counts[1] == 13, counts


def test_complaints_pure_helpers() -> None:
    assert complaints.place("浙江省杭州市西湖区文三路1号") == "杭州市西湖区"
    assert complaints.place("北京市朝阳区建国路88号") == "北京市朝阳区"
    assert complaints.place("上海市浦东新区陆家嘴环路1号") == "上海市浦东新区"
    assert complaints.place("某某路1号") == ""
    assert complaints.agreed_court("上海市浦东新区人民法院", "上海市浦东新区", "北京市朝阳区", {}) == (
        "上海市浦东新区", True, [],
    )  # fmt: skip
    assert complaints.agreed_court("杭州市西湖区人民法院", "上海市浦东新区", "北京市朝阳区", {})[:2] == (
        "杭州市西湖区", None,
    )  # fmt: skip
    assert complaints.agreed_court("贷款人住所地人民法院", "上海市浦东新区", "", {})[:2] == (
        "上海市浦东新区",
        True,
    )
    court, connected, warnings = complaints.agreed_court("上海仲裁委员会", "上海市浦东新区", "", {})
    assert (court, connected) == (None, None) and "arbitration" in warnings[0]


# --- command line -------------------------------------------------------------------------------------------------


def test_arrears_legal_packages(who: dict[str, Any], tmp_path: Path) -> None:
    matters = [matter_at(c, who) for c in loans(2)]
    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "batch.zip"
    call_command("legal", "packages", "--filing-date", "2026-07-20", "--lender", "A银行", "--out", str(target),
                 "--json", stdout=out, stderr=err)  # fmt: skip
    data = json.loads(out.getvalue())
    assert data["packages"] == 2 and data["zip_sha256"] == hashlib.sha256(target.read_bytes()).hexdigest()
    assert "2/2 (100 %)" in err.getvalue()
    batch = LitigationBatch.objects.get()
    assert batch.matter_ids == [m.pk for m in matters] and batch.created_by is None
    assert batch.criteria == {"lender": "A银行"}
    with pytest.raises(Exception, match="no matter matches"):
        call_command("legal", "packages", "--filing-date", "2026-07-20", "--lender", "B银行", "--out",
                     str(target))  # fmt: skip
    assert Loan.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_batch_runs_in_the_background_and_closes_its_connection() -> None:
    ReferralCriteria.objects.create(effective_from=D(2026, 1, 1), min_dpd=90, min_balance=0,
                                    min_contact_attempts=None)  # fmt: skip
    CreditorProfile.objects.create(lender="A银行", display_name="A银行", address="北京市西城区金融大街1号")
    who = {"manager": UserFactory(username="m1", role="manager"), "legal": UserFactory(username="legal1", role="legal"),
           "lawyer": UserFactory(username="legal2", role="legal")}  # fmt: skip
    matter = matter_at(loans(1)[0], who)
    batch = services.start_packages([matter], actor=who["legal"], filing_date=FILING)
    services.run_packages_in_background(batch.pk)  # no transaction open: starts at once
    for _ in range(300):
        batch.refresh_from_db()
        if batch.status in ("done", "failed"):
            break
        time.sleep(0.1)
    assert (batch.status, batch.done, batch.total) == ("done", 1, 1), batch.error
    assert selectors.batch_zip_path(batch).exists()


def test_a_guarantee_due_before_the_rule_table_begins_is_left_to_counsel() -> None:
    """A guarantee period can only be computed from 2021-01-01 (民法典 art. 692, the rule table's first version):
    an older one is not sued automatically and the complaint says why, instead of failing."""
    from types import SimpleNamespace

    from arrears.legal import complaints
    from arrears.rules.statutory import SHIPPED

    guarantee = SimpleNamespace(loan_id="L1", guarantee_type="joint", period_end=None, guarantor_name="李强",
                                guarantor_id_number="", guarantor_phone="", extra={})  # fmt: skip
    inputs = SimpleNamespace(demands=[], guarantees=[guarantee])
    sued, warnings = complaints._guarantors(
        inputs, SimpleNamespace(loan_id="L1"), D(2020, 6, 1), FILING, SHIPPED
    )  # type: ignore[arg-type]
    assert sued == [] and len(warnings) == 1 and "李强" in warnings[0]
