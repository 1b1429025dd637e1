"""Portfolio endpoints of /api/v1."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from arrears.portfolio import selectors, services

router = Router(tags=["portfolio"])


@router.get("/loans/{loan_id}")
def loan_detail(request: HttpRequest, loan_id: str) -> dict[str, Any]:
    loan = selectors.get_loan(request.user, loan_id)
    full_pii = selectors.shows_full_pii(request.user)
    if full_pii:
        services.record_full_pii_read(request.user, [loan.borrower_id], f"api loan {loan_id}")
    return selectors.loan_as_dict(loan, full_pii=full_pii)
