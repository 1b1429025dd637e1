"""Runs in a fresh process (so peak memory is the import's own): migrate, import one portfolio, print JSON."""

from __future__ import annotations

import json
import os
import resource
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arrears.settings")


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    mode, path = sys.argv[1], sys.argv[2]
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    if mode == "naive":
        from naive_import import naive_import

        counts = naive_import(path)
    else:
        from arrears.portfolio.services import import_portfolio

        run = import_portfolio(path)
        if run.error_count:
            raise SystemExit(f"import rejected: {run.errors[:5]}")
        counts = {name: c["created"] + c["updated"] + c["unchanged"] for name, c in run.counts.items()}
    elapsed = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "counts": counts, "peak_mib": peak_mib}))


if __name__ == "__main__":
    main()
