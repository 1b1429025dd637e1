"""Reads of the strategy app: the facts segments test, the configuration as frames for the pure step, outcomes
per arm, and the simulation of a strategy on a past date."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from django.utils.translation import gettext_lazy as _

from arrears.batch import io
from arrears.batch.steps import strategy as step
from arrears.batch.steps.cases import KEY
from arrears.risk import scorecard
from arrears.strategy.models import Arm, Segment, Treatment, TreatmentPath

CHANNEL_LABELS = {
    "call": _("Call"), "sms": _("SMS"), "email": _("Email"), "letter": _("Letter"), "chat": _("Chat"),
    "visit": _("Field visit"), "legal_review": _("Legal review"),
}  # fmt: skip
GOOD_OUTCOMES = {"cured", "paid", "settled"}

OPEN_CASES = (
    "SELECT c.id, c.borrower_id, c.lender, c.case_type, c.status, c.max_dpd AS dpd, c.bucket, c.classification, "
    "c.risk_level, c.risk_score, c.outstanding AS balance, c.total_overdue AS overdue, c.product_type AS product, "
    "c.lender_type, c.last_contact_on, c.segment_id, c.path_id FROM cases_case c WHERE c.status <> 'closed'"
)
CASE_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64(), "borrower_id": pl.String(), "lender": pl.String(), "case_type": pl.String(),
    "status": pl.String(), "dpd": pl.Int64(), "bucket": pl.String(), "classification": pl.String(),
    "risk_level": pl.String(), "risk_score": pl.Int64(), "balance": pl.Int64(), "overdue": pl.Int64(),
    "product": pl.String(), "lender_type": pl.String(), "last_contact_on": pl.Date(), "segment_id": pl.Int64(),
    "path_id": pl.Int64(),
}  # fmt: skip
COLLATERAL = (
    "SELECT l.borrower_id, l.lender, COUNT(*) AS collateral FROM portfolio_collateral k "
    "JOIN portfolio_loan l ON l.loan_id = k.loan_id WHERE l.status = 'active' GROUP BY l.borrower_id, l.lender"
)
# promises to pay the borrower did not keep with us (negotiation), on top of what the credit report says
BROKEN_PROMISES = (
    "SELECT c.borrower_id, COUNT(*) AS ours FROM negotiation_promise p JOIN cases_case c ON c.id = p.case_id "
    "WHERE p.status IN ('broken', 'partially_kept') GROUP BY c.borrower_id"
)
COLLATERAL_SCHEMA: dict[str, pl.DataType] = {
    "borrower_id": pl.String(),
    "lender": pl.String(),
    "collateral": pl.Int64(),
}


def case_facts(as_of: dt.date) -> pl.DataFrame:
    """Every open case with the facts segments test (`batch.steps.strategy.FIELDS`) and its current segment and
    path."""
    return enrich(io.read_frame(OPEN_CASES, CASE_SCHEMA), as_of)


def enrich(cases: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """Add the borrower's facts (province, contactability, broken promises: the credit report's and those not
    kept with us) and the collateral on the case's loans to case rows (KEY + the case's own facts)."""
    borrowers = io.read_borrowers()
    borrower_facts = pl.concat(
        [borrowers.select("borrower_id", province=pl.col("province").fill_null("")), scorecard.borrower_facts(borrowers)
         .select(contactability=pl.col("contact_channels").cast(pl.Int64),
                 broken_promises=pl.col("broken_promises").cast(pl.Int64))],
        how="horizontal",
    )  # fmt: skip
    collateral = io.read_frame(COLLATERAL, COLLATERAL_SCHEMA)
    broken = io.read_frame(BROKEN_PROMISES, {"borrower_id": pl.String(), "ours": pl.Int64()})
    return (
        cases.join(borrower_facts, on="borrower_id", how="left")
        .join(collateral, on=["borrower_id", "lender"], how="left")
        .join(broken, on="borrower_id", how="left")
        .with_columns(
            broken_promises=pl.col("broken_promises").fill_null(0) + pl.col("ours").fill_null(0),
            collateral=pl.col("collateral").fill_null(0),
            contactability=pl.col("contactability").fill_null(0),
            days_since_contact=(pl.lit(as_of) - pl.col("last_contact_on")).dt.total_days(),
        )
        .drop("ours")
    )


def segments_in_force() -> list[tuple[int, list[step.Condition]]]:
    """The active segments in priority order, with their conditions parsed."""
    return [(s.pk, step.conditions(s.conditions)) for s in Segment.objects.filter(active=True)]


def arms_frame() -> pl.DataFrame:
    return pl.DataFrame(
        list(
            Arm.objects.filter(segment__active=True).values(
                "segment_id", "path_id", "basis_points", "champion"
            )
        ),
        schema={
            "segment_id": pl.Int64,
            "path_id": pl.Int64,
            "basis_points": pl.Int64,
            "champion": pl.Boolean,
        },
    )


def path_steps_frame() -> pl.DataFrame:
    return step.path_steps({p.pk: (step.steps(p.steps), p.repeat) for p in TreatmentPath.objects.all()})


def arms_as_list(segment: Segment) -> list[dict[str, Any]]:
    return [
        {"path": a.path.name, "percent": a.basis_points / 100, "champion": a.champion}
        for a in segment.arms.select_related("path")
    ]


def outcomes(as_of: dt.date, segment: Segment | None = None) -> list[dict[str, Any]]:
    """Per segment and arm, over the cases that went through it: how many, the cure rate (closed as cured,
    paid or settled while on the arm), the roll-forward rate (a worse bucket at exit, or now, than at entry) and
    the amount recovered (payments on the case's loans while on the arm, in fen)."""
    rows = Treatment.objects.all()
    if segment is not None:
        rows = rows.filter(segment=segment)
    frame = pl.DataFrame(
        list(rows.values("id", "case_id", "segment_id", "path_id", "started_on", "ended_on", "entry_dpd",
                         "entry_bucket", "exit_dpd", "exit_bucket", "outcome", "case__max_dpd", "case__bucket",
                         "case__loan_ids", "case__status")),
        schema={"id": pl.Int64, "case_id": pl.Int64, "segment_id": pl.Int64, "path_id": pl.Int64,
                "started_on": pl.Date, "ended_on": pl.Date, "entry_dpd": pl.Int64, "entry_bucket": pl.String,
                "exit_dpd": pl.Int64, "exit_bucket": pl.String, "outcome": pl.String, "case__max_dpd": pl.Int64,
                "case__bucket": pl.String, "case__loan_ids": pl.List(pl.String), "case__status": pl.String},
    )  # fmt: skip
    if frame.is_empty():
        return []
    recovered = _recovered(frame, as_of)
    ranks = _bucket_ranks()
    last_bucket = pl.coalesce("exit_bucket", "case__bucket")
    per_treatment = frame.join(recovered, on="id", how="left").with_columns(
        cured=pl.col("outcome").is_in(list(GOOD_OUTCOMES)),
        rolled=last_bucket.replace_strict(ranks, default=None) > pl.col("entry_bucket").replace_strict(
            ranks, default=None),
        recovered=pl.col("recovered").fill_null(0),
    )  # fmt: skip
    summary = (
        per_treatment.group_by("segment_id", "path_id")
        .agg(
            cases=pl.len(),
            open=pl.col("ended_on").is_null().sum(),
            cured=pl.col("cured").sum(),
            rolled_forward=pl.col("rolled").fill_null(False).sum(),
            recovered=pl.col("recovered").sum(),
        )
        .sort("segment_id", "path_id")
    )
    names = {s.pk: s.name for s in Segment.objects.all()}
    paths = {p.pk: p.name for p in TreatmentPath.objects.all()}
    arms = {(a.segment_id, a.path_id): a for a in Arm.objects.all()}
    return [
        {
            "segment": names.get(r["segment_id"]), "path": paths.get(r["path_id"]),
            "segment_id": r["segment_id"], "path_id": r["path_id"],
            "percent": arms[(r["segment_id"], r["path_id"])].basis_points / 100
            if (r["segment_id"], r["path_id"]) in arms else 0.0,
            "champion": bool(getattr(arms.get((r["segment_id"], r["path_id"])), "champion", False)),
            "cases": r["cases"], "open": r["open"],
            "cure_rate": round(r["cured"] / r["cases"], 4),
            "roll_forward_rate": round(r["rolled_forward"] / r["cases"], 4),
            "recovered_fen": r["recovered"],
        }
        for r in summary.iter_rows(named=True)
    ]  # fmt: skip


def _recovered(treatments: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """Money received (`batch.io.read_cash_payments`) on each treatment's loans between its start and its end
    (or `as_of`)."""
    loans = treatments.select("id", "started_on", ended=pl.col("ended_on").fill_null(as_of),
                              loan_id="case__loan_ids").explode("loan_id")  # fmt: skip
    payments = io.read_cash_payments(treatments.select(pl.col("started_on").min()).item(), as_of)
    return (
        loans.join(payments, on="loan_id")
        .filter((pl.col("paid_on") >= pl.col("started_on")) & (pl.col("paid_on") <= pl.col("ended")))
        .group_by("id")
        .agg(recovered=pl.col("amount").sum())
    )


def _bucket_ranks() -> dict[str, int]:
    """Bucket codes in order of their first day past due, over every bucket set."""
    from arrears.delinquency.models import Bucket

    ranks: dict[str, int] = {}
    for code in Bucket.objects.order_by("min_days", "code").values_list("code", flat=True):
        ranks.setdefault(code, len(ranks))
    return ranks


def simulate(as_of: dt.date, *, workers: int = 1) -> dict[str, Any]:
    """What the strategy in force now would have done on `as_of`, computed from the stored history and sending
    nothing: the close's state of every active loan that day (`batch.runner.compute`), grouped into cases as
    the close groups them, each case put in its segment and arm, and the first step of its path. Cases keep the
    arm they have (their id decides it); a case that did not exist yet gets one by the hash of its key's rank."""
    from arrears.batch.runner import compute
    from arrears.cases.services import LOANS_QUERY, LOANS_SCHEMA, open_at_dpd

    status = compute([as_of], workers=workers).status
    loans = io.read_frame(LOANS_QUERY, LOANS_SCHEMA)
    from arrears.batch.steps.cases import facts as case_facts_of

    grouped = case_facts_of(status, loans).filter(pl.col("max_dpd") >= open_at_dpd(as_of))
    known = io.read_frame(
        "SELECT id, borrower_id, lender, case_type FROM cases_case", {"id": pl.Int64(), "borrower_id": pl.String(),
                                                                      "lender": pl.String(), "case_type": pl.String()},
    ).group_by(KEY).agg(pl.col("id").max())  # fmt: skip
    cases = (
        grouped.join(known, on=KEY, how="left")
        .with_columns(id=pl.coalesce("id", -pl.int_range(1, pl.len() + 1)))
        .select("id", *KEY, status=pl.lit("new"), dpd="max_dpd", bucket="bucket", classification="classification",
                risk_level="risk_level", risk_score="risk_score", balance="outstanding", overdue="total_overdue",
                product="product_type", lender_type="lender_type", last_contact_on=pl.lit(None, dtype=pl.Date))
    )  # fmt: skip
    facts = enrich(cases, as_of)
    chosen = facts.select("id", "overdue").with_columns(
        segment_id=step.choose_segments(facts, segments_in_force())
    )
    chosen = chosen.join(step.choose_arms(chosen, arms_frame()), on="id", how="left")
    first = path_steps_frame().filter(pl.col("step_no") == 0).select("path_id", "channel", "wait_days")
    summary = (
        chosen.join(first, on="path_id", how="left")
        .group_by("segment_id", "path_id", "channel", "wait_days")
        .agg(cases=pl.len(), overdue=pl.col("overdue").sum())
        .sort("segment_id", "path_id", nulls_last=True)
    )
    names = {s.pk: s.name for s in Segment.objects.all()}
    paths = {p.pk: p.name for p in TreatmentPath.objects.all()}
    return {
        "as_of": as_of.isoformat(),
        "cases": chosen.height,
        "arms": [
            {"segment": names.get(r["segment_id"]), "path": paths.get(r["path_id"]), "cases": r["cases"],
             "overdue_fen": r["overdue"], "first_step": r["channel"],
             "first_step_on": (as_of + dt.timedelta(days=r["wait_days"])).isoformat()
             if r["wait_days"] is not None else None}
            for r in summary.iter_rows(named=True)
        ],
    }  # fmt: skip
