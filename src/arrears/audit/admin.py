from django.contrib import admin

from arrears.audit.models import AuditEvent, EvidenceRecord
from arrears.core.admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_label", "action", "object_type", "object_id", "request_id")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "actor_label", "request_id")
    date_hierarchy = "at"

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(EvidenceRecord)
class EvidenceRecordAdmin(ReadOnlyAdmin):
    """The evidence log, read-only: records are only appended by `audit.services.append_evidence`."""

    list_display = ("seq", "at", "kind", "case_id", "borrower_id", "subject_type", "subject_id", "actor_label",
                    "short_hash")  # fmt: skip
    list_filter = ("kind",)
    search_fields = ("=seq", "=case_id", "=borrower_id", "=subject_id", "=hash")
    ordering = ("-seq",)
    show_full_result_count = False  # the log grows to millions of rows; no COUNT(*) per page

    @admin.display(description="hash")
    def short_hash(self, obj: EvidenceRecord) -> str:
        return obj.hash[:16] + "…"
