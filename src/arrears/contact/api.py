"""Contact endpoints of /api/v1/contact: preview a message with the guard's answer, send it (through the outbox),
log and start calls, plan and report visits, record a letter's delivery, and the gateways' delivery receipts.
Cases are looked up through `cases.selectors.get_case` (another collector's case is a 404)."""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import HttpBearer

from arrears.accounts.models import User
from arrears.cases.selectors import get_case, visible_cases
from arrears.conf import get_settings
from arrears.contact import selectors, services
from arrears.contact.models import Message, Visit
from arrears.core.errors import NotFound

router = Router(tags=["contact"])


class MessageIn(Schema):
    template: str  # the template's code; the latest approved version in `language`
    language: str = "zh-hans"
    party: str = "debtor"
    address: str


class PreviewOut(Schema):
    subject: str
    body: str
    allowed: bool
    rule: str | None
    reason: str


class MessageOut(Schema):
    id: int
    channel: str
    party: str
    address: str
    subject: str
    body: str
    status: str
    rule: str
    reason: str
    tries: int
    provider_id: str
    tracking_number: str
    created_at: dt.datetime
    sent_at: dt.datetime | None
    delivered_at: dt.datetime | None


class CallIn(Schema):
    number: str
    party: str = "debtor"
    outcome: str
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    note: str = ""


class CallStartIn(Schema):
    number: str
    party: str = "debtor"


class DecisionOut(Schema):
    allowed: bool
    rule: str | None
    reason: str


class CallOut(Schema):
    id: int
    number: str
    party: str
    outcome: str
    started_at: dt.datetime
    recording_sha256: str


class VisitIn(Schema):
    planned_for: dt.datetime
    place: str
    collectors: list[str]


class VisitReportIn(Schema):
    outcome: str
    report: str = ""


class VisitOut(Schema):
    id: int
    planned_for: dt.datetime
    place: str
    status: str
    outcome: str


class DeliveredIn(Schema):
    tracking_number: str
    delivered_on: dt.date


class ReceiptIn(Schema):
    id: str = ""  # the gateway's reference
    key: str = ""  # or ours
    status: str
    at: dt.datetime | None = None


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _message(request: HttpRequest, message_id: int) -> Message:
    message = Message.objects.filter(pk=message_id, case__in=visible_cases(request.user)).first()
    if message is None:
        raise NotFound(f"message {message_id} not found")
    return message


@router.post("/cases/{case_id}/preview", response=PreviewOut)
def preview(request: HttpRequest, case_id: int, body: MessageIn) -> dict[str, Any]:
    """What the message would say and whether the compliance guard would allow it now (nothing is recorded)."""
    case = get_case(request.user, case_id)
    shown = services.preview(case, selectors.template_for(body.template, body.language), party=body.party,
                             address=body.address, actor=_user(request))  # fmt: skip
    return {"subject": shown.subject, "body": shown.body, "allowed": shown.decision.allowed,
            "rule": shown.decision.rule, "reason": shown.decision.reason}  # fmt: skip


@router.post("/cases/{case_id}/messages", response=MessageOut)
def send(request: HttpRequest, case_id: int, body: MessageIn) -> Message:
    """Queue a message in the outbox (refused at once with the guard's reason if it would be denied now)."""
    case = get_case(request.user, case_id)
    return services.send_message(case, selectors.template_for(body.template, body.language), party=body.party,
                                 address=body.address, actor=_user(request))  # fmt: skip


@router.get("/cases/{case_id}/messages", response=list[MessageOut])
def messages(request: HttpRequest, case_id: int) -> Any:
    return get_case(request.user, case_id).messages.all()


@router.post("/cases/{case_id}/calls/start", response=DecisionOut)
def start_call(request: HttpRequest, case_id: int, body: CallStartIn) -> dict[str, Any]:
    """Ask the guard before dialling (recorded); click-to-call when a telephony system is configured."""
    decision = services.start_call(get_case(request.user, case_id), number=body.number, party=body.party,
                                   actor=_user(request))  # fmt: skip
    return {"allowed": decision.allowed, "rule": decision.rule, "reason": decision.reason}


@router.post("/cases/{case_id}/calls", response=CallOut)
def log_call(request: HttpRequest, case_id: int, body: CallIn) -> Any:
    return services.log_call(get_case(request.user, case_id), number=body.number, outcome=body.outcome,
                             party=body.party, started_at=body.started_at, ended_at=body.ended_at, note=body.note,
                             actor=_user(request))  # fmt: skip


@router.post("/cases/{case_id}/visits", response=VisitOut)
def plan_visit(request: HttpRequest, case_id: int, body: VisitIn) -> Visit:
    collectors = list(User.objects.filter(username__in=body.collectors, is_active=True))
    if len(collectors) != len(set(body.collectors)):
        raise NotFound("some of these collectors were not found", collectors=body.collectors)
    return services.plan_visit(get_case(request.user, case_id), planned_for=body.planned_for, place=body.place,
                               collectors=collectors, actor=_user(request))  # fmt: skip


@router.post("/visits/{visit_id}/report", response=VisitOut)
def report_visit(request: HttpRequest, visit_id: int, body: VisitReportIn) -> Visit:
    visit = Visit.objects.filter(pk=visit_id, case__in=visible_cases(request.user)).first()
    if visit is None:
        raise NotFound(f"visit {visit_id} not found")
    return services.report_visit(visit, outcome=body.outcome, report=body.report, actor=_user(request))


@router.post("/messages/{message_id}/delivered", response=MessageOut)
def letter_delivered(request: HttpRequest, message_id: int, body: DeliveredIn) -> Message:
    """A letter's registered-mail number and delivery date (a delivered demand interrupts limitation)."""
    return services.letter_delivered(_message(request, message_id), tracking_number=body.tracking_number,
                                     delivered_on=body.delivered_on, actor=_user(request))  # fmt: skip


class ReceiptAuth(HttpBearer):
    """Gateways authenticate their receipts with the shared `ARREARS_RECEIPT_TOKEN` (none set: none accepted)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        expected = get_settings().receipt_token
        return bool(expected) and hmac.compare_digest(token, expected)


@router.post("/receipts", response=MessageOut, auth=ReceiptAuth())
def receipt(request: HttpRequest, body: ReceiptIn) -> Message:
    """A gateway's delivery receipt, by its reference or our key."""
    return services.receipt(body.id or body.key, body.status, at=body.at)
