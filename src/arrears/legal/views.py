"""Legal pages (issue 8): the workspace (matters by stage as a kanban, with filters), the calendar of hearings and
deadlines (a month, or an agenda), the matter page (parties, claim, viability at referral, documents, assets,
deadlines with their reminders, timeline, and forms for the steps `legal.lifecycle` allows next), the referral of a
case with its viability check and the approvers' referral queue, the limitation watch, and batch litigation
(complaint packages for many matters, their progress, the zip, filing them all).

Every read starts from `legal.selectors.visible_matters` (an outside law firm's users see only their firm's
matters; a matter the user may not see is a 404, as one that does not exist); every write goes through
`legal.services`, whose refusals (`DomainError`) are shown inline next to the form, with nothing changed. The
workspace is for the legal roles (`WORK_LEGAL`, `MANAGE_LEGAL`): anyone else gets a 403. Money is integer fen,
shown in yuan by the `yuan` filter."""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum, Window
from django.db.models.functions import RowNumber
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from arrears.accounts.models import Agency, User
from arrears.accounts.roles import MANAGE_CASES, MANAGE_LEGAL, VIEW_ALL_PORTFOLIOS, WORK_LEGAL, can
from arrears.accounts.selectors import visible_loans
from arrears.audit import services as audit
from arrears.audit.models import EvidenceRecord
from arrears.cases import selectors as case_selectors
from arrears.cases.models import Case
from arrears.core.dates import local_today
from arrears.core.errors import DomainError, NotFound, PermissionDenied
from arrears.core.masking import mask_name
from arrears.core.money import display_fen
from arrears.legal import calculators as calc
from arrears.legal import lifecycle, selectors, services
from arrears.legal.forms import (
    ActionForm,
    AdvanceForm,
    AssetForm,
    AssignForm,
    BatchFilterForm,
    DecisionForm,
    DocumentForm,
    FileBatchForm,
    GenerateForm,
    ReferForm,
    WatchForm,
    WorkspaceFilterForm,
    step_fields,
)
from arrears.legal.models import AssetFinding, Deadline, LitigationBatch, Matter, StageRecord
from arrears.portfolio import selectors as portfolio_selectors
from arrears.portfolio import services as portfolio_services

PAGE_SIZE = 25
COLUMN_CAP = 12  # cards per kanban column; "more" opens the stage's own paginated list
URGENT_DAYS = 7  # a deadline this close is coloured
AGENDA_DAYS = 60
WATCH_DAYS = 180
LEGAL_CAPABILITIES = (WORK_LEGAL, MANAGE_LEGAL)
# the kanban's columns: the pipeline in order, the ended stages last
BOARD_STAGES = [s for s in lifecycle.STAGES if s not in lifecycle.ENDED] + [
    lifecycle.CLOSED,
    lifecycle.RETURNED,
]
# steps with their own actions (decide_referral, assign): never on the step forms
OWN_ACTIONS = frozenset({lifecycle.APPROVED, lifecycle.RETURNED, lifecycle.ASSIGNED})

EVENT_LABELS = {
    "legal.referred": gettext_lazy("Referred"),
    "legal.stage": gettext_lazy("Stage changed"),
    "legal.reassigned": gettext_lazy("Reassigned"),
    "legal.action": gettext_lazy("Action recorded"),
    "legal.asset": gettext_lazy("Asset found"),
    "legal.document": gettext_lazy("Document added"),
    "legal.documents": gettext_lazy("Documents generated"),
    "legal.deadline": gettext_lazy("Deadline ended"),
    "legal.reminded": gettext_lazy("Deadline reminded"),
    "legal.complaint": gettext_lazy("Complaint drafted"),
}
CRITERIA_LABELS = {
    "min_dpd": gettext_lazy("Days past due"),
    "min_balance": gettext_lazy("Outstanding principal"),
    "no_plan": gettext_lazy("No open promise or repayment plan"),
    "contact_exhausted": gettext_lazy("Contact exhausted"),
}
EVIDENCE_LABELS = {
    "contract": gettext_lazy("Loan contract"),
    "disbursement": gettext_lazy("Proof of disbursement (IOU, transfer record)"),
    "schedule": gettext_lazy("Repayment schedule"),
    "overdue_notice": gettext_lazy("Overdue notice delivered"),
    "assignment_notice": gettext_lazy("Assignment notice delivered"),
    "payment_proof": gettext_lazy("Proof of the guarantor's payment"),
}
FLAG_LABELS = {
    "limitation_expired": gettext_lazy("Limitation expired"),
    "limitation_expiring": gettext_lazy("Limitation expiring within 180 days"),
    "guarantee_expired": gettext_lazy("Guarantee period expired"),
    "evidence_missing": gettext_lazy("Evidence missing"),
    "documents_to_collect": gettext_lazy("Documents to collect"),
    "assets_short": gettext_lazy("Known assets short of the claim"),
    "costs_exceed_claim": gettext_lazy("Costs exceed the claim"),
}
SOURCE_LABELS = {
    "demand": gettext_lazy("Demand delivered"),
    "acknowledgement": gettext_lazy("Acknowledgement"),
    "payment": gettext_lazy("Part payment"),
    "filing": gettext_lazy("Suit filed"),
}
DEADLINE_STATUS = dict(Deadline.Status.choices)
ASSET_KINDS = dict(AssetFinding.Kind.choices)


# ------------------------------------------------------------------------------------------------- helpers


def business_day() -> dt.date:
    """The business date (the latest close), or today before any close."""
    from arrears.delinquency.services import business_date

    return business_date() or local_today()


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def legal_user(request: HttpRequest) -> User:
    """The signed-in user when they work legal matters (in-house or an outside firm's), else a 403."""
    user = request.user
    if not any(can(user, capability) for capability in LEGAL_CAPABILITIES):
        raise PermissionDenied(_("The legal workspace is for legal staff."))
    assert isinstance(user, User)
    return user


def manages_legal(user: User) -> bool:
    """Referral decisions, assignment and closure are in-house only (never an outside firm's user)."""
    return user.agency_id is None and can(user, MANAGE_LEGAL)


def defendant_name(name: str, full_pii: bool) -> str:
    return name if full_pii else mask_name(name)


