"""The strategy step (issue 5): which segment each open case falls in, which treatment path (arm) of that segment
it gets, and which step of the path is due. Pure: frames in, frames out; `strategy.services` reads and writes.

- A **segment** is a list of conditions `{field, op, value}` over the case's facts (`FIELDS`), all of which must
  hold; segments are tried in priority order and the first that matches wins.
- A segment runs one or more **arms** (treatment paths) by percentage. A case's arm follows from a stable hash of
  its id and the segment (`hash_bucket`), so it keeps its arm from one close to the next, and changing the
  percentages moves only the cases whose hash lies between the old and the new boundary.
- A **path** is an ordered list of steps (channel, template, wait days, escalation). Entering a path schedules its
  first step `wait_days` after entry; each close fires the due step (one per case per close, never a backlog) and
  schedules the next; a path marked `repeat` starts over after its last step.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from arrears.core.money import MoneyError, parse_yuan

# The facts a condition may test, and their kind: numbers compare, text matches; money is given in yuan.
FIELDS: dict[str, Literal["int", "money", "text"]] = {
    "dpd": "int",
    "bucket": "text",
    "classification": "text",
    "risk_level": "text",
    "risk_score": "int",
    "balance": "money",  # outstanding principal of the case's loans
    "overdue": "money",  # total overdue (principal, interest, fees, penalty)
    "product": "text",
    "lender": "text",
    "lender_type": "text",
    "case_type": "text",
    "status": "text",
    "province": "text",
    "broken_promises": "int",
    "contactability": "int",  # phone numbers on file (the borrower's and their contacts')
    "collateral": "int",  # collateral items on the case's loans
    "days_since_contact": "int",  # null (never contacted) fails every comparison but `eq null`
}
OPS = {"eq", "ne", "lt", "le", "gt", "ge", "in", "not_in"}
ORDERED = {"lt", "le", "gt", "ge"}
CHANNELS = ["call", "sms", "email", "letter", "chat", "visit", "legal_review"]
BASIS_POINTS = 10_000
_HASH_MULTIPLIER = 2_654_435_761  # Knuth's multiplicative hash; below 2**32, so id × it fits in an int64
_HASH_PRIME = 4_294_967_311  # the first prime above 2**32


class Condition(BaseModel):
    """One test on a case fact. Money values are yuan ("5000.00"); `in`/`not_in` take a list."""

    model_config = ConfigDict(extra="forbid")
    field: str
    op: str
    value: Any = None

    @model_validator(mode="after")
    def _check(self) -> Condition:
        if self.field not in FIELDS:
            raise ValueError(f"unknown field {self.field!r}; known: {', '.join(FIELDS)}")
        if self.op not in OPS:
            raise ValueError(f"unknown op {self.op!r}; known: {', '.join(sorted(OPS))}")
        kind = FIELDS[self.field]
        if self.op in ORDERED and kind == "text":
            raise ValueError(f"{self.field} is text: it can be compared with eq, ne, in, not_in only")
        values = self.value if self.op in {"in", "not_in"} else [self.value]
        if not isinstance(values, list) or not values:
            raise ValueError(f"{self.op} needs a non-empty list of values")
        self.value = [_parse(self.field, kind, v) for v in values]
        if self.op not in {"in", "not_in"}:
            self.value = self.value[0]
        return self


def _parse(field: str, kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "text":
        return str(value)
    if kind == "money":
        try:
            return parse_yuan(str(value))
        except MoneyError:
            raise ValueError(f"{field} needs an amount in yuan, not {value!r}") from None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{field} needs a number, not {value!r}") from None
    if number != number.to_integral_value():
        raise ValueError(f"{field} needs a whole number, not {value!r}")
    return int(number)


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: str
    template: str = ""
    wait_days: int = 0
    escalation: str = ""  # a lifecycle stage to propose (e.g. "escalated", "legal"), or nothing

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        if value not in CHANNELS:
            raise ValueError(f"unknown channel {value!r}; known: {', '.join(CHANNELS)}")
        return value

    @field_validator("wait_days")
    @classmethod
    def _wait(cls, value: int) -> int:
        if value < 0:
            raise ValueError("wait_days cannot be negative")
        return value


def conditions(raw: list[dict[str, Any]]) -> list[Condition]:
    return [Condition.model_validate(c) for c in raw]


def steps(raw: list[dict[str, Any]]) -> list[Step]:
    if not raw:
        raise ValueError("a treatment path needs at least one step")
    return [Step.model_validate(s) for s in raw]


def matches(conds: list[Condition]) -> pl.Expr:
    """True where every condition holds (an empty list matches every case). A missing fact fails the test."""
    expr = pl.lit(True)
    for c in conds:
        column = pl.col(c.field)
        if c.value is None:
            test = column.is_null() if c.op == "eq" else column.is_not_null()
        elif c.op == "in":
            test = column.is_in(c.value)
        elif c.op == "not_in":
            test = ~column.is_in(c.value)
        else:
            test = {"eq": column == c.value, "ne": column != c.value, "lt": column < c.value,
                    "le": column <= c.value, "gt": column > c.value, "ge": column >= c.value}[c.op]  # fmt: skip
        expr = expr & test.fill_null(False)
    return expr


def choose_segments(facts: pl.DataFrame, segments: list[tuple[int, list[Condition]]]) -> pl.Series:
    """The id of the first segment (in the given priority order) each case matches, or null."""
    if not segments:
        return pl.Series("segment_id", [None] * facts.height, dtype=pl.Int64)
    expr: Any = pl
    for segment_id, conds in segments:
        expr = expr.when(matches(conds)).then(pl.lit(segment_id, dtype=pl.Int64))
    return facts.select(expr.otherwise(pl.lit(None, dtype=pl.Int64)).alias("segment_id"))["segment_id"]


def hash_bucket(case_id: pl.Expr, segment_id: pl.Expr) -> pl.Expr:
    """A case's place in 0 … 9,999 within its segment: the same for the same case and segment on every run and
    every machine (integer arithmetic, not Python's or Polars' hash, which may change between versions)."""
    mixed = (case_id * _HASH_MULTIPLIER + segment_id * 97_531) % _HASH_PRIME
    return (mixed % BASIS_POINTS).cast(pl.Int64)


def arm_ranges(arms: pl.DataFrame) -> pl.DataFrame:
    """`arms` (segment_id, path_id, basis_points, champion) → each arm's [lower, upper) hash range, champion
    first, then by path id, so that a challenger's share never moves the champion's cases."""
    ordered = arms.sort(["segment_id", "champion", "path_id"], descending=[False, True, False])
    return ordered.with_columns(upper=pl.col("basis_points").cum_sum().over("segment_id")).with_columns(
        lower=pl.col("upper") - pl.col("basis_points")
    )


def choose_arms(cases: pl.DataFrame, arms: pl.DataFrame) -> pl.DataFrame:
    """`cases` (id, segment_id) → (id, path_id): the arm whose hash range holds the case, null when the segment
    has no arm there (its percentages add up to less than 100)."""
    ranges = arm_ranges(arms).select("segment_id", "path_id", "lower", "upper")
    placed = cases.select("id", "segment_id").with_columns(
        h=hash_bucket(pl.col("id"), pl.col("segment_id").fill_null(0))
    )
    hit = (
        placed.join(ranges, on="segment_id", how="inner")
        .filter((pl.col("h") >= pl.col("lower")) & (pl.col("h") < pl.col("upper")))
        .select("id", "path_id")
    )
    return placed.select("id").join(hit, on="id", how="left")


def path_steps(paths: dict[int, tuple[list[Step], bool]]) -> pl.DataFrame:
    """Every step of every path as rows: path_id, step_no, channel, template, wait_days, escalation, and the
    path's length and whether it repeats."""
    rows = [
        {"path_id": pid, "step_no": no, **s.model_dump(), "length": len(ss), "repeat": repeat}
        for pid, (ss, repeat) in paths.items()
        for no, s in enumerate(ss)
    ]
    schema = {"path_id": pl.Int64, "step_no": pl.Int64, "channel": pl.String, "template": pl.String,
              "wait_days": pl.Int64, "escalation": pl.String, "length": pl.Int64, "repeat": pl.Boolean}  # fmt: skip
    return pl.DataFrame(rows, schema=schema)


