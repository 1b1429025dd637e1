"""Complaint (起诉状) and evidence list (证据清单) generation (issue 8, parts 4 and 6): the claims computed as of the
filing date with hand-worked figures, the three case types, the evidence list, the rendered Word documents (opened
with python-docx) and the batch zip. Pure: no database."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation
from docx import Document
from docxtpl import DocxTemplate

from arrears.legal import documents as d

D = dt.date
AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
BANK = d.Party(
    "某某银行股份有限公司上海分行",
    "company",
    "91310000MA1234567X",
    "上海市浦东新区陆家嘴环路1号",
    "021-12345678",
    "李四",
    "负责人",
)
BORROWER = d.Party("张三", "person", "110105198503021234", "北京市朝阳区某路1号", "13800000000")
AMC = d.Party(
    "某某资产管理股份有限公司", "company", "91110000100000000X", "北京市西城区金融大街1号", "", "王六"
)
GUARANTY_CO = d.Party(
    "某某融资担保有限公司", "company", "91310000MA7654321X", "上海市黄浦区某路2号", "", "赵七"
)


def terms(**changes: Any) -> d.LoanTerms:
    values: dict[str, Any] = {
        "contract_number": "HT-2025-001",
        "contract_date": D(2025, 1, 10),
        "lender": BANK.name,
        "lender_type": "bank",
        "principal": 10_000_000,
        "annual_rate": Decimal("0.18"),
        "penalty_rate": Decimal("0.27"),
        "disbursement_date": D(2025, 1, 15),
        "maturity_date": D(2026, 1, 15),
        "term_months": 12,
        "repayment_method": "equal_installment",
        "breach_clause": "第十二条",
    }
    return d.LoanTerms(**(values | changes))


def owed(**changes: Any) -> d.Outstanding:
    # 100,000.00 outstanding, all past due; 9,000.00 interest and 5,000.00 penalty; 180 days past due on 2026-05-20
    values: dict[str, Any] = {
        "as_of": D(2026, 5, 20),
        "principal": 10_000_000,
        "overdue_principal": 10_000_000,
        "interest": 900_000,
        "penalty": 500_000,
        "first_overdue": D(2025, 11, 21),
        "dpd": 180,
    }
    return d.Outstanding(**(values | changes))


def doc(kind: str, seq: int, **payload: Any) -> d.EvidenceRef:
    return d.EvidenceRef(seq, f"document.{kind}", AT, payload, f"{seq:064x}")


LOAN_RECORDS = [
    d.EvidenceRef(
        9, "demand.delivered", AT, {"delivered_on": "2026-03-01"}, None, ({"sha256": "d" * 64},), "9" * 64
    ),
    doc("schedule", 3, pages=2),
    d.EvidenceRef(1, "document.signed", AT, {"document": "contract", "pages": 8}, "a" * 64),
    doc("iou", 2, pages=1),
    d.EvidenceRef(4, "contact.call", AT, {"duration": 60}),  # not an exhibit
]


FILED = D(2026, 5, 20)


def own_package(filing: dt.date = FILED, **changes: Any) -> d.ComplaintPackage:
    values: dict[str, Any] = {
        "case_type": "own",
        "plaintiff": BANK,
        "defendant": BORROWER,
        "terms": terms(),
        "owed": owed(),
        "records": LOAN_RECORDS,
        "lender_location": "上海市浦东新区",
        "demands_delivered": [D(2026, 3, 1)],
    }
    return d.build_package("LIT-1", filing, **(values | changes))


def paragraphs(docx: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(docx)).paragraphs)


def table_rows(docx: bytes) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in Document(io.BytesIO(docx)).tables[0].rows]


def amounts(claims: d.Claims) -> dict[str, int]:
    return {c.kind: c.amount for c in claims.lines}


# --- claims ------------------------------------------------------------------------------------------------------


def test_own_loan_claims_capped_at_24_percent() -> None:
    """domain-rules §3.2's example: 100,000 outstanding, 180 days → at most 100,000 × 24% × 180/365 = 11,835.62 of
    interest + penalty. Contractual 9,000 + 5,000 = 14,000: 2,164.38 over, given up from the penalty (5,000 →
    2,835.62). Claim 100,000 + 9,000 + 2,835.62 = 111,835.62; court fee X × 2% + 300 = 2,536.71."""
    claims = own_package().claims
    cap = claims.caps[0]
    assert (cap.cap, cap.contractual, cap.recoverable) == (1_183_562, 1_400_000, 1_183_562)
    assert amounts(claims) == {
        "principal": 10_000_000,
        "interest": 900_000,
        "penalty": 283_562,
        "court_fee": 253_671,
    }
    penalty = claims.line("penalty")
    assert penalty is not None and penalty.contractual == 500_000 and penalty.capped
    assert claims.amount == 11_183_562
    assert claims.court_fee.fee == 253_671


def test_penalty_rolls_forward_to_the_filing_date() -> None:
    """Figures to 2026-05-01, filed 2026-05-20: 19 more days of penalty on the 40,000.00 overdue principal at 18%:
    4,000,000 × 0.18 × 19 / 365 = 37,479.45 fen → 374.79; 500.00 + 374.79 = 874.79. Compound interest adds the
    3,000.00 overdue interest to the base: 4,300,000 × 0.18 × 19 / 365 = 40,290.41 → 402.90."""
    base = {"as_of": D(2026, 5, 1), "overdue_principal": 4_000_000, "interest": 300_000, "penalty": 50_000}
    loan = terms(penalty_rate=Decimal("0.18"))
    claims = d.claims_as_of(D(2026, 5, 20), loan, owed(**base))
    assert amounts(claims)["penalty"] == 87_479
    line = claims.line("penalty")
    assert line is not None and "2026年5月21日起以100,000.00元为基数按年利率18%" in line.text
    compound = d.claims_as_of(
        D(2026, 5, 20), terms(penalty_rate=Decimal("0.18"), compound_interest=True), owed(**base)
    )
    assert amounts(compound)["penalty"] == 50_000 + 40_290
    not_accelerated = d.claims_as_of(D(2026, 5, 20), loan, owed(**base), accelerate=False)
    assert amounts(not_accelerated)["principal"] == 4_000_000


def test_private_lending_capped_at_four_times_lpr_at_formation() -> None:
    """domain-rules §3.1: a private loan of 100,000 formed 2025-08-01 (LPR 3.00%) at 15%: the court supports 12%,
    12,000 for the year; the 15,000 of interest is claimed as 12,000 and the request says so."""
    loan = terms(lender_type="private", contract_date=D(2025, 8, 1), annual_rate=Decimal("0.15"))
    figures = owed(as_of=D(2026, 8, 1), interest=1_500_000, penalty=0, first_overdue=D(2026, 2, 1), dpd=181)
    claims = d.claims_as_of(D(2026, 8, 1), loan, figures, charges_from=D(2025, 8, 1))
    assert claims.caps[0].cap_rate == Decimal("0.12")
    assert amounts(claims)["interest"] == 1_200_000
    interest = claims.line("interest")
    assert interest is not None and "按合同约定计为15,000.00元" in interest.text
    assert d.cause_of("own", loan) == "民间借贷纠纷"


def test_costs_lawyer_fee_and_preservation() -> None:
    """Lawyer fee 3,000.00 counts in the claim: 111,835.62 + 3,000 = 114,835.62 → court fee ×2% + 300 = 2,596.71;
    preserving the claim: 30 + 990 + 14,835.62 × 0.5% = 1,094.18; small claims would halve the court fee."""
    claims = own_package(costs=d.Costs(preserve=0, lawyer_fee=300_000)).claims
    assert claims.amount == 11_483_562
    assert (claims.court_fee.fee, claims.preservation and claims.preservation.fee) == (259_671, 109_418)
    court = claims.line("court_fee")
    assert court is not None and "案件受理费2,596.71元、申请保全费1,094.18元" in court.text
    halved = own_package(costs=d.Costs(procedure="simple")).claims
    assert halved.court_fee.fee == 126_836  # 2,536.71 / 2 = 1,268.355 → 1,268.36


def test_assigned_debt_plaintiff_is_the_assignee() -> None:
    """债权转让: the assignee sues; a payment of 1,000.00 to the assignor after the notice reached the debtor
    (2026-03-10) does not discharge and is claimed again (民法典 art. 546); one of 2,000.00 before it does."""
    assignment = d.AssignmentFacts(
        BANK.name,
        AMC.name,
        D(2026, 3, 1),
        D(2026, 3, 10),
        ((D(2026, 3, 5), 200_000), (D(2026, 3, 20), 100_000)),
    )
    records = [
        *LOAN_RECORDS,
        doc("assignment_notice", 11, pages=2),
        doc("assignment_agreement", 10, pages=20),
    ]
    package = own_package(case_type="assigned", plaintiff=AMC, assignment=assignment, records=records)
    assert package.plaintiff == AMC
    assert amounts(package.claims)["paid_to_assignor"] == 100_000
    assert package.claims.amount == 11_183_562 + 100_000
    text = paragraphs(d.render_complaint(package))
    assert f"原告：{AMC.name}" in text
    assert "2026年3月10日将债权转让事宜通知被告" in text
    assert package.jurisdiction.ground == "place_of_performance"  # the original creditor received the money
    assert "原债权人所在地" in text and "原告所在地" not in text
    assert "1,000.00" in text
    names = [row[1] for row in table_rows(d.render_evidence_list(package))]
    assert "债权转让通知及送达凭证" in names[-1] and "债权转让协议" in names[-2]
    assert package.evidence.complete
    with pytest.raises(d.DocumentError):
        own_package(case_type="assigned", plaintiff=BANK, assignment=assignment)


def test_assigned_debt_without_notice_is_flagged() -> None:
    assignment = d.AssignmentFacts(BANK.name, AMC.name, D(2026, 3, 1), None)
    with translation.override("en"):  # the operator's warnings are in the reader's language
        package = own_package(case_type="assigned", plaintiff=AMC, assignment=assignment)
    assert any("art. 546" in w for w in package.warnings)
    missing = {m.category: m.required for m in package.evidence.missing}
    assert missing["assignment_notice"] is True and missing["assignment_agreement"] is True
    assert "通知被告" not in paragraphs(d.render_complaint(package))


def test_guarantor_recourse_paid_plus_interest_from_payment_dates() -> None:
    """代偿追偿: paid 50,000.00 on 2026-01-01 and 20,000.00 on 2026-03-01, 12% agreed, filed 2026-04-01:
    5,000,000 × 0.12 × 90/365 = 147,945.21 → 1,479.45; 2,000,000 × 0.12 × 31/365 = 20,383.56 → 203.84;
    interest 1,683.29, claim 71,683.29, court fee X × 2.5% − 200 = 1,592.08."""
    recourse = d.RecourseFacts(
        GUARANTY_CO.name, ((D(2026, 1, 1), 5_000_000), (D(2026, 3, 1), 2_000_000)), Decimal("0.12")
    )
    records = [doc("contract", 1), doc("guarantee_contract", 2, pages=6), doc("recourse_payment", 3, pages=2)]
    package = own_package(
        D(2026, 4, 1),
        case_type="guarantee_recourse",
        plaintiff=GUARANTY_CO,
        recourse=recourse,
        records=records,
        owed=owed(as_of=D(2026, 3, 31)),
    )
    claims = package.claims
    assert amounts(claims) == {"recourse_paid": 7_000_000, "recourse_interest": 168_329, "court_fee": 159_208}
    assert claims.amount == 7_168_329
    assert [cap.days for cap in claims.caps] == [90, 31]
    text = paragraphs(d.render_complaint(package))
    assert f"原告：{GUARANTY_CO.name}" in text
    assert "判令被告向原告支付代偿款70,000.00元" in text
    assert "1,683.29" in text and "71,683.29" in text
    assert "2026年1月1日代偿50,000.00元、2026年3月1日代偿20,000.00元" in text
    assert package.cause == "追偿权纠纷" and package.evidence.complete
    with pytest.raises(d.DocumentError):
        own_package(case_type="guarantee_recourse", plaintiff=BANK, recourse=recourse)


def test_recourse_within_the_debt() -> None:
    """Recourse is within the debt (民法典 art. 700): 70,000 paid towards a debt of 60,000 → 60,000, and interest
    runs on the first 60,000 paid: 1,479.45 + 1,000,000 × 0.12 × 31/365 = 10,191.78 → 101.92."""
    recourse = d.RecourseFacts(
        GUARANTY_CO.name,
        ((D(2026, 1, 1), 5_000_000), (D(2026, 3, 1), 2_000_000)),
        Decimal("0.12"),
        debt=6_000_000,
    )
    figures = owed(as_of=D(2026, 3, 31))
    claims = d.claims_as_of(
        D(2026, 4, 1), terms(), figures, case_type="guarantee_recourse", recourse=recourse
    )
    assert amounts(claims)["recourse_paid"] == 6_000_000
    assert amounts(claims)["recourse_interest"] == 147_945 + 10_192


def test_guarantors_sued_with_the_borrower() -> None:
    guarantor = d.Guarantor(d.Party("王五", "person", "110105197001011235", "北京市海淀区"), "joint", "BZ-1")
    package = own_package(guarantors=[guarantor])
    text = paragraphs(d.render_complaint(package))
    assert "被告一：张三" in text and "被告二：王五" in text
    assert "一、判令被告一偿还借款本金100,000.00元；" in text
    assert "四、判令被告二王五对上述第一至第三项债务承担连带清偿责任；" in text
    assert "由各被告承担" in text
    missing = {m.category: m.required for m in package.evidence.missing}
    assert missing["guarantee_contract"] is True


# --- the documents -----------------------------------------------------------------------------------------------


def test_complaint_docx_states_the_parties_and_computed_amounts() -> None:
    package = own_package()
    text = paragraphs(d.render_complaint(package))
    assert text.startswith("民事起诉状") and "{" not in text and "}" not in text
    assert (
        "原告：某某银行股份有限公司上海分行，住所地：上海市浦东新区陆家嘴环路1号，统一社会信用代码：91310000MA1234567X"
        in text
    )
    assert "负责人：李四" in text
    # a court document shows the ID number in full; sex and birth date from it
    assert "被告：张三，男，1985年3月2日出生，住北京市朝阳区某路1号，公民身份号码：110105198503021234" in text
    assert "一、判令被告偿还借款本金100,000.00元；" in text
    assert "二、判令被告支付截至2026年5月20日的利息9,000.00元；" in text
    assert "罚息2,835.62元（按合同约定计为5,000.00元，原告按年利率24%的上限自愿调整）" in text
    assert "四、本案诉讼费用（案件受理费2,536.71元）由被告承担。" in text
    assert "暂计人民币111,835.62元" in text
    assert "逾期180天" in text and "第十二条" in text and "2026年3月1日向被告送达催收通知" in text
    assert "贵院对本案依法享有管辖权" in text
    assert "此致\n上海市浦东新区人民法院" in text
    assert "具状人：某某银行股份有限公司上海分行（盖章）\n2026年5月20日" in text


def test_evidence_list_in_court_order_with_pages() -> None:
    package = own_package()
    rows = table_rows(d.render_evidence_list(package))
    assert rows[0] == ["序号", "证据名称", "证据来源", "证明内容", "页数"]
    assert [(r[0], r[1], r[4]) for r in rows[1:]] == [
        ("1", "借款合同", "8"),
        ("2", "借款借据及放款凭证", "1"),
        ("3", "还款计划表", "2"),
        ("4", "催收通知及送达凭证", ""),
    ]
    exhibits = package.evidence.exhibits
    assert exhibits[0].sha256 == ("a" * 64,) and exhibits[3].sha256 == ("d" * 64,)
    assert exhibits[0].records == (1,)
    missing = [(m.category, m.required) for m in package.evidence.missing]
    assert missing == [("statement", False)]


def test_evidence_list_flags_a_missing_contract() -> None:
    records = [d.EvidenceRef(5, "demand.delivered", AT, {}), doc("iou", 2)]
    evidence = d.evidence_list(records, "own")
    assert not evidence.complete
    assert ("contract", True) in [(m.category, m.required) for m in evidence.missing]
    package = own_package(records=records)
    assert any("借款合同" in w for w in package.warnings)
    assert [r[1] for r in table_rows(d.render_evidence_list(package))[1:]] == [
        "借款借据及放款凭证",
        "催收通知及送达凭证",
    ]


def test_values_are_escaped_for_xml() -> None:
    odd = d.Party("A&B <公司>", "company", "91310000MA1234567X", "地址 \"1\" & 'x'")
    text = paragraphs(d.render_complaint(own_package(defendant=odd)))
    assert "被告：A&B <公司>，住所地：地址 \"1\" & 'x'" in text


def test_fast_renderer_matches_docxtpl() -> None:
    """`DocxRenderer` (docxtpl's pre-pass once, Jinja compiled once) makes the same document as docxtpl's own
    render: every paragraph and table cell."""
    guarantor = d.Guarantor(d.Party("王五", "person", "110105197001011235"), "general")
    assignment = d.AssignmentFacts(BANK.name, AMC.name, D(2026, 3, 1), D(2026, 3, 10))
    for package in (
        own_package(guarantors=[guarantor], costs=d.Costs(preserve=0, lawyer_fee=100_000)),
        own_package(case_type="assigned", plaintiff=AMC, assignment=assignment),
    ):
        context = d.complaint_context(package)
        for path, render in (
            (d.COMPLAINT_TEMPLATE, d.render_complaint),
            (d.EVIDENCE_TEMPLATE, d.render_evidence_list),
        ):
            reference = DocxTemplate(path)
            reference.render(context, autoescape=True)
            buffer = io.BytesIO()
            reference.save(buffer)
            fast = render(package)
            assert zipfile.ZipFile(io.BytesIO(fast)).testzip() is None
            assert paragraphs(fast) == paragraphs(buffer.getvalue())
            expected = Document(io.BytesIO(buffer.getvalue())).tables
            got = Document(io.BytesIO(fast)).tables
            assert [[c.text for r in t.rows for c in r.cells] for t in got] == [
                [c.text for r in t.rows for c in r.cells] for t in expected
            ]


def test_an_edited_template_is_used(tmp_path: Any) -> None:
    edited = Document(str(d.COMPLAINT_TEMPLATE))
    edited.add_paragraph("本诉状由{{ plaintiff.name }}法务部制作。")
    path = tmp_path / "complaint.docx"
    edited.save(str(path))
    assert "本诉状由某某银行股份有限公司上海分行法务部制作。" in paragraphs(
        d.render_complaint(own_package(), path)
    )
    assert "法务部" in paragraphs(d.render_complaint(own_package(), path.read_bytes()))


# --- the batch zip -----------------------------------------------------------------------------------------------


def test_package_zip_one_folder_per_case() -> None:
    recourse = d.RecourseFacts(GUARANTY_CO.name, ((D(2026, 1, 1), 5_000_000),), Decimal("0.12"))
    packages = [
        own_package(),
        own_package(defendant=d.Party("李/四", "person", "110105199001011234")),
        own_package(case_type="guarantee_recourse", plaintiff=GUARANTY_CO, recourse=recourse, records=[]),
        own_package(),  # the same case twice gets its own folder
    ]
    seen: list[tuple[int, int]] = []
    out = io.BytesIO()
    summary = d.package_zip(packages, out, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    folders = summary["folders"]
    assert folders == ["LIT-1_张三", "LIT-1_李_四", "LIT-1_张三-2", "LIT-1_张三-3"]
    assert summary["evidence_incomplete"] == ["LIT-1"]
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        assert archive.testzip() is None
        names = set(archive.namelist())
        for folder in folders:
            assert {f"{folder}/起诉状.docx", f"{folder}/证据清单.docx", f"{folder}/manifest.json"} <= names
        assert len(names) == 3 * 4 + 1
        manifest = json.loads(archive.read(f"{folders[0]}/manifest.json"))
        complaint = archive.read(f"{folders[0]}/起诉状.docx")
        recourse_manifest = json.loads(archive.read(f"{folders[2]}/manifest.json"))
        index = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode("utf-8-sig"))))
    assert manifest["claims"]["claim_amount"] == "111835.62"
    assert manifest["claims"]["court_fee"]["fee"] == "2536.71"
    penalty = next(line for line in manifest["claims"]["lines"] if line["kind"] == "penalty")
    assert (penalty["amount"], penalty["contractual"], penalty["capped"]) == ("2835.62", "5000.00", True)
    assert manifest["plaintiff"] == BANK.name and manifest["court"] == "上海市浦东新区人民法院"
    assert manifest["exhibits"][0]["name"] == "借款合同"
    assert manifest["files"]["起诉状.docx"] == hashlib.sha256(complaint).hexdigest()
    assert "111,835.62" in paragraphs(complaint)
    assert recourse_manifest["evidence_complete"] is False
    assert [m["category"] for m in recourse_manifest["missing_evidence"] if m["required"]] == [
        "contract",
        "guarantee_contract",
        "recourse_payment",
    ]
    # recourse: 50,000.00 + 5,000,000 × 0.12 × 139/365 (2026-01-01 → 05-20) = 228,493.15 fen → 52,284.93
    assert [row["claim_amount"] for row in index] == ["111835.62", "111835.62", "52284.93", "111835.62"]


def test_inputs_that_cannot_make_a_complaint() -> None:
    with pytest.raises(d.DocumentError):
        d.claims_as_of(D(2026, 5, 1), terms(), owed())  # figures dated after the filing
    with pytest.raises(d.DocumentError):
        d.claims_as_of(D(2026, 5, 20), terms(), owed(), case_type="loan")
    with pytest.raises(d.DocumentError):
        d.claims_as_of(D(2026, 5, 20), terms(), owed(), case_type="guarantee_recourse")
    with pytest.raises(d.DocumentError):
        d.Party("张三", "robot")


@pytest.mark.parametrize(
    ("n", "text"), [(1, "一"), (4, "四"), (10, "十"), (12, "十二"), (20, "二十"), (35, "三十五")]
)
def test_chinese_numbers(n: int, text: str) -> None:
    assert d.chinese_number(n) == text
