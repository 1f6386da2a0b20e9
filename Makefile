# Two commands on a fresh machine:  `make demo` (a sync against the bundled emulator, or a real
# account when PERSONIO_CLIENT_ID and PERSONIO_CLIENT_SECRET are set) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# PyAirbyte lives in a virtualenv of its own (see integration_tests/pyairbyte-requirements.txt).
PYAIRBYTE_VENV := .venv-pyairbyte
PYAIRBYTE_STAMP := $(PYAIRBYTE_VENV)/.installed
PYAIRBYTE_REQUIREMENTS := integration_tests/pyairbyte-requirements.txt
# personio-client too (see integration_tests/personio-client-requirements.txt).
PERSONIO_CLIENT_VENV := .venv-personio-client
PERSONIO_CLIENT_STAMP := $(PERSONIO_CLIENT_VENV)/.installed
PERSONIO_CLIENT_REQUIREMENTS := integration_tests/personio-client-requirements.txt

.PHONY: install pyairbyte personio-client demo test benchmark faults clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

$(PYAIRBYTE_STAMP): $(PYAIRBYTE_REQUIREMENTS)
	$(PYTHON) -m venv $(PYAIRBYTE_VENV)
	$(PYAIRBYTE_VENV)/bin/pip install --quiet --upgrade pip
	$(PYAIRBYTE_VENV)/bin/pip install --quiet -r $(PYAIRBYTE_REQUIREMENTS)
	touch $(PYAIRBYTE_STAMP)

pyairbyte: $(PYAIRBYTE_STAMP)

$(PERSONIO_CLIENT_STAMP): $(PERSONIO_CLIENT_REQUIREMENTS)
	$(PYTHON) -m venv $(PERSONIO_CLIENT_VENV)
	$(PERSONIO_CLIENT_VENV)/bin/pip install --quiet --upgrade pip
	$(PERSONIO_CLIENT_VENV)/bin/pip install --quiet -r $(PERSONIO_CLIENT_REQUIREMENTS)
	touch $(PERSONIO_CLIENT_STAMP)

personio-client: $(PERSONIO_CLIENT_STAMP)

demo: $(STAMP)
	$(BIN)/python -m tools.demo

test: $(STAMP) $(PYAIRBYTE_STAMP) $(PERSONIO_CLIENT_STAMP)
	$(BIN)/python -m pytest -q

benchmark: $(STAMP)
	$(BIN)/python -m tools.benchmark

faults: $(STAMP)
	$(BIN)/python -m tools.fault_suite

clean:
	rm -rf $(VENV) $(PYAIRBYTE_VENV) $(PERSONIO_CLIENT_VENV) build *.egg-info output
