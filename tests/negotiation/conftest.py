"""The negotiation tests' world: the hand-checked loan L001 (three installments, all overdue on 2026-04-15) closed
on that day, its case assigned to a collector of 一组, with the collector's team lead and a manager."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from arrears.batch import runner
from arrears.cases.models import Case
from arrears.delinquency.models import LoanStatus
from tests.factories import TeamFactory, UserFactory, loan_with_details

AS_OF = dt.date(2026, 4, 15)


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    team = TeamFactory(name="一组", lenders=[])
    people = {
        "collector": UserFactory(username="c1", team=team),
        "lead": UserFactory(username="lead", role="team_lead", team=team),
        "manager": UserFactory(username="m1", role="manager"),
    }
    loan_with_details(loan_id="L001")
    runner.close([AS_OF])
    case = Case.objects.get()
    Case.objects.filter(pk=case.pk).update(assigned_to=people["collector"])
    case.refresh_from_db()
    return people | {"case": case, "status": LoanStatus.objects.get(loan_id="L001")}
