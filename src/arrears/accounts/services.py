"""Roles are seeded as Django groups (for the admin's permission screens) after every migrate."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction

from arrears.accounts.models import Role, Team, User
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
