"""Reads of the legal app, always starting from what the user may see (`visible_matters`): the referral criteria in
force and their check on a case, the viability check's facts, deadlines, and the limitation watch over the whole
portfolio (set-based: a handful of queries whatever its size, `legal.watch` on the frames)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from arrears.accounts.models import User
from arrears.accounts.roles import VIEW_ALL_PORTFOLIOS, can
from arrears.audit.models import AuditEvent
from arrears.batch import io
from arrears.cases.models import Case
from arrears.cases.selectors import visible_cases
from arrears.core.errors import NotFound
from arrears.core.masking import mask_name
from arrears.core.money import format_fen
from arrears.legal import lifecycle, periods, viability, watch
from arrears.legal.models import (
    Acknowledgement,
    AssetFinding,
    Deadline,
    LitigationBatch,
    Matter,
    ReferralCriteria,
    StageRecord,
)
from arrears.portfolio.models import Assignment, CaseType, Collateral, Guarantee, Loan, RecoursePayment
from arrears.rules.statutory import Rulebook

LEGAL_DOCUMENT = "legal.document"  # evidence kind of a document added to a matter (services.add_document)
DOCUMENT_KINDS = (LEGAL_DOCUMENT, "document.signed")


def rulebook() -> Rulebook:
    """The statutory tables in force (database, else shipped) with the pipeline's preservation periods."""
    from arrears.rules.selectors import rulebook as tables

    return periods.with_legal_periods(tables())


# --- visibility -------------------------------------------------------------------------------------------------


def visible_matters(user: User | AnonymousUser | None) -> QuerySet[Matter]:
    """A user of an outside law firm sees only the matters given to their firm (or to them), and only while the
    firm is active; whoever sees every portfolio sees every matter; anyone else the matters of the cases they see
    (`cases.selectors.visible_cases`) and those they are the lawyer of. `None`: the command line (operators)."""
    matters = Matter.objects.select_related("case", "case__borrower", "lawyer", "firm", "owner")
    if isinstance(user, User) and user.agency_id is not None:
        return matters.filter(Q(firm_id=user.agency_id) | Q(lawyer=user), firm__active=True)
    if user is None or can(user, VIEW_ALL_PORTFOLIOS):
        return matters
    if not isinstance(user, User) or not user.is_authenticated:
        return matters.none()
    return matters.filter(Q(case__in=visible_cases(user).values("pk")) | Q(lawyer=user) | Q(owner=user))


def get_matter(user: User | AnonymousUser | None, matter_id: int) -> Matter:
    """The matter, or NotFound when it does not exist or the user may not see it (the same answer for both)."""
    matter = visible_matters(user).filter(pk=matter_id).first()
    if matter is None:
        raise NotFound(f"matter {matter_id} not found", matter_id=matter_id)
    return matter


def matter_records(matter: Matter) -> QuerySet[StageRecord]:
    return matter.records.select_related("responsible", "recorded_by").order_by("happened_on", "pk")


def matter_timeline(matter: Matter) -> list[dict[str, Any]]:
    """The matter's audit events, oldest first."""
    events = AuditEvent.objects.filter(object_type="Matter", object_id=str(matter.pk)).order_by("at", "pk")
    return [{"at": e.at.isoformat(), "action": e.action, "by": e.actor_label, "before": e.before, "after": e.after,
             "note": e.note} for e in events]  # fmt: skip


def open_deadlines(user: User | AnonymousUser | None, *, until: dt.date | None = None) -> QuerySet[Deadline]:
    """Open deadlines of the matters the user sees, the nearest first (up to `until` when given)."""
    deadlines = Deadline.objects.filter(
        status=Deadline.Status.OPEN, matter__in=visible_matters(user).values("pk")
    ).select_related("matter", "matter__case")
    return deadlines.filter(due_on__lte=until) if until else deadlines


