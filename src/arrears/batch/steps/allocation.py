"""Payment allocation, penalty interest and delinquency episodes: the one sequential step of the batch.

Rules implemented (`shared/docs/domain-rules.md` §3.2, portfolio-format.md `payments.csv`, issue 3):

- **Effective payments.** As of the end of day D a payment counts if it was made on or before D and is not
  reversed by a reversal made on or before D. A reversal undoes the allocation completely: the loan is replayed
  as if the payment had never been made, so penalty interest runs again from the original date.
- **Waterfall** (Civil Code art. 560 and 561): a payment without a split goes to the matured installments oldest
  first (art. 560: each installment is a separate matured debt), and within an installment by the loan's component
  order, by default costs and fees, then penalty interest (incl. compound interest), then interest, then
  principal (art. 561). A payment with a split pays each component across the matured installments, oldest
  first. What is left after everything matured is paid is held as a credit and applied when the next installment
  falls due (a payment on a due date pays that installment).
- **Penalty interest** (罚息) accrues on each installment's overdue principal at the loan's penalty rate and day
  count, for every day after the due date, and **compound interest** (复利) on its overdue interest at the same rate
  when the product says so. A payment on day t is booked at the end of day t, so day t still accrues on the old
  balance. Accrual is exact between postings and rounded half up to the fen at each posting: an installment's
  penalty is posted each time a payment reaches it (before its balance changes) and at D, so no day is lost to
  rounding and installments a payment does not reach are not rounded on its date.
- **Days past due** = D − due date of the oldest installment with scheduled principal, interest or fees unpaid
  (0 when none is before D). An **overdue episode** starts the day after that due date and ends (cure) on the day
  a payment leaves nothing before the day unpaid. A payment made after a due date counts as an episode with
  dpd = payment date − due date even when it cures on the same day; `max_dpd` is the largest dpd seen up to D.

Why a compiled kernel and not a column expression: a payment's split depends on the penalty accrued up to its
date, and that depends on how earlier payments were split, so the allocation is path-dependent and has no
closed form in cumulative sums. `_walk` visits each loan's installments and payments once (O(installments +
payments)), compiled by Numba; everything around it is set-based Polars. It takes and returns flat arrays, so the
step stays a pure frame → frame function.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import numba
import numpy as np
import polars as pl

from arrears.portfolio.schedules import SCHEDULE_SCHEMA

FEE, PENALTY, INTEREST, PRINCIPAL = 0, 1, 2, 3
COMPONENTS = {"fee": FEE, "penalty": PENALTY, "interest": INTEREST, "principal": PRINCIPAL}
DEFAULT_WATERFALL = ("fee", "penalty", "interest", "principal")

# Loan-level problems the kernel reports (the loan is skipped, the run goes on).
OK, OVERPAID = 0, 1

INSTALLMENT_INPUT = SCHEDULE_SCHEMA  # the schedule as the importer writes it
PAYMENT_INPUT = {
    "payment_id": pl.String,
    "loan_id": pl.String,
    "paid_on": pl.Date,
    "amount": pl.Int64,
    "principal_paid": pl.Int64,
    "interest_paid": pl.Int64,
    "penalty_paid": pl.Int64,
    "fee_paid": pl.Int64,
    "reverses": pl.String,
}


class Bands(NamedTuple):
    """Age bands (buckets) for `overdue_by_band`: per loan the index of its set; per set the lower and upper bound
    of each band in days (upper −1: open-ended; unused bands have lower −1)."""

    set_of_loan: np.ndarray  # int64, one per loan
    low: np.ndarray  # int64 (sets, bands)
    high: np.ndarray  # int64 (sets, bands)


class Upgrade(NamedTuple):
    """Per loan, when a non-performing loan may be upgraded again (domain-rules.md §1.2): an episode beyond
    `npl_after` days past due makes it non-performing; once the arrears are repaid it stays so for
    `months` months or `periods` repayment periods of normal repayment, whichever is first."""

    npl_after: np.ndarray  # int64 days
    months: np.ndarray  # int64
    periods: np.ndarray  # int64

    @classmethod
    def default(cls, loans: int) -> Upgrade:
        return cls(np.full(loans, 90, np.int64), np.full(loans, 6, np.int64), np.full(loans, 2, np.int64))


class Allocation(NamedTuple):
    loans: pl.DataFrame  # one row per input loan, in input order
    installments: pl.DataFrame  # per installment (sorted by loan, due date): due date, cleared_on [+ detail]
    overdue_by_band: (
        np.ndarray
    )  # (loans, bands) overdue scheduled amount by the band of each installment's age


def _sorted_by(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """`frame` sorted by `keys`; a frame that already is sorted (as read from the database or Parquet) is only
    checked, which costs one pass."""
    if frame.height < 2:
        return frame
    ordered = pl.lit(False)
    for key in reversed(keys):
        current, previous = pl.col(key), pl.col(key).shift(1)
        ordered = (
            (current > previous) | ((current == previous) & ordered)
            if key != keys[-1]
            else current >= previous
        )
    if frame.select(ordered.fill_null(True).all()).item():
        return frame
    return frame.sort(keys)


def _offsets(keys: pl.Series, loan_ids: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """Start and end row of each loan's block in `keys` (sorted by loan): one pass to find the blocks, then
    matched to the loans by position when they line up (the usual case) or by a join when they do not."""
    n = keys.len()
    if n == 0:
        empty = np.zeros(loan_ids.len(), np.int64)
        return empty, empty.copy()
    starts = (keys != keys.shift(1)).fill_null(True).arg_true()
    blocks = pl.DataFrame({"loan_id": keys.gather(starts), "start": starts.cast(pl.Int64)}).with_columns(
        end=pl.col("start").shift(-1, fill_value=n)
    )
    if blocks.height == loan_ids.len() and (blocks["loan_id"] == loan_ids).all():
        return blocks["start"].to_numpy().copy(), blocks["end"].to_numpy().copy()
    found = pl.DataFrame({"loan_id": loan_ids}).join(blocks, on="loan_id", how="left", maintain_order="left")
    return found["start"].fill_null(0).to_numpy().copy(), found["end"].fill_null(0).to_numpy().copy()


def _days(series: pl.Series) -> np.ndarray:
    return _array(series.cast(pl.Int32), np.int32)


def _money(series: pl.Series, missing: int = 0) -> np.ndarray:
    return _array(series if series.null_count() == 0 else series.fill_null(missing), np.int64)


def _array(series: pl.Series, dtype: type) -> np.ndarray:
    """The column as a read-only array, without a copy where Polars can share its memory. Always read-only, so the
    kernel (which never writes its inputs) sees the same array types every time and compiles once."""
    array: np.ndarray = np.asarray(series.to_numpy(), dtype=dtype)
    array.flags.writeable = False
    return array


def waterfall_codes(order: tuple[str, ...] = DEFAULT_WATERFALL) -> np.ndarray:
    codes = np.array([COMPONENTS[name] for name in order], dtype=np.int8)
    if sorted(codes.tolist()) != [FEE, PENALTY, INTEREST, PRINCIPAL]:
        raise ValueError(f"a waterfall orders each of fee, penalty, interest, principal once: {order}")
    return codes


class Prepared(NamedTuple):
    """The inputs of `allocate` sorted, matched to the loans and turned into the kernel's arrays: done once,
    whatever number of business dates are then computed from them."""

    loan_ids: pl.Series
    installments: pl.DataFrame  # sorted by loan, due date, installment number
    arrays: tuple[np.ndarray, ...]


def prepare(
    loans: pl.DataFrame,
    installments: pl.DataFrame,
    payments: pl.DataFrame,
    waterfall: tuple[str, ...] = DEFAULT_WATERFALL,
) -> Prepared:
    """`loans` needs loan_id, penalty_rate (millionths a year), day_basis (360 or 365) and compound_interest;
    `installments` and `payments` the columns of INSTALLMENT_INPUT and
    PAYMENT_INPUT (rows of other loans are ignored). Each payment learns the date it was reversed on (if ever),
    so that the kernel can tell, for any business date, which payments count."""
    installments = _sorted_by(installments, ["loan_id", "due_date", "installment_no"])
    reversals = (
        payments.filter(pl.col("reverses").is_not_null())
        .group_by(payment_id="reverses")
        .agg(reversed_on=pl.col("paid_on").min())
    )
    payments = _sorted_by(payments, ["loan_id", "paid_on", "payment_id"])
    # Reversals are few: look up only the payments they name, not all payments.
    reversed_on = pl.Series("reversed_on", [None] * payments.height, dtype=pl.Date)
    if reversals.height:
        rows = payments["payment_id"].is_in(reversals["payment_id"].implode()).arg_true()
        found = (
            payments[rows]
            .select("payment_id")
            .join(reversals, on="payment_id", how="left", maintain_order="left")
        )
        reversed_on = reversed_on.scatter(rows, found["reversed_on"])
    loan_ids = loans["loan_id"]
    inst_start, inst_end = _offsets(installments["loan_id"], loan_ids)
    pay_start, pay_end = _offsets(payments["loan_id"], loan_ids)
    has_split = payments.select(
        pl.any_horizontal(
            pl.col(c).is_not_null() for c in ("principal_paid", "interest_paid", "penalty_paid", "fee_paid")
        )
    ).to_series()
    arrays = (
        inst_start,
        inst_end,
        pay_start,
        pay_end,
        _money(loans["penalty_rate"]),
        _money(loans["day_basis"], 360),
        _array(loans["compound_interest"].fill_null(False), np.bool_),
        waterfall_codes(waterfall),
        _days(installments["due_date"]),
        _money(installments["principal_due"]),
        _money(installments["interest_due"]),
        _money(installments["fee_due"]),
        _days(payments["paid_on"]),
        _money(payments["amount"]),
        _array(has_split, np.bool_),
        _money(payments["fee_paid"]),
        _money(payments["penalty_paid"]),
        _money(payments["interest_paid"]),
        _money(payments["principal_paid"]),
        _array(payments["reverses"].is_not_null(), np.bool_),
        _days(reversed_on.fill_null(dt.date(1969, 12, 31))),
    )
    return Prepared(loan_ids, installments, arrays)


def allocate(
    prepared: Prepared,
    as_of: dt.date,
    *,
    bands: Bands | None = None,
    upgrade: Upgrade | None = None,
    detail: bool = False,
    before: dt.date | None = None,
) -> Allocation:
    """Allocate every loan's effective payments and accrue penalty interest up to the end of `as_of`.

    Returns per-loan amounts and episode facts; per installment the day its scheduled amounts were settled, and
    with `detail` what was paid of each component. `before` (an earlier date): the loans also carry what the
    history compares at the end of that day (`before_dpd`, `before_episode_start`, `before_npl_hold`,
    `before_problem`), taken on the same walk.
    """
    loan_ids, installments = prepared.loan_ids, prepared.installments
    if bands is None:
        bands = Bands(
            np.zeros(loan_ids.len(), np.int64), np.full((1, 1), -1, np.int64), np.full((1, 1), -1, np.int64)
        )
    cleared_on, paid_parts, pen_acc, loan_out, loan_dates, by_band = _walk(  # type: ignore[call-arg]
        *prepared.arrays,
        np.int32((as_of - dt.date(1970, 1, 1)).days),
        np.array(bands.set_of_loan, dtype=np.int64),
        np.array(bands.low, dtype=np.int64),
        np.array(bands.high, dtype=np.int64),
        detail,
        *(upgrade or Upgrade.default(loan_ids.len())),
        np.int32(-1 if before is None else (before - dt.date(1970, 1, 1)).days),
    )
    inst_start, inst_end = prepared.arrays[0], prepared.arrays[1]

    def date_col(values: np.ndarray) -> pl.Series:
        return pl.Series(values).cast(pl.Date).replace(dt.date(1969, 12, 31), None)

    loan_frame = pl.DataFrame(
        {
            "loan_id": loan_ids,
            "problem": loan_out[:, 0],
            "outstanding_principal": loan_out[:, 1],
            "overdue_principal": loan_out[:, 2],
            "overdue_interest": loan_out[:, 3],
            "overdue_fees": loan_out[:, 4],
            "penalty_interest": loan_out[:, 5],
            "due_today": loan_out[:, 6],
            "credit": loan_out[:, 7],
            "times_overdue": loan_out[:, 8].astype(np.int32),
            "max_dpd": loan_out[:, 9].astype(np.int32),
            "dpd": loan_out[:, 10].astype(np.int32),
            "installment_count": (inst_end - inst_start).astype(np.int32),
            "penalty_accrued": loan_out[:, 11],
            "npl_hold": loan_out[:, 12].astype(np.bool_),
        }
    ).with_columns(
        episode_start=date_col(loan_dates[:, 0]),
        cure_date=date_col(loan_dates[:, 1]),
        oldest_unpaid_due=date_col(loan_dates[:, 2]),
        npl_until=date_col(loan_dates[:, 3]),
    )
    if before is not None:
        loan_frame = loan_frame.with_columns(
            before_dpd=pl.Series(loan_out[:, 13].astype(np.int32)),
            before_npl_hold=pl.Series(loan_out[:, 14].astype(np.bool_)),
            before_problem=pl.Series(loan_out[:, 15]),
            before_episode_start=date_col(loan_dates[:, 4]),
        )
    inst_frame = installments.select(INSTALLMENT_INPUT.keys()).with_columns(cleared_on=date_col(cleared_on))
    if detail:
        inst_frame = inst_frame.with_columns(
            fee_paid=pl.Series(paid_parts[:, FEE]),
            penalty_accrued=pl.Series(pen_acc),
            penalty_paid=pl.Series(paid_parts[:, PENALTY]),
            interest_paid=pl.Series(paid_parts[:, INTEREST]),
            principal_paid=pl.Series(paid_parts[:, PRINCIPAL]),
        )
    return Allocation(loan_frame, inst_frame, by_band)


@numba.njit(cache=True)
def _accrue(balance: np.int64, rate: np.int64, days: np.int64, denominator: np.int64) -> np.int64:
    """round_half_up(balance · rate · days / denominator) without overflowing int64 (balance · rate < 2^63)."""
    per_day = balance * rate
    whole, rest = per_day // denominator, per_day % denominator
    rest_days = rest * days
    amount = whole * days + rest_days // denominator
    if 2 * (rest_days % denominator) >= denominator:
        amount += 1
    return amount


@numba.njit(cache=True)
def _bring_up(owed, paid, accrued_to, due, k, t, rate, denominator, compound):  # fmt: skip
    """Post installment k's penalty up to the end of day t. Called before its balance changes and at the end, so
    each posting covers a stretch of constant balance, accrued exactly and rounded once."""
    if due[k] < t and accrued_to[k] < t:
        base = owed[k, PRINCIPAL] - paid[k, PRINCIPAL]
        if compound:
            base += owed[k, INTEREST] - paid[k, INTEREST]
        if base > 0 and rate > 0:
            owed[k, PENALTY] += _accrue(base, rate, t - accrued_to[k], denominator)
        accrued_to[k] = t


@numba.njit(cache=True)
def _pay(owed, paid, k, comp, left):  # fmt: skip
    """Pay up to `left` of component `comp` of installment k; return what is left."""
    x = min(left, owed[k, comp] - paid[k, comp])
    paid[k, comp] += x
    return left - x


@numba.njit(cache=True)
def _load(owed, paid, accrued_to, fee, intr, prin, due, i0, i1):  # fmt: skip
    """A loan's installments into the scratch area, nothing paid yet."""
    for j in range(i1 - i0):
        k = i0 + j
        owed[j, FEE], owed[j, PENALTY], owed[j, INTEREST], owed[j, PRINCIPAL] = fee[k], 0, intr[k], prin[k]
        paid[j, :] = 0
        accrued_to[j] = due[k]


