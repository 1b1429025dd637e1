"""The strategy API: who may read it, outcomes per arm, promotion and simulation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from arrears.batch import runner
from arrears.strategy import services
from tests.factories import TeamFactory, UserFactory, loan_with_details

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 3, 6)


def test_segments_outcomes_promotion_and_simulation(client: Any) -> None:
    services.import_strategy(
        {
            "paths": [{"name": "a", "steps": [{"channel": "sms"}]}, {"name": "b", "steps": [{"channel": "call"}]}],
            "segments": [{"name": "all", "conditions": [],
                          "arms": [{"path": "a", "percent": 50, "champion": True}, {"path": "b", "percent": 50}]}],
        }
    )  # fmt: skip
    UserFactory(username="c1", team=TeamFactory(name="一组", lenders=[]))
    loan_with_details(loan_id="L001")
    runner.close([AS_OF])
    client.force_login(UserFactory(username="c9"))
    assert client.get("/api/v1/strategy/segments").status_code == 403
    client.force_login(UserFactory(username="boss", role="manager"))
    (segment,) = client.get("/api/v1/strategy/segments").json()
    assert [(a["path"], a["percent"]) for a in segment["arms"]] == [("a", 50.0), ("b", 50.0)]
    (outcome,) = client.get("/api/v1/strategy/outcomes").json()
    assert (outcome["cases"], outcome["open"], outcome["cure_rate"]) == (1, 1, 0.0)
    promoted = client.post(f"/api/v1/strategy/segments/{segment['id']}/promote", {"path": "b"},
                           content_type="application/json").json()  # fmt: skip
    assert promoted["arms"] == [{"path": "b", "percent": 100.0, "champion": True}]
    simulated = client.get(f"/api/v1/strategy/simulate?as_of={AS_OF.isoformat()}").json()
    assert simulated["cases"] == 1 and simulated["arms"][0]["path"] == "b"
