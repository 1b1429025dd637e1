"""Forms of the loan page's delinquency panel (pauses, manual classification) and of the bucket-set admin.

They parse input only; the rules (overlaps, four eyes, stricter than the rule floor) live in
`delinquency.services`, which the views call.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from arrears.batch.steps.buckets import BucketRange, range_problems
from arrears.batch.steps.classification import RANK
from arrears.delinquency.models import BucketSet, Pause
from arrears.portfolio.models import ProductType
from arrears.rules.models import Classification


class DateInput(forms.DateInput):
    """The browser's date picker; the value travels as YYYY-MM-DD in every language."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class PauseForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=Pause.Reason.choices)
    start = forms.DateField(label=_("Paused from"), widget=DateInput())
    end = forms.DateField(
        label=_("Paused until"),
        required=False,
        widget=DateInput(),
        help_text=_("The last paused day. Leave empty while the end is not known."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ResumeForm(forms.Form):
    end = forms.DateField(
        label=_("Last paused day"),
        widget=DateInput(),
        help_text=_("Delinquency runs again from the day after."),
    )


class OverrideRequestForm(forms.Form):
    classification = forms.ChoiceField(label=_("Classification"), choices=Classification.choices)
    effective_from = forms.DateField(label=_("Effective from"), widget=DateInput())
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, rule_classification: str | None = None, **kwargs: Any) -> None:
        """Offers only the classifications stricter than `rule_classification` (all when it is not known)."""
        super().__init__(*args, **kwargs)
        if rule_classification in RANK:
            floor = RANK[rule_classification]
            field = self.fields["classification"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [(code, label) for code, label in Classification.choices if RANK[code] > floor]

    def has_choices(self) -> bool:
        """False when the rule classification is already the strictest: there is nothing to request."""
        field = self.fields["classification"]
        assert isinstance(field, forms.ChoiceField)
        return bool(field.choices)


class DecisionForm(forms.Form):
    """Approve or reject a pending manual classification (the button pressed)."""

    APPROVE, REJECT = "approve", "reject"
    decision = forms.ChoiceField(choices=[(APPROVE, _("Approve")), (REJECT, _("Reject"))])


# --- admin ------------------------------------------------------------------------------------------------


class BucketSetAdminForm(forms.ModelForm):
    """The set's own fields. `default` and `products` are not model fields: saving goes through
    `services.save_bucket_set`, which moves the default flag and the products from other sets to this one."""

    default = forms.BooleanField(
        label=_("Default set"),
        required=False,
        help_text=_("Used by every product no set names. To move it, tick it on another set."),
    )
    products = forms.MultipleChoiceField(
        label=_("Products"),
        required=False,
        choices=ProductType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Products that use this set; they leave the set they used before."),
    )

    class Meta:
        model = BucketSet
        fields = ["name"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["default"].initial = self.instance.is_default
            self.fields["default"].disabled = self.instance.is_default  # there is always one default set
            self.fields["products"].initial = list(self.instance.product_types)


class BucketInlineFormSet(forms.BaseInlineFormSet):
    """The buckets of one set, checked together with `range_problems` (no overlaps, no gaps, min ≤ max,
    unique codes): each problem is an error of the inline."""

    def ranges(self) -> list[BucketRange]:
        return [
            BucketRange(
                code=form.cleaned_data["code"],
                name=form.cleaned_data.get("name") or form.cleaned_data["code"],
                min_days=form.cleaned_data["min_days"],
                max_days=form.cleaned_data.get("max_days"),
            )
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and "code" in form.cleaned_data
        ]

    def clean(self) -> None:
        super().clean()
        if any(form.errors for form in self.forms):
            return  # a row that does not parse is reported on its own first
        problems = range_problems(self.ranges())
        if problems:
            raise forms.ValidationError([forms.ValidationError(p, code="bucket_ranges") for p in problems])
