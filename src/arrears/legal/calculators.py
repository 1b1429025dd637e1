"""Statutory calculators for litigation (domain-rules.md §2–4, §6, §8): pure functions of their inputs and a rule
version (`arrears.rules.statutory`), no database and no clock.

Money is integer fen in and out; rates are `Decimal` fractions (0.24 = 24% a year). Each result is a frozen
dataclass whose `as_dict()` is the `arrears calc … --json` contract: amounts as yuan strings with two decimals
("1050.00"), dates as ISO strings. Rounding is to the fen, half up, unless the rule version or the caller says
otherwise. Every function's docstring cites the rule it implements.

Dates: a period counts from the day after its trigger date (民法典 art. 201, 民事诉讼法 art. 85); a period in months or
years ends on the corresponding date, or the month's last day when there is none (民法典 art. 202); a last day on a
statutory holiday or rest day moves to the next working day, make-up working days (调休) counting as working days.
The holiday calendar is chinese-calendar's. For a year it does not know yet (its schedule is published each
November), a date is not moved and is marked `provisional`: it is the earliest the true last day can be, so acting
by it is always in time.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Protocol

from arrears.core.dates import add_months
from arrears.core.errors import DomainError
from arrears.core.money import MoneyError, format_fen, parse_yuan
from arrears.rules.statutory import (
    SHIPPED,
    FeeScale,
    InterestCapRule,
    Period,
    PrimeRate,
    Rounding,
    Rulebook,
    SmallClaimsThreshold,
)


class CalcError(DomainError):
    """Input a calculator cannot work with (a negative amount, an unknown kind, a date that does not parse)."""


# --- parsing the edges' text ----------------------------------------------------------------------------------

_CURRENCY = re.compile(r"^[¥￥]|元$|\s+")


def parse_amount(text: str, what: str = "amount") -> int:
    """'1,234.50', '1234.5', '¥1234.5' or '1234.5元' -> 123450 fen; negative amounts and more than two decimals are
    errors."""
    try:
        fen = parse_yuan(_CURRENCY.sub("", text))
    except MoneyError:
        raise CalcError(f"{what} {text!r} is not an amount in yuan (e.g. 1234.50 or 1,234.50)") from None
    if fen < 0:
        raise CalcError(f"{what} must not be negative: {text}")
    return fen


def parse_date(text: str, what: str = "date") -> dt.date:
    """'2026-05-20', '2026/05/20' or '20260520'."""
    cleaned = text.strip().replace("/", "-")
    try:
        if re.fullmatch(r"\d{8}", cleaned):
            return dt.date(int(cleaned[:4]), int(cleaned[4:6]), int(cleaned[6:]))
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", cleaned):
            year, month, day = (int(part) for part in cleaned.split("-"))
            return dt.date(year, month, day)
    except ValueError:
        pass
    raise CalcError(f"{what} {text!r} is not a date (YYYY-MM-DD)")


def parse_rate(text: str, what: str = "annual rate") -> Decimal:
    """'0.15' or '15%' -> Decimal('0.15'); a bare number of 1 or more is read as a percentage ('15' -> 0.15)."""
    cleaned = text.strip()
    percent = cleaned.endswith("%")
    try:
        value = Decimal(cleaned.rstrip("%").strip())
    except InvalidOperation:
        raise CalcError(f"{what} {text!r} is not a rate (e.g. 0.15 or 15%)") from None
    if not value.is_finite() or value < 0:
        raise CalcError(f"{what} must be a rate of 0 or more: {text}")
    return value / 100 if percent or value >= 1 else value


def _yuan(fen: int) -> str:
    return format_fen(fen)


def _rate_text(rate: Decimal) -> str:
    return format(rate.normalize(), "f")


def _percent(rate: Decimal) -> str:
    return f"{(rate * 100).quantize(Decimal('0.01'))}%"


# --- fees: 诉讼费用交纳办法 -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeePart:
    """One band's share of a fee: the part of the amount from `above` to `up_to` (fen) at `rate` (None: the
    minimum), and what it comes to (unrounded fen)."""

    above: int
    up_to: int
    rate: Decimal | None
    amount: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": _yuan(self.above),
            "to": _yuan(self.up_to),
            "rate": None if self.rate is None else _rate_text(self.rate),
            "fee": _yuan(int(self.amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))),
        }


@dataclass(frozen=True)
class Fee:
    amount: int
    fee: int
    uncapped: int
    parts: tuple[FeePart, ...]
    basis: str

    @property
    def capped(self) -> bool:
        return self.fee < self.uncapped

    def as_dict(self) -> dict[str, Any]:
        return {
            "fee": _yuan(self.fee),
            "amount": _yuan(self.amount),
            "uncapped": _yuan(self.uncapped),
            "capped": self.capped,
            "basis": self.basis,
            "breakdown": [p.as_dict() for p in self.parts],
        }


def tiered_fee(amount: int, scale: FeeScale, *, rounding: Rounding | None = None) -> Fee:
    """A progressive fee, cumulative by band (诉讼费用交纳办法 arts. 13(1), 14): the scale's minimum for the amount up
    to the first band, plus each band's rate on the part of `amount` (fen) inside the band, rounded once, then
    capped. Continuous at every band edge and never decreasing in the amount."""
    if amount < 0:
        raise CalcError("the amount must not be negative")
    rounding = rounding or scale.rounding
    first = scale.bands[0].above if scale.bands else amount
    parts = [FeePart(0, min(amount, first), None, Decimal(scale.minimum))]
    uppers = [b.above for b in scale.bands[1:]] + [None]
    for band, upper in zip(scale.bands, uppers, strict=True):
        if amount <= band.above:
            break
        top = amount if upper is None else min(amount, upper)
        parts.append(FeePart(band.above, top, band.rate, (top - band.above) * band.rate))
    uncapped = rounding.fen(sum((p.amount for p in parts), Decimal(0)))
    fee = uncapped if scale.cap is None else min(uncapped, scale.cap)
    basis = scale.basis + (
        f"; capped at {_yuan(scale.cap)}" if scale.cap is not None and fee < uncapped else ""
    )
    return Fee(amount, fee, uncapped, tuple(parts), basis)


def preservation_fee(amount: int, *, scale: FeeScale | None = None, rounding: Rounding | None = None) -> Fee:
    """申请保全费 on the amount actually preserved (诉讼费用交纳办法 art. 14(2)): 30 up to 1,000, 1% of the part up to
    100,000, 0.5% above, at most 5,000 (domain-rules.md §2.3)."""
    return tiered_fee(amount, scale or SHIPPED.latest_fee_scale("preservation"), rounding=rounding)


def enforcement_fee(amount: int, *, scale: FeeScale | None = None, rounding: Rounding | None = None) -> Fee:
    """申请执行费 (诉讼费用交纳办法 art. 14(1)): 50 up to 10,000, then 1.5% / 1% / 0.5% / 0.1% on the parts above
    10,000 / 500,000 / 5,000,000 / 10,000,000; collected from the judgment debtor (art. 38; domain-rules.md §2.4)."""
    return tiered_fee(amount, scale or SHIPPED.latest_fee_scale("enforcement"), rounding=rounding)


PROCEDURES: dict[str, str | None] = {
    "ordinary": None,
    "simple": "art. 16 (简易程序, simplified procedure)",
    "small_claims": "art. 16 (小额诉讼 is a form of 简易程序; UNCONFIRMED as an explicit rule)",
}
OUTCOMES: dict[str, str | None] = {
    "judgment": None,
    "mediation": "art. 15 (调解结案, closed by mediation)",
    "withdrawal": "art. 15 (撤诉, withdrawn)",
}


@dataclass(frozen=True)
class CourtFee:
    amount: int
    procedure: str
    outcome: str
    base_fee: int
    fee: int
    halvings: int
    grounds: tuple[str, ...]
    parts: tuple[FeePart, ...]
    basis: str

    @property
    def reduction(self) -> int:
        return self.base_fee - self.fee

    def as_dict(self) -> dict[str, Any]:
        return {
            "fee": _yuan(self.fee),
            "base_fee": _yuan(self.base_fee),
            "reduction": _yuan(self.reduction),
            "basis": self.basis,
            "amount": _yuan(self.amount),
            "procedure": self.procedure,
            "outcome": self.outcome,
            "halved": self.halvings,
            "breakdown": [p.as_dict() for p in self.parts],
        }


def court_fee(
    amount: int,
    procedure: str = "ordinary",
    outcome: str = "judgment",
    *,
    scale: FeeScale | None = None,
    halve_twice: bool | None = None,
    rounding: Rounding | None = None,
) -> CourtFee:
    """案件受理费 of a property case (诉讼费用交纳办法 art. 13(1), progressive bands, domain-rules.md §2.1) on the
    claim `amount` (fen), halved for the simplified procedure or small claims (art. 16) and for a case closed by
    mediation or withdrawn (art. 15). Two grounds halve it once unless the scale (or `halve_twice`) says to halve
    twice (§2.2: UNCONFIRMED, once by default). The base fee is rounded first, then the halved fee."""
    if procedure not in PROCEDURES:
        raise CalcError(f"unknown procedure {procedure!r}; one of {', '.join(PROCEDURES)}")
    if outcome not in OUTCOMES:
        raise CalcError(f"unknown outcome {outcome!r}; one of {', '.join(OUTCOMES)}")
    scale = scale or SHIPPED.latest_fee_scale("acceptance")
    rounding = rounding or scale.rounding
    base = tiered_fee(amount, scale, rounding=rounding)
    grounds = tuple(g for g in (PROCEDURES[procedure], OUTCOMES[outcome]) if g)
    twice = scale.halve_twice if halve_twice is None else halve_twice
    halvings = len(grounds) if twice else min(len(grounds), 1)
    fee = rounding.fen(Decimal(base.fee) / (2**halvings)) if halvings else base.fee
    basis = base.basis
    if halvings:
        basis += "; halved " + ("twice" if halvings == 2 else "once") + " under " + " and ".join(grounds)
        if len(grounds) == 2 and not twice:
            basis += " (two grounds halve it once: halving twice is off)"
    return CourtFee(amount, procedure, outcome, base.fee, fee, halvings, grounds, base.parts, basis)


# --- periods and deadlines --------------------------------------------------------------------------------------


class WorkdayCalendar(Protocol):
    def is_workday(self, day: dt.date) -> bool | None:
        """True on a working day (incl. make-up working days), False on a statutory holiday or rest day, None when
        the calendar does not know the day's year."""
        ...


