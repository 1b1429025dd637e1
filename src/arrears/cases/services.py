"""Writes of the cases app: the close's sync (open, refresh, close), assignment, and people's transitions and
reassignments. Every change is an audit event on the case; the events are its timeline."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from arrears.accounts.models import Agency, Role, User
from arrears.accounts.roles import MANAGE_CASES, PLACE_CASES, WORK_CASES, can
from arrears.audit import services as audit
from arrears.batch import io
from arrears.batch.steps import cases as step
from arrears.cases import lifecycle
from arrears.cases.models import Case, CasePolicy, Note, Placement, StageSla, Task
from arrears.core.errors import DomainError, PermissionDenied
from arrears.portfolio.interchange import store

TABLE = "cases_case"
LOANS_QUERY = (
    "SELECT l.loan_id, l.lender, l.product_type, l.lender_type, CASE "
    "WHEN EXISTS (SELECT 1 FROM portfolio_recoursepayment r WHERE r.loan_id = l.loan_id) THEN 'guarantee_recourse' "
    "WHEN EXISTS (SELECT 1 FROM portfolio_assignment a WHERE a.loan_id = l.loan_id) THEN 'assigned' "
    "ELSE 'own' END AS case_type FROM portfolio_loan l WHERE l.status = 'active'"
)
LOANS_SCHEMA: dict[str, pl.DataType] = {
    "loan_id": pl.String(),
    "lender": pl.String(),
    "product_type": pl.String(),
    "lender_type": pl.String(),
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
    """Open, refresh and close cases from the close's status of every active loan at `as_of` (the close then
    segments and assigns them: `batch.runner.sync_cases`). Runs inside the close's write transaction; a second
    run of the same date changes only facts."""
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
            priority=pl.lit(0),
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
        store.update_rows(TABLE, plan.closed.select("id").with_columns(
            status=pl.lit(lifecycle.CLOSED), closed_reason=pl.lit("cured"), closed_on=pl.lit(as_of),
            stage_since=pl.lit(as_of), as_of=pl.lit(as_of), next_action_on=pl.lit(None, dtype=pl.Date),
            action_due=pl.lit(False),
        ))  # fmt: skip
        close_tasks(Task.objects.filter(case_id__in=ids))
        audit.record_many(
            "case.closed", "Case", ((str(pk), None, {"status": lifecycle.CLOSED, "reason": "cured"}) for pk in ids),
            actor_label="cob",
        )  # fmt: skip
    return {"opened": plan.opened.height, "updated": plan.updated.height, "closed": plan.closed.height}


def refresh_priorities(as_of: dt.date) -> None:
    """Every open case's queue keys at `as_of`: its priority (`batch.steps.cases.priority`) and `action_due`
    (next action on or before `as_of`). Runs last in the close, after the strategy and the promises moved next
    actions; writes only the rows whose keys changed."""
    cases = io.read_frame(
        "SELECT id, risk_score, total_overdue, status, stage_since, priority FROM cases_case "
        "WHERE status <> 'closed'",
        {"id": pl.Int64(), "risk_score": pl.Int64(), "total_overdue": pl.Int64(), "status": pl.String(),
         "stage_since": pl.Date(), "priority": pl.Int64()},
    )  # fmt: skip
    sla = dict(StageSla.objects.values_list("stage", "days"))
    fresh = cases.select("id", "priority", new=step.priority(sla, as_of))
    changed = fresh.filter(pl.col("new") != pl.col("priority")).select("id", priority=pl.col("new"))
    if changed.height:
        store.update_rows(TABLE, changed)
    with connection.cursor() as cursor:  # the queue's first key, one UPDATE of the rows that change
        cursor.execute(
            f"UPDATE {TABLE} SET action_due = (next_action_on IS NOT NULL AND next_action_on <= %s) "
            f"WHERE status <> 'closed' AND action_due <> (next_action_on IS NOT NULL AND next_action_on <= %s)",
            [as_of, as_of],
        )


def _json_list(name: str) -> pl.Expr:
    """A list of strings as JSON text, set-based (quotes and backslashes escaped)."""
    escaped = pl.col(name).list.eval(pl.element().str.replace_all("\\", "\\\\", literal=True)
                                     .str.replace_all('"', '\\"', literal=True))  # fmt: skip
    return pl.format('["{}"]', escaped.list.join('","'))


def _blank_texts() -> list[pl.Expr]:
    return [
        pl.col(c).fill_null("")
        for c in ("bucket", "classification", "risk_level", "product_type", "lender_type")
    ]


def _update(rows: pl.DataFrame) -> None:
    """Refresh the facts of open cases (`store.update_rows`: UPDATE … FROM a COPY-loaded table on PostgreSQL)."""
    columns = [c for c in step.FACTS if c != "loan_ids"] + ["loan_ids", "as_of"]
    store.update_rows(TABLE, rows.select("id", *columns).with_columns(*_blank_texts()))


def assign_unassigned() -> dict[str, int]:
    """Give every open, unassigned case that is not placed outside a collector who may take it, and say how many
    could not be given (everyone eligible at capacity, or nobody eligible).

    Who may take a case: an active in-house collector whose team works the case's lender, who has every skill the
    case's segment requires, and — if they list regions (`region:<province>`) — covers the borrower's province.
    Continuity first: the collector of the borrower's last case with that lender, when still eligible and not at
    capacity. The rest are dealt per pool of interchangeable collectors, riskiest and largest first, by
    `batch.steps.cases.deal` (capacity-weighted, round-robin by load when nobody has a limit). Set-based: one
    pass per pool, one UPDATE per collector."""
    cases = pl.DataFrame(
        list(
            Case.objects.filter(assigned_to__isnull=True, placed_with__isnull=True)
            .exclude(status=lifecycle.CLOSED)
            .values("id", "borrower_id", "lender", "risk_score", "total_overdue", "borrower__province",
                    "segment__required_skills")
        ),
        schema={"id": pl.Int64, "borrower_id": pl.String, "lender": pl.String, "risk_score": pl.Int64,
                "total_overdue": pl.Int64, "borrower__province": pl.String,
                "segment__required_skills": pl.List(pl.String)},
    ).rename({"borrower__province": "province", "segment__required_skills": "skills"})  # fmt: skip
    if cases.is_empty():
        return {"assigned": 0, "unassigned": 0}
    people = [
        {"user_id": u.pk, "lenders": u.team.lenders, "skills": set(u.skills or []), "load": u.load,  # type: ignore[union-attr]
         "capacity": u.max_open_cases}
        for u in User.objects.filter(role=Role.COLLECTOR, is_active=True, team__isnull=False, agency__isnull=True)
        .select_related("team")
        .annotate(load=Count("cases", filter=~Q(cases__status=lifecycle.CLOSED)))
    ]  # fmt: skip
    regional = any(s.startswith("region:") for p in people for s in p["skills"])
    cases = cases.with_columns(
        skills=pl.col("skills").fill_null([]).list.sort().list.join(","),
        province=pl.col("province").fill_null("") if regional else pl.lit(""),
    ).sort(["risk_score", "total_overdue", "id"], descending=[True, True, False], nulls_last=True)
    pools = cases.select("lender", "skills", "province").unique().sort(["lender", "skills", "province"])

    def eligible(lender: str, skills: str, province: str) -> list[dict[str, Any]]:
        needed = {s for s in skills.split(",") if s}
        return [
            p for p in people
            if (not p["lenders"] or lender in p["lenders"]) and needed <= p["skills"]
            and (not province or not any(s.startswith("region:") for s in p["skills"])
                 or f"region:{province}" in p["skills"])
        ]  # fmt: skip

    previous = pl.DataFrame(
        list(
            Case.objects.filter(status=lifecycle.CLOSED, assigned_to__isnull=False)
            .order_by("borrower_id", "lender", "-closed_on")
            .values("borrower_id", "lender", "assigned_to_id")
        ),
        schema={"borrower_id": pl.String, "lender": pl.String, "assigned_to_id": pl.Int64},
    ).unique(["borrower_id", "lender"], keep="first")
    chosen: list[pl.DataFrame] = []
    load = {p["user_id"]: p["load"] for p in people}
    for lender, skills, province in pools.iter_rows():
        pool = cases.filter((pl.col("lender") == lender) & (pl.col("skills") == skills)
                            & (pl.col("province") == province))  # fmt: skip
        members = eligible(lender, skills, province)
        roster = pl.DataFrame(
            [
                {"user_id": p["user_id"], "load": load[p["user_id"]], "capacity": p["capacity"]}
                for p in members
            ],
            schema={"user_id": pl.Int64, "load": pl.Int64, "capacity": pl.Int64},
        )
        kept = (
            pool.join(previous, on=["borrower_id", "lender"], how="inner")
            .join(roster, left_on="assigned_to_id", right_on="user_id", how="inner")
            .with_columns(turn=pl.int_range(pl.len()).over("assigned_to_id"))
            .filter(pl.col("capacity").is_null() | (pl.col("load") + pl.col("turn") < pl.col("capacity")))
            .select("id", user_id="assigned_to_id")
        )
        dealt = step.deal(
            pool.join(kept, on="id", how="anti"),
            roster.join(kept.group_by("user_id").len(), on="user_id", how="left").select(
                "user_id", "capacity", load=pl.col("load") + pl.col("len").fill_null(0)
            ),
        )
        for part in (kept, dealt):
            for user_id, n in part.group_by("user_id").len().iter_rows():
                load[user_id] += n
        chosen += [kept, dealt]
    given = pl.concat(chosen) if chosen else pl.DataFrame(schema={"id": pl.Int64, "user_id": pl.Int64})
    for (user_id,), group in given.group_by(["user_id"]):
        ids = group["id"].to_list()
        for start in range(0, len(ids), 5000):
            Case.objects.filter(pk__in=ids[start : start + 5000]).update(assigned_to_id=user_id)
    audit.record_many(
        "case.assigned", "Case", ((str(r["id"]), None, {"assigned_to": r["user_id"]}) for r in given.iter_rows(named=True)),
        actor_label="cob",
    )  # fmt: skip
    return {"assigned": given.height, "unassigned": cases.height - given.height}


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
        close_tasks(case.tasks.all())
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


def close_tasks(tasks: QuerySet[Task]) -> None:
    """A closed case's open follow-ups end with it (done when it closed), so that "follow-ups due" never needs to
    join the cases: the close's cure (`sync_cases`) and a transition to closed call it."""
    tasks.filter(done_at__isnull=True).update(done_at=timezone.now())


