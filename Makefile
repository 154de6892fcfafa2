# Two commands do all set-up on a fresh machine: `make test` and `make report`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BACKENDS ?= tensorflow jax torch
EXTRAS := tf,jax,torch,test,bench,report
STAMP := $(VENV)/.installed-stamp
# asv profile of the report's run on HEAD (quick: R = 1 and 10, >= 6 samples a side; see docs/benchmarks.md)
REPORT_PROFILE ?= quick
# TensorFlow's start-up banners (oneDNN, CPU features) drown the progress lines; errors still show.
TF_CPP_MIN_LOG_LEVEL ?= 2
export TF_CPP_MIN_LOG_LEVEL

.PHONY: install lint test asv-check asv-regular perf equivalence validation power report clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@echo "== creating $(VENV) and installing the harness with the tensorflow, jax and torch backends (about 2 min)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[$(EXTRAS)]"
	touch $(STAMP)

lint: install
	$(PY) -m ruff check .

# The whole suite on TensorFlow (the default backend), then the tests marked backend_matrix on the
# other backends in BACKENDS (KERAS_BACKEND).
test: lint
	@set -e; for backend in $(BACKENDS); do \
		if [ $$backend = tensorflow ]; then selection=""; else selection="-m backend_matrix"; fi; \
		echo "== tests with KERAS_BACKEND=$$backend $$selection"; \
		KERAS_BACKEND=$$backend $(PY) -m pytest -q $$selection tests; \
	done

# `asv check`, then every benchmark once through (profile quick) on HEAD in $(VENV); fails if any errors.
asv-check: install
	PYTHON=$(PY) benchmarks/ci_check.sh

# The default (regular) asv run on HEAD in $(VENV), results under .asv/results (~5 min on 2 cores).
asv-regular: install
	$(PY) -m asv machine --yes >/dev/null
	MRH_BENCH_PROFILE=regular $(PY) -m asv run --python=same --record-samples \
		--set-commit-hash "$$(git rev-parse HEAD)"

# pytest-benchmark: fused vs reference in seconds, before a commit.
perf: install
	MRH_BENCH_PROFILE=quick $(PY) -m pytest tests/perf --benchmark-only

# How far the fused network is from the reference at R = 100, on every backend.
equivalence: install
	@set -e; for backend in $(BACKENDS); do \
		KERAS_BACKEND=$$backend $(PY) -m harness.equivalence --replicas 100 2>/dev/null; \
	done

validation: install
	$(PY) -m validation --quick

power: install
	$(PY) -m validation --power

# The main job: quick validation, the power table, an asv run of HEAD, the asv site and the report
# page in reports/html/. A failed validation does not stop it: the page shows the failures.
report: install
	@echo "== [1/4] validation (quick) -> results/validation/validation.json"
	@status=0; $(PY) -m validation --quick || status=$$?; if [ $$status -gt 1 ]; then exit $$status; fi
	@echo "== [2/4] validation power (null seeds and planted defects, about 3 min) -> results/validation/power.json"
	$(PY) -m validation --power
	@echo "== [3/4] asv run of HEAD (profile $(REPORT_PROFILE), in $(VENV)) -> .asv/results"
	@$(PY) -m asv machine --yes >/dev/null
	MRH_BENCH_PROFILE=$(REPORT_PROFILE) $(PY) -m asv run --python=same --record-samples \
		--set-commit-hash "$$(git rev-parse HEAD)"
	@echo "== [4/4] asv publish and the report page -> reports/html/"
	$(PY) -m reports

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
