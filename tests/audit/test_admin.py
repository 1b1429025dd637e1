"""The evidence log in the admin: listed and searchable, never added, changed or deleted there."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.test import RequestFactory

from arrears.accounts.models import Role
from arrears.audit import services
from arrears.audit.admin import EvidenceRecordAdmin
from arrears.audit.models import EvidenceRecord
from arrears.core.admin import ReadOnlyAdmin
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_evidence_admin_is_read_only() -> None:
    model_admin = admin.site._registry[EvidenceRecord]
    assert isinstance(model_admin, EvidenceRecordAdmin) and isinstance(model_admin, ReadOnlyAdmin)
    request = RequestFactory().get("/")
    request.user = UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True)
    rec = services.append_evidence("contact.sms", payload={"to": "138"})
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, rec)
    assert not model_admin.has_delete_permission(request, rec)
    assert model_admin.short_hash(rec) == rec.hash[:16] + "…"


def test_evidence_changelist_lists_records(client: Any) -> None:
    client.force_login(UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True))
    for i in range(3):
        services.append_evidence("guard.decision", payload={"allowed": True, "i": i}, case_id=40 + i)
    page = client.get("/admin/audit/evidencerecord/")
    assert page.status_code == 200
    body = page.content.decode()
    assert body.count("guard.decision") >= 3
    found = client.get("/admin/audit/evidencerecord/", {"q": "41"})
    assert found.status_code == 200 and len(found.context["cl"].result_list) == 1


def test_evidence_search_by_number_or_text() -> None:
    model_admin = admin.site._registry[EvidenceRecord]
    request = RequestFactory().get("/")
    services.append_evidence("contact.sms", payload={}, case_id=41, borrower_id="B001")
    services.append_evidence("contact.sms", payload={}, case_id=42, borrower_id="B002")
    queryset = EvidenceRecord.objects.all()
    found, _ = model_admin.get_search_results(request, queryset, "41")
    assert [r.case_id for r in found] == [41]
    found, _ = model_admin.get_search_results(request, queryset, "B002")
    assert [r.case_id for r in found] == [42]
