"""Statutory rule tables as plain data: court-fee scales, statutory periods, the one-year LPR, interest caps and
small-claims thresholds (domain-rules.md §2–4, §6).

The database tables in `rules.models` hold the versions people maintain; this module holds (1) the frozen value
types the calculators in `arrears.legal.calculators` take, (2) `Rulebook`, the in-force lookups over them, and
(3) `SHIPPED`, the versions that ship with the code — seeded into the database after every migrate and used as they
are when there is no migrated database (a fresh checkout running `arrears calc`). No Django imports: pure data.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol, TypeVar

from arrears.core.errors import NotFound

ROUNDING_MODES = (
    "ROUND_HALF_UP",
    "ROUND_HALF_EVEN",
    "ROUND_HALF_DOWN",
    "ROUND_UP",
    "ROUND_DOWN",
    "ROUND_CEILING",
    "ROUND_FLOOR",
)
ROUND_STEPS = {"fen": 1, "jiao": 10, "yuan": 100}
UNITS = ("day", "month", "year")


class RuleNotFound(NotFound):
    """No version of a rule table is in force for the date (or province and year) asked about."""


@dataclass(frozen=True)
class Rounding:
    """How a computed amount in fen becomes a whole amount: `mode` is a `decimal` rounding mode, `step` the unit in
    fen (1 = to the fen, 100 = to the yuan). Default: to the fen, half up (四舍五入)."""

    mode: str = ROUND_HALF_UP
    step: int = 1

    def __post_init__(self) -> None:
        if self.mode not in ROUNDING_MODES:
            raise ValueError(f"unknown rounding mode {self.mode!r}")
        if self.step not in ROUND_STEPS.values():
            raise ValueError(f"rounding step must be 1, 10 or 100 fen, not {self.step!r}")

    def fen(self, amount: Decimal) -> int:
        """A Decimal amount in fen, rounded to a whole number of steps."""
        return int((amount / self.step).quantize(Decimal(1), rounding=self.mode)) * self.step


@dataclass(frozen=True)
class FeeBand:
    """The part of the amount above `above` (fen) — up to the next band — is charged at `rate`."""

    above: int
    rate: Decimal


@dataclass(frozen=True)
class FeeScale:
    """A progressive, cumulative fee: `minimum` (fen) for amounts up to the first band, plus each band's rate on the
    part of the amount inside it, capped at `cap` (fen) when there is one. `halve_twice`: whether two grounds for
    halving (simple procedure and mediation/withdrawal) quarter the acceptance fee."""

    kind: str
    effective_from: dt.date
    minimum: int
    bands: tuple[FeeBand, ...]
    cap: int | None = None
    halve_twice: bool = False
    rounding: Rounding = field(default_factory=Rounding)
    basis: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        edges = [b.above for b in self.bands]
        if edges != sorted(set(edges)) or (edges and edges[0] < 0):
            raise ValueError(f"{self.kind} fee bands must start at 0 or above and strictly increase")
        if any(b.rate < 0 for b in self.bands) or self.minimum < 0:
            raise ValueError(f"{self.kind} fee rates and minimum must not be negative")


@dataclass(frozen=True)
class Period:
    """A statutory period of `length` `unit`s counted from the day after its trigger date (`starts` says what that
    date is). `moves_off_rest_days`: a last day on a statutory holiday or rest day moves to the next working day."""

    kind: str
    effective_from: dt.date
    length: int
    unit: str
    moves_off_rest_days: bool
    label: str
    starts: str
    basis: str
    source: str = ""

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"period unit must be one of {', '.join(UNITS)}, not {self.unit!r}")
        if self.length <= 0:
            raise ValueError("a period must be at least one unit long")

    @property
    def text(self) -> str:
        return f"{self.length} {self.unit}{'' if self.length == 1 else 's'}"


@dataclass(frozen=True)
class PrimeRate:
    """A Loan Prime Rate fixing (贷款市场报价利率), in force from its publication date until the next one."""

    effective_from: dt.date
    one_year: Decimal
    five_year: Decimal | None = None
    source: str = ""


@dataclass(frozen=True)
class InterestCapRule:
    """The most interest and charges a court supports a year, on outstanding principal: a fixed `annual_rate`, or
    `lpr_multiple` × the one-year LPR in force when the contract was formed. `day_count`: 360 or 365."""

    regime: str
    effective_from: dt.date
    annual_rate: Decimal | None
    lpr_multiple: Decimal | None
    day_count: int = 365
    rounding: Rounding = field(default_factory=Rounding)
    basis: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        if (self.annual_rate is None) == (self.lpr_multiple is None):
            raise ValueError(f"{self.regime}: give either a fixed annual rate or an LPR multiple")
        if self.day_count not in (360, 365):
            raise ValueError("day count must be 360 or 365")


@dataclass(frozen=True)
class SmallClaimsThreshold:
    """A province's small-claims ceiling for a year (fen): 50% of its previous-year average annual wage of employed
    persons; by agreement of both parties up to `agreed_limit` (2 × that wage)."""

    province: str
    year: int
    threshold: int
    agreed_limit: int | None = None
    average_wage: int | None = None
    effective_from: dt.date | None = None
    source: str = ""


# --- provinces ------------------------------------------------------------------------------------------------

PROVINCES: dict[str, str] = {
    "北京": "Beijing",
    "天津": "Tianjin",
    "河北": "Hebei",
    "山西": "Shanxi",
    "内蒙古": "Inner Mongolia",
    "辽宁": "Liaoning",
    "吉林": "Jilin",
    "黑龙江": "Heilongjiang",
    "上海": "Shanghai",
    "江苏": "Jiangsu",
    "浙江": "Zhejiang",
    "安徽": "Anhui",
    "福建": "Fujian",
    "江西": "Jiangxi",
    "山东": "Shandong",
    "河南": "Henan",
    "湖北": "Hubei",
    "湖南": "Hunan",
    "广东": "Guangdong",
    "广西": "Guangxi",
    "海南": "Hainan",
    "重庆": "Chongqing",
    "四川": "Sichuan",
    "贵州": "Guizhou",
    "云南": "Yunnan",
    "西藏": "Xizang",
    "陕西": "Shaanxi",
    "甘肃": "Gansu",
    "青海": "Qinghai",
    "宁夏": "Ningxia",
    "新疆": "Xinjiang",
}
_ALIASES = {english.lower().replace(" ", ""): short for short, english in PROVINCES.items()} | {
    "neimenggu": "内蒙古",
    "tibet": "西藏",
}
_SUFFIXES = re.compile(r"(壮族自治区|回族自治区|维吾尔自治区|自治区|省|市)$")


def province_name(text: str) -> str:
    """The short Chinese name the tables key on: '浙江省', 'Zhejiang', 'zhejiang province' -> '浙江'."""
    cleaned = text.strip()
    if cleaned in PROVINCES:
        return cleaned
    short = _SUFFIXES.sub("", cleaned)
    if short in PROVINCES:
        return short
    key = re.sub(r"\s+|province$", "", cleaned.lower().replace(" province", ""))
    if key in _ALIASES:
        return _ALIASES[key]
    raise RuleNotFound(f"unknown province {text!r}: give its name, e.g. 浙江 or Zhejiang")


# --- lookups --------------------------------------------------------------------------------------------------


class _Versioned(Protocol):
    @property
    def effective_from(self) -> dt.date: ...


V = TypeVar("V", bound=_Versioned)


def _in_force(versions: Iterable[V], on: dt.date, what: str) -> V:
    candidates = [v for v in versions if v.effective_from <= on]
    if not candidates:
        raise RuleNotFound(f"no {what} rule is in force on {on.isoformat()}")
    return max(candidates, key=lambda v: v.effective_from)


@dataclass(frozen=True)
class Rulebook:
    """All statutory tables, each a set of versions; every lookup answers with the version in force on a date.
    `origin` says where the versions came from ('database' or 'shipped')."""

    fee_scales: tuple[FeeScale, ...]
    periods: tuple[Period, ...]
    prime_rates: tuple[PrimeRate, ...]
    interest_caps: tuple[InterestCapRule, ...]
    small_claims: tuple[SmallClaimsThreshold, ...]
    origin: str = "shipped"

    def fee_scale(self, kind: str, on: dt.date) -> FeeScale:
        return _in_force((s for s in self.fee_scales if s.kind == kind), on, f"{kind} fee")

    def latest_fee_scale(self, kind: str) -> FeeScale:
        return self.fee_scale(kind, dt.date.max)

    def period_kinds(self) -> list[str]:
        return sorted({p.kind for p in self.periods})

    def period(self, kind: str, on: dt.date) -> Period:
        if kind not in self.period_kinds():
            raise RuleNotFound(f"unknown period kind {kind!r}; known: {', '.join(self.period_kinds())}")
        return _in_force((p for p in self.periods if p.kind == kind), on, kind)

    def one_year_lpr(self, on: dt.date) -> PrimeRate:
        first = min((r.effective_from for r in self.prime_rates), default=None)
        try:
            return _in_force(self.prime_rates, on, "one-year LPR")
        except RuleNotFound:
            since = f" (the LPR table starts {first.isoformat()}; add the earlier fixings)" if first else ""
            raise RuleNotFound(f"no one-year LPR on record on {on.isoformat()}{since}") from None

    def interest_cap(self, regime: str, on: dt.date) -> InterestCapRule:
        return _in_force((c for c in self.interest_caps if c.regime == regime), on, f"{regime} interest-cap")

    def small_claims_threshold(self, province: str, year: int) -> SmallClaimsThreshold:
        name = province_name(province)
        for row in self.small_claims:
            if row.province == name and row.year == year:
                return row
        years = sorted(r.year for r in self.small_claims if r.province == name)
        known = f" (the table has {name} for {', '.join(map(str, years))})" if years else ""
        raise RuleNotFound(
            f"no small-claims threshold for {name} in {year}{known}; add the High Court's published figure "
            "to the small-claims threshold table"
        )


# --- shipped versions (domain-rules.md) -----------------------------------------------------------------------


def _yuan(amount: int | str) -> int:
    return int(Decimal(str(amount)) * 100)


def _bands(*pairs: tuple[int, str]) -> tuple[FeeBand, ...]:
    return tuple(FeeBand(_yuan(above), Decimal(rate)) for above, rate in pairs)


_FEE_MEASURES = "《诉讼费用交纳办法》(国务院令第481号, effective 2007-04-01)"
FEE_SCALES = (
    FeeScale(
        kind="acceptance",
        effective_from=dt.date(2007, 4, 1),
        minimum=_yuan(50),
        bands=_bands(
            (10_000, "0.025"),
            (100_000, "0.02"),
            (200_000, "0.015"),
            (500_000, "0.01"),
            (1_000_000, "0.009"),
            (2_000_000, "0.008"),
            (5_000_000, "0.007"),
            (10_000_000, "0.006"),
            (20_000_000, "0.005"),
        ),
        halve_twice=False,
        basis=f"{_FEE_MEASURES} art. 13(1): property cases, 50 per case up to 10,000, then 2.5% / 2% / 1.5% / 1% / "
        "0.9% / 0.8% / 0.7% / 0.6% / 0.5% on the part of the claim in each band",
        source="domain-rules.md §2.1 (CONFIRMED); halving twice §2.2 (UNCONFIRMED: once by default)",
    ),
    FeeScale(
        kind="preservation",
        effective_from=dt.date(2007, 4, 1),
        minimum=_yuan(30),
        bands=_bands((1_000, "0.01"), (100_000, "0.005")),
        cap=_yuan(5_000),
        basis=f"{_FEE_MEASURES} art. 14(2): on the amount preserved, 30 up to 1,000, then 1% up to 100,000 and 0.5% "
        "above, at most 5,000",
        source="domain-rules.md §2.3 (CONFIRMED)",
    ),
    FeeScale(
        kind="enforcement",
        effective_from=dt.date(2007, 4, 1),
        minimum=_yuan(50),
        bands=_bands((10_000, "0.015"), (500_000, "0.01"), (5_000_000, "0.005"), (10_000_000, "0.001")),
        basis=f"{_FEE_MEASURES} art. 14(1): 50 up to 10,000, then 1.5% / 1% / 0.5% / 0.1% on the part in each band; "
        "not prepaid, collected from the judgment debtor (art. 38)",
        source="domain-rules.md §2.4 (CONFIRMED)",
    ),
)

_CPL = "民事诉讼法"
_CPL_85 = (
    f"{_CPL} art. 85: the day it starts is not counted; a last day on a statutory holiday or rest day moves to the "
    "next working day"
)
_CC_203 = "民法典 arts. 201–203: counted from the next day; a last day on a statutory holiday moves to the day after it"
PERIODS = (
    Period(
        kind="appeal-judgment",
        effective_from=dt.date(1991, 4, 9),
        length=15,
        unit="day",
        moves_off_rest_days=True,
        label="上诉期（判决）— appeal against a judgment",
        starts="the day the first-instance judgment is served",
        basis=f"{_CPL} art. 171: 15 days from service of a judgment; {_CPL_85}",
        source="domain-rules.md §4 (article number UNCONFIRMED)",
    ),
    Period(
        kind="appeal-ruling",
        effective_from=dt.date(1991, 4, 9),
        length=10,
        unit="day",
        moves_off_rest_days=True,
        label="上诉期（裁定）— appeal against a ruling",
        starts="the day the ruling (裁定) is served",
        basis=f"{_CPL} art. 171: 10 days from service of a ruling; {_CPL_85}",
        source="domain-rules.md §4 (article number UNCONFIRMED)",
    ),
    Period(
        kind="enforcement-application",
        effective_from=dt.date(2008, 4, 1),
        length=2,
        unit="year",
        moves_off_rest_days=True,
        label="申请执行期间 — enforcement application",
        starts="the last day of the performance period the judgment sets (the last instalment's, if payable in "
        "instalments; the day it takes effect if it sets none)",
        basis=f"{_CPL} art. 250 (art. 246 in the 2021 text): 2 years, suspended and interrupted like a limitation "
        f"period; {_CPL_85}",
        source="domain-rules.md §4 (2 years widely documented; article number UNCONFIRMED)",
    ),
    Period(
        kind="retrial-application",
        effective_from=dt.date(2008, 4, 1),
        length=6,
        unit="month",
        moves_off_rest_days=True,
        label="申请再审期间 — retrial application",
        starts="the day the judgment or ruling takes effect",
        basis=f"{_CPL} art. 216: 6 months after the judgment or ruling takes effect; {_CPL_85}",
        source="not in domain-rules.md — UNCONFIRMED, verify",
    ),
    Period(
        kind="small-claims-trial",
        effective_from=dt.date(2022, 1, 1),
        length=2,
        unit="month",
        moves_off_rest_days=True,
        label="小额诉讼审限 — small-claims hearing time limit",
        starts="the day the case is accepted (立案)",
        basis=f"{_CPL} (2021 rev.): small claims are decided within 2 months of acceptance, extendable once by "
        f"1 month; {_CPL_85}",
        source="domain-rules.md §4 (UNCONFIRMED)",
    ),
    Period(
        kind="simple-procedure-trial",
        effective_from=dt.date(1991, 4, 9),
        length=3,
        unit="month",
        moves_off_rest_days=True,
        label="简易程序审限 — simplified-procedure time limit",
        starts="the day the case is accepted (立案)",
        basis=f"{_CPL} arts. 160, 164: decided within 3 months of acceptance (extendable); {_CPL_85}",
        source="domain-rules.md §4 (UNCONFIRMED)",
    ),
    Period(
        kind="court-fee-payment",
        effective_from=dt.date(2007, 4, 1),
        length=7,
        unit="day",
        moves_off_rest_days=True,
        label="交纳诉讼费用 — paying the court fee",
        starts="the day the court's payment notice is received",
        basis=f"{_FEE_MEASURES} art. 22: within 7 days of the court's payment notice; {_CPL_85}",
        source="domain-rules.md §2.2 (CONFIRMED)",
    ),
    Period(
        kind="court-fee-refund",
        effective_from=dt.date(2007, 4, 1),
        length=15,
        unit="day",
        moves_off_rest_days=True,
        label="退还诉讼费用 — the court refunds fees due back",
        starts="the day the judgment takes effect",
        basis=f"{_FEE_MEASURES} art. 53: within 15 days of the judgment taking effect; {_CPL_85}",
        source="domain-rules.md §2.2 (CONFIRMED, secondary)",
    ),
    Period(
        kind="limitation",
        effective_from=dt.date(2017, 10, 1),
        length=3,
        unit="year",
        moves_off_rest_days=True,
        label="诉讼时效 — limitation period",
        starts="the last instalment's due date, or the latest interruption",
        basis="民法典 art. 188: 3 years (since 民法总则 art. 188, 2017-10-01); art. 189: an instalment debt's runs "
        f"from the last instalment's due date; art. 195: an interruption restarts it; {_CC_203}",
        source="domain-rules.md §4 (CONFIRMED); the last-day rule (art. 203) is not in domain-rules.md",
    ),
    Period(
        kind="guarantee-period",
        effective_from=dt.date(2021, 1, 1),
        length=6,
        unit="month",
        moves_off_rest_days=False,
        label="保证期间 — guarantee period",
        starts="the principal debt's due date",
        basis="民法典 art. 692: as agreed; 6 months from the principal debt's due date when not agreed, unclear, or "
        "agreed to end no later than the principal debt; never suspended, interrupted or extended (so a last day "
        "on a holiday is kept, the cautious reading)",
        source="domain-rules.md §6 (CONFIRMED)",
    ),
)

_LPR_SOURCE = "domain-rules.md §3.3 (CONFIRMED)"
PRIME_RATES = (
    PrimeRate(dt.date(2024, 10, 21), Decimal("0.031"), Decimal("0.036"), f"{_LPR_SOURCE}: cut 25bp"),
    PrimeRate(dt.date(2025, 1, 20), Decimal("0.031"), Decimal("0.036"), f"{_LPR_SOURCE}: unchanged"),
    PrimeRate(dt.date(2025, 5, 20), Decimal("0.030"), Decimal("0.035"), f"{_LPR_SOURCE}: cut 10bp"),
    PrimeRate(
        dt.date(2025, 6, 20),
        Decimal("0.030"),
        Decimal("0.035"),
        f"{_LPR_SOURCE}: unchanged, and at the later reported fixings; later changes UNCONFIRMED",
    ),
)

INTEREST_CAPS = (
    InterestCapRule(
        regime="financial_institution",
        effective_from=dt.date(2017, 8, 4),
        annual_rate=Decimal("0.24"),
        lpr_multiple=None,
        day_count=365,
        basis="法发〔2017〕22号 art. 2: interest, compound and penalty interest, liquidated damages and other fees "
        "claimed together are reduced to 24% a year in total",
        source="domain-rules.md §3.2 (CONFIRMED; effective date = date of issue, UNCONFIRMED; day count 365 per the "
        "worked example, 360 vs 365 varies by court)",
    ),
    InterestCapRule(
        regime="private_lending",
        effective_from=dt.date(2020, 8, 20),
        annual_rate=None,
        lpr_multiple=Decimal(4),
        day_count=365,
        basis="法释〔2020〕17号 arts. 25, 28: interest and overdue interest up to 4 × the one-year LPR at contract "
        "formation (合同成立时)",
        source="domain-rules.md §3.1 (CONFIRMED)",
    ),
)

SMALL_CLAIMS = (
    SmallClaimsThreshold(
        province="浙江",
        year=2022,
        threshold=_yuan(54_323),
        agreed_limit=_yuan(217_290),
        effective_from=dt.date(2022, 1, 11),
        source="domain-rules.md §4: Zhejiang from 2022-01-11, agreed up to 217,290 (CONFIRMED)",
    ),
    SmallClaimsThreshold(
        province="辽宁",
        year=2023,
        threshold=_yuan(47_000),
        source="domain-rules.md §4: Liaoning 2023 (CONFIRMED)",
    ),
)

SHIPPED = Rulebook(
    fee_scales=FEE_SCALES,
    periods=PERIODS,
    prime_rates=PRIME_RATES,
    interest_caps=INTEREST_CAPS,
    small_claims=SMALL_CLAIMS,
    origin="shipped",
)