def matter_as_dict(matter: Matter) -> dict[str, Any]:
    """A matter as the command line and the API print it (amounts in yuan)."""
    return {
        "id": matter.pk,
        "case_id": matter.case_id,
        "loan_ids": list(matter.loan_ids),
        "case_type": matter.case_type,
        "plaintiff": matter.plaintiff,
        "defendant": matter.defendant,
        "stage": matter.stage,
        "stage_since": matter.stage_since.isoformat(),
        "referred_on": matter.referred_on.isoformat(),
        "lawyer": matter.lawyer.get_username() if matter.lawyer else None,
        "firm": matter.firm.name if matter.firm else None,
        "owner": matter.owner.get_username() if matter.owner else None,
        "court": matter.court or None,
        "case_number": matter.case_number or None,
        "enforcement_case_number": matter.enforcement_case_number or None,
        "claim_amount": format_fen(matter.claim_amount),
        "amount_awarded": None if matter.amount_awarded is None else format_fen(matter.amount_awarded),
        "amount_recovered": format_fen(matter.amount_recovered),
        "closure_reason": matter.closure_reason or None,
        "closed_on": matter.closed_on.isoformat() if matter.closed_on else None,
    }


# --- referral criteria --------------------------------------------------------------------------------------------


def criteria_in_force(as_of: dt.date) -> ReferralCriteria:
    found = ReferralCriteria.objects.filter(effective_from__lte=as_of).order_by("-effective_from").first()
    return found or ReferralCriteria(effective_from=as_of)


def _open_arrangements(case: Case) -> int:
    """Open promises to pay and approved or active repayment plans of the case."""
    count = case.promises.filter(status="open").count()
    try:
        from arrears.negotiation.models import RepaymentPlan
    except ImportError:  # pragma: no cover - the plans arrive with the negotiation issue
        return count
    return (
        count + RepaymentPlan.objects.filter(concession__case=case, status__in=["approved", "active"]).count()
    )


def contact_attempts(case: Case) -> int:
    """Contacts recorded for the case (the compliance guard's ledger: every call, message, letter and visit that
    happened)."""
    from arrears.compliance.models import ContactLedger

    return ContactLedger.objects.filter(Q(case_id=case.pk) | Q(debt_id__in=list(case.loan_ids))).count()


def path_exhausted(case: Case) -> bool:
    """The case's treatment path has run out (past its last step, not repeating)."""
    if case.path is None or case.path_step is None:
        return False
    return not case.path.repeat and case.next_step_on is None and case.path_step >= len(case.path.steps or [])


def check_criteria(
    case: Case, as_of: dt.date, criteria: ReferralCriteria | None = None
) -> list[dict[str, Any]]:
    """Each criterion of the version in force: what it asks, what the case has, and whether it is met (issue 8
    §1: dpd, balance, no plan, contact exhausted). An empty criterion is not listed."""
    criteria = criteria or criteria_in_force(as_of)
    rows: list[dict[str, Any]] = []
    if criteria.min_dpd is not None:
        rows.append({"criterion": "min_dpd", "required": criteria.min_dpd, "actual": case.max_dpd,
                     "met": case.max_dpd >= criteria.min_dpd})  # fmt: skip
    if criteria.min_balance is not None:
        rows.append({"criterion": "min_balance", "required": criteria.min_balance, "actual": case.outstanding,
                     "met": case.outstanding >= criteria.min_balance})  # fmt: skip
    if criteria.require_no_plan:
        open_ = _open_arrangements(case)
        rows.append({"criterion": "no_plan", "required": 0, "actual": open_, "met": open_ == 0})
    if criteria.min_contact_attempts is not None:
        attempts = contact_attempts(case)
        exhausted = path_exhausted(case)
        rows.append({"criterion": "contact_exhausted", "required": criteria.min_contact_attempts,
                     "actual": attempts, "path_exhausted": exhausted,
                     "met": exhausted or attempts >= criteria.min_contact_attempts})  # fmt: skip
    return rows


def parties(case: Case, loan_ids: list[str]) -> tuple[str, str]:
    """(plaintiff, defendant): the creditor sues — for an assigned debt the latest assignee (民法典 art. 546), for a
    recourse claim the guarantor who paid (art. 700), else the lender."""
    plaintiff = case.lender
    if case.case_type == CaseType.ASSIGNED:
        assignment = Assignment.objects.filter(loan_id__in=loan_ids).order_by("-assigned_on", "-pk").first()
        plaintiff = assignment.assignee if assignment else plaintiff
    elif case.case_type == CaseType.GUARANTEE_RECOURSE:
        paid = RecoursePayment.objects.filter(loan_id__in=loan_ids).order_by("-paid_on", "-pk").first()
        plaintiff = paid.guarantor if paid else plaintiff
    return plaintiff, case.borrower.name


