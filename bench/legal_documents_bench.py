"""Batch complaint packages benchmark (issue 8, part 6: "1,000 packages in under a minute on this machine").

Builds N synthetic complaint packages (own loans, assigned debts and guarantor recourse in turn, with guarantors,
costs and a handful of evidence records each), then times `documents.package_zip` end to end — rendering the
complaint and the evidence list of every case, the manifests and the index, into one zip on disk (`--repeat` runs,
each from cold templates). For the ratio it also renders a sample through plain docxtpl (`DocxTemplate.render` +
`save` per document), the obvious way. Prints figures; asserts only that the zip holds every case.

Run: `.venv/bin/python bench/legal_documents_bench.py` (`--packages 1000`, `--repeat 3`, `--docxtpl-sample 50`).
No database is needed (the inputs are plain values).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import sys
import time
import zipfile
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out" / "legal"


def synthetic(n: int) -> list:  # type: ignore[type-arg]
    from arrears.legal import documents as d

    packages = []
    filing = dt.date(2026, 6, 1)
    for i in range(n):
        case_type = ("own", "assigned", "guarantee_recourse")[i % 3]
        principal = 1_000_000 + (i * 7_919_113) % 500_000_000  # 10,000 – 5,010,000 yuan
        overdue = principal // 3
        owed = d.Outstanding(
            as_of=dt.date(2026, 5, 29),
            principal=principal,
            overdue_principal=overdue,
            interest=principal // 40,
            penalty=principal // 90,
            first_overdue=dt.date(2025, 10, 1) + dt.timedelta(days=i % 200),
            dpd=240 - i % 200,
            fees=(i % 4) * 10_000,
        )
        lender = "某某银行股份有限公司上海分行"
        terms = d.LoanTerms(
            contract_number=f"HT-2024-{i:06d}",
            contract_date=dt.date(2024, 11, 1) + dt.timedelta(days=i % 300),
            lender=lender,
            lender_type=("bank", "consumer_finance", "private")[i % 7 % 3],
            principal=principal + principal // 5,
            annual_rate=Decimal("0.0435") + Decimal(i % 10) / 100,
            penalty_rate=Decimal("0.065") + Decimal(i % 10) / 100,
            disbursement_date=dt.date(2025, 9, 1),
            maturity_date=dt.date(2027, 3, 5),
            term_months=36,
            repayment_method="equal_installment",
            breach_clause="第十二条",
        )
        borrower = d.Party(
            f"借款人{i:05d}",
            "person",
            "110105198503021234",
            f"北京市朝阳区某路{i}号",
            "13800000000",
        )
        bank = d.Party(
            lender, "company", "91310000MA1234567X", "上海市浦东新区陆家嘴环路1号", "021-12345678", "李四"
        )
        at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        records = [
            d.EvidenceRef(1, "document.signed", at, {"document": "contract", "pages": 12}, "a" * 64),
            d.EvidenceRef(2, "document.signed", at, {"document": "iou", "pages": 1}, "b" * 64),
            d.EvidenceRef(3, "document.schedule", at, {"pages": 2}, "c" * 64),
            d.EvidenceRef(4, "demand.delivered", at, {"delivered_on": "2026-02-01"}, None, (), "d" * 64),
            d.EvidenceRef(5, "demand.delivered", at, {"delivered_on": "2026-04-01"}, None, (), "e" * 64),
        ]
        kwargs: dict = {}  # type: ignore[type-arg]
        plaintiff = bank
        if case_type == "assigned":
            plaintiff = d.Party(
                "某某资产管理股份有限公司", "company", "91110000100000000X", "北京市西城区", "", "王六"
            )
            kwargs["assignment"] = d.AssignmentFacts(
                lender,
                plaintiff.name,
                dt.date(2026, 3, 1),
                dt.date(2026, 3, 10),
                ((dt.date(2026, 3, 20), 50_000),),
            )
            records += [
                d.EvidenceRef(6, "document.assignment_agreement", at, {"pages": 20}, "f" * 64),
                d.EvidenceRef(7, "document.assignment_notice", at, {"pages": 2}, "0" * 64),
            ]
        elif case_type == "guarantee_recourse":
            plaintiff = d.Party(
                "某某融资担保有限公司", "company", "91310000MA7654321X", "上海市黄浦区", "", "赵七"
            )
            kwargs["recourse"] = d.RecourseFacts(
                plaintiff.name,
                ((dt.date(2026, 1, 5), overdue), (dt.date(2026, 2, 5), principal // 10)),
                annual_rate=Decimal("0.12"),
                agreed_costs=20_000,
            )
            records += [
                d.EvidenceRef(6, "document.guarantee_contract", at, {"pages": 6}, "1" * 64),
                d.EvidenceRef(7, "document.recourse_payment", at, {"pages": 2}, "2" * 64),
            ]
        else:
            kwargs["guarantors"] = [
                d.Guarantor(d.Party(f"保证人{i:05d}", "person", "110105197001011235"), "joint")
            ]
        packages.append(
            d.build_package(
                f"LIT-{i:06d}",
                filing,
                case_type=case_type,
                plaintiff=plaintiff,
                defendant=borrower,
                terms=terms,
                owed=owed,
                records=records,
                lender_location="上海市浦东新区",
                costs=d.Costs(preserve=0 if i % 2 else None, lawyer_fee=(i % 3) * 100_000),
                demands_delivered=[dt.date(2026, 2, 1), dt.date(2026, 4, 1)],
                **kwargs,
            )
        )
    return packages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--packages", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--docxtpl-sample", type=int, default=50)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arrears.settings")
    import django

    django.setup()
    from docxtpl import DocxTemplate

    from arrears.legal import documents as d

    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    packages = synthetic(args.packages)
    built = time.perf_counter() - started
    print(f"built {len(packages)} packages (claims, caps, fees, evidence, jurisdiction) in {built:.2f} s")

    def progress_bar(done: int, total: int) -> None:
        if done == total or done % max(total // 20, 1) == 0:
            bar = "#" * (30 * done // total)
            print(f"\r  [{bar:<30}] {done}/{total}", end="" if done < total else "\n", file=sys.stderr)

    for run in range(1, args.repeat + 1):
        target = OUT / "complaints.zip"
        d._renderer_for.cache_clear()  # template preparation counts
        started = time.perf_counter()
        summary = d.package_zip(packages, target, progress=progress_bar)
        seconds = time.perf_counter() - started
        with zipfile.ZipFile(target) as archive:
            names = archive.namelist()
        assert summary["packages"] == len(packages)
        assert len(names) == 3 * len(packages) + 1, len(names)
        print(
            f"package_zip run {run}: {len(packages)} packages in {seconds:.2f} s "
            f"= {len(packages) / seconds:.0f} packages/s ({target.stat().st_size / 1e6:.1f} MB)"
        )

    sample = packages[: args.docxtpl_sample]
    started = time.perf_counter()
    for package in sample:
        context = d.complaint_context(package)
        for template in (d.COMPLAINT_TEMPLATE, d.EVIDENCE_TEMPLATE):
            document = DocxTemplate(template)
            document.render(context, autoescape=True)
            document.save(io.BytesIO())
    seconds = time.perf_counter() - started
    per_package = seconds / len(sample)
    print(
        f"plain docxtpl (load + render + save per document), {len(sample)} packages: {seconds:.2f} s = "
        f"{1 / per_package:.0f} packages/s, i.e. ~{per_package * len(packages):.0f} s for {len(packages)}"
    )


if __name__ == "__main__":
    main()
