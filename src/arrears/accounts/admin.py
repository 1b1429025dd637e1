from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from arrears.accounts.models import Agency, ApiToken, Team, User


@admin.register(User)
class ArrearsUserAdmin(UserAdmin):
    list_display = ("username", "display_name", "role", "team", "agency", "max_open_cases", "is_active")
    list_filter = ("role", "team", "agency", "is_active")
    fieldsets = (
        *UserAdmin.fieldsets,  # type: ignore[misc]
        ("Arrears", {"fields": ("role", "team", "agency", "display_name", "skills", "max_open_cases")}),
    )


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "lenders")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    """Outside agencies and law firms; switching one off ends its users' access to every placed case."""

    list_display = ("name", "kind", "active", "contract_end")
    list_filter = ("kind", "active")
