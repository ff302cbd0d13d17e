# Kappa Lab. `make demo` and `make test` are the two commands a fresh machine needs.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
LAB := $(VENV)/bin/lab
# TLC data: the official site by default; a local copy with the same layout beside the clone (../shared/data/tlc,
# as on the build machines; env LAB_SHARED_DIR moves it) is used when present and LAB_TLC_BASE_URL is not set.
TLC_MIRROR := $(abspath $(or $(LAB_SHARED_DIR),../shared)/data/tlc)
ifeq ($(origin LAB_TLC_BASE_URL),undefined)
ifneq ($(wildcard $(TLC_MIRROR)/misc/taxi_zone_lookup.csv),)
export LAB_TLC_BASE_URL := file://$(TLC_MIRROR)
endif
endif
PYTEST_ARGS ?=
# nbval runs week 00's student release as a learner opens it (its own defaults: full mode, no papermill parameters;
# it fails on any error). The other weeks need smoke mode's parameters, which only papermill injects (tests/).
NBVAL := --nbval-lax notebooks/00_environment.ipynb

.PHONY: help setup prereqs venv jars demo test test-unit test-stack test-faults test-notebooks test-k8s test-kind test-data test-week lint format lab up down status bench strip release clean k8s-bin

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

prereqs: ## check (and, as root on Debian, install) Java 17, Maven and Prometheus
	@bash .ci/prereqs

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools wheel
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

venv: $(VENV)/.installed ## create the virtualenv with the pinned Python packages

jars: venv ## resolve the pinned JVM artifacts from Maven Central into .lab/jars (idempotent)
	$(LAB) setup

setup: prereqs venv jars ## everything a fresh machine needs

demo: setup ## start the local stack and run the instructor notebooks (with solutions) headless into runs/
	$(LAB) up
	$(LAB) demo

lint: venv ## ruff (lint and format check) and the import-layer rule
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -q tests/unit/test_layers.py

format: venv ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The test tiers are folders of tests/ (tests/README.md: what goes where, its marker, how long it takes); each tier
# alone: make test-unit, test-stack, test-faults, test-notebooks, test-k8s. `make test` runs every tier but kind in two pytest sessions side by side, each with its own services: `notebooks`
# (plus nbval on week 00) in one; `faults` (which kills and restarts its services), `k8s` (the control plane), `stack`
# and `unit` with the doctests in the other, on a stack of its own: LAB_HOME <LAB_HOME>/side, ports shifted by
# LAB_PORT_OFFSET + 37 (an offset at which no lab port meets another). Its output goes to build/test-side.log
# (printed when both have ended), its JUnit XML to build/junit-side.xml.
SIDE_OFFSET = $(shell echo $$(( $${LAB_PORT_OFFSET:-0} + 37 )))
SIDE_JARS = $(abspath $(or $(LAB_JARS),$(or $(LAB_HOME),.lab)/jars))
SIDE_ARGS = $(filter-out --junitxml=%,$(PYTEST_ARGS)) --junitxml=build/junit-side.xml
test: setup lint ## lint, then every tier but kind: faults + k8s + stack + unit beside notebooks (smoke mode)
	@mkdir -p build; rm -f build/test-side.rc; \
	echo "test: tests/faults, tests/k8s, tests/stack, tests/unit and the doctests run beside the notebooks (build/test-side.log)"; \
	( LAB_HOME=$(abspath $(or $(LAB_HOME),.lab))/side LAB_JARS=$(SIDE_JARS) LAB_PORT_OFFSET=$(SIDE_OFFSET) \
	  $(PY) -m pytest tests $(foreach t,notebooks kind,--ignore=tests/$(t)) --doctest-modules lab \
	  -m "not kind" $(SIDE_ARGS) > build/test-side.log 2>&1; echo $$? > build/test-side.rc ) & \
	$(PY) -m pytest tests $(foreach t,faults k8s stack unit,--ignore=tests/$(t)) -m "not kind" $(NBVAL) $(PYTEST_ARGS); \
	main=$$?; wait; echo "---- the side run (tests/faults, tests/k8s, tests/stack, tests/unit, doctests), from build/test-side.log:"; \
	cat build/test-side.log; side=$$(cat build/test-side.rc 2>/dev/null || echo 1); \
	echo "test: notebooks exit $$main; faults/k8s/stack/unit/doctests exit $$side"; \
	[[ $$main -eq 0 && $$side -eq 0 ]]

