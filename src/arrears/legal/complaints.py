"""From a matter's rows to the court documents' inputs (issue 8, parts 4 and 6): the pure half of
`services.complaint_package(s)`. `selectors.complaint_inputs` reads everything the complaints of many matters need
in a fixed number of queries into `MatterInputs`; `build` turns one into a `documents.ComplaintPackage` without
touching the database, so a batch reads once and builds thousands.

What comes from where:

- the loan's terms (`documents.LoanTerms`) from `Loan`: the contract number (`extra.contract_number`, else the loan
  ID), dates, rates, repayment method, day count (ACT/360 → 360), compound interest; the clause on default and
  acceleration from `extra.breach_clause`. A matter of several loans is sued on its largest (by outstanding
  principal) and says so in a warning: each loan is its own contract and its own claim.
- what is owed (`documents.Outstanding`) from the loan's `LoanStatus` at the latest close (the oldest unpaid due
  date is the status date less the days past due); charges run from the start of the earliest unpaid period (as the
  referral's viability check counts them).
- the plaintiff: an own loan's lender, an assigned debt's latest assignee (民法典 art. 547), a recourse claim's
  guarantor who paid (art. 700); name and kind from the data, address and phone from the creditor's
  `contact.CreditorProfile`, the unified social credit code and legal representative from the loan's (assignment's,
  recourse payment's) `extra` (`lender_credit_code`, `lender_representative`; `assignee_…`; `guarantor_…`) — a
  warning when the code is missing. The defendant is the borrower with their full identity (民事诉讼法 art. 124).
- guarantors sued with the borrower: every guarantee of the loan whose period (民法典 art. 692) has not ended by the
  filing date, or a joint guarantee preserved by a demand delivered to the guarantor within it (art. 693); the
  others are left out with a warning.
- the court: the contract's jurisdiction clause (`Loan.jurisdiction_clause`, for recourse the recourse payment's
  `extra.jurisdiction_clause`: a named court, or the lender's or the borrower's domicile; an arbitration clause is a
  warning — a court does not hear a dispute the parties agreed to arbitrate, 民事诉讼法 art. 127(2)), the lender's
  location (the creditor profile's address, else `extra.lender_location`) and the borrower's domicile (address, else
  city); `calculators.jurisdiction` decides. A court the matter already names (`Matter.court`) is kept.
- the evidence list from the case's evidence log: documents added to the matter (`legal.document`), signed
  documents, other `document.*` records and delivered demands (`documents.category_of`).
- an assigned debt's payments to the assignor after the assignment: `Payment` rows dated on or after the assignment
  whose `extra.payee` is "assignor" (a payment the assignee received is already counted by the status); payments
  after the notice without a payee are a warning to check.

Money is integer fen throughout; dates are passed in.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from arrears.legal import calculators as calc
from arrears.legal import documents
from arrears.rules.statutory import SHIPPED, Rulebook, RuleNotFound

COMPANY_WORDS = ("公司", "银行", "分行", "支行", "中心", "合作社", "事务所", "集团", "信用社", "基金")
BRANCH_WORDS = ("分行", "支行", "分公司", "中心", "营业部")  # signed by the person in charge (负责人)
_PROVINCE = re.compile(r"^.{2,7}?(?:省|自治区)")
_PLACE = re.compile(r"^(?P<city>.{1,7}?(?:市|自治州|地区|盟))(?P<district>.{1,8}?(?:区|县|旗|市))?")
LENDER_DOMICILE = ("贷款人住所地", "出借人住所地", "原告住所地", "债权人住所地", "甲方住所地")
BORROWER_DOMICILE = ("借款人住所地", "被告住所地", "债务人住所地", "乙方住所地")
SIGNING_PLACE = ("合同签订地", "签订地")


class ComplaintError(documents.DocumentError):
    """A matter whose complaint cannot be made (no status from the close, no loan, no court to file in)."""


@dataclass(frozen=True)
class Demand:
    on: dt.date
    party: str  # debtor | guarantor | …
    loan_id: str


@dataclass
class MatterInputs:
    """Everything the complaint of one matter needs, read by `selectors.complaint_inputs` (model instances are
    only read). `payments`: (payment_id, loan_id, paid_on, amount, extra) of assigned loans, reversals netted out."""

    matter: Any  # legal.Matter with case and borrower
    loans: list[Any]  # portfolio.Loan, in the matter's order
    statuses: dict[str, Any]  # loan_id → delinquency.LoanStatus
    dues: dict[str, list[dt.date]]  # loan_id → schedule due dates
    guarantees: list[Any] = field(default_factory=list)  # portfolio.Guarantee
    demands: list[Demand] = field(default_factory=list)
    assignments: list[Any] = field(default_factory=list)  # portfolio.Assignment
    payments: list[tuple[str, str, dt.date, int, dict[str, Any]]] = field(default_factory=list)
    recourse: list[Any] = field(default_factory=list)  # portfolio.RecoursePayment
    records: list[Any] = field(default_factory=list)  # audit.EvidenceRecord
    profiles: Mapping[str, Any] = field(default_factory=dict)  # creditor name → contact.CreditorProfile


# --- small pure helpers ---------------------------------------------------------------------------------------


def place(address: str) -> str:
    """The city and district of an address, the place a court is named after: "浙江省杭州市西湖区文三路1号" →
    "杭州市西湖区", "北京市朝阳区建国路88号" → "北京市朝阳区"; "" when no city is named."""
    text = (address or "").strip()
    if not text:
        return ""
    rest = _PROVINCE.sub("", text, count=1)
    match = _PLACE.match(rest) or _PLACE.match(text)
    if match is None:
        return ""
    return match.group("city") + (match.group("district") or "")


def looks_like_company(name: str) -> bool:
    return any(word in name for word in COMPANY_WORDS)


def _extra(row: Any) -> dict[str, Any]:
    value = getattr(row, "extra", None)
    return value if isinstance(value, dict) else {}


def _text(mapping: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        value = mapping.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def domicile(borrower: Any) -> str:
    """Where the borrower lives, as a place: the address's city and district, else the city on file."""
    found = place(borrower.address)
    if found:
        return found
    city = (borrower.city or "").strip()
    if city and not city.endswith(("市", "州", "盟", "地区")):
        city += "市"
    return city