def with_next_deadline(matters: QuerySet[Matter]) -> QuerySet[Matter]:
    """`next_due` and `next_kind`: each matter's nearest open deadline (one subquery each, no N+1)."""
    nearest = Deadline.objects.filter(matter=OuterRef("pk"), status=Deadline.Status.OPEN).order_by(
        "due_on", "pk"
    )
    return matters.annotate(
        next_due=Subquery(nearest.values("due_on")[:1]), next_kind=Subquery(nearest.values("kind")[:1])
    )


def filtered_matters(user: User, filters: dict[str, str]) -> QuerySet[Matter]:
    """The user's visible matters narrowed by the workspace's filters (lawyer, firm, court, stage)."""
    matters = selectors.visible_matters(user)
    if lawyer := filters.get("lawyer"):
        matters = (
            matters.filter(lawyer__isnull=True) if lawyer == "none" else matters.filter(lawyer_id=int(lawyer))
        )
    if firm := filters.get("firm"):
        matters = matters.filter(firm__isnull=True) if firm == "none" else matters.filter(firm_id=int(firm))
    if court := filters.get("court"):
        matters = matters.filter(Q(court__icontains=court) | Q(enforcement_court__icontains=court))
    if stage := filters.get("stage"):
        matters = matters.filter(stage=stage)
    return matters


def card(matter: Matter, as_of: dt.date, full_pii: bool) -> dict[str, Any]:
    """A matter as a kanban card or a list row."""
    due = getattr(matter, "next_due", None)
    left = (due - as_of).days if due is not None else None
    kind = getattr(matter, "next_kind", None) or ""
    return {
        "matter": matter,
        "defendant": defendant_name(matter.defendant, full_pii),
        "next_due": due,
        "next_kind": lifecycle.DEADLINE_LABELS.get(kind, kind),
        "days_left": left,
        "urgent": left is not None and left <= URGENT_DAYS,
        "overdue": left is not None and left < 0,
    }


def _lawyers_and_firms(user: User) -> tuple[list[User], list[Agency]]:
    """The lawyers and firms of the user's visible matters (the filters' choices)."""
    visible = selectors.visible_matters(user)
    lawyers = list(
        User.objects.filter(pk__in=visible.exclude(lawyer__isnull=True).values("lawyer_id"))
        .select_related("agency")
        .order_by("username")
    )
    firms = list(
        Agency.objects.filter(pk__in=visible.exclude(firm__isnull=True).values("firm_id")).order_by("name")
    )
    return lawyers, firms


def _record_pii(user: User, borrower_ids: list[str], where: str) -> None:
    if portfolio_selectors.shows_full_pii(user):
        portfolio_services.record_full_pii_read(user, list(dict.fromkeys(borrower_ids)), where)


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "") or request.GET.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# ------------------------------------------------------------------------------------------------- workspace


