"""Write the shipped Word templates for court documents (`src/arrears/legal/fixtures/*.docx`): a complaint
(民事起诉状) and an evidence list (证据清单), docxtpl templates filled by `arrears.legal.documents`. Legal staff edit
the .docx in Word afterwards (they are data, like the letter templates); run this only to recreate the originals.

The layout follows the usual Chinese court form: title, the parties (原告 / 被告 with the full identity a court needs,
民事诉讼法 art. 124), 诉讼请求 numbered 一、二、… with amounts in yuan to the fen, 事实与理由, jurisdiction, 此致 XX人民
法院, 具状人 and date; the evidence list is a table 序号 / 证据名称 / 证据来源 / 证明内容 / 页数.

Template syntax is docxtpl's (Jinja2): `{{ x }}` inside a paragraph; `{%p … %}` alone in a paragraph for a
paragraph-level `if`/`for`; `{%tr … %}` alone in a table row for a row-level loop. Values are escaped for XML, and
are single lines (no line breaks inside a value). A variable a template does not use is ignored; one it uses that
does not exist renders empty.

Variables (both templates; built by `documents.complaint_context`, amounts already formatted as "100,000.00"):

    case_ref            the case's reference (folder name in a batch zip)
    case_type           "own" | "assigned" | "guarantee_recourse"
    cause               案由, e.g. 金融借款合同纠纷, 民间借贷纠纷, 追偿权纠纷
    court               the court's name, e.g. 上海市浦东新区人民法院
    filing_date         the filing date, 2026年5月20日
    plaintiff           .name .description (the whole identity line) .representative_line (法定代表人：… or "")
                        .phone .address .id_number .signature (具状人 line: name + 盖章/签名)
    defendants          list of .role (被告 / 被告一 …) .name .description (identity line)
    borrower            the borrower's role: 被告, or 被告一 when guarantors are sued too
    claims              list of .number (一, 二, …) .text (the request with its amount, ending in ；/。)
    claim_total         the amount claimed (诉讼标的) in yuan, "123,456.78"
    court_fee           案件受理费 in yuan; preservation_fee (申请保全费, "" when none)
    f                   facts: .lender .contract_number .contract_title .contract_date .amount .annual_rate
                        .penalty_rate .term .repayment_method .disbursement_date .maturity_date .first_overdue
                        .dpd .as_of .overdue_principal .overdue_total .outstanding_principal .interest .penalty
                        .fees .breach_clause .demands (sentence about delivered demands, "" when none)
    assignment          None, or .assignor .assigned_on .notice_delivered_on (""/date) .notice_delivered (bool)
    recourse            None, or .guarantor .payments (e.g. "2026年1月5日代偿50,000.00元") .total .rate ("" when
                        none agreed) .interest
    guarantors          list of co-defendant guarantors: .role .name .liability (连带责任保证 / 一般保证)
                        .contract_number
    jurisdiction_text   the paragraph on why this court (民事诉讼法 arts. 24, 35; 民诉解释 art. 18)
    exhibits            list of .number .name .source .proves .pages ("" when unknown)
    exhibit_count       how many exhibits
    copies              copies of the complaint for the defendants
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

OUT = Path(__file__).resolve().parents[1] / "src" / "arrears" / "legal" / "fixtures"

COMPLAINT_BODY = [
    "原告：{{ plaintiff.description }}",
    "{%p if plaintiff.representative_line %}",
    "{{ plaintiff.representative_line }}",
    "{%p endif %}",
    "{%p for d in defendants %}",
    "{{ d.role }}：{{ d.description }}",
    "{%p endfor %}",
    "案由：{{ cause }}",
    ("诉讼请求：", True),
    "{%p for c in claims %}",
    "{{ c.number }}、{{ c.text }}",
    "{%p endfor %}",
    "以上金额暂计人民币{{ claim_total }}元（不含诉讼费用）。",
    ("事实与理由：", True),
    "{%p if case_type == 'guarantee_recourse' %}",
    "{{ f.contract_date }}，被告与{{ f.lender }}签订编号为{{ f.contract_number }}的《{{ f.contract_title }}》，"
    "借款人民币{{ f.amount }}元，年利率{{ f.annual_rate }}，借款期限{{ f.term }}。原告{{ recourse.guarantor }}为该笔借款"
    "提供保证。被告未按约定还款，自{{ f.first_overdue }}起逾期。原告依约履行保证责任，于{{ recourse.payments }}，"
    "代被告向{{ f.lender }}清偿债务共计人民币{{ recourse.total }}元。"
    "{% if recourse.rate %}依双方约定，被告应自原告代偿之日起按年利率{{ recourse.rate }}向原告支付利息。{% endif %}",
    "根据《中华人民共和国民法典》第七百条的规定，保证人承担保证责任后，有权在其承担保证责任的范围内向债务人追偿，"
    "享有债权人对债务人的权利。被告至今未向原告偿还上述款项。",
    "{%p else %}",
    "{{ f.contract_date }}，{{ f.lender }}（贷款人）与{{ borrower }}（借款人）签订编号为{{ f.contract_number }}的"
    "《{{ f.contract_title }}》，约定借款金额人民币{{ f.amount }}元，借款期限{{ f.term }}，年利率{{ f.annual_rate }}，"
    "还款方式为{{ f.repayment_method }}；借款人未按期还款的，逾期部分按年利率{{ f.penalty_rate }}计收罚息。",
    "合同签订后，{{ f.lender }}于{{ f.disbursement_date }}依约向{{ borrower }}发放借款人民币{{ f.amount }}元。{{ borrower }}自"
    "{{ f.first_overdue }}起未按约定还款，截至{{ f.as_of }}已逾期{{ f.dpd }}天，逾期款项合计{{ f.overdue_total }}元，"
    "尚欠借款本金{{ f.outstanding_principal }}元、利息{{ f.interest }}元、罚息{{ f.penalty }}元。{{ f.demands }}",
    "{%p for g in guarantors %}",
    "{{ g.role }}{{ g.name }}与{{ f.lender }}签订编号为{{ g.contract_number }}的保证合同，为{{ borrower }}上述借款提供"
    "{{ g.liability }}。",
    "{%p endfor %}",
    "{%p if assignment %}",
    "{{ assignment.assigned_on }}，{{ assignment.assignor }}将其对{{ borrower }}享有的上述债权及从权利转让给原告"
    "{% if assignment.notice_delivered %}，并于{{ assignment.notice_delivered_on }}将债权转让事宜通知{{ borrower }}{% endif %}。"
    "根据《中华人民共和国民法典》第五百四十五条、第五百四十六条、第五百四十七条的规定，债权转让已对{{ borrower }}发生效力，"
    "原告依法取得上述债权及其从权利。",
    "{%p endif %}",
    "{{ borrower }}未按约定还款，已构成违约。{% if f.breach_clause %}根据合同{{ f.breach_clause }}的约定，借款人未按期还款的，"
    "贷款人有权宣布借款提前到期，要求借款人立即清偿全部借款本息。{% endif %}根据《中华人民共和国民法典》第五百七十七条、"
    "第六百七十四条、第六百七十五条、第六百七十六条的规定，{{ borrower }}应当返还借款本金并支付利息及逾期利息。",
    "{%p endif %}",
    "{{ jurisdiction_text }}",
    "综上，为维护原告的合法权益，原告依据《中华人民共和国民事诉讼法》第一百二十二条的规定向贵院提起诉讼，请求依法判如所请。",
]

COMPLAINT_CLOSING = [
    ("此致", WD_ALIGN_PARAGRAPH.LEFT),
    ("{{ court }}", WD_ALIGN_PARAGRAPH.LEFT),
    ("", WD_ALIGN_PARAGRAPH.LEFT),
    ("具状人：{{ plaintiff.signature }}", WD_ALIGN_PARAGRAPH.RIGHT),
    ("{{ filing_date }}", WD_ALIGN_PARAGRAPH.RIGHT),
    ("", WD_ALIGN_PARAGRAPH.LEFT),
    (
        "附：1. 本起诉状副本{{ copies }}份；2. 证据清单一份及证据材料{{ exhibit_count }}份。",
        WD_ALIGN_PARAGRAPH.LEFT,
    ),
]

EVIDENCE_COLUMNS = [("序号", 1.3), ("证据名称", 4.2), ("证据来源", 3.2), ("证明内容", 6.0), ("页数", 1.3)]
EVIDENCE_ROW = [
    "{{ e.number }}",
    "{{ e.name }}",
    "{{ e.source }}",
    "{{ e.proves }}",
    "{{ e.pages }}",
]


def _document() -> WordDocument:
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)  # A4, as courts require
    section.top_margin = section.bottom_margin = Cm(2.54)
    section.left_margin = section.right_margin = Cm(2.8)
    return document


def _title(document: WordDocument, text: str) -> None:
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(text)
    run.bold, run.font.size = True, Pt(22)


def complaint() -> WordDocument:
    document = _document()
    _title(document, "民事起诉状")
    for item in COMPLAINT_BODY:
        text, bold = item if isinstance(item, tuple) else (item, False)
        paragraph = document.add_paragraph()
        run = paragraph.add_run(text)
        run.bold = bold
        if (
            not text.startswith("{%p")
            and not bold
            and not text.startswith(("原告", "{{ d.", "案由", "{{ c."))
        ):
            paragraph.paragraph_format.first_line_indent = Pt(24)
    for text, alignment in COMPLAINT_CLOSING:
        paragraph = document.add_paragraph(text)
        paragraph.alignment = alignment
    return document


def evidence_list() -> WordDocument:
    document = _document()
    _title(document, "证据清单")
    document.add_paragraph("案由：{{ cause }}")
    document.add_paragraph("提交人：原告{{ plaintiff.name }}")
    document.add_paragraph("{% for d in defendants %}{{ d.role }}：{{ d.name }}　{% endfor %}")
    table = document.add_table(rows=4, cols=len(EVIDENCE_COLUMNS))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    header, loop_start, row, loop_end = table.rows
    for cell, (name, width) in zip(header.cells, EVIDENCE_COLUMNS, strict=True):
        cell.text = name
        cell.paragraphs[0].runs[0].bold = True
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        cell.width = Cm(width)
    loop_start.cells[0].text = "{%tr for e in exhibits %}"
    for cell, text in zip(row.cells, EVIDENCE_ROW, strict=True):
        cell.text = text
    loop_end.cells[0].text = "{%tr endfor %}"
    for r in table.rows:
        for cell, (_, width) in zip(r.cells, EVIDENCE_COLUMNS, strict=True):
            cell.width = Cm(width)
    document.add_paragraph("")
    closing = document.add_paragraph("提交人：{{ plaintiff.signature }}")
    closing.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    date = document.add_paragraph("{{ filing_date }}")
    date.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return document


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, build in (("complaint.docx", complaint), ("evidence_list.docx", evidence_list)):
        build().save(str(OUT / name))
        print(OUT / name)


if __name__ == "__main__":
    main()
