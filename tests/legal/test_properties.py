"""Properties: the fee scales equal domain-rules' quick formulas, never decrease and have no jumps at band edges;
a deadline is always a working day after the trigger, with only rest days between its nominal and actual last day;
interruptions never shorten a limitation period."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import chinese_calendar
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from arrears.legal import calculators as calc
from arrears.rules.statutory import SHIPPED

AMOUNTS = st.integers(min_value=0, max_value=10**11)  # up to 1,000,000,000 yuan, in fen

# domain-rules.md §2: the quick formula for an amount X (yuan) in each band: (band's lower edge, rate, constant)
QUICK = {
    "acceptance": [
        (0, "0", "50"),
        (10_000, "0.025", "-200"),
        (100_000, "0.02", "300"),
        (200_000, "0.015", "1300"),
        (500_000, "0.01", "3800"),
        (1_000_000, "0.009", "4800"),
        (2_000_000, "0.008", "6800"),
        (5_000_000, "0.007", "11800"),
        (10_000_000, "0.006", "21800"),
        (20_000_000, "0.005", "41800"),
    ],
    "preservation": [(0, "0", "30"), (1_000, "0.01", "20"), (100_000, "0.005", "520")],
    "enforcement": [
        (0, "0", "50"),
        (10_000, "0.015", "-100"),
        (500_000, "0.01", "2400"),
        (5_000_000, "0.005", "27400"),
        (10_000_000, "0.001", "67400"),
    ],
}
CAPS = {"preservation": 500_000}
EDGES = {kind: [lower * 100 for lower, _, _ in rows[1:]] for kind, rows in QUICK.items()}


def quick_formula(kind: str, amount: int) -> int:
    yuan = Decimal(amount) / 100
    _lower, rate, constant = [row for row in QUICK[kind] if yuan > row[0] or row[0] == 0][-1]
    fee = (yuan * Decimal(rate) + Decimal(constant)) * 100
    fen = int(fee.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return min(fen, CAPS.get(kind, fen))


def fee(kind: str, amount: int) -> int:
    return calc.tiered_fee(amount, SHIPPED.latest_fee_scale(kind)).fee


@given(kind=st.sampled_from(sorted(QUICK)), amount=AMOUNTS)
def test_equals_the_quick_formulas(kind: str, amount: int) -> None:
    assert fee(kind, amount) == quick_formula(kind, amount)


@given(kind=st.sampled_from(sorted(QUICK)), a=AMOUNTS, b=AMOUNTS)
def test_never_decreases(kind: str, a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert fee(kind, low) <= fee(kind, high)


@given(data=st.data(), kind=st.sampled_from(sorted(QUICK)), step=st.integers(min_value=1, max_value=100))
def test_continuous_at_band_edges(data: st.DataObject, kind: str, step: int) -> None:
    """Within `step` fen of an edge the fee moves by at most the highest rate × step, plus a fen of rounding."""
    edge = data.draw(st.sampled_from(EDGES[kind]))
    top_rate = max(Decimal(rate) for _, rate, _ in QUICK[kind])
    bound = int(top_rate * step) + 1
    assert abs(fee(kind, edge + step) - fee(kind, edge)) <= bound
    assert abs(fee(kind, edge) - fee(kind, edge - step)) <= bound


@given(
    amount=AMOUNTS,
    procedure=st.sampled_from(sorted(calc.PROCEDURES)),
    outcome=st.sampled_from(sorted(calc.OUTCOMES)),
)
def test_reductions_halve_once(amount: int, procedure: str, outcome: str) -> None:
    result = calc.court_fee(amount, procedure, outcome)
    assert result.base_fee == fee("acceptance", amount)
    assert result.fee + result.reduction == result.base_fee
    if result.grounds:
        assert result.fee == int((Decimal(result.base_fee) / 2).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    else:
        assert result.fee == result.base_fee


KNOWN_DAYS = st.dates(min_value=dt.date(2005, 1, 1), max_value=dt.date(2025, 12, 31))
SHORT_KINDS = [
    k
    for k in SHIPPED.period_kinds()
    if (p := SHIPPED.period(k, dt.date(2026, 1, 1))).unit != "year" and p.moves_off_rest_days
]


@settings(max_examples=300)
@given(served=KNOWN_DAYS, kind=st.sampled_from(SHORT_KINDS))
def test_a_deadline_is_a_working_day_after_service(served: dt.date, kind: str) -> None:
    assume(served >= SHIPPED.period(kind, dt.date(2026, 1, 1)).effective_from)
    result = calc.deadline(kind, served)
    assert not result.provisional
    assert result.deadline >= result.nominal > served
    assert chinese_calendar.is_workday(result.deadline)
    day = result.nominal
    while day < result.deadline:
        assert not chinese_calendar.is_workday(day)
        day += dt.timedelta(days=1)


@given(
    last_due=st.dates(min_value=dt.date(2017, 10, 1), max_value=dt.date(2022, 12, 31)),
    gaps=st.lists(st.integers(min_value=-400, max_value=2000), max_size=4),
)
def test_interruptions_never_shorten_the_limitation_period(last_due: dt.date, gaps: list[int]) -> None:
    plain = calc.limitation(last_due)
    interrupted = [last_due + dt.timedelta(days=g) for g in gaps]
    result = calc.limitation(last_due, interrupted)
    assert result.expires_on >= plain.expires_on
    assert len(result.applied) + len(result.ignored) == len(set(interrupted))
    if result.applied:
        assert result.runs_from == max(result.applied)
        assert result.nominal == calc.period_end(result.runs_from, 3, "year")
