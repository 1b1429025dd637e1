"""Contact channels for real over loopback (a local SMS gateway, a local SMTP server), the outbox under crash and
retry, templates with four-eyes approval, the guard before every contact, letters, calls and visits, and every
communication in the evidence log and on the case's timeline."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import json
import socket
import threading
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.utils import timezone, translation

from arrears.audit.models import AuditEvent, EvidenceRecord
from arrears.batch import runner
from arrears.cases.models import Case, Task
from arrears.conf import get_settings
from arrears.contact import selectors, services
from arrears.contact.management.commands.dev import SmsGateway
from arrears.contact.models import Call, CreditorProfile, Message
from arrears.core.errors import DomainError, PermissionDenied
from arrears.portfolio.models import Borrower
from arrears.strategy import services as strategy
from tests.factories import TeamFactory, UserFactory, loan_with_details

AS_OF = dt.date(2026, 4, 15)
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
DAYTIME = dt.datetime(2026, 4, 15, 10, 0, tzinfo=SHANGHAI)
NIGHT = dt.datetime(2026, 4, 15, 23, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def english() -> Any:
    with translation.override("en"):
        yield


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmsGateway]:
    server = SmsGateway(("127.0.0.1", free_port()), token="gw-secret", receipt_delay=None)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(get_settings(), "sms_gateway_url", f"{server.url}/send")
    monkeypatch.setattr(get_settings(), "sms_gateway_token", "gw-secret")
    yield server
    server.shutdown()
    server.server_close()


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setattr(get_settings(), "smtp_host", "127.0.0.1")
    monkeypatch.setattr(get_settings(), "smtp_port", port)
    yield inbox
    controller.stop()


@pytest.fixture
def people(db: Any) -> dict[str, Any]:
    team = TeamFactory(name="一组", lenders=[])
    return {"collector": UserFactory(username="c1", team=team),
            "author": UserFactory(username="author", role="manager"),
            "officer": UserFactory(username="officer", role="compliance")}  # fmt: skip


@pytest.fixture
def case(people: dict[str, Any]) -> Case:
    loan_with_details(loan_id="L001")
    runner.close([AS_OF])
    case = Case.objects.get()
    Borrower.objects.filter(pk=case.borrower_id).update(
        phone="13812345678", email="zhang@example.com", address="北京市朝阳区建国路88号"
    )
    case = Case.objects.select_related("borrower").get()
    CreditorProfile.objects.create(lender=case.lender, display_name="甲银行", phone="95500",
                                   dispute_instructions="call us within 30 days")  # fmt: skip
    return case


@pytest.fixture
def templates(people: dict[str, Any]) -> dict[str, Any]:
    call_command(
        "contact", "templates", "import", "--by", "author", "--approve-by", "officer", stdout=io.StringIO()
    )
    return {t: selectors.template_in_use(t, "en") for t in ("reminder_1", "email_notice", "demand_letter",
                                                          "third_party_message")}  # fmt: skip


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Freeze 'now' for the guard and the outbox."""

    def set_to(moment: dt.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment.astimezone(dt.UTC))

    set_to(DAYTIME)
    return set_to


def test_templates_need_approval_by_someone_else(people: dict[str, Any], case: Case) -> None:
    draft = services.save_template("hello", channel="sms", body="Hi {{ borrower_name }}", language="en",
                                   actor=people["author"])  # fmt: skip
    with pytest.raises(DomainError, match="not approved"):
        services.send_message(case, draft, party="debtor", address="13800000000", actor=people["collector"])
    with pytest.raises(PermissionDenied):
        services.approve_template(draft, actor=people["collector"])
    officer_draft = services.save_template(
        "hello", channel="sms", body="v2", language="en", actor=people["officer"]
    )
    assert officer_draft.version == 2
    with pytest.raises(DomainError, match="by its author"):
        services.approve_template(officer_draft, actor=people["officer"])
    with pytest.raises(DomainError, match="does not render"):
        services.save_template(
            "broken", channel="sms", body="{% if %}", language="en", actor=people["author"]
        )


