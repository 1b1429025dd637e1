"""Reading the close's inputs and writing its results.

Worker processes read through connectorx (a separate connection, columnar, no Python objects per row); the
in-process path reads through Django's own connection, which sees the current transaction (tests, the inline
one-loan recompute). Importing this module does not need Django to be set up, so spawned workers can use it.
Writes go through `portfolio.interchange.store.upsert_table` (COPY on PostgreSQL).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
from typing import Any

import polars as pl
from django.conf import settings
from django.db import connection

from arrears.batch.partition import INPUTS, STATUS_COLUMNS, Rules, conform
from arrears.batch.steps import buckets, classification
from arrears.batch.steps.risk import RiskRules
from arrears.portfolio.interchange import store
from arrears.risk.scorecard import CREDIT_FIELDS

RATE = "CAST(ROUND({} * 1000000) AS BIGINT)"

QUERIES = {
    "loans": (
        "SELECT loan_id, borrower_id, product_type, " + RATE.format("penalty_rate") + " AS penalty_rate, "
        "CASE WHEN day_count = 'ACT/365' THEN 365 ELSE 360 END AS day_basis, compound_interest, grace_days "
        "FROM portfolio_loan WHERE status = 'active' {where} ORDER BY loan_id"
    ),
    "installments": (
        "SELECT loan_id, installment_no, due_date, principal_due, interest_due, fee_due "
        "FROM portfolio_scheduleinstallment WHERE 1 = 1 {where} ORDER BY loan_id, installment_no"
    ),
    # payments, and the adjustments approved waivers post (negotiation.Adjustment): non-cash, split exactly
    "payments": (
        "SELECT payment_id, loan_id, paid_on, amount, principal_paid, interest_paid, penalty_paid, fee_paid, "
        "reverses_id AS reverses FROM portfolio_payment WHERE 1 = 1 {where} UNION ALL "
        "SELECT 'ADJ-' || CAST(id AS TEXT), loan_id, posted_on, principal + interest + penalty + fee, principal, "
        "interest, penalty, fee, CASE WHEN reverses_id IS NULL THEN NULL ELSE 'ADJ-' || CAST(reverses_id AS TEXT) "
        "END FROM negotiation_adjustment WHERE 1 = 1 {where} ORDER BY loan_id, paid_on, payment_id"
    ),
    "pauses": 'SELECT loan_id, start, "end" FROM delinquency_pause WHERE 1 = 1 {where}',
    "technical": "SELECT loan_id, episode_start FROM delinquency_technicaloverdue WHERE 1 = 1 {where}",
    "restructurings": "SELECT loan_id, restructured_on FROM delinquency_restructuring WHERE 1 = 1 {where}",
    "overrides": (
        "SELECT loan_id, classification, effective_from FROM delinquency_classificationoverride "
        "WHERE status = 'approved' {where}"
    ),
    "collateral": (
        "SELECT loan_id, kind, appraised_value, appraised_on, lien_rank, registered "
        "FROM portfolio_collateral WHERE 1 = 1 {where}"
    ),
    # a guarantor is overdue when a borrower with their ID number had a loan past due at the last close
    "guarantees": (
        "SELECT g.loan_id, g.guarantee_type, g.period_end, CASE WHEN g.guarantor_id_number <> '' AND EXISTS ("
        "SELECT 1 FROM portfolio_borrower b JOIN portfolio_loan l ON l.borrower_id = b.borrower_id "
        "JOIN delinquency_loanstatus s ON s.loan_id = l.loan_id "
        "WHERE b.id_number = g.guarantor_id_number AND s.dpd > 0) THEN 1 ELSE 0 END AS guarantor_overdue "
        "FROM portfolio_guarantee g WHERE 1 = 1 {where}"
    ),
    # {credit}: the credit report's fields picked out of `extra` (CREDIT_REPORT)
    "borrowers": (
        "SELECT b.borrower_id, b.phone, b.province, CAST(b.extra AS TEXT) AS extra, {credit}(SELECT COUNT(*) "
        "FROM portfolio_contact c WHERE c.borrower_id = b.borrower_id AND c.phone <> '') AS contact_phones "
        "FROM portfolio_borrower b "
        "WHERE b.borrower_id IN (SELECT borrower_id FROM portfolio_loan WHERE status = 'active' {where})"
    ),
}

# A credit report field of the borrower's `extra` JSON as text, by the database's JSON functions: what the risk
# step would otherwise parse out of a million JSON documents every night (risk/scorecard.py credit_report). The
# text is cast in Polars, where junk becomes null (`read_borrowers`), so a field reads as that parse reads it:
# a number, or a string holding one. PostgreSQL (jsonb, stored parsed): ->> gives a string's text, a number's
# digits, and for true, an object or a list text that is no number. SQLite (JSON text, valid: Django checks it):
# a string's text, a number's own digits (->; json_extract would give a double, which SQLite prints to 15 digits
# only), '' for anything else (json_extract would give 1 for true; and connectorx cannot type a column whose
# first row is null).
CREDIT_REPORT = {
    "sqlite": (
        "CASE json_type(b.extra, '$.{field}') WHEN 'text' THEN json_extract(b.extra, '$.{field}') "
        "WHEN 'integer' THEN b.extra -> '$.{field}' WHEN 'real' THEN b.extra -> '$.{field}' ELSE '' "
        "END AS {field}, "
    ),
    "postgresql": "b.extra ->> '{field}' AS {field}, ",
}


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def loan_filter(lower: str | None = None, upper: str | None = None, loan_ids: list[str] | None = None) -> str:
    """A WHERE fragment selecting loans by id range [lower, upper) or by a list (inlined: connectorx has no
    parameters, and ids are quoted)."""
    parts = []
    if lower is not None:
        parts.append(f"AND loan_id >= {_literal(lower)}")
    if upper is not None:
        parts.append(f"AND loan_id < {_literal(upper)}")
    if loan_ids is not None:
        parts.append(f"AND loan_id IN ({', '.join(map(_literal, loan_ids)) or 'NULL'})")
    return " ".join(parts)


def connection_url() -> str:
    """The database as connectorx wants it."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite://{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgresql://{auth}{db.get('HOST') or 'localhost'}{port}/{db['NAME']}"


