"""The synthetic portfolio generator: valid identities, money and dates that hold together, a realistic spread of
overdue loans, exact reproducibility, and files the importer accepts as they are."""

from __future__ import annotations

import datetime as dt
import inspect
import json
import re
import zipfile
from io import StringIO
from pathlib import Path

import phonenumbers
import polars as pl
import pytest
from django.core.management import CommandError, call_command
from stdnum.cn import ric, uscc

from arrears.portfolio import generator
from arrears.portfolio.generator import FILE_COLUMNS, REGIONS, generate_portfolio, write_portfolio
from arrears.portfolio.interchange.spec import FILES_BY_NAME, Kind

AS_OF = dt.date(2026, 11, 30)
N = 2000
REGION_BY_CODE = {code: (province, city) for code, province, city, *_ in REGIONS}


@pytest.fixture(scope="module")
def book() -> dict[str, pl.DataFrame]:
    return generate_portfolio(N, 7, AS_OF)


def fen(column: str) -> pl.Expr:
    return (pl.col(column) * 100).cast(pl.Int64)


def non_reversed(payments: pl.DataFrame) -> pl.DataFrame:
    """Payments that stand: neither a reversal nor reversed."""
    reversed_ids = payments["reverses"].drop_nulls().implode()
    return payments.filter(pl.col("reverses").is_null() & ~pl.col("payment_id").is_in(reversed_ids))


