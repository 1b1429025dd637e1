"""The negotiation report (domain-rules.md §10.2): PTP rate over right-party contacts, PTP kept rate by collector,
team and bucket with the grace boundary, plans started/active/completed/broken, and what was waived net of
reversals — each seen through the user's visibility. A small world built through the services and the close."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from arrears.batch import runner
from arrears.cases.models import Case
from arrears.contact import services as contact
from arrears.delinquency.models import LoanStatus
from arrears.negotiation import selectors, services
from arrears.negotiation.models import Adjustment, Concession, Promise
from tests.factories import (
    LoanFactory,
    PaymentFactory,
    ScheduleInstallmentFactory,
    TeamFactory,
    UserFactory,
    loan_with_details,
)

AS_OF = dt.date(2026, 4, 15)
APRIL = (dt.date(2026, 4, 1), dt.date(2026, 4, 30))
MAY = (dt.date(2026, 5, 1), dt.date(2026, 5, 31))
SHANGHAI = ZoneInfo("Asia/Shanghai")
SIGNED = b"%PDF-1.4 signed plan agreement"


@pytest.fixture(autouse=True)
def english() -> Any:
    with translation.override("en"):
        yield


def day(month: int, d: int) -> dt.date:
    return dt.date(2026, month, d)


def at(month: int, d: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, d, hour, minute, tzinfo=SHANGHAI)


def close(through: dt.date) -> None:
    runner.close(runner.dates_to_close(through))


def owed(status: LoanStatus) -> int:
    return (
        status.outstanding_principal + status.overdue_interest + status.overdue_fees + status.penalty_interest
    )


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    """Team 一组 (c1, c2, their lead) and team 二组 (c3); a manager. Four borrowers, a case each: L001 and L004 are
    c1's, L002 c2's, L003 c3's (a later schedule: a lower bucket)."""
    one, two = TeamFactory(name="一组", lenders=[]), TeamFactory(name="二组", lenders=[])
    people = {
        "c1": UserFactory(username="c1", display_name="王伟", team=one),
        "c2": UserFactory(username="c2", display_name="李娜", team=one),
        "c3": UserFactory(username="c3", display_name="张强", team=two),
        "lead": UserFactory(username="lead", role="team_lead", team=one),
        "manager": UserFactory(username="m1", role="manager"),
    }
    for loan_id in ("L001", "L002", "L004"):
        loan_with_details(loan_id=loan_id)
    later = LoanFactory(loan_id="L003", first_due_date=day(4, 1), maturity_date=day(6, 1))
    for n, due in enumerate([day(4, 1), day(5, 1), day(6, 1)], start=1):
        ScheduleInstallmentFactory(loan=later, installment_no=n, due_date=due, principal_due=400_000,
                                   interest_due=4_000)  # fmt: skip
    runner.close([AS_OF])
    cases = {}
    for loan_id, owner in (("L001", "c1"), ("L002", "c2"), ("L003", "c3"), ("L004", "c1")):
        case = _case_of(loan_id)
        Case.objects.filter(pk=case.pk).update(assigned_to=people[owner])
        case.refresh_from_db()
        cases[loan_id] = case
    return people | {"cases": cases}


def _case_of(loan_id: str) -> Case:
    return next(c for c in Case.objects.all() if loan_id in c.loan_ids)


def _calls(world: dict[str, Any]) -> None:
    """Right-party contacts: 2 on L001 and 2 on L002 (team 一组), 1 on L003; the rest are not (wrong party, a
    guarantor, no answer, busy) or fall outside April by the local date."""
    c = world["cases"]
    calls = [
        (c["L001"], "c1", "answered", "debtor", at(4, 15, 10)),
        (c["L001"], "c1", "promise_to_pay", "debtor", at(4, 15, 10, 30)),
        (c["L001"], "c1", "wrong_party", "debtor", at(4, 15, 11)),
        (c["L001"], "c1", "answered", "guarantor", at(4, 15, 11, 30)),
        (c["L001"], "c1", "answered", "debtor", at(3, 31, 23, 30)),  # March locally
        (c["L001"], "c1", "answered", "debtor", at(5, 1, 0, 30)),  # 04-30 in UTC, May locally
        (c["L002"], "c2", "dispute", "debtor", at(4, 16, 9)),
        (c["L002"], "c2", "refused", "debtor", at(4, 1, 0, 30)),  # 03-31 in UTC, April locally
        (c["L002"], "c2", "unanswered", "debtor", at(4, 16, 9, 30)),
        (c["L003"], "c3", "answered", "debtor", at(4, 15, 15)),
        (c["L003"], "c3", "busy", "debtor", at(4, 15, 16)),
    ]
    for case, who, outcome, party, started in calls:
        contact.log_call(case, number="13800000000", outcome=outcome, party=party, started_at=started,
                         actor=world[who])  # fmt: skip


