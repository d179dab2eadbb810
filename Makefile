# Two commands do everything on a fresh machine:
#   make lab    set up a local virtual environment (first time only) and open the course in JupyterLab
#   make test   set up the same environment and run every test, every lesson included (nbval)
#   make check  the contributor's loop: ruff, then every test not marked slow, in a random order (under 2 minutes)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Extra JupyterLab options, e.g.  make lab LAB_ARGS="--port 9999 --no-browser"
LAB_ARGS ?=
# Extra pytest options, e.g.  make test PYTEST_ARGS='-m "not browser"'
PYTEST_ARGS ?=
# JupyterLab refuses to start as root (containers, cloud VMs, classroom images) unless told; tell it only then.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root)

.PHONY: setup lab test check lint evidence benchmarks clean

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/install_torch.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	sh scripts/install_torch.sh $(BIN)/python
	@echo "Course packages: JupyterLab, ipywidgets, plotly, scikit-learn, Keras and the test tools (pyproject.toml):"
	@echo "         about 200 MB to download"
	$(BIN)/python -m pip install -e ".[test]"
	$(BIN)/python -m widgets.save_hook
	touch $(STAMP)

# Served from the repository root, so lab/tree/course/... is the same path here, on Binder and on a hub;
# the default URL (printed, and opened in the browser) is the first lesson.
lab: setup
	$(BIN)/jupyter-lab --ServerApp.root_dir="$(CURDIR)" \
		--LabApp.default_url=/lab/tree/course/00_start_here.ipynb $(ALLOW_ROOT) $(LAB_ARGS)

# Node tools for the tests (package.json): axe-core for the accessibility checks, configurable-http-proxy for
# the JupyterHub tests. Installed into ./node_modules from the npm registry, pinned by package-lock.json.
NODE_STAMP := node_modules/.installed

$(NODE_STAMP): package.json package-lock.json
	@echo "Node test tools (package.json: axe-core, configurable-http-proxy) into ./node_modules: about 12 MB"
	npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

# Chromium for the browser tests: installed with apt-get as root after saying what it installs, unless
# FTLAB_NO_SYSTEM_PACKAGES=1; without it they skip and say why (and fail under CI=true).
# --verbose prints each test's name as it starts: the browser tests and some lessons take minutes each.
# The lessons' cells run in their order, so the whole run keeps the files' order (-p no:randomly).
test: setup $(NODE_STAMP) lint
	sh scripts/install_browser.sh
	$(BIN)/python -m pytest --verbose -p no:randomly $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .

# No kernels, no browser, no training over a second: the unit tests in a random order (pytest-randomly prints
# its seed at the top; `make check PYTEST_ARGS="-p randomly --randomly-seed=N"` replays that order).
check: setup lint
	$(BIN)/python -m pytest -q -m "not slow" $(PYTEST_ARGS)

# Every claim on its design seeds AND its evaluation seeds (1000-1009; for five claims 2000-2009 too, for five more
# 2000-2009 and 3000-3009, for one more 2000-2009 to 4000-4009), written to course/evidence.json; about an hour on an
# idle 2-core machine, so `make test` measures the design seeds only. FTLAB_CLAIM_SEEDS=5000-5009 picks another range.
evidence: setup
	FTLAB_EVALUATION=1 $(BIN)/python -m pytest -p no:randomly -m claims tests/labs/test_claims_ledger.py

# Speed, transfer and memory goals are measured here, never in timed tests: each script prints its table.
# memory.py runs every lesson in a fresh kernel on one core and on two (about 15 minutes on an idle 2-core
# machine) and keeps its figures in benchmarks/results/memory.json.
benchmarks: setup
	$(BIN)/python benchmarks/freeze_explorer.py
	$(BIN)/python benchmarks/speed.py
	$(BIN)/python benchmarks/transfer.py
	$(BIN)/python benchmarks/memory.py --json benchmarks/results/memory.json

clean:
	rm -rf $(VENV) node_modules .pytest_cache build *.egg-info
