"""The risk pages (issue 4) through Django's test client: who may open them, the model list and a model's page
(training data, cross-validation, features, drift) with its four-eyes approval, the scorecard page with its
versions, the risk grade on the loan page in both languages, the admin, and query counts.

The data: the sample portfolio (tests/conftest.py), the tests' own scorecard (TEST_SCORECARD, so that tuning
the shipped one changes nothing here) and a small hand-made model (`artifact()`: dpd and times_overdue, WOE
logistic) registered by 钱经理 and approved by 吴合规, then closed from 2026-04-01 to 2026-05-01. On 2026-05-01
L001 (招商银行) is 57 days past due (60 points × weight 50) and paid one of its three installments on time
(100 × 20); its car covers it (vehicle 80,000 × 50% against 8,039.73) and the guarantee is joint: 5,000 of
13,000 → 385, medium, for those two reasons. The model gives it 52.7% (dpd 57: WOE 1.5 × 0.9, one time overdue:
−0.4 × 0.6, intercept −1: log-odds 0.11). L002 scores 692, critical.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from arrears.accounts.models import Role
from arrears.audit.models import AuditEvent
from arrears.batch.runner import close
from arrears.delinquency.models import LoanStatus
from arrears.portfolio.services import import_portfolio
from arrears.risk import modeling, services
from arrears.risk.models import Approval, ModelMonitor, RiskModel, Scorecard
from tests.factories import TeamFactory, UserFactory
from tests.ui.test_delinquency_views import marked

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]

LOAN_PAGE = "/portfolio/loans/L001/"
MODELS = "/risk/"
SCORECARD = "/risk/scorecard/"
BUSINESS_DATE = dt.date(2026, 5, 1)


def artifact(**changes: Any) -> dict[str, Any]:
    """A small model in `risk.modeling`'s format: two of the batch's features, WOE logistic (the champion won
    the cross-validation), trained on a made-up table."""
    model: dict[str, Any] = {
        "format": modeling.FORMAT,
        "kind": "logistic",
        "trained_at": "2026-03-31T08:00:00+00:00",
        "target": "outcome",
        "positive": ["rolled_forward"],
        "intercept": -1.0,
        "scaling": {"base": 500, "pdo": 50},
        "features": [
            {
                "name": "dpd",
                "kind": "numeric",
                "splits": [1.0, 31.0],
                "bins": ["[-inf, 1)", "[1, 31)", "[31, inf)"],
                "woe": [-1.2, 0.2, 1.5, 0.0],
                "shares": [0.5, 0.3, 0.2, 0.0],
                "iv": 0.71,
                "coefficient": 0.9,
            },
            {
                "name": "times_overdue",
                "kind": "numeric",
                "splits": [2.0],
                "bins": ["[-inf, 2)", "[2, inf)"],
                "woe": [-0.4, 0.8, 0.0],
                "shares": [0.7, 0.3, 0.0],
                "iv": 0.18,
                "coefficient": 0.6,
            },
        ],
        "ignored": [
            {"column": "loan_id", "reason": "identifier"},
            {"column": "note", "reason": "free text (812 distinct values)"},
        ],
        "training": {
            "source": "arrears risk dataset --as-of 2026-03-01",
            "rows": 1200,
            "positives": 300,
            "positive_rate": 0.25,
            "columns": 6,
            "in_sample": {"auc": 0.81, "ks": 0.5, "gini": 0.62, "brier": 0.15},
        },
        "cv": {
            "folds": 5,
            "seed": 0,
            "logistic": {
                "auc": 0.7812,
                "ks": 0.4711,
                "gini": 0.5624,
                "brier": 0.16,
                "fold_auc_mean": 0.78,
                "fold_auc_std": 0.02,
                "fold_ks_mean": 0.47,
                "fold_ks_std": 0.03,
            },
            "lightgbm": {
                "auc": 0.779,
                "ks": 0.465,
                "gini": 0.558,
                "brier": 0.165,
                "fold_auc_mean": 0.777,
                "fold_auc_std": 0.025,
                "fold_ks_mean": 0.46,
                "fold_ks_std": 0.035,
            },
        },
        "score_bins": {"edges": [420.0, 480.0, 560.0], "shares": [0.25, 0.25, 0.25, 0.25]},
    }
    return {**model, **changes}


# A scorecard of the tests' own, so that tuning the shipped one changes nothing here. Σ weight = 130.
TEST_SCORECARD: dict[str, Any] = {
    "factors": [
        {
            "code": "dpd",
            "feature": "dpd",
            "weight": 50,
            "bins": [
                {"below": 1, "points": 0},
                {"below": 31, "points": 30, "reason": "dpd_1_30"},
                {"below": 91, "points": 60, "reason": "dpd_31_90"},
                {"points": 100, "reason": "dpd_over_90"},
            ],
        },
        {
            "code": "times_overdue",
            "feature": "times_overdue",
            "weight": 20,
            "bins": [{"below": 2, "points": 0}, {"points": 100, "reason": "repeat_overdue"}],
        },
        {
            "code": "on_time",
            "feature": "on_time_ratio",
            "weight": 20,
            "missing": {"points": 30},
            "bins": [{"below": 0.5, "points": 100, "reason": "on_time_below_50"}, {"points": 0}],
        },
        {
            "code": "coverage",
            "feature": "collateral_coverage",
            "weight": 10,
            "bins": [
                {"below": 0.000001, "points": 100, "reason": "no_collateral"},
                {"below": 1, "points": 50, "reason": "coverage_below_100"},
                {"points": 0},
            ],
        },
        {
            "code": "guarantee",
            "feature": "guarantee_type",
            "weight": 30,
            "bins": [
                {"values": ["joint"], "points": 0},
                {"values": ["general"], "points": 50, "reason": "general_guarantee_only"},
                {"values": ["none"], "points": 100, "reason": "no_guarantee"},
            ],
        },
    ],
    "levels": [
        {"level": "low", "min_score": 0},
        {"level": "medium", "min_score": 250},
        {"level": "high", "min_score": 450},
        {"level": "critical", "min_score": 600},
    ],
    "haircuts": {"vehicle": "0.50", "real_estate": "0.70"},
    "reasons": {
        "dpd_1_30": {"zh": "逾期1–30天", "en": "1–30 days past due"},
        "dpd_31_90": {"zh": "逾期31–90天", "en": "31–90 days past due"},
        "dpd_over_90": {"zh": "逾期超过90天", "en": "More than 90 days past due"},
        "repeat_overdue": {"zh": "多次逾期", "en": "Overdue more than once"},
        "on_time_below_50": {
            "zh": "按时还款不足一半",
            "en": "Fewer than half of the installments paid on time",
        },
        "no_collateral": {"zh": "无抵质押物", "en": "No collateral"},
        "coverage_below_100": {"zh": "抵押不足额", "en": "Collateral covers less than the principal"},
        "general_guarantee_only": {"zh": "仅一般保证", "en": "General guarantee only"},
        "no_guarantee": {"zh": "无保证人", "en": "No guarantor"},
    },
    "measures": {
        "low": ["monitor"],
        "medium": ["monitor_closely", "update_contacts"],
        "high": ["field_visit"],
        "critical": ["legal_review"],
    },
    "measure_texts": {
        "monitor": {"zh": "常规监测", "en": "Routine monitoring"},
        "monitor_closely": {"zh": "加强监测", "en": "Closer monitoring"},
        "update_contacts": {"zh": "核实联系方式", "en": "Verify the contact details"},
        "field_visit": {"zh": "上门走访", "en": "Field visit"},
        "legal_review": {"zh": "法务审查", "en": "Legal review"},
    },
}


# ── fixtures ────────────────────────────────────────────────


@pytest.fixture
def manager() -> Any:
    """May register and approve risk configuration (never their own)."""
    return UserFactory(username="qian", display_name="钱经理", role=Role.MANAGER)


@pytest.fixture
def compliance() -> Any:
    """May approve, not register."""
    return UserFactory(username="wu", display_name="吴合规", role=Role.COMPLIANCE)


@pytest.fixture
def legal() -> Any:
    """Sees every portfolio, so may look at the risk pages, but approves nothing."""
    return UserFactory(username="zheng", display_name="郑法务", role=Role.LEGAL)


@pytest.fixture
def collector() -> Any:
    """Works 招商银行's loans (L001); no business on the risk pages."""
    team = TeamFactory(name="招商银行催收组", lenders=["招商银行"])
    return UserFactory(username="zhou", display_name="周催收", role=Role.COLLECTOR, team=team)


