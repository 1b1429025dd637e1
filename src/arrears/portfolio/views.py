"""Portfolio pages: loan list, loan detail and the import page. (Placeholder; the UI pass fills templates.)"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from arrears.portfolio import selectors


@login_required
def loan_list(request: HttpRequest) -> HttpResponse:
    loans = selectors.search_loans(request.user, request.GET.get("q", ""))
    page = Paginator(loans, 25).get_page(request.GET.get("page"))
    return render(request, "portfolio/loan_list.html", {"page": page})


@login_required
def loan_detail(request: HttpRequest, loan_id: str) -> HttpResponse:
    loan = selectors.get_loan(request.user, loan_id)
    return render(request, "portfolio/loan_detail.html", {"loan": loan})


@login_required
def import_portfolio(request: HttpRequest) -> HttpResponse:
    return render(request, "portfolio/import.html")
