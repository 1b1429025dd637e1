"""Writes of the compliance app, each in a transaction with its audit event: the guard's check (every decision
kept), the ledger of contacts that happened, holds, consents, and rule-pack versions approved with four eyes.

Who may do what: a collector (`work_cases`) may place a cease-contact or dispute hold on a borrower they see (at
the borrower's request) and record a consent with its evidence; the compliance officer (`manage_compliance`)
places and lifts any hold and edits and approves packs (never their own). `actor=None` is the system (the
strategy, a payment plan's start and end), which may do all of it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from pydantic import ValidationError

from arrears.accounts.models import User
from arrears.accounts.roles import MANAGE_COMPLIANCE, WORK_CASES, can
from arrears.accounts.selectors import visible_borrowers
from arrears.audit import services as audit
from arrears.compliance import guard, selectors
from arrears.compliance.models import (
    Consent,
    ConsentKind,
    ContactHold,
    ContactLedger,
    GuardDecision,
    HoldKind,
    PackAssignment,
    PackStatus,
    RulePack,
    Scope,
)
from arrears.core.errors import DomainError, NotFound, PermissionDenied
from arrears.portfolio.models import Borrower, Loan

SHA256 = re.compile(r"^[0-9a-f]{64}$")
REQUEST_HOLDS = frozenset({HoldKind.CEASE_CONTACT, HoldKind.DISPUTE})  # a collector places them on request


def _denied() -> PermissionDenied:
    return PermissionDenied(_("You may not do this."))


def _require(actor: User | None, *capabilities: str) -> None:
    if actor is not None and not any(can(actor, c) for c in capabilities):
        raise _denied()


def _require_visible(actor: User | None, borrower_id: str) -> None:
    """The borrower must exist and, for a person, be one they see (a borrower they may not see is not found)."""
    borrowers = Borrower.objects.all() if actor is None else visible_borrowers(actor)
    if not borrowers.filter(pk=borrower_id).exists():
        raise NotFound(_("Borrower %(id)s not found.") % {"id": borrower_id}, borrower_id=borrower_id)


def _offset_minutes(at: dt.datetime) -> int:
    offset = at.utcoffset()
    assert offset is not None
    return int(offset.total_seconds() // 60)


# --- the guard -----------------------------------------------------------------------------------------------


def check(
    attempt: guard.Attempt,
    *,
    borrower_id: str,
    case_id: int | None = None,
    lender: str,
    lender_type: str = "",
    actor: User | None = None,
    dry_run: bool = False,
) -> guard.Decision:
    """Ask the guard whether `attempt` may happen now, and keep its answer (`GuardDecision`; denials are also
    audited). `dry_run` answers without keeping anything (the answer shown before sending).

    The pack is the one in force for the portfolio (`lender`, its type) on the attempt's local date. The debt's
    loan, when it is one, supplies the lender, its type and the product when not given. The holds are the
    borrower's; the consent is what the borrower gave with evidence (`Consent` rows), whatever the attempt says;
    the history is rebuilt from the ledger. Returns the decision in the active language."""
    _require(actor, WORK_CASES, MANAGE_COMPLIANCE)
    if actor is not None:
        _require_visible(actor, borrower_id)
    loan = (
        Loan.objects.filter(pk=attempt.debt_id)
        .values("borrower_id", "lender", "lender_type", "product_type")
        .first()
    )
    if loan is not None:
        if loan["borrower_id"] != borrower_id:
            raise DomainError(
                _("Loan %(loan)s is not borrower %(borrower)s's.")
                % {"loan": attempt.debt_id, "borrower": borrower_id}
            )
        lender = lender or loan["lender"]
        lender_type = lender_type or loan["lender_type"]
        product_type = attempt.product_type or loan["product_type"]
    else:
        product_type = attempt.product_type
    day = attempt.at.date()
    row, pack = selectors.pack_for(lender, lender_type, day)
    attempt = dataclasses.replace(
        attempt,
        debtor=borrower_id,
        product_type=product_type,
        consent=selectors.consent_kinds(borrower_id, attempt, pack),
    )
    history = selectors.history_for(pack, attempt, borrower_id)
    decision = guard.decide(pack, attempt, history, selectors.guard_holds(borrower_id))
    if not dry_run:
        _keep(decision, attempt, borrower_id=borrower_id, case_id=case_id, row=row, actor=actor)
    return decision


def decide(
    attempt: guard.Attempt,
    *,
    borrower_id: str,
    lender: str,
    lender_type: str = "",
    case_id: int | None = None,
    actor: User | None = None,
) -> guard.Decision:
    """The guard's answer without keeping it: `check(..., dry_run=True)` (the answer shown before sending)."""
    return check(
        attempt,
        borrower_id=borrower_id,
        case_id=case_id,
        lender=lender,
        lender_type=lender_type,
        actor=actor,
        dry_run=True,
    )


