"""Forms of the negotiation pages: a waiver, a settlement and a repayment plan from the case view, the approver's
decision, withdrawing a request and uploading a signed agreement. They parse input only (yuan to fen exactly, a
rate in per cent to a fraction); the services (`negotiation.services`) decide what is allowed and write."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from arrears.core.money import MoneyError, parse_yuan
from arrears.negotiation.models import REASONS, Concession, RepaymentPlan

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class YuanField(forms.Field):
    """An amount in yuan with at most two decimals ("1,234.5"), cleaned to integer fen (never through a float).
    Empty is zero when not required."""

    widget = forms.TextInput

    def __init__(self, *args: Any, positive: bool = False, **kwargs: Any) -> None:
        self.positive = positive
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off", "maxlength": "20"})

    def to_python(self, value: Any) -> int:
        text = str(value or "").strip()
        if not text:
            return 0
        try:
            fen = parse_yuan(text)
        except MoneyError as error:
            raise forms.ValidationError(
                _("Enter an amount in yuan with at most two decimals, e.g. 1,234.50.")
            ) from error
        if fen < 0 or (self.positive and fen == 0):
            raise forms.ValidationError(_("Enter an amount above zero."))
        return fen

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")


def _loan_field(loan_ids: list[str]) -> forms.ChoiceField:
    return forms.ChoiceField(label=_("Loan"), choices=[(loan, loan) for loan in loan_ids])


def _reason_field(default: str) -> forms.ChoiceField:
    return forms.ChoiceField(label=_("Reason"), choices=REASONS, initial=default)


def _note_field() -> forms.CharField:
    return forms.CharField(
        label=_("Explanation"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What the approver and, later, an auditor need to know."),
    )  # fmt: skip


class WaiverForm(forms.Form):
    """Give up part of a loan's penalty interest, interest, fees (or principal): amounts in yuan."""

    prefix = "waiver"

    def __init__(self, *args: Any, loan_ids: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["loan"] = _loan_field(loan_ids)
        self.fields["penalty"] = YuanField(label=_("Penalty interest (yuan)"), required=False)
        self.fields["interest"] = YuanField(label=_("Interest (yuan)"), required=False)
        self.fields["fee"] = YuanField(label=_("Fees (yuan)"), required=False)
        self.fields["principal"] = YuanField(label=_("Principal (yuan)"), required=False)
        self.fields["reason"] = _reason_field("hardship")
        self.fields["note"] = _note_field()

    def amounts(self) -> dict[str, int]:
        data = self.cleaned_data
        return {c: int(data.get(c) or 0) for c in ("penalty", "interest", "fee", "principal")}


class SettlementForm(forms.Form):
    """A one-off discounted payoff: this much by that date, the rest given up."""

    prefix = "settlement"

    def __init__(
        self, *args: Any, loan_ids: list[str], default_by: dt.date | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["loan"] = _loan_field(loan_ids)
        self.fields["settle_amount"] = YuanField(label=_("Settlement amount (yuan)"), positive=True)
        self.fields["settle_by"] = forms.DateField(label=_("To be paid by"), widget=DATE, initial=default_by)
        self.fields["reason"] = _reason_field("settlement")
        self.fields["note"] = _note_field()


class PlanForm(forms.Form):
    """A repayment plan's terms: the loan, what it restructures, installments, the annual rate in per cent, a down
    payment in yuan and the first due date."""

    prefix = "plan"

    def __init__(self, *args: Any, loan_ids: list[str], default_first_due: dt.date | None = None,
                 **kwargs: Any) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.fields["loan"] = _loan_field(loan_ids)
        self.fields["scope"] = forms.ChoiceField(
            label=_("Restructure"), choices=RepaymentPlan.Scope.choices, initial=RepaymentPlan.Scope.OVERDUE
        )
        self.fields["installments"] = forms.IntegerField(
            label=_("Installments"), min_value=1, max_value=360, initial=6
        )
        self.fields["rate"] = forms.DecimalField(
            label=_("Annual rate (%)"), min_value=Decimal(0), max_value=Decimal(100), decimal_places=4,
            initial=Decimal(0), required=False, help_text=_("0 for an interest-free plan."),
        )  # fmt: skip
        self.fields["down_payment"] = YuanField(label=_("Down payment (yuan)"), required=False)
        self.fields["first_due"] = forms.DateField(
            label=_("First due"), widget=DATE, initial=default_first_due
        )
        self.fields["reason"] = _reason_field("hardship")
        self.fields["note"] = _note_field()

    def annual_rate(self) -> Decimal:
        """The rate as a fraction (3.65 % → 0.0365), exact."""
        return (self.cleaned_data.get("rate") or Decimal(0)) / 100

    def terms(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "installments": data["installments"],
            "first_due": data["first_due"],
            "annual_rate": self.annual_rate(),
            "down_payment": int(data.get("down_payment") or 0),
            "scope": data["scope"],
        }


class DecisionForm(forms.Form):
    """An approver's decision; a rejection needs a note (the service says so too)."""

    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "reject" and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why the request is rejected."))
        return data


class ReasonForm(forms.Form):
    """Withdrawing a request, or reversing a posted waiver."""

    reason = forms.CharField(label=_("Reason"), max_length=500)


class SignForm(forms.Form):
    signed_copy = forms.FileField(
        label=_("Signed agreement"),
        help_text=_("The scan or PDF the borrower signed; it goes into the evidence log."),
    )


class ApprovalFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *Concession.Kind.choices]
    )


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=DATE)
    end = forms.DateField(label=_("To"), required=False, widget=DATE)
