"""Writes of the cases app: the close's sync (open, refresh, close), assignment, and people's transitions and
reassignments. Every change is an audit event on the case; the events are its timeline."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears.accounts.models import Role, User
from arrears.accounts.roles import MANAGE_CASES, WORK_CASES, can
from arrears.audit import services as audit
from arrears.batch import io
from arrears.batch.steps import cases as step
from arrears.cases import lifecycle
from arrears.cases.models import Case, CasePolicy, Note, StageSla, Task
from arrears.core.errors import DomainError, PermissionDenied
from arrears.portfolio.interchange import store

TABLE = "cases_case"
LOANS_QUERY = (
    "SELECT l.loan_id, l.lender, CASE "
    "WHEN EXISTS (SELECT 1 FROM portfolio_recoursepayment r WHERE r.loan_id = l.loan_id) THEN 'guarantee_recourse' "
    "WHEN EXISTS (SELECT 1 FROM portfolio_assignment a WHERE a.loan_id = l.loan_id) THEN 'assigned' "
    "ELSE 'own' END AS case_type FROM portfolio_loan l WHERE l.status = 'active'"
)
LOANS_SCHEMA: dict[str, pl.DataType] = {
    "loan_id": pl.String(),
    "lender": pl.String(),
    "case_type": pl.String(),
}
OPEN_QUERY = "SELECT id, borrower_id, lender, case_type FROM cases_case WHERE status <> 'closed'"
OPEN_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64(), "borrower_id": pl.String(), "lender": pl.String(), "case_type": pl.String(),
}  # fmt: skip


DEFAULT_SLA_DAYS = {lifecycle.NEW: 1, lifecycle.CONTACTING: 7, lifecycle.NEGOTIATING: 14, lifecycle.ESCALATED: 14,
                    lifecycle.LEGAL: 30, lifecycle.ENFORCEMENT: 90}  # fmt: skip


def seed_case_policy(**kwargs: Any) -> None:
    """post_migrate: open a case at 1 day past due unless a policy says otherwise; default stage SLAs."""
    if not CasePolicy.objects.exists():
        CasePolicy.objects.create(effective_from=dt.date(2000, 1, 1), open_at_dpd=1)
    if not StageSla.objects.exists():
        StageSla.objects.bulk_create(StageSla(stage=s, days=d) for s, d in DEFAULT_SLA_DAYS.items())


def open_at_dpd(as_of: dt.date) -> int:
    policy = CasePolicy.objects.filter(effective_from__lte=as_of).order_by("-effective_from").first()
    return policy.open_at_dpd if policy else 1


def sync_cases(status: pl.DataFrame, as_of: dt.date) -> dict[str, int]:
    """Open, refresh and close cases from the close's status of every active loan at `as_of`, then assign the
    unassigned. Runs inside the close's write transaction; a second run of the same date changes only facts."""
    loans = io.read_frame(LOANS_QUERY, LOANS_SCHEMA)
    open_cases = io.read_frame(OPEN_QUERY, OPEN_SCHEMA)
    plan = step.plan(status, loans, open_cases, open_at_dpd(as_of))
    facts = {"as_of": pl.lit(as_of), "loan_ids": _json_list("loan_ids")}
    if plan.opened.height:
        rows = plan.opened.with_columns(
            **facts,
            status=pl.lit(lifecycle.NEW),
            closed_reason=pl.lit(""),
            opened_on=pl.lit(as_of),
            stage_since=pl.lit(as_of),
        ).with_columns(*_blank_texts())
        store.upsert_table(TABLE, rows, [], insert_only=True)
        opened = Case.objects.filter(opened_on=as_of, status=lifecycle.NEW, as_of=as_of).values_list(
            "pk", "loan_ids"
        )
        audit.record_many(
            "case.opened", "Case", ((str(pk), None, {"status": lifecycle.NEW, "loans": ids}) for pk, ids in opened),
            actor_label="cob",
        )  # fmt: skip
    if plan.updated.height:
        _update(plan.updated.with_columns(**facts))
    if plan.closed.height:
        ids = plan.closed["id"].to_list()
        with connection.cursor() as cursor:
            for start in range(0, len(ids), 5000):
                chunk = ids[start : start + 5000]
                cursor.execute(
                    f"UPDATE {TABLE} SET status = %s, closed_reason = %s, closed_on = %s, stage_since = %s, "
                    f"as_of = %s, next_action_on = NULL WHERE id IN ({', '.join(['%s'] * len(chunk))})",
                    [lifecycle.CLOSED, "cured", as_of, as_of, as_of, *chunk],
                )
        audit.record_many(
            "case.closed", "Case", ((str(pk), None, {"status": lifecycle.CLOSED, "reason": "cured"}) for pk in ids),
            actor_label="cob",
        )  # fmt: skip
    assigned = assign_unassigned()
    return {"opened": plan.opened.height, "updated": plan.updated.height, "closed": plan.closed.height,
            "assigned": assigned}  # fmt: skip


