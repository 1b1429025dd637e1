"""Import of the interchange format: counts, idempotence, audit, containers, encodings and every bad input."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.utils import translation

from arrears.audit.models import AuditEvent
from arrears.portfolio.interchange.export import export_portfolio
from arrears.portfolio.interchange.messages import localize
from arrears.portfolio.models import (
    Assignment,
    Borrower,
    Claim,
    Collateral,
    Contact,
    Guarantee,
    ImportRun,
    Loan,
    Payment,
    RecoursePayment,
    ScheduleInstallment,
)
from arrears.portfolio.services import import_portfolio, import_result
from tests.conftest import sample_portfolio

pytestmark = pytest.mark.django_db

ALL_MODELS = (
    Borrower,
    Loan,
    ScheduleInstallment,
    Payment,
    Collateral,
    Guarantee,
    Contact,
    Claim,
    Assignment,
    RecoursePayment,
)


def nothing_written() -> bool:
    return all(not m.objects.exists() for m in ALL_MODELS)


def errors_of(run: ImportRun) -> list[tuple[str, int | None, str, str, str]]:
    return [(e["file"], e["row"], e["column"], e["value"], e["message"]) for e in run.errors]


def test_valid_portfolio_is_imported_with_counts(write_portfolio):
    run = import_portfolio(write_portfolio())
    assert run.status == ImportRun.Status.SUCCEEDED, run.errors
    assert run.counts["borrowers"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert run.counts["loans"] == {"created": 2, "updated": 0, "unchanged": 0}
    # L002's 3 rows came in the file; L001's 3 were generated from its terms
    assert run.counts["schedules"]["created"] == 6 and run.counts["schedules"]["generated"] == 3
    for name in (
        "payments",
        "collateral",
        "guarantees",
        "contacts",
        "claims",
        "assignments",
        "recourse_payments",
    ):
        assert run.counts[name]["created"] >= 1

    loan = Loan.objects.get(pk="L001")
    assert loan.principal == 1_200_000  # "12,000.00" -> fen
    assert str(loan.annual_rate) == "0.120000"
    assert str(loan.penalty_rate) == "0.180000"  # default 1.5 x the contract rate
    assert loan.schedule_generated and loan.grace_days == 3 and loan.day_count == "ACT/360"
    assert [(i.principal_due, i.interest_due) for i in loan.installments_due.order_by("installment_no")] == [
        (396027, 12000),
        (399987, 8040),
        (403986, 4040),
    ]
    l2 = Loan.objects.get(pk="L002")
    assert str(l2.penalty_rate) == "0.270000" and not l2.schedule_generated
    assert l2.contract_date.isoformat() == "2026-01-10"  # 2026/01/10 and 20260110 both accepted
    b2 = Borrower.objects.get(pk="B002")
    assert b2.phone == "13900001234"  # +86 and dashes normalised
    assert Borrower.objects.get(pk="B001").extra == {"hobby": "围棋"}  # unknown columns kept
    assert Payment.objects.get(pk="P3").reverses_id == "P2"
    assert Payment.objects.get(pk="P1").principal_paid == 396027
    guarantee = Guarantee.objects.get(pk="G1")
    # no agreed period: six months after the main debt's last installment (2026-04-05), Civil Code art. 692
    assert guarantee.period_end.isoformat() == "2026-10-05"
    assert guarantee.amount_cap == 500_000
    assert Collateral.objects.get(pk="C1").registered is True
    assert Claim.objects.get().principal == 803973
    assert RecoursePayment.objects.get().recourse_rate is not None
    event = AuditEvent.objects.get(action="portfolio.imported")
    assert event.after["counts"]["loans"]["created"] == 2


def test_reimport_changes_nothing_and_a_changed_row_is_updated_and_audited(write_portfolio):
    import_portfolio(write_portfolio())
    again = import_portfolio(write_portfolio())
    assert again.status == ImportRun.Status.SUCCEEDED
    for name, counts in again.counts.items():
        assert counts["created"] == 0 and counts["updated"] == 0, (name, counts)
    assert again.counts["schedules"]["unchanged"] == 6

    files = sample_portfolio()
    files["borrowers"][0]["phone"] = "13812349999"
    files["loans"][0]["installments"] = "2"  # the generated schedule follows the new terms
    changed = import_portfolio(write_portfolio(files))
    assert changed.counts["borrowers"] == {"created": 0, "updated": 1, "unchanged": 1}
    assert changed.counts["schedules"]["deleted"] == 1
    assert Borrower.objects.get(pk="B001").phone == "13812349999"
    assert ScheduleInstallment.objects.filter(loan_id="L001").count() == 2
    event = AuditEvent.objects.get(action="portfolio.import.updated", object_type="borrowers")
    assert event.object_id == "B001"
    assert event.before == {"phone": "13812345678"} and event.after == {"phone": "13812349999"}


@pytest.mark.parametrize(
    ("file", "row", "column", "value", "expected"),
    [
        (
            "borrowers",
            0,
            "id_number",
            "110105194912310021",
            ("borrowers.csv", 2, "id_number", "110105194912310021", "not a valid resident ID number"),
        ),
        (
            "borrowers",
            1,
            "phone",
            "12345",
            ("borrowers.csv", 3, "phone", "12345", "not a valid phone number"),
        ),
        ("borrowers", 1, "name", "", ("borrowers.csv", 3, "name", "", "required value is missing")),
        ("loans", 0, "principal", "12.345", ("loans.csv", 2, "principal", "12.345", "not an amount")),
        ("loans", 0, "principal", "-5", ("loans.csv", 2, "principal", "-5", "negative amount")),
        ("loans", 0, "annual_rate", "12", ("loans.csv", 2, "annual_rate", "12", "rate above 100%")),
        ("loans", 0, "annual_rate", "12%", ("loans.csv", 2, "annual_rate", "12%", "not a rate")),
        (
            "loans",
            1,
            "contract_date",
            "2026-13-01",
            ("loans.csv", 3, "contract_date", "2026-13-01", "not a date"),
        ),
        (
            "loans",
            1,
            "disbursement_date",
            "2026-01-09",
            ("loans.csv", 3, "disbursement_date", "2026-01-09", "disbursed before the contract date"),
        ),
        ("loans", 0, "lender_type", "bankk", ("loans.csv", 2, "lender_type", "bankk", "must be one of")),
        ("loans", 0, "borrower_id", "B999", ("loans.csv", 2, "borrower_id", "B999", "unknown borrower")),
        (
            "schedules",
            0,
            "principal_due",
            "999.99",
            ("schedules.csv", 2, "principal_due", "L002", "the schedule's principal adds up to 2999.99"),
        ),
        (
            "schedules",
            0,
            "due_date",
            "2026-01-10",
            ("schedules.csv", 2, "due_date", "2026-01-10", "due on or before the disbursement date"),
        ),
        ("payments", 0, "loan_id", "L404", ("payments.csv", 2, "loan_id", "L404", "unknown loan")),
        (
            "payments",
            0,
            "interest_paid",
            "100.00",
            ("payments.csv", 2, "amount", "4080.27", "split adds up to 4060.27"),
        ),
        ("payments", 1, "payment_id", "P1", ("payments.csv", 3, "payment_id", "P1", "duplicate of row 2")),
        (
            "payments",
            2,
            "reverses",
            "P9",
            ("payments.csv", 4, "reverses", "P9", "reverses an unknown payment"),
        ),
        ("contacts", 0, "relation", "friend", ("contacts.csv", 2, "relation", "friend", "must be one of")),
        (
            "collateral",
            0,
            "appraised_value",
            "abc",
            ("collateral.csv", 2, "appraised_value", "abc", "not an amount"),
        ),
    ],
)
def test_each_bad_input_is_reported_with_file_row_column_and_nothing_is_written(
    write_portfolio, file, row, column, value, expected
):
    files = sample_portfolio()
    files[file][row][column] = value
    run = import_portfolio(write_portfolio(files))
    assert run.status == ImportRun.Status.REJECTED
    found = errors_of(run)
    assert any(e[:4] == expected[:4] and expected[4] in e[4] for e in found), found
    assert nothing_written()
    with translation.override("zh-hans"):  # every problem reads in Chinese too
        assert all(localize(e[4]) != e[4] for e in found), [e[4] for e in found]


def test_optional_values_may_be_empty(write_portfolio):
    files = sample_portfolio()
    files["borrowers"][1]["phone"] = ""
    files["guarantees"][0]["guarantor_phone"] = ""
    files["contacts"][0]["phone"] = ""
    run = import_portfolio(write_portfolio(files))
    assert run.status == ImportRun.Status.SUCCEEDED, run.errors
    assert Borrower.objects.get(pk="B002").phone == ""


def test_loan_without_schedule_rows_needs_its_terms(write_portfolio):
    files = sample_portfolio()
    files["loans"][0]["first_due_date"] = ""
    run = import_portfolio(write_portfolio(files))
    assert errors_of(run)[0][:4] == (
        "loans.csv",
        2,
        "first_due_date",
        "",
    )
    assert "generate the schedule" in errors_of(run)[0][4]


def test_skip_invalid_writes_the_rest_and_drops_what_depends_on_bad_rows(write_portfolio):
    files = sample_portfolio()
    files["borrowers"][1]["id_number"] = "440304199001011234"  # bad checksum
    run = import_portfolio(write_portfolio(files), skip_invalid=True)
    assert run.status == ImportRun.Status.PARTIAL
    messages = {(e[0], e[2]): e[4] for e in errors_of(run)}
    assert "borrower whose row has errors" in messages[("loans.csv", "borrower_id")]
    assert "loan whose row has errors" in messages[("payments.csv", "loan_id")]
    assert list(Borrower.objects.values_list("pk", flat=True)) == ["B001"]
    assert list(Loan.objects.values_list("pk", flat=True)) == ["L001"]
    assert not ScheduleInstallment.objects.filter(loan_id="L002").exists()
    assert run.counts["loans"]["skipped"] == 1
    assert run.counts["payments"] == {"created": 1, "updated": 0, "unchanged": 0, "skipped": 2}


def test_gb18030_and_bom_files_are_detected(write_portfolio):
    gbk = write_portfolio(encoding="gb18030")
    assert "张伟".encode("gb18030") in (gbk / "borrowers.csv").read_bytes()
    assert import_portfolio(gbk).status == ImportRun.Status.SUCCEEDED
    assert Borrower.objects.get(pk="B001").name == "张伟"
    bom = write_portfolio(encoding="utf-8-sig")
    again = import_portfolio(bom)
    assert again.counts["borrowers"]["unchanged"] == 2


def test_header_names_are_case_insensitive_and_trimmed(write_portfolio):
    directory = write_portfolio()
    text = (directory / "loans.csv").read_text(encoding="utf-8").split("\n", 1)
    header = ", ".join(h.upper() for h in text[0].split(","))
    (directory / "loans.csv").write_text(header + "\n" + text[1], encoding="utf-8")
    assert import_portfolio(directory).status == ImportRun.Status.SUCCEEDED


def test_zip_and_xlsx_containers(write_portfolio, tmp_path: Path):
    directory = write_portfolio()
    archive = tmp_path / "portfolio.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in directory.iterdir():
            zf.write(path, arcname=f"export/{path.name}")
    assert import_portfolio(archive).status == ImportRun.Status.SUCCEEDED

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sample_portfolio().items():
        sheet = workbook.create_sheet(name)
        columns = list(dict.fromkeys(k for r in rows for k in r))
        sheet.append(columns)
        for r in rows:
            sheet.append([r.get(c, "") for c in columns])
    import datetime as dt

    workbook["payments"]["C2"] = dt.datetime(2026, 2, 5)  # an Excel date cell
    book = tmp_path / "portfolio.xlsx"
    workbook.save(book)
    run = import_portfolio(book)
    assert run.status == ImportRun.Status.SUCCEEDED, run.errors
    assert run.counts["loans"]["unchanged"] == 2


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: (d / "loans.csv").unlink(), "required file is missing"),
        (lambda d: (d / "loans.csv").write_bytes(b""), "the file is empty"),
        (
            lambda d: (d / "loans.csv").write_text(
                "loan_id,borrower_id,lender_type,product_type,principal,"
                "annual_rate,contract_date,disbursement_date\n"
            ),
            "the file has a header but no rows",
        ),
        (
            lambda d: (d / "loans.csv").write_text("loan_id,borrower_id\nL1,B001\n"),
            "required column is missing",
        ),
        (lambda d: (d / "borrowers.csv").write_bytes(bytes(range(256)) * 50), "borrowers.csv"),
    ],
)
def test_broken_files_are_rejected_cleanly(write_portfolio, setup, message):
    directory = write_portfolio()
    setup(directory)
    run = import_portfolio(directory)
    assert run.status == ImportRun.Status.REJECTED
    assert any(message in (e["message"] + e["file"]) for e in run.errors), run.errors
    assert nothing_written()


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.zip", "the file is empty"),
        (b"%PDF-1.4 not a portfolio", "scan.pdf", "not a portfolio"),
        (b"loan_id\nL1\n", "loans.csv", "a portfolio is several files"),
        (b"PK\x03\x04garbage", "broken.zip", "damaged zip"),
    ],
)
def test_not_a_portfolio(tmp_path: Path, content, name, message):
    path = tmp_path / name
    path.write_bytes(content)
    run = import_portfolio(path)
    assert run.status == ImportRun.Status.REJECTED
    assert message in run.errors[0]["message"]
    with translation.override("zh-hans"):
        assert localize(run.errors[0]["message"]) != run.errors[0]["message"]


def test_command_json_contract_and_exit_code(write_portfolio, capsys):
    files = sample_portfolio()
    files["loans"][1]["principal"] = "abc"
    with pytest.raises(SystemExit) as exit_info:
        call_command("import", str(write_portfolio(files)), "--json")
    assert exit_info.value.code == 1
    result = json.loads(capsys.readouterr().out)
    assert result["counts"] == {}
    assert {
        "file": "loans.csv",
        "row": 3,
        "column": "principal",
        "value": "abc",
        "message": "not an amount in yuan with at most 2 decimals",
    } in result["errors"]
    call_command("import", str(write_portfolio()), "--json")
    ok = json.loads(capsys.readouterr().out)
    assert ok["counts"]["loans"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert ok["errors"] == []


def test_export_round_trip(write_portfolio, tmp_path: Path):
    import_portfolio(write_portfolio())
    for target in ("out", "out.zip", "out.xlsx"):
        export_portfolio(tmp_path / target)
        run = import_portfolio(tmp_path / target)
        assert run.status == ImportRun.Status.SUCCEEDED, (target, run.errors)
        for name, counts in run.counts.items():
            assert counts["created"] == 0 and counts["updated"] == 0, (target, name, counts)
    exported = (tmp_path / "out" / "loans.csv").read_text(encoding="utf-8")
    assert "L001,B001,招商银行,bank,term_loan,CNY,12000.00,0.12,0.18" in exported
    # generated schedules are not exported: the loan's terms regenerate them
    assert "L001" not in (tmp_path / "out" / "schedules.csv").read_text(encoding="utf-8")


def test_import_result_shape(write_portfolio):
    result = import_result(import_portfolio(write_portfolio()))
    assert set(result) >= {"counts", "errors"}
    assert result["counts"]["borrowers"] == {"created": 2, "updated": 0, "unchanged": 0}


def test_bulk_load_path_rebuilds_indexes_and_constraints(write_portfolio, monkeypatch):
    """Large loads drop secondary indexes and foreign keys and rebuild them; small test data takes that path too."""
    from django.db import IntegrityError, connection, transaction

    from arrears.portfolio.interchange import store

    def indexes() -> set[str]:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT indexname FROM pg_indexes WHERE tablename = 'portfolio_scheduleinstallment' UNION "
                    "SELECT conname FROM pg_constraint WHERE conrelid = 'portfolio_scheduleinstallment'::regclass"
                )
            else:
                cursor.execute(
                    "SELECT name FROM sqlite_master WHERE tbl_name = 'portfolio_scheduleinstallment'"
                )
            return {r[0] for r in cursor.fetchall()}

    before = indexes()
    monkeypatch.setattr(store, "BULK_ROWS", 1)
    assert import_portfolio(write_portfolio()).status == ImportRun.Status.SUCCEEDED
    assert indexes() == before
    files = sample_portfolio()
    files["loans"][0]["principal"] = "12,000.01"  # an update through the upsert path, also bulk
    files["loans"][0]["installments"] = "2"
    run = import_portfolio(write_portfolio(files))
    assert run.counts["schedules"]["updated"] == 2 and run.counts["schedules"]["deleted"] == 1
    assert indexes() == before
    with pytest.raises(IntegrityError), transaction.atomic():  # the foreign key is back in force
        ScheduleInstallment.objects.create(
            loan_id="NOPE", installment_no=1, due_date="2026-01-01", principal_due=1, interest_due=0
        )
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            else:
                cursor.execute("PRAGMA foreign_key_check")
                if cursor.fetchall():
                    raise IntegrityError("foreign key violated")
