"""Form pieces shared by the apps."""

from __future__ import annotations

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


def search_field(placeholder: str | Promise) -> forms.CharField:
    """The search box of a list page: optional, short, no autocomplete or spell check."""
    return forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": placeholder, "autocomplete": "off", "spellcheck": "false"}
        ),
    )
