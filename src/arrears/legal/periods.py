"""Periods the litigation pipeline needs beyond the statutory tables of `arrears.rules.statutory`, as data in the
same form (`Period`), and the rulebook that adds them; plus the watch's alert thresholds. Pure: no Django.

Preservation measures lapse unless renewed (续行保全 / 续封 / 续冻): 民诉解释 (2022 rev.) art. 485 — a freeze of bank
deposits lasts at most 1 year, a seizure of movable property at most 2 years, a seizure of real estate or a freeze
of other property rights (equity, receivables) at most 3 years; the court renews on application before expiry. Not
in domain-rules.md: UNCONFIRMED, verify against the official text. The last day is not moved off rest days (the
measure lapses on its date whatever the day: the cautious reading), so act by the working day before.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from arrears.rules.statutory import Period, Rulebook

_PRESERVATION_BASIS = (
    "民诉解释 (2022 rev.) art. 485: bank deposits frozen at most 1 year, movable property seized at most 2 years, "
    "real estate seized or other property rights frozen at most 3 years; renewal must be applied for before expiry"
)
_SOURCE = "not in domain-rules.md — UNCONFIRMED, verify"
PRESERVATION_PERIODS = tuple(
    Period(
        kind=f"preservation-{name}",
        effective_from=dt.date(2015, 2, 4),
        length=years,
        unit="year",
        moves_off_rest_days=False,
        label=label,
        starts="the day the measure took effect (the court's ruling was executed)",
        basis=_PRESERVATION_BASIS,
        source=_SOURCE,
    )
    for name, years, label in (
        ("deposit", 1, "续冻期限（银行存款）— renewal of a bank-deposit freeze"),
        ("movable", 2, "续封期限（动产）— renewal of a seizure of movable property"),
        (
            "property",
            3,
            "续封期限（不动产、其他财产权）— renewal of a seizure of real estate or other rights",
        ),
    )
)
# which period an asset's kind falls under (AssetFinding.Kind and the preservation action's `asset_kind`)
PRESERVATION_KIND = {
    "bank_account": "preservation-deposit",
    "vehicle": "preservation-movable",
    "other": "preservation-movable",
    "real_estate": "preservation-property",
    "equity": "preservation-property",
    "receivable": "preservation-property",
}

# Alerts before a limitation period expires: domain-rules.md §4 implementation notes (T-180 / T-90 / T-30); before a
# guarantee period ends (§6: "alert before period_end"; 6 months long when not agreed, so shorter steps)
LIMITATION_ALERT_DAYS = (180, 90, 30)
GUARANTEE_ALERT_DAYS = (90, 30, 7)


def with_legal_periods(rules: Rulebook) -> Rulebook:
    """`rules` with the preservation periods added (kept when the tables already hold a version of them)."""
    known = {p.kind for p in rules.periods}
    extra = tuple(p for p in PRESERVATION_PERIODS if p.kind not in known)
    return dataclasses.replace(rules, periods=rules.periods + extra) if extra else rules