# --- interruptions and the watch's frames -----------------------------------------------------------------------

_DEMANDS = (
    "SELECT el.loan_id, r.at, r.payload, m.party FROM audit_evidenceloan el "
    "JOIN audit_evidencerecord r ON r.id = el.record_id "
    "LEFT JOIN contact_message m ON r.subject_type = 'Message' AND CAST(m.id AS VARCHAR(32)) = r.subject_id "
    "WHERE el.kind = 'demand.delivered' AND r.kind = 'demand.delivered'"
)


def _in(column: str, values: list[str] | None) -> str:
    if values is None:
        return ""
    quoted = ",".join("'" + v.replace("'", "''") + "'" for v in values) or "NULL"
    return f" AND {column} IN ({quoted})"


def demands(loan_ids: list[str] | None = None) -> pl.DataFrame:
    """Delivered demands per loan they name (loan_id, on, party): the day as `audit.selectors.delivered_on` reads it
    (`payload.delivered_on`, else the record's time as a date in the configured time zone), the party the demand
    went to (the outbox message's, else `payload.party`, else the debtor). Set-based (one query)."""
    frame = io.read_frame(_DEMANDS + _in("el.loan_id", loan_ids),
                          {"loan_id": pl.String(), "at": pl.String(), "payload": pl.String(), "party": pl.String()})  # fmt: skip
    stamped = (
        pl.col("at").str.slice(0, 19).str.replace("T", " ").str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False)
        .dt.replace_time_zone("UTC").dt.convert_time_zone(settings.TIME_ZONE).dt.date()
    )  # fmt: skip
    given = pl.col("payload").str.json_path_match("$.delivered_on").str.slice(0, 10)
    return frame.select(
        "loan_id",
        on=pl.coalesce(given.str.to_date("%Y-%m-%d", strict=False), stamped),
        party=pl.coalesce("party", pl.col("payload").str.json_path_match("$.party"), pl.lit("debtor")),
    )


def interruption_events(as_of: dt.date, loan_ids: list[str] | None = None) -> pl.DataFrame:
    """Every recorded interruption of a loan's limitation period up to `as_of` (民法典 art. 195): delivered demands to
    the debtor, acknowledgements, part payments (money received, not reversed), filings of a suit. loan_id, on,
    source. `loan_ids` None: the whole portfolio."""
    sent = (
        demands(loan_ids).filter(pl.col("party") == "debtor").select("loan_id", "on", source=pl.lit("demand"))
    )
    acks = Acknowledgement.objects.filter(acknowledged_on__lte=as_of)
    if loan_ids is not None:
        acks = acks.filter(loan_id__in=loan_ids)
    acknowledged = pl.DataFrame(
        list(acks.values_list("loan_id", "acknowledged_on")), schema={"loan_id": pl.String, "on": pl.Date},
        orient="row",
    ).with_columns(source=pl.lit("acknowledgement"))  # fmt: skip
    paid = io.read_cash_payments(dt.date(1900, 1, 1), as_of).filter(pl.col("paid_on") <= as_of)
    if loan_ids is not None:
        paid = paid.filter(pl.col("loan_id").is_in(loan_ids))
    payments = paid.select("loan_id", on="paid_on", source=pl.lit("payment"))
    filed = io.read_frame(
        "SELECT m.loan_ids, r.happened_on FROM legal_stagerecord r JOIN legal_matter m ON m.id = r.matter_id "
        f"WHERE r.step = '{lifecycle.FILED}'",
        {"loan_ids": pl.String(), "happened_on": pl.Date()},
    )
    filings = (
        filed.select(loan_id=pl.col("loan_ids").str.json_decode(pl.List(pl.String)), on="happened_on")
        .explode("loan_id")
        .with_columns(source=pl.lit("filing"))
    )
    if loan_ids is not None:
        filings = filings.filter(pl.col("loan_id").is_in(loan_ids))
    frames = [f.select(list(watch.EVENTS_SCHEMA)).cast(watch.EVENTS_SCHEMA) for f in (sent, acknowledged, payments,  # type: ignore[arg-type]
                                                                                       filings)]  # fmt: skip
    return pl.concat(frames).filter(pl.col("on") <= as_of).sort("loan_id", "on")


