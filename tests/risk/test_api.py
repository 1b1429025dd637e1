"""The risk endpoints of /api/v1 (issue 4): model versions without the model itself, a model's summary with its
latest drift, and a borrower's risk grade within what the caller may see. Data as in tests/risk/test_views.py:
the sample portfolio closed through 2026-05-01 with a small approved model."""

# ruff: noqa: F811 (pytest fixtures imported from test_views are parameters here)
from __future__ import annotations

from typing import Any

import pytest

from arrears.accounts.services import create_api_token
from arrears.delinquency.models import LoanStatus
from arrears.risk import services
from arrears.risk.models import ModelMonitor, RiskModel
from tests.factories import LoanFactory
from tests.risk.test_views import (  # noqa: F401 (the fixtures these tests share)
    approved_model,
    artifact,
    collector,
    compliance,
    draft,
    graded,
    legal,
    manager,
    own_scorecard,
    sample,
)

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]

API = "/api/v1/risk"


def test_model_list(client: Any, legal: Any, approved_model: RiskModel, draft: RiskModel) -> None:
    client.force_login(legal)
    response = client.get(f"{API}/models")
    assert response.status_code == 200
    rows = {r["version"]: r for r in response.json()}
    assert rows[1] | {"registered_at": None, "approved_at": None} == {
        "id": approved_model.pk,
        "name": "rollrate",
        "version": 1,
        "kind": "logistic",
        "status": "approved",
        "auc": 0.7812,
        "ks": 0.4711,
        "gini": 0.5624,
        "registered_by": "qian",
        "registered_at": None,
        "approved_by": "wu",
        "approved_at": None,
    }
    assert rows[2]["kind"] == "lightgbm" and rows[2]["auc"] == 0.8012 and rows[2]["approved_by"] is None
    assert rows[2]["status"] == "draft" and rows[2]["approved_at"] is None


def test_model_detail_leaves_the_model_out(client: Any, manager: Any, graded: RiskModel) -> None:
    client.force_login(manager)
    data = client.get(f"{API}/models/{graded.pk}").json()
    assert "artifact" not in data and "score_bins" not in str(data)
    assert data["description"] == "30-day roll rate"
    assert data["training"]["rows"] == 1200 and data["training"]["source"].startswith("arrears risk dataset")
    assert data["metrics"]["logistic"]["auc"] == 0.7812 and data["metrics"]["lightgbm"]["auc"] == 0.779
    assert data["features"][0] == {
        "name": "dpd",
        "kind": "numeric",
        "iv": 0.71,
        "coefficient": 0.9,
        "bins": ["[-inf, 1)", "[1, 31)", "[31, inf)"],
        "woe": [-1.2, 0.2, 1.5, 0.0],
    }
    assert data["ignored"][0] == {"column": "loan_id", "reason": "identifier"}
    monitor = ModelMonitor.objects.get()
    psi = data["latest_psi"]
    assert psi["as_of"] == "2026-05-01" and psi["rows"] == 2
    assert psi["score"] == monitor.psi["score"] and psi["features"] == monitor.psi["features"]
    assert psi["bands"] == {"score": "shifted", "dpd": "shifted", "times_overdue": "shifted"}


def test_model_detail_before_any_close(client: Any, manager: Any, draft: RiskModel) -> None:
    client.force_login(manager)
    assert client.get(f"{API}/models/{draft.pk}").json()["latest_psi"] is None
    assert client.get(f"{API}/models/999").status_code == 404


def test_models_are_refused_to_a_collector(client: Any, collector: Any, draft: RiskModel) -> None:
    client.force_login(collector)
    for url in (f"{API}/models", f"{API}/models/{draft.pk}"):
        response = client.get(url)
        assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_anonymous_is_401(client: Any) -> None:
    assert client.get(f"{API}/models").status_code == 401
    assert client.get(f"{API}/borrowers/B001").status_code == 401


def test_borrower_risk(client: Any, manager: Any, graded: RiskModel) -> None:
    client.force_login(manager)
    data = client.get(f"{API}/borrowers/B001").json()
    assert data == {
        "borrower_id": "B001",
        "status_as_of": "2026-05-01",
        "risk_score": 385,
        "risk_level": "medium",
        "risk_reasons": ["dpd_31_90", "on_time_below_50"],
        "risk_reason_texts": [
            {"code": "dpd_31_90", "zh": "逾期31–90天", "en": "31–90 days past due"},
            {
                "code": "on_time_below_50",
                "zh": "按时还款不足一半",
                "en": "Fewer than half of the installments paid on time",
            },
        ],
        "risk_measures": [
            {"code": "monitor_closely", "zh": "加强监测", "en": "Closer monitoring"},
            {"code": "update_contacts", "zh": "核实联系方式", "en": "Verify the contact details"},
        ],
        "pd": 0.527472,
        "loan_id": "L001",
        "loans_scored": 1,
    }


def test_borrower_risk_respects_visibility(
    client: Any, manager: Any, collector: Any, graded: RiskModel
) -> None:
    """The collector works 招商银行 (L001 of B001): 王芳 (B002, another lender) is a 404, and a second loan of
    B001 with another lender, riskier, does not show through."""
    client.force_login(collector)
    assert client.get(f"{API}/borrowers/B002").status_code == 404
    assert client.get(f"{API}/borrowers/B999").status_code == 404
    other = LoanFactory(loan_id="L003", borrower_id="B001", lender="马上消费金融")
    row = LoanStatus.objects.get(pk="L001")
    row.pk, row.risk_score, row.risk_level, row.risk_reasons = other.pk, 900, "critical", ["dpd_over_90"]
    row.save(force_insert=True)

    data = client.get(f"{API}/borrowers/B001").json()
    assert (data["loan_id"], data["risk_level"], data["loans_scored"]) == ("L001", "medium", 1)
    client.force_login(manager)
    data = client.get(f"{API}/borrowers/B001").json()
    assert (data["loan_id"], data["risk_level"], data["loans_scored"]) == ("L003", "critical", 2)
    assert data["risk_reason_texts"] == [
        {"code": "dpd_over_90", "zh": "逾期超过90天", "en": "More than 90 days past due"}
    ]
    assert data["risk_measures"] == [{"code": "legal_review", "zh": "法务审查", "en": "Legal review"}]


def test_borrower_not_graded_yet(client: Any, manager: Any, sample: None) -> None:
    client.force_login(manager)
    data = client.get(f"{API}/borrowers/B001").json()
    assert data["risk_score"] is None and data["risk_level"] is None and data["loans_scored"] == 0
    assert data["risk_reasons"] == [] and data["pd"] is None


def test_token_auth(client: Any, manager: Any, graded: RiskModel) -> None:
    _row, key = create_api_token(manager, "risk")
    response = client.get(f"{API}/borrowers/B001", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200 and response.json()["risk_level"] == "medium"


def test_model_list_query_count(
    client: Any, manager: Any, approved_model: RiskModel, django_assert_num_queries: Any
) -> None:
    client.force_login(manager)
    for n in range(5):
        services.register_model(artifact(), f"model{n}", actor=manager)
    with django_assert_num_queries(3):  # session, user, the models with who registered and approved them
        assert len(client.get(f"{API}/models").json()) == 6
