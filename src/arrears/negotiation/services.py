"""Writes of the negotiation app: promises to pay (made by people, judged by the close)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import polars as pl
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from arrears.accounts.models import User
from arrears.accounts.roles import MANAGE_CASES, WORK_CASES, can
from arrears.audit import services as audit
from arrears.batch import io
from arrears.batch.steps import promises as step
from arrears.cases import lifecycle
from arrears.cases.models import Case, Task
from arrears.core.dates import add_months
from arrears.core.errors import DomainError, PermissionDenied
from arrears.core.money import display_fen
from arrears.negotiation import plans
from arrears.negotiation.models import (
    COMPONENTS,
    Adjustment,
    Concession,
    NegotiationPolicy,
    Promise,
    PromiseInstallment,
    RepaymentPlan,
)
from arrears.portfolio.models import Loan, ScheduleInstallment

# plans that block another on the same loan
OPEN_PLANS = [RepaymentPlan.Status.PROPOSED, RepaymentPlan.Status.APPROVED, RepaymentPlan.Status.ACTIVE]
COMPONENT_LABELS = {"penalty": _lazy("Penalty interest"), "interest": _lazy("Interest"), "fee": _lazy("Fees"),
                    "principal": _lazy("Principal")}  # fmt: skip


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
    case = Case.objects.select_for_update().get(pk=case.pk)
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
        p.pk: p
        for p in Promise.objects.filter(pk__in=done["promise_id"].to_list()).select_related(
            "case", "concession"
        )
    }
    not_kept = 0
    for row in done.iter_rows(named=True):
        promise = by_id[row["promise_id"]]
        promise.status, promise.paid, promise.judged_on = row["status"], row["paid"], row["judged_on"]
        promise.save(update_fields=["status", "paid", "judged_on"])
        audit.record("case.promise_judged", "Case", promise.case_id, actor_label="cob",
                     after={"promise": promise.pk, "status": promise.status, "paid": promise.paid})  # fmt: skip
        settlement = promise.concession
        if promise.status == Promise.Status.KEPT:
            if settlement is not None:
                _settle(settlement, as_of)
            continue
        not_kept += 1
        if settlement is not None:
            settlement.status = Concession.Status.BROKEN
            settlement.save(update_fields=["status"])
            audit.record("case.settlement_broken", "Case", promise.case_id, actor_label="cob",
                         after={"request": settlement.pk, "paid": promise.paid})  # fmt: skip
        _back_to_contacting(promise.case, as_of, _("Promise not kept: follow up"),
                            _("promise %(id)s not kept") % {"id": promise.pk})  # fmt: skip
    return {"promises_kept": done.height - not_kept, "promises_not_kept": not_kept}


def _back_to_contacting(case: Case, as_of: dt.date, task: str, note: str) -> None:
    """A promise, settlement or plan not kept: a follow-up for the collector, and a negotiating case returns to
    contacting."""
    if not case.is_open:
        return
    if case.assigned_to_id is not None:
        Task.objects.create(
            case=case, title=task, due_on=as_of, assigned_to_id=case.assigned_to_id, channel=""
        )
        Case.objects.filter(pk=case.pk).update(next_action_on=as_of, action_due=True)
    if case.status == lifecycle.NEGOTIATING:
        Case.objects.filter(pk=case.pk).update(status=lifecycle.CONTACTING, stage_since=as_of)
        audit.record("case.transition", "Case", case.pk, actor_label="cob", before={"status": case.status},
                     after={"status": lifecycle.CONTACTING}, note=note)  # fmt: skip


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
    # plans: the amount restructured (a collector's plans always go to the queue)
    ("team_lead", "plan", "1", 10_000_000, 1),
    ("manager", "plan", "1", None, 1),
    ("admin", "plan", "1", None, 1),
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


def _check_request(case: Case, loan_id: str, actor: User | None, note: str, reason: str, source: str) -> None:
    """Who may ask: someone who works cases, or — `actor` None, `source` "portal" — the borrower through the
    portal, whose proposals always wait in the queue."""
    from arrears.negotiation.models import REASONS

    if actor is None and source != "portal":
        raise PermissionDenied(_("Only the borrower's portal proposes without a user."))
    if actor is not None and not can(actor, WORK_CASES):
        raise PermissionDenied(_("You may not work cases."))
    if not case.is_open:
        raise DomainError(_("This case is closed."))
    if loan_id not in case.loan_ids:
        raise DomainError(_("Loan %(loan)s is not part of this case.") % {"loan": loan_id})
    if reason not in dict(REASONS):
        raise DomainError(_("Unknown reason %(reason)s.") % {"reason": reason})
    if not note.strip():
        raise DomainError(_("Explain the request."))


def authority_of(role: str, concession: Concession, limits: dict[tuple[str, str], Any] | None = None
                 ) -> tuple[bool, int]:  # fmt: skip
    """What `role` may approve of `concession` (`within_authority`: its components, and a plan's amount), under
    `limits` or the matrix in force at its business date."""
    amounts, outstanding = dict(concession.amounts), dict(concession.outstanding)
    if concession.kind == Concession.Kind.PLAN:
        amounts["plan"] = outstanding["plan"] = int(concession.outstanding.get("plan", 0))
    return within_authority(role, amounts, outstanding,
                            limits_in_force(concession.as_of) if limits is None else limits)  # fmt: skip


def _submit(concession: Concession, actor: User | None) -> Concession:
    """Audit a new request; approve it at once when it is within the requester's own authority (one approver).
    A borrower's proposal (no actor) always waits for someone with the authority."""
    audit.record(f"case.{concession.kind}_requested", "Case", concession.case_id, actor=actor,
                 actor_label="" if actor else concession.source, note=concession.note[:500],
                 after={"request": concession.pk, "reason": concession.reason, **concession.amounts})  # fmt: skip
    if actor is None:
        return concession
    allowed, approvers = authority_of(actor.role, concession)
    if allowed and approvers == 1:
        _approved(concession, actor)
    return concession


@transaction.atomic
def request_waiver(case: Case, loan_id: str, amounts: dict[str, int], *, actor: User | None, note: str,
                   reason: str = "other", source: str = "collector") -> Concession:  # fmt: skip
    """Ask to give up part of a loan's debt. Refused when it exceeds what is outstanding. Within the requester's
    own authority (needing one approver) it is posted at once; otherwise it waits for approvers."""
    _check_request(case, loan_id, actor, note, reason, source)
    amounts = {c: int(amounts.get(c, 0)) for c in COMPONENTS}
    if any(a < 0 for a in amounts.values()) or not any(amounts.values()):
        raise DomainError(_("Say how much of which component to waive (amounts above zero)."))
    outstanding = outstanding_of(loan_id)
    for component, amount in amounts.items():
        if amount > outstanding[component]:
            raise DomainError(
                _("%(component)s: %(amount)s yuan is more than the %(left)s yuan outstanding.")
                % {"component": COMPONENT_LABELS[component], "amount": display_fen(amount),
                   "left": display_fen(outstanding[component])}
            )  # fmt: skip
    concession = Concession.objects.create(
        kind=Concession.Kind.WAIVER, case=case, loan_id=loan_id, as_of=case.as_of, outstanding=outstanding,
        reason=reason, note=note.strip(), requested_by=actor, source=source, **amounts,
    )  # fmt: skip
    return _submit(concession, actor)


def discount_split(outstanding: dict[str, int], discount: int) -> dict[str, int]:
    """What a settlement gives up, by component: penalty interest first, then fees, interest and principal last
    (the reverse of what a lender would rather keep)."""
    split, left = {}, discount
    for component in ("penalty", "fee", "interest", "principal"):
        split[component] = min(left, outstanding[component])
        left -= split[component]
    return split


@transaction.atomic
def request_settlement(case: Case, loan_id: str, *, settle_amount: int, settle_by: dt.date, actor: User | None,
                       note: str, reason: str = "settlement", source: str = "collector") -> Concession:  # fmt: skip
    """A one-off discounted payoff: pay `settle_amount` fen by `settle_by` and the rest of the loan's debt is given
    up. The discount (penalty first, principal last: `discount_split`) is what the authority matrix judges."""
    _check_request(case, loan_id, actor, note, reason, source)
    outstanding = outstanding_of(loan_id)
    owed = sum(outstanding.values())
    if settle_amount <= 0:
        raise DomainError(_("A settlement amount must be positive."))
    if settle_amount >= owed:
        raise DomainError(_("%(amount)s yuan is not less than the %(owed)s yuan owed: that is a promise to pay, "
                            "not a settlement.") % {"amount": display_fen(settle_amount), "owed": display_fen(owed)})  # fmt: skip
    if settle_by < case.as_of:
        raise DomainError(_("A settlement cannot be due %(day)s, before the business date %(today)s.")
                          % {"day": settle_by, "today": case.as_of})  # fmt: skip
    concession = Concession.objects.create(
        kind=Concession.Kind.SETTLEMENT, case=case, loan_id=loan_id, as_of=case.as_of, outstanding=outstanding,
        settle_amount=settle_amount, settle_by=settle_by, reason=reason, note=note.strip(), requested_by=actor,
        source=source, **discount_split(outstanding, owed - settle_amount),
    )  # fmt: skip
    return _submit(concession, actor)


@transaction.atomic
def sign_settlement(concession: Concession, *, signed_copy: bytes, filename: str, actor: User) -> Concession:
    """Keep the borrower's signed settlement agreement: hashed into the evidence log (its record is what a court
    or auditor checks), linked from the settlement. Only an approved settlement, once."""
    if not can(actor, WORK_CASES):
        raise PermissionDenied(_("You may not work cases."))
    concession = (
        Concession.objects.select_for_update(of=("self",)).select_related("case").get(pk=concession.pk)
    )
    if concession.kind != Concession.Kind.SETTLEMENT or concession.status != Concession.Status.APPROVED:
        raise DomainError(_("Only an approved settlement waiting for its money can be signed."))
    if concession.signed_copy_id is not None:
        raise DomainError(_("The signed agreement is already on file."))
    if not signed_copy:
        raise DomainError(_("Upload the signed agreement."))
    case = concession.case
    concession.signed_copy = audit.append_evidence(
        "agreement.signed", payload={"settlement": concession.pk, "amount": concession.settle_amount,
                                     "settle_by": concession.settle_by, "filename": filename},
        case_id=case.pk, borrower_id=case.borrower_id, loan_ids=[concession.loan_id], subject_type="Concession",
        subject_id=concession.pk, files=[(filename or "agreement.pdf", signed_copy)], actor=actor,
    )  # fmt: skip
    concession.save(update_fields=["signed_copy"])
    audit.record("case.settlement_signed", "Case", case.pk, actor=actor,
                 after={"request": concession.pk, "evidence": concession.signed_copy.seq})  # fmt: skip
    return concession


@transaction.atomic
def decide(concession: Concession, *, actor: User, approve: bool, note: str = "") -> Concession:
    """An approver's decision. Four eyes: never the requester's own request. Approving needs authority for the
    whole request; principal takes two different approvers with that authority. A rejection ends the request."""
    from arrears.negotiation.models import Approval

    concession = Concession.objects.select_for_update().get(pk=concession.pk)
    if concession.status != Concession.Status.PENDING:
        raise DomainError(_("This request is no longer pending."))
    if concession.requested_by_id == actor.pk:
        raise PermissionDenied(_("You cannot decide your own request."))
    if concession.approvals.filter(approver=actor).exists():
        raise DomainError(_("You have already decided this request."))
    if actor.agency_id is not None:
        raise PermissionDenied(_("Requests are decided in house."))
    allowed, approvers = authority_of(actor.role, concession)
    if approve and not allowed:
        raise PermissionDenied(_("This request is above your authority."))
    if not approve and not (allowed or can(actor, MANAGE_CASES)):
        raise PermissionDenied(_("You may not decide this request."))
    if not approve and not note.strip():
        raise DomainError(_("Say why the request is rejected."))
    Approval.objects.create(request=concession, approver=actor, approved=approve, note=note.strip())
    audit.record(f"case.{concession.kind}_decided", "Case", concession.case_id, actor=actor,
                 note=note.strip()[:500], after={"request": concession.pk, "approved": approve})  # fmt: skip
    if not approve:
        concession.status, concession.decided_on = Concession.Status.REJECTED, concession.case.as_of
        concession.save(update_fields=["status", "decided_on"])
        RepaymentPlan.objects.filter(concession=concession).update(status=RepaymentPlan.Status.REJECTED)
    elif concession.approvals.filter(approved=True).count() >= approvers:
        _approved(concession, actor)
    return concession


decide_waiver = decide  # the name issue 7's first services used


def _approved(concession: Concession, actor: User) -> None:
    """Enough approvals: a waiver is posted; a settlement waits for its money (a promise the close judges); a
    plan waits to be signed."""
    concession.decided_on = concession.case.as_of
    if concession.kind == Concession.Kind.WAIVER:
        _post(concession, actor, kind="waiver", amounts=concession.amounts, on=concession.as_of)
        return
    concession.status = Concession.Status.APPROVED
    concession.save(update_fields=["status", "decided_on"])
    if concession.kind == Concession.Kind.PLAN:
        RepaymentPlan.objects.filter(concession=concession).update(status=RepaymentPlan.Status.APPROVED)
    else:
        assert concession.settle_amount is not None and concession.settle_by is not None
        promise = Promise.objects.create(case=concession.case, made_on=concession.case.as_of,
                                         amount=concession.settle_amount, source="settlement",
                                         concession=concession, created_by=actor)  # fmt: skip
        PromiseInstallment.objects.create(promise=promise, due_on=concession.settle_by,
                                          amount=concession.settle_amount)  # fmt: skip
    audit.record(f"case.{concession.kind}_approved", "Case", concession.case_id, actor=actor,
                 after={"request": concession.pk})  # fmt: skip


def _post(concession: Concession, actor: User | None, *, kind: str, amounts: dict[str, int], on: dt.date,
          through: dt.date | None = None) -> Adjustment:  # fmt: skip
    """Post what is given up as an adjustment on the loan and recompute it at once (the close reads adjustments
    with the payments); `through`: the business date being closed, when the close posts it."""
    from arrears.delinquency.services import recompute_loans

    if (
        kind == Adjustment.Kind.WAIVER
    ):  # what is owed may have shrunk since the request (payments, other waivers)
        left = outstanding_of(concession.loan_id)
        over = [c for c, amount in amounts.items() if amount > left[c]]
        if over:
            raise DomainError(
                _("The loan no longer owes that much %(component)s (%(left)s yuan now): reject this request and "
                  "ask again.") % {"component": COMPONENT_LABELS[over[0]], "left": display_fen(left[over[0]])}
            )  # fmt: skip
    adjustment = Adjustment.objects.create(loan_id=concession.loan_id, posted_on=on, request=concession,
                                           kind=kind, **amounts)  # fmt: skip
    concession.status = Concession.Status.POSTED
    concession.save(update_fields=["status", "decided_on"])
    audit.record(f"case.{concession.kind}_posted", "Case", concession.case_id, actor=actor,
                 actor_label="" if actor else "cob",
                 after={"request": concession.pk, "adjustment": adjustment.pk, "amount": adjustment.amount})  # fmt: skip
    recompute_loans([concession.loan_id], since=on, through=through)
    return adjustment


@transaction.atomic
def cancel(concession: Concession, *, actor: User, reason: str) -> Concession:
    """Withdraw a request not yet posted or signed (the requester or a manager); a settlement's promise and a
    plan go with it."""

    concession = Concession.objects.select_for_update().get(pk=concession.pk)
    if concession.requested_by_id != actor.pk and not can(actor, MANAGE_CASES):
        raise PermissionDenied(_("Only the requester or a manager may withdraw this request."))
    if concession.status not in (Concession.Status.PENDING, Concession.Status.APPROVED):
        raise DomainError(_("Only a pending or approved request can be withdrawn."))
    if concession.signed_copy_id is not None:
        raise DomainError(_("The borrower signed this settlement: it ends when it is paid or broken."))
    if not reason.strip():
        raise DomainError(_("Give a reason for withdrawing the request."))
    concession.status = Concession.Status.CANCELLED
    concession.save(update_fields=["status"])
    concession.promises.filter(status=Promise.Status.OPEN).update(status=Promise.Status.CANCELLED)
    RepaymentPlan.objects.filter(concession=concession).update(status=RepaymentPlan.Status.CANCELLED)
    audit.record(f"case.{concession.kind}_cancelled", "Case", concession.case_id, actor=actor,
                 note=reason.strip()[:500], after={"request": concession.pk})  # fmt: skip
    return concession


@transaction.atomic
def reverse_waiver(concession: Concession, *, actor: User, reason: str) -> Concession:
    """Undo a posted waiver (a reversing adjustment, as payments are reversed); a manager's decision."""
    from arrears.delinquency.services import recompute_loans

    if not can(actor, MANAGE_CASES):
        raise PermissionDenied(_("You may not reverse waivers."))
    concession = Concession.objects.select_for_update().get(pk=concession.pk)
    if concession.kind != Concession.Kind.WAIVER or concession.status != Concession.Status.POSTED:
        raise DomainError(_("Only a posted waiver can be reversed."))
    if not reason.strip():
        raise DomainError(_("Give a reason for the reversal."))
    original = concession.adjustments.get(reverses__isnull=True)
    # dated the business date, as a payment's reversal is: history up to then stays as it was reported
    on = max(concession.case.as_of, original.posted_on)
    Adjustment.objects.create(loan_id=original.loan_id, posted_on=on, request=concession,
                              kind=original.kind, reverses=original)  # fmt: skip
    concession.status = Concession.Status.REVERSED
    concession.save(update_fields=["status"])
    audit.record("case.waiver_reversed", "Case", concession.case_id, actor=actor, note=reason.strip()[:500],
                 after={"request": concession.pk})  # fmt: skip
    recompute_loans([original.loan_id], since=on)
    return concession


def _settle(concession: Concession, as_of: dt.date) -> None:
    """A settlement paid in time (its promise kept): whatever the loan still owes is given up, and the case is
    closed as settled when none of its loans owes anything any more."""
    from arrears.delinquency.models import LoanStatus

    left = outstanding_of(concession.loan_id)
    if any(left.values()):
        _post(concession, None, kind="settlement", amounts=left, on=as_of, through=as_of)
    else:
        concession.status = Concession.Status.POSTED
        concession.save(update_fields=["status"])
    case = concession.case
    owing = LoanStatus.objects.filter(loan_id__in=case.loan_ids).exclude(
        outstanding_principal=0, overdue_interest=0, overdue_fees=0, penalty_interest=0
    )  # fmt: skip
    if case.is_open and not owing.exists():
        _close_by_batch(case, as_of, "settled", _("settlement %(id)s paid") % {"id": concession.pk})


def _close_by_batch(case: Case, as_of: dt.date, reason: str, note: str) -> None:
    from arrears.cases.services import close_tasks

    before = case.status
    Case.objects.filter(pk=case.pk).update(status=lifecycle.CLOSED, closed_reason=reason, closed_on=as_of,
                                           stage_since=as_of, next_action_on=None, action_due=False)  # fmt: skip
    close_tasks(Task.objects.filter(case=case))
    audit.record("case.transition", "Case", case.pk, actor_label="cob", before={"status": before},
                 after={"status": lifecycle.CLOSED, "closed_reason": reason}, note=note)  # fmt: skip


# --- repayment plans ---------------------------------------------------------------------------------------


def plan_components(loan_id: str, scope: str) -> dict[str, int]:
    """What a plan restructures, from the loan's status: everything overdue (penalty interest, interest, fees,
    principal) and, for the whole outstanding, the principal not yet due (`future_principal`)."""
    from arrears.delinquency.models import LoanStatus

    status = LoanStatus.objects.filter(loan_id=loan_id).first()
    if status is None:
        raise DomainError(_("Loan %(loan)s has no status yet: run the close first.") % {"loan": loan_id})
    parts = {"penalty": status.penalty_interest, "interest": status.overdue_interest, "fee": status.overdue_fees,
             "principal": status.overdue_principal}  # fmt: skip
    parts["future_principal"] = (
        status.outstanding_principal - status.overdue_principal if scope == RepaymentPlan.Scope.WHOLE else 0
    )
    return parts


def plan_schedule(loan: Any, amount: int, *, installments: int, first_due: dt.date, annual_rate: Decimal,
                   down_payment: int, as_of: dt.date) -> list[dict[str, Any]]:  # fmt: skip
    """The plan's rows, after checking the terms against the negotiation policy in force (domain data): at most
    so many installments, the first after the business date, the last at most so many months past maturity."""
    rules = policy(as_of)
    if first_due <= as_of:
        raise DomainError(
            _("The first installment must fall after the business date %(today)s.") % {"today": as_of}
        )
    if installments > rules.plan_max_installments:
        raise DomainError(
            _("A plan may have at most %(n)s installments.") % {"n": rules.plan_max_installments}
        )
    try:
        rows = plans.schedule(
            amount, installments, first_due, annual_rate=annual_rate, down_payment=down_payment
        )
    except plans.PlanError as error:
        raise DomainError(_("These terms make no plan: %(why)s.") % {"why": error}) from error
    limit = add_months(max(loan.maturity_date or as_of, as_of), rules.plan_months_past_maturity)
    if rows[-1].due_date > limit:
        raise DomainError(
            _("The last installment would fall on %(last)s, after %(limit)s: a plan may run at most %(months)s "
              "months past the loan's maturity (%(maturity)s).")
            % {"last": rows[-1].due_date, "limit": limit, "months": rules.plan_months_past_maturity,
               "maturity": loan.maturity_date or "—"}
        )  # fmt: skip
    return plans.as_rows(rows)


@transaction.atomic
def propose_plan(case: Case, loan_id: str, *, installments: int, first_due: dt.date, actor: User | None, note: str,
                 annual_rate: Decimal = Decimal(0), down_payment: int = 0, scope: str = "overdue",
                 reason: str = "hardship", source: str = "collector") -> RepaymentPlan:  # fmt: skip
    """Propose a repayment plan for a loan of the case: the amount is what the loan owes in `scope` at the
    business date; the schedule is computed now (`plans.schedule`) and shown to approver and borrower alike.
    Within the proposer's authority for plans it is approved at once; otherwise it goes to the queue."""
    _check_request(case, loan_id, actor, note, reason, source)
    if scope not in RepaymentPlan.Scope.values:
        raise DomainError(_("Unknown plan scope %(scope)s.") % {"scope": scope})
    if RepaymentPlan.objects.filter(concession__loan_id=loan_id, status__in=OPEN_PLANS).exists():
        raise DomainError(_("Loan %(loan)s already has a plan under way.") % {"loan": loan_id})
    loan = Loan.objects.get(pk=loan_id)
    parts = plan_components(loan_id, scope)
    amount = sum(parts.values())
    if amount <= 0:
        raise DomainError(_("Nothing is owed on loan %(loan)s to put into a plan.") % {"loan": loan_id})
    rows = plan_schedule(loan, amount, installments=installments, first_due=first_due, annual_rate=annual_rate,
                          down_payment=down_payment, as_of=case.as_of)  # fmt: skip
    concession = Concession.objects.create(
        kind=Concession.Kind.PLAN, case=case, loan_id=loan_id, as_of=case.as_of, outstanding={"plan": amount},
        reason=reason, note=note.strip(), requested_by=actor, source=source,
    )  # fmt: skip
    plan = RepaymentPlan.objects.create(
        concession=concession, scope=scope, as_of=case.as_of, amount=amount, components=parts,
        installments=installments, annual_rate=annual_rate, down_payment=down_payment, first_due=first_due,
        schedule=rows,
    )  # fmt: skip
    _submit(concession, actor)
    plan.refresh_from_db()
    return plan


@transaction.atomic
def refresh_plan(plan: RepaymentPlan, *, actor: User) -> RepaymentPlan:
    """Recompute a plan not yet signed at the current business date (the debt grows with penalty interest, or
    payments reduce it): same terms, new amount and schedule. Above the approved amount it needs approving again
    (the earlier decisions stay in the audit trail)."""
    if not can(actor, WORK_CASES):
        raise PermissionDenied(_("You may not work cases."))
    plan = RepaymentPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status not in (RepaymentPlan.Status.PROPOSED, RepaymentPlan.Status.APPROVED):
        raise DomainError(_("Only a plan not yet signed can be recomputed."))
    concession = plan.concession
    case, before = concession.case, plan.amount
    parts = plan_components(concession.loan_id, plan.scope)
    amount = sum(parts.values())
    plan.schedule = plan_schedule(concession.loan, amount, installments=plan.installments,
                                   first_due=plan.first_due, annual_rate=plan.annual_rate,
                                   down_payment=plan.down_payment, as_of=case.as_of)  # fmt: skip
    plan.amount, plan.components, plan.as_of = amount, parts, case.as_of
    if amount > concession.outstanding["plan"] and plan.status == RepaymentPlan.Status.APPROVED:
        plan.status = RepaymentPlan.Status.PROPOSED
        concession.status, concession.outstanding = Concession.Status.PENDING, {"plan": amount}
        concession.approvals.all().delete()
        concession.save(update_fields=["status", "outstanding"])
    elif plan.status == RepaymentPlan.Status.PROPOSED:
        concession.outstanding = {"plan": amount}
        concession.save(update_fields=["outstanding"])
    plan.save()
    audit.record("case.plan_recomputed", "Case", case.pk, actor=actor,
                 before={"plan": plan.pk, "amount": before}, after={"plan": plan.pk, "amount": amount})  # fmt: skip
    return plan


@transaction.atomic
def sign_plan(plan: RepaymentPlan, *, signed_copy: bytes, filename: str, actor: User) -> RepaymentPlan:
    """The borrower signed: the signed copy goes into the evidence log (hashed) and the plan becomes the loan's
    schedule from the business date S (see `RepaymentPlan`). The plan must still match what the loan owes at S
    (else recompute it and have the new figures signed)."""
    from arrears.compliance import services as compliance
    from arrears.delinquency.models import Restructuring
    from arrears.delinquency.services import recompute_loans

    if not can(actor, WORK_CASES):
        raise PermissionDenied(_("You may not work cases."))
    plan = RepaymentPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != RepaymentPlan.Status.APPROVED:
        raise DomainError(_("Only an approved plan can be signed."))
    if not signed_copy:
        raise DomainError(_("Upload the signed agreement."))
    concession = plan.concession
    case, loan_id, signed_on = concession.case, concession.loan_id, concession.case.as_of
    parts = plan_components(loan_id, plan.scope)
    if sum(parts.values()) != plan.amount:
        raise DomainError(
            _("The loan now owes %(now)s yuan, not the plan's %(plan)s yuan: recompute the plan and have the new "
              "agreement signed.") % {"now": display_fen(sum(parts.values())), "plan": display_fen(plan.amount)}
        )  # fmt: skip
    if plan.first_due <= signed_on:
        raise DomainError(_("The plan's first installment (%(day)s) is not after today: recompute it with a later "
                            "first due date.") % {"day": plan.first_due})  # fmt: skip
    record = audit.append_evidence(
        "agreement.signed", payload={"plan": plan.pk, "amount": plan.amount, "filename": filename,
                                     "schedule": plan.schedule},
        case_id=case.pk, borrower_id=case.borrower_id, loan_ids=[loan_id], subject_type="RepaymentPlan",
        subject_id=plan.pk, files=[(filename or "agreement.pdf", signed_copy)], actor=actor,
    )  # fmt: skip
    overdue = {c: parts[c] for c in COMPONENTS}
    if any(overdue.values()):
        Adjustment.objects.create(loan_id=loan_id, posted_on=signed_on, request=concession,
                                  kind=Adjustment.Kind.RESTRUCTURE, **overdue)  # fmt: skip
    installments = ScheduleInstallment.objects.filter(loan_id=loan_id)
    if plan.scope == RepaymentPlan.Scope.WHOLE:
        # not yet overdue at the end of the signing day: also the installment due that day (its principal is in
        # the plan's `future_principal`; its interest, not yet overdue, is replaced by the plan's)
        future = list(installments.filter(due_date__gte=signed_on))
        plan.superseded = [
            {"no": i.installment_no, "due_date": i.due_date.isoformat(), "principal": i.principal_due,
             "interest": i.interest_due, "fee": i.fee_due}
            for i in future
        ]  # fmt: skip
        for i in future:
            i.principal_due = i.interest_due = i.fee_due = 0
            i.extra = {**i.extra, "superseded_by_plan": plan.pk}
        ScheduleInstallment.objects.bulk_update(future, ["principal_due", "interest_due", "fee_due", "extra"])
    first_no = (installments.aggregate(n=Max("installment_no"))["n"] or 0) + 1
    ScheduleInstallment.objects.bulk_create(
        ScheduleInstallment(loan_id=loan_id, installment_no=first_no + k, due_date=row["due_date"],
                            principal_due=row["principal"], interest_due=row["interest"], fee_due=0,
                            extra={"plan": plan.pk, "plan_no": row["no"]})
        for k, row in enumerate(plan.schedule)
    )  # fmt: skip
    Restructuring.objects.get_or_create(loan_id=loan_id, restructured_on=signed_on,
                                        defaults={"note": f"plan {plan.pk}", "created_by": actor})  # fmt: skip
    plan.status, plan.signed_on, plan.signed_copy, plan.first_installment_no = (
        RepaymentPlan.Status.ACTIVE,
        signed_on,
        record,
        first_no,
    )
    plan.save()
    concession.status = Concession.Status.POSTED
    concession.save(update_fields=["status"])
    compliance.place_hold(case.borrower_id, "payment_plan", actor=None, loan_id=loan_id, starts_on=signed_on,
                          reason=f"repayment plan {plan.pk}")  # fmt: skip
    audit.record("case.plan_signed", "Case", case.pk, actor=actor,
                 after={"plan": plan.pk, "amount": plan.amount, "evidence": record.seq,
                        "first_installment_no": first_no})  # fmt: skip
    recompute_loans([loan_id], since=signed_on)
    return plan


def evaluate_plans(status: pl.DataFrame, as_of: dt.date) -> dict[str, int]:
    """The close watches every active plan against the day's status (set-based: one join): since signing
    settled everything overdue, a loan past due by more than the plan grace has missed a plan installment — the
    plan is broken and the case returns to contacting; a loan current on or after the plan's last due date has
    paid it — completed (the day after that date: an installment is past due only from the day after it falls
    due, so on the date itself dpd 0 does not yet say it was paid). A loan that left the active portfolio ends its plan too: closed (paid off) completes it,
    written off breaks it. Either way the plan's soft contact hold is lifted."""
    active = list(RepaymentPlan.objects.filter(status=RepaymentPlan.Status.ACTIVE)
                  .values_list("pk", "concession__loan_id", "concession__loan__status", "schedule"))  # fmt: skip
    if not active:
        return {"plans_broken": 0, "plans_completed": 0}
    grace = policy(as_of).plan_grace_days
    plans_frame = pl.DataFrame(
        [(pk, loan, state, dt.date.fromisoformat(rows[-1]["due_date"])) for pk, loan, state, rows in active],
        schema={"plan_id": pl.Int64, "loan_id": pl.String, "loan_status": pl.String, "last_due": pl.Date},
        orient="row",
    )  # fmt: skip
    judged = plans_frame.join(status.select("loan_id", "dpd"), on="loan_id", how="left").with_columns(
        pl.when(pl.col("loan_status") == "closed").then(pl.lit("completed"))
        .when(pl.col("loan_status") == "written_off").then(pl.lit("broken"))
        .when(pl.col("dpd") > grace).then(pl.lit("broken"))
        .when((pl.col("dpd") == 0) & (pl.col("last_due") < as_of)).then(pl.lit("completed"))
        .otherwise(None).alias("outcome")
    ).filter(pl.col("outcome").is_not_null())  # fmt: skip
    for plan_id, outcome in judged.select("plan_id", "outcome").iter_rows():
        _end_plan(RepaymentPlan.objects.select_related("concession__case").get(pk=plan_id), outcome, as_of)
    broken = judged.filter(pl.col("outcome") == "broken").height
    return {"plans_broken": broken, "plans_completed": judged.height - broken}


def _end_plan(plan: RepaymentPlan, outcome: str, as_of: dt.date) -> None:
    from arrears.compliance.models import ContactHold
    from arrears.compliance.services import lift_hold

    concession = plan.concession
    plan.status, plan.ended_on = outcome, as_of
    plan.save(update_fields=["status", "ended_on"])
    audit.record(
        f"case.plan_{outcome}", "Case", concession.case_id, actor_label="cob", after={"plan": plan.pk}
    )
    for hold in ContactHold.objects.filter(
        loan_id=concession.loan_id, kind="payment_plan", lifted_at__isnull=True
    ):
        lift_hold(hold, actor=None, reason=f"repayment plan {plan.pk} {outcome}")
    if outcome == RepaymentPlan.Status.BROKEN:
        _back_to_contacting(concession.case, as_of, _("Plan %(id)s broken: follow up") % {"id": plan.pk},
                            _("plan %(id)s broken") % {"id": plan.pk})  # fmt: skip
