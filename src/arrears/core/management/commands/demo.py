from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from arrears.accounts.models import Agency, Role, Team, User
from arrears.accounts.services import create_user
from arrears.audit import services as audit
from arrears.audit.models import AuditEvent
from arrears.batch import runner
from arrears.cases.models import Case, Queue
from arrears.cases.services import place
from arrears.conf import get_settings
from arrears.core.dates import local_today
from arrears.portfolio.generator import generate_portfolio, write_portfolio
from arrears.portfolio.models import Loan
from arrears.portfolio.services import import_portfolio
from arrears.risk.services import approve_model, train_on_history
from arrears.strategy.services import DEFAULT_STRATEGY, import_strategy

DEMO_PASSWORD = "arrears-demo"
DEMO_MARK = "demo.built"
BANK_SIDE = ("bank", "consumer_finance")


class Command(BaseCommand):
    help = (
        "Build a fresh demo database (a realistic generated portfolio and the demo users) and serve the UI. "
        f"Demo logins: admin, manager1, collector1, collector2, legal1, all with password '{DEMO_PASSWORD}'. "
        "Refuses to run in production (ARREARS_ENV=prod) or over a database that holds real data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="port to serve on (default 8000)")
        parser.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
        parser.add_argument(
            "--loans", type=int, default=3000, help="how many loans to generate (default 3000)"
        )
        parser.add_argument("--seed", type=int, default=2026, help="generator seed (default 2026)")
        parser.add_argument("--no-serve", action="store_true", help="build the database and stop")
        parser.add_argument("--force", action="store_true", help="wipe a database that was not built by demo")

    def handle(self, *args: Any, **options: Any) -> None:
        if get_settings().env == "prod":
            raise CommandError(
                "arrears demo creates users with a published password; it never runs in production"
            )
        started = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        self._wipe(options["force"])
        as_of = local_today()
        with tempfile.TemporaryDirectory(prefix="arrears-demo-") as tmp:
            out = Path(tmp) / "portfolio"
            write_portfolio(generate_portfolio(options["loans"], options["seed"], as_of), out)
            run = import_portfolio(out, source_name=f"demo portfolio (seed {options['seed']}, as of {as_of})")
        if run.error_count:
            raise CommandError(f"the generated portfolio did not import: {run.errors[:3]}")
        self._users()
        import_strategy(json.loads(DEFAULT_STRATEGY.read_text("utf-8")))
        # a month of closes, so that pages show history as well as today's status
        # (the last week day by day, so that cases open, move along their treatment paths, cure and roll)
        dates = runner.dates_to_close(None, as_of - dt.timedelta(days=30), as_of)
        runner.close(dates[:-7])
        for n, day in enumerate(dates[-7:]):
            runner.close([day])
            if n == 0:
                self._promises(day)  # judged by the closes that follow: the dashboard's kept rates
        # a model trained on that month's outcomes, registered by the manager and approved by the administrator,
        # so that loans carry a probability and the model page has something to show; then today again with it
        model, _cv = train_on_history(
            as_of - dt.timedelta(days=30), 30, actor=User.objects.get(username="manager1")
        )
        approve_model(model, actor=User.objects.get(username="admin"))
        runner.close([as_of])
        self._outsource()
        self._negotiation()
        self._legal(as_of)
        audit.record(DEMO_MARK, "database", actor_label="demo", after={"loans": options["loans"]})
        loans = Loan.objects.count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo database ready: {loans} loans as of {as_of} in {time.perf_counter() - started:.1f} s."
            )
        )
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(
            f"\nOpen {url} and log in with password '{DEMO_PASSWORD}' as one of:\n"
            "  admin       administrator (everything, /admin/)\n"
            "  manager1    post-loan manager (whole portfolio, imports)\n"
            "  collector1  collector, team 一组 (bank and consumer-finance portfolios)\n"
            "  collector2  collector, team 二组 (micro-loan, guarantee, private and AMC portfolios)\n"
            "  lead1       team lead of 一组 (the team's workload and queues)\n"
            "  legal1      legal officer (the legal workspace: matters by stage, calendar, limitation watch)\n"
            "  lawyer1     lawyer of the outside law firm 金诚律师事务所 (only its matters)\n"
            "  agent1      outside collection agency 华信外包 (only the cases placed with it)\n"
            "  compliance1 compliance officer (rule packs, denied contacts, template approval)\n"
        )
        if not options["no_serve"]:
            call_command("serve", host=options["host"], port=options["port"])

    def _wipe(self, force: bool) -> None:
        has_data = Loan.objects.exists() or User.objects.exists()
        built_by_demo = AuditEvent.objects.filter(action=DEMO_MARK).exists()
        if has_data and not built_by_demo and not force:
            raise CommandError(
                "this database already holds data that the demo did not create; point DATABASE_URL (or "
                "ARREARS_VAR_DIR) at another database, or pass --force to wipe it"
            )
        if has_data:
            call_command("flush", interactive=False, verbosity=0)
            call_command("migrate", interactive=False, verbosity=0)  # re-seeds the role groups

    @transaction.atomic
    def _users(self) -> None:
        lenders = Loan.objects.values_list("lender_type", "lender").distinct()
        bank_side = sorted({name for kind, name in lenders if kind in BANK_SIDE})
        other_side = sorted({name for kind, name in lenders if kind not in BANK_SIDE})
        team1 = Team.objects.create(name="一组", lenders=bank_side)
        team2 = Team.objects.create(name="二组", lenders=other_side)
        create_user("admin", DEMO_PASSWORD, Role.ADMIN, display_name="系统管理员")
        create_user("manager1", DEMO_PASSWORD, Role.MANAGER, display_name="周经理")
        create_user("collector1", DEMO_PASSWORD, Role.COLLECTOR, team=team1, display_name="陈晓")
        create_user("collector2", DEMO_PASSWORD, Role.COLLECTOR, team=team2, display_name="林静")
        create_user("legal1", DEMO_PASSWORD, Role.LEGAL, display_name="吴律师")
        create_user("lead1", DEMO_PASSWORD, Role.TEAM_LEAD, team=team1, display_name="王组长")
        senior = create_user("collector3", DEMO_PASSWORD, Role.COLLECTOR, team=team1, display_name="赵敏")
        senior.skills, senior.max_open_cases = ["legal"], 400
        senior.save(update_fields=["skills", "max_open_cases"])
        agent = create_user("agent1", DEMO_PASSWORD, Role.COLLECTOR, display_name="外包催收员")
        agent.agency = Agency.objects.create(name="华信外包", kind=Agency.Kind.AGENCY)
        agent.save(update_fields=["agency"])
        lawyer = create_user("lawyer1", DEMO_PASSWORD, Role.LEGAL, display_name="钱律师")
        lawyer.agency = Agency.objects.create(name="金诚律师事务所", kind=Agency.Kind.LAW_FIRM)
        lawyer.save(update_fields=["agency"])
        Queue.objects.create(
            name="一组 M1", team=team1, conditions=[{"field": "dpd", "op": "le", "value": 30}]
        )
        Queue.objects.create(name="高风险 High risk", conditions=[{"field": "risk_level", "op": "in",
                                                                   "value": ["high", "critical"]}])  # fmt: skip

    def _outsource(self) -> None:
        """The manager places the oldest unsecured cases of 二组's lenders with the outside agency."""
        manager = User.objects.get(username="manager1")
        oldest = Case.objects.exclude(status="closed").filter(
            assigned_to__username="collector2", max_dpd__gt=90).order_by("-max_dpd")[:20]  # fmt: skip
        if oldest:
            place(Case.objects.filter(pk__in=[c.pk for c in oldest]), Agency.objects.get(name="华信外包"),
                  actor=manager, reason="M4+ outsourcing")  # fmt: skip

    def _promises(self, day: dt.date) -> None:
        """The team's collectors call a few of their debtors on `day` and take promises due two days later."""
        from zoneinfo import ZoneInfo

        from django.conf import settings
        from django.db.models import Sum

        from arrears.contact.services import log_call
        from arrears.core.errors import DomainError
        from arrears.negotiation.services import make_promise
        from arrears.portfolio.models import Payment

        at = dt.datetime.combine(day, dt.time(10), tzinfo=ZoneInfo(settings.TIME_ZONE))
        due = day + dt.timedelta(days=2)
        for username in ("collector1", "collector3", "collector2"):
            actor = User.objects.get(username=username)
            cases = list(
                Case.objects.filter(assigned_to=actor).exclude(status="closed").select_related("borrower")
            )
            # the money that arrives by the promised date (the generated history knows): some promises are kept
            paid = dict(
                Payment.objects.filter(loan__in=[loan for c in cases for loan in c.loan_ids], paid_on__gt=day,
                                       paid_on__lte=due, reverses__isnull=True)
                .values_list("loan_id").annotate(total=Sum("amount"))
            )  # fmt: skip
            by_case = {c.pk: sum(paid.get(loan, 0) for loan in c.loan_ids) for c in cases}
            chosen = sorted(cases, key=lambda c: (by_case[c.pk] == 0, c.pk))[:10]
            for n, case in enumerate(chosen):
                try:
                    log_call(case, number=case.borrower.phone or "13800000000", outcome="promise_to_pay",
                             actor=actor, started_at=at + dt.timedelta(minutes=7 * n))  # fmt: skip
                    if n % 5 == 4:  # one debtor in five promises nothing
                        continue
                    arriving = by_case[case.pk]
                    amount = (arriving * (2 if n % 3 == 2 else 1)) or max(
                        100, min(case.total_overdue, 500_000) // 2
                    )
                    make_promise(case, [(due, amount)], actor=actor, note="电话承诺")
                except DomainError as error:
                    self.stdout.write(f"  (promise on case {case.pk} skipped: {error.message})")

    def _negotiation(self) -> None:
        """The negotiation pages' examples on collector1's cases: a waiver posted within their authority, one above
        it waiting in the approval queue, a settlement approved by the manager, a repayment plan approved by the
        team lead (to be signed) and one signed (active)."""
        from arrears.core.errors import DomainError
        from arrears.delinquency.models import LoanStatus
        from arrears.negotiation import services as nego

        people = {
            u.username: u for u in User.objects.filter(username__in=["collector1", "lead1", "manager1"])
        }
        collector, lead, manager = people["collector1"], people["lead1"], people["manager1"]
        cases = list(
            Case.objects.filter(assigned_to=collector)
            .exclude(status="closed")
            .order_by("-total_overdue", "pk")
        )
        status = {s.loan_id: s for s in LoanStatus.objects.filter(loan_id__in=[c.loan_ids[0] for c in cases])}
        usable = [c for c in cases if (s := status.get(c.loan_ids[0])) and s.overdue_interest > 0
                  and s.penalty_interest > 0 and s.total_due < 10_000_000]  # fmt: skip
        steps = []
        if len(usable) >= 5:
            a, b, c, d, e = usable[:5]

            def plan(case: Case, sign: bool) -> None:
                made = nego.propose_plan(case, case.loan_ids[0], installments=6, actor=collector,
                                         first_due=case.as_of + dt.timedelta(days=15), reason="hardship",
                                         note="借款人收入下降，申请分6期偿还逾期款项")  # fmt: skip
                nego.decide(made.concession, actor=lead, approve=True, note="同意，按期签署协议")
                if sign:
                    nego.sign_plan(made, signed_copy=b"%PDF-1.4 demo signed agreement", filename="分期还款协议.pdf",
                                   actor=collector)  # fmt: skip

            def settlement(case: Case) -> None:
                owed = nego.outstanding_of(case.loan_ids[0])
                discount = owed["penalty"] + owed["fee"] + owed["interest"] // 2
                made = nego.request_settlement(
                    case, case.loan_ids[0], settle_amount=sum(owed.values()) - discount, actor=collector,
                    settle_by=case.as_of + dt.timedelta(days=10), note="一次性结清，减免罚息和一半利息",
                )  # fmt: skip
                nego.decide(made, actor=manager, approve=True, note="同意一次性结清")

            steps = [
                lambda: nego.request_waiver(a, a.loan_ids[0], {"penalty": status[a.loan_ids[0]].penalty_interest // 10},
                                            actor=collector, reason="hardship", note="首次逾期，减免一成罚息"),
                lambda: nego.request_waiver(b, b.loan_ids[0], {"interest": status[b.loan_ids[0]].overdue_interest},
                                            actor=collector, reason="illness", note="借款人住院治疗，申请减免全部逾期利息"),
                lambda: settlement(c),
                lambda: plan(d, sign=False),
                lambda: plan(e, sign=True),
            ]  # fmt: skip
        for step in steps:
            try:
                step()
            except DomainError as error:
                self.stdout.write(f"  (a negotiation example was skipped: {error.message})")

    def _legal(self, as_of: dt.date) -> None:
        """The legal workspace's examples: the oldest in-house cases escalated by their collectors, referred by the
        manager, approved by the legal officer and taken along the pipeline to different stages — one with the
        outside law firm, one judged (its appeal deadline on the calendar), one effective (its enforcement
        deadline), one enforcing."""
        from arrears.cases import lifecycle as case_lifecycle
        from arrears.cases.services import transition
        from arrears.core.errors import DomainError
        from arrears.legal import lifecycle as stages
        from arrears.legal import services as legal

        people = {u.username: u for u in User.objects.filter(username__in=["manager1", "legal1", "lawyer1"])}
        manager, officer = people["manager1"], people["legal1"]
        firm = Agency.objects.get(name="金诚律师事务所")
        court = "北京市朝阳区人民法院"
        oldest = list(
            Case.objects.filter(status__in=[case_lifecycle.CONTACTING, case_lifecycle.NEW], placed_with__isnull=True,
                                max_dpd__gt=180, assigned_to__isnull=False).order_by("-max_dpd", "pk")[:8]
        )  # fmt: skip
        day = as_of - dt.timedelta(days=40)
        paths: list[list[tuple[str, dict[str, Any]]]] = [
            [],
            [(stages.INVESTIGATING, {})],
            [(stages.DRAFTING, {})],
            [(stages.FILED, {"court": court})],
            [(stages.FILED, {"court": court}), (stages.ACCEPTED, {"court": court, "case_number": "(2026)京0105民初1234号"})],
            [(stages.FILED, {"court": court}), (stages.ACCEPTED, {"court": court, "case_number": "(2026)京0105民初1235号"}),
             (stages.JUDGED, {"amount_awarded": None, "served_on": as_of - dt.timedelta(days=5)})],
            [(stages.FILED, {"court": court}), (stages.ACCEPTED, {"court": court, "case_number": "(2026)京0105民初1236号"}),
             (stages.MEDIATED, {"amount_awarded": None}), (stages.EFFECTIVE, {"perform_by": as_of - dt.timedelta(days=10)})],
            [(stages.FILED, {"court": court}), (stages.ACCEPTED, {"court": court, "case_number": "(2026)京0105民初1237号"}),
             (stages.MEDIATED, {"amount_awarded": None}), (stages.EFFECTIVE, {}),
             (stages.ENFORCEMENT_APPLIED, {"court": court, "case_number": "(2026)京0105执567号"}),
             (stages.ENFORCING, {})],
        ]  # fmt: skip
        for n, (case, path) in enumerate(zip(oldest, paths, strict=False)):
            try:
                collector = case.assigned_to
                assert collector is not None
                case = (
                    transition(case, case_lifecycle.CONTACTING, actor=collector)
                    if case.status == "new"
                    else case
                )
                case = transition(
                    case, case_lifecycle.ESCALATED, actor=collector, reason="多次联系未果，建议起诉"
                )
                matter = legal.refer(case, actor=manager, as_of=day, reason="逾期超过180天，联系无果",
                                     override_reason="催收记录以外呼系统为准")  # fmt: skip
                legal.decide_referral(
                    matter, actor=officer, approve=True, as_of=day, note="证据齐全，同意起诉"
                )
                legal.assign(matter, actor=officer, lawyer=officer if n % 2 else None, firm=None if n % 2 else firm,
                             as_of=day)  # fmt: skip
                for k, (target, fields) in enumerate(path):
                    if "amount_awarded" in fields:
                        fields = fields | {"amount_awarded": matter.claim_amount}
                    legal.advance(
                        matter, target, actor=officer, on=day + dt.timedelta(days=4 * (k + 1)), **fields
                    )
                    matter.refresh_from_db()
            except DomainError as error:
                self.stdout.write(f"  (a legal example was skipped: {error.message})")
