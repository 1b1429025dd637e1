"""The case-view bench's database: N collection cases and what surrounds them, written set-based in SQL.

Every value is a function of the row number (a multiplicative hash, no random state), so a build is the same on
PostgreSQL and SQLite and needs no data in Python: each table is one `INSERT … SELECT` over a number series
(`generate_series` on PostgreSQL, a helper table on SQLite), inside `store.bulk_load` (secondary indexes and, on
PostgreSQL, foreign keys dropped during the load and rebuilt in one pass each).

What is built for N cases (defaults for N = 1,000,000):
- 16 teams (two per lender, 8 lenders), 400 collectors (25 a team), 16 team leads, 3 managers
- borrowers: 0.8 N; the other 0.2 N cases are the same borrowers' cases with another lender
- cases: 30 % closed (cured, paid, settled), 70 % open in every stage; 1–3 loans each (60/30/10 %); 0.5 % of the
  open ones unassigned; next action on 60 % of open cases (−10 … +10 days around the business date)
- loans: one per loan id of a case (≈ 1.5 N); `LoanStatus` for each loan not paid off, with three reason codes
- the timeline (audit events on cases): opened and assigned by the close for every case, closed for the closed ones;
  for every 50th case (`RICH_EVERY`) that is open and assigned, 8–28 more events by its collector (notes, follow-ups
  scheduled, stage changes, follow-ups done, with the matching `Note` and `Task` rows): 10–30 events in all
- elsewhere: a note on 20 % of cases, an open follow-up for every other open case with a next action (and their
  audit events); audit noise: 1.0 N `pii.read` events on borrowers and 0.5 N `loan.updated` events on loans
- audit events are inserted in time order (as a live system appends them), so a case's events lie on different
  pages of the table, as they would after months of use
- one succeeded close (`CobRun`) at the business date
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Callable
from typing import Any

AS_OF = dt.date(2026, 11, 29)  # the business date (the latest close)
RICH_EVERY = 50  # every 50th open, assigned case gets a 10–30 event history: the cases the bench opens
RICH_REMAINDER = 7
LENDERS = [
    ("A银行", "bank"), ("B消费金融", "consumer_finance"), ("C小贷", "microloan"), ("D银行", "bank"),
    ("E信托", "amc"), ("F消费金融", "consumer_finance"), ("G银行", "bank"), ("H小贷", "microloan"),
]  # fmt: skip
TEAMS_PER_LENDER = 2
COLLECTORS_PER_TEAM = 25
COLLECTORS_PER_LENDER = TEAMS_PER_LENDER * COLLECTORS_PER_TEAM
MANAGERS = 3
REASONS = ["dpd_31_90", "max_dpd_over_30", "installments_overdue_2_3", "overdue_share_30", "broken_promise",
           "credit_score_low", "other_overdue", "unreachable", "no_collateral", "no_guarantee",
           "dpd_1_30", "dpd_91_180", "never_cured", "single_channel", "stale_appraisal"]  # fmt: skip
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
PROVINCES = [("北京市", "北京市"), ("上海市", "上海市"), ("广东省", "深圳市"), ("浙江省", "杭州市"),
             ("四川省", "成都市"), ("湖北省", "武汉市"), ("江苏省", "南京市"), ("山东省", "济南市")]  # fmt: skip
NOTE_TEXTS = ["电话联系借款人，本人接听，承诺月底前还款", "借款人未接听，已发送短信提醒",
              "联系紧急联系人，告知借款人近期失业", "借款人要求减免罚息，已告知需提交申请",
              "上门走访未遇本人，留下催收函"]  # fmt: skip
TASK_TITLES = ["电话回访", "核实还款承诺", "发送催收函", "联系紧急联系人", "上门走访"]
_MULTIPLIERS = [
    2654435761,
    2246822519,
    3266489917,
    2870177453,
    3144134277,
    2527386001,
    4016976211,
    2453893471,
    3735928559,
    2166136261,
    3456789013,
    2718281829,
    3141592653,
    2236067977,
    2449489743,
    2645751311,
    2828427127,
    3000000019,
    3162277661,
    3316624793,
]  # fmt: skip; all > 2^31, so that products are bigint on PostgreSQL
_PRIME = 2147483647


def h(i: str, salt: int) -> str:
    """A deterministic pseudo-random non-negative integer < 2^31 from the integer expression `i`."""
    return f"((({i}) * {_MULTIPLIERS[salt]} + {salt * 7919 + 13}) % {_PRIME})"


def case_when(expr: str, mapping: list[tuple[str, str]], default: str) -> str:
    return (
        "CASE "
        + " ".join(f"WHEN {expr} {cond} THEN {value}" for cond, value in mapping)
        + f" ELSE {default} END"
    )


def pick(index: str, values: list[str]) -> str:
    """One of `values` (as SQL string literals) chosen by `index` (0 … len − 1)."""
    return "CASE " + " ".join(f"WHEN {index} = {n} THEN {lit(v)}" for n, v in enumerate(values)) + " END"


def lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def cat(*parts: str) -> str:
    """SQL string concatenation of expressions (literals through `lit`)."""
    return "(" + " || ".join(parts) + ")"


class Dialect:
    def __init__(self, vendor: str) -> None:
        self.pg = vendor == "postgresql"

    def seq(self, n: int | str, alias: str = "s") -> str:
        """A derived table `alias` of integers i = 1 … n."""
        if self.pg:
            return f"generate_series(1, {n}) AS {alias}(i)"
        return f"(SELECT i FROM _bench_n WHERE i <= {n}) AS {alias}"

    def day(self, offset: str) -> str:
        """The business date plus `offset` days (an integer expression)."""
        if self.pg:
            return f"(DATE '{AS_OF}' + CAST({offset} AS integer))"
        return f"date('{AS_OF}', CAST({offset} AS TEXT) || ' days')"

    def ts(self, seconds: str) -> str:
        """Midnight UTC of the business date plus `seconds` (an integer expression)."""
        if self.pg:
            return f"(TIMESTAMPTZ '{AS_OF} 00:00:00+00' + ({seconds}) * INTERVAL '1 second')"
        return f"datetime('{AS_OF}', CAST({seconds} AS TEXT) || ' seconds')"

    def json(self, text: str) -> str:
        return f"CAST({text} AS jsonb)" if self.pg else text

    def text(self, expr: str) -> str:
        return f"CAST({expr} AS TEXT)"


def borrower_id(n: str) -> str:
    return f"'B' || CAST(10000000 + {n} AS TEXT)"


def loan_id(case_id: str, j: str) -> str:
    return f"'L' || CAST(30000000 + 3 * ({case_id}) + {j} AS TEXT)"


def loan_count(case_id: str) -> str:
    r = f"{h(case_id, 7)} % 10"
    return f"(1 + CASE WHEN {r} >= 6 THEN 1 ELSE 0 END + CASE WHEN {r} >= 9 THEN 1 ELSE 0 END)"


def bucket(dpd: str) -> str:
    return case_when(dpd, [("<= 0", "'M0'"), ("<= 30", "'M1'"), ("<= 60", "'M2'"), ("<= 90", "'M3'"),
                           ("<= 120", "'M4'"), ("<= 150", "'M5'"), ("<= 180", "'M6'")], "'M7+'")  # fmt: skip


def classification(dpd: str) -> str:
    return case_when(dpd, [("<= 0", "'normal'"), ("<= 90", "'special_mention'"), ("<= 180", "'substandard'"),
                           ("<= 360", "'doubtful'")], "'loss'")  # fmt: skip


def risk_level(score: str) -> str:
    return case_when(score, [(">= 600", "'critical'"), (">= 450", "'high'"), (">= 250", "'medium'")], "'low'")


def opened_seconds(case_id: str) -> str:
    """When the close opened the case: 02:00 Beijing (18:00 UTC) on its opening night, plus a few minutes."""
    age = f"(1 + {h(case_id, 5)} % 700)"
    return f"(-{age} * 86400 - 21600 + ({case_id}) % 1800)"


# ------------------------------------------------------------------------------------------------- the build


def _literal(d: Dialect, value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict | list):
        return d.json(lit(json.dumps(value)))
    if isinstance(value, dt.datetime):
        return lit(value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"))
    if isinstance(value, dt.date):
        return lit(value.isoformat())
    return lit(str(value))


def fill(d: Dialect, sql: str) -> str:
    """`sql` with every NOT NULL column of its table that the INSERT does not name given its model's default (or
    a zero of its type) at the markers `/*cols*/` and `/*vals*/`: the schema grows while this bench is used, and
    the bench must not break on a new column it knows nothing about."""
    from django.apps import apps
    from django.utils import timezone

    match = re.match(r"\s*INSERT INTO (\w+) \(([^)]*?)\s*/\*cols\*/\)", sql)
    if match is None:
        return sql
    table, named = match.group(1), {c.strip() for c in match.group(2).split(",")}
    model = next(m for m in apps.get_models() if m._meta.db_table == table)
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if (
            field.column in named
            or field.null
            or (field.primary_key and field.get_internal_type().endswith("AutoField"))
        ):
            continue
        if field.has_default():
            value = field.get_default()
        else:
            value = {"BooleanField": False, "JSONField": {}, "DateField": AS_OF,
                     "DateTimeField": timezone.now()}.get(field.get_internal_type())  # fmt: skip
            if value is None:
                value = 0 if "Integer" in field.get_internal_type() or field.get_internal_type() in (
                    "FloatField", "DecimalField") else ""  # fmt: skip
        columns.append(field.column)
        values.append(_literal(d, value))
    extra_cols = "".join(f", {c}" for c in columns)
    extra_vals = "".join(f", {v}" for v in values)
    return sql.replace("/*cols*/", extra_cols, 1).replace("/*vals*/", extra_vals, 1)


def case_columns() -> set[str]:
    from arrears.cases.models import Case

    return {f.column for f in Case._meta.concrete_fields}


def _users(n_lenders: int) -> dict[str, Any]:
    from arrears.accounts.models import Role, Team, User

    teams = [
        Team(name=f"{LENDERS[t // TEAMS_PER_LENDER][0]}{t % TEAMS_PER_LENDER + 1}组",
             lenders=[LENDERS[t // TEAMS_PER_LENDER][0]])
        for t in range(n_lenders * TEAMS_PER_LENDER)
    ]  # fmt: skip
    Team.objects.bulk_create(teams)
    teams = list(Team.objects.order_by("pk"))
    people = []
    for t, team in enumerate(teams):
        people.append(User(username=f"lead{t:02d}", role=Role.TEAM_LEAD, team=team, password="!",
                           display_name=f"组长{t:02d}"))  # fmt: skip
        for c in range(COLLECTORS_PER_TEAM):
            k = t * COLLECTORS_PER_TEAM + c
            people.append(User(username=f"c{k:03d}", role=Role.COLLECTOR, team=team, password="!",
                               display_name=SURNAMES[k % 20] + GIVEN[k % 24] + GIVEN[(k // 24) % 24]))  # fmt: skip
    people += [User(username=f"mgr{m}", role=Role.MANAGER, password="!", display_name=f"经理{m}")
               for m in range(1, MANAGERS + 1)]  # fmt: skip
    User.objects.bulk_create(people)
    collectors = list(
        User.objects.filter(role=Role.COLLECTOR).order_by("username").values_list("pk", flat=True)
    )
    return {"teams": len(teams), "collectors": collectors, "managers": MANAGERS, "leads": len(teams)}


def build(n_cases: int, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Fill the (migrated, empty) database; returns row counts and the seconds each table took."""
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from arrears.audit.models import AuditEvent
    from arrears.batch.models import CobRun
    from arrears.cases.models import Case, Note, Task
    from arrears.portfolio.interchange import store

    d = Dialect(connection.vendor)
    n = n_cases
    n_borrowers = n * 4 // 5
    timings: dict[str, float] = {}

    def run(name: str, table: str, rows: int, sql: str | list[str]) -> None:
        clock = time.perf_counter()
        with (
            transaction.atomic(),
            store.bulk_load(table, rows, keep_unique=False),
            connection.cursor() as cur,
        ):
            for statement in [sql] if isinstance(sql, str) else sql:
                cur.execute(fill(d, statement))
        timings[name] = round(time.perf_counter() - clock, 1)
        log(f"  {name}: {timings[name]} s")

    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE _bench_lender (idx integer PRIMARY KEY, name varchar(200), kind varchar(20))"
        )
        cur.executemany("INSERT INTO _bench_lender VALUES (%s, %s, %s)",
                        [(k, name, kind) for k, (name, kind) in enumerate(LENDERS)])  # fmt: skip
        if not d.pg:
            clock = time.perf_counter()
            top = max(n, n // 2 * 3, 64)
            cur.execute("CREATE TABLE _bench_n (i integer PRIMARY KEY)")
            cur.execute(f"WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < {top}) "
                        "INSERT INTO _bench_n SELECT i FROM r")  # fmt: skip
            log(f"  number series 1 … {top:,}: {time.perf_counter() - clock:.1f} s")
    users = _users(len(LENDERS))
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE _bench_collector (idx integer PRIMARY KEY, user_id bigint, username varchar(150))"
        )
        cur.executemany(
            "INSERT INTO _bench_collector SELECT %s, id, username FROM accounts_user WHERE id = %s",
            list(enumerate(users["collectors"])),
        )
        cur.execute("SELECT id FROM accounts_user WHERE username = 'mgr1'")
        manager_id = cur.fetchone()[0]

    # --- borrowers
    def char(chars: str, salt: int) -> str:
        return f"substr('{chars}', CAST(1 + {h('i', salt)} % {len(chars)} AS integer), 1)"

    name = f"{char(SURNAMES, 0)} || {char(GIVEN, 1)} || CASE WHEN {h('i', 2)} % 3 = 0 THEN '' ELSE {char(GIVEN, 3)} END"
    province = pick(f"{h('i', 4)} % 8", [p for p, _ in PROVINCES])
    city = pick(f"{h('i', 4)} % 8", [c for _, c in PROVINCES])
    run("borrowers", "portfolio_borrower", n_borrowers, f"""
        INSERT INTO portfolio_borrower (borrower_id, name, id_type, id_number, phone, email, address, province, city,
                                        is_company, extra /*cols*/)
        SELECT {borrower_id('i')}, {name}, 'resident_id', '110101' || CAST(100000000000 + i * 7 AS TEXT),
               '13' || CAST(900000000 + i AS TEXT), '', {city} || '某区某街道' || CAST(1 + i % 300 AS TEXT) || '号',
               {province}, {city}, FALSE, {d.json("'{}'")} /*vals*/
        FROM {d.seq(n_borrowers)}""")  # fmt: skip

    # --- cases (id = row number)
    loans_json = (f"'[\"' || {loan_id('i', '0')} || '\"' || CASE WHEN k >= 2 THEN ', \"' || {loan_id('i', '1')} || "
                  f"'\"' ELSE '' END || CASE WHEN k >= 3 THEN ', \"' || {loan_id('i', '2')} || '\"' ELSE '' END || ']'")  # fmt: skip
    status = case_when("st", [("< 30", "'closed'"), ("< 35", "'new'"), ("< 70", "'contacting'"),
                              ("< 85", "'negotiating'"), ("< 93", "'escalated'"), ("< 97", "'legal'")],
                       "'enforcement'")  # fmt: skip
    stage_age = "CASE WHEN age - 1 < r6 * r6 / 300 THEN age - 1 ELSE r6 * r6 / 300 END"
    sla = case_when("st", [("< 35", "1"), ("< 70", "7"), ("< 93", "14"), ("< 97", "30")], "90")
    amount_points = case_when(
        "k * (50000 + r9)", [(f">= {100_000 * 2**p}", str(100 * p)) for p in range(5, 0, -1)], "0"
    )
    # columns added to cases since the bench was written, filled when the schema has them
    optional = {
        "lender_type": "l.kind",
        "product_type": pick(f"{h('3 * i', 14)} % 4", ["term_loan", "credit_card", "auto", "revolving"]),
        "outstanding": "CASE WHEN st < 30 THEN 0 ELSE k * (500000 + 3 * r9) END",
        "priority": f"score + {amount_points} + CASE WHEN st >= 30 AND {stage_age} > {sla} THEN 300 ELSE 0 END",
        # next_action_on (below) on or before the business date, as migration cases.0006 sets it on a reused build
        "action_due": "(st >= 30 AND r13 % 10 < 6 AND r13 - 10 <= 0)",
    }
    optional = {c: v for c, v in optional.items() if c in case_columns()}
    opt_cols = "".join(f", {c}" for c in optional)
    opt_vals = "".join(f", {v}" for v in optional.values())
    run("cases", "cases_case", n, f"""
        INSERT INTO cases_case (id, borrower_id, lender, case_type, status, closed_reason, opened_on, closed_on,
                                stage_since, as_of, loan_ids, total_overdue, max_dpd, bucket, classification,
                                risk_level, risk_score, assigned_to_id, next_action_on{opt_cols} /*cols*/)
        SELECT i, {borrower_id('bnum')}, l.name,
               {case_when('ct', [('< 90', "'own'"), ('< 97', "'assigned'")], "'guarantee_recourse'")},
               {status},
               CASE WHEN st >= 30 THEN '' WHEN st < 22 THEN 'cured' WHEN st < 27 THEN 'paid' ELSE 'settled' END,
               {d.day('-age')},
               CASE WHEN st < 30 THEN {d.day('-age + h6 % age')} END,
               CASE WHEN st < 30 THEN {d.day('-age + h6 % age')} ELSE {d.day('-(' + stage_age + ')')} END,
               CASE WHEN st < 30 THEN {d.day('-age + h6 % age')} ELSE {d.day('0')} END,
               {d.json(loans_json)},
               CASE WHEN st < 30 THEN 0 ELSE k * (50000 + r9) END,
               dpd, {bucket('dpd')}, {classification('dpd')}, {risk_level('score')}, score,
               CASE WHEN st >= 30 AND r11 = 0 THEN NULL ELSE c.user_id END,
               CASE WHEN st >= 30 AND r13 % 10 < 6 THEN {d.day('r13 - 10')} END{opt_vals} /*vals*/
        FROM (
            SELECT i, bnum, lidx, st, ct, age, h6, r6, k, r9, score, r11, slot, r13,
                   CASE WHEN st < 30 THEN 0 ELSE 1 + r8 * r8 / 2500 END AS dpd
            FROM (
                SELECT i,
                       CASE WHEN i <= {n_borrowers} THEN i ELSE i - {n_borrowers} END AS bnum,
                       CASE WHEN i <= {n_borrowers} THEN {h('i', 2)} % 8
                            ELSE ({h(f'i - {n_borrowers}', 2)} % 8 + 1 + {h('i', 3)} % 7) % 8 END AS lidx,
                       {h('i', 1)} % 100 AS st, {h('i', 4)} % 100 AS ct, 1 + {h('i', 5)} % 700 AS age,
                       {h('i', 6)} AS h6, {h('i', 6)} % 100 AS r6, {loan_count('i')} AS k,
                       {h('i', 8)} % 1000 AS r8, {h('i', 9)} % 5000000 AS r9, {h('i', 10)} % 1000 AS score,
                       {h('i', 11)} % 200 AS r11, {h('i', 12)} % {COLLECTORS_PER_LENDER} AS slot,
                       {h('i', 13)} % 21 AS r13
                FROM {d.seq(n)}
            ) base
        ) x
        JOIN _bench_lender l ON l.idx = x.lidx
        JOIN _bench_collector c ON c.idx = x.lidx * {COLLECTORS_PER_LENDER} + x.slot""")  # fmt: skip

    # --- loans: one per loan id of a case; the ones of cases closed as paid or settled are closed
    three = "(SELECT 0 AS j UNION ALL SELECT 1 UNION ALL SELECT 2) t"
    lh = "(3 * c.id + t.j)"
    product = pick(f"{h(lh, 14)} % 4", ["term_loan", "credit_card", "auto", "revolving"])
    run("loans", "portfolio_loan", n * 3 // 2, f"""
        INSERT INTO portfolio_loan (loan_id, borrower_id, lender, lender_type, product_type, currency, principal,
                                    annual_rate, penalty_rate, day_count, contract_date, disbursement_date,
                                    maturity_date, repayment_method, installments, first_due_date, grace_days,
                                    compound_interest, purpose, jurisdiction_clause, status, schedule_generated,
                                    extra /*cols*/)
        SELECT {loan_id('c.id', 't.j')}, c.borrower_id, c.lender, l.kind, {product}, 'CNY',
               1000000 + {h(lh, 15)} % 50000000, 0.12, 0.18, 'ACT/360',
               {d.day(f"-800 - {h(lh, 16)} % 900")}, {d.day(f"-800 - {h(lh, 16)} % 900")},
               {d.day(f"-800 - {h(lh, 16)} % 900 + 1095")}, 'equal_installment', 36,
               {d.day(f"-770 - {h(lh, 16)} % 900")}, 0, FALSE, '', '',
               CASE WHEN c.closed_reason IN ('paid', 'settled') THEN 'closed' ELSE 'active' END, FALSE,
               {d.json("'{}'")} /*vals*/
        FROM cases_case c CROSS JOIN {three} JOIN _bench_lender l ON l.name = c.lender
        WHERE t.j < {loan_count('c.id')}""")  # fmt: skip

    # --- the close's status of every loan not paid off: the case's worst loan first
    ldpd = f"CASE WHEN t.j = 0 THEN c.max_dpd ELSE {h(lh, 17)} % (c.max_dpd + 1) END"
    reasons = (f"'[\"' || {pick(f'{h(lh, 18)} % 5', REASONS[:5])} || '\", \"' || "
               f"{pick(f'{h(lh, 19)} % 5', REASONS[5:10])} || '\", \"' || {pick(f'{h(lh, 0)} % 5', REASONS[10:])} || '\"]'")  # fmt: skip
    run("loan statuses", "delinquency_loanstatus", n * 3 // 2, f"""
        INSERT INTO delinquency_loanstatus (loan_id, as_of, dpd, delinquent_days, bucket, classification,
            rule_classification, outstanding_principal, overdue_principal, overdue_interest, overdue_fees,
            penalty_interest, total_due, credit, overdue_by_bucket, times_overdue, max_dpd, paused, episode_start,
            cure_date, observation_until, npl_until, risk_score, risk_level, risk_reasons, pd /*cols*/)
        SELECT loan_id, '{AS_OF}', dpd, dpd, {bucket('dpd')}, {classification('dpd')}, {classification('dpd')},
               op, dpd * 1700, dpd * 300, 0, dpd * 90, dpd * 2090, 0, {d.json("'{}'")}, 1 + dpd / 30, dpd + dpd / 3,
               FALSE, CASE WHEN dpd > 0 THEN {d.day('-dpd')} END, NULL, NULL, NULL, score, {risk_level('score')},
               {d.json('reasons')}, CASE WHEN dpd > 0 THEN 0.05 + (score % 900) / 1000.0 END /*vals*/
        FROM (
            SELECT {loan_id('c.id', 't.j')} AS loan_id, {ldpd} AS dpd, 500000 + {h(lh, 15)} % 40000000 AS op,
                   {h(lh, 10)} % 1000 AS score, {reasons} AS reasons
            FROM cases_case c CROSS JOIN {three}
            WHERE t.j < {loan_count('c.id')} AND c.closed_reason NOT IN ('paid', 'settled')
        ) x""")  # fmt: skip

    # --- notes and tasks: ids are case id × 32 + event number (30: the general note, 31: the general task)
    rich = f"c.id % {RICH_EVERY} = {RICH_REMAINDER} AND c.status <> 'closed'"
    n_extra = f"(8 + {h('c.id', 14)} % 21)"
    span = f"(({h('c.id', 5)} % 700 + 1) * 86400 - 3600)"
    event_s = f"({opened_seconds('c.id')} + 60 + (e.i) * {span} / ({n_extra} + 1))"
    rich_from = (
        f"FROM cases_case c JOIN _bench_collector u ON u.user_id = c.assigned_to_id "
        f"CROSS JOIN {d.seq(32, 'e')} WHERE {rich} AND e.i <= {n_extra}"
    )
    # event number k = e.i - 1 (0 …); kind by k % 4: 0 note, 1 task scheduled, 2 stage change, 3 the task of k - 2 done
    general_note = f"{h('c.id', 15)} % 5 = 0 AND NOT ({rich})"
    general_task = f"c.status <> 'closed' AND c.next_action_on IS NOT NULL AND c.assigned_to_id IS NOT NULL AND NOT ({rich})"
    note_text = pick(f"{h('c.id', 16)} % 5", NOTE_TEXTS)
    run("notes", "cases_note", n // 5, [
        f"""INSERT INTO cases_note (id, case_id, text, author_id, created_at /*cols*/)
            SELECT c.id * 32 + e.i - 1, c.id, {note_text}, u.user_id, {d.ts(event_s)} /*vals*/
            {rich_from} AND (e.i - 1) % 4 = 0""",
        f"""INSERT INTO cases_note (id, case_id, text, author_id, created_at /*cols*/)
            SELECT c.id * 32 + 30, c.id, {note_text}, COALESCE(c.assigned_to_id, {manager_id}),
                   {d.ts(opened_seconds('c.id') + ' + 18000')} /*vals*/
            FROM cases_case c WHERE {general_note}""",
    ])  # fmt: skip
    title = pick(f"{h('c.id * 32 + e.i', 17)} % 5", TASK_TITLES)
    done_s = event_s.replace("(e.i)", "(e.i + 2)")
    run("tasks", "cases_task", n // 2, [
        f"""INSERT INTO cases_task (id, case_id, title, due_on, assigned_to_id, done_at, created_by_id, created_at
                                    /*cols*/)
            SELECT c.id * 32 + e.i - 1, c.id, {title},
                   {d.day(f"CAST(({event_s}) / 86400 AS integer) + 3")}, u.user_id,
                   CASE WHEN e.i + 2 <= {n_extra} THEN {d.ts(done_s)} END, u.user_id, {d.ts(event_s)} /*vals*/
            {rich_from} AND (e.i - 1) % 4 = 1""",
        f"""INSERT INTO cases_task (id, case_id, title, due_on, assigned_to_id, done_at, created_by_id, created_at
                                    /*cols*/)
            SELECT c.id * 32 + 31, c.id, {pick(f"{h('c.id', 17)} % 5", TASK_TITLES)}, c.next_action_on,
                   c.assigned_to_id, NULL, c.assigned_to_id, {d.ts(opened_seconds('c.id') + ' + 600')} /*vals*/
            FROM cases_case c WHERE {general_task}""",
    ])  # fmt: skip

    # --- the audit trail, appended in time order
    states = ["contacting", "negotiating", "escalated", "contacting"]
    k = "(e.i - 1)"
    due_text = d.text(d.day(f"CAST(({event_s}) / 86400 AS integer) + 3"))
    status_from = cat(lit('{"status": "'), pick(f"({k} / 4) % 3", states[:3]), lit('"}'))
    status_to = cat(lit('{"status": "'), pick(f"({k} / 4) % 3", states[1:]), lit('"}'))
    note_after = cat(lit('{"note": '), d.text(f"c.id * 32 + {k}"), lit("}"))
    task_after = cat(lit('{"task": '), d.text(f"c.id * 32 + {k}"), lit(', "title": "'), title,
                     lit('", "due_on": "'), due_text, lit('"}'))  # fmt: skip
    done_after = cat(lit('{"task": '), d.text(f"c.id * 32 + {k} - 2"), lit("}"))
    ev_before = f"CASE WHEN {k} % 4 = 2 THEN {d.json(status_from)} END"
    ev_after = d.json(f"CASE {k} % 4 WHEN 0 THEN {note_after} WHEN 1 THEN {task_after} WHEN 2 THEN {status_to} "
                      f"ELSE {done_after} END")  # fmt: skip
    ev_action = (f"CASE {k} % 4 WHEN 0 THEN 'case.note' WHEN 1 THEN 'case.task' WHEN 2 THEN 'case.transition' "
                 "ELSE 'case.task_done' END")  # fmt: skip
    ev_note = f"CASE WHEN {k} % 4 = 0 THEN {note_text} WHEN {k} % 8 = 6 THEN '借款人承诺未兑现' ELSE '' END"
    opened_after = d.json(cat(lit('{"status": "new", "loans": '), d.text("c.loan_ids"), lit("}")))
    assigned_after = d.json(cat(lit('{"assigned_to": '), d.text("c.assigned_to_id"), lit("}")))
    closed_after = d.json(cat(lit('{"status": "closed", "reason": "'), "c.closed_reason", lit('"}')))
    general_note_after = d.json(cat(lit('{"note": '), d.text("c.id * 32 + 30"), lit("}")))
    general_task_after = d.json(cat(lit('{"task": '), d.text("c.id * 32 + 31"), lit(', "due_on": "'),
                                    d.text("c.next_action_on"), lit('"}')))  # fmt: skip
    closed_days = f"({h('c.id', 5)} % 700 + 1 - {h('c.id', 6)} % ({h('c.id', 5)} % 700 + 1))"
    pii_borrower = borrower_id(f"1 + {h('i', 19)} % {n_borrowers}")
    cols = "at, actor_id, actor_label, action, object_type, object_id, before, after, request_id, note"
    parts = [
        # the close opened every case …
        f"""SELECT {d.ts(opened_seconds("c.id"))} AS at, CAST(NULL AS bigint) AS actor_id, 'cob' AS actor_label,
                   'case.opened' AS action, 'Case' AS object_type, {d.text("c.id")} AS object_id,
                   {d.json("NULL")} AS before,
                   {opened_after} AS after, '' AS request_id, '' AS note
            FROM cases_case c""",
        # … assigned it …
        f"""SELECT {d.ts(opened_seconds("c.id") + " + 5")}, NULL, 'cob', 'case.assigned', 'Case', {d.text("c.id")},
                   NULL, {assigned_after}, '', ''
            FROM cases_case c WHERE c.assigned_to_id IS NOT NULL""",
        # … and closed it as cured (or its collector closed it as paid or settled)
        f"""SELECT {d.ts(f"{closed_days} * -86400 - 21600")},
                   CASE WHEN c.closed_reason = 'cured' THEN NULL ELSE c.assigned_to_id END,
                   CASE WHEN c.closed_reason = 'cured' THEN 'cob' ELSE COALESCE(u.username, 'system') END,
                   CASE WHEN c.closed_reason = 'cured' THEN 'case.closed' ELSE 'case.transition' END, 'Case',
                   {d.text("c.id")}, NULL, {closed_after}, '', ''
            FROM cases_case c LEFT JOIN _bench_collector u ON u.user_id = c.assigned_to_id WHERE c.status = 'closed'""",
        # the work on the rich cases
        f"""SELECT {d.ts(event_s)}, u.user_id, u.username, {ev_action}, 'Case', {d.text("c.id")}, {ev_before},
                   {ev_after}, 'req' || {d.text(f"c.id * 32 + {k}")}, {ev_note}
            {rich_from}""",
        # the general notes and follow-ups
        f"""SELECT {d.ts(opened_seconds("c.id") + " + 18000")}, COALESCE(c.assigned_to_id, {manager_id}),
                   COALESCE(u.username, 'mgr1'), 'case.note', 'Case', {d.text("c.id")}, NULL, {general_note_after},
                   '', {note_text}
            FROM cases_case c LEFT JOIN _bench_collector u ON u.user_id = c.assigned_to_id WHERE {general_note}""",
        f"""SELECT {d.ts(opened_seconds("c.id") + " + 600")}, c.assigned_to_id, u.username, 'case.task', 'Case',
                   {d.text("c.id")}, NULL, {general_task_after}, '', ''
            FROM cases_case c JOIN _bench_collector u ON u.user_id = c.assigned_to_id WHERE {general_task}""",
        # noise: a manager reading borrowers' personal data, imports updating loans
        f"""SELECT {d.ts(f"-({h('i', 18)} % 31536000)")}, {manager_id}, 'mgr1', 'pii.read', 'borrower',
                   {pii_borrower}, NULL, NULL, 'r' || {d.text("i")}, 'borrower ' || {pii_borrower}
            FROM {d.seq(n)}""",
        f"""SELECT {d.ts(f"-({h('i', 1)} % 31536000)")}, {manager_id}, 'mgr1', 'loan.updated', 'Loan',
                   {loan_id(f"1 + {h('i', 2)} % {n}", "0")}, {d.json(lit('{"status": "active"}'))},
                   {d.json(lit('{"status": "active", "grace_days": 3}'))}, 'imp', ''
            FROM {d.seq(n // 2)}""",
    ]
    union = " UNION ALL ".join(parts)
    run(
        "audit events",
        "audit_auditevent",
        5 * n,
        f"INSERT INTO audit_auditevent ({cols} /*cols*/) SELECT {cols} /*vals*/ FROM ({union}) ev ORDER BY at",
    )

    with connection.cursor() as cur:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Case, Note, Task, AuditEvent]):
            cur.execute(statement)
        for table in ("_bench_lender", "_bench_collector", "_bench_n"):
            cur.execute(f"DROP TABLE IF EXISTS {table}")
    now = dt.datetime.now(dt.UTC)
    CobRun.objects.create(as_of=AS_OF, from_date=AS_OF, status=CobRun.Status.SUCCEEDED, started_at=now,
                          finished_at=now, heartbeat_at=now, loans=0)  # fmt: skip
    clock = time.perf_counter()
    if d.pg:
        connection.ensure_connection()
        raw = connection.connection
        autocommit = raw.autocommit
        raw.autocommit = True
        with raw.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
        raw.autocommit = autocommit
    else:
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    timings["vacuum/analyze"] = round(time.perf_counter() - clock, 1)
    log(f"  vacuum/analyze: {timings['vacuum/analyze']} s")
    return {"timings": timings, "counts": counts()}


def counts() -> dict[str, int]:
    from django.db import connection

    tables = ["portfolio_borrower", "portfolio_loan", "delinquency_loanstatus", "cases_case", "cases_note",
              "cases_task", "audit_auditevent"]  # fmt: skip
    with connection.cursor() as cur:
        result = {}
        for table in tables:
            cur.execute(f"SELECT COUNT(*) FROM {table}")
            result[table] = cur.fetchone()[0]
        cur.execute("SELECT COUNT(*) FROM cases_case WHERE status <> 'closed'")
        result["open cases"] = cur.fetchone()[0]
    return result