def entry(cases: pl.DataFrame, steps_: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """Cases (id, path_id) entering a path on `as_of`: step 0, due after its wait."""
    first = steps_.filter(pl.col("step_no") == 0).select("path_id", "wait_days")
    return cases.join(first, on="path_id", how="left").select(
        "id",
        "path_id",
        path_step=pl.when(pl.col("path_id").is_null()).then(None).otherwise(pl.lit(0, dtype=pl.Int64)),
        next_step_on=pl.lit(as_of) + pl.duration(days=pl.col("wait_days")),
    )


def due(cases: pl.DataFrame, steps_: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """Cases (id, path_id, path_step, next_step_on) whose step is due on `as_of` → the step to carry out
    (channel, template, escalation) and where the case goes next (`path_step`, `next_step_on`: null when the
    path is done)."""
    fired = (
        cases.filter(pl.col("next_step_on").is_not_null() & (pl.col("next_step_on") <= as_of))
        .join(steps_, left_on=["path_id", "path_step"], right_on=["path_id", "step_no"], how="inner")
        .with_columns(following=pl.col("path_step") + 1)
        .with_columns(
            following=pl.when(pl.col("following") < pl.col("length"))
            .then("following")
            .when(pl.col("repeat"))
            .then(0)
            .otherwise(None)
        )
    )
    waits = steps_.select("path_id", following="step_no", next_wait="wait_days")
    return (
        fired.join(waits, on=["path_id", "following"], how="left")
        .select(
            "id",
            "channel",
            "template",
            "escalation",
            path_step=pl.col("following").fill_null(pl.col("length")),
            next_step_on=pl.when(pl.col("next_wait").is_null())
            .then(None)
            .otherwise(pl.lit(as_of) + pl.duration(days=pl.col("next_wait"))),
        )
        .sort("id")
    )