@login_required
def workspace(request: HttpRequest) -> HttpResponse:
    """Matters by stage: a column per stage of the pipeline with its count and the first `COLUMN_CAP` cards (the
    nearest deadline first); with a stage chosen, that stage's matters as a paginated list."""
    user = legal_user(request)
    as_of = business_day()
    full_pii = portfolio_selectors.shows_full_pii(user)
    lawyers, firms = _lawyers_and_firms(user)
    form = WorkspaceFilterForm(request.GET, lawyers=lawyers, firms=firms)
    filters = form.filters()
    matters = filtered_matters(user, filters)
    counts = dict(matters.order_by().values_list("stage").annotate(n=Count("pk")).values_list("stage", "n"))
    context: dict[str, Any] = {
        "form": form,
        "filters": filters,
        "filtered": bool(filters),
        "as_of": as_of,
        "full_pii": full_pii,
        "urgent_days": URGENT_DAYS,
        "total": sum(counts.values()),
        "manages": manages_legal(user),
        "referrals": counts.get(lifecycle.REFERRED, 0),
    }
    if stage := filters.get("stage"):
        ordered = with_next_deadline(matters).order_by(
            F("next_due").asc(nulls_last=True), "stage_since", "pk"
        )
        page = Paginator(ordered, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = [card(m, as_of, full_pii) for m in page.object_list]
        context |= {
            "stage": stage,
            "stage_label": lifecycle.STAGE_LABELS.get(stage, stage),
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "rows": rows,
        }
        shown = [r["matter"].case.borrower_id for r in rows]
    else:
        ranked = (
            with_next_deadline(matters)
            .annotate(
                rank=Window(
                    RowNumber(),
                    partition_by=[F("stage")],
                    order_by=[F("next_due").asc(nulls_last=True), F("stage_since").asc(), F("pk").asc()],
                )
            )
            .filter(rank__lte=COLUMN_CAP)
        )
        by_stage: dict[str, list[dict[str, Any]]] = {}
        for matter in ranked:
            by_stage.setdefault(matter.stage, []).append(card(matter, as_of, full_pii))
        for cards in by_stage.values():
            cards.sort(key=lambda c: (c["next_due"] is None, c["next_due"] or as_of, c["matter"].stage_since,
                                      c["matter"].pk))  # fmt: skip
        columns: list[dict[str, Any]] = []
        for stage_key in BOARD_STAGES:
            n = counts.get(stage_key, 0)
            if stage_key in lifecycle.ENDED and not n:
                continue
            more = dict(filters, stage=stage_key)
            columns.append({
                "stage": stage_key,
                "label": lifecycle.STAGE_LABELS[stage_key],
                "count": n,
                "cards": by_stage.get(stage_key, []),
                "more": n - len(by_stage.get(stage_key, [])),
                "more_query": "?" + urlencode(more),
                "ended": stage_key in lifecycle.ENDED,
            })  # fmt: skip
        context["columns"] = columns
        shown = [c["matter"].case.borrower_id for col in columns for c in col["cards"]]
    _record_pii(user, shown, f"legal workspace {request.get_full_path()}")
    template = "legal/workspace.html"
    if getattr(request, "htmx", False) and not request.htmx.history_restore_request:  # type: ignore[attr-defined]
        template += "#board"
    return render(request, template, context)


# ------------------------------------------------------------------------------------------------- calendar


def _month(text: str | None, default: dt.date) -> dt.date:
    try:
        year, month = (int(x) for x in (text or "").split("-")[:2])
        return dt.date(year, month, 1)
    except (TypeError, ValueError):
        return default.replace(day=1)


def calendar_events(
    user: User, start: dt.date, end: dt.date, as_of: dt.date, *, full_pii: bool
) -> list[dict[str, Any]]:
    """The hearings and deadlines of the matters the user sees between `start` and `end`: open deadlines (their
    legal basis, provisional or not) and the hearing steps and actions, plus any step dated after the business
    date (scheduled). Three queries."""
    events: list[dict[str, Any]] = []
    for d in (
        selectors.open_deadlines(user).filter(due_on__gte=start, due_on__lte=end).order_by("due_on", "pk")
    ):
        left = (d.due_on - as_of).days
        events.append({
            "on": d.due_on, "type": "deadline", "matter": d.matter,
            "label": lifecycle.DEADLINE_LABELS.get(d.kind, d.kind), "basis": d.basis, "provisional": d.provisional,
            "defendant": defendant_name(d.matter.defendant, full_pii), "days_left": left,
            "urgent": left <= URGENT_DAYS, "past": left < 0, "deadline": d,
        })  # fmt: skip
    hearing_steps = [lifecycle.HEARING, lifecycle.HEARING_HELD]
    records = (
        StageRecord.objects.filter(matter__in=selectors.visible_matters(user).values("pk"))
        .filter(happened_on__gte=start, happened_on__lte=end)
        .filter(Q(step__in=hearing_steps) | Q(happened_on__gt=as_of))
        .select_related("matter", "matter__case")
        .order_by("happened_on", "pk")
    )
    for r in records:
        label = lifecycle.STAGE_LABELS.get(r.step) or lifecycle.ACTION_LABELS.get(r.step) or r.step
        events.append({
            "on": r.happened_on, "type": "hearing" if r.step in hearing_steps else "step", "matter": r.matter,
            "label": label, "basis": r.court or r.matter.court, "provisional": False,
            "defendant": defendant_name(r.matter.defendant, full_pii), "days_left": (r.happened_on - as_of).days,
            "urgent": False, "past": r.happened_on < as_of, "record": r,
        })  # fmt: skip
    events.sort(key=lambda e: (e["on"], e["type"] != "hearing", e["matter"].pk))
    return events


def _day_kind(day: dt.date) -> str:
    """'holiday' on a statutory holiday falling on a weekday, 'makeup' on a make-up working day (调休), else ''."""
    workday = calc.CHINESE_CALENDAR.is_workday(day)
    if workday is False and day.weekday() < 5:
        return "holiday"
    if workday is True and day.weekday() >= 5:
        return "makeup"
    return ""


@login_required
def calendar_view(request: HttpRequest) -> HttpResponse:
    """A month of hearings and deadlines (`?month=2026-10`), or the agenda: the next `AGENDA_DAYS` days from the
    business date (`?view=agenda`)."""
    user = legal_user(request)
    as_of = business_day()
    full_pii = portfolio_selectors.shows_full_pii(user)
    agenda = request.GET.get("view") == "agenda"
    first = _month(request.GET.get("month"), as_of)
    if agenda:  # from the business date, or from the first of the month asked for
        start = first if request.GET.get("month") else as_of
        end = start + dt.timedelta(days=AGENDA_DAYS)
    else:
        start = first
        end = first.replace(day=pycalendar.monthrange(first.year, first.month)[1])
    events = calendar_events(user, start, end, as_of, full_pii=full_pii)
    by_day: dict[dt.date, list[dict[str, Any]]] = {}
    for event in events:
        by_day.setdefault(event["on"], []).append(event)
    weeks = []
    if not agenda:
        for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month):
            weeks.append([
                {"day": day, "in_month": day.month == first.month, "today": day == as_of, "kind": _day_kind(day),
                 "events": by_day.get(day, [])}
                for day in week
            ])  # fmt: skip
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    _record_pii(user, [e["matter"].case.borrower_id for e in events], "legal calendar")
    return render(request, "legal/calendar.html", {
        "as_of": as_of, "agenda": agenda, "month": first, "weeks": weeks, "events": events,
        "agenda_days": sorted(by_day.items()), "previous": previous.strftime("%Y-%m"),
        "following": following.strftime("%Y-%m"), "this_month": as_of.strftime("%Y-%m"),
        "weekdays": [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")],
        "full_pii": full_pii, "urgent_days": URGENT_DAYS, "agenda_length": AGENDA_DAYS, "start": start,
    })  # fmt: skip


# ------------------------------------------------------------------------------------------------- the matter


def allowed_steps(user: User, matter: Matter) -> list[lifecycle.Step]:
    """The next stages the user may move the matter to from its form (not approval or assignment, which have their
    own actions; closure only in-house)."""
    if not matter.is_live:
        return []
    steps = []
    for step in lifecycle.allowed_from(matter.stage):
        if step.target in OWN_ACTIONS or not can(user, step.capability):
            continue
        if step.target == lifecycle.CLOSED and not manages_legal(user):
            continue
        steps.append(step)
    return steps


def allowed_actions(user: User, matter: Matter) -> list[lifecycle.Action]:
    if not matter.is_live or not can(user, WORK_LEGAL):
        return []
    return [a for a in lifecycle.ACTIONS.values() if matter.stage in a.stages]


def _renewals(matter: Matter) -> list[tuple[str, str]]:
    open_ = matter.deadlines.filter(kind=lifecycle.PRESERVATION_RENEWAL, status=Deadline.Status.OPEN)
    return [(str(d.pk), _("renewal due %(day)s") % {"day": d.due_on.isoformat()}) for d in open_]


def reminder_states(deadline: Deadline, as_of: dt.date) -> list[dict[str, Any]]:
    """Per reminder day (T-30, T-7, T-1): sent, covered by a nearer reminder, due (reached, not yet sent: the next
    close sends it) or upcoming."""
    left = (deadline.due_on - as_of).days
    sent = set(deadline.reminded or [])
    states = []
    for days in lifecycle.REMINDER_DAYS:
        if days in sent:
            state = "sent"
        elif any(r < days for r in sent):
            state = "covered"
        elif deadline.status == Deadline.Status.OPEN and left <= days:
            state = "due"
        else:
            state = "upcoming"
        states.append({"days": days, "state": state})
    return states


def matter_documents(matter: Matter) -> list[dict[str, Any]]:
    """The matter's documents in the evidence log: those of its case typed as documents (`selectors.DOCUMENT_KINDS`)
    and anything recorded about the matter itself, oldest first, each file with its download link."""
    records = EvidenceRecord.objects.filter(
        Q(case_id=matter.case_id, kind__in=selectors.DOCUMENT_KINDS)
        | Q(subject_type=services.MATTER, subject_id=str(matter.pk))
    ).order_by("seq")
    rows = []
    for record in records:
        payload = record.payload if isinstance(record.payload, dict) else {}
        rows.append({
            "record": record,
            "document": str(payload.get("document") or record.kind),
            "summary": str(payload.get("summary") or ""),
            "files": [{"index": i, "name": f.get("name", ""), "size": f.get("size", 0)}
                      for i, f in enumerate(record.files or [])],
        })  # fmt: skip
    return rows


def _event_detail(event: dict[str, Any]) -> str:
    after = event["after"] if isinstance(event["after"], dict) else {}
    before = event["before"] if isinstance(event["before"], dict) else {}
    action = event["action"]
    if action == "legal.stage":
        text = " → ".join(
            str(lifecycle.STAGE_LABELS.get(s, s)) for s in (before.get("stage"), after.get("stage")) if s
        )
        if after.get("closure_reason"):
            text += f" ({lifecycle.CLOSURE_REASONS.get(after['closure_reason'], after['closure_reason'])})"
        return " · ".join(x for x in (text, after.get("court", ""), after.get("case_number", "")) if x)
    if action == "legal.action":
        name = after.get("action", "")
        return str(lifecycle.ACTION_LABELS.get(name, name))
    if action == "legal.asset":
        return str(ASSET_KINDS.get(after.get("kind", ""), after.get("kind", "")))
    if action == "legal.document":
        return str(after.get("document", ""))
    if action == "legal.complaint":
        parts = [
            str(after.get("filing_date", "")),
            display_fen(after["claim_amount"]) if "claim_amount" in after else "",
        ]
        if after.get("batch"):
            parts.append(_("batch %(id)s") % {"id": after["batch"]})
        return " · ".join(p for p in parts if p)
    if action in ("legal.deadline", "legal.reminded"):
        kind = after.get("kind", "")
        parts = [str(lifecycle.DEADLINE_LABELS.get(kind, kind)), str(after.get("due_on", ""))]
        if after.get("status"):
            parts.append(str(DEADLINE_STATUS.get(after["status"], after["status"])))
        return " · ".join(p for p in parts if p)
    return ""


def matter_timeline(matter: Matter) -> list[dict[str, Any]]:
    """The matter's audit events, newest first, labelled."""
    rows = []
    for event in reversed(selectors.matter_timeline(matter)):
        rows.append({
            "at": dt.datetime.fromisoformat(event["at"]), "action": event["action"],
            "kind": event["action"].removeprefix("legal."),
            "label": EVENT_LABELS.get(event["action"], event["action"]), "detail": _event_detail(event),
            "by": event["by"], "note": event["note"],
        })  # fmt: skip
    return rows


def claim_rows(claim: dict[str, Any]) -> list[dict[str, Any]]:
    """Per loan of the claim: principal, the charges as claimed (within the cap) and as contracted."""
    rows = []
    for loan in claim.get("loans", []):
        capped = loan.get("interest", 0) + loan.get("penalty", 0) + loan.get("fees", 0)
        rows.append(loan | {"charges_capped": capped})
    return rows


def viability_context(check: dict[str, Any], criteria: list[dict[str, Any]]) -> dict[str, Any]:
    """The viability check and the criteria, labelled for the template (`legal/viability.html`)."""
    return {
        "v": check,
        "v_claims": claim_rows(check.get("claim", {})),
        "v_flags": [{"key": f, "label": FLAG_LABELS.get(f, f)} for f in check.get("flags", [])],
        "v_evidence": [
            row | {"label": EVIDENCE_LABELS.get(row["item"], row["item"])}
            for row in check.get("evidence", [])
        ],
        "v_limitation": [
            row | {"source_label": SOURCE_LABELS.get(row.get("interrupted_by") or "", "")}
            for row in check.get("periods", {}).get("limitation", [])
        ],
        "v_guarantees": check.get("periods", {}).get("guarantees", []),
        "v_assets": [
            row | {"kind_label": ASSET_KINDS.get(row.get("kind", ""), row.get("kind", ""))}
            for row in check.get("assets", [])
        ],
        "v_criteria": [
            row
            | {
                "label": CRITERIA_LABELS.get(row["criterion"], row["criterion"]),
                "money": row["criterion"] == "min_balance",
            }
            for row in criteria
        ],
        "v_unmet": [row for row in criteria if not row.get("met")],
    }


def _people(user: User, matter: Matter) -> tuple[list[User], list[Agency], list[User]]:
    """Whom a matter may be given to: in-house legal staff and active law firms' users; active law firms; in-house
    owners."""
    legal_roles = [r for r, caps in _role_caps().items() if WORK_LEGAL in caps]
    in_house = list(
        User.objects.filter(is_active=True, agency__isnull=True, role__in=legal_roles).order_by("username")
    )
    outside = list(
        User.objects.filter(is_active=True, agency__kind=Agency.Kind.LAW_FIRM, agency__active=True)
        .select_related("agency")
        .order_by("agency__name", "username")
    )
    firms = list(Agency.objects.filter(kind=Agency.Kind.LAW_FIRM, active=True).order_by("name"))
    return in_house + outside, firms, in_house


def _role_caps() -> dict[str, frozenset[str]]:
    from arrears.accounts.roles import ROLE_CAPABILITIES

    return {str(k): v for k, v in ROLE_CAPABILITIES.items()}


def _render_matter(request: HttpRequest, matter: Matter, bound: dict[str, Any] | None = None, *,
                   status: int = 200) -> HttpResponse:  # fmt: skip
    user = _user(request)
    as_of = business_day()
    full_pii = portfolio_selectors.shows_full_pii(user)
    _record_pii(user, [matter.case.borrower_id], f"matter {matter.pk}")
    bound = bound or {}
    default_on = max(as_of, matter.stage_since)
    steps = allowed_steps(user, matter)
    step_forms = []
    for step in steps:
        key = f"step:{step.target}"
        step_forms.append({
            "step": step, "label": lifecycle.STAGE_LABELS[step.target],
            "form": bound.get(key) or AdvanceForm(step=step, default_on=default_on),
            "fields": step_fields(step),
        })  # fmt: skip
    renewals = _renewals(matter)
    action_forms = []
    for action in allowed_actions(user, matter):
        key = f"action:{action.name}"
        action_forms.append({
            "action": action, "label": lifecycle.ACTION_LABELS[action.name],
            "form": bound.get(key) or ActionForm(action=action, default_on=default_on,
                                                 renewals=renewals if action.name == lifecycle.PRESERVATION else None),
        })  # fmt: skip
    manages = manages_legal(user)
    works = can(user, WORK_LEGAL)
    assign_form = None
    if manages and matter.is_live and matter.stage != lifecycle.REFERRED:
        lawyers, firms, owners = _people(user, matter)
        assign_form = bound.get("assign") or AssignForm(
            lawyers=lawyers, firms=firms, owners=owners,
            initial={"lawyer": matter.lawyer_id or "", "firm": matter.firm_id or ""},
        )  # fmt: skip
    deadlines = []
    for d in matter.deadlines.order_by("due_on", "pk"):
        left = (d.due_on - as_of).days
        deadlines.append({
            "deadline": d, "label": lifecycle.DEADLINE_LABELS.get(d.kind, d.kind), "days_left": left,
            "open": d.status == Deadline.Status.OPEN, "urgent": d.status == Deadline.Status.OPEN and left <= URGENT_DAYS,
            "reminders": reminder_states(d, as_of),
        })  # fmt: skip
    records = list(selectors.matter_records(matter))
    can_generate = works and matter.stage in selectors.COMPLAINT_STAGES
    context: dict[str, Any] = {
        "matter": matter,
        "case": matter.case,
        "defendant": defendant_name(matter.defendant, full_pii),
        "full_pii": full_pii,
        "as_of": as_of,
        "stage_label": lifecycle.STAGE_LABELS.get(matter.stage, matter.stage),
        "closure_label": lifecycle.CLOSURE_REASONS.get(matter.closure_reason, ""),
        "claim": matter.claim or {},
        "claims": claim_rows(matter.claim or {}),
        "complaint": matter.complaint or {},
        "costs": (matter.viability or {}).get("costs", {}),
        "records": [
            {
                "record": r,
                "label": lifecycle.STAGE_LABELS.get(r.step) or lifecycle.ACTION_LABELS.get(r.step) or r.step,
                "is_action": r.step in lifecycle.ACTIONS,
            }
            for r in records
        ],
        "deadlines": deadlines,
        "urgent_days": URGENT_DAYS,
        "assets": list(matter.assets.select_related("recorded_by")),
        "asset_kinds": ASSET_KINDS,
        "documents": matter_documents(matter),
        "timeline": matter_timeline(matter),
        "step_forms": step_forms,
        "action_forms": action_forms,
        "manages": manages,
        "works": works,
        "decide_form": (bound.get("decide") or DecisionForm())
        if manages and matter.stage == lifecycle.REFERRED and matter.referred_by_id != user.pk
        else None,
        "own_referral": matter.stage == lifecycle.REFERRED and matter.referred_by_id == user.pk,
        "assign_form": assign_form,
        "asset_form": (bound.get("asset") or AssetForm(initial={"found_on": as_of}))
        if works and matter.is_live and matter.stage != lifecycle.REFERRED
        else None,
        "document_form": (bound.get("document") or DocumentForm()) if works else None,
        "generate_form": (bound.get("generate") or GenerateForm(initial={"filing_date": as_of}))
        if can_generate
        else None,
    }
    context |= viability_context(matter.viability or {}, list(matter.criteria or []))
    return render(request, "legal/matter.html", context, status=status)


@login_required
def matter_detail(request: HttpRequest, matter_id: int) -> HttpResponse:
    legal_user(request)
    matter = selectors.get_matter(request.user, matter_id)
    return _render_matter(request, matter)


def _act(request: HttpRequest, matter: Matter, key: str, form: forms.Form,
         action: Callable[[dict[str, Any]], str]) -> HttpResponse:  # fmt: skip
    """Run `action` with the form's cleaned data: its message and back to the matter; or the matter again with the
    form as it was and why it was refused, inline."""
    if form.is_valid():
        try:
            done = action(form.cleaned_data)
        except NotFound:
            raise
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, done)
            return redirect(reverse("legal_matter", args=[matter.pk]) + f"#{key.split(':')[0]}")
    return _render_matter(request, matter, {key: form}, status=400)


