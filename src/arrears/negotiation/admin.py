from __future__ import annotations

from django.contrib import admin

from arrears.core.admin import ReadOnlyAdmin
from arrears.negotiation.models import (
    Adjustment,
    AuthorityLimit,
    Concession,
    NegotiationPolicy,
    RepaymentPlan,
)


@admin.register(NegotiationPolicy)
class NegotiationPolicyAdmin(admin.ModelAdmin):
    """Grace for promises and plan installments, plan limits: a new row with a later date changes them from then."""

    list_display = ["effective_from", "promise_grace_days", "plan_grace_days", "plan_max_installments",
                    "plan_months_past_maturity"]  # fmt: skip


@admin.register(AuthorityLimit)
class AuthorityLimitAdmin(admin.ModelAdmin):
    """The authority matrix: a version is every row with the same `effective from`; the latest on or before the
    business date applies. Add a new version rather than editing one in force (the audit trail keeps decisions)."""

    list_display = ["effective_from", "role", "component", "max_share", "max_amount", "approvers"]
    list_filter = ["effective_from", "role", "component"]


@admin.register(Concession)
class ConcessionAdmin(ReadOnlyAdmin):
    list_display = ["pk", "kind", "case", "loan", "status", "reason", "requested_by", "as_of"]
    list_filter = ["kind", "status", "reason"]
    search_fields = ["loan__loan_id", "case__borrower__borrower_id"]


@admin.register(RepaymentPlan)
class RepaymentPlanAdmin(ReadOnlyAdmin):
    list_display = ["pk", "concession", "scope", "amount", "installments", "status", "signed_on", "ended_on"]
    list_filter = ["status", "scope"]


@admin.register(Adjustment)
class AdjustmentAdmin(ReadOnlyAdmin):
    list_display = ["pk", "kind", "loan", "posted_on", "penalty", "interest", "fee", "principal", "reverses"]
    list_filter = ["kind"]
    search_fields = ["loan__loan_id"]
