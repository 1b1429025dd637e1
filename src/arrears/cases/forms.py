"""Forms of the case pages: the queue's filters and the case view's quick actions. They parse input only; the
services (`cases.services`) decide what is allowed and write."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from arrears.accounts.models import Agency, User
from arrears.cases import lifecycle
from arrears.cases.models import Queue
from arrears.core.forms import PlainSelect, search_field
from arrears.risk.models import RiskLevel
from arrears.strategy.models import Segment

OPEN_STAGES = [(s, label) for s, label in lifecycle.STATE_LABELS.items() if s != lifecycle.CLOSED]

# `cases.services.CALL_OUTCOMES` as people read them (the services keep the codes): the timeline's "call" events.
# The case view logs calls through the contact app now (`contact.forms.CallForm`).
CALL_OUTCOME_LABELS = {
    "answered": _("Answered"),
    "unanswered": _("No answer"),
    "busy": _("Busy"),
    "invalid_number": _("Invalid number"),
    "wrong_party": _("Wrong party"),
    "refused": _("Refused to pay"),
    "promise_to_pay": _("Promise to pay"),
    "dispute": _("Disputes the debt"),
}


class CaseFilterForm(forms.Form):
    """GET parameters of the queue. Invalid values are ignored rather than reported."""

    q = search_field(_("Borrower ID or loan ID"))
    stage = forms.ChoiceField(label=_("Stage"), required=False)
    risk_level = forms.ChoiceField(label=_("Risk level"), required=False)
    bucket = forms.ChoiceField(label=_("Bucket"), required=False)
    assigned_to = forms.ChoiceField(label=_("Assigned to"), required=False)
    queue = forms.ChoiceField(label=_("Queue"), required=False)
    segment = forms.ChoiceField(label=_("Segment"), required=False)

    def __init__(
        self,
        *args: Any,
        buckets: list[str] | None = None,
        collectors: list[User] | None = None,
        queues: list[Queue] | None = None,
        segments: list[Segment] | None = None,
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
        if queues:
            self._choices("queue", _("All queues"), [(str(q.pk), q.name) for q in queues])
        else:
            del self.fields["queue"]
        if segments:
            self._choices("segment", _("All segments"), [(str(s.pk), s.name) for s in segments])
        else:
            del self.fields["segment"]

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
    username = forms.ChoiceField(label=_("Collector"), widget=PlainSelect)  # every collector: hundreds
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(self, *args: Any, collectors: QuerySet[User] | list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (u.get_username(), f"{u.display_name or u.get_username()} ({u.get_username()})")
            for u in collectors
        ]


class PromiseForm(forms.Form):
    """A promise to pay (逾期协商): an amount in yuan by a date (several dated amounts: one promise each time, or
    the API)."""

    amount = forms.DecimalField(label=_("Amount (yuan)"), min_value=Decimal("0.01"), decimal_places=2)
    due_on = forms.DateField(label=_("By"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class EscalationForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Your team lead decides: a notice, a field visit or a legal review."),
    )


def _agency_field(agencies: QuerySet[Agency] | list[Agency], *, required: bool) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Agency"),
        required=required,
        choices=[("", "—"), *((str(a.pk), f"{a.name} ({a.get_kind_display()})") for a in agencies)],
    )


class PlaceForm(forms.Form):
    """Place one case with an outside agency or law firm (the active ones)."""

    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)

    def __init__(self, *args: Any, agencies: QuerySet[Agency] | list[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {"agency": _agency_field(agencies, required=True), **self.fields}


class RecallForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class CaseIdsField(forms.Field):
    """The ticked cases of the queue (`cases=1&cases=2…`) as ids; anything that is not a number is an error."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        try:
            return sorted({int(v) for v in value})
        except (TypeError, ValueError):
            raise forms.ValidationError(_("Select cases from the list.")) from None

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise forms.ValidationError(_("Select at least one case."))


class BulkActionForm(forms.Form):
    """The queue's bulk action bar: reassign the ticked cases to one or more collectors, place them with an
    agency, or recall them. Which of these the user may do is the services' decision."""

    REASSIGN, PLACE, RECALL = "reassign", "place", "recall"

    action = forms.ChoiceField(
        choices=[(REASSIGN, _("Reassign")), (PLACE, _("Place with agency")), (RECALL, _("Recall"))]
    )
    cases = CaseIdsField()
    collectors = forms.MultipleChoiceField(label=_("Collectors"), required=False)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)

    def __init__(
        self,
        *args: Any,
        collectors: list[User],
        agencies: QuerySet[Agency] | list[Agency],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["collectors"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(u.get_username(), u.display_name or u.get_username()) for u in collectors]
        self.fields["agency"] = _agency_field(agencies, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if action == self.REASSIGN and not data.get("collectors"):
            self.add_error("collectors", _("Choose at least one collector."))
        if action == self.PLACE and not data.get("agency"):
            self.add_error("agency", _("Choose an agency."))
        return data
