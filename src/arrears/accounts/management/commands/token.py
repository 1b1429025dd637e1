from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from arrears.accounts.models import ApiToken, User
from arrears.accounts.services import create_api_token, revoke_api_token
from arrears.core.commands import ArrearsCommand


class Command(ArrearsCommand):
    help = (
        "API tokens for integrations: `arrears token create USERNAME --name NAME` prints a new token once; "
        "`arrears token list`; `arrears token revoke ID`. A token acts as its user, with that user's role."
    )
    json_option = False

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token for a user")
        create.add_argument("username")
        create.add_argument("--name", required=True, help="what the token is for, e.g. 'data warehouse'")
        sub.add_parser("list", help="list tokens (never their keys)")
        revoke = sub.add_parser("revoke", help="revoke a token")
        revoke.add_argument("token_id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "create":
            user = User.objects.filter(username=options["username"]).first()
            if user is None:
                raise CommandError(f"no user {options['username']}")
            token, key = create_api_token(user, options["name"])
            self.stdout.write(
                f"Token {token.pk} for {user.username} ({token.name}). Shown once; store it now:\n{key}"
            )
        elif options["action"] == "list":
            for t in ApiToken.objects.select_related("user").order_by("pk"):
                state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
                self.stdout.write(f"{t.pk:>5}  {t.user.username:<16} {t.name:<24} {t.prefix}…  {state}")
        else:
            found = ApiToken.objects.filter(pk=options["token_id"]).first()
            if found is None:
                raise CommandError(f"no token {options['token_id']}")
            revoke_api_token(found)
            self.stdout.write(f"Token {found.pk} revoked.")
