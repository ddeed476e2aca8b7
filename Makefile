# The two commands of the README: `make demo` and `make test`. Both set up first.
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
	@echo "demo: gradebooks, feedback and statistics are under $(DEMO_OUT)/"

test: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: setup
	$(BIN)/ruff check grader reference_impls tests benchmarks
	$(BIN)/mypy

bench: setup
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf out .pytest_cache
