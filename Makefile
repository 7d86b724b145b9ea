# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed
# Nothing is fetched from a model hub at run time.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install install-dev demo test lint benchmarks clean

$(RUNTIME_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first and pinned: 2.13.0 is the CPU build on this disk; unpinned pulls a CUDA build.
	$(BIN)/pip install torch==2.13.0
	$(BIN)/pip install -e .
	touch $@

$(DEV_STAMP): $(RUNTIME_STAMP)
	$(BIN)/pip install -e ".[dev]"
	touch $@

install: $(RUNTIME_STAMP)

install-dev: $(DEV_STAMP)

demo: $(RUNTIME_STAMP)
	$(BIN)/autocode evaluate --corpus corpus/seed --json reports/seed-evaluation.json \
		--markdown reports/seed-evaluation.md
	@echo "Report: reports/seed-evaluation.md"
	# Suggested codes for the example transcripts; trains a model into reports/ when none is shipped.
	test -f models/seed-themes/model.json || $(BIN)/autocode train --corpus corpus/seed \
		--evaluation reports/seed-evaluation.json --out reports/seed-themes
	$(BIN)/autocode suggest examples/transcripts --out reports/suggest --model \
		$$(test -f models/seed-themes/model.json && echo models/seed-themes || echo reports/seed-themes)
	@echo "Suggested codes: reports/suggest/report.html (units.csv, codes.csv, run.json beside it)"
	$(BIN)/autocode saturation --coded corpus/seed/excerpts.csv --interview-column participant --code-column themes --order-by name --out reports/saturation

test: $(DEV_STAMP)
	$(BIN)/pytest

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

benchmarks: $(DEV_STAMP)
	$(BIN)/python benchmarks/quality.py

clean:
	rm -rf $(VENV) reports build *.egg-info src/*.egg-info
