# Tocsin: two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8000
# The web server's port; settings build SITE_URL (links in emails, integration URLs) from it
# unless SITE_URL is set: `make run PORT=8080` gives http://localhost:8080.
export PORT

.PHONY: run test install lint format check clean mutation

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## The platform with demo data on the embedded defaults (SQLite, filesystem broker):
## web server on :$(PORT), a Celery worker with beat, one for the paging engine's steps
## and sweeps, and one that sends (the outbox).
run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo ""
	@echo "Tocsin is starting on http://localhost:$(PORT)/  (admin: /admin/, API docs: /api/docs/)"
	@echo "Sign in as admin / tocsin-demo (staff), or priya, sam, olivia, marco, lena, diego with the same password."
	@echo "Press Ctrl-C to stop the web server, worker and beat."
	@echo ""
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/celery -A config worker --beat --loglevel=INFO --concurrency=2 -Q celery \
		--schedule=var/celerybeat-schedule -n main@%h & \
	$(BIN)/celery -A config worker --loglevel=INFO --pool=threads --concurrency=4 \
		-Q paging -n paging@%h & \
	$(BIN)/celery -A config worker --loglevel=INFO --pool=threads --concurrency=16 \
		-Q outbox -n outbox@%h & \
	$(BIN)/python manage.py runserver 0.0.0.0:$(PORT)

## The test suite: SQLite by default; set DATABASE_URL=postgres://... for PostgreSQL.
## The browser tests (tests/e2e) need /usr/bin/chromium, node, and `npm ci` in tests/e2e
## and tests/e2e/oidc; where those are missing they are skipped, and pytest's summary
## ends with one line saying which were skipped and what to install.
test: $(STAMP)
	@test -x /usr/bin/chromium || echo "Browser tests will be skipped: install Chromium (apt-get install chromium)."
	@test -f tests/e2e/node_modules/axe-core/axe.min.js || echo "Accessibility tests will be skipped: run npm ci in tests/e2e."
	$(BIN)/pytest

## Mutation testing of the paging engine, delivery, the outbox and the incident lifecycle
## ([tool.mutmut] in pyproject.toml; not run by CI; hours, not minutes). Needs PostgreSQL:
## each mutant is its own pytest session, and --reuse-db keeps it from migrating again.
## One child: parallel children would share that one test database and block each other.
MUTATION_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/tocsin_mutation
mutation: $(STAMP)
	rm -rf mutants
	DATABASE_URL=$(MUTATION_DATABASE_URL) $(BIN)/mutmut run --max-children 1
	$(BIN)/mutmut results

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: $(STAMP) lint
	$(BIN)/mypy
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py check

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache *.egg-info
