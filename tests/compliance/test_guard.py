"""The guard alone (no database): every rule of the three shipped packs at its boundary times and counts, holds
and the soft hold, consent lifting only where the pack allows, the order of the checks, and pack validation.

Times are the contacted person's local time with their offset (+08:00 Beijing, −08:00 Los Angeles in March)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from arrears.compliance import guard
from arrears.compliance.guard import Attempt, History, Hold, decide, replay

FIXTURES = Path(guard.__file__).parent / "fixtures"
CN_TZ = dt.timezone(dt.timedelta(hours=8))
LA_TZ = dt.timezone(dt.timedelta(hours=-8))


def load(code: str) -> guard.Pack:
    return guard.parse_pack(json.loads((FIXTURES / f"{code}.json").read_text())["definition"])


CN, US, HOUSE = load("cn-cba-2026"), load("us-regf"), load("house")


def at(text: str, tz: dt.timezone = CN_TZ) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=tz)


def attempt(when: str | dt.datetime, channel: str = "call", **kw: Any) -> Attempt:
    moment = at(when) if isinstance(when, str) else when
    fields: dict[str, Any] = {"party": "debtor", "address": "13800000001", "debt_id": "L1", "debtor": "B1"}
    fields.update(kw)
    return Attempt(at=moment, channel=channel, **fields)


def one(pack: guard.Pack, a: Attempt, history: History | None = None, holds: Any = ()) -> guard.Decision:
    return decide(pack, a, history if history is not None else History(pack), holds)


def rules(decisions: list[guard.Decision]) -> list[str | None]:
    return [d.rule for d in decisions]


# --- contact hours --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", guard.CHANNELS)
@pytest.mark.parametrize(
    ("time", "allowed"),
    [("07:59:59", False), ("08:00:00", True), ("21:59:59", True), ("22:00:00", False), ("23:30:00", False),
     ("00:00:00", False), ("12:00:00", True)],
)  # fmt: skip
def test_cn_hours_every_channel(channel: str, time: str, allowed: bool) -> None:
    decision = one(CN, attempt(f"2026-03-03T{time}", channel, collectors=2))
    assert decision.allowed is allowed
    assert decision.rule == (None if allowed else "cn-cba-2026/quiet-hours")


@pytest.mark.parametrize(
    ("time", "allowed"),
    [("07:59:59", False), ("08:00:00", True), ("20:59:59", True), ("21:00:00", True), ("21:00:00.000001", False),
     ("21:00:01", False), ("22:00:00", False)],
)  # fmt: skip
def test_us_hours_nine_pm_itself_is_allowed(time: str, allowed: bool) -> None:
    decision = one(US, attempt(f"2026-03-03T{time}", "email", has_opt_out=True))
    assert (decision.allowed, decision.rule) == (allowed, None if allowed else "us-regf/quiet-hours")


@pytest.mark.parametrize(
    ("time", "allowed"), [("08:59:59", False), ("09:00:00", True), ("19:59:59", True), ("20:00:00", False)]
)
def test_house_hours(time: str, allowed: bool) -> None:
    assert one(HOUSE, attempt(f"2026-03-03T{time}", "sms")).allowed is allowed


def test_hours_are_the_contacted_persons_local_time() -> None:
    """domain-rules §9: a collector in New York calling Los Angeles. 11:30 ET = 08:30 PT allowed; 23:30 ET =
    20:30 PT allowed; 00:30 ET = 21:30 PT not."""
    eastern = dt.timezone(dt.timedelta(hours=-5))
    for et, allowed in (("2026-03-03T11:30", True), ("2026-03-03T23:30", True), ("2026-03-04T00:30", False)):
        local = at(et, eastern).astimezone(LA_TZ)
        assert one(US, attempt(local)).allowed is allowed
    # the same instant is 22:00 in Beijing and 14:00 UTC
    assert not one(CN, attempt(at("2026-03-03T14:00", dt.UTC).astimezone(CN_TZ))).allowed
    assert one(CN, attempt(at("2026-03-03T14:00", dt.UTC))).allowed  # a person in UTC: 14:00 there


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="offset"):
        Attempt(at=dt.datetime(2026, 3, 3, 9), channel="call", party="debtor", address="x", debt_id="L1")
    with pytest.raises(ValueError, match="channel"):
        attempt("2026-03-03T09:00", "fax")


# --- unanswered calls per number per day (CBA) ------------------------------------------------------------------


def test_seventh_call_after_six_unanswered_is_denied() -> None:
    calls = [attempt(f"2026-03-03T{9 + i:02d}:00", outcome="unanswered") for i in range(8)]
    assert rules(replay(CN, calls)) == [None] * 6 + ["cn-cba-2026/unanswered-calls"] * 2


def test_answered_calls_neither_count_nor_reset() -> None:
    outcomes = ["unanswered"] * 3 + ["answered"] + ["busy"] * 3 + ["answered"]
    calls = [attempt(f"2026-03-03T{9 + i:02d}:00", outcome=o) for i, o in enumerate(outcomes)]
    with translation.override("en"):
        decisions = replay(CN, calls)
        assert rules(decisions) == [None] * 7 + ["cn-cba-2026/unanswered-calls"]
        assert decisions[-1].as_dict() == {
            "allowed": False,
            "rule": "cn-cba-2026/unanswered-calls",
            "reason": "6 unanswered calls to this number today already; at most 6 a day.",
        }


def test_unanswered_limit_is_per_number_and_per_local_day() -> None:
    calls = [attempt(f"2026-03-03T{9 + i:02d}:00", outcome="unanswered") for i in range(6)]
    history = History(CN)
    assert all(d.allowed for d in replay(CN, calls, history))
    assert not one(CN, attempt("2026-03-03T21:59:59"), history).allowed
    assert one(CN, attempt("2026-03-03T21:59:59", address="13800000002"), history).allowed
    assert one(CN, attempt("2026-03-04T08:00:00"), history).allowed  # the next local day
    # other channels to the same number do not count as calls
    assert one(CN, attempt("2026-03-03T20:00:00", "sms"), history).allowed


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["answered", "unanswered", "busy", "promise_to_pay", None]), max_size=20))
def test_unanswered_limit_property(outcomes: list[str | None]) -> None:
    """Whatever the sequence, a call is denied exactly when 6 earlier allowed calls went unanswered."""
    calls = [attempt(dt.datetime(2026, 3, 3, 9, tzinfo=CN_TZ) + dt.timedelta(minutes=20 * i), outcome=o)
             for i, o in enumerate(outcomes)]  # fmt: skip
    unanswered = 0
    for call, decision in zip(calls, replay(CN, calls), strict=True):
        assert decision.allowed is (unanswered < 6)
        if decision.allowed and call.outcome in ("unanswered", "busy"):
            unanswered += 1


# --- third parties, credit cards, visits (CBA) ------------------------------------------------------------------


def third(when: str = "2026-03-03T10:00", **kw: Any) -> Attempt:
    return attempt(when, party="third_party", address=kw.pop("address", "13900000009"), **kw)


def test_third_party_only_when_the_debtor_is_unreachable() -> None:
    history = History(CN)
    assert one(CN, third(), history).rule == "cn-cba-2026/third-party-unreachable-only"
    for i, outcome in enumerate(["unanswered", "wrong_party"]):
        history.record(attempt(f"2026-03-03T{8 + i:02d}:00", outcome=outcome))
    assert not one(CN, third(), history).allowed  # 2 failed in a row
    history.record(attempt("2026-03-03T09:30", "sms", outcome="failed"))
    assert one(CN, third(), history).allowed  # 3 failed in a row, any channel
    history.record(attempt("2026-03-03T09:40", outcome="answered"))
    assert one(CN, third(), history).rule == "cn-cba-2026/third-party-unreachable-only"  # reached again
    history.record(attempt("2026-03-03T09:50", "sms", outcome="delivered"))  # neither reached nor failed
    history.record(attempt("2026-03-03T09:55", address="13800000003", outcome="invalid_number"))
    assert one(CN, third(), history).allowed  # an invalid debtor number


def test_third_parties_are_never_told_and_not_contacted_again_once_they_object() -> None:
    history = History(CN)
    for i in range(3):
        history.record(attempt(f"2026-03-03T{8 + i:02d}:00", outcome="unanswered"))
    assert one(CN, third(discloses_debt=True), history).rule == "cn-cba-2026/third-party-disclosure"
    assert rules(replay(CN, [third(outcome="objected"), third("2026-03-03T11:00")], history)) == [
        None,
        "cn-cba-2026/third-party-objected",
    ]
    assert one(CN, third(address="13900000008"), history).allowed  # another third party
    assert one(CN, third(address="13900000008", outcome="refused"), history).allowed
    history.record(third(address="13900000008", outcome="refused"))
    assert one(CN, third("2026-03-10T10:00", address="13900000008"), history).rule == (
        "cn-cba-2026/third-party-objected"
    )  # for good, not only that day


def test_credit_card_debts_only_from_debtor_and_guarantor() -> None:
    history = History(CN)
    for i in range(3):
        history.record(attempt(f"2026-03-03T{8 + i:02d}:00", outcome="unanswered"))
    assert one(CN, third(product_type="credit_card"), history).rule == "cn-cba-2026/credit-card-parties"
    assert one(CN, third(product_type="term_loan"), history).allowed
    guarantor = attempt("2026-03-03T10:00", party="guarantor", product_type="credit_card", address="137")
    assert one(CN, guarantor, history).allowed
    assert one(US, third(product_type="credit_card")).allowed  # not a Reg F rule


@pytest.mark.parametrize(("collectors", "allowed"), [(1, False), (2, True), (3, True)])
def test_field_visits_need_two_collectors(collectors: int, allowed: bool) -> None:
    decision = one(CN, attempt("2026-03-03T10:00", "visit", address="北京市朝阳区", collectors=collectors))
    assert (decision.allowed, decision.rule) == (allowed, None if allowed else "cn-cba-2026/visit-collectors")
    assert one(US, attempt("2026-03-03T10:00", "visit", collectors=1)).allowed


# --- Regulation F -------------------------------------------------------------------------------------------------


def test_eighth_call_in_seven_days_is_denied() -> None:
    calls = [attempt(f"2026-03-0{2 + i // 2}T{10 + i % 2 * 2}:00", outcome="unanswered") for i in range(7)]
    history = History(US)
    assert all(d.allowed for d in replay(US, calls, history))  # Mon–Thu, 7 calls
    assert one(US, attempt("2026-03-08T20:00"), history).rule == "us-regf/7-in-7"  # Sun: day 7
    assert one(US, attempt("2026-03-09T08:00"), history).allowed  # the first 2 calls (Mon) left the window
    assert one(US, attempt("2026-03-08T20:00", debt_id="L2"), history).allowed  # per debt


def test_calls_not_connected_do_not_count() -> None:
    calls = [
        attempt(f"2026-03-03T{9 + i:02d}:00", outcome="busy" if i % 2 else "unanswered") for i in range(12)
    ]
    decisions = replay(US, calls)
    assert [d.allowed for d in decisions] == [True] * 12  # 6 connected, 6 busy
    calls = [attempt(f"2026-03-03T{9 + i:02d}:00", outcome="unanswered") for i in range(9)]
    assert rules(replay(US, calls)) == [None] * 7 + ["us-regf/7-in-7"] * 2


def test_no_call_within_seven_days_after_a_conversation() -> None:
    """domain-rules §9: a conversation on Tue 2026-03-03 → no further call about that debt until Tue 03-10."""
    history = History(US)
    history.record(attempt("2026-03-03T08:30", outcome="unanswered"))
    history.record(attempt("2026-03-03T10:00", outcome="answered"))
    assert one(US, attempt("2026-03-03T09:59:59"), history).allowed  # before the conversation
    for when in ("2026-03-03T10:00:01", "2026-03-04T09:00", "2026-03-09T20:59"):
        assert one(US, attempt(when), history).rule == "us-regf/conversation-lock"
    with translation.override("en"):
        assert one(US, attempt("2026-03-05T09:00"), history).reason == (
            "A telephone conversation about this debt took place on 2026-03-03: no call before 2026-03-10."
        )
    assert one(US, attempt("2026-03-10T08:00"), history).allowed
    assert one(US, attempt("2026-03-05T09:00", debt_id="L2"), history).allowed
    assert one(US, attempt("2026-03-05T09:00", "sms", has_opt_out=True), history).allowed  # calls only
    third_party = History(US)
    third_party.record(attempt("2026-03-03T10:00", party="third_party", address="139", outcome="answered"))
    assert one(US, attempt("2026-03-04T10:00"), third_party).allowed  # not a conversation about the debt


@pytest.mark.parametrize("channel", ["sms", "email", "chat"])
def test_electronic_messages_need_an_opt_out(channel: str) -> None:
    assert one(US, attempt("2026-03-03T10:00", channel)).rule == "us-regf/opt-out"
    assert one(US, attempt("2026-03-03T10:00", channel, has_opt_out=True)).allowed
    assert one(CN, attempt("2026-03-03T10:00", channel)).allowed
    assert one(US, attempt("2026-03-03T10:00", "letter")).allowed


# --- consent ---------------------------------------------------------------------------------------------------------


def test_consent_lifts_only_what_the_pack_allows() -> None:
    late = "2026-03-03T22:30"
    assert one(CN, attempt(late, consent=frozenset({"time_window"}))).allowed
    assert not one(CN, attempt(late, consent=frozenset({"frequency"}))).allowed
    assert one(US, attempt(late, consent=frozenset({"time_window"}))).rule == "us-regf/quiet-hours"
    assert one(HOUSE, attempt(late, consent=frozenset({"time_window"}))).rule == "house/quiet-hours"

    cn_history = History(CN)
    replay(CN, [attempt(f"2026-03-03T{9 + i:02d}:00", outcome="unanswered") for i in range(6)], cn_history)
    assert one(CN, attempt("2026-03-03T16:00", consent=frozenset({"frequency"})), cn_history).allowed

    us_history = History(US)
    us_history.record(attempt("2026-03-03T10:00", outcome="answered"))
    consented = attempt("2026-03-04T10:00", consent=frozenset({"frequency"}))
    assert one(US, consented, us_history).allowed  # §1006.14(b)(3)
    assert one(US, attempt("2026-03-04T22:00", consent=frozenset({"frequency"})), us_history).rule == (
        "us-regf/quiet-hours"
    )

    house_history = History(HOUSE)
    replay(
        HOUSE, [attempt(f"2026-03-03T{10 + i:02d}:00", outcome="answered") for i in range(3)], house_history
    )
    assert one(HOUSE, attempt("2026-03-03T15:00", consent=frozenset({"frequency"})), house_history).rule == (
        "house/call-per-day"
    )


# --- holds -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["cease_contact", "dispute", "bankruptcy", "deceased", "legal_hold"])
@pytest.mark.parametrize("channel", guard.CHANNELS)
def test_hard_holds_block_everything(kind: str, channel: str) -> None:
    decision = one(
        CN, attempt("2026-03-03T10:00", channel, purpose="reminder", collectors=2), holds=[Hold(kind)]
    )
    assert (decision.allowed, decision.rule) == (False, f"hold/{kind}")


def test_payment_plan_allows_only_reminders() -> None:
    plan = [Hold("payment_plan", soft=True)]
    for channel in ("sms", "email", "chat"):
        assert one(CN, attempt("2026-03-03T10:00", channel, purpose="reminder"), holds=plan).allowed
        assert one(CN, attempt("2026-03-03T10:00", channel), holds=plan).rule == "hold/payment_plan"
    for channel in ("call", "letter", "visit"):
        decision = one(CN, attempt("2026-03-03T10:00", channel, purpose="reminder", collectors=2), holds=plan)
        assert decision.rule == "hold/payment_plan"
    # a reminder still obeys the pack
    assert one(CN, attempt("2026-03-03T23:00", "sms", purpose="reminder"), holds=plan).rule == (
        "cn-cba-2026/quiet-hours"
    )
    assert one(CN, attempt("2026-03-03T10:00", "sms", purpose="reminder"),
               holds=[*plan, Hold("dispute")]).rule == "hold/dispute"  # fmt: skip


def test_hold_scope_and_dates() -> None:
    on_l2 = [Hold("cease_contact", debt_id="L2")]
    assert one(CN, attempt("2026-03-03T10:00"), holds=on_l2).allowed
    assert one(CN, attempt("2026-03-03T10:00", debt_id="L2"), holds=on_l2).rule == "hold/cease_contact"
    dated = [Hold("legal_hold", starts_on=dt.date(2026, 3, 4), ends_on=dt.date(2026, 3, 6))]
    assert [one(CN, attempt(f"2026-03-0{d}T10:00"), holds=dated).allowed for d in (3, 4, 6, 7)] == [
        True, False, False, True,
    ]  # fmt: skip
    assert one(CN, attempt("2026-03-03T10:00"), holds=[Hold("court_order")]).rule == "hold/court_order"


def test_checks_run_in_the_documented_order() -> None:
    late_visit = attempt("2026-03-03T23:00", "visit", party="third_party", collectors=1, discloses_debt=True,
                         product_type="credit_card")  # fmt: skip
    assert one(CN, late_visit, holds=[Hold("deceased")]).rule == "hold/deceased"
    assert one(CN, late_visit).rule == "cn-cba-2026/credit-card-parties"
    assert one(CN, attempt("2026-03-03T23:00", "visit", party="third_party", collectors=1,
                           discloses_debt=True)).rule == "cn-cba-2026/third-party-disclosure"  # fmt: skip
    assert one(CN, attempt("2026-03-03T23:00", "visit", collectors=1)).rule == "cn-cba-2026/visit-collectors"
    assert one(US, attempt("2026-03-03T23:00", "sms")).rule == "us-regf/opt-out"


# --- house limits -----------------------------------------------------------------------------------------------------


def test_house_limits_per_channel_per_day_and_week() -> None:
    calls = [attempt(f"2026-03-03T{10 + i:02d}:00", outcome="answered") for i in range(4)]
    assert rules(replay(HOUSE, calls)) == [None] * 3 + ["house/call-per-day"]
    week = [attempt(f"2026-03-0{2 + i // 3}T{10 + i % 3:02d}:00", outcome="answered") for i in range(12)]
    assert rules(replay(HOUSE, week)) == [None] * 10 + ["house/call-per-week"] * 2
    texts = [attempt(f"2026-03-0{2 + i}T10:00", "sms") for i in range(4)] + [
        attempt("2026-03-02T11:00", "sms")
    ]
    assert rules(replay(HOUSE, texts)) == [None, None, None, "house/sms-per-week", "house/sms-per-day"]
    visits = [attempt(f"2026-03-{d:02d}T10:00", "visit", collectors=2) for d in (2, 8, 9)]
    assert rules(replay(HOUSE, visits)) == [None, "house/visit-per-week", None]
    # per debtor: another debt of the same borrower counts, another borrower does not
    history = History(HOUSE)
    replay(HOUSE, calls[:3], history)
    assert one(HOUSE, attempt("2026-03-03T15:00", debt_id="L9"), history).rule == "house/call-per-day"
    assert one(HOUSE, attempt("2026-03-03T15:00", debt_id="L9", debtor="B9"), history).allowed


def test_denied_attempts_do_not_count() -> None:
    calls = [
        attempt("2026-03-03T10:00", "visit", collectors=1),
        attempt("2026-03-03T11:00", "visit", collectors=2),
    ]
    assert rules(replay(HOUSE, calls)) == ["house/visit-collectors", None]


# --- packs --------------------------------------------------------------------------------------------------------------


def test_pack_validation_names_the_problems() -> None:
    with pytest.raises(ValidationError, match="start must be before end"):
        guard.parse_pack({"code": "x", "name": "X", "contact_hours": {"start": "22:00", "end": "08:00"}})
    with pytest.raises(ValidationError, match="Extra inputs"):
        guard.parse_pack({"code": "x", "name": "X", "quiet": True})
    with pytest.raises(ValidationError, match="consent_lifts"):
        guard.parse_pack({"code": "x", "name": "X", "consent_lifts": ["everything"]})
    with pytest.raises(ValidationError, match="per_number_per_day"):
        guard.parse_pack({"code": "x", "name": "X", "unanswered_calls": {"per_number_per_day": 0}})
    bare = guard.parse_pack({"code": "bare", "name": "Nothing"})
    assert one(bare, attempt("2026-03-03T03:00", "visit", party="third_party", discloses_debt=True)).allowed


def test_history_prune_and_equality() -> None:
    a, b = History(CN), History(CN)
    old = attempt("2026-02-01T10:00", outcome="unanswered")
    new = attempt("2026-03-03T10:00", outcome="unanswered")
    a.record_many([old, new])
    b.record(new)
    assert a != b
    a.prune(dt.date(2026, 3, 1).toordinal())
    assert a != b and a.debtors == {"B1": (2, False)}  # the streak is not bounded in time
    b.set_debtor("B1", 2, False)
    assert a == b and a.unanswered == {("13800000001", dt.date(2026, 3, 3).toordinal()): 1}