def creditor_party(
    name: str, *, person: bool, profile: Any, extra: Mapping[str, Any], prefix: str
) -> documents.Party:
    """A creditor as a court document names it: the creditor profile's address, phone, credit code and legal
    representative, else those in `extra` (`<prefix>_credit_code`, `<prefix>_representative`, `<prefix>_address`)."""
    kind = "person" if person and not looks_like_company(name) else "company"
    address = _text(extra, f"{prefix}_address") or (profile.address if profile is not None else "")
    code = profile.credit_code if profile is not None else ""
    representative = profile.representative if profile is not None else ""
    return documents.Party(
        name=name,
        kind=kind,
        id_number=code or _text(extra, f"{prefix}_credit_code", f"{prefix}_id_number"),
        address=address,
        phone=profile.phone if profile is not None else _text(extra, f"{prefix}_phone"),
        representative=(representative or _text(extra, f"{prefix}_representative"))
        if kind == "company"
        else "",
        representative_title="负责人" if name.endswith(BRANCH_WORDS) else "法定代表人",
        id_type="" if kind == "company" else "other",
    )


def borrower_party(borrower: Any) -> documents.Party:
    """The defendant with the full identity a complaint needs (民事诉讼法 art. 124): name, ID, address, phone."""
    extra = _extra(borrower)
    company = bool(borrower.is_company)
    return documents.Party(
        name=borrower.name,
        kind="company" if company else "person",
        id_number=borrower.id_number or "",
        address=borrower.address or "",
        phone=borrower.phone or "",
        representative=_text(extra, "legal_representative", "representative") if company else "",
        id_type=borrower.id_type or "",
    )