class ChineseCalendar:
    """Statutory holidays and make-up working days (调休) from chinese-calendar (`chinese_calendar.is_workday`),
    remembered per day (the library scans its whole table on every call: ~18 µs)."""

    def is_workday(self, day: dt.date) -> bool | None:
        return _chinese_workday(day)


@functools.cache
def _chinese_workday(day: dt.date) -> bool | None:
    try:
        import chinese_calendar
    except ImportError:  # pragma: no cover - a dependency of the project
        raise CalcError("the chinesecalendar package is not installed: it is needed for deadlines") from None
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


CHINESE_CALENDAR = ChineseCalendar()


def period_end(trigger: dt.date, length: int, unit: str) -> dt.date:
    """The last day of a period of `length` units triggered on `trigger` (民法典 arts. 201–202, 民事诉讼法 art. 85):
    counting starts the next day, so N days end on trigger + N; N months or years end on the corresponding date
    (the month's last day when it has none: 08-31 + 6 months = 02-28/29)."""
    if length <= 0:
        raise CalcError("a period must be at least one unit long")
    if unit == "day":
        return trigger + dt.timedelta(days=length)
    if unit == "month":
        return add_months(trigger, length)
    if unit == "year":
        return add_months(trigger, 12 * length)
    raise CalcError(f"unknown period unit {unit!r}")


