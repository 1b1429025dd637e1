"""The files and columns of the interchange format, as data. Required columns and meanings are a contract."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    ID = "id"
    TEXT = "text"
    MONEY = "money"  # yuan string -> Int64 fen
    RATE = "rate"  # annual fraction -> Int64 millionths
    DATE = "date"
    INT = "int"
    BOOL = "bool"
    CHOICE = "choice"


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind = Kind.TEXT
    required: bool = False
    choices: tuple[str, ...] = ()
    default: str | int | bool | None = None
    db_column: str | None = None  # when the table column differs (foreign keys)

    @property
    def target(self) -> str:
        return self.db_column or self.name


@dataclass(frozen=True)
class FileSpec:
    name: str
    table: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    required: bool = False
    parent: tuple[str, str] | None = None  # (column, parent file) this file references
    has_surrogate_id: bool = False
    extra_column: str = "extra"
    derived: tuple[str, ...] = field(default=())  # table columns computed by the importer, not read

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


LENDER_TYPES = ("bank", "consumer_finance", "microloan", "guarantee", "private", "amc")
PRODUCT_TYPES = ("term_loan", "credit_card", "revolving", "mortgage", "auto")
REPAYMENT_METHODS = ("equal_installment", "equal_principal", "interest_first", "bullet")

M, R, D, N, B, C, ID = Kind.MONEY, Kind.RATE, Kind.DATE, Kind.INT, Kind.BOOL, Kind.CHOICE, Kind.ID

FILES: tuple[FileSpec, ...] = (
    FileSpec(
        "borrowers",
        "portfolio_borrower",
        ("borrower_id",),
        required=True,
        columns=(
            Column("borrower_id", ID, required=True),
            Column("name", required=True),
            Column("id_type", C, choices=("resident_id", "passport", "uscc", "other"), default="resident_id"),
            Column("id_number", ID, required=True),
            Column("phone", default=""),
            Column("email", default=""),
            Column("address", default=""),
            Column("province", default=""),
            Column("city", default=""),
            Column("is_company", B, default=False),
        ),
    ),
    FileSpec(
        "loans",
        "portfolio_loan",
        ("loan_id",),
        required=True,
        parent=("borrower_id", "borrowers"),
        derived=("schedule_generated",),
        columns=(
            Column("loan_id", ID, required=True),
            Column("borrower_id", ID, required=True),
            Column("lender", default=""),
            Column("lender_type", C, required=True, choices=LENDER_TYPES),
            Column("product_type", C, required=True, choices=PRODUCT_TYPES),
            Column("currency", default="CNY"),
            Column("principal", M, required=True),
            Column("annual_rate", R, required=True),
            Column("penalty_rate", R),
            Column("day_count", C, choices=("ACT/360", "ACT/365"), default="ACT/360"),
            Column("contract_date", D, required=True),
            Column("disbursement_date", D, required=True),
            Column("maturity_date", D),
            Column("repayment_method", C, choices=REPAYMENT_METHODS, default=""),
            Column("installments", N),
            Column("first_due_date", D),
            Column("grace_days", N, default=0),
            Column("compound_interest", B, default=False),
            Column("purpose", default=""),
            Column("jurisdiction_clause", default=""),
            Column("status", C, choices=("active", "closed", "written_off"), default="active"),
        ),
    ),
    FileSpec(
        "schedules",
        "portfolio_scheduleinstallment",
        ("loan_id", "installment_no"),
        parent=("loan_id", "loans"),
        has_surrogate_id=True,
        columns=(
            Column("loan_id", ID, required=True),
            Column("installment_no", N, required=True),
            Column("due_date", D, required=True),
            Column("principal_due", M, required=True),
            Column("interest_due", M, required=True),
            Column("fee_due", M, default=0),
        ),
    ),
    FileSpec(
        "payments",
        "portfolio_payment",
        ("payment_id",),
        parent=("loan_id", "loans"),
        columns=(
            Column("payment_id", ID, required=True),
            Column("loan_id", ID, required=True),
            Column("paid_on", D, required=True),
            Column("amount", M, required=True),
            Column("principal_paid", M),
            Column("interest_paid", M),
            Column("penalty_paid", M),
            Column("fee_paid", M),
            Column("reverses", ID, db_column="reverses_id"),
        ),
    ),
    FileSpec(
        "collateral",
        "portfolio_collateral",
        ("collateral_id",),
        parent=("loan_id", "loans"),
        columns=(
            Column("collateral_id", ID, required=True),
            Column("loan_id", ID, required=True),
            Column(
                "kind",
                C,
                choices=("real_estate", "vehicle", "deposit", "equity", "receivable", "other"),
                default="other",
            ),
            Column("description", default=""),
            Column("appraised_value", M),
            Column("appraised_on", D),
            Column("lien_rank", N),
            Column("registered", B, default=False),
        ),
    ),
    FileSpec(
        "guarantees",
        "portfolio_guarantee",
        ("guarantee_id",),
        parent=("loan_id", "loans"),
        columns=(
            Column("guarantee_id", ID, required=True),
            Column("loan_id", ID, required=True),
            Column("guarantor_name", required=True),
            Column("guarantor_id_number", ID, default=""),
            Column("guarantor_phone", default=""),
            Column("guarantee_type", C, choices=("general", "joint"), default="general"),
            Column("period_end", D),
            Column("amount_cap", M),
        ),
    ),
    FileSpec(
        "contacts",
        "portfolio_contact",
        ("contact_id",),
        parent=("borrower_id", "borrowers"),
        columns=(
            Column("contact_id", ID, required=True),
            Column("borrower_id", ID, required=True),
            Column(
                "relation",
                C,
                required=True,
                choices=("self", "spouse", "parent", "relative", "emergency", "employer", "other"),
            ),
            Column("name", default=""),
            Column("phone", default=""),
            Column("email", default=""),
            Column("address", default=""),
            Column("consented", B, default=False),
        ),
    ),
    FileSpec(
        "claims",
        "portfolio_claim",
        ("loan_id", "as_of"),
        parent=("loan_id", "loans"),
        has_surrogate_id=True,
        columns=(
            Column("loan_id", ID, required=True),
            Column("as_of", D, required=True),
            Column("principal", M),
            Column("interest", M),
            Column("penalty", M),
            Column("fees", M),
            Column("case_type", C, choices=("own", "assigned", "guarantee_recourse"), default="own"),
            Column("claimant", default=""),
        ),
    ),
    FileSpec(
        "assignments",
        "portfolio_assignment",
        ("loan_id", "assignee", "assigned_on"),
        parent=("loan_id", "loans"),
        has_surrogate_id=True,
        columns=(
            Column("loan_id", ID, required=True),
            Column("assignor", required=True),
            Column("assignee", required=True),
            Column("assigned_on", D, required=True),
            Column("notice_delivered_on", D),
        ),
    ),
    FileSpec(
        "recourse_payments",
        "portfolio_recoursepayment",
        ("loan_id", "guarantor", "paid_on"),
        parent=("loan_id", "loans"),
        has_surrogate_id=True,
        columns=(
            Column("loan_id", ID, required=True),
            Column("guarantor", required=True),
            Column("paid_on", D, required=True),
            Column("amount", M, required=True),
            Column("recourse_rate", R),
        ),
    ),
)

FILES_BY_NAME = {spec.name: spec for spec in FILES}
