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
