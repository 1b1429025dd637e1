from __future__ import annotations

import pytest
from pydantic import ValidationError

from arrears.conf import ArrearsSettings


def test_production_refuses_unsafe_settings():
    with pytest.raises(ValidationError) as info:
        ArrearsSettings(env="prod", debug=True, demo_logins=True)
    text = str(info.value)
    assert "ARREARS_SECRET_KEY" in text and "ARREARS_DEBUG" in text and "ARREARS_DEMO_LOGINS" in text


def test_production_accepts_safe_settings():
    conf = ArrearsSettings(env="prod", debug=False, secret_key="x" * 40)
    assert conf.env == "prod"


def test_database_url_defaults_to_sqlite_under_var(tmp_path):
    conf = ArrearsSettings(var_dir=tmp_path, DATABASE_URL="")
    assert conf.resolved_database_url == f"sqlite:///{tmp_path.resolve()}/arrears.sqlite3"


@pytest.mark.django_db
def test_request_id_is_echoed_and_generated(client):
    response = client.get("/login/", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    generated = client.get("/login/", HTTP_X_REQUEST_ID="bad id with spaces")["X-Request-ID"]
    assert generated != "bad id with spaces" and len(generated) == 32


@pytest.mark.django_db
def test_chinese_by_default_whatever_the_browser_says_english_on_request(client):
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert page.headers["Content-Language"] == "zh-hans"
    client.cookies["django_language"] = "en"
    assert client.get("/login/").headers["Content-Language"] == "en"
