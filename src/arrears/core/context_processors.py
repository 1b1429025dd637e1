"""Navigation for the UI shell: the areas of the product, marked active by URL prefix."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

NAV_ITEMS = [
    ("home", _("Workbench"), "工作台"),
    ("cases", _("Cases"), "案件"),
    ("portfolio:loan_list", _("Loans"), "贷款"),
    ("legal", _("Legal"), "法务"),
    ("reports", _("Reports"), "报表"),
    ("settings", _("Settings"), "设置"),
]


def navigation(request: HttpRequest) -> dict[str, object]:
    items = []
    for name, label, _zh in NAV_ITEMS:
        url = reverse(name)
        active = request.path == url if url == "/" else request.path.startswith(url)
        items.append({"url": url, "label": label, "active": active})
    return {"nav_items": items}
