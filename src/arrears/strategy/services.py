"""Writes of the strategy app: configuration (paths, segments, arms, promotion, import) with four-eyes-free but
audited changes, and the close's two strategy passes — `apply_segments` (segment and arm of every open case, the
treatments that start and end) and `fire_due_steps` (the due step of each case's path as a follow-up task for
its collector). Nothing here sends anything: the contact channels (issue 6) carry the tasks out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import ValidationError

from arrears.accounts.models import User
from arrears.accounts.roles import MANAGE_STRATEGY, can
from arrears.audit import services as audit
from arrears.batch.steps import strategy as step
from arrears.cases.models import Case, Task
from arrears.core.errors import DomainError, PermissionDenied
from arrears.portfolio.interchange import store
from arrears.strategy import selectors
from arrears.strategy.models import Arm, Segment, TreatmentPath

CASES = "cases_case"
DEFAULT_STRATEGY = Path(__file__).resolve().parent / "fixtures" / "default_strategy.json"  # `strategy import`


def _require(actor: User | None) -> None:
    if actor is not None and not can(actor, MANAGE_STRATEGY):
        raise PermissionDenied(_("You may not change the collection strategy."))


def _problem(what: str, exc: ValidationError | ValueError) -> DomainError:
    detail = "; ".join(e["msg"] for e in exc.errors()) if isinstance(exc, ValidationError) else str(exc)
    return DomainError(_("%(what)s is not valid: %(detail)s") % {"what": what, "detail": detail})


@transaction.atomic
def save_path(name: str, steps: list[dict[str, Any]], *, repeat: bool = False, description: str = "",
              actor: User | None = None) -> TreatmentPath:  # fmt: skip
    """Create or change a treatment path; the steps are checked (`batch.steps.strategy.Step`)."""
    _require(actor)
    try:
        checked = [s.model_dump() for s in step.steps(steps)]
    except (ValidationError, ValueError) as exc:
        raise _problem(_("Treatment path %(name)s") % {"name": name}, exc) from None
    path, created = TreatmentPath.objects.get_or_create(name=name, defaults={"steps": checked})
    before = None if created else {"steps": path.steps, "repeat": path.repeat}
    path.steps, path.repeat, path.description = checked, repeat, description
    path.save()
    audit.record("strategy.path", "TreatmentPath", path.pk, actor=actor, actor_label="" if actor else "cli",
                 before=before, after={"steps": checked, "repeat": repeat})  # fmt: skip
    return path


@transaction.atomic
def save_segment(name: str, conditions: list[dict[str, Any]], *, priority: int = 100,
                 required_skills: list[str] | None = None, active: bool = True, description: str = "",
                 actor: User | None = None) -> Segment:  # fmt: skip
    """Create or change a segment; every condition is checked against the known facts and operators."""
    _require(actor)
    try:
        step.conditions(conditions)
    except (ValidationError, ValueError) as exc:
        raise _problem(_("Segment %(name)s") % {"name": name}, exc) from None
    segment, created = Segment.objects.get_or_create(name=name, defaults={"conditions": conditions})
    before = None if created else {"conditions": segment.conditions, "priority": segment.priority}
    segment.conditions, segment.priority, segment.active = conditions, priority, active
    segment.required_skills, segment.description = list(required_skills or []), description
    segment.save()
    audit.record("strategy.segment", "Segment", segment.pk, actor=actor, actor_label="" if actor else "cli",
                 before=before, after={"conditions": conditions, "priority": priority,
                                       "required_skills": segment.required_skills})  # fmt: skip
    return segment


@transaction.atomic
def set_arms(segment: Segment, arms: list[tuple[TreatmentPath, int, bool]], *, actor: User | None = None,
             reason: str = "") -> list[Arm]:  # fmt: skip
    """Replace a segment's arms: (path, basis points, champion). Shares add up to at most 10,000 (the rest of
    the segment gets no path); exactly one champion. Cases keep their arm unless its range moved past them."""
    _require(actor)
    total = sum(bp for _p, bp, _c in arms)
    if total > step.BASIS_POINTS:
        raise DomainError(
            _("The arms' shares add up to %(total)s%%, more than 100%%.") % {"total": total / 100}
        )
    if arms and sum(1 for *_x, champion in arms if champion) != 1:
        raise DomainError(_("A segment needs exactly one champion."))
    if len({p.pk for p, *_x in arms}) != len(arms):
        raise DomainError(_("A path can be an arm of a segment only once."))
    before = selectors.arms_as_list(segment)
    segment.arms.all().delete()
    created = Arm.objects.bulk_create(
        Arm(segment=segment, path=p, basis_points=bp, champion=champion) for p, bp, champion in arms
    )
    audit.record("strategy.arms", "Segment", segment.pk, actor=actor, actor_label="" if actor else "cli",
                 before={"arms": before}, after={"arms": selectors.arms_as_list(segment)}, note=reason)  # fmt: skip
    return created


def promote(
    segment: Segment, path: TreatmentPath, *, actor: User | None = None, reason: str = ""
) -> list[Arm]:
    """Make a challenger the segment's champion for every case (the other arms end at the next close)."""
    if not segment.arms.filter(path=path).exists():
        raise DomainError(_("%(path)s is not an arm of %(segment)s.") % {"path": path, "segment": segment})
    return set_arms(segment, [(path, step.BASIS_POINTS, True)], actor=actor, reason=reason or "promoted")


