"""Every worked example of domain-rules.md §2–4, §6 and §8, with its exact figures, through the pure calculators
(shipped rule versions, no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from arrears.legal import calculators as calc
from arrears.rules.statutory import SHIPPED, SmallClaimsThreshold

D = dt.date


def fen(yuan: str) -> int:
    return calc.parse_amount(yuan)


# --- §2.5: litigation fees -----------------------------------------------------------------------------------------

FEE_TABLE = [
    # claim, acceptance fee, halved, preservation (if the claim is preserved), enforcement fee
    ("10,000", "50.00", "25.00", "120.00", "50.00"),
    ("50,000", "1050.00", "525.00", "520.00", "650.00"),
    ("150,000", "3300.00", "1650.00", "1270.00", "2150.00"),
    ("1,234,567", "15911.10", "7955.55", "5000.00", "14745.67"),
    ("30,000,000", "191800.00", "95900.00", "5000.00", "97400.00"),
]


@pytest.mark.parametrize(("claim", "acceptance", "halved", "preservation", "enforcement"), FEE_TABLE)
def test_fee_table(claim: str, acceptance: str, halved: str, preservation: str, enforcement: str) -> None:
    amount = fen(claim)
    assert calc.court_fee(amount).as_dict()["fee"] == acceptance
    for procedure, outcome in [("simple", "judgment"), ("ordinary", "mediation"), ("ordinary", "withdrawal")]:
        result = calc.court_fee(amount, procedure, outcome).as_dict()
        assert (result["fee"], result["base_fee"]) == (halved, acceptance)
        assert fen(result["reduction"]) == fen(acceptance) - fen(halved)
    assert calc.preservation_fee(amount).as_dict()["fee"] == preservation
    assert calc.enforcement_fee(amount).as_dict()["fee"] == enforcement


def test_fee_table_intermediate_figures() -> None:
    """The table's workings: 1,234,567 preserved is 6,692.84 before the 5,000 cap; its acceptance fee's bands."""
    preservation = calc.preservation_fee(fen("1234567"))
    assert (preservation.uncapped, preservation.fee, preservation.capped) == (669284, 500000, True)
    parts = calc.court_fee(fen("1234567")).as_dict()["breakdown"]
    assert [p["fee"] for p in parts] == ["50.00", "2250.00", "2000.00", "4500.00", "5000.00", "2111.10"]
    assert calc.preservation_fee(fen("10000")).as_dict()["breakdown"][1] == {
        "from": "1000.00",
        "to": "10000.00",
        "rate": "0.01",
        "fee": "90.00",
    }


# --- §3: interest caps ---------------------------------------------------------------------------------------------


def test_private_loan_capped_at_four_times_lpr_at_formation() -> None:
    """Private loan of 100,000 formed 2025-08-01 (LPR 3.00%): cap 12.00% a year, at most 12,000 for a year; the
    contract's 15% is supported up to 12%."""
    result = calc.interest_cap(
        fen("100000"),
        D(2025, 8, 1),
        D(2026, 8, 1),
        "private",
        annual_rate=Decimal("0.15"),
        contract_date=D(2025, 8, 1),
    )
    data = result.as_dict()
    assert data["cap_rate"] == "0.12"
    assert data["cap_rate_percent"] == "12.00%"
    assert data["lpr"] == "0.03"
    assert (data["contractual"], data["cap"], data["recoverable"]) == ("15000.00", "12000.00", "12000.00")
    assert data["excess"] == "3000.00"
    assert "4 × the one-year LPR of 3.00%" in data["basis"]


def test_bank_loan_capped_at_24_percent() -> None:
    """Bank consumer loan, 100,000 outstanding, 180 days overdue: at most 100,000 × 24% × 180/365 = 11,835.62."""
    result = calc.interest_cap(
        fen("100000"),
        D(2026, 1, 1),
        D(2026, 1, 1) + dt.timedelta(days=180),
        "bank",
        annual_rate=Decimal("0.36"),
    )
    assert result.days == 180
    assert result.as_dict()["cap"] == "11835.62"
    assert result.as_dict()["recoverable"] == "11835.62"
    assert result.as_dict()["cap_rate"] == "0.24"


# --- §4: limitation, deadlines, small claims -----------------------------------------------------------------------


def known(day: dt.date) -> bool:
    """Whether the holiday calendar has `day`'s year (chinese-calendar adds each year when it is published)."""
    return calc.CHINESE_CALENDAR.is_workday(day) is not None


