"""The compliance pages under /compliance/: denied contact attempts (paged, filtered by rule, channel and date),
the rule packs with their settings in words (edit as JSON and approve, with four eyes, for the compliance
officer), and the contact holds (place and lift for the compliance officer).

Who may look: compliance officers (`manage_compliance`) and auditors (`view_audit`); others get a 403. Writes
post to `compliance.services`, which check the capability again; their domain errors come back as messages or
as errors on the form.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from pydantic import ValidationError

from arrears.accounts import roles
from arrears.accounts.models import User
from arrears.compliance import guard, selectors, services
from arrears.compliance.forms import DecisionFilterForm, HoldForm, LiftForm, PackForm
from arrears.compliance.models import Channel, ContactHold, HoldKind, PackStatus, Party, RulePack
from arrears.core.dates import local_today
from arrears.core.errors import DomainError, NotFound, PermissionDenied
from arrears.core.masking import mask_phone
from arrears.portfolio import selectors as portfolio_selectors
from arrears.portfolio import services as portfolio_services

VIEW_CAPABILITIES = (roles.MANAGE_COMPLIANCE, roles.VIEW_AUDIT)
HOLDS_PER_PAGE = 50


def may_view(user: User | AnonymousUser) -> bool:
    return roles.can_any(user, VIEW_CAPABILITIES)


def _require_view(request: HttpRequest) -> User:
    return roles.require_any(request.user, VIEW_CAPABILITIES)


def masked_address(address: str, full_pii: bool) -> str:
    """A number, email address or place as the reader may see it: in full with `view_full_pii`, else masked
    (138****5678, z***@example.com, the first characters of a place)."""
    if full_pii or not address:
        return address
    if "@" in address:
        local, _at, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    if sum(ch.isdigit() for ch in address) >= 7:
        return mask_phone(address)
    return address[:4] + "…"


# --- denied attempts -------------------------------------------------------------------------------------------


@login_required
def denied(request: HttpRequest) -> HttpResponse:
    user = _require_view(request)
    form = DecisionFilterForm(request.GET, rules=selectors.denied_rules())
    filters = form.filters()
    page = selectors.denied_decisions(user, filters, page=request.GET.get("page"))
    full_pii = portfolio_selectors.shows_full_pii(user)
    channel_labels, party_labels = dict(Channel.choices), dict(Party.choices)
    rows = [
        {
            "decision": d,
            "local_at": d.local_at,
            "address": masked_address(d.address, full_pii),
            "reason": d.reason_text,
            "channel": channel_labels.get(d.channel, d.channel),
            "party": party_labels.get(d.party, d.party),
        }
        for d in page.object_list
    ]
    if full_pii and rows:  # PIPL: every display of unmasked personal data is recorded
        portfolio_services.record_full_pii_read(
            user,
            sorted({d.borrower_id for d in page.object_list}),
            f"compliance denied attempts {request.get_full_path()}",
        )
    context = {
        "tab": "denied",
        "form": form,
        "page": page,
        "rows": rows,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "filtered": any(vars(filters).values()),
    }
    template = "compliance/denied.html"
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        template += "#results"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


# --- rule packs ------------------------------------------------------------------------------------------------


def pack_rules(pack: guard.Pack) -> list[dict[str, Any]]:
    """The pack's rules in words, in the order the guard checks them: [{rule, label, setting}]."""
    code = pack.code
    channel_labels = dict(Channel.choices)
    party_labels = dict(Party.choices)

    def channels(values: Any) -> str:
        return ", ".join(str(channel_labels.get(v, v)) for v in values)

    rules: list[dict[str, Any]] = [
        {"rule": f"{code}/channel", "label": _("Channels used"), "setting": channels(pack.channels)}
    ]
    for product, parties in pack.product_parties.items():
        rules.append(
            {
                "rule": f"{code}/{pack.product_parties_rule}",
                "label": _("Who may be contacted about a %(product)s debt") % {"product": product},
                "setting": ", ".join(str(party_labels.get(p, p)) for p in parties),
            }
        )
    third = pack.third_parties
    if third is not None:
        if not third.allowed:
            rules.append({"rule": f"{code}/third-party-never", "label": _("Third parties"),
                          "setting": _("never contacted")})  # fmt: skip
        else:
            if third.no_disclosure:
                rules.append({"rule": f"{code}/third-party-disclosure", "label": _("Third parties"),
                              "setting": _("never told about the debt")})  # fmt: skip
            if third.stop_on_objection:
                rules.append({"rule": f"{code}/third-party-objected", "label": _("Third parties"),
                              "setting": _("not contacted again once they object")})  # fmt: skip
            if third.only_when_unreachable:
                setting = _("only while the debtor is unreachable: %(n)s failed contacts in a row") % {
                    "n": third.failed_contacts
                }
                if third.invalid_number:
                    setting += _(" or an invalid number")
                rules.append({"rule": f"{code}/third-party-unreachable-only", "label": _("Third parties"),
                              "setting": setting})  # fmt: skip
    if pack.visits is not None:
        rules.append({"rule": f"{code}/{pack.visits.rule}", "label": _("Field visits"),
                      "setting": _("at least %(n)s collectors") % {"n": pack.visits.min_collectors}})  # fmt: skip
    if pack.electronic_opt_out:
        rules.append({"rule": f"{code}/opt-out", "label": _("Electronic messages"),
                      "setting": _("must carry an opt-out")})  # fmt: skip
    hours = pack.contact_hours
    if hours is not None:
        template = (
            _("%(start)s to %(end)s, %(end)s included")
            if hours.end_inclusive
            else _("%(start)s to %(end)s, %(end)s excluded")
        )
        rules.append(
            {
                "rule": f"{code}/{hours.rule}",
                "label": _("Contact hours (local time)"),
                "setting": template
                % {"start": hours.start.isoformat("minutes"), "end": hours.end.isoformat("minutes")}
                + " · "
                + channels(hours.channels),
            }
        )
    if pack.unanswered_calls is not None:
        rules.append({"rule": f"{code}/{pack.unanswered_calls.rule}", "label": _("Unanswered calls"),
                      "setting": _("at most %(n)s a day to the same number")
                      % {"n": pack.unanswered_calls.per_number_per_day}})  # fmt: skip
    if pack.call_frequency is not None:
        rules.append({"rule": f"{code}/{pack.call_frequency.rule}", "label": _("Calls about a debt"),
                      "setting": _("at most %(n)s in %(days)s consecutive days")
                      % {"n": pack.call_frequency.max_calls, "days": pack.call_frequency.days}})  # fmt: skip
    if pack.conversation_lock is not None:
        rules.append({"rule": f"{code}/{pack.conversation_lock.rule}", "label": _("After a telephone conversation"),
                      "setting": _("no call about the debt for %(days)s days (the conversation day is day 1)")
                      % {"days": pack.conversation_lock.days}})  # fmt: skip
    for channel, limit in pack.channel_limits.items():
        parts, codes = [], []
        if limit.per_day:
            parts.append(_("%(n)s a day") % {"n": limit.per_day})
            codes.append(f"{code}/{channel}-per-day")
        if limit.per_week:
            parts.append(_("%(n)s in 7 days") % {"n": limit.per_week})
            codes.append(f"{code}/{channel}-per-week")
        label = _("%(channel)s per debtor") % {"channel": channel_labels.get(channel, channel)}
        rules.append({"rule": " ".join(codes), "label": label, "setting": ", ".join(parts)})
    lifts = {"time_window": _("the contact hours"), "frequency": _("the frequency limits")}
    consent = ", ".join(str(lifts[k]) for k in pack.consent_lifts) or _("nothing")
    if pack.consent_max_days:
        consent += " · " + _("for at most %(days)s days after it is given") % {"days": pack.consent_max_days}
    rules.append({"rule": "", "label": _("Consent with evidence lifts"), "setting": consent})
    return rules


