"""What a worker process runs: one id range of loans, read and computed, nothing written.

Spawned workers import this module without setting Django up, so it (and what it imports) must not touch models.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import numba
import polars as pl

from arrears.batch import io
from arrears.batch.partition import Rules, close_days

PartResult = tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, dict[str, float], int, dict[str, Any]]


def close_partition(
    url: str | None, where: str, dates: list[dt.date], rules: dict[dt.date, Rules], opening: bool = False
) -> PartResult:
    """Status at the last date, changes, problems, step timings, rows read and the risk model's bin counts for
    the loans `where` selects;
    `url` None reads through Django's connection (in-process)."""
    if url is not None:
        numba.set_num_threads(1)  # a worker process per core already: the kernel's blocks run serially here
    clock = time.perf_counter()
    inputs = io.read_inputs(where, url=url)
    read = time.perf_counter() - clock
    result, changes, timings = close_days(inputs, dates, rules, opening=opening)
    rows = inputs["installments"].height + inputs["payments"].height
    return result.status, changes, result.problems, {"read": read, **timings}, rows, result.risk_counts
