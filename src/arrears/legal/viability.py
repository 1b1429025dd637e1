"""The viability check of a referral (issue 8 §1), pure: the facts in (`Facts`, gathered by
`legal.selectors.viability`), one JSON-able dict out, shown side by side — the amount claimable now, the costs of
suing, the limitation and guarantee periods left, the evidence checklist and the known assets. Money is integer fen;
dates ISO strings in the result. No database, no clock: the business date is passed in.

- Claim (domain-rules.md §2.5 notes: principal + interest + penalty + fees at filing): outstanding principal plus the
  overdue interest, penalty interest and fees, the charges reduced to the court-recoverable cap
  (`calculators.interest_cap`: 24% a year for financial institutions, 法发〔2017〕22号 art. 2; 4 × LPR at contract
  formation for private lending, 法释〔2020〕17号 arts. 25, 28; §3) on the outstanding principal from the start of the
  earliest unpaid period to the business date; any excess is taken off the penalty first, then fees, then interest.
  A recourse claim (代偿追偿) is what the guarantor paid within the debt (民法典 art. 700, `guarantor_recourse`).
- Costs: the acceptance fee (诉讼费用交纳办法 art. 13; halved for small claims, art. 16, when the province's threshold
  is known), the preservation fee on the whole claim (art. 14(2)), the lawyer's fee (the referral criteria's share
  and minimum: house policy, not law) and, for information, the enforcement fee (art. 14(1): not prepaid, collected
  from the debtor, art. 38).
- Periods: each loan's limitation (民法典 arts. 188, 189, 195) after its interruptions, each guarantee's period
  (art. 692; what preserves it, art. 693).
- Evidence (what a court asks for in a loan case): the contract, proof of disbursement (IOU, transfer record), the
  schedule, an overdue notice (a delivered demand, which also interrupts limitation), the assignment notice for an
  assigned debt (art. 546: not effective against the debtor until notified) and proof of the guarantor's payment for
  a recourse claim (art. 700).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from arrears.core.money import round_fen
from arrears.legal import calculators as calc
from arrears.rules.statutory import SHIPPED, Rulebook, RuleNotFound, SmallClaimsThreshold


@dataclass(frozen=True)
class LoanFacts:
    loan_id: str
    lender_type: str
    contract_date: dt.date
    principal: int  # outstanding principal (fen)
    interest: int  # overdue interest
    penalty: int  # penalty interest
    fees: int  # overdue fees
    charges_from: dt.date  # start of the earliest unpaid period (the previous due date, or the disbursement)
    last_due: dt.date | None  # the last instalment's due date (art. 189)
    interruptions: tuple[
        tuple[dt.date, str], ...
    ] = ()  # (date, what): demand, acknowledgement, payment, filing
    has_schedule: bool = False
    disbursement_date: dt.date | None = None


@dataclass(frozen=True)
class GuaranteeFacts:
    guarantee_id: str
    loan_id: str
    guarantor: str
    guarantee_type: str  # general | joint (portfolio.GuaranteeType)
    period_end: dt.date | None  # agreed end, when any
    acted_on: dt.date | None = None  # a suit (general) or a demand on the guarantor (joint) that preserved it


@dataclass(frozen=True)
class Asset:
    source: str  # "collateral" or "investigation"
    kind: str
    description: str
    value: int | None


@dataclass(frozen=True)
class Facts:
    as_of: dt.date
    case_type: str  # own | assigned | guarantee_recourse
    loans: tuple[LoanFacts, ...]
    guarantees: tuple[GuaranteeFacts, ...] = ()
    assets: tuple[Asset, ...] = ()
    documents: frozenset[str] = (
        frozenset()
    )  # document types in the case's evidence log ("contract", "iou", …)
    demands_delivered: int = 0
    assignment_notice_delivered: bool | None = None  # None: not an assigned debt
    recourse_paid: int = 0  # what the guarantor paid (代偿), for a recourse claim
    lawyer_fee_share: Decimal = Decimal(0)
    lawyer_fee_minimum: int = 0
    small_claims: SmallClaimsThreshold | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


# what the evidence checklist asks for: key → (document types that prove it, case types it applies to; None: all)
EVIDENCE_ITEMS: dict[str, tuple[frozenset[str], frozenset[str] | None]] = {
    "contract": (frozenset({"contract"}), None),
    "disbursement": (frozenset({"iou", "disbursement", "transfer_record"}), None),
    "schedule": (frozenset({"schedule"}), None),
    "overdue_notice": (frozenset({"overdue_notice", "demand"}), None),
    "assignment_notice": (frozenset({"assignment_notice"}), frozenset({"assigned"})),
    "payment_proof": (frozenset({"recourse_payment", "payment_proof"}), frozenset({"guarantee_recourse"})),
}


def loan_claim(loan: LoanFacts, as_of: dt.date, rules: Rulebook = SHIPPED) -> dict[str, Any]:
    """One loan's claim today: principal in full, the charges within the court-recoverable cap (excess taken off
    the penalty, then fees, then interest)."""
    charges = loan.interest + loan.penalty + loan.fees
    start = min(loan.charges_from, as_of)
    cap = calc.interest_cap(loan.principal, start, as_of, loan.lender_type, contractual=charges,
                            contract_date=loan.contract_date, rules=rules)  # fmt: skip
    excess = charges - cap.recoverable
    cut: dict[str, int] = {}
    left = {"penalty": loan.penalty, "fees": loan.fees, "interest": loan.interest}
    for part in ("penalty", "fees", "interest"):
        take = min(excess, left[part])
        cut[part], left[part], excess = take, left[part] - take, excess - take
    return {
        "loan_id": loan.loan_id,
        "principal": loan.principal,
        "interest": left["interest"],
        "penalty": left["penalty"],
        "fees": left["fees"],
        "total": loan.principal + left["interest"] + left["penalty"] + left["fees"],
        "contractual_charges": charges,
        "cap": cap.cap,
        "reduced_by": charges - cap.recoverable,
        "cap_basis": cap.basis,
    }


def claim(facts: Facts, rules: Rulebook = SHIPPED) -> dict[str, Any]:
    """The claim of the matter: per loan, and the amount claimed (for recourse, what the guarantor paid within
    the debt, 民法典 art. 700)."""
    loans = [loan_claim(loan, facts.as_of, rules) for loan in facts.loans]
    debt = sum(row["total"] for row in loans)
    result: dict[str, Any] = {"loans": loans, "debt": debt, "amount": debt}
    if facts.case_type == "guarantee_recourse":
        recourse = calc.guarantor_recourse(debt, facts.recourse_paid)
        result |= {"amount": recourse.claim, "recourse_paid": facts.recourse_paid,
                   "creditor_remaining": recourse.creditor_remaining,
                   "basis": recourse.as_dict()["basis"]}  # fmt: skip
    return result


def costs(amount: int, facts: Facts, rules: Rulebook = SHIPPED) -> dict[str, Any]:
    """What suing for `amount` (fen) costs up front, and the enforcement fee for information."""
    ordinary = calc.court_fee(amount, scale=rules.latest_fee_scale("acceptance"))
    procedure, court = "ordinary", ordinary
    small: dict[str, Any] | None = None
    if facts.small_claims is not None:
        eligibility = calc.small_claims(amount, facts.small_claims)
        small = {"eligible": eligibility.eligible, "threshold": facts.small_claims.threshold,
                 "province": facts.small_claims.province, "year": facts.small_claims.year}  # fmt: skip
        if eligibility.eligible:
            procedure = "small_claims"
            court = calc.court_fee(amount, "small_claims", scale=rules.latest_fee_scale("acceptance"))
    preservation = calc.preservation_fee(amount, scale=rules.latest_fee_scale("preservation"))
    enforcement = calc.enforcement_fee(amount, scale=rules.latest_fee_scale("enforcement"))
    lawyer = max(facts.lawyer_fee_minimum, round_fen(facts.lawyer_fee_share * amount))  # half up
    return {
        "procedure": procedure,
        "court_fee": court.fee,
        "court_fee_basis": court.basis,
        "court_fee_ordinary": ordinary.fee,
        "small_claims": small,
        "preservation_fee": preservation.fee,
        "preservation_basis": preservation.basis,
        "lawyer_fee": lawyer,
        "lawyer_fee_rule": {"share": str(facts.lawyer_fee_share), "minimum": facts.lawyer_fee_minimum},
        "upfront": court.fee + preservation.fee + lawyer,
        "enforcement_fee": enforcement.fee,
        "enforcement_basis": enforcement.basis,
    }


NOT_ASSESSED = "not assessed (no rule in force for that date)"


def periods(facts: Facts, rules: Rulebook = SHIPPED) -> dict[str, Any]:
    """Each loan's limitation period after its interruptions and each guarantee's period, with the days left. A
    period starting before its rule's first version in the table is not assessed (`not_assessed`, no dates)."""
    limitation: list[dict[str, Any]] = []
    for loan in facts.loans:
        if loan.last_due is None:
            limitation.append({"loan_id": loan.loan_id, "expires_on": None, "days_left": None,
                               "note": "no due date on file"})  # fmt: skip
            continue
        dates = [d for d, _what in loan.interruptions if d <= facts.as_of]
        try:
            result = calc.limitation(loan.last_due, dates, rules=rules)
        except RuleNotFound:  # due before the rule table's first version: not assessed
            limitation.append({"loan_id": loan.loan_id, "last_due": loan.last_due.isoformat(), "expires_on": None,
                               "days_left": None, "not_assessed": True, "note": NOT_ASSESSED})  # fmt: skip
            continue
        what = {d.isoformat(): w for d, w in loan.interruptions}
        limitation.append({
            "loan_id": loan.loan_id,
            "last_due": loan.last_due.isoformat(),
            "runs_from": result.runs_from.isoformat(),
            "interrupted_by": what.get(result.runs_from.isoformat()) if result.applied else None,
            "expires_on": result.expires_on.isoformat(),
            "days_left": (result.expires_on - facts.as_of).days,
            "expired": result.expires_on < facts.as_of,
            "provisional": result.provisional,
            "interruptions_applied": [d.isoformat() for d in result.applied],
            "basis": result.period.basis,
        })  # fmt: skip
    last_due = {loan.loan_id: loan.last_due for loan in facts.loans}
    guarantees: list[dict[str, Any]] = []
    for g in facts.guarantees:
        due = last_due.get(g.loan_id)
        if due is None:
            continue
        try:
            period = calc.guarantee_period(due, agreed_until=g.period_end, guarantee_type=g.guarantee_type,
                                           acted_on=g.acted_on, rules=rules)  # fmt: skip
        except RuleNotFound:  # due before the rule table's first version: not assessed
            guarantees.append({"guarantee_id": g.guarantee_id, "loan_id": g.loan_id, "guarantor": g.guarantor,
                               "ends_on": None, "days_left": None, "expired": False, "preserved": None,
                               "to_preserve": "", "guarantee_type": g.guarantee_type, "not_assessed": True,
                               "note": NOT_ASSESSED})  # fmt: skip
            continue
        guarantees.append({
            "guarantee_id": g.guarantee_id,
            "loan_id": g.loan_id,
            "guarantor": g.guarantor,
            "ends_on": period.ends_on.isoformat(),
            "days_left": (period.ends_on - facts.as_of).days,
            "expired": period.ends_on < facts.as_of and not period.preserved,
            "preserved": period.preserved,
            "to_preserve": period.to_preserve,
            "guarantee_type": g.guarantee_type,
        })  # fmt: skip
    return {"limitation": limitation, "guarantees": guarantees}


