"""Court documents for a lawsuit: the complaint (民事起诉状) and the evidence list (证据清单), and batch packages of
them (issue 8, parts 4 and 6). Pure: plain inputs in (dataclasses, dates, integer fen), documents out; no database
and no clock, so a caller gathers the inputs once and renders thousands.

Flow: `claims_as_of` computes the requests (诉讼请求) as of the filing date from the loan's terms and what is owed
→ `evidence_list` turns evidence-log records into numbered exhibits and flags what is missing → `build_package`
adds the parties, facts and jurisdiction (`calculators.jurisdiction`) into a `ComplaintPackage` →
`render_complaint` / `render_evidence_list` fill the editable Word templates (`legal/fixtures/*.docx`, made by
`scripts/make_legal_templates.py`, whose docstring lists the variables) → `package_zip` writes many packages into
one zip, a folder per case.

What a complaint must state (民事诉讼法 art. 124 (2023 rev.), article number UNCONFIRMED): the parties' full identity
(name, sex, date of birth, address, ID number; a company's name, address and legal representative) — so ID
numbers are shown in full here, unlike anywhere else in Arrears —, the requests, facts and reasons, and the
evidence with its source. A Chinese court's documents are in Chinese whatever the operator's language: the court
text is Chinese in the code and the templates; only what operators read (warnings, missing evidence) is
translated through gettext.

Money is integer fen; rates are `Decimal` fractions; every rounding is to the fen, half up (四舍五入), explicit.

Rendering: docxtpl re-parses the template, re-compiles its Jinja source and re-zips every part through python-docx
for each document (~30 ms a document here: 1,000 packages ≈ 65 s on 2 cores). `DocxRenderer` does docxtpl's
pre-pass (`patch_xml`, which turns `{%p`, `{%tr` … into plain Jinja) and compiles the result once per template,
compresses the template's unchanged parts once, and per document only renders the Jinja and compresses that part
(~1.6 s for 1,000 packages, `bench/legal_documents_bench.py`); the documents are the same as docxtpl's (tested).
Values are XML-escaped (autoescape).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import json
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Protocol

from django.utils.translation import gettext as _

from arrears.core.errors import DomainError
from arrears.core.money import display_fen, format_fen, round_fen
from arrears.core.wording import chinese_number, cn_date
from arrears.core.wording import percent as _percent
from arrears.legal import calculators as calc
from arrears.rules.statutory import SHIPPED, Rulebook

FIXTURES = Path(__file__).resolve().parent / "fixtures"
COMPLAINT_TEMPLATE = FIXTURES / "complaint.docx"
EVIDENCE_TEMPLATE = FIXTURES / "evidence_list.docx"

CASE_TYPES = ("own", "assigned", "guarantee_recourse")
PARTY_KINDS = ("person", "company")


class DocumentError(DomainError):
    """Inputs a court document cannot be made from (a plaintiff who is not the assignee, a filing date before the
    figures, an unknown case type)."""


# --- what a complaint says ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    """A party as a court document names it (民事诉讼法 art. 124): a person's `id_number` is their resident ID
    (sex and date of birth are read from an 18-digit one), a company's is its unified social credit code, shown in
    full. `representative`: a company's legal representative (or a branch's person in charge, `representative_title`
    负责人)."""

    name: str
    kind: str = "person"  # person | company
    id_number: str = ""
    address: str = ""
    phone: str = ""
    representative: str = ""
    representative_title: str = "法定代表人"
    # resident_id | passport | uscc | other; "" = resident_id for a person, uscc for a company
    id_type: str = ""

    def __post_init__(self) -> None:
        if self.kind not in PARTY_KINDS:
            raise DocumentError(f"unknown party kind {self.kind!r}; one of {', '.join(PARTY_KINDS)}")
        if not self.name.strip():
            raise DocumentError("a party needs a name")


@dataclass(frozen=True)
class Guarantor:
    """A guarantor sued with the borrower: joint liability (连带责任保证, 民法典 art. 688) or general (一般保证,
    liable for what enforcement against the borrower cannot recover, art. 687)."""

    party: Party
    liability: str = "joint"  # joint | general
    contract_number: str = ""


@dataclass(frozen=True)
class LoanTerms:
    """The contract's terms (合同约定): plain values a caller reads from the loan. `lender` is the original creditor
    (the plaintiff of an own loan); `lender_type` (a key of `calculators.LENDER_REGIMES`) selects the interest cap;
    `penalty_rate` is the annual overdue (罚息) rate; `breach_clause` names the clause on default and acceleration
    (e.g. "第十二条")."""

    contract_number: str
    contract_date: dt.date
    lender: str
    lender_type: str
    principal: int
    annual_rate: Decimal
    penalty_rate: Decimal
    disbursement_date: dt.date
    maturity_date: dt.date | None = None
    term_months: int | None = None
    repayment_method: str = ""  # equal_installment | equal_principal | interest_first | bullet
    product_type: str = "term_loan"
    day_count: int = 365
    compound_interest: bool = False
    breach_clause: str = ""
    contract_title: str = "借款合同"


@dataclass(frozen=True)
class Outstanding:
    """What is owed on `as_of` (the latest close: `LoanStatus` / the allocation), all fen: `principal` every unpaid
    principal, due or not; `overdue_principal` the part past due; `interest` contractual interest due and unpaid;
    `penalty` penalty and compound interest accrued to `as_of`; `fees` contractual fees due. `first_overdue` is the
    oldest unpaid due date and `dpd` the days past due on `as_of`."""

    as_of: dt.date
    principal: int
    overdue_principal: int
    interest: int
    penalty: int
    first_overdue: dt.date
    dpd: int
    fees: int = 0

    @property
    def overdue_total(self) -> int:
        return self.overdue_principal + self.interest + self.penalty + self.fees


@dataclass(frozen=True)
class AssignmentFacts:
    """债权转让 (民法典 arts. 545–547): the assignee sues; the assignment binds the debtor from the day the notice
    reached them (`notice_delivered_on`, art. 546). `payments_to_assignor`: (date, fen) the debtor paid the original
    creditor after the assignment date and that `Outstanding` already counts as paid."""

    assignor: str
    assignee: str
    assigned_on: dt.date
    notice_delivered_on: dt.date | None
    payments_to_assignor: tuple[tuple[dt.date, int], ...] = ()


@dataclass(frozen=True)
class RecourseFacts:
    """代偿追偿 (民法典 art. 700): the guarantor paid the creditor on the borrower's behalf (`payments`: (date, fen))
    and sues the borrower for it plus the agreed interest (`annual_rate`, None when none was agreed) from each
    payment date. `debt`: the guaranteed debt the payments went to (recourse is within it; None = not limiting);
    `guarantor_type`: the guarantor's lender type for the interest cap (a guarantee company is a financial
    institution, 法释〔2020〕27号; a person is private lending); `agreement_date`: when the recourse interest was agreed
    (the private-lending cap is the one at formation), default the loan contract's date."""

    guarantor: str
    payments: tuple[tuple[dt.date, int], ...]
    annual_rate: Decimal | None = None
    debt: int | None = None
    agreed_costs: int = 0
    guarantor_type: str = "guarantee"
    agreement_date: dt.date | None = None
    day_count: int = 365

    @property
    def paid(self) -> int:
        return sum(amount for _, amount in self.payments)


@dataclass(frozen=True)
class Costs:
    """Litigation costs to claim: `procedure` for the court fee (ordinary | simple | small_claims, 诉讼费用交纳办法
    arts. 13, 16), `preserve` the amount a preservation application asks to freeze (fen; None = none, 0 = the claim
    amount), `lawyer_fee` agreed in the contract (`lawyer_fee_clause`) and claimed as a loss."""

    procedure: str = "ordinary"
    preserve: int | None = None
    lawyer_fee: int = 0
    lawyer_fee_clause: str = ""


