"""Contact pages (issue 6): the case view's contact panel (its parties and addresses; a message previewed with the
compliance guard's answer and sent in two clicks; a call started through the guard and logged with its
recording; field visits planned and reported; letters' delivery) and the outbox under /contact/.

Every case is looked up through `cases.selectors.get_case` (a case the user may not see is a 404 for every
action); every write goes through `contact.services`. Numbers and addresses are posted as their index in
`contact.selectors.addresses(case)` and resolved here, so a page that masks never carries a full value. Actions
follow the case view's pattern (`cases.views._act`): success redirects to the case, a refusal re-renders it with
the input kept and the reason."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from arrears.accounts.models import Role, User
from arrears.accounts.roles import MANAGE_CASES, MANAGE_COMPLIANCE, VIEW_AUDIT, WORK_CASES, can
from arrears.cases import selectors as case_selectors
from arrears.cases import views as case_views
from arrears.cases.models import Case
from arrears.conf import get_settings
from arrears.contact import selectors, services
from arrears.contact.channels import ChannelError
from arrears.contact.forms import (
    CALL_OUTCOME_LABELS,
    CHANNEL_LABELS,
    PARTY_LABELS,
    VISIT_OUTCOME_LABELS,
    CallForm,
    DeliveredForm,
    MessageForm,
    OutboxFilterForm,
    SettleForm,
    StartCallForm,
    VisitForm,
    VisitReportForm,
)
from arrears.contact.models import Message, Template, Visit
from arrears.core.errors import DomainError, NotFound, PermissionDenied
from arrears.core.masking import mask_name, mask_phone
from arrears.portfolio import selectors as portfolio_selectors
from arrears.portfolio import services as portfolio_services

CASE_LIST = 20  # messages, calls and visits listed on the case view (the outbox has them all)
OUTBOX_PAGE = 50
DEFAULT_LANGUAGE = "zh-hans"
SOURCE_LABELS = {"person": gettext_lazy("A person"), "strategy": gettext_lazy("Strategy"),
                 "bulk": gettext_lazy("Bulk action")}  # fmt: skip


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


# ------------------------------------------------------------------------------------------------- reading


def mask_address(value: str, full_pii: bool) -> str:
    """A number, email address or place as its reader may see it: whole with full PII, else 138****5678,
    z***@example.com or the first characters of a place."""
    if full_pii or not value:
        return value
    if "@" in value:
        local, _at, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    if sum(ch.isdigit() for ch in value) >= 7 and len(value) <= 20:
        return mask_phone(value)
    return value[:4] + "…"


def addresses_for(case: Case, *, full_pii: bool) -> list[dict[str, Any]]:
    """The case's addresses as the panel lists them: names and values masked unless the reader sees full PII
    (`value` stays for the server; templates show `name` and `shown` only)."""
    rows = selectors.addresses(case, full_pii=full_pii)
    if not full_pii:
        for row in rows:
            row["name"] = mask_name(row["name"])
            row["shown"] = mask_address(row["value"], False)
    return rows


def approved_templates() -> list[Template]:
    """The latest approved version of every template, in the active language (zh-Hans when a template has none
    in it). One query."""
    language = (translation.get_language() or DEFAULT_LANGUAGE).lower()
    chosen: dict[str, Template] = {}
    for template in Template.objects.filter(
        approved_at__isnull=False, language__in={language, DEFAULT_LANGUAGE}
    ).order_by("code", "-version"):
        current = chosen.get(template.code)
        if current is None or (current.language != language and template.language == language):
            chosen[template.code] = template
    return sorted(chosen.values(), key=lambda t: (t.channel != "sms", t.channel, t.code))


def visit_collectors(user: Any, case: Case) -> list[User]:
    """Who may go on a visit: the active in-house collectors of the case's team (its collector's; else the
    user's; all of them when neither has one)."""
    team_id = case.assigned_to.team_id if case.assigned_to is not None else getattr(user, "team_id", None)
    people = User.objects.filter(role=Role.COLLECTOR, is_active=True, agency__isnull=True)
    if team_id is not None:
        people = people.filter(team_id=team_id)
    return list(people.order_by("username"))


