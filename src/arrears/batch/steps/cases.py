"""The cases step: which collection cases the close opens, refreshes and closes (issue 5). Pure: frames in,
frames out; `cases.services.sync_cases` reads its inputs and writes its plan.

A case groups a borrower's loans with one creditor (lender) and of one case type. It opens when one of them is at
least `open_at_dpd` days past due, is refreshed every close while any is past due, and closes as cured when none
is. Keys are matched against the open cases, so running the close again never opens a second case.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from arrears.batch.steps.classification import RANK

KEY = ["borrower_id", "lender", "case_type"]
RISK_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}
FACTS = ["loan_ids", "total_overdue", "max_dpd", "bucket", "classification", "risk_level", "risk_score"]


@dataclass
class Plan:
    opened: pl.DataFrame  # KEY + FACTS: new cases
    updated: pl.DataFrame  # id + FACTS: open cases with loans still past due
    closed: pl.DataFrame  # id: open cases whose loans are all current again (cured)


def facts(status: pl.DataFrame, loans: pl.DataFrame) -> pl.DataFrame:
    """Per key, over the loans past due: their ids, what they owe in all (fen), the worst days past due and
    that loan's bucket, the strictest classification, the highest risk level and score."""
    worst_first = (
        status.filter(pl.col("dpd") > 0)
        .join(loans.select("loan_id", "lender", "case_type"), on="loan_id", how="inner")
        .with_columns(
            class_rank=pl.col("classification").replace_strict(RANK, default=0, return_dtype=pl.Int8),
            risk_rank=pl.col("risk_level").replace_strict(RISK_RANK, default=-1, return_dtype=pl.Int8),
        )
        .sort(["dpd", "loan_id"], descending=[True, False])
    )
    return worst_first.group_by(KEY, maintain_order=True).agg(
        loan_ids=pl.col("loan_id").sort(),
        total_overdue=pl.col("total_due").sum(),
        max_dpd=pl.col("dpd").first(),
        bucket=pl.col("bucket").first(),
        classification=pl.col("classification").sort_by("class_rank").last(),
        risk_level=pl.col("risk_level").sort_by("risk_rank").last(),
        risk_score=pl.col("risk_score").max(),
    )


def plan(status: pl.DataFrame, loans: pl.DataFrame, open_cases: pl.DataFrame, open_at_dpd: int) -> Plan:
    """`status`: every active loan at the close (loan_id, borrower_id, dpd, total_due, bucket, classification,
    risk_level, risk_score); `loans`: loan_id, lender, case_type; `open_cases`: id + KEY."""
    grouped = facts(status, loans)
    matched = grouped.join(open_cases.select("id", *KEY), on=KEY, how="full", coalesce=True)
    opened = matched.filter(pl.col("id").is_null() & (pl.col("max_dpd") >= open_at_dpd)).select(*KEY, *FACTS)
    updated = matched.filter(pl.col("id").is_not_null() & pl.col("max_dpd").is_not_null()).select(
        "id", *FACTS
    )
    closed = matched.filter(pl.col("id").is_not_null() & pl.col("max_dpd").is_null()).select("id")
    return Plan(opened.sort(KEY), updated.sort("id"), closed.sort("id"))
