"""Writes of the legal app (issue 8): referral with its criteria and viability check, approval or return (four
eyes), lawyer or firm assignment, the pipeline's steps and actions (each a `StageRecord` and an audit event), asset
findings, documents, deadlines (created by the steps that start them, reminded at T-30/T-7/T-1, missed when they
pass) and the limitation watch's follow-ups. Every function runs in one transaction and audits; the business date
is always passed in (or is the case's), never read from the clock."""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import polars as pl
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears.accounts.models import Agency, User
from arrears.accounts.roles import MANAGE_CASES, MANAGE_LEGAL, WORK_CASES, WORK_LEGAL, can
from arrears.accounts.selectors import visible_loans
from arrears.audit import services as audit
from arrears.audit.chain import evidence_root, jsonable
from arrears.audit.models import EvidenceRecord
from arrears.cases import lifecycle as case_lifecycle
from arrears.cases import services as cases
from arrears.cases.models import Case, Task
from arrears.cases.selectors import visible_cases
from arrears.core.errors import Conflict, DomainError, PermissionDenied
from arrears.core.money import display_fen
from arrears.legal import calculators as calc
from arrears.legal import complaints, documents, lifecycle, periods, selectors
from arrears.legal.models import (
    Acknowledgement,
    AssetFinding,
    Deadline,
    LimitationAlert,
    LitigationBatch,
    Matter,
    ReferralCriteria,
    StageRecord,
)
from arrears.legal.watch import alert_threshold
from arrears.portfolio.models import Loan

MATTER = "Matter"


def seed_criteria(**kwargs: Any) -> None:
    """post_migrate: the shipped referral criteria when there are none — more than 90 days past due (次级 from
    there, domain-rules.md §1.1), at least 10,000 yuan outstanding, no open promise or plan, contact exhausted after
    10 recorded contacts (or the treatment path run out); a lawyer's fee of 5% with at least 3,000 yuan. House
    defaults, not law: change them with a new version."""
    if not ReferralCriteria.objects.exists():
        ReferralCriteria.objects.create(
            effective_from=dt.date(2000, 1, 1), min_dpd=90, min_balance=1_000_000, require_no_plan=True,
            min_contact_attempts=10, lawyer_fee_share="0.05", lawyer_fee_minimum=300_000,
        )  # fmt: skip


# --- who may ------------------------------------------------------------------------------------------------------


def _in_house(actor: User, capability: str, message: str) -> None:
    """Referral decisions, assignment and closure are the creditor's own: never an outside firm's user."""
    if actor.agency_id is not None or not can(actor, capability):
        raise PermissionDenied(message)


def _visible(actor: User, matter: Matter) -> Matter:
    """The matter locked for update, when the actor may see it (else NotFound, as for a matter that is not there)."""
    selectors.get_matter(actor, matter.pk)
    return Matter.objects.select_for_update().get(pk=matter.pk)


def _audit(matter: Matter, action: str, actor: User | None, *, before: Any = None, after: Any = None,
           note: str = "", label: str = "") -> None:  # fmt: skip
    audit.record(f"legal.{action}", MATTER, matter.pk, actor=actor, actor_label=label, before=before, after=after,
                 note=note[:500])  # fmt: skip


def _documents(matter: Matter, documents: Iterable[int]) -> list[int]:
    """Evidence record ids given as a step's documents: each must be evidence of the matter's case."""
    ids = list(dict.fromkeys(int(d) for d in documents))
    found = set(
        EvidenceRecord.objects.filter(pk__in=ids, case_id=matter.case_id).values_list("pk", flat=True)
    )
    if missing := [d for d in ids if d not in found]:
        raise DomainError(_("These documents are not in this case's evidence log: %(ids)s.")
                          % {"ids": ", ".join(map(str, missing))})  # fmt: skip
    return ids


# --- referral -----------------------------------------------------------------------------------------------------


@transaction.atomic
def refer(case: Case, *, actor: User, as_of: dt.date | None = None, reason: str = "",
          override_reason: str = "", loan_ids: list[str] | None = None) -> Matter:  # fmt: skip
    """Refer a case for litigation (issue 8 §1): the referral criteria in force are checked (any unmet one needs
    an `override_reason`), the claim and the viability check are computed and kept on the matter as they were,
    and the case moves to the legal stage (`cases.lifecycle`: escalated → legal). One live matter per case."""
    if actor.agency_id is not None or not can(actor, MANAGE_CASES):
        raise PermissionDenied(_("You may not refer cases for litigation."))
    if not visible_cases(actor).filter(pk=case.pk).exists():
        raise PermissionDenied(_("You may not refer this case."))
    case = Case.objects.select_for_update(of=("self",)).select_related("borrower", "path").get(pk=case.pk)
    as_of = as_of or case.as_of
    if not case.is_open:
        raise DomainError(_("This case is closed."))
    if Matter.objects.filter(case=case).exclude(stage__in=lifecycle.ENDED).exists():
        raise Conflict(_("This case already has a legal matter in progress."))
    if not reason.strip():
        raise DomainError(_("Say why the case goes to litigation."))
    ids = [str(loan) for loan in (loan_ids or case.loan_ids)]
    if not ids or not set(ids) <= set(case.loan_ids):
        raise DomainError(_("Refer loans of this case."))
    checks = selectors.check_criteria(case, as_of)
    unmet = [row["criterion"] for row in checks if not row["met"]]
    if unmet and not override_reason.strip():
        raise DomainError(
            _("The referral criteria are not met (%(unmet)s): give a reason to refer it nevertheless.")
            % {"unmet": ", ".join(unmet)}
        )
    if case.status not in (case_lifecycle.LEGAL, case_lifecycle.ENFORCEMENT):
        if case_lifecycle.find(case.status, case_lifecycle.LEGAL) is None:
            raise DomainError(_("Escalate the case before referring it for litigation."))
        case = cases.transition(case, case_lifecycle.LEGAL, actor=actor, reason=reason)
    check = selectors.viability_check(case, as_of, ids)
    plaintiff, defendant = selectors.parties(case, ids)
    matter = Matter.objects.create(
        case=case, loan_ids=ids, case_type=case.case_type, plaintiff=plaintiff, defendant=defendant,
        stage=lifecycle.REFERRED, stage_since=as_of, referred_on=as_of, referred_by=actor,
        referral_reason=reason.strip(), override_reason=override_reason.strip() if unmet else "",
        claim=check["claim"], claim_amount=check["claim"]["amount"], viability=check, criteria=checks,
    )  # fmt: skip
    StageRecord.objects.create(matter=matter, step=lifecycle.REFERRED, happened_on=as_of, responsible=actor,
                               note=reason.strip(), recorded_by=actor,
                               amount_awarded=None, details={"claim": matter.claim_amount})  # fmt: skip
    _audit(matter, "referred", actor, after={"case": case.pk, "loans": ids, "claim": matter.claim_amount,
                                             "unmet": unmet, "flags": check["flags"]},
           note=override_reason or reason)  # fmt: skip
    audit.record(
        "case.legal", "Case", case.pk, actor=actor, after={"matter": matter.pk, "stage": matter.stage}
    )
    return matter


