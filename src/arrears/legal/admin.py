from __future__ import annotations

from django.contrib import admin

from arrears.core.admin import ReadOnlyAdmin
from arrears.legal.models import (
    Acknowledgement,
    AssetFinding,
    Deadline,
    LimitationAlert,
    LitigationBatch,
    Matter,
    ReferralCriteria,
    StageRecord,
)


@admin.register(ReferralCriteria)
class ReferralCriteriaAdmin(admin.ModelAdmin):
    """When a case may be referred for litigation: a new row with a later date changes it from that date."""

    list_display = ["effective_from", "min_dpd", "min_balance", "require_no_plan", "min_contact_attempts",
                    "lawyer_fee_share", "lawyer_fee_minimum"]  # fmt: skip


@admin.register(Matter)
class MatterAdmin(ReadOnlyAdmin):
    list_display = ["pk", "case", "case_type", "plaintiff", "stage", "lawyer", "firm", "court", "case_number",
                    "referred_on"]  # fmt: skip
    list_filter = ["stage", "case_type", "closure_reason"]
    list_select_related = ["case", "lawyer", "firm"]
    search_fields = ["case_number", "enforcement_case_number", "plaintiff", "case__borrower__borrower_id"]


@admin.register(StageRecord)
class StageRecordAdmin(ReadOnlyAdmin):
    list_display = [
        "matter",
        "step",
        "happened_on",
        "court",
        "case_number",
        "amount_awarded",
        "amount_recovered",
    ]
    list_filter = ["step"]


@admin.register(AssetFinding)
class AssetFindingAdmin(ReadOnlyAdmin):
    list_display = ["matter", "kind", "description", "source", "found_on", "value"]
    list_filter = ["kind"]


@admin.register(Deadline)
class DeadlineAdmin(ReadOnlyAdmin):
    list_display = ["matter", "kind", "basis_on", "due_on", "status", "provisional"]
    list_filter = ["kind", "status"]


@admin.register(Acknowledgement)
class AcknowledgementAdmin(ReadOnlyAdmin):
    list_display = ["loan", "acknowledged_on", "how", "recorded_by"]
    search_fields = ["loan__loan_id"]


@admin.register(LimitationAlert)
class LimitationAlertAdmin(ReadOnlyAdmin):
    list_display = ["kind", "loan_id", "guarantee_id", "expires_on", "threshold_days", "alerted_on"]
    list_filter = ["kind"]


@admin.register(LitigationBatch)
class LitigationBatchAdmin(ReadOnlyAdmin):
    list_display = ["pk", "filing_date", "status", "done", "total", "created_by", "created_at", "finished_at"]
    list_filter = ["status"]
