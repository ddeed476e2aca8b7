# The two commands of the README: `make demo` and `make test`. Every target sets up first.
VENV := .venv
BIN := $(VENV)/bin
DEMO_OUT := out/demo

.PHONY: setup demo test lint bench clean

setup:
	@bash scripts/setup.sh

demo: setup
	$(BIN)/grader doctor || true
	$(BIN)/grader validate questions
	$(BIN)/grader grade midsem-2025 submissions/midsem-2025 --out $(DEMO_OUT)/midsem-2025
	$(BIN)/grader grade quiz-2025 submissions/quiz-2025 --out $(DEMO_OUT)/quiz-2025
	$(BIN)/grader grade midsem-2025 submissions/midsem-2025-text --out $(DEMO_OUT)/midsem-2025-text
	$(BIN)/grader review midsem-2025 --out $(DEMO_OUT)/midsem-2025-text
	@echo "demo: gradebooks, feedback and statistics are under $(DEMO_OUT)/; review the free"
	@echo "      text: $(BIN)/grader review midsem-2025 --out $(DEMO_OUT)/midsem-2025-text --serve"

# The README's test command: lint first (a style or type error fails it), then the suite.
test: lint
	$(BIN)/python -m pytest -q -p no:cacheprovider

# ruff's files (everything but what pyproject.toml excludes) and mypy's (strict, grader/)
# are chosen in pyproject.toml; any problem fails the target, and with it CI (.ci/run).
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: setup
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf out .pytest_cache
