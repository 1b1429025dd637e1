"""The cases step: which collection cases the close opens, refreshes and closes (issue 5). Pure: frames in,
frames out; `cases.services.sync_cases` reads its inputs and writes its plan.

A case groups a borrower's loans with one creditor (lender) and of one case type. It opens when one of them is at
least `open_at_dpd` days past due, is refreshed every close while any is past due, and closes as cured when none
is. Keys are matched against the open cases, so running the close again never opens a second case.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from arrears.batch.steps.classification import RANK

KEY = ["borrower_id", "lender", "case_type"]
RISK_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}
FACTS = ["loan_ids", "total_overdue", "max_dpd", "bucket", "classification", "risk_level", "risk_score",
         "outstanding", "product_type", "lender_type"]  # fmt: skip


@dataclass
class Plan:
    opened: pl.DataFrame  # KEY + FACTS: new cases
    updated: pl.DataFrame  # id + FACTS: open cases with loans still past due
    closed: pl.DataFrame  # id: open cases whose loans are all current again (cured)


def facts(status: pl.DataFrame, loans: pl.DataFrame) -> pl.DataFrame:
    """Per key, over the loans past due: their ids, what they owe in all (fen) and their outstanding principal,
    the worst days past due and that loan's bucket, product and lender type, the strictest classification, the
    highest risk level and score."""
    worst_first = (
        status.filter(pl.col("dpd") > 0)
        .join(loans.select("loan_id", "lender", "case_type", "product_type", "lender_type"), on="loan_id")
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
        outstanding=pl.col("outstanding_principal").sum(),
        product_type=pl.col("product_type").first(),
        lender_type=pl.col("lender_type").first(),
    )


def plan(status: pl.DataFrame, loans: pl.DataFrame, open_cases: pl.DataFrame, open_at_dpd: int) -> Plan:
    """`status`: every active loan at the close (loan_id, borrower_id, dpd, total_due, bucket, classification,
    risk_level, risk_score, outstanding_principal); `loans`: loan_id, lender, case_type, product_type,
    lender_type; `open_cases`: id + KEY."""
    grouped = facts(status, loans)
    matched = grouped.join(open_cases.select("id", *KEY), on=KEY, how="full", coalesce=True)
    opened = matched.filter(pl.col("id").is_null() & (pl.col("max_dpd") >= open_at_dpd)).select(*KEY, *FACTS)
    updated = matched.filter(pl.col("id").is_not_null() & pl.col("max_dpd").is_not_null()).select(
        "id", *FACTS
    )
    closed = matched.filter(pl.col("id").is_not_null() & pl.col("max_dpd").is_null()).select("id")
    return Plan(opened.sort(KEY), updated.sort("id"), closed.sort("id"))


def deal(cases: pl.DataFrame, collectors: pl.DataFrame) -> pl.DataFrame:
    """Give `cases` (id, in the order they should be served: the riskiest first) to `collectors` (user_id,
    load, capacity: null = no limit) → (id, user_id); cases beyond everyone's capacity are left out.

    Water-filling by load relative to capacity: the next case goes to whoever is least loaded for their size
    ((load + 1) ÷ weight, the weight being the capacity, or the largest capacity in the pool for someone without
    a limit, or 1 when nobody has one — plain round-robin by load). Set-based: find the fill level that makes
    room for every case (a bisection over collectors, not cases), lay out each collector's slots up to it, and
    match slots to cases in order."""
    if cases.is_empty() or collectors.is_empty():
        return pl.DataFrame(schema={"id": pl.Int64, "user_id": pl.Int64})
    largest = collectors["capacity"].max()
    people = collectors.with_columns(
        weight=pl.col("capacity").fill_null(largest if largest is not None else 1).cast(pl.Float64),
        room=(pl.col("capacity") - pl.col("load")).clip(0).fill_null(cases.height),
    ).with_columns(room=pl.min_horizontal("room", pl.lit(cases.height)))
    wanted = min(cases.height, int(people["room"].sum()))
    if wanted == 0:
        return pl.DataFrame(schema={"id": pl.Int64, "user_id": pl.Int64})

    def slots_at(level: float) -> pl.Expr:
        return pl.min_horizontal("room", ((level * pl.col("weight")).floor() - pl.col("load")).clip(0))

    low, high = 0.0, float((people["load"].max() + cases.height + 1) / people["weight"].min())  # type: ignore[operator]
    for _ in range(64):
        middle = (low + high) / 2
        if people.select(slots_at(middle).sum()).item() >= wanted:
            high = middle
        else:
            low = middle
    slots = (
        people.with_columns(count=slots_at(high).cast(pl.Int64))
        .filter(pl.col("count") > 0)
        .with_columns(k=pl.int_ranges(pl.col("load") + 1, pl.col("load") + 1 + pl.col("count")))
        .explode("k")
        .with_columns(key=pl.col("k") / pl.col("weight"))
        .sort(["key", "load", "user_id"])
        .head(wanted)
    )
    return pl.concat([cases.head(wanted).select("id"), slots.select("user_id")], how="horizontal")


def priority(sla_days: dict[str, int], as_of: dt.date) -> pl.Expr:
    """A case's place in its collector's queue, higher first, from its facts (risk_score, total_overdue, status,
    stage_since): the risk score (0–1000; 500 when not scored), plus 100 points per doubling of the overdue amount
    above 1,000 yuan (at most 500), plus 300 when the case has stayed in its stage longer than the stage's SLA.
    Follow-ups and promises due today come before any of this on the workbench."""
    amount = (pl.col("total_overdue").clip(100_000) / 100_000).log(2) * 100
    limit = pl.col("status").replace_strict(sla_days, default=None, return_dtype=pl.Int64)
    late = (pl.lit(as_of) - pl.col("stage_since")).dt.total_days() > limit
    return (
        pl.col("risk_score").fill_null(500)
        + amount.clip(upper_bound=500).floor().cast(pl.Int64)
        + pl.when(late.fill_null(False)).then(300).otherwise(0)
    ).cast(pl.Int64)