def _masked_text(text: str, case: Case, full_pii: bool) -> str:
    """A rendered message as a reader without full PII may see it: the borrower's name masked."""
    name = case.borrower.name
    return text if full_pii or not name else text.replace(name, mask_name(name))


def _decision(decision: Any) -> dict[str, Any]:
    return {"allowed": decision.allowed, "rule": decision.rule or "", "reason": decision.reason}


def case_panel(request: HttpRequest, case: Case, *, full_pii: bool) -> dict[str, Any]:
    """The case view's contact context: addresses, the message, call and visit forms (for those who work cases,
    on an open case) and the case's latest messages, calls and visits. A fixed number of queries."""
    user = request.user
    rows = addresses_for(case, full_pii=full_pii)
    works = can(user, WORK_CASES)
    acts = works and case.is_open
    latest = list(case.messages.select_related("template").order_by("-created_at", "-pk")[: CASE_LIST + 1])
    calls = list(case.calls.select_related("collector").order_by("-started_at", "-pk")[: CASE_LIST + 1])
    visits = list(
        case.visits.select_related("created_by")
        .prefetch_related("collectors")
        .order_by("-planned_for", "-pk")[: CASE_LIST + 1]
    )
    status_labels = dict(Message.Status.choices)
    return {
        "contact_addresses": rows,
        "contact_acts": acts,
        "contact_messages": [
            {
                "message": m,
                "channel": CHANNEL_LABELS.get(m.channel, m.channel),
                "party": PARTY_LABELS.get(m.party, m.party),
                "to": mask_address(m.address, full_pii),
                "status": status_labels.get(m.status, m.status),
                "delivered_form": DeliveredForm(prefix=f"m{m.pk}")
                if works and m.channel == "letter" and m.status == Message.Status.SENT
                else None,
            }
            for m in latest[:CASE_LIST]
        ],
        "contact_messages_more": len(latest) > CASE_LIST,
        "contact_calls": [
            {
                "call": c,
                "number": mask_address(c.number, full_pii),
                "party": PARTY_LABELS.get(c.party, c.party),
                "outcome": CALL_OUTCOME_LABELS.get(c.outcome, c.outcome),
            }
            for c in calls[:CASE_LIST]
        ],
        "contact_calls_more": len(calls) > CASE_LIST,
        "contact_visits": [
            {
                "visit": v,
                "place": mask_address(v.place, full_pii),
                "collectors": ", ".join(str(u) for u in v.collectors.all()),
                "outcome": VISIT_OUTCOME_LABELS.get(v.outcome, v.outcome),
                "report_form": VisitReportForm(prefix=f"v{v.pk}")
                if works and v.status == Visit.Status.PLANNED
                else None,
            }
            for v in visits[:CASE_LIST]
        ],
        "contact_visits_more": len(visits) > CASE_LIST,
        "message_form": MessageForm(templates=approved_templates(), addresses=rows) if acts else None,
        "message_preview": None,
        "call_form": CallForm(addresses=rows) if acts else None,
        "visit_form": VisitForm(addresses=rows, collectors=visit_collectors(user, case)) if acts else None,
    }


def _open(case: Case) -> None:
    if not case.is_open:
        raise DomainError(_("This case is closed."))


# ------------------------------------------------------------------------------------------------- messages


