"""Validation of a whole portfolio before anything is written: string frames in, typed frames and problems out.

Pure and set-based: every check is a Polars expression over a whole file, never a loop over rows. Each problem
names the file, the row (the line a person sees; the header is row 1), the column, the value and the reason.
With `skip_invalid`, invalid rows are dropped and whatever refers to them is dropped too, with its own reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from arrears.portfolio.interchange.checks import normalise_phone, phones_valid, resident_ids_valid, uscc_valid
from arrears.portfolio.interchange.read import ROW, SourceFile
from arrears.portfolio.interchange.spec import FILES, FILES_BY_NAME, Column, FileSpec, Kind
from arrears.portfolio.interchange.text import yuan_text
from arrears.portfolio.schedules import RATE_SCALE, amortize

OK = "_ok"
EXTRA = "extra"
MAX_REPORTED_ERRORS = 10_000
MAX_RATE = RATE_SCALE  # 100% a year: anything above is almost surely a percentage typed as a number
PENALTY_FACTOR = (3, 2)  # default penalty rate 1.5 × contract rate (portfolio-format.md, loans.csv)
GUARANTEE_PERIOD_MONTHS = 6  # Civil Code art. 692: no agreed period -> 6 months after the main debt falls due
ERROR_SCHEMA = {
    "file": pl.String,
    "row": pl.Int64,
    "column": pl.String,
    "value": pl.String,
    "message": pl.String,
}
TRUE_WORDS = ("1", "true", "yes", "y", "是", "t")
FALSE_WORDS = ("0", "false", "no", "n", "否", "f")


@dataclass
class Report:
    """Problems found so far. Keeps the first MAX_REPORTED_ERRORS rows and counts all of them."""

    frames: list[pl.DataFrame] = field(default_factory=list)
    count: int = 0
    kept: int = 0

    def add_frame(self, errors: pl.DataFrame) -> None:
        if errors.height == 0:
            return
        self.count += errors.height
        room = MAX_REPORTED_ERRORS - self.kept
        if room > 0:
            kept = errors.head(room).cast(ERROR_SCHEMA)  # type: ignore[arg-type]
            self.frames.append(kept)
            self.kept += kept.height

    def add(
        self, file: str, message: str, *, row: int | None = None, column: str = "", value: str = ""
    ) -> None:
        self.add_frame(
            pl.DataFrame(
                {"file": [file], "row": [row], "column": [column], "value": [value], "message": [message]},
                schema=ERROR_SCHEMA,
            )
        )

    def rows(self) -> list[dict[str, Any]]:
        """The problems in reading order: by file (in the format's order), then row."""
        if not self.frames:
            return []
        rank = pl.lit(len(FILES))
        for index, spec in reversed(list(enumerate(FILES))):
            named = pl.col("file").str.contains(rf"(^|\[){spec.name}(\.csv$|\])")
            rank = pl.when(named).then(index).otherwise(rank)
        return (
            pl.concat(self.frames).sort(rank, pl.col("row"), nulls_last=False, maintain_order=True).to_dicts()
        )


@dataclass
class ValidFile:
    spec: FileSpec
    display: str
    frame: pl.DataFrame  # typed, with ROW and OK columns
    extra_columns: list[str]


# --- parsing one column ------------------------------------------------------------------------------------
# Parsing runs in stages (clean -> normalise -> shape -> value/error), each a `with_columns` over every column,
# so that Polars computes every intermediate once instead of once per expression that refers to it.


def _clean(name: str) -> pl.Expr:
    return pl.col(name).str.strip_chars().replace("", None).alias(f"__c_{name}")


def _normalised(column: Column) -> pl.Expr:
    c = pl.col(f"__c_{column.name}")
    match column.kind:
        case Kind.MONEY:
            n = c.str.replace_all(",", "", literal=True)
        case Kind.DATE:
            n = c.str.replace_all("/", "-", literal=True)
        case Kind.CHOICE | Kind.BOOL:
            n = c.str.to_lowercase()
        case _:
            n = c
    return n.alias(f"__n_{column.name}")


SHAPES = {
    Kind.MONEY: r"^-?\d{1,15}(\.\d{1,2})?$",
    Kind.RATE: r"^\d{1,3}(\.\d{1,6})?$",
    Kind.INT: r"^\d{1,9}$",
}


def _shape(column: Column) -> pl.Expr:
    n = pl.col(f"__n_{column.name}")
    shape: pl.Expr
    if column.kind in SHAPES:
        shape = n.str.contains(SHAPES[column.kind])
    elif column.kind == Kind.DATE:
        shape = pl.coalesce(n.str.to_date("%Y-%m-%d", strict=False), n.str.to_date("%Y%m%d", strict=False))
    elif column.kind == Kind.CHOICE:
        canonical = {c.lower(): c for c in column.choices}
        shape = n.replace_strict(canonical, default=None, return_dtype=pl.String)
    elif column.kind == Kind.BOOL:
        shape = pl.when(n.is_in(TRUE_WORDS)).then(True).when(n.is_in(FALSE_WORDS)).then(False)
    else:
        shape = n.str.len_chars()
    return shape.alias(f"__s_{column.name}")


def _fixed_point(n: pl.Expr, scale_digits: int) -> pl.Expr:
    """'12.5' -> 1250 for 2 digits, '-5' -> -500: exact, through Decimal's scaled integer (the shape check ran
    first, so no digits are lost)."""
    return n.cast(pl.Decimal(18, scale_digits), strict=False).to_physical().cast(pl.Int64, strict=False)


def _value_and_error(column: Column, max_length: int | None) -> tuple[pl.Expr, pl.Expr]:
    n, shape = pl.col(f"__n_{column.name}"), pl.col(f"__s_{column.name}")
    value: pl.Expr
    error: pl.Expr
    match column.kind:
        case Kind.MONEY:
            fen = _fixed_point(n, 2)
            negative = fen < 0  # "-0.00" is zero, not negative
            value = pl.when(shape & ~negative).then(fen)
            error = (
                pl.when(~shape)
                .then(pl.lit("not an amount in yuan with at most 2 decimals"))
                .when(negative)
                .then(pl.lit("negative amount"))
            )
        case Kind.RATE:
            millionths = _fixed_point(n, 6)
            too_high = millionths > MAX_RATE
            value = pl.when(shape & ~too_high).then(millionths)
            error = (
                pl.when(~shape)
                .then(pl.lit("not a rate: give an annual fraction such as 0.12 (= 12% a year)"))
                .when(too_high)
                .then(pl.lit("rate above 100% a year; rates are annual fractions (0.12 = 12%)"))
            )
        case Kind.DATE:
            ok = shape.dt.year().is_between(1900, 2200)
            value = pl.when(ok).then(shape)
            error = pl.when(~ok.fill_null(False)).then(pl.lit("not a date (use YYYY-MM-DD)"))
        case Kind.INT:
            value = pl.when(shape).then(n.cast(pl.Int64, strict=False))
            error = pl.when(~shape).then(pl.lit("not a whole number"))
        case Kind.BOOL:
            value = shape
            error = pl.when(shape.is_null()).then(pl.lit("not 0 or 1"))
        case Kind.CHOICE:
            value = shape
            error = pl.when(shape.is_null()).then(pl.lit("must be one of: " + ", ".join(column.choices)))
        case _:
            value = n
            error = (
                pl.when(shape > max_length).then(pl.lit(f"longer than {max_length} characters"))
                if max_length
                else pl.lit(None, dtype=pl.String)
            )
    return value, error


def _final(column: Column, max_length: int | None) -> list[pl.Expr]:
    """The typed value, the error message (null if fine) and, where there is an error, the raw value."""
    value, error = _value_and_error(column, max_length)
    present = pl.col(f"__c_{column.name}").is_not_null()
    missing = pl.lit("required value is missing") if column.required else pl.lit(None, dtype=pl.String)
    error = pl.when(present).then(error).otherwise(missing)
    if column.default is not None:
        value = pl.when(present).then(value).otherwise(pl.lit(column.default))
    return [
        value.alias(column.name),
        error.alias(f"__e_{column.name}"),
        pl.when(error.is_not_null()).then(pl.col(column.name)).alias(f"__r_{column.name}"),
    ]


def parse_columns(lazy: pl.LazyFrame, columns: Iterable[Column], max_lengths: dict[str, int]) -> pl.LazyFrame:
    """Typed columns plus `__e_<name>` (error) and `__r_<name>` (raw value where in error) for each column."""
    columns = list(columns)
    return (
        lazy.with_columns(_clean(c.name) for c in columns)
        .with_columns(_normalised(c) for c in columns)
        .with_columns(_shape(c) for c in columns)
        .with_columns(e for c in columns for e in _final(c, max_lengths.get(c.name)))
        .drop(pl.selectors.starts_with("__c_", "__n_", "__s_"))
    )


def _errors_of(frame: pl.DataFrame, display: str, columns: Iterable[str]) -> pl.DataFrame:
    parts = [
        frame.filter(pl.col(f"__e_{name}").is_not_null()).select(
            pl.lit(display).alias("file"),
            pl.col(ROW).cast(pl.Int64).alias("row"),
            pl.lit(name).alias("column"),
            pl.col(f"__r_{name}").fill_null("").alias("value"),
            pl.col(f"__e_{name}").alias("message"),
        )
        for name in columns
    ]
    return pl.concat(parts).sort("row") if parts else pl.DataFrame(schema=ERROR_SCHEMA)


def parse_file(
    spec: FileSpec, source: SourceFile, report: Report, max_lengths: dict[str, int]
) -> ValidFile | None:
    """Parse every column of one file; None when the file as a whole cannot be used."""
    if source.frame is None:
        report.add(source.display, "the file is empty")
        return None
    missing = [c.name for c in spec.columns if c.required and c.name not in source.columns]
    if missing:
        for name in missing:
            report.add(source.display, "required column is missing", row=1, column=name)
        return None
    duplicated = sorted({c for c in source.columns if source.columns.count(c) > 1})
    if duplicated:
        report.add(source.display, "column appears more than once", row=1, column=", ".join(duplicated))
        return None
    extra_columns = sorted(c for c in source.columns if c not in spec.column_names and c and c != ROW)
    lazy = source.frame.with_columns(
        [pl.lit(None, dtype=pl.String).alias(c.name) for c in spec.columns if c.name not in source.columns]
    )
    if extra_columns:  # files without extra columns carry none (a column of "{}" costs 16 bytes a row)
        extra = pl.struct([pl.col(c).str.strip_chars() for c in extra_columns]).struct.json_encode()
        lazy = lazy.with_columns(extra.alias(EXTRA))
    parsed = parse_columns(lazy, spec.columns, max_lengths)
    ok = pl.all_horizontal([pl.col(f"__e_{c}").is_null() for c in spec.column_names])
    try:
        # Typed values and one flag per row. The error and raw-value columns are mostly null but would still
        # cost 16 bytes a row each (several GB for 20 million rows), so they are only collected, in a second
        # pass, for the rows that have a problem.
        keep = [ROW, *spec.column_names, *([EXTRA] if extra_columns else [])]
        frame = parsed.select(*keep, ok.alias(OK)).collect(engine="streaming")
        if frame.height and not frame[OK].all():
            problems = parsed.filter(~ok).select(ROW, pl.selectors.starts_with("__e_", "__r_"))
            report.add_frame(
                _errors_of(problems.collect(engine="streaming"), source.display, spec.column_names)
            )
    except pl.exceptions.PolarsError as exc:
        report.add(source.display, f"cannot be read as CSV: {str(exc).splitlines()[0]}")
        return None
    if frame.height == 0 and spec.required:
        report.add(source.display, "the file has a header but no rows")
        return None
    return ValidFile(spec, source.display, frame, extra_columns)


# --- checks within and across files -----------------------------------------------------------------------


def flag(
    vf: ValidFile,
    report: Report,
    bad: pl.Expr,
    column: str,
    message: str | pl.Expr,
    value: pl.Expr,
    *,
    only_valid: bool = False,
    rows: pl.DataFrame | None = None,
) -> None:
    """Report rows where `bad` holds and mark them invalid. `only_valid` reports only rows without an error yet:
    for consequences of another error (a reference to a bad row), which would otherwise repeat it.
    `rows`: evaluate `bad` on these rows (a few of the file's, joined with what the check needs) instead of the
    whole file, so that a check on a few rows of a 20-million-row file does not copy the file in a join."""
    bad = bad.fill_null(False)
    if only_valid:
        bad = bad & pl.col(OK)
    hits = (vf.frame if rows is None else rows).filter(bad)
    if hits.height == 0:
        return
    msg = pl.lit(message) if isinstance(message, str) else message
    report.add_frame(
        hits.select(
            pl.lit(vf.display).alias("file"),
            pl.col(ROW).cast(pl.Int64).alias("row"),
            pl.lit(column).alias("column"),
            value.cast(pl.String).fill_null("").alias("value"),
            msg.alias("message"),
        )
    )
    hit = bad if rows is None else pl.col(ROW).is_in(hits[ROW].implode())
    vf.frame = vf.frame.with_columns((pl.col(OK) & ~hit).alias(OK))


def _check_duplicates(vf: ValidFile, report: Report) -> None:
    """Every row after the first with the same key is a duplicate (of the first one's row)."""
    key = list(vf.spec.key)
    # A 64-bit hash per row finds the candidates cheaply (a struct of 20 million keys costs gigabytes);
    # the exact comparison then runs on the candidates only, so a hash collision cannot report a false duplicate.
    candidates = vf.frame.filter(pl.struct(key).hash().is_duplicated())
    duplicated = candidates.filter(pl.struct(key).is_duplicated())
    if duplicated.height == 0:
        return
    first_rows = duplicated.group_by(key).agg(pl.col(ROW).min().alias("_first"))
    flag(
        vf,
        report,
        (pl.col(ROW) != pl.col("_first")) & pl.all_horizontal([pl.col(k).is_not_null() for k in key]),
        key[0] if len(key) == 1 else "+".join(key),
        pl.format("duplicate of row {}", pl.col("_first")),
        pl.concat_str([pl.col(k).cast(pl.String) for k in key], separator="/"),
        rows=duplicated.join(first_rows, on=key, nulls_equal=True),
    )


def _check_borrowers(vf: ValidFile, report: Report) -> None:
    frame = vf.frame
    is_ric = frame["id_type"] == "resident_id"
    ric_ok = resident_ids_valid(frame["id_number"].fill_null(""))
    is_uscc = frame["id_type"] == "uscc"
    uscc_ok = uscc_valid(frame.select(pl.when(is_uscc).then(pl.col("id_number"))).to_series())
    vf.frame = frame.with_columns(
        (is_ric & ~ric_ok).alias("_bad_ric"),
        (is_uscc & ~uscc_ok).alias("_bad_uscc"),
    )
    flag(
        vf,
        report,
        pl.col("_bad_ric"),
        "id_number",
        "not a valid resident ID number (checksum, birth date or region)",
        pl.col("id_number"),
    )
    flag(
        vf,
        report,
        pl.col("_bad_uscc"),
        "id_number",
        "not a valid unified social credit code",
        pl.col("id_number"),
    )
    flag(
        vf,
        report,
        ~pl.col("email").str.contains(r"^[^@\s]+@[^@\s]+\.[^@\s]+$") & (pl.col("email") != ""),
        "email",
        "not an email address",
        pl.col("email"),
    )
    vf.frame = vf.frame.drop("_bad_ric", "_bad_uscc")
    _check_phone_column(vf, report, "phone")


def _check_phone_column(vf: ValidFile, report: Report, column: str) -> None:
    """An optional phone: empty is fine, anything else must be a valid CN number; stored normalised."""
    vf.frame = vf.frame.with_columns(phones_valid(vf.frame[column].replace("", None)).alias("_phone_ok"))
    flag(vf, report, ~pl.col("_phone_ok"), column, "not a valid phone number", pl.col(column))
    vf.frame = vf.frame.drop("_phone_ok").with_columns(
        normalise_phone(pl.col(column)).fill_null("").alias(column)
    )


def _check_loans(vf: ValidFile, report: Report) -> None:
    num, den = PENALTY_FACTOR
    vf.frame = vf.frame.with_columns(
        pl.coalesce(pl.col("penalty_rate"), pl.col("annual_rate") * num // den).alias("penalty_rate")
    )
    flag(
        vf,
        report,
        pl.col("disbursement_date") < pl.col("contract_date"),
        "disbursement_date",
        "disbursed before the contract date",
        pl.col("disbursement_date"),
    )
    flag(
        vf,
        report,
        pl.col("first_due_date") <= pl.col("disbursement_date"),
        "first_due_date",
        "first due date is not after disbursement",
        pl.col("first_due_date"),
    )
    flag(
        vf,
        report,
        pl.col("maturity_date") < pl.col("disbursement_date"),
        "maturity_date",
        "matures before disbursement",
        pl.col("maturity_date"),
    )
    flag(
        vf,
        report,
        pl.col("principal") == 0,
        "principal",
        "principal must be more than zero",
        yuan_text(pl.col("principal")),
    )
    flag(
        vf,
        report,
        pl.col("installments") == 0,
        "installments",
        "installments must be at least 1",
        pl.col("installments"),
    )
    flag(
        vf,
        report,
        pl.col("installments") > 600,
        "installments",
        "more than 600 monthly installments",
        pl.col("installments"),
    )


def _check_payments(vf: ValidFile, report: Report) -> None:
    split = ["principal_paid", "interest_paid", "penalty_paid", "fee_paid"]
    has_split = pl.any_horizontal([pl.col(c).is_not_null() for c in split])
    split_sum = pl.sum_horizontal([pl.col(c).fill_null(0) for c in split])
    flag(
        vf,
        report,
        has_split & (split_sum != pl.col("amount")),
        "amount",
        pl.format("split adds up to {}, not the amount", yuan_text(split_sum)),
        yuan_text(pl.col("amount")),
    )
    flag(vf, report, pl.col("amount") == 0, "amount", "payment of zero", yuan_text(pl.col("amount")))


ROW_CHECKS = {
    "borrowers": _check_borrowers,
    "loans": _check_loans,
    "payments": _check_payments,
    "guarantees": lambda vf, report: _check_phone_column(vf, report, "guarantor_phone"),
    "contacts": lambda vf, report: _check_phone_column(vf, report, "phone"),
}


def _keys(vf: ValidFile | None, column: str, *, valid: bool) -> pl.Series:
    if vf is None:
        return pl.Series(column, [], dtype=pl.String)
    return vf.frame.filter(pl.col(OK) == valid)[column].unique()


def _check_references(files: dict[str, ValidFile], report: Report, existing: dict[str, pl.Series]) -> None:
    """Children must refer to a parent that is valid in this import or already in the database."""
    for spec in FILES:
        vf = files.get(spec.name)
        if vf is None or spec.parent is None:
            continue
        column, parent_name = spec.parent
        parent = files.get(parent_name)
        parent_key = FILES_BY_NAME[parent_name].key[0]
        good = pl.concat([_keys(parent, parent_key, valid=True), existing[parent_name]]).unique()
        unresolved = vf.frame.filter(pl.col(OK) & ~pl.col(column).is_in(good.implode()))
        if unresolved.height == 0:
            continue
        bad_parents = _keys(parent, parent_key, valid=False).implode()
        singular = parent_name.removesuffix("s")
        flag(
            vf,
            report,
            pl.col(column).is_in(bad_parents),
            column,
            f"refers to a {singular} whose row has errors ({parent.display if parent else parent_name + '.csv'})",
            pl.col(column),
            rows=unresolved,
        )
        flag(
            vf,
            report,
            ~pl.col(column).is_in(bad_parents),
            column,
            f"unknown {singular}",
            pl.col(column),
            rows=unresolved,
        )


PaymentLookup = Callable[[list[str]], pl.DataFrame]


def _check_reversals(payments: ValidFile, report: Report, lookup_payments: PaymentLookup) -> None:
    wanted = payments.frame["reverses"].drop_nulls().unique()
    if wanted.len() == 0:
        return
    in_file = payments.frame.filter(pl.col(OK) & pl.col("payment_id").is_in(wanted.implode())).select(
        "payment_id", "loan_id", "amount"
    )
    elsewhere = wanted.filter(~wanted.is_in(in_file["payment_id"].implode())).to_list()
    known = pl.concat([in_file, lookup_payments(elsewhere)], how="vertical_relaxed").unique(
        subset="payment_id", keep="first"
    )
    reversals = payments.frame.filter(pl.col("reverses").is_not_null()).join(
        known.rename({"payment_id": "reverses", "loan_id": "_orig_loan", "amount": "_orig_amount"}),
        on="reverses",
        how="left",
    )
    checks = (
        (pl.col("_orig_loan").is_null(), "reverses", "reverses an unknown payment", pl.col("reverses")),
        (
            pl.col("_orig_loan") != pl.col("loan_id"),
            "reverses",
            "reverses a payment of another loan",
            pl.col("reverses"),
        ),
        (
            pl.col("_orig_amount") != pl.col("amount"),
            "amount",
            "a reversal must have the amount of the payment it reverses",
            yuan_text(pl.col("amount")),
        ),
        (
            pl.col("reverses") == pl.col("payment_id"),
            "reverses",
            "a payment cannot reverse itself",
            pl.col("reverses"),
        ),
    )
    for bad, column, message, value in checks:
        flag(payments, report, bad, column, message, value, rows=reversals)


def _check_schedules(
    loans: ValidFile, schedules: ValidFile | None, report: Report, loans_with_db_schedule: pl.Series
) -> pl.DataFrame:
    """Schedule rows must add up to the principal and fall due after disbursement; loans with none get one
    generated from their terms. Returns the generated rows."""
    terms = loans.frame.filter(OK).select("loan_id", "principal", "disbursement_date")
    if schedules is not None:
        early = (
            schedules.frame.group_by("loan_id")
            .agg(pl.col("due_date").min().alias("_first_due"))
            .join(terms, on="loan_id")
            .filter(pl.col("_first_due") <= pl.col("disbursement_date"))
        )
        flag(
            schedules,
            report,
            pl.col("due_date") <= pl.col("disbursement_date"),
            "due_date",
            "due on or before the disbursement date",
            pl.col("due_date"),
            rows=schedules.frame.join(early.select("loan_id", "disbursement_date"), on="loan_id"),
        )
        sums = (
            schedules.frame.group_by("loan_id")
            .agg(pl.col("principal_due").sum().alias("_sum"), pl.col(OK).all().alias("_all_ok"))
            .join(terms, on="loan_id")
            .filter(pl.col("_all_ok") & (pl.col("_sum") != pl.col("principal")))
        )
        flag(
            schedules,
            report,
            pl.lit(True),
            "principal_due",
            pl.format(
                "the schedule's principal adds up to {}, the loan's principal is {}",
                yuan_text(pl.col("_sum")),
                yuan_text(pl.col("principal")),
            ),
            pl.col("loan_id"),
            rows=schedules.frame.join(sums.select("loan_id", "_sum", "principal"), on="loan_id"),
        )
        # one bad installment makes the whole schedule unusable
        bad_loans = schedules.frame.filter(~pl.col(OK))["loan_id"].unique()
        flag(
            schedules,
            report,
            pl.col("loan_id").is_in(bad_loans.implode()),
            "loan_id",
            "another installment of this loan's schedule has errors",
            pl.col("loan_id"),
            only_valid=True,
        )
        bad_schedule = schedules.frame.filter(~pl.col(OK))["loan_id"].unique()
        flag(
            loans,
            report,
            pl.col("loan_id").is_in(bad_schedule.implode()),
            "loan_id",
            f"its schedule has errors ({schedules.display})",
            pl.col("loan_id"),
            only_valid=True,
        )
        with_rows = schedules.frame["loan_id"].unique()
    else:
        with_rows = pl.Series([], dtype=pl.String)

    needs = ~pl.col("loan_id").is_in(with_rows.implode()) & ~pl.col("loan_id").is_in(
        loans_with_db_schedule.implode()
    )
    for column in ("repayment_method", "installments", "first_due_date"):
        missing = (
            (pl.col(column).is_null()) | (pl.col(column) == "")
            if column == "repayment_method"
            else (pl.col(column).is_null())
        )
        flag(
            loans,
            report,
            needs & missing,
            column,
            "needed to generate the schedule: the loan has no rows in schedules.csv",
            pl.col(column).cast(pl.String),
        )
    to_generate = loans.frame.filter(pl.col(OK) & needs)
    loans.frame = loans.frame.with_columns(needs.alias("schedule_generated"))
    return amortize(
        to_generate.select(
            "loan_id", "principal", "annual_rate", "repayment_method", "installments", "first_due_date"
        )
    )


def _default_guarantee_period(guarantees: ValidFile, loans: ValidFile, schedule_ends: pl.DataFrame) -> None:
    """Civil Code art. 692: no agreed period -> six months from when the main debt falls due (its maturity, else
    its last installment)."""
    due = loans.frame.select("loan_id", "maturity_date").join(schedule_ends, on="loan_id", how="left")
    guarantees.frame = (
        guarantees.frame.join(
            due.select("loan_id", pl.coalesce("maturity_date", "_last_due").alias("_debt_due")),
            on="loan_id",
            how="left",
            maintain_order="left",
        )
        .with_columns(
            pl.coalesce(
                pl.col("period_end"), pl.col("_debt_due").dt.offset_by(f"{GUARANTEE_PERIOD_MONTHS}mo")
            ).alias("period_end")
        )
        .drop("_debt_due")
    )


@dataclass
class ValidatedPortfolio:
    files: dict[str, ValidFile]
    generated_schedules: pl.DataFrame
    report: Report

    def valid_rows(self, name: str) -> pl.DataFrame | None:
        """The rows to write for one file; schedules include the generated ones."""
        vf = self.files.get(name)
        frame = None
        if vf is not None:
            # filtering copies every column: skip it when every row is valid (the common case, and the big one)
            frame = (vf.frame if vf.frame[OK].all() else vf.frame.filter(OK)).drop(OK, ROW)
        if name == "schedules" and self.generated_schedules.height:
            generated = self.generated_schedules
            return generated if frame is None else pl.concat([frame, generated], how="diagonal_relaxed")
        return frame


def validate_portfolio(
    sources: list[SourceFile],
    existing: dict[str, pl.Series],
    lookup_payments: PaymentLookup,
    loans_with_db_schedule: pl.Series,
    max_lengths: dict[str, dict[str, int]],
) -> ValidatedPortfolio:
    """Every check of portfolio-format.md, over the whole portfolio. `existing` holds the borrower and loan IDs
    already in the database (references may point at them)."""
    report = Report()
    by_name = {s.name: s for s in sources}
    for spec in FILES:
        if spec.required and spec.name not in by_name:
            report.add(f"{spec.name}.csv", "required file is missing")
    files: dict[str, ValidFile] = {}
    for spec in FILES:
        if spec.name in by_name:
            vf = parse_file(spec, by_name[spec.name], report, max_lengths.get(spec.name, {}))
            if vf is not None:
                files[spec.name] = vf
    for vf in files.values():
        if check := ROW_CHECKS.get(vf.spec.name):
            check(vf, report)
        _check_duplicates(vf, report)

    _check_references(files, report, existing)
    if "payments" in files:
        _check_reversals(files["payments"], report, lookup_payments)
    loans = files.get("loans")
    generated = pl.DataFrame()
    if loans is not None:
        valid_loans = loans.frame[OK].sum()
        generated = _check_schedules(loans, files.get("schedules"), report, loans_with_db_schedule)
        if (
            loans.frame[OK].sum() < valid_loans
        ):  # loans invalidated by their schedule take their children along
            _check_references(files, report, existing)
        if "guarantees" in files:
            ends = (
                pl.concat(
                    [
                        f.select("loan_id", "due_date")
                        for f in (
                            files["schedules"].frame.filter(OK) if "schedules" in files else None,
                            generated,
                        )
                        if f is not None and f.height
                    ]
                    or [pl.DataFrame(schema={"loan_id": pl.String, "due_date": pl.Date})]
                )
                .group_by("loan_id")
                .agg(pl.col("due_date").max().alias("_last_due"))
            )
            _default_guarantee_period(files["guarantees"], loans, ends)
    return ValidatedPortfolio(files, generated, report)