@transaction.atomic
def decide_referral(matter: Matter, *, actor: User, approve: bool, as_of: dt.date | None = None,
                    note: str = "") -> Matter:  # fmt: skip
    """Approve or return a referral (issue 8 §1) — never the referrer (four eyes). Approved, the approver answers
    for the matter in-house until someone else is named; returned (with a reason), the case goes back to escalated
    and the matter ends."""
    _in_house(actor, MANAGE_LEGAL, _("You may not decide legal referrals."))
    matter = _visible(actor, matter)
    if matter.stage != lifecycle.REFERRED:
        raise DomainError(_("This referral was already decided."))
    if matter.referred_by_id == actor.pk:
        raise PermissionDenied(_("Someone other than the referrer must decide the referral."))
    target = lifecycle.APPROVED if approve else lifecycle.RETURNED
    on = as_of or matter.case.as_of
    _move(matter, target, actor=actor, on=on, reason=note)
    matter.decided_on, matter.decided_by = on, actor
    if approve:
        matter.owner = matter.owner or actor
    matter.save(update_fields=["decided_on", "decided_by", "owner"])
    case = matter.case
    if not approve and case.status == case_lifecycle.LEGAL:
        cases.transition(
            case, case_lifecycle.ESCALATED, actor=actor, reason=note or _("legal referral returned")
        )
    audit.record("case.legal", "Case", case.pk, actor=actor, after={"matter": matter.pk, "stage": target},
                 note=note[:500])  # fmt: skip
    return matter


@transaction.atomic
def assign(matter: Matter, *, actor: User, lawyer: User | None = None, firm: Agency | None = None,
           owner: User | None = None, as_of: dt.date | None = None, note: str = "") -> Matter:  # fmt: skip
    """Give an approved matter to a lawyer (in-house, or of an outside firm) and/or a law firm (issue 8 §2); the
    firm's users see it from now on, and only while it is theirs. Later calls reassign it (audited, no step)."""
    _in_house(actor, MANAGE_LEGAL, _("You may not assign legal matters."))
    matter = _visible(actor, matter)
    if not matter.is_live or matter.stage == lifecycle.REFERRED:
        raise DomainError(_("Only an approved matter in progress can be assigned."))
    if lawyer is None and firm is None:
        raise DomainError(_("Name a lawyer or a law firm."))
    if firm is None and lawyer is not None and lawyer.agency_id is not None:
        firm = lawyer.agency
    if firm is not None:
        if firm.kind != Agency.Kind.LAW_FIRM:
            raise DomainError(_("%(agency)s is not a law firm.") % {"agency": firm})
        if not firm.active:
            raise DomainError(_("%(agency)s is not active (contract ended).") % {"agency": firm})
    if lawyer is not None:
        if lawyer.agency_id is not None and lawyer.agency_id != (firm.pk if firm else None):
            raise DomainError(_("%(user)s works for another firm.") % {"user": lawyer})
        if lawyer.agency_id is None and not can(lawyer, WORK_LEGAL):
            raise DomainError(_("%(user)s does not handle legal matters.") % {"user": lawyer})
    before = {"lawyer": matter.lawyer_id, "firm": matter.firm_id, "owner": matter.owner_id}
    matter.lawyer, matter.firm = lawyer, firm
    if owner is not None:
        if owner.agency_id is not None:
            raise DomainError(_("The responsible person must be in-house."))
        matter.owner = owner
    matter.save(update_fields=["lawyer", "firm", "owner"])
    after = {"lawyer": matter.lawyer_id, "firm": matter.firm_id, "owner": matter.owner_id}
    if matter.stage == lifecycle.APPROVED:
        _move(matter, lifecycle.ASSIGNED, actor=actor, on=as_of or matter.case.as_of, reason=note,
              responsible=lawyer or matter.owner, details=after)  # fmt: skip
    else:
        _audit(matter, "reassigned", actor, before=before, after=after, note=note)
    return matter


# --- steps and actions ---------------------------------------------------------------------------------------------


_FIELDS = ("court", "case_number", "amount_awarded", "amount_recovered", "asset_kind")


def _move(matter: Matter, target: str, *, actor: User | None, on: dt.date, reason: str = "",
          responsible: User | None = None, details: dict[str, Any] | None = None, label: str = "",
          **facts: Any) -> StageRecord:  # fmt: skip
    """Move a (locked) matter along the table; the step's checks, its record, the matter's fields and audit."""
    step = lifecycle.find(matter.stage, target)
    if step is None:
        allowed = ", ".join(s.target for s in lifecycle.allowed_from(matter.stage)) or _("none")
        raise DomainError(
            _("A matter cannot go from %(source)s to %(target)s; from %(source)s it may go to: %(allowed)s.")
            % {"source": matter.stage, "target": target, "allowed": allowed}
        )
    if actor is not None and not can(actor, step.capability):
        raise PermissionDenied(_("You may not move a matter from %(source)s to %(target)s.")
                               % {"source": matter.stage, "target": target})  # fmt: skip
    if step.reason_required and not reason.strip():
        raise DomainError(_("Give a reason for moving the matter to %(target)s.") % {"target": target})
    if missing := [f for f in step.requires if facts.get(f) in (None, "")]:
        raise DomainError(_("Moving the matter to %(target)s needs: %(fields)s.")
                          % {"target": target, "fields": ", ".join(missing)})  # fmt: skip
    closure = facts.pop("closure_reason", "")
    if target == lifecycle.CLOSED and closure not in step.closure_reasons:
        raise DomainError(
            _("Say how the matter closed: %(reasons)s.") % {"reasons": ", ".join(step.closure_reasons)}
        )
    if on < matter.stage_since:
        raise DomainError(_("A step cannot be dated %(on)s, before the matter's last step on %(since)s.")
                          % {"on": on, "since": matter.stage_since})  # fmt: skip
    for name in ("amount_awarded", "amount_recovered"):
        if facts.get(name) is not None and facts[name] < 0:
            raise DomainError(_("Amounts must not be negative."))
    source = matter.stage
    record = StageRecord.objects.create(
        matter=matter, step=target, from_stage=source, happened_on=on, responsible=responsible or actor,
        note=(reason or "").strip(), recorded_by=actor, details=details or {},
        documents=_documents(matter, facts.pop("documents", ()) or ()),
        **{f: facts[f] for f in _FIELDS if facts.get(f) is not None},
    )  # fmt: skip
    before = {"stage": source}
    matter.stage, matter.stage_since = target, on
    if target in (lifecycle.ENFORCEMENT_APPLIED,):
        matter.enforcement_court = facts.get("court") or matter.enforcement_court
        matter.enforcement_case_number = facts.get("case_number") or matter.enforcement_case_number
    else:
        matter.court = facts.get("court") or matter.court
        matter.case_number = facts.get("case_number") or matter.case_number
    if facts.get("amount_awarded") is not None:
        matter.amount_awarded = facts["amount_awarded"]
    matter.amount_recovered += facts.get("amount_recovered") or 0
    if target == lifecycle.CLOSED:
        matter.closure_reason, matter.closed_on = closure, on
    matter.save()
    _end_deadlines(matter, target, on)
    after = {"stage": target, "on": on.isoformat(), **({"closure_reason": closure} if closure else {}),
             **{f: facts[f] for f in _FIELDS if facts.get(f) not in (None, "")}}  # fmt: skip
    _audit(matter, "stage", actor, before=before, after=after, note=reason, label=label)
    return record