@transaction.atomic
def _keep(
    decision: guard.Decision,
    attempt: guard.Attempt,
    *,
    borrower_id: str,
    case_id: int | None,
    row: RulePack,
    actor: User | None,
) -> GuardDecision:
    with translation.override("en"):
        english = (
            guard.render_reason(decision.message, decision.params) if decision.message else decision.reason
        )
    kept = GuardDecision.objects.create(
        decided_at=timezone.now(),
        at=attempt.at,
        utc_offset_minutes=_offset_minutes(attempt.at),
        channel=attempt.channel,
        party=attempt.party,
        address=attempt.address,
        debt_id=attempt.debt_id,
        borrower_id=borrower_id,
        outcome=attempt.outcome or "",
        collectors=attempt.collectors,
        product_type=attempt.product_type,
        has_opt_out=attempt.has_opt_out,
        discloses_debt=attempt.discloses_debt,
        consent=sorted(attempt.consent),
        purpose=attempt.purpose,
        allowed=decision.allowed,
        rule=decision.rule or "",
        reason=english,
        message=decision.message,
        params=dict(decision.params),
        pack_code=row.code,
        pack_version=row.version,
        case_id=case_id,
        actor=actor,
    )
    if not decision.allowed:
        audit.record(
            "compliance.contact_denied",
            "GuardDecision",
            kept.pk,
            actor=actor,
            after={
                "rule": decision.rule,
                "channel": attempt.channel,
                "party": attempt.party,
                "debt_id": attempt.debt_id,
                "borrower_id": borrower_id,
                "case_id": case_id,
                "pack": f"{row.code} v{row.version}",
            },
            note=english,
        )
    return kept


@transaction.atomic
def record_contact(
    attempt: guard.Attempt,
    *,
    borrower_id: str,
    case_id: int | None = None,
    actor: User | None = None,
) -> ContactLedger:
    """A contact that happened (after the guard allowed it), with its outcome: appended to the ledger the guard
    counts. The ledger is append-only and is itself the record (no audit event per contact)."""
    if not Borrower.objects.filter(pk=borrower_id).exists():
        raise NotFound(_("Borrower %(id)s not found.") % {"id": borrower_id}, borrower_id=borrower_id)
    return ContactLedger.objects.create(
        at=attempt.at,
        utc_offset_minutes=_offset_minutes(attempt.at),
        channel=attempt.channel,
        party=attempt.party,
        address=attempt.address,
        debt_id=attempt.debt_id,
        borrower_id=borrower_id,
        outcome=attempt.outcome or "",
        purpose=attempt.purpose,
        collectors=max(0, attempt.collectors),
        case_id=case_id,
        recorded_by=actor,
    )


# --- holds and consent ------------------------------------------------------------------------------------------


def _evidence(value: str) -> str:
    value = (value or "").strip().lower()
    if value and not SHA256.match(value):
        raise DomainError(_("The evidence hash must be a SHA-256: 64 hexadecimal characters."))
    return value


@transaction.atomic
def place_hold(
    borrower_id: str,
    kind: str,
    *,
    actor: User | None,
    reason: str,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    loan_id: str | None = None,
    evidence_sha256: str = "",
) -> ContactHold:
    """Hold contact with a borrower (or about one of their loans). The compliance officer places any hold; a
    collector only a cease-contact or dispute hold, at the borrower's request, on a borrower they see."""
    if kind not in HoldKind.values:
        raise DomainError(_("Unknown hold kind %(kind)s.") % {"kind": kind})
    if (
        actor is not None
        and not can(actor, MANAGE_COMPLIANCE)
        and not (can(actor, WORK_CASES) and kind in REQUEST_HOLDS)
    ):
        raise _denied()
    _require_visible(actor, borrower_id)
    if not reason.strip():
        raise DomainError(_("Give the reason for the hold."))
    if ends_on is not None and ends_on < starts_on:
        raise DomainError(_("A hold cannot end before it starts."))
    if loan_id and not Loan.objects.filter(pk=loan_id, borrower_id=borrower_id).exists():
        raise NotFound(
            _("Loan %(loan)s of borrower %(borrower)s not found.")
            % {"loan": loan_id, "borrower": borrower_id}
        )
    hold = ContactHold.objects.create(
        borrower_id=borrower_id,
        loan_id=loan_id or None,
        kind=kind,
        soft=kind in guard.SOFT_HOLD_KINDS,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason.strip(),
        evidence_sha256=_evidence(evidence_sha256),
        created_by=actor,
    )
    audit.record(
        "compliance.hold_placed",
        "ContactHold",
        hold.pk,
        actor=actor,
        after={
            "borrower_id": borrower_id,
            "loan_id": loan_id,
            "kind": kind,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat() if ends_on else None,
        },
        note=hold.reason,
    )
    return hold


