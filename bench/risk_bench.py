"""Risk bench: the batch's risk step (`batch.steps.risk.assess`) on 1M loans.

Goal (issue 4): scoring 1M loans takes ≤ 1 s of the batch's time on this machine (2 cores, 24 GiB).

The inputs of `assess` for N loans are generated set-based and seeded (_risk_data.py; cached as Parquet under
bench/out/risk/). A model is trained once with `modeling.train` (challenger on) on 20k loans past due (the
population `risk._model_pd` scores) with a synthetic outcome (dpd, on-time ratio, collateral cover, credit score,
and an interaction); the bench says which model the cross-validation picks, and uses both: the logistic one and a
LightGBM one on the same WOE features (the booster `train` fits when the challenger wins; forced when it does
not). Cached as JSON beside the data. Three variants, each best of 3 runs after a warm-up:

(a) the default scorecard only (rules.model None)
(b) the scorecard and the logistic model
(c) the scorecard and the LightGBM model

(1) `assess` in this process on all N loans (wall and CPU), and its breakdown: `scorecard.features`, the model
    (`risk._model_pd`, and within it bin_index, the distinct rows of bins, `risk._log_odds` on them: for LightGBM
    the trees walked on the bins, and LightGBM's own predict on the same rows for comparison), `scorecard.score`.
(2) as the batch runs it: partitions of 250k loans (runner.LOANS_PER_PARTITION) shared by 2 worker processes
    (`arrears cob --workers 2`), every pass started together; the wall of a pass over all partitions is the
    batch's time for scoring N loans.

The borrowers carry the credit report's fields as columns, as the batch's reader selects them out of `extra` in
SQL (batch/io.py read_borrowers); `--credit-from-extra` drops them, so that `assess` parses `extra` as before.

Run: .venv/bin/python bench/risk_bench.py [--loans N | --quick] [--workers 2] [--only-batch] [--credit-from-extra]
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import itertools
import json
import os
import resource
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _risk_data as data  # noqa: E402

from arrears.batch.steps import risk  # noqa: E402
from arrears.risk import modeling, scorecard  # noqa: E402

SCORECARD = HERE.parent / "src" / "arrears" / "risk" / "fixtures" / "default_scorecard.json"
TARGET_S = 1.0


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


SLOW_S = 10.0  # a call this slow is timed once (its warm-up): repeating it changes nothing but the wait


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


BEST_CPU: list[float] = [0.0]  # CPU seconds (all threads) of the last best_of's best run


def best_of(runs: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """Best wall time of `runs` calls after one warm-up call, and the last result (BEST_CPU: that run's CPU)."""
    clock, cpu = time.perf_counter(), cpu_s()
    result = fn()
    best = (time.perf_counter() - clock, cpu_s() - cpu)
    if best[0] <= SLOW_S:
        best = (np.inf, 0.0)
        for _ in range(runs):
            clock, cpu = time.perf_counter(), cpu_s()
            result = fn()
            best = min(best, (time.perf_counter() - clock, cpu_s() - cpu))
    BEST_CPU[0] = best[1]
    return best[0], result


def definition() -> scorecard.Definition:
    return scorecard.Definition.model_validate(json.loads(SCORECARD.read_text())["definition"])


# ------------------------------------------------------------------------------------------------------ training


def outcome(frame: pl.DataFrame, seed: int) -> np.ndarray:
    """A synthetic default flag: riskier with days past due, late payment, thin cover and a poor credit report,
    and much riskier when a loan is past due *and* the report is poor (an interaction a tree can find)."""
    rng = np.random.default_rng(seed)
    f = frame.select(
        dpd=pl.col("dpd").clip(0, 120).cast(pl.Float64),
        late=1 - pl.col("on_time_ratio").fill_null(0.8),
        cover=pl.col("collateral_coverage").clip(0, 1.5),
        times=pl.col("times_overdue").clip(0, 5).cast(pl.Float64),
        poor=(pl.col("credit_score").fill_null(650) < 600).cast(pl.Float64),
        overdue=(pl.col("dpd") > 0).cast(pl.Float64),
    )
    z = (
        -3.0
        + 0.02 * f["dpd"].to_numpy()
        + 2.5 * f["late"].to_numpy()
        - 1.0 * f["cover"].to_numpy()
        + 0.25 * f["times"].to_numpy()
        + 2.0 * (f["poor"].to_numpy() * f["overdue"].to_numpy())
    )
    return (rng.random(frame.height) < 1 / (1 + np.exp(-z))).astype(np.int8)


def train_models(
    sample: pl.DataFrame, seed: int, cache: Path
) -> tuple[dict[str, Any], dict[str, Any], str, float]:
    """The logistic model and a LightGBM one, trained on `sample` (cached as JSON); which one the
    cross-validation picks, and the training time (0 when cached)."""
    if cache.exists():
        saved = json.loads(cache.read_text())
        return saved["logistic"], saved["lightgbm"], saved["winner"], 0.0
    clock = time.perf_counter()
    frame = sample.drop("loan_id", "borrower_id").with_columns(default=pl.Series(outcome(sample, seed)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # scikit-learn's notices about its next version
        trained, cv = modeling.train(frame, "default", ["1"], seed=seed, source="risk bench", challenger=True)
    auc = f"cv AUC lightgbm {cv['lightgbm']['auc']:.4f}, logistic {cv['logistic']['auc']:.4f}"
    winner = (
        f"LightGBM ({auc})"
        if trained["kind"] == "lightgbm"
        else f"logistic ({auc}; the LightGBM artifact is forced)"
    )

    def as_kind(kind: str) -> dict[str, Any]:
        """The trained artifact as `kind`: the same WOE features; for LightGBM the booster that train() fits
        when the challenger wins (on the full WOE matrix), and the score bins of that kind."""
        model = copy.deepcopy(trained)
        model["kind"] = kind
        if kind == "logistic":
            model.pop("lightgbm", None)
        elif "lightgbm" not in model:
            x = modeling.woe_matrix(model["features"], frame)
            model["lightgbm"] = modeling._fit_lightgbm(
                x, frame["default"].to_numpy(), seed
            ).booster_.model_to_string()
        scored = modeling.score_frame(model, frame)["score"].to_numpy()
        edges = np.unique(np.quantile(scored, np.linspace(0, 1, 11)[1:-1]))
        model["score_bins"] = {
            "edges": [float(e) for e in edges],
            "shares": modeling.shares(np.searchsorted(edges, scored, side="right"), len(edges) + 1),
        }
        return model

    logistic, lightgbm = as_kind("logistic"), as_kind("lightgbm")
    seconds = time.perf_counter() - clock
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({"logistic": logistic, "lightgbm": lightgbm, "winner": winner}))
    return logistic, lightgbm, winner, seconds


# ------------------------------------------------------------------------------------------------------ breakdown


def model_pieces(model: dict[str, Any], frame: pl.DataFrame, runs: int) -> dict[str, float]:
    """The pieces of the model's part of `assess` (risk._model_pd: the loans past due, their bins, each distinct
    combination of bins predicted once), re-enacted to time them apart; for a LightGBM model, LightGBM's own
    predict on the WOE values of the same combinations beside it."""
    t: dict[str, float] = {}
    overdue = (frame["dpd"] > 0).to_numpy()
    rows = frame.filter(pl.Series(overdue))
    features = model["features"]
    t["bin_index (loans past due)"], index = best_of(
        runs, lambda: np.column_stack([modeling.bin_index(f, rows) for f in features])
    )
    radix = np.array([len(f["bins"]) + 2 for f in features], dtype=np.int64)
    key = index @ np.concatenate([[1], np.cumprod(radix[:-1])])
    t["distinct rows of bins"], (_k, first, _inverse) = best_of(
        runs, lambda: np.unique(key, return_index=True, return_inverse=True)
    )
    distinct = index[first]
    walked = model["kind"] == "lightgbm" and modeling.lightgbm_forest(model) is not None
    how = "trees on bins" if walked else "WOE"
    t[f"log_odds, {len(first):,} distinct ({how})"] = best_of(runs, lambda: risk._log_odds(model, distinct))[
        0
    ]
    if model["kind"] == "lightgbm":
        x = modeling.woe_values(features, distinct)
        t["  (LightGBM's own predict)"] = best_of(runs, lambda: modeling.log_odds(model, x))[0]
    return t


def breakdown(
    frames: dict[str, pl.DataFrame], as_of: dt.date, rules: risk.RiskRules, runs: int
) -> dict[str, float]:
    """`assess` piece by piece, each piece best of `runs`: features, the model (risk._model_pd), score."""
    status, inst = frames["status"], frames["installments"]
    defn = rules.scorecard
    out: dict[str, float] = {}
    out["scorecard.features"], frame = best_of(
        runs,
        lambda: scorecard.features(
            status, inst, frames["loans"], frames["collateral"], frames["guarantees"], frames["borrowers"],
            as_of, defn.haircuts,
        ),
    )  # fmt: skip
    pd = pl.repeat(None, frame.height, dtype=pl.Float64, eager=True).alias("pd")
    if rules.model is not None:
        out["model (risk._model_pd)"], (pd, _counts) = best_of(
            runs, lambda: risk._model_pd(frame, rules.model, rules.model_id)
        )
        out |= {f"  {k}": v for k, v in model_pieces(rules.model, frame, runs).items()}
        frame = frame.with_columns(pd)
    out["scorecard.score"], scored = best_of(runs, lambda: scorecard.score(frame, defn))
    out["status.with_columns"], _ = best_of(
        runs,
        lambda: status.with_columns(
            risk_score=scored["risk_score"],
            risk_level=scored["risk_level"],
            risk_reasons=scored["risk_reasons"],
            pd=pd,
        ),
    )
    return out


# ------------------------------------------------------------------------------------------------ as the batch


# batch/runner.py LOANS_PER_PARTITION: `arrears cob --workers 2` closes 1M loans as 4 partitions
PARTITION = 250_000


def partitions(directory: Path, count: int) -> list[dict[str, pl.DataFrame]]:
    """The inputs split as the batch reads them: loan id ranges of PARTITION loans, each with its own loans,
    installments, collateral, guarantees and the borrowers of its loans."""
    ids = pl.read_parquet(directory / "status.parquet", columns=["loan_id"])["loan_id"]
    cuts = [ids[i] for i in range(0, ids.len(), PARTITION)] + [None]
    out = []
    for lower, upper in list(itertools.pairwise(cuts))[:count]:
        in_range = (pl.col("loan_id") >= lower) & (pl.col("loan_id") < upper if upper else pl.lit(True))
        part = {
            name: pl.scan_parquet(directory / f"{name}.parquet").filter(in_range).collect().rechunk()
            for name in ("status", "installments", "loans", "collateral", "guarantees")
        }
        wanted = part["loans"]["borrower_id"].unique().implode()
        part["borrowers"] = (
            pl.scan_parquet(directory / "borrowers.parquet")
            .filter(pl.col("borrower_id").is_in(wanted))
            .collect()
        )
        out.append(part)
    return out


IMPLEMENTATIONS: dict[str, Callable[..., Any]] = {"as is": risk.assess}


def _worker(
    directory: str,
    mine: list[int],
    as_of: str,
    models: dict[str, Any],
    runs: int,
    barrier: Any,
    queue: Any,
    credit_from_extra: bool = False,
) -> None:
    """One worker process: its partitions (every `workers`-th one), a warm-up of every implementation and variant,
    then `runs` rounds of one timed pass over them per implementation and variant, each pass started with the
    other worker's (barrier). Rounds interleave the implementations, so that other work on the machine weighs
    on all of them alike."""
    day = dt.date.fromisoformat(as_of)
    count = max(mine) + 1
    parts = [p for i, p in enumerate(partitions(Path(directory), count)) if i in mine]
    if credit_from_extra:
        parts = [data.without_credit_columns(p) for p in parts]
    defn = definition()
    cases = [
        (impl, assess, name, risk.RiskRules(defn, model, 1 if model else None))
        for impl, assess in IMPLEMENTATIONS.items()
        for name, model in models.items()
    ]
    for run in range(-1, runs):  # -1: the warm-up
        for impl, assess, name, rules in cases:
            barrier.wait()
            clock, cpu = time.perf_counter(), cpu_s()
            for part in parts:
                assess(part["status"], part["installments"], part, day, rules)
            if run >= 0:
                queue.put((impl, name, run, mine[0], time.perf_counter() - clock, cpu_s() - cpu))
    barrier.wait()


def as_the_batch(
    directory: Path,
    loans: int,
    as_of: dt.date,
    models: dict[str, Any],
    runs: int,
    workers: int,
    credit_from_extra: bool = False,
) -> dict[tuple[str, str], tuple[float, float]]:
    """`workers` processes share the partitions, as `arrears cob --workers N` does; per implementation and
    variant the best of `runs` of the wall time for all partitions (the slower worker's) and the CPU of both."""
    import multiprocessing

    count = -(-loans // PARTITION)
    workers = min(workers, count)
    context = multiprocessing.get_context("spawn")
    barrier, queue = context.Barrier(workers), context.Queue()
    procs = [
        context.Process(
            target=_worker,
            args=(
                str(directory),
                list(range(w, count, workers)),
                as_of.isoformat(),
                models,
                runs,
                barrier,
                queue,
                credit_from_extra,
            ),
        )
        for w in range(workers)
    ]
    for proc in procs:
        proc.start()
    got: dict[tuple[str, str, int], list[tuple[float, float]]] = {}
    for _ in range(len(IMPLEMENTATIONS) * len(models) * runs * len(procs)):
        impl, name, run, _worker_no, wall, cpu = queue.get()
        got.setdefault((impl, name, run), []).append((wall, cpu))
    for proc in procs:
        proc.join()
    out: dict[tuple[str, str], tuple[float, float]] = {}
    for (impl, name, _run), values in got.items():  # a pass: the slower worker's wall, both workers' CPU
        done = (max(w for w, _ in values), sum(c for _, c in values))
        out[(impl, name)] = min(out.get((impl, name), (np.inf, 0.0)), done)
    return out


# ---------------------------------------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100k loans (a smoke run)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--as-of", default="2026-11-29")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per figure (best is reported)")
    parser.add_argument("--train-rows", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2, help="worker processes for (2); 0 skips it")
    parser.add_argument("--only-batch", action="store_true", help="only (2)")
    parser.add_argument(
        "--worker-threads", type=int, default=0, help="POLARS_MAX_THREADS of the workers (0: Polars' default)"
    )
    parser.add_argument(
        "--credit-from-extra",
        action="store_true",
        help="borrowers without the credit report's columns: assess parses `extra` (as before the reader selected them)",
    )
    args = parser.parse_args()
    loans = 100_000 if args.quick else args.loans
    as_of = dt.date.fromisoformat(args.as_of)
    print(f"risk bench: {loans:,} loans, seed {args.seed}, as of {as_of}, Polars {pl.__version__}, "
          f"{pl.thread_pool_size()} Polars threads")  # fmt: skip

    frames, generated = data.load(loans, args.seed, as_of)
    if args.credit_from_extra:
        frames = data.without_credit_columns(frames)
    counts = {name: frame.height for name, frame in frames.items()}
    how = f"generated in {generated:.1f} s" if generated is not None else "read from the cache"
    print(f"data ({how}, {data.data_dir(loans, args.seed, as_of).relative_to(HERE.parent)}):")
    extra = frames["borrowers"]["extra"]
    reports = extra.str.contains("credit_score").sum()
    print(
        f"  status {counts['status']:,} loans, installments {counts['installments']:,} "
        f"({counts['installments'] / counts['status']:.1f}/loan), collateral {counts['collateral']:,} rows on "
        f"{frames['collateral']['loan_id'].n_unique():,} loans, guarantees {counts['guarantees']:,} on "
        f"{frames['guarantees']['loan_id'].n_unique():,} loans,\n  borrowers {counts['borrowers']:,} "
        f"({reports:,} with a credit report in `extra`; its fields "
        + (
            "parsed from `extra` by assess)"
            if args.credit_from_extra
            else "as columns, as the reader selects them)"
        )
    )
    defn = definition()
    inputs = {k: frames[k] for k in ("loans", "collateral", "guarantees", "borrowers")}

    # the model's population is the loans past due (risk._model_pd scores those, as selectors.training_set)
    overdue_ids = frames["status"].filter(pl.col("dpd") > 0)["loan_id"]
    sample_ids = overdue_ids.sample(min(args.train_rows, overdue_ids.len()), seed=args.seed).sort().implode()
    cache = data.data_dir(loans, args.seed, as_of) / f"models-overdue-{args.train_rows}.json"
    sample = scorecard.features(
        frames["status"].filter(pl.col("loan_id").is_in(sample_ids)),
        frames["installments"].filter(pl.col("loan_id").is_in(sample_ids)),
        frames["loans"], frames["collateral"], frames["guarantees"], frames["borrowers"], as_of, defn.haircuts,
    )  # fmt: skip
    logistic, lightgbm, winner, trained = train_models(sample, args.seed, cache)
    trees = lightgbm["lightgbm"].count("Tree=")
    print(
        f"models ({'trained in ' + format(trained, '.1f') + ' s' if trained else 'cached'}, "
        f"{sample.height:,} loans past due): logistic on {len(logistic['features'])} WOE features, LightGBM {trees} trees; "
        f"the cross-validation picks {winner}"
    )

    variants = {
        "(a) scorecard only": risk.RiskRules(defn),
        "(b) scorecard + logistic": risk.RiskRules(defn, logistic, 1),
        "(c) scorecard + LightGBM": risk.RiskRules(defn, lightgbm, 2),
    }
    scale = 1_000_000 / loans
    scaled = "" if loans == 1_000_000 else f" (scaled from {loans:,} to 1M)"
    if not args.only_batch:
        results: dict[str, float] = {}
        cpus: dict[str, float] = {}
        outputs: dict[str, pl.DataFrame] = {}
        for name, rules in variants.items():
            seconds, (status, _counts) = best_of(
                args.runs,
                lambda rules=rules: risk.assess(
                    frames["status"], frames["installments"], inputs, as_of, rules
                ),
            )
            results[name], cpus[name] = seconds, BEST_CPU[0]
            outputs[name] = status.with_columns(pl.lit(json.dumps(_counts, sort_keys=True)).alias("_counts"))
        # what assess produced, to see the figures are of real work
        a = outputs["(a) scorecard only"]
        levels = dict(a["risk_level"].value_counts().sort("risk_level").iter_rows())
        past_due = int((a["dpd"] > 0).sum())
        print(f"  levels (a): {levels}; pd on the {past_due:,} loans past due, mean (b) "
              f"{outputs['(b) scorecard + logistic']['pd'].mean():.4f}, (c) "
              f"{outputs['(c) scorecard + LightGBM']['pd'].mean():.4f}")  # fmt: skip

        print(f"\n(1) assess in one process on {loans:,} loans, best of {args.runs} after a warm-up; "
              f"load average {load()}")  # fmt: skip
        print(f"  {'variant':<28} {'wall':>8} {'CPU':>8} {'loans/s':>10}  ≤ 1 s per 1M{scaled}")
        for name, seconds in results.items():
            met = "met" if seconds * scale <= TARGET_S else "NOT met"
            print(f"  {name:<28} {seconds:7.3f}s {cpus[name]:7.3f}s {loans / seconds:10,.0f}  {met}")

        print("\n    breakdown (each piece best of runs):")
        for name, rules in variants.items():
            parts = breakdown(frames, as_of, rules, args.runs)
            top = sum(
                seconds for piece, seconds in parts.items() if not piece.startswith(" ")
            )  # not the parts of a piece
            print(f"    {name}: total of pieces {top:.3f} s")
            for piece, seconds in parts.items():
                print(f"      {piece:<44} {seconds:7.3f} s")
        print(f"    peak memory of the process {peak_mib():,.0f} MiB")

    if args.workers:
        models = {name: rules.model for name, rules in variants.items()}
        count = -(-loans // PARTITION)
        print(f"\n(2) as the batch runs it: {count} partition(s) of ≤ {PARTITION:,} loans shared by "
              f"{min(args.workers, count)} worker processes (arrears cob --workers {args.workers}); wall of a pass "
              f"over all partitions (the slower worker), CPU of all workers; load average {load()}")  # fmt: skip
        if args.worker_threads:
            # the spawned workers read it when they import Polars
            os.environ["POLARS_MAX_THREADS"] = str(args.worker_threads)
            print(f"  workers with POLARS_MAX_THREADS={args.worker_threads}")
        timed = as_the_batch(
            data.data_dir(loans, args.seed, as_of),
            loans,
            as_of,
            models,
            args.runs,
            args.workers,
            args.credit_from_extra,
        )
        print(f"  {'variant':<28} {'implementation':<18} {'wall':>8} {'CPU':>8}  ≤ 1 s per 1M{scaled}")
        for name in variants:
            for i, impl in enumerate(IMPLEMENTATIONS):
                wall, cpu = timed[(impl, name)]
                met = "met" if wall * scale <= TARGET_S else "NOT met"
                print(f"  {name if i == 0 else '':<28} {impl:<18} {wall:7.3f}s {cpu:7.3f}s  {met}")
        print("  (CPU: both workers together)")

    print(f"\nload average at the end {load()}")


if __name__ == "__main__":
    main()
