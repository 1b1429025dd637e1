from django.contrib import admin

from arrears.batch.models import CobRun


@admin.register(CobRun)
class CobRunAdmin(admin.ModelAdmin):
    """Read-only: runs are written by `arrears cob` only."""

    list_display = [
        "as_of",
        "from_date",
        "status",
        "loans",
        "problem_count",
        "workers",
        "started_at",
        "finished_at",
    ]
    list_filter = ["status"]
    date_hierarchy = "as_of"
    readonly_fields = [f.name for f in CobRun._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