_LAST_DUE = (
    "SELECT l.loan_id, l.lender, l.borrower_id, l.maturity_date, "
    "(SELECT MAX(s.due_date) FROM portfolio_scheduleinstallment s WHERE s.loan_id = l.loan_id) AS last_due "
    "FROM portfolio_loan l WHERE l.status IN ('active', 'written_off')"
)


def last_dues(loan_ids: list[str] | None = None) -> pl.DataFrame:
    """Per loan still owed (active or written off): loan_id, lender, borrower_id and the last instalment's due
    date (the schedule's, else the maturity date) — where its limitation period starts (民法典 art. 189)."""
    frame = io.read_frame(
        _LAST_DUE + _in("l.loan_id", loan_ids),
        {"loan_id": pl.String(), "lender": pl.String(), "borrower_id": pl.String(), "maturity_date": pl.Date(),
         "last_due": pl.Date()},
    )  # fmt: skip
    return frame.select("loan_id", "lender", "borrower_id", last_due=pl.coalesce("last_due", "maturity_date"))


def limitation_frame(as_of: dt.date, loan_ids: list[str] | None = None) -> pl.DataFrame:
    """Every owed loan's limitation at `as_of` (`legal.watch.limitation`), with its lender and borrower."""
    loans = last_dues(loan_ids)
    rows = watch.limitation(loans, interruption_events(as_of, loan_ids), as_of, rules=rulebook())
    return rows.join(loans.select("loan_id", "lender", "borrower_id"), on="loan_id", how="left")


def guarantee_frame(as_of: dt.date, loan_ids: list[str] | None = None) -> pl.DataFrame:
    """Every guarantee of an owed loan: its period's end at `as_of` and whether it was preserved — a joint
    guarantee by a demand delivered to the guarantor, a general one by suing the debtor (民法典 art. 693)."""
    loans = last_dues(loan_ids)
    query = Guarantee.objects.all() if loan_ids is None else Guarantee.objects.filter(loan_id__in=loan_ids)
    rows = pl.DataFrame(
        list(query.values_list("guarantee_id", "loan_id", "guarantee_type", "period_end", "guarantor_name")),
        schema={"guarantee_id": pl.String, "loan_id": pl.String, "guarantee_type": pl.String,
                "period_end": pl.Date, "guarantor": pl.String}, orient="row",
    )  # fmt: skip
    events = interruption_events(as_of, loan_ids)
    sued = events.filter(pl.col("source") == "filing").group_by("loan_id").agg(sued_on=pl.col("on").min())
    demanded = (
        demands(loan_ids).filter((pl.col("party") == "guarantor") & (pl.col("on") <= as_of))
        .group_by("loan_id").agg(demanded_on=pl.col("on").min())
    )  # fmt: skip
    joined = (
        rows.join(loans.select("loan_id", "last_due"), on="loan_id", how="inner")
        .join(sued, on="loan_id", how="left")
        .join(demanded, on="loan_id", how="left")
        .with_columns(
            acted_on=pl.when(pl.col("guarantee_type") == "joint").then("demanded_on").otherwise("sued_on")
        )
    )
    result = watch.guarantees(joined, as_of, rules=rulebook())
    return result.join(rows.select("guarantee_id", "guarantor"), on="guarantee_id", how="left")


def limitation_watch(as_of: dt.date, within_days: int, *, include_expired: bool = False) -> pl.DataFrame:
    """The loans whose limitation period expires within `within_days` of `as_of` (issue 8 §7)."""
    return watch.expiring(limitation_frame(as_of), within_days, include_expired=include_expired)


def guarantee_watch(as_of: dt.date, within_days: int, *, include_expired: bool = False) -> pl.DataFrame:
    """The guarantees not yet preserved whose period ends within `within_days` of `as_of`."""
    return watch.expiring(guarantee_frame(as_of), within_days, include_expired=include_expired)