def _end_deadlines(matter: Matter, stage: str, on: dt.date) -> None:
    """Reaching a stage completes the deadlines it answers (`lifecycle.DONE_AT`); closing cancels the rest."""
    open_ = Deadline.objects.filter(matter=matter, status=Deadline.Status.OPEN)
    for kind, stages in lifecycle.DONE_AT.items():
        if stage in stages:
            open_.filter(kind=kind).update(status=Deadline.Status.DONE, ended_on=on)
    if stage in lifecycle.ENDED:
        open_.update(status=Deadline.Status.CANCELLED, ended_on=on)


def _deadline(matter: Matter, kind: str, rule: str, basis_on: dt.date, record: StageRecord) -> Deadline:
    """A deadline computed by the statutory calculator (`calculators.deadline`: counted from the day after, moved
    off statutory holidays and rest days where the period says so, 民事诉讼法 art. 85)."""
    result = calc.deadline(rule, basis_on, rules=selectors.rulebook())
    return Deadline.objects.create(
        matter=matter, kind=kind, rule=rule, basis_on=basis_on, nominal_on=result.nominal, due_on=result.deadline,
        provisional=result.provisional, basis=result.period.basis, record=record,
    )  # fmt: skip


@transaction.atomic
def advance(matter: Matter, target: str, *, actor: User, on: dt.date, court: str = "", case_number: str = "",
            amount_awarded: int | None = None, amount_recovered: int | None = None, reason: str = "",
            closure_reason: str = "", served_on: dt.date | None = None, ruling: bool = False,
            perform_by: dt.date | None = None, final: bool = False, documents: Iterable[int] = (),
            responsible: User | None = None) -> StageRecord:  # fmt: skip
    """Move a matter to its next stage (issue 8 §5), as `legal.lifecycle` allows, recording the step with its
    date, court, case number, amounts and documents (evidence record ids). Steps that start a deadline create it:

    - judged: the appeal deadline, 15 days from service of a judgment or 10 from a ruling (`ruling`), counted from
      `served_on` (default `on`) — 民事诉讼法 art. 171; none for a final judgment (`final`: small claims, 一审终审,
      art. 165; or a second instance's, which the matter's earlier judgment shows);
    - effective: the enforcement application deadline, 2 years from the last day of the performance period the
      judgment or mediation sets (`perform_by`, default `on`) — art. 250; domain-rules.md §4.

    Reaching effective or an appeal hearing completes the appeal deadline, applying for enforcement completes
    the enforcement deadline, closing cancels what is left. Approval and assignment have their own services
    (`decide_referral`, `assign`)."""
    if target in (lifecycle.APPROVED, lifecycle.RETURNED, lifecycle.ASSIGNED):
        raise DomainError(_("Decide referrals and assign lawyers with their own actions."))
    if target == lifecycle.CLOSED:
        _in_house(actor, MANAGE_LEGAL, _("You may not close legal matters."))
    matter = _visible(actor, matter)
    if served_on is not None and served_on < on:
        raise DomainError(_("A judgment cannot be served before it is given."))
    details: dict[str, Any] = {}
    if target == lifecycle.JUDGED:
        # a second instance's judgment is final (终审), as is a small-claims one (一审终审): no appeal
        final = final or StageRecord.objects.filter(matter=matter, step=lifecycle.JUDGED).exists()
        details = {"served_on": (served_on or on).isoformat(), "ruling": ruling, "final": final}
    if target == lifecycle.EFFECTIVE:
        if perform_by is not None and perform_by < on:
            raise DomainError(_("The performance period cannot end before the judgment takes effect."))
        details = {"perform_by": (perform_by or on).isoformat()}
    record = _move(matter, target, actor=actor, on=on, reason=reason, responsible=responsible, details=details,
                   court=court.strip(), case_number=case_number.strip(), amount_awarded=amount_awarded,
                   amount_recovered=amount_recovered, closure_reason=closure_reason,
                   documents=documents)  # fmt: skip
    if target == lifecycle.JUDGED and not final:
        rule = "appeal-ruling" if ruling else "appeal-judgment"
        _deadline(matter, lifecycle.APPEAL, rule, served_on or on, record)
    elif target == lifecycle.EFFECTIVE:
        _deadline(
            matter, lifecycle.ENFORCEMENT_APPLICATION, "enforcement-application", perform_by or on, record
        )
    case = matter.case
    to_enforcement = case_lifecycle.find(case.status, case_lifecycle.ENFORCEMENT)
    if target == lifecycle.ENFORCEMENT_APPLIED and to_enforcement and can(actor, to_enforcement.capability):
        cases.transition(case, case_lifecycle.ENFORCEMENT, actor=actor)  # the case follows its matter
    if target == lifecycle.CLOSED:
        audit.record("case.legal", "Case", case.pk, actor=actor,
                     after={"matter": matter.pk, "stage": target, "closure_reason": closure_reason,
                            "recovered": matter.amount_recovered}, note=reason[:500])  # fmt: skip
    return record


