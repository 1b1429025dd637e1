"""Negotiation pages (issue 7): the case view's negotiation card (a waiver, a settlement and a repayment plan with
a live check of what it gives up and whether it is within the user's own authority; the case's requests and plans
with their actions), the approval queue, a plan's page, and the manager's dashboard with its CSV.

Every read starts from `cases.selectors.visible_cases` (a request, plan or case the user may not see is a 404, as
one that does not exist); every write goes through `negotiation.services`, whose refusals (`DomainError`) are shown
next to the form, with nothing changed."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from arrears.accounts.models import Role, User
from arrears.accounts.roles import MANAGE_CASES, VIEW_AUDIT, WORK_CASES, can, can_any, require_any
from arrears.audit import services as audit
from arrears.cases import selectors as case_selectors
from arrears.cases.models import Case
from arrears.core.dates import local_today
from arrears.core.errors import DomainError, NotFound
from arrears.core.masking import mask_name
from arrears.core.money import display_fen, format_fen
from arrears.negotiation import services
from arrears.negotiation.forms import (
    ApprovalFilterForm,
    DecisionForm,
    PeriodForm,
    PlanForm,
    ReasonForm,
    SettlementForm,
    SignForm,
    WaiverForm,
)
from arrears.negotiation.models import COMPONENTS, REASONS, Concession, RepaymentPlan
from arrears.portfolio import selectors as portfolio_selectors
from arrears.portfolio import services as portfolio_services

PAGE_SIZE = 20
MAX_SIGNED_COPY = 20 * 1024 * 1024  # bytes
DASHBOARD_DAYS = 30
SETTLE_DAYS = 14  # the settlement form's default pay-by date: the business date + this
PLAN_FIRST_DUE_DAYS = 15  # the plan form's default first due date: the business date + this
REASON_LABELS = dict(REASONS)
ROLE_LABELS = dict(Role.choices)
LABELS = services.COMPONENT_LABELS
# statuses in which a request may still be withdrawn (`services.cancel`)
OPEN_STATUSES = (Concession.Status.PENDING, Concession.Status.APPROVED)
KIND_SHORT = {
    "waiver": gettext_lazy("Waiver"),
    "settlement": gettext_lazy("Settlement"),
    "plan": gettext_lazy("Repayment plan"),
}


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def business_day() -> dt.date:
    from arrears.batch.runner import latest_closed

    return latest_closed() or local_today()


# ------------------------------------------------------------------------------------------------- reads


def visible_concessions(user: Any) -> QuerySet[Concession]:
    """The requests on the cases the user may see."""
    return Concession.objects.filter(case_id__in=case_selectors.visible_cases(user).values("pk"))


def get_concession(user: Any, concession_id: int) -> Concession:
    found = (
        visible_concessions(user)
        .filter(pk=concession_id)
        .select_related("case", "loan", "requested_by")
        .first()
    )
    if found is None:
        raise NotFound(f"request {concession_id} not found", concession_id=concession_id)
    return found


def get_plan(user: Any, plan_id: int) -> RepaymentPlan:
    found = (
        RepaymentPlan.objects.filter(pk=plan_id, concession__in=visible_concessions(user))
        .select_related("concession__case__borrower", "concession__requested_by", "signed_copy")
        .first()
    )
    if found is None:
        raise NotFound(f"plan {plan_id} not found", plan_id=plan_id)
    return found


def owing_by_loan(loan_ids: list[str]) -> dict[str, dict[str, int]]:
    """What each loan owes now by component (the close's status, one query): the components a waiver or
    settlement judges (`services.outstanding_of`: all outstanding principal), and `overdue_principal`,
    `future_principal` and `total` for plans and display. A loan without a status is missing."""
    from arrears.delinquency.models import LoanStatus

    rows = {}
    for s in LoanStatus.objects.filter(loan_id__in=loan_ids):
        parts = {"penalty": s.penalty_interest, "interest": s.overdue_interest, "fee": s.overdue_fees,
                 "principal": s.outstanding_principal}  # fmt: skip
        rows[s.loan_id] = parts | {
            "overdue_principal": s.overdue_principal,
            "future_principal": s.outstanding_principal - s.overdue_principal,
            "overdue": s.penalty_interest + s.overdue_interest + s.overdue_fees + s.overdue_principal,
            "total": sum(parts.values()),
        }
    return rows


class Limits:
    """The authority matrix versions in force, read once per date (a page judges many requests)."""

    def __init__(self) -> None:
        self._by_date: dict[dt.date, dict[tuple[str, str], Any]] = {}

    def at(self, as_of: dt.date) -> dict[tuple[str, str], Any]:
        if as_of not in self._by_date:
            self._by_date[as_of] = services.limits_in_force(as_of)
        return self._by_date[as_of]

    def judge(self, role: str, concession: Concession) -> tuple[bool, int]:
        """What `role` may approve of `concession` (`services.authority_of`, the matrix read once per date)."""
        return services.authority_of(role, concession, self.at(concession.as_of))


def authority_rows(role: str, limits: dict[tuple[str, str], Any]) -> list[dict[str, Any]]:
    """A role's own limits, as people read them: per component the share of what is outstanding, the cap and the
    approvers it takes."""
    labels = {**LABELS, "plan": gettext_lazy("Repayment plans (amount)")}
    rows = []
    for component in [*COMPONENTS, "plan"]:
        limit = limits.get((role, component))
        rows.append(
            {
                "component": component,
                "label": labels[component],
                "allowed": limit is not None,
                "share": limit.max_share if limit is not None else None,
                "cap": limit.max_amount if limit is not None else None,
                "approvers": limit.approvers if limit is not None else None,
            }
        )
    return rows


def _verdict(allowed: bool, approvers: int) -> dict[str, Any]:
    if allowed and approvers == 1:
        return {"at_once": True, "text": _("Within your authority: it takes effect at once.")}
    if allowed:
        return {"at_once": False, "text": _("Needs %(n)s approvers, not you.") % {"n": approvers}}
    return {"at_once": False, "text": _("Above your authority: it goes to the approval queue.")}


def _split_rows(amounts: dict[str, int], outstanding: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"label": LABELS[c], "amount": amounts.get(c, 0), "outstanding": int(outstanding.get(c, 0) or 0)}
        for c in COMPONENTS
        if amounts.get(c, 0) or outstanding.get(c, 0)
    ]


def _schedule_rows(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "rows": rows,
        "principal": sum(r["principal"] for r in rows),
        "interest": sum(r["interest"] for r in rows),
        "total": sum(r["total"] for r in rows),
    }


def describe(
    concessions: list[Concession], user: User, limits: Limits, *, full_pii: bool
) -> list[dict[str, Any]]:
    """What a page shows of each request: what is given up against what was outstanding, the plan and its
    schedule, the decisions so far, and what this user may do with it (never decide their own)."""
    rows = []
    for c in concessions:
        plan: RepaymentPlan | None = getattr(c, "plan", None) if c.kind == Concession.Kind.PLAN else None
        approvals = list(c.approvals.all())
        own = c.requested_by_id == user.pk
        decided = any(a.approver_id == user.pk for a in approvals)
        allowed, approvers = limits.judge(user.role, c) if not own else (False, 0)
        pending = c.status == Concession.Status.PENDING
        borrower = c.case.borrower
        rows.append(
            {
                "c": c,
                "plan": plan,
                "kind_label": KIND_SHORT.get(c.kind, c.kind),
                "reason_label": REASON_LABELS.get(c.reason, c.reason),
                "borrower_name": borrower.name if full_pii else mask_name(borrower.name),
                "split": _split_rows(c.amounts, c.outstanding) if c.kind != Concession.Kind.PLAN else [],
                "owed": sum(int(v or 0) for k, v in c.outstanding.items() if k in COMPONENTS),
                "schedule": _schedule_rows(plan.schedule) if plan is not None else None,
                "approvals": approvals,
                "approved_count": sum(1 for a in approvals if a.approved),
                "approvers_needed": approvers if allowed else None,
                "own": own,
                "may_approve": pending and not own and not decided and allowed,
                "may_reject": pending and not own and not decided and (allowed or can(user, MANAGE_CASES)),
                "decided_by_me": decided,
                "may_cancel": c.status in OPEN_STATUSES
                and c.signed_copy_id is None
                and (own or can(user, MANAGE_CASES)),
                "may_reverse": c.kind == Concession.Kind.WAIVER
                and c.status == Concession.Status.POSTED
                and can(user, MANAGE_CASES),
                "has_agreement": c.kind != Concession.Kind.WAIVER and c.status in ("approved", "posted"),
                "may_sign": plan is not None
                and plan.status == RepaymentPlan.Status.APPROVED
                and can(user, WORK_CASES),
                "may_sign_settlement": c.kind == Concession.Kind.SETTLEMENT
                and c.status == Concession.Status.APPROVED
                and c.signed_copy_id is None
                and can(user, WORK_CASES),
                "may_refresh": plan is not None
                and plan.status in (RepaymentPlan.Status.PROPOSED, RepaymentPlan.Status.APPROVED)
                and can(user, WORK_CASES),
            }
        )
    return rows


def _with_joins(concessions: QuerySet[Concession]) -> QuerySet[Concession]:
    return concessions.select_related("case__borrower", "requested_by", "plan").prefetch_related(
        "approvals__approver"
    )


# ------------------------------------------------------------------------------------------------- the case view


def case_panel(request: HttpRequest, case: Case, *, full_pii: bool) -> dict[str, Any]:
    """The case view's negotiation context (`cases.views._render_case`): the forms (for those who work cases, on
    an open case), what each loan owes, the user's own authority, and the case's requests and plans. A fixed
    number of queries."""
    user = request.user
    as_of = case.as_of
    loan_ids = list(case.loan_ids)
    acts = can(user, WORK_CASES) and case.is_open
    context: dict[str, Any] = {
        "nego_acts": acts,
        "nego_owing": [],
        "nego_authority": [],
        "nego_requests": [],
        "nego_next": reverse("case_detail", args=[case.pk]) + "#case-negotiation",
    }
    if isinstance(user, User):
        limits = Limits()
        context["nego_requests"] = describe(
            list(_with_joins(case.concessions.all())), user, limits, full_pii=full_pii
        )
        if acts:
            context["nego_authority"] = authority_rows(user.role, limits.at(as_of))
    if acts:
        owing = owing_by_loan(loan_ids)
        context["nego_owing"] = [{"loan_id": loan, **owing[loan]} for loan in loan_ids if loan in owing]
        context["waiver_form"] = WaiverForm(loan_ids=loan_ids)
        context["settlement_form"] = SettlementForm(
            loan_ids=loan_ids, default_by=as_of + dt.timedelta(days=SETTLE_DAYS)
        )
        context["plan_form"] = PlanForm(
            loan_ids=loan_ids, default_first_due=as_of + dt.timedelta(days=PLAN_FIRST_DUE_DAYS)
        )
        context["sign_form"] = SignForm()
    return context


def _rerender(request: HttpRequest, case: Case, name: str, form: Any) -> HttpResponse:
    # the case view is the cases app's; its negotiation card ours
    from arrears.cases.views import _render_case

    return _render_case(request, case, {name: form, "nego_open": name}, status=400)


def _request(request: HttpRequest, case: Case, name: str, form: Any, action: Any) -> HttpResponse:
    """Run `action(case, cleaned_data)` → the message and back to the case's negotiation card; refused, the case
    again with the form as it was and the service's reason inside it."""
    if form.is_valid():
        try:
            done = action(case, form.cleaned_data)
        except NotFound:
            raise
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, done)
            return redirect(reverse("case_detail", args=[case.pk]) + "#case-negotiation")
    return _rerender(request, case, name, form)


