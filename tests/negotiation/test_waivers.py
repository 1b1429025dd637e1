"""Waivers with the authority matrix: every role's limits, four eyes, two approvers for principal, posting as
an adjustment the batch respects, reversal, and bad requests refused with nothing changed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import translation

from arrears.batch import runner
from arrears.cases.models import Case
from arrears.core.errors import DomainError, PermissionDenied
from arrears.delinquency.models import LoanStatus
from arrears.negotiation import services
from arrears.negotiation.models import Adjustment, Concession
from tests.factories import TeamFactory, UserFactory, loan_with_details

AS_OF = dt.date(2026, 4, 15)


@pytest.fixture(autouse=True)
def english() -> Any:
    with translation.override("en"):
        yield


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    team = TeamFactory(name="一组", lenders=[])
    people = {
        "collector": UserFactory(username="c1", team=team),
        "lead": UserFactory(username="lead", role="team_lead", team=team),
        "manager": UserFactory(username="m1", role="manager"),
        "manager2": UserFactory(username="m2", role="manager"),
    }
    loan_with_details(loan_id="L001")
    runner.close([AS_OF])
    return people | {"case": Case.objects.get(), "status": LoanStatus.objects.get(loan_id="L001")}


def test_the_matrix_for_every_role() -> None:
    limits = {(r, c): SimpleNamespace(max_share=Decimal(s), max_amount=cap, approvers=a)
              for r, c, s, cap, a in services.DEFAULT_LIMITS}  # fmt: skip
    owed = {"penalty": 1_000_000, "interest": 500_000, "fee": 10_000, "principal": 5_000_000}
    cases = [
        ("collector", {"penalty": 200_000}, (True, 1)),  # 20 % and 2,000 yuan
        ("collector", {"penalty": 200_001}, (False, 0)),  # over 2,000 yuan
        ("collector", {"interest": 1}, (False, 0)),
        ("team_lead", {"penalty": 1_000_000, "interest": 100_000}, (True, 1)),
        ("team_lead", {"interest": 100_001}, (False, 0)),  # over 20 %
        ("team_lead", {"fee": 1}, (False, 0)),
        ("manager", {"penalty": 1_000_000, "interest": 500_000, "fee": 10_000}, (True, 1)),
        ("manager", {"principal": 1}, (True, 2)),
        ("legal", {"penalty": 1}, (False, 0)),
        ("compliance", {"penalty": 1}, (False, 0)),
    ]
    for role, amounts, expected in cases:
        assert services.within_authority(role, amounts, owed, limits) == expected, (role, amounts)


def test_within_ones_authority_it_posts_at_once_and_the_close_respects_it(world: dict[str, Any]) -> None:
    status = world["status"]
    amount = min(200_000, int(status.penalty_interest * 3 // 10))
    request = services.request_waiver(world["case"], "L001", {"penalty": amount}, actor=world["collector"],
                                      note="hardship: hospital", reason="illness")  # fmt: skip
    assert request.status == "posted"
    adjustment = Adjustment.objects.get()
    assert (adjustment.penalty, adjustment.posted_on) == (amount, AS_OF)
    after = LoanStatus.objects.get(loan_id="L001")
    assert after.penalty_interest == status.penalty_interest - amount  # recomputed at once
    runner.close([AS_OF + dt.timedelta(days=1)])  # and the close keeps it
    assert LoanStatus.objects.get(loan_id="L001").total_due < status.total_due
    services.reverse_waiver(request, actor=world["manager"], reason="posted on the wrong loan")
    restored = LoanStatus.objects.get(loan_id="L001")
    assert restored.penalty_interest > after.penalty_interest and restored.total_due > after.total_due


def test_above_ones_authority_it_waits_for_four_eyes_and_principal_for_two(world: dict[str, Any]) -> None:
    case, status = world["case"], world["status"]
    request = services.request_waiver(case, "L001", {"interest": status.overdue_interest}, actor=world["lead"],
                                      note="settlement talks")  # fmt: skip
    assert request.status == "pending"
    with pytest.raises(PermissionDenied, match="your own request"):
        services.decide_waiver(request, actor=world["lead"], approve=True)
    with pytest.raises(PermissionDenied, match="above your authority"):
        services.decide_waiver(request, actor=world["collector"], approve=True)
    services.decide_waiver(request, actor=world["manager"], approve=True)
    request.refresh_from_db()
    assert request.status == "posted"
    principal = services.request_waiver(case, "L001", {"principal": 100_000}, actor=world["manager"],
                                        note="court mediation")  # fmt: skip
    assert principal.status == "pending"  # two approvers, never the requester
    services.decide_waiver(principal, actor=world["manager2"], approve=True)
    principal.refresh_from_db()
    assert principal.status == "pending"
    admin = UserFactory(username="root", role="admin")
    services.decide_waiver(principal, actor=admin, approve=True)
    principal.refresh_from_db()
    assert principal.status == "posted"


def test_bad_requests_are_refused_and_change_nothing(world: dict[str, Any]) -> None:
    case, status = world["case"], world["status"]
    with pytest.raises(DomainError, match="more than the"):
        services.request_waiver(case, "L001", {"penalty": status.penalty_interest + 1}, actor=world["manager"],
                                note="x")  # fmt: skip
    with pytest.raises(DomainError, match="Explain the request"):
        services.request_waiver(case, "L001", {"penalty": 1}, actor=world["collector"], note=" ")
    with pytest.raises(DomainError, match="not part of this case"):
        services.request_waiver(case, "L999", {"penalty": 1}, actor=world["collector"], note="x")
    assert not Concession.objects.exists() and not Adjustment.objects.exists()


def test_a_waiver_approved_after_the_debt_shrank_is_refused(world: dict[str, Any]) -> None:
    """Two requests for the whole overdue interest: the second, approved after the first was posted, would cut into
    principal — refused, nothing posted."""
    case, status = world["case"], world["status"]
    first = services.request_waiver(case, "L001", {"interest": status.overdue_interest}, actor=world["lead"],
                                    note="a")  # fmt: skip
    second = services.request_waiver(case, "L001", {"interest": status.overdue_interest}, actor=world["lead"],
                                     note="b")  # fmt: skip
    services.decide(first, actor=world["manager"], approve=True)
    with pytest.raises(DomainError, match="no longer owes"):
        services.decide(second, actor=world["manager"], approve=True)
    second.refresh_from_db()
    assert second.status == "pending" and not second.approvals.exists()
    assert Adjustment.objects.count() == 1
    after = LoanStatus.objects.get(loan_id="L001")
    assert after.outstanding_principal == status.outstanding_principal


def test_only_those_with_authority_or_managing_cases_may_reject(world: dict[str, Any]) -> None:
    request = services.request_waiver(world["case"], "L001", {"principal": 1_000}, actor=world["manager"],
                                      note="court mediation")  # fmt: skip
    compliance = UserFactory(username="comp", role="compliance")
    with pytest.raises(PermissionDenied, match="may not decide"):
        services.decide(request, actor=compliance, approve=False, note="no")
    request.refresh_from_db()
    assert request.status == "pending"
