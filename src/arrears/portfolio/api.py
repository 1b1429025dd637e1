"""Portfolio endpoints of /api/v1."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from arrears.portfolio import selectors

router = Router(tags=["portfolio"])


@router.get("/loans/{loan_id}")
def loan_detail(request: HttpRequest, loan_id: str) -> dict[str, Any]:
    loan = selectors.get_loan(request.user, loan_id)
    return selectors.loan_as_dict(loan, full_pii=selectors.shows_full_pii(request.user))
