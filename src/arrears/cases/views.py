"""Case pages (issue 5): the collector's queue and the case view with its quick actions.

Every read starts from `cases.selectors.visible_cases` (a case the user may not see is a 404, as one that does not
exist, for the page and for every action); every write goes through `cases.services`. Actions are small POST
forms: success redirects back to the case (POST/redirect/GET); a refused one re-renders the case with the input
kept and the service's message."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import models as m
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails

from arrears.accounts.models import Role, User
from arrears.accounts.roles import MANAGE_CASES, can
from arrears.accounts.selectors import visible_loans
from arrears.cases import lifecycle, selectors, services
from arrears.cases.forms import CaseFilterForm, NoteForm, ReassignForm, TaskForm, TransitionForm
from arrears.cases.models import Case, Task
from arrears.core.dates import local_today
from arrears.core.errors import DomainError, NotFound
from arrears.core.masking import mask_name
from arrears.portfolio import selectors as portfolio_selectors
from arrears.portfolio import services as portfolio_services
from arrears.risk.templatetags.risk import level_label

PAGE_SIZE = 25
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


def queue_cases(user: Any, filters: dict[str, str], as_of: dt.date) -> QuerySet[Case]:
    """The user's visible open cases, the most pressing first: SLA breached, then next action due on or before
    `as_of`, then risk score and total overdue, highest first."""
    cases = selectors.visible_cases(user).exclude(status=lifecycle.CLOSED).select_related("borrower")
    if query := filters.get("q"):
        cases = cases.filter(Q(borrower__borrower_id__iexact=query) | Q(loan_ids__icontains=f'"{query}"'))
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
    late = selectors.sla_breaches(Case.objects.exclude(status=lifecycle.CLOSED), as_of).values("pk")
    return cases.annotate(
        breached=m.Case(
            m.When(pk__in=late, then=m.Value(True)), default=m.Value(False), output_field=m.BooleanField()
        ),
        due=m.Case(
            m.When(next_action_on__lte=as_of, then=m.Value(True)),
            default=m.Value(False),
            output_field=m.BooleanField(),
        ),
    ).order_by("-breached", "-due", F("risk_score").desc(nulls_last=True), "-total_overdue", "pk")


@login_required
def queue(request: HtmxHttpRequest) -> HttpResponse:
    user = request.user
    as_of = business_day()
    manages = can(user, MANAGE_CASES)
    open_cases = selectors.visible_cases(user).exclude(status=lifecycle.CLOSED)
    buckets = sorted(
        b for b in open_cases.exclude(bucket="").order_by().values_list("bucket", flat=True).distinct() if b
    )
    form = CaseFilterForm(request.GET, buckets=buckets, collectors=_collectors(user) if manages else None)
    filters = form.filters()
    paginator = Paginator(queue_cases(user, filters, as_of), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    full_pii = portfolio_selectors.shows_full_pii(user)
    rows = [
        {
            "case": case,
            "borrower_name": _borrower_name(case.borrower.name, full_pii),
            "risk_label": level_label(case.risk_level) if case.risk_level else "",
        }
        for case in page.object_list
    ]
    if full_pii:
        portfolio_services.record_full_pii_read(
            user, [case.borrower_id for case in page.object_list], f"case queue {request.get_full_path()}"
        )
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
    }
    template = "cases/queue.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#results"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


# ------------------------------------------------------------------------------------------------- the case


def _targets(user: Any, case: Case) -> list[lifecycle.Transition]:
    """The next stages the user may move the case to."""
    return [t for t in lifecycle.allowed_from(case.status) if can(user, t.capability)]


def _timeline(case: Case, tasks: list[Task]) -> list[dict[str, Any]]:
    """The case's audit events, newest first, with labels and a one-line detail each."""
    events = selectors.timeline(case)
    user_ids: set[int] = {
        int(e["after"]["assigned_to"])
        for e in events
        if isinstance(e["after"], dict) and e["after"].get("assigned_to") is not None
    }
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=user_ids)} if user_ids else {}
    titles = {t.pk: t.title for t in tasks}
    rows = []
    for event in reversed(events):
        after = event["after"] if isinstance(event["after"], dict) else {}
        before = event["before"] if isinstance(event["before"], dict) else {}
        action = event["action"]
        detail = ""
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
        rows.append(
            {
                "at": dt.datetime.fromisoformat(event["at"]),
                "action": action,
                "label": ACTION_LABELS.get(action, action),
                "detail": detail,
                "by": event["by"],
                "note": event["note"] if action != "case.note" or not detail else "",
            }
        )
    return rows


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
    request: HttpRequest, case: Case, bound: dict[str, forms.Form] | None = None, *, status: int = 200
) -> HttpResponse:
    user = request.user
    as_of = business_day()
    full_pii = portfolio_selectors.shows_full_pii(user)
    borrower = case.borrower
    if full_pii:
        portfolio_services.record_full_pii_read(user, [borrower.borrower_id], f"case {case.pk}")
    tasks = list(case.tasks.select_related("assigned_to"))
    manages = can(user, MANAGE_CASES)
    targets = _targets(user, case) if case.is_open else []
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
        "timeline": _timeline(case, tasks),
        "notes": list(case.notes.select_related("author")),
        "open_tasks": [t for t in tasks if t.done_at is None],
        "manages": manages,
        "transition_form": TransitionForm(targets=targets) if targets else None,
        "note_form": NoteForm(),
        "task_form": TaskForm(default_due=max(as_of, case.as_of) + dt.timedelta(days=FOLLOW_UP_DAYS)),
        "reassign_form": ReassignForm(collectors=_collectors(user)) if manages and case.is_open else None,
    }
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
