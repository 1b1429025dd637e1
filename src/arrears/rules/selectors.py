"""Rule tables as of a business date."""

from __future__ import annotations

import datetime as dt

from arrears.core.errors import NotFound
from arrears.rules.models import ClassificationRule


def classification_rule(scale: str, as_of: dt.date) -> ClassificationRule:
    """The version of `scale` in force on `as_of`."""
    rule = (
        ClassificationRule.objects.filter(scale=scale, effective_from__lte=as_of)
        .order_by("-effective_from")
        .first()
    )
    if rule is None:
        raise NotFound(f"no {scale} classification rule is in force on {as_of}")
    return rule
