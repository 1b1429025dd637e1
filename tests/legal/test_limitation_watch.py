"""The limitation watch (issue 8 §7): every owed loan's limitation expiry after its interruptions (delivered demand,
acknowledgement, part payment, filing; 民法典 arts. 188, 189, 195), set-based and in agreement with
`calculators.limitation`; guarantee periods (art. 692) and what preserves them; the follow-ups at T-180/T-90/T-30,
once each; the command line; a constant number of queries whatever the portfolio's size."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import polars as pl
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from arrears.audit import services as audit
from arrears.cases.models import Case, Task
from arrears.core.errors import DomainError, PermissionDenied
from arrears.legal import calculators as calc
from arrears.legal import selectors, services, watch
from arrears.legal.models import LimitationAlert
from tests.factories import (
    GuaranteeFactory,
    LoanFactory,
    PaymentFactory,
    ScheduleInstallmentFactory,
    TeamFactory,
    UserFactory,
)

D = dt.date
AS_OF = D(2026, 1, 15)


@pytest.fixture(autouse=True)
def english() -> Any:
    with translation.override("en"):
        yield


def owed(loan_id: str, last_due: dt.date, **kwargs: Any) -> Any:
    loan = LoanFactory(loan_id=loan_id, contract_date=last_due - dt.timedelta(days=120),
                       disbursement_date=last_due - dt.timedelta(days=119), maturity_date=last_due, **kwargs)  # fmt: skip
    ScheduleInstallmentFactory(loan=loan, installment_no=1, due_date=last_due - dt.timedelta(days=31))
    ScheduleInstallmentFactory(loan=loan, installment_no=2, due_date=last_due)
    return loan


def demand(loan_id: str, on: dt.date, party: str = "debtor") -> None:
    audit.append_evidence("demand.delivered", loan_ids=[loan_id],
                          payload={"delivered_on": on.isoformat(), "party": party})  # fmt: skip


@pytest.fixture
def portfolio(db: Any) -> dict[str, Any]:
    user = UserFactory(username="c1", team=TeamFactory(name="一组", lenders=[]))
    owed("L1", D(2023, 3, 31))  # nothing since: 3 years end 2026-03-31
    owed("L2", D(2023, 3, 31))
    demand("L2", D(2024, 6, 3))  # → 2027-06-03
    l3 = owed("L3", D(2023, 3, 31))
    PaymentFactory(
        loan=l3, paid_on=D(2023, 5, 4), amount=10_000
    )  # part payment → 2026-05-04: May Day → 05-06
    reversed_ = PaymentFactory(loan=l3, paid_on=D(2024, 1, 2), amount=10_000)
    PaymentFactory(loan=l3, paid_on=D(2024, 1, 5), amount=10_000, reverses=reversed_)  # not money received
    owed("L4", D(2022, 10, 1))  # 3 years end 2025-10-01 (National Day) → 2025-10-09: expired …
    demand("L4", D(2025, 11, 3))  # … so a later demand changes nothing
    owed("L5", D(2022, 6, 30))
    services.record_acknowledgement(  # acknowledged within the period: runs again from 2025-02-10
        LoanFactory._meta.model.objects.get(pk="L5"), D(2025, 2, 10), actor=UserFactory(username="m", role="manager"),
        as_of=AS_OF, how="signed a confirmation of the balance",
    )  # fmt: skip
    owed("L6", D(2023, 2, 1), status="closed")  # paid off: not watched
    owed("L7", D(2025, 12, 31))
    demand("L7", D(2025, 12, 1))  # before the last due date: ignored (art. 189 counts from it)
    demand("L1", D(2026, 2, 1))  # after the business date: not yet
    return {"user": user}


def test_every_loans_expiry_after_its_interruptions(portfolio: dict[str, Any]) -> None:
    rows = {r["loan_id"]: r for r in selectors.limitation_frame(AS_OF).iter_rows(named=True)}
    assert "L6" not in rows
    assert {k: (r["expires_on"], r["interrupted_by"]) for k, r in rows.items()} == {
        "L1": (D(2026, 3, 31), None),
        "L2": (D(2027, 6, 3), "demand"),
        "L3": (D(2026, 5, 6), "payment"),  # 2026-05-01…05 is the May Day holiday
        "L4": (D(2025, 10, 9), None),
        "L5": (D(2028, 2, 10), "acknowledgement"),
        "L7": (D(2028, 12, 31), None),
    }
    assert rows["L1"]["days_left"] == 75 and rows["L4"]["days_left"] == -98


def test_the_watch_agrees_with_the_calculator(portfolio: dict[str, Any]) -> None:
    frame = selectors.limitation_frame(AS_OF)
    events = selectors.interruption_events(AS_OF)
    for row in frame.iter_rows(named=True):
        dates = events.filter(pl.col("loan_id") == row["loan_id"])["on"].to_list()
        expected = calc.limitation(row["last_due"], dates)
        assert (row["runs_from"], row["expires_on"]) == (expected.runs_from, expected.expires_on), row


def test_a_chain_of_interruptions_stops_at_the_first_gap() -> None:
    loans = pl.DataFrame({"loan_id": ["A"], "last_due": [D(2018, 1, 5)]})
    events = pl.DataFrame({"loan_id": ["A"] * 3, "on": [D(2020, 1, 6), D(2023, 6, 1), D(2024, 1, 4)],
                           "source": ["demand", "payment", "demand"]})  # fmt: skip
    row = watch.limitation(loans, events, D(2024, 6, 1)).row(0, named=True)
    # 2020-01-06 restarts it to 2023-01-06; 2023-06-01 comes after that: the chain ends, later events too
    expected = calc.limitation(D(2018, 1, 5), [D(2020, 1, 6), D(2023, 6, 1), D(2024, 1, 4)])
    assert (row["runs_from"], row["expires_on"], row["interruptions"]) == (D(2020, 1, 6), D(2023, 1, 6), 1)
    assert (expected.runs_from, expected.expires_on) == (D(2020, 1, 6), D(2023, 1, 6))
    before_the_rule = watch.limitation(pl.DataFrame({"loan_id": ["B"], "last_due": [D(2015, 1, 5)]}),
                                       events.head(0), D(2024, 6, 1))  # fmt: skip
    assert before_the_rule["expires_on"].to_list() == [None]


def test_watch_within_days_and_the_command(portfolio: dict[str, Any]) -> None:
    soon = selectors.limitation_watch(AS_OF, 180)
    assert soon["loan_id"].to_list() == ["L1", "L3"]  # 75 and 111 days left
    assert selectors.limitation_watch(AS_OF, 180, include_expired=True)["loan_id"].to_list() == [
        "L4",
        "L1",
        "L3",
    ]
    out = io.StringIO()
    call_command("legal", "watch", "--as-of", "2026-01-15", "--within", "90", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert [(r["loan_id"], r["expires_on"], r["days_left"]) for r in data["limitation"]] == [
        ("L1", "2026-03-31", 75)
    ]


def test_guarantee_periods_and_what_preserves_them(portfolio: dict[str, Any]) -> None:
    l7, l2 = (LoanFactory._meta.model.objects.get(pk=pk) for pk in ("L7", "L2"))
    GuaranteeFactory(guarantee_id="G1", loan=l7, guarantee_type="joint")  # 6 months from 2025-12-31
    GuaranteeFactory(guarantee_id="G2", loan=l7, guarantee_type="joint", period_end=D(2026, 12, 31))
    GuaranteeFactory(guarantee_id="G3", loan=l2, guarantee_type="general")  # 2023-09-30: long gone
    rows = {r["guarantee_id"]: r for r in selectors.guarantee_frame(AS_OF).iter_rows(named=True)}
    assert (rows["G1"]["ends_on"], rows["G2"]["ends_on"], rows["G3"]["ends_on"]) == (
        D(2026, 6, 30), D(2026, 12, 31), D(2023, 9, 30),
    )  # fmt: skip
    assert selectors.guarantee_watch(AS_OF, 180)["guarantee_id"].to_list() == ["G1"]
    demand("L7", D(2026, 1, 10), party="guarantor")  # a demand on the joint guarantor preserves it (art. 693)
    assert selectors.guarantee_watch(AS_OF, 180).is_empty()
    # and it is not an interruption of the borrower's own limitation period
    assert selectors.limitation_frame(AS_OF, ["L7"])["interrupted_by"].to_list() == [None]


def test_alerts_as_follow_ups_once_per_threshold(portfolio: dict[str, Any]) -> None:
    loan_ids = ["L1", "L3"]
    case = Case.objects.create(borrower_id=LoanFactory._meta.model.objects.get(pk="L1").borrower_id, lender="A银行",
                               opened_on=AS_OF, stage_since=AS_OF, as_of=AS_OF, loan_ids=loan_ids,
                               assigned_to=portfolio["user"])  # fmt: skip
    counts = services.alert_limitation(AS_OF)
    assert counts["limitation_alerts"] == 2  # L1 at 75 days (T-90), L3 at 111 (T-180)
    assert counts["alerts_without_case"] == 0  # L4 expired, the others further out
    titles = sorted(Task.objects.filter(case=case).values_list("title", flat=True))
    assert titles == ["Limitation period of loan L1 expires 2026-03-31 (T-75): interrupt it or sue",
                      "Limitation period of loan L3 expires 2026-05-06 (T-111): interrupt it or sue"]  # fmt: skip
    assert services.alert_limitation(AS_OF)["limitation_alerts"] == 0
    assert services.alert_limitation(D(2026, 1, 20))["limitation_alerts"] == 0  # no new threshold reached
    # by 2026-03-02 the demand delivered on 2026-02-01 has restarted L1's period (to 2029-02-01): no T-30 for
    # it; L3 is 65 days from expiry: T-90
    assert services.alert_limitation(D(2026, 3, 2))["limitation_alerts"] == 1
    assert sorted(LimitationAlert.objects.values_list("loan_id", "threshold_days")) == [
        ("L1", 90),
        ("L3", 90),
        ("L3", 180),
    ]
    case.refresh_from_db()
    assert case.next_action_on == AS_OF
    # an acknowledgement moves L3's expiry (2029: holidays not yet published, the date is not moved)
    services.record_acknowledgement(LoanFactory._meta.model.objects.get(pk="L3"), D(2026, 3, 3),
                                    actor=UserFactory(username="m2", role="manager"), as_of=D(2026, 3, 3),
                                    how="asked for more time on the phone")  # fmt: skip
    assert selectors.limitation_frame(D(2026, 3, 3), ["L3"])["expires_on"].to_list() == [D(2029, 3, 3)]
    assert services.alert_limitation(D(2026, 4, 10))["limitation_alerts"] == 0  # nothing near any more


def test_acknowledgements_are_checked(portfolio: dict[str, Any]) -> None:
    loan = LoanFactory._meta.model.objects.get(pk="L1")
    manager = UserFactory(username="m3", role="manager")
    with pytest.raises(DomainError, match="after the business date"):
        services.record_acknowledgement(loan, D(2026, 2, 1), actor=manager, as_of=AS_OF, how="x")
    with pytest.raises(DomainError, match="Say how"):
        services.record_acknowledgement(loan, AS_OF, actor=manager, as_of=AS_OF)
    with pytest.raises(PermissionDenied):
        services.record_acknowledgement(loan, AS_OF, actor=UserFactory(username="x", role="compliance"),
                                        as_of=AS_OF, how="x")  # fmt: skip
    ack = services.record_acknowledgement(loan, AS_OF, actor=manager, as_of=AS_OF, how="letter",
                                          document=("确认书.pdf", b"%PDF-1.4"))  # fmt: skip
    assert ack.evidence is not None and ack.evidence.kind == "debt.acknowledged"


def test_a_constant_number_of_queries(portfolio: dict[str, Any]) -> None:
    with CaptureQueriesContext(connection) as few:
        selectors.limitation_frame(AS_OF)
        selectors.guarantee_frame(AS_OF)
    for n in range(20):
        loan = owed(f"M{n:02d}", D(2024, 1, 1) + dt.timedelta(days=n))
        demand(loan.loan_id, D(2025, 1, 1) + dt.timedelta(days=n))
        PaymentFactory(loan=loan, paid_on=D(2025, 3, 1), amount=100)
        GuaranteeFactory(loan=loan)
    with CaptureQueriesContext(connection) as many:
        frame = selectors.limitation_frame(AS_OF)
        selectors.guarantee_frame(AS_OF)
    assert len(many) == len(few) and frame.height == 26


def test_a_guarantee_due_before_the_guarantee_period_rule_is_not_assessed_not_a_crash(
    portfolio: dict[str, Any],
) -> None:
    """The guarantee-period rule starts 2021-01-01: a guarantee of a loan last due 2020-06-01 has no known end —
    left out of the watch and its alerts, while the rest of the portfolio is watched as before."""
    old = owed("L8", D(2020, 6, 1))
    GuaranteeFactory(guarantee_id="G8", loan=old, guarantee_type="joint")
    l7 = LoanFactory._meta.model.objects.get(pk="L7")
    GuaranteeFactory(guarantee_id="G9", loan=l7, guarantee_type="joint", period_end=D(2026, 2, 2))
    rows = {r["guarantee_id"]: r for r in selectors.guarantee_frame(AS_OF).iter_rows(named=True)}
    assert (rows["G8"]["ends_on"], rows["G8"]["days_left"]) == (None, None)
    assert rows["G9"]["ends_on"] == D(2026, 2, 2)
    assert selectors.guarantee_watch(AS_OF, 3650, include_expired=True)["guarantee_id"].to_list() == ["G9"]
    Case.objects.create(borrower_id=old.borrower_id, lender="A银行", opened_on=AS_OF, stage_since=AS_OF,
                        as_of=AS_OF, loan_ids=["L8", "L7"], assigned_to=portfolio["user"])  # fmt: skip
    assert services.alert_limitation(AS_OF)["guarantee_alerts"] == 1
    alerted = LimitationAlert.objects.filter(kind="guarantee").values_list("guarantee_id", flat=True)
    assert list(alerted) == ["G9"]
    out = io.StringIO()
    call_command("legal", "remind", "--as-of", "2026-01-20", "--json", stdout=out)
    assert json.loads(out.getvalue())
