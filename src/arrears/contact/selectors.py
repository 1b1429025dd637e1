"""Reads of the contact app: templates in use, a case's parties and addresses (masked unless the role may see
more), and its communications."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from arrears.cases.models import Case
from arrears.contact.models import Template
from arrears.core.errors import NotFound
from arrears.core.masking import mask_address, mask_email, mask_name, mask_phone
from arrears.portfolio.models import Contact, Guarantee


def template_in_use(code: str, language: str) -> Template | None:
    """The latest approved version of a template in a language."""
    return (
        Template.objects.filter(code=code, language=language, approved_at__isnull=False)
        .order_by("-version")
        .first()
    )


def template_for(code: str, language: str) -> Template:
    template = template_in_use(code, language)
    if template is None:
        raise NotFound(
            _("No approved template %(code)s in %(language)s.") % {"code": code, "language": language}
        )
    return template


def addresses(case: Case, *, full_pii: bool) -> list[dict[str, Any]]:
    """Whom the case's collector may try to reach and how: the debtor, guarantors of its loans, and the
    borrower's contacts (third parties, reachable only as the guard allows). `shown` is masked unless the role
    sees full personal data; `value` is what a send uses (never rendered to a page that masks)."""
    borrower = case.borrower
    rows: list[dict[str, Any]] = []

    masks = {"phone": mask_phone, "email": mask_email, "address": mask_address}

    def add(party: str, name: str, channel: str, value: str, relation: str = "") -> None:
        if value:
            shown = value if full_pii else masks[channel](value)
            rows.append({"party": party, "name": name if full_pii else mask_name(name), "relation": relation,
                         "channel": channel, "value": value, "shown": shown})  # fmt: skip

    add("debtor", borrower.name, "phone", borrower.phone)
    add("debtor", borrower.name, "email", borrower.email)
    add("debtor", borrower.name, "address", borrower.address)
    for g in Guarantee.objects.filter(loan_id__in=case.loan_ids).order_by("guarantee_id"):
        add("guarantor", g.guarantor_name, "phone", g.guarantor_phone)
    for c in Contact.objects.filter(borrower=borrower).order_by("contact_id"):
        add("third_party", c.name, "phone", c.phone, c.get_relation_display())
        add("third_party", c.name, "email", c.email, c.get_relation_display())
    return rows
