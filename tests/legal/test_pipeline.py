"""The litigation pipeline (issue 8): referral against the criteria with four eyes, assignment to a lawyer or firm
and who then sees the matter, every allowed step and the refused ones (nothing changes), deadlines computed across
National Day and Spring Festival, reminders at T-30/T-7/T-1 as follow-ups, missed and lapsed deadlines, actions
within a stage (preservation and its renewal, distributions), asset findings with proportionality, the hook in
the close, and the command line."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import translation

from arrears.accounts.models import Agency
from arrears.audit.models import AuditEvent
from arrears.batch import runner
from arrears.cases import services as case_services
from arrears.cases.models import Case, Task
from arrears.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from arrears.legal import lifecycle, selectors, services
from arrears.legal.models import Deadline, Matter, ReferralCriteria, StageRecord
from tests.factories import (
    LoanFactory,
    ScheduleInstallmentFactory,
    TeamFactory,
    UserFactory,
    loan_with_details,
)

AS_OF = dt.date(2026, 7, 15)  # L001's first instalment (2026-02-05) is 160 days past due
D = dt.date


@pytest.fixture(autouse=True)
def english() -> Any:
    with translation.override("en"):
        yield


def people() -> dict[str, Any]:
    team = TeamFactory(name="一组", lenders=[])
    firm = Agency.objects.create(name="金诚律师事务所", kind=Agency.Kind.LAW_FIRM)
    other = Agency.objects.create(name="远方律师事务所", kind=Agency.Kind.LAW_FIRM)
    return {
        "collector": UserFactory(username="c1", team=team),
        "manager": UserFactory(username="m1", role="manager"),
        "legal": UserFactory(username="legal1", role="legal"),
        "legal2": UserFactory(username="legal2", role="legal"),
        "firm": firm,
        "firm_lawyer": UserFactory(username="lawyer", role="legal", agency=firm),
        "other_lawyer": UserFactory(username="elsewhere", role="legal", agency=other),
    }


def escalate(case: Case, actor: Any) -> Case:
    case = case_services.transition(case, "contacting", actor=actor)
    return case_services.transition(case, "escalated", actor=actor, reason="no contact for 60 days")


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    who = people()
    ReferralCriteria.objects.create(effective_from=D(2026, 1, 1), min_dpd=90, min_balance=1_000_000,
                                    min_contact_attempts=None, lawyer_fee_share="0.05",
                                    lawyer_fee_minimum=300_000)  # fmt: skip
    loan_with_details(loan_id="L001")
    runner.close([AS_OF])
    case = escalate(Case.objects.get(), who["manager"])
    return who | {"case": case}


def approved(world: dict[str, Any]) -> Matter:
    matter = services.refer(world["case"], actor=world["manager"], reason="160 days past due, no contact")
    return services.decide_referral(matter, actor=world["legal"], approve=True, note="evidence complete")


def at_stage(world: dict[str, Any], stage: str) -> Matter:
    """A matter of L001 walked to `stage` along the usual path, dated in 2026."""
    matter = services.assign(approved(world), actor=world["legal"], lawyer=world["firm_lawyer"])
    lawyer = world["firm_lawyer"]
    path = [
        (lifecycle.INVESTIGATING, {"on": D(2026, 7, 16)}),
        (lifecycle.FILED, {"on": D(2026, 7, 20), "court": "北京市朝阳区人民法院"}),
        (lifecycle.ACCEPTED, {"on": D(2026, 7, 27), "court": "北京市朝阳区人民法院", "case_number": "(2026)京0105民初1234号"}),
        (lifecycle.HEARING, {"on": D(2026, 9, 1)}),
        (lifecycle.JUDGED, {"on": D(2026, 9, 18), "served_on": D(2026, 9, 20), "amount_awarded": 1_250_000}),
        (lifecycle.EFFECTIVE, {"on": D(2026, 10, 9), "perform_by": D(2026, 10, 19)}),
        (lifecycle.ENFORCEMENT_APPLIED, {"on": D(2026, 10, 26), "court": "北京市朝阳区人民法院",
                                         "case_number": "(2026)京0105执5678号"}),
        (lifecycle.ENFORCING, {"on": D(2026, 11, 2)}),
    ]  # fmt: skip
    for target, kwargs in path:
        if matter.stage == stage:
            break
        services.advance(matter, target, actor=lawyer, **kwargs)
        matter.refresh_from_db()
    assert matter.stage == stage
    return matter


# --- referral ---------------------------------------------------------------------------------------------------


def test_referral_checks_the_criteria_keeps_the_claim_and_moves_the_case_to_legal(
    world: dict[str, Any],
) -> None:
    matter = services.refer(world["case"], actor=world["manager"], reason="160 days past due")
    assert (matter.stage, matter.referred_on, matter.plaintiff, matter.defendant) == (
        "referred", AS_OF, "A银行", world["case"].borrower.name,
    )  # fmt: skip
    assert [(c["criterion"], c["actual"], c["met"]) for c in matter.criteria] == [
        ("min_dpd", 160, True), ("min_balance", 1_200_000, True), ("no_plan", 0, True),
    ]  # fmt: skip
    loan = matter.claim["loans"][0]
    assert (loan["principal"], loan["interest"]) == (1_200_000, 24_080)  # 12,000 + 8,040 + 4,040 fen interest
    assert matter.claim_amount == 1_200_000 + 24_080 + loan["penalty"] and loan["reduced_by"] == 0
    assert Case.objects.get().status == "legal"
    assert StageRecord.objects.get(matter=matter).step == "referred"
    with pytest.raises(Conflict):
        services.refer(world["case"], actor=world["manager"], reason="again")


def test_unmet_criteria_need_a_reason_and_a_collector_may_not_refer(world: dict[str, Any]) -> None:
    ReferralCriteria.objects.create(effective_from=D(2026, 7, 1), min_dpd=180, min_balance=1_000_000,
                                    min_contact_attempts=10)  # fmt: skip
    with pytest.raises(DomainError, match="criteria are not met \\(min_dpd, contact_exhausted\\)"):
        services.refer(world["case"], actor=world["manager"], reason="long overdue")
    assert not Matter.objects.exists() and Case.objects.get().status == "escalated"
    with pytest.raises(PermissionDenied):
        services.refer(world["case"], actor=world["collector"], reason="x", override_reason="y")
    matter = services.refer(world["case"], actor=world["manager"], reason="long overdue",
                            override_reason="the borrower is moving assets abroad")  # fmt: skip
    assert matter.override_reason == "the borrower is moving assets abroad"


def test_four_eyes_and_a_returned_referral_sends_the_case_back(world: dict[str, Any]) -> None:
    matter = services.refer(world["case"], actor=world["legal"], reason="160 days past due")
    with pytest.raises(PermissionDenied, match="other than the referrer"):
        services.decide_referral(matter, actor=world["legal"], approve=True)
    with pytest.raises(PermissionDenied):
        services.decide_referral(
            matter, actor=world["firm_lawyer"], approve=True
        )  # outside firms never decide
    with pytest.raises(DomainError, match="Give a reason"):
        services.decide_referral(matter, actor=world["legal2"], approve=False)
    matter = services.decide_referral(matter, actor=world["legal2"], approve=False, note="no IOU on file")
    assert (matter.stage, matter.decided_by, Case.objects.get().status) == (
        "returned",
        world["legal2"],
        "escalated",
    )
    # the matter ended: the case can be referred afresh
    assert services.refer(Case.objects.get(), actor=world["manager"], reason="IOU found").stage == "referred"


# --- assignment and visibility ----------------------------------------------------------------------------------


def test_a_firm_sees_only_its_matters(world: dict[str, Any]) -> None:
    matter = approved(world)
    assert matter.owner == world["legal"] and matter.stage == "approved"
    assert not selectors.visible_matters(world["firm_lawyer"]).exists()
    with pytest.raises(DomainError, match="another firm"):
        services.assign(matter, actor=world["legal"], lawyer=world["other_lawyer"], firm=world["firm"])
    matter = services.assign(matter, actor=world["legal"], lawyer=world["firm_lawyer"])
    assert (matter.stage, matter.firm, matter.lawyer) == ("assigned", world["firm"], world["firm_lawyer"])
    assert list(selectors.visible_matters(world["firm_lawyer"])) == [matter]
    assert not selectors.visible_matters(world["other_lawyer"]).exists()
    assert list(selectors.visible_matters(world["legal2"])) == [matter]  # in-house legal sees every matter
    assert list(selectors.visible_matters(world["collector"])) == [
        matter
    ]  # the matter of the collector's case
    with pytest.raises(NotFound):
        services.advance(matter, "investigating", actor=world["other_lawyer"], on=D(2026, 7, 16))
    with pytest.raises(PermissionDenied):
        services.assign(matter, actor=world["firm_lawyer"], lawyer=world["legal2"])
    world["firm"].active = False  # the contract ends: access ends
    world["firm"].save()
    assert not selectors.visible_matters(world["firm_lawyer"]).exists()


# --- the pipeline ---------------------------------------------------------------------------------------------


def test_the_whole_pipeline_with_deadlines_across_national_day(world: dict[str, Any]) -> None:
    matter = at_stage(world, lifecycle.JUDGED)
    appeal = Deadline.objects.get(matter=matter)
    # served 2026-09-20: 15 days end 2026-10-05, inside National Day (10-01…07) → the next working day 10-08
    assert (appeal.kind, appeal.rule, appeal.basis_on, appeal.nominal_on, appeal.due_on) == (
        "appeal", "appeal-judgment", D(2026, 9, 20), D(2026, 10, 5), D(2026, 10, 8),
    )  # fmt: skip
    assert (matter.court, matter.case_number, matter.amount_awarded) == (
        "北京市朝阳区人民法院", "(2026)京0105民初1234号", 1_250_000,
    )  # fmt: skip
    matter = _continue(world, matter)
    appeal.refresh_from_db()
    assert appeal.status == "done"  # the judgment took effect
    enforcement = Deadline.objects.get(matter=matter, kind="enforcement_application")
    # 2 years from the last day of performance (2026-10-19): 2028-10-19; 2028's holidays are not published yet
    assert (enforcement.basis_on, enforcement.due_on, enforcement.provisional, enforcement.status) == (
        D(2026, 10, 19), D(2028, 10, 19), True, "done",  # done: enforcement was applied for
    )  # fmt: skip
    assert (matter.enforcement_case_number, matter.case_number) == (
        "(2026)京0105执5678号",
        "(2026)京0105民初1234号",
    )
    assert Case.objects.get().status == "enforcement"
    services.record_action(matter, "distribution", actor=world["firm_lawyer"], on=D(2026, 12, 1),
                           amount_recovered=800_000)  # fmt: skip
    with pytest.raises(PermissionDenied):  # closing is the creditor's decision
        services.advance(matter, "closed", actor=world["firm_lawyer"], on=D(2027, 1, 5), reason="x",
                         closure_reason="terminated")  # fmt: skip
    with pytest.raises(DomainError, match="Say how the matter closed"):
        services.advance(matter, "closed", actor=world["legal"], on=D(2027, 1, 5), reason="no more assets")
    services.advance(matter, "closed", actor=world["legal"], on=D(2027, 1, 5), reason="no more assets found",
                     closure_reason="terminated")  # fmt: skip
    matter.refresh_from_db()
    assert (matter.stage, matter.closure_reason, matter.amount_recovered, matter.closed_on) == (
        "closed", "terminated", 800_000, D(2027, 1, 5),
    )  # fmt: skip
    steps = list(StageRecord.objects.filter(matter=matter).values_list("step", flat=True))
    assert steps == ["referred", "approved", "assigned", "investigating", "filed", "accepted", "hearing", "judged",
                     "effective", "enforcement_applied", "enforcing", "distribution", "closed"]  # fmt: skip
    actions = AuditEvent.objects.filter(object_type="Matter", object_id=str(matter.pk)).values_list(
        "action", flat=True
    )
    assert list(actions).count("legal.stage") == 11  # every step but the referral, audited


def _continue(world: dict[str, Any], matter: Matter) -> Matter:
    lawyer = world["firm_lawyer"]
    services.advance(matter, "effective", actor=lawyer, on=D(2026, 10, 9), perform_by=D(2026, 10, 19))
    services.advance(matter, "enforcement_applied", actor=lawyer, on=D(2026, 10, 26), court="北京市朝阳区人民法院",
                     case_number="(2026)京0105执5678号")  # fmt: skip
    services.advance(matter, "enforcing", actor=lawyer, on=D(2026, 11, 2))
    matter.refresh_from_db()
    return matter


def test_a_disallowed_step_raises_and_changes_nothing(world: dict[str, Any]) -> None:
    matter = at_stage(world, lifecycle.ACCEPTED)
    records, events = StageRecord.objects.count(), AuditEvent.objects.count()
    for target, kwargs in [
        ("effective", {}),  # accepted → effective skips the judgment
        ("enforcing", {}),
        ("referred", {}),
        ("judged", {}),  # allowed, but without the amount awarded
    ]:
        with pytest.raises(DomainError):
            services.advance(matter, target, actor=world["firm_lawyer"], on=D(2026, 8, 1), **kwargs)
    with pytest.raises(DomainError, match="from accepted it may go to: hearing, mediated, judged, closed"):
        services.advance(matter, "effective", actor=world["firm_lawyer"], on=D(2026, 8, 1))
    with pytest.raises(DomainError, match="before the matter's last step"):
        services.advance(matter, "hearing", actor=world["firm_lawyer"], on=D(2026, 7, 1))
    with pytest.raises(PermissionDenied):  # a collector may not move matters
        services.advance(matter, "hearing", actor=world["collector"], on=D(2026, 8, 1))
    matter.refresh_from_db()
    assert (matter.stage, matter.stage_since) == ("accepted", D(2026, 7, 27))
    assert (StageRecord.objects.count(), AuditEvent.objects.count()) == (records, events)
    assert not Deadline.objects.exists()


def test_allowed_steps_are_data() -> None:
    assert lifecycle.find("accepted", "effective") is None
    assert lifecycle.find("judged", "hearing").reason_required  # type: ignore[union-attr]  # an appeal
    assert lifecycle.find("filed", "accepted").requires == ("court", "case_number")  # type: ignore[union-attr]
    assert set(lifecycle.find("enforcing", "closed").closure_reasons) == set(lifecycle.CLOSURE_REASONS)  # type: ignore[union-attr]
    assert all(s.target in lifecycle.STAGES and s.source in lifecycle.STAGES for s in lifecycle.STEPS)
    assert not any(s.source in lifecycle.ENDED for s in lifecycle.STEPS)


def test_a_judgment_served_before_spring_festival_and_a_final_second_instance(db: Any) -> None:
    who = people()
    ReferralCriteria.objects.create(
        effective_from=D(2025, 1, 1), min_dpd=90, min_balance=0, min_contact_attempts=None
    )
    loan = LoanFactory(loan_id="L900", contract_date=D(2025, 1, 1), disbursement_date=D(2025, 1, 5),
                       first_due_date=D(2025, 2, 5), maturity_date=D(2025, 4, 5))  # fmt: skip
    for n, due in enumerate([D(2025, 2, 5), D(2025, 3, 5), D(2025, 4, 5)], start=1):
        ScheduleInstallmentFactory(loan=loan, installment_no=n, due_date=due)
    runner.close([D(2025, 9, 1)])
    case = escalate(Case.objects.get(), who["manager"])
    matter = services.refer(case, actor=who["manager"], as_of=D(2025, 9, 1), reason="208 days past due")
    matter = services.decide_referral(matter, actor=who["legal"], approve=True, as_of=D(2025, 9, 2))
    matter = services.assign(matter, actor=who["legal"], lawyer=who["legal2"], as_of=D(2025, 9, 2))
    for target, kwargs in [("filed", {"court": "北京市朝阳区人民法院"}),
                           ("accepted", {"court": "北京市朝阳区人民法院", "case_number": "(2025)京0105民初9号"})]:  # fmt: skip
        services.advance(matter, target, actor=who["legal2"], on=D(2025, 9, 10), **kwargs)
    services.advance(matter, "judged", actor=who["legal2"], on=D(2026, 1, 28), served_on=D(2026, 2, 1),
                     amount_awarded=1_000_000)  # fmt: skip
    appeal = Deadline.objects.get(matter=matter)
    # 15 days from service on 2026-02-01 end 02-16, inside Spring Festival (02-15…23): the last day is 02-24
    assert (appeal.rule, appeal.nominal_on, appeal.due_on) == (
        "appeal-judgment",
        D(2026, 2, 16),
        D(2026, 2, 24),
    )
    with pytest.raises(DomainError, match="Give a reason"):
        services.advance(matter, "hearing", actor=who["legal2"], on=D(2026, 2, 10))
    services.advance(
        matter, "hearing", actor=who["legal2"], on=D(2026, 2, 10), reason="the borrower appealed"
    )
    appeal.refresh_from_db()
    assert appeal.status == "done"
    # the second instance's judgment is final (终审): no new appeal deadline
    services.advance(matter, "judged", actor=who["legal2"], on=D(2026, 5, 8), amount_awarded=900_000)
    assert Deadline.objects.filter(matter=matter).count() == 1


def test_a_ruling_gives_ten_days(world: dict[str, Any]) -> None:
    matter = at_stage(world, lifecycle.HEARING)
    services.advance(
        matter, "judged", actor=world["firm_lawyer"], on=D(2026, 9, 22), ruling=True, amount_awarded=0
    )
    # 10 days from 2026-09-22 end 10-02 (National Day) → 10-08
    assert Deadline.objects.get(matter=matter).due_on == D(2026, 10, 8)


# --- reminders --------------------------------------------------------------------------------------------------


def test_reminders_at_t30_t7_t1_then_lapsed_and_missed(world: dict[str, Any]) -> None:
    matter = at_stage(world, lifecycle.JUDGED)  # appeal deadline 2026-10-08; lawyer and owner reminded
    people_ = {world["firm_lawyer"].pk, world["legal"].pk}

    def reminders() -> list[tuple[int, str]]:
        return list(
            Task.objects.filter(channel="legal").order_by("pk").values_list("assigned_to_id", "title")
        )

    assert services.remind_deadlines(D(2026, 9, 7))["deadlines_reminded"] == 0  # T-31
    assert services.remind_deadlines(D(2026, 9, 8))["deadlines_reminded"] == 1  # T-30
    assert services.remind_deadlines(D(2026, 9, 8))["deadlines_reminded"] == 0  # idempotent
    assert {who for who, _t in reminders()} == people_ and len(reminders()) == 2
    assert reminders()[0][1] == f"Appeal deadline 2026-10-08 (T-30): matter {matter.pk}"
    assert services.remind_deadlines(D(2026, 9, 20))["deadlines_reminded"] == 0  # T-18: between reminders
    assert (
        services.remind_deadlines(D(2026, 10, 5))["deadlines_reminded"] == 1
    )  # skipped to T-3: the T-7 one, once
    assert services.remind_deadlines(D(2026, 10, 6))["deadlines_reminded"] == 0
    assert services.remind_deadlines(D(2026, 10, 7))["deadlines_reminded"] == 1  # T-1
    assert [t.split(" (")[1][:4] for _w, t in reminders()] == ["T-30", "T-30", "T-3)", "T-3)", "T-1)", "T-1)"]
    case = Case.objects.get()
    assert (case.next_action_on, case.action_due) == (D(2026, 9, 8), True)
    assert Deadline.objects.get().reminded == [30, 7, 1]
    counts = services.remind_deadlines(D(2026, 10, 9))  # the appeal period passed: no appeal, nothing missed
    assert (counts["deadlines_lapsed"], counts["deadlines_missed"]) == (1, 0)
    assert Deadline.objects.get().status == "lapsed"
    _continue(world, matter)  # the enforcement deadline is done once applied; a new one is missed if passed
    Deadline.objects.filter(kind="enforcement_application").update(status="open", ended_on=None)
    assert services.remind_deadlines(D(2028, 10, 20))["deadlines_missed"] == 1
    assert Deadline.objects.get(kind="enforcement_application").status == "missed"


def test_the_close_reminds_deadlines(world: dict[str, Any]) -> None:
    at_stage(world, lifecycle.JUDGED)
    runner.close([D(2026, 10, 7)])
    assert Task.objects.filter(channel="legal", title__contains="(T-1)").count() == 2


# --- actions and assets -------------------------------------------------------------------------------------------


def test_preservation_starts_a_renewal_deadline_by_the_assets_kind(world: dict[str, Any]) -> None:
    matter = at_stage(world, lifecycle.FILED)
    with pytest.raises(DomainError, match="needs: asset_kind"):
        services.record_action(matter, "preservation", actor=world["firm_lawyer"], on=D(2026, 7, 22),
                               court="北京市朝阳区人民法院")  # fmt: skip
    services.record_action(matter, "preservation", actor=world["firm_lawyer"], on=D(2026, 7, 22),
                           court="北京市朝阳区人民法院", asset_kind="bank_account", amount=1_200_000)  # fmt: skip
    services.record_action(matter, "preservation", actor=world["firm_lawyer"], on=D(2026, 7, 23),
                           court="北京市朝阳区人民法院", asset_kind="real_estate", amount=50_000_000)  # fmt: skip
    deposit, house = Deadline.objects.order_by("due_on")
    # a freeze of deposits lasts 1 year, a seizure of real estate 3 (民诉解释 art. 485); not moved off rest days
    assert (deposit.rule, deposit.due_on, house.rule, house.due_on) == (
        "preservation-deposit", D(2027, 7, 22), "preservation-property", D(2029, 7, 23),
    )  # fmt: skip
    services.record_action(matter, "preservation", actor=world["firm_lawyer"], on=D(2027, 7, 1),
                           court="北京市朝阳区人民法院", asset_kind="bank_account", renews=deposit)  # fmt: skip
    deposit.refresh_from_db()
    assert deposit.status == "done"
    assert Deadline.objects.get(
        status="open", kind="preservation_renewal", rule="preservation-deposit"
    ).due_on == D(2028, 7, 1)
    with pytest.raises(DomainError, match="cannot be recorded while the matter is filed"):
        services.record_action(matter, "distribution", actor=world["firm_lawyer"], on=D(2026, 8, 1),
                               amount_recovered=1)  # fmt: skip


def test_assets_beyond_the_claim_need_a_proportionality_note(world: dict[str, Any]) -> None:
    matter = at_stage(world, lifecycle.INVESTIGATING)
    # collateral: the car, appraised 80,000 yuan, already covers the claim of about 12,600 yuan
    with pytest.raises(DomainError, match="already cover the claim"):
        services.record_asset(matter, actor=world["firm_lawyer"], kind="bank_account", description="工商银行 6222…",
                              source="网络查控", found_on=D(2026, 7, 17), value=500_000)  # fmt: skip
    finding = services.record_asset(
        matter, actor=world["firm_lawyer"], kind="bank_account", description="工商银行 6222…", source="网络查控",
        found_on=D(2026, 7, 17), value=500_000, proportionality_note="the car is pledged first to another bank",
    )  # fmt: skip
    assert finding.proportionality_note and finding.value == 500_000
    with pytest.raises(PermissionDenied):
        services.record_asset(matter, actor=world["collector"], kind="vehicle", description="x", source="y",
                              found_on=D(2026, 7, 17), proportionality_note="z")  # fmt: skip


def test_documents_go_to_the_evidence_log_and_steps_refer_to_them(world: dict[str, Any]) -> None:
    matter = at_stage(world, lifecycle.INVESTIGATING)
    complaint = services.add_document(matter, actor=world["firm_lawyer"], name="起诉状.docx", data=b"PK...",
                                      document="complaint")  # fmt: skip
    record = services.advance(matter, "filed", actor=world["firm_lawyer"], on=D(2026, 7, 20),
                              court="北京市朝阳区人民法院", documents=[complaint.pk])  # fmt: skip
    assert record.documents == [complaint.pk] and complaint.case_id == matter.case_id
    assert complaint.payload["document"] == "complaint" and complaint.files[0]["name"] == "起诉状.docx"
    with pytest.raises(DomainError, match="not in this case's evidence log"):
        services.advance(matter, "accepted", actor=world["firm_lawyer"], on=D(2026, 7, 27), court="x",
                         case_number="y", documents=[complaint.pk + 999])  # fmt: skip


# --- command line -------------------------------------------------------------------------------------------------


def test_arrears_legal_matters_and_remind(world: dict[str, Any]) -> None:
    at_stage(world, lifecycle.JUDGED)
    out = io.StringIO()
    call_command("legal", "matters", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["count"] == 1 and data["matters"][0]["stage"] == "judged"
    assert data["matters"][0]["amount_awarded"] == "12500.00"
    out = io.StringIO()
    call_command("legal", "remind", "--as-of", "2026-09-08", "--no-limitation", "--json", stdout=out)
    assert json.loads(out.getvalue())["deadlines_reminded"] == 1