# --- viability ----------------------------------------------------------------------------------------------------


def _charges_from(loan: Loan, status: Any, dues: list[dt.date]) -> dt.date:
    """The start of the earliest unpaid period: the due date before the oldest unpaid one (or the disbursement)."""
    if status is None or not status.dpd:
        return status.as_of if status is not None else loan.disbursement_date
    oldest = status.as_of - dt.timedelta(days=status.dpd)
    before = [d for d in dues if d < oldest]
    return max(before) if before else loan.disbursement_date


def viability_facts(case: Case, as_of: dt.date, loan_ids: list[str] | None = None,
                    matter: Matter | None = None) -> viability.Facts:  # fmt: skip
    """What the viability check needs about a case's loans, in a fixed number of queries per case."""
    from arrears.audit.selectors import case_evidence
    from arrears.delinquency.models import LoanStatus

    ids = list(loan_ids if loan_ids is not None else case.loan_ids)
    loans = {loan.loan_id: loan for loan in Loan.objects.filter(loan_id__in=ids)}
    statuses = {s.loan_id: s for s in LoanStatus.objects.filter(loan_id__in=ids)}
    dues: dict[str, list[dt.date]] = {}
    for loan_id, due in Loan.objects.filter(loan_id__in=ids).values_list(
        "loan_id", "installments_due__due_date"
    ):
        if due is not None:
            dues.setdefault(loan_id, []).append(due)
    events = interruption_events(as_of, ids)
    by_loan: dict[str, list[tuple[dt.date, str]]] = {}
    for loan_id, on, source in events.iter_rows():
        by_loan.setdefault(loan_id, []).append((on, source))
    notes = []
    facts_loans = []
    for loan_id in ids:
        loan = loans.get(loan_id)
        if loan is None:
            continue
        status = statuses.get(loan_id)
        if status is None:
            notes.append(f"{loan_id}: no status from the daily close yet; amounts are zero")
        schedule = sorted(dues.get(loan_id, []))
        facts_loans.append(viability.LoanFacts(
            loan_id=loan_id, lender_type=loan.lender_type, contract_date=loan.contract_date,
            principal=status.outstanding_principal if status else 0,
            interest=status.overdue_interest if status else 0, penalty=status.penalty_interest if status else 0,
            fees=status.overdue_fees if status else 0, charges_from=_charges_from(loan, status, schedule),
            last_due=schedule[-1] if schedule else loan.maturity_date, interruptions=tuple(by_loan.get(loan_id, [])),
            has_schedule=bool(schedule), disbursement_date=loan.disbursement_date,
        ))  # fmt: skip
    guarantees = guarantee_frame(as_of, ids)
    facts_guarantees = tuple(
        viability.GuaranteeFacts(
            guarantee_id=row["guarantee_id"],
            loan_id=row["loan_id"],
            guarantor=row["guarantor"],
            guarantee_type=row["guarantee_type"],
            period_end=row["period_end"],
            acted_on=row["acted_on"],
        )
        for row in guarantees.iter_rows(named=True)
    )
    assets = [viability.Asset("collateral", c.kind, c.description, c.appraised_value)
              for c in Collateral.objects.filter(loan_id__in=ids).order_by("collateral_id")]  # fmt: skip
    if matter is not None and matter.pk:
        assets += [viability.Asset("investigation", a.kind, a.description, a.value)
                   for a in AssetFinding.objects.filter(matter=matter)]  # fmt: skip
    documents = frozenset(
        str((payload or {}).get("document") or "")
        for payload in case_evidence(case.pk)
        .filter(kind__in=DOCUMENT_KINDS)
        .values_list("payload", flat=True)
    ) - {""}
    notice: bool | None = None
    if case.case_type == CaseType.ASSIGNED:
        notice = Assignment.objects.filter(loan_id__in=ids, notice_delivered_on__isnull=False,
                                           notice_delivered_on__lte=as_of).exists()  # fmt: skip
    recourse = 0
    if case.case_type == CaseType.GUARANTEE_RECOURSE:
        recourse = sum(RecoursePayment.objects.filter(loan_id__in=ids, paid_on__lte=as_of)
                       .values_list("amount", flat=True))  # fmt: skip
    criteria = criteria_in_force(as_of)
    small = None
    province = case.borrower.province
    if province:
        from arrears.rules.statutory import RuleNotFound

        book = rulebook()
        for year in (as_of.year, as_of.year - 1):
            try:
                small = book.small_claims_threshold(province, year)
                break
            except RuleNotFound:
                continue
    demanded = int(events.filter(pl.col("source") == "demand").height)
    return viability.Facts(
        as_of=as_of, case_type=case.case_type, loans=tuple(facts_loans), guarantees=facts_guarantees,
        assets=tuple(assets), documents=documents, demands_delivered=demanded,
        assignment_notice_delivered=notice, recourse_paid=recourse, lawyer_fee_share=criteria.lawyer_fee_share,
        lawyer_fee_minimum=criteria.lawyer_fee_minimum, small_claims=small, notes=tuple(notes),
    )  # fmt: skip


