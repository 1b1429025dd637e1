"""Write the shipped Word templates for letters (`src/arrears/contact/fixtures/*.docx`): docxtpl templates whose
`{{ … }}` fields are the variables of `contact.services.VARIABLES`. Legal staff edit the .docx in Word afterwards;
run this only to recreate the originals."""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

OUT = Path(__file__).resolve().parents[1] / "src" / "arrears" / "contact" / "fixtures"

LETTERS = {
    "demand_letter.zh-hans.docx": (
        "催 收 函",
        [
            "{{ borrower_name }}：",
            "债权人：{{ creditor }}",
            "您在我方的借款（借款编号：{{ loan_ids }}）截至{{ as_of }}已逾期{{ max_dpd }}天，尚欠人民币{{ amount_overdue }}元"
            "（含本金、利息、罚息及费用，依据借款合同约定计算）。",
            "请于收到本函之日起十日内清偿上述款项。",
            "如您对欠款金额有异议：{{ dispute_instructions }}",
            "联系电话：{{ creditor_phone }}    地址：{{ creditor_address }}",
        ],
        "{{ creditor }}\n{{ as_of }}",
    ),
    "demand_letter.en.docx": (
        "LETTER OF DEMAND",
        [
            "To {{ borrower_name }}:",
            "Creditor: {{ creditor }}",
            "As of {{ as_of }} your loan(s) {{ loan_ids }} are {{ max_dpd }} days past due and {{ amount_overdue }} "
            "yuan is owed (principal, interest, penalty interest and fees as the loan contract provides).",
            "Please pay this amount within ten days of receiving this letter.",
            "If you dispute the amount: {{ dispute_instructions }}",
            "Phone: {{ creditor_phone }}    Address: {{ creditor_address }}",
        ],
        "{{ creditor }}\n{{ as_of }}",
    ),
}


def main() -> None:
    for name, (title, paragraphs, signature) in LETTERS.items():
        document = Document()
        style = document.styles["Normal"]
        style.font.size = Pt(12)  # type: ignore[attr-defined]
        heading = document.add_paragraph()
        heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = heading.add_run(title)
        run.bold, run.font.size = True, Pt(18)
        for text in paragraphs:
            document.add_paragraph(text)
        closing = document.add_paragraph(signature)
        closing.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        document.save(OUT / name)
        print(OUT / name)


if __name__ == "__main__":
    main()
