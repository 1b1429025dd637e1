"""The viability check (issue 8 §1): the claim within the interest cap (domain-rules.md §3.3's worked example), the
costs (§2.5's worked example), recourse (§6), the evidence checklist per case type, and a referred case's numbers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from arrears.audit import services as audit
from arrears.batch import runner
from arrears.cases.models import Case
from arrears.core.money import round_fen
from arrears.delinquency.models import LoanStatus
from arrears.legal import selectors, viability
from arrears.legal.models import ReferralCriteria
from arrears.portfolio.models import Assignment
from tests.factories import loan_with_details

D = dt.date


def loan(**overrides: Any) -> viability.LoanFacts:
    fields: dict[str, Any] = {
        "loan_id": "L1", "lender_type": "bank", "contract_date": D(2025, 12, 1), "principal": 10_000_000,
        "interest": 1_000_000, "penalty": 400_000, "fees": 100_000, "charges_from": D(2026, 1, 1),
        "last_due": D(2026, 1, 1), "has_schedule": True, "disbursement_date": D(2025, 12, 1),
    }  # fmt: skip
    return viability.LoanFacts(**(fields | overrides))


def test_charges_above_24_percent_are_cut_from_the_penalty_first() -> None:
    """100,000 yuan principal, 180 days: 24% a year allows 100,000 × 24% × 180/365 = 11,835.62 yuan (§3.3)."""
    row = viability.loan_claim(loan(), D(2026, 6, 30))
    assert row["cap"] == 1_183_562
    assert row["reduced_by"] == 1_500_000 - 1_183_562
    assert (row["penalty"], row["fees"], row["interest"]) == (400_000 - 316_438, 100_000, 1_000_000)
    assert row["total"] == 10_000_000 + 1_183_562
    within = viability.loan_claim(loan(penalty=0), D(2026, 6, 30))  # 11,000 yuan: under the cap, kept whole
    assert (within["reduced_by"], within["total"]) == (0, 11_100_000)


def test_costs_of_a_150000_yuan_claim() -> None:
    """§2.5: acceptance fee 3,300, preservation 1,270, enforcement 2,150; the lawyer's 5% (house policy)."""
    facts = viability.Facts(as_of=D(2026, 6, 30), case_type="own", loans=(),
                            lawyer_fee_share=Decimal("0.05"), lawyer_fee_minimum=300_000)  # fmt: skip
    cost = viability.costs(15_000_000, facts)
    assert (cost["court_fee"], cost["preservation_fee"], cost["enforcement_fee"], cost["lawyer_fee"]) == (
        330_000, 127_000, 215_000, 750_000,
    )  # fmt: skip
    assert cost["upfront"] == 330_000 + 127_000 + 750_000
    assert viability.costs(1_000_000, facts)["lawyer_fee"] == 300_000  # the minimum


def test_recourse_claims_what_the_guarantor_paid() -> None:
    """§6: the guarantor paid 30,000 of a 50,000 debt → a recourse claim of 30,000, behind the creditor's 20,000."""
    facts = viability.Facts(as_of=D(2026, 6, 30), case_type="guarantee_recourse", recourse_paid=3_000_000,
                            loans=(loan(principal=5_000_000, interest=0, penalty=0, fees=0),))  # fmt: skip
    owed = viability.claim(facts)
    assert (owed["debt"], owed["amount"], owed["creditor_remaining"]) == (5_000_000, 3_000_000, 2_000_000)


def test_the_evidence_checklist_by_case_type() -> None:
    own = viability.Facts(as_of=D(2026, 6, 30), case_type="own", loans=(loan(),),
                          documents=frozenset({"contract", "iou"}))  # fmt: skip
    assert {r["item"]: r["status"] for r in viability.evidence(own)} == {
        "contract": "document", "disbursement": "document", "schedule": "data", "overdue_notice": "missing",
    }  # fmt: skip
    assigned = viability.Facts(as_of=D(2026, 6, 30), case_type="assigned", loans=(loan(),), demands_delivered=1,
                               assignment_notice_delivered=False)  # fmt: skip
    rows = {r["item"]: r["status"] for r in viability.evidence(assigned)}
    assert (rows["overdue_notice"], rows["assignment_notice"]) == ("document", "missing")
    recourse = viability.Facts(as_of=D(2026, 6, 30), case_type="guarantee_recourse", loans=(loan(),),
                               recourse_paid=1)  # fmt: skip
    assert {r["item"]: r["status"] for r in viability.evidence(recourse)}["payment_proof"] == "data"


def test_periods_left_count_the_interruptions() -> None:
    """Last due 2025-12-31 → 2028-12-31 (§4); a demand delivered 2027-03-01 restarts it → 2030-03-01."""
    facts = viability.Facts(
        as_of=D(2027, 6, 1), case_type="own",
        loans=(loan(last_due=D(2025, 12, 31), interruptions=((D(2027, 3, 1), "demand"),)),),
    )  # fmt: skip
    row = viability.periods(facts)["limitation"][0]
    assert (row["runs_from"], row["interrupted_by"], row["expires_on"]) == (
        "2027-03-01",
        "demand",
        "2030-03-01",
    )
    assert row["days_left"] == (D(2030, 3, 1) - D(2027, 6, 1)).days