def viability_check(case: Case, as_of: dt.date, loan_ids: list[str] | None = None,
                    matter: Matter | None = None) -> dict[str, Any]:  # fmt: skip
    """The viability check of a case (or a matter, with its investigation's assets) at `as_of`, side by side
    (`legal.viability.assess`)."""
    return viability.assess(viability_facts(case, as_of, loan_ids, matter), rulebook())


# --- complaints and batch litigation -----------------------------------------------------------------------------

# the stages a complaint is drafted in: those a matter may be filed from (`lifecycle`: assigned, investigating,
# drafting)
COMPLAINT_STAGES = frozenset(s.source for s in lifecycle.STEPS if s.target == lifecycle.FILED)
EXHIBIT_KINDS = (LEGAL_DOCUMENT, "demand.delivered")  # with every `document.*` kind (`documents.category_of`)
CHUNK = 5000  # ids per IN (…) list: a batch of N matters reads in ⌈N / CHUNK⌉ × a fixed number of queries


def _chunks(values: list[Any]) -> list[list[Any]]:
    return [values[i : i + CHUNK] for i in range(0, len(values), CHUNK)] or [[]]


def complaint_inputs(matters: Any, filing_date: dt.date) -> list[Any]:
    """What the complaints of `matters` (matters or their ids, in the order given) need, as
    `legal.complaints.MatterInputs`, read set-based: the matters with their cases and borrowers, their loans, the
    loans' statuses, schedule due dates, guarantees, delivered demands, assignments and the payments after them,
    recourse payments, the cases' exhibits in the evidence log and the creditors' profiles — about ten queries
    whatever the number of matters (per `CHUNK` of them). `filing_date` bounds the demands read."""
    from arrears.audit.models import EvidenceRecord
    from arrears.contact.models import CreditorProfile
    from arrears.delinquency.models import LoanStatus
    from arrears.legal.complaints import Demand, MatterInputs
    from arrears.portfolio.models import Payment, ScheduleInstallment

    ids = [m if isinstance(m, int) else m.pk for m in matters]
    found: dict[int, Matter] = {}
    for chunk in _chunks(ids):
        found |= {
            m.pk: m for m in Matter.objects.filter(pk__in=chunk).select_related("case", "case__borrower")
        }
    rows = [found[i] for i in dict.fromkeys(ids) if i in found]
    loan_ids = list(dict.fromkeys(str(loan) for m in rows for loan in m.loan_ids))
    case_ids = list({m.case_id for m in rows})
    loans: dict[str, Loan] = {}
    statuses: dict[str, Any] = {}
    dues: dict[str, list[dt.date]] = {}
    guarantees: dict[str, list[Guarantee]] = {}
    for chunk in _chunks(loan_ids):
        loans |= {loan.loan_id: loan for loan in Loan.objects.filter(loan_id__in=chunk)}
        statuses |= {s.loan_id: s for s in LoanStatus.objects.filter(loan_id__in=chunk)}
        for loan_id, due in ScheduleInstallment.objects.filter(loan_id__in=chunk).values_list(
            "loan_id", "due_date"
        ):
            dues.setdefault(loan_id, []).append(due)
        for g in Guarantee.objects.filter(loan_id__in=chunk).order_by("guarantee_id"):
            guarantees.setdefault(g.loan_id, []).append(g)
    delivered = demands(loan_ids).filter(pl.col("on") <= filing_date) if loan_ids else None
    by_loan_demands: dict[str, list[Demand]] = {}
    for loan_id, on, party in delivered.iter_rows() if delivered is not None else ():
        by_loan_demands.setdefault(loan_id, []).append(Demand(on, party, loan_id))
    typed = {t: [loan for m in rows if m.case_type == t for loan in m.loan_ids] for t in CaseType.values}
    assignments: dict[str, list[Assignment]] = {}
    payments: dict[str, list[tuple[str, str, dt.date, int, dict[str, Any]]]] = {}
    recourse: dict[str, list[RecoursePayment]] = {}
    for chunk in _chunks(typed[CaseType.ASSIGNED]) if typed[CaseType.ASSIGNED] else ():
        for a in Assignment.objects.filter(loan_id__in=chunk):
            assignments.setdefault(a.loan_id, []).append(a)
        paid = list(Payment.objects.filter(loan_id__in=chunk).values_list(
            "payment_id", "loan_id", "paid_on", "amount", "reverses_id", "extra"))  # fmt: skip
        reversed_ = {r[4] for r in paid if r[4]}
        for pid, loan_id, on, amount, reverses, extra in paid:
            if not reverses and pid not in reversed_:
                payments.setdefault(loan_id, []).append((pid, loan_id, on, amount, extra or {}))
    for chunk in _chunks(typed[CaseType.GUARANTEE_RECOURSE]) if typed[CaseType.GUARANTEE_RECOURSE] else ():
        for r in RecoursePayment.objects.filter(loan_id__in=chunk, paid_on__lte=filing_date):
            recourse.setdefault(r.loan_id, []).append(r)
    records: dict[int, list[Any]] = {}
    for chunk in _chunks(case_ids):
        exhibits = (
            EvidenceRecord.objects.filter(case_id__in=chunk)
            .filter(Q(kind__in=EXHIBIT_KINDS) | Q(kind__startswith="document."))
            .only("seq", "kind", "at", "payload", "content_sha256", "files", "hash", "case_id")
            .order_by("seq")
        )
        for record in exhibits:
            records.setdefault(record.case_id, []).append(record)  # type: ignore[arg-type]
    names = {loan.lender for loan in loans.values()}
    names |= {a.assignee for rows_ in assignments.values() for a in rows_}
    names |= {r.guarantor for rows_ in recourse.values() for r in rows_}
    profiles = (
        {p.lender: p for p in CreditorProfile.objects.filter(lender__in=sorted(names))} if names else {}
    )
    result = []
    for m in rows:
        mine = [str(loan) for loan in m.loan_ids]
        result.append(MatterInputs(
            matter=m, loans=[loans[x] for x in mine if x in loans],
            statuses={x: statuses[x] for x in mine if x in statuses}, dues={x: dues.get(x, []) for x in mine},
            guarantees=[g for x in mine for g in guarantees.get(x, [])],
            demands=[d for x in mine for d in by_loan_demands.get(x, [])],
            assignments=[a for x in mine for a in assignments.get(x, [])],
            payments=[p for x in mine for p in payments.get(x, [])],
            recourse=[r for x in mine for r in recourse.get(x, [])],
            records=records.get(m.case_id, []), profiles=profiles,
        ))  # fmt: skip
    return result