@numba.njit(cache=True)
def _counts(p, is_reversal, reversed_on, as_of):  # fmt: skip
    """Payment p counts at the end of as_of: it is not a reversal and was not reversed by then (payments made
    later are never reached: the walk stops at as_of)."""
    return not is_reversal[p] and not (0 <= reversed_on[p] <= as_of)


@numba.njit(cache=True)
def _settled(owed, paid, k):  # fmt: skip
    """Nothing scheduled (fee, interest, principal) is left on installment k."""
    return (
        paid[k, PRINCIPAL] == owed[k, PRINCIPAL]
        and paid[k, INTEREST] == owed[k, INTEREST]
        and paid[k, FEE] == owed[k, FEE]
    )


@numba.njit(cache=True)
def _add_months(day, months):  # fmt: skip
    """Same day of month `months` later (clamped to the month's end), on day numbers since 1970-01-01."""
    z = day + 719468  # civil-from-days and days-from-civil (H. Hinnant), proleptic Gregorian
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    y = yoe + era * 400 + (1 if m <= 2 else 0)
    index = y * 12 + (m - 1) + months
    y, m = index // 12, index % 12 + 1
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    length = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[m - 1]
    d = min(d, length)
    y -= 1 if m <= 2 else 0
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m - 3 if m > 2 else m + 9) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


