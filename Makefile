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

.PHONY: compare timing-power grid lowerings install lint test asv-check asv-regular perf equivalence validation power report clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@echo "== creating $(VENV) and installing the harness with the tensorflow, jax and torch backends (about 2 min)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[$(EXTRAS)]"
	touch $(STAMP)

lint: install
	$(PY) -m ruff check .

# The whole suite on TensorFlow (the default backend) once per x86 CPU kernel family (ONEDNN_STATES:
# TF_ENABLE_ONEDNN_OPTS=0 and =1, what TensorFlow picks on CPUs without and with AVX-512 VNNI/BF16),
# then the tests marked backend_matrix on the other backends in BACKENDS (KERAS_BACKEND). Tests marked
# tensorflow_kernel_free (they run no TensorFlow kernel) or onednn_neutral (they judge none of its
# numbers) run in the first oneDNN state only. Each pass runs on TEST_WORKERS pytest-xdist workers
# (auto: one per core; 0: in one process), a test file per worker; the tests marked wall_clock (their
# verdict rests on measured time) then run alone, once.
ONEDNN_STATES ?= 0 1
TEST_WORKERS ?= auto
PYTEST_PARALLEL = $(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile
test: lint
	@set -e; for backend in $(BACKENDS); do \
		if [ $$backend = tensorflow ]; then \
			first=yes; marks="not wall_clock"; \
			for onednn in $(ONEDNN_STATES); do \
				echo "== tests with KERAS_BACKEND=tensorflow TF_ENABLE_ONEDNN_OPTS=$$onednn -m '$$marks'"; \
				KERAS_BACKEND=tensorflow TF_ENABLE_ONEDNN_OPTS=$$onednn $(PYTEST_PARALLEL) -m "$$marks" tests; \
				if [ $$first = yes ]; then \
					echo "== wall-clock tests, alone: KERAS_BACKEND=tensorflow TF_ENABLE_ONEDNN_OPTS=$$onednn -m wall_clock"; \
					KERAS_BACKEND=tensorflow TF_ENABLE_ONEDNN_OPTS=$$onednn $(PY) -m pytest -q -m wall_clock tests; \
				fi; \
				first=no; marks="not wall_clock and not tensorflow_kernel_free and not onednn_neutral"; \
			done; \
		else \
			echo "== tests with KERAS_BACKEND=$$backend -m backend_matrix"; \
			KERAS_BACKEND=$$backend $(PYTEST_PARALLEL) -m backend_matrix tests; \
		fi; \
	done

# `asv check`, then every benchmark of profile quick once through on HEAD in $(VENV) (asv --quick: one
# sample each; `make report` samples them in full); fails if any errors.
asv-check: install
	ASV_QUICK=1 PYTHON=$(PY) benchmarks/ci_check.sh

# The GPU suites rehearsed on the CPU (MRH_GPU_REHEARSAL=1: R = 2, asv --quick, the fused
# implementation's parameter sets) with jax and tensorflow; fails on any errored or skipped GPU
# benchmark (see docs/gpu-runner.md).
.PHONY: asv-gpu-rehearsal
asv-gpu-rehearsal: install
	@set -e; for backend in jax tensorflow; do \
		echo "== GPU suites rehearsed on the CPU with KERAS_BACKEND=$$backend"; \
		KERAS_BACKEND=$$backend MRH_GPU_REHEARSAL=1 ASV_BENCH="^bench_gpu\..*\('multidense'" ASV_QUICK=1 \
			ASV_MACHINE=gpu-rehearsal-$$backend PYTHON=$(PY) benchmarks/ci_check.sh; \
	done

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

# The whole perf grid (backend x suite x R, reference / fused, fraction of floor) -> results/perf/grid.json
grid: install
	$(PY) -m benchmarks.grid

# Every lowering of the fused train step against the reference and auto, on this machine and backend
# (R = 10 and 100) -> results/perf/lowerings.json, shown by the report.
lowerings: install
	$(PY) -m benchmarks.lowerings

validation: install
	$(PY) -m validation --quick

# Fit-level equivalence: whole fits compared as ensembles, at the size chosen by power (FIT_MODE=--quick:
# CI's size; FIT_MODE=--full: R = 100, 1500-point grid).
.PHONY: fit fit-power fit-size
FIT_MODE ?=
fit: install
	$(PY) -m validation --fit $(FIT_MODE)

# The default fit check's false alarms and planted-defect detection at its size (727 s here: docs/validation.md).
FIT_POWER_RUNS ?= 100
FIT_DEFECT_RUNS ?= 20
fit-power: install
	$(PY) -m validation --fit-power --fit-power-runs $(FIT_POWER_RUNS) --fit-defect-runs $(FIT_DEFECT_RUNS)

# The fit size chosen by power: clipnorm-coupling detection and false alarms over sizes (1331 s here).
fit-size: install
	$(PY) -m validation.fit.size

power: install
	$(PY) -m validation --power

# The main job: quick validation, the power table, an asv run of HEAD, the asv site and the report
# page in reports/html/. A failed validation does not stop it: the page shows the failures.
report: install
	@echo "== [1/7] validation (quick) -> results/validation/validation.json"
	@status=0; $(PY) -m validation --quick || status=$$?; if [ $$status -gt 1 ]; then exit $$status; fi
	@echo "== [2/7] validation power (null seeds and planted defects, about 7 min on 2 cores) -> results/validation/power.json"
	$(PY) -m validation --power
	@echo "== [3/7] speedup at R = 1, 10, 100: fused vs reference, interleaved workers (the reference's R = 100 trace: a minute a round on TensorFlow) -> results/timing/speedup.json"
	$(PY) -m validation.timing.speedup
	@echo "== [4/7] fit-level validation (the size chosen by power: R = 20, 150 steps, NNPDF clipnorm; 22 s here) -> results/validation/fit.json"
	@status=0; $(PY) -m validation --fit || status=$$?; if [ $$status -gt 1 ]; then exit $$status; fi
	@echo "== [5/7] the fused layer's lowerings on this machine (train step, R = 10 and 100) -> results/perf/lowerings.json"
	$(PY) -m benchmarks.lowerings --replicas 10 100 --blocks 12 --json results/perf/lowerings.json
	@echo "== [6/7] asv run of HEAD (profile $(REPORT_PROFILE), in $(VENV)) -> .asv/results"
	@$(PY) -m asv machine --yes >/dev/null
	MRH_BENCH_PROFILE=$(REPORT_PROFILE) $(PY) -m asv run --python=same --record-samples \
		--set-commit-hash "$$(git rev-parse HEAD)"
	@echo "== [7/7] asv publish and the report page -> reports/html/"
	$(PY) -m reports

# Is HEAD slower than BASE? One warm worker per commit, interleaved blocks, a verdict per benchmark with
# its interval and measured error rates. `python -m validation.timing.compare` exits 0 no regression, 1 regression,
# 2 failure; make itself exits 2 whenever a recipe fails, so the command's own code is printed too.
BASE ?= main
HEAD ?= HEAD
compare: install
	@status=0; $(PY) -m validation.timing.compare --base $(BASE) --head $(HEAD) || status=$$?; \
	if [ $$status -ne 0 ]; then echo "python -m validation.timing.compare exited $$status (1: regression, 2: failure)"; fi; \
	exit $$status

# The timing power table of one backend ($KERAS_BACKEND, default tensorflow): A/A and planted slowdowns
# (fused train step x1.25, first step x1.5) through the real pipeline -> results/timing/power-<backend>.json
# (TIMING_ROUNDS rounds; times here in docs/benchmarks.md).
TIMING_ROUNDS ?= 8
timing-power: install
	$(PY) -m validation.timing.power --rounds $(TIMING_ROUNDS)

# The A/A ledger of $KERAS_BACKEND: the comparison `make compare` runs here (AA_PROFILE=auto; default or quick
# to name one) of HEAD against HEAD, repeated (at most AA_RUNS runs, stopping before AA_MINUTES), appended to
# docs/timing-aa/<backend>.jsonl; each run an independent unit.
AA_RUNS ?= 20
AA_MINUTES ?= 60
AA_PROFILE ?= auto
.PHONY: timing-aa
timing-aa: install
	$(PY) -m validation.timing.aa run --runs $(AA_RUNS) --minutes $(AA_MINUTES) --profile $(AA_PROFILE)

# The grid verdict's A/A rate: the grid with the reference against its copy, repeated.
.PHONY: grid-aa
grid-aa: install
	$(PY) -m benchmarks.grid.aa

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .compare
