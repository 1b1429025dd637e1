from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from arrears.accounts.models import ApiToken, Team, User


@admin.register(User)
class ArrearsUserAdmin(UserAdmin):
    list_display = ("username", "display_name", "role", "team", "is_active")
    list_filter = ("role", "team", "is_active")
    fieldsets = (*UserAdmin.fieldsets, ("Arrears", {"fields": ("role", "team", "display_name")}))  # type: ignore[misc]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "lenders")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")
