"""Writes of the contact app. Every contact attempt asks the compliance guard first (`compliance.services.check`,
which records the decision); a denied one does not happen. Every communication that happens is appended to the
evidence log (`audit.services.append_evidence`), counted in the guard's ledger (`compliance.services.
record_contact`) and shown on the case's timeline (an audit event on the case).

Outbound messages go through the outbox: `send_message` queues a row; `deliver_due` claims due rows before it
hands them to their channel (so two workers never take the same row and a crash never sends twice), retries
failures worth retrying with exponential backoff, and `recover_stale` settles claims a crash left behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import uuid
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.template import Context
from django.template import Template as DjangoTemplate
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears.accounts.models import User
from arrears.accounts.roles import MANAGE_CASES, MANAGE_COMPLIANCE, WORK_CASES, can
from arrears.audit import services as audit
from arrears.cases import services as case_services
from arrears.cases.models import Case
from arrears.compliance import services as compliance
from arrears.compliance.guard import Attempt, Decision
from arrears.conf import get_settings
from arrears.contact import selectors
from arrears.contact.channels import ChannelError, Outgoing, channel_for, click_to_call
from arrears.contact.models import ELECTRONIC, Call, CreditorProfile, Message, Template, Visit
from arrears.core.errors import DomainError, PermissionDenied
from arrears.core.money import display_fen

MAX_TRIES = 6
BACKOFF = dt.timedelta(minutes=1)  # 1, 2, 4, 8, 16 minutes between tries
STALE_CLAIM = dt.timedelta(minutes=10)
VARIABLES = ["borrower_name", "creditor", "creditor_phone", "creditor_address", "dispute_instructions",
             "amount_overdue", "max_dpd", "loan_ids", "case_id", "as_of"]  # fmt: skip
OPT_OUT = {"zh-hans": "回复TD退订", "en": "Reply STOP to opt out"}


ADDRESS_KIND = {
    "sms": "phone",
    "chat": "phone",
    "email": "email",
    "letter": "address",
}  # what each channel needs
PARTIES = {"debtor", "guarantor", "third_party"}


def _check_party(party: str) -> None:
    if party not in PARTIES:
        raise DomainError(_("Unknown party %(party)s; known: %(known)s.") % {"party": party,
                                                                        "known": ", ".join(sorted(PARTIES))})  # fmt: skip


def _require(actor: User | None, capability: str = WORK_CASES) -> None:
    if actor is not None and not can(actor, capability):
        raise PermissionDenied(_("You may not contact borrowers."))


# --- templates ----------------------------------------------------------------------------------------------


@transaction.atomic
def save_template(code: str, *, channel: str, body: str, language: str = "zh-hans", subject: str = "",
                  purpose: str = Template.Purpose.REMINDER, discloses_debt: bool = True, opt_out: bool = True,
                  docx: bytes | None = None, actor: User | None = None) -> Template:  # fmt: skip
    """A new version of a template (never an edit of one in use); it needs approval before its first use. The
    body must render with the known variables."""
    _render_text(body, _sample_context())  # refuses unknown syntax now rather than at sending
    latest = Template.objects.filter(code=code, language=language).order_by("-version").first()
    template = Template.objects.create(
        code=code, version=(latest.version + 1) if latest else 1, channel=channel, language=language,
        subject=subject, body=body, purpose=purpose, discloses_debt=discloses_debt, opt_out=opt_out, docx=docx,
        created_by=actor,
    )  # fmt: skip
    audit.record("contact.template", "Template", template.pk, actor=actor, actor_label="" if actor else "cli",
                 after={"code": code, "version": template.version, "language": language})  # fmt: skip
    return template


@transaction.atomic
def approve_template(template: Template, *, actor: User) -> Template:
    """Four eyes: a compliance officer who did not write it."""
    if not can(actor, MANAGE_COMPLIANCE):
        raise PermissionDenied(_("You may not approve message templates."))
    if template.created_by_id == actor.pk:
        raise DomainError(_("A template cannot be approved by its author."))
    if template.approved:
        raise DomainError(_("This template version is already approved."))
    template.approved_by, template.approved_at = actor, timezone.now()
    template.save(update_fields=["approved_by", "approved_at"])
    audit.record("contact.template_approved", "Template", template.pk, actor=actor)
    return template


def _render_text(text: str, context: dict[str, Any]) -> str:
    try:
        return DjangoTemplate(text).render(Context(context, autoescape=False))
    except Exception as exc:  # a TemplateSyntaxError, said in the user's words
        raise DomainError(_("The template does not render: %(error)s") % {"error": exc}) from None


def _sample_context() -> dict[str, Any]:
    return dict.fromkeys(VARIABLES, "…")


def context_for(case: Case) -> dict[str, Any]:
    """The variables a template may use, for a case (amounts in yuan as people read them)."""
    creditor = CreditorProfile.objects.filter(lender=case.lender).first()
    return {
        "borrower_name": case.borrower.name,
        "creditor": creditor.display_name if creditor else case.lender,
        "creditor_phone": creditor.phone if creditor else "",
        "creditor_address": creditor.address if creditor else "",
        "dispute_instructions": creditor.dispute_instructions if creditor else "",
        "amount_overdue": display_fen(case.total_overdue),
        "max_dpd": case.max_dpd,
        "loan_ids": ", ".join(case.loan_ids),
        "case_id": case.pk,
        "as_of": case.as_of.isoformat(),
    }


def render(template: Template, case: Case) -> tuple[str, str]:
    """(subject, body) of a template for a case; electronic messages end with the opt-out when the template
    carries one."""
    context = context_for(case)
    body = _render_text(template.body, context).strip()
    if template.opt_out and template.channel in ELECTRONIC:
        body = f"{body}\n{OPT_OUT.get(template.language, OPT_OUT['en'])}"
    return _render_text(template.subject, context).strip(), body


# --- the guard ----------------------------------------------------------------------------------------------


def local_now(case: Case, now: dt.datetime | None = None) -> dt.datetime:
    """The contacted person's local time: the borrower's time zone (`extra.timezone`) or the system's."""
    name = (case.borrower.extra or {}).get("timezone") or get_settings().time_zone
    try:
        zone = zoneinfo.ZoneInfo(str(name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo(get_settings().time_zone)
    return (now or timezone.now()).astimezone(zone)


def _attempt(case: Case, channel: str, party: str, address: str, *, at: dt.datetime, outcome: str | None = None,
             collectors: int = 1, template: Template | None = None, purpose: str = "") -> Attempt:  # fmt: skip
    return Attempt(
        at=at, channel=channel, party=party, address=address, debt_id=case.loan_ids[0] if case.loan_ids else "",
        outcome=outcome, collectors=collectors, product_type=case.product_type,
        has_opt_out=bool(template and template.opt_out), discloses_debt=template.discloses_debt if template else False,
        purpose=purpose or (template.purpose if template else ""),
    )  # fmt: skip


def ask_guard(case: Case, attempt: Attempt, *, actor: User | None, record: bool = True) -> Decision:
    """The guard's decision on an attempt (recorded, and appended to the evidence log, unless `record` is
    False: the preview shown before sending)."""
    if not record:
        return compliance.decide(attempt, borrower_id=case.borrower_id, lender=case.lender)
    decision = compliance.check(attempt, borrower_id=case.borrower_id, case_id=case.pk, lender=case.lender,
                                actor=actor)  # fmt: skip
    audit.append_evidence(
        "guard.decision", case_id=case.pk, borrower_id=case.borrower_id, loan_ids=list(case.loan_ids),
        payload={"channel": attempt.channel, "party": attempt.party, "address": attempt.address,
                 "at": attempt.at.isoformat(), "allowed": decision.allowed, "rule": decision.rule,
                 "reason": decision.reason},
        actor=actor, actor_label="" if actor else "outbox",
    )  # fmt: skip
    return decision


def _happened(case: Case, attempt: Attempt, kind: str, *, actor: User | None, subject: tuple[str, Any],
              payload: dict[str, Any], content: bytes | None = None, content_sha256: str | None = None,
              files: list[tuple[str, bytes]] | None = None, note: str = "") -> None:  # fmt: skip
    """A contact that happened: the guard's ledger, the evidence log and the case's timeline."""
    compliance.record_contact(attempt, borrower_id=case.borrower_id, case_id=case.pk, actor=actor)
    audit.append_evidence(
        kind, case_id=case.pk, borrower_id=case.borrower_id, loan_ids=list(case.loan_ids), subject_type=subject[0],
        subject_id=subject[1], payload=payload, content=content, content_sha256=content_sha256, files=files or [],
        actor=actor,
        actor_label="" if actor else "outbox",
    )  # fmt: skip
    audit.record("case.contact", "Case", case.pk, actor=actor, actor_label="" if actor else "outbox",
                 after={"channel": attempt.channel, "party": attempt.party, **payload.get("summary", {})},
                 note=note[:500])  # fmt: skip


# --- messages -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    subject: str
    body: str
    decision: Decision


def preview(
    case: Case, template: Template, *, party: str, address: str, actor: User | None = None
) -> Preview:
    """What would be sent and what the guard would say now — shown before sending; nothing is recorded."""
    subject, body = render(template, case)
    attempt = _attempt(case, template.channel, party, address, at=local_now(case), template=template)
    return Preview(subject, body, ask_guard(case, attempt, actor=actor, record=False))


@transaction.atomic
def send_message(case: Case, template: Template, *, party: str, address: str, actor: User | None = None,
                 source: str = "person", key: str = "") -> Message:  # fmt: skip
    """Queue a message from an approved template. The guard is asked when it is handed to its channel (the
    moment of contact); a message the guard would deny now is refused at once with its reason."""
    _require(actor)
    _check_party(party)
    if not case.is_open:
        raise DomainError(_("This case is closed."))
    if not template.approved:
        raise DomainError(_("Template %(template)s is not approved yet.") % {"template": template})
    kind = ADDRESS_KIND[template.channel]
    known = {
        (a["party"], a["value"]) for a in selectors.addresses(case, full_pii=True) if a["channel"] == kind
    }
    if (party, address.strip()) not in known:
        raise DomainError(_("This %(kind)s is not one of the case's %(party)s addresses.")
                          % {"kind": kind, "party": party})  # fmt: skip
    shown = preview(case, template, party=party, address=address, actor=actor)
    if not shown.decision.allowed:
        raise DomainError(
            _("The compliance guard refuses this message: %(reason)s") % {"reason": shown.decision.reason}
        )
    message = Message.objects.create(
        key=key or uuid.uuid4().hex, case=case, channel=template.channel, party=party, address=address.strip(),
        template=template, purpose=template.purpose, subject=shown.subject, body=shown.body,
        content_sha256=hashlib.sha256(shown.body.encode()).hexdigest(), next_try_at=timezone.now(), source=source,
        created_by=actor,
    )  # fmt: skip
    audit.record("contact.queued", "Message", message.pk, actor=actor, actor_label="" if actor else source,
                 after={"case": case.pk, "channel": message.channel, "template": template.code})  # fmt: skip
    return message


def deliver_due(now: dt.datetime | None = None, limit: int = 100, callback_url: str = "",
                only: list[int] | None = None) -> dict[str, int]:  # fmt: skip
    """Hand the due queued messages (or only these) to their channels: claim them (one transaction; rows another
    worker holds are skipped), then for each ask the guard, send, and record what happened. Returns counts by
    outcome."""
    now = now or timezone.now()
    counts = {"sent": 0, "denied": 0, "retry": 0, "failed": 0}
    for message_id in _claim(now, limit, only):
        try:
            counts[_deliver(message_id, now, callback_url)] += 1
        except Exception as exc:  # one message's failure never strands the others of the round
            # it may have failed after the hand-off: resend only through a channel that de-duplicates
            stuck = Message.objects.filter(pk=message_id, status=Message.Status.SENDING)
            channel = stuck.values_list("channel", flat=True).first()
            again = channel is not None and channel_for(channel).idempotent
            stuck.update(status=Message.Status.QUEUED if again else Message.Status.UNCERTAIN,
                         next_try_at=now + BACKOFF, error=f"{type(exc).__name__}: {exc}"[:2000])  # fmt: skip
            counts["retry" if again else "failed"] += 1
    return counts


@transaction.atomic
def _claim(now: dt.datetime, limit: int, only: list[int] | None) -> list[int]:
    due = Message.objects.select_for_update(skip_locked=True).filter(status=Message.Status.QUEUED,
                                                                    next_try_at__lte=now)  # fmt: skip
    if only is not None:
        due = due.filter(pk__in=only)
    ids = list(due.order_by("next_try_at", "pk").values_list("pk", flat=True)[:limit])
    Message.objects.filter(pk__in=ids).update(status=Message.Status.SENDING, claimed_at=now)
    return ids


def _deliver(message_id: int, now: dt.datetime, callback_url: str) -> str:
    """One claimed message: the guard (recorded in its own transaction), the hand-off (outside any transaction:
    a slow gateway must not hold the database), then what happened (one transaction). A crash between the
    hand-off and the record leaves the claim for `recover_stale`."""
    message = Message.objects.select_related("case__borrower", "template").get(pk=message_id)
    case = message.case
    attempt = _attempt(case, message.channel, message.party, message.address, at=local_now(case, now),
                       template=message.template, purpose=message.purpose)  # fmt: skip
    with transaction.atomic():
        decision = ask_guard(case, attempt, actor=None)
        if not decision.allowed:
            message.status, message.rule, message.reason = (
                Message.Status.DENIED,
                decision.rule or "",
                decision.reason,
            )
            message.save(update_fields=["status", "rule", "reason"])
            return "denied"
    message.tries += 1
    try:
        handoff = channel_for(message.channel).send(
            Outgoing(
                message.key, message.channel, message.address, message.subject, message.body, callback_url
            )
        )
    except ChannelError as exc:
        message.error = str(exc)
        if exc.retryable and message.tries < MAX_TRIES:
            message.status, message.next_try_at = (
                Message.Status.QUEUED,
                now + BACKOFF * 2 ** (message.tries - 1),
            )
            message.save(update_fields=["status", "next_try_at", "tries", "error"])
            return "retry"
        message.status = Message.Status.FAILED
        message.save(update_fields=["status", "tries", "error"])
        return "failed"
    with transaction.atomic():
        message.status, message.sent_at, message.provider_id = Message.Status.SENT, now, handoff.reference
        message.rule, message.reason, message.error = decision.rule or "", decision.reason, ""
        message.save()
        files = _letter_files(message) if message.channel == "letter" else []
        _happened(case, attempt, f"contact.{message.channel}", actor=None, subject=("Message", message.pk),
                  payload={"to": message.address, "party": message.party, "subject": message.subject,
                           "reference": handoff.reference,
                           "template": message.template.code if message.template else "",
                           "summary": {"message": message.pk, "status": "sent"}},
                  content=message.body.encode(), files=files)  # fmt: skip
    return "sent"


def recover_stale(now: dt.datetime | None = None) -> dict[str, int]:
    """Claims older than `STALE_CLAIM` were interrupted (a crash between claiming and recording the hand-off).
    Through a channel that de-duplicates by key, queue them again (a resend is harmless); otherwise the message
    may or may not have gone out: mark it uncertain for a person to check, never resend blindly."""
    now = now or timezone.now()
    stale = Message.objects.filter(status=Message.Status.SENDING, claimed_at__lt=now - STALE_CLAIM)
    idempotent = [name for name in ("sms", "chat", "email", "letter") if channel_for(name).idempotent]
    requeued = stale.filter(channel__in=idempotent).update(status=Message.Status.QUEUED, next_try_at=now)
    uncertain = stale.exclude(channel__in=idempotent).update(status=Message.Status.UNCERTAIN)
    return {"requeued": requeued, "uncertain": uncertain}


@transaction.atomic
def resolve_uncertain(message: Message, *, sent: bool, actor: User | None, note: str) -> Message:
    """A person settles an `uncertain` message after checking with its channel (the SMTP server's log, the
    provider's console): it went out (`sent`: recorded as `_deliver` records a hand-off, at the time it was
    claimed — the guard allowed it then — in the evidence log, the guard's ledger and the case's timeline), or it
    did not (queued again; the guard is asked again when it is handed over). The note says what was checked."""
    if actor is not None and not (can(actor, MANAGE_CASES) or can(actor, MANAGE_COMPLIANCE)):
        raise PermissionDenied(_("You may not settle messages in the outbox."))
    if not note.strip():
        raise DomainError(_("Say what you checked with the channel."))
    message = (
        Message.objects.select_for_update(of=("self",))
        .select_related("case__borrower", "template")
        .get(pk=message.pk)
    )
    if message.status != Message.Status.UNCERTAIN:
        raise DomainError(_("Only an uncertain message can be settled; this one is %(status)s.")
                          % {"status": message.get_status_display()})  # fmt: skip
    now = timezone.now()
    if sent:
        case = message.case
        at = message.claimed_at or now
        attempt = _attempt(case, message.channel, message.party, message.address, at=local_now(case, at),
                           template=message.template, purpose=message.purpose)  # fmt: skip
        message.status, message.sent_at, message.error = Message.Status.SENT, at, ""
        message.save(update_fields=["status", "sent_at", "error"])
        files = _letter_files(message) if message.channel == "letter" else []
        _happened(case, attempt, f"contact.{message.channel}", actor=actor, subject=("Message", message.pk),
                  payload={"to": message.address, "party": message.party, "subject": message.subject,
                           "reference": message.provider_id,
                           "template": message.template.code if message.template else "",
                           "settled": note.strip(), "summary": {"message": message.pk, "status": "sent"}},
                  content=message.body.encode(), files=files)  # fmt: skip
    else:
        message.status, message.next_try_at, message.claimed_at = Message.Status.QUEUED, now, None
        message.save(update_fields=["status", "next_try_at", "claimed_at"])
    audit.record("contact.settled", "Message", message.pk, actor=actor, actor_label="" if actor else "cli",
                 before={"status": Message.Status.UNCERTAIN}, after={"status": message.status},
                 note=note.strip()[:500])  # fmt: skip
    return message


@transaction.atomic
def receipt(reference: str, status: str, *, at: dt.datetime | None = None) -> Message:
    """A delivery receipt from a gateway (by its reference or our key)."""
    message = Message.objects.select_for_update().filter(Q(provider_id=reference) | Q(key=reference)).first()
    if message is None:
        raise DomainError(_("No message has the reference %(reference)s.") % {"reference": reference})
    at = at or timezone.now()
    if status == "delivered":
        message.status, message.delivered_at = Message.Status.DELIVERED, at
    elif status == "failed":
        message.status, message.error = Message.Status.FAILED, _("the gateway could not deliver it")
    else:
        raise DomainError(_("Unknown receipt status %(status)s.") % {"status": status})
    message.save(update_fields=["status", "delivered_at", "error"])
    audit.append_evidence("contact.receipt", case_id=message.case_id, subject_type="Message", subject_id=message.pk,
                          payload={"reference": reference, "status": status, "at": at.isoformat()},
                          actor_label="gateway")  # fmt: skip
    return message


# --- letters ------------------------------------------------------------------------------------------------


def render_letter(message: Message) -> bytes:
    """The letter as a Word document: the template's own .docx (docxtpl) or, without one, a plain document with
    the rendered subject and body."""
    from docx import Document
    from docxtpl import DocxTemplate

    buffer = io.BytesIO()
    if message.template is not None and message.template.docx:
        document = DocxTemplate(io.BytesIO(bytes(message.template.docx)))
        document.render(context_for(message.case) | {"body": message.body, "subject": message.subject})
        document.save(buffer)
    else:
        plain = Document()
        plain.add_heading(message.subject or _("Notice"), level=1)
        for line in message.body.splitlines():
            plain.add_paragraph(line)
        plain.save(buffer)
    return buffer.getvalue()


def _letter_files(message: Message) -> list[tuple[str, bytes]]:
    return [(f"letter-{message.key}.docx", render_letter(message))]


@transaction.atomic
def letter_delivered(
    message: Message, *, tracking_number: str, delivered_on: dt.date, actor: User
) -> Message:
    """The registered-mail number and the delivery date of a letter. A delivered demand is recorded as such in
    the evidence log: it interrupts the limitation period (民法典 art. 195; the legal issue reads it)."""
    _require(actor)
    if message.channel != "letter" or message.status not in {Message.Status.SENT, Message.Status.DELIVERED}:
        raise DomainError(_("Only a letter that was sent can be delivered."))
    if not tracking_number.strip():
        raise DomainError(_("Give the registered-mail number."))
    message.tracking_number, message.status = tracking_number.strip(), Message.Status.DELIVERED
    message.delivered_at = dt.datetime.combine(delivered_on, dt.time(12), tzinfo=dt.UTC)
    message.save(update_fields=["tracking_number", "status", "delivered_at"])
    kind = "demand.delivered" if message.purpose == Template.Purpose.DEMAND else "contact.receipt"
    case = message.case
    audit.append_evidence(kind, case_id=case.pk, borrower_id=case.borrower_id, loan_ids=list(case.loan_ids),
                          subject_type="Message", subject_id=message.pk, actor=actor,
                          payload={"tracking_number": message.tracking_number, "delivered_on": delivered_on.isoformat(),
                                   "content_sha256": message.content_sha256})  # fmt: skip
    audit.record("case.contact", "Case", case.pk, actor=actor,
                 after={"channel": "letter", "delivered_on": delivered_on.isoformat()})  # fmt: skip
    return message


# --- calls and visits ---------------------------------------------------------------------------------------


def start_call(case: Case, *, number: str, party: str = "debtor", actor: User) -> Decision:
    """Before dialling: the guard's decision (recorded); when allowed and a telephony system is configured, it
    rings the collector's extension and dials (click-to-call)."""
    _require(actor)
    decision = ask_guard(case, _attempt(case, "call", party, number, at=local_now(case)), actor=actor)
    if decision.allowed:
        try:
            click_to_call(actor.username, number, case.pk)
        except ChannelError as exc:
            raise DomainError(_("The call is allowed, but the telephony system did not answer (%(error)s): dial "
                                "by hand.") % {"error": exc}) from None  # fmt: skip
    return decision


@transaction.atomic
def log_call(case: Case, *, number: str, outcome: str, actor: User, party: str = "debtor",
             started_at: dt.datetime | None = None, ended_at: dt.datetime | None = None, note: str = "",
             recording: tuple[str, bytes] | None = None, promise: tuple[dt.date, int] | None = None) -> Call:  # fmt: skip
    """Record a call that happened, with its outcome and recording (kept by SHA-256 in the evidence store);
    speaking to the debtor updates the case (`cases.services.log_call`). A promise to pay taken on the call —
    (date, fen) — is recorded with it (`negotiation.services.make_promise`, source "call"): both or neither."""
    if promise is not None and (outcome != "promise_to_pay" or party != "debtor"):
        raise DomainError(_("Only a call where the debtor promised to pay records a promise."))
    _require(actor)
    _check_party(party)
    if outcome not in dict(Call.OUTCOMES):
        raise DomainError(_("Unknown call outcome %(outcome)s.") % {"outcome": outcome})
    if not number.strip():
        raise DomainError(_("Give the number that was called."))
    started_at = started_at or timezone.now()
    sha = hashlib.sha256(recording[1]).hexdigest() if recording else ""
    call = Call.objects.create(
        case=case, party=party, number=number.strip(), started_at=started_at, ended_at=ended_at, outcome=outcome,
        note=note.strip(), recording_sha256=sha, recording_name=recording[0] if recording else "", collector=actor,
    )  # fmt: skip
    attempt = _attempt(case, "call", party, call.number, at=local_now(case, started_at), outcome=outcome)
    _happened(case, attempt, "contact.call", actor=actor, subject=("Call", call.pk),
              payload={"number": call.number, "party": party, "outcome": outcome, "started_at": started_at.isoformat(),
                       "ended_at": ended_at.isoformat() if ended_at else None, "recording": call.recording_name,
                       "summary": {"call": call.pk, "outcome": outcome}},
              content_sha256=sha or None, files=[recording] if recording else [], note=note.strip())  # fmt: skip
    if party == "debtor":
        case_services.log_call(case, outcome, actor=actor, note=note, audited=False)
    if promise is not None:
        from arrears.negotiation.services import make_promise

        make_promise(case, [promise], actor=actor, source="call", note=note)
    return call


@transaction.atomic
def plan_visit(
    case: Case, *, planned_for: dt.datetime, place: str, collectors: list[User], actor: User
) -> Visit:
    """A field visit, if the guard allows it (cn-cba-2026: at least two collectors, within the hours)."""
    _require(actor)
    if not place.strip():
        raise DomainError(_("Say where the visit is."))
    attempt = _attempt(case, "visit", "debtor", place.strip(), at=local_now(case, planned_for),
                       collectors=len({u.pk for u in collectors}))  # fmt: skip
    decision = ask_guard(case, attempt, actor=actor)
    if not decision.allowed:
        raise DomainError(
            _("The compliance guard refuses this visit: %(reason)s") % {"reason": decision.reason}
        )
    visit = Visit.objects.create(case=case, planned_for=planned_for, place=place.strip(), created_by=actor)
    visit.collectors.set(collectors)
    audit.record("case.visit_planned", "Case", case.pk, actor=actor,
                 after={"visit": visit.pk, "planned_for": planned_for.isoformat(), "place": visit.place})  # fmt: skip
    return visit


@transaction.atomic
def report_visit(visit: Visit, *, outcome: str, report: str, actor: User,
                 photos: list[tuple[str, bytes]] | None = None) -> Visit:  # fmt: skip
    """What the visit found, with its photos (kept by SHA-256)."""
    _require(actor)
    if visit.status != Visit.Status.PLANNED:
        raise DomainError(_("This visit was already reported or cancelled."))
    if outcome not in dict(Visit.OUTCOMES):
        raise DomainError(_("Unknown visit outcome %(outcome)s.") % {"outcome": outcome})
    visit.status, visit.outcome, visit.report = Visit.Status.DONE, outcome, report.strip()
    visit.photos = [{"name": n, "sha256": hashlib.sha256(b).hexdigest()} for n, b in photos or []]
    visit.reported_at = timezone.now()
    visit.save()
    case = visit.case
    attempt = _attempt(case, "visit", "debtor", visit.place, at=local_now(case, visit.planned_for),
                       outcome=outcome, collectors=visit.collectors.count())  # fmt: skip
    _happened(case, attempt, "contact.visit", actor=actor, subject=("Visit", visit.pk),
              payload={"place": visit.place, "outcome": outcome, "report": visit.report,
                       "collectors": sorted(visit.collectors.values_list("username", flat=True)),
                       "summary": {"visit": visit.pk, "outcome": outcome}},
              files=photos or [])  # fmt: skip
    return visit


def dispatch_strategy_steps(limit: int = 500) -> dict[str, int]:
    """Turn the treatment paths' due electronic steps (follow-up tasks with channel sms, email or chat whose
    template is approved) into outbox messages to the debtor, and mark those tasks done. The close only plans
    (set-based, in its transaction); sending is per message anyway, so it happens here, in the outbox worker.
    A step the guard refuses stays open for the collector, with the reason as its note."""
    from arrears.cases.models import Task

    language = get_settings().language_code
    counts = {"queued": 0, "refused": 0, "no_template": 0}
    due = (
        Task.objects.filter(done_at__isnull=True, created_by__isnull=True, channel__in=ELECTRONIC, note="")
        .exclude(template="")
        .select_related("case__borrower")
        .order_by("due_on", "pk")[:limit]
    )
    for task in due:
        template = selectors.template_in_use(task.template, language)
        if template is None or template.channel != task.channel:
            counts["no_template"] += 1
            continue
        borrower = task.case.borrower
        address = borrower.email if task.channel == "email" else borrower.phone
        try:
            send_message(task.case, template, party="debtor", address=address, source="strategy",
                         key=f"task-{task.pk}")  # fmt: skip
        except DomainError as exc:
            Task.objects.filter(pk=task.pk).update(note=exc.message)
            counts["refused"] += 1
            continue
        Task.objects.filter(pk=task.pk).update(done_at=timezone.now())
        counts["queued"] += 1
    return counts