@transaction.atomic
def record_action(matter: Matter, name: str, *, actor: User, on: dt.date, court: str = "", case_number: str = "",
                  asset_kind: str = "", amount: int | None = None, amount_recovered: int | None = None,
                  note: str = "", documents: Iterable[int] = (), renews: Deadline | None = None) -> StageRecord:  # fmt: skip
    """Record an action within the matter's stage (`lifecycle.ACTIONS`): a hearing held, a property preservation
    (with its renewal deadline by the asset's kind: deposits 1 year, movables 2, real estate and other rights 3 —
    `legal.periods`, 民诉解释 art. 485), a freeze, seizure, auction, a distribution or payment (what was recovered,
    added to the matter's total). `amount`: what the measure covers (fen)."""
    if not can(actor, WORK_LEGAL):
        raise PermissionDenied(_("You may not record the steps of legal matters."))
    matter = _visible(actor, matter)
    action = lifecycle.action(name)
    if action is None:
        raise DomainError(_("Unknown action %(name)s.") % {"name": name})
    if matter.stage not in action.stages:
        raise DomainError(_("%(action)s cannot be recorded while the matter is %(stage)s.")
                          % {"action": name, "stage": matter.stage})  # fmt: skip
    facts = {"court": court.strip(), "asset_kind": asset_kind, "amount_recovered": amount_recovered}
    if missing := [f for f in action.requires if facts.get(f) in (None, "")]:
        raise DomainError(
            _("Recording %(action)s needs: %(fields)s.") % {"action": name, "fields": ", ".join(missing)}
        )
    if asset_kind and asset_kind not in periods.PRESERVATION_KIND:
        raise DomainError(_("Unknown asset kind %(kind)s.") % {"kind": asset_kind})
    if (amount is not None and amount < 0) or (amount_recovered is not None and amount_recovered < 0):
        raise DomainError(_("Amounts must not be negative."))
    if on < matter.referred_on:
        raise DomainError(_("An action cannot be dated before the referral."))
    details: dict[str, Any] = {"amount": amount} if amount is not None else {}
    if renews is not None:
        if renews.matter_id != matter.pk or renews.kind != lifecycle.PRESERVATION_RENEWAL:
            raise DomainError(_("That is not a preservation deadline of this matter."))
        if renews.status != Deadline.Status.OPEN:
            raise DomainError(_("That preservation has already ended."))
        details["renews"] = renews.pk
    record = StageRecord.objects.create(
        matter=matter, step=name, from_stage=matter.stage, happened_on=on, court=court.strip(),
        case_number=case_number.strip(), asset_kind=asset_kind, amount_recovered=amount_recovered, details=details,
        responsible=actor, note=note.strip(), documents=_documents(matter, documents), recorded_by=actor,
    )  # fmt: skip
    if amount_recovered:
        matter.amount_recovered += amount_recovered
        matter.save(update_fields=["amount_recovered"])
    if name == lifecycle.PRESERVATION:
        if renews is not None:
            Deadline.objects.filter(pk=renews.pk).update(status=Deadline.Status.DONE, ended_on=on)
        _deadline(matter, lifecycle.PRESERVATION_RENEWAL, periods.PRESERVATION_KIND[asset_kind], on, record)
    _audit(matter, "action", actor, after={"action": name, "on": on.isoformat(), "record": record.pk,
                                           **{k: v for k, v in facts.items() if v not in (None, "")}, **details},
           note=note)  # fmt: skip
    return record


# --- assets, documents, acknowledgements ----------------------------------------------------------------------


@transaction.atomic
def record_asset(matter: Matter, *, actor: User, kind: str, description: str, source: str, found_on: dt.date,
                 value: int | None = None, note: str = "", proportionality_note: str = "") -> AssetFinding:  # fmt: skip
    """An asset the investigation found (issue 8 §3): kind, where it was found (source) and when, its value. Looking
    further once the known assets already cover the claim needs a proportionality note saying why (no more than
    the claim needs: PIPL arts. 5–6; a bank account is sensitive personal information, art. 28; §7.1)."""
    if not can(actor, WORK_LEGAL):
        raise PermissionDenied(_("You may not record the steps of legal matters."))
    matter = _visible(actor, matter)
    if not matter.is_live or matter.stage == lifecycle.REFERRED:
        raise DomainError(
            _("Assets are investigated once the referral is approved, while the matter is open.")
        )
    if kind not in AssetFinding.Kind.values:
        raise DomainError(_("Unknown asset kind %(kind)s.") % {"kind": kind})
    if not description.strip() or not source.strip():
        raise DomainError(_("Say what was found and where it was found."))
    if value is not None and value < 0:
        raise DomainError(_("Amounts must not be negative."))
    known = sum(a.value or 0 for a in AssetFinding.objects.filter(matter=matter)) + sum(
        (row.get("value") or 0)
        for row in (matter.viability or {}).get("assets", [])
        if row.get("source") == "collateral"
    )
    if known >= matter.claim_amount and not proportionality_note.strip():
        raise DomainError(
            _("The assets known (%(known)s) already cover the claim (%(claim)s): say why more is needed.")
            % {"known": display_fen(known), "claim": display_fen(matter.claim_amount)}
        )
    finding = AssetFinding.objects.create(
        matter=matter, kind=kind, description=description.strip(), source=source.strip(), found_on=found_on,
        value=value, note=note.strip(), proportionality_note=proportionality_note.strip(), recorded_by=actor,
    )  # fmt: skip
    _audit(matter, "asset", actor, after={"asset": finding.pk, "kind": kind, "value": value, "source": source},
           note=proportionality_note)  # fmt: skip
    return finding


@transaction.atomic
def add_document(matter: Matter, *, actor: User, name: str, data: bytes, document: str,
                 record: StageRecord | None = None, summary: str = "") -> EvidenceRecord:  # fmt: skip
    """Keep a document of the matter (a complaint, an evidence list, a judgment, the contract…) in the evidence log
    (hash-chained, `audit.append_evidence`), typed by `document` ("contract", "iou", "judgment", …: the viability
    checklist reads the types), and attach it to a step's record when given."""
    if not can(actor, WORK_LEGAL):
        raise PermissionDenied(_("You may not record the steps of legal matters."))
    matter = _visible(actor, matter)
    if not name.strip() or not document.strip():
        raise DomainError(_("Give the document's file name and type."))
    if record is not None and record.matter_id != matter.pk:
        raise DomainError(_("That record is not of this matter."))
    evidence = audit.append_evidence(
        selectors.LEGAL_DOCUMENT, case_id=matter.case_id, borrower_id=matter.case.borrower_id,
        loan_ids=list(matter.loan_ids), subject_type=MATTER, subject_id=matter.pk, actor=actor,
        payload={"document": document.strip(), "name": name.strip(), "matter": matter.pk,
                 "summary": summary.strip() or f"{document.strip()}: {name.strip()}"},
        files=[(name.strip(), data)],
    )  # fmt: skip
    if record is not None:
        StageRecord.objects.filter(pk=record.pk).update(documents=[*record.documents, evidence.pk])
    _audit(matter, "document", actor, after={"evidence": evidence.seq, "document": document,
                                             "record": record.pk if record else None})  # fmt: skip
    return evidence


