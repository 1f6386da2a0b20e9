# Two commands on a fresh machine:  `make demo` (a sync against the bundled emulator, or a real
# account when PERSONIO_CLIENT_ID and PERSONIO_CLIENT_SECRET are set) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test benchmark faults clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m tools.demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

benchmark: $(STAMP)
	$(BIN)/python -m tools.benchmark

faults: $(STAMP)
	$(BIN)/python -m tools.faults

clean:
	rm -rf $(VENV) build *.egg-info output