def test_limitation_from_last_instalment() -> None:
    """12-instalment loan, last instalment due 2025-12-31 → limitation ends 2028-12-31."""
    result = calc.limitation(D(2025, 12, 31))
    assert result.nominal == D(2028, 12, 31)
    # 2028-12-31 is a Sunday: while 2028's holidays are unpublished it is not moved, and flagged provisional
    assert result.provisional is not known(D(2028, 12, 31))
    if result.provisional:
        assert result.as_dict()["expires_on"] == "2028-12-31"
    else:  # pragma: no cover - once chinese-calendar knows 2028
        assert result.expires_on == calc.next_working_day(D(2028, 12, 31))[0] > D(2028, 12, 31)


def test_limitation_restarts_at_delivered_demand() -> None:
    """A demand SMS delivered on 2027-03-01 interrupts it: the new 3-year period runs to 2030-03-01."""
    result = calc.limitation(D(2025, 12, 31), [D(2027, 3, 1)])
    assert result.nominal == D(2030, 3, 1)
    assert result.applied == (D(2027, 3, 1),)
    assert (
        result.as_dict()["expires_on"] == calc.next_working_day(D(2030, 3, 1))[0].isoformat() == "2030-03-01"
    )


def test_enforcement_application_deadline() -> None:
    """Judgment effective 2026-05-10, payment within 10 days (by 2026-05-20) → apply for enforcement by 2028-05-20."""
    assert calc.period_end(D(2026, 5, 10), 10, "day") == D(2026, 5, 20)
    result = calc.deadline("enforcement-application", D(2026, 5, 20))
    assert result.as_dict()["nominal_deadline"] == "2028-05-20"
    # 2028-05-20 is a Saturday: art. 85 moves it once 2028's holidays are known (test_deadlines.py)
    assert result.provisional is not known(D(2028, 5, 20))
    if result.provisional:
        assert result.as_dict()["deadline"] == "2028-05-20"
    else:  # pragma: no cover - once chinese-calendar knows 2028
        assert result.deadline == calc.next_working_day(D(2028, 5, 20))[0] > D(2028, 5, 20)


def test_small_claims_threshold_example() -> None:
    """Province threshold 50,000: a claim of 48,000 → small claims (single instance, fee halved); 80,000 →
    simplified/ordinary unless both parties agree."""
    threshold = SmallClaimsThreshold(province="浙江", year=2026, threshold=fen("50000"))
    small = calc.small_claims(fen("48000"), threshold)
    assert small.eligible
    assert small.as_dict()["procedure"] == "small_claims"
    assert (
        calc.court_fee(fen("48000"), "small_claims").as_dict()["fee"] == "500.00"
    )  # (50 + 38,000 × 2.5%) / 2
    larger = calc.small_claims(fen("80000"), threshold)
    assert not larger.eligible
    assert larger.eligible_by_agreement
    assert larger.as_dict()["procedure"] == "simple_or_ordinary"


def test_small_claims_agreed_limit_is_twice_the_wage() -> None:
    """By agreement up to 2 × the average wage (民事诉讼法 art. 165): Zhejiang 2022, 54,323 and 217,290 as
    published (domain-rules §4). Without a published limit it is derived as 4 × the threshold — not the 2 ×
    threshold (100,000) of the §4 example's aside."""
    zhejiang = SHIPPED.small_claims_threshold("浙江省", 2022)
    assert calc.small_claims(fen("54323"), zhejiang).eligible
    assert not calc.small_claims(fen("54323.01"), zhejiang).eligible
    assert calc.small_claims(fen("217290"), zhejiang).eligible_by_agreement
    assert not calc.small_claims(fen("217290.01"), zhejiang).eligible_by_agreement
    hypothetical = SmallClaimsThreshold(province="浙江", year=2026, threshold=fen("50000"))
    assert calc.small_claims(fen("150000"), hypothetical).as_dict()["agreed_limit"] == "200000.00"
    liaoning = SHIPPED.small_claims_threshold("Liaoning", 2023)
    assert calc.small_claims(fen("47000"), liaoning).as_dict()["threshold"] == "47000.00"


# --- §6: assignment, guarantees, recourse --------------------------------------------------------------------------


