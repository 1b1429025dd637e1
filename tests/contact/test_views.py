"""The contact pages (issue 6, UI): the case view's contact panel (addresses masked unless the role sees full
personal data; a message previewed with the guard's answer and sent in two clicks; a call started through the
guard and logged with its recording; visits planned and reported; letters delivered), the timeline of contacts,
the outbox with its permissions and uncertain messages settled by a person, and the admin's approve action."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from arrears.audit.models import AuditEvent, EvidenceRecord
from arrears.batch import runner
from arrears.cases.models import Case
from arrears.compliance.models import ContactLedger, GuardDecision
from arrears.contact import selectors, services
from arrears.contact.models import Call, CreditorProfile, Message, Template, Visit
from arrears.core.errors import DomainError, PermissionDenied
from arrears.portfolio.models import Borrower
from tests.factories import TeamFactory, UserFactory, loan_with_details

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 4, 15)
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
DAYTIME = dt.datetime(2026, 4, 15, 10, 0, tzinfo=SHANGHAI)
NIGHT = dt.datetime(2026, 4, 15, 23, 0, tzinfo=SHANGHAI)
HTMX = {"HX-Request": "true"}
# the case's addresses in `contact.selectors.addresses` order (the borrower has no email or postal address here)
DEBTOR_PHONE, GUARANTOR_PHONE, SPOUSE_PHONE = "0", "1", "2"


@pytest.fixture(autouse=True)
def english(client: Any) -> Any:
    """Pages in English (the language cookie the switch sets) and the services' messages too."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Freeze 'now' for the guard, the outbox and the pages (10:00 in Shanghai unless set otherwise)."""

    def set_to(moment: dt.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment.astimezone(dt.UTC))

    set_to(DAYTIME)
    return set_to


@pytest.fixture
def people(db: Any) -> dict[str, Any]:
    team = TeamFactory(name="一组", lenders=[])
    return {
        "c1": UserFactory(username="c1", display_name="赵敏", role="collector", team=team),
        "c2": UserFactory(username="c2", display_name="孙丽", role="collector", team=team),
        "outsider": UserFactory(
            username="elsewhere", role="collector", team=TeamFactory(name="二组", lenders=["B小贷"])
        ),
        "manager": UserFactory(username="boss", role="manager"),
        "author": UserFactory(username="author", role="manager"),
        "officer": UserFactory(username="officer", role="compliance"),
    }


@pytest.fixture
def case(people: dict[str, Any], clock: Any) -> Case:
    loan_with_details(loan_id="L001")
    runner.close([AS_OF])
    case = Case.objects.select_related("borrower", "assigned_to").get()
    assert case.assigned_to is not None
    CreditorProfile.objects.create(lender=case.lender, display_name="甲银行", phone="95500")
    return case


@pytest.fixture
def templates(people: dict[str, Any]) -> dict[str, Template]:
    call_command(
        "contact", "templates", "import", "--by", "author", "--approve-by", "officer", stdout=io.StringIO()
    )
    found = {
        code: selectors.template_in_use(code, "en")
        for code in ("reminder_1", "email_notice", "demand_letter")
    }
    assert all(found.values())
    return {code: t for code, t in found.items() if t is not None}


def owner_and_other(case: Case, people: dict[str, Any]) -> tuple[Any, Any]:
    owner = case.assigned_to
    return owner, people["c2"] if owner == people["c1"] else people["c1"]


def url(case: Case, action: str = "") -> str:
    return f"/contact/cases/{case.pk}/{action}"


def timeline_of(html: str) -> str:
    start = html.index('data-testid="timeline"')
    return html[start : html.index("</ol>", start)]


# ------------------------------------------------------------------------------------------------ addresses