@login_required
@require_POST
def advance(request: HttpRequest, matter_id: int) -> HttpResponse:
    """A step to the next stage from its form (`services.advance`)."""
    user = legal_user(request)
    matter = selectors.get_matter(user, matter_id)
    target = request.POST.get("target", "")
    step = next((s for s in allowed_steps(user, matter) if s.target == target), None)
    if step is None:
        messages.error(request, _("This matter cannot move to %(target)s now.") % {
            "target": lifecycle.STAGE_LABELS.get(target, target)})  # fmt: skip
        return _render_matter(request, matter, status=400)
    form = AdvanceForm(request.POST, step=step)

    def act(data: dict[str, Any]) -> str:
        services.advance(
            matter, target, actor=user, on=data["on"], court=data.get("court") or "",
            case_number=data.get("case_number") or "", amount_awarded=data.get("amount_awarded"),
            amount_recovered=data.get("amount_recovered"), reason=data.get("reason") or "",
            closure_reason=data.get("closure_reason") or "", served_on=data.get("served_on"),
            ruling=bool(data.get("ruling")), perform_by=data.get("perform_by"), final=bool(data.get("final")),
        )  # fmt: skip
        return _("The matter is now at %(stage)s.") % {"stage": lifecycle.STAGE_LABELS[target]}

    return _act(request, matter, f"step:{target}", form, act)


