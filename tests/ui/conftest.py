"""Fixtures of the UI tests: two teams' worth of portfolio and users of different roles."""

from __future__ import annotations

from typing import Any

import pytest

from arrears.accounts.models import Role
from tests.factories import (
    BorrowerFactory,
    LoanFactory,
    TeamFactory,
    UserFactory,
    loan_with_details,
    zhang_wei,
)


@pytest.fixture
def team_a() -> Any:
    return TeamFactory(name="A银行催收组", lenders=["A银行"])


@pytest.fixture
def collector(team_a: Any) -> Any:
    return UserFactory(username="collector", display_name="赵敏", role=Role.COLLECTOR, team=team_a)


@pytest.fixture
def manager() -> Any:
    return UserFactory(username="manager", display_name="钱经理", role=Role.MANAGER)


@pytest.fixture
def admin_user() -> Any:
    return UserFactory(
        username="admin", display_name="系统管理员", role=Role.ADMIN, is_staff=True, is_superuser=True
    )


@pytest.fixture
def loan_a() -> Any:
    """张伟's loan with A银行, with schedule, payments, collateral, guarantee and contacts."""
    borrower = zhang_wei()
    return loan_with_details(loan_id="L001", borrower=borrower, lender="A银行")


@pytest.fixture
def loan_b() -> Any:
    """王芳's credit card with B银行: outside team A's scope."""
    borrower = BorrowerFactory(
        borrower_id="B002",
        name="王芳",
        id_number="440304199001011233",
        phone="13900001234",
        province="广东",
        city="深圳",
    )
    return LoanFactory(
        loan_id="L002",
        borrower=borrower,
        lender="B银行",
        product_type="credit_card",
        principal=300_000,
        status="closed",
    )
