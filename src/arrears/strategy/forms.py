"""Forms of the strategy pages: promoting a challenger and simulating a past date. They parse input only;
`strategy.services` and `strategy.selectors` decide and compute."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class PromoteForm(forms.Form):
    path = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=500)


class SimulateForm(forms.Form):
    as_of = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("What the strategy in force now would have done on this date. Nothing is sent."),
    )