def charges_from(loan: Any, status: Any, dues: Sequence[dt.date]) -> dt.date:
    """The start of the earliest unpaid period: the due date before the oldest unpaid one (or the disbursement), as
    the referral's viability check counts the charges (`selectors._charges_from`)."""
    if not status.dpd:
        return status.as_of
    oldest = status.as_of - dt.timedelta(days=status.dpd)
    before = [d for d in dues if d < oldest]
    return max(before) if before else loan.disbursement_date


def loan_terms(loan: Any) -> documents.LoanTerms:
    extra = _extra(loan)
    return documents.LoanTerms(
        contract_number=_text(extra, "contract_number", "contract_no") or loan.loan_id,
        contract_date=loan.contract_date,
        lender=loan.lender,
        lender_type=loan.lender_type,
        principal=loan.principal,
        annual_rate=Decimal(loan.annual_rate),
        penalty_rate=Decimal(loan.penalty_rate),
        disbursement_date=loan.disbursement_date,
        maturity_date=loan.maturity_date,
        term_months=loan.installments,
        repayment_method=loan.repayment_method or "",
        product_type=loan.product_type,
        day_count=360 if loan.day_count == "ACT/360" else 365,
        compound_interest=bool(loan.compound_interest),
        breach_clause=_text(extra, "breach_clause"),
        contract_title=_text(extra, "contract_title") or "借款合同",
    )


def outstanding(status: Any) -> documents.Outstanding:
    """What is owed at the latest close (`LoanStatus`, fen)."""
    return documents.Outstanding(
        as_of=status.as_of,
        principal=status.outstanding_principal,
        overdue_principal=status.overdue_principal,
        interest=status.overdue_interest,
        penalty=status.penalty_interest,
        fees=status.overdue_fees,
        first_overdue=status.as_of - dt.timedelta(days=status.dpd),
        dpd=status.dpd,
    )


def agreed_court(
    clause: str, lender_location: str, defendant_domicile: str, extra: Mapping[str, Any]
) -> tuple[str | None, bool | None, list[str]]:
    """(agreed place, connected to the dispute, warnings) from the contract's jurisdiction clause (民事诉讼法 art. 35:
    a written agreement for a place actually connected to the dispute — the plaintiff's or defendant's domicile,
    where the contract was signed or performed, where its subject is). The parties' own domiciles are connected by
    definition; a named court is connected when it is one of them, else left for a person to confirm
    (`extra.jurisdiction_connected`)."""
    clause = (clause or "").strip()
    if not clause:
        return None, None, []
    if "仲裁" in clause:
        return None, None, [_("The contract has an arbitration clause (%(clause)s): a court does not hear a dispute the "
                              "parties agreed to arbitrate (Civil Procedure Law art. 127(2)). Check the clause "
                              "before filing.") % {"clause": clause}]  # fmt: skip
    if clause.startswith(LENDER_DOMICILE):
        return (lender_location or None), (True if lender_location else None), []
    if clause.startswith(BORROWER_DOMICILE):
        return (defendant_domicile or None), (True if defendant_domicile else None), []
    if clause.startswith(SIGNING_PLACE):
        signed = place(_text(extra, "signing_place"))
        if signed:
            return signed, True, []
        return None, None, [_("The jurisdiction clause names the place of signing, which is not on file: the "
                              "statutory court is used. Add the loan's signing place to rely on the clause.")]  # fmt: skip
    named = clause.removesuffix("人民法院").removesuffix("法院").strip()
    confirmed = extra.get("jurisdiction_connected")
    if isinstance(confirmed, bool):
        return named, confirmed, []
    connected = any(loc and (named.startswith(loc) or loc.startswith(named))
                    for loc in (lender_location, defendant_domicile))  # fmt: skip
    return named, (True if connected else None), []


# --- the package ----------------------------------------------------------------------------------------------


