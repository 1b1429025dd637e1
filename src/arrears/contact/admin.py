"""Admin for the contact app. Templates are versioned: a new one is saved through `contact.services.save_template`
(a new version, audited), an existing version is never edited, and "approve" runs `services.approve_template` for
each selected row (four eyes: a compliance officer who did not write it). Creditor profiles are plain settings
(changes audited). Messages, calls and visits are read here only; they are written through the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template import Context
from django.template import Template as DjangoTemplate
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from arrears.audit import services as audit
from arrears.contact import services
from arrears.contact.models import Call, CreditorProfile, Message, Template, Visit
from arrears.core.admin import ReadOnlyAdmin
from arrears.core.errors import DomainError


class ApprovedFilter(admin.SimpleListFilter):
    title = gettext_lazy("approved")
    parameter_name = "approved"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", gettext_lazy("Approved")), ("no", gettext_lazy("Awaiting approval"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(approved_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(approved_at__isnull=True)
        return queryset


class TemplateForm(forms.ModelForm):
    class Meta:
        model = Template
        fields = ["code", "channel", "language", "purpose", "subject", "body", "discloses_debt", "opt_out"]

    def clean_body(self) -> str:
        """The body must render with the known variables (the services say so again when saving)."""
        body = self.cleaned_data["body"]
        try:
            DjangoTemplate(body).render(Context(dict.fromkeys(services.VARIABLES, "…"), autoescape=False))
        except Exception as exc:
            raise forms.ValidationError(
                _("The template does not render: %(error)s") % {"error": exc}
            ) from None
        return str(body)


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    form = TemplateForm
    list_display = [
        "code",
        "version",
        "language",
        "channel",
        "purpose",
        "approved_at",
        "approved_by",
        "created_by",
    ]
    list_filter = ["code", "language", "channel", ApprovedFilter]
    search_fields = ["code", "body"]
    actions = ["approve"]

    def get_readonly_fields(self, request: HttpRequest, obj: Template | None = None) -> Any:
        if obj is None:
            return []
        return [f.name for f in Template._meta.fields if f.name not in {"id", "docx"}]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # messages keep the version they were rendered from

    def save_model(self, request: HttpRequest, obj: Template, form: Any, change: bool) -> None:
        """A new version through the services; an existing version is never saved over."""
        if change:
            return
        data = form.cleaned_data
        saved = services.save_template(
            data["code"], channel=data["channel"], body=data["body"], language=data["language"],
            subject=data.get("subject") or "", purpose=data["purpose"], discloses_debt=data["discloses_debt"],
            opt_out=data["opt_out"], actor=request.user,  # type: ignore[arg-type]
        )  # fmt: skip
        obj.pk, obj.version, obj.created_at = saved.pk, saved.version, saved.created_at
        obj._state.adding = False

    @admin.action(description=gettext_lazy("Approve the selected templates"))
    def approve(self, request: HttpRequest, queryset: QuerySet[Template]) -> None:
        approved = 0
        for template in queryset.order_by("code", "language", "version"):
            if template.approved:
                messages.info(request, _("%(template)s was already approved.") % {"template": template})
                continue
            try:
                services.approve_template(template, actor=request.user)  # type: ignore[arg-type]
            except DomainError as exc:
                messages.error(request, f"{template}: {exc.message}")
            else:
                approved += 1
        if approved:
            messages.success(
                request,
                ngettext("%(n)s template approved.", "%(n)s templates approved.", approved) % {"n": approved},
            )


@admin.register(CreditorProfile)
class CreditorProfileAdmin(admin.ModelAdmin):
    """What letters and messages say about the creditor; every change is audited."""

    list_display = ["lender", "display_name", "phone", "address"]
    search_fields = ["lender", "display_name"]

    def save_model(self, request: HttpRequest, obj: CreditorProfile, form: Any, change: bool) -> None:
        before = (
            {name: form.initial.get(name) for name in form.changed_data}
            if change and form.changed_data
            else None
        )
        super().save_model(request, obj, form, change)
        audit.record("contact.creditor_profile", "CreditorProfile", obj.pk, actor=request.user, before=before,
                     after={name: form.cleaned_data.get(name) for name in form.changed_data})  # fmt: skip


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "created_at",
        "case",
        "channel",
        "party",
        "status",
        "tries",
        "sent_at",
        "delivered_at",
    ]
    list_filter = ["status", "channel", "source"]
    search_fields = ["key", "provider_id", "tracking_number"]
    list_select_related = ["case"]


@admin.register(Call)
class CallAdmin(ReadOnlyAdmin):
    list_display = ["pk", "started_at", "case", "party", "outcome", "collector", "recording_sha256"]
    list_filter = ["outcome", "party"]
    search_fields = ["recording_sha256"]
    list_select_related = ["case", "collector"]


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ["pk", "planned_for", "case", "status", "outcome", "created_by", "reported_at"]
    list_filter = ["status"]
    list_select_related = ["case", "created_by"]
