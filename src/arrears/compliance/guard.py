"""The compliance guard: may this contact attempt happen now? Pure Python — no ORM, no clock, no I/O.

`decide(pack, attempt, history, holds)` answers with a `Decision` (allowed, the rule that stopped it, why). The
rules are data: a `Pack` (JSON, validated here) turns each rule on and sets its numbers; `History` holds the
contacts that happened (only allowed attempts are ever recorded), indexed so that every check is a dict look-up or
a bisection (a decision takes ~5–10 µs, see bench/guard_bench.py).

Order of the checks (the first rule that fails is the answer, so the reported rule is stable):

1. holds (`hold/<kind>`): a hard hold (cease contact, dispute under review, bankruptcy, deceased, legal hold) stops
   everything; a soft one (an active payment plan) lets through only a reminder: SMS, email or chat with purpose
   `reminder`;
2. the channel: one the pack does not use (`<pack>/channel`);
3. who: parties a product may not be collected from (credit cards: debtor and guarantor only, §5.2 Art. 68),
   then third parties — never told about the debt, not again once they objected, only while the debtor is
   unreachable (N consecutive failed contacts with the debtor, or an invalid debtor number);
4. how: a field visit's collectors, an electronic message's opt-out;
5. when: the contact hours in the contacted person's local time (`Attempt.at` carries their offset);
6. how often: unanswered calls per number per local day, calls per debt in N consecutive days, the lock-out after
   a telephone conversation, the per-channel limits per day and per 7 days.

Consent with evidence (`Attempt.consent`) lifts step 5 ("time_window") or step 6 ("frequency") only where the
pack's `consent_lifts` says so.

Choices made where the sources leave room (domain-rules.md §5, §9):

- **Contact hours apply to every channel** in the shipped packs, letters included. §5.1 forbids "phone, field-visit
  or other collection 22:00–08:00" with no channel exception; an SMS, chat or email reaches the person the moment
  it is sent, so it is contact at that time; for a letter `at` is when it is handed over, and handing letters over
  at night is never needed, so keeping letters in costs nothing. The pack's `contact_hours.channels` can narrow it.
- **Window ends.** CBA 2026 allows 08:00–22:00: 08:00:00 is allowed, 22:00:00 is not (`end_inclusive: false`).
  Reg F §1006.6(b)(1)(i) calls inconvenient "before 8:00 a.m. and after 9:00 p.m.": 21:00:00 itself is not after
  9:00 p.m., so it is allowed and 21:00:01 is not (`end_inclusive: true`).
- **Unanswered calls** count per number and local day; the decision is taken before the call, so it never looks
  at the attempt's own outcome: after 6 unanswered calls the 7th is denied whatever it would have been; answered
  calls are allowed and neither count nor reset the count.
- **Calls per debt** (Reg F 7-in-7) count every connected call about the debt, to whomever; calls "not connected
  to the dialed number" (busy, invalid number, failed: §1006.14(b)(3)) are not counted. Calls made under consent
  still count (simpler and stricter than the rule, which excludes them).
- **Conversation lock-out**: a telephone conversation (a call to the debtor or a guarantor with outcome answered,
  promise to pay, dispute, refused or objected) on local day d blocks calls about that debt later that day and on
  d+1…d+6; calls are allowed again on d+7. A call answered by a third party is not a conversation about the
  debt: third parties are never told about it.
- **The debtor is unreachable** after `failed_contacts` consecutive failed contacts with the debtor (any channel;
  a contact that reaches them resets the count; outcomes that say neither, such as `delivered`, change nothing) or
  once a debtor number proved invalid since they were last reached.
- **Per-channel limits** (the house pack) count contacts about the debtor (all their debts, whoever was
  contacted) per local day and per 7 consecutive local days.
- Record attempts in time order: the debtor's failed-contact streak is a running count.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from pydantic import BaseModel, ConfigDict, Field, PositiveInt, PrivateAttr, model_validator

Channel = Literal["call", "sms", "email", "letter", "visit", "chat"]
Party = Literal["debtor", "guarantor", "third_party"]
ConsentKind = Literal["time_window", "frequency"]

CHANNELS: tuple[str, ...] = ("call", "sms", "email", "letter", "visit", "chat")
_ALL_CHANNELS: list[Channel] = ["call", "sms", "email", "letter", "visit", "chat"]
PARTIES: tuple[str, ...] = ("debtor", "guarantor", "third_party")
CONSENT_KINDS: tuple[str, ...] = ("time_window", "frequency")
ELECTRONIC = frozenset({"sms", "email", "chat"})
HOLD_KINDS: tuple[str, ...] = (
    "cease_contact",
    "dispute",
    "bankruptcy",
    "deceased",
    "legal_hold",
    "payment_plan",
)
SOFT_HOLD_KINDS = frozenset({"payment_plan"})
REMINDER = "reminder"  # the purpose of a message a soft hold lets through
REMINDER_CHANNELS = ELECTRONIC

_CHANNEL_SET = frozenset(CHANNELS)
_PARTY_SET = frozenset(PARTIES)
_US_PER_SECOND = 1_000_000


# --- what is decided --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attempt:
    """One contact about to happen (or, in `History.record`, that happened).

    `at` is aware and in the contacted person's local time (its offset is theirs): every hour and day rule reads
    it as it is. `consent` holds the kinds of consent with evidence that cover this attempt ("time_window",
    "frequency"); the pack decides whether they lift anything. `debtor` keys the debtor-level counts (the
    borrower's id; the debt's id when empty)."""

    at: dt.datetime
    channel: str
    party: str
    address: str
    debt_id: str
    outcome: str | None = None
    collectors: int = 1
    product_type: str = ""
    has_opt_out: bool = False
    discloses_debt: bool = False
    consent: frozenset[str] = frozenset()
    purpose: str = ""
    debtor: str = ""

    def __post_init__(self) -> None:
        if self.at.utcoffset() is None:
            raise ValueError("Attempt.at must carry the contacted person's UTC offset")
        if self.channel not in _CHANNEL_SET:
            raise ValueError(f"unknown channel {self.channel!r}; one of {', '.join(CHANNELS)}")
        if self.party not in _PARTY_SET:
            raise ValueError(f"unknown party {self.party!r}; one of {', '.join(PARTIES)}")

    @property
    def debtor_key(self) -> str:
        return self.debtor or self.debt_id


@dataclass(frozen=True, slots=True)
class Hold:
    """A contact hold on the borrower (`debt_id` None) or on one debt. `ends_on` is the last day in force."""

    kind: str
    soft: bool = False
    debt_id: str | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """The guard's answer. `reason` is in the active language; `message`/`params` render it again in another
    (`render_reason`), which is how a stored decision is shown to a reader of either language."""

    allowed: bool
    rule: str | None
    reason: str
    message: str = field(default="", compare=False, repr=False)
    params: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {"allowed": self.allowed, "rule": self.rule, "reason": self.reason}


# Reason templates (English source; gettext_noop marks them for translation, `render_reason` translates).
MESSAGES: dict[str, str] = {
    "allowed": gettext_noop("Allowed: no rule of %(pack)s stops this contact."),
    "hold.cease_contact": gettext_noop(
        "The borrower asked us to stop contacting them (cease-contact hold): no contact of any kind."
    ),
    "hold.dispute": gettext_noop("The debt is disputed and under review: no contact until the review ends."),
    "hold.bankruptcy": gettext_noop("The borrower is in bankruptcy proceedings: no contact."),
    "hold.deceased": gettext_noop("The borrower is recorded as deceased: no collection contact."),
    "hold.legal_hold": gettext_noop("A legal hold stops all contact."),
    "hold.payment_plan": gettext_noop(
        "An active payment plan allows only reminders (an SMS, email or chat message with purpose reminder)."
    ),
    "hold.other": gettext_noop("A contact hold (%(kind)s) stops all contact."),
    "channel": gettext_noop("The rule pack %(pack)s does not allow contact by %(channel)s."),
    "product-parties": gettext_noop(
        "Only %(parties)s may be contacted about a %(product)s debt, not a %(party)s."
    ),
    "third-party-never": gettext_noop("The rule pack %(pack)s does not allow contacting third parties."),
    "third-party-disclosure": gettext_noop("A third party must never be told about the debt."),
    "third-party-objected": gettext_noop("This third party asked not to be contacted again."),
    "third-party-unreachable-only": gettext_noop(
        "A third party may be contacted only while the debtor is unreachable (%(needed)s failed contacts in a "
        "row, or an invalid number); the debtor has %(streak)s failed contacts in a row."
    ),
    "visit-collectors": gettext_noop(
        "A field visit needs at least %(needed)s collectors; %(collectors)s planned."
    ),
    "opt-out": gettext_noop("An electronic message must carry a clear and simple way to opt out."),
    "hours": gettext_noop(
        "Contact is allowed only from %(start)s to before %(end)s local time; it is %(time)s."
    ),
    "hours-inclusive": gettext_noop(
        "Contact is allowed only from %(start)s to %(end)s local time; it is %(time)s."
    ),
    "unanswered-calls": gettext_noop(
        "%(count)s unanswered calls to this number today already; at most %(limit)s a day."
    ),
    "call-frequency": gettext_noop(
        "%(count)s calls about this debt in the last %(days)s days already; at most %(limit)s."
    ),
    "conversation-lock": gettext_noop(
        "A telephone conversation about this debt took place on %(day)s: no call before %(until)s."
    ),
    "per-day": gettext_noop("%(count)s %(channel)s contacts today already; at most %(limit)s a day."),
    "per-week": gettext_noop("%(count)s %(channel)s contacts in the last 7 days already; at most %(limit)s."),
}


def render_reason(message: str, params: Mapping[str, Any]) -> str:
    """The reason in the active language (wrap in `translation.override` to choose)."""
    template = MESSAGES.get(message)
    if template is None:
        return message
    text = _(template)
    return text % params if params else text


def _deny(rule: str, message: str, params: dict[str, Any] | None = None) -> Decision:
    params = params or {}
    return Decision(False, rule, render_reason(message, params), message, params)


# --- the pack -----------------------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ContactHours(_Strict):
    """When contact is allowed, local time of the contacted person: from `start` to `end` (excluded unless
    `end_inclusive`)."""

    start: dt.time
    end: dt.time
    end_inclusive: bool = False
    channels: list[Channel] = Field(default_factory=lambda: list(_ALL_CHANNELS))
    rule: str = "quiet-hours"

    @model_validator(mode="after")
    def _ordered(self) -> ContactHours:
        if self.start >= self.end:
            raise ValueError("start must be before end (a window within one day)")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("times are local: no offset")
        return self


class UnansweredCalls(_Strict):
    per_number_per_day: PositiveInt
    rule: str = "unanswered-calls"


class CallFrequency(_Strict):
    max_calls: PositiveInt
    days: PositiveInt = 7
    rule: str = "call-frequency"


class ConversationLock(_Strict):
    days: PositiveInt = 7  # the conversation day is day 1
    rule: str = "conversation-lock"


class ThirdParties(_Strict):
    allowed: bool = True
    only_when_unreachable: bool = False
    failed_contacts: PositiveInt = 3
    invalid_number: bool = True  # an invalid debtor number makes the debtor unreachable
    no_disclosure: bool = True
    stop_on_objection: bool = False


class Visits(_Strict):
    min_collectors: PositiveInt = 2
    rule: str = "visit-collectors"


class ChannelLimit(_Strict):
    per_day: PositiveInt | None = None
    per_week: PositiveInt | None = None  # 7 consecutive local days


class Outcomes(_Strict):
    """How call and contact outcomes count. Outcomes in none of these sets count as neither."""

    unanswered: list[str] = ["unanswered", "busy", "no_answer", "voicemail", "failed", "invalid_number"]
    not_connected: list[str] = ["busy", "invalid_number", "failed"]
    conversation: list[str] = ["answered", "promise_to_pay", "dispute", "refused", "objected"]
    reached: list[str] = ["answered", "promise_to_pay", "dispute", "refused", "objected", "replied", "met"]
    failed: list[str] = [
        "unanswered", "busy", "no_answer", "voicemail", "invalid_number", "wrong_party", "failed",
        "undelivered", "bounced", "not_found",
    ]  # fmt: skip
    invalid: list[str] = ["invalid_number"]
    objection: list[str] = ["objected", "refused"]


RuleName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=40)]


class Pack(_Strict):
    """A rule pack. Sections left out (null) are rules the pack does not have."""

    code: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=40)]
    name: str
    source: str = ""
    description: str = ""
    channels: list[Channel] = Field(default_factory=lambda: list(_ALL_CHANNELS))
    contact_hours: ContactHours | None = None
    unanswered_calls: UnansweredCalls | None = None
    call_frequency: CallFrequency | None = None
    conversation_lock: ConversationLock | None = None
    third_parties: ThirdParties | None = None
    visits: Visits | None = None
    electronic_opt_out: bool = False
    product_parties: dict[
        str, list[Party]
    ] = {}  # product type → the only parties its debts are collected from
    product_parties_rule: RuleName = "product-parties"
    channel_limits: dict[Channel, ChannelLimit] = {}
    consent_lifts: list[ConsentKind] = []
    consent_max_days: PositiveInt | None = (
        None  # consent covers at most this many days from when it was given
    )
    outcomes: Outcomes = Outcomes()

    _c: _Compiled = PrivateAttr()

    def model_post_init(self, context: Any) -> None:
        self._c = _Compiled(self)

    @property
    def lookback_days(self) -> int:
        """How many days of contacts a decision can depend on (+1 for offsets): what `History` must hold."""
        days = [7]
        if self.call_frequency:
            days.append(self.call_frequency.days)
        if self.conversation_lock:
            days.append(self.conversation_lock.days)
        return max(days) + 1


def first_day(pack: Pack, at: dt.datetime) -> int:
    """The first local day (ordinal) a decision at `at` may depend on: rebuilding a history from contacts since
    `at - pack.lookback_days` and pruning before this day gives the history recorded contact by contact, pruned
    the same way."""
    return at.toordinal() - pack.lookback_days + 1


def _us(t: dt.time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * _US_PER_SECOND + t.microsecond


class _Compiled:
    """The pack as the hot path reads it: plain ints, sets and prebuilt rule codes."""

    __slots__ = (
        "allowed_params", "call_days", "call_max", "call_rule", "channel_limits", "channel_rule", "channels",
        "code", "conv_days", "conv_rule", "hours_channels", "hours_end", "hours_inclusive", "hours_params",
        "hours_rule", "hours_start", "lift_frequency", "lift_time", "opt_out", "opt_out_rule",
        "product_parties", "product_rule", "third", "third_rule", "unanswered_limit", "unanswered_rule",
        "visit_min", "visit_rule",
    )  # fmt: skip

    def __init__(self, pack: Pack) -> None:
        code = pack.code
        self.code = code
        self.allowed_params = {"pack": code}
        self.channels = frozenset(pack.channels)
        self.channel_rule = f"{code}/channel"
        self.product_parties = {k: frozenset(v) for k, v in pack.product_parties.items()}
        self.product_rule = f"{code}/{pack.product_parties_rule}"
        self.third = pack.third_parties
        self.third_rule = f"{code}/"
        self.visit_min = pack.visits.min_collectors if pack.visits else 0
        self.visit_rule = f"{code}/{pack.visits.rule}" if pack.visits else ""
        self.opt_out = pack.electronic_opt_out
        self.opt_out_rule = f"{code}/opt-out"
        hours = pack.contact_hours
        self.hours_channels = frozenset(hours.channels) if hours else frozenset()
        self.hours_start = _us(hours.start) if hours else 0
        self.hours_end = _us(hours.end) if hours else 0
        self.hours_inclusive = hours.end_inclusive if hours else False
        self.hours_rule = f"{code}/{hours.rule}" if hours else ""
        self.hours_params = (
            {"start": hours.start.isoformat("minutes"), "end": _time_text(hours.end)} if hours else {}
        )
        self.unanswered_limit = pack.unanswered_calls.per_number_per_day if pack.unanswered_calls else 0
        self.unanswered_rule = f"{code}/{pack.unanswered_calls.rule}" if pack.unanswered_calls else ""
        self.call_max = pack.call_frequency.max_calls if pack.call_frequency else 0
        self.call_days = pack.call_frequency.days if pack.call_frequency else 0
        self.call_rule = f"{code}/{pack.call_frequency.rule}" if pack.call_frequency else ""
        self.conv_days = pack.conversation_lock.days if pack.conversation_lock else 0
        self.conv_rule = f"{code}/{pack.conversation_lock.rule}" if pack.conversation_lock else ""
        self.channel_limits = {
            ch: (lim.per_day or 0, lim.per_week or 0, f"{code}/{ch}-per-day", f"{code}/{ch}-per-week")
            for ch, lim in pack.channel_limits.items()
        }
        self.lift_time = "time_window" in pack.consent_lifts
        self.lift_frequency = "frequency" in pack.consent_lifts


def _time_text(t: dt.time) -> str:
    return t.isoformat("minutes") if t.second == 0 and t.microsecond == 0 else t.isoformat()


def parse_pack(data: Any) -> Pack:
    """A pack from its JSON (dict or text); pydantic's ValidationError names every problem."""
    if isinstance(data, str | bytes):
        return Pack.model_validate_json(data)
    return Pack.model_validate(data)