def next_working_day(day: dt.date, calendar: WorkdayCalendar | None = None) -> tuple[dt.date, bool]:
    """`day` when it is a working day, else the first working day after it (民事诉讼法 art. 85, 民法典 art. 203), and
    whether the answer is provisional: it is when the calendar does not know a day's year, and then that day is
    returned as it stands (the earliest the true last day can be)."""
    calendar = calendar or CHINESE_CALENDAR
    for _ in range(366):
        known = calendar.is_workday(day)
        if known is None:
            return day, True
        if known:
            return day, False
        day += dt.timedelta(days=1)
    raise CalcError("no working day within a year")  # pragma: no cover - no calendar rests that long


def _last_day(
    trigger: dt.date, period: Period, calendar: WorkdayCalendar | None
) -> tuple[dt.date, dt.date, bool]:
    nominal = period_end(trigger, period.length, period.unit)
    if not period.moves_off_rest_days:
        return nominal, nominal, False
    last, provisional = next_working_day(nominal, calendar)
    return nominal, last, provisional


def _provisional_note(day: dt.date) -> str:
    return (
        f"the statutory holidays of {day.year} are not in the holiday calendar yet (chinese-calendar), so the date "
        "is not moved off rest days: it may move later once they are published; acting by it is in time"
    )


@dataclass(frozen=True)
class Deadline:
    kind: str
    served: dt.date
    nominal: dt.date
    deadline: dt.date
    provisional: bool
    period: Period

    @property
    def starts_on(self) -> dt.date:
        return self.served + dt.timedelta(days=1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "deadline": self.deadline.isoformat(),
            "kind": self.kind,
            "served": self.served.isoformat(),
            "starts_on": self.starts_on.isoformat(),
            "period": self.period.text,
            "nominal_deadline": self.nominal.isoformat(),
            "moved_off_rest_days": self.deadline != self.nominal,
            "provisional": self.provisional,
            "label": self.period.label,
            "counted_from": self.period.starts,
            "basis": self.period.basis,
            **({"note": _provisional_note(self.deadline)} if self.provisional else {}),
        }


