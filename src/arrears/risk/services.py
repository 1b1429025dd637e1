"""Writes of the risk app: scorecard versions and model versions, each approved by someone other than its author
(four eyes), and what the close records about a model's population. Every write is audited."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import ValidationError

from arrears.accounts.models import User
from arrears.accounts.roles import APPROVE_RISK, MANAGE_RISK, can
from arrears.audit import services as audit
from arrears.core.errors import DomainError, PermissionDenied
from arrears.risk import modeling, scorecard
from arrears.risk.models import Approval, ModelMonitor, RiskModel, Scorecard

DEFAULT_SCORECARD = Path(__file__).parent / "fixtures" / "default_scorecard.json"


def _require(user: User | None, capability: str) -> None:
    if user is not None and not can(user, capability):
        raise PermissionDenied(_("You may not do this."))


def _four_eyes(author: User | None, approver: User | None) -> None:
    if approver is not None and author is not None and author.pk == approver.pk:
        raise PermissionDenied(_("Someone other than its author must approve it."))


def validate_definition(definition: Any) -> scorecard.Definition:
    try:
        return scorecard.Definition.model_validate(definition)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'definition'}: {e['msg']}" for e in exc.errors()
        )
        raise DomainError(_("The scorecard is not valid: %(problems)s") % {"problems": problems}) from exc


def seed_default_scorecard(**kwargs: Any) -> None:
    """post_migrate: the shipped scorecard, approved, when there is none (so `flush` gets it back too)."""
    if Scorecard.objects.exists():
        return
    data = json.loads(DEFAULT_SCORECARD.read_text())
    validate_definition(data["definition"])
    Scorecard.objects.create(
        name=data["name"],
        effective_from=dt.date.fromisoformat(data["effective_from"]),
        definition=data["definition"],
        status=Approval.APPROVED,
        note="shipped with Arrears",
        approved_at=timezone.now(),
    )


@transaction.atomic
def save_scorecard(
    name: str, effective_from: dt.date, definition: Any, *, actor: User | None, note: str = ""
) -> Scorecard:
    """A new draft version (or a changed draft of the same name and date). Approved versions never change: a
    change is a new version with its own effective date."""
    _require(actor, MANAGE_RISK)
    validate_definition(definition)
    row = Scorecard.objects.filter(name=name, effective_from=effective_from).first()
    if row is not None and row.status != Approval.DRAFT:
        raise DomainError(
            _("Version %(name)s from %(date)s is %(status)s; save the change as a new version.")
            % {"name": name, "date": effective_from, "status": row.get_status_display()}
        )
    before = row.definition if row else None
    if row is None:
        row = Scorecard(name=name, effective_from=effective_from, created_by=actor)
    row.definition, row.note = definition, note
    row.save()
    audit.record(
        "scorecard.saved", "Scorecard", row.pk, actor=actor, before=before, after=definition, note=note
    )
    return row


@transaction.atomic
def approve_scorecard(row: Scorecard, *, actor: User | None) -> Scorecard:
    _require(actor, APPROVE_RISK)
    row = Scorecard.objects.select_for_update().get(pk=row.pk)
    if row.status != Approval.DRAFT:
        raise DomainError(_("Only a draft can be approved."))
    _four_eyes(row.created_by, actor)
    row.status, row.approved_by, row.approved_at = Approval.APPROVED, actor, timezone.now()
    row.save()
    audit.record("scorecard.approved", "Scorecard", row.pk, actor=actor, after={"status": row.status})
    return row


@transaction.atomic
def register_model(
    artifact: dict[str, Any], name: str, *, actor: User | None, description: str = ""
) -> RiskModel:
    """Store a trained model as the next version of `name`, as a draft."""
    _require(actor, MANAGE_RISK)
    modeling.check_model(artifact)
    version = (RiskModel.objects.filter(name=name).aggregate(v=Max("version"))["v"] or 0) + 1
    training = artifact.get("training", {})
    row = RiskModel.objects.create(
        name=name,
        version=version,
        kind=artifact["kind"],
        artifact=artifact,
        description=description or training.get("source", ""),
        metrics=artifact.get("cv", {}),
        registered_by=actor,
    )
    audit.record(
        "risk_model.registered",
        "RiskModel",
        row.pk,
        actor=actor,
        after={"name": name, "version": version, "kind": row.kind, "features": row.features},
    )
    return row


@transaction.atomic
def approve_model(row: RiskModel, *, actor: User | None) -> RiskModel:
    """Approve a draft for production: it must only need features the batch computes. The version approved
    before it is retired (one model scores production loans at a time)."""
    _require(actor, APPROVE_RISK)
    row = RiskModel.objects.select_for_update().get(pk=row.pk)
    if row.status != Approval.DRAFT:
        raise DomainError(_("Only a draft can be approved."))
    _four_eyes(row.registered_by, actor)
    unknown = [f for f in row.features if f not in scorecard.ALL_FEATURES or f == "pd"]
    if unknown:
        raise DomainError(
            _("The batch does not compute %(features)s; a production model may use only: %(known)s.")
            % {"features": ", ".join(unknown), "known": ", ".join(scorecard.ALL_FEATURES[:-1])}
        )
    retired = list(RiskModel.objects.filter(status=Approval.APPROVED).values_list("pk", flat=True))
    RiskModel.objects.filter(pk__in=retired).update(status=Approval.RETIRED)
    row.status, row.approved_by, row.approved_at = Approval.APPROVED, actor, timezone.now()
    row.save()
    audit.record(
        "risk_model.approved",
        "RiskModel",
        row.pk,
        actor=actor,
        after={"status": row.status, "retired": retired},
    )
    return row


HISTORY_TARGET, HISTORY_POSITIVE = "outcome", "rolled_forward"


@transaction.atomic
def train_on_history(
    as_of: dt.date, horizon: int = 30, *, name: str = "roll-forward", actor: User | None = None
) -> tuple[RiskModel, dict[str, Any]]:
    """Train a model on the portfolio's own outcomes: the loans past due at the end of `as_of`, their features
    then, and whether they rolled forward (paid nothing) within `horizon` days. Registered as a draft; someone
    else approves it. Returns the model and its cross-validation."""
    from arrears.risk.selectors import training_set

    _require(actor, MANAGE_RISK)
    frame = training_set(as_of, horizon)
    if frame.height < 2 * modeling.FOLDS:
        raise DomainError(
            _("Only %(n)s loans were past due on %(date)s: too few to train on.")
            % {"n": frame.height, "date": as_of}
        )
    artifact, cv = modeling.train(
        frame,
        HISTORY_TARGET,
        [HISTORY_POSITIVE],
        drop=["loan_id", "borrower_id"],
        source=f"portfolio history: loans past due on {as_of}, rolled forward within {horizon} days",
    )
    return register_model(artifact, name, actor=actor), cv


def record_monitor(model_id: int, as_of: dt.date, rows: int, counts: dict[str, Any]) -> ModelMonitor | None:
    """What the close saw of an approved model's population on `as_of` (bin counts summed over partitions),
    with the PSI against training. Called inside the close's write transaction."""
    model = RiskModel.objects.filter(pk=model_id).first()
    if model is None or rows == 0:
        return None
    feature_shares = {name: modeling.count_shares(c) for name, c in counts["features"].items()}
    score_shares = modeling.count_shares(counts["score"])
    psi = {
        "score": modeling.psi(model.artifact["score_bins"]["shares"], score_shares),
        "features": {
            f["name"]: modeling.psi(f["shares"], feature_shares[f["name"]])
            for f in model.artifact["features"]
            if f["name"] in feature_shares
        },
    }
    row, _created = ModelMonitor.objects.update_or_create(
        model=model,
        as_of=as_of,
        defaults={"rows": rows, "feature_shares": feature_shares, "score_shares": score_shares, "psi": psi},
    )
    return row
