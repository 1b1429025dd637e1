"""Template tags of the risk app: `{% load risk %}`.

- `{% risk_grade status %}` renders a loan's risk grade (`includes/risk_grade.html`): the level badge, the score
  out of 1000, the reasons and the measures the level calls for in the current language (from the scorecard in
  force on the status date: two queries, whatever the data), and the model's probability when there is one.
- `{% may_view_risk as allowed %}`: whether the signed-in user may open the /risk/ pages.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

from arrears.delinquency.models import LoanStatus
from arrears.risk.models import RiskLevel

register = template.Library()


def pd_percent(pd: float | None) -> str:
    """A probability as a percentage with one decimal: 0.1234 → '12.3%'."""
    return "" if pd is None else f"{pd * 100:.1f}%"


def level_label(level: str) -> str:
    return str(RiskLevel(level).label) if level in RiskLevel.values else level


def grade(status: LoanStatus | None, language: str | None = None) -> dict[str, Any] | None:
    """What `includes/risk_grade.html` shows of `status`, or None when the close did not grade the loan."""
    from arrears.risk import selectors

    if status is None or not status.risk_level:
        return None
    language = language or get_language() or "zh-hans"
    codes = list(status.risk_reasons or [])
    return {
        "level": status.risk_level,
        "label": level_label(status.risk_level),
        "score": status.risk_score,
        "reasons": selectors.reasons_text(codes, status.as_of, language) if codes else [],
        "measures": selectors.measures(status.risk_level, status.as_of, language),
        "pd": pd_percent(status.pd),
        "as_of": status.as_of,
    }


@register.inclusion_tag("includes/risk_grade.html")
def risk_grade(status: LoanStatus | None) -> dict[str, Any]:
    return {"grade": grade(status), "scored": status is not None}


@register.simple_tag(takes_context=True)
def may_view_risk(context: template.Context) -> bool:
    from arrears.risk.views import may_view

    request = context.get("request")
    return request is not None and may_view(request.user)
