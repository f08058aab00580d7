# Two commands: `make run` (the app with demo data, worker and beat) and `make test`.
# Both build the virtual environment first, and only when requirements changed.
PYTHON ?= python3
# The web server's port: `make run PORT=8001` when 8000 is taken.
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint ruff typecheck migrate screenshots

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit("Postbag needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	@echo "Bringing the database up to date..."
	@$(BIN)/python manage.py migrate --noinput -v 0

run: migrate
	@$(BIN)/python manage.py load_demo
	@echo ""
	@echo "Postbag is starting at http://127.0.0.1:$(PORT) (web, Celery worker and beat). Ctrl-C stops all three."
	@echo ""
	@# honcho gives the first process (web) the port; Ctrl-C makes it exit 130, which is how
	@# the run is meant to end, so make does not report it as an error.
	@$(BIN)/honcho start -f Procfile.dev -p $(PORT) || [ $$? -eq 130 ]

test: install
	$(BIN)/python -m pytest

# The README's screenshots (docs/screenshots/), taken by the browser journeys of the story.
screenshots: install
	SCREENSHOTS=1 $(BIN)/python -m pytest tests/browser/test_reference_story.py -n0 -k end_to_end

lint: ruff typecheck

ruff: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy with django-stubs; what it checks and how strictly is in pyproject.toml ([tool.mypy]).
typecheck: install
	$(BIN)/mypy