def _next_action(case: Case) -> None:
    """The case's next action: its earliest open follow-up, and whether it is due (`action_due`, the queue's
    first key) at the case's business date."""
    earliest = (
        case.tasks.filter(done_at__isnull=True).order_by("due_on").values_list("due_on", flat=True).first()
    )
    Case.objects.filter(pk=case.pk).update(
        next_action_on=earliest, action_due=earliest is not None and earliest <= case.as_of
    )


CALL_OUTCOMES = ["answered", "unanswered", "busy", "invalid_number", "wrong_party", "refused", "promise_to_pay",
                 "dispute"]  # fmt: skip
REACHED = {"answered", "refused", "promise_to_pay", "dispute"}  # the debtor was spoken to


@transaction.atomic
def log_call(case: Case, outcome: str, *, actor: User, note: str = "", audited: bool = True) -> Case:
    """What a call's outcome does to the case: speaking to the debtor sets its last contact (a fact segments
    test), and a new case moves to contacting. `contact.services.log_call` (the call log) calls it with
    `audited=False`: its own "case.contact" event is the call's one entry on the timeline."""
    if not can(actor, WORK_CASES):
        raise PermissionDenied(_("You may not work cases."))
    if outcome not in CALL_OUTCOMES:
        raise DomainError(_("Unknown call outcome %(outcome)s; known: %(known)s.")
                          % {"outcome": outcome, "known": ", ".join(CALL_OUTCOMES)})  # fmt: skip
    case = Case.objects.select_for_update().get(pk=case.pk)
    if not case.is_open:
        raise DomainError(_("This case is closed."))
    if outcome in REACHED:
        case.last_contact_on = case.as_of
        case.save(update_fields=["last_contact_on"])
    if audited:
        audit.record(
            "case.call", "Case", case.pk, actor=actor, after={"outcome": outcome}, note=note.strip()[:500]
        )
    if case.status == lifecycle.NEW:
        case = transition(case, lifecycle.CONTACTING, actor=actor)
    return case


