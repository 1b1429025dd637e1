"""Case pages (issue 5): the collector's workbench (their day: counts, today's queue, follow-ups due; a lead's or
manager's team workload and queues), the queue with its filters and bulk actions, and the case view with its
quick actions.

Every read starts from `cases.selectors.visible_cases` (a case the user may not see is a 404, as one that does not
exist, for the page and for every action); every write goes through `cases.services`. Actions are small POST
forms: success redirects back to the case (POST/redirect/GET); a refused one re-renders the case with the input
kept and the service's message. Lists are read set-based (a fixed number of queries whatever their length)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import models as m
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails

from arrears.accounts.models import Agency, Role, User
from arrears.accounts.roles import MANAGE_CASES, PLACE_CASES, VIEW_ALL_PORTFOLIOS, can
from arrears.accounts.selectors import visible_loans
from arrears.cases import lifecycle, selectors, services
from arrears.cases.forms import (
    CALL_OUTCOME_LABELS,
    BulkActionForm,
    CaseFilterForm,
    EscalationForm,
    NoteForm,
    PlaceForm,
    PromiseForm,
    ReassignForm,
    RecallForm,
    TaskForm,
    TransitionForm,
)
from arrears.cases.models import Case, Queue, Task
from arrears.contact.forms import CALL_OUTCOME_LABELS as CONTACT_OUTCOMES
from arrears.contact.forms import CHANNEL_LABELS as CONTACT_CHANNELS
from arrears.contact.forms import PARTY_LABELS, VISIT_OUTCOME_LABELS
from arrears.contact.models import Message
from arrears.core.dates import local_today
from arrears.core.errors import DomainError, NotFound, PermissionDenied
from arrears.core.masking import mask_name
from arrears.delinquency.models import Bucket
from arrears.portfolio import selectors as portfolio_selectors
from arrears.portfolio import services as portfolio_services
from arrears.portfolio.models import Loan
from arrears.risk.templatetags.risk import level_label
from arrears.strategy.models import Segment, TreatmentPath
from arrears.strategy.selectors import CHANNEL_LABELS

PAGE_SIZE = 25
WORKBENCH_SIZE = 25  # today's queue on the workbench
OVERVIEW_SECONDS = 60  # a lead's or manager's workbench figures kept in the cache (`workbench`)
DUE_SHOWN = 50  # follow-ups listed on the workbench (the count says how many there are)
FOLLOW_UP_DAYS = 3

# The timeline's events (audit actions on a case) as people read them.
ACTION_LABELS = {
    "case.opened": gettext_lazy("Case opened"),
    "case.assigned": gettext_lazy("Assigned"),
    "case.closed": gettext_lazy("Case closed"),
    "case.transition": gettext_lazy("Stage changed"),
    "case.note": gettext_lazy("Note added"),
    "case.task": gettext_lazy("Follow-up scheduled"),
    "case.task_done": gettext_lazy("Follow-up done"),
    "case.call": gettext_lazy("Call logged"),
    "case.segment": gettext_lazy("Segment and path"),
    "case.treatment_step": gettext_lazy("Treatment step"),
    "case.placed": gettext_lazy("Placed with agency"),
    "case.recalled": gettext_lazy("Recalled from agency"),
    "case.escalation_proposed": gettext_lazy("Escalation proposed"),
    "case.contact": gettext_lazy("Contact"),
    "case.visit_planned": gettext_lazy("Field visit planned"),
}


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def business_day() -> dt.date:
    """The business date (the latest close), or today before any close."""
    from arrears.delinquency.services import business_date

    return business_date() or local_today()


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _collectors(user: User | Any) -> list[User]:
    """Whom a lead or manager may give cases to (and filter the queue by): active collectors, their team's for a
    team lead."""
    people = User.objects.filter(role=Role.COLLECTOR, is_active=True).order_by("username")
    if isinstance(user, User) and user.role == Role.TEAM_LEAD and user.team_id is not None:
        people = people.filter(team_id=user.team_id)
    return list(people)


def _borrower_name(name: str, full_pii: bool) -> str:
    return name if full_pii else mask_name(name)


# ------------------------------------------------------------------------------------------------- the queue


def queue_cases(
    user: Any, filters: dict[str, str], as_of: dt.date, *, queue: Queue | None = None
) -> QuerySet[Case]:
    """The user's visible open cases, the most pressing first: a follow-up (next action) due on or before
    `as_of`, then the close's priority (risk, amount, SLA breached: `batch.steps.cases.priority`), then total
    overdue, highest first. `breached` marks the cases past their stage's SLA."""
    cases = (
        selectors.visible_cases(user)
        .exclude(status=lifecycle.CLOSED)
        .select_related("borrower", "assigned_to", "segment", "path", "placed_with")
    )
    if query := filters.get("q"):
        # Exact IDs through primary keys: the borrower's cases, or the cases of the loan's borrower that list the
        # loan (`iexact` / `icontains` over every case's borrower and loan_ids scanned the table).
        ids = {query, query.upper()}
        borrowers = ids | set(Loan.objects.filter(loan_id__in=ids).values_list("borrower_id", flat=True))
        cases = cases.filter(borrower_id__in=borrowers).filter(
            Q(borrower_id__in=ids) | Q(loan_ids__icontains=f'"{query}"')
        )
    if filters.get("stage"):
        cases = cases.filter(status=filters["stage"])
    if filters.get("risk_level"):
        cases = cases.filter(risk_level=filters["risk_level"])
    if filters.get("bucket"):
        cases = cases.filter(bucket=filters["bucket"])
    if who := filters.get("assigned_to"):
        cases = (
            cases.filter(assigned_to__isnull=True)
            if who == "none"
            else cases.filter(assigned_to__username=who)
        )
    if filters.get("segment"):
        cases = cases.filter(segment_id=int(filters["segment"]))
    if queue is not None:
        cases = cases.filter(selectors.queue_filter(queue))
    return with_flags(cases, as_of).order_by("-action_due", "-priority", "-total_overdue", "pk")