@login_required
@require_POST
def record_action(request: HttpRequest, matter_id: int) -> HttpResponse:
    """An action within the stage (`services.record_action`)."""
    user = legal_user(request)
    matter = selectors.get_matter(user, matter_id)
    name = request.POST.get("action", "")
    action = next((a for a in allowed_actions(user, matter) if a.name == name), None)
    if action is None:
        messages.error(request, _("This action cannot be recorded now."))
        return _render_matter(request, matter, status=400)
    renewals = _renewals(matter) if name == lifecycle.PRESERVATION else None
    form = ActionForm(request.POST, action=action, renewals=renewals)

    def act(data: dict[str, Any]) -> str:
        renews = matter.deadlines.filter(pk=int(data["renews"])).first() if data.get("renews") else None
        services.record_action(
            matter, name, actor=user, on=data["on"], court=data.get("court") or "",
            asset_kind=data.get("asset_kind") or "", amount=data.get("amount"),
            amount_recovered=data.get("amount_recovered"), note=data.get("note") or "", renews=renews,
        )  # fmt: skip
        return _("%(action)s recorded.") % {"action": lifecycle.ACTION_LABELS[name]}

    return _act(request, matter, f"action:{name}", form, act)


@login_required
@require_POST
def decide(request: HttpRequest, matter_id: int) -> HttpResponse:
    """Approve or return a referral (`services.decide_referral`); back to where the decision was made."""
    user = legal_user(request)
    matter = selectors.get_matter(user, matter_id)
    form = DecisionForm(request.POST)
    approve = request.POST.get("decision") == "approve"
    back = _safe_next(request, reverse("legal_matter", args=[matter.pk]))
    if not form.is_valid():  # nothing decided: the errors on the matter page, as its other forms do
        return _render_matter(request, matter, {"decide": form}, status=400)
    try:
        services.decide_referral(
            matter, actor=user, approve=approve, note=form.cleaned_data.get("note") or ""
        )
    except NotFound:
        raise
    except DomainError as exc:
        if back.startswith(reverse("legal_referrals")):
            messages.error(request, exc.message)
            return redirect(back)
        form.add_error(None, exc.message)
        return _render_matter(request, matter, {"decide": form}, status=400)
    if approve:
        messages.success(request, _("Referral of matter %(id)s approved.") % {"id": matter.pk})
    else:
        messages.success(request, _("Referral of matter %(id)s returned.") % {"id": matter.pk})
    return redirect(back)