def test_addresses_are_masked_for_a_collector_and_whole_for_a_manager(
    client: Any, case: Case, people: dict[str, Any], templates: Any
) -> None:
    owner, _ = owner_and_other(case, people)
    phone = case.borrower.phone
    client.force_login(owner)
    html = client.get(f"/cases/{case.pk}/").content.decode()
    panel = html[html.index('id="case-contact"') :]
    assert phone not in html and f"{phone[:3]}****{phone[-4:]}" in panel
    assert "13600002222" not in html and "136****2222" in panel and "137****1111" in panel
    assert "刘洋" not in html and "刘*" in panel  # a third party's name is masked too
    assert "hr@example.com" not in html and "h***@example.com" in panel
    # the forms post indexes, never values
    assert re.search(r'<select name="number"[^>]*>\s*<option value="0" selected>Debtor', panel)
    assert not AuditEvent.objects.filter(action="pii.read").exists()

    client.force_login(people["manager"])
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert phone in html and "13600002222" in html and "刘洋" in html and "hr@example.com" in html
    assert AuditEvent.objects.filter(action="pii.read", object_id=case.borrower_id).exists()


# ------------------------------------------------------------------------------------------------ messages


def test_the_preview_shows_the_text_and_the_guards_answer(
    client: Any, case: Case, people: dict[str, Any], templates: Any, clock: Any
) -> None:
    owner, _ = owner_and_other(case, people)
    client.force_login(owner)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    form = page[page.index('data-testid="message-form"') :]
    assert re.search(r'data-testid="send-message" disabled', form)  # nothing to send before the preview
    key = re.search(r'name="key" value="([0-9a-f]{32})"', form)
    assert key is not None

    # one pick: the template; the address that suits it (the debtor's phone) is chosen for it
    data = {"template": str(templates["reminder_1"].pk), "to": "", "key": key.group(1)}
    response = client.post(url(case, "preview/"), data, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'data-testid="message-preview"' in html and 'data-allowed="true"' in html
    assert "The guard allows it" in html and "guard-allowed" in html
    assert re.search(r'<option value="0" selected>', html)
    assert "甲银行" in html and case.borrower.name not in html  # the name masked for a collector
    assert 'data-testid="send-message">' in html  # enabled
    assert not GuardDecision.objects.exists()  # a preview records nothing

    clock(NIGHT)
    html = client.post(url(case, "preview/"), {**data, "to": DEBTOR_PHONE}, headers=HTMX).content.decode()
    assert 'data-allowed="false"' in html and "The guard denies it" in html and "guard-denied" in html
    rule = re.search(r'data-testid="guard-rule">([^<]+)<', html)
    assert rule is not None and "hours" in rule.group(1)
    assert re.search(r'data-testid="send-message" disabled', html)

    # a third party may not be told about the debt: denied in daytime too, with its rule
    clock(DAYTIME)
    html = client.post(url(case, "preview/"), {**data, "to": SPOUSE_PHONE}, headers=HTMX).content.decode()
    assert 'data-allowed="false"' in html and "third-party" in html

    # without JavaScript the "Preview" button shows the whole case view with the preview in it
    response = client.post(url(case, "preview/"), {**data, "to": DEBTOR_PHONE})
    assert response.status_code == 200 and 'data-testid="timeline"' in response.content.decode()
    assert 'data-allowed="true"' in response.content.decode()


def test_send_queues_a_message_once(
    client: Any, case: Case, people: dict[str, Any], templates: Any, clock: Any
) -> None:
    owner, _ = owner_and_other(case, people)
    client.force_login(owner)
    data = {"template": str(templates["reminder_1"].pk), "to": DEBTOR_PHONE, "key": "a" * 32}
    response = client.post(url(case, "messages/"), data)
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    message = Message.objects.get()
    assert (message.channel, message.party, message.address, message.status) == (
        "sms", "debtor", case.borrower.phone, "queued"
    )  # fmt: skip
    assert message.created_by == owner and message.body.endswith("Reply STOP to opt out")
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert (
        "SMS to 139****" in html and f'href="/contact/?case={case.pk}"' in html
    )  # the message links the outbox
    messages = html[html.index('data-testid="case-messages"') :]
    assert 'data-testid="message-status">Queued<' in messages

    # the same form again (a double click): still one message
    client.post(url(case, "messages/"), data)
    assert Message.objects.count() == 1

    # an email template cannot go to a phone number
    response = client.post(url(case, "messages/"), {**data, "template": str(templates["email_notice"].pk),
                                                     "key": "b" * 32})  # fmt: skip
    assert response.status_code == 400 and "cannot go to this address" in response.content.decode()

    # at night the guard refuses at once, with its reason, and nothing is queued
    clock(NIGHT)
    response = client.post(url(case, "messages/"), {**data, "key": "c" * 32})
    assert response.status_code == 400
    assert "The compliance guard refuses this message" in response.content.decode()
    assert Message.objects.count() == 1


# ------------------------------------------------------------------------------------------------ calls


def test_the_call_button_asks_the_guard_and_says_how_to_dial(
    client: Any, case: Case, people: dict[str, Any], clock: Any
) -> None:
    owner, _ = owner_and_other(case, people)
    client.force_login(owner)
    html = client.post(url(case, "calls/start/"), {"number": DEBTOR_PHONE}, headers=HTMX).content.decode()
    assert 'data-allowed="true"' in html and "No telephony system is configured" in html
    assert "139****" in html and case.borrower.phone not in html
    decision = GuardDecision.objects.get()  # the decision before dialling is recorded
    assert decision.allowed and decision.channel == "call" and decision.address == case.borrower.phone
    clock(NIGHT)
    html = client.post(url(case, "calls/start/"), {"number": DEBTOR_PHONE}, headers=HTMX).content.decode()
    assert 'data-allowed="false"' in html and 'data-testid="guard-rule"' in html
    response = client.post(url(case, "calls/start/"), {"number": DEBTOR_PHONE})  # without JavaScript
    assert response.status_code == 302
    assert "The compliance guard refuses this call" in client.get(f"/cases/{case.pk}/").content.decode()


def test_logging_a_call_keeps_the_recordings_hash_and_the_timeline_shows_it(
    client: Any, case: Case, people: dict[str, Any]
) -> None:
    owner, _ = owner_and_other(case, people)
    client.force_login(owner)
    recording = b"RIFF\x00\x00\x00\x00WAVEfmt recorded call"
    data = {"number": DEBTOR_PHONE, "party": "", "outcome": "promise_to_pay", "note": "pays on Friday",
            "recording": SimpleUploadedFile("call.wav", recording, content_type="audio/wav")}  # fmt: skip
    response = client.post(url(case, "calls/"), data)
    assert response.status_code == 302
    call = Call.objects.get()
    assert (
        call.recording_sha256 == hashlib.sha256(recording).hexdigest() and call.recording_name == "call.wav"
    )
    assert (call.number, call.party, call.outcome, call.collector) == (
        case.borrower.phone, "debtor", "promise_to_pay", owner
    )  # fmt: skip
    evidence = EvidenceRecord.objects.get(kind="contact.call")
    assert evidence.content_sha256 == call.recording_sha256
    case.refresh_from_db()
    assert case.status == "contacting" and case.last_contact_on == AS_OF  # cases.services.log_call ran too

    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Call logged: Promise to pay." in html
    timeline = timeline_of(html)
    assert "case-event-contact case-event-call" in timeline
    assert "Call · Debtor · Promise to pay" in timeline and "pays on Friday" in timeline
    assert timeline.count("Promise to pay") == 1  # the contact and the case's call event show as one
    calls = html[html.index('data-testid="case-calls"') :]
    assert call.recording_sha256[:12] in calls and "call.wav" in calls

    # a guarantor's number: the party is the number's owner; the case's own call event is for the debtor only
    client.post(url(case, "calls/"), {"number": GUARANTOR_PHONE, "outcome": "unanswered"})
    assert Call.objects.filter(party="guarantor", number="13700001111").exists()
    assert "Call · Guarantor · No answer" in timeline_of(client.get(f"/cases/{case.pk}/").content.decode())
    # a number that is not one of the case's is refused
    response = client.post(url(case, "calls/"), {"number": "99", "outcome": "answered"})
    assert response.status_code == 400 and Call.objects.count() == 2


# ------------------------------------------------------------------------------------------------ visits and letters


def test_plan_and_report_a_visit(client: Any, case: Case, people: dict[str, Any]) -> None:
    owner, other = owner_and_other(case, people)
    case.borrower.address = "北京市朝阳区建国路1号"
    case.borrower.save(update_fields=["address"])
    client.force_login(owner)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    form = page[page.index('data-testid="visit-form"') :]
    assert 'value="c1"' in form and 'value="c2"' in form and "elsewhere" not in form  # the team's collectors
    assert "北京市朝阳区建国路1号" not in page  # masked for a collector
    # 1: the debtor's postal address (after their phone)
    data = {"planned_for": "2026-04-16T10:00", "address": "1", "place": "", "collectors": [owner.username]}
    response = client.post(url(case, "visits/"), data)
    assert response.status_code == 400 and "compliance guard refuses this visit" in response.content.decode()
    response = client.post(url(case, "visits/"), {**data, "collectors": [owner.username, other.username]})
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert visit.place == "北京市朝阳区建国路1号" and set(visit.collectors.all()) == {owner, other}
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Field visit planned" in timeline_of(html) and "2026-04-16 10:00" in timeline_of(html)
    assert "北京市朝阳区建国路1号" not in html

    response = client.post(
        url(case, f"visits/{visit.pk}/report/"),
        {f"v{visit.pk}-outcome": "met", f"v{visit.pk}-report": "Will pay on the 20th",
         f"v{visit.pk}-photos": [SimpleUploadedFile("door.jpg", b"\xff\xd8door"),
                                 SimpleUploadedFile("street.jpg", b"\xff\xd8street")]},
    )  # fmt: skip
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == "done" and [p["name"] for p in visit.photos] == ["door.jpg", "street.jpg"]
    assert EvidenceRecord.objects.filter(kind="contact.visit", case_id=case.pk).count() == 1
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Field visit · Debtor · Met the debtor" in timeline_of(html) and "2 photos" in html


def test_a_letter_is_recorded_as_delivered(
    client: Any, case: Case, people: dict[str, Any], templates: Any
) -> None:
    owner, _ = owner_and_other(case, people)
    case.borrower.address = "北京市朝阳区建国路1号"
    case.borrower.save(update_fields=["address"])
    client.force_login(owner)
    data = {
        "template": str(templates["demand_letter"].pk),
        "to": "1",
        "key": "d" * 32,
    }  # 1: the postal address
    assert client.post(url(case, "messages/"), data).status_code == 302
    letter = Message.objects.get()
    assert letter.channel == "letter" and letter.address == "北京市朝阳区建国路1号"
    services.deliver_due()
    letter.refresh_from_db()
    assert letter.status == "sent"
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="delivered-form"' in html
    response = client.post(url(case, f"messages/{letter.pk}/delivered/"),
                           {f"m{letter.pk}-tracking_number": "EMS123", f"m{letter.pk}-delivered_on": "2026-04-18"})  # fmt: skip
    assert response.status_code == 302
    letter.refresh_from_db()
    assert (letter.status, letter.tracking_number) == ("delivered", "EMS123")
    assert EvidenceRecord.objects.filter(kind="demand.delivered", case_id=case.pk).exists()
    timeline = timeline_of(client.get(f"/cases/{case.pk}/").content.decode())
    assert "Letter · delivered on 2026-04-18" in timeline and "Letter · Debtor · Sent" in timeline


# ------------------------------------------------------------------------------------------------ visibility


def test_another_collector_gets_404_on_every_contact_endpoint(
    client: Any, case: Case, people: dict[str, Any], templates: Any
) -> None:
    owner, other = owner_and_other(case, people)
    message = services.send_message(case, templates["reminder_1"], party="debtor", address=case.borrower.phone,
                                    actor=owner)  # fmt: skip
    visit = services.plan_visit(
        case, planned_for=DAYTIME, place="Home", collectors=[owner, other], actor=owner
    )
    Message.objects.filter(pk=message.pk).update(status="uncertain")
    before = (
        Message.objects.count(),
        Call.objects.count(),
        Visit.objects.count(),
        GuardDecision.objects.count(),
    )
    for user in (other, people["outsider"]):
        client.force_login(user)
        posts = {
            "preview/": {"template": str(templates["reminder_1"].pk), "to": "0", "key": "e" * 32},
            "messages/": {"template": str(templates["reminder_1"].pk), "to": "0", "key": "e" * 32},
            f"messages/{message.pk}/delivered/": {"tracking_number": "x", "delivered_on": "2026-04-18"},
            "calls/start/": {"number": "0"},
            "calls/": {"number": "0", "outcome": "answered"},
            "visits/": {"planned_for": "2026-04-16T10:00", "place": "x", "collectors": [user.username]},
            f"visits/{visit.pk}/report/": {f"v{visit.pk}-outcome": "met", f"v{visit.pk}-report": "x"},
        }
        for action, data in posts.items():
            assert client.post(url(case, action), data).status_code == 404, action
            assert client.post(url(case, action), data, headers=HTMX).status_code == 404, action
        assert client.post(f"/cases/{case.pk}/calls/", posts["calls/"]).status_code == 404
        settle = client.post(f"/contact/messages/{message.pk}/settle/", {"outcome": "sent", "note": "x"})
        assert settle.status_code == 404
        outbox = client.get("/contact/").content.decode()
        assert f'data-message="{message.pk}"' not in outbox
    after = (
        Message.objects.count(),
        Call.objects.count(),
        Visit.objects.count(),
        GuardDecision.objects.count(),
    )
    assert after == before
    assert Message.objects.get().status == "uncertain"
    assert Visit.objects.get().status == "planned"


# ------------------------------------------------------------------------------------------------ the outbox


def test_the_outbox_shows_each_reader_the_messages_of_the_cases_they_see(
    client: Any, case: Case, people: dict[str, Any], templates: Any
) -> None:
    owner, other = owner_and_other(case, people)
    mine = services.send_message(case, templates["reminder_1"], party="debtor", address=case.borrower.phone,
                                 actor=owner)  # fmt: skip
    Borrower.objects.filter(pk=case.borrower_id).update(email="zhang@example.com")
    case = Case.objects.select_related("borrower").get(pk=case.pk)
    email = services.send_message(case, templates["email_notice"], party="debtor", address="zhang@example.com",
                                  actor=owner)  # fmt: skip
    Message.objects.filter(pk=email.pk).update(status="uncertain")
    theirs_case = Case.objects.create(borrower=case.borrower, lender="B小贷", opened_on=AS_OF, stage_since=AS_OF,
                                      as_of=AS_OF, loan_ids=["LX"], assigned_to=other)  # fmt: skip
    theirs = Message.objects.create(key="x" * 32, case=theirs_case, channel="sms", address="13900000000",
                                    body="hello", next_try_at=timezone.now())  # fmt: skip

    def shown(user: Any, **params: str) -> list[int]:
        client.force_login(user)
        response = client.get("/contact/", params)
        assert response.status_code == 200
        return sorted(int(pk) for pk in re.findall(r'data-message="(\d+)"', response.content.decode()))

    assert shown(owner) == sorted([mine.pk, email.pk])
    assert shown(other) == [theirs.pk]
    assert shown(people["manager"]) == sorted([mine.pk, email.pk, theirs.pk])
    assert shown(people["officer"]) == sorted([mine.pk, email.pk, theirs.pk])
    assert shown(people["manager"], status="uncertain") == [email.pk]
    assert shown(people["manager"], channel="sms") == sorted([mine.pk, theirs.pk])
    assert shown(people["manager"], case=str(case.pk)) == sorted([mine.pk, email.pk])
    assert shown(people["manager"], status="nonsense") == sorted([mine.pk, email.pk, theirs.pk])  # ignored

    # the address is masked for a collector; only those who settle get the Sent / Not sent buttons
    client.force_login(owner)
    html = client.get("/contact/").content.decode()
    assert "z***@example.com" in html and "zhang@example.com" not in html
    assert 'data-testid="settle-form"' not in html
    assert (
        client.post(f"/contact/messages/{email.pk}/settle/", {"outcome": "sent", "note": "x"}).status_code
        == 302
    )
    assert Message.objects.get(pk=email.pk).status == "uncertain"  # refused by the service
    client.force_login(people["officer"])
    html = client.get("/contact/").content.decode()
    assert "zhang@example.com" in html and 'data-testid="settle-form"' in html
    partial = client.get("/contact/", {"channel": "email"}, headers=HTMX).content.decode()
    assert 'id="outbox-results"' in partial and "<html" not in partial

    # a user with none of the capabilities gets a 403; an anonymous one the sign-in page
    nobody = UserFactory(username="nobody", role="visitor")
    client.force_login(nobody)
    assert client.get("/contact/").status_code == 403
    client.logout()
    assert client.get("/contact/").status_code == 302


def test_an_uncertain_message_is_settled_by_a_person(
    client: Any, case: Case, people: dict[str, Any], templates: Any
) -> None:
    owner, _ = owner_and_other(case, people)
    Borrower.objects.filter(pk=case.borrower_id).update(email="zhang@example.com")
    case = Case.objects.select_related("borrower").get(pk=case.pk)
    sent = services.send_message(case, templates["email_notice"], party="debtor", address="zhang@example.com",
                                 actor=owner)  # fmt: skip
    lost = services.send_message(case, templates["reminder_1"], party="debtor", address=case.borrower.phone,
                                 actor=owner)  # fmt: skip
    claimed = timezone.now() - dt.timedelta(hours=1)
    Message.objects.filter(pk__in=[sent.pk, lost.pk]).update(status="uncertain", claimed_at=claimed)

    with pytest.raises(PermissionDenied):
        services.resolve_uncertain(sent, sent=True, actor=owner, note="checked")
    with pytest.raises(DomainError, match="what you checked"):
        services.resolve_uncertain(sent, sent=True, actor=people["officer"], note="  ")

    client.force_login(people["officer"])
    back = "/contact/?status=uncertain"
    response = client.post(f"/contact/messages/{sent.pk}/settle/",
                           {"outcome": "sent", "note": "in the SMTP server's log", "next": back})  # fmt: skip
    assert response.status_code == 302 and response["Location"] == back
    sent.refresh_from_db()
    assert sent.status == "sent" and sent.sent_at == claimed
    record = EvidenceRecord.objects.get(kind="contact.email", case_id=case.pk)
    assert record.payload["settled"] == "in the SMTP server's log" and record.actor_label == "officer"
    assert ContactLedger.objects.filter(channel="email", borrower_id=case.borrower_id).count() == 1
    event = AuditEvent.objects.get(action="contact.settled", object_id=str(sent.pk))
    assert event.note == "in the SMTP server's log" and event.after == {"status": "sent"}

    response = client.post(f"/contact/messages/{lost.pk}/settle/",
                           {"outcome": "not_sent", "note": "not in the gateway's console", "next": "https://evil.example/"})  # fmt: skip
    assert response["Location"] == "/contact/"
    lost.refresh_from_db()
    assert lost.status == "queued" and lost.claimed_at is None
    assert f"Message {lost.pk} queued again." in client.get("/contact/").content.decode()

    with pytest.raises(DomainError, match="Only an uncertain message"):
        services.resolve_uncertain(lost, sent=True, actor=people["officer"], note="again")
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Email · Debtor · Sent" in timeline_of(html)


# ------------------------------------------------------------------------------------------------ queries, admin


def test_the_case_view_runs_a_fixed_number_of_queries(
    client: Any, case: Case, people: dict[str, Any], templates: Any, django_assert_num_queries: Any
) -> None:
    owner, other = owner_and_other(case, people)

    def contacts() -> None:
        services.send_message(case, templates["reminder_1"], party="debtor", address=case.borrower.phone,
                              actor=owner)  # fmt: skip
        services.log_call(case, number=case.borrower.phone, outcome="unanswered", actor=owner)
        services.plan_visit(case, planned_for=DAYTIME, place="Home", collectors=[owner, other], actor=owner)

    contacts()
    client.force_login(owner)
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"/cases/{case.pk}/").status_code == 200
    for _ in range(4):
        contacts()
    with django_assert_num_queries(len(few)):
        html = client.get(f"/cases/{case.pk}/").content.decode()
    assert (
        html.count("data-message=") == 5 and html.count("data-call=") == 5 and html.count("data-visit=") == 5
    )


