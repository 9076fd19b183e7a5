# trainops — the obvious targets. `make demo` and `make test` work on a fresh machine with Python 3.11+.
SHELL := /bin/bash
# uv from PATH, else the one pip installs (bootstrapped on first use)
UV ?= $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
export DO_NOT_TRACK=1
export DBT_SEND_ANONYMOUS_USAGE_STATS=False
export PREFECT_SERVER_ANALYTICS_ENABLED=false
export GX_ANALYTICS_ENABLED=false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS=90

.PHONY: help install demo run ci typecheck imports dbt-parse test test-unit test-postgres test-spark lint format docs docs-serve bench clean

help:
	@echo "make demo   generate a demo enterprise and run the nightly job on it (DuckDB)"
	@echo "make ci     lint + format check + mypy + import rules + dbt parse + the test suite (what CI runs)"
	@echo "make test   run the whole test suite only (PYTEST_ARGS to narrow it)"
	@echo "make test-postgres   the marts built on DuckDB and on Postgres must be equal"
	@echo "make lint   ruff + dbt parse"
	@echo "make docs   dbt docs (column types and descriptions) of the newest build; make docs-serve to browse"
	@echo "make bench SCALE=S|M|L   end-to-end benchmark vs the bare-DuckDB limit and dlt (benchmarks/README.md)"

install:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen --compile-bytecode

# the demo's CSV drops in a foreign layout, read through mapping: blocks (its marts equal the canonical layout's)
demo: install
	$(UV) run trainops demo --layout foreign

run: install
	$(UV) run trainops run

# What CI runs (.ci/run) and the pre-commit hooks mirror: style, types, the layers' import rules,
# a dbt parse, then the suite (which includes the dbt layer rules and the code-size limits).
# PYTEST_ARGS narrows the suite, e.g. `make ci PYTEST_ARGS=tests/unit`.
PYTEST_ARGS ?=
ci: lint typecheck imports dbt-parse
	$(UV) run pytest $(PYTEST_ARGS)

typecheck: install
	$(UV) run mypy

imports: install
	$(UV) run lint-imports

# offline: the project's own profiles, a throwaway target path, no database opened
dbt-parse: install
	cd dbt && TRAINOPS_BUILD_DB=$(CURDIR)/dbt/target/parse.duckdb $(UV) run dbt parse --profiles-dir . --quiet

test: install
	$(UV) run pytest $(PYTEST_ARGS)

test-unit: install
	$(UV) run pytest tests/unit

# the demo built on DuckDB and on Postgres (PG* env vars; default 127.0.0.1:5432, user postgres)
test-postgres: install
	$(UV) run pytest tests/integration/test_postgres.py

lint: install
	$(UV) run ruff check .
	$(UV) run ruff format --check .

format: install
	$(UV) run ruff format .
	$(UV) run ruff check --fix .

SCALE ?= S
bench:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) run --frozen --group bench python benchmarks/run.py --scale $(SCALE) $(BENCH_ARGS)

# the dbt docs site with column types and descriptions: generated against the newest build file
# (`make demo` or a run first), opened under the catalog name dbt wrote it as (`building`: its views
# name it); browse it with `make docs-serve`, or open dbt/target/static_index.html
DOCS_PORT ?= 8081
docs: install
	@build=$$(ls -t $(CURDIR)/data/warehouse/build-*.duckdb 2>/dev/null | head -1); \
	if [ -z "$$build" ]; then echo "make docs: no build under data/warehouse yet: run make demo first" >&2; exit 1; fi; \
	mkdir -p dbt/target && ln -sf "$$build" dbt/target/building.duckdb; \
	cd dbt && TRAINOPS_BUILD_DB=$(CURDIR)/dbt/target/building.duckdb $(UV) run dbt docs generate --profiles-dir . --static \
	  && echo "docs: $(CURDIR)/dbt/target/static_index.html (or: make docs-serve)"

docs-serve: docs
	cd dbt && $(UV) run dbt docs serve --profiles-dir . --port $(DOCS_PORT) --no-browser

clean:
	rm -rf data dbt/target dbt/logs .pytest_cache

# the demo built on DuckDB and on Spark (dbt-spark, local session mode; needs Java 17+). The spark
# group is kept on every uv call: a plain `uv sync`/`uv run` would uninstall it again.
test-spark:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen --group spark
	$(UV) run --frozen --group spark pytest tests/integration/test_spark.py