@pytest.fixture
def case(db: Any) -> Case:
    ReferralCriteria.objects.create(effective_from=D(2026, 1, 1), min_dpd=90, min_balance=0,
                                    min_contact_attempts=None, lawyer_fee_share="0.05")  # fmt: skip
    loan_with_details(loan_id="L001")
    runner.close([D(2026, 7, 15)])
    return Case.objects.get()


def test_a_cases_viability_from_the_close_and_the_evidence_log(case: Case) -> None:
    status = LoanStatus.objects.get(loan_id="L001")
    audit.append_evidence(
        "legal.document", case_id=case.pk, loan_ids=["L001"], payload={"document": "contract"}
    )
    audit.append_evidence("demand.delivered", case_id=case.pk, loan_ids=["L001"],
                          payload={"delivered_on": "2026-06-01"})  # fmt: skip
    check = selectors.viability_check(case, D(2026, 7, 15))
    claimed = check["claim"]["loans"][0]
    assert (claimed["principal"], claimed["interest"], claimed["penalty"]) == (
        status.outstanding_principal, status.overdue_interest, status.penalty_interest,
    )  # fmt: skip
    assert check["claim"]["amount"] == 1_200_000 + 24_080 + status.penalty_interest
    amount = check["claim"][
        "amount"
    ]  # about 12,600 yuan: 50 up to 10,000, then 2.5% (诉讼费用交纳办法 art. 13)
    assert check["costs"]["court_fee"] == 5_000 + round_fen(Decimal(amount - 1_000_000) * Decimal("0.025"))
    assert check["costs"]["lawyer_fee"] == round_fen(Decimal(amount) * Decimal("0.05"))
    assert {r["item"]: r["status"] for r in check["evidence"]} == {
        "contract": "document", "disbursement": "data", "schedule": "data", "overdue_notice": "document",
    }  # fmt: skip
    limitation = check["periods"]["limitation"][0]
    # last due 2026-04-05; the demand delivered 2026-06-01 restarts the 3 years → 2029-06-01 (provisional)
    assert (limitation["runs_from"], limitation["expires_on"], limitation["interrupted_by"]) == (
        "2026-06-01", "2029-06-01", "demand",
    )  # fmt: skip
    guarantee = check["periods"]["guarantees"][0]
    # joint guarantee, no period agreed: 6 months from 2026-04-05 → 2026-10-05 (never moved, art. 692)
    assert (guarantee["ends_on"], guarantee["preserved"]) == ("2026-10-05", None)
    assert check["assets"] == [{"source": "collateral", "kind": "vehicle", "description": "大众朗逸 京A12345",
                                "value": 8_000_000}]  # fmt: skip
    assert "assets_short" not in check["flags"] and "documents_to_collect" in check["flags"]


def test_an_assigned_debt_is_sued_by_the_assignee(case: Case) -> None:
    Assignment.objects.create(loan_id="L001", assignor="A银行", assignee="东方资产", assigned_on=D(2026, 5, 1),
                              notice_delivered_on=D(2026, 5, 10))  # fmt: skip
    Case.objects.filter(pk=case.pk).update(case_type="assigned")
    case.refresh_from_db()
    assert selectors.parties(case, ["L001"])[0] == "东方资产"
    rows = {r["item"]: r["status"] for r in selectors.viability_check(case, D(2026, 7, 15))["evidence"]}
    assert rows["assignment_notice"] == "data"


def test_periods_before_the_rules_first_version_are_not_assessed() -> None:
    """Limitation's rule starts 2017-10-01, the guarantee period's 2021-01-01: earlier dates are shown as not
    assessed, not a failure of the whole check."""
    facts = viability.Facts(
        as_of=D(2026, 6, 30), case_type="own",
        loans=(loan(loan_id="L1", last_due=D(2016, 6, 1)), loan(loan_id="L2", last_due=D(2020, 6, 1))),
        guarantees=(viability.GuaranteeFacts(guarantee_id="G2", loan_id="L2", guarantor="张三",
                                             guarantee_type="joint", period_end=None, acted_on=None),),
    )  # fmt: skip
    check = viability.assess(facts)
    l1, l2 = check["periods"]["limitation"]
    assert (l1["expires_on"], l1["days_left"], l1["not_assessed"]) == (None, None, True)
    assert l2["expires_on"] == "2023-06-01" and l2["expired"]  # the limitation rule was in force
    (g2,) = check["periods"]["guarantees"]
    assert (g2["ends_on"], g2["days_left"], g2["expired"], g2["not_assessed"]) == (None, None, False, True)
    assert "guarantee_expired" not in check["flags"]
