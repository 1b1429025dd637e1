"""Context for every page of the UI shell: the navigation and what the signed-in user may do."""

from __future__ import annotations

from typing import NamedTuple

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from arrears.accounts import roles
from arrears.accounts.models import User


class NavItem(NamedTuple):
    url_name: str
    label: Promise
    prefix: str | None  # the URL prefix that marks the item active; None: only its exact URL
    requires: tuple[str, ...] = ()  # shown to users with any of these capabilities (none: everyone)


NAV_ITEMS = [
    NavItem("home", _("Workbench"), None),  # 工作台
    NavItem("cases", _("Cases"), "/cases/"),  # 案件
    NavItem("portfolio:loan_list", _("Loans"), "/portfolio/"),  # 贷款
    NavItem(
        "negotiation",
        _("Negotiation"),
        "/negotiation/",
        (roles.WORK_CASES, roles.MANAGE_CASES, roles.VIEW_AUDIT),
    ),  # 协商
    NavItem(
        "compliance", _("Compliance"), "/compliance/", (roles.MANAGE_COMPLIANCE, roles.VIEW_AUDIT)
    ),  # 合规
    NavItem("legal", _("Legal"), "/legal/", (roles.WORK_LEGAL, roles.MANAGE_LEGAL)),  # 法务
    NavItem("reports", _("Reports"), "/reports/"),  # 报表
    NavItem("settings", _("Settings"), "/settings/"),  # 设置
]

# Capabilities templates may ask about as `{% if can.import_portfolio %}`.
TEMPLATE_CAPABILITIES = (
    roles.VIEW_ALL_PORTFOLIOS,
    roles.VIEW_FULL_PII,
    roles.IMPORT_PORTFOLIO,
    roles.EXPORT_PORTFOLIO,
    roles.MANAGE_SETTINGS,
    roles.VIEW_AUDIT,
    roles.MANAGE_STRATEGY,
    roles.MANAGE_COMPLIANCE,
    roles.EXPORT_EVIDENCE,
    roles.WORK_CASES,
    roles.MANAGE_CASES,
    roles.WORK_LEGAL,
)


def navigation(request: HttpRequest) -> dict[str, object]:
    path = request.path
    user = getattr(request, "user", None)
    items = []
    for item in NAV_ITEMS:
        if item.requires and not (user is not None and any(roles.can(user, cap) for cap in item.requires)):
            continue
        url = reverse(item.url_name)
        active = path == url or (item.prefix is not None and path.startswith(item.prefix))
        items.append({"url": url, "label": item.label, "active": active, "badge": _badge(item, user)})
    can = {cap: user is not None and roles.can(user, cap) for cap in TEMPLATE_CAPABILITIES}
    return {"nav_items": items, "can": can}


def _badge(item: NavItem, user: object) -> int:
    """A count beside a navigation item: requests waiting for a decision (negotiation), for those who decide."""
    if item.url_name != "negotiation" or not isinstance(user, User) or user.agency_id is not None:
        return 0
    if not roles.can(user, roles.MANAGE_CASES):
        return 0
    from arrears.negotiation.selectors import pending_count

    return pending_count(user)