def oldest_unpaid(book: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Per loan with schedule rows, the due date of the oldest installment not covered by what was paid toward
    principal and interest, oldest installment first (null when nothing due is unpaid)."""
    payments = book["payments"]
    stands = non_reversed(payments).with_columns(
        (fen("amount") - fen("penalty_paid").fill_null(0)).alias("toward")
    )
    paid = stands.group_by("loan_id").agg(pl.col("toward").sum())
    return (
        book["schedules"]
        .filter(pl.col("due_date") <= AS_OF)
        .with_columns((fen("principal_due") + fen("interest_due")).alias("due_amount"))
        .sort("loan_id", "installment_no")
        .with_columns(pl.col("due_amount").cum_sum().over("loan_id").alias("cumulative"))
        .join(paid, on="loan_id", how="left")
        .filter(pl.col("cumulative") > pl.col("toward").fill_null(0))
        .group_by("loan_id")
        .agg(pl.col("due_date").min().alias("oldest_unpaid"))
    )


# --- the format ----------------------------------------------------------------------------------------------------


def test_files_and_columns_follow_the_format(book):
    assert list(book) == list(FILE_COLUMNS)
    for name, frame in book.items():
        spec = FILES_BY_NAME[name]
        assert tuple(frame.columns) == spec.column_names, name
        for column in spec.columns:
            if column.required:
                assert frame[column.name].null_count() == 0, (name, column.name)
        assert frame.height > 0, name


def test_categorical_values_are_within_the_format(book):
    for name, frame in book.items():
        for column in FILES_BY_NAME[name].columns:
            if column.kind is Kind.CHOICE:
                values = set(frame[column.name].drop_nulls().unique().to_list()) - {""}
                assert values <= set(column.choices), (name, column.name, values - set(column.choices))


def test_ids_are_zero_padded_unique_and_in_order(book):
    patterns = {
        "borrowers": ("borrower_id", r"B\d{8}"),
        "loans": ("loan_id", r"L\d{8}"),
        "payments": ("payment_id", r"P\d{10}"),
        "collateral": ("collateral_id", r"C\d{8}"),
        "guarantees": ("guarantee_id", r"G\d{8}"),
        "contacts": ("contact_id", r"K\d{8}"),
    }
    for name, (column, pattern) in patterns.items():
        ids = book[name][column]
        assert ids.str.contains(f"^{pattern}$").all(), name
        assert ids.is_unique().all(), name
        assert ids.to_list() == sorted(ids.to_list()), name
    schedules = book["schedules"]
    assert schedules.equals(schedules.sort("loan_id", "installment_no"))
    assert book["payments"]["loan_id"].to_list() == sorted(book["payments"]["loan_id"].to_list())
    borrowers = set(book["borrowers"]["borrower_id"])
    assert set(book["loans"]["borrower_id"]) == borrowers  # every borrower has a loan
    assert set(book["contacts"]["borrower_id"]) <= borrowers
    loans = set(book["loans"]["loan_id"])
    for name in (
        "schedules",
        "payments",
        "collateral",
        "guarantees",
        "claims",
        "assignments",
        "recourse_payments",
    ):
        assert set(book[name]["loan_id"]) <= loans, name


# --- identities ----------------------------------------------------------------------------------------------------


def test_resident_ids_are_valid_and_match_the_borrowers_region(book):
    people = book["borrowers"].filter(pl.col("id_type") == "resident_id")
    assert people.height > 0.9 * book["borrowers"].height
    for number, province, city in people.select("id_number", "province", "city").iter_rows():
        assert ric.is_valid(number), number
        assert REGION_BY_CODE[int(number[:6])] == (province, city), number
        assert ric.get_birth_place(number)["province"] == province
        assert 1960 <= ric.get_birth_date(number).year <= 2003


def test_companies_carry_valid_unified_social_credit_codes(book):
    borrowers = book["borrowers"]
    companies = borrowers.filter(pl.col("is_company") == 1)
    assert 0.01 < companies.height / borrowers.height < 0.08
    assert (companies["id_type"] == "uscc").all()
    assert all(uscc.is_valid(code) for code in companies["id_number"])
    assert (borrowers.filter(pl.col("is_company") == 0)["id_type"] == "resident_id").all()


def test_guarantor_ids_are_valid(book):
    for number in book["guarantees"]["guarantor_id_number"].drop_nulls():
        assert ric.is_valid(number) or uscc.is_valid(number), number


def test_every_phone_is_a_valid_cn_mobile(book):
    phones = pl.concat(
        [book["borrowers"]["phone"], book["contacts"]["phone"], book["guarantees"]["guarantor_phone"]]
    ).drop_nulls()
    assert phones.len() > N
    assert book["borrowers"]["phone"].null_count() == 0
    for number in phones:
        parsed = phonenumbers.parse(number, "CN")
        assert phonenumbers.is_valid_number(parsed), number
        assert phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.MOBILE, number


def test_names_emails_and_addresses_look_chinese_and_plausible(book):
    people = book["borrowers"].filter(pl.col("is_company") == 0)
    assert people["name"].str.contains(r"^[\u4e00-\u9fff]{2,4}$").all()
    assert people["name"].str.slice(0, 1).value_counts(sort=True)["name"][0] in "王李张刘陈"
    companies = book["borrowers"].filter(pl.col("is_company") == 1)
    assert companies["name"].str.contains("公司$").all()
    emails = book["borrowers"]["email"].drop_nulls()
    assert 0.2 < emails.len() / book["borrowers"].height < 0.5
    assert emails.str.contains(r"^[a-z0-9]+@[a-z0-9]+(\.[a-z]+)+$").all()
    addresses = book["borrowers"].drop_nulls("address")
    assert (addresses["address"].str.starts_with(addresses["province"])).all()


# --- loans and schedules -------------------------------------------------------------------------------------------


def test_loan_dates_and_terms_hold_together(book):
    loans = book["loans"]
    assert (loans["contract_date"] <= loans["disbursement_date"]).all()
    assert (loans["disbursement_date"] < loans["first_due_date"]).all()
    assert (loans["disbursement_date"] <= AS_OF).all()
    expected_maturity = loans.select(
        pl.col("first_due_date").dt.offset_by(pl.format("{}mo", pl.col("installments") - 1))
    ).to_series()
    assert (loans["maturity_date"] == expected_maturity).all()
    assert (loans["installments"] >= 1).all()
    assert (fen_of(loans, "principal") > 0).all()


def fen_of(frame: pl.DataFrame, column: str) -> pl.Series:
    return frame.select(fen(column)).to_series()


def test_rates_are_plausible_for_each_product_and_lender(book):
    loans = book["loans"].with_columns(
        (pl.col("annual_rate") * 10_000).cast(pl.Int64).alias("rate_bp"),
        (pl.col("penalty_rate") * 10_000).cast(pl.Int64).alias("penalty_bp"),
    )
    mortgages = loans.filter(pl.col("product_type") == "mortgage")
    assert mortgages["rate_bp"].is_between(310, 490).all()
    assert loans.filter(pl.col("lender_type") == "private")["rate_bp"].max() <= 1200
    assert loans.filter(pl.col("lender_type") == "private")["penalty_bp"].max() <= 1200
    assert loans["rate_bp"].is_between(300, 2390).all()
    stated = loans.drop_nulls("penalty_bp")
    assert (stated["penalty_bp"] >= stated["rate_bp"]).all()
    assert (stated["penalty_bp"] * 2 == stated["rate_bp"] * 3).mean() > 0.8
    assert 0.02 < loans["penalty_rate"].null_count() / loans.height < 0.15
    assert (loans["day_count"] == "ACT/360").mean() > 0.75


def test_schedules_add_up_to_the_principal_and_match_the_terms(book):
    per_loan = (
        book["schedules"]
        .group_by("loan_id")
        .agg(
            fen("principal_due").sum().alias("scheduled"),
            pl.len().alias("rows"),
            pl.col("due_date").min().alias("first"),
            pl.col("due_date").max().alias("last"),
            (pl.col("installment_no").max() == pl.len()).alias("numbered"),
        )
    )
    loans = book["loans"].join(per_loan, on="loan_id")
    assert (fen_of(loans, "principal") == loans["scheduled"]).all()
    assert loans["numbered"].all()
    expected_rows = pl.when(pl.col("repayment_method") == "bullet").then(1).otherwise(pl.col("installments"))
    assert loans.select(pl.col("rows") == expected_rows).to_series().all()
    assert (loans["last"] == loans["maturity_date"]).all()
    non_bullet = loans.filter(pl.col("repayment_method") != "bullet")
    assert (non_bullet["first"] == non_bullet["first_due_date"]).all()
    assert (loans["first"] > loans["disbursement_date"]).all()


def test_some_loans_come_without_schedule_rows_but_with_the_terms_to_generate_them(book):
    without = book["loans"].filter(~pl.col("loan_id").is_in(book["schedules"]["loan_id"].implode()))
    assert 0.02 < without.height / N < 0.1
    assert (
        without.select("repayment_method", "installments", "first_due_date").null_count().sum_horizontal()[0]
        == 0
    )


def test_the_book_mixes_lenders_products_methods_and_statuses(book):
    loans = book["loans"]
    assert set(loans["lender_type"]) == set(generator.LENDER_TYPES)
    assert set(loans["product_type"]) == set(generator.PRODUCT_TYPES)
    assert set(loans["repayment_method"]) == {
        "equal_installment",
        "equal_principal",
        "interest_first",
        "bullet",
    }
    statuses = loans["status"].value_counts()
    assert set(statuses["status"]) == {"active", "closed", "written_off"}
    assert (loans["status"] == "active").mean() > 0.8
    per_borrower = loans.group_by("borrower_id").len()
    assert 0.04 < (per_borrower["len"] > 1).mean() < 0.16
    assert loans["lender"].n_unique() > 30


# --- payments ------------------------------------------------------------------------------------------------------


def test_payments_fall_between_disbursement_and_as_of(book):
    payments = book["payments"].join(book["loans"].select("loan_id", "disbursement_date"), on="loan_id")
    assert (payments["paid_on"] <= AS_OF).all()
    assert (payments["paid_on"] >= payments["disbursement_date"]).all()
    assert (fen_of(payments, "amount") > 0).all()
    assert 8 < payments.height / N < 16


def test_splits_are_all_or_nothing_and_add_up_to_the_amount(book):
    payments = book["payments"]
    split = ["principal_paid", "interest_paid", "penalty_paid", "fee_paid"]
    given = payments.select(pl.sum_horizontal(pl.col(split).is_not_null())).to_series()
    assert given.is_in([0, 4]).all()
    with_split = payments.filter(pl.col("principal_paid").is_not_null())
    assert 0.3 < with_split.height / payments.height < 0.7
    total = with_split.select(pl.sum_horizontal([fen(c) for c in split])).to_series()
    assert (total == fen_of(with_split, "amount")).all()
    assert (with_split.select(pl.min_horizontal([fen(c) for c in split])).to_series() >= 0).all()
    assert (fen_of(with_split, "penalty_paid") > 0).any()  # some were paid late, with penalty


def test_only_installments_already_due_are_paid(book):
    stands = non_reversed(book["payments"]).drop_nulls("principal_paid")
    paid = stands.group_by("loan_id").agg(
        fen("principal_paid").sum().alias("principal"), fen("interest_paid").sum().alias("interest")
    )
    due = (
        book["schedules"]
        .filter(pl.col("due_date") <= AS_OF)
        .group_by("loan_id")
        .agg(
            fen("principal_due").sum().alias("principal_due"), fen("interest_due").sum().alias("interest_due")
        )
    )
    checked = paid.join(due, on="loan_id")
    assert checked.height > 100
    assert (checked["principal"] <= checked["principal_due"]).all()
    assert (checked["interest"] <= checked["interest_due"]).all()
    not_yet_due = paid.join(due, on="loan_id", how="anti").join(
        book["schedules"].select("loan_id").unique(), on="loan_id"
    )
    assert not_yet_due.height == 0


def test_reversals_reference_earlier_payments_of_the_same_loan(book):
    payments = book["payments"]
    reversals = payments.filter(pl.col("reverses").is_not_null())
    assert reversals.height >= 3
    assert reversals["reverses"].is_unique().all()
    originals = reversals.join(
        payments.select("payment_id", "loan_id", "paid_on", "amount"),
        left_on="reverses",
        right_on="payment_id",
        suffix="_original",
    )
    assert originals.height == reversals.height
    assert (originals["reverses"] < originals["payment_id"]).all()
    assert (originals["loan_id"] == originals["loan_id_original"]).all()
    assert (originals["amount"] == originals["amount_original"]).all()
    assert (originals["paid_on"] >= originals["paid_on_original"]).all()
    assert originals["principal_paid"].null_count() == originals.height


def test_overdue_loans_spread_over_every_bucket(book):
    dpd = oldest_unpaid(book).select((pl.lit(AS_OF) - pl.col("oldest_unpaid")).dt.total_days().alias("dpd"))[
        "dpd"
    ]
    buckets = [(1, 30), (31, 60), (61, 90), (91, 120), (121, 150), (151, 180)]
    for low, high in buckets:
        assert dpd.is_between(low, high).sum() > 0, (low, high)
    assert dpd.is_between(1, 30).sum() > 0.03 * N
    assert (dpd > 180).sum() > 0.08 * N
    assert 0.25 < dpd.len() / N < 0.65


# --- claims, assignments, recourse ---------------------------------------------------------------------------------


def test_claims_cover_most_overdue_loans_with_the_right_case_type(book):
    claims = book["claims"].join(book["loans"].select("loan_id", "lender", "lender_type"), on="loan_id")
    assert (claims["as_of"] == AS_OF).all()
    assert (claims["claimant"] == claims["lender"]).all()
    expected = (
        pl.when(pl.col("lender_type") == "amc")
        .then(pl.lit("assigned"))
        .when(pl.col("lender_type") == "guarantee")
        .then(pl.lit("guarantee_recourse"))
        .otherwise(pl.lit("own"))
    )
    assert claims.select(pl.col("case_type") == expected).to_series().all()
    overdue = set(oldest_unpaid(book)["loan_id"])
    claimed = set(claims["loan_id"])
    with_rows = set(book["schedules"]["loan_id"])
    assert len(claimed & overdue) / len(overdue) > 0.85
    assert len((claimed & with_rows) - overdue) / len(claimed) < 0.05


def test_claimed_principal_is_the_remaining_balance_except_for_a_few(book):
    payments = book["payments"]
    no_split = payments.filter(pl.col("principal_paid").is_null() & pl.col("reverses").is_null())["loan_id"]
    repaid = non_reversed(payments).group_by("loan_id").agg(fen("principal_paid").sum().alias("repaid"))
    claims = (
        book["claims"]
        .filter(pl.col("case_type") != "guarantee_recourse")
        .filter(~pl.col("loan_id").is_in(no_split.implode()))
        .join(book["loans"].select("loan_id", fen("principal").alias("lent")), on="loan_id")
        .join(repaid, on="loan_id", how="left")
        .with_columns((pl.col("lent") - pl.col("repaid").fill_null(0)).alias("balance"))
    )
    assert claims.height > 100
    matches = (fen_of(claims, "principal") == claims["balance"]).mean()
    assert 0.9 < matches < 1.0
    everything = book["claims"]
    assert (fen_of(everything, "fees") > 0).sum() > 0
    assert (fen_of(everything, "fees") == 0).mean() > 0.95


def test_assignments_belong_to_amc_loans(book):
    loans = book["loans"]
    assignments = book["assignments"].join(loans, on="loan_id")
    assert set(assignments["lender_type"]) == {"amc"}
    amc_loans = set(loans.filter(pl.col("lender_type") == "amc")["loan_id"])
    assert set(assignments["loan_id"]) == amc_loans
    latest = assignments.group_by("loan_id").agg(
        pl.col("assignee").sort_by("assigned_on").last(), pl.first("lender")
    )
    assert (latest["assignee"] == latest["lender"]).all()
    assert (assignments["assigned_on"] <= AS_OF).all()
    assert (assignments["assigned_on"] > assignments["disbursement_date"]).all()
    noticed = assignments.drop_nulls("notice_delivered_on")
    assert (noticed["notice_delivered_on"] >= noticed["assigned_on"]).all()
    assert (noticed["notice_delivered_on"] <= AS_OF).all()
    assert (assignments["assignor"] != assignments["assignee"]).all()


def test_recourse_payments_belong_to_guarantee_loans_and_match_their_claims(book):
    recourse = book["recourse_payments"].join(book["loans"], on="loan_id")
    assert set(recourse["lender_type"]) == {"guarantee"}
    assert (recourse["guarantor"] == recourse["lender"]).all()
    assert (recourse["paid_on"] <= AS_OF).all()
    assert (recourse["paid_on"] > recourse["disbursement_date"]).all()
    assert (fen_of(recourse, "amount") > 0).all()
    claims = recourse.join(book["claims"], on="loan_id", suffix="_claim")
    assert (claims["amount"] == claims["principal_claim"]).mean() > 0.9


# --- security and contacts -----------------------------------------------------------------------------------------


def test_collateral_and_guarantees_sit_where_lenders_take_them(book):
    loans = book["loans"]
    collateral = book["collateral"].join(loans, on="loan_id")
    kinds = dict(collateral.group_by("product_type").agg(pl.col("kind").mode().first()).iter_rows())
    assert kinds["mortgage"] == "real_estate"
    assert kinds["auto"] == "vehicle"
    secured = set(collateral["loan_id"])
    for product in ("mortgage", "auto"):
        assert set(loans.filter(pl.col("product_type") == product)["loan_id"]) <= secured
    assert (collateral["appraised_on"].drop_nulls() <= AS_OF).all()

    guarantees = book["guarantees"].join(loans, on="loan_id")
    assert 0.08 < guarantees["loan_id"].n_unique() / N < 0.2
    assert {"general", "joint"} == set(guarantees["guarantee_type"])
    own_book = guarantees.filter(pl.col("lender_type") == "guarantee")
    assert set(own_book["loan_id"]) == set(loans.filter(pl.col("lender_type") == "guarantee")["loan_id"])
    capped = guarantees.drop_nulls("amount_cap")
    assert capped.height > 0
    assert (fen_of(capped, "amount_cap") <= fen_of(capped, "principal")).all()
    stated = guarantees.drop_nulls("period_end")
    assert (stated["period_end"] > stated["maturity_date"]).all()


def test_each_borrower_has_themself_and_up_to_two_more_contacts(book):
    contacts = book["contacts"]
    per_borrower = contacts.group_by("borrower_id").agg(
        pl.len().alias("contacts"), (pl.col("relation") == "self").sum().alias("self")
    )
    assert per_borrower.height == book["borrowers"].height
    assert (per_borrower["self"] == 1).all()
    assert per_borrower["contacts"].is_between(1, 3).all()
    assert set(contacts["consented"]) == {0, 1}
    spouses = contacts.filter(pl.col("relation") == "spouse").group_by("borrower_id").len()
    assert (spouses["len"] == 1).all()


# --- reproducibility, files, import, command -----------------------------------------------------------------------


def test_same_seed_same_portfolio_other_seed_other_portfolio():
    first = generate_portfolio(300, 11, AS_OF)
    again = generate_portfolio(300, 11, AS_OF)
    other = generate_portfolio(300, 12, AS_OF)
    for name in FILE_COLUMNS:
        assert first[name].equals(again[name]), name
    assert not first["loans"].equals(other["loans"])
    assert not first["borrowers"].equals(other["borrowers"])


def test_files_are_byte_identical_for_the_same_seed_and_formatted_as_the_format_says(tmp_path):
    frames = generate_portfolio(300, 5, AS_OF)
    counts = write_portfolio(frames, tmp_path / "a")
    write_portfolio(generate_portfolio(300, 5, AS_OF), tmp_path / "b")
    assert counts == {f"{name}.csv": frame.height for name, frame in frames.items()}
    for name in FILE_COLUMNS:
        assert (tmp_path / "a" / f"{name}.csv").read_bytes() == (tmp_path / "b" / f"{name}.csv").read_bytes()

    write_portfolio(frames, tmp_path / "a.zip")
    write_portfolio(frames, tmp_path / "b.zip")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        assert sorted(archive.namelist()) == sorted(f"{name}.csv" for name in FILE_COLUMNS)
        assert archive.read("loans.csv") == (tmp_path / "a" / "loans.csv").read_bytes()

    shapes = {Kind.MONEY: r"^\d+\.\d{2}$", Kind.RATE: r"^0\.\d{4}$", Kind.DATE: r"^\d{4}-\d{2}-\d{2}$"}
    for name in FILE_COLUMNS:
        text = (tmp_path / "a" / f"{name}.csv").read_text(encoding="utf-8")
        assert text.splitlines()[0] == ",".join(FILE_COLUMNS[name])
        read = pl.read_csv(StringIO(text), infer_schema=False)
        for column in FILES_BY_NAME[name].columns:
            if column.kind in shapes:
                values = read[column.name].drop_nulls()
                assert values.str.contains(shapes[column.kind]).all(), (name, column.name)
    assert re.search(r"B0000000\d", (tmp_path / "a" / "borrowers.csv").read_text(encoding="utf-8"))


@pytest.mark.django_db
def test_a_generated_portfolio_imports_without_a_single_error(tmp_path):
    from arrears.portfolio.models import ImportRun
    from arrears.portfolio.services import import_portfolio

    frames = generate_portfolio(400, 3, AS_OF)
    write_portfolio(frames, tmp_path / "book")
    run = import_portfolio(tmp_path / "book")
    assert run.status == ImportRun.Status.SUCCEEDED, run.errors[:5]
    assert run.error_count == 0
    generated = run.counts["schedules"]["generated"]
    assert generated > 0  # the loans that came without schedule rows
    for name, frame in frames.items():
        assert run.counts[name]["created"] == frame.height + (generated if name == "schedules" else 0), name


def test_command_writes_the_files_and_reports_counts_as_json(tmp_path):
    out = StringIO()
    call_command(
        "generate_portfolio",
        str(tmp_path / "p"),
        "--loans",
        "60",
        "--seed",
        "3",
        "--as-of",
        "2026-11-30",
        "--json",
        stdout=out,
    )
    report = json.loads(out.getvalue())
    assert report["loans"] == 60
    assert report["as_of"] == "2026-11-30"
    assert report["files"]["loans.csv"] == 60
    assert set(report["seconds"]) == {"generate", "write", "total"}
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == sorted(f"{n}.csv" for n in FILE_COLUMNS)

    text = StringIO()
    call_command(
        "generate_portfolio", str(tmp_path / "p.zip"), "--loans", "20", "--as-of", "2026-11-30", stdout=text
    )
    assert "loans.csv" in text.getvalue()
    assert zipfile.is_zipfile(tmp_path / "p.zip")


@pytest.mark.parametrize("args", [["--as-of", "2026-13-01"], ["--loans", "0"], ["--loans", "many"]])
def test_command_refuses_bad_arguments(tmp_path, args):
    with pytest.raises(CommandError):
        call_command("generate_portfolio", str(tmp_path / "p"), *args)


def test_the_generator_takes_the_date_it_is_given():
    source = inspect.getsource(generator)
    for clock in ("date.today(", "datetime.now(", "local_today(", "time.time("):
        assert clock not in source


def test_writes_into_an_existing_directory_and_creates_parents(tmp_path):
    target: Path = tmp_path / "deep" / "er"
    write_portfolio(generate_portfolio(5, 1, AS_OF), target)
    write_portfolio(generate_portfolio(5, 1, AS_OF), target)
    assert (target / "loans.csv").exists()