def test_an_sms_goes_through_the_gateway_once_with_opt_out_and_evidence(
    gateway: SmsGateway, clock: Any, case: Case, templates: dict[str, Any], people: dict[str, Any]
) -> None:
    message = services.send_message(case, templates["reminder_1"], party="debtor", address="13812345678",
                                     actor=people["collector"])  # fmt: skip
    assert services.deliver_due() == {"sent": 1, "denied": 0, "retry": 0, "failed": 0}
    (received,) = gateway.messages
    assert received["to"] == "13812345678" and received["key"] == message.key
    assert "甲银行" in received["text"] and received["text"].endswith("Reply STOP to opt out")
    message.refresh_from_db()
    assert (message.status, message.provider_id) == ("sent", received["id"])
    assert services.deliver_due() == {"sent": 0, "denied": 0, "retry": 0, "failed": 0}  # never twice
    kinds = list(
        EvidenceRecord.objects.filter(case_id=case.pk).order_by("seq").values_list("kind", flat=True)
    )
    assert kinds == ["guard.decision", "contact.sms"]
    assert AuditEvent.objects.filter(
        object_type="Case", object_id=str(case.pk), action="case.contact"
    ).exists()
    client_token = {"HTTP_AUTHORIZATION": "Bearer receipts"}
    get_settings().receipt_token = "receipts"
    try:
        from django.test import Client

        answer = Client().post("/api/v1/contact/receipts", {"id": received["id"], "status": "delivered"},
                               content_type="application/json", **client_token)  # fmt: skip
        assert answer.status_code == 200 and answer.json()["status"] == "delivered"
        refused = Client().post("/api/v1/contact/receipts", {"id": received["id"], "status": "delivered"},
                                content_type="application/json", HTTP_AUTHORIZATION="Bearer wrong")  # fmt: skip
        assert refused.status_code == 401
    finally:
        get_settings().receipt_token = ""


def test_the_outbox_retries_with_backoff_and_a_crash_never_sends_twice(
    gateway: SmsGateway, clock: Any, case: Case, templates: dict[str, Any], people: dict[str, Any]
) -> None:
    gateway.failures_left = 2
    message = services.send_message(case, templates["reminder_1"], party="debtor", address="13812345678",
                                    actor=people["collector"])  # fmt: skip
    assert services.deliver_due()["retry"] == 1
    message.refresh_from_db()
    assert (message.status, message.tries, message.next_try_at) == ("queued", 1, DAYTIME + services.BACKOFF)
    assert services.deliver_due()["retry"] == 0  # not due yet
    clock(DAYTIME + dt.timedelta(minutes=1))
    assert services.deliver_due()["retry"] == 1
    clock(DAYTIME + dt.timedelta(minutes=4))
    assert services.deliver_due()["sent"] == 1 and len(gateway.messages) == 1
    # a worker that died after handing a message over, before recording it: the claim is stale
    again = services.send_message(case, templates["reminder_1"], party="debtor", address="13812345678",
                                  actor=people["collector"])  # fmt: skip
    services.deliver_due()
    Message.objects.filter(pk=again.pk).update(
        status="sending", claimed_at=timezone.now() - dt.timedelta(hours=1)
    )
    assert services.recover_stale() == {"requeued": 1, "uncertain": 0}
    services.deliver_due()
    assert len(gateway.messages) == 2  # the gateway de-duplicated the resend by its key


def test_email_over_smtp_and_an_interrupted_email_is_left_for_a_person(
    smtp: Inbox, clock: Any, case: Case, templates: dict[str, Any], people: dict[str, Any]
) -> None:
    message = services.send_message(case, templates["email_notice"], party="debtor", address="zhang@example.com",
                                    actor=people["collector"])  # fmt: skip
    assert services.deliver_due()["sent"] == 1
    (envelope,) = smtp.messages
    assert envelope.rcpt_tos == ["zhang@example.com"]
    received = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert (
        received["Subject"] == "[甲银行] Overdue payment reminder"
        and received["Message-ID"] == f"<{message.key}@arrears>"
    )
    assert (
        "call us within 30 days" in received.get_content()
        and "Reply STOP to opt out" in received.get_content()
    )
    Message.objects.filter(pk=message.pk).update(
        status="sending", claimed_at=timezone.now() - dt.timedelta(hours=1)
    )
    assert services.recover_stale() == {"requeued": 0, "uncertain": 1}
    services.deliver_due()
    assert len(smtp.messages) == 1


