"""`arrears compliance simulate` — the JSON contract other teams' acceptance tests call — on sample CSV files
(tests/compliance/data), the pack given by code (the database's version in force, else the shipped fixture) or
as a JSON file, bad CSV files reported by row, column, value and reason; and `arrears compliance packs`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from arrears.compliance import guard

DATA = Path(__file__).parent / "data"
FIXTURES = Path(guard.__file__).parent / "fixtures"
ALLOWED_CN = "Allowed: no rule of cn-cba-2026 stops this contact."


def simulate(pack: str, attempts: Path | str, *extra: str) -> dict[str, Any]:
    out = StringIO()
    call_command(
        "compliance", "simulate", "--pack", pack, "--attempts", str(attempts), "--json", *extra, stdout=out
    )
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def write(tmp_path: Path, text: str, name: str = "attempts.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.django_db
def test_cn_sample_exact_json() -> None:
    result = simulate("cn-cba-2026", DATA / "attempts_cn.csv")
    assert list(result) == ["decisions"]
    decisions = result["decisions"]
    assert all(list(d) == ["allowed", "rule", "reason"] for d in decisions)
    assert decisions[:2] == [
        {"allowed": False, "rule": "cn-cba-2026/quiet-hours",
         "reason": "Contact is allowed only from 08:00 to before 22:00 local time; it is 07:59:59."},
        {"allowed": True, "rule": None, "reason": ALLOWED_CN},
    ]  # fmt: skip
    assert [d["rule"] for d in decisions] == [
        "cn-cba-2026/quiet-hours",  # 07:59:59
        None, None, None, None, None, None, None,  # 6 unanswered (busy counts) and one answered
        "cn-cba-2026/unanswered-calls",  # the 7th after 6 unanswered, whatever its outcome
        None,  # another number: the debtor answers
        "cn-cba-2026/third-party-unreachable-only",  # so they are reachable
        "cn-cba-2026/visit-collectors",
        None,  # two collectors
        None,  # 21:59:59
        "cn-cba-2026/quiet-hours",  # 22:00:00
    ]  # fmt: skip
    assert decisions[8]["reason"] == "6 unanswered calls to this number today already; at most 6 a day."


@pytest.mark.django_db
def test_us_sample() -> None:
    decisions = simulate("us-regf", DATA / "attempts_us.csv")["decisions"]
    assert [d["rule"] for d in decisions] == [
        None, None, None, None, None, None, None, None,  # 7 calls about D1 (and a busy one, not counted)
        "us-regf/7-in-7",  # the 8th in 7 days
        None,  # with consent given (frequency)
        None,  # a conversation about D2
        "us-regf/conversation-lock",
        None,  # day 8 after the conversation (daylight saving time started: −07:00)
        None,  # 21:00:00
        "us-regf/quiet-hours",  # 21:00:01
        "us-regf/opt-out",
    ]  # fmt: skip


def test_pack_as_a_json_file_without_a_database(tmp_path: Path) -> None:
    """Works with the fixture format and a bare definition; no database is touched."""
    bare = tmp_path / "house.json"
    bare.write_text(json.dumps(json.loads((FIXTURES / "house.json").read_text())["definition"]))
    csv = write(tmp_path, "at,channel,party,address,debt_id,outcome,collectors\n"
                + "".join(f"2026-03-03T1{i}:00:00+08:00,call,debtor,138,L1,answered,\n" for i in range(4)))  # fmt: skip
    for pack in (str(FIXTURES / "house.json"), str(bare)):
        rules = [d["rule"] for d in simulate(pack, csv)["decisions"]]
        assert rules == [None, None, None, "house/call-per-day"]


def test_the_console_script_prints_only_the_json(tmp_path: Path) -> None:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="arrears.settings")
    script = Path(sys.executable).parent / "arrears"
    done = subprocess.run(
        [str(script), "compliance", "simulate", "--pack", str(FIXTURES / "cn-cba-2026.json"),
         "--attempts", str(DATA / "attempts_cn.csv"), "--json"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["decisions"]) == 15
    bad = subprocess.run(
        [str(script), "compliance", "simulate", "--pack", str(FIXTURES / "cn-cba-2026.json"),
         "--attempts", str(write(tmp_path, "at,channel,party,address,debt_id\n2026-03-03T25:00,fax,debtor,1,L1\n")),
         "--json"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert bad.returncode == 1
    assert "row 2, column at, value '2026-03-03T25:00'" in bad.stderr
    assert json.loads(bad.stdout)["errors"][1] == {
        "row": 2, "column": "channel", "value": "fax",
        "reason": "not a channel: one of call, sms, email, letter, visit, chat",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("at,channel,party,address\n", {"row": 1, "column": "debt_id", "value": "",
                                        "reason": "required column is missing"}),
        ("", {"row": 1, "column": "", "value": "", "reason": "the file is empty: no header row"}),
        ("at,channel,party,address,debt_id\n2026-03-03T09:00,call,debtor,138,L1\n",
         {"row": 2, "column": "at", "value": "2026-03-03T09:00",
          "reason": "needs the contacted person's UTC offset (e.g. +08:00)"}),
        ("at,channel,party,address,debt_id\n\n2026-03-03T09:00+08:00,call,neighbour,138,L1\n",
         {"row": 3, "column": "party", "value": "neighbour",
          "reason": "not a party: one of debtor, guarantor, third_party"}),
        ("at,channel,party,address,debt_id,collectors\n2026-03-03T09:00+08:00,visit,debtor,x,L1,two\n",
         {"row": 2, "column": "collectors", "value": "two", "reason": "not a whole number of at least 1"}),
        ("at,channel,party,address,debt_id,has_opt_out\n2026-03-03T09:00+08:00,sms,debtor,x,L1,maybe\n",
         {"row": 2, "column": "has_opt_out", "value": "maybe",
          "reason": "not a yes/no value: 1/0, true/false or yes/no"}),
        ("at,channel,party,address,debt_id,consent\n2026-03-03T09:00+08:00,sms,debtor,x,L1,always\n",
         {"row": 2, "column": "consent", "value": "always", "reason": "not a consent kind: time_window, frequency"}),
        ("at,channel,party,address,debt_id\n2026-03-03T09:00+08:00,sms,debtor,,L1\n",
         {"row": 2, "column": "address", "value": "", "reason": "required"}),
    ],
)  # fmt: skip
def test_bad_csv_is_reported_by_row_column_value_and_reason(
    tmp_path: Path, text: str, problem: dict[str, Any]
) -> None:
    path = write(tmp_path, text)
    out = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("compliance", "simulate", "--pack", str(FIXTURES / "us-regf.json"), "--attempts", str(path),
                     "--json", stdout=out)  # fmt: skip
    assert json.loads(out.getvalue())["errors"][0] == problem
    assert f"row {problem['row']}, column {problem['column']}" in str(raised.value)


def test_optional_columns_and_unknown_ones(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "\ufeffAt,Channel,Party,Address,Debt_ID,Outcome,Product_Type,Discloses_Debt,Purpose,Consent,Debtor,note\n"
        "2026-03-03T23:00:00+08:00,sms,debtor,138,L1,,,,reminder,time_window;frequency,B1,hello\n"
        "2026-03-03T10:00:00+08:00,call,third_party,139,L1,,credit_card,1,,,B1,\n"
        "2026-03-03T10:00:00+08:00,call,third_party,139,L2,,,yes,,,B1,\n",
    )
    rules = [d["rule"] for d in simulate(str(FIXTURES / "cn-cba-2026.json"), path)["decisions"]]
    assert rules == [None, "cn-cba-2026/credit-card-parties", "cn-cba-2026/third-party-disclosure"]


@pytest.mark.django_db
def test_unknown_pack(tmp_path: Path) -> None:
    path = write(tmp_path, "at,channel,party,address,debt_id\n")
    with pytest.raises(CommandError, match="unknown rule pack nope"):
        call_command("compliance", "simulate", "--pack", "nope", "--attempts", str(path), stdout=StringIO())
    broken = tmp_path / "broken.json"
    broken.write_text('{"code": "x"}')
    with pytest.raises(CommandError, match="name: Field required"):
        call_command(
            "compliance", "simulate", "--pack", str(broken), "--attempts", str(path), stdout=StringIO()
        )


@pytest.mark.django_db
def test_database_version_in_force_wins_over_the_fixture(tmp_path: Path) -> None:
    from arrears.compliance.models import RulePack

    row = RulePack.objects.get(code="cn-cba-2026")
    RulePack.objects.filter(pk=row.pk).update(  # approved versions never change: a test may
        definition=dict(row.definition, contact_hours={"start": "09:00", "end": "21:00"}),
        approved_at=timezone.now(),
    )
    path = write(tmp_path, "at,channel,party,address,debt_id\n2026-03-03T08:30:00+08:00,call,debtor,138,L1\n")
    assert simulate("cn-cba-2026", path)["decisions"][0]["rule"] == "cn-cba-2026/quiet-hours"


@pytest.mark.django_db
def test_packs_command() -> None:
    out = StringIO()
    call_command("compliance", "packs", "--json", stdout=out)
    packs = json.loads(out.getvalue())["packs"]
    assert {(p["code"], p["version"], p["status"], p["in_force"]) for p in packs} == {
        ("cn-cba-2026", 1, "approved", True), ("house", 1, "approved", True), ("us-regf", 1, "approved", True),
    }  # fmt: skip
    text = StringIO()
    call_command("compliance", "packs", stdout=text)
    assert "cn-cba-2026" in text.getvalue() and "in force" in text.getvalue()
