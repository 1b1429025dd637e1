"""Forms of the compliance pages. They parse input only; `compliance.services` decide and write."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from arrears.compliance.models import Channel, HoldKind
from arrears.compliance.selectors import DecisionFilters
from arrears.core.forms import search_field


class DecisionFilterForm(forms.Form):
    """GET parameters of the denied-attempts list. Invalid values are ignored rather than reported."""

    q = search_field(_("Borrower ID"))
    rule = forms.ChoiceField(label=_("Rule"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, rules: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rule_field = self.fields["rule"]
        assert isinstance(rule_field, forms.ChoiceField)
        rule_field.choices = [("", _("All rules")), *((r, r) for r in rules or [])]
        channel_field = self.fields["channel"]
        assert isinstance(channel_field, forms.ChoiceField)
        channel_field.choices = [("", _("All channels")), *Channel.choices]

    def filters(self) -> DecisionFilters:
        self.is_valid()  # cleaned_data keeps the valid fields when some are not
        data = self.cleaned_data
        return DecisionFilters(
            rule=data.get("rule") or "",
            channel=data.get("channel") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            borrower_id=(data.get("q") or "").strip(),
        )


class PackForm(forms.Form):
    """A rule-pack version as JSON: saved as a draft (a new version, or the draft changed)."""

    effective_from = forms.DateField(
        label=_("Effective from"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    definition = forms.CharField(
        label=_("Definition (JSON)"),
        widget=forms.Textarea(attrs={"rows": 28, "spellcheck": "false", "class": "mono"}),
        help_text=_(
            "The rules of the pack: contact hours, limits, third parties, visits, opt-out, channel limits, what "
            "consent lifts. Saved as a draft; the guard uses it from its effective date once someone other than "
            "its author approves it."
        ),
    )
    note = forms.CharField(label=_("What changed and why"), required=False, max_length=1000)

    def clean_definition(self) -> Any:
        text = self.cleaned_data["definition"]
        try:
            return json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(
                _("Not valid JSON: %(error)s"), code="invalid_json", params={"error": str(exc)}
            ) from exc

    @staticmethod
    def text(definition: Any) -> str:
        return json.dumps(definition, ensure_ascii=False, indent=2)


class HoldForm(forms.Form):
    borrower_id = forms.CharField(label=_("Borrower ID"), max_length=64)
    loan_id = forms.CharField(
        label=_("Loan ID"), max_length=64, required=False, help_text=_("Leave empty to hold every debt.")
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=HoldKind.choices)
    starts_on = forms.DateField(
        label=_("Starts on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    ends_on = forms.DateField(
        label=_("Ends on"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The last day in force; empty: until lifted."),
    )  # fmt: skip
    reason = forms.CharField(label=_("Reason"), max_length=1000)
    evidence_sha256 = forms.CharField(
        label=_("Evidence SHA-256"), max_length=64, required=False,
        help_text=_("The hash of the request letter, recording or court document."),
    )  # fmt: skip

    def __init__(self, *args: Any, today: dt.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if today is not None:
            self.fields["starts_on"].initial = today


class LiftForm(forms.Form):
    reason = forms.CharField(label=_("Why lift it"), max_length=1000)
