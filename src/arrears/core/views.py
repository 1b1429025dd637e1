"""Views of the shell itself: the workbench landing page and placeholders for areas later issues fill."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from arrears.portfolio import selectors as portfolio_selectors


@login_required
def home(request: HttpRequest) -> HttpResponse:
    summary = portfolio_selectors.portfolio_summary(request.user)
    return render(request, "core/home.html", {"summary": summary})


@login_required
def coming_soon(request: HttpRequest, area: str) -> HttpResponse:
    return render(request, "core/coming_soon.html", {"area": area})


@login_required
def settings_home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/settings.html")