def _json_list(name: str) -> pl.Expr:
    """A list of strings as JSON text, set-based (quotes and backslashes escaped)."""
    escaped = pl.col(name).list.eval(pl.element().str.replace_all("\\", "\\\\", literal=True)
                                     .str.replace_all('"', '\\"', literal=True))  # fmt: skip
    return pl.format('["{}"]', escaped.list.join('","'))


def _blank_texts() -> list[pl.Expr]:
    return [pl.col(c).fill_null("") for c in ("bucket", "classification", "risk_level")]


def _update(rows: pl.DataFrame) -> None:
    """Refresh the facts of open cases: one prepared UPDATE run over all rows (executemany). At a million cases an
    UPDATE … FROM a COPY-loaded temporary table on PostgreSQL is the next step."""
    columns = [c for c in step.FACTS if c != "loan_ids"] + ["loan_ids", "as_of"]
    rows = rows.select("id", *columns).with_columns(*_blank_texts())
    assignments = ", ".join(f"{c} = %s" for c in columns)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {TABLE} SET {assignments} WHERE id = %s",
            [(*(r[c] for c in columns), r["id"]) for r in rows.iter_rows(named=True)],
        )


def assign_unassigned() -> int:
    """Give every open unassigned case a collector who may work its lender: the collector of the borrower's last
    case with that lender when still eligible (continuity), else the least loaded, in turn (round-robin by load).
    Set-based: one pass in Polars, one UPDATE per collector."""
    cases = pl.DataFrame(
        list(
            Case.objects.filter(assigned_to__isnull=True)
            .exclude(status=lifecycle.CLOSED)
            .values("id", "borrower_id", "lender", "risk_score", "total_overdue")
        ),
        schema={
            "id": pl.Int64,
            "borrower_id": pl.String,
            "lender": pl.String,
            "risk_score": pl.Int64,
            "total_overdue": pl.Int64,
        },
    )
    if cases.is_empty():
        return 0
    collectors = list(
        User.objects.filter(role=Role.COLLECTOR, is_active=True, team__isnull=False)
        .select_related("team")
        .annotate(load=Count("cases", filter=~Q(cases__status=lifecycle.CLOSED)))
    )
    eligible = pl.DataFrame(
        [
            {"lender": lender, "user_id": c.pk, "load": c.load}
            for lender in cases["lender"].unique().to_list()
            for c in collectors
            if not c.team.lenders or lender in c.team.lenders  # type: ignore[union-attr]
        ],
        schema={"lender": pl.String, "user_id": pl.Int64, "load": pl.Int64},
    )
    previous = pl.DataFrame(
        list(
            Case.objects.filter(status=lifecycle.CLOSED, assigned_to__isnull=False)
            .order_by("borrower_id", "lender", "-closed_on")
            .values("borrower_id", "lender", "assigned_to_id")
        ),
        schema={"borrower_id": pl.String, "lender": pl.String, "assigned_to_id": pl.Int64},
    ).unique(["borrower_id", "lender"], keep="first")
    continuity = (
        cases.join(previous, on=["borrower_id", "lender"], how="inner")
        .join(eligible.rename({"user_id": "assigned_to_id"}), on=["lender", "assigned_to_id"], how="semi")
        .select("id", user_id="assigned_to_id")
    )
    rest = cases.join(continuity, on="id", how="anti").sort(
        ["risk_score", "total_overdue", "id"], descending=[True, True, False], nulls_last=True
    )
    ranked_users = eligible.sort(["lender", "load", "user_id"]).with_columns(
        slot=pl.int_range(pl.len()).over("lender"), pool=pl.len().over("lender")
    )
    turns = rest.with_columns(turn=pl.int_range(pl.len()).over("lender")).join(
        ranked_users.select("lender", "pool").unique(), on="lender", how="inner"
    )
    dealt = turns.with_columns(slot=pl.col("turn") % pl.col("pool")).join(
        ranked_users.select("lender", "slot", "user_id"), on=["lender", "slot"], how="inner"
    )
    chosen = pl.concat([continuity, dealt.select("id", "user_id")])
    for (user_id,), group in chosen.group_by(["user_id"]):
        ids = group["id"].to_list()
        for start in range(0, len(ids), 5000):
            Case.objects.filter(pk__in=ids[start : start + 5000]).update(assigned_to_id=user_id)
    audit.record_many(
        "case.assigned", "Case", ((str(r["id"]), None, {"assigned_to": r["user_id"]}) for r in chosen.iter_rows(named=True)),
        actor_label="cob",
    )  # fmt: skip
    return chosen.height


