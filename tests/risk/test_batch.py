"""Risk in the daily close against the database: the scorecard's score, level and reasons per loan, the approved
model's probability and drift, versions by effective date, four eyes, `loan show`, `status export`, the
training set and the `risk` command's registry actions."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import functools
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from arrears.audit.models import AuditEvent
from arrears.batch import runner
from arrears.core.errors import DomainError, PermissionDenied
from arrears.delinquency.models import LoanStatus
from arrears.risk import modeling, selectors, services
from arrears.risk.models import Approval, ModelMonitor, RiskModel, Scorecard
from tests.factories import (
    BorrowerFactory,
    LoanFactory,
    PaymentFactory,
    ScheduleInstallmentFactory,
    UserFactory,
    loan_with_details,
)

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 4, 15)


@pytest.fixture(autouse=True)
def english() -> Any:
    """Messages are asserted in English (the default language is Chinese)."""
    with translation.override("en"):
        yield


@pytest.fixture
def loan() -> Any:
    """12,000 yuan in 3 installments (02-05, 03-05, 04-05), nothing paid (its payment was reversed); a vehicle
    worth 80,000 (registered, first lien, appraised 2026-01-01); a joint guarantee; a phone and 2 contacts."""
    return loan_with_details(loan_id="L001")


@pytest.fixture
def users() -> tuple[Any, Any]:
    return UserFactory(username="analyst", role="manager"), UserFactory(username="checker", role="compliance")


def status(loan_id: str = "L001") -> LoanStatus:
    return LoanStatus.objects.get(pk=loan_id)


def test_the_close_scores_every_loan_by_the_shipped_scorecard(loan: Any) -> None:
    """By hand, from the shipped weights (sum 105, scale 10,500): dpd 69 → 55 × 25 = 1,375; the whole principal
    overdue → 100 × 12 = 1,200; first time overdue → 100 × 5 = 500; max dpd 69 → 50 × 7 = 350; 3 installments
    unpaid → 50 × 5 = 250; none paid on time → 100 × 3 = 300; never cured → 40 × 3 = 120; no credit report: score
    40 × 6 = 240, other overdue accounts 30 × 5 = 150; collateral (80,000 × 0.5 ≥ 12,000), contacts and the joint
    guarantee add nothing. 4,485 / 10,500 → 427 (medium: 250–449)."""
    runner.close([AS_OF])
    row = status()
    assert row.dpd == 69
    assert row.risk_score == 427
    assert row.risk_level == "medium"
    assert row.risk_reasons == ["dpd_31_90", "overdue_all", "first_overdue"]
    assert row.pd is None  # no approved model yet


def test_reasons_follow_the_data(loan: Any) -> None:
    """Without collateral and with a poor credit report, those become reasons and the level rises."""
    loan.collateral.all().delete()
    loan.borrower.extra = {"credit_score": 500, "other_overdue_accounts": 4}
    loan.borrower.save()
    runner.close([AS_OF])
    row = status()
    # + 100 × 8 (no collateral) + (100 − 40) × 6 (credit score) + (100 − 30) × 5 (other accounts): 4,485 + 1,510
    assert row.risk_score == 571  # 5,995 / 10,500 = 570.95
    assert row.risk_level == "high"
    assert row.risk_reasons == ["dpd_31_90", "overdue_all", "no_collateral"]


def test_a_guarantor_overdue_on_their_own_loan_counts(loan: Any) -> None:
    guarantee = loan.guarantees.get()
    other = loan_with_details(
        loan_id="L002", borrower=BorrowerFactory(id_number=guarantee.guarantor_id_number)
    )
    runner.close([AS_OF])  # the guarantor's standing is read from the last close
    runner.close([AS_OF + dt.timedelta(days=1)])
    assert status("L002").dpd > 0 and other.pk == "L002"
    first = status().risk_score
    assert first is not None
    # 100 × 3 = 300 more than without (dpd 70 stays in the same bin): 4,485 + 300 = 4,785 → 455.7
    assert first == 456


def test_loan_show_and_status_export_carry_the_risk(loan: Any, tmp_path: Path) -> None:
    runner.close([AS_OF])
    out = io.StringIO()
    call_command("loan", "show", "L001", "--json", stdout=out)
    shown = json.loads(out.getvalue())
    assert (shown["risk_score"], shown["risk_level"], shown["pd"]) == (427, "medium", None)
    assert shown["risk_reasons"] == ["dpd_31_90", "overdue_all", "first_overdue"]
    assert shown["risk_reason_texts"][0] == {
        "code": "dpd_31_90",
        "zh": "逾期31–90天",
        "en": "31–90 days past due",
    }
    assert [m["code"] for m in shown["risk_measures"]] == ["monitor_closely", "update_contacts"]
    assert shown["risk_measures"][0] == {"code": "monitor_closely", "zh": "加强监测，缩短跟进周期",
                                         "en": "Stricter monitoring and shorter follow-up intervals"}  # fmt: skip
    target = tmp_path / "status.csv"
    call_command("status", "export", str(target), stdout=io.StringIO())
    row = next(csv.DictReader(target.open(encoding="utf-8")))
    assert (row["risk_score"], row["risk_level"], row["pd"]) == ("427", "medium", "")
    assert row["risk_reasons"] == "dpd_31_90;overdue_all;first_overdue"


def test_a_new_scorecard_version_takes_effect_on_its_date(loan: Any, users: tuple[Any, Any]) -> None:
    analyst, checker = users
    data = json.loads(services.DEFAULT_SCORECARD.read_text())["definition"]
    data["levels"][1]["min_score"] = 440  # 427 is low under this version
    later = AS_OF + dt.timedelta(days=2)
    draft = services.save_scorecard("default", later, data, actor=analyst)
    runner.close([AS_OF])
    assert status().risk_level == "medium"  # a draft is not used
    with pytest.raises(PermissionDenied, match="other than its author"):
        services.approve_scorecard(draft, actor=analyst)
    services.approve_scorecard(draft, actor=checker)
    runner.close([AS_OF + dt.timedelta(days=1)])
    assert status().risk_level == "medium"  # not yet in force
    runner.close([later])
    assert status().risk_level == "low"
    with pytest.raises(DomainError, match="save the change as a new version"):
        services.save_scorecard("default", later, data, actor=analyst)
    events = AuditEvent.objects.filter(object_type="Scorecard").order_by("at", "pk")
    actions = list(events.values_list("action", flat=True))
    assert actions == ["scorecard.saved", "scorecard.approved"]


def test_an_invalid_scorecard_is_refused_with_the_reason(users: tuple[Any, Any]) -> None:
    data = json.loads(services.DEFAULT_SCORECARD.read_text())["definition"]
    data["factors"][0]["weight"] = 0
    with pytest.raises(DomainError, match=r"factors\.0\.weight: Input should be greater than 0"):
        services.save_scorecard("default", AS_OF, data, actor=users[0])
    assert Scorecard.objects.count() == 1


def small_model(features: list[str]) -> dict[str, Any]:
    return copy.deepcopy(_small_model(tuple(features)))


@functools.cache
def _small_model(features: tuple[str, ...], rows: int = 400, seed: int = 1) -> dict[str, Any]:
    """A logistic model on synthetic rows where more days past due means more often rolling forward (trained
    once per test session: training takes seconds)."""
    rng = np.random.default_rng(seed)
    dpd = rng.integers(1, 200, rows)
    frame = pl.DataFrame(
        {
            "dpd": dpd,
            "max_dpd": dpd + rng.integers(0, 30, rows),
            "shoe_size": rng.integers(35, 46, rows),
            "outcome": np.where(rng.random(rows) < dpd / 220, "rolled_forward", "cured"),
        }
    ).select(*features, "outcome")
    model, _cv = modeling.train(frame, "outcome", ["rolled_forward"], challenger=False)
    return model


def test_an_approved_model_scores_production_loans_and_its_drift_is_recorded(
    loan: Any, users: tuple[Any, Any]
) -> None:
    analyst, checker = users
    artifact = small_model(["dpd", "max_dpd"])
    row = services.register_model(artifact, "roll-forward", actor=analyst)
    assert (row.version, row.status) == (1, Approval.DRAFT)
    with pytest.raises(PermissionDenied, match="other than its author"):
        services.approve_model(row, actor=analyst)
    services.approve_model(row, actor=checker)
    runner.close([AS_OF])
    expected = modeling.score_frame(artifact, pl.DataFrame({"dpd": [69], "max_dpd": [69]}))["probability"][0]
    assert status().pd == pytest.approx(expected, abs=1e-6)
    monitor = ModelMonitor.objects.get(model=row, as_of=AS_OF)
    assert monitor.rows == 1
    assert set(monitor.psi["features"]) == {f["name"] for f in artifact["features"]}
    assert monitor.psi["score"] > 0.25  # one loan against 400 training rows: shifted, and said so
    second = services.register_model(artifact, "roll-forward", actor=analyst)
    services.approve_model(second, actor=checker)
    assert RiskModel.objects.get(pk=row.pk).status == Approval.RETIRED
    assert selectors.approved_model() == second


def test_a_model_needing_what_the_batch_does_not_compute_is_not_approved(users: tuple[Any, Any]) -> None:
    analyst, checker = users
    row = services.register_model(small_model(["dpd", "shoe_size"]), "odd", actor=analyst)
    if "shoe_size" not in row.features:
        pytest.skip("the synthetic shoe size carried no information and was left out")
    with pytest.raises(DomainError, match="does not compute shoe_size"):
        services.approve_model(row, actor=checker)
    assert RiskModel.objects.get(pk=row.pk).status == Approval.DRAFT


def test_the_command_registers_approves_and_lists(tmp_path: Path, users: tuple[Any, Any]) -> None:
    path = tmp_path / "model.json"
    path.write_text(json.dumps(small_model(["dpd", "max_dpd"])))
    out = io.StringIO()
    call_command("risk", "register", str(path), "--name", "rf", "--by", "analyst", "--json", stdout=out)
    assert json.loads(out.getvalue())["version"] == 1
    with pytest.raises(CommandError, match="other than its author"):
        call_command("risk", "approve", "rf", "1", "--by", "analyst")
    call_command("risk", "approve", "rf", "1", "--by", "checker", stdout=io.StringIO())
    out = io.StringIO()
    call_command("risk", "models", "--json", stdout=out)
    listed = json.loads(out.getvalue())["models"]
    assert [(m["name"], m["version"], m["status"]) for m in listed] == [("rf", 1, "approved")]
    with pytest.raises(CommandError, match="no model rf version 7"):
        call_command("risk", "approve", "rf", "7", "--by", "checker")


def test_scorecard_import_and_export_through_the_command(tmp_path: Path, users: tuple[Any, Any]) -> None:
    exported = tmp_path / "card.json"
    call_command("risk", "scorecard", "export", str(exported), stdout=io.StringIO())
    data = json.loads(exported.read_text())
    data["levels"][3]["min_score"] = 650
    exported.write_text(json.dumps(data))
    call_command(
        "risk", "scorecard", "import", str(exported), "--effective-from", "2026-06-01", "--by", "analyst",
        stdout=io.StringIO(),
    )  # fmt: skip
    call_command("risk", "scorecard", "approve", "--by", "checker", stdout=io.StringIO())
    assert selectors.scorecard_in_force(dt.date(2026, 6, 1)).levels[3].min_score == 650
    assert selectors.scorecard_in_force(dt.date(2026, 5, 31)).levels[3].min_score == 600
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CommandError, match="cannot read the definition"):
        call_command("risk", "scorecard", "import", str(bad), "--effective-from", "2026-07-01")


def test_the_training_set_pairs_features_with_the_outcome(loan: Any, tmp_path: Path) -> None:
    """L001 pays nothing (rolls forward); L002, 5 days late on its first installment, pays it on 04-17 with more
    than enough for the penalty (the rest waits for the second installment): cured 30 days later."""
    cured = LoanFactory(loan_id="L002")
    for n, due in enumerate([dt.date(2026, 4, 10), dt.date(2026, 6, 10)], start=1):
        ScheduleInstallmentFactory(loan=cured, installment_no=n, due_date=due)
    PaymentFactory(loan=cured, paid_on=AS_OF + dt.timedelta(days=2), amount=420_000)
    runner.close([AS_OF])
    runner.close([AS_OF + dt.timedelta(days=30)])
    target = tmp_path / "set.csv"
    out = io.StringIO()
    call_command("risk", "dataset", "--as-of", str(AS_OF), "--out", str(target), "--json", stdout=out)
    assert json.loads(out.getvalue())["outcomes"] == {"cured": 1, "rolled_forward": 1}
    frame = pl.read_csv(target).sort("loan_id")
    assert frame["outcome"].to_list() == ["rolled_forward", "cured"]
    assert frame["dpd"].to_list() == [69, 5]
    with pytest.raises(CommandError, match="after the business date"):
        call_command("risk", "dataset", "--as-of", str(AS_OF), "--horizon", "31", "--out", str(target))
