"""Roles are seeded as Django groups (for the admin's permission screens) after every migrate."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from arrears.accounts.models import ApiToken, Role, Team, User
from arrears.audit import services as audit


def seed_roles(**_: Any) -> None:
    for role in Role:
        Group.objects.get_or_create(name=role.value)


@transaction.atomic
def create_user(
    username: str,
    password: str,
    role: str,
    *,
    team: Team | None = None,
    display_name: str = "",
    actor: User | None = None,
) -> User:
    user = User.objects.create_user(
        username=username,
        password=password,
        role=role,
        team=team,
        display_name=display_name,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    user.groups.set(Group.objects.filter(name=role))
    audit.record(
        "user.created",
        "user",
        user.pk,
        actor=actor,
        after={"username": username, "role": role, "team": team.name if team else None},
    )
    return user


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def create_api_token(user: User, name: str, *, actor: User | None = None) -> tuple[ApiToken, str]:
    """A new token; the plain key is returned once and never stored."""
    key = "arr_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=key[4:12], key_hash=_hash(key), created_at=timezone.now()
    )
    audit.record(
        "api_token.created", "api_token", token.pk, actor=actor, after={"user": user.username, "name": name}
    )
    return token, key


@transaction.atomic
def revoke_api_token(token: ApiToken, *, actor: User | None = None) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record("api_token.revoked", "api_token", token.pk, actor=actor, after={"name": token.name})


def user_for_api_key(key: str) -> User | None:
    """The active user a presented key belongs to, or None. Constant-time comparison of the hash."""
    if not key.startswith("arr_") or len(key) < 12:
        return None
    digest = _hash(key)
    for token in ApiToken.objects.select_related("user").filter(prefix=key[4:12], revoked_at__isnull=True):
        if hmac.compare_digest(token.key_hash, digest) and token.user.is_active:
            now = timezone.now()
            if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
                ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            return token.user
    return None
