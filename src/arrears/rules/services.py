"""Seeding the rule tables with the versions in force (domain-rules.md §1; the statutory tables of §2–4, §6 from
`statutory.SHIPPED`), after every migrate or flush."""

from __future__ import annotations

import datetime as dt
from typing import Any

from arrears.core.money import format_fen
from arrears.rules import statutory
from arrears.rules.models import (
    ClassificationRule,
    FeeScale,
    InterestCap,
    PrimeRate,
    SmallClaimsThreshold,
    StatutoryPeriod,
)

RULES: list[dict[str, Any]] = [
    dict(
        scale="general",
        effective_from=dt.date(2023, 7, 1),
        technical_grace_days=7,
        special_mention_after=0,
        substandard_after=90,
        doubtful_after=270,
        loss_after=360,
        source="《商业银行金融资产风险分类办法》(原银保监会、中国人民银行令〔2023〕第1号)",
    ),
    dict(
        scale="credit_card",
        effective_from=dt.date(2011, 1, 13),
        technical_grace_days=7,
        special_mention_after=0,
        substandard_after=90,
        doubtful_after=120,
        loss_after=180,
        source="《商业银行信用卡业务监督管理办法》(银监会令2011年第2号)",
    ),
]


def seed_rules(**kwargs: Any) -> None:
    """Add the shipped versions that are missing; never touches versions someone edited or added."""
    for row in RULES:
        ClassificationRule.objects.get_or_create(
            scale=row["scale"], effective_from=row["effective_from"], defaults=row
        )
    seed_statutory()


def seed_statutory(book: statutory.Rulebook = statutory.SHIPPED) -> None:
    """Add the shipped statutory versions that are missing (by kind/regime and effective date, LPR date, province and
    year); rows someone edited or added are left as they are."""
    for scale in book.fee_scales:
        FeeScale.objects.get_or_create(
            kind=scale.kind,
            effective_from=scale.effective_from,
            defaults=dict(
                minimum=scale.minimum,
                bands=[{"above": format_fen(b.above), "rate": str(b.rate)} for b in scale.bands],
                cap=scale.cap,
                halve_twice=scale.halve_twice,
                rounding=scale.rounding.mode,
                round_to=scale.rounding.step,
                basis=scale.basis,
                source=scale.source,
            ),
        )
    for period in book.periods:
        StatutoryPeriod.objects.get_or_create(
            kind=period.kind,
            effective_from=period.effective_from,
            defaults=dict(
                length=period.length,
                unit=period.unit,
                moves_off_rest_days=period.moves_off_rest_days,
                label=period.label,
                starts=period.starts,
                basis=period.basis,
                source=period.source,
            ),
        )
    for rate in book.prime_rates:
        PrimeRate.objects.get_or_create(
            effective_from=rate.effective_from,
            defaults=dict(one_year=rate.one_year, five_year=rate.five_year, source=rate.source),
        )
    for cap in book.interest_caps:
        InterestCap.objects.get_or_create(
            regime=cap.regime,
            effective_from=cap.effective_from,
            defaults=dict(
                annual_rate=cap.annual_rate,
                lpr_multiple=cap.lpr_multiple,
                day_count=cap.day_count,
                rounding=cap.rounding.mode,
                round_to=cap.rounding.step,
                basis=cap.basis,
                source=cap.source,
            ),
        )
    for row in book.small_claims:
        SmallClaimsThreshold.objects.get_or_create(
            province=row.province,
            year=row.year,
            defaults=dict(
                threshold=row.threshold,
                agreed_limit=row.agreed_limit,
                average_wage=row.average_wage,
                effective_from=row.effective_from,
                source=row.source,
            ),
        )
