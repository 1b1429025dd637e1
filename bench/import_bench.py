"""Import benchmark: generate N loans, import them into SQLite and PostgreSQL, compare with a naive ORM import.

Prints loans/s, rows/s and peak memory per backend. Goals (issue 2): 1M loans into PostgreSQL in < 2 min and into
SQLite in < 3 min, peak memory < 4 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BENCH_DB = "arrears_bench"


def generate(loans: int, seed: int) -> Path:
    out = HERE / "out" / f"portfolio-{loans}-{seed}"
    if not (out / "loans.csv").exists():
        started = time.perf_counter()
        subprocess.run(
            [
                str(Path(PYTHON).with_name("arrears")),
                "generate-portfolio",
                "--loans",
                str(loans),
                "--seed",
                str(seed),
                "--as-of",
                "2026-11-30",
                str(out),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        print(f"generated {loans:,} loans in {time.perf_counter() - started:.1f} s -> {out}")
    return out


def run_child(mode: str, portfolio: Path, database_url: str, var_dir: str) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url, "ARREARS_VAR_DIR": var_dir, "PYTHONPATH": str(HERE)}
    done = subprocess.run(
        [PYTHON, str(HERE / "_import_child.py"), mode, str(portfolio)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def recreate_pg_database() -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB}")
        conn.execute(f"CREATE DATABASE {PG_BENCH_DB}")
    return f"postgresql://postgres@127.0.0.1:5432/{PG_BENCH_DB}"


def report(label: str, result: dict) -> None:
    rows = sum(result["counts"].values())
    loans = result["counts"]["loans"]
    print(
        f"{label:<28} {result['seconds']:>8.1f} s  {loans / result['seconds']:>10,.0f} loans/s  "
        f"{rows / result['seconds']:>12,.0f} rows/s  peak {result['peak_mib']:>7,.0f} MiB  ({rows:,} rows)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--naive-loans", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--skip-naive", action="store_true", help="skip the naive ORM baseline (slow: minutes)"
    )
    args = parser.parse_args()

    portfolio = generate(args.loans, args.seed)
    small = generate(args.naive_loans, args.seed)
    results = {}
    with tempfile.TemporaryDirectory(prefix="arrears-bench-") as tmp:
        if not args.skip_sqlite:
            sqlite_url = f"sqlite:///{tmp}/bench.sqlite3"
            results["sqlite"] = run_child("bulk", portfolio, sqlite_url, tmp)
            report(f"SQLite bulk, {args.loans:,} loans", results["sqlite"])
        if not args.skip_postgres:
            results["postgres"] = run_child("bulk", portfolio, recreate_pg_database(), tmp)
            report(f"PostgreSQL bulk, {args.loans:,} loans", results["postgres"])
        if args.skip_naive:
            return
        naive_dir = Path(tmp) / "naive"
        naive_dir.mkdir()
        results["naive_sqlite"] = run_child(
            "naive", small, f"sqlite:///{naive_dir}/naive.sqlite3", str(naive_dir)
        )
        report(f"SQLite naive ORM, {args.naive_loans:,}", results["naive_sqlite"])
        small_bulk = run_child("bulk", small, f"sqlite:///{naive_dir}/bulk.sqlite3", str(naive_dir))
        report(f"SQLite bulk, {args.naive_loans:,}", small_bulk)
        if not args.skip_postgres:
            results["naive_postgres"] = run_child("naive", small, recreate_pg_database(), tmp)
            report(f"PostgreSQL naive ORM, {args.naive_loans:,}", results["naive_postgres"])
    for backend in ("sqlite", "postgres"):
        if backend in results and f"naive_{backend}" in results:
            bulk_rate = sum(results[backend]["counts"].values()) / results[backend]["seconds"]
            naive = results[f"naive_{backend}"]
            naive_rate = sum(naive["counts"].values()) / naive["seconds"]
            print(f"{backend}: bulk import is {bulk_rate / naive_rate:,.0f}x the naive ORM import in rows/s")


if __name__ == "__main__":
    main()