def test_the_admin_approves_templates_with_four_eyes(client: Any, people: dict[str, Any]) -> None:
    root = UserFactory(username="root", role="admin", is_staff=True, is_superuser=True)
    theirs = services.save_template("hello", channel="sms", body="Hi {{ borrower_name }}", language="en",
                                    actor=people["author"])  # fmt: skip
    own = services.save_template("bye", channel="sms", body="Bye", language="en", actor=root)
    client.force_login(root)
    assert client.get("/admin/contact/template/", {"approved": "no"}).status_code == 200
    response = client.post("/admin/contact/template/",
                           {"action": "approve", "_selected_action": [theirs.pk, own.pk]}, follow=True)  # fmt: skip
    html = response.content.decode()
    assert "1 template approved." in html and "cannot be approved by its author" in html
    theirs.refresh_from_db()
    own.refresh_from_db()
    assert theirs.approved_by == root and own.approved_at is None
    # a new version through the admin is a new row, never an edit of one in use
    response = client.post("/admin/contact/template/add/", {
        "code": "hello", "channel": "sms", "language": "en", "purpose": "reminder", "subject": "",
        "body": "Hello {{ borrower_name }}", "discloses_debt": "on", "opt_out": "on"})  # fmt: skip
    assert response.status_code == 302
    assert list(Template.objects.filter(code="hello").values_list("version", flat=True)) == [2, 1]
    for path in ("message", "call", "visit", "creditorprofile"):
        assert client.get(f"/admin/contact/{path}/").status_code == 200, path


def test_a_promise_taken_on_a_call_is_recorded_with_it(
    client: Any, case: Case, people: dict[str, Any]
) -> None:
    from arrears.negotiation.models import Promise

    owner, _ = owner_and_other(case, people)
    client.force_login(owner)
    half = {"number": DEBTOR_PHONE, "party": "", "outcome": "promise_to_pay", "promised_amount": "1500.50"}
    page = client.post(url(case, "calls/"), half).content.decode()
    assert "Give both the promised amount and its date." in page and not Call.objects.exists()
    wrong = half | {"outcome": "answered", "promised_on": "2026-04-20"}
    assert "goes with the outcome" in client.post(url(case, "calls/"), wrong).content.decode()
    assert client.post(url(case, "calls/"), half | {"promised_on": "2026-04-20"}).status_code == 302
    promise = Promise.objects.get()
    assert (promise.amount, promise.source, promise.case_id) == (150_050, "call", case.pk)
    assert [(i.due_on, i.amount) for i in promise.installments.all()] == [(dt.date(2026, 4, 20), 150_050)]
    assert Call.objects.get().outcome == "promise_to_pay"
