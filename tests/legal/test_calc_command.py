"""`arrears calc …` — the JSON contracts other teams' acceptance tests call: exact keys and figures, rule versions
from the database (edits take effect) or the shipped ones without a migrated database, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError

from arrears.legal.management.commands.calc import Command
from arrears.rules import selectors
from arrears.rules.models import FeeScale, PrimeRate, SmallClaimsThreshold, StatutoryPeriod


def calc(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command(Command(), *args, "--json", stdout=out)
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def text(*args: str) -> str:
    out = StringIO()
    call_command(Command(), *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def no_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a fresh checkout: the rule tables are not there."""

    def missing() -> None:
        raise DatabaseError("no such table: rules_feescale")

    monkeypatch.setattr(selectors, "statutory_rulebook", missing)


@pytest.mark.django_db
def test_court_fee_contract() -> None:
    result = calc("court-fee", "1,234,567", "--procedure", "simple", "--on", "2026-06-01")
    assert {k: result[k] for k in ("fee", "base_fee", "reduction")} == {
        "fee": "7955.55",
        "base_fee": "15911.10",
        "reduction": "7955.55",
    }
    assert "art. 13" in result["basis"] and "art. 16" in result["basis"]
    assert list(result)[:4] == ["fee", "base_fee", "reduction", "basis"]
    assert calc("court-fee", "50000", "--outcome", "withdrawal")["fee"] == "525.00"
    assert (
        calc("court-fee", "50000", "--procedure", "small_claims", "--outcome", "mediation")["fee"] == "525.00"
    )
    quartered = calc("court-fee", "50000", "--procedure", "simple", "--outcome", "mediation", "--halve-twice")
    assert quartered["fee"] == "262.50"
    assert calc("court-fee", "1234567", "--round-to", "yuan")["fee"] == "15911.00"
    assert calc("--json", "court-fee", "10000")["fee"] == "50.00"  # --json before the calculator too


@pytest.mark.django_db
def test_preservation_and_enforcement_fees() -> None:
    assert calc("preservation-fee", "150000")["fee"] == "1270.00"
    assert calc("preservation-fee", "1234567")["fee"] == "5000.00"
    assert calc("enforcement-fee", "1234567")["fee"] == "14745.67"
    assert calc("enforcement-fee", "30,000,000.00")["fee"] == "97400.00"


@pytest.mark.django_db
def test_deadline_contract() -> None:
    result = calc("deadline", "--kind", "appeal-judgment", "--served", "2025-09-16")
    assert (result["deadline"], result["period"], result["nominal_deadline"]) == (
        "2025-10-09",
        "15 days",
        "2025-10-01",
    )
    assert "art. 85" in result["basis"]
    assert calc("deadline", "--kind", "appeal-ruling", "--served", "2026-02-05")["deadline"] == "2026-02-24"
    enforcement = calc("deadline", "--kind", "enforcement-application", "--served", "2026-05-20")
    assert enforcement["nominal_deadline"] == "2028-05-20"
    if enforcement["provisional"]:  # until chinese-calendar knows 2028 (a Saturday: then the Monday)
        assert enforcement["deadline"] == "2028-05-20" and "note" in enforcement
    kinds = [p["kind"] for p in calc("periods")["periods"]]
    assert {"appeal-judgment", "appeal-ruling", "enforcement-application", "retrial-application"} <= set(
        kinds
    )


@pytest.mark.django_db
def test_limitation_contract() -> None:
    assert calc("limitation", "--last-due", "2025-12-31")["nominal_expires_on"] == "2028-12-31"
    result = calc("limitation", "--last-due", "2025-12-31", "--interrupted", "2027-03-01")
    assert result["expires_on"] == "2030-03-01"
    both = calc(
        "limitation", "--last-due", "2022-03-15", "--interrupted", "2023-05-10", "--interrupted", "2024-01-08"
    )
    assert (both["expires_on"], both["interruptions_applied"]) == ("2027-01-08", ["2023-05-10", "2024-01-08"])
    listed = calc("limitation", "--last-due", "2022-03-15", "--interrupted", "2023-05-10", "2024-01-08")
    assert listed["expires_on"] == "2027-01-08"


@pytest.mark.django_db
def test_guarantee_small_claims_interest_jurisdiction() -> None:
    assert calc("guarantee-period", "--due", "2026-06-30")["ends_on"] == "2026-12-30"
    agreed = calc("guarantee-period", "--due", "2026-06-30", "--agreed-months", "12", "--type", "joint")
    assert (agreed["ends_on"], agreed["guarantee_type"]) == ("2027-06-30", "joint")
    small = calc("small-claims", "50000", "--province", "浙江", "--year", "2022")
    assert small["eligible"] is True and small["threshold"] == "54323.00" and "浙江 2022" in small["basis"]
    assert calc("small-claims", "60000", "--province", "Zhejiang", "--year", "2022")["eligible"] is False
    private = calc(
        "interest-cap", "--principal", "100000", "--annual-rate", "15%", "--from", "2025-08-01", "--to", "2026-08-01",
        "--lender-type", "private", "--contract-date", "2025-08-01",
    )  # fmt: skip
    assert {k: private[k] for k in ("contractual", "cap", "recoverable", "cap_rate")} == {
        "contractual": "15000.00",
        "cap": "12000.00",
        "recoverable": "12000.00",
        "cap_rate": "0.12",
    }
    bank = calc(
        "interest-cap", "--principal", "100000", "--annual-rate", "0.30", "--from", "2026-01-01", "--to", "2026-06-30",
        "--lender-type", "bank",
    )  # fmt: skip
    assert (bank["cap"], bank["cap_rate"], bank["contractual"]) == ("11835.62", "0.24", "14794.52")
    court = calc(
        "jurisdiction", "--lender-location", "上海市浦东新区", "--defendant-domicile", "深圳市南山区",
        "--agreed-court", "北京市朝阳区", "--agreed-court-connected", "no",
    )  # fmt: skip
    assert (court["court"], court["ground"]) == ("上海市浦东新区", "place_of_performance")
    assert isinstance(court["reasoning"], list) and "not connected" in court["reasoning"][0]
    agreed_court = calc(
        "jurisdiction", "--lender-location", "上海", "--defendant-domicile", "深圳", "--agreed-court", "北京",
        "--agreed-court-connected", "yes",
    )  # fmt: skip
    assert (agreed_court["court"], agreed_court["ground"]) == ("北京", "agreed_court")


