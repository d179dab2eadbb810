# Two commands do everything on a fresh machine:
#   make lab    set up a local virtual environment (first time only) and open the course in JupyterLab
#   make test   set up the same environment and run every test, every lesson included (nbval)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup lab test benchmarks clean

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/install_torch.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	sh scripts/install_torch.sh $(BIN)/python
	$(BIN)/python -m pip install -e ".[test]"
	touch $(STAMP)

lab: setup
	$(BIN)/jupyter lab course/00_start_here.ipynb

# Node tools for the tests (package.json): axe-core for the accessibility checks, configurable-http-proxy for
# the JupyterHub tests. Installed into ./node_modules from the npm registry, pinned by package-lock.json.
NODE_STAMP := node_modules/.installed

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $(NODE_STAMP)

# Chromium for the browser tests: installed with apt-get when possible, else they skip and say why.
test: setup $(NODE_STAMP)
	sh scripts/install_browser.sh
	$(BIN)/python -m pytest

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