def test_joint_guarantee_without_period() -> None:
    """Loan due 2026-06-30, guarantee with no stated period, joint liability → demand from the guarantor by
    2026-12-30; a written demand on 2026-11-15 preserves the guarantee."""
    result = calc.guarantee_period(D(2026, 6, 30), guarantee_type="joint", acted_on=D(2026, 11, 15))
    data = result.as_dict()
    assert data["ends_on"] == "2026-12-30"
    assert data["preserved"] is True
    assert data["to_preserve"].startswith("demand performance from the guarantor by 2026-12-30")


def test_unstated_guarantee_is_general() -> None:
    """Same facts, guarantee type unstated → general guarantee → the creditor must sue the borrower by 2026-12-30."""
    data = calc.guarantee_period(D(2026, 6, 30)).as_dict()
    assert data["ends_on"] == "2026-12-30"
    assert data["guarantee_type"] == "general"
    assert data["to_preserve"].startswith("sue or apply for arbitration against the debtor by 2026-12-30")
    assert data["preserved"] is None
    late = calc.guarantee_period(D(2026, 6, 30), acted_on=D(2026, 12, 31))
    assert late.preserved is False


def test_payment_to_original_lender_before_and_after_notice() -> None:
    """Sold to an AMC on 2026-03-01; notice delivered to the debtor on 2026-03-10 → a payment to the original lender
    on 2026-03-05 discharges the debt; one made after 2026-03-10 does not."""
    assert calc.payment_to_assignor_discharges(D(2026, 3, 5), D(2026, 3, 10)).discharges is True
    assert calc.payment_to_assignor_discharges(D(2026, 3, 11), D(2026, 3, 10)).discharges is False
    assert calc.payment_to_assignor_discharges(D(2026, 3, 10), D(2026, 3, 10)).discharges is None
    assert calc.payment_to_assignor_discharges(D(2026, 3, 11), None).discharges is True


def test_guarantor_recourse() -> None:
    """Guarantor paid 30,000 of a 50,000 debt → recourse against the borrower for 30,000 (+ agreed costs), behind
    the creditor's remaining 20,000."""
    recourse = calc.guarantor_recourse(fen("50000"), fen("30000"))
    assert recourse.as_dict()["claim"] == "30000.00"
    assert recourse.as_dict()["creditor_remaining"] == "20000.00"
    assert calc.guarantor_recourse(fen("50000"), fen("30000"), agreed_costs=fen("500")).claim == fen("30500")


# --- §8: jurisdiction ----------------------------------------------------------------------------------------------


def test_valid_agreed_court_first() -> None:
    result = calc.jurisdiction(
        "上海市浦东新区", "广东省深圳市南山区", agreed_court="北京市朝阳区", agreed_court_connected=True
    )
    assert (result.court, result.ground) == ("北京市朝阳区", "agreed_court")
    assert result.alternatives == (
        ("上海市浦东新区", "place_of_performance"),
        ("广东省深圳市南山区", "defendant_domicile"),
    )
    assert any("art. 35" in r for r in result.reasoning)


def test_lender_location_for_repayment_claims() -> None:
    """No valid clause: the lender is the receiving party of a repayment claim, so its location is the place of
    performance (民诉解释 art. 18)."""
    for connected in (False, None):
        result = calc.jurisdiction(
            "上海市浦东新区",
            "广东省深圳市南山区",
            agreed_court="海南省三亚市",
            agreed_court_connected=connected,
        )
        assert (result.court, result.ground) == ("上海市浦东新区", "place_of_performance")
        assert "海南省三亚市" in result.reasoning[0]
    plain = calc.jurisdiction("上海市浦东新区", "广东省深圳市南山区")
    assert (plain.court, plain.ground) == ("上海市浦东新区", "place_of_performance")
    assert plain.alternatives == (("广东省深圳市南山区", "defendant_domicile"),)


def test_defendant_domicile_otherwise() -> None:
    assert calc.jurisdiction("", "广东省深圳市南山区").ground == "defendant_domicile"
    lending = calc.jurisdiction("上海市浦东新区", "广东省深圳市南山区", dispute="lending")
    assert (lending.court, lending.ground) == ("广东省深圳市南山区", "defendant_domicile")


def test_standard_form_clause_is_flagged() -> None:
    result = calc.jurisdiction(
        "上海", "深圳", agreed_court="上海", agreed_court_connected=True, standard_form=True
    )
    assert any("art. 31" in c for c in result.checks)