@login_required
@require_POST
def preview(request: HttpRequest, case_id: int) -> HttpResponse:
    """What the message would say, to whom, and the guard's answer now (nothing is recorded). An HTMX request
    gets the message form back with the preview; a plain one the case view."""
    case = case_selectors.get_case(request.user, case_id)
    full_pii = portfolio_selectors.shows_full_pii(request.user)
    rows = addresses_for(case, full_pii=full_pii)
    templates = approved_templates()
    shown: dict[str, Any] | None = None
    if request.POST.get("template"):
        form = MessageForm(request.POST, templates=templates, addresses=rows, fit=True)
        if form.is_valid():
            row = form.row("to")
            assert row is not None
            try:
                answer = services.preview(case, form.cleaned_data["template_obj"], party=row["party"],
                                          address=row["value"], actor=_user(request))  # fmt: skip
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                shown = {
                    "subject": _masked_text(answer.subject, case, full_pii),
                    "body": _masked_text(answer.body, case, full_pii),
                    "to": row["shown"],
                    "party": PARTY_LABELS.get(row["party"], row["party"]),
                    "channel": CHANNEL_LABELS.get(form.cleaned_data["template_obj"].channel, ""),
                    "decision": _decision(answer.decision),
                }
                if full_pii:
                    portfolio_services.record_full_pii_read(
                        request.user, [case.borrower_id], f"message preview, case {case.pk}"
                    )
    else:  # no template chosen (again): the form as it was, no preview
        kept = {name: request.POST[name] for name in ("to", "key") if request.POST.get(name)}
        form = MessageForm(initial=kept, templates=templates, addresses=rows)
    htmx = getattr(request, "htmx", None)
    if htmx:
        response = render(
            request,
            "contact/message_form.html",
            {"case": case, "message_form": form, "message_preview": shown},
        )
    else:
        response = case_views._render_case(request, case, {"message_form": form, "message_preview": shown})
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
@require_POST
def send(request: HttpRequest, case_id: int) -> HttpResponse:
    """Queue the message in the outbox (refused at once, with the guard's reason, if it would be denied now)."""
    case = case_selectors.get_case(request.user, case_id)
    full_pii = portfolio_selectors.shows_full_pii(request.user)
    rows = addresses_for(case, full_pii=full_pii)
    form = MessageForm(request.POST, templates=approved_templates(), addresses=rows)

    def act(data: dict[str, Any]) -> str:
        _open(case)
        row = form.row("to")
        assert row is not None
        outbox = reverse("contact_outbox") + f"?case={case.pk}"
        already = format_html('{} <a href="{}">{}</a>', _("This message is already in the outbox."), outbox,
                              _("Outbox"))  # fmt: skip
        if Message.objects.filter(key=data["key"]).exists():  # the same form sent twice
            return already
        try:
            message = services.send_message(case, data["template_obj"], party=row["party"], address=row["value"],
                                            actor=_user(request), key=data["key"])  # fmt: skip
        except IntegrityError:  # sent twice at the same moment: the key is unique, the other one queued it
            return already
        done = _("%(channel)s to %(to)s queued in the outbox.") % {
            "channel": CHANNEL_LABELS.get(message.channel, message.channel),
            "to": row["shown"],
        }
        return format_html('{} <a href="{}">{}</a>', done, outbox, _("Outbox"))

    return case_views._act(request, case, "message_form", form, act)


@login_required
@require_POST
def letter_delivered(request: HttpRequest, case_id: int, message_id: int) -> HttpResponse:
    case = case_selectors.get_case(request.user, case_id)
    message = case.messages.filter(pk=message_id).first()
    if message is None:
        raise NotFound(f"message {message_id} of case {case_id} not found", message_id=message_id)
    form = DeliveredForm(request.POST, prefix=f"m{message.pk}")
    if not form.is_valid():
        messages.error(request, _("Give the registered-mail number and the delivery date."))
        return redirect("case_detail", case_id=case.pk)
    try:
        services.letter_delivered(message, tracking_number=form.cleaned_data["tracking_number"],
                                  delivered_on=form.cleaned_data["delivered_on"], actor=_user(request))  # fmt: skip
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Letter delivered on %(day)s.") % {"day": form.cleaned_data["delivered_on"]}
        )
    return redirect("case_detail", case_id=case.pk)


# ------------------------------------------------------------------------------------------------- calls