def with_flags(cases: QuerySet[Case], as_of: dt.date) -> QuerySet[Case]:
    """`breached` (past the stage's SLA at `as_of`) and `due` (next action on or before `as_of`), computed on
    each row (the queue's order uses the stored `action_due`, which the close and follow-ups keep)."""
    late = selectors.sla_breached(as_of)
    return cases.annotate(
        breached=m.Case(
            m.When(late, then=m.Value(True)), default=m.Value(False), output_field=m.BooleanField()
        )
        if late is not None
        else m.Value(False, output_field=m.BooleanField()),
        due=m.Case(
            m.When(next_action_on__lte=as_of, then=m.Value(True)),
            default=m.Value(False),
            output_field=m.BooleanField(),
        ),
    )


class CappedPaginator(Paginator):
    """Counts at most `CAP` rows: a manager's 700,000 open cases show as "10,000+" (400 pages; a filter narrows
    them) instead of costing a count of every open case on every page."""

    CAP = 10_000

    @cached_property
    def _counted(self) -> int:
        rows: Any = self.object_list  # a QuerySet
        return int(rows.order_by()[: self.CAP + 1].count())

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.CAP)

    @property
    def capped(self) -> bool:
        return self._counted > self.CAP

    @property
    def display_count(self) -> str:
        return f"{self.CAP:,}+" if self.capped else f"{self.count:,}"


def page_of_cases(cases: QuerySet[Case], number: str | None, as_of: dt.date) -> tuple[Any, list[Case]]:
    """One page of `cases` in their order: the ids first (a narrow query the queue's index answers, also deep in
    the list), then those rows with their joins and flags."""
    paginator = CappedPaginator(cases.values_list("pk", flat=True), PAGE_SIZE)
    page = paginator.get_page(number)
    ids = list(page.object_list)
    rows = with_flags(
        Case.objects.filter(pk__in=ids).select_related(
            "borrower", "assigned_to", "segment", "path", "placed_with"
        ),
        as_of,
    )
    by_id = {case.pk: case for case in rows}
    return page, [by_id[pk] for pk in ids]


