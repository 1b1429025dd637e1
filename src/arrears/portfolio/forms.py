"""Forms of the portfolio pages: the loan list's search and filters, and the portfolio upload."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import FileExtensionValidator
from django.utils.translation import gettext_lazy as _

from arrears.core.forms import search_field
from arrears.portfolio.models import LenderType, LoanStatus, ProductType

IMPORT_EXTENSIONS = ("zip", "xlsx")


class LoanFilterForm(forms.Form):
    """GET parameters of the loan list. Invalid filter values are ignored rather than reported."""

    q = search_field(_("Name, loan ID, borrower ID, ID number or phone"))
    lender_type = forms.ChoiceField(label=_("Lender type"), required=False)
    product_type = forms.ChoiceField(label=_("Product"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    province = forms.ChoiceField(label=_("Province"), required=False)

    def __init__(self, *args: Any, provinces: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choices("lender_type", _("All lender types"), LenderType.choices)
        self._choices("product_type", _("All products"), ProductType.choices)
        self._choices("status", _("All statuses"), LoanStatus.choices)
        self._choices("province", _("All provinces"), [(p, p) for p in provinces or []])

    def _choices(self, name: str, everything: Any, choices: list[tuple[str, Any]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", everything), *choices]

    def filters(self) -> dict[str, str]:
        """The valid values, ready for `selectors.search_loans`; an invalid one counts as not given."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            name: data.get(name) or "" for name in ("q", "lender_type", "product_type", "status", "province")
        }


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Portfolio file"),
        help_text=_(
            "A .zip of the interchange CSV files (borrowers.csv, loans.csv, …) or an .xlsx workbook with one "
            "sheet per file."
        ),
        validators=[
            FileExtensionValidator(
                IMPORT_EXTENSIONS,
                message=_(
                    "Upload a .zip of CSV files or an .xlsx workbook; a single CSV file is not a portfolio."
                ),
            )
        ],
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,.xlsx"}),
    )
    skip_invalid = forms.BooleanField(
        label=_("Skip invalid rows"),
        required=False,
        help_text=_(
            "Import the valid rows and report the rest. Otherwise an invalid portfolio writes nothing."
        ),
    )