@pytest.fixture
def sample(write_portfolio: Any) -> None:
    import_portfolio(write_portfolio())


@pytest.fixture
def own_scorecard(manager: Any, compliance: Any) -> Scorecard:
    """TEST_SCORECARD in force from 2020 instead of the shipped scorecard."""
    Scorecard.objects.all().delete()
    row = services.save_scorecard("test", dt.date(2020, 1, 1), TEST_SCORECARD, actor=manager, note="测试用")
    return services.approve_scorecard(row, actor=compliance)


@pytest.fixture
def approved_model(manager: Any, compliance: Any) -> RiskModel:
    row = services.register_model(artifact(), "rollrate", actor=manager, description="30-day roll rate")
    return services.approve_model(row, actor=compliance)


@pytest.fixture
def graded(sample: None, own_scorecard: Scorecard, approved_model: RiskModel) -> RiskModel:
    """The sample closed through 2026-05-01 with the approved model: every loan graded, one monitor."""
    close([dt.date(2026, 4, 1) + dt.timedelta(days=n) for n in range(31)], workers=1)
    return approved_model


@pytest.fixture
def draft(manager: Any) -> RiskModel:
    """Version 2 of rollrate registered by 钱经理, not yet approved; the LightGBM challenger won this time."""
    cv = artifact()["cv"]
    cv["lightgbm"] = {**cv["lightgbm"], "auc": 0.8012, "ks": 0.5003, "gini": 0.6024}
    return services.register_model(artifact(kind="lightgbm", cv=cv), "rollrate", actor=manager)


