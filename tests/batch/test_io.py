"""The close's reader: the borrowers' credit report fields selected out of `extra` by the database (SQLite here,
PostgreSQL with DATABASE_URL), through Django's connection and through connectorx, read as the risk step's own
parse of `extra` reads them."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from arrears.batch import io as batch_io
from arrears.batch import partition, runner
from arrears.delinquency.models import LoanStatus
from arrears.risk import scorecard
from tests.batch.frames import inputs
from tests.factories import BorrowerFactory, LoanFactory, loan_with_details
from tests.risk.test_scorecard import CREDIT_DOCUMENTS

AS_OF = dt.date(2026, 4, 15)

EXTRAS = [
    *(json.loads(doc) if doc else {} for doc, _ in CREDIT_DOCUMENTS),
    {"credit_score": 655.25, "broken_promises": 0, "other_overdue_accounts": -1},
    {"credit_score": " 640", "broken_promises": "", "other_overdue_accounts": "1e2"},
    {"credit_score": {"value": 700}, "broken_promises": False, "other_overdue_accounts": 12345678901},
    {"credit_score": "N/A", "bureau": "PBOC", "report_date": "2026-10-15"},
    ["credit_score", 600],  # not an object
    "credit_score",
]


def borrowers_with_loans() -> None:
    for i, extra in enumerate(EXTRAS):
        LoanFactory(loan_id=f"L{i:03d}", borrower=BorrowerFactory(borrower_id=f"B{i:03d}", extra=extra))


def check(frame: pl.DataFrame) -> None:
    frame = frame.sort("borrower_id")
    assert frame.height == len(EXTRAS)
    assert frame.select(scorecard.CREDIT_FIELDS).schema == dict.fromkeys(scorecard.CREDIT_FIELDS, pl.Float64)
    assert frame.select(scorecard.CREDIT_FIELDS).equals(scorecard.credit_report(frame["extra"]))
    assert frame["credit_score"].to_list()[:2] == [610.0, 612.5]


@pytest.mark.django_db
def test_the_reader_selects_the_credit_report_as_parsing_extra_gives_it() -> None:
    borrowers_with_loans()
    check(batch_io.read_borrowers())
    check(batch_io.read_inputs()["borrowers"])  # kept through conform, as floats
    one = batch_io.read_borrowers(batch_io.loan_filter(loan_ids=["L000"]))
    assert one.select(scorecard.CREDIT_FIELDS).rows() == [(1.0, 610.0, 2.0)]


@pytest.mark.django_db(transaction=True)
def test_connectorx_reads_the_same_credit_report() -> None:
    borrowers_with_loans()
    through_django = batch_io.read_borrowers().sort("borrower_id")
    through_connectorx = batch_io.read_borrowers(url=batch_io.connection_url()).sort("borrower_id")
    check(through_connectorx)
    assert through_connectorx.equals(through_django)


def test_inputs_without_the_credit_columns_still_conform() -> None:
    """Inputs from elsewhere (the benches' Parquet, tests' frames) may have `extra` only: the risk step parses it."""
    frames = inputs(
        [], [], borrowers=[{"borrower_id": "B1", "phone": "", "extra": "{}", "contact_phones": 0}]
    )
    assert partition.conform(frames)["borrowers"].columns == list(partition.INPUTS["borrowers"])
    with_columns = frames | {
        "borrowers": frames["borrowers"].with_columns(
            pl.lit(1, dtype=pl.Int64).alias(f) for f in scorecard.CREDIT_FIELDS
        )
    }
    conformed = partition.conform(with_columns)["borrowers"]
    assert conformed.schema == partition.INPUTS["borrowers"] | {
        f: pl.Float64() for f in scorecard.CREDIT_FIELDS
    }


@pytest.mark.django_db
def test_the_close_scores_alike_from_the_selected_columns_and_from_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Whole closes: the reader's columns, then `extra` alone (the risk step parses it), give the same scores; and
    the credit report does count (a close without it scores otherwise)."""
    for i, extra in enumerate(EXTRAS):
        loan_with_details(loan_id=f"L{i:03d}", borrower=BorrowerFactory(borrower_id=f"B{i:03d}", extra=extra))

    def close() -> list[tuple]:
        runner.close([AS_OF])
        return sorted(LoanStatus.objects.values_list("loan_id", "risk_score", "risk_level", "risk_reasons"))

    selected = close()
    read = batch_io.read_borrowers
    monkeypatch.setattr(
        batch_io, "read_borrowers", lambda *a, **k: read(*a, **k).drop(scorecard.CREDIT_FIELDS)
    )
    assert close() == selected
    monkeypatch.setattr(
        batch_io, "read_borrowers", lambda *a, **k: read(*a, **k).with_columns(extra=pl.lit("{}"))
    )
    assert close() == selected  # the columns are what counts when they are there
    monkeypatch.setattr(
        batch_io,
        "read_borrowers",
        lambda *a, **k: read(*a, **k).drop(scorecard.CREDIT_FIELDS).with_columns(extra=pl.lit("{}")),
    )
    assert close() != selected