@login_required
def queue(request: HtmxHttpRequest) -> HttpResponse:
    user = request.user
    as_of = business_day()
    manages = can(user, MANAGE_CASES)
    places = can(user, PLACE_CASES)
    # the buckets of the bucket sets (a few rows), not DISTINCT over every open case
    buckets = list(dict.fromkeys(Bucket.objects.order_by("min_days", "code").values_list("code", flat=True)))
    queues = list(selectors.visible_queues(user))
    collectors = _collectors(user) if manages else None
    form = CaseFilterForm(
        request.GET,
        buckets=buckets,
        collectors=collectors,
        queues=queues,
        segments=list(Segment.objects.order_by("priority", "pk")),
    )
    filters = form.filters()
    chosen = next((q for q in queues if str(q.pk) == filters.get("queue")), None)
    page, shown = page_of_cases(
        queue_cases(user, filters, as_of, queue=chosen), request.GET.get("page"), as_of
    )
    paginator = page.paginator
    full_pii = portfolio_selectors.shows_full_pii(user)
    rows = [
        {
            "case": case,
            "borrower_name": _borrower_name(case.borrower.name, full_pii),
            "risk_label": level_label(case.risk_level) if case.risk_level else "",
        }
        for case in shown
    ]
    if full_pii:
        portfolio_services.record_full_pii_read(
            user, [case.borrower_id for case in shown], f"case queue {request.get_full_path()}"
        )
    bulk_form = None
    if manages and rows:
        bulk_form = BulkActionForm(collectors=collectors or [], agencies=_active_agencies() if places else [])
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "filtered": any(filters.values()),
        "full_pii": full_pii,
        "as_of": as_of,
        "due_today": selectors.due_tasks(_user(request), as_of).count(),
        "manages": manages,
        "places": places,
        "bulk_form": bulk_form,
    }
    template = "cases/queue.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#results"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _active_agencies() -> QuerySet[Agency]:
    return Agency.objects.filter(active=True).order_by("name")


def _back_to_queue(request: HttpRequest) -> str:
    """Where a bulk action returns: the queue as the user left it (its filters and page), never elsewhere."""
    target = request.POST.get("next", "")
    queue_url = reverse("cases")
    if target.startswith(queue_url) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return queue_url


@login_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """The queue's bulk actions on the ticked cases among those the user sees (the others are ignored): spread
    them over one or more collectors (`services.bulk_reassign`), place them with an agency (`services.place`),
    or recall them (`services.recall`). The services check the capability and the reason."""
    user = _user(request)
    if not can(user, MANAGE_CASES):
        raise PermissionDenied(_("You may not reassign cases."))
    collectors = _collectors(user)
    agencies = _active_agencies()
    form = BulkActionForm(request.POST, collectors=collectors, agencies=agencies)
    back = _back_to_queue(request)
    if not form.is_valid():
        problems = [str(e) for errors in form.errors.values() for e in errors]
        messages.error(
            request, " ".join(problems) or _("Check the form: some fields are missing or invalid.")
        )
        return redirect(back)
    data = form.cleaned_data
    cases = selectors.visible_cases(user).filter(pk__in=data["cases"])
    reason = data.get("reason") or ""
    try:
        if data["action"] == BulkActionForm.REASSIGN:
            people = [u for u in collectors if u.get_username() in set(data["collectors"])]
            n = services.bulk_reassign(cases, people, actor=user, reason=reason)
            done = ngettext(
                "%(n)s case reassigned to %(people)s.", "%(n)s cases reassigned to %(people)s.", n
            ) % {"n": n, "people": ", ".join(str(u) for u in people)}
        elif data["action"] == BulkActionForm.PLACE:
            agency = agencies.get(pk=int(data["agency"]))
            n = services.place(cases, agency, actor=user, reason=reason)
            done = ngettext(
                "%(n)s case placed with %(agency)s.", "%(n)s cases placed with %(agency)s.", n
            ) % {"n": n, "agency": agency.name}
        else:
            n = services.recall(cases, actor=user, reason=reason)
            done = ngettext("%(n)s case recalled.", "%(n)s cases recalled.", n) % {"n": n}
    except NotFound:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect(back)