@numba.njit(cache=True)
def _upgrade_on(repaid, due, months, periods):  # fmt: skip
    """The first day an NPL repaid on `repaid` may be upgraded (domain-rules.md §1.2): after `periods` further
    repayment periods or `months` months of normal repayment, whichever comes first."""
    end = _add_months(repaid, months)
    seen = 0
    for k in range(due.shape[0]):
        if due[k] > repaid:
            seen += 1
            if seen == periods:
                return min(end, due[k] + 1)
    return end


BLOCKS = 512  # loans are walked in blocks, in parallel; each block reuses one scratch area


@numba.njit(cache=True, parallel=True)
def _walk(
    inst_start, inst_end, pay_start, pay_end, penalty_rate, day_basis, compound, order,
    due, prin, intr, fee,
    pay_date, pay_amount, has_split, split_fee, split_pen, split_int, split_prin, is_reversal, reversed_on,
    as_of, set_of_loan, band_low, band_high, detail, npl_after, upgrade_months, upgrade_periods, snap,
):  # fmt: skip
    n_inst = due.shape[0]
    n_loans = inst_start.shape[0]
    cleared_on = np.full(n_inst, -1, np.int32)
    paid_out = np.zeros((n_inst if detail else 0, 4), np.int64)
    pen_out = np.zeros(n_inst if detail else 0, np.int64)
    loan_out = np.zeros((n_loans, 16), np.int64)
    loan_dates = np.full((n_loans, 5), -1, np.int32)
    by_band = np.zeros((n_loans, band_low.shape[1]), np.int64)
    blocks = min(BLOCKS, n_loans)
    for block in numba.prange(blocks):
        first, last = block * n_loans // blocks, (block + 1) * n_loans // blocks
        size = 1
        for loan in range(first, last):
            size = max(size, inst_end[loan] - inst_start[loan])
        owed = np.zeros(
            (size, 4), np.int64
        )  # per installment of the loan: FEE, PENALTY (accrued), INTEREST, PRINCIPAL
        paid = np.zeros((size, 4), np.int64)
        accrued_to = np.zeros(size, np.int32)
        for loan in range(first, last):
            i0, i1 = inst_start[loan], inst_end[loan]
            walk_snap = snap
            if snap >= 0:
                # A payment reversed after `snap` but by as_of counts on the earlier day and not on as_of: that
                # loan's earlier day needs a walk of its own.
                for q in range(pay_start[loan], pay_end[loan]):
                    if snap < reversed_on[q] <= as_of:
                        walk_snap = -1
                        break
            passes = 2 if walk_snap < 0 <= snap else 1
            for walk in range(passes):
                day = (
                    snap if walk < passes - 1 else as_of
                )  # the earlier day first, when it has a walk of its own
                mark = walk_snap
                _load(owed, paid, accrued_to, fee, intr, prin, due, i0, i1)
                cleared_on[i0:i1] = -1
                loan_out[loan, :13] = 0
                loan_dates[loan, :4] = -1
                _one_loan(
                    loan, i0, i1, pay_start[loan], pay_end[loan], penalty_rate[loan], day_basis[loan] * 1_000_000,
                    compound[loan], order, due[i0:i1], owed, paid, accrued_to, cleared_on[i0:i1],
                    pay_date, pay_amount, has_split, split_fee, split_pen, split_int, split_prin, is_reversal,
                    reversed_on, day, loan_out, loan_dates, npl_after[loan], upgrade_months[loan],
                    upgrade_periods[loan], mark,
                )  # fmt: skip
                if day != as_of:  # the earlier day's own walk: keep what the history compares
                    loan_out[loan, 13], loan_out[loan, 14] = loan_out[loan, 10], loan_out[loan, 12]
                    loan_out[loan, 15], loan_dates[loan, 4] = loan_out[loan, 0], loan_dates[loan, 0]
            s = set_of_loan[loan]
            for j in range(i1 - i0):
                k = i0 + j
                if detail:
                    paid_out[k, :] = paid[j, :]
                    pen_out[k] = owed[j, PENALTY]
                if due[k] < as_of:
                    unpaid = 0
                    for c in (FEE, INTEREST, PRINCIPAL):
                        unpaid += owed[j, c] - paid[j, c]
                    age = as_of - due[k]
                    if unpaid > 0:
                        for b in range(band_low.shape[1]):
                            if (
                                band_low[s, b] >= 0
                                and age >= band_low[s, b]
                                and (band_high[s, b] < 0 or age <= band_high[s, b])
                            ):
                                by_band[loan, b] += unpaid
                                break
    return cleared_on, paid_out, pen_out, loan_out, loan_dates, by_band


