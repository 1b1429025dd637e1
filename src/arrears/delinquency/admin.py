"""Admin for the delinquency inputs: bucket sets (edited here, saved through the service, checked as a whole),
pauses and manual classifications (read here; they are written on the loan page, where the rules apply)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import BaseFormSet, Form
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from arrears.accounts.models import User
from arrears.core.admin import ReadOnlyAdmin
from arrears.delinquency import services
from arrears.delinquency.forms import BucketInlineFormSet, BucketSetAdminForm
from arrears.delinquency.models import Bucket, BucketSet, ClassificationOverride, Pause


class BucketInline(admin.TabularInline):
    model = Bucket
    formset = BucketInlineFormSet
    fields = ["code", "name", "min_days", "max_days"]
    extra = 1
    ordering = ["min_days"]


@admin.register(BucketSet)
class BucketSetAdmin(admin.ModelAdmin):
    """Saving replaces the set's buckets through `services.save_bucket_set` (audited); the inline refuses
    overlapping, gapped or inverted ranges with the problems `range_problems` finds."""

    form = BucketSetAdminForm
    inlines = [BucketInline]
    fields = ["name", "default", "products"]
    list_display = ["name", "is_default", "product_list", "bucket_list"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[BucketSet]:
        return super().get_queryset(request).prefetch_related("buckets")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["name"] if obj is not None else []  # the service keys sets by name

    @admin.display(description=_("products"))
    def product_list(self, obj: BucketSet) -> str:
        return ", ".join(obj.product_types) or "—"

    @admin.display(description=_("buckets"))
    def bucket_list(self, obj: BucketSet) -> str:
        return " · ".join(str(b) for b in obj.buckets.all())

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Nothing yet: the set and its buckets are written together in `save_related`."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        [buckets] = [f for f in formsets if isinstance(f, BucketInlineFormSet)]
        saved = services.save_bucket_set(
            form.instance.name,
            buckets.ranges(),
            default=form.cleaned_data["default"],
            product_types=list(form.cleaned_data["products"]),
            actor=request.user if isinstance(request.user, User) else None,
        )
        form.instance.pk = saved.pk
        form.instance.is_default = saved.is_default
        form.instance.product_types = saved.product_types

    def construct_change_message(
        self, request: HttpRequest, form: Form, formsets: Iterable[BaseFormSet[Any]], add: bool = False
    ) -> list[dict[str, Any]]:
        # The buckets were replaced by the service, not saved by the inline (which has no objects to report);
        # the audit event holds the before/after.
        return super().construct_change_message(request, form, [], add)


@admin.register(Pause)
class PauseAdmin(ReadOnlyAdmin):
    list_display = ["loan", "reason", "start", "end", "created_by", "created_at"]
    list_filter = ["reason", ("end", admin.EmptyFieldListFilter)]
    list_select_related = ["loan", "created_by"]
    search_fields = ["loan__loan_id", "note"]
    date_hierarchy = "start"


@admin.register(ClassificationOverride)
class ClassificationOverrideAdmin(ReadOnlyAdmin):
    list_display = [
        "loan", "classification", "effective_from", "status", "requested_by", "requested_at", "decided_by",
        "decided_at",
    ]  # fmt: skip
    list_filter = ["status", "classification"]
    list_select_related = ["loan", "requested_by", "decided_by"]
    search_fields = ["loan__loan_id", "reason"]
    date_hierarchy = "effective_from"