def matters_for_batch(user: User | AnonymousUser | None, *, stage: str | None = None, min_dpd: int | None = None,
                      lender: str | None = None, firm_id: int | None = None, case_type: str | None = None,
                      min_claim: int | None = None) -> QuerySet[Matter]:  # fmt: skip
    """The matters a batch may be made of (issue 8 §6, "select many cases by filter"): of those the user sees, in a
    stage a complaint is drafted in (`COMPLAINT_STAGES`, or the one `stage` of them), filtered by the case's days past
    due (at least `min_dpd`), the lender, the law firm, the case type and the amount claimed (at least `min_claim`,
    fen). Oldest first."""
    matters = visible_matters(user).filter(stage__in=sorted(COMPLAINT_STAGES))
    if stage:
        matters = matters.filter(stage=stage)
    if min_dpd is not None:
        matters = matters.filter(case__max_dpd__gte=min_dpd)
    if lender:
        matters = matters.filter(case__lender=lender)
    if firm_id is not None:
        matters = matters.filter(firm_id=firm_id)
    if case_type:
        matters = matters.filter(case_type=case_type)
    if min_claim is not None:
        matters = matters.filter(claim_amount__gte=min_claim)
    return matters.order_by("pk")


def visible_batches(user: User | AnonymousUser | None) -> QuerySet[LitigationBatch]:
    """Litigation batches a user sees: every one for the command line and for in-house staff who see every
    portfolio; anyone else (an outside firm's lawyer, a collector) only the batches they made."""
    batches = LitigationBatch.objects.select_related("created_by")
    if user is None:
        return batches
    if not isinstance(user, User) or not user.is_authenticated:
        return batches.none()
    if user.agency_id is None and can(user, VIEW_ALL_PORTFOLIOS):
        return batches
    return batches.filter(created_by=user)


