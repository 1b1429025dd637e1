"""Forms of the risk app: the scorecard version as the admin edits it."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from arrears.core.errors import DomainError
from arrears.risk import services
from arrears.risk.models import Scorecard


class PrettyJSONField(forms.JSONField):
    """JSON shown indented and with Chinese as it is (not \\u escapes), so a definition is editable by hand."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, ensure_ascii=False, indent=2, cls=self.encoder)


class ScorecardAdminForm(forms.ModelForm):
    """A draft version; the definition is checked with `services.validate_definition`, its problems shown on
    the field."""

    definition = PrettyJSONField(
        label=_("definition"),
        widget=forms.Textarea(
            attrs={"rows": 30, "cols": 100, "class": "vLargeTextField", "spellcheck": "false"}
        ),
        help_text=_(
            "Factors with bins and points, levels, haircuts, reason and measure texts (see "
            "risk/scorecard.py). Saved as a draft; the close uses it once someone other than its author "
            "approves it."
        ),
    )

    class Meta:
        model = Scorecard
        fields = ["name", "effective_from", "definition", "note"]

    def clean_definition(self) -> Any:
        definition = self.cleaned_data["definition"]
        try:
            services.validate_definition(definition)
        except DomainError as exc:
            raise forms.ValidationError(exc.message, code="invalid_definition") from exc
        return definition