# --- history ------------------------------------------------------------------------------------------------


class History:
    """The contacts that happened (allowed attempts only), indexed for the checks:

    - `unanswered[(address, local day)]`: unanswered calls to a number that day;
    - `calls[debt]`: the local days (ordinals, sorted) of the connected calls about a debt;
    - `conversations[debt]`: the latest telephone conversation about a debt, (local day, at);
    - `debtors[debtor]`: (failed contacts in a row, an invalid number since last reached);
    - `objected`: third-party addresses that objected;
    - `contacts[(debtor, channel)]`: the local days (sorted) of contacts about a debtor by channel.

    Outcomes are classified with the pack's `outcomes` when given. `prune(before_day)` drops the day-indexed
    entries older than a day (the debtor streaks and objections are kept: they are not bounded in time)."""

    __slots__ = (
        "_conversation", "_failed", "_invalid", "_not_connected", "_objection", "_reached", "_unanswered",
        "calls", "contacts", "conversations", "debtors", "objected", "unanswered",
    )  # fmt: skip

    def __init__(self, pack: Pack | None = None) -> None:
        outcomes = pack.outcomes if pack is not None else Outcomes()
        self._unanswered = frozenset(outcomes.unanswered)
        self._not_connected = frozenset(outcomes.not_connected)
        self._conversation = frozenset(outcomes.conversation)
        self._reached = frozenset(outcomes.reached)
        self._failed = frozenset(outcomes.failed)
        self._invalid = frozenset(outcomes.invalid)
        self._objection = frozenset(outcomes.objection)
        self.unanswered: dict[tuple[str, int], int] = {}
        self.calls: dict[str, list[int]] = {}
        self.conversations: dict[str, tuple[int, dt.datetime]] = {}
        self.debtors: dict[str, tuple[int, bool]] = {}
        self.objected: set[str] = set()
        self.contacts: dict[tuple[str, str], list[int]] = {}

    def record(self, attempt: Attempt) -> None:
        """A contact that happened (call it for allowed attempts only, in time order)."""
        at = attempt.at
        day = at.toordinal()
        channel, party = attempt.channel, attempt.party
        outcome = attempt.outcome or ""
        debtor = attempt.debtor or attempt.debt_id
        if channel == "call":
            if outcome in self._unanswered:
                key = (attempt.address, day)
                self.unanswered[key] = self.unanswered.get(key, 0) + 1
            if outcome not in self._not_connected:
                _add_day(self.calls, attempt.debt_id, day)
            if outcome in self._conversation and party != "third_party":
                last = self.conversations.get(attempt.debt_id)
                if last is None or at > last[1]:
                    self.conversations[attempt.debt_id] = (day, at)
        _add_day(self.contacts, (debtor, channel), day)
        if party == "debtor":
            if outcome in self._reached:
                self.debtors[debtor] = (0, False)
            elif outcome in self._failed:
                failed, invalid = self.debtors.get(debtor, (0, False))
                self.debtors[debtor] = (failed + 1, invalid or outcome in self._invalid)
        elif party == "third_party" and outcome in self._objection:
            self.objected.add(attempt.address)

    def record_many(self, attempts: Iterable[Attempt]) -> None:
        for attempt in attempts:
            self.record(attempt)

    def set_debtor(self, debtor: str, failed: int, invalid: bool) -> None:
        """The debtor's streak as known from the whole ledger (the rebuild's window may not reach it)."""
        self.debtors[debtor] = (failed, invalid)

    def prune(self, before_day: int) -> None:
        """Drop the day-indexed entries before `before_day` (an ordinal)."""
        self.unanswered = {k: v for k, v in self.unanswered.items() if k[1] >= before_day}
        for index in (self.calls, self.contacts):
            for key in list(index):
                days = index[key]  # type: ignore[index]
                cut = bisect_left(days, before_day)
                if cut == len(days):
                    del index[key]  # type: ignore[arg-type]
                elif cut:
                    del days[:cut]
        self.conversations = {k: v for k, v in self.conversations.items() if v[0] >= before_day}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, History):
            return NotImplemented
        return (
            self.unanswered == other.unanswered
            and self.calls == other.calls
            and self.conversations == other.conversations
            and self.debtors == other.debtors
            and self.objected == other.objected
            and self.contacts == other.contacts
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"History(unanswered={self.unanswered}, calls={self.calls}, conversations={self.conversations}, "
            f"debtors={self.debtors}, objected={self.objected}, contacts={self.contacts})"
        )


