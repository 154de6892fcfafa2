# Two commands do all set-up on a fresh machine: `make test` and `make report`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BACKENDS ?= tensorflow jax torch
EXTRAS := tf,jax,torch,test,bench,report
STAMP := $(VENV)/.installed-stamp

.PHONY: install test lint report equivalence clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
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

# How far the fused network is from the reference at R = 100, on every backend.
equivalence: install
	@set -e; for backend in $(BACKENDS); do \
		KERAS_BACKEND=$$backend $(PY) -m harness.equivalence --replicas 100 2>/dev/null; \
	done

report: equivalence

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
