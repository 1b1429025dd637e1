"""One typed settings object, read from the environment (and `.env`), feeding `settings.py`.

Production refuses to start with unsafe values: a missing secret key, DEBUG on, or demo logins enabled.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "arrears-insecure-development-key-do-not-use-in-production"


class ArrearsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ARREARS_", env_file=".env", extra="ignore")

    env: Literal["dev", "test", "prod"] = "dev"
    secret_key: str = DEV_SECRET
    debug: bool = True
    allowed_hosts: list[str] = ["localhost", "127.0.0.1", "[::1]", "testserver"]
    csrf_trusted_origins: list[str] = []
    var_dir: Path = Path("var")
    database_url: str = Field(default="", validation_alias="DATABASE_URL")
    time_zone: str = "Asia/Shanghai"
    language_code: str = "zh-hans"
    demo_logins: bool = False
    log_level: str = "INFO"
    # contact channels (issue 6): where messages go; every adapter is off until its address is set
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_tls: bool = False
    mail_from: str = "arrears@localhost"
    sms_gateway_url: str = ""  # e.g. http://127.0.0.1:8025/send (`arrears dev sms-gateway`)
    sms_gateway_token: str = ""
    sms_gateway_format: Literal["json", "form"] = "json"
    chat_push_url: str = ""  # WeChat official account / app push relay
    chat_push_token: str = ""
    telephony_url: str = ""  # click-to-call: POST {extension, number, case_id}
    receipt_token: str = ""  # shared secret gateways send with delivery receipts

    @model_validator(mode="after")
    def _safe_for_production(self) -> ArrearsSettings:
        if self.env == "prod":
            problems = []
            if self.secret_key == DEV_SECRET or len(self.secret_key) < 32:
                problems.append("ARREARS_SECRET_KEY must be set to a random value of at least 32 characters")
            if self.debug:
                problems.append("ARREARS_DEBUG must be false")
            if self.demo_logins:
                problems.append("ARREARS_DEMO_LOGINS must be false")
            if problems:
                raise ValueError("unsafe production settings: " + "; ".join(problems))
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'arrears.sqlite3').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> ArrearsSettings:
    return ArrearsSettings()
