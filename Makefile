# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed
# Nothing is fetched from a model hub at run time.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install install-dev demo test lint benchmarks benchmark-finetune clean package-data seed-model

$(RUNTIME_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first and pinned: 2.13.0 is the CPU build on this disk; unpinned pulls a CUDA build.
	$(BIN)/pip install torch==2.13.0
	$(BIN)/pip install -e .
	touch $@

$(DEV_STAMP): $(RUNTIME_STAMP)
	$(BIN)/pip install -e ".[dev,distributed]"
	touch $@

install: $(RUNTIME_STAMP)

install-dev: $(DEV_STAMP)

demo: $(RUNTIME_STAMP)
	# 1. Leave-one-participant-out agreement of the classifiers and baselines with the seed study:
	#    its themes, and its lifecycle stages (59 stage-coded quotes and paraphrases).
	$(BIN)/autocode evaluate --corpus seed --json reports/seed-evaluation.json \
		--markdown reports/seed-evaluation.md
	$(BIN)/autocode evaluate --corpus seed --codebook stages -q \
		--json reports/seed-stages-evaluation.json --markdown reports/seed-stages-evaluation.md > /dev/null
	# 2. The paper's participant x theme and theme x stage tables, the authors' beside autocode's.
	$(BIN)/autocode matrix --corpus seed -q --markdown reports/seed-matrix.md \
		--html reports/seed-matrix.html --json reports/seed-matrix.json
	# 3. Suggested codes for the example transcripts, with the shipped classifier.
	$(BIN)/autocode suggest examples/transcripts --model seed-themes --out reports/suggest
	# 4. The seed study's saturation curve.
	$(BIN)/autocode saturation --coded corpus/seed/excerpts.csv --interview-column participant \
		--code-column themes --order-by name --out reports/saturation
	# 5. Batch-code the examples with themes and stages into a project (resumable), query it,
	#    and export it for QDA tools.
	$(BIN)/autocode code examples/transcripts --model seed-themes --model seed-stages \
		--project reports/project
	$(BIN)/autocode matrix --project reports/project --codebook themes \
		--csv reports/project-matrix.csv --html reports/project-matrix.html
	$(BIN)/autocode matrix --project reports/project --rows code --row-codebook themes \
		--codebook stages -q --csv reports/theme-x-stage.csv --json reports/theme-x-stage.json
	$(BIN)/autocode export --project reports/project reports/examples.qdpx
	@echo
	@echo "Evaluation:      reports/seed-evaluation.md, reports/seed-stages-evaluation.md"
	@echo "Seed tables:     reports/seed-matrix.md (.html): the authors' and autocode's, differences marked"
	@echo "Suggested codes: reports/suggest/report.html (units.csv, codes.csv beside it)"
	@echo "Saturation:      reports/saturation/saturation.png"
	@echo "Batch coding:    reports/project/exports/ and reports/examples.qdpx (open in NVivo, ATLAS.ti, MAXQDA, QualCoder)"
	@echo "Matrix:          reports/project-matrix.html (participant x theme), reports/theme-x-stage.csv"
	@echo "Review in the browser: .venv/bin/autocode review --project reports/project"

test: $(DEV_STAMP)
	$(BIN)/pytest

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

benchmarks: $(DEV_STAMP)
	$(BIN)/python benchmarks/quality.py
	$(BIN)/python benchmarks/theme_mapping.py
	$(BIN)/python benchmarks/saturation.py
	$(BIN)/python benchmarks/coders.py
	$(BIN)/python benchmarks/review.py
	$(BIN)/python benchmarks/corpus_effort.py
	$(BIN)/python benchmarks/batch.py
	$(BIN)/pip install -e ".[bench]"
	$(BIN)/python benchmarks/pipeline.py
	$(BIN)/python benchmarks/open_coding.py

# About 20 minutes on 2 cores: contrastive fine-tuning of the embedder in every fold.
benchmark-finetune: $(DEV_STAMP)
	$(BIN)/python benchmarks/finetune.py

# The shipped model and corpus are package data; models/ and corpus/ are their sources
# (tests/test_packaged_data.py checks that the copies are equal).
package-data:
	rm -rf src/autocode/data/models src/autocode/data/corpus
	mkdir -p src/autocode/data/models src/autocode/data/corpus
	cp -R models/seed-themes models/seed-stages src/autocode/data/models/
	cp -R corpus/seed src/autocode/data/corpus/

# Retrain the shipped classifiers (themes, and the 59 stage-coded quotes and paraphrases) on the
# seed corpus, each with its cross-validated agreement on the card.
seed-model: $(RUNTIME_STAMP)
	$(MAKE) package-data
	$(BIN)/autocode evaluate --corpus seed --json reports/seed-evaluation.json -q > /dev/null
	$(BIN)/autocode train --corpus seed --out models/seed-themes \
		--evaluation reports/seed-evaluation.json
	$(BIN)/autocode evaluate --corpus seed --codebook stages \
		--json reports/seed-stages-evaluation.json -q > /dev/null
	$(BIN)/autocode train --corpus seed --codebook stages --out models/seed-stages \
		--evaluation reports/seed-stages-evaluation.json
	$(MAKE) package-data

clean:
	rm -rf $(VENV) reports build *.egg-info src/*.egg-info
