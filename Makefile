# The two commands: `make run` and `make test`. Everything else is a helper of theirs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install web bench bench-webhooks schema lint clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# The browser tests drive Debian's Chromium (browsers cannot be downloaded by test tools here).
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
$(CHROMIUM):
	$(SUDO) apt-get install -y --no-install-recommends chromium || \
		($(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium)

# The recruiter app (web/): installed from its lock file, built when a source is newer than the build.
WEB_STAMP := web/node_modules/.package-lock.json
WEB_SOURCES := $(shell find web/src -type f) web/index.html web/vite.config.ts web/tsconfig.json web/package.json
$(WEB_STAMP): web/package-lock.json
	npm --prefix web ci --no-audit --no-fund
	touch $(WEB_STAMP)
web/dist/index.html: $(WEB_STAMP) $(WEB_SOURCES)
	npm --prefix web run build
web: web/dist/index.html

run: $(STAMP) web
	HIREGRAPH_WEBHOOK_ALLOW_LOOPBACK=1 HIREGRAPH_DEV_SIGN_IN=1 $(BIN)/hiregraph serve --migrate --seed-demo --with-worker

# One pytest-xdist worker per core, each with its own embedded cluster (or its own database on
# TEST_DATABASE_URL's server); `make test TEST_WORKERS=0` runs in one process.
TEST_WORKERS ?= auto
test: $(STAMP) $(CHROMIUM) web
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

bench: $(STAMP)
	$(BIN)/python -m bench.run

bench-webhooks: $(STAMP)
	$(BIN)/python -m bench.webhooks

schema: $(STAMP)
	$(BIN)/hiregraph export-schema > schema.graphql

lint: $(STAMP) $(WEB_STAMP)
	npm --prefix web run typecheck
	$(BIN)/ruff check service tests bench
	$(BIN)/ruff format --check service tests bench
	$(BIN)/mypy service tests bench
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache web/node_modules web/dist