def promise(case: Case, amounts: list[tuple[dt.date, int]], actor: Any) -> Promise:
    case.refresh_from_db()  # calls and earlier promises moved it on: make_promise trusts the status it is given
    return services.make_promise(case, amounts, actor=actor)


def _promises(world: dict[str, Any]) -> dict[str, Promise]:
    c = world["cases"]
    promises = {
        # kept: 1,000 yuan on 04-21, within the 2 days of grace
        "P1": promise(c["L001"], [(day(4, 20), 100_000)], actor=world["c1"]),
        # kept by the same payment; last date 04-28 + 2 days = 04-30, the last day of April
        "P5": promise(c["L001"], [(day(4, 28), 30_000)], actor=world["c1"]),
        # half paid: partially kept, due 04-25 + 2 = 04-27
        "P2": promise(c["L002"], [(day(4, 18), 50_000), (day(4, 25), 50_000)], actor=world["c2"]),
        "P6": promise(c["L002"], [(day(4, 29), 10_000)], actor=world["c2"]),  # cancelled
        # nothing paid: broken, due 04-20 + 2 = 04-22
        "P3": promise(c["L003"], [(day(4, 20), 80_000)], actor=world["c3"]),
        # broken, but due 04-29 + 2 = 05-01: May's
        "P4": promise(c["L003"], [(day(4, 29), 10_000)], actor=world["c3"]),
    }
    services.cancel_promise(promises["P6"], actor=world["c2"], reason="entered twice")
    PaymentFactory(loan_id="L001", paid_on=day(4, 21), amount=100_000)
    PaymentFactory(loan_id="L002", paid_on=day(4, 19), amount=50_000)
    return promises


def _concessions(world: dict[str, Any]) -> dict[str, Concession]:
    c = world["cases"]
    w = {
        "W1": services.request_waiver(c["L001"], "L001", {"penalty": 5_000}, actor=world["c1"], note="hardship",
                                      reason="hardship"),
        "W2": services.request_waiver(c["L002"], "L002", {"penalty": 20_000}, actor=world["c2"], note="dispute",
                                      reason="dispute"),
        "W3": services.request_waiver(c["L002"], "L002", {"interest": 1_000}, actor=world["lead"], note="ill",
                                      reason="illness"),
        "W4": services.request_waiver(c["L003"], "L003", {"penalty": 500}, actor=world["c3"], note="hardship",
                                      reason="hardship"),
    }  # fmt: skip
    assert w["W2"].status == "pending"  # above a collector's 30 %: the lead approves, a manager reverses it
    services.decide(w["W2"], actor=world["lead"], approve=True)
    services.reverse_waiver(w["W2"], actor=world["manager"], reason="approved on the wrong loan")
    status = LoanStatus.objects.get(loan_id="L004")
    w["S"] = services.request_settlement(c["L004"], "L004", settle_amount=owed(status) - 2_000,
                                         settle_by=day(4, 25), actor=world["c1"], note="pays off")  # fmt: skip
    assert w["S"].status == "approved"
    PaymentFactory(loan_id="L004", paid_on=day(4, 20), amount=owed(status) - 2_000)
    return w


@pytest.fixture
def april(world: dict[str, Any]) -> dict[str, Any]:
    _calls(world)
    promises = _promises(world)
    concessions = _concessions(world)
    close(day(4, 21))
    close(day(4, 30))
    close(day(5, 2))
    for promise in promises.values():
        promise.refresh_from_db()
    assert {k: p.status for k, p in promises.items()} == {
        "P1": "kept", "P5": "kept", "P2": "partially_kept", "P6": "cancelled", "P3": "broken", "P4": "broken",
    }  # fmt: skip
    assert promises["P4"].judged_on == day(5, 2)
    settled = Adjustment.objects.get(kind="settlement")
    assert settled.posted_on == day(4, 21) and settled.amount >= 2_000
    return world | {"promises": promises, "concessions": concessions, "settled": settled.amount}


