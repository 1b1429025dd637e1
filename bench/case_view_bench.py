"""Case pages at scale (issue 5): the case view, the queue and (when it exists) the workbench on 1M cases.

Goal of issue 5: the case view renders in < 150 ms with a 1M-case database.

1. Build (or, with --reuse, keep) a database of N cases (default 1,000,000) and what surrounds them: borrowers,
   loans and their `LoanStatus`, notes, follow-ups and a few million audit events (see `_case_data.py`), set-based
   in SQL. PostgreSQL: the database `arrears_bench_cases` on 127.0.0.1:5432 (created and dropped by this bench,
   never another one); SQLite: /tmp/arrears_bench_cases.sqlite3. The schema comes from `arrears migrate`.
2. Time full requests through Django's test client (middleware, session, view, template; DEBUG off), logged in as
   a manager and as the collector the case is assigned to: GET /cases/<id>/ for --samples random cases with a
   10–30 event timeline, --rounds times each after a warm-up; the queue /cases/ (first page, a page 80 % down the
   list, a search by borrower ID and by loan ID, a stage + bucket filter) as manager, team lead and collector;
   /cases/workbench/ when it exists. Median, p95 and max in ms, and the SQL queries of one render (count, and time
   of execute + fetch).
3. With --profile, or when a page's median is over 150 ms: the slowest queries of that page with their plans
   (EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL, EXPLAIN QUERY PLAN on SQLite), the time spent in each template
   (exclusive and inclusive) and the project's functions by cumulative time (cProfile).

Run: .venv/bin/python bench/case_view_bench.py [--backend postgres|sqlite|both] [--cases 1000000] [--reuse]
     [--samples 50] [--rounds 3] [--page-runs 5] [--profile] [--only case|queue|workbench]
     [--pg-database arrears_bench_cases_…] [--sqlite-path /tmp/arrears_bench_cases_….sqlite3]
To try a change on a copy: CREATE DATABASE arrears_bench_cases_fix TEMPLATE arrears_bench_cases, then run the
changed tree (e.g. PYTHONPATH=<copy>/src) with --pg-database arrears_bench_cases_fix --reuse.
Figures go to stdout and bench/out/cases/results-<backend>.json.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import random
import re
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
OUT = HERE / "out" / "cases"
ARREARS = str(Path(sys.executable).with_name("arrears"))
PG_DB = "arrears_bench_cases"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
SQLITE_PATH = Path("/tmp/arrears_bench_cases.sqlite3")
DATA_VERSION = 1  # bump when _case_data changes what it builds
GOAL_MS = 150.0


def database_url(backend: str) -> str:
    return f"{PG_SERVER}/{PG_DB}" if backend == "postgres" else f"sqlite:///{SQLITE_PATH}"


def use_database(name: str, sqlite_path: str) -> None:
    """Another database of this bench (e.g. a copy to try a change on): never anyone else's."""
    global PG_DB, SQLITE_PATH
    if not name.startswith("arrears_bench_cases"):
        raise SystemExit(f"--pg-database must start with arrears_bench_cases (got {name!r})")
    path = Path(sqlite_path)
    if not (path.name.startswith("arrears_bench_cases") and path.suffix == ".sqlite3"):
        raise SystemExit(
            f"--sqlite-path must name an arrears_bench_cases….sqlite3 file (got {sqlite_path!r})"
        )
    PG_DB, SQLITE_PATH = name, path


def load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


# ------------------------------------------------------------------------------------------------- the database


def read_meta(backend: str) -> dict[str, Any] | None:
    """What the last build recorded, or None when there is no complete build."""
    try:
        if backend == "postgres":
            import psycopg

            with psycopg.connect(database_url(backend), connect_timeout=5) as conn:
                row = conn.execute("SELECT value FROM bench_case_meta WHERE key = 'build'").fetchone()
        else:
            if not SQLITE_PATH.exists():
                return None
            with sqlite3.connect(SQLITE_PATH) as conn:
                row = conn.execute("SELECT value FROM bench_case_meta WHERE key = 'build'").fetchone()
    except Exception:
        return None
    return json.loads(row[0]) if row else None