def test_the_guard_refuses_at_night_and_third_parties_get_no_debt_details(
    gateway: SmsGateway, clock: Any, case: Case, templates: dict[str, Any], people: dict[str, Any]
) -> None:
    clock(NIGHT)
    with pytest.raises(DomainError, match="compliance guard refuses"):
        services.send_message(case, templates["reminder_1"], party="debtor", address="13812345678",
                              actor=people["collector"])  # fmt: skip
    clock(DAYTIME)
    queued = services.send_message(case, templates["reminder_1"], party="debtor", address="13812345678",
                                   actor=people["collector"])  # fmt: skip
    clock(NIGHT)  # the worker runs late: the moment of contact is what counts
    assert services.deliver_due()["denied"] == 1 and gateway.messages == []
    queued.refresh_from_db()
    assert queued.status == "denied" and queued.rule
    clock(DAYTIME)
    shown = services.preview(case, templates["reminder_1"], party="third_party", address="13600002222")
    assert not shown.decision.allowed  # the debtor is not unreachable, and the template names the debt


def test_a_logged_call_with_its_recording_updates_the_case_and_the_evidence(
    clock: Any, case: Case, people: dict[str, Any]
) -> None:
    call = services.log_call(case, number="13812345678", outcome="promise_to_pay", actor=people["collector"],
                             note="Friday", recording=("call.wav", b"RIFF....WAVE"))  # fmt: skip
    assert isinstance(call, Call) and len(call.recording_sha256) == 64
    case.refresh_from_db()
    assert (case.status, case.last_contact_on) == ("contacting", AS_OF)
    record = EvidenceRecord.objects.get(kind="contact.call")
    assert (
        record.content_sha256 == call.recording_sha256 and record.files[0]["sha256"] == call.recording_sha256
    )
    with pytest.raises(DomainError, match="Unknown call outcome"):
        services.log_call(case, number="1", outcome="maybe", actor=people["collector"])


def test_a_visit_needs_two_collectors(clock: Any, case: Case, people: dict[str, Any]) -> None:
    second = UserFactory(username="c2", team=people["collector"].team)
    with pytest.raises(DomainError, match="compliance guard refuses this visit"):
        services.plan_visit(case, planned_for=DAYTIME, place="Home", collectors=[people["collector"]],
                            actor=people["collector"])  # fmt: skip
    visit = services.plan_visit(case, planned_for=DAYTIME, place="Home", collectors=[people["collector"], second],
                                actor=people["collector"])  # fmt: skip
    services.report_visit(visit, outcome="met", report="Will pay on the 20th", actor=people["collector"],
                          photos=[("door.jpg", b"\xff\xd8")])  # fmt: skip
    assert EvidenceRecord.objects.filter(kind="contact.visit", case_id=case.pk).count() == 1


def test_letters_in_a_batch_and_a_delivered_demand(
    tmp_path: Any, clock: Any, case: Case, templates: dict[str, Any], people: dict[str, Any]
) -> None:
    out = io.StringIO()
    call_command("contact", "letters", "--template", "demand_letter", "--language", "en", "--cases", str(case.pk),
                 "--by", "c1", "--json", str(tmp_path / "letters.zip"), stdout=out)  # fmt: skip
    assert json.loads(out.getvalue())["letters"] == 1
    with zipfile.ZipFile(tmp_path / "letters.zip") as archive:
        (name,) = archive.namelist()
        document = archive.read(name)
    from docx import Document

    text = "\n".join(p.text for p in Document(io.BytesIO(document)).paragraphs)
    assert "Creditor: 甲银行" in text and "call us within 30 days" in text and "95500" in text
    message = Message.objects.get(channel="letter")
    services.letter_delivered(message, tracking_number="EMS123", delivered_on=dt.date(2026, 4, 18),
                              actor=people["collector"])  # fmt: skip
    delivered = EvidenceRecord.objects.get(kind="demand.delivered")
    assert delivered.payload["delivered_on"] == "2026-04-18" and delivered.loan_ids == ["L001"]


def test_the_strategys_due_sms_steps_become_outbox_messages(
    gateway: SmsGateway, clock: Any, templates: dict[str, Any], people: dict[str, Any]
) -> None:
    strategy.import_strategy({"paths": [{"name": "p", "steps": [{"channel": "sms", "template": "reminder_1"}]}],
                              "segments": [{"name": "all", "arms": [{"path": "p", "percent": 100,
                                                                     "champion": True}]}]})  # fmt: skip
    loan_with_details(loan_id="L001")
    get_settings().language_code = "en"
    try:
        runner.close([AS_OF])
        assert services.dispatch_strategy_steps() == {"queued": 1, "refused": 0, "no_template": 0}
    finally:
        get_settings().language_code = "zh-hans"
    assert Task.objects.get().done_at is not None
    assert services.deliver_due()["sent"] == 1 and gateway.messages[0]["key"].startswith("task-")