def evidence(facts: Facts) -> list[dict[str, Any]]:
    """The checklist: each item `document` (in the evidence log), `data` (we hold the data, not the document: a
    court wants the document) or `missing`."""
    data = {
        "contract": all(loan.contract_date is not None for loan in facts.loans),
        "disbursement": all(loan.disbursement_date is not None for loan in facts.loans),
        "schedule": all(loan.has_schedule for loan in facts.loans),
        "overdue_notice": facts.demands_delivered > 0,
        "assignment_notice": bool(facts.assignment_notice_delivered),
        "payment_proof": facts.recourse_paid > 0,
    }
    rows = []
    for item, (kinds, applies) in EVIDENCE_ITEMS.items():
        if applies is not None and facts.case_type not in applies:
            continue
        if kinds & facts.documents or (item == "overdue_notice" and facts.demands_delivered):
            status = "document"
        else:
            status = "data" if data[item] else "missing"
        rows.append({"item": item, "status": status})
    return rows


def assess(facts: Facts, rules: Rulebook = SHIPPED) -> dict[str, Any]:
    """The whole check, side by side. `flags` sums it up for a list: limitation or guarantee expiring or expired,
    evidence incomplete, known assets short of the claim. Nothing here decides: a person approves or returns."""
    owed = claim(facts, rules)
    cost = costs(owed["amount"], facts, rules)
    left = periods(facts, rules)
    checklist = evidence(facts)
    assets = [{"source": a.source, "kind": a.kind, "description": a.description, "value": a.value}
              for a in facts.assets]  # fmt: skip
    asset_value = sum(a.value or 0 for a in facts.assets)
    flags = []
    if any(row.get("expired") for row in left["limitation"]):
        flags.append("limitation_expired")
    elif any(row["days_left"] is not None and row["days_left"] <= 180 for row in left["limitation"]):
        flags.append("limitation_expiring")
    if any(row["expired"] for row in left["guarantees"]):
        flags.append("guarantee_expired")
    if any(row["status"] == "missing" for row in checklist):
        flags.append("evidence_missing")
    elif any(row["status"] == "data" for row in checklist):
        flags.append("documents_to_collect")
    if asset_value < owed["amount"]:
        flags.append("assets_short")
    if cost["upfront"] >= owed["amount"]:
        flags.append("costs_exceed_claim")
    return {
        "as_of": facts.as_of.isoformat(),
        "claim": owed,
        "costs": cost,
        "net_of_costs": owed["amount"] - cost["upfront"],
        "periods": left,
        "evidence": checklist,
        "assets": assets,
        "asset_value": asset_value,
        "flags": flags,
        "notes": list(facts.notes),
    }