@transaction.atomic
def propose_escalation(case: Case, reason: str, *, actor: User) -> Task:
    """A collector's proposal to escalate (notice, visit, legal review): a follow-up for their team lead (or the
    case's collector when there is none) to decide, with the reason."""
    if not can(actor, WORK_CASES):
        raise PermissionDenied(_("You may not work cases."))
    if not reason.strip():
        raise DomainError(_("Give a reason for the escalation."))
    lead = None
    if actor.team_id is not None:
        lead = (
            User.objects.filter(team_id=actor.team_id, role=Role.TEAM_LEAD, is_active=True)
            .order_by("pk")
            .first()
        )
    task = Task.objects.create(
        case=case, title=_("Escalation proposed: %(reason)s") % {"reason": reason.strip()[:150]},
        due_on=case.as_of, assigned_to=lead or case.assigned_to or actor, created_by=actor,
        escalation=lifecycle.ESCALATED,
    )  # fmt: skip
    _next_action(case)
    audit.record("case.escalation_proposed", "Case", case.pk, actor=actor, after={"task": task.pk},
                 note=reason.strip()[:500])  # fmt: skip
    return task


@transaction.atomic
def bulk_reassign(cases: QuerySet[Case], to: list[User], *, actor: User, reason: str) -> int:
    """Spread open cases over the given collectors (least loaded first, `batch.steps.cases.deal`), with a reason;
    `cases` should come from what the actor may see (`selectors.visible_cases`). Each move is audited."""
    if not can(actor, MANAGE_CASES):
        raise PermissionDenied(_("You may not reassign cases."))
    if not reason.strip():
        raise DomainError(_("Give a reason for the reassignment."))
    if not to:
        raise DomainError(_("Choose at least one collector."))
    rows = list(cases.exclude(status=lifecycle.CLOSED).filter(placed_with__isnull=True)
                .order_by("-priority", "pk").values("id", "assigned_to_id"))  # fmt: skip
    if not rows:
        raise DomainError(_("No open in-house case was selected."))
    loads = dict(
        Case.objects.filter(assigned_to__in=to).exclude(status=lifecycle.CLOSED)
        .exclude(pk__in=[r["id"] for r in rows]).values_list("assigned_to").annotate(n=Count("pk"))
    )  # fmt: skip
    roster = pl.DataFrame(
        [{"user_id": u.pk, "load": loads.get(u.pk, 0), "capacity": None} for u in to],
        schema={"user_id": pl.Int64, "load": pl.Int64, "capacity": pl.Int64},
    )
    dealt = step.deal(pl.DataFrame({"id": [r["id"] for r in rows]}, schema={"id": pl.Int64}), roster)
    before = {r["id"]: r["assigned_to_id"] for r in rows}
    for (user_id,), group in dealt.group_by(["user_id"]):
        Case.objects.filter(pk__in=group["id"].to_list()).update(assigned_to_id=user_id)
    audit.record_many(
        "case.assigned", "Case",
        ((str(r["id"]), {"assigned_to": before[r["id"]]}, {"assigned_to": r["user_id"]})
         for r in dealt.iter_rows(named=True)),
        actor=actor, note=reason.strip()[:500],
    )  # fmt: skip
    return dealt.height