def primary_loan(inputs: MatterInputs) -> tuple[Any, Any]:
    """(loan, status) the complaint sues on: the matter's loan with the largest outstanding principal that has a
    status (ties: the matter's order)."""
    candidates = [(loan, inputs.statuses.get(loan.loan_id)) for loan in inputs.loans]
    with_status = [(loan, status) for loan, status in candidates if status is not None]
    if not with_status:
        raise ComplaintError(
            _("Matter %(matter)s: no loan of it has a status from the daily close; run the close first.")
            % {"matter": inputs.matter.pk}
        )
    return max(with_status, key=lambda pair: pair[1].outstanding_principal)


def _guarantors(
    inputs: MatterInputs, loan: Any, last_due: dt.date, filing_date: dt.date, rules: Rulebook
) -> tuple[list[documents.Guarantor], list[str]]:
    """The guarantors to sue with the borrower (民法典 arts. 687, 688): those whose guarantee period (art. 692) runs
    to the filing date or later, or a joint guarantee preserved by a demand to the guarantor within it (art. 693)."""
    demanded = sorted(d.on for d in inputs.demands if d.party == "guarantor" and d.loan_id == loan.loan_id)
    sued: list[documents.Guarantor] = []
    warnings: list[str] = []
    for g in inputs.guarantees:
        if g.loan_id != loan.loan_id:
            continue
        kind = g.guarantee_type if g.guarantee_type in calc.GUARANTEE_TYPES else "unstated"
        try:
            period = calc.guarantee_period(
                last_due, agreed_until=g.period_end, guarantee_type=kind, rules=rules
            )
        except RuleNotFound:  # due before the guarantee rule's first version: counsel decides by hand
            warnings.append(
                _("Guarantor %(name)s is not sued: no guarantee-period rule is in force for %(day)s; decide by "
                  "hand.") % {"name": g.guarantor_name, "day": last_due}
            )  # fmt: skip
            continue
        preserved = kind == "joint" and any(d <= period.ends_on for d in demanded)
        if period.ends_on < filing_date and not preserved:
            warnings.append(
                _("Guarantor %(name)s is not sued: the guarantee period ended on %(day)s and nothing on file "
                  "preserved it (Civil Code arts. 692–693).") % {"name": g.guarantor_name, "day": period.ends_on}
            )  # fmt: skip
            continue
        company = looks_like_company(g.guarantor_name)
        sued.append(documents.Guarantor(
            party=documents.Party(
                name=g.guarantor_name, kind="company" if company else "person",
                id_number=g.guarantor_id_number or "", phone=g.guarantor_phone or "",
                address=_text(_extra(g), "guarantor_address", "address"),
                representative=_text(_extra(g), "guarantor_representative") if company else "",
            ),
            liability="joint" if kind == "joint" else "general",
            contract_number=_text(_extra(g), "contract_number"),
        ))  # fmt: skip
    return sued, warnings


def _assignment(inputs: MatterInputs, loan: Any) -> tuple[Any, documents.AssignmentFacts | None, list[str]]:
    rows = sorted((a for a in inputs.assignments if a.loan_id == loan.loan_id),
                  key=lambda a: (a.assigned_on, a.pk or 0))  # fmt: skip
    if not rows:
        return None, None, []
    latest = rows[-1]
    paid: list[tuple[dt.date, int]] = []
    unsure = 0
    for _pid, loan_id, paid_on, amount, extra in inputs.payments:
        if loan_id != loan.loan_id or paid_on < latest.assigned_on:
            continue
        payee = _text(extra or {}, "payee", "paid_to")
        if payee in ("assignor", latest.assignor):
            paid.append((paid_on, amount))
        elif not payee and latest.notice_delivered_on is not None and paid_on >= latest.notice_delivered_on:
            unsure += 1
    warnings = []
    if unsure:
        warnings.append(
            _("%(count)s payment(s) after the assignment notice do not say whom they were paid to: they are treated "
              "as received by the assignee. A payment to the original creditor after the notice does not discharge "
              "the debt (Civil Code art. 546): mark it (payee: assignor) to claim it.") % {"count": unsure}
        )  # fmt: skip
    facts = documents.AssignmentFacts(
        assignor=latest.assignor, assignee=latest.assignee, assigned_on=latest.assigned_on,
        notice_delivered_on=latest.notice_delivered_on, payments_to_assignor=tuple(sorted(paid)),
    )  # fmt: skip
    return latest, facts, warnings