def deadline(
    kind: str, served: dt.date, *, rules: Rulebook = SHIPPED, calendar: WorkdayCalendar | None = None
) -> Deadline:
    """The last day of the statutory period `kind` triggered on `served` (the period table: appeal 15 days from a
    judgment and 10 from a ruling, 民事诉讼法 art. 171; enforcement application 2 years, art. 250; …; domain-rules.md
    §2.2, §4): it starts the day after, a period in months or years ends on the corresponding date, and a last day
    on a statutory holiday or rest day moves to the next working day, make-up working days counting (art. 85)."""
    period = rules.period(kind, served)
    nominal, last, provisional = _last_day(served, period, calendar)
    return Deadline(kind, served, nominal, last, provisional, period)


@dataclass(frozen=True)
class Limitation:
    last_due: dt.date
    runs_from: dt.date
    nominal: dt.date
    expires_on: dt.date
    provisional: bool
    applied: tuple[dt.date, ...]
    ignored: tuple[tuple[dt.date, str], ...]
    period: Period

    def as_dict(self) -> dict[str, Any]:
        return {
            "expires_on": self.expires_on.isoformat(),
            "last_due": self.last_due.isoformat(),
            "runs_from": self.runs_from.isoformat(),
            "period": self.period.text,
            "nominal_expires_on": self.nominal.isoformat(),
            "moved_off_rest_days": self.expires_on != self.nominal,
            "provisional": self.provisional,
            "interruptions_applied": [d.isoformat() for d in self.applied],
            "interruptions_ignored": [{"date": d.isoformat(), "reason": why} for d, why in self.ignored],
            "basis": self.period.basis,
            **({"note": _provisional_note(self.expires_on)} if self.provisional else {}),
        }


def limitation(
    last_due: dt.date,
    interrupted: tuple[dt.date, ...] | list[dt.date] = (),
    *,
    rules: Rulebook = SHIPPED,
    calendar: WorkdayCalendar | None = None,
) -> Limitation:
    """When the limitation period (诉讼时效) of an instalment debt expires: 3 years (民法典 art. 188) from the last
    instalment's due date (art. 189), restarting from each interruption — a demand that reached the debtor, an
    acknowledgement or part payment, a suit (art. 195) — made while it was running; counted from the next day with a
    last day on a holiday moving to the day after (arts. 201–203; domain-rules.md §4). An interruption before the
    period began, or after it had expired, changes nothing (it is listed as ignored, with the reason)."""
    period = rules.period("limitation", last_due)
    runs_from = last_due
    nominal, expires, provisional = _last_day(runs_from, period, calendar)
    applied: list[dt.date] = []
    ignored: list[tuple[dt.date, str]] = []
    for day in sorted(set(interrupted)):
        if day < runs_from:
            ignored.append(
                (
                    day,
                    f"before the period ran (from {runs_from.isoformat()}): art. 189 counts from the last due date",
                )
            )
        elif day > expires:
            ignored.append(
                (
                    day,
                    f"after the period expired on {expires.isoformat()}: it does not restart it (a later "
                    "acknowledgement may still waive the defence, art. 192)",
                )
            )
        else:
            runs_from = day
            period = rules.period("limitation", day)
            nominal, expires, provisional = _last_day(day, period, calendar)
            applied.append(day)
    return Limitation(
        last_due, runs_from, nominal, expires, provisional, tuple(applied), tuple(ignored), period
    )


GUARANTEE_TYPES = ("unstated", "general", "joint")