@transaction.atomic
def transition(case: Case, target: str, *, actor: User, reason: str = "", closed_reason: str = "") -> Case:
    """Move a case along the lifecycle table (`cases.lifecycle`): refused with the allowed next stages when the
    step is not in the table, when the user may not make it, or when it needs a reason and none is given."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    step_ = lifecycle.find(case.status, target)
    if step_ is None:
        allowed = ", ".join(t.target for t in lifecycle.allowed_from(case.status)) or _("none")
        raise DomainError(
            _("A case cannot go from %(source)s to %(target)s; from %(source)s it may go to: %(allowed)s.")
            % {"source": case.status, "target": target, "allowed": allowed}
        )
    if not can(actor, step_.capability):
        raise PermissionDenied(_("You may not move a case from %(source)s to %(target)s.")
                               % {"source": case.status, "target": target})  # fmt: skip
    if step_.reason_required and not reason.strip():
        raise DomainError(_("Give a reason for moving the case to %(target)s.") % {"target": target})
    if target == lifecycle.CLOSED and closed_reason not in lifecycle.CLOSED_REASONS:
        raise DomainError(
            _("Say how the case closed: %(reasons)s.") % {"reasons": ", ".join(lifecycle.CLOSED_REASONS)}
        )
    before = {"status": case.status}
    case.status = target
    case.stage_since = case.as_of
    if target == lifecycle.CLOSED:
        case.closed_reason, case.closed_on = closed_reason, case.as_of
    case.save()
    audit.record(
        "case.transition", "Case", case.pk, actor=actor, before=before,
        after={"status": target, **({"reason": closed_reason} if closed_reason else {})}, note=reason,
    )  # fmt: skip
    return case


@transaction.atomic
def reassign(case: Case, to: User, *, actor: User, reason: str) -> Case:
    """Give a case to another collector, with a reason (manual reassignment)."""
    if not can(actor, MANAGE_CASES):
        raise PermissionDenied(_("You may not reassign cases."))
    if not reason.strip():
        raise DomainError(_("Give a reason for the reassignment."))
    case = Case.objects.select_for_update().get(pk=case.pk)
    before = {"assigned_to": case.assigned_to_id}
    case.assigned_to = to
    case.save(update_fields=["assigned_to"])
    audit.record("case.assigned", "Case", case.pk, actor=actor, before=before, after={"assigned_to": to.pk},
                 note=reason)  # fmt: skip
    return case


@transaction.atomic
def add_note(case: Case, text: str, *, actor: User) -> Note:
    if not can(actor, WORK_CASES):
        raise PermissionDenied(_("You may not work cases."))
    if not text.strip():
        raise DomainError(_("The note is empty."))
    note = Note.objects.create(case=case, text=text.strip(), author=actor)
    audit.record("case.note", "Case", case.pk, actor=actor, after={"note": note.pk}, note=text.strip()[:500])
    return note


@transaction.atomic
def add_task(case: Case, title: str, due_on: dt.date, *, actor: User, assignee: User | None = None) -> Task:
    """A follow-up on or after the case's business date; the case's next action becomes its earliest open
    task."""
    if not can(actor, WORK_CASES):
        raise PermissionDenied(_("You may not work cases."))
    if not title.strip():
        raise DomainError(_("Say what is to be done."))
    if due_on < case.as_of:
        raise DomainError(_("A follow-up cannot be due before %(day)s.") % {"day": case.as_of})
    task = Task.objects.create(
        case=case, title=title.strip(), due_on=due_on, assigned_to=assignee or case.assigned_to or actor,
        created_by=actor,
    )  # fmt: skip
    _next_action(case)
    audit.record("case.task", "Case", case.pk, actor=actor, after={"task": task.pk, "title": task.title,
                 "due_on": due_on.isoformat()})  # fmt: skip
    return task


@transaction.atomic
def complete_task(task: Task, *, actor: User) -> Task:
    if not can(actor, WORK_CASES):
        raise PermissionDenied(_("You may not work cases."))
    if task.done_at is not None:
        raise DomainError(_("This task is already done."))
    task.done_at = timezone.now()
    task.save(update_fields=["done_at"])
    _next_action(task.case)
    audit.record("case.task_done", "Case", task.case_id, actor=actor, after={"task": task.pk})
    return task


def _next_action(case: Case) -> None:
    earliest = (
        case.tasks.filter(done_at__isnull=True).order_by("due_on").values_list("due_on", flat=True).first()
    )
    Case.objects.filter(pk=case.pk).update(next_action_on=earliest)
