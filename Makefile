# wizard403: `make demo` opens the wizard on the built-in 403 lab; `make test` runs the whole test suite.
# Both set everything up first on a fresh machine (a virtualenv in .venv; nginx via apt-get for the tests).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
JOBS ?= 2  # test processes: CI has two cores, and the TUI walks are CPU-bound

.PHONY: setup system demo test bench screenshots clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

setup: $(BIN)/.installed

system:
	scripts/setup-system.sh

demo: setup
	$(BIN)/wizard403 demo $(SCENARIO)

test: setup system
	$(BIN)/pytest -q -p no:cacheprovider -n $(JOBS) --dist worksteal

bench: setup
	for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

screenshots: setup system
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