@dataclass(frozen=True)
class GuaranteePeriod:
    due: dt.date
    nominal: dt.date
    ends_on: dt.date
    provisional: bool
    agreed: bool
    guarantee_type: str
    acted_on: dt.date | None
    reasoning: tuple[str, ...]
    period: Period

    @property
    def to_preserve(self) -> str:
        if self.guarantee_type == "joint":
            return f"demand performance from the guarantor by {self.ends_on.isoformat()} (民法典 art. 693)"
        return (
            f"sue or apply for arbitration against the debtor by {self.ends_on.isoformat()} (民法典 art. 693)"
        )

    @property
    def preserved(self) -> bool | None:
        return None if self.acted_on is None else self.acted_on <= self.ends_on

    def as_dict(self) -> dict[str, Any]:
        return {
            "ends_on": self.ends_on.isoformat(),
            "due": self.due.isoformat(),
            "nominal_ends_on": self.nominal.isoformat(),
            "agreed": self.agreed,
            "guarantee_type": "general" if self.guarantee_type == "unstated" else self.guarantee_type,
            "to_preserve": self.to_preserve,
            "preserved": self.preserved,
            "provisional": self.provisional,
            "period": self.period.text if not self.agreed else "as agreed",
            "basis": self.period.basis,
            "reasoning": list(self.reasoning),
        }


def guarantee_period(
    due: dt.date,
    *,
    agreed_months: int | None = None,
    agreed_until: dt.date | None = None,
    guarantee_type: str = "unstated",
    acted_on: dt.date | None = None,
    rules: Rulebook = SHIPPED,
    calendar: WorkdayCalendar | None = None,
) -> GuaranteePeriod:
    """The guarantee period (保证期间, 民法典 art. 692; domain-rules.md §6): as agreed (`agreed_months` from the
    principal debt's due date, or `agreed_until` a date); 6 months from the due date when not agreed, or agreed to
    end before or with the principal debt. Within it the creditor must sue the debtor (general guarantee) or demand
    from the guarantor (joint liability) or the guarantor is released (art. 693); an unstated type is a general
    guarantee (art. 686). `acted_on`: when the creditor did so — whether that preserved the guarantee."""
    if guarantee_type not in GUARANTEE_TYPES:
        raise CalcError(f"unknown guarantee type {guarantee_type!r}; one of {', '.join(GUARANTEE_TYPES)}")
    if agreed_months is not None and agreed_until is not None:
        raise CalcError("give the agreed period in months or as an end date, not both")
    if agreed_months is not None and agreed_months < 0:
        raise CalcError("the agreed guarantee period must not be negative")
    period = rules.period("guarantee-period", due)
    reasoning: list[str] = []
    agreed_end = add_months(due, agreed_months) if agreed_months else agreed_until
    if agreed_months == 0 or (agreed_end is not None and agreed_end <= due):
        reasoning.append(
            "the agreed period ends no later than the principal debt: it counts as not agreed (art. 692), so "
            f"{period.text} from the due date"
        )
        agreed_end = None
    if agreed_end is None:
        nominal, ends_on, provisional = _last_day(due, period, calendar)
        if not reasoning:
            reasoning.append(f"no period agreed: {period.text} from the principal debt's due date (art. 692)")
    else:
        nominal = agreed_end
        ends_on, provisional = (
            next_working_day(nominal, calendar) if period.moves_off_rest_days else (nominal, False)
        )
        reasoning.append(f"the agreed period ends on {nominal.isoformat()} (art. 692)")
    if not period.moves_off_rest_days and (calendar or CHINESE_CALENDAR).is_workday(ends_on) is False:
        reasoning.append(
            f"{ends_on.isoformat()} is a rest day and stays the last day: the period is never extended (art. 692); "
            "act by the working day before"
        )
    if guarantee_type == "unstated":
        reasoning.append("the guarantee type is not stated: a general guarantee (一般保证, art. 686)")
    return GuaranteePeriod(
        due,
        nominal,
        ends_on,
        provisional,
        agreed_end is not None,
        guarantee_type,
        acted_on,
        tuple(reasoning),
        period,
    )


# --- small claims -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmallClaims:
    amount: int
    threshold: SmallClaimsThreshold
    agreed_limit: int
    agreed_limit_derived: bool

    @property
    def eligible(self) -> bool:
        return self.amount <= self.threshold.threshold

    @property
    def eligible_by_agreement(self) -> bool:
        return self.amount <= self.agreed_limit

    @property
    def basis(self) -> str:
        row = self.threshold
        limit = f"{_yuan(self.agreed_limit)}" + (
            " (derived: 2 × the wage ≈ 4 × the threshold)" if self.agreed_limit_derived else ""
        )
        return (
            f"民事诉讼法 art. 165: small claims up to 50% of the province's previous-year average annual wage; "
            f"{row.province} {row.year}: {_yuan(row.threshold)}; both parties may agree to it up to 2 × that wage, "
            f"{limit}; single instance, fee halved (诉讼费用交纳办法 art. 16). Source: {row.source or 'rule table'}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "eligible": self.eligible,
            "threshold": _yuan(self.threshold.threshold),
            "basis": self.basis,
            "province": self.threshold.province,
            "year": self.threshold.year,
            "amount": _yuan(self.amount),
            "agreed_limit": _yuan(self.agreed_limit),
            "eligible_by_agreement": self.eligible_by_agreement,
            "procedure": "small_claims" if self.eligible else "simple_or_ordinary",
        }


