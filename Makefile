# Shuzhuan: `make run` serves on the embedded SQLite; `make test` runs the
# whole suite (SQLite always, PostgreSQL too when TEST_DATABASE_URL is set).

CARGO ?= cargo
# Builds live outside the clone so fresh clones reuse them.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/shuzhuan/target
BIN := $(CARGO_TARGET_DIR)/debug/shuzhuan

# Dev-only admin password for `make run`; set your own in production.
SHUZHUAN_ADMIN_PASSWORD ?= shuzhuan-dev-admin
SHUZHUAN_BIND ?= 127.0.0.1:8080
# Synthetic enterprises `make run` adds to Yinchuan (0 for none); codes that
# exist are left alone, so a second run adds nothing.
DEMO_ENTERPRISES ?= 200

# Crates that must stay free of IO frameworks (checked by `make check-deps`).
PURE_CRATES := shuzhuan-types shuzhuan-scoring shuzhuan-subsidy shuzhuan-lifecycle shuzhuan-monitoring
HTTP_FREE_CRATES := $(PURE_CRATES) shuzhuan-persistence shuzhuan-openapi shuzhuan-app

.PHONY: run build test lint fmt fmt-check openapi openapi-check clients check-deps fuzz bench excel-bench ci clean-data

run: build
	@echo "Dev admin: username 'admin', password '$(SHUZHUAN_ADMIN_PASSWORD)' (override with SHUZHUAN_ADMIN_PASSWORD=...)"
	SHUZHUAN_ADMIN_PASSWORD='$(SHUZHUAN_ADMIN_PASSWORD)' $(BIN) demo-data --program yinchuan --enterprises $(DEMO_ENTERPRISES)
	SHUZHUAN_ADMIN_PASSWORD='$(SHUZHUAN_ADMIN_PASSWORD)' SHUZHUAN_BIND='$(SHUZHUAN_BIND)' $(BIN) serve

build:
	$(CARGO) build -p shuzhuan-api --bin shuzhuan

# The binary first: the client's tests run it.
test: build
	$(CARGO) test --workspace --lib --bins --tests

lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

fmt-check:
	$(CARGO) fmt --all -- --check

# Rewrites the committed contract from the routes (a test fails when stale).
openapi: build
	$(BIN) openapi > openapi/openapi.json

# Validates the committed contract against the OpenAPI 3.1 schema
# (installs openapi-spec-validator from PyPI when missing).
openapi-check:
	@command -v openapi-spec-validator >/dev/null || python3 -m pip install -q openapi-spec-validator
	openapi-spec-validator openapi/openapi.json

# The contract as integrators use it: validates the served document, generates
# a TypeScript (openapi-typescript, tsc --strict) and a Python
# (openapi-python-client) client, and runs each one's smoke test against a
# live server (needs Node.js with npm and Python with pip; fetches the
# generators from the registries).
clients: build
	tests/clients/run.sh $(BIN)

# Domain crates know no database, HTTP or OpenAPI; the application layer,
# persistence and openapi know no actix.
check-deps:
	@fail=0; \
	for c in $(PURE_CRATES); do \
	  if $(CARGO) tree -p $$c -e normal --prefix none | grep -qE '^(diesel|actix-web|utoipa|r2d2) '; then \
	    echo "$$c depends on an IO framework:"; $(CARGO) tree -p $$c -e normal -i diesel 2>/dev/null; fail=1; fi; \
	done; \
	for c in $(HTTP_FREE_CRATES); do \
	  if $(CARGO) tree -p $$c -e normal --prefix none | grep -qE '^actix-web '; then \
	    echo "$$c depends on actix-web"; fail=1; fi; \
	done; \
	if [ $$fail = 0 ]; then echo "dependency direction ok"; fi; exit $$fail

# Property-based fuzzing of the live API against its OpenAPI document
# (needs `pip install schemathesis`).
fuzz: build
	tests/fuzz.sh $(BIN)

# Criterion benchmarks of the pure crates (figures in target/criterion),
# then a load run through the HTTP API (PostgreSQL with TEST_DATABASE_URL).
bench:
	$(CARGO) bench -p shuzhuan-scoring -p shuzhuan-subsidy -p shuzhuan-monitoring
	$(CARGO) bench -p shuzhuan-tests --bench api_load
	$(CARGO) bench -p shuzhuan-tests --bench monitoring
	$(CARGO) bench -p shuzhuan-tests --bench read_path

# Import and export speed and peak memory through curl, release build:
# `make excel-bench ROWS=1000000` (DATABASE_URL for PostgreSQL).
ROWS ?= 100000
excel-bench:
	$(CARGO) build --release -p shuzhuan-api --bin shuzhuan
	tests/excel_bench.sh $(CARGO_TARGET_DIR)/release/shuzhuan $(ROWS)

ci: fmt-check lint check-deps openapi-check clients test

# Forget the dev database (the next `make run` starts from the seeds again).
clean-data:
	rm -rf ./data
