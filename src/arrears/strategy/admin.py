"""Strategy configuration in the admin: paths and segments with their arms, each checked as the services check
them (conditions against the known facts, steps against the known channels). Treatments are read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from pydantic import ValidationError

from arrears.batch.steps import strategy as step
from arrears.core.admin import ReadOnlyAdmin
from arrears.strategy.models import Arm, Segment, Treatment, TreatmentPath


def _message(exc: ValidationError | ValueError) -> str:
    return "; ".join(e["msg"] for e in exc.errors()) if isinstance(exc, ValidationError) else str(exc)


def check_conditions(raw: Any) -> None:
    """Conditions as segments and queues store them, or a form error saying what is wrong."""
    try:
        step.conditions(raw if isinstance(raw, list) else [raw])
    except (ValidationError, ValueError) as exc:
        raise forms.ValidationError(_message(exc)) from None


class SegmentForm(forms.ModelForm):
    class Meta:
        model = Segment
        fields = ["name", "priority", "conditions", "required_skills", "active", "description"]

    def clean_conditions(self) -> Any:
        check_conditions(self.cleaned_data["conditions"])
        return self.cleaned_data["conditions"]


class PathForm(forms.ModelForm):
    class Meta:
        model = TreatmentPath
        fields = ["name", "steps", "repeat", "description"]

    def clean_steps(self) -> Any:
        try:
            step.steps(self.cleaned_data["steps"] or [])
        except (ValidationError, ValueError) as exc:
            raise forms.ValidationError(_message(exc)) from None
        return self.cleaned_data["steps"]


class ArmInline(admin.TabularInline):
    model = Arm
    extra = 0


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    form = SegmentForm
    list_display = ["name", "priority", "active"]
    inlines = [ArmInline]


@admin.register(TreatmentPath)
class TreatmentPathAdmin(admin.ModelAdmin):
    form = PathForm
    list_display = ["name", "repeat"]


@admin.register(Treatment)
class TreatmentAdmin(ReadOnlyAdmin):
    list_display = ["case", "segment", "path", "started_on", "ended_on", "outcome"]
    list_filter = ["segment", "path", "outcome"]
