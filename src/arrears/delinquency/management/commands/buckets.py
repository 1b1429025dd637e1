from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from arrears.core.commands import ArrearsCommand
from arrears.core.errors import DomainError
from arrears.delinquency import services
from arrears.delinquency.models import BucketSet
from arrears.portfolio.models import ProductType


class Command(ArrearsCommand):
    help = (
        "Bucket sets: `arrears buckets import FILE.csv --name NAME [--default] [--products term_loan,...]` loads "
        "ranges (columns code,name,min_days,max_days; empty max_days = open-ended); `arrears buckets list`."
    )
    json_option = False

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("import", help="create or replace a bucket set from a CSV file")
        load.add_argument("file", type=Path)
        load.add_argument("--name", required=True)
        load.add_argument(
            "--default", action="store_true", help="use this set for products without their own"
        )
        load.add_argument(
            "--products", help=f"comma-separated products that use this set ({', '.join(ProductType.values)})"
        )
        load.add_argument("--json", action="store_true")
        listing = sub.add_parser("list", help="show the bucket sets")
        listing.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "import":
            products = None
            if options["products"]:
                products = [p.strip() for p in options["products"].split(",") if p.strip()]
                unknown = sorted(set(products) - set(ProductType.values))
                if unknown:
                    raise DomainError(f"unknown product(s) {', '.join(unknown)}")
            ranges = services.read_bucket_csv(options["file"])
            services.save_bucket_set(
                options["name"], ranges, default=options["default"], product_types=products
            )
        sets = [self._as_dict(s) for s in BucketSet.objects.prefetch_related("buckets").order_by("name")]
        text = "\n".join(
            f"{s['name']}{' (default)' if s['default'] else ''} {','.join(s['products'])}: "
            + "  ".join(
                f"{b['code']} {b['min_days']}–{b['max_days'] if b['max_days'] is not None else ''}"
                for b in s["buckets"]
            )
            for s in sets
        )
        self.emit(options, {"bucket_sets": sets}, text)

    @staticmethod
    def _as_dict(bucket_set: BucketSet) -> dict[str, Any]:
        return {
            "name": bucket_set.name,
            "default": bucket_set.is_default,
            "products": bucket_set.product_types,
            "buckets": [
                {"code": b.code, "name": b.name, "min_days": b.min_days, "max_days": b.max_days}
                for b in bucket_set.buckets.all()
            ],
        }
