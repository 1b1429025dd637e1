"""Admin for the compliance app: everything is read here; writes go through the compliance pages, the API and
`compliance.services` (which audit and enforce four eyes)."""

from __future__ import annotations

from django.contrib import admin

from arrears.compliance.models import (
    Consent,
    ContactHold,
    ContactLedger,
    GuardDecision,
    PackAssignment,
    RulePack,
)
from arrears.core.admin import ReadOnlyAdmin


@admin.register(RulePack)
class RulePackAdmin(ReadOnlyAdmin):
    list_display = ["code", "version", "effective_from", "status", "created_by", "approved_by", "approved_at"]
    list_filter = ["code", "status"]


@admin.register(PackAssignment)
class PackAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["scope", "value", "pack_code", "effective_from", "created_by"]


@admin.register(ContactHold)
class ContactHoldAdmin(ReadOnlyAdmin):
    list_display = ["borrower_id", "loan_id", "kind", "starts_on", "ends_on", "created_by", "lifted_at"]
    list_filter = ["kind"]
    search_fields = ["borrower__borrower_id"]


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ["borrower_id", "kind", "channel", "valid_from", "valid_until", "recorded_by"]
    list_filter = ["kind"]


@admin.register(ContactLedger)
class ContactLedgerAdmin(ReadOnlyAdmin):
    list_display = ["at", "channel", "party", "debt_id", "borrower_id", "outcome"]
    list_filter = ["channel", "party"]
    search_fields = ["debt_id"]


@admin.register(GuardDecision)
class GuardDecisionAdmin(ReadOnlyAdmin):
    list_display = [
        "decided_at",
        "channel",
        "party",
        "debt_id",
        "allowed",
        "rule",
        "pack_code",
        "pack_version",
    ]
    list_filter = ["allowed", "channel"]
    search_fields = ["debt_id", "borrower_id"]
