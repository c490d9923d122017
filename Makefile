# keras-pipelines: `make run` (default pipeline end to end) and `make test` (whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
export KERAS_BACKEND := tensorflow
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: install run test test-fast bench quality clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

run: install
	$(VENV)/bin/kpipe run pipelines/specs/digits.yaml

# The suite runs on TEST_WORKERS processes (pytest-xdist), whole modules to a process (their fixtures stay shared).
TEST_WORKERS ?= 2

test: install
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

test-fast: install
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile -m "not slow"

bench: install
	$(PY) -m benchmarks.run_all

# On a GPU (or TPU) machine with TensorFlow and JAX installed: the pipeline vs a hand-written script, both backends;
# writes benchmarks/accel_results.json. Without an accelerator: a tiny CPU smoke run of the same code paths.
.PHONY: bench-accel
bench-accel: install
	$(PY) -m benchmarks.accel

quality: install
	$(PY) -m pip install --quiet -e ".[quality]"
	$(PY) -m benchmarks.tabular_quality --seeds 42 7 1
	$(PY) -m benchmarks.quality --seeds 42 7
	$(PY) -m benchmarks.forecast_quality
	$(PY) -m benchmarks.tsc_quality
	$(PY) -m benchmarks.vision_quality
	$(PY) -m benchmarks.captioning_quality

clean:
	rm -rf .kpipe .pytest_cache .hypothesis
