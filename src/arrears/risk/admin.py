"""Admin for the risk app: scorecard versions (drafts edited here, saved through `services.save_scorecard`, the
definition checked by `services.validate_definition`; approved versions never change), model versions and
their monitors (read here; models are registered with `arrears risk register` and approved on the model page).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from arrears.accounts import roles
from arrears.accounts.models import User
from arrears.core.admin import ReadOnlyAdmin
from arrears.core.errors import DomainError
from arrears.risk import services
from arrears.risk.forms import ScorecardAdminForm
from arrears.risk.models import Approval, ModelMonitor, RiskModel, Scorecard


def _actor(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


def _pretty(value: Any) -> str:
    return format_html('<pre class="risk-json">{}</pre>', json.dumps(value, ensure_ascii=False, indent=2))


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    form = ScorecardAdminForm
    list_display = [
        "name",
        "effective_from",
        "status",
        "created_by",
        "created_at",
        "approved_by",
        "approved_at",
    ]
    list_filter = ["status", "name"]
    list_select_related = ["created_by", "approved_by"]
    date_hierarchy = "effective_from"
    actions = ["approve_selected"]

    def view_on_site(self, obj: Scorecard) -> str:  # type: ignore[override]
        return reverse("risk:scorecard_version", args=[obj.pk])

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and roles.can(request.user, roles.MANAGE_RISK)

    def has_change_permission(self, request: HttpRequest, obj: Scorecard | None = None) -> bool:
        """Drafts only: an approved version is changed by saving a new version with its own date."""
        if obj is not None and obj.status != Approval.DRAFT:
            return False
        return super().has_change_permission(request, obj) and roles.can(request.user, roles.MANAGE_RISK)

    def has_delete_permission(self, request: HttpRequest, obj: Scorecard | None = None) -> bool:
        return False  # versions are history; a draft nobody approves never scores anything

    def get_readonly_fields(self, request: HttpRequest, obj: Scorecard | None = None) -> list[str]:
        audit = ["status", "created_by", "created_at", "approved_by", "approved_at"]
        # The service keys versions by name and date: a different name or date is a new version.
        return ["name", "effective_from", *audit] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Scorecard, form: Any, change: bool) -> None:
        saved = services.save_scorecard(
            obj.name,
            obj.effective_from,
            form.cleaned_data["definition"],
            actor=_actor(request),
            note=form.cleaned_data.get("note", ""),
        )
        obj.pk, obj.status, obj.created_by, obj.created_at = (
            saved.pk,
            saved.status,
            saved.created_by,
            saved.created_at,
        )

    @admin.action(description=_("Approve the selected drafts"))
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[Scorecard]) -> None:
        for row in queryset.order_by("effective_from"):
            try:
                services.approve_scorecard(row, actor=_actor(request))
            except DomainError as exc:
                self.message_user(request, f"{row}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, gettext("%(row)s approved.") % {"row": row.name}, messages.SUCCESS)


@admin.register(RiskModel)
class RiskModelAdmin(ReadOnlyAdmin):
    list_display = [
        "name", "version", "kind", "status", "auc", "registered_by", "registered_at", "approved_by",
        "approved_at",
    ]  # fmt: skip
    list_filter = ["status", "kind", "name"]
    list_select_related = ["registered_by", "approved_by"]
    search_fields = ["name", "description"]
    fields = [
        "name", "version", "kind", "status", "description", "registered_by", "registered_at", "approved_by",
        "approved_at", "metrics_json", "artifact_json",
    ]  # fmt: skip
    readonly_fields = ["metrics_json", "artifact_json"]

    def view_on_site(self, obj: RiskModel) -> str:  # type: ignore[override]
        return reverse("risk:model_detail", args=[obj.pk])

    def get_queryset(self, request: HttpRequest) -> QuerySet[RiskModel]:
        queryset = super().get_queryset(request)
        match = request.resolver_match
        if match is not None and match.url_name and match.url_name.endswith("_changelist"):
            return queryset.defer("artifact")  # the list never needs the model itself
        return queryset

    @admin.display(description="AUC")
    def auc(self, obj: RiskModel) -> Any:
        chosen = obj.metrics.get(obj.kind) if isinstance(obj.metrics, dict) else None
        return chosen.get("auc") if isinstance(chosen, dict) else None

    @admin.display(description=_("cross-validation"))
    def metrics_json(self, obj: RiskModel) -> str:
        return _pretty(obj.metrics)

    @admin.display(description=_("model"))
    def artifact_json(self, obj: RiskModel) -> str:
        return _pretty(obj.artifact)


@admin.register(ModelMonitor)
class ModelMonitorAdmin(ReadOnlyAdmin):
    list_display = ["model", "as_of", "rows", "score_psi"]
    list_filter = ["model"]
    list_select_related = ["model"]
    date_hierarchy = "as_of"
    fields = ["model", "as_of", "rows", "psi_json", "score_shares", "feature_shares"]
    readonly_fields = ["psi_json"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ModelMonitor]:
        return super().get_queryset(request).defer("model__artifact")

    @admin.display(description=_("PSI of the score"))
    def score_psi(self, obj: ModelMonitor) -> Any:
        return (obj.psi or {}).get("score")

    @admin.display(description=_("PSI"))
    def psi_json(self, obj: ModelMonitor) -> str:
        return _pretty(obj.psi)