@dataclass(frozen=True)
class Claim:
    """One request (诉讼请求). `amount` is what is claimed (fen), `contractual` what the contract gives before any
    cap (equal when nothing was capped); `in_claim_amount`: counts in the amount in dispute (诉讼标的) on which
    the court fee is computed (costs do not). `text` is the Chinese request as the complaint states it."""

    kind: str
    text: str
    amount: int
    contractual: int
    basis: str
    in_claim_amount: bool = True

    @property
    def capped(self) -> bool:
        return self.amount < self.contractual

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "amount": format_fen(self.amount),
            "contractual": format_fen(self.contractual),
            "capped": self.capped,
            "in_claim_amount": self.in_claim_amount,
            "text": self.text,
            "basis": self.basis,
        }


@dataclass(frozen=True)
class Claims:
    """The requests as of `filing_date`. `caps`: the interest-cap computations behind them (`calculators.InterestCap`:
    contractual vs recoverable, with the rule's basis); `court_fee` on the claim amount; `preservation` when a
    preservation application is made."""

    filing_date: dt.date
    case_type: str
    lines: tuple[Claim, ...]
    caps: tuple[calc.InterestCap, ...]
    court_fee: calc.CourtFee
    preservation: calc.Fee | None
    warnings: tuple[str, ...] = ()

    @property
    def amount(self) -> int:
        """The amount in dispute (诉讼标的): the money requests, costs excluded."""
        return sum(c.amount for c in self.lines if c.in_claim_amount)

    @property
    def costs(self) -> int:
        return sum(c.amount for c in self.lines if not c.in_claim_amount)

    def line(self, kind: str) -> Claim | None:
        return next((c for c in self.lines if c.kind == kind), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "filing_date": self.filing_date.isoformat(),
            "case_type": self.case_type,
            "claim_amount": format_fen(self.amount),
            "costs": format_fen(self.costs),
            "lines": [c.as_dict() for c in self.lines],
            "caps": [cap.as_dict() for cap in self.caps],
            "court_fee": self.court_fee.as_dict(),
            "preservation_fee": None if self.preservation is None else self.preservation.as_dict(),
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class Facts:
    """事实: the contract, the default and the case type's own facts; `demands_delivered`: dates demands reached the
    debtor (evidence log `demand.delivered`, `audit.selectors.demand_deliveries`)."""

    terms: LoanTerms
    owed: Outstanding
    assignment: AssignmentFacts | None = None
    recourse: RecourseFacts | None = None
    demands_delivered: tuple[dt.date, ...] = ()


@dataclass(frozen=True)
class Exhibit:
    """One entry of the evidence list: `records` the evidence-log sequence numbers it comes from, `sha256` the
    hashes of their stored documents (content or files; the record's own hash when it has none), `pages` the
    pages when the records say (payload `pages`)."""

    number: int
    category: str
    name: str
    source: str
    proves: str
    pages: int | None = None
    sha256: tuple[str, ...] = ()
    records: tuple[int, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "category": self.category,
            "name": self.name,
            "source": self.source,
            "proves": self.proves,
            "pages": self.pages,
            "sha256": list(self.sha256),
            "records": list(self.records),
        }


@dataclass(frozen=True)
class Missing:
    """Evidence the case type needs (`required`) or should have that the log does not hold."""

    category: str
    name: str
    required: bool
    why: str

    def as_dict(self) -> dict[str, Any]:
        return {"category": self.category, "name": self.name, "required": self.required, "why": self.why}


@dataclass(frozen=True)
class EvidenceList:
    exhibits: tuple[Exhibit, ...]
    missing: tuple[Missing, ...]

    @property
    def complete(self) -> bool:
        """Nothing required is missing."""
        return not any(m.required for m in self.missing)


@dataclass(frozen=True)
class ComplaintPackage:
    """Everything one complaint and its evidence list say. `case_ref` names the case (its folder in a batch);
    `court` is the court's name (此致 …); `jurisdiction` the calculator's answer with its reasoning."""

    case_ref: str
    case_type: str
    filing_date: dt.date
    cause: str
    court: str
    plaintiff: Party
    defendants: tuple[Party, ...]
    guarantors: tuple[Guarantor, ...]
    facts: Facts
    claims: Claims
    jurisdiction: calc.Jurisdiction
    evidence: EvidenceList
    warnings: tuple[str, ...] = ()

    def manifest(self) -> dict[str, Any]:
        """What the batch zip's manifest.json holds for the case: the computed amounts (yuan strings), the parties,
        court and reasoning, the exhibits and what is missing."""
        return {
            "case_ref": self.case_ref,
            "case_type": self.case_type,
            "cause": self.cause,
            "filing_date": self.filing_date.isoformat(),
            "court": self.court,
            "plaintiff": self.plaintiff.name,
            "defendants": [d.name for d in self.defendants] + [g.party.name for g in self.guarantors],
            "claims": self.claims.as_dict(),
            "jurisdiction": self.jurisdiction.as_dict(),
            "exhibits": [e.as_dict() for e in self.evidence.exhibits],
            "missing_evidence": [m.as_dict() for m in self.evidence.missing],
            "evidence_complete": self.evidence.complete,
            "warnings": list(self.warnings),
        }


# --- formatting -------------------------------------------------------------------------------------------------

REPAYMENT_METHODS = {
    "equal_installment": "等额本息",
    "equal_principal": "等额本金",
    "interest_first": "按期付息、到期还本",
    "bullet": "到期一次性还本付息",
}


def percent(rate: Decimal) -> str:
    """Decimal('0.0435') → '4.35%' (as many places as the rate has)."""
    return _percent(rate, None)


def yuan(fen: int) -> str:
    """12345678 → '123,456.78' (yuan to the fen, as court documents state amounts)."""
    return display_fen(fen)


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- claims as of the filing date -----------------------------------------------------------------------------


def _accrue(base: int, rate: Decimal, start: dt.date, end: dt.date, day_count: int) -> int:
    """Simple interest on `base` fen at `rate` a year from `start` to `end` (end exclusive, actual days / day count),
    rounded to the fen half up."""
    days = (end - start).days
    if days <= 0 or base <= 0 or rate <= 0:
        return 0
    return round_fen(Decimal(base) * rate * days / day_count)


def _cap_words(cap: calc.InterestCap) -> str:
    if cap.rule.regime == "private_lending":
        return f"合同成立时一年期贷款市场报价利率四倍即年利率{percent(cap.cap_rate)}"
    return f"年利率{percent(cap.cap_rate)}"


def _loan_claims(
    filing_date: dt.date,
    terms: LoanTerms,
    owed: Outstanding,
    *,
    accelerate: bool,
    charges_from: dt.date | None,
    rules: Rulebook,
) -> tuple[list[Claim], calc.InterestCap]:
    """Principal, interest, penalty and fees of an own or assigned loan, the charges within the cap."""
    base = owed.overdue_principal + (owed.interest if terms.compound_interest else 0)
    rolled = _accrue(base, terms.penalty_rate, owed.as_of, filing_date, terms.day_count)
    penalty = owed.penalty + rolled
    contractual = owed.interest + penalty + owed.fees
    start = charges_from or owed.first_overdue
    if start > filing_date:
        raise DocumentError(f"charges cannot run from {start.isoformat()}, after the filing date")
    cap = calc.interest_cap(
        owed.principal,
        start,
        filing_date,
        terms.lender_type,
        contractual=contractual,
        contract_date=terms.contract_date,
        rules=rules,
        day_count=terms.day_count,
    )
    # Over the cap, the court reduces the total (法发〔2017〕22号 art. 2; 法释〔2020〕17号 arts. 25, 28–29): the
    # complaint claims no more than it supports, giving up penalty interest first, then fees, then interest.
    excess = cap.contractual - cap.recoverable
    cut_penalty = min(excess, penalty)
    cut_fees = min(excess - cut_penalty, owed.fees)
    cut_interest = excess - cut_penalty - cut_fees
    principal = owed.principal if accelerate else owed.overdue_principal
    within = f"利息、罚息、复利及其他费用合计以{_cap_words(cap)}为限"
    lines = [
        Claim(
            "principal",
            f"判令被告偿还借款本金{yuan(principal)}元；",
            principal,
            principal,
            "all unpaid principal (the contract's acceleration on default)"
            if accelerate
            else "the principal past due",
        )
    ]
    if owed.interest:
        amount = owed.interest - cut_interest
        text = f"判令被告支付截至{cn_date(owed.as_of)}的利息{yuan(amount)}元"
        if cut_interest:
            text += f"（按合同约定计为{yuan(owed.interest)}元，原告按上限自愿调整）"
        lines.append(
            Claim("interest", text + "；", amount, owed.interest, f"contractual interest due to {owed.as_of}")
        )
    continuing_base = owed.principal if accelerate else owed.overdue_principal
    amount = penalty - cut_penalty
    text = f"判令被告支付截至{cn_date(filing_date)}的罚息{yuan(amount)}元"
    if cut_penalty:
        text += f"（按合同约定计为{yuan(penalty)}元，原告按{_cap_words(cap)}的上限自愿调整）"
    text += (
        f"，并自{cn_date(filing_date + dt.timedelta(days=1))}起以{yuan(continuing_base)}元为基数按年利率"
        f"{percent(terms.penalty_rate)}计付罚息至实际清偿之日止（{within}）；"
    )
    lines.append(
        Claim(
            "penalty",
            text,
            amount,
            penalty,
            f"{format_fen(owed.penalty)} accrued to {owed.as_of} + {format_fen(rolled)} on {format_fen(base)} at "
            f"{percent(terms.penalty_rate)} to {filing_date} ({(filing_date - owed.as_of).days} days / "
            f"{terms.day_count}); within the cap: {cap.basis}",
        )
    )
    if owed.fees:
        amount = owed.fees - cut_fees
        text = f"判令被告支付合同约定的费用{yuan(amount)}元"
        if cut_fees:
            text += f"（按合同约定计为{yuan(owed.fees)}元，原告按上限自愿调整）"
        lines.append(Claim("fees", text + "；", amount, owed.fees, "contractual fees due"))
    return lines, cap


def _recourse_claims(
    filing_date: dt.date, terms: LoanTerms, recourse: RecourseFacts, *, rules: Rulebook
) -> tuple[list[Claim], list[calc.InterestCap]]:
    """What a guarantor who paid claims (民法典 art. 700): the amount paid within the debt (`guarantor_recourse`),
    the agreed interest on each payment from its date to the filing date within the cap, and agreed costs."""
    if not recourse.payments:
        raise DocumentError("a recourse claim needs the guarantor's payments")
    if any(amount <= 0 for _, amount in recourse.payments):
        raise DocumentError("a recourse payment must be a positive amount")
    if any(day > filing_date for day, _ in recourse.payments):
        raise DocumentError("a recourse payment is dated after the filing date")
    paid = recourse.paid
    result = calc.guarantor_recourse(
        paid if recourse.debt is None else recourse.debt, paid, agreed_costs=recourse.agreed_costs
    )
    recoverable_paid = result.claim - recourse.agreed_costs
    lines = [
        Claim(
            "recourse_paid",
            f"判令被告向原告支付代偿款{yuan(recoverable_paid)}元；",
            recoverable_paid,
            paid,
            "民法典 art. 700: recourse within the amount paid"
            + (f" and the debt {format_fen(recourse.debt)}" if recourse.debt is not None else ""),
        )
    ]
    caps: list[calc.InterestCap] = []
    if recourse.annual_rate:
        # interest runs on what is recoverable: payments in date order until the recoverable amount is used up
        left, contractual, recoverable, parts = recoverable_paid, 0, 0, []
        for day, amount in sorted(recourse.payments):
            base = min(amount, left)
            left -= base
            if base <= 0:
                continue
            owed = _accrue(base, recourse.annual_rate, day, filing_date, recourse.day_count)
            cap = calc.interest_cap(
                base,
                day,
                filing_date,
                recourse.guarantor_type,
                contractual=owed,
                contract_date=recourse.agreement_date or terms.contract_date,
                rules=rules,
                day_count=recourse.day_count,
            )
            caps.append(cap)
            contractual += cap.contractual
            recoverable += cap.recoverable
            parts.append(f"{format_fen(base)} from {day} ({cap.days} days): {format_fen(cap.recoverable)}")
        rate = percent(recourse.annual_rate)
        first = min(day for day, _ in recourse.payments)
        text = (
            f"判令被告支付自代偿之日（{cn_date(first)}起，分笔计算）至{cn_date(filing_date)}按年利率{rate}计算的利息"
            f"{yuan(recoverable)}元"
        )
        if recoverable < contractual:
            text += f"（按约定计为{yuan(contractual)}元，原告按{_cap_words(caps[0])}的上限自愿调整）"
        text += (
            f"，并自{cn_date(filing_date + dt.timedelta(days=1))}起以{yuan(recoverable_paid)}元为基数按年利率{rate}"
            "计付利息至实际清偿之日止；"
        )
        lines.append(
            Claim(
                "recourse_interest",
                text,
                recoverable,
                contractual,
                f"agreed interest at {rate} from each payment date, {recourse.day_count}-day year: "
                + "; ".join(parts),
            )
        )
    if recourse.agreed_costs:
        lines.append(
            Claim(
                "recourse_costs",
                f"判令被告支付原告为代偿及追偿支出的约定费用{yuan(recourse.agreed_costs)}元；",
                recourse.agreed_costs,
                recourse.agreed_costs,
                "agreed costs (民法典 art. 700)",
            )
        )
    return lines, caps


def _assignor_payments(assignment: AssignmentFacts) -> tuple[list[Claim], list[str]]:
    """Payments to the original creditor after the assignment: those made before the notice reached the debtor
    discharge the debt (they stay paid), those after it do not and are claimed again (民法典 art. 546,
    `calculators.payment_to_assignor_discharges`); a payment on the day of the notice is flagged."""
    claimed, unsure, warnings = 0, [], []
    for day, amount in assignment.payments_to_assignor:
        result = calc.payment_to_assignor_discharges(day, assignment.notice_delivered_on)
        if result.discharges is False:
            claimed += amount
        elif result.discharges is None:
            unsure.append(day)
    for day in unsure:
        warnings.append(
            _(
                "A payment to the original creditor on %(day)s was made on the day the assignment notice reached "
                "the debtor: whether it discharges the debt depends on which came first (Civil Code art. 546). "
                "It is treated as paid; check the times."
            )
            % {"day": day.isoformat()}
        )
    if not claimed:
        return [], warnings
    text = (
        f"判令被告支付其于债权转让通知送达后向原债权人{assignment.assignor}支付、对原告不发生清偿效力的款项"
        f"{yuan(claimed)}元；"
    )
    basis = "民法典 art. 546: paid to the assignor after the notice reached the debtor, not discharged"
    return [Claim("paid_to_assignor", text, claimed, claimed, basis)], warnings


def claims_as_of(
    filing_date: dt.date,
    terms: LoanTerms,
    owed: Outstanding,
    *,
    case_type: str = "own",
    assignment: AssignmentFacts | None = None,
    recourse: RecourseFacts | None = None,
    costs: Costs | None = None,
    guarantors: Sequence[Guarantor] = (),
    accelerate: bool = True,
    charges_from: dt.date | None = None,
    rules: Rulebook = SHIPPED,
) -> Claims:
    """The requests of a complaint filed on `filing_date` (domain-rules.md §2, §3, §6).

    Own loan and assigned debt: the principal (all unpaid principal when `accelerate`, the contract's
    acceleration on default; else only what is past due), the contractual interest due to `owed.as_of`, penalty
    interest rolled forward from `owed.as_of` to the filing date (on the overdue principal, and the overdue interest
    when the contract compounds, 银发〔2003〕251号; at `terms.penalty_rate`, actual days / `terms.day_count`) and
    continuing until payment, and fees. Interest, penalty and fees together are kept within the court-recoverable
    cap (`calculators.interest_cap` on the outstanding principal from `charges_from`, default the first overdue date,
    to the filing date: 24% a year for financial institutions, 法发〔2017〕22号 art. 2; 4 × the one-year LPR at
    contract formation for private lending, 法释〔2020〕17号 arts. 25, 28): over it, penalty interest is given up
    first, then fees, then interest, and the request states both figures. Assigned debt (债权转让, 民法典 arts.
    545–547): the same claims, in the assignee's name; payments to the assignor after the notice reached the debtor
    are claimed again (art. 546), and a missing notice is a warning. Guarantor recourse (代偿追偿, art. 700): the
    amount paid within the debt (`calculators.guarantor_recourse`), the agreed interest on each payment from its
    date (within the guarantor's cap) and agreed costs.

    Costs (all case types): a contractual lawyer fee (in the claim amount), the court acceptance fee on the claim
    amount (诉讼费用交纳办法 art. 13(1), halved for the simplified procedure / small claims, art. 16) and the
    preservation fee (art. 14(2)), which the defendant is asked to bear (art. 29) and which are not in the claim
    amount. `guarantors` sued with the borrower add a request each: joint liability for the money requests (民法典
    art. 688), or for what enforcement against the borrower leaves unpaid (general guarantee, art. 687).

    `lines` are in the complaint's order; each with a `text` is one numbered request (the preservation fee is
    stated in the court-fee request)."""
    if case_type not in CASE_TYPES:
        raise DocumentError(f"unknown case type {case_type!r}; one of {', '.join(CASE_TYPES)}")
    if owed.as_of > filing_date:
        raise DocumentError(
            f"the amounts are as of {owed.as_of.isoformat()}, after the filing date {filing_date.isoformat()}"
        )
    costs = costs or Costs()
    warnings: list[str] = []
    caps: list[calc.InterestCap] = []
    if case_type == "guarantee_recourse":
        if recourse is None:
            raise DocumentError("a guarantor-recourse claim needs the guarantor's payments (RecourseFacts)")
        lines, caps = _recourse_claims(filing_date, terms, recourse, rules=rules)
        if not recourse.annual_rate:
            warnings.append(
                _("No recourse interest was agreed: only the amount paid and agreed costs are claimed.")
            )
    else:
        lines, cap = _loan_claims(
            filing_date, terms, owed, accelerate=accelerate, charges_from=charges_from, rules=rules
        )
        caps = [cap]
        if case_type == "assigned":
            if assignment is None:
                raise DocumentError("an assigned-debt claim needs the assignment (AssignmentFacts)")
            extra, notes = _assignor_payments(assignment)
            lines += extra
            warnings += notes
            if assignment.notice_delivered_on is None:
                warnings.append(
                    _(
                        "The assignment notice has not reached the debtor: the assignment does not bind them until "
                        "it does (Civil Code art. 546). Deliver the notice, and keep the proof, before filing."
                    )
                )
            elif assignment.notice_delivered_on > filing_date:
                warnings.append(_("The assignment notice is dated after the filing date."))
    if costs.lawyer_fee:
        where = f"按合同{costs.lawyer_fee_clause}的约定" if costs.lawyer_fee_clause else "按合同约定"
        lines.append(
            Claim(
                "lawyer_fee",
                f"判令被告{where}支付原告为实现债权支出的律师费{yuan(costs.lawyer_fee)}元；",
                costs.lawyer_fee,
                costs.lawyer_fee,
                "the contract's clause on the costs of enforcing the debt",
            )
        )
    if guarantors:
        last = chinese_number(len(lines))
        span = "第一项" if len(lines) == 1 else f"第一至第{last}项"
        for number, guarantor in enumerate(guarantors, start=2):
            role = f"被告{chinese_number(number)}"
            if guarantor.liability == "joint":
                text = f"判令{role}{guarantor.party.name}对上述{span}债务承担连带清偿责任；"
                basis = "民法典 art. 688: joint-liability guarantee"
            else:
                text = (
                    f"判令{role}{guarantor.party.name}对上述{span}债务在被告一财产依法强制执行后仍不能履行的部分"
                    "承担清偿责任；"
                )
                basis = "民法典 art. 687: general guarantee, liable after enforcement against the debtor"
            lines.append(Claim("guarantor_liability", text, 0, 0, basis, in_claim_amount=False))
    amount = sum(c.amount for c in lines if c.in_claim_amount)
    fee = calc.court_fee(amount, costs.procedure, scale=rules.fee_scale("acceptance", filing_date))
    preservation = None
    if costs.preserve is not None:
        scale = rules.fee_scale("preservation", filing_date)
        preservation = calc.preservation_fee(costs.preserve or amount, scale=scale)
    fee_text = f"案件受理费{yuan(fee.fee)}元"
    if preservation is not None:
        fee_text += f"、申请保全费{yuan(preservation.fee)}元"
    defendants = "各被告" if guarantors else "被告"
    lines.append(
        Claim(
            "court_fee",
            f"本案诉讼费用（{fee_text}）由{defendants}承担。",
            fee.fee,
            fee.base_fee,
            f"{fee.basis}; the losing party bears it (诉讼费用交纳办法 art. 29)",
            in_claim_amount=False,
        )
    )
    if preservation is not None:
        lines.append(
            Claim(
                "preservation_fee",
                "",  # stated in the court-fee request
                preservation.fee,
                preservation.uncapped,
                preservation.basis,
                in_claim_amount=False,
            )
        )
    if guarantors:
        lines = [_name_borrower(c) for c in lines]
    return Claims(filing_date, case_type, tuple(lines), tuple(caps), fee, preservation, tuple(warnings))


def _name_borrower(claim: Claim) -> Claim:
    """With guarantors sued too, the borrower is 被告一 in the money requests."""
    if claim.kind in ("guarantor_liability", "court_fee", "preservation_fee"):
        return claim
    return Claim(
        claim.kind,
        claim.text.replace("判令被告", "判令被告一", 1),
        claim.amount,
        claim.contractual,
        claim.basis,
        claim.in_claim_amount,
    )


# --- the evidence list --------------------------------------------------------------------------------------------


class EvidenceLike(Protocol):
    """What `evidence_list` reads from an evidence-log record (`audit.models.EvidenceRecord` has it all)."""

    @property
    def seq(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def at(self) -> dt.datetime: ...
    @property
    def payload(self) -> Any: ...
    @property
    def content_sha256(self) -> str | None: ...
    @property
    def files(self) -> Any: ...
    @property
    def hash(self) -> str: ...


@dataclass(frozen=True)
class EvidenceRef:
    """A plain stand-in for an evidence-log record (tests, benchmarks, documents not yet in the log)."""

    seq: int
    kind: str
    at: dt.datetime
    payload: Mapping[str, Any] = field(default_factory=dict)
    content_sha256: str | None = None
    files: tuple[Mapping[str, Any], ...] = ()
    hash: str = ""


@dataclass(frozen=True)
class Category:
    key: str
    name: str
    source: str
    proves: str
    required: tuple[str, ...] = ()  # case types that cannot do without it
    recommended: tuple[str, ...] = ()  # case types that should have it


_ALL = CASE_TYPES
_LOANS = ("own", "assigned")

# The court order of exhibits: who the parties are, the contract and that the money was lent, the guarantee, the
# default (schedule, statement, demands), then the assignment or the guarantor's payment.
CATEGORIES: tuple[Category, ...] = (
    Category(
        "plaintiff_identity", "原告主体资格证明（营业执照、金融许可证等）", "原告提供", "原告的诉讼主体资格"
    ),
    Category("defendant_identity", "被告身份信息", "原告持有", "被告的身份信息及诉讼主体资格"),
    Category(
        "contract",
        "借款合同",
        "原告持有（双方签订）",
        "借款合同关系成立并合法有效，借款金额、期限、利率、罚息、还款方式及违约责任的约定",
        required=_ALL,
    ),
    Category(
        "disbursement",
        "借款借据及放款凭证",
        "原告持有（放款银行出具）",
        "借款已实际发放，合同已履行",
        required=_LOANS,
        recommended=("guarantee_recourse",),
    ),
    Category(
        "guarantee_contract",
        "保证合同",
        "原告持有（双方签订）",
        "保证人提供保证的方式、范围及追偿、利息的约定",
        required=("guarantee_recourse",),
    ),
    Category("schedule", "还款计划表", "原告持有", "被告每期应还款的日期及金额", recommended=_LOANS),
    Category(
        "statement",
        "贷款账户交易明细及欠款明细",
        "原告业务系统打印",
        "被告的还款情况、逾期事实及欠款金额",
        recommended=_LOANS,
    ),
    Category(
        "demand",
        "催收通知及送达凭证",
        "原告持有（邮寄、短信送达记录）",
        "原告已催告被告还款，被告逾期未还构成违约；诉讼时效中断（《民法典》第一百九十五条）",
        recommended=_LOANS,
    ),
    Category(
        "assignment_agreement",
        "债权转让协议",
        "原告持有（与原债权人签订）",
        "原告依法受让案涉债权及从权利，是本案适格原告",
        required=("assigned",),
    ),
    Category(
        "assignment_notice",
        "债权转让通知及送达凭证",
        "原告持有（邮寄送达凭证、公告）",
        "债权转让已通知被告，对被告发生效力（《民法典》第五百四十六条）",
        required=("assigned",),
    ),
    Category(
        "recourse_payment",
        "代偿凭证（代偿款支付凭证、债权人出具的代偿确认书）",
        "原告持有（银行转账凭证、债权人出具）",
        "原告已代被告清偿债务，依法享有追偿权（《民法典》第七百条）",
        required=("guarantee_recourse",),
    ),
    Category("other", "其他证据", "原告持有", "其他相关事实"),
)
CATEGORY_BY_KEY = {c.key: c for c in CATEGORIES}
_ORDER = {c.key: i for i, c in enumerate(CATEGORIES)}

# payload "document" names (or "document.<name>" kinds) and the category they belong to
DOCUMENT_ALIASES: dict[str, str] = {
    "contract": "contract",
    "loan_contract": "contract",
    "iou": "disbursement",
    "loan_receipt": "disbursement",
    "disbursement": "disbursement",
    "transfer_receipt": "disbursement",
    "guarantee_contract": "guarantee_contract",
    "schedule": "schedule",
    "repayment_schedule": "schedule",
    "statement": "statement",
    "account_statement": "statement",
    "demand": "demand",
    "assignment_agreement": "assignment_agreement",
    "assignment_notice": "assignment_notice",
    "recourse_payment": "recourse_payment",
    "recourse_confirmation": "recourse_payment",
    "business_license": "plaintiff_identity",
    "plaintiff_identity": "plaintiff_identity",
    "id_card": "defendant_identity",
    "defendant_identity": "defendant_identity",
    # the viability checklist's names for the same documents (`viability.EVIDENCE_ITEMS`)
    "transfer_record": "disbursement",
    "overdue_notice": "demand",
    "payment_proof": "recourse_payment",
}
DEMAND_DELIVERED = "demand.delivered"
LEGAL_DOCUMENT = "legal.document"  # a document added to a matter (`legal.services.add_document`)
# Court papers a matter produces or receives: kept in the evidence log, never exhibits of a complaint (a complaint
# does not prove itself, a judgment is not evidence for the suit that gave it).
COURT_PAPERS = frozenset({
    "complaint", "evidence_list", "power_of_attorney", "filing_receipt", "acceptance_notice", "summons",
    "preservation_application", "preservation_ruling", "judgment", "ruling", "mediation", "mediation_agreement",
    "enforcement_application", "enforcement_ruling", "termination_ruling",
})  # fmt: skip


def category_of(record: EvidenceLike) -> str | None:
    """The exhibit category of an evidence-log record, None for records that are not court exhibits (calls,
    guard decisions, receipts: they stay in the log's own export). A delivered demand is a demand; a document is
    `document.<name>`, `document.signed` or a matter's `legal.document` with `payload["document"]` = a name of
    `DOCUMENT_ALIASES` (anything else a document calls itself lands in "other"), except the matter's own court
    papers (`COURT_PAPERS`: the complaint, the evidence list, judgments…), which are not exhibits."""
    if record.kind == DEMAND_DELIVERED:
        return "demand"
    if not (record.kind.startswith("document.") or record.kind == LEGAL_DOCUMENT):
        return None
    payload = record.payload or {}
    name = str(payload.get("document") or record.kind.removeprefix("document."))
    if name in COURT_PAPERS:
        return None
    return DOCUMENT_ALIASES.get(name, "other")


def _hashes(record: EvidenceLike) -> list[str]:
    if record.content_sha256:
        return [record.content_sha256]
    found = [str(f.get("sha256")) for f in record.files or () if isinstance(f, Mapping) and f.get("sha256")]
    return found or ([record.hash] if record.hash else [])


def evidence_list(
    records: Iterable[EvidenceLike], case_type: str, *, guarantors: bool = False
) -> EvidenceList:
    """The numbered exhibits of a complaint from the case's evidence-log records (`audit.selectors.case_evidence`),
    in court order (`CATEGORIES`: the parties, the contract and disbursement, the guarantee, the default — schedule,
    statement, delivered demands —, then the assignment or the guarantor's payment), one exhibit per category with
    every record of it (name, source and what it proves from the category, overridden by the first record's payload
    `title`, `source`, `proves`; pages summed from payload `pages`; the stored documents' SHA-256).

    Flags what is missing: the contract always (民事诉讼法 art. 67: who asserts proves); proof the money was lent for
    a loan (民间借贷规定 art. 2 asks for the IOU or receipt); for an assigned debt the assignment and the notice to
    the debtor (民法典 art. 546); for recourse the guarantee contract and proof of the payment (art. 700); the
    guarantee contract when guarantors are sued (`guarantors`). Schedule, statement and delivered demands are
    recommended for a loan (the amounts; the breach and the interrupted limitation, art. 195)."""
    if case_type not in CASE_TYPES:
        raise DocumentError(f"unknown case type {case_type!r}; one of {', '.join(CASE_TYPES)}")
    grouped: dict[str, list[EvidenceLike]] = {}
    for record in records:
        key = category_of(record)
        if key is not None:
            grouped.setdefault(key, []).append(record)
    exhibits: list[Exhibit] = []
    for key in sorted(grouped, key=_ORDER.__getitem__):
        items = sorted(grouped[key], key=lambda r: r.seq)
        category = CATEGORY_BY_KEY[key]
        first = items[0].payload or {}
        name = str(first.get("title") or category.name)
        if len(items) > 1:
            name += f"（共{len(items)}份）"
        pages = [p for r in items if isinstance(p := (r.payload or {}).get("pages"), int) and p > 0]
        exhibits.append(
            Exhibit(
                number=len(exhibits) + 1,
                category=key,
                name=_one_line(name),
                source=_one_line(str(first.get("source") or category.source)),
                proves=_one_line(str(first.get("proves") or category.proves)),
                pages=sum(pages) if pages else None,
                sha256=tuple(h for r in items for h in _hashes(r)),
                records=tuple(r.seq for r in items),
            )
        )
    missing = []
    for category in CATEGORIES:
        if category.key in grouped:
            continue
        required = case_type in category.required or (category.key == "guarantee_contract" and guarantors)
        if required or case_type in category.recommended:
            missing.append(
                Missing(
                    category.key,
                    category.name,
                    required,
                    _("Required: without it the claim is not proved.")
                    if required
                    else _(
                        "Recommended: it proves the amounts, the breach or the interrupted limitation period."
                    ),
                )
            )
    return EvidenceList(tuple(exhibits), tuple(missing))


# --- the package ---------------------------------------------------------------------------------------------------

CAUSES = {
    "financial_institution": "金融借款合同纠纷",
    "private_lending": "民间借贷纠纷",
    "credit_card": "信用卡纠纷",
    "guarantee_recourse": "追偿权纠纷",
}


def cause_of(case_type: str, terms: LoanTerms) -> str:
    """案由 (最高人民法院《民事案件案由规定》): 追偿权纠纷 for recourse, 信用卡纠纷 for a card, 民间借贷纠纷 for a private
    loan, else 金融借款合同纠纷 (an assigned debt keeps the original loan's cause)."""
    if case_type == "guarantee_recourse":
        return CAUSES["guarantee_recourse"]
    if terms.product_type == "credit_card":
        return CAUSES["credit_card"]
    return CAUSES[calc.LENDER_REGIMES.get(terms.lender_type, "financial_institution")]


def build_package(
    case_ref: str,
    filing_date: dt.date,
    *,
    case_type: str,
    plaintiff: Party,
    defendant: Party,
    terms: LoanTerms,
    owed: Outstanding,
    records: Iterable[EvidenceLike],
    lender_location: str,
    defendant_domicile: str = "",
    court: str = "",
    agreed_court: str | None = None,
    agreed_court_connected: bool | None = None,
    standard_form: bool = False,
    guarantors: Sequence[Guarantor] = (),
    assignment: AssignmentFacts | None = None,
    recourse: RecourseFacts | None = None,
    costs: Costs | None = None,
    demands_delivered: Sequence[dt.date] = (),
    accelerate: bool = True,
    charges_from: dt.date | None = None,
    rules: Rulebook = SHIPPED,
) -> ComplaintPackage:
    """A complaint package from plain inputs: the claims (`claims_as_of`), the exhibits (`evidence_list`), the court
    (`calculators.jurisdiction`: an agreed court actually connected to the dispute, 民事诉讼法 art. 35; else the
    place of performance, for a repayment claim the receiving party's location, 民诉解释 art. 18; else the
    defendant's domicile, art. 24) and the parties.

    The plaintiff must be the creditor the case type says (an own loan: the lender; an assigned debt: the assignee,
    民法典 art. 547; recourse: the guarantor who paid, art. 700). `lender_location` is the plaintiff's location for
    an own loan and for recourse (the party receiving the money); for an assigned debt pass the original
    creditor's, since the place of performance does not move with the assignment, and a jurisdiction clause binds
    the assignee (民诉解释 art. 33; both UNCONFIRMED: have counsel check). `court` is the court's name; without it,
    "<the chosen place>人民法院" (check the level: 级别管辖)."""
    if case_type not in CASE_TYPES:
        raise DocumentError(f"unknown case type {case_type!r}; one of {', '.join(CASE_TYPES)}")
    if case_type == "assigned" and (assignment is None or plaintiff.name != assignment.assignee):
        raise DocumentError("in an assigned debt the plaintiff is the assignee (民法典 art. 547)")
    if case_type == "guarantee_recourse":
        if recourse is None or plaintiff.name != recourse.guarantor:
            raise DocumentError(
                "in a recourse claim the plaintiff is the guarantor who paid (民法典 art. 700)"
            )
        guarantors = ()
    claims = claims_as_of(
        filing_date,
        terms,
        owed,
        case_type=case_type,
        assignment=assignment,
        recourse=recourse,
        costs=costs,
        guarantors=guarantors,
        accelerate=accelerate,
        charges_from=charges_from,
        rules=rules,
    )
    venue = calc.jurisdiction(
        lender_location,
        defendant_domicile or defendant.address,
        agreed_court=agreed_court,
        agreed_court_connected=agreed_court_connected,
        standard_form=standard_form,
    )
    evidence = evidence_list(records, case_type, guarantors=bool(guarantors))
    warnings = list(claims.warnings)
    for item in evidence.missing:
        if item.required:
            warnings.append(_("Missing evidence: %(name)s.") % {"name": item.name})
    warnings += list(venue.checks)
    facts = Facts(terms, owed, assignment, recourse, tuple(sorted(demands_delivered)))
    return ComplaintPackage(
        case_ref=case_ref,
        case_type=case_type,
        filing_date=filing_date,
        cause=cause_of(case_type, terms),
        court=court or _court_name(venue.court),
        plaintiff=plaintiff,
        defendants=(defendant,),
        guarantors=tuple(guarantors),
        facts=facts,
        claims=claims,
        jurisdiction=venue,
        evidence=evidence,
        warnings=tuple(warnings),
    )


def _court_name(place: str) -> str:
    return place if place.endswith("法院") else f"{place}人民法院"


# --- the templates' context ---------------------------------------------------------------------------------------

_ID18 = re.compile(r"^\d{17}[\dXx]$")


def describe_party(party: Party) -> str:
    """The identity line of a party as courts write it: a person's name, sex, date of birth (both from an 18-digit
    resident ID), address, ID number and phone; a company's name, address and credit code."""
    parts = [party.name]
    if party.kind == "person":
        id_type = party.id_type or "resident_id"
        if id_type == "resident_id" and _ID18.match(party.id_number):
            number = party.id_number
            parts.append("男" if int(number[16]) % 2 else "女")
            try:
                born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
                parts.append(f"{cn_date(born)}出生")
            except ValueError:
                pass
        if party.address:
            parts.append(f"住{party.address}")
        if party.id_number:
            label = {"resident_id": "公民身份号码", "passport": "护照号码"}.get(id_type, "证件号码")
            parts.append(f"{label}：{party.id_number}")
    else:
        if party.address:
            parts.append(f"住所地：{party.address}")
        if party.id_number:
            label = "统一社会信用代码" if (party.id_type or "uscc") == "uscc" else "证照号码"
            parts.append(f"{label}：{party.id_number}")
    if party.phone:
        parts.append(f"联系电话：{party.phone}")
    return _one_line("，".join(parts) + "。")


def _party_context(party: Party) -> dict[str, Any]:
    representative = ""
    if party.kind == "company" and party.representative:
        representative = f"{party.representative_title}：{party.representative}"
    return {
        "name": _one_line(party.name),
        "description": describe_party(party),
        "representative_line": representative,
        "phone": party.phone,
        "address": _one_line(party.address),
        "id_number": party.id_number,
        "signature": f"{party.name}（盖章）" if party.kind == "company" else f"{party.name}（签名）",
    }


JURISDICTION_TEXT = {
    "agreed_court": (
        "原、被告在合同中约定由{court}所在地人民法院管辖，该约定合法有效（《中华人民共和国民事诉讼法》第三十五条），"
        "贵院对本案依法享有管辖权。"
    ),
    "place_of_performance": (
        "本案争议标的为给付货币，接收货币一方即原告所在地{court}为合同履行地（《最高人民法院关于适用〈中华人民共和国"
        "民事诉讼法〉的解释》第十八条），根据《中华人民共和国民事诉讼法》第二十四条的规定，贵院对本案依法享有管辖权。"
    ),
    # an assigned debt: the place of performance stays the one of the original contract — the original creditor
    # received the money (民诉解释 arts. 18, 33)
    "place_of_performance_assigned": (
        "本案系受让债权，争议标的为给付货币，原合同中接收货币一方即原债权人所在地{court}为合同履行地（《最高人民法院关于适用"
        "〈中华人民共和国民事诉讼法〉的解释》第十八条、第三十三条），根据《中华人民共和国民事诉讼法》第二十四条的规定，"
        "贵院对本案依法享有管辖权。"
    ),
    "defendant_domicile": (
        "被告住所地位于{court}，根据《中华人民共和国民事诉讼法》第二十四条的规定，贵院对本案依法享有管辖权。"
    ),
}


def complaint_context(package: ComplaintPackage) -> dict[str, Any]:
    """The variables of both templates (listed in `scripts/make_legal_templates.py`): formatted strings only."""
    facts, terms, owed = package.facts, package.facts.terms, package.facts.owed
    several = bool(package.guarantors)
    defendants = [
        {
            "role": "被告一" if several else "被告",
            "name": _one_line(d.name),
            "description": describe_party(d),
        }
        for d in package.defendants
    ]
    guarantors = []
    for number, g in enumerate(package.guarantors, start=2):
        role = f"被告{chinese_number(number)}"
        defendants.append(
            {"role": role, "name": _one_line(g.party.name), "description": describe_party(g.party)}
        )
        guarantors.append(
            {
                "role": role,
                "name": _one_line(g.party.name),
                "liability": "连带责任保证" if g.liability == "joint" else "一般保证",
                "contract_number": g.contract_number or "（见保证合同）",
            }
        )
    requests = [c for c in package.claims.lines if c.text]
    claims = [{"number": chinese_number(i), "text": c.text} for i, c in enumerate(requests, start=1)]
    term = f"{terms.term_months}个月" if terms.term_months else ""
    if terms.maturity_date:
        span = f"自{cn_date(terms.disbursement_date)}至{cn_date(terms.maturity_date)}"
        term = f"{term}（{span}）" if term else span
    demands = ""
    if facts.demands_delivered:
        dates = "、".join(cn_date(d) for d in facts.demands_delivered)
        who = package.plaintiff.name if package.case_type == "own" else "债权人"
        borrower = "被告一" if several else "被告"
        demands = f"{who}于{dates}向{borrower}送达催收通知，{borrower}至今仍未清偿。"
    f = {
        "lender": _one_line(terms.lender),
        "contract_number": terms.contract_number,
        "contract_title": terms.contract_title,
        "contract_date": cn_date(terms.contract_date),
        "amount": yuan(terms.principal),
        "annual_rate": percent(terms.annual_rate),
        "penalty_rate": percent(terms.penalty_rate),
        "term": term or "以合同约定为准",
        "repayment_method": REPAYMENT_METHODS.get(
            terms.repayment_method, terms.repayment_method or "按合同约定"
        ),
        "disbursement_date": cn_date(terms.disbursement_date),
        "maturity_date": cn_date(terms.maturity_date) if terms.maturity_date else "",
        "first_overdue": cn_date(owed.first_overdue),
        "dpd": str(owed.dpd),
        "as_of": cn_date(owed.as_of),
        "overdue_principal": yuan(owed.overdue_principal),
        "overdue_total": yuan(owed.overdue_total),
        "outstanding_principal": yuan(owed.principal),
        "interest": yuan(owed.interest),
        "penalty": yuan(owed.penalty),
        "fees": yuan(owed.fees),
        "breach_clause": terms.breach_clause,
        "demands": demands,
    }
    assignment = None
    if facts.assignment is not None:
        a = facts.assignment
        assignment = {
            "assignor": _one_line(a.assignor),
            "assignee": _one_line(a.assignee),
            "assigned_on": cn_date(a.assigned_on),
            "notice_delivered": a.notice_delivered_on is not None,
            "notice_delivered_on": cn_date(a.notice_delivered_on) if a.notice_delivered_on else "",
        }
    recourse = None
    if facts.recourse is not None:
        r = facts.recourse
        interest = package.claims.line("recourse_interest")
        recourse = {
            "guarantor": _one_line(r.guarantor),
            "payments": "、".join(
                f"{cn_date(day)}代偿{yuan(amount)}元" for day, amount in sorted(r.payments)
            ),
            "total": yuan(r.paid),
            "rate": percent(r.annual_rate) if r.annual_rate else "",
            "interest": yuan(interest.amount) if interest else "",
        }
    venue = package.jurisdiction
    ground = venue.ground
    if ground == "place_of_performance" and package.case_type == "assigned":
        ground = "place_of_performance_assigned"
    jurisdiction_text = JURISDICTION_TEXT.get(ground, "").format(court=venue.court)
    return {
        "case_ref": package.case_ref,
        "case_type": package.case_type,
        "cause": package.cause,
        "court": package.court,
        "filing_date": cn_date(package.filing_date),
        "plaintiff": _party_context(package.plaintiff),
        "defendants": defendants,
        "guarantors": guarantors,
        "borrower": "被告一" if several else "被告",
        "claims": claims,
        "claim_total": yuan(package.claims.amount),
        "court_fee": yuan(package.claims.court_fee.fee),
        "preservation_fee": yuan(package.claims.preservation.fee) if package.claims.preservation else "",
        "f": f,
        "assignment": assignment,
        "recourse": recourse,
        "jurisdiction_text": jurisdiction_text,
        "exhibits": [
            {
                "number": str(e.number),
                "name": e.name,
                "source": e.source,
                "proves": e.proves,
                "pages": "" if e.pages is None else str(e.pages),
            }
            for e in package.evidence.exhibits
        ],
        "exhibit_count": str(len(package.evidence.exhibits)),
        "copies": str(len(defendants)),
    }


# --- rendering ---------------------------------------------------------------------------------------------------

_TEMPLATE_PARTS = re.compile(r"^word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml$")


@dataclass(frozen=True)
class _Part:
    """A zip entry ready to write: name, DOS date and time, CRC-32, deflated bytes and size."""

    name: bytes
    flags: int  # 0x800: the name is UTF-8
    date: int
    time: int
    crc: int
    data: bytes
    size: int


def _deflate(name: str, date_time: tuple[int, ...], blob: bytes) -> _Part:
    year, month, day, hour, minute, second = date_time
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    data = packer.compress(blob) + packer.flush()
    encoded = name.encode("utf-8")
    return _Part(
        encoded,
        0 if encoded.isascii() else 0x800,
        (year - 1980) << 9 | month << 5 | day,
        hour << 11 | minute << 5 | second // 2,
        zlib.crc32(blob),
        data,
        len(blob),
    )


_LOCAL = "<4s2B4HL2L2H"  # local file header (zipfile.structFileHeader)
_CENTRAL = "<4s4B4HL2L5H2L"  # central directory entry (zipfile.structCentralDir)
_END = "<4s4H2LH"  # end of central directory (zipfile.structEndArchive)


def _zip(parts: Sequence[_Part]) -> bytes:
    """A zip file (APPNOTE 4.3: local headers, central directory, end record; deflate, no zip64: a .docx is far
    below 4 GiB) from entries compressed beforehand, so the template's unchanged parts are compressed once."""
    chunks: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for part in parts:
        sizes = (part.crc, len(part.data), part.size, len(part.name))
        header = struct.pack(_LOCAL, b"PK\x03\x04", 20, 0, part.flags, 8, part.time, part.date, *sizes, 0)
        entry = struct.pack(
            _CENTRAL,
            b"PK\x01\x02",
            20,
            0,
            20,
            0,
            part.flags,
            8,
            part.time,
            part.date,
            *sizes,
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        central.append(entry + part.name)
        chunks += [header, part.name, part.data]
        offset += len(header) + len(part.name) + len(part.data)
    directory = b"".join(central)
    end = struct.pack(_END, b"PK\x05\x06", 0, 0, len(parts), len(parts), len(directory), offset, 0)
    return b"".join([*chunks, directory, end])


class DocxRenderer:
    """A docxtpl template prepared once and rendered many times.

    At load: every XML part that holds template tags goes through docxtpl's pre-pass (`DocxTemplate.patch_xml`:
    tags split over runs joined, `{%p`/`{%tr`/`{%tc` turned into plain Jinja around their paragraph, row or
    cell) and is compiled by Jinja once; the other parts are compressed once. Per document: render the compiled
    parts, compress them, and write the .docx with the rest as they are. docxtpl's post-passes that need a document
    object are left out: line breaks inside values (newline, tab, \\a, \\f: values here are single lines), table
    column fixing (`{%tc` loops) and picture ids (no pictures are inserted)."""

    def __init__(self, source: bytes | str | Path) -> None:
        from docxtpl import DocxTemplate
        from jinja2 import Environment

        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        self.source = data
        self.sha256 = hashlib.sha256(data).hexdigest()
        environment = Environment(autoescape=True)
        self._parts: list[_Part | tuple[str, tuple[int, ...], Any]] = []
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                blob = archive.read(info.filename)
                template = None
                if _TEMPLATE_PARTS.match(info.filename) and b"{" in blob:
                    xml = DocxTemplate.patch_xml(None, blob.decode("utf-8"))  # type: ignore[arg-type]
                    if "{{" in xml or "{%" in xml:
                        xml = re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)
                        template = environment.from_string(xml)
                if template is None:
                    self._parts.append(_deflate(info.filename, info.date_time, blob))
                else:
                    self._parts.append((info.filename, info.date_time, template))

    def render(self, context: Mapping[str, Any]) -> bytes:
        parts = []
        for part in self._parts:
            if isinstance(part, _Part):
                parts.append(part)
                continue
            name, date_time, template = part
            xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", template.render(context))
            xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
            parts.append(_deflate(name, date_time, xml.encode("utf-8")))
        return _zip(parts)


@functools.lru_cache(maxsize=16)
def _renderer_for(key: str, path: str) -> DocxRenderer:
    return DocxRenderer(Path(path))


def load_template(template: DocxRenderer | bytes | str | Path | None, default: Path) -> DocxRenderer:
    """A renderer for a template given as bytes (e.g. an operator's edited .docx from the database), a path, or
    None for the shipped one; files are prepared once per path and modification time."""
    if isinstance(template, DocxRenderer):
        return template
    if isinstance(template, bytes):
        return DocxRenderer(template)
    path = Path(template or default).resolve()
    return _renderer_for(f"{path}:{path.stat().st_mtime_ns}", str(path))


def render_complaint(
    package: ComplaintPackage, template: DocxRenderer | bytes | str | Path | None = None
) -> bytes:
    """The complaint (民事起诉状) as a .docx, from `template` (default the shipped `fixtures/complaint.docx`)."""
    return load_template(template, COMPLAINT_TEMPLATE).render(complaint_context(package))


def render_evidence_list(
    package: ComplaintPackage, template: DocxRenderer | bytes | str | Path | None = None
) -> bytes:
    """The evidence list (证据清单) as a .docx, from `template` (default `fixtures/evidence_list.docx`)."""
    return load_template(template, EVIDENCE_TEMPLATE).render(complaint_context(package))


# --- batch packages ---------------------------------------------------------------------------------------------

COMPLAINT_NAME = "起诉状.docx"
EVIDENCE_NAME = "证据清单.docx"
MANIFEST_NAME = "manifest.json"
INDEX_NAME = "index.csv"
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')

Progress = Callable[[int, int], None]
INDEX_COLUMNS = (
    "folder",
    "case_ref",
    "case_type",
    "plaintiff",
    "defendants",
    "court",
    "claim_amount",
    "court_fee",
    "evidence_complete",
    "warnings",
)


def _index_row(folder: str, package: ComplaintPackage) -> list[Any]:
    defendants = [d.name for d in package.defendants] + [g.party.name for g in package.guarantors]
    row = {
        "folder": folder,
        "case_ref": package.case_ref,
        "case_type": package.case_type,
        "plaintiff": package.plaintiff.name,
        "defendants": "、".join(defendants),
        "court": package.court,
        "claim_amount": format_fen(package.claims.amount),
        "court_fee": format_fen(package.claims.court_fee.fee),
        "evidence_complete": package.evidence.complete,
        "warnings": " | ".join(package.warnings),
    }
    return [row[column] for column in INDEX_COLUMNS]


def folder_name(package: ComplaintPackage) -> str:
    """`<case_ref>_<defendant>`, without characters a file system or zip reader objects to."""
    name = f"{package.case_ref}_{package.defendants[0].name}" if package.defendants else package.case_ref
    return _UNSAFE.sub("_", name).strip(" .")[:120] or "case"


def _render_one(
    package: ComplaintPackage, complaint: DocxRenderer, evidence: DocxRenderer
) -> tuple[bytes, bytes, bytes]:
    context = complaint_context(package)
    complaint_docx = complaint.render(context)
    evidence_docx = evidence.render(context)
    manifest = package.manifest() | {
        "files": {
            COMPLAINT_NAME: hashlib.sha256(complaint_docx).hexdigest(),
            EVIDENCE_NAME: hashlib.sha256(evidence_docx).hexdigest(),
        },
        "templates": {COMPLAINT_NAME: complaint.sha256, EVIDENCE_NAME: evidence.sha256},
    }
    return complaint_docx, evidence_docx, json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")


def package_zip(
    packages: Sequence[ComplaintPackage],
    out: str | Path | IO[bytes],
    *,
    progress: Progress | None = None,
    complaint_template: DocxRenderer | bytes | str | Path | None = None,
    evidence_template: DocxRenderer | bytes | str | Path | None = None,
) -> dict[str, Any]:
    """Write every package into one zip (`out`: a path or a binary file): a folder per case (`folder_name`) with
    起诉状.docx, 证据清单.docx and manifest.json (the computed amounts, exhibits, missing evidence, warnings and the
    SHA-256 of both documents), and index.csv at the top listing every case (for filing and tracking the batch).
    The templates are prepared once (~650 packages a second on 2 cores, `bench/legal_documents_bench.py`: one
    process is enough, a process pool costs more than it saves). `progress(done, total)` is called after each
    case. Returns a summary: the count, folder names and the cases with required evidence
    missing."""
    complaint = load_template(complaint_template, COMPLAINT_TEMPLATE)
    evidence = load_template(evidence_template, EVIDENCE_TEMPLATE)
    total = len(packages)
    names: list[str] = []
    seen: set[str] = set()
    for package in packages:
        name, n = folder_name(package), 1
        while name in seen:
            n += 1
            name = f"{folder_name(package)}-{n}"
        seen.add(name)
        names.append(name)
    index = io.StringIO()
    writer = csv.writer(index)
    writer.writerow(INDEX_COLUMNS)
    incomplete = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for done, (package, name) in enumerate(zip(packages, names, strict=True), start=1):
            complaint_docx, evidence_docx, manifest = _render_one(package, complaint, evidence)
            # .docx files are zips already: stored, not compressed again
            archive.writestr(f"{name}/{COMPLAINT_NAME}", complaint_docx, compress_type=zipfile.ZIP_STORED)
            archive.writestr(f"{name}/{EVIDENCE_NAME}", evidence_docx, compress_type=zipfile.ZIP_STORED)
            archive.writestr(f"{name}/{MANIFEST_NAME}", manifest)
            if not package.evidence.complete:
                incomplete.append(package.case_ref)
            writer.writerow(_index_row(name, package))
            if progress is not None:
                progress(done, total)
        archive.writestr(INDEX_NAME, "\ufeff" + index.getvalue())  # BOM: Excel opens it as UTF-8
    return {"packages": total, "folders": names, "evidence_incomplete": incomplete}