# The k8s test tier's control plane (lab.services.controlplane): official Linux amd64 release binaries, the ones
# `kwokctl --runtime binary` fetches. Not needed where ../shared/k8s-control-plane/bin/ holds the tarball.
K8S_BIN := .lab/k8s/bin
K8S_VERSION := $(shell sed -n 's/^CONTROL_PLANE_K8S_VERSION = "\(.*\)"/\1/p' lab/config.py)
ETCD_VERSION := $(shell sed -n 's/^CONTROL_PLANE_ETCD_VERSION = "\(.*\)"/\1/p' lab/config.py)
KWOK_VERSION := $(shell sed -n 's/^CONTROL_PLANE_KWOK_VERSION = "\(.*\)"/\1/p' lab/config.py)
k8s-bin: ## download the control plane's binaries (Linux amd64) into .lab/k8s/bin for the k8s test tier
	mkdir -p $(K8S_BIN)
	for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do \
	  curl -fsSLo $(K8S_BIN)/$$b https://dl.k8s.io/release/v$(K8S_VERSION)/bin/linux/amd64/$$b || exit 1; done
	curl -fsSL https://github.com/etcd-io/etcd/releases/download/v$(ETCD_VERSION)/etcd-v$(ETCD_VERSION)-linux-amd64.tar.gz \
	  | tar xz -C $(K8S_BIN) --strip-components=1 etcd-v$(ETCD_VERSION)-linux-amd64/etcd
	curl -fsSLo $(K8S_BIN)/kwok https://github.com/kubernetes-sigs/kwok/releases/download/v$(KWOK_VERSION)/kwok-linux-amd64
	chmod +x $(K8S_BIN)/*

test-kind: venv ## the live kind-cluster tests (needs a running `lab --target kind up`; CI: kind.yml)
	LAB_REQUIRE_KIND=1 $(PY) -m pytest tests/kind $(PYTEST_ARGS)

test-unit: venv ## only the tests that need no services (tests/unit and the doctests)
	$(PY) -m pytest tests/unit --doctest-modules lab $(PYTEST_ARGS)

test-stack: setup ## the real local stack and Spark tests (tests/stack)
	$(PY) -m pytest tests/stack $(PYTEST_ARGS)

test-faults: setup ## the fault-injection suite on the real stack (tests/faults)
	$(PY) -m pytest tests/faults $(PYTEST_ARGS)

test-notebooks: setup ## the notebooks in smoke mode and the learners' answers (tests/notebooks, nbval on week 00)
	$(PY) -m pytest tests/notebooks $(NBVAL) $(PYTEST_ARGS)

test-k8s: venv ## the real Kubernetes control plane on loopback (tests/k8s; binaries: make k8s-bin or ../shared)
	$(PY) -m pytest tests/k8s $(PYTEST_ARGS)

# The TLC samples the tests read: small slices of real months (their README says which rows and where from), in
# ../shared/data/tlc beside the clone (or env LAB_SHARED_DIR / LAB_TLC_BASE_URL); not the TLC site's whole months.
TEST_SAMPLES := misc/taxi_zone_lookup.csv trip-data/yellow_tripdata_2021-01.parquet \
  trip-data/yellow_tripdata_2025-01.parquet trip-data/green_tripdata_2024-01.parquet
test-data: ## check that the TLC samples the tests read are beside the clone, or say how to get them
	@missing=0; for f in $(TEST_SAMPLES); do [[ -f $(TLC_MIRROR)/$$f ]] || { echo "missing: $(TLC_MIRROR)/$$f"; missing=1; }; done; \
	if [[ $$missing = 0 ]]; then echo "test-data: the tests read the TLC samples in $(TLC_MIRROR)"; else \
	  echo "test-data: copy the shared samples folder (data/tlc, ~2 MB, with its README) to $(TLC_MIRROR), or point"; \
	  echo "  LAB_SHARED_DIR at a folder holding data/tlc/ (tests/README.md, 'The TLC samples')."; exit 1; fi

test-week: setup ## one notebook, e.g. make test-week N=03
	$(PY) -m pytest tests/notebooks/test_notebooks.py -k "$(N)_" $(PYTEST_ARGS)

lab: setup ## open JupyterLab on the notebooks (the student release)
	$(VENV)/bin/jupyter lab notebooks/

up: setup ## start the local stack
	$(LAB) up

down: ## stop the local stack
	$(LAB) down

status: ## show the local stack
	$(LAB) status

bench: setup ## print the speed and memory figures (see bench/README.md)
	$(PY) bench/stack.py
	$(PY) bench/producer.py
	$(PY) bench/streaming.py
	$(PY) bench/streaming.py --ramp 2000,5000,10000,20000 --seconds 30

strip: venv ## strip outputs from the notebooks before committing
	$(LAB) strip

release: venv ## write the student notebooks (notebooks/NN_*) from the instructor sources (notebooks/instructor/)
	$(LAB) release

clean: ## remove executed notebooks and demo runs (keeps caches)
	rm -rf build runs
