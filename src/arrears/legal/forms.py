"""Forms of the legal pages (issue 8). They parse input only — amounts in yuan to integer fen exactly
(`core.money.parse_yuan`, never a float), dates, choices — and the services decide (their `DomainError` is shown
next to the form). Which fields a step's form shows comes from `legal.lifecycle` (`STEP_FIELDS`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from arrears.accounts.models import Agency, User
from arrears.core.money import MoneyError, parse_yuan
from arrears.legal import lifecycle
from arrears.legal.models import AssetFinding

DATE = {"type": "date"}
MAX_DOCUMENT = 20 * 1024 * 1024  # bytes


def date_field(label: Any, *, required: bool = True, **kwargs: Any) -> forms.DateField:
    return forms.DateField(
        label=label, required=required, widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"), **kwargs
    )


class YuanField(forms.CharField):
    """An amount in yuan with at most two decimals ("1,234.5"), cleaned to integer fen; empty → None."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 24)
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off", "placeholder": "0.00"})

    def clean(self, value: Any) -> int | None:  # type: ignore[override]
        text = super().clean(value)
        if text in (None, ""):
            return None
        try:
            fen = parse_yuan(str(text))
        except MoneyError:
            raise forms.ValidationError(
                _("Enter an amount in yuan with at most two decimals, e.g. 1,234.50.")
            ) from None
        if fen < 0:
            raise forms.ValidationError(_("Amounts must not be negative."))
        return fen


# The facts each step's form asks for beyond its date and note: a step's `requires` first, then what the
# service reads for particular targets (services.advance).
TARGET_FIELDS = {
    lifecycle.JUDGED: ("served_on", "ruling", "final"),
    lifecycle.EFFECTIVE: ("perform_by",),
    lifecycle.CLOSED: ("closure_reason", "amount_recovered"),
}
FIELD_ORDER = (
    "court", "case_number", "amount_awarded", "served_on", "ruling", "final", "perform_by", "closure_reason",
    "amount_recovered",
)  # fmt: skip


def step_fields(step: lifecycle.Step) -> list[str]:
    """The fields of a step's form, in a fixed order: what it requires and what the target reads."""
    wanted = set(step.requires) | set(TARGET_FIELDS.get(step.target, ()))
    return [name for name in FIELD_ORDER if name in wanted]


