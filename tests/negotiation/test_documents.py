"""The agreements as Word documents: a repayment plan agreement and a settlement agreement rendered from the shipped
templates, opened with python-docx and read back — parties, amounts, every schedule row, totals, the grace."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from docx import Document
from docxtpl import DocxTemplate

from arrears.batch import runner
from arrears.cases.models import Case
from arrears.contact.models import CreditorProfile
from arrears.core.errors import DomainError
from arrears.core.money import display_fen
from arrears.delinquency.models import LoanStatus
from arrears.negotiation import documents, services
from arrears.negotiation.models import RepaymentPlan
from tests.factories import TeamFactory, UserFactory, loan_with_details, zhang_wei

AS_OF = dt.date(2026, 4, 15)


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    team = TeamFactory(name="一组", lenders=[])
    people = {
        "collector": UserFactory(username="c1", team=team),
        "lead": UserFactory(username="lead", role="team_lead", team=team),
        "manager": UserFactory(username="m1", role="manager"),
    }
    loan_with_details(loan_id="L001", borrower=zhang_wei(address="北京市朝阳区建国路1号"),
                      extra={"contract_number": "HT-2026-0001"})  # fmt: skip
    runner.close([AS_OF])
    case = Case.objects.get()
    Case.objects.filter(pk=case.pk).update(assigned_to=people["collector"])
    case.refresh_from_db()
    return people | {"case": case, "status": LoanStatus.objects.get(loan_id="L001")}


def text_of(data: bytes) -> tuple[str, list[list[str]]]:
    """The document's paragraphs (one string) and every table row's cells."""
    document = Document(io.BytesIO(data))
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    rows = [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]
    return paragraphs, rows


def plan(world: dict[str, Any], **terms: Any) -> RepaymentPlan:
    terms = {"installments": 3, "first_due": dt.date(2026, 5, 10), "note": "lost job"} | terms
    made = services.propose_plan(world["case"], "L001", actor=world["collector"], **terms)
    services.decide(made.concession, actor=world["manager"], approve=True)
    made.refresh_from_db()
    return made


def test_the_plan_agreement_has_the_parties_the_amounts_and_every_row(world: dict[str, Any]) -> None:
    CreditorProfile.objects.create(lender="A银行", display_name="A银行股份有限公司", phone="95500",
                                   address="上海市浦东新区陆家嘴1号")  # fmt: skip
    made = plan(world, installments=6, annual_rate=Decimal("0.06"), down_payment=50_000)
    paragraphs, rows = text_of(documents.plan_agreement(made))
    assert "分期还款协议" in paragraphs and "Repayment Plan Agreement" in paragraphs
    assert f"RP-{made.pk:06d}" in paragraphs
    assert "甲方（债权人 Creditor）：A银行股份有限公司" in paragraphs and "95500" in paragraphs
    assert "乙方（借款人 Borrower）：张伟" in paragraphs
    assert "身份证号码（ID No.）：11010519491231002X" in paragraphs
    assert "编号为HT-2026-0001的借款合同（借款编号：L001）" in paragraphs
    assert "借款本金人民币12,000.00元，年利率12.00%" in paragraphs
    amount = display_fen(made.amount)
    assert f"乙方逾期欠款共计人民币{amount}元（大写：{documents.yuan_in_words(made.amount)}）" in paragraphs
    assert (
        f"上述款项共计人民币{amount}元，乙方于2026年5月10日支付首付款人民币500.00元，其余分6期偿还"
        in paragraphs
    )
    assert "分期年利率6.00%，按月等额本息计算" in paragraphs
    assert "逾期超过5日仍未足额偿还的，本协议约定的分期安排自动终止" in paragraphs  # the policy's plan grace
    assert "四、原借款合同项下尚未到期的本金" not in paragraphs  # the overdue amount only
    # what is restructured, by component, and its total
    status = world["status"]
    for label, fen in (("逾期本金（Overdue principal）", status.overdue_principal),
                       ("利息（Interest）", status.overdue_interest), ("罚息（Penalty interest）", status.penalty_interest)):  # fmt: skip
        assert [label, display_fen(fen)] in rows
    assert ["合计（Total）", amount] in rows
    # the schedule: the down payment and every installment, then the totals
    schedule = [r for r in rows if len(r) == 5]
    assert schedule[0] == ["期数 No.", "到期日 Due date", "本金 Principal", "利息 Interest", "合计 Total"]
    assert len(made.schedule) == 7
    expected = [
        ["首付" if row["no"] == 0 else str(row["no"]), documents.cn_date(dt.date.fromisoformat(row["due_date"])),
         display_fen(row["principal"]), display_fen(row["interest"]), display_fen(row["total"])]
        for row in made.schedule
    ]  # fmt: skip
    assert schedule[1:-1] == expected
    assert expected[1][1] == "2026年6月10日" and expected[-1][1] == "2026年11月10日"
    assert schedule[-1] == [
        "合计", "", amount, display_fen(sum(r["interest"] for r in made.schedule)), display_fen(made.total),
    ]  # fmt: skip
    assert "日期：" in "".join(c for r in rows for c in r)  # the signature lines


def test_an_interest_free_plan_of_the_whole_outstanding_without_a_creditor_profile(
    world: dict[str, Any],
) -> None:
    made = plan(world, installments=3, scope="whole")
    paragraphs, rows = text_of(documents.plan_agreement(made))
    # the loan's lender when no profile says otherwise, and no creditor address line
    assert "甲方（债权人 Creditor）：A银行\n" in paragraphs
    assert "联系电话：13812345678" in paragraphs and "地址：" not in paragraphs
    assert "乙方全部未结清欠款共计" in paragraphs
    assert "分期期间免收利息" in paragraphs and "首付款" not in paragraphs
    assert "四、原借款合同项下尚未到期的本金一并纳入本协议的还款计划" in paragraphs
    assert "六、本协议自双方签字（盖章）之日起生效" in paragraphs
    assert [r[0] for r in rows if len(r) == 5][1:] == ["1", "2", "3", "合计"]


def test_the_settlement_agreement(world: dict[str, Any]) -> None:
    # "&" is escaped, not broken XML
    CreditorProfile.objects.create(lender="A银行", display_name="A&B 资产管理有限公司")
    status = world["status"]
    owed = status.outstanding_principal + status.overdue_interest + status.penalty_interest
    settlement = services.request_settlement(world["case"], "L001", settle_amount=owed - 10_000,
                                             settle_by=dt.date(2026, 4, 30), actor=world["lead"],
                                             note="one-off payoff")  # fmt: skip
    paragraphs, rows = text_of(documents.settlement_agreement(settlement))
    assert "一次性结清协议" in paragraphs and f"ST-{settlement.pk:06d}" in paragraphs
    assert "甲方（债权人 Creditor）：A&B 资产管理有限公司" in paragraphs
    assert "乙方（借款人 Borrower）：张伟" in paragraphs and "11010519491231002X" in paragraphs
    assert f"尚欠甲方款项共计人民币{display_fen(owed)}元" in paragraphs
    assert (f"乙方应于2026年4月30日（含当日）前一次性向甲方偿还人民币{display_fen(owed - 10_000)}元"
            f"（大写：{documents.yuan_in_words(owed - 10_000)}）") in paragraphs  # fmt: skip
    assert "减免金额为人民币100.00元" in paragraphs
    assert "乙方未在2026年4月30日后2日内足额支付结清金额的，本协议自动失效" in paragraphs  # the promise grace
    assert ["本金（Principal）", display_fen(status.outstanding_principal)] in rows
    assert ["罚息（Penalty interest）", "100.00"] in rows  # given up: penalty first
    assert ["合计（Total）", display_fen(owed)] in rows and ["合计（Total）", "100.00"] in rows
    assert ["费用（Fees）", "0.00"] not in rows  # components at zero are left out


def test_only_a_settlement_has_a_settlement_agreement(world: dict[str, Any]) -> None:
    made = plan(world)
    with pytest.raises(DomainError):
        documents.settlement_agreement(made.concession)


def test_the_templates_use_only_the_variables_the_contexts_give(world: dict[str, Any]) -> None:
    made = plan(world)
    settlement = services.request_settlement(world["case"], "L001", settle_amount=100_000,
                                             settle_by=dt.date(2026, 4, 30), actor=world["collector"], note="x")  # fmt: skip
    for template, context in ((documents.PLAN_TEMPLATE, documents.plan_context(made)),
                              (documents.SETTLEMENT_TEMPLATE, documents.settlement_context(settlement))):  # fmt: skip
        assert DocxTemplate(str(template)).get_undeclared_template_variables(context=context) == set()


@pytest.mark.parametrize(
    ("fen", "words"),
    [
        (0, "零元整"),
        (5, "伍分"),
        (50, "伍角"),
        (105, "壹元零伍分"),
        (10_000, "壹佰元整"),
        (168_032, "壹仟陆佰捌拾元叁角贰分"),
        (10_700_053, "壹拾万零柒仟元伍角叁分"),
        (100_502_050, "壹佰万零伍仟零贰拾元伍角"),
        (1_000_050_000_000, "壹佰亿零伍拾万元整"),
        (123_456_789_012, "壹拾贰亿叁仟肆佰伍拾陆万柒仟捌佰玖拾元壹角贰分"),
    ],
)
def test_amounts_in_capitals(fen: int, words: str) -> None:
    assert documents.yuan_in_words(fen) == words
