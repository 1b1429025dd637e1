"""Rule tables as of business dates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from arrears.core.errors import NotFound
from arrears.rules.models import ClassificationRule


def classification_rules(dates: Iterable[dt.date]) -> dict[dt.date, dict[str, ClassificationRule]]:
    """Per date, each scale's version in force on it (the latest effective on or before it). One query, however
    many dates."""
    versions = list(ClassificationRule.objects.order_by("-effective_from"))
    in_force: dict[dt.date, dict[str, ClassificationRule]] = {}
    for day in dates:
        in_force[day] = {}
        for scale in ClassificationRule.Scale.values:
            rule = next((r for r in versions if r.scale == scale and r.effective_from <= day), None)
            if rule is None:
                raise NotFound(f"no {scale} classification rule is in force on {day}")
            in_force[day][scale] = rule
    return in_force
