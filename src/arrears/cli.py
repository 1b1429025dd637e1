"""The `arrears` console script: one entry point wrapping Django's management commands.

`arrears loan show X` runs the `loan` command with `show X`; `arrears generate-portfolio` runs `generate_portfolio`.
Everything Django offers (`arrears createsuperuser`, `arrears shell`) works too.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arrears.settings")
    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["arrears", *args])


if __name__ == "__main__":
    main()