def test_a_team_lead_sees_their_teams_figures(april: dict[str, Any]) -> None:
    report = selectors.report(april["lead"], *APRIL)
    assert (report["start"], report["end"]) == APRIL
    # P1, P5, P2 (P6 cancelled, the settlement's promise not counted) over 4 right-party contacts
    assert report["ptp"] == {"promises": 3, "right_party_contacts": 4, "rate": Decimal("0.7500")}
    kept = report["kept"]
    assert (kept["due"], kept["kept"], kept["partially_kept"], kept["broken"], kept["rate"]) == (
        3, 2, 1, 0, Decimal("0.6667"),
    )  # fmt: skip
    c1, c2 = april["c1"], april["c2"]
    assert kept["by_collector"] == [
        {"key": c2.pk, "label": "李娜", "due": 1, "kept": 0, "partially_kept": 1, "broken": 0,
         "rate": Decimal("0.0000")},
        {"key": c1.pk, "label": "王伟", "due": 2, "kept": 2, "partially_kept": 0, "broken": 0,
         "rate": Decimal("1.0000")},
    ]  # fmt: skip
    assert [(r["label"], r["due"], r["rate"]) for r in kept["by_team"]] == [("一组", 3, Decimal("0.6667"))]
    assert report["plans"] == {"started": 0, "active": 0, "completed": 0, "broken": 0, "completion_rate": None,
                               "break_rate": None}  # fmt: skip
    waived = report["waived"]
    # W1 (c1, hardship) 50 yuan, W3 (the lead, illness) 10 yuan, the settlement's discount; W2 was reversed
    assert waived["total"] == 5_000 + 1_000 + april["settled"]
    assert {r["key"]: (r["label"], r["amount"], r["count"]) for r in waived["by_role"]} == {
        "collector": ("Collector", 5_000 + april["settled"], 2), "team_lead": ("Team lead", 1_000, 1),
    }  # fmt: skip
    assert {r["key"]: (r["label"], r["amount"], r["count"]) for r in waived["by_reason"]} == {
        "hardship": ("Financial hardship", 5_000, 1), "illness": ("Illness or accident", 1_000, 1),
        "settlement": ("One-off settlement", april["settled"], 1),
    }  # fmt: skip
    assert "dispute" not in {r["key"] for r in waived["by_reason"]}
    amounts = [r["amount"] for r in waived["by_reason"]]
    assert amounts == sorted(amounts, reverse=True)


def test_a_manager_sees_every_team_and_the_grace_boundary(april: dict[str, Any]) -> None:
    report = selectors.report(april["manager"], *APRIL)
    assert report["ptp"] == {"promises": 5, "right_party_contacts": 5, "rate": Decimal("1.0000")}
    kept = report["kept"]
    # P4 fell due 05-01 (04-29 + 2 days of grace): May's, although it was made in April
    assert (kept["due"], kept["kept"], kept["partially_kept"], kept["broken"], kept["rate"]) == (
        4, 2, 1, 1, Decimal("0.5000"),
    )  # fmt: skip
    assert [(r["label"], r["due"], r["kept"], r["broken"], r["rate"]) for r in kept["by_team"]] == [
        ("一组", 3, 2, 0, Decimal("0.6667")), ("二组", 1, 0, 1, Decimal("0.0000")),
    ]  # fmt: skip
    assert [r["label"] for r in kept["by_collector"]] == ["张强", "李娜", "王伟"]
    buckets = {loan_id: _case_of(loan_id).bucket for loan_id in ("L001", "L002", "L003")}
    assert buckets["L001"] == buckets["L002"] and buckets["L003"] != buckets["L001"]
    # the lower bucket first
    assert [(r["key"], r["due"], r["kept"], r["partially_kept"], r["broken"]) for r in kept["by_bucket"]] == [
        (buckets["L003"], 1, 0, 0, 1), (buckets["L001"], 3, 2, 1, 0),
    ]  # fmt: skip
    waived = report["waived"]
    assert waived["total"] == 5_000 + 1_000 + 500 + april["settled"]
    assert {r["key"]: (r["amount"], r["count"]) for r in waived["by_role"]} == {
        "collector": (5_500 + april["settled"], 3), "team_lead": (1_000, 1),
    }  # fmt: skip

    may = selectors.report(april["manager"], *MAY)
    # the call at 00:30 on 05-01 (still 04-30 in UTC) counts in May
    assert may["ptp"] == {"promises": 0, "right_party_contacts": 1, "rate": Decimal("0.0000")}
    assert (may["kept"]["due"], may["kept"]["broken"], may["kept"]["rate"]) == (1, 1, Decimal("0.0000"))
    assert may["waived"] == {"total": 0, "by_role": [], "by_reason": []}