def _to_schema(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    exprs = []
    for name, dtype in schema.items():
        column = pl.col(name)
        current = frame.schema[name]
        if dtype == pl.Date() and current == pl.String():
            column = column.str.slice(0, 10).str.to_date("%Y-%m-%d")
        elif dtype == pl.Boolean() and current != pl.Boolean():
            column = column.cast(pl.Int64) != 0
        elif dtype == pl.String() and current != pl.String():
            column = column.cast(pl.String)
        exprs.append(column.cast(dtype).alias(name))  # type: ignore[arg-type]
    return frame.select(exprs)


def read_inputs(where: str = "", *, url: str | None = None) -> dict[str, pl.DataFrame]:
    """All inputs of the close for the loans selected by `where` (see `loan_filter`): through connectorx from
    `url`, or through Django's connection (which sees the current transaction) when no url is given."""
    return conform(
        {
            name: read_borrowers(where, url)
            if name == "borrowers"
            else read_frame(sql.format(where=where), INPUTS[name], url)
            for name, sql in QUERIES.items()
        }
    )


def read_borrowers(where: str = "", url: str | None = None) -> pl.DataFrame:
    """The borrowers of the loans selected by `where`, with their credit report's fields (CREDIT_FIELDS) as float
    columns selected out of `extra` by the database (CREDIT_REPORT): null where absent, not a number or a string,
    or a string that is no number, as `scorecard.credit_report` reads them."""
    vendor = ("sqlite" if url.startswith("sqlite") else "postgresql") if url else connection.vendor
    credit = "".join(CREDIT_REPORT[vendor].format(field=field) for field in CREDIT_FIELDS)
    text = dict.fromkeys(CREDIT_FIELDS, pl.String())
    frame = read_frame(
        QUERIES["borrowers"].format(where=where, credit=credit),
        INPUTS["borrowers"] | {"province": pl.String()} | text,
        url,
    )
    return frame.with_columns(pl.col(field).cast(pl.Float64, strict=False) for field in CREDIT_FIELDS)


def read_cash_payments(since: dt.date, until: dt.date) -> pl.DataFrame:
    """Money received (loan_id, paid_on, amount in fen) from `since`: payments that are not reversals and were
    not reversed by the end of `until` (waivers are adjustments, never payments). What recoveries and promises
    count."""
    return read_frame(
        "SELECT p.loan_id, p.paid_on, p.amount FROM portfolio_payment p WHERE p.reverses_id IS NULL "
        f"AND p.paid_on >= '{since.isoformat()}' AND NOT EXISTS (SELECT 1 FROM portfolio_payment r "
        f"WHERE r.reverses_id = p.payment_id AND r.paid_on <= '{until.isoformat()}')",
        {"loan_id": pl.String(), "paid_on": pl.Date(), "amount": pl.Int64()},
    )


def read_frame(query: str, schema: dict[str, pl.DataType], url: str | None = None) -> pl.DataFrame:
    """Rows of `query` as a frame of `schema`."""
    if url is None:
        with connection.cursor() as cursor:
            cursor.execute(query.replace("%", "%%"))
            names = [column[0] for column in cursor.description]
            rows = [[_plain(value) for value in row] for row in cursor.fetchall()]
        frame = pl.DataFrame(rows, schema=dict.fromkeys(names, pl.String), orient="row")
    else:
        import connectorx

        frame = connectorx.read_sql(url, query, return_type="polars")
    return _to_schema(frame, schema)


def _plain(value: Any) -> str | None:
    """A value from a DB-API cursor as text Polars can cast (dates ISO, booleans 1/0)."""
    if value is None:
        return None
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def loan_id_bounds(at_least: int, per_part: int) -> list[tuple[str | None, str | None]]:
    """Split active loans into id ranges of about equal size, in the database's own order: at least `at_least`
    ranges, and enough that none holds more than `per_part` loans."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT loan_id FROM portfolio_loan WHERE status = 'active' ORDER BY loan_id")
        ids = [row[0] for row in cursor.fetchall()]
    parts = max(at_least, -(-len(ids) // per_part))
    if not ids or parts <= 1:
        return [(None, None)]
    step = -(-len(ids) // parts)
    cuts = [ids[i] for i in range(step, len(ids), step)]
    edges: list[str | None] = [None, *cuts, None]
    return list(itertools.pairwise(edges))


def load_rules(dates: list[dt.date]) -> dict[dt.date, Rules]:
    """The rule values in force on each of `dates`: bucket sets and the classification thresholds (each scale's
    latest version effective on the date). Reads every table once, however many dates."""
    from arrears.delinquency.models import Bucket, BucketSet
    from arrears.rules.selectors import classification_rules

    sets = list(BucketSet.objects.all())
    default = next((s.pk for s in sets if s.is_default), sets[0].pk if sets else 0)
    ranges = buckets.ranges_frame(
        [(b.bucket_set_id, b.code, b.min_days, b.max_days) for b in Bucket.objects.all()]
    )
    products = {product: s.pk for s in sets for product in s.product_types}
    scoring = risk_rules(dates)
    fields = [f.name for f in dataclasses.fields(classification.Thresholds)]

    def thresholds(rule: Any) -> classification.Thresholds:
        return classification.Thresholds(**{name: getattr(rule, name) for name in fields})

    return {
        day: Rules(
            ranges,
            default,
            products,
            thresholds(scales["general"]),
            thresholds(scales["credit_card"]),
            scoring=scoring.get(day),
        )
        for day, scales in classification_rules(dates).items()
    }


def risk_rules(dates: list[dt.date]) -> dict[dt.date, RiskRules]:
    """The scorecard in force on each date and the approved model, for the risk step."""
    from arrears.risk.selectors import approved_model, scorecards_in_force

    model = approved_model()
    return {
        day: RiskRules(card, model.artifact if model else None, model.pk if model else None)
        for day, card in scorecards_in_force(dates).items()
    }


STATUS_TABLE = "delinquency_loanstatus"
CHANGES_TABLE = "delinquency_statuschange"


def write_results(
    status: pl.DataFrame | None,
    changes: pl.DataFrame,
    first: dt.date,
    last: dt.date,
    *,
    loan_ids: list[str] | None = None,
) -> None:
    """Replace the changes dated first..last and, when `status` is given, the loan status rows, for all loans or
    for `loan_ids` only. The caller holds the transaction: readers see the old results until it commits."""
    scope = "" if loan_ids is None else loan_filter(loan_ids=loan_ids)
    with connection.cursor() as cursor:
        in_dates = (
            f'"on" >= %s AND "on" <= %s {scope.replace("%", "%%")}'  # ids may hold %, beside parameters
        )
        cursor.execute(f"DELETE FROM {CHANGES_TABLE} WHERE {in_dates}", [first, last])
        if status is not None and loan_ids is None and store.is_postgres():
            # Every row is replaced: TRUNCATE halves the load (no dead rows to skip while rebuilding indexes).
            # It locks the table until commit, so readers wait those seconds and never see it half-written.
            cursor.execute(f"TRUNCATE {STATUS_TABLE}")
        elif status is not None:
            cursor.execute(f"DELETE FROM {STATUS_TABLE} WHERE 1 = 1 {scope}")
    rows = changes.select("loan_id", "field", "on", "old", "new")
    with store.bulk_load(CHANGES_TABLE, rows.height, keep_unique=True):
        store.upsert_table(CHANGES_TABLE, rows, ["loan_id", "field", "on"], insert_only=True)
    if status is not None:
        rows = status.select(STATUS_COLUMNS).with_columns(
            pl.col("bucket").fill_null(""),
            pl.col("risk_level").fill_null(""),
            pl.col("risk_reasons").fill_null("[]"),
        )
        with store.bulk_load(STATUS_TABLE, rows.height, keep_unique=True):
            store.upsert_table(STATUS_TABLE, rows, ["loan_id"], insert_only=True)