@numba.njit(cache=True)
def _one_loan(
    loan, i0, i1, p, p1, rate, denominator, comp, order, due, owed, paid, accrued_to, cleared_on,
    pay_date, pay_amount, has_split, split_fee, split_pen, split_int, split_prin, is_reversal, reversed_on, as_of,
    loan_out, loan_dates, npl_after, upgrade_months, upgrade_periods, snap,
):  # fmt: skip
    """Walk one loan's installments (local index j: `due`, `owed`, `paid`, `cleared_on` are its rows) and
    payments [p, p1) in date order."""
    n = i1 - i0
    never = np.int32(2**31 - 1)
    matured = 0  # installments [0, matured) are due by the current day
    first_open = 0  # oldest installment with anything (incl. penalty) outstanding
    first_unpaid = 0  # oldest installment with scheduled amounts outstanding
    credit = np.int64(0)
    in_episode = False
    episode_start = np.int32(-1)
    cure_date = np.int32(-1)
    times = 0
    max_dpd = 0
    episode_max = 0  # the worst dpd of the current episode
    npl = False  # was non-performing (an episode beyond npl_after days) and not yet upgraded
    repaid = np.int32(-1)  # when the arrears of the last episode while non-performing were repaid
    pending = snap >= 0  # the state at the end of `snap` (an earlier day) is still to be taken
    while True:
        while p < p1 and not _counts(p, is_reversal, reversed_on, as_of):
            p += 1
        t_pay = pay_date[p] if p < p1 else never
        t = min(t_pay, as_of)  # the next payment day, or the end
        if pending and snap < t:
            t = snap
        # Installments falling due by t; a credit waiting for them pays them on their due date.
        while matured < n and due[matured] <= t:
            k = matured
            matured += 1
            if credit > 0:
                for c in range(4):
                    credit = _pay(owed, paid, k, order[c], credit)
            if _settled(owed, paid, k):
                cleared_on[k] = due[k]
        # The episode as it stands before the day's payments.
        while first_unpaid < matured and _settled(owed, paid, first_unpaid):
            first_unpaid += 1
        if first_unpaid < matured and due[first_unpaid] < t:
            if not in_episode:
                in_episode = True
                times += 1
                episode_start = due[first_unpaid] + 1
                episode_max = 0
                if (
                    npl
                    and repaid >= 0
                    and episode_start > _upgrade_on(repaid, due, upgrade_months, upgrade_periods)
                ):
                    npl = False  # it had repaid normally long enough before this episode began
            max_dpd = max(max_dpd, t - due[first_unpaid])
            episode_max = max(episode_max, t - due[first_unpaid])
        while t_pay == t and p < p1 and pay_date[p] == t:
            if not _counts(p, is_reversal, reversed_on, as_of):
                p += 1
                continue
            left = pay_amount[p]
            if has_split[p]:
                # Each part of the split across the matured installments, oldest first; the rest by waterfall.
                left -= split_fee[p] + split_pen[p] + split_int[p] + split_prin[p]
                parts = (split_fee[p], split_pen[p], split_int[p], split_prin[p])
                for c in range(4):
                    part = parts[c]
                    k = first_open
                    while part > 0 and k < matured:
                        _bring_up(owed, paid, accrued_to, due, k, t, rate, denominator, comp)
                        part = _pay(owed, paid, k, c, part)
                        if cleared_on[k] < 0 and _settled(owed, paid, k):
                            cleared_on[k] = t
                        k += 1
                    left += part
            k = first_open
            while left > 0 and k < matured:
                _bring_up(owed, paid, accrued_to, due, k, t, rate, denominator, comp)
                for c in range(4):
                    left = _pay(owed, paid, k, order[c], left)
                if cleared_on[k] < 0 and _settled(owed, paid, k):
                    cleared_on[k] = t
                k += 1
            credit += left
            p += 1
        # Close what the day's payments settled; a day that leaves nothing overdue ends the episode.
        while (
            first_open < matured
            and cleared_on[first_open] >= 0
            and paid[first_open, PENALTY] == owed[first_open, PENALTY]
        ):
            first_open += 1
        while first_unpaid < matured and cleared_on[first_unpaid] >= 0:
            first_unpaid += 1
        if in_episode and not (first_unpaid < matured and due[first_unpaid] < t):
            in_episode = False
            cure_date = t
            if episode_max > npl_after or npl:
                npl, repaid = True, t  # the upgrade clock starts (again) when arrears are repaid
        if pending and t == snap:
            pending = False
            if first_unpaid < matured and due[first_unpaid] < snap:
                loan_out[loan, 13] = snap - due[first_unpaid]
            loan_dates[loan, 4] = episode_start if in_episode else -1
            if npl and (in_episode or snap < _upgrade_on(repaid, due, upgrade_months, upgrade_periods)):
                loan_out[loan, 14] = 1
            waiting = np.int64(0)  # what is not yet due at the end of snap
            for k in range(matured, n):
                waiting += owed[k, FEE] - paid[k, FEE] + owed[k, INTEREST] - paid[k, INTEREST]
                waiting += owed[k, PRINCIPAL] - paid[k, PRINCIPAL]
            loan_out[loan, 15] = OVERPAID if credit > waiting else OK
        if t == as_of and t_pay > as_of:
            break

    # The state at the end of as_of.
    for k in range(first_open, matured):
        _bring_up(owed, paid, accrued_to, due, k, as_of, rate, denominator, comp)
    dpd = 0
    if first_unpaid < matured and due[first_unpaid] < as_of:
        dpd = as_of - due[first_unpaid]
        loan_dates[loan, 2] = due[first_unpaid]
    not_yet_due = np.int64(0)
    for k in range(n):
        loan_out[loan, 1] += owed[k, PRINCIPAL] - paid[k, PRINCIPAL]
        loan_out[loan, 5] += owed[k, PENALTY] - paid[k, PENALTY]
        loan_out[loan, 11] += owed[k, PENALTY]
        rest = (
            owed[k, FEE]
            - paid[k, FEE]
            + owed[k, INTEREST]
            - paid[k, INTEREST]
            + owed[k, PRINCIPAL]
            - paid[k, PRINCIPAL]
        )
        if due[k] < as_of:
            loan_out[loan, 2] += owed[k, PRINCIPAL] - paid[k, PRINCIPAL]
            loan_out[loan, 3] += owed[k, INTEREST] - paid[k, INTEREST]
            loan_out[loan, 4] += owed[k, FEE] - paid[k, FEE]
        elif due[k] == as_of:
            loan_out[loan, 6] += rest
        else:
            not_yet_due += rest
    loan_out[loan, 0] = OVERPAID if credit > not_yet_due else OK
    loan_out[loan, 7] = credit
    loan_out[loan, 8] = times
    loan_out[loan, 9] = max_dpd
    loan_out[loan, 10] = dpd
    loan_dates[loan, 0] = episode_start if in_episode else -1
    loan_dates[loan, 1] = cure_date
    if npl and not in_episode:
        upgrade = _upgrade_on(repaid, due, upgrade_months, upgrade_periods)
        if as_of < upgrade:
            loan_out[loan, 12] = 1
            loan_dates[loan, 3] = upgrade
    elif npl:
        loan_out[loan, 12] = 1  # overdue again before it could be upgraded