def get(client: Any, user: Any, url: str, language: str = "zh-hans") -> str:
    client.force_login(user)
    client.cookies["django_language"] = language
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# ── access ──────────────────────────────────────────────────


@pytest.mark.parametrize("url", [MODELS, "/risk/models/1/", SCORECARD, "/risk/scorecard/1/"])
def test_pages_require_login(client: Any, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


def test_a_collector_is_refused(client: Any, collector: Any, draft: RiskModel) -> None:
    client.force_login(collector)
    card = Scorecard.objects.get()
    for url in (MODELS, f"/risk/models/{draft.pk}/", SCORECARD, f"/risk/scorecard/{card.pk}/"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/risk/models/{draft.pk}/approve/").status_code == 403
    assert client.post(f"/risk/scorecard/{card.pk}/approve/").status_code == 403
    assert RiskModel.objects.get(pk=draft.pk).status == Approval.DRAFT
    assert "/risk/" not in get(client, collector, "/settings/")  # no link to pages it may not open


@pytest.mark.parametrize("who", ["manager", "compliance", "legal"])
def test_allowed_roles_see_every_page(client: Any, who: str, draft: RiskModel, request: Any) -> None:
    user = request.getfixturevalue(who)
    card = Scorecard.objects.get()
    for url in (MODELS, f"/risk/models/{draft.pk}/", SCORECARD, f"/risk/scorecard/{card.pk}/"):
        get(client, user, url)
    settings_page = get(client, user, "/settings/")
    assert 'href="/risk/"' in settings_page and 'href="/risk/scorecard/"' in settings_page


def test_unknown_versions_are_404(client: Any, manager: Any) -> None:
    client.force_login(manager)
    assert client.get("/risk/models/999/").status_code == 404
    assert client.get("/risk/scorecard/999/").status_code == 404
    assert client.post("/risk/models/999/approve/").status_code == 404


def test_approval_is_a_post(client: Any, compliance: Any, draft: RiskModel) -> None:
    client.force_login(compliance)
    assert client.get(f"/risk/models/{draft.pk}/approve/").status_code == 405
    assert RiskModel.objects.get(pk=draft.pk).status == Approval.DRAFT


# ── models ──────────────────────────────────────────────────


def test_model_list(client: Any, compliance: Any, approved_model: RiskModel, draft: RiskModel) -> None:
    html = get(client, compliance, MODELS, "en")
    rows = {r.split('data-model="')[1].split('"')[0]: r for r in html.split("<tr")[1:] if "data-model" in r}
    v1, v2 = rows[str(approved_model.pk)], rows[str(draft.pk)]
    assert "rollrate</span> v1" in v1 and "Approved" in v1 and "WOE logistic regression" in v1
    assert "0.781" in v1 and "0.471" in v1 and "0.562" in v1  # the logistic model's CV AUC, KS, Gini
    assert "钱经理" in v1 and "吴合规" in v1
    assert "rollrate</span> v2" in v2 and "Draft" in v2 and "LightGBM" in v2
    assert "0.801" in v2 and "0.500" in v2 and "0.602" in v2  # the challenger's: the kind it is
    assert v2.count("—") == 1  # not approved


def test_model_list_when_empty(client: Any, manager: Any) -> None:
    assert "arrears risk register" in get(client, manager, MODELS, "en")


def test_model_page(client: Any, manager: Any, graded: RiskModel) -> None:
    html = get(client, manager, f"/risk/models/{graded.pk}/", "en")
    found = marked(html)
    assert found["model-status"] == "Approved"
    assert found["approved-by"].startswith("Approved by 吴合规 on ")
    assert found["training-source"] == "arrears risk dataset --as-of 2026-03-01"
    assert found["training-rows"] == "1,200" and found["training-positives"] == "300 (25.0%)"
    assert "30-day roll rate" in found["training"]
    # cross-validation: both models, the logistic regression marked as chosen
    cv = html.split('data-testid="cv"')[1].split("</table>")[0]
    logistic, lightgbm = cv.split('data-kind="logistic"')[1], cv.split('data-kind="lightgbm"')[1]
    assert 'data-testid="chosen"' in logistic.split("</tr>")[0]
    assert 'data-testid="chosen"' not in lightgbm.split("</tr>")[0]
    assert "0.781" in logistic and "0.780 ± 0.020" in logistic and "0.470 ± 0.030" in logistic
    assert "0.779" in lightgbm and "0.777 ± 0.025" in lightgbm
    # features: name, IV, coefficient, bins with WOE and the training share
    dpd = html.split('data-feature="dpd"')[1].split("</tbody>")[0]
    assert "Days past due" in dpd and "0.710" in dpd and "0.900" in dpd
    assert "[1, 31)" in dpd and "1.500" in dpd and "-1.200" in dpd and "30.0%" in dpd and "Missing" in dpd
    assert "Times overdue" in html.split('data-feature="times_overdue"')[1]
    assert found["ignored"] == "loan_id — identifier note — free text (812 distinct values)"
    # drift at the close of 2026-05-01: two loans, both 31+ days past due (a fifth of training) → shifted
    assert found["drift-latest"] == "Close of 2026-05-01: 2 loans scored"
    monitor = ModelMonitor.objects.get()
    drift = html.split('data-testid="drift-features"')[1].split("</table>")[0]
    score = drift.split('data-psi="score"')[1].split("</tr>")[0]
    assert f"{monitor.psi['score']:.4f}" in score and "Shifted" in score
    assert (
        "Days past due" in drift.split('data-psi="dpd"')[1] and "Shifted" in drift.split('data-psi="dpd"')[1]
    )
    assert "2026-05-01" in html.split('data-testid="drift-history"')[1]


def test_drift_bands_and_history(client: Any, manager: Any, approved_model: RiskModel) -> None:
    for n, (score, dpd, times) in enumerate([(0.05, 0.02, 0.1), (0.12, 0.1, 0.25), (0.31, 0.26, 0.0999)]):
        ModelMonitor.objects.create(
            model=approved_model,
            as_of=dt.date(2026, 5, 1) + dt.timedelta(days=n),
            rows=1000 + n,
            psi={"score": score, "features": {"dpd": dpd, "times_overdue": times}},
        )
    html = get(client, manager, f"/risk/models/{approved_model.pk}/", "en")
    drift = html.split('data-testid="drift-features"')[1].split("</table>")[0]
    assert "0.3100" in drift.split('data-psi="score"')[1].split("</tr>")[0]
    assert "Shifted" in drift.split('data-psi="score"')[1].split("</tr>")[0]
    assert "Shifted" in drift.split('data-psi="dpd"')[1].split("</tr>")[0]  # 0.26
    assert "Stable" in drift.split('data-psi="times_overdue"')[1].split("</tr>")[0]  # 0.0999
    history = html.split('data-testid="drift-history"')[1].split("</table>")[0]
    assert history.index("2026-05-03") < history.index("2026-05-02") < history.index("2026-05-01")
    assert "psi-bar-shifted" in history and "psi-bar-shifting" in history and "psi-bar-stable" in history
    assert marked(html)["drift-latest"] == "Close of 2026-05-03: 1,002 loans scored"


def test_a_model_without_a_close_has_no_drift_yet(client: Any, manager: Any, draft: RiskModel) -> None:
    assert "no-drift" in marked(get(client, manager, f"/risk/models/{draft.pk}/", "en"))


def test_approve_a_model_through_the_page(
    client: Any, manager: Any, compliance: Any, approved_model: RiskModel, draft: RiskModel
) -> None:
    url = f"/risk/models/{draft.pk}/"
    # The registrar sees no button but why, and a post anyway is refused with the four-eyes message.
    html = get(client, manager, url, "en")
    assert 'data-testid="approve-model"' not in html and 'data-testid="own-draft"' in html
    response = client.post(f"{url}approve/", follow=True)
    assert response.redirect_chain == [(url, 302)]
    assert "Someone other than its author must approve it." in response.content.decode()
    assert RiskModel.objects.get(pk=draft.pk).status == Approval.DRAFT

    # A second user approves: the draft goes live, version 1 retires, the audit trail has it.
    html = get(client, compliance, url, "en")
    assert 'data-testid="approve-model"' in html and "csrfmiddlewaretoken" in html
    response = client.post(f"{url}approve/", follow=True)
    assert response.redirect_chain == [(url, 302)]
    page = response.content.decode()
    assert "rollrate v2 is approved" in page and 'data-testid="approve-model"' not in page
    draft.refresh_from_db()
    approved_model.refresh_from_db()
    assert draft.status == Approval.APPROVED and draft.approved_by == compliance
    assert approved_model.status == Approval.RETIRED
    assert AuditEvent.objects.filter(action="risk_model.approved", object_id=str(draft.pk)).exists()

    # Approving again: only a draft can be approved.
    page = client.post(f"{url}approve/", follow=True).content.decode()
    assert "Only a draft can be approved." in page


def test_a_viewer_without_approval_rights_cannot_approve(client: Any, legal: Any, draft: RiskModel) -> None:
    html = get(client, legal, f"/risk/models/{draft.pk}/", "en")
    assert 'data-testid="approve-model"' not in html and 'data-testid="own-draft"' not in html
    page = client.post(f"/risk/models/{draft.pk}/approve/", follow=True).content.decode()
    assert "You may not do this." in page
    assert RiskModel.objects.get(pk=draft.pk).status == Approval.DRAFT


def test_approving_a_model_the_batch_cannot_score_is_refused(
    client: Any, manager: Any, compliance: Any
) -> None:
    model = artifact()
    model["features"] = [{**model["features"][0], "name": "annual_income"}]
    row = services.register_model(model, "income", actor=manager)
    client.force_login(compliance)
    client.cookies["django_language"] = "en"
    page = client.post(f"/risk/models/{row.pk}/approve/", follow=True).content.decode()
    assert "The batch does not compute annual_income" in page
    assert RiskModel.objects.get(pk=row.pk).status == Approval.DRAFT


# ── scorecard ───────────────────────────────────────────────


def test_scorecard_page_in_chinese(client: Any, manager: Any, own_scorecard: Scorecard) -> None:
    html = get(client, manager, SCORECARD)
    found = marked(html)
    card = own_scorecard
    assert 'data-testid="in-force"' in html
    assert f'data-scorecard="{card.pk}" class="row-selected"' in html
    assert [g.split('"')[0] for g in html.split('data-group="')[1:]] == [
        "overdue",
        "credit",
        "collateral",
        "guarantee",
    ]
    dpd = html.split('data-factor="dpd"')[1].split("</tbody>")[0]
    # the feature in words, its weight and its share of all weights
    assert "逾期天数" in dpd and ">50 <" in dpd and "38.5%" in dpd
    assert "[31, 91)" in dpd and ">60<" in dpd and "逾期31–90天" in dpd and "≥ 91" in dpd and "&lt; 1" in dpd
    guarantee = html.split('data-factor="guarantee"')[1].split("</tbody>")[0]
    assert "joint" in guarantee and "none" in guarantee and "无保证人" in guarantee
    assert "0 – 249" in found["levels"] and "600 – 1000" in found["levels"]
    assert "法务审查" in html.split('data-level="critical"')[1].split("</tr>")[0]
    assert "测试用" in html  # the version's note


def test_scorecard_page_in_english(client: Any, manager: Any, own_scorecard: Scorecard) -> None:
    html = get(client, manager, SCORECARD, "en")
    dpd = html.split('data-factor="dpd"')[1].split("</tbody>")[0]
    assert "Days past due" in dpd and "31–90 days past due" in dpd
    assert "Legal review" in html.split('data-level="critical"')[1].split("</tr>")[0]
    assert "Overdue behaviour" in html and "Collateral haircuts" in html and "Real estate" in html
    assert "逾期31–90天" not in html


def test_shipped_scorecard_page(client: Any, manager: Any) -> None:
    """The scorecard shipped with Arrears (seeded after migrate) is in force and shown with its own texts."""
    shipped = json.loads(services.DEFAULT_SCORECARD.read_text())["definition"]
    html = get(client, manager, SCORECARD)
    assert 'data-testid="in-force"' in html
    assert len(html.split('data-group="')) - 1 == 4
    first = next(f for f in shipped["factors"] if f["feature"] == "dpd")
    reason = next(b["reason"] for b in first["bins"] if b.get("reason"))
    assert shipped["reasons"][reason]["zh"] in html.split('data-factor="dpd"')[1].split("</tbody>")[0]


def test_scorecard_versions_and_approval(
    client: Any, manager: Any, compliance: Any, own_scorecard: Scorecard
) -> None:
    shipped = own_scorecard
    definition = dict(shipped.definition)
    definition["levels"] = [
        {**lv, "min_score": lv["min_score"] - 50 * (i > 0)} for i, lv in enumerate(definition["levels"])
    ]
    draft = services.save_scorecard("test", dt.date(2026, 6, 1), definition, actor=manager, note="收紧阈值")
    # The shipped version stays in force; the draft is listed, with the four-eyes note for its author.
    html = get(client, manager, SCORECARD, "en")
    assert f'data-scorecard="{shipped.pk}" class="row-selected"' in html
    row = html.split(f'data-scorecard="{draft.pk}"')[1].split("</tr>")[0]
    assert (
        "Draft" in row
        and "2026-06-01" in row
        and "收紧阈值" in row
        and "Someone else must approve it." in row
    )
    assert 'data-testid="approve-scorecard"' not in row
    # Its own page shows its thresholds.
    found = marked(get(client, manager, f"/risk/scorecard/{draft.pk}/", "en"))
    assert found["scorecard-status"] == "Draft" and "200 – 399" in found["levels"]
    response = client.post(f"/risk/scorecard/{draft.pk}/approve/", follow=True)
    assert "Someone other than its author must approve it." in response.content.decode()

    html = get(client, compliance, SCORECARD, "en")
    assert (
        'data-testid="approve-scorecard"' in html.split(f'data-scorecard="{draft.pk}"')[1].split("</tr>")[0]
    )
    response = client.post(f"/risk/scorecard/{draft.pk}/approve/", follow=True)
    assert response.redirect_chain == [(f"/risk/scorecard/{draft.pk}/", 302)]
    assert "Scorecard test from 2026-06-01 is approved" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Approval.APPROVED and draft.approved_by == compliance


# ── the loan page ───────────────────────────────────────────


def test_loan_page_shows_the_risk_grade_in_chinese(client: Any, manager: Any, graded: RiskModel) -> None:
    status = LoanStatus.objects.get(pk="L001")
    assert (status.risk_score, status.risk_level) == (385, "medium")
    assert status.risk_reasons == ["dpd_31_90", "on_time_below_50"]
    found = marked(get(client, manager, LOAN_PAGE))
    assert found["risk-level"] == "中"
    assert found["risk-score"] == "385 / 1000"
    assert found["risk-reasons"] == "逾期31–90天 按时还款不足一半"
    assert found["risk-measures"] == "加强监测 核实联系方式"
    assert found["risk-pd"] == "模型违约概率 52.7%"


def test_loan_page_shows_the_risk_grade_in_english(client: Any, manager: Any, graded: RiskModel) -> None:
    found = marked(get(client, manager, LOAN_PAGE, "en"))
    assert found["risk-level"] == "Medium"
    assert found["risk-reasons"] == "31–90 days past due Fewer than half of the installments paid on time"
    assert found["risk-measures"] == "Closer monitoring Verify the contact details"
    assert found["risk-pd"] == "Model probability 52.7%"


@pytest.mark.parametrize(
    ("level", "zh", "en"), [("low", "低", "Low"), ("high", "高", "High"), ("critical", "极高", "Critical")]
)
def test_every_level_has_its_badge(
    client: Any, manager: Any, sample: None, level: str, zh: str, en: str
) -> None:
    close([BUSINESS_DATE], workers=1)
    LoanStatus.objects.filter(pk="L001").update(risk_level=level, risk_score=800, risk_reasons=[], pd=None)
    html = get(client, manager, LOAN_PAGE)
    assert f"risk-level risk-level-{level}" in html and marked(html)["risk-level"] == zh
    assert "risk-pd" not in marked(html)  # no approved model: no probability
    assert marked(get(client, manager, LOAN_PAGE, "en"))["risk-level"] == en


def test_loan_page_before_grading(client: Any, manager: Any, sample: None) -> None:
    close([BUSINESS_DATE], workers=1)
    LoanStatus.objects.filter(pk="L001").update(risk_level="", risk_score=None, risk_reasons=[])
    found = marked(get(client, manager, LOAN_PAGE, "en"))
    assert "risk-none" in found and "risk-level" not in found


# ── admin ───────────────────────────────────────────────────


@pytest.fixture
def admin_user() -> Any:
    return UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True)


def test_admin_validates_the_scorecard_definition(client: Any, admin_user: Any, sample: None) -> None:
    client.force_login(admin_user)
    client.cookies["django_language"] = "en"
    shipped = Scorecard.objects.get()
    broken = dict(shipped.definition)
    broken["levels"] = list(reversed(broken["levels"]))
    data = {
        "name": "default",
        "effective_from": "2026-07-01",
        "definition": json.dumps(broken, ensure_ascii=False),
        "note": "",
    }
    response = client.post("/admin/risk/scorecard/add/", data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["definition"]
    assert (
        "The scorecard is not valid" in errors["definition"][0]
        and "levels must be" in errors["definition"][0]
    )
    assert Scorecard.objects.count() == 1

    data["definition"] = json.dumps(shipped.definition, ensure_ascii=False)
    response = client.post("/admin/risk/scorecard/add/", data)
    assert response.status_code == 302
    saved = Scorecard.objects.get(effective_from=dt.date(2026, 7, 1))
    assert saved.status == Approval.DRAFT and saved.created_by == admin_user
    assert AuditEvent.objects.filter(action="scorecard.saved", object_id=str(saved.pk)).exists()
    # Drafts are edited in place; the approved version is read-only.
    assert client.get(f"/admin/risk/scorecard/{saved.pk}/change/").status_code == 200
    page = client.get(f"/admin/risk/scorecard/{shipped.pk}/change/").content.decode()
    assert 'name="definition"' not in page


def test_admin_approves_drafts_with_four_eyes(
    client: Any, admin_user: Any, manager: Any, sample: None
) -> None:
    definition = Scorecard.objects.get().definition
    theirs = services.save_scorecard("default", dt.date(2026, 8, 1), definition, actor=manager)
    own = services.save_scorecard("default", dt.date(2026, 9, 1), definition, actor=admin_user)
    client.force_login(admin_user)
    client.cookies["django_language"] = "en"
    response = client.post(
        "/admin/risk/scorecard/",
        {"action": "approve_selected", "_selected_action": [theirs.pk, own.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert "Someone other than its author must approve it." in page
    theirs.refresh_from_db()
    own.refresh_from_db()
    assert theirs.status == Approval.APPROVED and theirs.approved_by == admin_user
    assert own.status == Approval.DRAFT


def test_admin_shows_models_and_monitors_read_only(client: Any, admin_user: Any, graded: RiskModel) -> None:
    client.force_login(admin_user)
    listing = client.get("/admin/risk/riskmodel/").content.decode()
    assert "rollrate" in listing and "0.7812" in listing
    page = client.get(f"/admin/risk/riskmodel/{graded.pk}/change/").content.decode()
    assert "times_overdue" in page and 'name="artifact"' not in page and "/risk/models/" in page
    assert client.get("/admin/risk/riskmodel/add/").status_code == 403
    assert client.get("/admin/risk/modelmonitor/").status_code == 200
    monitor = ModelMonitor.objects.get()
    assert client.get(f"/admin/risk/modelmonitor/{monitor.pk}/change/").status_code == 200


# ── no N+1 ──────────────────────────────────────────────────


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_risk_pages_query_counts(
    client: Any, manager: Any, compliance: Any, approved_model: RiskModel
) -> None:
    client.force_login(compliance)
    detail = f"/risk/models/{approved_model.pk}/"
    before = {url: _queries(client, url) for url in (MODELS, detail, SCORECARD)}
    for n in range(4):  # more versions of each and more monitors do not add queries
        services.register_model(artifact(), f"model{n}", actor=manager)
        ModelMonitor.objects.create(
            model=approved_model,
            as_of=dt.date(2026, 5, 1) + dt.timedelta(days=n),
            rows=10,
            psi={"score": 0.01},
        )
        definition = Scorecard.objects.order_by("pk").first().definition  # type: ignore[union-attr]
        services.save_scorecard("other", dt.date(2026, 6, 1 + n), definition, actor=manager)
    after = {url: _queries(client, url) for url in (MODELS, detail, SCORECARD)}
    assert after == before
    assert before[MODELS] <= 6 and before[detail] <= 7 and before[SCORECARD] <= 7