# ------------------------------------------------------------------------------------------------- the workbench


@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    """A collector's day: counts, today's queue (the top of their queue), the follow-ups due; a team lead's or
    manager's also the collectors' workload and the queues. A fixed number of queries.

    A lead's or manager's overview (counts, workload, queue counts: grouped passes over up to every open case,
    0.2–0.3 s at 700,000 open cases on PostgreSQL) is kept `OVERVIEW_SECONDS` in Django's cache per user and
    business date, so it may lag the cases by that much; a collector's is read on every render."""
    user = _user(request)
    as_of = business_day()
    full_pii = portfolio_selectors.shows_full_pii(user)
    open_cases = selectors.visible_cases(user).exclude(status=lifecycle.CLOSED)
    manages = can(user, MANAGE_CASES) and user.agency_id is None

    def overview() -> dict[str, Any]:
        # one pass over the visible open cases, grouped by collector: the totals and the workload
        by_collector = selectors.open_by_collector(open_cases, as_of)
        return {
            "counts": {k: sum(row[k] for row in by_collector.values()) for k in ("open", "breached")},
            "workload": selectors.workload(user, as_of, by_collector) if manages else [],
            "queues": selectors.queue_counts(user, open_cases) if manages else [],
        }

    figures: dict[str, Any]
    if manages:
        figures = cache.get_or_set(  # type: ignore[assignment]  # never None: `overview` gives a dict
            f"cases:workbench:{user.pk}:{as_of.isoformat()}", overview, OVERVIEW_SECONDS
        )
    else:
        figures = overview()
    counts = figures["counts"]
    next_task = Task.objects.filter(case=OuterRef("pk"), done_at__isnull=True).order_by("due_on", "pk")
    top = list(
        queue_cases(user, {}, as_of).annotate(
            next_task=Subquery(next_task.values("title")[:1]),
            next_channel=Subquery(next_task.values("channel")[:1]),
        )[:WORKBENCH_SIZE]
    )
    due_tasks = (
        selectors.due_tasks(user, as_of)
        .filter(case__in=open_cases.values("pk"))
        .select_related("case__borrower")
        .order_by("due_on", "pk")
    )
    due = list(due_tasks[:DUE_SHOWN])
    due_count = len(due) if len(due) < DUE_SHOWN else due_tasks.count()
    if full_pii:
        shown = list(dict.fromkeys([c.borrower_id for c in top] + [t.case.borrower_id for t in due]))
        portfolio_services.record_full_pii_read(user, shown, "workbench")
    context = {
        "as_of": as_of,
        "full_pii": full_pii,
        "counts": {**counts, "due": due_count},
        "rows": [
            {
                "case": case,
                "borrower_name": _borrower_name(case.borrower.name, full_pii),
                "risk_label": level_label(case.risk_level) if case.risk_level else "",
                "channel_label": CHANNEL_LABELS.get(case.next_channel or "", ""),
            }
            for case in top
        ],
        "due_tasks": [
            {
                "task": task,
                "borrower_name": _borrower_name(task.case.borrower.name, full_pii),
                "channel_label": CHANNEL_LABELS.get(task.channel, task.channel),
                "overdue": task.due_on < as_of,
            }
            for task in due
        ],
        "manages": manages,
        "workload": figures["workload"],
        "queues": figures["queues"],
        "sees_all": can(user, VIEW_ALL_PORTFOLIOS),
    }
    return render(request, "cases/workbench.html", context)


# ------------------------------------------------------------------------------------------------- the case


def _targets(user: Any, case: Case) -> list[lifecycle.Transition]:
    """The next stages the user may move the case to."""
    return [t for t in lifecycle.allowed_from(case.status) if can(user, t.capability)]