class AdvanceForm(forms.Form):
    """Move a matter to `step.target`: only the fields that step needs or reads (`step_fields`)."""

    def __init__(self, *args: Any, step: lifecycle.Step, default_on: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", f"to-{step.target}")
        super().__init__(*args, **kwargs)
        self.step = step
        self.fields["on"] = date_field(_("On"), initial=default_on)
        wanted = step_fields(step)
        required = set(step.requires)
        if "court" in wanted:
            self.fields["court"] = forms.CharField(
                label=_("Court"), max_length=200, required="court" in required
            )
        if "case_number" in wanted:
            label = (
                _("Enforcement case number")
                if step.target == lifecycle.ENFORCEMENT_APPLIED
                else _("Court case number")
            )
            self.fields["case_number"] = forms.CharField(
                label=label, max_length=100, required="case_number" in required
            )
        if "amount_awarded" in wanted:
            self.fields["amount_awarded"] = YuanField(
                label=_("Amount awarded (yuan)"), required="amount_awarded" in required
            )
        if "served_on" in wanted:
            self.fields["served_on"] = date_field(
                _("Served on"),
                required=False,
                help_text=_("The appeal period runs from service (default: the day of the judgment)."),
            )
        if "ruling" in wanted:
            self.fields["ruling"] = forms.BooleanField(
                label=_("A ruling (裁定: 10 days to appeal)"), required=False
            )
        if "final" in wanted:
            self.fields["final"] = forms.BooleanField(
                label=_("Final: no appeal (small claims, second instance)"), required=False
            )
        if "perform_by" in wanted:
            self.fields["perform_by"] = date_field(
                _("Performance period ends"), required=False,
                help_text=_("The enforcement application period (2 years) runs from here."),
            )  # fmt: skip
        if "closure_reason" in wanted:
            self.fields["closure_reason"] = forms.ChoiceField(
                label=_("Closed as"),
                choices=[(r, lifecycle.CLOSURE_REASONS[r]) for r in step.closure_reasons],
            )
        if "amount_recovered" in wanted:
            self.fields["amount_recovered"] = YuanField(label=_("Amount recovered (yuan)"), required=False)
        self.fields["reason"] = forms.CharField(
            label=_("Reason") if step.reason_required else _("Note"),
            required=step.reason_required,
            max_length=1000,
            widget=forms.Textarea(attrs={"rows": 2}),
        )


ASSET_KIND_CHOICES = [("", "—"), *AssetFinding.Kind.choices]


class ActionForm(forms.Form):
    """Record an action within the stage (`lifecycle.ACTIONS`): its date and what it requires."""

    def __init__(self, *args: Any, action: lifecycle.Action, default_on: Any = None,
                 renewals: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:  # fmt: skip
        kwargs.setdefault("prefix", f"act-{action.name}")
        super().__init__(*args, **kwargs)
        self.action = action
        self.fields["on"] = date_field(_("On"), initial=default_on)
        if "court" in action.requires:
            self.fields["court"] = forms.CharField(label=_("Court"), max_length=200)
        if "asset_kind" in action.requires:
            self.fields["asset_kind"] = forms.ChoiceField(
                label=_("Asset kind"), choices=AssetFinding.Kind.choices
            )
        if action.name == lifecycle.PRESERVATION:
            self.fields["amount"] = YuanField(label=_("Amount covered (yuan)"), required=False)
            if renewals:
                self.fields["renews"] = forms.ChoiceField(
                    label=_("Renews"), required=False, choices=[("", _("a new preservation")), *renewals]
                )
        if "amount_recovered" in action.requires:
            self.fields["amount_recovered"] = YuanField(label=_("Amount recovered (yuan)"))
        self.fields["note"] = forms.CharField(
            label=_("Note"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
        )


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=_("Note (a reason is needed to return)"), required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip


class AssignForm(forms.Form):
    def __init__(self, *args: Any, lawyers: list[User], firms: list[Agency], owners: list[User],
                 **kwargs: Any) -> None:  # fmt: skip
        kwargs.setdefault("prefix", "assign")
        super().__init__(*args, **kwargs)
        self.people = {str(u.pk): u for u in [*lawyers, *owners]}
        self.firms = {str(f.pk): f for f in firms}
        self.fields["lawyer"] = forms.ChoiceField(
            label=_("Lawyer"), required=False,
            choices=[("", "—"), *((str(u.pk), _user_label(u)) for u in lawyers)],
        )  # fmt: skip
        self.fields["firm"] = forms.ChoiceField(
            label=_("Law firm"), required=False, choices=[("", "—"), *((str(f.pk), f.name) for f in firms)]
        )
        self.fields["owner"] = forms.ChoiceField(
            label=_("Responsible (in-house)"), required=False,
            choices=[("", _("unchanged")), *((str(u.pk), _user_label(u)) for u in owners)],
        )  # fmt: skip
        self.fields["note"] = forms.CharField(label=_("Note"), required=False, max_length=1000)


def _user_label(user: User) -> str:
    name = user.display_name or user.get_username()
    return f"{name} ({user.agency.name})" if user.agency_id and user.agency else name


class AssetForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AssetFinding.Kind.choices)
    description = forms.CharField(label=_("Description"), max_length=500)
    source = forms.CharField(label=_("Where it was found"), max_length=200)
    found_on = date_field(_("Found on"))
    value = YuanField(label=_("Estimated value (yuan)"), required=False)
    proportionality_note = forms.CharField(
        label=_("Why it is proportionate"), required=False, max_length=1000,
        help_text=_("Needed once the known assets already cover the claim."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)

    prefix = "asset"


DOCUMENT_TYPES = [
    ("contract", _("Loan contract")),
    ("iou", _("IOU / receipt")),
    ("transfer_record", _("Transfer record")),
    ("schedule", _("Repayment schedule")),
    ("overdue_notice", _("Overdue notice")),
    ("assignment_notice", _("Assignment notice")),
    ("payment_proof", _("Proof of the guarantor's payment")),
    ("complaint", _("Complaint")),
    ("judgment", _("Judgment / ruling")),
    ("mediation", _("Mediation statement")),
    ("service", _("Proof of service")),
    ("other", _("Other")),
]


class DocumentForm(forms.Form):
    document = forms.ChoiceField(label=_("Type"), choices=DOCUMENT_TYPES)
    file = forms.FileField(label=_("File"))
    summary = forms.CharField(label=_("Summary"), required=False, max_length=300)

    prefix = "doc"

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_DOCUMENT:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return upload


class GenerateForm(forms.Form):
    filing_date = date_field(_("Filing date"))

    prefix = "gen"


class ReferForm(forms.Form):
    reason = forms.CharField(
        label=_("Why this case goes to litigation"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    override_reason = forms.CharField(
        label=_("Refer although criteria are unmet, because"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip

    def __init__(self, *args: Any, loan_ids: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["loans"] = forms.MultipleChoiceField(
            label=_("Loans"), choices=[(loan, loan) for loan in loan_ids], initial=list(loan_ids),
            widget=forms.CheckboxSelectMultiple,
        )  # fmt: skip


class WorkspaceFilterForm(forms.Form):
    """The workspace's filters: lawyer, firm, court (contains), stage."""

    def __init__(self, *args: Any, lawyers: list[User], firms: list[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lawyer"] = forms.ChoiceField(
            label=_("Lawyer"), required=False,
            choices=[("", _("All")), ("none", _("No lawyer yet")), *((str(u.pk), _user_label(u)) for u in lawyers)],
        )  # fmt: skip
        self.fields["firm"] = forms.ChoiceField(
            label=_("Law firm"), required=False,
            choices=[("", _("All")), ("none", _("In-house")), *((str(f.pk), f.name) for f in firms)],
        )  # fmt: skip
        self.fields["court"] = forms.CharField(label=_("Court"), required=False, max_length=200)
        self.fields["stage"] = forms.ChoiceField(
            label=_("Stage"), required=False, choices=[("", _("All")), *lifecycle.STAGE_LABELS.items()]
        )

    def filters(self) -> dict[str, str]:
        if not self.is_valid():
            return {}
        return {k: str(v).strip() for k, v in self.cleaned_data.items() if v not in (None, "")}


class WatchForm(forms.Form):
    KINDS = [("limitation", _("Limitation periods")), ("guarantee", _("Guarantee periods"))]
    SORTS = [("days_left", _("Days left")), ("loan_id", _("Loan")), ("lender", _("Lender"))]

    kind = forms.ChoiceField(label=_("Watch"), choices=KINDS, required=False)
    within = forms.IntegerField(
        label=_("Expiring within (days)"), min_value=1, max_value=3650, required=False
    )
    expired = forms.BooleanField(label=_("Include expired"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), choices=SORTS, required=False)
    q = forms.CharField(label=_("Loan or lender"), required=False, max_length=100)


class BatchFilterForm(forms.Form):
    """Which matters go into a batch of complaint packages (`selectors.matters_for_batch`)."""

    def __init__(self, *args: Any, firms: list[Agency], lenders: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stage"] = forms.ChoiceField(
            label=_("Stage"), required=False,
            choices=[("", _("Ready to file (assigned, investigating, drafting)")),
                     *((s, lifecycle.STAGE_LABELS[s]) for s in (lifecycle.APPROVED, lifecycle.ASSIGNED,
                                                                 lifecycle.INVESTIGATING, lifecycle.DRAFTING))],
        )  # fmt: skip
        self.fields["min_dpd"] = forms.IntegerField(
            label=_("At least days past due"), min_value=0, required=False
        )
        self.fields["lender"] = forms.ChoiceField(
            label=_("Lender"), required=False, choices=[("", _("All")), *((x, x) for x in lenders)]
        )
        self.fields["firm_id"] = forms.ChoiceField(
            label=_("Law firm"),
            required=False,
            choices=[("", _("All")), *((str(f.pk), f.name) for f in firms)],
        )
        from arrears.portfolio.models import CaseType

        self.fields["case_type"] = forms.ChoiceField(
            label=_("Case type"), required=False, choices=[("", _("All")), *CaseType.choices]
        )
        self.fields["min_claim"] = YuanField(label=_("Claim at least (yuan)"), required=False)
        self.fields["filing_date"] = date_field(_("Filing date"), required=False)

    def criteria(self) -> dict[str, Any]:
        """The filters as `matters_for_batch` takes them (empty ones left out)."""
        data = self.cleaned_data
        out: dict[str, Any] = {}
        for name in ("stage", "lender", "case_type"):
            if data.get(name):
                out[name] = data[name]
        if data.get("firm_id"):
            out["firm_id"] = int(data["firm_id"])
        if data.get("min_dpd") is not None:
            out["min_dpd"] = data["min_dpd"]
        if data.get("min_claim") is not None:
            out["min_claim"] = data["min_claim"]
        return out


class FileBatchForm(forms.Form):
    on = date_field(_("Filed on"))
    court = forms.CharField(label=_("Court (when not each matter's own)"), required=False, max_length=200)
