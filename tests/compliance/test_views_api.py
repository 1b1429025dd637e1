"""The compliance pages and API through Django's test client: who may open them (compliance officers and
auditors; a collector gets a 403), the denied-attempts list with its filters, paging and a fixed number of
queries, masked addresses, the packs with their rules in words, editing a pack as JSON with its errors shown
and approving it (not one's own), holds placed and lifted; the API's dry-run check, denied list, holds and
consents with their permissions."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from arrears.accounts.models import Role, User
from arrears.audit.models import AuditEvent
from arrears.compliance import services
from arrears.compliance.guard import Attempt
from arrears.compliance.models import ContactHold, GuardDecision, PackStatus, RulePack
from arrears.portfolio.models import Borrower
from tests.factories import BorrowerFactory, LoanFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
CN = dt.timezone(dt.timedelta(hours=8))
DAY = dt.date(2026, 3, 3)


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=CN)


@pytest.fixture
def borrower() -> Borrower:
    b = BorrowerFactory(borrower_id="B1", phone="13812345678")
    LoanFactory(loan_id="L1", borrower=b, lender="A银行")
    return b


@pytest.fixture
def officer() -> User:
    return UserFactory(username="officer", role=Role.COMPLIANCE)


@pytest.fixture
def collector() -> User:
    return UserFactory(
        username="collector", role=Role.COLLECTOR, team=TeamFactory(name="一组", lenders=["A银行"])
    )


def deny(n: int, *, channel: str = "call", borrower_id: str = "B1", debt_id: str = "L1") -> None:
    for i in range(n):
        services.check(
            Attempt(
                at=at(22, i % 60), channel=channel, party="debtor", address="13812345678", debt_id=debt_id
            ),
            borrower_id=borrower_id,
            lender="",
        )


# --- pages -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.COLLECTOR, 403), (Role.TEAM_LEAD, 403), (Role.LEGAL, 403), (Role.MANAGER, 200), (Role.COMPLIANCE, 200),
     (Role.ADMIN, 200)],
)  # fmt: skip
def test_who_may_open_the_pages(client: Any, role: str, status: int) -> None:
    client.force_login(UserFactory(role=role))
    pack = RulePack.objects.get(code="us-regf")
    for url in ("/compliance/", "/compliance/packs/", f"/compliance/packs/{pack.pk}/", "/compliance/holds/"):
        assert client.get(url).status_code == status, url


def test_anonymous_is_sent_to_login(client: Any) -> None:
    assert client.get("/compliance/").status_code == 302


def test_denied_list_filters_pages_and_masks(client: Any, borrower: Borrower, officer: User) -> None:
    deny(3)
    deny(2, channel="sms")
    services.check(
        Attempt(at=at(10), channel="call", party="debtor", address="138", debt_id="L1"),
        borrower_id="B1",
        lender="",
    )  # fmt: skip  (allowed: not listed)
    auditor = UserFactory(username="manager", role=Role.MANAGER)
    client.force_login(auditor)
    page = client.get("/compliance/").content.decode()
    assert page.count('data-decision="') == 5
    assert "cn-cba-2026/quiet-hours" in page and "13812345678" in page  # managers see full PII
    assert AuditEvent.objects.filter(action="pii.read", actor=auditor, object_id="B1").exists()  # recorded
    assert client.get("/compliance/?channel=sms").content.decode().count('data-decision="') == 2
    assert client.get("/compliance/?rule=nope").content.decode().count('data-decision="') == 5  # ignored
    assert client.get("/compliance/?q=B2").content.decode().count('data-decision="') == 0
    assert client.get("/compliance/?date_from=2999-01-01").content.decode().count('data-decision="') == 0
    partial = client.get("/compliance/?channel=sms", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and partial.count('data-decision="') == 2
    deny(60)
    client.force_login(officer)
    first, second = (
        client.get("/compliance/").content.decode(),
        client.get("/compliance/?page=2").content.decode(),
    )
    assert first.count('data-decision="') == 50 and second.count('data-decision="') == 15


def test_denied_list_queries_do_not_grow(client: Any, borrower: Borrower, officer: User) -> None:
    client.force_login(officer)
    deny(2)
    client.get("/compliance/")
    with CaptureQueriesContext(connection) as few:
        client.get("/compliance/")
    deny(40)
    with CaptureQueriesContext(connection) as many:
        client.get("/compliance/")
    assert len(many) == len(few)


def test_masked_address_for_roles_without_full_pii() -> None:
    from arrears.compliance.views import masked_address

    assert masked_address("13812345678", False) == "138****5678"
    assert masked_address("zhang@example.com", False) == "z***@example.com"
    assert masked_address("北京市朝阳区建国路1号", False) == "北京市朝…"
    assert masked_address("13812345678", True) == "13812345678"


def test_pack_page_shows_the_rules_in_words(client: Any, officer: User) -> None:
    client.force_login(UserFactory(username="manager", role=Role.MANAGER))
    pack = RulePack.objects.get(code="us-regf")
    page = client.get(f"/compliance/packs/{pack.pk}/").content.decode()
    for text in ("us-regf/7-in-7", "us-regf/conversation-lock", "us-regf/quiet-hours", "us-regf/opt-out",
                 'data-testid="in-force"', 'data-testid="definition"'):  # fmt: skip
        assert text in page, text
    assert 'data-testid="pack-form"' not in page  # a manager reads only
    listing = client.get("/compliance/packs/").content.decode()
    assert 'data-pack="cn-cba-2026"' in listing and 'data-pack="house"' in listing


def test_edit_pack_as_json_then_approve_with_four_eyes(client: Any, officer: User) -> None:
    house = RulePack.objects.get(code="house")
    client.force_login(officer)
    assert 'data-testid="pack-form"' in client.get(f"/compliance/packs/{house.pk}/").content.decode()
    url = f"/compliance/packs/{house.pk}/save/"
    bad = client.post(url, {"effective_from": "2026-04-01", "definition": "{", "note": ""})
    assert bad.status_code == 422 and "不是有效的 JSON" in bad.content.decode()  # the UI is in Chinese
    invalid = dict(house.definition, contact_hours={"start": "20:00", "end": "09:00"})
    bad = client.post(url, {"effective_from": "2026-04-01", "definition": json.dumps(invalid)})
    assert bad.status_code == 422 and "start must be before end" in bad.content.decode()
    assert RulePack.objects.filter(code="house").count() == 1
    changed = dict(house.definition, contact_hours={"start": "10:00", "end": "19:00"})
    saved = client.post(
        url, {"effective_from": "2026-04-01", "definition": json.dumps(changed), "note": "v2"}
    )
    draft = RulePack.objects.get(code="house", version=2)
    assert saved.status_code == 302 and saved["Location"] == f"/compliance/packs/{draft.pk}/"
    assert draft.status == PackStatus.DRAFT and draft.created_by == officer
    page = client.get(saved["Location"]).content.decode()
    assert 'data-testid="approve-pack"' not in page  # not one's own
    client.post(f"/compliance/packs/{draft.pk}/approve/")
    draft.refresh_from_db()
    assert draft.status == PackStatus.DRAFT
    client.force_login(UserFactory(username="officer2", role=Role.COMPLIANCE))
    assert 'data-testid="approve-pack"' in client.get(saved["Location"]).content.decode()
    client.post(f"/compliance/packs/{draft.pk}/approve/")
    draft.refresh_from_db()
    assert draft.status == PackStatus.APPROVED
    client.force_login(UserFactory(username="manager", role=Role.MANAGER))
    assert (
        client.post(url, {"effective_from": "2026-04-01", "definition": json.dumps(changed)}).status_code
        == 403
    )


def test_holds_page_place_and_lift(client: Any, borrower: Borrower, officer: User) -> None:
    client.force_login(officer)
    placed = client.post(
        "/compliance/holds/place/",
        {"borrower_id": "B1", "kind": "bankruptcy", "starts_on": "2026-03-01", "reason": "法院受理破产申请",
         "evidence_sha256": "e" * 64},
    )  # fmt: skip
    assert placed.status_code == 302
    hold = ContactHold.objects.get()
    assert (hold.kind, hold.created_by, hold.soft) == ("bankruptcy", officer, False)
    page = client.get("/compliance/holds/").content.decode()
    assert f'data-hold="{hold.pk}"' in page and 'data-testid="lift-hold"' in page
    bad = client.post("/compliance/holds/place/", {"borrower_id": "B404", "kind": "legal_hold",
                                                   "starts_on": "2026-03-01", "reason": "x"})  # fmt: skip
    assert bad.status_code == 422 and "B404" in bad.content.decode()
    client.post(f"/compliance/holds/{hold.pk}/lift/", {"reason": "破产程序终结"})
    hold.refresh_from_db()
    assert hold.lifted_by == officer
    assert f'data-hold="{hold.pk}"' not in client.get("/compliance/holds/").content.decode()
    assert f'data-hold="{hold.pk}"' in client.get("/compliance/holds/?show=all").content.decode()
    client.force_login(UserFactory(username="manager", role=Role.MANAGER))
    page = client.get("/compliance/holds/").content.decode()
    assert 'data-testid="place-hold"' not in page
    assert client.post("/compliance/holds/place/", {}).status_code == 422  # and nothing placed
    assert ContactHold.objects.count() == 1


# --- API ----------------------------------------------------------------------------------------------------------


def attempt_body(**kw: Any) -> dict[str, Any]:
    body = {"borrower_id": "B1", "debt_id": "L1", "at": at(22).isoformat(), "channel": "call", "party": "debtor",
            "address": "13812345678"}  # fmt: skip
    body.update(kw)
    return body


def test_api_check_is_a_dry_run(client: Any, borrower: Borrower, collector: User) -> None:
    client.force_login(collector)
    response = client.post("/api/v1/compliance/check", attempt_body(), content_type="application/json")
    assert response.status_code == 200
    assert response.json()["allowed"] is False and response.json()["rule"] == "cn-cba-2026/quiet-hours"
    allowed = client.post("/api/v1/compliance/check", attempt_body(at=at(9).isoformat()),
                          content_type="application/json").json()  # fmt: skip
    assert allowed["allowed"] is True and allowed["rule"] is None
    assert GuardDecision.objects.count() == 0
    naive = client.post("/api/v1/compliance/check", attempt_body(at="2026-03-03T09:00:00"),
                        content_type="application/json")  # fmt: skip
    assert naive.status_code == 400 and "offset" in naive.json()["message"]
    outsider = UserFactory(role=Role.COLLECTOR, team=TeamFactory(name="二组", lenders=["Z银行"]))
    client.force_login(outsider)
    assert (
        client.post("/api/v1/compliance/check", attempt_body(), content_type="application/json").status_code
        == 404
    )


def test_api_denied_needs_compliance_or_audit(
    client: Any, borrower: Borrower, collector: User, officer: User
) -> None:
    deny(3)
    client.force_login(collector)
    assert client.get("/api/v1/compliance/denied").status_code == 403
    client.force_login(officer)
    body = client.get("/api/v1/compliance/denied?channel=call").json()
    assert body["count"] == 3 and body["decisions"][0]["rule"] == "cn-cba-2026/quiet-hours"
    assert body["decisions"][0]["at"] == "2026-03-03T22:02:00+08:00"
    assert client.get("/api/v1/compliance/denied?channel=sms").json()["count"] == 0


def test_api_holds_and_consents(client: Any, borrower: Borrower, collector: User, officer: User) -> None:
    client.force_login(collector)
    created = client.post("/api/v1/compliance/holds", {"borrower_id": "B1", "kind": "cease_contact",
                          "reason": "客户书面要求"}, content_type="application/json")  # fmt: skip
    assert created.status_code == 201 and created.json()["created_by"] == "collector"
    hold_id = created.json()["id"]
    forbidden = client.post("/api/v1/compliance/holds", {"borrower_id": "B1", "kind": "legal_hold", "reason": "x"},
                            content_type="application/json")  # fmt: skip
    assert forbidden.status_code == 403
    assert [h["kind"] for h in client.get("/api/v1/compliance/holds?borrower_id=B1").json()] == [
        "cease_contact"
    ]
    assert client.post(f"/api/v1/compliance/holds/{hold_id}/lift", {"reason": "x"},
                       content_type="application/json").status_code == 403  # fmt: skip
    outsider = UserFactory(role=Role.COLLECTOR, team=TeamFactory(name="二组", lenders=["Z银行"]))
    client.force_login(outsider)
    assert client.get("/api/v1/compliance/holds").json() == []
    client.force_login(officer)
    lifted = client.post(f"/api/v1/compliance/holds/{hold_id}/lift", {"reason": "撤回"},
                         content_type="application/json")  # fmt: skip
    assert lifted.status_code == 200 and lifted.json()["lifted_by"] == "officer"
    assert client.get("/api/v1/compliance/holds").json() == []
    assert len(client.get("/api/v1/compliance/holds?active=false").json()) == 1
    consent = client.post(
        "/api/v1/compliance/consents",
        {"borrower_id": "B1", "kind": "time_window", "evidence_sha256": "f" * 64, "channel": "call",
         "valid_from": at(8).isoformat(), "valid_until": at(8, day=DAY + dt.timedelta(days=7)).isoformat()},
        content_type="application/json",
    )  # fmt: skip
    assert consent.status_code == 201
    client.force_login(collector)
    late = client.post("/api/v1/compliance/check", attempt_body(at=at(22, 30).isoformat()),
                       content_type="application/json").json()  # fmt: skip
    assert late["allowed"] is True  # the consent with evidence lifts the hours under cn-cba-2026
    packs = client.get("/api/v1/compliance/packs").json()
    assert {p["code"] for p in packs if p["in_force"]} == {"cn-cba-2026", "us-regf", "house"}
