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
        for day in dates[-7:]:
            runner.close([day])
        # a model trained on that month's outcomes, registered by the manager and approved by the administrator,
        # so that loans carry a probability and the model page has something to show; then today again with it
        model, _cv = train_on_history(
            as_of - dt.timedelta(days=30), 30, actor=User.objects.get(username="manager1")
        )
        approve_model(model, actor=User.objects.get(username="admin"))
        runner.close([as_of])
        self._outsource()
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
            "  legal1      legal officer\n"
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