@login_required
@require_POST
def assign(request: HttpRequest, matter_id: int) -> HttpResponse:
    user = legal_user(request)
    matter = selectors.get_matter(user, matter_id)
    lawyers, firms, owners = _people(user, matter)
    form = AssignForm(request.POST, lawyers=lawyers, firms=firms, owners=owners)

    def act(data: dict[str, Any]) -> str:
        lawyer = form.people.get(data.get("lawyer") or "")
        firm = form.firms.get(data.get("firm") or "")
        owner = form.people.get(data.get("owner") or "")
        services.assign(
            matter, actor=user, lawyer=lawyer, firm=firm, owner=owner, note=data.get("note") or ""
        )
        return _("Matter %(id)s assigned.") % {"id": matter.pk}

    return _act(request, matter, "assign", form, act)


@login_required
@require_POST
def add_asset(request: HttpRequest, matter_id: int) -> HttpResponse:
    user = legal_user(request)
    matter = selectors.get_matter(user, matter_id)

    def act(data: dict[str, Any]) -> str:
        services.record_asset(
            matter, actor=user, kind=data["kind"], description=data["description"], source=data["source"],
            found_on=data["found_on"], value=data.get("value"), note=data.get("note") or "",
            proportionality_note=data.get("proportionality_note") or "",
        )  # fmt: skip
        return _("Asset recorded.")

    return _act(request, matter, "asset", AssetForm(request.POST), act)


@login_required
@require_POST
def add_document(request: HttpRequest, matter_id: int) -> HttpResponse:
    user = legal_user(request)
    matter = selectors.get_matter(user, matter_id)

    def act(data: dict[str, Any]) -> str:
        upload = data["file"]
        services.add_document(
            matter, actor=user, name=upload.name, data=upload.read(), document=data["document"],
            summary=data.get("summary") or "",
        )  # fmt: skip
        return _("Document %(name)s kept in the evidence log.") % {"name": upload.name}

    return _act(request, matter, "document", DocumentForm(request.POST, request.FILES), act)


@login_required
@require_POST
def generate(request: HttpRequest, matter_id: int) -> HttpResponse:
    """The complaint and the evidence list for a filing date, into the evidence log (`services.generate_documents`)."""
    user = legal_user(request)
    matter = selectors.get_matter(user, matter_id)

    def act(data: dict[str, Any]) -> str:
        records = services.generate_documents(matter, actor=user, filing_date=data["filing_date"])
        return _("%(n)s documents generated.") % {"n": len(records)}

    return _act(request, matter, "generate", GenerateForm(request.POST), act)


@login_required
@require_GET
def document(request: HttpRequest, matter_id: int, record_id: int, index: int) -> FileResponse:
    """A file of one of the matter's documents, from the evidence log's content-addressed store."""
    from arrears.audit.chain import blob_path

    user = legal_user(request)
    matter = selectors.get_matter(user, matter_id)
    record = next((row["record"] for row in matter_documents(matter) if row["record"].pk == record_id), None)
    files = list(record.files or []) if record is not None else []
    if record is None or not 0 <= index < len(files):
        raise NotFound(f"document {record_id} of matter {matter_id} not found")
    entry = files[index]
    try:
        handle = blob_path(str(entry["sha256"])).open("rb")
    except (FileNotFoundError, ValueError, KeyError):
        raise NotFound(f"the file of document {record_id} is missing") from None
    # court papers name the parties in full (ID numbers): every read is audited
    audit.record("legal.document_read", "Matter", matter.pk, actor=user,
                 after={"evidence": record.seq, "file": entry.get("name"), "sha256": entry.get("sha256")})  # fmt: skip
    return FileResponse(
        handle, as_attachment=True, filename=str(entry.get("name") or f"document-{record_id}")
    )


# ------------------------------------------------------------------------------------------------- referral