def _contact_detail(after: dict[str, Any]) -> str:
    """A contact on the timeline (`contact.services`): channel · party · its outcome or status."""
    channel = after.get("channel", "")
    parts = [str(CONTACT_CHANNELS.get(channel, channel))]
    if after.get("party"):
        parts.append(str(PARTY_LABELS.get(after["party"], after["party"])))
    if after.get("delivered_on"):
        parts.append(_("delivered on %(day)s") % {"day": after["delivered_on"]})
    elif after.get("status"):
        parts.append(str(dict(Message.Status.choices).get(after["status"], after["status"])))
    elif after.get("outcome"):
        labels = VISIT_OUTCOME_LABELS if channel == "visit" else CONTACT_OUTCOMES
        parts.append(str(labels.get(after["outcome"], after["outcome"])))
    return " · ".join(p for p in parts if p)


def _timeline(case: Case, tasks: list[Task], *, full_pii: bool = False) -> list[dict[str, Any]]:
    """The case's audit events, newest first, with labels and a one-line detail each. A call logged through
    `contact.services.log_call` writes a contact and, for the debtor, the case's own "call" event: they show as
    one (the contact, with the call's note)."""
    events = selectors.timeline(case)
    merged: set[int] = set()
    notes: dict[int, str] = {}
    for i, event in enumerate(events[1:], start=1):
        before_it = events[i - 1]
        contact = before_it["after"] if isinstance(before_it["after"], dict) else {}
        call = event["after"] if isinstance(event["after"], dict) else {}
        if (
            event["action"] == "case.call"
            and before_it["action"] == "case.contact"
            and contact.get("channel") == "call"
            and contact.get("outcome") == call.get("outcome")
            and before_it["by"] == event["by"]
        ):
            merged.add(i)
            notes[i - 1] = event["note"]
    user_ids: set[int] = {
        int(e["after"]["assigned_to"])
        for e in events
        if isinstance(e["after"], dict) and e["after"].get("assigned_to") is not None
    }
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=user_ids)} if user_ids else {}
    moves = [e["after"] for e in events if e["action"] == "case.segment" and isinstance(e["after"], dict)]
    segment_ids = {int(a["segment"]) for a in moves if a.get("segment") is not None}
    path_ids = {int(a["path"]) for a in moves if a.get("path") is not None}
    segments = (
        dict(Segment.objects.filter(pk__in=segment_ids).values_list("pk", "name")) if segment_ids else {}
    )
    paths = dict(TreatmentPath.objects.filter(pk__in=path_ids).values_list("pk", "name")) if path_ids else {}
    titles = {t.pk: t.title for t in tasks}
    assignees = {t.pk: str(t.assigned_to) for t in tasks}
    rows = []
    for index in range(len(events) - 1, -1, -1):
        if index in merged:
            continue
        event = events[index]
        after = event["after"] if isinstance(event["after"], dict) else {}
        before = event["before"] if isinstance(event["before"], dict) else {}
        action = event["action"]
        detail = ""
        kind = action.removeprefix("case.")
        if action == "case.transition":
            detail = (
                f"{lifecycle.STATE_LABELS.get(before.get('status', ''), before.get('status', ''))} → "
                + str(lifecycle.STATE_LABELS.get(after.get("status", ""), after.get("status", "")))
            )
            if after.get("reason"):
                detail += f" ({lifecycle.CLOSED_REASONS.get(after['reason'], after['reason'])})"
        elif action == "case.opened":
            detail = ", ".join(after.get("loans") or [])
        elif action == "case.closed":
            detail = str(lifecycle.CLOSED_REASONS.get(after.get("reason", ""), after.get("reason", "")))
        elif action == "case.assigned":
            detail = names.get(int(after.get("assigned_to") or 0), str(after.get("assigned_to", "")))
        elif action == "case.task":
            detail = f"{after.get('title', '')} · {after.get('due_on', '')}"
        elif action == "case.task_done":
            detail = titles.get(int(after.get("task") or 0), "")
        elif action == "case.call":
            outcome = after.get("outcome", "")
            detail = str(CALL_OUTCOME_LABELS.get(outcome, outcome))
        elif action == "case.segment":
            segment = segments.get(int(after["segment"])) if after.get("segment") is not None else None
            path = paths.get(int(after["path"])) if after.get("path") is not None else None
            detail = " → ".join(str(x) for x in (segment or _("no segment"), path) if x)
        elif action == "case.treatment_step":
            channel = after.get("channel", "")
            detail = str(CHANNEL_LABELS.get(channel, channel))
            if after.get("template"):
                detail += f": {after['template']}"
            if after.get("escalation"):
                stage = after["escalation"]
                detail += f" → {lifecycle.STATE_LABELS.get(stage, stage)}"
        elif action == "case.placed":
            detail = str(after.get("placed_with", ""))
        elif action == "case.recalled":
            detail = str(before.get("placed_with", ""))
        elif action == "case.escalation_proposed":  # the reason is the event's note; say who decides
            to = assignees.get(int(after.get("task") or 0))
            detail = _("to %(name)s") % {"name": to} if to else ""
        elif action == "case.contact":
            detail = _contact_detail(after)
            if after.get("channel"):
                kind += f" case-event-{after['channel']}"
        elif action == "case.visit_planned":
            when = after.get("planned_for", "")
            with contextlib.suppress(TypeError, ValueError):
                when = timezone.localtime(dt.datetime.fromisoformat(when)).strftime("%Y-%m-%d %H:%M")
            place = str(after.get("place", ""))
            if not full_pii:
                from arrears.contact.views import mask_address

                place = mask_address(place, False)
            detail = " · ".join(str(x) for x in (when, place) if x)
        rows.append(
            {
                "at": dt.datetime.fromisoformat(event["at"]),
                "action": action,
                "kind": kind,
                "label": ACTION_LABELS.get(action, action),
                "detail": detail,
                "by": event["by"],
                "note": notes.get(index, "")
                or (event["note"] if action != "case.note" or not detail else ""),
            }
        )
    return rows


