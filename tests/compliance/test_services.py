"""The guard's services on the database: the seeded packs and the pack in force per portfolio and date, `check`
(the ledger's history, holds, consent, the loan's product; every decision kept, denials audited, dry runs not),
the history rebuilt from the ledger equal to the one recorded contact by contact, holds and consents with who
may place and lift them, and pack versions approved with four eyes."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import random
from typing import Any

import pytest
from django.utils import translation

from arrears.accounts.models import Role, User
from arrears.audit.models import AuditEvent
from arrears.compliance import guard, selectors, services
from arrears.compliance.guard import Attempt
from arrears.compliance.models import (
    ContactLedger,
    GuardDecision,
    PackAssignment,
    PackStatus,
    RulePack,
    Scope,
)
from arrears.core.errors import DomainError, NotFound, PermissionDenied
from arrears.portfolio.models import Borrower, ProductType
from tests.factories import BorrowerFactory, LoanFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
CN = dt.timezone(dt.timedelta(hours=8))
DAY = dt.date(2026, 3, 3)


def at(hour: int, minute: int = 0, day: dt.date = DAY, tz: dt.timezone = CN) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


def call(when: dt.datetime, **kw: Any) -> Attempt:
    fields: dict[str, Any] = {"channel": "call", "party": "debtor", "address": "13800000001", "debt_id": "L1"}
    fields.update(kw)
    return Attempt(at=when, **fields)


@pytest.fixture(autouse=True)
def english() -> Any:
    """Messages in English (the default language is Chinese; strings shared with other apps are translated)."""
    with translation.override("en"):
        yield


@pytest.fixture
def borrower() -> Borrower:
    b = BorrowerFactory(borrower_id="B1", phone="13800000001")
    LoanFactory(loan_id="L1", borrower=b, lender="A银行")
    LoanFactory(loan_id="L2", borrower=b, lender="A银行", product_type=ProductType.CREDIT_CARD)
    return b


@pytest.fixture
def officer() -> User:
    return UserFactory(username="officer", role=Role.COMPLIANCE)


@pytest.fixture
def collector() -> User:
    return UserFactory(
        username="collector", role=Role.COLLECTOR, team=TeamFactory(name="一组", lenders=["A银行"])
    )


def check(attempt: Attempt, **kw: Any) -> guard.Decision:
    kw.setdefault("borrower_id", "B1")
    kw.setdefault("lender", "")
    return services.check(attempt, **kw)


def test_shipped_packs_are_seeded_approved_with_a_default_assignment() -> None:
    rows = {r.code: r for r in RulePack.objects.all()}
    assert set(rows) == {"cn-cba-2026", "us-regf", "house"}
    assert all(r.status == PackStatus.APPROVED and r.version == 1 for r in rows.values())
    assert rows["cn-cba-2026"].effective_from == dt.date(2026, 1, 30)
    default = PackAssignment.objects.get()
    assert (default.scope, default.value, default.pack_code) == (Scope.DEFAULT, "*", "cn-cba-2026")
    services.seed_packs()  # idempotent
    assert RulePack.objects.count() == 3 and PackAssignment.objects.count() == 1
    row, pack = selectors.pack_for("任何银行", "bank", DAY)
    assert (row.code, pack.code) == ("cn-cba-2026", "cn-cba-2026")
    with pytest.raises(NotFound):
        selectors.pack_for("", "", dt.date(2025, 12, 31))  # before the guideline


def test_check_keeps_every_decision_and_audits_denials(borrower: Borrower, collector: User) -> None:
    allowed = check(call(at(9)), actor=collector, case_id=7)
    denied = check(call(at(22)), actor=collector)
    assert allowed.allowed and not denied.allowed and denied.rule == "cn-cba-2026/quiet-hours"
    kept = list(GuardDecision.objects.order_by("pk"))
    assert [(d.allowed, d.rule, d.pack_code, d.pack_version, d.case_id) for d in kept] == [
        (True, "", "cn-cba-2026", 1, 7),
        (False, "cn-cba-2026/quiet-hours", "cn-cba-2026", 1, None),
    ]
    assert kept[1].reason == "Contact is allowed only from 08:00 to before 22:00 local time; it is 22:00:00."
    assert kept[1].local_at == at(22) and kept[1].utc_offset_minutes == 480
    event = AuditEvent.objects.get(action="compliance.contact_denied")
    assert event.actor == collector and event.after["rule"] == "cn-cba-2026/quiet-hours"
    assert services.decide(call(at(23)), borrower_id="B1", lender="").rule == "cn-cba-2026/quiet-hours"
    assert GuardDecision.objects.count() == 2  # a dry run keeps nothing


def test_check_counts_the_ledger(borrower: Borrower) -> None:
    for i in range(6):
        attempt = call(at(9 + i), outcome="unanswered")
        assert check(attempt).allowed
        services.record_contact(attempt, borrower_id="B1")
    assert check(call(at(16))).rule == "cn-cba-2026/unanswered-calls"
    assert check(call(at(16), address="13800000002")).allowed
    assert check(call(at(8, day=DAY + dt.timedelta(days=1)))).allowed
    row = ContactLedger.objects.first()
    assert row is not None and row.local_at == at(9) and row.as_attempt().debtor == "B1"


def test_third_party_rules_read_the_whole_ledger(borrower: Borrower) -> None:
    third = call(at(10, day=DAY + dt.timedelta(days=20)), party="third_party", address="13900000009")
    assert check(third).rule == "cn-cba-2026/third-party-unreachable-only"
    for i in range(3):  # long before the 8-day window
        services.record_contact(call(at(9 + i), outcome="unanswered"), borrower_id="B1")
    assert check(third).allowed
    services.record_contact(dataclasses.replace(third, at=at(11), outcome="objected"), borrower_id="B1")
    assert check(third).rule == "cn-cba-2026/third-party-objected"
    assert check(dataclasses.replace(third, address="13900000008")).allowed


def test_product_and_lender_come_from_the_loan(borrower: Borrower) -> None:
    for i in range(3):
        services.record_contact(call(at(9 + i), outcome="unanswered"), borrower_id="B1")
    third = call(at(15), party="third_party", address="13900000009")
    assert check(third).allowed
    assert check(dataclasses.replace(third, debt_id="L2")).rule == "cn-cba-2026/credit-card-parties"
    with pytest.raises(DomainError, match="not borrower"):
        BorrowerFactory(borrower_id="B2")
        check(call(at(9)), borrower_id="B2")


def test_pack_assignment_by_lender_then_type_then_default(borrower: Borrower, officer: User) -> None:
    late = call(at(21, 30))
    assert check(late).allowed  # cn: until 22:00
    services.assign_pack(Scope.LENDER_TYPE, "bank", "house", effective_from=DAY, actor=officer)
    assert check(late).rule == "house/quiet-hours"
    services.assign_pack(Scope.LENDER, "A银行", "us-regf", effective_from=DAY, actor=officer)
    assert check(late).rule == "us-regf/quiet-hours"
    assert check(dataclasses.replace(late, at=at(21, 30, day=DAY - dt.timedelta(days=1)))).allowed  # before
    assert selectors.assigned_pack_code("C银行", "consumer_finance", DAY) == "cn-cba-2026"
    with pytest.raises(PermissionDenied):
        services.assign_pack(
            Scope.DEFAULT, "*", "house", effective_from=DAY, actor=UserFactory(role=Role.MANAGER)
        )


def test_holds_block_until_lifted(borrower: Borrower, officer: User, collector: User) -> None:
    hold = services.place_hold(
        "B1", "cease_contact", actor=collector, reason="信函要求停止联系", starts_on=DAY
    )
    assert check(call(at(9))).rule == "hold/cease_contact"
    assert check(call(at(9), channel="sms", purpose="reminder")).rule == "hold/cease_contact"
    with pytest.raises(PermissionDenied):
        services.lift_hold(hold, actor=collector, reason="")
    services.lift_hold(hold, actor=officer, reason="撤回请求")
    assert check(call(at(9))).allowed
    with pytest.raises(DomainError, match="already lifted"):
        services.lift_hold(hold, actor=officer, reason="again")
    assert [e.action for e in AuditEvent.objects.order_by("pk")] == [
        "compliance.hold_placed", "compliance.contact_denied", "compliance.contact_denied", "compliance.hold_lifted",
    ]  # fmt: skip


def test_who_may_place_holds(borrower: Borrower, officer: User, collector: User) -> None:
    services.place_hold("B1", "dispute", actor=collector, reason="客户提出异议", starts_on=DAY)
    for kind in ("payment_plan", "bankruptcy", "legal_hold", "deceased"):
        with pytest.raises(PermissionDenied):
            services.place_hold("B1", kind, actor=collector, reason="x", starts_on=DAY)
    outsider = UserFactory(role=Role.COLLECTOR, team=TeamFactory(name="二组", lenders=["Z银行"]))
    with pytest.raises(NotFound):
        services.place_hold("B1", "cease_contact", actor=outsider, reason="x", starts_on=DAY)
    plan = services.place_hold("B1", "payment_plan", actor=officer, reason="分期计划", starts_on=DAY, loan_id="L1",
                               ends_on=DAY + dt.timedelta(days=90), evidence_sha256="AB" * 32)  # fmt: skip
    assert plan.soft and plan.evidence_sha256 == "ab" * 32
    with pytest.raises(DomainError, match="SHA-256"):
        services.place_hold(
            "B1", "legal_hold", actor=officer, reason="x", starts_on=DAY, evidence_sha256="xyz"
        )
    with pytest.raises(NotFound):
        services.place_hold("B1", "legal_hold", actor=officer, reason="x", starts_on=DAY, loan_id="L404")
    assert [h.kind for h in selectors.holds_for("B1")] == ["payment_plan", "dispute"]


def test_soft_hold_on_one_loan(borrower: Borrower, officer: User) -> None:
    services.place_hold("B1", "payment_plan", actor=officer, reason="分期", starts_on=DAY, loan_id="L1")
    assert check(call(at(9))).rule == "hold/payment_plan"
    assert check(call(at(9), channel="sms", purpose="reminder")).allowed
    assert check(call(at(9), debt_id="L2")).allowed
    assert check(call(at(9, day=DAY - dt.timedelta(days=1)))).allowed  # before it starts


def test_consent_with_evidence_lifts_only_what_the_pack_allows(
    borrower: Borrower, officer: User, collector: User
) -> None:
    with pytest.raises(DomainError, match="evidence"):
        services.record_consent("B1", "time_window", actor=collector, evidence_sha256="", valid_from=at(8),
                                valid_until=at(8, day=DAY + dt.timedelta(days=30)))  # fmt: skip
    services.record_consent("B1", "time_window", actor=collector, evidence_sha256="c" * 64, channel="call",
                            valid_from=at(8), valid_until=at(8, day=DAY + dt.timedelta(days=30)))  # fmt: skip
    late = call(at(22, 30))
    assert check(late).allowed  # cn lifts the hours
    assert GuardDecision.objects.get().consent == ["time_window"]
    assert check(dataclasses.replace(late, channel="sms")).rule == "cn-cba-2026/quiet-hours"  # call only
    assert check(dataclasses.replace(late, at=at(22, 30, day=DAY + dt.timedelta(days=31)))).rule == (
        "cn-cba-2026/quiet-hours"
    )  # expired
    # an attempt's own claim of consent counts for nothing
    claimed = Attempt(at=at(22, 30), channel="sms", party="debtor", address="x", debt_id="L1",
                      consent=frozenset({"time_window"}))  # fmt: skip
    assert not check(claimed).allowed
    services.assign_pack(Scope.DEFAULT, "*", "us-regf", effective_from=DAY, actor=officer)
    assert check(late).rule == "us-regf/quiet-hours"  # Reg F: consent lifts frequency only


def test_us_consent_covers_at_most_seven_days(borrower: Borrower, officer: User) -> None:
    services.assign_pack(Scope.DEFAULT, "*", "us-regf", effective_from=DAY, actor=officer)
    services.record_consent("B1", "frequency", actor=officer, evidence_sha256="d" * 64, valid_from=at(9),
                            valid_until=at(9, day=DAY + dt.timedelta(days=60)))  # fmt: skip
    conversation = call(at(10), outcome="answered")
    services.record_contact(conversation, borrower_id="B1")
    assert check(call(at(12))).allowed  # consent given today
    later = at(12, day=DAY + dt.timedelta(days=7))
    services.record_contact(
        call(at(10, day=DAY + dt.timedelta(days=6)), outcome="answered"), borrower_id="B1"
    )
    assert (
        check(call(later)).rule == "us-regf/conversation-lock"
    )  # day 8 after the consent: no longer covered


@pytest.mark.parametrize("code", ["cn-cba-2026", "us-regf", "house"])
def test_history_rebuilt_from_the_ledger_equals_the_recorded_one(code: str) -> None:
    """Random contacts over two weeks (two loans, several numbers, a guarantor, one third party, two offsets):
    the history `check` rebuilds from the ledger equals the one recorded contact by contact, pruned to the
    window, and decides every probe the same."""
    b = BorrowerFactory(borrower_id="B1")
    for loan_id in ("L1", "L2"):
        LoanFactory(loan_id=loan_id, borrower=b)
    pack = selectors.parsed(selectors.pack_in_force(code, DAY))  # type: ignore[arg-type]
    rng = random.Random(code)
    recorded = guard.History(pack)
    when = at(8)
    third_party = "13900000009"
    outcomes = ["answered", "unanswered", "busy", "invalid_number", "wrong_party", "refused", "objected",
                "promise_to_pay", "delivered", "failed", None]  # fmt: skip
    for _ in range(150):
        when += dt.timedelta(minutes=rng.randint(20, 260))
        party = rng.choice(["debtor"] * 5 + ["guarantor", "third_party"])
        address = {"debtor": rng.choice(["13800000001", "13800000002", "b1@example.com"]), "guarantor": "13700001111",
                   "third_party": third_party}[party]  # fmt: skip
        attempt = Attempt(
            at=when.astimezone(rng.choice([CN, dt.timezone(dt.timedelta(hours=9))])),
            channel=rng.choice(["call"] * 5 + ["sms", "email", "visit", "letter", "chat"]),
            party=party, address=address, debt_id=rng.choice(["L1", "L2"]), outcome=rng.choice(outcomes),
            debtor="B1",
        )  # fmt: skip
        services.record_contact(attempt, borrower_id="B1")
        recorded.record(attempt)
    assert when - at(8) > dt.timedelta(days=12)
    probes = [
        Attempt(at=when + dt.timedelta(hours=1), channel=channel, party=party, address=address, debt_id=debt,
                debtor="B1", collectors=2, has_opt_out=True)
        for channel in ("call", "sms", "visit")
        for party, address in (("debtor", "13800000001"), ("third_party", third_party))
        for debt in ("L1", "L2")
    ]  # fmt: skip
    for probe in probes:
        rebuilt = selectors.history_for(pack, probe, "B1")
        expected = guard.History(pack)
        expected.record_many(
            ContactLedger.objects.get(pk=r.pk).as_attempt() for r in ContactLedger.objects.all()
        )
        expected.prune(guard.first_day(pack, probe.at))
        assert rebuilt == expected
        recorded_copy = copy.deepcopy(recorded)  # the in-memory one, pruned the same way
        recorded_copy.prune(guard.first_day(pack, probe.at))
        assert rebuilt == recorded_copy
        assert guard.decide(pack, probe, rebuilt) == guard.decide(pack, probe, recorded_copy)


def test_history_queries_are_few(borrower: Borrower, django_assert_max_num_queries: Any) -> None:
    for i in range(40):
        services.record_contact(
            call(at(9) + dt.timedelta(hours=7 * i), outcome="unanswered"), borrower_id="B1"
        )
    pack = selectors.parsed(selectors.pack_in_force("cn-cba-2026", DAY))  # type: ignore[arg-type]
    with django_assert_max_num_queries(4):  # window, last reached, streak, objection
        selectors.history_for(pack, call(at(10, day=DAY + dt.timedelta(days=12)), party="third_party"), "B1")
    with django_assert_max_num_queries(11):  # 8 reads; savepoint, insert, release
        check(call(at(10, day=DAY + dt.timedelta(days=12))))


def test_pack_versions_with_four_eyes(officer: User) -> None:
    other = UserFactory(username="officer2", role=Role.COMPLIANCE)
    current = selectors.pack_in_force("house", DAY)
    assert current is not None
    stricter = dict(current.definition, contact_hours={"start": "10:00", "end": "19:00"})
    with pytest.raises(PermissionDenied):
        services.save_pack(stricter, effective_from=DAY, actor=UserFactory(role=Role.COLLECTOR))
    with pytest.raises(DomainError, match="contact_hours"):
        services.save_pack(dict(stricter, contact_hours={"start": "19:00", "end": "10:00"}), effective_from=DAY,
                           actor=officer)  # fmt: skip
    with pytest.raises(DomainError, match="not valid JSON"):
        services.save_pack("{", effective_from=DAY, actor=officer)
    draft = services.save_pack(stricter, effective_from=DAY, actor=officer, note="shorter hours")
    assert (draft.code, draft.version, draft.status) == ("house", 2, PackStatus.DRAFT)
    assert selectors.pack_in_force("house", DAY) == current  # a draft is not in force
    with pytest.raises(PermissionDenied):
        services.approve_pack(draft, actor=officer)
    services.save_pack(dict(stricter, name="House v2"), effective_from=DAY, actor=other, draft=draft)
    with pytest.raises(PermissionDenied):
        services.approve_pack(draft, actor=other)  # the last editor is an author too
    approved = services.approve_pack(draft, actor=UserFactory(username="admin", role=Role.ADMIN))
    assert approved.status == PackStatus.APPROVED
    assert selectors.pack_in_force("house", DAY) == approved
    assert selectors.pack_in_force("house", DAY - dt.timedelta(days=1)) == current
    with pytest.raises(DomainError, match="new version"):
        services.save_pack(stricter, effective_from=DAY, actor=officer, draft=approved)
    with pytest.raises(DomainError, match="Only a draft"):
        services.approve_pack(approved, actor=other)
    actions = list(
        AuditEvent.objects.filter(object_type="RulePack").order_by("pk").values_list("action", flat=True)
    )
    assert actions == ["compliance.pack_saved", "compliance.pack_saved", "compliance.pack_approved"]
