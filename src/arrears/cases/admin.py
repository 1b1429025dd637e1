from __future__ import annotations

from django.contrib import admin

from arrears.cases.models import Case, CasePolicy, StageSla
from arrears.core.admin import ReadOnlyAdmin


@admin.register(CasePolicy)
class CasePolicyAdmin(admin.ModelAdmin):
    """When the close opens a case: a new row with a later date changes it from that date."""

    list_display = ["effective_from", "open_at_dpd"]


@admin.register(StageSla)
class StageSlaAdmin(admin.ModelAdmin):
    list_display = ["stage", "days"]


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "borrower",
        "lender",
        "case_type",
        "status",
        "max_dpd",
        "risk_level",
        "assigned_to",
        "as_of",
    ]
    list_filter = ["status", "case_type", "risk_level"]
    list_select_related = ["borrower", "assigned_to"]
    search_fields = ["borrower__borrower_id", "lender"]
