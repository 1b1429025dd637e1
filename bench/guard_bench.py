"""Compliance guard bench: how long `guard.decide` takes with a realistic history (issue 6: "well under a
millisecond"; target ~10–50 µs).

The history: D debts (default 10,000) of B borrowers (~1.25 debts each), each with one or two own numbers, an email
address, a home address, a guarantor on a third of them and a couple of third parties; C prior contacts (default
200,000) spread over the 7 days before 2026-11-30 inside contact hours (calls 70 %, SMS, email, chat, letters,
visits; outcomes as a collection floor sees them: most calls unanswered), recorded into a `guard.History` per pack.

The attempts: N (default 100,000) random attempts on 2026-11-30 between 06:00 and 23:59 local time (+08:00; a
tenth in −05:00), every channel and party, a tenth with a hold on the borrower (a fifth of them the soft payment
plan), some with consent. Each pack (cn-cba-2026, us-regf, house) decides every attempt against the same history:

(1) latency: each decision timed alone (perf_counter_ns; its ~0.1 µs overhead included): p50, p90, p99, max;
(2) throughput: the N decisions in one loop, best of 3: decisions per second, mean µs per decision;
(3) replay: decide and record the allowed ones (what `arrears compliance simulate` does);
(4) building the history: µs per recorded contact.

With `--db` it also times `compliance.services.check` as the application calls it (dry run: loan, pack in force,
holds, consents and the history rebuilt from the ledger, then the decision) on a scratch SQLite database
(bench/out/guard/guard.sqlite3) holding the same 200k contacts in the ledger.

Run: .venv/bin/python bench/guard_bench.py [--debts 10000] [--contacts 200000] [--attempts 100000] [--db]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "guard"
DAY = dt.date(2026, 11, 30)
CN = dt.timezone(dt.timedelta(hours=8))
NY = dt.timezone(dt.timedelta(hours=-5))


def setup_django(db: bool) -> None:
    if db:
        OUT.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{OUT / 'guard.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arrears.settings")
    import django

    django.setup()


# --- data ---------------------------------------------------------------------------------------------------------


def make_book(debts: int, rng: random.Random) -> list[dict[str, Any]]:
    """One dict per debt: its id, borrower, product, numbers and the people around it."""
    book = []
    borrower = 0
    for i in range(debts):
        if i == 0 or rng.random() > 0.2:  # ~1.25 debts per borrower
            borrower += 1
            phones = [f"13{borrower:09d}"] + ([f"15{borrower:09d}"] if rng.random() < 0.4 else [])
            person = {
                "borrower": f"B{borrower:07d}",
                "phones": phones,
                "email": f"b{borrower}@example.com",
                "home": f"北京市朝阳区{borrower}号",
                "third": [f"18{borrower:07d}{k:02d}" for k in range(rng.randint(1, 3))],
                "guarantor": f"17{borrower:09d}" if rng.random() < 0.33 else None,
            }
        book.append({**person, "debt": f"L{i:08d}",
                     "product": "credit_card" if rng.random() < 0.3 else "term_loan"})  # fmt: skip
    return book


CALL_OUTCOMES = ["unanswered"] * 45 + ["busy"] * 8 + ["answered"] * 20 + ["promise_to_pay"] * 6 + ["refused"] * 4 + [
    "invalid_number"] * 4 + ["wrong_party"] * 5 + ["dispute"] * 2 + ["objected"] * 1  # fmt: skip
CHANNELS = ["call"] * 70 + ["sms"] * 14 + ["email"] * 5 + ["chat"] * 5 + ["letter"] * 4 + ["visit"] * 2


def contact(guard: Any, entry: dict[str, Any], at: dt.datetime, rng: random.Random, **kw: Any) -> Any:
    channel = kw.pop("channel", None) or rng.choice(CHANNELS)
    roll = rng.random()
    if roll < 0.8 or (roll < 0.9 and entry["guarantor"] is None):
        party, address = "debtor", {"call": rng.choice(entry["phones"]), "sms": entry["phones"][0],
                                    "email": entry["email"], "chat": entry["phones"][0], "letter": entry["home"],
                                    "visit": entry["home"]}[channel]  # fmt: skip
    elif roll < 0.9:
        party, address = "guarantor", entry["guarantor"]
    else:
        party, address = "third_party", rng.choice(entry["third"])
    outcome = rng.choice(CALL_OUTCOMES) if channel == "call" else rng.choice(["delivered"] * 9 + ["failed"])
    return guard.Attempt(
        at=at, channel=channel, party=party, address=address, debt_id=entry["debt"], debtor=entry["borrower"],
        outcome=outcome, product_type=entry["product"], collectors=rng.choice([1, 2, 2, 2]),
        has_opt_out=rng.random() < 0.9, discloses_debt=party == "third_party" and rng.random() < 0.05,
        **kw,
    )  # fmt: skip


def prior_contacts(guard: Any, book: list[dict[str, Any]], n: int, rng: random.Random) -> list[Any]:
    start = dt.datetime(DAY.year, DAY.month, DAY.day, tzinfo=CN) - dt.timedelta(days=7)
    rows = []
    for _ in range(n):
        day = start + dt.timedelta(days=rng.randrange(7))
        at = day + dt.timedelta(seconds=rng.randrange(9 * 3600, 21 * 3600))
        rows.append(contact(guard, rng.choice(book), at, rng))
    rows.sort(key=lambda a: a.at)
    return rows


def attempts(
    guard: Any, book: list[dict[str, Any]], n: int, rng: random.Random
) -> list[tuple[Any, tuple[Any, ...]]]:
    base = dt.datetime(DAY.year, DAY.month, DAY.day, tzinfo=CN)
    out = []
    for _ in range(n):
        at = base + dt.timedelta(seconds=rng.randrange(6 * 3600, 24 * 3600 - 1))
        if rng.random() < 0.1:
            at = at.astimezone(NY)
        consent = frozenset({"frequency"}) if rng.random() < 0.03 else frozenset()
        attempt = contact(guard, rng.choice(book), at, rng, consent=consent,
                          purpose="reminder" if rng.random() < 0.2 else "")  # fmt: skip
        holds: tuple[Any, ...] = ()
        if rng.random() < 0.1:
            holds = (
                (guard.Hold("payment_plan", soft=True),) if rng.random() < 0.2 else (guard.Hold("dispute"),)
            )
        out.append((attempt, holds))
    return out


# --- measurements ------------------------------------------------------------------------------------------------


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def bench_pack(
    guard: Any, pack: Any, prior: list[Any], tries: list[tuple[Any, tuple[Any, ...]]]
) -> dict[str, Any]:
    history = guard.History(pack)
    t0 = time.perf_counter()
    for row in prior:
        history.record(row)
    build_us = (time.perf_counter() - t0) / len(prior) * 1e6

    decide = guard.decide
    for attempt, holds in tries[:2000]:  # warm up
        decide(pack, attempt, history, holds)
    timings, allowed_timings = [], []
    clock = time.perf_counter_ns
    denied: dict[str, int] = {}
    for attempt, holds in tries:
        start = clock()
        decision = decide(pack, attempt, history, holds)
        took = (clock() - start) / 1000
        timings.append(took)
        if decision.allowed:
            allowed_timings.append(took)  # every check ran
        else:
            denied[decision.rule] = denied.get(decision.rule, 0) + 1
    timings.sort()
    allowed_timings.sort()

    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for attempt, holds in tries:
            decide(pack, attempt, history, holds)
        best = min(best, time.perf_counter() - t0)

    replay_history = guard.History(pack)
    for row in prior:
        replay_history.record(row)
    t0 = time.perf_counter()
    record = replay_history.record
    for attempt, holds in tries:
        if decide(pack, attempt, replay_history, holds).allowed:
            record(attempt)
    replay = time.perf_counter() - t0
    return {
        "build_us": build_us,
        "p50": percentile(timings, 0.50),
        "p90": percentile(timings, 0.90),
        "p99": percentile(timings, 0.99),
        "max": timings[-1],
        "allowed_p50": percentile(allowed_timings, 0.50) if allowed_timings else 0.0,
        "allowed_p99": percentile(allowed_timings, 0.99) if allowed_timings else 0.0,
        "mean": statistics.fmean(timings),
        "per_second": len(tries) / best,
        "loop_us": best / len(tries) * 1e6,
        "replay_per_second": len(tries) / replay,
        "denied": denied,
    }


def bench_db(guard: Any, book: list[dict[str, Any]], prior: list[Any], tries: list[tuple[Any, tuple[Any, ...]]],
             n: int) -> dict[str, Any]:  # fmt: skip
    """`services.check(dry_run=True)` on SQLite with the prior contacts in the ledger."""
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from arrears.compliance import services
    from arrears.compliance.models import ContactLedger
    from arrears.portfolio.models import Borrower, Loan

    db = OUT / "guard.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    with transaction.atomic():
        people = {e["borrower"]: e for e in book}
        Borrower.objects.bulk_create(
            [Borrower(borrower_id=b, name="张三", id_number=f"11010519900101{i:04d}", phone=e["phones"][0])
             for i, (b, e) in enumerate(people.items())], batch_size=5000,
        )  # fmt: skip
        Loan.objects.bulk_create(
            [Loan(loan_id=e["debt"], borrower_id=e["borrower"], lender="A银行", lender_type="bank",
                  product_type=e["product"], principal=1_000_000, annual_rate="0.12", penalty_rate="0.18",
                  contract_date=dt.date(2026, 1, 1), disbursement_date=dt.date(2026, 1, 1),
                  maturity_date=dt.date(2027, 1, 1), repayment_method="equal_installment", installments=12,
                  first_due_date=dt.date(2026, 2, 1)) for e in book], batch_size=5000,
        )  # fmt: skip
        ContactLedger.objects.bulk_create(
            [ContactLedger(at=a.at, utc_offset_minutes=int(a.at.utcoffset().total_seconds() // 60),
                           channel=a.channel, party=a.party, address=a.address, debt_id=a.debt_id,
                           borrower_id=a.debtor, outcome=a.outcome or "", recorded_at=timezone.now())
             for a in prior], batch_size=5000,
        )  # fmt: skip
    load_s = time.perf_counter() - t0
    lenders = {e["debt"]: e["borrower"] for e in book}
    sample = tries[:n]
    for attempt, _holds in sample[:50]:
        services.check(attempt, borrower_id=lenders[attempt.debt_id], lender="", dry_run=True)
    timings = []
    for attempt, _holds in sample:
        start = time.perf_counter_ns()
        services.check(attempt, borrower_id=lenders[attempt.debt_id], lender="", dry_run=True)
        timings.append((time.perf_counter_ns() - start) / 1e6)
    timings.sort()
    return {"migrate_s": migrate_s, "load_s": load_s, "p50": percentile(timings, 0.5),
            "p99": percentile(timings, 0.99), "per_second": len(sample) / (sum(timings) / 1000)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--debts", type=int, default=10_000)
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--attempts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", action="store_true", help="also time services.check on SQLite (dry run)")
    parser.add_argument("--db-checks", type=int, default=2000)
    args = parser.parse_args()
    setup_django(args.db)

    import json

    from django.utils import translation

    from arrears.compliance import guard

    fixtures = Path(guard.__file__).parent / "fixtures"
    packs = {code: guard.parse_pack(json.loads((fixtures / f"{code}.json").read_text())["definition"])
             for code in ("cn-cba-2026", "us-regf", "house")}  # fmt: skip
    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    book = make_book(args.debts, rng)
    prior = prior_contacts(guard, book, args.contacts, rng)
    tries = attempts(guard, book, args.attempts, rng)
    print(f"data: {len(book):,} debts of {len({e['borrower'] for e in book}):,} borrowers, {len(prior):,} prior "
          f"contacts over 7 days, {len(tries):,} attempts ({time.perf_counter() - t0:.1f} s to generate)")  # fmt: skip
    print(f"python {sys.version.split()[0]}, load {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
          f"{os.getloadavg()[2]:.2f}")  # fmt: skip
    with translation.override("en"):
        print(f"{'pack':<12} {'p50 µs':>7} {'p90 µs':>7} {'p99 µs':>7} {'max µs':>8} {'mean µs':>8} "
              f"{'allowed p50/p99':>16} {'decisions/s':>12} {'loop µs':>8} {'replay/s':>10} {'record µs':>9}  "
              "denied")  # fmt: skip
        for code, pack in packs.items():
            r = bench_pack(guard, pack, prior, tries)
            denied = sum(r["denied"].values())
            top = ", ".join(
                f"{k.split('/', 1)[1]} {v:,}"
                for k, v in sorted(r["denied"].items(), key=lambda kv: -kv[1])[:4]
            )
            allowed = f"{r['allowed_p50']:.1f} / {r['allowed_p99']:.1f}"
            print(f"{code:<12} {r['p50']:>7.1f} {r['p90']:>7.1f} {r['p99']:>7.1f} {r['max']:>8.1f} {r['mean']:>8.1f} "
                  f"{allowed:>16} {r['per_second']:>12,.0f} {r['loop_us']:>8.2f} {r['replay_per_second']:>10,.0f} "
                  f"{r['build_us']:>9.2f}  {denied / len(tries):.0%} ({top})")  # fmt: skip
        if args.db:
            r = bench_db(guard, book, prior, tries, args.db_checks)
            print(f"services.check on SQLite (dry run, {args.db_checks:,} checks, {len(prior):,} ledger rows; migrate "
                  f"{r['migrate_s']:.1f} s, load {r['load_s']:.1f} s): p50 {r['p50']:.2f} ms, p99 {r['p99']:.2f} ms, "
                  f"{r['per_second']:,.0f} checks/s")  # fmt: skip


if __name__ == "__main__":
    main()
