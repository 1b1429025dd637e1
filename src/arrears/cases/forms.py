"""Forms of the case pages: the queue's filters and the case view's quick actions. They parse input only; the
services (`cases.services`) decide what is allowed and write."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from arrears.accounts.models import User
from arrears.cases import lifecycle
from arrears.core.forms import search_field
from arrears.risk.models import RiskLevel

OPEN_STAGES = [(s, label) for s, label in lifecycle.STATE_LABELS.items() if s != lifecycle.CLOSED]


class CaseFilterForm(forms.Form):
    """GET parameters of the queue. Invalid values are ignored rather than reported."""

    q = search_field(_("Borrower ID or loan ID"))
    stage = forms.ChoiceField(label=_("Stage"), required=False)
    risk_level = forms.ChoiceField(label=_("Risk level"), required=False)
    bucket = forms.ChoiceField(label=_("Bucket"), required=False)
    assigned_to = forms.ChoiceField(label=_("Assigned to"), required=False)

    def __init__(
        self,
        *args: Any,
        buckets: list[str] | None = None,
        collectors: list[User] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._choices("stage", _("All open stages"), OPEN_STAGES)
        self._choices("risk_level", _("All risk levels"), RiskLevel.choices)
        self._choices("bucket", _("All buckets"), [(b, b) for b in buckets or []])
        if collectors is None:
            del self.fields["assigned_to"]
        else:
            people = [(u.get_username(), u.display_name or u.get_username()) for u in collectors]
            self._choices("assigned_to", _("Everyone"), [("none", _("Unassigned")), *people])

    def _choices(self, name: str, everything: Any, choices: list[tuple[str, Any]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", everything), *choices]

    def filters(self) -> dict[str, str]:
        """The valid values; an invalid one counts as not given."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: (data.get(name) or "").strip() for name in self.fields}


class TransitionForm(forms.Form):
    target = forms.ChoiceField(label=_("Move to"))
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required for escalations, back-steps and closing."),
    )
    closed_reason = forms.ChoiceField(label=_("Closed as"), required=False)

    def __init__(self, *args: Any, targets: list[lifecycle.Transition], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        target = self.fields["target"]
        assert isinstance(target, forms.ChoiceField)
        target.choices = [(t.target, lifecycle.STATE_LABELS[t.target]) for t in targets]
        closed_reason = self.fields["closed_reason"]
        assert isinstance(closed_reason, forms.ChoiceField)
        closed_reason.choices = [("", _("— only when closing —")), *lifecycle.CLOSED_REASONS.items()]
        if not any(t.target == lifecycle.CLOSED for t in targets):
            del self.fields["closed_reason"]


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Follow-up"), max_length=200)
    due_on = forms.DateField(
        label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, default_due: dt.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if default_due is not None:
            self.fields["due_on"].initial = default_due


class ReassignForm(forms.Form):
    username = forms.ChoiceField(label=_("Collector"))
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(self, *args: Any, collectors: QuerySet[User] | list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (u.get_username(), f"{u.display_name or u.get_username()} ({u.get_username()})")
            for u in collectors
        ]
