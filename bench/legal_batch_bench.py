"""Batch litigation end to end (issue 8, part 6: "1,000 packages in under a minute on this machine").

Builds a throwaway SQLite database (/tmp/arrears_legal_batch_bench/db.sqlite3, its own ARREARS_VAR_DIR for the
evidence blobs; never another database) with N borrowers and loans (own loans, assigned debts and guarantor
recourse), a 12-instalment schedule each, guarantees, creditor profiles, the daily close on the business date, and N
matters assigned to a lawyer (written in bulk: the referral's services are not what is measured) with some evidence
each (a contract for every matter, an IOU and a delivered demand for most, the assignment notice for assigned
debts; appended to the hash chain one by one). Then times what a person asking for a batch waits for:
`services.start_packages` (the checks) + `services.run_packages` (read everything set-based, build every package,
render both Word documents per matter into one zip with the progress bar written as it goes, store the zip as a
blob, keep each matter's claim), split into gather (database) / build / zip, and counts the SQL queries; then
`services.file_batch` (every matter to filed through `advance`, rolled back). Prints figures; asserts only that the
batch is done with every package.

Run: `.venv/bin/python bench/legal_batch_bench.py` (`--matters 1000`, `--repeat 3`, `--keep` to reuse the database).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import time
import zipfile
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = Path("/tmp/arrears_legal_batch_bench")
DB = ROOT / "db.sqlite3"
AS_OF = dt.date(2026, 3, 31)
FILING = dt.date(2026, 4, 7)
LENDERS = [
    ("招商银行股份有限公司信用卡中心", "bank", "上海市浦东新区陆家嘴环路1号"),
    ("中信银行股份有限公司信用卡中心", "bank", "广东省深圳市福田区深南大道1号"),
    ("马上消费金融股份有限公司", "consumer_finance", "重庆市渝北区金开大道2号"),
    ("招联消费金融股份有限公司", "consumer_finance", "广东省深圳市南山区科技园3号"),
]
CITIES = ["北京市朝阳区", "浙江省杭州市西湖区", "四川省成都市锦江区", "上海市黄浦区", "广东省广州市天河区"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"


def setup(n: int) -> dict[str, float]:
    """The database, set-based where it can be; returns how long each part took."""
    from django.core.management import call_command
    from django.db import transaction
    from stdnum.cn import ric

    from arrears.accounts.models import User
    from arrears.audit import services as audit
    from arrears.batch import runner
    from arrears.cases.models import Case
    from arrears.contact.models import CreditorProfile
    from arrears.legal import lifecycle, selectors
    from arrears.legal.models import Matter
    from arrears.portfolio.models import (
        Assignment,
        Borrower,
        Guarantee,
        Loan,
        RecoursePayment,
        ScheduleInstallment,
    )

    took: dict[str, float] = {}
    clock = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    took["migrate"] = time.perf_counter() - clock

    clock = time.perf_counter()
    lawyer = User.objects.create(username="bench-lawyer", role="legal", display_name="律师")
    User.objects.create(username="bench-manager", role="manager", display_name="经理")
    CreditorProfile.objects.bulk_create(
        CreditorProfile(lender=name, display_name=name, phone="95555", address=address)
        for name, _kind, address in LENDERS
    )
    borrowers, loans, schedule, guarantees, assignments, recourse = [], [], [], [], [], []
    for i in range(n):
        body = f"110105{dt.date(1970, 1, 1) + dt.timedelta(days=37 * i):%Y%m%d}{i % 900 + 100:03d}"
        borrowers.append(Borrower(
            borrower_id=f"B{i:06d}", name=SURNAMES[i % 20] + "某" + "伟芳娜敏静丽强磊"[i % 8],
            id_number=body + ric.calc_check_digit(body + "0"), phone=f"139{i:08d}",
            address=f"{CITIES[i % 5]}某某路{i}号", province="北京", city="北京",
        ))  # fmt: skip
        lender, kind, _address = LENDERS[i % len(LENDERS)]
        principal = 1_000_000 + (i * 7_919_113) % 30_000_000
        loan_id = f"L{i:06d}"
        loans.append(Loan(
            loan_id=loan_id, borrower_id=f"B{i:06d}", lender=lender, lender_type=kind, product_type="term_loan",
            principal=principal, annual_rate=Decimal("0.12") + Decimal(i % 6) / 100,
            penalty_rate=Decimal("0.18") + Decimal(i % 6) / 100, contract_date=dt.date(2025, 1, 2),
            disbursement_date=dt.date(2025, 1, 5), maturity_date=dt.date(2026, 1, 5), repayment_method="equal_principal",
            installments=12, first_due_date=dt.date(2025, 2, 5), status="active",
            jurisdiction_clause=("贷款人住所地人民法院", "", "上海仲裁委员会", "")[i % 4] if i % 10 else "",
            extra={"contract_number": f"HT-{i:06d}", "lender_credit_code": "91310000100000001X",
                   "lender_representative": "某某", "breach_clause": "第十二条"},
        ))  # fmt: skip
        for k in range(12):
            due = dt.date(2025 + (1 + k) // 12, (1 + k) % 12 + 1, 5)
            schedule.append(ScheduleInstallment(loan_id=loan_id, installment_no=k + 1, due_date=due,
                                                principal_due=principal // 12 + (principal % 12 if k == 11 else 0),
                                                interest_due=principal // 100))  # fmt: skip
        if i % 2 == 0:
            guarantees.append(Guarantee(guarantee_id=f"G{i:06d}", loan_id=loan_id, guarantor_name=f"保证人{i:05d}",
                                        guarantor_id_number=body + ric.calc_check_digit(body + "0"),
                                        guarantee_type="joint", period_end=dt.date(2028, 1, 5)))  # fmt: skip
        if i % 3 == 1:
            assignments.append(Assignment(loan_id=loan_id, assignor=lender, assignee="某某资产管理股份有限公司",
                                          assigned_on=dt.date(2026, 1, 10), notice_delivered_on=dt.date(2026, 1, 20),
                                          extra={"assignee_credit_code": "91110000100000000X"}))  # fmt: skip
        elif i % 7 == 2:
            recourse.append(RecoursePayment(loan_id=loan_id, guarantor="某某融资担保有限公司", paid_on=dt.date(2026, 2, 1),
                                            amount=principal // 3, recourse_rate=Decimal("0.10"),
                                            extra={"guarantor_credit_code": "91310000MA7654321X"}))  # fmt: skip
    with transaction.atomic():
        Borrower.objects.bulk_create(borrowers, batch_size=2000)
        Loan.objects.bulk_create(loans, batch_size=2000)
        ScheduleInstallment.objects.bulk_create(schedule, batch_size=5000)
        Guarantee.objects.bulk_create(guarantees, batch_size=2000)
        Assignment.objects.bulk_create(assignments, batch_size=2000)
        RecoursePayment.objects.bulk_create(recourse, batch_size=2000)
    took["portfolio"] = time.perf_counter() - clock

    clock = time.perf_counter()
    runner.close([AS_OF])
    took["close"] = time.perf_counter() - clock

    clock = time.perf_counter()
    cases = list(Case.objects.select_related("borrower").order_by("pk"))
    Case.objects.update(status="legal")
    guaranteed = set(Guarantee.objects.values_list("loan_id", flat=True))
    with transaction.atomic():
        Matter.objects.bulk_create(
            [Matter(case=c, loan_ids=list(c.loan_ids), case_type=c.case_type, plaintiff=selectors.parties(c, list(c.loan_ids))[0],
                    defendant=c.borrower.name, stage=(lifecycle.ASSIGNED, lifecycle.INVESTIGATING,
                                                      lifecycle.DRAFTING)[c.pk % 3],
                    stage_since=AS_OF, referred_on=AS_OF, referred_by=lawyer, decided_on=AS_OF, decided_by=lawyer,
                    owner=lawyer, lawyer=lawyer, claim_amount=c.outstanding) for c in cases],
            batch_size=2000,
        )  # fmt: skip
    took["matters"] = time.perf_counter() - clock

    clock = time.perf_counter()
    appended = 0
    for c in cases:
        loan_ids = list(c.loan_ids)
        docs = [("contract", 12)] + ([("iou", 1)] if c.pk % 5 else [])
        if c.case_type == "assigned":
            docs += [("assignment_agreement", 8), ("assignment_notice", 2)]
        if guaranteed & set(loan_ids):
            docs += [("guarantee_contract", 4)]
        if c.case_type == "guarantee_recourse":
            docs += [("guarantee_contract", 4)] * (not guaranteed & set(loan_ids)) + [("recourse_payment", 1)]
        for name, pages in docs:
            audit.append_evidence("legal.document", case_id=c.pk, borrower_id=c.borrower_id, loan_ids=loan_ids,
                                  payload={"document": name, "pages": pages, "summary": name},
                                  files=[(f"{name}.pdf", f"%PDF {name} {c.pk}".encode())], actor_label="bench")  # fmt: skip
            appended += 1
        if c.pk % 4:
            audit.append_evidence("demand.delivered", case_id=c.pk, borrower_id=c.borrower_id, loan_ids=loan_ids,
                                  payload={"delivered_on": "2026-02-15", "party": "debtor"}, actor_label="bench")  # fmt: skip
            appended += 1
    took[f"evidence ({appended} records)"] = time.perf_counter() - clock
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--matters", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="reuse the database of an earlier run")
    args = parser.parse_args()

    fresh = not (args.keep and DB.exists())
    if fresh:
        shutil.rmtree(ROOT, ignore_errors=True)
    ROOT.mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
    os.environ["ARREARS_VAR_DIR"] = str(ROOT)
    os.environ["DJANGO_SETTINGS_MODULE"] = "arrears.settings"
    import django

    django.setup()
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from arrears.accounts.models import User
    from arrears.legal import selectors, services
    from arrears.legal.models import LitigationBatch, Matter

    print(f"database: {connection.vendor} {DB}; {os.cpu_count()} cores; load {os.getloadavg()[0]:.2f}")
    if fresh:
        for step, seconds in setup(args.matters).items():
            print(f"setup {step}: {seconds:.1f} s")
    lawyer = User.objects.get(username="bench-lawyer")
    ids = list(Matter.objects.order_by("pk").values_list("pk", flat=True)[: args.matters])
    print(f"{len(ids):,} matters ({', '.join(f'{t}: {c}' for t, c in _types(ids).items())})")

    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as queries:
        selectors.complaint_inputs(ids, FILING)
    print(f"complaint_inputs for {len(ids):,} matters: {len(queries)} SQL queries")

    for round_ in range(1, args.repeat + 1):
        LitigationBatch.objects.all().delete()
        updates = 0
        clock = time.perf_counter()
        batch = services.start_packages(ids, actor=lawyer, filing_date=FILING, criteria={"bench": round_})
        started = time.perf_counter() - clock

        def echo(done: int, total: int) -> None:
            nonlocal updates
            updates += 1

        clock = time.perf_counter()
        batch = services.run_packages(batch.pk, echo=echo)
        ran = time.perf_counter() - clock
        assert batch.status == "done", batch.error
        assert batch.done == batch.total == len(ids)
        t = batch.summary["timings"]
        rest = ran - sum(t.values())
        print(
            f"round {round_}: total {started + ran:.2f} s = start_packages {started:.2f} s + run_packages {ran:.2f} s "
            f"(gather {t['gather_s']:.2f} s, build {t['build_s']:.2f} s, zip {t['zip_s']:.2f} s, store/snapshot/audit "
            f"{rest:.2f} s); {len(ids) / (started + ran):,.0f} packages/s; progress written {updates} times; "
            f"zip {batch.zip_size / 1024 / 1024:.1f} MiB; evidence incomplete {batch.summary['evidence_incomplete']}, "
            f"warnings {batch.summary['warnings']}"
        )
    clock = time.perf_counter()
    with transaction.atomic():  # rolled back: the matters stay unfiled for the next run
        filed = services.file_batch(batch, actor=lawyer, on=FILING)
        transaction.set_rollback(True)
    print(f"file_batch (each matter through advance, one transaction, rolled back): {filed:,} matters in "
          f"{time.perf_counter() - clock:.2f} s")  # fmt: skip
    with zipfile.ZipFile(selectors.batch_zip_path(batch)) as archive:
        folders = {name.split("/")[0] for name in archive.namelist() if "/" in name}
    assert len(folders) == len(ids), (len(folders), len(ids))
    print(f"zip: {len(folders):,} case folders + index.csv; sha256 {batch.zip_sha256[:16]}…")


def _types(ids: list[int]) -> dict[str, int]:
    from django.db.models import Count

    from arrears.legal.models import Matter

    rows = Matter.objects.filter(pk__in=ids).values("case_type").annotate(n=Count("pk")).order_by("case_type")
    return {r["case_type"]: r["n"] for r in rows}


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    main()
