"""Writing audit events. Services call these inside their own transaction, so the trail and the change commit together."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils import timezone

from arrears.audit.models import AuditEvent
from arrears.core.middleware import current_request_id

Actor = AbstractBaseUser | AnonymousUser | None


def _actor_fields(actor: Actor, label: str) -> dict[str, Any]:
    if actor is not None and getattr(actor, "is_authenticated", False):
        return {"actor": actor, "actor_label": label or actor.get_username()}
    return {"actor": None, "actor_label": label or "system"}


def record(
    action: str,
    object_type: str,
    object_id: str | int = "",
    *,
    actor: Actor = None,
    actor_label: str = "",
    before: Any = None,
    after: Any = None,
    note: str = "",
) -> AuditEvent:
    return AuditEvent.objects.create(
        at=timezone.now(),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=before,
        after=after,
        note=note,
        request_id=current_request_id(),
        **_actor_fields(actor, actor_label),
    )


def record_many(
    action: str,
    object_type: str,
    changes: Iterable[tuple[str, Any, Any]],
    *,
    actor: Actor = None,
    actor_label: str = "",
    note: str = "",
    batch_size: int = 5000,
) -> int:
    """One event per (object_id, before, after), written in bulk: used by imports that change many rows."""
    now = timezone.now()
    request_id = current_request_id()
    who = _actor_fields(actor, actor_label)
    events = [
        AuditEvent(
            at=now,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            before=before,
            after=after,
            note=note,
            request_id=request_id,
            **who,
        )
        for object_id, before, after in changes
    ]
    AuditEvent.objects.bulk_create(events, batch_size=batch_size)
    return len(events)