def get_batch(user: User | AnonymousUser | None, batch_id: int) -> LitigationBatch:
    """The batch, or NotFound when it does not exist or the user may not see it."""
    batch = visible_batches(user).filter(pk=batch_id).first()
    if batch is None:
        raise NotFound(f"batch {batch_id} not found", batch_id=batch_id)
    return batch


def batch_zip_path(batch: LitigationBatch) -> Path:
    """Where the batch's zip is (the evidence blob store, content-addressed). NotFound until it is written, or when
    the file is gone."""
    from arrears.audit.chain import blob_path

    if not batch.zip_sha256:
        raise NotFound(f"batch {batch.pk} has no zip yet", batch_id=batch.pk)
    path = blob_path(batch.zip_sha256)
    if not path.exists():
        raise NotFound(f"the zip of batch {batch.pk} is missing from the blob store", batch_id=batch.pk)
    return path


def batch_fully_visible(user: User | AnonymousUser | None, batch: LitigationBatch) -> bool:
    """Whether the user still sees every matter of the batch (`visible_matters`): a matter given to another firm
    since, or a firm no longer active, takes the batch's zip (full ID numbers of every party) away from them."""
    ids = {int(i) for i in batch.matter_ids}
    return visible_matters(user).filter(pk__in=ids).count() == len(ids)


def batch_matters(batch: LitigationBatch, *, full_pii: bool = False,
                  user: User | AnonymousUser | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """The batch's tracking list, in the batch's order: per matter (of those `user` sees, `visible_matters`; `None`:
    the command line, every one) its case, borrower (name masked unless `full_pii`:
    `portfolio.selectors.shows_full_pii(user)`, PIPL minimum necessary), stage, court, case number, the amount
    claimed (fen: the complaint's when drafted) and the next open deadline. Two queries."""
    ids = [int(i) for i in batch.matter_ids]
    matters = {m.pk: m for m in visible_matters(user).filter(pk__in=ids)}
    ids = [pk for pk in ids if pk in matters]
    nearest: dict[int, Deadline] = {}
    open_ = Deadline.objects.filter(matter_id__in=ids, status=Deadline.Status.OPEN).order_by("due_on", "pk")
    for row in open_:
        nearest.setdefault(row.matter_id, row)
    rows = []
    for pk in ids:
        matter = matters.get(pk)
        if matter is None:
            continue
        borrower = matter.case.borrower
        deadline = nearest.get(pk)
        complaint = matter.complaint or {}
        rows.append({
            "matter": matter, "matter_id": pk, "case_id": matter.case_id, "borrower_id": borrower.borrower_id,
            "borrower": borrower.name if full_pii else mask_name(borrower.name), "stage": matter.stage,
            "stage_label": lifecycle.STAGE_LABELS.get(matter.stage, matter.stage),
            "court": matter.court or complaint.get("court", ""), "case_number": matter.case_number,
            "claim_amount": int(complaint.get("amount", matter.claim_amount)),
            "evidence_complete": complaint.get("evidence_complete"),
            "next_deadline": deadline.due_on if deadline else None,
            "next_deadline_kind": deadline.kind if deadline else "",
        })  # fmt: skip
    return rows
