from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from arrears.cases.models import Case, CasePolicy, Placement, Queue, StageSla
from arrears.core.admin import ReadOnlyAdmin
from arrears.strategy.admin import check_conditions


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


class QueueForm(forms.ModelForm):
    class Meta:
        model = Queue
        fields = ["name", "team", "conditions", "segments"]

    def clean_conditions(self) -> Any:
        check_conditions(self.cleaned_data["conditions"])
        return self.cleaned_data["conditions"]


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    """Named views of open cases for a team: conditions over the case's facts (as segments), or segments."""

    form = QueueForm
    list_display = ["name", "team"]
    filter_horizontal = ["segments"]


@admin.register(Placement)
class PlacementAdmin(ReadOnlyAdmin):
    list_display = ["case", "agency", "placed_on", "recalled_on"]
    list_filter = ["agency"]
