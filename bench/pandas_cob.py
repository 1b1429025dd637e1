"""The baseline: the close written the obvious pandas way (one Python function per loan through groupby-apply).

Two uses: the speed ratio against the set-based partition function, and an independent implementation of the same
rules (allocation.py docstring) to cross-check it loan by loan. It covers what the bench's portfolio exercises:
payment netting (reversals), the installment-major waterfall (fee → penalty → interest → principal, oldest first),
split payments, credit held until the next due date, penalty (and compound) interest posted per installment when
a payment reaches it and at as-of, days past due, delinquent days after grace, buckets, the five-tier dpd floors
and the upgrade rule for repaid non-performing loans.
Pauses, technical overdues, restructurings and overrides are not modelled (the generated portfolio has none).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

FEE, PENALTY, INTEREST, PRINCIPAL = range(4)
WATERFALL = (FEE, PENALTY, INTEREST, PRINCIPAL)
SPLIT_COLUMNS = ("fee_paid", "penalty_paid", "interest_paid", "principal_paid")  # in component order
SEVERITY = ("normal", "special_mention", "substandard", "doubtful", "loss")
GENERAL_FLOORS = (0, 90, 270, 360)  # dpd above each → special mention, substandard, doubtful, loss
CREDIT_CARD_FLOORS = (0, 90, 120, 180)
NPL_AFTER, UPGRADE_MONTHS, UPGRADE_PERIODS = 90, 6, 2  # the upgrade rule (domain-rules.md §1.2)
EPOCH = pd.Timestamp("1970-01-01")


def effective_payments(payments: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Payments made by the end of `as_of`, without reversals and without what those reversed."""
    made = payments[payments["paid_on"] <= pd.Timestamp(as_of)]
    reversed_ids = set(made.loc[made["reverses"].notna(), "reverses"])
    return made[made["reverses"].isna() & ~made["payment_id"].isin(reversed_ids)]


def _day_numbers(dates: pd.Series) -> pd.Series:
    return (dates - EPOCH).dt.days


def allocate_loan(
    inst: pd.DataFrame, pays: pd.DataFrame | None, rate: int, day_basis: int, compound: bool, as_of: int
) -> dict[str, int]:
    """One loan: replay its payments day by day against its schedule; amounts in fen, days as day numbers."""
    inst = inst.sort_values(["due_day", "installment_no"])
    due = inst["due_day"].tolist()
    # owed[k] and paid[k] per component (FEE, PENALTY, INTEREST, PRINCIPAL); penalty owed grows as it accrues
    owed = [
        [f, 0, i, p]
        for f, i, p in zip(inst["fee_due"], inst["interest_due"], inst["principal_due"], strict=True)
    ]
    paid = [[0, 0, 0, 0] for _ in due]
    accrued_to = list(due)
    denominator = day_basis * 1_000_000

    def pay(k: int, component: int, amount: int) -> int:
        x = min(amount, owed[k][component] - paid[k][component])
        paid[k][component] += x
        return amount - x

    def settled(k: int) -> bool:
        return all(paid[k][c] == owed[k][c] for c in (FEE, INTEREST, PRINCIPAL))

    def bring_up(k: int, day: int) -> None:
        """Post installment k's penalty up to the end of `day`, rounded half up: done just before a payment
        reaches k (its balance may change) and at as-of, so each posting covers a stretch of constant balance."""
        if due[k] < day and accrued_to[k] < day:
            base = owed[k][PRINCIPAL] - paid[k][PRINCIPAL]
            if compound:
                base += owed[k][INTEREST] - paid[k][INTEREST]
            if base > 0 and rate > 0:
                n = base * rate * (day - accrued_to[k])
                owed[k][PENALTY] += (2 * n + denominator) // (2 * denominator)
            accrued_to[k] = day

    by_day: dict[int, list[Any]] = {}
    if pays is not None:
        for row in pays.sort_values(["paid_day", "payment_id"]).itertuples(index=False):
            by_day.setdefault(row.paid_day, []).append(row)

    def oldest_unpaid_due(day: int) -> int | None:
        late = [due[k] for k in range(matured) if due[k] < day and not settled(k)]
        return late[0] if late else None

    def upgrade_on(repaid_day: int) -> int:
        """domain-rules.md §1.2: 2 periods or 6 months of normal repayment, whichever is first."""
        repaid_date = (EPOCH + pd.Timedelta(days=repaid_day)).date()
        six_months = (pd.Timestamp(repaid_date) + pd.DateOffset(months=UPGRADE_MONTHS) - EPOCH).days
        later = [d for d in due if d > repaid_day]
        return (
            min(six_months, later[UPGRADE_PERIODS - 1] + 1) if len(later) >= UPGRADE_PERIODS else six_months
        )

    credit, matured = 0, 0
    in_episode, episode_max, npl, repaid = False, 0, False, -1
    for day in sorted({*by_day, as_of}):
        # installments falling due by `day`; a waiting credit pays them when they do
        while matured < len(due) and due[matured] <= day:
            for component in WATERFALL:
                credit = pay(matured, component, credit)
            matured += 1
        oldest = oldest_unpaid_due(day)  # the episode as it stands before the day's payments
        if oldest is not None:
            if not in_episode:
                in_episode, episode_max = True, 0
                if npl and oldest + 1 > upgrade_on(repaid):
                    npl = False  # upgraded before this episode began
            episode_max = max(episode_max, day - oldest)
        for p in by_day.get(day, []):
            parts = [getattr(p, c) for c in SPLIT_COLUMNS]
            left = p.amount
            if any(not pd.isna(x) for x in parts):
                parts = [0 if pd.isna(x) else int(x) for x in parts]
                left = p.amount - sum(parts)
                for component, part in enumerate(parts):
                    for k in range(matured):
                        if part <= 0:
                            break
                        bring_up(k, day)
                        part = pay(k, component, part)
                    left += part
            for k in range(matured):
                if left <= 0:
                    break
                bring_up(k, day)
                for component in WATERFALL:
                    left = pay(k, component, left)
            credit += left
        if in_episode and oldest_unpaid_due(day) is None:
            in_episode = False
            if episode_max > NPL_AFTER or npl:
                npl, repaid = True, day
    for k in range(matured):
        bring_up(k, as_of)

    result = dict.fromkeys(
        (
            "outstanding_principal",
            "overdue_principal",
            "overdue_interest",
            "overdue_fees",
            "penalty_interest",
        ),
        0,
    )
    not_yet_due = 0
    for k, day in enumerate(due):
        rest = [owed[k][c] - paid[k][c] for c in range(4)]
        result["outstanding_principal"] += rest[PRINCIPAL]
        result["penalty_interest"] += rest[PENALTY]
        if day < as_of:
            result["overdue_principal"] += rest[PRINCIPAL]
            result["overdue_interest"] += rest[INTEREST]
            result["overdue_fees"] += rest[FEE]
        elif day > as_of:
            not_yet_due += rest[FEE] + rest[INTEREST] + rest[PRINCIPAL]
    unpaid = [day for k, day in enumerate(due) if day < as_of and not settled(k)]
    result["dpd"] = as_of - unpaid[0] if unpaid else 0
    result["credit"] = credit
    result["overpaid"] = credit > not_yet_due
    result["npl_hold"] = npl and (in_episode or as_of < upgrade_on(repaid))
    return result


