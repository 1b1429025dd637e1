"""Forms of the contact actions on the case view and of the outbox. They parse input only; `contact.services`
decides what is allowed (the compliance guard included) and writes.

Numbers and addresses are chosen by their index in `contact.selectors.addresses(case)` and resolved on the
server: the page never carries a value its reader may only see masked."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from arrears.accounts.models import User
from arrears.contact.models import CHANNELS, PARTIES, Call, Message, Template

# Which kind of address each message channel goes to (a chat push goes to the app account of the phone number).
ADDRESS_KIND = {"sms": "phone", "chat": "phone", "email": "email", "letter": "address"}
CHANNEL_LABELS = dict(CHANNELS)
PARTY_LABELS = dict(PARTIES)
CALL_OUTCOME_LABELS = dict(Call.OUTCOMES)
# A field visit's outcomes; the guard's outcome sets read "met" as reaching the debtor and "not_found" as a
# failed contact (`compliance.guard.Outcomes`).
VISIT_OUTCOMES = [
    ("met", _("Met the debtor")),
    ("promise_to_pay", _("Promise to pay")),
    ("refused", _("Refused to talk")),
    ("dispute", _("Dispute")),
    ("not_found", _("Not found at the place")),
]
VISIT_OUTCOME_LABELS = dict(VISIT_OUTCOMES)
MAX_UPLOAD = 50 * 1024 * 1024  # a recording or a photo


def address_label(row: dict[str, Any]) -> str:
    """ "Debtor · 张* · 138****5678" (the row as its reader may see it: `name` and `shown` are masked already)."""
    who = row["name"] + (f" ({row['relation']})" if row.get("relation") else "")
    return f"{PARTY_LABELS.get(row['party'], row['party'])} · {who} · {row['shown']}"


def _choices_of(rows: list[dict[str, Any]], kinds: set[str]) -> list[tuple[str, str]]:
    return [(str(i), address_label(row)) for i, row in enumerate(rows) if row["channel"] in kinds]


def _check_size(upload: UploadedFile | None) -> None:
    if upload is not None and (upload.size or 0) > MAX_UPLOAD:
        raise forms.ValidationError(
            _("%(name)s is larger than %(mb)s MB.") % {"name": upload.name, "mb": MAX_UPLOAD // (1024 * 1024)}
        )


class AddressForm(forms.Form):
    """A form that picks from the case's addresses by index: `row(name)` is the chosen address."""

    def __init__(self, *args: Any, addresses: list[dict[str, Any]], **kwargs: Any) -> None:
        self.addresses = addresses
        super().__init__(*args, **kwargs)

    def _set_choices(self, name: str, choices: list[tuple[str, Any]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def row(self, name: str) -> dict[str, Any] | None:
        value = (getattr(self, "cleaned_data", None) or {}).get(name)
        return self.addresses[int(value)] if value not in (None, "") else None


class MessageForm(AddressForm):
    """A message from an approved template to one of the case's addresses (the party is the address's). `key`
    makes a double click or a resent form queue it once."""

    template = forms.ChoiceField(label=_("Template"))
    to = forms.ChoiceField(label=_("To"))
    key = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        templates: list[Template],
        addresses: list[dict[str, Any]],
        fit: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, addresses=addresses, **kwargs)
        self.templates = {str(t.pk): t for t in templates}
        self._set_choices(
            "template",
            [("", _("— choose a template —"))]
            + [(str(t.pk), f"{t.code} · {CHANNEL_LABELS.get(t.channel, t.channel)}") for t in templates],
        )
        self._set_choices("to", _choices_of(addresses, set(ADDRESS_KIND.values())))
        self.fields["key"].initial = uuid.uuid4().hex
        if fit and self.is_bound:
            self._fit()

    def _fit(self) -> None:
        """For the preview: when the chosen address does not suit the template's channel, take the first that
        does (the same party's first, else the debtor's), so that picking a template is enough."""
        template = self.templates.get(str(self.data.get("template", "")))
        if template is None:
            return
        kind = ADDRESS_KIND.get(template.channel)
        chosen = str(self.data.get("to", ""))
        current = (
            self.addresses[int(chosen)] if chosen.isdigit() and int(chosen) < len(self.addresses) else None
        )
        if current is not None and current["channel"] == kind:
            return
        fitting = [i for i, row in enumerate(self.addresses) if row["channel"] == kind]
        if not fitting:
            return
        party = current["party"] if current is not None else "debtor"
        same = [i for i in fitting if self.addresses[i]["party"] == party]
        data = self.data.copy() if isinstance(self.data, QueryDict) else {**self.data}
        data["to"] = str((same or fitting)[0])
        self.data = data

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        template, row = self.templates.get(data.get("template") or ""), self.row("to")
        if template is not None and row is not None and row["channel"] != ADDRESS_KIND.get(template.channel):
            self.add_error(
                "to",
                _("A %(channel)s cannot go to this address: choose a %(kind)s.")
                % {"channel": CHANNEL_LABELS.get(template.channel, template.channel),
                   "kind": {"phone": _("phone number"), "email": _("email address"),
                            "address": _("postal address")}.get(ADDRESS_KIND.get(template.channel, ""), "")},
            )  # fmt: skip
        data["template_obj"] = template
        return data


class StartCallForm(AddressForm):
    """The number to dial (and who is expected to answer: the number's owner unless said otherwise)."""

    number = forms.ChoiceField(label=_("Number"))
    party = forms.ChoiceField(label=_("Party"), required=False)

    def __init__(self, *args: Any, addresses: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, addresses=addresses, **kwargs)
        numbers = _choices_of(addresses, {"phone"})
        self._set_choices("number", numbers)
        self._set_choices("party", [("", _("the number's owner")), *PARTIES])
        if numbers:
            self.fields["number"].initial = numbers[0][0]

    def whom(self) -> str:
        row = self.row("number")
        return self.cleaned_data.get("party") or (row["party"] if row else "debtor")


class CallForm(StartCallForm):
    """A call that happened: its outcome, a note and the recording (kept by SHA-256 in the evidence store)."""

    outcome = forms.ChoiceField(
        label=_("Call outcome"), choices=Call.OUTCOMES, widget=forms.Select(attrs={"data-shortcut": "c"})
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    recording = forms.FileField(label=_("Recording"), required=False)
    promised_amount = forms.DecimalField(label=_("Promised (yuan)"), required=False, min_value=Decimal("0.01"),
                                         decimal_places=2)  # fmt: skip
    promised_on = forms.DateField(label=_("Promised by"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))  # fmt: skip

    field_order = ["outcome", "number", "party", "promised_amount", "promised_on", "note", "recording"]

    def clean_recording(self) -> UploadedFile | None:
        upload = self.cleaned_data.get("recording")
        _check_size(upload)
        return upload

    def clean(self) -> dict[str, Any]:
        """A promise taken on the call (outcome "promise to pay"): both its amount and its date, or neither."""
        data = super().clean() or {}
        amount, day = data.get("promised_amount"), data.get("promised_on")
        if (amount is None) != (day is None):
            raise forms.ValidationError(_("Give both the promised amount and its date."))
        if amount is not None and data.get("outcome") != "promise_to_pay":
            raise forms.ValidationError(_("A promised amount goes with the outcome “promise to pay”."))
        return data

    def promise(self) -> tuple[Any, int] | None:
        """(date, fen) of the promise taken on the call, if any."""
        amount, day = self.cleaned_data.get("promised_amount"), self.cleaned_data.get("promised_on")
        return None if amount is None else (day, int(amount * 100))


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern): a list, empty when none was chosen."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True, "accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        cleaned = [single(f, initial) for f in files]
        for upload in cleaned:
            _check_size(upload)
        return cleaned


class VisitForm(AddressForm):
    """A field visit: when, where (one of the case's postal addresses, or a place typed in) and who goes (the
    guard asks for at least two collectors under cn-cba-2026)."""

    planned_for = forms.DateTimeField(
        label=_("When"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    address = forms.ChoiceField(label=_("Address"), required=False)
    place = forms.CharField(label=_("Or another place"), required=False, max_length=300)
    collectors = forms.MultipleChoiceField(label=_("Collectors"), widget=forms.CheckboxSelectMultiple)

    def __init__(
        self, *args: Any, addresses: list[dict[str, Any]], collectors: list[User], **kwargs: Any
    ) -> None:
        super().__init__(*args, addresses=addresses, **kwargs)
        places = _choices_of(addresses, {"address"})
        self._set_choices("address", [*places, ("", _("another place"))])
        if places:
            self.fields["address"].initial = places[0][0]
        self.people = {u.get_username(): u for u in collectors}
        self._set_choices("collectors", [(u.get_username(), str(u)) for u in collectors])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        row = self.row("address")
        data["where"] = row["value"] if row is not None else (data.get("place") or "").strip()
        if not data["where"] and "address" not in self.errors:
            self.add_error("place", _("Say where the visit is."))
        data["people"] = [self.people[name] for name in data.get("collectors") or []]
        return data


class VisitReportForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=VISIT_OUTCOMES)
    report = forms.CharField(label=_("Report"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    photos = MultipleFileField(label=_("Photos"), required=False)


class DeliveredForm(forms.Form):
    """A letter's registered-mail number and delivery date."""

    tracking_number = forms.CharField(label=_("Registered mail number"), max_length=64)
    delivered_on = forms.DateField(
        label=_("Delivered on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class SettleForm(forms.Form):
    """An uncertain message settled by a person: it went out or it did not, and what they checked."""

    outcome = forms.ChoiceField(choices=[("sent", _("Sent")), ("not_sent", _("Not sent"))])
    note = forms.CharField(label=_("What you checked"), max_length=500)


MESSAGE_CHANNELS = [c for c in CHANNELS if c[0] not in {"call", "visit"}]


class OutboxFilterForm(forms.Form):
    """GET parameters of the outbox. Invalid values are ignored rather than reported."""

    status = forms.ChoiceField(label=_("Status"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    case = forms.IntegerField(label=_("Case"), required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        status = self.fields["status"]
        assert isinstance(status, forms.ChoiceField)
        status.choices = [("", _("Every status")), *Message.Status.choices]
        channel = self.fields["channel"]
        assert isinstance(channel, forms.ChoiceField)
        channel.choices = [("", _("Every channel")), *MESSAGE_CHANNELS]

    def filters(self) -> dict[str, Any]:
        """The valid values; an invalid one counts as not given."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name) or None for name in self.fields}
