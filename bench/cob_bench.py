"""COB (close of business) benchmark: the partition function on 1M and 10M loans, a pandas baseline, end to end.

(a) compute only: the close's inputs for 1M generated loans as Parquet; reading and `close_days` timed apart.
    Goal: 1M loans in ≤ 2 s (≥ 500k loans/s) on 2 cores.
(b) 10M loans: the 1M partition replicated 10 times (suffixed ids), closed partition by partition.
    Goal: ≤ 30 s, peak memory < 8 GB.
(c) pandas baseline (pandas_cob.py) on a subset, for the speed ratio and a loan-by-loan cross-check of the results.
(d) end to end: `arrears import` into SQLite and PostgreSQL (cached), then `arrears cob` timed.
Each measured step runs in a child process so its peak memory is its own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
PYTHON = sys.executable
ARREARS = str(Path(PYTHON).with_name("arrears"))
PG_HOST = ["-h", "127.0.0.1", "-U", "postgres"]
PG_BENCH_DB = "arrears_bench"

import _cob_data as data  # noqa: E402


def run_child(mode: str, **kwargs: Any) -> dict[str, Any]:
    done = subprocess.run(
        [PYTHON, str(HERE / "_cob_child.py"), mode, json.dumps(kwargs)],
        check=True,
        capture_output=True,
        text=True,
        cwd=HERE.parent,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def prepare(loans: int, seed: int, as_of: dt.date) -> Path:
    """The generated portfolio (CSV, for the import) and its batch inputs (Parquet), made once and cached."""
    directory = data.portfolio_dir(loans, seed, as_of)
    if not (directory / "parquet" / "payments.parquet").exists():
        made = run_child("prepare", loans=loans, seed=seed, as_of=as_of.isoformat(), directory=str(directory))
        print(
            f"generated {loans:,} loans in {made['generate_s']:.1f} s, CSV + Parquet in {made['total_s']:.1f} s"
        )
    return directory


def mib(value: float) -> str:
    return f"{value / 1024:.2f} GiB" if value >= 1024 else f"{value:.0f} MiB"


def compute(parquet: Path, as_of: dt.date) -> dict[str, Any]:
    """(a) Read the inputs of 1M loans from Parquet and close one day."""
    r = run_child("compute", directory=str(parquet), as_of=as_of.isoformat())
    c = r["counts"]
    print(
        f"\n(a) compute only, {c['loans']:,} loans, {c['installments']:,} installments, {c['payments']:,} payments"
    )
    print(f"  read Parquet         {r['read_s']:7.2f} s")
    print(f"  kernel warm-up       {r['warm_up_s']:7.2f} s  (Numba cache load, 100 loans; not counted)")
    print(f"  close_days           {r['compute_s']:7.2f} s  {c['loans'] / r['compute_s']:>10,.0f} loans/s")
    for step, seconds in r["timings"].items():
        print(f"    {step:<18} {seconds:7.2f} s")
    print(
        f"    {'(not in steps)':<18} {r['compute_s'] - sum(r['timings'].values()):7.2f} s  (conform, prepare)"
    )
    print(f"  state_as_of (D only) {r['one_day_s']:7.2f} s  {c['loans'] / r['one_day_s']:>10,.0f} loans/s")
    print("    " + ", ".join(f"{step} {seconds:.2f} s" for step, seconds in r["one_day_timings"].items()))
    print(f"  peak memory          {mib(r['peak_mib'])} (read + close_days)")
    print(f"  {r['status']:,} loans closed, {r['problems']:,} skipped (problems), {r['changes']:,} changes")
    return r


def compute_scaled(parquet: Path, as_of: dt.date, copies: int) -> dict[str, Any]:
    """(b) The 1M partition replicated `copies` times on disk, then closed partition by partition."""
    clock = time.perf_counter()
    parts = data.replicate(parquet, parquet.parent / f"x{copies}", copies)
    print(
        f"\n(b) {copies} partitions ready in {time.perf_counter() - clock:.1f} s (cached after the first run)"
    )
    r = run_child("partitions", directories=[str(p) for p in parts], as_of=as_of.isoformat())
    read = sum(p["read_s"] for p in r["parts"])
    closed = sum(p["compute_s"] for p in r["parts"])
    print(
        f"  {r['loans']:,} loans in {r['total_s']:.1f} s ({r['loans'] / r['total_s']:,.0f} loans/s): read {read:.1f} s,"
    )
    print(f"  close_days {closed:.1f} s; slowest partition {max(p['compute_s'] for p in r['parts']):.2f} s;")
    print(f"  peak memory {mib(r['peak_mib'])}")
    return r


def _print_comparison(found: dict[str, Any]) -> None:
    print(
        f"  compared {found['compared']:,} loans (+{found['skipped']:,} skipped): {found['mismatches']:,} differ"
    )
    if found["mismatches"]:
        print(f"    by field: {found['mismatch_by_field']}")
    for row in found["mismatch_rows"]:
        print(f"    MISMATCH {row}")
    for row in found["problem_mismatches"]:
        print(f"    SKIP MISMATCH {row}")


def pandas_baseline(
    parquet: Path, as_of: dt.date, loans: int, stress_loans: int, full: int
) -> dict[str, Any]:
    """(c) pandas_cob and the partition function on the same loans: times, ratio, and every loan compared."""
    r = run_child(
        "pandas", directory=str(parquet), as_of=as_of.isoformat(), loans=loans, stress_loans=stress_loans
    )
    print(
        f"\n(c) pandas baseline, {r['loans']:,} loans ({r['installments']:,} installments, {r['payments']:,} payments)"
    )
    print(
        f"  pandas groupby-apply      {r['pandas_s']:8.2f} s  → {r['pandas_s'] * full / r['loans']:,.0f} s for {full:,}"
    )
    print(
        f"  ours, state_as_of (1 day) {r['ours_one_day_s']:8.2f} s  ({r['pandas_s'] / r['ours_one_day_s']:,.0f}x)"
    )
    print(
        f"  ours, close_days (D-1, D) {r['ours_close_s']:8.2f} s  ({r['pandas_s'] / r['ours_close_s']:,.0f}x)"
    )
    _print_comparison(r)
    print(f"  again on {stress_loans:,} of them with compound interest, fees and grace days:")
    _print_comparison(r["stressed"])
    return r


# --- (d) end to end ----------------------------------------------------------------------------------------------


def _tree_rss_kib(root: int) -> int:
    """Resident memory of `root` and its descendants (KiB), from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
            children.setdefault(int(fields[1]), []).append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def timed(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run `command`; wall time, output, and peak memory of its process tree (sampled every 0.2 s)."""
    peak = 0
    clock = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, cwd=HERE.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    result: dict[str, str] = {}
    readers = [
        threading.Thread(target=lambda name=name, stream=stream: result.update({name: stream.read()}))
        for name, stream in (("out", process.stdout), ("err", process.stderr))
    ]
    for reader in readers:
        reader.start()
    while process.poll() is None:
        peak = max(peak, _tree_rss_kib(process.pid))
        time.sleep(0.2)
    for reader in readers:
        reader.join()
    seconds = time.perf_counter() - clock
    if process.returncode:
        raise SystemExit(
            f"{' '.join(command)} failed ({process.returncode}):\n{result.get('err', '')[-3000:]}"
        )
    return {"seconds": seconds, "out": result.get("out", ""), "peak_mib": peak / 1024}


def _imported_loans(url: str) -> int:
    """Loans in the bench database (0 when it or the table does not exist)."""
    try:
        if url.startswith("sqlite"):
            with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
                return conn.execute("SELECT count(*) FROM portfolio_loan").fetchone()[0]
        out = subprocess.run(
            ["psql", *PG_HOST, "-d", PG_BENCH_DB, "-tAc", "SELECT count(*) FROM portfolio_loan"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return int(out.stdout.strip())
    except (sqlite3.Error, subprocess.CalledProcessError, ValueError):
        return 0


def _first_closed(url: str) -> dt.date | None:
    """The first date any successful close covered (the history opens there), None before the first close."""
    sql = "SELECT min(from_date) FROM batch_cobrun WHERE status = 'succeeded'"
    try:
        if url.startswith("sqlite"):
            with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
                value = conn.execute(sql).fetchone()[0]
        else:
            out = subprocess.run(
                ["psql", *PG_HOST, "-d", PG_BENCH_DB, "-tAc", sql], capture_output=True, text=True
            )
            value = out.stdout.strip()
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except (sqlite3.Error, ValueError):
        return None


def _fresh_database(url: str) -> None:
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    for sql in (f"DROP DATABASE IF EXISTS {PG_BENCH_DB}", f"CREATE DATABASE {PG_BENCH_DB}"):
        subprocess.run(["psql", *PG_HOST, "-d", "postgres", "-c", sql], check=True, capture_output=True)


def end_to_end(portfolio: Path, as_of: dt.date, loans: int, backends: list[str]) -> dict[str, Any]:
    """(d) End-to-end `arrears cob` on SQLite and PostgreSQL, 1M loans: the generated portfolio imported once with
    `arrears import` (kept under bench/out/cob/ for reruns), the history opened the day before, then the close
    of `as_of` timed as an operator runs it."""
    help_text = subprocess.run([ARREARS, "cob", "--help"], capture_output=True, text=True, cwd=HERE.parent)
    if help_text.returncode:
        print("\n(d) skipped: `arrears cob` does not exist yet")
        return {}
    urls = {
        "sqlite": f"sqlite:///{data.OUT / 'db' / (portfolio.name + '.sqlite3')}",
        "postgres": f"postgresql://postgres@127.0.0.1:5432/{PG_BENCH_DB}",
    }
    results = {}
    for backend in backends:
        url = urls[backend]
        env = {**os.environ, "DATABASE_URL": url, "ARREARS_VAR_DIR": str(data.OUT / "var")}
        (data.OUT / "var").mkdir(parents=True, exist_ok=True)
        entry: dict[str, Any] = {}
        if _imported_loans(url) != loans:
            _fresh_database(url)
            subprocess.run([ARREARS, "migrate", "-v", "0"], env=env, cwd=HERE.parent, check=True)
            entry["import"] = timed([ARREARS, "import", str(portfolio / "csv"), "--json"], env)
            print(f"\n(d) {backend}: imported {loans:,} loans in {entry['import']['seconds']:.0f} s")
        subprocess.run([ARREARS, "migrate", "-v", "0"], env=env, cwd=HERE.parent, check=True)
        first = _first_closed(url)
        if first is None or first >= as_of:
            # The first close opens the history (every loan's state recorded): open it the day before, so that
            # the close timed below is an ordinary nightly one.
            day_before = (as_of - dt.timedelta(days=1)).isoformat()
            opened = timed([ARREARS, "cob", "--as-of", day_before, "--workers", "2", "--json"], env)
            entry["opening"] = opened
            print(f"\n(d) {backend}: opening close of {day_before}: {opened['seconds']:.1f} s")
        run = timed([ARREARS, "cob", "--as-of", as_of.isoformat(), "--workers", "2", "--json"], env)
        entry["cob"] = run
        report = entry["report"] = json.loads(run["out"])
        closed = report.get("loans", loans)
        print(f"\n(d) {backend}: `arrears cob --workers 2`, {closed:,} active loans: {run['seconds']:.1f} s wall, "
              f"{closed / run['seconds']:,.0f} loans/s, peak memory {mib(run['peak_mib'])} (process tree)")  # fmt: skip
        print(
            "  steps as the run records them (read … changes summed over partitions, so over both workers):"
        )
        for step in report.get("steps", []):
            print(f"    {step['step']:<16} {step['seconds']:8.2f} s  ({step['rows']:,} rows)")
        print(f"  skipped {report.get('skipped')}, changes {report.get('changes')}")
        results[backend] = entry
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 11, 29))
    parser.add_argument("--scale-to", type=int, default=10_000_000, help="loans for (b)")
    parser.add_argument("--skip-10m", action="store_true", help="skip (b)")
    parser.add_argument("--skip-pandas", action="store_true", help="skip (c)")
    parser.add_argument("--pandas-loans", type=int, default=20_000)
    parser.add_argument(
        "--stress-loans", type=int, default=5_000, help="loans compared again with compound etc."
    )
    parser.add_argument("--skip-e2e", action="store_true", help="skip (d)")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--only-e2e", action="store_true", help="run (d) alone")
    args = parser.parse_args()

    portfolio = prepare(args.loans, args.seed, args.as_of)
    parquet = portfolio / "parquet"
    revision = subprocess.run(
        ["git", "describe", "--always", "--dirty"], capture_output=True, text=True, cwd=HERE
    )
    results: dict[str, Any] = {"as_of": args.as_of.isoformat(), "loans": args.loans, "seed": args.seed}
    results["revision"] = revision.stdout.strip()
    print(
        f"revision {results['revision']}, load average {os.getloadavg()[0]:.2f} (other work slows every figure)"
    )
    if not args.only_e2e:
        results["compute"] = compute(parquet, args.as_of)
        if not args.skip_10m:
            results["scaled"] = compute_scaled(parquet, args.as_of, max(1, args.scale_to // args.loans))
        if not args.skip_pandas:
            results["pandas"] = pandas_baseline(
                parquet, args.as_of, args.pandas_loans, args.stress_loans, args.loans
            )
    if not args.skip_e2e:
        backends = [
            b for b, skip in (("sqlite", args.skip_sqlite), ("postgres", args.skip_postgres)) if not skip
        ]
        results["e2e"] = end_to_end(portfolio, args.as_of, args.loans, backends)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    (data.OUT / f"results-{stamp}.json").write_text(json.dumps(results, indent=2, default=str))
    print(f"\nresults: {data.OUT / f'results-{stamp}.json'}; children's peak memory max "
          f"{mib(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)}")  # fmt: skip
    checks = [results.get("pandas", {}), results.get("pandas", {}).get("stressed", {})]
    if any(c.get("mismatches") or c.get("problem_mismatches") for c in checks):
        raise SystemExit("pandas and the partition function disagree: see the MISMATCH lines above")


if __name__ == "__main__":
    main()
