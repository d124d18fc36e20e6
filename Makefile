# Two commands from a fresh clone: `make run` (default experiment) and `make test` (test suite).
# Each creates .venv and installs the project on first use; only Python >= 3.10 is needed.
# `make run` installs only what a run needs; `make test` adds the test and dev extras
# (launchers, MLflow, selenium, ruff) to the same .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test test-fast lint format install clean bench bench-architectures bench-cumulative \
	bench-published

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	@echo "installing threshold-sweep and TensorFlow into $(VENV) (first time only, about a minute)"
	$(BIN)/python -m pip install --quiet --progress-bar off -e ".[series]"
	$(BIN)/python -m threshold_sweep.model.minirocket  # numba compiles MiniRocket once (~30-90 s)
	touch $(RUN_STAMP)

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	@echo "installing threshold-sweep with its test extras into $(VENV) (first time only, 1-2 minutes)"
	$(BIN)/python -m pip install --quiet --progress-bar off -e ".[dev]"
	$(BIN)/python -m threshold_sweep.model.minirocket  # numba compiles MiniRocket once (~30-90 s)
	touch $(DEV_STAMP) $(RUN_STAMP)

install: $(DEV_STAMP)

run: $(RUN_STAMP)
	$(BIN)/threshold-sweep $(ARGS)

# pytest-xdist: a worker per core; the tests of one xdist_group share a worker; the groups and
# tests go out in collection order, longest first (tests/conftest.py), not by size (docs/testing.md)
PARALLEL ?= -n auto --dist loadgroup --no-loadscope-reorder

test: $(DEV_STAMP)
	$(BIN)/python -m pytest $(PARALLEL) $(PYTEST_ARGS)

# the tests that train no model (see README, "The two commands")
test-fast: $(DEV_STAMP)
	$(BIN)/python -m pytest -m "not slow" $(PARALLEL) $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests benchmarks docs/make_screenshots.py
	$(BIN)/ruff format --check src tests benchmarks docs/make_screenshots.py

format: $(DEV_STAMP)
	$(BIN)/ruff format src tests benchmarks docs/make_screenshots.py
	$(BIN)/ruff check --fix src tests benchmarks docs/make_screenshots.py

clean:
	rm -rf $(VENV) outputs/runs outputs/multirun .pytest_cache

bench: $(DEV_STAMP)
	$(BIN)/python benchmarks/bench_bootstrap.py
	$(BIN)/python benchmarks/bench_runner.py
	$(BIN)/python benchmarks/bench_data.py
	$(BIN)/python benchmarks/bench_tracking.py
	$(BIN)/python benchmarks/bench_reference.py
	$(BIN)/python benchmarks/bench_coverage.py
	$(BIN)/python benchmarks/bench_pooled.py
	$(BIN)/python benchmarks/bench_kfold_memory.py

# about 30 minutes; AEON_DATA=<aeon/datasets/data of an unpacked aeon wheel> adds ItalyPowerDemand
bench-architectures: $(DEV_STAMP)
	$(BIN)/python benchmarks/bench_architectures.py $(if $(AEON_DATA),--aeon-data $(AEON_DATA))

# 4-6 minutes: one model.head=cumulative run (20 thresholds) vs one dedicated run, in one process
bench-cumulative: $(DEV_STAMP)
	$(BIN)/python benchmarks/bench_cumulative.py

# About 2-3 minutes per seed on 2 busy cores (measured with train.threads=1: GunPoint 14 s and
# OSULeaf, the largest, 16 s, both early-stopped; the other four extrapolated): aeon's bundled
# datasets (GunPoint, ItalyPowerDemand, ArrowHead, OSULeaf, BasicMotions, Covid3Month) on their
# published train/test splits with the defaults (sampling=none), into outputs/published_splits/;
# writes benchmarks/results/published_splits.json and prints the table. SEEDS="0 1 2" repeats
# each run; ARGS adds overrides (e.g. ARGS=train.threads=1)
SEEDS ?= 0
PUBLISHED := outputs/published_splits
bench-published: $(DEV_STAMP)
	$(BIN)/python benchmarks/published_splits.py export --out $(PUBLISHED)
	$(BIN)/python benchmarks/published_splits.py run --out $(PUBLISHED) --seeds $(SEEDS) -- $(ARGS)