@login_required
def packs(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    day = local_today()
    overview = selectors.packs_overview(day)
    for entry in overview:
        entry["name"] = (entry["in_force"] or entry["versions"][0]).definition.get("name", "")
    context = {"tab": "packs", "day": day, "overview": overview, "assignments": selectors.assignments()}
    return render(request, "compliance/packs.html", context)


def _get_pack(pack_id: int) -> RulePack:
    row = RulePack.objects.select_related("created_by", "edited_by", "approved_by").filter(pk=pack_id).first()
    if row is None:
        raise NotFound(f"rule pack {pack_id} not found")
    return row


def _render_pack(
    request: HttpRequest, user: User, row: RulePack, *, form: PackForm | None = None, status: int = 200
) -> HttpResponse:
    day = local_today()
    in_force = selectors.pack_in_force(row.code, day)
    manages = roles.can(user, roles.MANAGE_COMPLIANCE)
    definition_error = None
    rules: list[dict[str, Any]] = []
    try:
        rules = pack_rules(selectors.parsed(row))
    except ValidationError as exc:
        definition_error = selectors.problems(exc)
    own = user.pk in {row.created_by_id, row.edited_by_id}
    if form is None and manages:
        form = PackForm(
            initial={
                "effective_from": row.effective_from
                if row.status == PackStatus.DRAFT
                else max(day, row.effective_from),
                "definition": PackForm.text(row.definition),
            }
        )
    context = {
        "tab": "packs",
        "pack": row,
        "versions": selectors.pack_versions().filter(code=row.code),
        "in_force": in_force,
        "rules": rules,
        "definition_text": PackForm.text(row.definition),
        "definition_error": definition_error,
        "manages": manages,
        "form": form,
        "approvable": manages and row.status == PackStatus.DRAFT and not own,
        "own_draft": manages and row.status == PackStatus.DRAFT and own,
    }
    return render(request, "compliance/pack.html", context, status=status)


@login_required
def pack_detail(request: HttpRequest, pack_id: int) -> HttpResponse:
    user = _require_view(request)
    return _render_pack(request, user, _get_pack(pack_id))


@login_required
@require_POST
def pack_save(request: HttpRequest, pack_id: int) -> HttpResponse:
    """Save the edited definition: the draft changed in place, or a new draft version of an approved one."""
    user = _require_view(request)
    if not roles.can(user, roles.MANAGE_COMPLIANCE):
        raise PermissionDenied(_("You may not do this."))
    row = _get_pack(pack_id)
    form = PackForm(request.POST)
    if form.is_valid():
        try:
            saved = services.save_pack(
                form.cleaned_data["definition"],
                effective_from=form.cleaned_data["effective_from"],
                actor=user,
                note=form.cleaned_data["note"],
                draft=row if row.status == PackStatus.DRAFT else None,
            )
        except DomainError as exc:
            form.add_error("definition", exc.message)
        else:
            messages.success(
                request,
                _("Saved %(code)s version %(version)s as a draft: someone else must approve it.")
                % {"code": saved.code, "version": saved.version},
            )
            return redirect("compliance_pack", pack_id=saved.pk)
    return _render_pack(request, user, row, form=form, status=422)


@login_required
@require_POST
def pack_approve(request: HttpRequest, pack_id: int) -> HttpResponse:
    user = _require_view(request)
    row = _get_pack(pack_id)
    try:
        services.approve_pack(row, actor=user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(code)s version %(version)s is approved: the guard uses it from %(day)s.")
            % {"code": row.code, "version": row.version, "day": row.effective_from.isoformat()},
        )
    return redirect("compliance_pack", pack_id=row.pk)


# --- holds -----------------------------------------------------------------------------------------------------


def _render_holds(
    request: HttpRequest, user: User, *, form: HoldForm | None = None, status: int = 200
) -> HttpResponse:
    show = request.GET.get("show", "active")
    borrower_id = request.GET.get("q", "").strip()[:64]
    rows = selectors.visible_holds(user, active=show != "all", borrower_id=borrower_id)
    page = Paginator(rows, HOLDS_PER_PAGE).get_page(request.GET.get("page"))
    manages = roles.can(user, roles.MANAGE_COMPLIANCE)
    if form is None and manages:
        form = HoldForm(today=local_today())
    context = {
        "tab": "holds",
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "show": show,
        "q": borrower_id,
        "manages": manages,
        "form": form,
        "lift_form": LiftForm() if manages else None,
        "kinds": dict(HoldKind.choices),
    }
    return render(request, "compliance/holds.html", context, status=status)


@login_required
def holds(request: HttpRequest) -> HttpResponse:
    user = _require_view(request)
    return _render_holds(request, user)


@login_required
@require_POST
def hold_place(request: HttpRequest) -> HttpResponse:
    user = _require_view(request)
    form = HoldForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.place_hold(
                data["borrower_id"].strip(),
                data["kind"],
                actor=user,
                reason=data["reason"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                loan_id=data["loan_id"].strip() or None,
                evidence_sha256=data["evidence_sha256"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The hold is placed."))
            return redirect("compliance_holds")
    return _render_holds(request, user, form=form, status=422)


@login_required
@require_POST
def hold_lift(request: HttpRequest, hold_id: int) -> HttpResponse:
    user = _require_view(request)
    if not ContactHold.objects.filter(pk=hold_id).exists():
        raise NotFound(f"hold {hold_id} not found")
    form = LiftForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason for lifting the hold."))
    else:
        try:
            services.lift_hold(hold_id, actor=user, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The hold is lifted."))
    return redirect("compliance_holds")