def _strategy(case: Case) -> dict[str, Any]:
    """Where the case is on its treatment path: the step due next (n of m, its channel and template, when) or
    that the path is done."""
    path = case.path
    steps: list[dict[str, Any]] = list(path.steps) if path is not None else []
    step_no = case.path_step
    upcoming = steps[step_no] if step_no is not None and 0 <= step_no < len(steps) else None
    return {
        "segment": case.segment,
        "path": path,
        "steps": len(steps),
        "step": step_no + 1 if upcoming is not None and step_no is not None else None,
        "done": path is not None and upcoming is None,
        "channel": str(CHANNEL_LABELS.get(upcoming["channel"], upcoming["channel"])) if upcoming else "",
        "template": upcoming.get("template", "") if upcoming else "",
        "next_step_on": case.next_step_on if upcoming else None,
        "last_contact_on": case.last_contact_on,
    }


def _loans(user: Any, case: Case) -> list[dict[str, Any]]:
    """The case's loans in its order; the ones the user may open carry their status (dpd, bucket, total due,
    risk grade)."""
    visible = {
        loan.loan_id: loan
        for loan in visible_loans(user).filter(loan_id__in=list(case.loan_ids)).select_related("status_row")
    }
    rows = []
    for loan_id in case.loan_ids:
        loan = visible.get(loan_id)
        status = None
        if loan is not None:
            from arrears.delinquency.selectors import current_status

            status = current_status(loan)
        rows.append({"loan_id": loan_id, "loan": loan, "status": status})
    return rows