def small_claims(amount: int, threshold: SmallClaimsThreshold) -> SmallClaims:
    """Whether a money claim of `amount` (fen) may go to small claims (小额诉讼, 民事诉讼法 art. 165 (2021 rev.);
    domain-rules.md §4): up to the province's threshold for the year (50% of its previous-year average annual wage
    of employed persons), single instance and fee halved; above it, up to 2 × that wage when both parties agree.
    The agreed ceiling is the table's, else 2 × the wage, else derived as 4 × the threshold."""
    if amount < 0:
        raise CalcError("the claim must not be negative")
    if threshold.agreed_limit is not None:
        return SmallClaims(amount, threshold, threshold.agreed_limit, False)
    if threshold.average_wage is not None:
        return SmallClaims(amount, threshold, 2 * threshold.average_wage, False)
    return SmallClaims(amount, threshold, 4 * threshold.threshold, True)


# --- interest caps ------------------------------------------------------------------------------------------------

LENDER_REGIMES = {
    "bank": "financial_institution",
    "consumer_finance": "financial_institution",
    # local financial organisations count as financial institutions (法释〔2020〕27号, UNCONFIRMED; domain-rules §3.1)
    "microloan": "financial_institution",
    "guarantee": "financial_institution",
    "amc": "financial_institution",  # a bought bank debt keeps its regime
    "private": "private_lending",
}


def cap_rule(
    lender_type: str, start: dt.date, contract_date: dt.date | None = None, *, rules: Rulebook = SHIPPED
) -> InterestCapRule:
    """The interest-cap rule for a lender type: private lending's is the one in force when the contract was formed
    (`contract_date`, else `start`); a financial institution's the one in force when the interest runs."""
    if lender_type not in LENDER_REGIMES:
        raise CalcError(f"unknown lender type {lender_type!r}; one of {', '.join(LENDER_REGIMES)}")
    regime = LENDER_REGIMES[lender_type]
    return rules.interest_cap(regime, (contract_date or start) if regime == "private_lending" else start)


@dataclass(frozen=True)
class InterestCap:
    principal: int
    start: dt.date
    end: dt.date
    lender_type: str
    rule: InterestCapRule
    day_count: int
    annual_rate: Decimal | None
    contractual: int
    cap: int
    cap_rate: Decimal
    lpr: PrimeRate | None
    contract_date: dt.date | None

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def recoverable(self) -> int:
        return min(self.contractual, self.cap)

    @property
    def basis(self) -> str:
        if self.lpr is not None and self.rule.lpr_multiple is not None and self.contract_date is not None:
            how = (
                f"{_rate_text(self.rule.lpr_multiple)} × the one-year LPR of {_percent(self.lpr.one_year)} "
                f"(fixed {self.lpr.effective_from.isoformat()}, in force when the contract was formed on "
                f"{self.contract_date.isoformat()}) = {_percent(self.cap_rate)} a year"
            )
        else:
            how = f"{_percent(self.cap_rate)} a year"
        return f"{self.rule.basis}: {how}, on principal {_yuan(self.principal)} for {self.days} days / {self.day_count}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "contractual": _yuan(self.contractual),
            "cap": _yuan(self.cap),
            "recoverable": _yuan(self.recoverable),
            "cap_rate": _rate_text(self.cap_rate),
            "basis": self.basis,
            "excess": _yuan(self.contractual - self.recoverable),
            "cap_rate_percent": _percent(self.cap_rate),
            "annual_rate": None if self.annual_rate is None else _rate_text(self.annual_rate),
            "regime": self.rule.regime,
            "lender_type": self.lender_type,
            "days": self.days,
            "day_count": self.day_count,
            "lpr": None if self.lpr is None else _rate_text(self.lpr.one_year),
            "contract_date": None if self.contract_date is None else self.contract_date.isoformat(),
        }