def test_a_collector_sees_their_own(april: dict[str, Any]) -> None:
    report = selectors.report(april["c1"], *APRIL)
    assert report["ptp"] == {"promises": 2, "right_party_contacts": 2, "rate": Decimal("1.0000")}
    assert (report["kept"]["due"], report["kept"]["kept"]) == (2, 2)
    assert [r["key"] for r in report["waived"]["by_reason"]] == sorted(
        ["hardship", "settlement"], key=lambda k: -{"hardship": 5_000, "settlement": april["settled"]}[k]
    )


def test_the_csv_export(april: dict[str, Any]) -> None:
    report = selectors.report(april["lead"], *APRIL)
    rows = list(csv.reader(io.StringIO(selectors.report_csv(report))))
    assert rows[0] == ["section", "breakdown", "key", "label", "measure", "value"]
    assert ["period", "", "", "", "start", "2026-04-01"] in rows
    assert ["ptp", "total", "", "", "rate", "0.7500"] in rows
    assert ["kept", "team", str(april["lead"].team_id), "一组", "rate", "0.6667"] in rows
    assert ["waived", "role", "team_lead", "Team lead", "amount", "10.00"] in rows
    assert ["plans", "total", "", "", "completion_rate", ""] in rows  # no plan ended: no rate
    total = 6_000 + april["settled"]
    assert ["waived", "total", "", "", "total", f"{total // 100}.{total % 100:02d}"] in rows


@pytest.fixture
def plans(db: Any) -> dict[str, Any]:
    """Two plans signed 04-15: L001's breaks on 05-16 (05-10 missed, 5 days of grace), L002's is paid and
    completes on 06-11 (the day after its last due date)."""
    collector, lead = UserFactory(username="c1"), UserFactory(username="lead", role="team_lead")
    for loan_id in ("L001", "L002"):
        loan_with_details(loan_id=loan_id)
    runner.close([AS_OF])
    made = {}
    for loan_id, installments in (("L001", 3), ("L002", 2)):
        plan = services.propose_plan(_case_of(loan_id), loan_id, installments=installments,
                                     first_due=day(5, 10), actor=collector, note="lost job")  # fmt: skip
        services.decide(plan.concession, actor=lead, approve=True)
        made[loan_id] = services.sign_plan(plan, signed_copy=SIGNED, filename="plan.pdf", actor=collector)
    for row in made["L002"].schedule:
        PaymentFactory(loan_id="L002", paid_on=dt.date.fromisoformat(row["due_date"]), amount=row["total"])
    return {"manager": UserFactory(username="m1", role="manager"), "plans": made}


def test_plans_started_active_completed_and_broken(plans: dict[str, Any]) -> None:
    manager = plans["manager"]
    close(day(5, 16))
    close(day(6, 11))
    for plan in plans["plans"].values():
        plan.refresh_from_db()
    assert [(p.status, p.ended_on) for p in plans["plans"].values()] == [
        ("broken", day(5, 16)), ("completed", day(6, 11)),
    ]  # fmt: skip
    assert selectors.report(manager, *APRIL)["plans"] == {
        "started": 2, "active": 2, "completed": 0, "broken": 0, "completion_rate": None,
        "break_rate": Decimal("0.0000"),
    }  # fmt: skip
    # May: one broke of the two on the books; the other runs on
    assert selectors.report(manager, *MAY)["plans"] == {
        "started": 0, "active": 1, "completed": 0, "broken": 1, "completion_rate": Decimal("0.0000"),
        "break_rate": Decimal("0.5000"),
    }  # fmt: skip
    assert selectors.report(manager, day(6, 1), day(6, 30))["plans"] == {
        "started": 0, "active": 0, "completed": 1, "broken": 0, "completion_rate": Decimal("1.0000"),
        "break_rate": Decimal("0.0000"),
    }  # fmt: skip
    # April to June: 1 of the 2 that ended completed, 1 of the 2 on the books broke
    both = selectors.report(manager, day(4, 1), day(6, 30))["plans"]
    assert (both["started"], both["completion_rate"], both["break_rate"]) == (2, Decimal("0.5000"),
                                                                              Decimal("0.5000"))  # fmt: skip
    # the restructure adjustments signing posted are not given up
    assert selectors.report(manager, *APRIL)["waived"]["total"] == 0
    assert Adjustment.objects.filter(kind="restructure").count() == 2


def test_rates_round_half_up_to_four_places() -> None:
    assert selectors.rate(2, 3) == Decimal("0.6667")
    assert selectors.rate(1, 8) == Decimal("0.1250")
    assert selectors.rate(0, 0) is None