def _render_case(
    request: HttpRequest, case: Case, bound: dict[str, Any] | None = None, *, status: int = 200
) -> HttpResponse:
    user = request.user
    as_of = business_day()
    full_pii = portfolio_selectors.shows_full_pii(user)
    borrower = case.borrower
    if full_pii:
        portfolio_services.record_full_pii_read(user, [borrower.borrower_id], f"case {case.pk}")
    tasks = list(case.tasks.select_related("assigned_to"))
    manages = can(user, MANAGE_CASES)
    places = can(user, PLACE_CASES) and case.is_open
    targets = _targets(user, case) if case.is_open else []
    placement = (
        case.placements.filter(recalled_on__isnull=True).select_related("placed_by").first()
        if case.placed_with_id is not None
        else None
    )
    context: dict[str, Any] = {
        "case": case,
        "borrower": borrower,
        "borrower_name": _borrower_name(borrower.name, full_pii),
        "full_pii": full_pii,
        "as_of": as_of,
        "sla_breached": case.is_open
        and selectors.sla_breaches(Case.objects.filter(pk=case.pk), as_of).exists(),
        "action_due": case.next_action_on is not None and case.next_action_on <= as_of,
        "risk_label": level_label(case.risk_level) if case.risk_level else "",
        "loans": _loans(user, case),
        "timeline": _timeline(case, tasks, full_pii=full_pii),
        "notes": list(case.notes.select_related("author")),
        "open_tasks": [t for t in tasks if t.done_at is None],
        "manages": manages,
        "strategy": _strategy(case),
        "placement": placement,
        "transition_form": TransitionForm(targets=targets) if targets else None,
        "note_form": NoteForm(),
        "task_form": TaskForm(default_due=max(as_of, case.as_of) + dt.timedelta(days=FOLLOW_UP_DAYS)),
        "escalation_form": EscalationForm(),
        "promise_form": PromiseForm(),
        "promises": list(case.promises.filter(status="open").prefetch_related("installments")),
        "reassign_form": ReassignForm(collectors=_collectors(user)) if manages and case.is_open else None,
        "place_form": PlaceForm(agencies=_active_agencies()) if places and placement is None else None,
        "recall_form": RecallForm() if places and case.placed_with_id is not None else None,
    }
    from arrears.contact.views import case_panel  # the contact app builds on the cases app, not the reverse

    context.update(case_panel(request, case, full_pii=full_pii))
    from arrears.negotiation.views import case_panel as negotiation_panel

    context.update(negotiation_panel(request, case, full_pii=full_pii))
    context.update(bound or {})
    return render(request, "cases/case_detail.html", context, status=status)


@login_required
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = selectors.get_case(request.user, case_id)
    return _render_case(request, case)


def _act(
    request: HttpRequest, case: Case, name: str, form: forms.Form, action: Callable[[dict[str, Any]], str]
) -> HttpResponse:
    """Run `action` with the form's cleaned data: its message and back to the case, or the case again with the
    form as it was and the reason it was refused."""
    if form.is_valid():
        try:
            done = action(form.cleaned_data)
        except NotFound:
            raise
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, done)
            return redirect("case_detail", case_id=case.pk)
    else:
        messages.error(request, _("Check the form: some fields are missing or invalid."))
    return _render_case(request, case, {name: form}, status=400)


@login_required
@require_POST
def transition(request: HttpRequest, case_id: int) -> HttpResponse:
    case = selectors.get_case(request.user, case_id)
    form = TransitionForm(request.POST, targets=_targets(request.user, case))

    def act(data: dict[str, Any]) -> str:
        moved = services.transition(
            case,
            data["target"],
            actor=_user(request),
            reason=data.get("reason", ""),
            closed_reason=data.get("closed_reason", "") or "",
        )
        return _("The case is now in stage %(stage)s.") % {"stage": moved.get_status_display()}

    return _act(request, case, "transition_form", form, act)


@login_required
@require_POST
def add_note(request: HttpRequest, case_id: int) -> HttpResponse:
    case = selectors.get_case(request.user, case_id)

    def act(data: dict[str, Any]) -> str:
        services.add_note(case, data["text"], actor=_user(request))
        return _("Note added.")

    return _act(request, case, "note_form", NoteForm(request.POST), act)


