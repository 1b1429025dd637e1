"""A base for `arrears` commands: plain-words help, `--json` output, and domain errors as clean exits."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from arrears.core.errors import DomainError


class ArrearsCommand(BaseCommand):
    json_option = True

    def add_arguments(self, parser: CommandParser) -> None:
        if self.json_option:
            parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def emit(self, options: dict[str, Any], payload: Any, text: str) -> None:
        if options.get("json"):
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str))
        else:
            self.stdout.write(text)

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except DomainError as exc:
            raise CommandError(exc.message) from exc


def user_named(username: str | None) -> Any:
    """The user a command acts as (`--by`), None when not given; a clear error when there is no such user."""
    from arrears.accounts.models import User
    from arrears.core.errors import NotFound

    if not username:
        return None
    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFound(f"no user {username}")
    return user
