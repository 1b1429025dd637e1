"""The zh-Hans catalogue is complete and its committed .mo is what `scripts/compile_messages.py` produces."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "src" / "arrears" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def compile_messages() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "compile_messages", ROOT / "scripts" / "compile_messages.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_string_has_a_chinese_translation() -> None:
    po = polib.pofile(str(CATALOGUE))
    assert len(po) > 300
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []


def test_placeholders_survive_translation() -> None:
    for entry in polib.pofile(str(CATALOGUE)):
        if "python-format" not in entry.flags:
            continue
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            for placeholder in (
                "%(count)d",
                "%(name)s",
                "%(area)s",
                "%(status)s",
                "%(source)s",
                "%(n)s",
                "%(payment)s",
                "%(rank)s",
                "%(shown)s",
                "%(total)s",
                "%(total_display)s",
            ):
                assert (placeholder in entry.msgid) == (placeholder in text), (entry.msgid, text)


def test_compiled_catalogue_is_up_to_date() -> None:
    module = compile_messages()
    assert module.main(["--check"]) == 0, "run: python scripts/compile_messages.py"


@pytest.mark.parametrize("msgid", ["Workbench", "Cases", "Loans", "Legal", "Reports", "Settings"])
def test_navigation_labels(msgid: str) -> None:
    expected = {
        "Workbench": "工作台",
        "Cases": "案件",
        "Loans": "贷款",
        "Legal": "法务",
        "Reports": "报表",
        "Settings": "设置",
    }
    assert polib.pofile(str(CATALOGUE)).find(msgid).msgstr == expected[msgid]