def _floor(dpd: int, floors: tuple[int, ...]) -> str:
    rank = sum(dpd > f for f in floors)
    return SEVERITY[rank]


def _bucket(days: int, ranges: list[tuple[str, int, int | None]]) -> str | None:
    if days <= 0:
        return None
    for code, low, high in ranges:
        if days >= low and (high is None or days <= high):
            return code
    return None


def close(
    loans: pd.DataFrame,
    installments: pd.DataFrame,
    payments: pd.DataFrame,
    as_of: dt.date,
    ranges: list[tuple[str, int, int | None]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The state of every loan at the end of `as_of` (one row per loan), and the loans skipped with the reason."""
    today = (pd.Timestamp(as_of) - EPOCH).days
    installments = installments.assign(due_day=_day_numbers(installments["due_date"]))
    paid = effective_payments(payments, as_of)
    paid = paid.assign(paid_day=_day_numbers(paid["paid_on"]))
    pays_by_loan = dict(tuple(paid.groupby("loan_id")))
    terms = loans.set_index("loan_id")

    def one(group: pd.DataFrame) -> pd.Series:
        loan = terms.loc[group.name]
        return pd.Series(
            allocate_loan(
                group,
                pays_by_loan.get(group.name),
                int(loan["penalty_rate"]),
                int(loan["day_basis"]),
                bool(loan["compound_interest"]),
                today,
            )
        )

    state = installments.groupby("loan_id").apply(one, include_groups=False).reset_index()
    state = loans.merge(state, on="loan_id", how="left")
    no_schedule = state["dpd"].isna()
    overpaid = state["overpaid"].fillna(False).astype(bool)
    problems = pd.DataFrame({"loan_id": state["loan_id"], "problem": "payments_exceed_debt"}).loc[
        no_schedule | overpaid
    ]
    problems.loc[no_schedule, "problem"] = "no_schedule"
    state = state.loc[~no_schedule & ~overpaid].copy()
    state["delinquent_days"] = (state["dpd"] - state["grace_days"]).clip(lower=0).astype(int)
    state["bucket"] = state["delinquent_days"].apply(_bucket, args=(ranges,))
    card = state["product_type"] == "credit_card"
    state["classification"] = [
        max(
            _floor(int(d), CREDIT_CARD_FLOORS if c else GENERAL_FLOORS),
            "substandard" if h else "normal",
            key=SEVERITY.index,
        )
        for d, c, h in zip(state["dpd"], card, state["npl_hold"], strict=True)
    ]
    return state.reset_index(drop=True), problems.reset_index(drop=True)