@transaction.atomic
def lift_hold(hold: ContactHold | int, *, actor: User | None, reason: str) -> ContactHold:
    """Lift a hold (the compliance officer only; the system when a payment plan ends)."""
    _require(actor, MANAGE_COMPLIANCE)
    pk = hold.pk if isinstance(hold, ContactHold) else hold
    row = ContactHold.objects.select_for_update().filter(pk=pk).first()
    if row is None:
        raise NotFound(_("Hold %(id)s not found.") % {"id": pk})
    if row.lifted_at is not None:
        raise DomainError(_("This hold was already lifted."))
    if not reason.strip():
        raise DomainError(_("Give the reason for lifting the hold."))
    row.lifted_by, row.lifted_at, row.lift_reason = actor, timezone.now(), reason.strip()
    row.save(update_fields=["lifted_by", "lifted_at", "lift_reason"])
    audit.record(
        "compliance.hold_lifted",
        "ContactHold",
        row.pk,
        actor=actor,
        before={"kind": row.kind, "borrower_id": row.borrower_id},
        after={"lifted": True},
        note=row.lift_reason,
    )
    return row


@transaction.atomic
def record_consent(
    borrower_id: str,
    kind: str,
    *,
    actor: User | None,
    evidence_sha256: str,
    valid_from: dt.datetime,
    valid_until: dt.datetime,
    channel: str = "",
    note: str = "",
) -> Consent:
    """The borrower's consent to contact outside the hours ("time_window") or beyond the limits ("frequency"),
    with its evidence (the recording's or document's SHA-256). Whether it lifts anything is the pack's call."""
    _require(actor, WORK_CASES, MANAGE_COMPLIANCE)
    if kind not in ConsentKind.values:
        raise DomainError(_("Unknown consent kind %(kind)s.") % {"kind": kind})
    if channel and channel not in guard.CHANNELS:
        raise DomainError(_("Unknown channel %(channel)s.") % {"channel": channel})
    evidence = _evidence(evidence_sha256)
    if not evidence:
        raise DomainError(_("Consent needs its evidence: the SHA-256 of the recording or document."))
    if valid_from.utcoffset() is None or valid_until.utcoffset() is None:
        raise DomainError(_("Give the consent's times with their UTC offset."))
    if valid_until <= valid_from:
        raise DomainError(_("A consent must end after it starts."))
    _require_visible(actor, borrower_id)
    consent = Consent.objects.create(
        borrower_id=borrower_id,
        kind=kind,
        channel=channel,
        evidence_sha256=evidence,
        valid_from=valid_from,
        valid_until=valid_until,
        note=note,
        recorded_by=actor,
    )
    audit.record(
        "compliance.consent_recorded",
        "Consent",
        consent.pk,
        actor=actor,
        after={
            "borrower_id": borrower_id,
            "kind": kind,
            "channel": channel,
            "valid_from": valid_from.isoformat(),
            "valid_until": valid_until.isoformat(),
            "evidence_sha256": evidence,
        },
        note=note,
    )
    return consent


# --- rule packs --------------------------------------------------------------------------------------------------


def validate_pack(definition: Any) -> guard.Pack:
    """The definition as a pack, or a DomainError naming every problem."""
    try:
        return guard.parse_pack(definition)
    except ValidationError as exc:
        raise selectors.validation_error(exc) from exc
    except ValueError as exc:  # bad JSON text
        raise DomainError(_("The rule pack is not valid: %(problems)s") % {"problems": str(exc)}) from exc