@transaction.atomic
def record_acknowledgement(loan: Loan, acknowledged_on: dt.date, *, actor: User, as_of: dt.date, how: str = "",
                           document: tuple[str, bytes] | None = None) -> Acknowledgement:  # fmt: skip
    """The debtor acknowledged the debt on `acknowledged_on` (agreed to pay, asked for time, signed a confirmation):
    it interrupts the limitation period, which runs again from that day (民法典 art. 195(2); domain-rules.md §4).
    Kept with its proof in the evidence log when a document is given (`document`: file name and content)."""
    if not can(actor, WORK_CASES):
        raise PermissionDenied(_("You may not work cases."))
    if not visible_loans(actor).filter(pk=loan.pk).exists():
        raise PermissionDenied(_("You may not record this loan's acknowledgements."))
    if acknowledged_on > as_of:
        raise DomainError(
            _("An acknowledgement cannot be dated after the business date %(day)s.") % {"day": as_of}
        )
    if not how.strip() and document is None:
        raise DomainError(_("Say how the debt was acknowledged, or attach the proof."))
    case = _open_case_of(loan)
    evidence = None
    if document is not None:
        evidence = audit.append_evidence(
            "debt.acknowledged", case_id=case.pk if case else None, borrower_id=loan.borrower_id, loan_ids=[loan.pk],
            subject_type="Loan", subject_id=loan.pk, actor=actor, files=[document],
            payload={"acknowledged_on": acknowledged_on.isoformat(), "how": how.strip(),
                     "summary": f"acknowledged {acknowledged_on.isoformat()}"},
        )  # fmt: skip
    ack = Acknowledgement.objects.create(loan=loan, acknowledged_on=acknowledged_on, how=how.strip(),
                                         evidence=evidence, recorded_by=actor)  # fmt: skip
    audit.record("loan.acknowledged", "Loan", loan.pk, actor=actor,
                 after={"acknowledged_on": acknowledged_on.isoformat(), "how": how.strip()})  # fmt: skip
    return ack


def _open_case_of(loan: Loan) -> Case | None:
    """The open case holding a loan (its borrower's, with the loan among its loans)."""
    for case in Case.objects.filter(borrower_id=loan.borrower_id).exclude(status=case_lifecycle.CLOSED):
        if loan.pk in case.loan_ids:
            return case
    return None


# --- reminders and the limitation watch ------------------------------------------------------------------------


def _who(matter: Matter) -> list[int]:
    """Whom a deadline is reminded to: the lawyer and the in-house responsible person (else the case's collector)."""
    people = (
        [matter.lawyer_id, matter.owner_id]
        if matter.owner_id
        else [matter.lawyer_id, matter.case.assigned_to_id]
    )
    return list(dict.fromkeys(p for p in people if p is not None))


def _touch(case_ids: Iterable[int], as_of: dt.date) -> None:
    """A follow-up due on `as_of` makes it the cases' next action when nothing earlier is."""
    ids = list(set(case_ids))
    if ids:
        Case.objects.filter(pk__in=ids).filter(
            Q(next_action_on__isnull=True) | Q(next_action_on__gt=as_of)
        ).update(next_action_on=as_of, action_due=True)


@transaction.atomic
def remind_deadlines(as_of: dt.date) -> dict[str, int]:
    """The day's deadline work (issue 8 §5), idempotent: open deadlines whose last day has passed become missed
    (or lapsed, for an appeal nobody needed: `lifecycle.OPTIONAL_DEADLINES`); each open deadline that has reached a
    reminder day (`lifecycle.REMINDER_DAYS`: T-30, T-7, T-1) and was not yet reminded at it — or at a nearer one —
    gives a follow-up due today to its lawyer and the responsible person. A close that skipped days reminds once,
    at the nearest day reached. Runs in the close (`batch.runner.sync_cases`) and `arrears legal remind`."""
    passed = Deadline.objects.filter(status=Deadline.Status.OPEN, due_on__lt=as_of)
    lapsed = passed.filter(kind__in=lifecycle.OPTIONAL_DEADLINES)
    lapsed_rows = list(lapsed.values_list("pk", "matter_id", "kind", "due_on"))
    lapsed.update(status=Deadline.Status.LAPSED, ended_on=as_of)
    missed = passed.exclude(kind__in=lifecycle.OPTIONAL_DEADLINES)
    missed_rows = list(missed.values_list("pk", "matter_id", "kind", "due_on"))
    missed.update(status=Deadline.Status.MISSED, ended_on=as_of)
    audit.record_many("legal.deadline", MATTER, (
        (str(m), {"deadline": pk, "status": "open"}, {"deadline": pk, "kind": k, "due_on": d.isoformat(), "status": s})
        for rows, s in ((lapsed_rows, "lapsed"), (missed_rows, "missed")) for pk, m, k, d in rows
    ), actor_label="legal")  # fmt: skip
    horizon = as_of + dt.timedelta(days=max(lifecycle.REMINDER_DAYS))
    due = list(Deadline.objects.filter(status=Deadline.Status.OPEN, due_on__gte=as_of, due_on__lte=horizon)
               .select_related("matter", "matter__case"))  # fmt: skip
    tasks: list[Task] = []
    reminded: list[Deadline] = []
    unassigned = 0
    for deadline in due:
        left = (deadline.due_on - as_of).days
        nearest = min(d for d in lifecycle.REMINDER_DAYS if left <= d)
        if any(r <= nearest for r in deadline.reminded):
            continue
        matter = deadline.matter
        people = _who(matter)
        if not people:
            unassigned += 1  # nobody to remind yet: tried again tomorrow
            continue
        title = _("%(kind)s deadline %(day)s (T-%(left)s): matter %(matter)s") % {
            "kind": lifecycle.DEADLINE_LABELS.get(deadline.kind, deadline.kind), "day": deadline.due_on.isoformat(),
            "left": left, "matter": matter.pk,
        }  # fmt: skip
        for person in people:
            tasks.append(Task(case_id=matter.case_id, title=title[:200], due_on=as_of, assigned_to_id=person,
                              note=deadline.basis[:1000], channel="legal"))  # fmt: skip
        deadline.reminded = sorted({*deadline.reminded, nearest}, reverse=True)
        reminded.append(deadline)
    Task.objects.bulk_create(tasks)
    Deadline.objects.bulk_update(reminded, ["reminded"])
    _touch((t.case_id for t in tasks), as_of)
    if reminded:
        audit.record_many("legal.reminded", MATTER, ((str(d.matter_id), None, {"deadline": d.pk, "kind": d.kind,
                          "due_on": d.due_on.isoformat(), "days": min(d.reminded)}) for d in reminded),
                          actor_label="legal")  # fmt: skip
    return {"deadlines_reminded": len(reminded), "deadlines_missed": len(missed_rows),
            "deadlines_lapsed": len(lapsed_rows), "deadlines_unassigned": unassigned}  # fmt: skip


def _open_cases_by_loan() -> pl.DataFrame:
    rows = list(
        Case.objects.exclude(status=case_lifecycle.CLOSED).values_list("pk", "loan_ids", "assigned_to_id")
    )
    frame = pl.DataFrame(rows, schema={"case_id": pl.Int64, "loan_id": pl.List(pl.String), "user_id": pl.Int64},
                         orient="row")  # fmt: skip
    return frame.explode("loan_id").unique("loan_id", keep="first")


