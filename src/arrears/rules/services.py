"""Seeding the rule tables with the versions in force (domain-rules.md §1), after every migrate or flush."""

from __future__ import annotations

import datetime as dt
from typing import Any

from arrears.rules.models import ClassificationRule

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