@login_required
@require_POST
def start_call(request: HttpRequest, case_id: int) -> HttpResponse:
    """Ask the guard before dialling (the decision is recorded); when it allows the call and a telephony system
    is configured, that rings the collector's extension and dials. HTMX gets the answer as a fragment."""
    case = case_selectors.get_case(request.user, case_id)
    full_pii = portfolio_selectors.shows_full_pii(request.user)
    form = StartCallForm(request.POST, addresses=addresses_for(case, full_pii=full_pii))
    answer: dict[str, Any] = {}
    if not form.is_valid():
        answer["error"] = _("Choose a number to call.")
    else:
        row = form.row("number")
        assert row is not None
        answer["to"] = row["shown"]
        try:
            _open(case)
            decision = services.start_call(case, number=row["value"], party=form.whom(), actor=_user(request))
        except ChannelError as exc:  # the guard allowed it (it is asked first); the telephony system failed
            answer.update(decision={"allowed": True, "rule": "", "reason": ""}, rang=False, failed=str(exc))
        except DomainError as exc:
            answer["error"] = exc.message
        else:
            answer.update(
                decision=_decision(decision), rang=decision.allowed and bool(get_settings().telephony_url)
            )
    htmx = getattr(request, "htmx", None)
    if htmx:
        response = render(request, "contact/call_decision.html", {"answer": answer})
        patch_vary_headers(response, ("HX-Request",))
        return response
    if answer.get("error"):
        messages.error(request, answer["error"])
    elif answer["decision"]["allowed"]:
        messages.success(request, _call_said(answer))
    else:
        messages.error(request, _call_said(answer))
    return redirect("case_detail", case_id=case.pk)


def _call_said(answer: dict[str, Any]) -> str:
    decision = answer["decision"]
    if not decision["allowed"]:
        return _("The compliance guard refuses this call (%(rule)s): %(reason)s") % decision
    if answer.get("failed"):
        return (
            _("The guard allows the call, but the telephony system did not answer: dial %(to)s by hand.")
            % answer
        )
    if answer.get("rang"):
        return _("The guard allows the call: your extension is ringing, then %(to)s is dialled.") % answer
    return _("The guard allows the call: dial %(to)s.") % answer


@login_required
@require_POST
def log_call(request: HttpRequest, case_id: int) -> HttpResponse:
    """A call that happened, with its outcome, a note and the recording (multipart)."""
    case = case_selectors.get_case(request.user, case_id)
    full_pii = portfolio_selectors.shows_full_pii(request.user)
    form = CallForm(request.POST, request.FILES, addresses=addresses_for(case, full_pii=full_pii))

    def act(data: dict[str, Any]) -> str:
        _open(case)
        row = form.row("number")
        assert row is not None
        upload = data.get("recording")
        recording = (upload.name or "recording", upload.read()) if upload else None
        call = services.log_call(case, number=row["value"], outcome=data["outcome"], actor=_user(request),
                                 party=form.whom(), note=data.get("note") or "", recording=recording,
                                 promise=form.promise())  # fmt: skip
        return _("Call logged: %(outcome)s.") % {
            "outcome": CALL_OUTCOME_LABELS.get(call.outcome, call.outcome)
        }

    return case_views._act(request, case, "call_form", form, act)


# ------------------------------------------------------------------------------------------------- visits


@login_required
@require_POST
def plan_visit(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_selectors.get_case(request.user, case_id)
    full_pii = portfolio_selectors.shows_full_pii(request.user)
    form = VisitForm(request.POST, addresses=addresses_for(case, full_pii=full_pii),
                     collectors=visit_collectors(request.user, case))  # fmt: skip

    def act(data: dict[str, Any]) -> str:
        _open(case)
        visit = services.plan_visit(case, planned_for=data["planned_for"], place=data["where"],
                                    collectors=data["people"], actor=_user(request))  # fmt: skip
        return _("Visit planned for %(when)s.") % {"when": visit.planned_for.strftime("%Y-%m-%d %H:%M")}

    return case_views._act(request, case, "visit_form", form, act)


@login_required
@require_POST
def report_visit(request: HttpRequest, case_id: int, visit_id: int) -> HttpResponse:
    case = case_selectors.get_case(request.user, case_id)
    visit = case.visits.filter(pk=visit_id).select_related("case__borrower").first()
    if visit is None:
        raise NotFound(f"visit {visit_id} of case {case_id} not found", visit_id=visit_id)
    form = VisitReportForm(request.POST, request.FILES, prefix=f"v{visit.pk}")
    if not form.is_valid():
        problems = [f"{form.fields[name].label}: {e}" if name in form.fields else str(e)
                    for name, errors in form.errors.items() for e in errors]  # fmt: skip
        messages.error(request, " ".join(problems))
        return redirect("case_detail", case_id=case.pk)
    data = form.cleaned_data
    try:
        services.report_visit(visit, outcome=data["outcome"], report=data["report"], actor=_user(request),
                              photos=[(p.name or "photo", p.read()) for p in data["photos"]])  # fmt: skip
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Visit reported: %(outcome)s.") % {"outcome": VISIT_OUTCOME_LABELS[data["outcome"]]}
        )
    return redirect("case_detail", case_id=case.pk)