@transaction.atomic
def import_strategy(data: dict[str, Any], *, actor: User | None = None) -> dict[str, int]:
    """Paths, then segments with their arms, from one document (`strategy/fixtures/default_strategy.json` is an
    example); all or nothing."""
    paths = {p["name"]: save_path(p["name"], p["steps"], repeat=p.get("repeat", False),
                                  description=p.get("description", ""), actor=actor)
             for p in data.get("paths", [])}  # fmt: skip
    for s in data.get("segments", []):
        segment = save_segment(
            s["name"], s.get("conditions", []), priority=s.get("priority", 100),
            required_skills=s.get("required_skills"), description=s.get("description", ""), actor=actor,
        )  # fmt: skip
        arms = []
        for a in s.get("arms", []):
            path = paths.get(a["path"]) or TreatmentPath.objects.filter(name=a["path"]).first()
            if path is None:
                raise DomainError(_("Segment %(segment)s names an unknown path %(path)s.")
                                  % {"segment": s["name"], "path": a["path"]})  # fmt: skip
            arms.append((path, round(float(a.get("percent", 100)) * 100), bool(a.get("champion", False))))
        set_arms(segment, arms, actor=actor)
    return {"paths": len(paths), "segments": len(data.get("segments", []))}


# --- the close ----------------------------------------------------------------------------------------------


def apply_segments(as_of: dt.date) -> dict[str, int]:
    """Put every open case in its segment and arm at `as_of`. A case whose arm changes (or that had none) ends
    its treatment (outcome `moved`) and starts the new path at step 0; closed cases end theirs with the reason
    they closed. Set-based: one read, one bulk write of the cases that moved."""
    facts = selectors.case_facts(as_of)
    _end_closed(as_of)
    if facts.is_empty():
        return {"segmented": 0, "moved": 0}
    chosen = facts.select("id").with_columns(
        segment_id=step.choose_segments(facts, selectors.segments_in_force())
    )
    arms = step.choose_arms(chosen, selectors.arms_frame())
    chosen = chosen.join(arms, on="id", how="left")
    current = facts.select("id", old_segment="segment_id", old_path="path_id")
    moved = chosen.join(current, on="id").filter(
        pl.col("segment_id").ne_missing(pl.col("old_segment"))
        | pl.col("path_id").ne_missing(pl.col("old_path"))
    )
    if moved.height:
        entered = step.entry(moved.select("id", "path_id"), selectors.path_steps_frame(), as_of)
        store.update_rows(CASES, moved.select("id", "segment_id").join(entered, on="id"))
        _end_treatments(moved["id"].to_list(), as_of, outcome="moved")
        starting = moved.filter(pl.col("path_id").is_not_null()).join(
            facts.select("id", "dpd", "bucket", "overdue"), on="id"
        )
        store.upsert_table("strategy_treatment", starting.select(
            "segment_id", "path_id", case_id="id", started_on=pl.lit(as_of), entry_dpd="dpd",
            entry_bucket=pl.col("bucket").fill_null(""), entry_overdue="overdue", exit_bucket=pl.lit(""),
            outcome=pl.lit(""),
        ), [], insert_only=True)  # fmt: skip
        audit.record_many(
            "case.segment", "Case",
            ((str(r["id"]), {"segment": r["old_segment"], "path": r["old_path"]},
              {"segment": r["segment_id"], "path": r["path_id"]}) for r in moved.iter_rows(named=True)),
            actor_label="cob",
        )  # fmt: skip
    return {"segmented": chosen.filter(pl.col("segment_id").is_not_null()).height, "moved": moved.height}


_EXIT = (
    "UPDATE strategy_treatment SET ended_on = %s, outcome = COALESCE((SELECT NULLIF(c.closed_reason, '') "
    "FROM cases_case c WHERE c.id = strategy_treatment.case_id), %s), {facts} WHERE ended_on IS NULL AND {which}"
)
_EXIT_FACTS = ", ".join(
    f"{column} = (SELECT c.{source} FROM cases_case c WHERE c.id = strategy_treatment.case_id)"
    for column, source in (
        ("exit_dpd", "max_dpd"),
        ("exit_bucket", "bucket"),
        ("exit_overdue", "total_overdue"),
    )
)