@pytest.mark.django_db
def test_rule_table_edits_take_effect() -> None:
    FeeScale.objects.filter(kind="acceptance").update(halve_twice=True)
    assert calc("court-fee", "50000", "--procedure", "simple", "--outcome", "mediation")["fee"] == "262.50"
    StatutoryPeriod.objects.filter(kind="appeal-judgment").update(length=20)
    assert calc("deadline", "--kind", "appeal-judgment", "--served", "2026-03-02")["deadline"] == "2026-03-23"
    SmallClaimsThreshold.objects.create(
        province="浙江", year=2026, threshold=6_000_000, agreed_limit=24_000_000
    )
    assert calc("small-claims", "59000", "--province", "浙江省", "--year", "2026")["eligible"] is True
    PrimeRate.objects.create(effective_from="2026-01-20", one_year="0.0290")
    cap = calc(
        "interest-cap", "--principal", "100000", "--annual-rate", "0.2", "--from", "2026-02-01", "--to", "2027-02-01",
        "--lender-type", "private",
    )  # fmt: skip
    assert (cap["cap_rate"], cap["cap"]) == ("0.116", "11600.00")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["court-fee", "-100"], "the claim must not be negative: -100"),
        (["court-fee", "12.345"], "the claim '12.345' is not an amount in yuan"),
        (["court-fee", "100", "--procedure", "summary"], "unknown procedure 'summary'"),
        (["court-fee", "100", "--rounding", "sideways"], "unknown rounding 'sideways'"),
        (["deadline", "--kind", "appeal", "--served", "2026-01-01"], "unknown period kind 'appeal'"),
        (
            ["deadline", "--kind", "appeal-judgment", "--served", "2026-13-01"],
            "--served '2026-13-01' is not a date",
        ),
        (["limitation", "--last-due", "tomorrow"], "--last-due 'tomorrow' is not a date"),
        (
            ["guarantee-period", "--due", "2026-06-30", "--agreed-months", "six"],
            "not a whole number of months",
        ),
        (["small-claims", "1000", "--province", "Atlantis", "--year", "2022"], "unknown province 'Atlantis'"),
        (
            ["small-claims", "1000", "--province", "浙江", "--year", "2030"],
            "no small-claims threshold for 浙江 in 2030",
        ),
        (
            [
                "interest-cap",
                "--principal",
                "1",
                "--annual-rate",
                "x",
                "--from",
                "2026-01-01",
                "--to",
                "2026-02-01",
                "--lender-type",
                "bank",
            ],
            "--annual-rate 'x' is not a rate",
        ),
        (
            [
                "jurisdiction",
                "--lender-location",
                "a",
                "--defendant-domicile",
                "b",
                "--agreed-court-connected",
                "maybe",
            ],
            "--agreed-court-connected must be yes or no",
        ),
    ],
)
def test_bad_input_is_a_one_line_error(no_database: None, args: list[str], message: str) -> None:
    with pytest.raises(CommandError) as raised:
        call_command(Command(), *args, stdout=StringIO())
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command(Command(), *args, "--json", stdout=out)
    assert message in json.loads(out.getvalue())["error"]


def test_shipped_rules_without_a_database(no_database: None) -> None:
    assert calc("court-fee", "150000")["fee"] == "3300.00"
    assert calc("small-claims", "47000", "--province", "辽宁", "--year", "2023")["eligible"] is True
    assert "(rules: shipped)" in text("periods")
    assert "Court fee 1,050.00 yuan" in text("court-fee", "50000")
    assert text("jurisdiction", "--lender-location", "上海", "--defendant-domicile", "深圳").startswith(
        "Sue in 上海 (place_of_performance)"
    )


SHIM = (
    "import sys, django; django.setup(); "
    "from arrears.legal.management.commands.calc import Command; "
    "Command().run_from_argv(['arrears', 'calc', *sys.argv[1:]])"
)


def test_exit_codes_from_the_command_line(tmp_path: Path) -> None:
    """What the console script does (`run_from_argv`), over a database with no tables: 0 and JSON, or 1 and one line."""
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="arrears.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}",
    )
    done = subprocess.run(
        [sys.executable, "-c", SHIM, "court-fee", "1,234.50", "--json"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["fee"] == "50.00"
    bad = subprocess.run(
        [sys.executable, "-c", SHIM, "deadline", "--kind", "nope", "--served", "2026-01-01", "--json"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert bad.returncode == 1
    assert bad.stderr.strip().count("\n") == 0 and "unknown period kind 'nope'" in bad.stderr
    assert "unknown period kind 'nope'" in json.loads(bad.stdout)["error"]


@pytest.mark.skipif(
    "arrears.legal" not in settings.INSTALLED_APPS, reason="arrears.legal is not installed yet"
)
def test_the_console_script(tmp_path: Path) -> None:
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    script = Path(sys.executable).parent / "arrears"
    done = subprocess.run(
        [str(script), "calc", "enforcement-fee", "50000", "--json"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["fee"] == "650.00"