def _recourse(inputs: MatterInputs, loan: Any) -> tuple[Any, documents.RecourseFacts | None]:
    rows = sorted(
        (r for r in inputs.recourse if r.loan_id == loan.loan_id), key=lambda r: (r.paid_on, r.pk or 0)
    )
    if not rows:
        return None, None
    guarantor = rows[-1].guarantor
    mine = [r for r in rows if r.guarantor == guarantor]
    rate = next((Decimal(r.recourse_rate) for r in reversed(mine) if r.recourse_rate is not None), None)
    return rows[-1], documents.RecourseFacts(
        guarantor=guarantor,
        payments=tuple((r.paid_on, r.amount) for r in mine),
        annual_rate=rate or None,
        guarantor_type="guarantee" if looks_like_company(guarantor) else "private",
        agreement_date=None,
    )


def build(
    inputs: MatterInputs, filing_date: dt.date, *, rules: Rulebook = SHIPPED
) -> documents.ComplaintPackage:
    """The complaint package of one matter as of `filing_date` (`documents.build_package`: the claims within the cap
    as of the filing date, the exhibits, the court), with the warnings of gathering them. Raises `ComplaintError`
    (naming the matter) when it cannot be made."""
    try:
        return _build(inputs, filing_date, rules)
    except ComplaintError:
        raise
    except (calc.CalcError, documents.DocumentError) as exc:
        raise ComplaintError(
            _("Matter %(matter)s: %(error)s") % {"matter": inputs.matter.pk, "error": exc.message}
        ) from exc