def interest_cap(
    principal: int,
    start: dt.date,
    end: dt.date,
    lender_type: str,
    *,
    annual_rate: Decimal | None = None,
    contractual: int | None = None,
    contract_date: dt.date | None = None,
    rules: Rulebook = SHIPPED,
    day_count: int | None = None,
    rounding: Rounding | None = None,
) -> InterestCap:
    """Court-recoverable interest and charges on `principal` (fen) from `start` to `end` (end exclusive, actual
    days / the rule's day count) side by side with the contractual amount — `annual_rate` (all charges annualised)
    or an amount computed elsewhere (`contractual`, fen) — and the cap (domain-rules.md §3): financial institutions
    24% a year in total (法发〔2017〕22号 art. 2); private lending 4 × the one-year LPR in force when the contract was
    formed (法释〔2020〕17号 arts. 25, 28; `contract_date`, else `start`). Recoverable = the lesser."""
    if lender_type not in LENDER_REGIMES:
        raise CalcError(f"unknown lender type {lender_type!r}; one of {', '.join(LENDER_REGIMES)}")
    if principal < 0 or (contractual is not None and contractual < 0):
        raise CalcError("amounts must not be negative")
    if end < start:
        raise CalcError(f"the period ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    if (annual_rate is None) == (contractual is None):
        raise CalcError("give the contractual annual rate or the contractual amount (one of them)")
    if annual_rate is not None and annual_rate < 0:
        raise CalcError("the annual rate must not be negative")
    formed = contract_date or start
    rule = cap_rule(lender_type, start, contract_date, rules=rules)
    basis_days = day_count or rule.day_count
    if basis_days not in (360, 365):
        raise CalcError("the day count must be 360 or 365")
    rounding = rounding or rule.rounding
    lpr: PrimeRate | None = None
    if rule.lpr_multiple is not None:
        lpr = rules.one_year_lpr(formed)
        cap_rate = rule.lpr_multiple * lpr.one_year
    else:
        assert rule.annual_rate is not None  # InterestCapRule has one or the other
        cap_rate = rule.annual_rate
    days = Decimal((end - start).days)

    def accrued(rate: Decimal) -> int:
        return rounding.fen(principal * rate * days / basis_days)

    if contractual is not None:
        owed = contractual
    else:
        assert annual_rate is not None
        owed = accrued(annual_rate)
    return InterestCap(
        principal,
        start,
        end,
        lender_type,
        rule,
        basis_days,
        annual_rate,
        owed,
        accrued(cap_rate),
        cap_rate,
        lpr,
        formed if lpr is not None else contract_date,
    )


# --- jurisdiction ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Jurisdiction:
    court: str
    ground: str
    reasoning: tuple[str, ...]
    alternatives: tuple[tuple[str, str], ...]
    checks: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "court": self.court,
            "ground": self.ground,
            "reasoning": list(self.reasoning),
            "alternatives": [{"court": court, "ground": ground} for court, ground in self.alternatives],
            "checks": list(self.checks),
        }


DISPUTES = ("repayment", "lending")


