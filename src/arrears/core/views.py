"""Views of the shell itself: the workbench, the settings hub and placeholders for areas later issues fill."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from arrears.accounts import roles
from arrears.accounts.models import Role, User
from arrears.portfolio import selectors as portfolio_selectors

# Which issue brings each area that is not built yet; the placeholder page says so.
COMING_AREAS = {
    "reports": {
        "title": _("Reports"),
        "issue": _("The reports and dashboards issue"),
        "summary": _(
            "Recovery and roll-rate KPIs, team and collector performance, regulatory statistics, "
            "dashboards and Excel exports."
        ),
    },
}


def _scope(user: User) -> list[str] | None:
    """The lenders whose portfolios the user works; None means every lender."""
    if roles.can(user, roles.VIEW_ALL_PORTFOLIOS) or user.team is None or not user.team.lenders:
        return None
    return list(user.team.lenders)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if user.role == Role.COLLECTOR:  # a collector's day starts on the collection workbench
        return redirect("workbench")
    summary = portfolio_selectors.portfolio_summary(user)
    context = {
        "summary": summary,
        "scope": _scope(user),
        "has_team": user.team_id is not None or roles.can(user, roles.VIEW_ALL_PORTFOLIOS),
        "coming_areas": [{"key": key, "url_name": key, **area} for key, area in COMING_AREAS.items()],
    }
    return render(request, "core/home.html", context)


@login_required
def coming_soon(request: HttpRequest, area: str) -> HttpResponse:
    if area not in COMING_AREAS:
        raise Http404(area)
    return render(request, "core/coming_soon.html", {"area": area, **COMING_AREAS[area]})


@login_required
def settings_home(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    return render(
        request,
        "core/settings.html",
        {"may_manage": roles.can(user, roles.MANAGE_SETTINGS), "scope": _scope(user)},
    )
