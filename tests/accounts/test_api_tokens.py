from __future__ import annotations

import pytest
from django.core.management import call_command

from arrears.accounts.models import ApiToken, Role, Team
from arrears.accounts.services import create_api_token, create_user, revoke_api_token
from arrears.audit.models import AuditEvent
from arrears.portfolio.services import import_portfolio

pytestmark = pytest.mark.django_db


def test_token_authenticates_as_its_user_with_its_visibility(client, write_portfolio):
    import_portfolio(write_portfolio())
    team = Team.objects.create(name="A", lenders=["招商银行"])
    collector = create_user("c-token", "pw-long-enough-1", Role.COLLECTOR, team=team)
    token, key = create_api_token(collector, "dialer")
    assert token.key_hash != key and key not in token.key_hash
    headers = {"Authorization": f"Bearer {key}"}
    data = client.get("/api/v1/portfolio/loans/L001", headers=headers).json()
    assert data["borrower"]["phone"] == "138****5678"  # a collector's token sees masked data
    assert client.get("/api/v1/portfolio/loans/L002", headers=headers).status_code == 404  # other lender
    assert client.get("/api/v1/portfolio/loans/L001").status_code == 401
    assert (
        client.get(
            "/api/v1/portfolio/loans/L001", headers={"Authorization": "Bearer arr_wrongwrongwrong"}
        ).status_code
        == 401
    )
    revoke_api_token(token)
    assert client.get("/api/v1/portfolio/loans/L001", headers=headers).status_code == 401
    assert AuditEvent.objects.filter(action__startswith="api_token.").count() == 2


def test_token_command(capsys):
    create_user("svc", "pw-long-enough-1", Role.MANAGER)
    call_command("token", "create", "svc", "--name", "warehouse")
    out = capsys.readouterr().out
    key = out.strip().splitlines()[-1]
    assert key.startswith("arr_") and ApiToken.objects.get().prefix == key[4:12]
    call_command("token", "list")
    assert "warehouse" in capsys.readouterr().out