def _end_treatments(case_ids: list[int], as_of: dt.date, *, outcome: str) -> None:
    """Close the open treatments of these cases with the case's facts now (its closing reason as the outcome
    when it closed). Set-based: one UPDATE per 5,000 cases."""
    with connection.cursor() as cursor:
        for start in range(0, len(case_ids), 5000):
            chunk = case_ids[start : start + 5000]
            which = f"case_id IN ({', '.join(['%s'] * len(chunk))})"
            cursor.execute(_EXIT.format(facts=_EXIT_FACTS, which=which), [as_of, outcome, *chunk])


def _end_closed(as_of: dt.date) -> None:
    with connection.cursor() as cursor:
        which = "case_id IN (SELECT id FROM cases_case WHERE status = 'closed')"
        cursor.execute(_EXIT.format(facts=_EXIT_FACTS, which=which), [as_of, "closed"])


def fire_due_steps(as_of: dt.date) -> dict[str, int]:
    """Each case whose path step is due gets it as a follow-up task for its collector, due today (channel,
    template and any escalation to propose), and moves on its path. Cases placed with an outside agency or not
    assigned are left alone (the agency works its own process). One step per case per close: a close that
    catches up several days does not pile up a backlog."""
    cases = pl.DataFrame(
        list(
            Case.objects.exclude(status="closed")
            .filter(path__isnull=False, next_step_on__lte=as_of, placed_with__isnull=True,
                    assigned_to__isnull=False)
            .values("id", "path_id", "path_step", "next_step_on", "assigned_to_id", "next_action_on")
        ),
        schema={"id": pl.Int64, "path_id": pl.Int64, "path_step": pl.Int64, "next_step_on": pl.Date,
                "assigned_to_id": pl.Int64, "next_action_on": pl.Date},
    )  # fmt: skip
    fired = step.due(cases, selectors.path_steps_frame(), as_of).join(
        cases.select("id", "assigned_to_id", "next_action_on"), on="id"
    )
    fired = fired.join(_held_by_promises(fired), on="id", how="anti")
    if fired.is_empty():
        return {"steps": 0}
    store.upsert_table("cases_task", fired.select(
        case_id="id", title=_task_titles(), due_on=pl.lit(as_of), assigned_to_id="assigned_to_id",
        channel="channel", template=pl.col("template").fill_null(""), note=pl.lit(""),
        escalation=pl.col("escalation").fill_null(""), created_at=pl.lit(timezone.now()),
    ), [], insert_only=True)  # fmt: skip
    store.update_rows(CASES, fired.select(
        "id", "path_step", "next_step_on", next_action_on=pl.min_horizontal("next_action_on", pl.lit(as_of)),
        action_due=pl.lit(True)))  # fmt: skip
    audit.record_many(
        "case.treatment_step", "Case",
        ((str(r["id"]), None, {"channel": r["channel"], "template": r["template"], "escalation": r["escalation"]})
         for r in fired.iter_rows(named=True)),
        actor_label="cob",
    )  # fmt: skip
    return {"steps": fired.height}


def _held_by_promises(fired: pl.DataFrame) -> pl.DataFrame:
    """The fired steps to hold back (ids) because the case has an open promise to pay: while one is open the path
    sends one courtesy reminder (an electronic step) and nothing else; held steps stay due and fire once the
    promise is judged."""
    from arrears.contact.models import ELECTRONIC
    from arrears.negotiation.models import Promise

    promised = dict(
        Promise.objects.filter(status=Promise.Status.OPEN, case_id__in=fired["id"].to_list())
        .order_by("case_id", "made_on")
        .values_list("case_id", "made_on")
    )
    if not promised:
        return fired.select("id").clear()
    reminded = {
        case_id
        for case_id, created in Task.objects.filter(
            case_id__in=list(promised), created_by__isnull=True, channel__in=ELECTRONIC
        ).values_list("case_id", "created_at")
        if timezone.localdate(created) >= promised[case_id]
    }
    return fired.filter(
        pl.col("id").is_in(list(promised))
        & (~pl.col("channel").is_in(list(ELECTRONIC)) | pl.col("id").is_in(list(reminded)))
    ).select("id")


def _task_titles() -> pl.Expr:
    """What the collector reads in their queue — channel: template → escalation — in the site's language at the
    time of the close (the channel is kept on the task for every language)."""
    labels = {code: str(label) for code, label in selectors.CHANNEL_LABELS.items()}
    title = pl.col("channel").replace_strict(labels, default=pl.col("channel"), return_dtype=pl.String)
    title = pl.when(pl.col("template") != "").then(pl.format("{}: {}", title, "template")).otherwise(title)
    return (
        pl.when(pl.col("escalation") != "").then(pl.format("{} → {}", title, "escalation")).otherwise(title)
    )