def fresh_database(backend: str) -> None:
    if backend == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    # never anyone else's database (CI's `test`, other benches')
    assert PG_DB.startswith("arrears_bench_cases"), PG_DB
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
        conn.execute(f"CREATE DATABASE {PG_DB}")


def migrate(env: dict[str, str]) -> float:
    clock = time.perf_counter()
    subprocess.run([ARREARS, "migrate", "-v", "0"], env=env, cwd=HERE.parent, check=True)
    return time.perf_counter() - clock


def vacuum(backend: str) -> None:
    """After migrations on a reused PostgreSQL database: a data migration's UPDATE of the open cases (0006's
    `action_due`) leaves their pages not all-visible, and an index-only scan of the queue then reads the heap
    (a deep page 2.9 s instead of 44 ms) until autovacuum gets there."""
    if backend != "postgres":
        return
    import psycopg

    assert PG_DB.startswith("arrears_bench_cases"), PG_DB
    clock = time.perf_counter()
    with psycopg.connect(f"{PG_SERVER}/{PG_DB}", autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) cases_case")
    print(f"  VACUUM (ANALYZE) cases_case: {time.perf_counter() - clock:.1f} s")


def prepare(args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    """The database with N cases: reused when --reuse and a complete build of the same size exists."""
    meta = read_meta(args.backend)
    wanted = {"cases": args.cases, "version": DATA_VERSION}
    if args.reuse and meta and all(meta.get(k) == v for k, v in wanted.items()):
        print(f"reusing the {args.backend} database built {meta['built']} ({args.cases:,} cases)")
        try:
            migrate(env)  # migrations added since (an index, say) apply to the reused database
            vacuum(args.backend)
        except subprocess.CalledProcessError:
            print(
                "  the tree's migrations no longer match the database's (renamed or edited since): rebuilding"
            )
        else:
            _setup_django()
            return meta
    print(f"building the {args.backend} database with {args.cases:,} cases …")
    clock = time.perf_counter()
    fresh_database(args.backend)
    migrated = migrate(env)
    print(f"  migrate: {migrated:.1f} s")
    _setup_django()
    import _case_data as data
    from django.db import connection

    built = data.build(args.cases)
    meta = {**wanted, "built": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "seconds": round(time.perf_counter() - clock, 1), **built, "peak_mib": peak_mib(),
            "load": load()}  # fmt: skip
    with connection.cursor() as cur:
        cur.execute("CREATE TABLE bench_case_meta (key varchar(20) PRIMARY KEY, value text)")
        cur.execute(
            "INSERT INTO bench_case_meta VALUES ('build', %s)", [json.dumps(meta, ensure_ascii=False)]
        )
    print(f"built in {meta['seconds']:.0f} s: " + ", ".join(f"{k} {v:,}" for k, v in meta["counts"].items()))
    return meta


def _setup_django() -> None:
    import django

    django.setup()


def peak_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# ------------------------------------------------------------------------------------------------- measuring


def stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return {"n": len(values), "median": round(statistics.median(values), 1), "p95": round(p95, 1),
            "max": round(ordered[-1], 1), "min": round(ordered[0], 1)}  # fmt: skip


def _shape(sql: str) -> str:
    """A query with its literals taken out, to group the same query over different cases."""
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"\b\d+(\.\d+)?\b", "?", sql)
    sql = re.sub(r"\(\?(, \?)+\)", "(…)", sql)
    return re.sub(r"\s+", " ", sql).strip()


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        from django.test import Client

        from arrears.accounts.models import Role, User

        self.args = args
        self.rng = random.Random(args.seed)
        self.users = {u.pk: u for u in User.objects.all()}
        self.manager = User.objects.get(username="mgr1")
        self.lead = User.objects.filter(role=Role.TEAM_LEAD).order_by("username").first()
        self._clients: dict[int, Client] = {}
        self.results: dict[str, Any] = {}
        self.slow: list[tuple[str, str, Any]] = []  # (label, url, user) of pages over the goal

    def client(self, user: Any) -> Any:
        from django.test import Client

        if user.pk not in self._clients:
            client = Client()
            client.force_login(user)
            self._clients[user.pk] = client
        return self._clients[user.pk]

    def get(self, user: Any, url: str) -> tuple[float, int]:
        client = self.client(user)
        clock = time.perf_counter()
        response = client.get(url)
        ms = (time.perf_counter() - clock) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} as {user.username}: HTTP {response.status_code}")
        return ms, len(response.content)

    def queries(self, user: Any, url: str) -> dict[str, Any]:
        """One render with its queries recorded: count, summed SQL time, each query (as run) and its time, timed
        here with perf_counter (Django's own log rounds to whole milliseconds) over the execute and the fetching
        of its rows (SQLite does its work while rows are fetched)."""
        from django.db import connection
        from django.db.backends.utils import CursorWrapper

        listed: list[list[Any]] = []
        last: dict[int, list[Any]] = {}  # the entry of each cursor's latest query

        def record(execute: Any, sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
            clock = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                ms = (time.perf_counter() - clock) * 1000
                try:
                    text = connection.ops.last_executed_query(context["cursor"], sql, params)
                except Exception:
                    text = sql
                listed.append([str(text), ms])
                last[id(context["cursor"])] = listed[-1]

        def timed(name: str) -> Any:
            def fetch(self: Any, *args: Any) -> Any:
                clock = time.perf_counter()
                try:
                    return getattr(self.cursor, name)(*args)
                finally:
                    if (entry := last.get(id(self))) is not None:
                        entry[1] += (time.perf_counter() - clock) * 1000

            return fetch

        names = ("fetchone", "fetchmany", "fetchall")
        client = self.client(user)
        for name in names:
            setattr(CursorWrapper, name, timed(name))
        try:
            with connection.execute_wrapper(record):
                clock = time.perf_counter()
                client.get(url)
                total = (time.perf_counter() - clock) * 1000
        finally:
            for name in names:
                delattr(CursorWrapper, name)
        return {"count": len(listed), "sql_ms": round(sum(t for _, t in listed), 1), "total_ms": round(total, 1),
                "queries": [(sql, ms) for sql, ms in listed]}  # fmt: skip

    # --- the case view

    def case_view(self) -> None:
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute(
                "SELECT id, assigned_to_id FROM cases_case WHERE id %% %s = %s AND status <> 'closed' "
                "AND assigned_to_id IS NOT NULL ORDER BY id",
                [50, 7],
            )
            candidates = cur.fetchall()
        chosen = self.rng.sample(candidates, self.args.samples + 10)
        warm, sample = chosen[:10], chosen[10:]
        for case_id, owner in warm:
            self.get(self.manager, f"/cases/{case_id}/")
            self.get(self.users[owner], f"/cases/{case_id}/")
        times: dict[str, list[float]] = {"manager": [], "collector": []}
        first: dict[str, list[float]] = {"manager": [], "collector": []}
        sizes = []
        for round_ in range(self.args.rounds):
            order = sample[:]
            self.rng.shuffle(order)
            for case_id, owner in order:
                for role, user in (("manager", self.manager), ("collector", self.users[owner])):
                    ms, size = self.get(user, f"/cases/{case_id}/")
                    times[role].append(ms)
                    if round_ == 0:
                        first[role].append(ms)
                    sizes.append(size)
        captured: dict[str, list[dict[str, Any]]] = {"manager": [], "collector": []}
        for case_id, owner in sample:
            captured["manager"].append(self.queries(self.manager, f"/cases/{case_id}/"))
            captured["collector"].append(self.queries(self.users[owner], f"/cases/{case_id}/"))
        with connection.cursor() as cur:
            ids = [c for c, _ in sample]
            cur.execute(
                "SELECT COUNT(*) FROM audit_auditevent WHERE object_type = 'Case' AND object_id IN ("
                + ", ".join(["%s"] * len(ids))
                + ")",
                [str(i) for i in ids],
            )
            events = cur.fetchone()[0]
        print(f"\nCase view GET /cases/<id>/: {len(sample)} cases (timelines of 10–30 events, {events / len(sample):.1f} "
              f"on average), {self.args.rounds} rounds, page {statistics.median(sizes) / 1024:.0f} KiB")  # fmt: skip
        for role in ("manager", "collector"):
            all_ = stats(times[role])
            q = captured[role]
            entry = {"all": all_, "first_round": stats(first[role]),
                     "queries": sorted({c["count"] for c in q}),
                     "sql_ms_median": round(statistics.median(c["sql_ms"] for c in q), 1)}  # fmt: skip
            self.results[f"case view, {role}"] = entry
            print(f"  {role:<9}  median {all_['median']:6.1f} ms  p95 {all_['p95']:6.1f}  max {all_['max']:6.1f}  "
                  f"(first round: median {entry['first_round']['median']:.1f}, max {entry['first_round']['max']:.1f})"
                  f"  queries {'/'.join(map(str, entry['queries']))}, SQL {entry['sql_ms_median']} ms")  # fmt: skip
            if all_["median"] > GOAL_MS or self.args.profile:
                case_id, owner = sample[0]
                self.slow.append((f"case view, {role}", f"/cases/{case_id}/",
                                  self.manager if role == "manager" else self.users[owner]))  # fmt: skip
        self._top_queries("case view, manager", captured["manager"])
        self._top_queries("case view, collector", captured["collector"])

    def _top_queries(self, label: str, captured: list[dict[str, Any]], top: int = 6) -> None:
        by_shape: dict[str, list[float]] = defaultdict(list)
        for render in captured:
            for sql, ms in render["queries"]:
                by_shape[_shape(sql)].append(ms)
        renders = len(captured)
        rows = sorted(by_shape.items(), key=lambda kv: -sum(kv[1]))
        self.results[label]["top_queries"] = [
            {"per_render": round(len(t) / renders, 2), "mean_ms": round(statistics.mean(t), 2),
             "max_ms": round(max(t), 2), "sql": s[:400]} for s, t in rows[:top]
        ]  # fmt: skip
        print(f"  {label}: where the SQL time goes (per render: count × mean)")
        for shape, t in rows[:top]:
            print(
                f"    {len(t) / renders:4.1f} × {statistics.mean(t):6.2f} ms (max {max(t):6.1f})  {shape[:150]}"
            )

    # --- the queue and the workbench

    def pages(self, what: str) -> None:
        from django.core.cache import cache
        from django.db import connection
        from django.urls import Resolver404, resolve

        from arrears.cases.views import PAGE_SIZE

        if what == "workbench":
            try:
                resolve("/cases/workbench/")
            except Resolver404:
                print("\n/cases/workbench/: not there yet (404), skipped")
                self.results["workbench"] = "absent"
                return
        with connection.cursor() as cur:
            cur.execute("SELECT id, borrower_id, loan_ids, assigned_to_id FROM cases_case WHERE status <> 'closed' "
                        "AND assigned_to_id IS NOT NULL AND id %% %s = 1 ORDER BY id", [97])  # fmt: skip
            some = cur.fetchall()
        _, borrower, loan_ids, owner = self.rng.choice(some)
        loans = json.loads(loan_ids) if isinstance(loan_ids, str) else loan_ids
        collector = self.users[owner]
        who = [("manager", self.manager), ("team lead", self.lead), ("collector", collector)]
        print(f"\n{'Queue /cases/' if what == 'queue' else 'Workbench /cases/workbench/'} "
              f"({self.args.page_runs} renders each after one warm-up)")  # fmt: skip
        for role, user in who:
            if what == "queue":
                from arrears.cases.selectors import visible_cases

                open_count = visible_cases(user).exclude(status="closed").count()
                deep = max(1, int(open_count / PAGE_SIZE * 0.8))
                urls = [("first page", "/cases/"), (f"page {deep:,} of {-(-open_count // PAGE_SIZE):,}",
                        f"/cases/?page={deep}"), ("search borrower ID", f"/cases/?q={borrower}"),
                        ("search loan ID", f"/cases/?q={loans[0]}")]  # fmt: skip
                if role != "collector":
                    urls.append(("filter stage + bucket", "/cases/?stage=negotiating&bucket=M3"))
            else:
                # a lead's or manager's figures are kept a minute in the cache (views.OVERVIEW_SECONDS): the
                # renders that find them, and renders after the cache is emptied (its first render of a minute)
                urls = [("workbench", "/cases/workbench/")]
                if role != "collector":
                    urls.append(("workbench, not cached", "/cases/workbench/"))
            for name, url in urls:
                label = f"{what} {name}, {role}"
                fresh = name.endswith("not cached")

                def render(user: Any = user, url: str = url, fresh: bool = fresh) -> float:
                    if fresh:
                        cache.clear()
                    return float(self.get(user, url)[0])

                render()
                times = [render() for _ in range(self.args.page_runs)]
                if fresh:
                    cache.clear()
                q = self.queries(user, url)
                s = stats(times)
                self.results[label] = {**s, "url": url, "queries": q["count"], "sql_ms": q["sql_ms"]}
                flag = "  > 150 ms" if s["median"] > GOAL_MS else ""
                print(f"  {role:<9} {name:<26} median {s['median']:7.1f} ms  p95 {s['p95']:7.1f}  "
                      f"max {s['max']:7.1f}  queries {q['count']:2d}, SQL {q['sql_ms']:7.1f} ms{flag}")  # fmt: skip
                if s["median"] > GOAL_MS or self.args.profile:
                    self.slow.append((label, url, user))

    # --- profiling

    def profile(self) -> None:
        from django.db import connection

        if not self.slow:
            return
        print(f"\nProfile of the pages over {GOAL_MS:.0f} ms (or all with --profile)")
        explained: set[str] = set()
        self.results["profile"] = {}
        for label, url, user in self.slow:
            q = self.queries(user, url)
            slowest = sorted(q["queries"], key=lambda x: -x[1])[:3]
            client = self.client(user)
            templates = template_times(lambda: client.get(url))  # noqa: B023
            prof = cProfile.Profile()
            prof.enable()
            client.get(url)
            prof.disable()
            print(
                f"\n== {label}  {url}  ({q['total_ms']:.0f} ms, {q['count']} queries, SQL {q['sql_ms']:.0f} ms)"
            )
            entry: dict[str, Any] = {"total_ms": q["total_ms"], "sql_ms": q["sql_ms"], "slowest": []}
            for sql, ms in slowest:
                print(f"-- {ms:.1f} ms: {sql[:600]}")
                plan = ""
                if _shape(sql) not in explained and ms > 5:
                    explained.add(_shape(sql))
                    plan = self._explain(connection, sql)
                    print("\n".join("   " + line for line in plan.splitlines()))
                entry["slowest"].append({"ms": round(ms, 1), "sql": sql[:2000], "plan": plan})
            print("   templates (exclusive ms, inclusive ms, renders):")
            for name, (inclusive, exclusive, calls) in sorted(templates.items(), key=lambda kv: -kv[1][1])[
                :8
            ]:
                print(f"     {exclusive * 1000:7.1f} {inclusive * 1000:7.1f} {calls:5d}  {name}")
            entry["templates"] = {
                k: [round(v[0] * 1000, 2), round(v[1] * 1000, 2), v[2]] for k, v in templates.items()
            }
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(r"src/arrears", 14)
            text = out.getvalue()
            body = text[text.find("ncalls") :] if "ncalls" in text else text
            print("   the project's functions (cProfile, cumulative s):")
            print("\n".join("   " + line for line in body.strip().splitlines()))
            entry["cprofile"] = body[:6000]
            self.results["profile"][label] = entry

    @staticmethod
    def _explain(connection: Any, sql: str) -> str:
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
        if not sql.lstrip().upper().startswith("SELECT"):
            return "(not a SELECT: not explained)"
        try:
            with connection.cursor() as cur:
                cur.execute(prefix + sql)
                rows = cur.fetchall()
        except Exception as exc:  # a query Django logged with parameters the text cannot carry
            return f"(could not explain: {exc})"
        return "\n".join(" | ".join(str(v) for v in row) for row in rows)


def template_times(render: Any) -> dict[str, list[Any]]:
    """Per template (a page's own, its includes, form widgets): [inclusive s, exclusive s, renders] of `render()`."""
    from django.template import base

    original = base.Template._render
    totals: dict[str, list[Any]] = defaultdict(lambda: [0.0, 0.0, 0])
    stack: list[list[float]] = []

    def timed(self: Any, context: Any) -> Any:
        name = getattr(self.origin, "template_name", None) or "?"
        stack.append([0.0])
        clock = time.perf_counter()
        try:
            return original(self, context)
        finally:
            elapsed = time.perf_counter() - clock
            children = stack.pop()[0]
            entry = totals[str(name)]
            entry[0] += elapsed
            entry[1] += elapsed - children
            entry[2] += 1
            if stack:
                stack[-1][0] += elapsed

    base.Template._render = timed  # type: ignore[method-assign]
    try:
        render()
    finally:
        base.Template._render = original  # type: ignore[method-assign]
    return dict(totals)


def run(args: argparse.Namespace) -> dict[str, Any]:
    OUT.mkdir(parents=True, exist_ok=True)
    url = database_url(args.backend)
    env = {**os.environ, "DATABASE_URL": url, "ARREARS_DEBUG": "false", "ARREARS_VAR_DIR": str(OUT / "var"),
           "DJANGO_SETTINGS_MODULE": "arrears.settings"}  # fmt: skip
    os.environ.update(env)
    meta = prepare(args, env)
    bench = Bench(args)
    before = load()
    clock = time.perf_counter()
    if args.only in (None, "case"):
        bench.case_view()
    if args.only in (None, "queue"):
        bench.pages("queue")
    if args.only in (None, "workbench"):
        bench.pages("workbench")
    bench.profile()
    after = load()
    from django.db import connection

    result = {"backend": args.backend, "database": connection.vendor, "server": _server(connection),
              "date": dt.date.today().isoformat(), "build": meta, "load_before": before, "load_after": after,
              "seconds": round(time.perf_counter() - clock, 1), "peak_mib": peak_mib(),
              "results": bench.results}  # fmt: skip
    (OUT / f"results-{args.backend}.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=1, default=str)
    )
    print(
        f"\nload before: {before}\nload after:  {after}\npeak memory of the bench process: {peak_mib():,.0f} MiB"
    )
    return result


def _server(connection: Any) -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT version()" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
        return str(cur.fetchone()[0])[:60]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["postgres", "sqlite", "both"], default="postgres")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep a complete build of the same size")
    parser.add_argument(
        "--samples", type=int, default=50, help="cases opened (each by manager and collector)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="renders of each sampled case per user")
    parser.add_argument("--page-runs", type=int, default=5, help="renders of each queue/workbench URL")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--sqlite-path",
        default=str(SQLITE_PATH),
        help="SQLite file (…/arrears_bench_cases….sqlite3), e.g. a copy",
    )
    parser.add_argument(
        "--pg-database",
        default=PG_DB,
        help="PostgreSQL database (arrears_bench_cases…), e.g. a copy made with "
        "CREATE DATABASE arrears_bench_cases_fix TEMPLATE arrears_bench_cases to try a change on",
    )
    parser.add_argument("--profile", action="store_true", help="plans and cProfile for every page")
    parser.add_argument("--only", choices=["case", "queue", "workbench"])
    args = parser.parse_args()
    use_database(args.pg_database, args.sqlite_path)
    if args.backend == "both":
        for backend in ("postgres", "sqlite"):
            argv = [a for a in sys.argv[1:] if a != "--backend=both"]
            if "--backend" in argv:
                del argv[argv.index("--backend") : argv.index("--backend") + 2]
            argv += ["--backend", backend]
            subprocess.run([sys.executable, __file__, *argv], check=True)
        return
    run(args)


if __name__ == "__main__":
    main()