def jurisdiction(
    lender_location: str,
    defendant_domicile: str,
    *,
    agreed_court: str | None = None,
    agreed_court_connected: bool | None = None,
    standard_form: bool = False,
    dispute: str = "repayment",
) -> Jurisdiction:
    """Which court to sue in for a loan (domain-rules.md §8), with the reasoning: (1) a written choice-of-court
    agreement naming a place actually connected to the dispute (民事诉讼法 art. 35); else (2) for a repayment claim,
    the place of performance, which for paying money is the receiving party's — the lender's location (民诉解释
    art. 18, 民间借贷规定 art. 3); else (3) the defendant's domicile (民事诉讼法 art. 24). An agreed court whose
    connection is not confirmed (`agreed_court_connected` None) is not relied on. `dispute='lending'` (whether the
    money was lent at all): the place of performance is the borrower's, so (2) does not point to the lender."""
    lender_location, defendant_domicile = lender_location.strip(), defendant_domicile.strip()
    agreed = (agreed_court or "").strip()
    if dispute not in DISPUTES:
        raise CalcError(f"unknown dispute {dispute!r}; one of {', '.join(DISPUTES)}")
    if not lender_location and not defendant_domicile and not agreed:
        raise CalcError("give at least the lender's location or the defendant's domicile")
    reasoning: list[str] = []
    checks: list[str] = []
    candidates: list[tuple[str, str]] = []
    if agreed:
        if agreed_court_connected:
            candidates.append((agreed, "agreed_court"))
            reasoning.append(
                f"the contract's written jurisdiction clause names {agreed}, a place actually connected to the "
                "dispute: the agreement governs (民事诉讼法 art. 35)"
            )
            checks.append("the clause must not breach level or exclusive jurisdiction (民事诉讼法 art. 35)")
            if standard_form:
                checks.append(
                    "the clause is a standard term: it binds the borrower only if it was brought to their attention "
                    "in a reasonable way (民诉解释 art. 31); keep the proof of the prominent notice"
                )
        elif agreed_court_connected is False:
            reasoning.append(
                f"the agreed court {agreed} is not connected to the dispute, so the clause is invalid "
                "(民事诉讼法 art. 35): the statutory grounds apply"
            )
        else:
            reasoning.append(
                f"a jurisdiction clause names {agreed}, but its connection to the dispute is not confirmed, so it is "
                "not relied on (民事诉讼法 art. 35); confirm it (--agreed-court-connected yes) to sue there"
            )
    if lender_location and dispute == "repayment":
        candidates.append((lender_location, "place_of_performance"))
        reasoning.append(
            "a claim for repayment is a dispute about paying money: the place of performance is the receiving "
            f"party's, the lender's location {lender_location} (民诉解释 art. 18; 民间借贷规定 art. 3), and the "
            "court there has jurisdiction (民事诉讼法 art. 24)"
        )
    elif dispute == "lending":
        reasoning.append(
            "the dispute is whether the money was lent at all: the place of performance is the borrower's location, "
            "not the lender's (民诉解释 art. 18)"
        )
    if defendant_domicile:
        candidates.append((defendant_domicile, "defendant_domicile"))
        reasoning.append(
            f"the defendant's domicile {defendant_domicile} has jurisdiction over a contract dispute "
            "(民事诉讼法 art. 24)"
        )
    if not candidates:
        raise CalcError("no competent court: give the lender's location or the defendant's domicile")
    court, ground = candidates[0]
    reasoning.append(f"suggested: {court} ({ground.replace('_', ' ')}), the first valid ground in that order")
    alternatives = tuple(c for c in candidates[1:] if c[0] != court or c[1] != ground)
    return Jurisdiction(court, ground, tuple(reasoning), alternatives, tuple(checks))


# --- assignment and recourse (民法典 arts. 546, 700) -------------------------------------------------------------


@dataclass(frozen=True)
class Discharge:
    discharges: bool | None
    reason: str


def payment_to_assignor_discharges(paid_on: dt.date, notice_delivered_on: dt.date | None) -> Discharge:
    """Whether a payment the debtor made to the original creditor after the debt was assigned discharges it: an
    assignment is not effective against the debtor until the notice reaches them (民法典 art. 546; domain-rules.md
    §6). On the day the notice arrived it depends on which came first (None)."""
    if notice_delivered_on is None or paid_on < notice_delivered_on:
        return Discharge(
            True,
            "the assignment notice had not reached the debtor: the assignment was not yet effective against them "
            "(民法典 art. 546), so paying the original creditor discharges the debt",
        )
    if paid_on > notice_delivered_on:
        return Discharge(
            False,
            f"paid after the assignment notice reached the debtor on {notice_delivered_on.isoformat()}: only "
            "payment to the assignee discharges the debt (民法典 art. 546)",
        )
    return Discharge(
        None,
        "paid on the day the notice reached the debtor: it depends on which came first — check the times",
    )


@dataclass(frozen=True)
class Recourse:
    debt: int
    paid: int
    costs: int

    @property
    def claim(self) -> int:
        return min(self.paid, self.debt) + self.costs

    @property
    def creditor_remaining(self) -> int:
        return self.debt - min(self.paid, self.debt)

    def as_dict(self) -> dict[str, Any]:
        return {
            "claim": _yuan(self.claim),
            "creditor_remaining": _yuan(self.creditor_remaining),
            "basis": "民法典 art. 700: a guarantor who paid has recourse against the debtor within the amount paid "
            "and takes over the creditor's rights, without harming the creditor (whose remainder comes first)",
        }


def guarantor_recourse(debt: int, paid: int, *, agreed_costs: int = 0) -> Recourse:
    """A guarantor who paid part of the debt (代偿) has recourse against the debtor for what it paid within the debt,
    plus agreed costs, and takes over the creditor's rights to that extent, behind the creditor's remainder
    (民法典 art. 700; domain-rules.md §6)."""
    if min(debt, paid, agreed_costs) < 0:
        raise CalcError("amounts must not be negative")
    return Recourse(debt, paid, agreed_costs)