def _outcome(concession: Concession) -> str:
    if concession.status == Concession.Status.POSTED:
        return _("Within your authority: posted.")
    if concession.status == Concession.Status.APPROVED:
        return _("Within your authority: approved.")
    return _("Sent for approval.")


@login_required
@require_POST
def request_waiver(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_selectors.get_case(request.user, case_id)
    form = WaiverForm(request.POST, loan_ids=list(case.loan_ids))

    def act(case: Case, data: dict[str, Any]) -> str:
        c = services.request_waiver(case, data["loan"], form.amounts(), actor=_user(request), note=data["note"],
                                    reason=data["reason"])  # fmt: skip
        return _("Waiver of %(amount)s yuan on %(loan)s: %(outcome)s") % {
            "amount": display_fen(c.total),
            "loan": c.loan_id,
            "outcome": _outcome(c),
        }

    return _request(request, case, "waiver_form", form, act)


@login_required
@require_POST
def request_settlement(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_selectors.get_case(request.user, case_id)
    form = SettlementForm(request.POST, loan_ids=list(case.loan_ids))

    def act(case: Case, data: dict[str, Any]) -> str:
        c = services.request_settlement(case, data["loan"], settle_amount=data["settle_amount"],
                                        settle_by=data["settle_by"], actor=_user(request), note=data["note"],
                                        reason=data["reason"])  # fmt: skip
        return _("Settlement of %(amount)s yuan by %(day)s on %(loan)s: %(outcome)s") % {
            "amount": display_fen(c.settle_amount),
            "day": c.settle_by,
            "loan": c.loan_id,
            "outcome": _outcome(c),
        }

    return _request(request, case, "settlement_form", form, act)


@login_required
@require_POST
def propose_plan(request: HttpRequest, case_id: int) -> HttpResponse:
    case = case_selectors.get_case(request.user, case_id)
    form = PlanForm(request.POST, loan_ids=list(case.loan_ids))

    def act(case: Case, data: dict[str, Any]) -> str:
        plan = services.propose_plan(case, data["loan"], actor=_user(request), note=data["note"],
                                     reason=data["reason"], **form.terms())  # fmt: skip
        return _("Repayment plan of %(amount)s yuan in %(n)s installments on %(loan)s: %(outcome)s") % {
            "amount": display_fen(plan.amount), "n": plan.installments, "loan": plan.concession.loan_id,
            "outcome": _outcome(plan.concession),
        }  # fmt: skip

    return _request(request, case, "plan_form", form, act)


def preview_plan(case: Case, loan_id: str, terms: dict[str, Any]) -> dict[str, Any]:
    """The schedule a plan on these terms would have now (nothing is written): the amount restructured from the
    loan's status (`services.plan_components`) and the rows from `plans.schedule`, checked against the negotiation
    policy in force exactly as `services.propose_plan` checks them."""
    if loan_id not in case.loan_ids:
        raise DomainError(_("Loan %(loan)s is not part of this case.") % {"loan": loan_id})
    from arrears.portfolio.models import Loan

    parts = services.plan_components(loan_id, terms["scope"])
    amount = sum(parts.values())
    if amount <= 0:
        raise DomainError(_("Nothing is owed on loan %(loan)s to put into a plan.") % {"loan": loan_id})
    rows = services.plan_schedule(
        Loan.objects.get(pk=loan_id), amount, installments=terms["installments"], first_due=terms["first_due"],
        annual_rate=terms["annual_rate"], down_payment=terms["down_payment"], as_of=case.as_of,
    )  # fmt: skip
    return {"amount": amount, "components": parts, **_schedule_rows(rows)}


def _form_problems(form: Any, ignore: tuple[str, ...] = ("note", "reason")) -> list[str]:
    return [str(e) for name, errors in form.errors.items() if name not in ignore for e in errors]


@login_required
@require_POST
def check(request: HttpRequest, case_id: int, kind: str) -> HttpResponse:
    """The live check beside a form (HTMX, nothing written): for a waiver, what it gives up against what is
    outstanding and whether it posts at once; for a settlement, the discount and its split; for a plan, the
    schedule. Problems are said in the same words the service would use."""
    case = case_selectors.get_case(request.user, case_id)
    user = _user(request)
    loan_ids = list(case.loan_ids)
    context: dict[str, Any] = {"kind": kind, "problems": []}
    limits = services.limits_in_force(case.as_of)
    try:
        if kind == "waiver":
            form: Any = WaiverForm(request.POST, loan_ids=loan_ids)
            form.is_valid()
            context["problems"] = _form_problems(form)
            if not context["problems"]:
                amounts = form.amounts()
                outstanding = services.outstanding_of(form.cleaned_data["loan"])
                over = [c for c in COMPONENTS if amounts[c] > outstanding[c]]
                for c in over:
                    context["problems"].append(
                        _("%(component)s: %(amount)s yuan is more than the %(left)s yuan outstanding.")
                        % {"component": LABELS[c], "amount": display_fen(amounts[c]),
                           "left": display_fen(outstanding[c])}
                    )  # fmt: skip
                if any(amounts.values()) and not over:
                    context["split"] = _split_rows(amounts, outstanding)
                    context["total"] = sum(amounts.values())
                    context["verdict"] = _verdict(
                        *services.within_authority(user.role, amounts, outstanding, limits)
                    )
        elif kind == "settlement":
            form = SettlementForm(request.POST, loan_ids=loan_ids)
            form.is_valid()
            context["problems"] = _form_problems(form)
            if not context["problems"]:
                outstanding = services.outstanding_of(form.cleaned_data["loan"])
                owed, amount = sum(outstanding.values()), form.cleaned_data["settle_amount"]
                context["owed"], context["amount"] = owed, amount
                if amount >= owed:
                    context["problems"].append(
                        _("%(amount)s yuan is not less than the %(owed)s yuan owed: that is a promise to pay, "
                          "not a settlement.") % {"amount": display_fen(amount), "owed": display_fen(owed)}
                    )  # fmt: skip
                else:
                    split = services.discount_split(outstanding, owed - amount)
                    context["discount"] = owed - amount
                    context["split"] = _split_rows(split, outstanding)
                    context["verdict"] = _verdict(
                        *services.within_authority(user.role, split, outstanding, limits)
                    )
        elif kind == "plan":
            form = PlanForm(request.POST, loan_ids=loan_ids)
            form.is_valid()
            context["problems"] = _form_problems(form)
            if not context["problems"]:
                preview = preview_plan(case, form.cleaned_data["loan"], form.terms())
                context["preview"] = preview
                allowed, approvers = services.within_authority(
                    user.role, {"plan": preview["amount"]}, {"plan": preview["amount"]}, limits
                )
                context["verdict"] = _verdict(allowed, approvers)
        else:
            raise NotFound(f"no check {kind}")
    except NotFound:
        raise
    except DomainError as exc:
        context["problems"].append(exc.message)
    return render(request, "negotiation/check.html", context)


def _back(request: HttpRequest, default: str) -> str:
    """Where an action returns: the page it came from (a case, a plan, the queue), never elsewhere."""
    target = request.POST.get("next", "")
    if target.startswith(("/cases/", "/negotiation/")) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _case_url(concession: Concession) -> str:
    return reverse("case_detail", args=[concession.case_id]) + "#case-negotiation"


def _with_reason(request: HttpRequest, concession_id: int, act: Any, missing: str, done: str) -> HttpResponse:
    """A decision that needs a reason (withdraw, reverse): `act(concession, actor=, reason=)`, its refusal or
    `done` in the messages, back to where it was made."""
    concession = get_concession(request.user, concession_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, missing)
    else:
        try:
            act(concession, actor=_user(request), reason=form.cleaned_data["reason"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, done % {"id": concession.pk})
    return redirect(_back(request, _case_url(concession)))


@login_required
@require_POST
def cancel(request: HttpRequest, concession_id: int) -> HttpResponse:
    return _with_reason(request, concession_id, services.cancel, _("Give a reason for withdrawing the request."),
                        _("Request #%(id)s withdrawn."))  # fmt: skip


@login_required
@require_POST
def reverse_waiver(request: HttpRequest, concession_id: int) -> HttpResponse:
    return _with_reason(request, concession_id, services.reverse_waiver, _("Give a reason for the reversal."),
                        _("Waiver #%(id)s reversed."))  # fmt: skip


@login_required
@require_GET
def agreement(request: HttpRequest, concession_id: int) -> HttpResponse:
    """The agreement to sign, as Word (`negotiation.documents`): a plan's or a settlement's, once approved. It names
    the borrower in full (ID number, address), so it is for those who work cases in house and every read is
    audited."""
    user = _queue_user(request)
    concession = get_concession(user, concession_id)
    from arrears.negotiation import documents  # after the lookup: what one may not see is a 404 first

    if concession.status not in (Concession.Status.APPROVED, Concession.Status.POSTED):
        raise NotFound(f"request {concession_id} has no agreement to sign")
    if concession.kind == Concession.Kind.PLAN:
        plan = RepaymentPlan.objects.select_related("concession__case", "concession__loan").get(
            concession=concession
        )
        data, name = documents.plan_agreement(plan), f"repayment-plan-{plan.pk}.docx"
    elif concession.kind == Concession.Kind.SETTLEMENT:
        data, name = documents.settlement_agreement(concession), f"settlement-{concession.pk}.docx"
    else:
        raise NotFound(f"request {concession_id} has no agreement")
    audit.record("case.agreement_read", "Case", concession.case_id, actor=user,
                 after={"request": concession.pk, "file": name})  # fmt: skip
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# ------------------------------------------------------------------------------------------------- plans


@login_required
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = _user(request)
    plan = get_plan(user, plan_id)
    full_pii = portfolio_selectors.shows_full_pii(user)
    concession = _with_joins(Concession.objects.filter(pk=plan.concession_id)).get()
    row = describe([concession], user, Limits(), full_pii=full_pii)[0]
    if full_pii:
        portfolio_services.record_full_pii_read(user, [concession.case.borrower_id], f"plan {plan.pk}")
    signed = plan.signed_copy
    return render(
        request,
        "negotiation/plan_detail.html",
        {
            "plan": plan,
            "row": row,
            "c": concession,
            "case": concession.case,
            "full_pii": full_pii,
            "signed": signed,
            "signed_file": (signed.files or [{}])[0] if signed is not None else None,
        },
    )


def _signed_upload(request: HttpRequest) -> tuple[bytes, str] | None:
    """The uploaded signed agreement, or None with the reason in the messages."""
    form = SignForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Upload the signed agreement."))
        return None
    upload = form.cleaned_data["signed_copy"]
    if upload.size > MAX_SIGNED_COPY:
        messages.error(request, _("The file is larger than %(mb)s MB.") % {"mb": MAX_SIGNED_COPY // 2**20})
        return None
    return upload.read(), upload.name


@login_required
@require_POST
def plan_sign(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = get_plan(request.user, plan_id)
    back = _back(request, reverse("negotiation_plan", args=[plan.pk]))
    upload = _signed_upload(request)
    if upload is None:
        return redirect(back)
    try:
        services.sign_plan(plan, signed_copy=upload[0], filename=upload[1], actor=_user(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Plan #%(id)s signed: it is now the loan's schedule.") % {"id": plan.pk})
    return redirect(back)


@login_required
@require_POST
def settlement_sign(request: HttpRequest, concession_id: int) -> HttpResponse:
    """The signed settlement agreement, kept in the evidence log (`services.sign_settlement`)."""
    concession = get_concession(request.user, concession_id)
    back = _back(request, reverse("case_detail", args=[concession.case_id]))
    upload = _signed_upload(request)
    if upload is None:
        return redirect(back)
    try:
        services.sign_settlement(concession, signed_copy=upload[0], filename=upload[1], actor=_user(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The signed settlement agreement is on file."))
    return redirect(back)


@login_required
@require_POST
def plan_refresh(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = get_plan(request.user, plan_id)
    back = _back(request, reverse("negotiation_plan", args=[plan.pk]))
    try:
        fresh = services.refresh_plan(plan, actor=_user(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        text = _("Plan #%(id)s recomputed: %(amount)s yuan.") % {
            "id": plan.pk,
            "amount": display_fen(fresh.amount),
        }
        if fresh.status == RepaymentPlan.Status.PROPOSED and plan.status == RepaymentPlan.Status.APPROVED:
            text += " " + _("It is more than was approved, so it goes to the approval queue again.")
        messages.success(request, text)
    return redirect(back)


# ------------------------------------------------------------------------------------------------- approvals


def _queue_user(request: HttpRequest) -> User:
    """The queue is for those who work cases in house (an outside agency's users are not)."""
    return require_any(request.user, (WORK_CASES,))


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    """Pending requests on the cases the user may see, newest first, with what each gives up and the decision
    forms where the user may decide (never their own request)."""
    user = _queue_user(request)
    form = ApprovalFilterForm(request.GET)
    kind = form.cleaned_data.get("kind") if form.is_valid() else ""
    pending = (
        visible_concessions(user).filter(status=Concession.Status.PENDING).order_by("-requested_at", "-pk")
    )
    if kind:
        pending = pending.filter(kind=kind)
    paginator = Paginator(pending.values_list("pk", flat=True), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    ids = list(page.object_list)
    by_id = {c.pk: c for c in _with_joins(Concession.objects.filter(pk__in=ids))}
    full_pii = portfolio_selectors.shows_full_pii(user)
    rows = describe([by_id[pk] for pk in ids], user, Limits(), full_pii=full_pii)
    if full_pii:
        portfolio_services.record_full_pii_read(
            user, sorted({r["c"].case.borrower_id for r in rows}), f"approval queue {request.get_full_path()}"
        )
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "full_pii": full_pii,
        "decision_form": DecisionForm(),
        "tab": "approvals",
        "dashboard_allowed": _may_see_dashboard(user),
    }
    template = "negotiation/approvals.html"
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request and htmx.target == "approval-results":
        template += "#results"
    return render(request, template, context)


@login_required
@require_POST
def decide(request: HttpRequest, concession_id: int) -> HttpResponse:
    """Approve or reject. From the queue through HTMX the request's card comes back (its new state, or the
    refusal inside it, with the note kept); otherwise back to the page it came from."""
    user = _queue_user(request)
    concession = get_concession(user, concession_id)
    form = DecisionForm(request.POST)
    error = ""
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            concession = services.decide(
                concession, actor=user, approve=approve, note=form.cleaned_data["note"]
            )
        except NotFound:
            raise
        except DomainError as exc:
            error = exc.message
        else:
            done = (_("Request #%(id)s approved.") if approve else _("Request #%(id)s rejected.")) % {
                "id": concession.pk
            }
    else:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    htmx = getattr(request, "htmx", None)
    if htmx:
        fresh = _with_joins(Concession.objects.filter(pk=concession.pk)).get()
        full_pii = portfolio_selectors.shows_full_pii(user)
        row = describe([fresh], user, Limits(), full_pii=full_pii)[0]
        return render(
            request,
            "negotiation/approval_item.html",
            {
                "row": row,
                "decision_form": form if error else DecisionForm(),
                "decision_error": error,
                "decision_done": "" if error else done,
                "full_pii": full_pii,
            },
        )  # 200 either way: htmx swaps only successful answers, and the refusal is shown in the card
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done)
    return redirect(_back(request, reverse("negotiation_approvals")))


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """/negotiation/: the queue for those who work cases, the dashboard for the others allowed it."""
    if can(request.user, WORK_CASES) and not getattr(request.user, "agency_id", None):
        return redirect("negotiation_approvals")
    return redirect("negotiation_dashboard")


# ------------------------------------------------------------------------------------------------- dashboard


def _may_see_dashboard(user: Any) -> bool:
    return can_any(user, (MANAGE_CASES, VIEW_AUDIT))


def period(request: HttpRequest) -> tuple[dt.date, dt.date, PeriodForm]:
    """The report's dates: `start`/`end` from the query, by default the last 30 days up to the latest close."""
    form = PeriodForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    end = data.get("end") or business_day()
    start = data.get("start") or end - dt.timedelta(days=DASHBOARD_DAYS - 1)
    if start > end:
        start, end = end, start
    return start, end, form


def _pct(rate: Any) -> str | None:
    """A rate (fraction) as a per cent number for a chart, exact to 0.1 (a string: no float on our side)."""
    if rate is None:
        return None
    return str((Decimal(str(rate)) * 100).quantize(Decimal("0.1")))


def _bar(labels: list[str], series: list[dict[str, Any]], *, unit: str = "", horizontal: bool = False,
         stacked: bool = False) -> dict[str, Any]:  # fmt: skip
    """An ECharts bar chart's option (JSON: labels, values as strings)."""
    category = {"type": "category", "data": labels, "axisLabel": {"interval": 0, "hideOverlap": True}}
    value = {"type": "value", "axisLabel": {"formatter": "{value}" + unit}}
    return {
        "animation": False,
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"show": len(series) > 1, "bottom": 0},
        "grid": {
            "left": 8,
            "right": 16,
            "top": 24,
            "bottom": 32 if len(series) > 1 else 8,
            "containLabel": True,
        },
        "xAxis": value if horizontal else category,
        "yAxis": category if horizontal else value,
        "series": [
            {"type": "bar", "barMaxWidth": 36, **({"stack": "all"} if stacked else {}), **s} for s in series
        ],
    }


def charts(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The dashboard's charts, one ECharts option each, built from `selectors.report`."""
    ptp, kept, plans_, waived = report["ptp"], report["kept"], report["plans"], report["waived"]
    out: dict[str, dict[str, Any]] = {
        "ptp": _bar(
            [_("Right-party contacts"), _("Promises to pay")],
            [{"name": _("Count"), "data": [ptp["right_party_contacts"], ptp["promises"]]}],
        ),
    }
    for key in ("by_collector", "by_team", "by_bucket"):
        rows = kept[key]
        out[f"kept_{key}"] = _bar(
            [str(r["label"]) for r in rows],
            [{"name": _("Kept rate"), "data": [_pct(r["rate"]) for r in rows],
              "label": {"show": True, "position": "top", "formatter": "{c}%"}}],
            unit="%",
        )  # fmt: skip
    out["plans"] = {
        "animation": False,
        "tooltip": {"trigger": "item", "formatter": "{b}: {c} ({d}%)"},
        "legend": {"bottom": 0},
        "series": [
            {
                "type": "pie",
                "radius": ["40%", "68%"],
                "label": {"formatter": "{b}: {c}"},
                "data": [
                    {"name": str(label), "value": plans_[key]}
                    for key, label in (
                        ("active", _("Active")),
                        ("completed", _("Completed")),
                        ("broken", _("Broken")),
                    )
                    if plans_[key]
                ],
            }
        ],
    }
    for key in ("by_role", "by_reason"):
        rows = waived[key]
        out[f"waived_{key}"] = _bar(
            [str(r["label"]) for r in rows],
            [{"name": _("Waived (yuan)"), "data": [format_fen(r["amount"]) for r in rows]}],
            horizontal=True,
        )
    empty = {
        "ptp": not (ptp["right_party_contacts"] or ptp["promises"]),
        **{f"kept_{key}": not kept[key] for key in ("by_collector", "by_team", "by_bucket")},
        "plans": not (plans_["active"] or plans_["completed"] or plans_["broken"]),
        **{f"waived_{key}": not waived[key] for key in ("by_role", "by_reason")},
    }
    for name, nothing in empty.items():
        if nothing:  # say so rather than draw empty axes (or a pie of equal zeros)
            out[name] = {
                "title": {"text": str(_("No data in this period")), "left": "center", "top": "middle",
                          "textStyle": {"color": "#6b7686", "fontSize": 13, "fontWeight": "normal"}},
                "series": [],
            }  # fmt: skip
    return json.loads(json.dumps(out, default=str))  # lazy strings → text


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    from arrears.negotiation import selectors

    user = require_any(request.user, (MANAGE_CASES, VIEW_AUDIT))
    start, end, form = period(request)
    report = selectors.report(user, start, end)
    query = f"?start={start.isoformat()}&end={end.isoformat()}"
    return render(
        request,
        "negotiation/dashboard.html",
        {
            "form": form,
            "start": start,
            "end": end,
            "report": report,
            "charts": charts(report),
            "csv_url": reverse("negotiation_dashboard_csv") + query,
            "tab": "dashboard",
            "queue_allowed": can_any(user, (WORK_CASES,)),
            "dashboard_allowed": True,
        },
    )


@login_required
def dashboard_csv(request: HttpRequest) -> HttpResponse:
    from arrears.negotiation import selectors

    require_any(request.user, (MANAGE_CASES, VIEW_AUDIT))
    start, end, _form = period(request)
    report = selectors.report(request.user, start, end)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="negotiation-{start}-{end}.csv"'
    response.write("\ufeff" + selectors.report_csv(report))  # with a BOM: Excel reads it as UTF-8
    return response