@transaction.atomic
def alert_limitation(as_of: dt.date) -> dict[str, int]:
    """The limitation watch's follow-ups (issue 8 §7), idempotent and set-based: every loan whose limitation period
    expires within an alert threshold (`periods.LIMITATION_ALERT_DAYS`: T-180/T-90/T-30, domain-rules.md §4), and
    every guarantee not yet preserved whose period ends within one (`GUARANTEE_ALERT_DAYS`), gives its open case's
    collector one follow-up per expiry date and threshold reached (a new expiry after an interruption alerts
    afresh). Loans without an open, assigned case are counted, not alerted."""
    limitation = alert_threshold(
        selectors.limitation_watch(as_of, max(periods.LIMITATION_ALERT_DAYS)), periods.LIMITATION_ALERT_DAYS
    ).select("loan_id", guarantee_id=pl.lit(""), expires_on="expires_on", days_left="days_left",
             threshold="threshold", kind=pl.lit(LimitationAlert.Kind.LIMITATION.value))  # fmt: skip
    guarantees = alert_threshold(
        selectors.guarantee_watch(as_of, max(periods.GUARANTEE_ALERT_DAYS)), periods.GUARANTEE_ALERT_DAYS
    ).select("loan_id", "guarantee_id", expires_on="ends_on", days_left="days_left", threshold="threshold",
             kind=pl.lit(LimitationAlert.Kind.GUARANTEE.value))  # fmt: skip
    rows = pl.concat([limitation, guarantees]).filter(pl.col("threshold").is_not_null())
    earlier = pl.DataFrame(
        list(LimitationAlert.objects.filter(expires_on__gte=as_of)
             .values_list("kind", "loan_id", "guarantee_id", "expires_on", "threshold_days")),
        schema={"kind": pl.String, "loan_id": pl.String, "guarantee_id": pl.String, "expires_on": pl.Date,
                "done": pl.Int64}, orient="row",
    )  # fmt: skip
    # reminded at this threshold or a nearer one already: nothing new
    fresh = rows.join(
        earlier.group_by("kind", "loan_id", "guarantee_id", "expires_on").agg(done=pl.col("done").min()),
        on=["kind", "loan_id", "guarantee_id", "expires_on"], how="left",
    ).filter(pl.col("done").is_null() | (pl.col("threshold") < pl.col("done")))  # fmt: skip
    targets = fresh.join(_open_cases_by_loan(), on="loan_id", how="left")
    given = targets.filter(pl.col("user_id").is_not_null())
    tasks = []
    for row in given.iter_rows(named=True):
        what = (_("Limitation period of loan %(loan)s expires %(day)s (T-%(left)s): interrupt it or sue")
                if row["kind"] == LimitationAlert.Kind.LIMITATION else
                _("Guarantee %(guarantee)s of loan %(loan)s ends %(day)s (T-%(left)s): preserve it"))  # fmt: skip
        title = what % {"loan": row["loan_id"], "guarantee": row["guarantee_id"], "day": row["expires_on"].isoformat(),
                        "left": row["days_left"]}  # fmt: skip
        tasks.append(Task(case_id=row["case_id"], title=title[:200], due_on=as_of, assigned_to_id=row["user_id"],
                          channel="legal"))  # fmt: skip
    created = Task.objects.bulk_create(tasks)
    LimitationAlert.objects.bulk_create(
        LimitationAlert(kind=row["kind"], loan_id=row["loan_id"], guarantee_id=row["guarantee_id"],
                        expires_on=row["expires_on"], threshold_days=row["threshold"], alerted_on=as_of,
                        task_id=task.pk)
        for row, task in zip(given.iter_rows(named=True), created, strict=True)
    )  # fmt: skip
    _touch((t.case_id for t in created), as_of)
    if created:
        audit.record_many("legal.limitation_alert", "Case", ((str(t.case_id), None, {"task": t.pk, "title": t.title})
                                                              for t in created), actor_label="legal")  # fmt: skip
    return {"limitation_alerts": given.filter(pl.col("kind") == "limitation").height,
            "guarantee_alerts": given.filter(pl.col("kind") == "guarantee").height,
            "alerts_without_case": targets.height - given.height}  # fmt: skip


# --- complaints and batch litigation (issue 8 §§4, 6) ------------------------------------------------------------

BATCH = "LitigationBatch"
COMPLAINT_FILE = "起诉状.docx"
EVIDENCE_LIST_FILE = "证据清单.docx"
PROGRESS_EVERY_S = 0.5  # the progress bar's `done` is written at most this often …
PROGRESS_STEP = 0.01  # … and once at least this share more is done (and at the end)
log = logging.getLogger(__name__)


def complaint_package(matter: Matter, filing_date: dt.date) -> documents.ComplaintPackage:
    """The complaint package (起诉状 and 证据清单) of one matter as of `filing_date`, gathered from the database in a
    fixed number of queries (`selectors.complaint_inputs`) and built by `legal.complaints.build` (the claims within
    the court-recoverable cap as of the filing date — 法发〔2017〕22号 art. 2, 法释〔2020〕17号 arts. 25, 28 —, the
    exhibits, the court under 民事诉讼法 arts. 24, 35). Reads only."""
    return complaint_packages([matter], filing_date)[0]


def complaint_packages(
    matters: Iterable[Matter | int], filing_date: dt.date
) -> list[documents.ComplaintPackage]:
    """The complaint packages of many matters (in the order given), read with a constant number of queries whatever
    their number (bulk reads keyed by matter, loan and case: `selectors.complaint_inputs`). Raises
    `complaints.ComplaintError` naming the first matter whose complaint cannot be made."""
    book = selectors.rulebook()
    return [
        complaints.build(inputs, filing_date, rules=book)
        for inputs in selectors.complaint_inputs(matters, filing_date)
    ]


def _may_draft(actor: User | None) -> None:
    if actor is not None and not can(actor, WORK_LEGAL):
        raise PermissionDenied(_("You may not draft complaints."))