def _referrer(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or user.agency_id is not None or not can(user, MANAGE_CASES):
        raise PermissionDenied(_("You may not refer cases for litigation."))
    return user


@login_required
def refer(request: HttpRequest, case_id: int) -> HttpResponse:
    """Refer a case: the viability check side by side and the criteria met or not (an override reason when
    any is unmet), then `services.refer`."""
    user = _referrer(request)
    case = case_selectors.get_case(user, case_id)
    live = Matter.objects.filter(case=case).exclude(stage__in=lifecycle.ENDED).first()
    loan_ids = [str(x) for x in case.loan_ids]
    form = ReferForm(request.POST or None, loan_ids=loan_ids)
    chosen = loan_ids
    status = 200
    if request.method == "POST" and live is None:
        if form.is_valid():
            chosen = list(form.cleaned_data["loans"])
            try:
                matter = services.refer(
                    case, actor=user, reason=form.cleaned_data["reason"],
                    override_reason=form.cleaned_data.get("override_reason") or "", loan_ids=chosen,
                )  # fmt: skip
            except NotFound:
                raise
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Case %(case)s referred: matter %(id)s awaits approval.")
                                 % {"case": case.pk, "id": matter.pk})  # fmt: skip
                return redirect("legal_matter", matter_id=matter.pk)
        status = 400
    as_of = case.as_of
    full_pii = portfolio_selectors.shows_full_pii(user)
    _record_pii(user, [case.borrower_id], f"legal referral of case {case.pk}")
    check = selectors.viability_check(case, as_of, chosen)
    criteria = selectors.check_criteria(case, as_of)
    context = {
        "case": case,
        "borrower_name": defendant_name(case.borrower.name, full_pii),
        "full_pii": full_pii,
        "as_of": as_of,
        "form": form,
        "live": live,
        "escalated": case.status in ("escalated", "legal", "enforcement"),
    } | viability_context(check, criteria)
    return render(request, "legal/refer.html", context, status=status)


@login_required
def referrals(request: HttpRequest) -> HttpResponse:
    """The referral queue: referrals awaiting a decision, the oldest first; never one's own to decide."""
    user = legal_user(request)
    if not manages_legal(user):
        raise PermissionDenied(_("You may not decide legal referrals."))
    full_pii = portfolio_selectors.shows_full_pii(user)
    pending = (
        selectors.visible_matters(user).filter(stage=lifecycle.REFERRED).select_related("referred_by")
        .order_by("referred_on", "pk")
    )  # fmt: skip
    page = Paginator(pending, PAGE_SIZE).get_page(request.GET.get("page"))
    items: list[dict[str, Any]] = []
    for matter in page.object_list:
        items.append({
            "matter": matter, "defendant": defendant_name(matter.defendant, full_pii),
            "own": matter.referred_by_id == user.pk,
        } | viability_context(matter.viability or {}, list(matter.criteria or [])))  # fmt: skip
    _record_pii(user, [i["matter"].case.borrower_id for i in items], "legal referral queue")
    return render(request, "legal/referrals.html", {
        "page": page, "items": items, "full_pii": full_pii, "decide_form": DecisionForm(),
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
    })  # fmt: skip


# ------------------------------------------------------------------------------------------------- watch


def watch_rows(user: User, kind: str, as_of: dt.date, within: int, *, expired: bool) -> list[dict[str, Any]]:
    """The limitation (or guarantee) watch's rows for the loans the user may see."""
    if kind == "guarantee":
        frame = selectors.guarantee_watch(as_of, within, include_expired=expired)
    else:
        frame = selectors.limitation_watch(as_of, within, include_expired=expired)
    rows = list(frame.iter_rows(named=True))
    if not rows:
        return []
    if user.agency_id is not None or not can(user, VIEW_ALL_PORTFOLIOS):
        allowed = set(
            visible_loans(user)
            .filter(loan_id__in={r["loan_id"] for r in rows})
            .values_list("loan_id", flat=True)
        )
        rows = [r for r in rows if r["loan_id"] in allowed]
    from arrears.portfolio.models import Loan

    ids = list({r["loan_id"] for r in rows})
    loans = (
        dict(Loan.objects.filter(loan_id__in=ids).values_list("loan_id", "lender"))
        if kind == "guarantee"
        else {}
    )
    for r in rows:
        r.setdefault("lender", loans.get(r["loan_id"], ""))
        r["source_label"] = SOURCE_LABELS.get(r.get("interrupted_by") or "", "")
        r["urgent"] = r["days_left"] is not None and r["days_left"] <= 30
        r["expired"] = r["days_left"] is not None and r["days_left"] < 0
    return rows


@login_required
def watch(request: HttpRequest) -> HttpResponse:
    """The limitation watch: loans whose limitation period (or guarantees whose period) expires within N days
    (default 180), with the interruption that last restarted it; sortable, paginated."""
    user = legal_user(request)
    as_of = business_day()
    form = WatchForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    kind = data.get("kind") or "limitation"
    within = data.get("within") or WATCH_DAYS
    sort = data.get("sort") or "days_left"
    rows = watch_rows(user, kind, as_of, within, expired=bool(data.get("expired")))
    if query := (data.get("q") or "").strip():
        rows = [r for r in rows if query.lower() in r["loan_id"].lower() or query in (r.get("lender") or "")]
    rows.sort(key=lambda r: (r.get(sort) is None, r.get(sort) or 0 if sort == "days_left" else r.get(sort) or "",
                             r["loan_id"]))  # fmt: skip
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    full_pii = portfolio_selectors.shows_full_pii(user)
    for r in page.object_list:
        if "guarantor" in r:
            r["guarantor_shown"] = defendant_name(r.get("guarantor") or "", full_pii)
    return render(request, "legal/watch.html", {
        "form": form, "kind": kind, "within": within, "sort": sort, "as_of": as_of, "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "total": len(rows),
    })  # fmt: skip


def case_matter(user: User, case: Case) -> Matter | None:
    """The case's live matter when the user may see it."""
    return selectors.visible_matters(user).filter(case=case).exclude(stage__in=lifecycle.ENDED).first()


# ------------------------------------------------------------------------------------------------- batch litigation

BATCH_PREVIEW = 50  # matters listed under the filter before a batch is started


def _batch_choices(user: User) -> tuple[list[Agency], list[str]]:
    visible = selectors.visible_matters(user).filter(stage__in=sorted(selectors.COMPLAINT_STAGES))
    firms = list(
        Agency.objects.filter(pk__in=visible.exclude(firm__isnull=True).values("firm_id")).order_by("name")
    )
    lenders = sorted(set(visible.values_list("case__lender", flat=True)))
    return firms, lenders


