# The two commands of the README, and a few more for developers.
.PHONY: demo test setup setup-dev lint typecheck test-postgres bench messages

demo: setup            ## set up and run the demo (http://127.0.0.1:8000/)
	.venv/bin/arrears demo

test: setup-dev        ## set up and run the whole test suite (SQLite unless DATABASE_URL says otherwise)
	.venv/bin/pytest

setup:
	scripts/setup.sh

setup-dev:
	scripts/setup.sh --dev

lint: setup-dev
	.venv/bin/ruff check src tests bench scripts
	.venv/bin/ruff format --check src tests bench scripts

typecheck: setup-dev
	.venv/bin/mypy src

test-postgres: setup-dev  ## the suite against the local PostgreSQL server
	DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/pytest

messages: setup-dev    ## compile translations (.po -> .mo) without GNU gettext
	.venv/bin/python scripts/compile_messages.py