@login_required
@require_POST
def add_task(request: HttpRequest, case_id: int) -> HttpResponse:
    case = selectors.get_case(request.user, case_id)

    def act(data: dict[str, Any]) -> str:
        task = services.add_task(case, data["title"], data["due_on"], actor=_user(request))
        return _("Follow-up scheduled for %(day)s.") % {"day": task.due_on.isoformat()}

    return _act(request, case, "task_form", TaskForm(request.POST), act)


@login_required
@require_POST
def complete_task(request: HttpRequest, case_id: int, task_id: int) -> HttpResponse:
    case = selectors.get_case(request.user, case_id)
    task = case.tasks.filter(pk=task_id).select_related("case").first()
    if task is None:
        raise NotFound(f"task {task_id} of case {case_id} not found", task_id=task_id)
    try:
        services.complete_task(task, actor=_user(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Follow-up done: %(title)s.") % {"title": task.title})
    return redirect("case_detail", case_id=case.pk)


@login_required
@require_POST
def reassign(request: HttpRequest, case_id: int) -> HttpResponse:
    case = selectors.get_case(request.user, case_id)
    collectors = _collectors(request.user)
    form = ReassignForm(request.POST, collectors=collectors)

    def act(data: dict[str, Any]) -> str:
        to = next(u for u in collectors if u.get_username() == data["username"])
        services.reassign(case, to, actor=_user(request), reason=data["reason"])
        return _("The case is now assigned to %(name)s.") % {"name": str(to)}

    return _act(request, case, "reassign_form", form, act)


@login_required
@require_POST
def log_call(request: HttpRequest, case_id: int) -> HttpResponse:
    """The call log moved to the contact app (`contact.views.log_call`: the number, the party, the recording,
    the evidence log); this address stays for links and scripts that post here."""
    from arrears.contact.views import log_call as contact_log_call

    return contact_log_call(request, case_id)


@login_required
@require_POST
def add_promise(request: HttpRequest, case_id: int) -> HttpResponse:
    """A promise to pay from the case view (`negotiation.services.make_promise`): judged by the close."""
    from arrears.negotiation.services import make_promise

    case = selectors.get_case(request.user, case_id)

    def act(data: dict[str, Any]) -> str:
        fen = int(data["amount"] * 100)
        make_promise(case, [(data["due_on"], fen)], actor=_user(request), note=data.get("note") or "")
        return _("Promise recorded: %(amount)s yuan by %(day)s.") % {
            "amount": data["amount"],
            "day": data["due_on"],
        }

    return _act(request, case, "promise_form", PromiseForm(request.POST), act)


@login_required
@require_POST
def propose_escalation(request: HttpRequest, case_id: int) -> HttpResponse:
    case = selectors.get_case(request.user, case_id)

    def act(data: dict[str, Any]) -> str:
        task = services.propose_escalation(case, data["reason"], actor=_user(request))
        return _("Escalation proposed to %(name)s.") % {"name": str(task.assigned_to)}

    return _act(request, case, "escalation_form", EscalationForm(request.POST), act)


@login_required
@require_POST
def place(request: HttpRequest, case_id: int) -> HttpResponse:
    case = selectors.get_case(request.user, case_id)
    agencies = _active_agencies()

    def act(data: dict[str, Any]) -> str:
        agency = agencies.get(pk=int(data["agency"]))
        services.place(
            selectors.visible_cases(request.user).filter(pk=case.pk),
            agency,
            actor=_user(request),
            reason=data.get("reason") or "",
        )
        return _("The case is placed with %(agency)s.") % {"agency": agency.name}

    return _act(request, case, "place_form", PlaceForm(request.POST, agencies=agencies), act)


@login_required
@require_POST
def recall(request: HttpRequest, case_id: int) -> HttpResponse:
    case = selectors.get_case(request.user, case_id)

    def act(data: dict[str, Any]) -> str:
        services.recall(
            selectors.visible_cases(request.user).filter(pk=case.pk),
            actor=_user(request),
            reason=data["reason"],
        )
        return _("The case is recalled from its agency.")

    return _act(request, case, "recall_form", RecallForm(request.POST), act)