def _build(inputs: MatterInputs, filing_date: dt.date, rules: Rulebook) -> documents.ComplaintPackage:
    matter = inputs.matter
    loan, status = primary_loan(inputs)
    borrower = matter.case.borrower
    dues = sorted(inputs.dues.get(loan.loan_id, []))
    last_due = dues[-1] if dues else (loan.maturity_date or loan.disbursement_date)
    extra = _extra(loan)
    warnings: list[str] = []
    if len(inputs.loans) > 1:
        others = [other.loan_id for other in inputs.loans if other.loan_id != loan.loan_id]
        warnings.append(
            _("The matter has %(count)s loans: this complaint is for loan %(loan)s; each other loan (%(others)s) is "
              "its own contract and needs its own complaint.")
            % {"count": len(inputs.loans), "loan": loan.loan_id, "others": ", ".join(others)}
        )  # fmt: skip
    lender_profile = inputs.profiles.get(loan.lender)
    lender_location = place(lender_profile.address if lender_profile else "") or place(
        _text(extra, "lender_location")
    )
    defendant_domicile = domicile(borrower)
    case_type = matter.case_type
    assignment_facts = recourse_facts = None
    if case_type == "assigned":
        row, assignment_facts, notes = _assignment(inputs, loan)
        warnings += notes
        if row is None:
            raise ComplaintError(_("Matter %(matter)s is an assigned debt without an assignment on file.")
                                 % {"matter": matter.pk})  # fmt: skip
        plaintiff = creditor_party(row.assignee, person=False, profile=inputs.profiles.get(row.assignee),
                                   extra=_extra(row), prefix="assignee")  # fmt: skip
    elif case_type == "guarantee_recourse":
        row, recourse_facts = _recourse(inputs, loan)
        if row is None:
            raise ComplaintError(_("Matter %(matter)s is a recourse claim without the guarantor's payments on file.")
                                 % {"matter": matter.pk})  # fmt: skip
        plaintiff = creditor_party(row.guarantor, person=True, profile=inputs.profiles.get(row.guarantor),
                                   extra=_extra(row), prefix="guarantor")  # fmt: skip
        if recourse_facts is not None and not plaintiff.id_number:
            match = next((g for g in inputs.guarantees if g.guarantor_name == row.guarantor), None)
            if match is not None and match.guarantor_id_number:
                plaintiff = dataclasses.replace(plaintiff, id_number=match.guarantor_id_number,
                                                id_type="" if plaintiff.kind == "company" else "resident_id")  # fmt: skip
        # the guarantor receives the money: the place of performance is its location (民诉解释 art. 18)
        own = inputs.profiles.get(row.guarantor)
        lender_location = place(own.address if own else "") or place(plaintiff.address)
    else:
        plaintiff = creditor_party(loan.lender, person=loan.lender_type == "private", profile=lender_profile,
                                   extra=extra, prefix="lender")  # fmt: skip
    if not plaintiff.id_number:
        warnings.append(_("The plaintiff's identity number (unified social credit code) is not on file: fill it in "
                          "before filing."))  # fmt: skip
    if plaintiff.name != matter.plaintiff:
        warnings.append(_("The plaintiff on file is now %(now)s (the referral named %(then)s).")
                        % {"now": plaintiff.name, "then": matter.plaintiff})  # fmt: skip
    guarantors: list[documents.Guarantor] = []
    if case_type != "guarantee_recourse":
        guarantors, notes = _guarantors(inputs, loan, last_due, filing_date, rules)
        warnings += notes
    # the loan's clause binds the loan's parties (and an assignee, 民诉解释 art. 33); a guarantor's recourse stands on
    # the guarantee (or counter-guarantee) agreement: its own clause, when one is on file
    clause, clause_extra = loan.jurisdiction_clause, extra
    if case_type == "guarantee_recourse":
        clause_extra = _extra(row)
        clause = _text(clause_extra, "jurisdiction_clause")
    court_place, connected, notes = agreed_court(clause, lender_location, defendant_domicile, clause_extra)
    warnings += notes
    if not (lender_location or defendant_domicile or court_place):
        raise ComplaintError(_("Matter %(matter)s: neither the lender's location nor the borrower's domicile is on "
                               "file, so no court can be named.") % {"matter": matter.pk})  # fmt: skip
    debtor_demands = sorted({d.on for d in inputs.demands if d.party == "debtor" and d.on <= filing_date})
    package = documents.build_package(
        case_ref=f"M{matter.pk}-{loan.loan_id}", filing_date=filing_date, case_type=case_type,
        plaintiff=plaintiff, defendant=borrower_party(borrower), terms=loan_terms(loan), owed=outstanding(status),
        records=inputs.records, lender_location=lender_location, defendant_domicile=defendant_domicile,
        court=matter.court, agreed_court=court_place, agreed_court_connected=connected,
        standard_form=loan.lender_type != "private", guarantors=guarantors, assignment=assignment_facts,
        recourse=recourse_facts, demands_delivered=debtor_demands,
        charges_from=min(charges_from(loan, status, dues), filing_date), rules=rules,
    )  # fmt: skip
    return dataclasses.replace(package, warnings=(*warnings, *package.warnings))


def snapshot(package: documents.ComplaintPackage, **more: Any) -> dict[str, Any]:
    """What a matter keeps of the complaint drafted for it (`Matter.complaint`): the filing date, the court, the
    amount in dispute and the costs (fen), the requests, whether the evidence is complete, the warnings."""
    claims = package.claims
    return {
        "case_ref": package.case_ref,
        "filing_date": package.filing_date.isoformat(),
        "court": package.court,
        "plaintiff": package.plaintiff.name,
        "amount": claims.amount,
        "costs": claims.costs,
        "court_fee": claims.court_fee.fee,
        "lines": {line.kind: line.amount for line in claims.lines},
        "capped": any(line.capped for line in claims.lines),
        "evidence_complete": package.evidence.complete,
        "missing_evidence": [m.category for m in package.evidence.missing if m.required],
        "exhibits": len(package.evidence.exhibits),
        "warnings": list(package.warnings),
        **more,
    }