# ------------------------------------------------------------------------------------------------- the outbox

OUTBOX_CAPABILITIES = (WORK_CASES, MANAGE_CASES, MANAGE_COMPLIANCE, VIEW_AUDIT)


def may_view_outbox(user: Any) -> bool:
    return any(can(user, capability) for capability in OUTBOX_CAPABILITIES)


def may_settle(user: Any) -> bool:
    return can(user, MANAGE_CASES) or can(user, MANAGE_COMPLIANCE)


def _require_outbox(request: HttpRequest) -> User:
    if not may_view_outbox(request.user):
        raise PermissionDenied(_("You may not see the outbox."))
    return _user(request)


@login_required
def outbox(request: HttpRequest) -> HttpResponse:
    """Every message of the cases the user sees, the newest first, filtered by status and channel (and case),
    paged. Uncertain messages (a hand-off a crash interrupted, through a channel that does not de-duplicate)
    wait here for a team lead or compliance officer to settle them."""
    user = _require_outbox(request)
    form = OutboxFilterForm(request.GET)
    filters = form.filters()
    visible = case_selectors.visible_cases(user).values("pk")
    rows_qs = Message.objects.filter(case__in=visible).select_related("case", "template")
    if filters["status"]:
        rows_qs = rows_qs.filter(status=filters["status"])
    if filters["channel"]:
        rows_qs = rows_qs.filter(channel=filters["channel"])
    if filters["case"]:
        rows_qs = rows_qs.filter(case_id=filters["case"])
    paginator = Paginator(rows_qs.order_by("-created_at", "-pk"), OUTBOX_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    full_pii = portfolio_selectors.shows_full_pii(user)
    status_labels = dict(Message.Status.choices)
    rows = [
        {
            "message": m,
            "channel": CHANNEL_LABELS.get(m.channel, m.channel),
            "party": PARTY_LABELS.get(m.party, m.party),
            "to": mask_address(m.address, full_pii),
            "status": status_labels.get(m.status, m.status),
            "source": SOURCE_LABELS.get(m.source, m.source),
        }
        for m in page.object_list
    ]
    if full_pii and rows:
        portfolio_services.record_full_pii_read(
            user, sorted({m.case.borrower_id for m in page.object_list}), f"outbox {request.get_full_path()}"
        )
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "filtered": any(filters.values()),
        "case_filter": filters["case"],
        "settles": may_settle(user),
        "uncertain": Message.objects.filter(case__in=visible, status=Message.Status.UNCERTAIN).count(),
    }
    template = "contact/outbox.html"
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        template += "#results"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _back_to_outbox(request: HttpRequest) -> str:
    """Where a settled message returns: the outbox as the user left it, never elsewhere."""
    target = request.POST.get("next", "")
    outbox_url = reverse("contact_outbox")
    if target.startswith(outbox_url) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return outbox_url


@login_required
@require_POST
def settle(request: HttpRequest, message_id: int) -> HttpResponse:
    """An uncertain message settled: "Sent" (recorded as sent, with evidence) or "Not sent" (queued again)."""
    user = _require_outbox(request)
    message = Message.objects.filter(
        pk=message_id, case__in=case_selectors.visible_cases(user).values("pk")
    ).first()
    if message is None:
        raise NotFound(f"message {message_id} not found", message_id=message_id)
    form = SettleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say what you checked with the channel, then choose Sent or Not sent."))
        return redirect(_back_to_outbox(request))
    sent = form.cleaned_data["outcome"] == "sent"
    try:
        services.resolve_uncertain(message, sent=sent, actor=user, note=form.cleaned_data["note"])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Message %(id)s recorded as sent.") % {"id": message.pk}
            if sent
            else _("Message %(id)s queued again.") % {"id": message.pk},
        )
    return redirect(_back_to_outbox(request))