@login_required
def batches(request: HttpRequest) -> HttpResponse:
    """The litigation batches the user sees, the newest first."""
    user = legal_user(request)
    page = Paginator(selectors.visible_batches(user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "legal/batches.html", {
        "page": page, "works": can(user, WORK_LEGAL),
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
    })  # fmt: skip


@login_required
def batch_new(request: HttpRequest) -> HttpResponse:
    """Choose matters by filter (`selectors.matters_for_batch`), see how many and the total claim, then start: the
    batch is queued (`services.start_packages`) and generated in the background (`run_packages_in_background`)."""
    user = legal_user(request)
    if not can(user, WORK_LEGAL):
        raise PermissionDenied(_("You may not draft complaints."))
    as_of = business_day()
    firms, lenders = _batch_choices(user)
    data = request.POST if request.method == "POST" else request.GET
    form = BatchFilterForm(data or None, firms=firms, lenders=lenders, initial={"filing_date": as_of})
    criteria: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        criteria = form.criteria()
    chosen = selectors.matters_for_batch(user, **criteria)
    figures = chosen.aggregate(count=Count("pk"), claim=Sum("claim_amount"))
    status = 200
    if request.method == "POST" and form.is_valid():
        filing_date = form.cleaned_data.get("filing_date") or as_of
        try:
            batch = services.start_packages(list(chosen.values_list("pk", flat=True)), actor=user,
                                             filing_date=filing_date, criteria=criteria)  # fmt: skip
        except NotFound:
            raise
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            services.run_packages_in_background(batch.pk)
            messages.success(request, _("Batch %(id)s started: %(n)s complaint packages.")
                             % {"id": batch.pk, "n": batch.total})  # fmt: skip
            return redirect("legal_batch", batch_id=batch.pk)
        status = 400
    elif request.method == "POST":
        status = 400
    full_pii = portfolio_selectors.shows_full_pii(user)
    preview = [card(m, as_of, full_pii) for m in with_next_deadline(chosen)[:BATCH_PREVIEW]]
    return render(request, "legal/batch_new.html", {
        "form": form, "count": figures["count"] or 0, "claim": figures["claim"] or 0, "preview": preview,
        "preview_cap": BATCH_PREVIEW, "as_of": as_of, "full_pii": full_pii,
    }, status=status)  # fmt: skip


def _batch_context(batch: LitigationBatch) -> dict[str, Any]:
    summary = batch.summary or {}
    return {
        "batch": batch,
        "summary": summary,
        "filed": summary.get("filed"),
        "running": batch.status in (LitigationBatch.Status.QUEUED, LitigationBatch.Status.RUNNING)
        and not batch.stalled,
        "has_zip": bool(batch.zip_sha256),
    }


@login_required
def batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    """A batch: its progress (polled while it runs), the zip and "file all" once done, the tracking list."""
    user = legal_user(request)
    batch = selectors.get_batch(user, batch_id)
    full_pii = portfolio_selectors.shows_full_pii(user)
    rows = selectors.batch_matters(batch, full_pii=full_pii, user=user)
    for row in rows:
        row["next_deadline_label"] = lifecycle.DEADLINE_LABELS.get(row["next_deadline_kind"], "")
    _record_pii(user, [r["borrower_id"] for r in rows], f"litigation batch {batch.pk}")
    file_form = FileBatchForm(initial={"on": max(batch.filing_date, business_day())})
    return render(request, "legal/batch.html", {
        **_batch_context(batch), "rows": rows, "full_pii": full_pii, "file_form": file_form,
        "works": can(user, WORK_LEGAL),
    })  # fmt: skip


@login_required
@require_GET
def batch_progress(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The progress fragment the batch page polls every second while the batch runs (`done/total`); once it has
    finished, the page reloads (HX-Refresh) to show the zip, the filing form and the claims as drafted."""
    user = legal_user(request)
    batch = selectors.get_batch(user, batch_id)
    response = render(
        request, "legal/batch_progress.html", {**_batch_context(batch), "works": can(user, WORK_LEGAL)}
    )
    was_running = request.GET.get("from") in (LitigationBatch.Status.QUEUED, LitigationBatch.Status.RUNNING)
    if was_running and batch.status in (LitigationBatch.Status.DONE, LitigationBatch.Status.FAILED):
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def batch_run(request: HttpRequest, batch_id: int) -> HttpResponse:
    """Run a failed or stalled batch again (`services.run_packages` takes over only those)."""
    user = legal_user(request)
    batch = selectors.get_batch(user, batch_id)
    if not can(user, WORK_LEGAL):
        raise PermissionDenied(_("You may not record the steps of legal matters."))
    if batch.status == LitigationBatch.Status.FAILED or batch.stalled:
        services.run_packages_in_background(batch.pk)
        messages.success(request, _("Batch #%(id)s is running again.") % {"id": batch.pk})
    else:
        messages.error(request, _("Only a failed or stalled batch can be run again."))
    return redirect("legal_batch", batch_id=batch.pk)


@login_required
@require_GET
def batch_zip(request: HttpRequest, batch_id: int) -> FileResponse:
    """The batch's zip (a folder per matter: 起诉状.docx, 证据清单.docx, manifest.json; index.csv), streamed."""
    user = legal_user(request)
    batch = selectors.get_batch(user, batch_id)
    if not selectors.batch_fully_visible(user, batch):
        # the zip names every party in full (ID numbers): only for whoever still sees each of its matters
        raise NotFound(f"batch {batch.pk}'s zip not found", batch_id=batch.pk)
    path = selectors.batch_zip_path(batch)
    audit.record("legal.batch_zip_read", "LitigationBatch", batch.pk, actor=user,
                 after={"sha256": batch.zip_sha256, "matters": [int(i) for i in batch.matter_ids]})  # fmt: skip
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"litigation-batch-{batch.pk}.zip",
                        content_type="application/zip")  # fmt: skip


@login_required
@require_POST
def batch_file(request: HttpRequest, batch_id: int) -> HttpResponse:
    """File every matter of the batch (`services.file_batch`): all or none."""
    user = legal_user(request)
    batch = selectors.get_batch(user, batch_id)
    form = FileBatchForm(request.POST)
    if form.is_valid():
        try:
            n = services.file_batch(batch, actor=user, on=form.cleaned_data["on"],
                                    court=form.cleaned_data.get("court") or "")  # fmt: skip
        except NotFound:
            raise
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("%(n)s matters filed.") % {"n": n})
            return redirect("legal_batch", batch_id=batch.pk)
    full_pii = portfolio_selectors.shows_full_pii(user)
    rows = selectors.batch_matters(batch, full_pii=full_pii, user=user)
    return render(request, "legal/batch.html", {
        **_batch_context(batch), "rows": rows, "full_pii": full_pii, "file_form": form, "works": True,
    }, status=400)  # fmt: skip