@transaction.atomic
def generate_documents(matter: Matter, *, actor: User, filing_date: dt.date) -> list[EvidenceRecord]:
    """Draft the matter's complaint and evidence list as of `filing_date` (issue 8 §4): both rendered from the
    editable Word templates (`documents.render_complaint`, `render_evidence_list`) and kept in the evidence log with
    `add_document` (hashed, on the matter's timeline; document types "complaint" and "evidence_list", which are never
    exhibits themselves); the claim as drafted is kept on the matter (`Matter.complaint`, and `claim_amount` becomes
    its amount in dispute). Only while a complaint makes sense (`selectors.COMPLAINT_STAGES`)."""
    _may_draft(actor)
    matter = _visible(actor, matter)
    if matter.stage not in selectors.COMPLAINT_STAGES:
        raise DomainError(_("A complaint is drafted once a lawyer has the matter and before it is filed (now %(stage)s).")
                          % {"stage": matter.stage})  # fmt: skip
    package = complaint_package(matter, filing_date)
    amount = display_fen(package.claims.amount)
    complaint = add_document(
        matter, actor=actor, name=COMPLAINT_FILE, data=documents.render_complaint(package), document="complaint",
        summary=_("Complaint as of %(day)s: %(amount)s claimed") % {"day": filing_date.isoformat(), "amount": amount},
    )  # fmt: skip
    evidence = add_document(
        matter, actor=actor, name=EVIDENCE_LIST_FILE, data=documents.render_evidence_list(package),
        document="evidence_list",
        summary=_("Evidence list as of %(day)s: %(count)s exhibits")
        % {"day": filing_date.isoformat(), "count": len(package.evidence.exhibits)},
    )  # fmt: skip
    before = {"claim_amount": matter.claim_amount, "complaint": matter.complaint or None}
    matter.complaint = complaints.snapshot(package, documents=[complaint.pk, evidence.pk])
    matter.claim_amount = package.claims.amount
    matter.save(update_fields=["complaint", "claim_amount"])
    _audit(matter, "complaint", actor, before=before,
           after={"claim_amount": matter.claim_amount, "filing_date": filing_date.isoformat(),
                  "evidence": [complaint.seq, evidence.seq], "warnings": len(package.warnings)})  # fmt: skip
    return [complaint, evidence]


def _listed(pairs: list[tuple[int, str]], limit: int = 20) -> str:
    shown = ", ".join(f"{pk} ({why})" for pk, why in pairs[:limit])
    more = len(pairs) - limit
    return shown + (_(" and %(count)s more") % {"count": more} if more > 0 else "")


@transaction.atomic
def start_packages(matters: Iterable[Matter | int], *, actor: User | None, filing_date: dt.date,
                   criteria: dict[str, Any] | None = None) -> LitigationBatch:  # fmt: skip
    """Queue a litigation batch (issue 8 §6) of `matters` (objects or ids) for complaints as of `filing_date`:
    every matter must be visible to the actor (None: the command line), in a stage a complaint is drafted in
    (`selectors.COMPLAINT_STAGES`: assigned, investigating, drafting — those that may be filed) and have a status
    from the daily close no later than the filing date (the amounts are as of it). Refused as a whole, naming every
    matter refused and why, with nothing created. `criteria`: the filter used, kept with the batch. Run it with
    `run_packages` (or `run_packages_in_background`)."""
    from arrears.delinquency.models import LoanStatus

    _may_draft(actor)
    ids = list(dict.fromkeys(m if isinstance(m, int) else m.pk for m in matters))
    if not ids:
        raise DomainError(_("Choose at least one matter."))
    seen = dict(selectors.visible_matters(actor).filter(pk__in=ids).values_list("pk", "stage"))
    loans = dict(Matter.objects.filter(pk__in=list(seen)).values_list("pk", "loan_ids"))
    dated = dict(LoanStatus.objects.filter(loan_id__in={str(x) for v in loans.values() for x in v})
                 .values_list("loan_id", "as_of"))  # fmt: skip
    refused: list[tuple[int, str]] = []
    for pk in ids:
        stage = seen.get(pk)
        if stage is None:
            refused.append((pk, _("not found")))
        elif stage not in selectors.COMPLAINT_STAGES:
            refused.append((pk, str(lifecycle.STAGE_LABELS.get(stage, stage))))
        elif not any(str(x) in dated for x in loans.get(pk, [])):
            refused.append((pk, _("no status from the daily close")))
        elif (latest := max(dated[str(x)] for x in loans[pk] if str(x) in dated)) > filing_date:
            refused.append(
                (pk, _("amounts as of %(day)s, after the filing date") % {"day": latest.isoformat()})
            )
    if refused:
        raise DomainError(
            _("%(count)s of the matters cannot be put in a batch (a complaint is drafted for matters with a lawyer, "
              "before filing): %(list)s.") % {"count": len(refused), "list": _listed(refused)},
            refused=[pk for pk, _why in refused],
        )  # fmt: skip
    batch = LitigationBatch.objects.create(
        created_by=actor, criteria=jsonable(dict(criteria or {}), "criteria"), matter_ids=ids, filing_date=filing_date, total=len(ids),
    )  # fmt: skip
    audit.record("legal.batch", BATCH, batch.pk, actor=actor, actor_label="" if actor else "cli",
                 after={"status": batch.status, "matters": len(ids), "filing_date": filing_date.isoformat(),
                        "criteria": batch.criteria})  # fmt: skip
    return batch


class _Progress:
    """`package_zip`'s progress callback: writes `done` at most every `PROGRESS_EVERY_S` and `PROGRESS_STEP` of the
    total (and at the end), each write committed on its own so a page polling the batch sees it move."""

    def __init__(self, batch_id: int, total: int, echo: Callable[[int, int], None] | None) -> None:
        self.batch_id, self.total, self.echo = batch_id, total, echo
        self.step = max(1, int(total * PROGRESS_STEP))
        self.last_done, self.last_at = 0, time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done == total or (done - self.last_done >= self.step and now - self.last_at >= PROGRESS_EVERY_S):
            LitigationBatch.objects.filter(pk=self.batch_id).update(done=done, heartbeat_at=timezone.now())
            self.last_done, self.last_at = done, now
            if self.echo is not None:
                self.echo(done, total)


