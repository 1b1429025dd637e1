"""Writes of the negotiation app: promises to pay (made by people, judged by the close)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from django.db import transaction
from django.utils.translation import gettext as _

from arrears.accounts.models import User
from arrears.accounts.roles import WORK_CASES, can
from arrears.audit import services as audit
from arrears.batch import io
from arrears.batch.steps import promises as step
from arrears.cases import lifecycle
from arrears.cases.models import Case, Task
from arrears.core.errors import DomainError, PermissionDenied
from arrears.core.money import display_fen
from arrears.negotiation.models import NegotiationPolicy, Promise, PromiseInstallment


def seed_policy(**kwargs: Any) -> None:
    """post_migrate: a 2-day grace for promises unless a policy says otherwise."""
    if not NegotiationPolicy.objects.exists():
        NegotiationPolicy.objects.create(effective_from=dt.date(2000, 1, 1), promise_grace_days=2)


def policy(as_of: dt.date) -> NegotiationPolicy:
    found = NegotiationPolicy.objects.filter(effective_from__lte=as_of).order_by("-effective_from").first()
    return found or NegotiationPolicy(effective_from=as_of)


@transaction.atomic
def make_promise(case: Case, amounts: list[tuple[dt.date, int]], *, actor: User, source: str = "collector",
                 note: str = "") -> Promise:  # fmt: skip
    """A promise of one or several dated amounts (fen), none dated before the case's business date; each date
    becomes a follow-up for the collector ("promise due")."""
    if not can(actor, WORK_CASES):
        raise PermissionDenied(_("You may not work cases."))
    if not case.is_open:
        raise DomainError(_("This case is closed."))
    if not amounts:
        raise DomainError(_("Say how much will be paid and when."))
    for due_on, amount in amounts:
        if due_on < case.as_of:
            raise DomainError(_("A promise cannot be dated %(day)s, before the business date %(today)s.")
                              % {"day": due_on, "today": case.as_of})  # fmt: skip
        if amount <= 0:
            raise DomainError(_("A promised amount must be positive."))
    if len({d for d, _a in amounts}) != len(amounts):
        raise DomainError(_("Two amounts are promised for the same day; add them up."))
    total = sum(a for _d, a in amounts)
    promise = Promise.objects.create(case=case, made_on=case.as_of, amount=total, source=source,
                                     note=note.strip(), created_by=actor)  # fmt: skip
    PromiseInstallment.objects.bulk_create(
        PromiseInstallment(promise=promise, due_on=d, amount=a) for d, a in amounts
    )
    Task.objects.bulk_create(
        Task(case=case, title=_("Promise due: %(amount)s yuan") % {"amount": display_fen(a)}, due_on=d,
             assigned_to=case.assigned_to or actor, created_by=actor, channel="promise")
        for d, a in sorted(amounts)
    )  # fmt: skip
    earliest = min(d for d, _a in amounts)
    if case.next_action_on is None or earliest < case.next_action_on:
        Case.objects.filter(pk=case.pk).update(next_action_on=earliest, action_due=earliest <= case.as_of)
    audit.record("case.promise", "Case", case.pk, actor=actor, note=note.strip()[:500],
                 after={"promise": promise.pk, "amounts": [[d.isoformat(), a] for d, a in sorted(amounts)]})  # fmt: skip
    if case.status in (lifecycle.NEW, lifecycle.CONTACTING):
        from arrears.cases.services import transition

        if case.status == lifecycle.NEW:
            case = transition(case, lifecycle.CONTACTING, actor=actor)
        transition(case, lifecycle.NEGOTIATING, actor=actor)
    return promise


@transaction.atomic
def cancel_promise(promise: Promise, *, actor: User, reason: str) -> Promise:
    if not can(actor, WORK_CASES):
        raise PermissionDenied(_("You may not work cases."))
    if promise.status != Promise.Status.OPEN:
        raise DomainError(_("Only an open promise can be cancelled."))
    if not reason.strip():
        raise DomainError(_("Give a reason for cancelling the promise."))
    promise.status = Promise.Status.CANCELLED
    promise.save(update_fields=["status"])
    audit.record("case.promise_cancelled", "Case", promise.case_id, actor=actor, after={"promise": promise.pk},
                 note=reason.strip()[:500])  # fmt: skip
    return promise


def evaluate_promises(as_of: dt.date) -> dict[str, int]:
    """The close judges every open promise (`batch.steps.promises.judge`). A promise not kept gives the case's
    collector a follow-up, counts in the borrower's broken promises (a fact segments test) and, if the case was
    negotiating, returns it to contacting."""
    open_ = list(Promise.objects.filter(status=Promise.Status.OPEN).values("pk", "made_on", "case__loan_ids"))
    if not open_:
        return {"promises_kept": 0, "promises_not_kept": 0}
    promises = pl.DataFrame([(p["pk"], p["made_on"]) for p in open_], schema=step.PROMISES, orient="row")
    installments = pl.DataFrame(
        list(PromiseInstallment.objects.filter(promise__status=Promise.Status.OPEN).values_list(
            "promise_id", "due_on", "amount")),
        schema=step.INSTALLMENTS, orient="row",
    )  # fmt: skip
    loans = pl.DataFrame(
        [(p["pk"], loan) for p in open_ for loan in p["case__loan_ids"]],
        schema={"promise_id": pl.Int64, "loan_id": pl.String}, orient="row",
    )  # fmt: skip
    first = min(p["made_on"] for p in open_)
    payments = io.read_cash_payments(first, as_of)
    on_loans = loans.join(payments, on="loan_id").select("promise_id", "paid_on", "amount")
    judged = step.judge(promises, installments, on_loans, as_of, policy(as_of).promise_grace_days)
    done = judged.filter(pl.col("status") != "open")
    by_id = {
        p.pk: p for p in Promise.objects.filter(pk__in=done["promise_id"].to_list()).select_related("case")
    }
    not_kept = 0
    for row in done.iter_rows(named=True):
        promise = by_id[row["promise_id"]]
        promise.status, promise.paid, promise.judged_on = row["status"], row["paid"], row["judged_on"]
        promise.save(update_fields=["status", "paid", "judged_on"])
        audit.record("case.promise_judged", "Case", promise.case_id, actor_label="cob",
                     after={"promise": promise.pk, "status": promise.status, "paid": promise.paid})  # fmt: skip
        if promise.status != Promise.Status.KEPT:
            not_kept += 1
            _follow_up_broken(promise, as_of)
    return {"promises_kept": done.height - not_kept, "promises_not_kept": not_kept}


def _follow_up_broken(promise: Promise, as_of: dt.date) -> None:
    case = promise.case
    if not case.is_open or case.assigned_to_id is None:
        return
    Task.objects.create(case=case, title=_("Promise not kept: follow up"), due_on=as_of,
                        assigned_to_id=case.assigned_to_id, channel="")  # fmt: skip
    Case.objects.filter(pk=case.pk).update(next_action_on=as_of, action_due=True)
    if case.status == lifecycle.NEGOTIATING:
        before = case.status
        Case.objects.filter(pk=case.pk).update(status=lifecycle.CONTACTING, stage_since=as_of)
        audit.record("case.transition", "Case", case.pk, actor_label="cob", before={"status": before},
                     after={"status": lifecycle.CONTACTING}, note=_("promise %(id)s not kept") % {"id": promise.pk})  # fmt: skip


# --- waivers and the authority matrix ------------------------------------------------------------------------

# The shipped matrix (issue 7's example): a collector up to 30 % of penalty interest and 2,000 yuan; a team lead
# all penalty and 20 % of interest; a manager all penalty, interest and fees; principal only a manager or an
# administrator, and then two of them.
DEFAULT_LIMITS = [
    ("collector", "penalty", "0.30", 200_000, 1),
    ("team_lead", "penalty", "1", None, 1),
    ("team_lead", "interest", "0.20", None, 1),
    ("manager", "penalty", "1", None, 1),
    ("manager", "interest", "1", None, 1),
    ("manager", "fee", "1", None, 1),
    ("manager", "principal", "1", None, 2),
    ("admin", "penalty", "1", None, 1),
    ("admin", "interest", "1", None, 1),
    ("admin", "fee", "1", None, 1),
    ("admin", "principal", "1", None, 2),
]


def seed_limits(**kwargs: Any) -> None:
    """post_migrate: the shipped authority matrix when there is none."""
    from decimal import Decimal

    from arrears.negotiation.models import AuthorityLimit

    if not AuthorityLimit.objects.exists():
        AuthorityLimit.objects.bulk_create(
            AuthorityLimit(effective_from=dt.date(2000, 1, 1), role=role, component=component,
                           max_share=Decimal(share), max_amount=cap, approvers=approvers)
            for role, component, share, cap, approvers in DEFAULT_LIMITS
        )  # fmt: skip


def limits_in_force(as_of: dt.date) -> dict[tuple[str, str], Any]:
    """(role, component) → its limit in the matrix version in force at `as_of`."""
    from arrears.negotiation.models import AuthorityLimit

    version = (
        AuthorityLimit.objects.filter(effective_from__lte=as_of).order_by("-effective_from")
        .values_list("effective_from", flat=True).first()
    )  # fmt: skip
    if version is None:
        return {}
    return {(row.role, row.component): row for row in AuthorityLimit.objects.filter(effective_from=version)}


def within_authority(role: str, amounts: dict[str, int], outstanding: dict[str, int],
                     limits: dict[tuple[str, str], Any]) -> tuple[bool, int]:  # fmt: skip
    """Whether a role may give up `amounts` (component → fen) of `outstanding`, and how many approvers that
    takes (the most any component asks). Every component given up needs a limit for the role that covers it:
    share of what is outstanding and, when set, an absolute cap."""
    approvers = 1
    for component, amount in amounts.items():
        if amount <= 0:
            continue
        limit = limits.get((role, component))
        if limit is None or amount > limit.max_share * outstanding.get(component, 0):
            return False, 0
        if limit.max_amount is not None and amount > limit.max_amount:
            return False, 0
        approvers = max(approvers, limit.approvers)
    return True, approvers


def outstanding_of(loan_id: str) -> dict[str, int]:
    """What the loan owes now by component (the close's status): penalty interest, overdue interest and fees, and
    all outstanding principal."""
    from arrears.delinquency.models import LoanStatus

    status = LoanStatus.objects.filter(loan_id=loan_id).first()
    if status is None:
        raise DomainError(_("Loan %(loan)s has no status yet: run the close first.") % {"loan": loan_id})
    return {"penalty": status.penalty_interest, "interest": status.overdue_interest, "fee": status.overdue_fees,
            "principal": status.outstanding_principal}  # fmt: skip


@transaction.atomic
def request_waiver(case: Case, loan_id: str, amounts: dict[str, int], *, actor: User, reason: str,
                   source: str = "collector") -> Any:  # fmt: skip
    """Ask to give up part of a loan's debt. Refused when it exceeds what is outstanding. Within the requester's
    own authority (needing one approver) it is posted at once; otherwise it waits for approvers."""
    from arrears.negotiation.models import COMPONENTS, WaiverRequest

    if not can(actor, WORK_CASES):
        raise PermissionDenied(_("You may not work cases."))
    if loan_id not in case.loan_ids:
        raise DomainError(_("Loan %(loan)s is not part of this case.") % {"loan": loan_id})
    if not reason.strip():
        raise DomainError(_("Give a reason for the waiver."))
    amounts = {c: int(amounts.get(c, 0)) for c in COMPONENTS}
    if any(a < 0 for a in amounts.values()) or not any(amounts.values()):
        raise DomainError(_("Say how much of which component to waive (amounts above zero)."))
    outstanding = outstanding_of(loan_id)
    for component, amount in amounts.items():
        if amount > outstanding[component]:
            raise DomainError(
                _("%(component)s: %(amount)s yuan is more than the %(left)s yuan outstanding.")
                % {"component": component, "amount": display_fen(amount), "left": display_fen(outstanding[component])}
            )  # fmt: skip
    request = WaiverRequest.objects.create(case=case, loan_id=loan_id, as_of=case.as_of, outstanding=outstanding,
                                           reason=reason.strip(), requested_by=actor, source=source, **amounts)  # fmt: skip
    audit.record("case.waiver_requested", "Case", case.pk, actor=actor, note=reason.strip()[:500],
                 after={"request": request.pk, **amounts})  # fmt: skip
    allowed, approvers = within_authority(actor.role, amounts, outstanding, limits_in_force(case.as_of))
    if allowed and approvers == 1:
        _post(request, actor)
    return request


@transaction.atomic
def decide_waiver(request: Any, *, actor: User, approve: bool, note: str = "") -> Any:
    """An approver's decision. Four eyes: never the requester's own request. Approving needs authority for the
    whole request; principal takes two different approvers with that authority. A rejection ends the request."""
    from arrears.negotiation.models import Approval, WaiverRequest

    request = WaiverRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != WaiverRequest.Status.PENDING:
        raise DomainError(_("This request is no longer pending."))
    if request.requested_by_id == actor.pk:
        raise PermissionDenied(_("You cannot decide your own request."))
    if request.approvals.filter(approver=actor).exists():
        raise DomainError(_("You have already decided this request."))
    amounts = {"penalty": request.penalty, "interest": request.interest, "fee": request.fee,
               "principal": request.principal}  # fmt: skip
    allowed, approvers = within_authority(
        actor.role, amounts, request.outstanding, limits_in_force(request.as_of)
    )
    if approve and not allowed:
        raise PermissionDenied(_("This waiver is above your authority."))
    Approval.objects.create(request=request, approver=actor, approved=approve, note=note.strip())
    audit.record("case.waiver_decided", "Case", request.case_id, actor=actor, note=note.strip()[:500],
                 after={"request": request.pk, "approved": approve})  # fmt: skip
    if not approve:
        request.status = WaiverRequest.Status.REJECTED
        request.save(update_fields=["status"])
    elif request.approvals.filter(approved=True).count() >= approvers:
        _post(request, actor)
    return request


def _post(request: Any, actor: User) -> None:
    """Post an approved waiver as an adjustment on the loan and recompute it at once (the close reads
    adjustments with the payments)."""
    from arrears.delinquency.services import recompute_loans
    from arrears.negotiation.models import Adjustment, WaiverRequest

    adjustment = Adjustment.objects.create(loan_id=request.loan_id, posted_on=request.as_of, request=request,
                                           penalty=request.penalty, interest=request.interest, fee=request.fee,
                                           principal=request.principal)  # fmt: skip
    request.status = WaiverRequest.Status.POSTED
    request.save(update_fields=["status"])
    audit.record("case.waiver_posted", "Case", request.case_id, actor=actor,
                 after={"request": request.pk, "adjustment": adjustment.pk, "amount": adjustment.amount})  # fmt: skip
    recompute_loans([request.loan_id], since=request.as_of)


@transaction.atomic
def reverse_waiver(request: Any, *, actor: User, reason: str) -> Any:
    """Undo a posted waiver (a reversing adjustment, as payments are reversed); a manager's decision."""
    from arrears.accounts.roles import MANAGE_CASES
    from arrears.delinquency.services import recompute_loans
    from arrears.negotiation.models import Adjustment, WaiverRequest

    if not can(actor, MANAGE_CASES):
        raise PermissionDenied(_("You may not reverse waivers."))
    if request.status != WaiverRequest.Status.POSTED:
        raise DomainError(_("Only a posted waiver can be reversed."))
    if not reason.strip():
        raise DomainError(_("Give a reason for the reversal."))
    original = request.adjustments.get(reverses__isnull=True)
    Adjustment.objects.create(loan_id=original.loan_id, posted_on=original.posted_on, request=request,
                              reverses=original)  # fmt: skip
    request.status = WaiverRequest.Status.REVERSED
    request.save(update_fields=["status"])
    audit.record("case.waiver_reversed", "Case", request.case_id, actor=actor, note=reason.strip()[:500],
                 after={"request": request.pk})  # fmt: skip
    recompute_loans([original.loan_id], since=original.posted_on)
    return request