_TRIM_AT = 64  # a day list longer than this drops days older than 31 days before the newest


def _add_day(index: dict[Any, list[int]], key: Any, day: int) -> None:
    days = index.get(key)
    if days is None:
        index[key] = [day]
        return
    if day >= days[-1]:
        days.append(day)
    else:
        insort(days, day)
    if len(days) > _TRIM_AT and days[0] < days[-1] - 31:
        del days[: bisect_left(days, days[-1] - 31)]


def _count(days: list[int] | None, first: int, last: int) -> int:
    if not days:
        return 0
    return bisect_right(days, last) - bisect_left(days, first)


# --- the decision -------------------------------------------------------------------------------------------


def decide(pack: Pack, attempt: Attempt, history: History, holds: Iterable[Hold] = ()) -> Decision:
    """Whether `attempt` may happen given what happened (`history`) and the holds on the borrower, under
    `pack`. The checks run in the module docstring's order; the first that fails is the answer."""
    c = pack._c
    at = attempt.at
    channel = attempt.channel

    # 1. holds
    if holds:
        soft: Hold | None = None
        day_date = at.date()
        for hold in holds:
            if hold.debt_id is not None and hold.debt_id != attempt.debt_id:
                continue
            if (hold.starts_on is not None and day_date < hold.starts_on) or (
                hold.ends_on is not None and day_date > hold.ends_on
            ):
                continue
            if not hold.soft:
                return _hold_denial(hold)
            if soft is None:
                soft = hold
        if soft is not None and not (channel in REMINDER_CHANNELS and attempt.purpose == REMINDER):
            return _hold_denial(soft)

    # 2. the channel
    if channel not in c.channels:
        return _deny(c.channel_rule, "channel", {"pack": c.code, "channel": channel})

    # 3. who
    party = attempt.party
    if attempt.product_type and c.product_parties:
        parties = c.product_parties.get(attempt.product_type)
        if parties is not None and party not in parties:
            return _deny(
                c.product_rule,
                "product-parties",
                {"parties": ", ".join(p for p in PARTIES if p in parties), "product": attempt.product_type,
                 "party": party},
            )  # fmt: skip
    third = c.third
    if party == "third_party" and third is not None:
        if not third.allowed:
            return _deny(c.third_rule + "third-party-never", "third-party-never", {"pack": c.code})
        if third.no_disclosure and attempt.discloses_debt:
            return _deny(c.third_rule + "third-party-disclosure", "third-party-disclosure")
        if third.stop_on_objection and attempt.address in history.objected:
            return _deny(c.third_rule + "third-party-objected", "third-party-objected")
        if third.only_when_unreachable:
            failed, invalid = history.debtors.get(attempt.debtor or attempt.debt_id, (0, False))
            if failed < third.failed_contacts and not (third.invalid_number and invalid):
                return _deny(
                    c.third_rule + "third-party-unreachable-only",
                    "third-party-unreachable-only",
                    {"needed": third.failed_contacts, "streak": failed},
                )

    # 4. how
    if channel == "visit" and c.visit_min and attempt.collectors < c.visit_min:
        return _deny(
            c.visit_rule, "visit-collectors", {"needed": c.visit_min, "collectors": attempt.collectors}
        )
    if c.opt_out and channel in ELECTRONIC and not attempt.has_opt_out:
        return _deny(c.opt_out_rule, "opt-out")

    # 5. when
    consent = attempt.consent
    if channel in c.hours_channels and not (c.lift_time and "time_window" in consent):
        now = ((at.hour * 60 + at.minute) * 60 + at.second) * _US_PER_SECOND + at.microsecond
        if now < c.hours_start or (now > c.hours_end if c.hours_inclusive else now >= c.hours_end):
            return _deny(
                c.hours_rule,
                "hours-inclusive" if c.hours_inclusive else "hours",
                {**c.hours_params, "time": at.time().isoformat("seconds")},
            )

    # 6. how often
    if c.lift_frequency and "frequency" in consent:
        return Decision(True, None, render_reason("allowed", c.allowed_params), "allowed", c.allowed_params)
    day = at.toordinal()
    if channel == "call":
        if c.unanswered_limit:
            count = history.unanswered.get((attempt.address, day), 0)
            if count >= c.unanswered_limit:
                return _deny(
                    c.unanswered_rule, "unanswered-calls", {"count": count, "limit": c.unanswered_limit}
                )
        if c.call_max:
            count = _count(history.calls.get(attempt.debt_id), day - c.call_days + 1, day)
            if count >= c.call_max:
                return _deny(
                    c.call_rule, "call-frequency", {"count": count, "days": c.call_days, "limit": c.call_max}
                )
        if c.conv_days:
            last = history.conversations.get(attempt.debt_id)
            if last is not None and at > last[1] and day < last[0] + c.conv_days:
                return _deny(
                    c.conv_rule,
                    "conversation-lock",
                    {
                        "day": dt.date.fromordinal(last[0]).isoformat(),
                        "until": dt.date.fromordinal(last[0] + c.conv_days).isoformat(),
                    },
                )
    limit = c.channel_limits.get(channel)
    if limit is not None:
        per_day, per_week, day_rule, week_rule = limit
        days = history.contacts.get((attempt.debtor or attempt.debt_id, channel))
        if per_day:
            count = _count(days, day, day)
            if count >= per_day:
                return _deny(day_rule, "per-day", {"count": count, "channel": channel, "limit": per_day})
        if per_week:
            count = _count(days, day - 6, day)
            if count >= per_week:
                return _deny(week_rule, "per-week", {"count": count, "channel": channel, "limit": per_week})
    return Decision(True, None, render_reason("allowed", c.allowed_params), "allowed", c.allowed_params)


def _hold_denial(hold: Hold) -> Decision:
    key = f"hold.{hold.kind}"
    if key in MESSAGES:
        return _deny(f"hold/{hold.kind}", key)
    return _deny(f"hold/{hold.kind}", "hold.other", {"kind": hold.kind})


def replay(pack: Pack, attempts: Iterable[Attempt], history: History | None = None) -> list[Decision]:
    """Decide each attempt in order, recording the allowed ones (denied attempts do not happen)."""
    history = history if history is not None else History(pack)
    decisions = []
    for attempt in attempts:
        decision = decide(pack, attempt, history)
        if decision.allowed:
            history.record(attempt)
        decisions.append(decision)
    return decisions