def seed_packs(**kwargs: Any) -> None:
    """post_migrate: the shipped packs (approved version 1 of each code without any version) and the default
    assignment (every portfolio → cn-cba-2026) when there is none, so `flush` gets them back too."""
    codes = set(RulePack.objects.values_list("code", flat=True))
    for code in selectors.SHIPPED_PACKS:
        if code in codes:
            continue
        data = selectors.fixture(code)
        if data is None:
            continue
        validate_pack(data["definition"])
        RulePack.objects.create(
            code=code,
            version=1,
            effective_from=dt.date.fromisoformat(data["effective_from"]),
            definition=data["definition"],
            status=PackStatus.APPROVED,
            note=data.get("note", "shipped with Arrears"),
            approved_at=timezone.now(),
        )
    if not PackAssignment.objects.exists():
        PackAssignment.objects.create(
            scope=Scope.DEFAULT,
            value="*",
            pack_code=selectors.DEFAULT_PACK,
            effective_from=dt.date(2000, 1, 1),
            note="shipped with Arrears",
        )


@transaction.atomic
def save_pack(
    definition: Any,
    *,
    effective_from: dt.date,
    actor: User | None,
    note: str = "",
    draft: RulePack | None = None,
) -> RulePack:
    """A new draft version of the definition's code (the next version number), or a change to `draft`. Approved
    versions never change: a change is a new version with its own effective date, approved by someone else."""
    _require(actor, MANAGE_COMPLIANCE)
    if isinstance(definition, str | bytes):
        try:
            definition = json.loads(definition)
        except ValueError as exc:
            raise DomainError(_("The rule pack is not valid JSON: %(error)s") % {"error": str(exc)}) from exc
    pack = validate_pack(definition)
    before = None
    if draft is not None:
        row = RulePack.objects.select_for_update().get(pk=draft.pk)
        if row.status != PackStatus.DRAFT:
            raise DomainError(
                _("Version %(version)s of %(code)s is approved; save the change as a new version.")
                % {"version": row.version, "code": row.code}
            )
        if row.code != pack.code:
            raise DomainError(_("A draft keeps its code (%(code)s).") % {"code": row.code})
        before = row.definition
        row.edited_by, row.edited_at = actor, timezone.now()
    else:
        version = (RulePack.objects.filter(code=pack.code).aggregate(v=Max("version"))["v"] or 0) + 1
        row = RulePack(code=pack.code, version=version, created_by=actor)
    row.definition, row.effective_from, row.note = definition, effective_from, note
    row.save()
    audit.record(
        "compliance.pack_saved",
        "RulePack",
        row.pk,
        actor=actor,
        before=before,
        after={"code": row.code, "version": row.version, "effective_from": effective_from.isoformat(),
               "definition": definition},
        note=note,
    )  # fmt: skip
    return row


@transaction.atomic
def approve_pack(row: RulePack, *, actor: User | None) -> RulePack:
    """Approve a draft: the guard uses it from its effective date. Not by its author or last editor."""
    _require(actor, MANAGE_COMPLIANCE)
    row = RulePack.objects.select_for_update().get(pk=row.pk)
    if row.status != PackStatus.DRAFT:
        raise DomainError(_("Only a draft can be approved."))
    if actor is not None and actor.pk in {row.created_by_id, row.edited_by_id}:
        raise PermissionDenied(_("Someone other than its author must approve it."))
    validate_pack(row.definition)
    row.status, row.approved_by, row.approved_at = PackStatus.APPROVED, actor, timezone.now()
    row.save(update_fields=["status", "approved_by", "approved_at"])
    audit.record(
        "compliance.pack_approved",
        "RulePack",
        row.pk,
        actor=actor,
        after={"code": row.code, "version": row.version, "status": row.status},
    )
    return row


@transaction.atomic
def assign_pack(
    scope: str, value: str, pack_code: str, *, effective_from: dt.date, actor: User | None, note: str = ""
) -> PackAssignment:
    """Use `pack_code` for a lender, a lender type or every portfolio (`*`) from a date."""
    _require(actor, MANAGE_COMPLIANCE)
    if scope not in Scope.values:
        raise DomainError(_("Unknown scope %(scope)s.") % {"scope": scope})
    value = "*" if scope == Scope.DEFAULT else value.strip()
    if not value:
        raise DomainError(_("Name the lender or lender type."))
    if not RulePack.objects.filter(code=pack_code).exists():
        raise NotFound(_("No rule pack %(code)s.") % {"code": pack_code})
    row, _created = PackAssignment.objects.update_or_create(
        scope=scope,
        value=value,
        effective_from=effective_from,
        defaults={"pack_code": pack_code, "note": note, "created_by": actor},
    )
    audit.record(
        "compliance.pack_assigned",
        "PackAssignment",
        row.pk,
        actor=actor,
        after={
            "scope": scope,
            "value": value,
            "pack": pack_code,
            "effective_from": effective_from.isoformat(),
        },
        note=note,
    )
    return row