def run_packages(batch_id: int, *, echo: Callable[[int, int], None] | None = None) -> LitigationBatch:
    """Generate a queued batch (idempotent: a batch already running or done is returned as it is; a failed one, or
    one left running by a process that died — no progress for `LitigationBatch.STALE_AFTER` — is run again): the matters' complaint packages (`complaint_packages`, as of the batch's filing date), written into
    one zip (`documents.package_zip`: a folder per matter with 起诉状.docx, 证据清单.docx and manifest.json, and
    index.csv) with the progress in `done`, stored in the evidence blob store (`audit.services.store_blob`); each
    matter keeps the claim as drafted (`Matter.complaint`, `claim_amount`); status done and audited. On any error:
    failed, with the error. Not one transaction: progress is committed as it goes (`echo(done, total)` is told
    too, e.g. the command line's stderr)."""
    now = timezone.now()
    stale = Q(status=LitigationBatch.Status.RUNNING) & (
        Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - LitigationBatch.STALE_AFTER)
    )
    claimed = (
        LitigationBatch.objects.filter(pk=batch_id)
        .filter(Q(status__in=[LitigationBatch.Status.QUEUED, LitigationBatch.Status.FAILED]) | stale)
        .update(status=LitigationBatch.Status.RUNNING, done=0, error="", finished_at=None, heartbeat_at=now)
    )
    batch = LitigationBatch.objects.get(pk=batch_id)
    if not claimed:
        return batch
    try:
        timings: dict[str, float] = {}
        clock = time.perf_counter()
        inputs = selectors.complaint_inputs(batch.matter_ids, batch.filing_date)
        missing = sorted(set(map(int, batch.matter_ids)) - {i.matter.pk for i in inputs})
        if missing:
            raise DomainError(
                _("These matters no longer exist: %(ids)s.") % {"ids": ", ".join(map(str, missing))}
            )
        book = selectors.rulebook()
        timings["gather_s"] = time.perf_counter() - clock
        clock = time.perf_counter()
        packages = [complaints.build(i, batch.filing_date, rules=book) for i in inputs]
        timings["build_s"] = time.perf_counter() - clock
        clock = time.perf_counter()
        root = evidence_root()
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=root, prefix=".batch-") as tmp:
            path = Path(tmp) / f"batch-{batch.pk}.zip"
            result = documents.package_zip(packages, path, progress=_Progress(batch.pk, len(packages), echo))
            size = path.stat().st_size
            sha = audit.store_blob(path)
        timings["zip_s"] = time.perf_counter() - clock
        summary = {
            "packages": result["packages"],
            "evidence_incomplete": len(result["evidence_incomplete"]),
            "warnings": sum(len(p.warnings) for p in packages),
            "with_warnings": sum(1 for p in packages if p.warnings),
            "claim_amount": sum(p.claims.amount for p in packages),
            "timings": {k: round(v, 3) for k, v in timings.items()},
        }
        with transaction.atomic():
            drafted = []
            for package, item in zip(packages, inputs, strict=True):
                matter = item.matter
                matter.complaint = complaints.snapshot(package, batch=batch.pk)
                matter.claim_amount = package.claims.amount
                drafted.append(matter)
            Matter.objects.bulk_update(drafted, ["complaint", "claim_amount"], batch_size=500)
            LitigationBatch.objects.filter(pk=batch.pk).update(
                status=LitigationBatch.Status.DONE, done=len(packages), zip_sha256=sha, zip_size=size,
                summary=summary, finished_at=timezone.now(),
            )  # fmt: skip
            audit.record("legal.batch", BATCH, batch.pk, actor=batch.created_by, actor_label="legal",
                         before={"status": LitigationBatch.Status.RUNNING},
                         after={"status": LitigationBatch.Status.DONE, "zip_sha256": sha, **summary})  # fmt: skip
            audit.record_many("legal.complaint", MATTER, (
                (str(m.pk), None, {"batch": batch.pk, "claim_amount": m.claim_amount,
                                   "filing_date": batch.filing_date.isoformat()}) for m in drafted
            ), actor=batch.created_by, actor_label="legal")  # fmt: skip
    except Exception as exc:  # any failure is the batch's, recorded for the person who started it
        log.exception("litigation batch %s failed", batch_id)
        message = exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
        LitigationBatch.objects.filter(pk=batch_id).update(
            status=LitigationBatch.Status.FAILED, error=message[:4000], finished_at=timezone.now()
        )
        audit.record("legal.batch", BATCH, batch_id, actor_label="legal",
                     after={"status": LitigationBatch.Status.FAILED, "error": message[:500]})  # fmt: skip
    batch.refresh_from_db()
    return batch


def run_packages_in_background(batch_id: int) -> None:
    """Run the batch in a daemon thread of this process once the current transaction commits (so the thread sees
    the batch), closing the thread's database connection at the end. A process that dies meanwhile leaves the batch
    running without a heartbeat: after `LitigationBatch.STALE_AFTER` it may be run again (the batch page offers it)."""

    def work() -> None:
        try:
            run_packages(batch_id)
        finally:
            connection.close()

    transaction.on_commit(lambda: threading.Thread(target=work, name=f"litigation-batch-{batch_id}",
                                                   daemon=True).start())  # fmt: skip


@transaction.atomic
def file_batch(batch: LitigationBatch, *, actor: User, on: dt.date, court: str = "") -> int:
    """File every matter of a generated batch (issue 8 §6): each moves to filed through `advance` (a StageRecord,
    the audit, 民事诉讼法 art. 123: the complaint is submitted to the court), in one transaction, with `court` or the
    matter's own court or the court its complaint names. Refused as a whole, naming every matter that cannot be
    filed (not visible, in another stage, no court). Returns how many were filed."""
    if not can(actor, WORK_LEGAL):
        raise PermissionDenied(_("You may not record the steps of legal matters."))
    batch = LitigationBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != LitigationBatch.Status.DONE:
        raise DomainError(_("Only a generated batch can be filed (this one is %(status)s).")
                          % {"status": batch.get_status_display()})  # fmt: skip
    if (batch.summary or {}).get("filed"):
        raise Conflict(_("This batch was already filed."))
    if on < batch.filing_date:
        raise DomainError(_("The complaints are drafted as of %(day)s: file them on or after it.")
                          % {"day": batch.filing_date.isoformat()})  # fmt: skip
    ids = [int(i) for i in batch.matter_ids]
    matters = {m.pk: m for m in selectors.visible_matters(actor).filter(pk__in=ids)}
    refused: list[tuple[int, str]] = []
    courts: dict[int, str] = {}
    for pk in ids:
        matter = matters.get(pk)
        if matter is None:
            refused.append((pk, _("not found")))
            continue
        if lifecycle.find(matter.stage, lifecycle.FILED) is None:
            refused.append((pk, str(lifecycle.STAGE_LABELS.get(matter.stage, matter.stage))))
            continue
        if on < matter.stage_since:
            refused.append((pk, _("last step on %(day)s") % {"day": matter.stage_since.isoformat()}))
            continue
        courts[pk] = court.strip() or matter.court or str((matter.complaint or {}).get("court") or "")
        if not courts[pk]:
            refused.append((pk, _("no court")))
    if refused:
        raise DomainError(_("%(count)s of the batch's matters cannot be filed: %(list)s. Nothing was filed.")
                          % {"count": len(refused), "list": _listed(refused)},
                          refused=[pk for pk, _why in refused])  # fmt: skip
    for pk in ids:
        advance(matters[pk], lifecycle.FILED, actor=actor, on=on, court=courts[pk],
                reason=_("filed with litigation batch %(batch)s") % {"batch": batch.pk})  # fmt: skip
    batch.summary = {
        **(batch.summary or {}),
        "filed": {"on": on.isoformat(), "count": len(ids), "by": actor.pk},
    }
    batch.save(update_fields=["summary"])
    audit.record("legal.batch", BATCH, batch.pk, actor=actor,
                 after={"filed": len(ids), "on": on.isoformat()})  # fmt: skip
    return len(ids)
