"""Write the shipped Word templates for negotiation agreements (`src/arrears/negotiation/fixtures/*.docx`): a
repayment plan agreement (分期还款协议) and a one-off settlement agreement (一次性结清协议), docxtpl templates filled by
`arrears.negotiation.documents`. Legal staff edit the .docx in Word afterwards (they are data, like the letter and
court templates); run this only to recreate the originals.

The layout is the usual Chinese loan agreement: title (with an English subtitle: the documents are Chinese first,
with English beside headings and table columns), agreement number, the parties (甲方 the creditor, 乙方 the
borrower with the full identity a contract needs), 鉴于 (the loan contract and what is owed, by component), the
numbered terms 一、二、…, and signature blocks (盖章 / 签字并按手印, 日期). Amounts are yuan to the fen ("1,234.56")
with the total also in capitals (大写, as 《支付结算办法》 writes amounts); dates are 2026年5月10日.

Template syntax is docxtpl's (Jinja2): `{{ x }}` inside a paragraph; `{%p … %}` alone in a paragraph for a
paragraph-level `if`/`for`; `{%tr … %}` alone in a table row for a row-level loop. Values are XML-escaped
(rendered with autoescape) and single lines. A variable a template does not use is ignored.

Variables of both templates (built by `documents.plan_context` / `documents.settlement_context`; amounts already
formatted as "1,234.56", dates as "2026年5月10日"):

    agreement_no        the agreement's number: RP-000012 (plan) / ST-000034 (settlement)
    as_of               the business date the figures are as of
    creditor            .name (CreditorProfile's name on letters, else the loan's lender) .address .phone
    borrower            .name .id_number (in full: a contract names its party) .phone .address .borrower_id
    loan                .loan_id .contract_number (the loan's `extra.contract_number`, else its ID) .contract_date
                        .principal .annual_rate ("12.00%") .maturity_date ("" when none)
    case_id             the case's number

Plan agreement (`plan_agreement.docx`) also:

    plan                .amount .amount_words (大写) .scope_text (逾期欠款 / 全部未结清欠款) .whole (bool: the whole
                        outstanding, the original installments not yet due replaced) .installments .annual_rate
                        ("6.00%") .interest_free (bool) .down_payment .has_down_payment (bool) .first_due
                        .last_due
    components          what is restructured, the non-zero parts: list of .label (逾期本金, 未到期本金, 利息, 罚息,
                        费用) .label_en .amount
    schedule            list of .no (首付 for the down payment, else 1, 2, …) .due_date .principal .interest .total
    totals              .principal .interest .total (of the schedule)
    grace_days          days an installment may be late before the plan breaks (NegotiationPolicy.plan_grace_days)

Settlement agreement (`settlement_agreement.docx`) also:

    settlement          .amount (the settlement amount) .amount_words (大写) .settle_by .owed_total (owed when
                        asked) .discount (given up when asked)
    owed                what was owed when asked, the non-zero parts: list of .label .label_en .amount
    given_up            what is given up, the non-zero parts: list of .label .label_en .amount
    grace_days          days after the pay-by date the money may still arrive (NegotiationPolicy.promise_grace_days)
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table, _Row

OUT = Path(__file__).resolve().parents[1] / "src" / "arrears" / "negotiation" / "fixtures"

PARTIES = [
    "协议编号（Agreement No.）：{{ agreement_no }}",
    ("甲方（债权人 Creditor）：{{ creditor.name }}", True),
    "{%p if creditor.address or creditor.phone %}",
    "地址：{{ creditor.address }}　　联系电话：{{ creditor.phone }}",
    "{%p endif %}",
    ("乙方（借款人 Borrower）：{{ borrower.name }}", True),
    "身份证号码（ID No.）：{{ borrower.id_number }}",
    "联系电话：{{ borrower.phone }}　　住址：{{ borrower.address }}",
]

RECITAL = (
    "鉴于乙方于{{ loan.contract_date }}与甲方签订编号为{{ loan.contract_number }}的借款合同（借款编号："
    "{{ loan.loan_id }}），借款本金人民币{{ loan.principal }}元，年利率{{ loan.annual_rate }}"
    "{% if loan.maturity_date %}，到期日{{ loan.maturity_date }}{% endif %}。"
)

PLAN_TERMS = [
    (
        "一、分期安排（Installments）：上述款项共计人民币{{ plan.amount }}元，"
        "{% if plan.has_down_payment %}乙方于{{ plan.first_due }}支付首付款人民币{{ plan.down_payment }}元，其余{% endif %}"
        "分{{ plan.installments }}期偿还；"
        "{% if plan.interest_free %}分期期间免收利息{% else %}分期年利率{{ plan.annual_rate }}，按月等额本息计算{% endif %}，"
        "最后一期于{{ plan.last_due }}到期。还款计划如下："
    ),
    "SCHEDULE",
    "二、还款方式：乙方应于每期到期日（含当日）前将当期应还款项足额存入借款合同约定的还款账户。乙方可提前偿还。",
    (
        "三、违约责任（Default）：乙方任何一期款项逾期超过{{ grace_days }}日仍未足额偿还的，本协议约定的分期安排自动终止，"
        "甲方有权就乙方尚欠的全部款项依照原借款合同的约定主张权利，并采取催收、诉讼等措施；乙方已支付的款项按原借款合同"
        "约定的顺序冲抵欠款。"
    ),
    "{%p if plan.whole %}",
    "四、原借款合同项下尚未到期的本金一并纳入本协议的还款计划，原还款计划中尚未到期的各期不再单独偿还。",
    "{%p endif %}",
    (
        "{% if plan.whole %}五{% else %}四{% endif %}、本协议是对原借款合同还款安排的变更。本协议未约定的事项，仍按原借款合同"
        "执行；原借款合同项下的担保继续有效。"
    ),
    (
        "{% if plan.whole %}六{% else %}五{% endif %}、本协议自双方签字（盖章）之日起生效，一式两份，甲乙双方各执一份，"
        "具有同等法律效力。"
    ),
]

SETTLEMENT_TERMS = [
    (
        "一、结清金额（Settlement amount）：经双方协商一致，乙方应于{{ settlement.settle_by }}（含当日）前一次性向甲方偿还"
        "人民币{{ settlement.amount }}元（大写：{{ settlement.amount_words }}），存入借款合同约定的还款账户。"
    ),
    (
        "二、减免（Given up）：乙方按期足额支付上述结清金额后，甲方同意减免乙方在上述借款合同项下的其余全部欠款（包括此后"
        "产生的利息、罚息及费用），并出具结清证明。按{{ as_of }}的欠款计算，减免金额为人民币{{ settlement.discount }}元，"
        "明细如下："
    ),
    "GIVEN_UP",
    (
        "三、未按期足额支付（If not paid）：乙方未在{{ settlement.settle_by }}后{{ grace_days }}日内足额支付结清金额的，"
        "本协议自动失效，甲方不予减免，乙方应按原借款合同的约定偿还全部欠款；乙方已支付的款项按原借款合同约定的顺序冲抵欠款。"
    ),
    "四、本协议未约定的事项，仍按原借款合同执行。",
    "五、本协议自双方签字（盖章）之日起生效，一式两份，甲乙双方各执一份，具有同等法律效力。",
]

SIGNATURES = [
    ("甲方（盖章）：{{ creditor.name }}", "乙方（签字并按手印）："),
    ("授权代表（签字）：", "身份证号码：{{ borrower.id_number }}"),
    ("日期：　　　　年　　月　　日", "日期：　　　　年　　月　　日"),
]


def _document() -> WordDocument:
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(11)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)  # A4
    section.top_margin = section.bottom_margin = Cm(2.54)
    section.left_margin = section.right_margin = Cm(2.5)
    return document


def _title(document: WordDocument, chinese: str, english: str) -> None:
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(chinese)
    run.bold, run.font.size = True, Pt(20)
    subtitle = document.add_paragraph()
    subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER
    subtitle.add_run(english).font.size = Pt(11)


def _paragraph(document: WordDocument, text: str, *, bold: bool = False, indent: bool = False) -> None:
    paragraph = document.add_paragraph()
    paragraph.add_run(text).bold = bold
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(22)


def _grid(document: WordDocument, columns: list[tuple[str, float]], rows: int) -> Table:
    table = document.add_table(rows=rows, cols=len(columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, (name, _width) in zip(table.rows[0].cells, columns, strict=True):
        cell.text = name
        cell.paragraphs[0].runs[0].bold = True
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for row in table.rows:
        for cell, (_name, width) in zip(row.cells, columns, strict=True):
            cell.width = Cm(width)
    return table


def _fill(row: _Row, texts: list[str], *, bold: bool = False, right_from: int = 1) -> None:
    for n, (cell, text) in enumerate(zip(row.cells, texts, strict=True)):
        cell.text = text
        paragraph = cell.paragraphs[0]
        if n >= right_from:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        for run in paragraph.runs:
            run.bold = bold


def _amounts(document: WordDocument, items: str, total: str) -> None:
    """A two-column table 项目 / 金额 looping over `items` (.label .label_en .amount), with a total row."""
    table = _grid(document, [("项目 Item", 7.0), ("金额（元）Amount (yuan)", 5.0)], 5)
    _header, start, row, end, last = table.rows
    start.cells[0].text = f"{{%tr for c in {items} %}}"
    _fill(row, ["{{ c.label }}（{{ c.label_en }}）", "{{ c.amount }}"])
    end.cells[0].text = "{%tr endfor %}"
    _fill(last, ["合计（Total）", f"{{{{ {total} }}}}"], bold=True)


def _schedule(document: WordDocument) -> None:
    columns = [("期数 No.", 2.0), ("到期日 Due date", 4.0), ("本金 Principal", 3.4), ("利息 Interest", 3.0),
               ("合计 Total", 3.6)]  # fmt: skip
    table = _grid(document, columns, 5)
    _header, start, row, end, last = table.rows
    start.cells[0].text = "{%tr for r in schedule %}"
    _fill(row, ["{{ r.no }}", "{{ r.due_date }}", "{{ r.principal }}", "{{ r.interest }}", "{{ r.total }}"],
          right_from=2)  # fmt: skip
    end.cells[0].text = "{%tr endfor %}"
    _fill(last, ["合计", "", "{{ totals.principal }}", "{{ totals.interest }}", "{{ totals.total }}"], bold=True,
          right_from=2)  # fmt: skip


def _signatures(document: WordDocument) -> None:
    document.add_paragraph("")
    table = document.add_table(rows=len(SIGNATURES), cols=2)
    for row, (left, right) in zip(table.rows, SIGNATURES, strict=True):
        row.cells[0].text, row.cells[1].text = left, right
        for cell in row.cells:
            cell.width = Cm(8.0)
            cell.paragraphs[0].paragraph_format.space_after = Pt(18)


def _head(document: WordDocument) -> None:
    for item in PARTIES:
        text, bold = item if isinstance(item, tuple) else (item, False)
        _paragraph(document, text, bold=bold)


def plan_agreement() -> WordDocument:
    document = _document()
    _title(document, "分期还款协议", "Repayment Plan Agreement")
    _head(document)
    _paragraph(
        document,
        RECITAL
        + "截至{{ as_of }}，乙方{{ plan.scope_text }}共计人民币{{ plan.amount }}元（大写：{{ plan.amount_words }}），"
        "明细如下：",
        indent=True,
    )
    _amounts(document, "components", "plan.amount")
    _paragraph(document, "经双方协商一致，就上述欠款的分期偿还达成如下协议：", indent=True)
    for text in PLAN_TERMS:
        if text == "SCHEDULE":
            _schedule(document)
        else:
            _paragraph(document, text, indent=not text.startswith("{%p"))
    _signatures(document)
    return document


def settlement_agreement() -> WordDocument:
    document = _document()
    _title(document, "一次性结清协议", "One-off Settlement Agreement")
    _head(document)
    _paragraph(
        document,
        RECITAL + "截至{{ as_of }}，乙方尚欠甲方款项共计人民币{{ settlement.owed_total }}元，明细如下：",
        indent=True,
    )
    _amounts(document, "owed", "settlement.owed_total")
    _paragraph(document, "经双方协商一致，就上述欠款的一次性结清达成如下协议：", indent=True)
    for text in SETTLEMENT_TERMS:
        if text == "GIVEN_UP":
            _amounts(document, "given_up", "settlement.discount")
        else:
            _paragraph(document, text, indent=True)
    _signatures(document)
    return document


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, build in (
        ("plan_agreement.docx", plan_agreement),
        ("settlement_agreement.docx", settlement_agreement),
    ):
        build().save(str(OUT / name))
        print(OUT / name)


if __name__ == "__main__":
    main()