@transaction.atomic
def place(cases: QuerySet[Case], agency: Agency, *, actor: User, reason: str = "") -> int:
    """Place open in-house cases with an outside agency or law firm (委外): their users see them from now on, and
    in-house assignment and the treatment paths leave them alone until recalled."""
    if not can(actor, PLACE_CASES):
        raise PermissionDenied(_("You may not place cases with agencies."))
    if not agency.active:
        raise DomainError(_("%(agency)s is not active (contract ended).") % {"agency": agency})
    rows = list(cases.exclude(status=lifecycle.CLOSED).filter(placed_with__isnull=True)
                .values("id", "assigned_to_id", "as_of"))  # fmt: skip
    if not rows:
        raise DomainError(_("No open in-house case was selected."))
    ids = [r["id"] for r in rows]
    Case.objects.filter(pk__in=ids).update(placed_with=agency, assigned_to=None)
    Placement.objects.bulk_create(
        Placement(
            case_id=r["id"], agency=agency, placed_on=r["as_of"], placed_by=actor, reason=reason.strip()
        )
        for r in rows
    )
    audit.record_many(
        "case.placed", "Case",
        ((str(r["id"]), {"assigned_to": r["assigned_to_id"]}, {"placed_with": agency.name}) for r in rows),
        actor=actor, note=reason.strip()[:500],
    )  # fmt: skip
    return len(rows)


@transaction.atomic
def recall(cases: QuerySet[Case], *, actor: User, reason: str) -> int:
    """Take placed cases back from their agency (at contract end, or for legal action), with a reason; they are
    assigned in-house at once."""
    if not can(actor, PLACE_CASES):
        raise PermissionDenied(_("You may not recall cases from agencies."))
    if not reason.strip():
        raise DomainError(_("Give a reason for the recall."))
    rows = list(cases.filter(placed_with__isnull=False).values("id", "placed_with__name", "as_of"))
    if not rows:
        raise DomainError(_("No placed case was selected."))
    ids = [r["id"] for r in rows]
    as_of = {r["id"]: r["as_of"] for r in rows}
    placements = list(Placement.objects.filter(case_id__in=ids, recalled_on__isnull=True))
    for p in placements:
        p.recalled_on, p.recalled_by, p.recall_reason = as_of[p.case_id], actor, reason.strip()
    Placement.objects.bulk_update(placements, ["recalled_on", "recalled_by", "recall_reason"])
    Case.objects.filter(pk__in=ids).update(placed_with=None)
    audit.record_many(
        "case.recalled", "Case", ((str(r["id"]), {"placed_with": r["placed_with__name"]}, None) for r in rows),
        actor=actor, note=reason.strip()[:500],
    )  # fmt: skip
    assign_unassigned()
    return len(rows)
