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
# uv fills the three virtualenvs: from a cold cache it takes about 30 s where pip took about two minutes.
UV_VERSION := 0.13.9
UV := $(BIN)/uv

.PHONY: install pyairbyte personio-client demo test benchmark faults clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet 'uv==$(UV_VERSION)'
	$(UV) pip install --quiet --python $(BIN)/python -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

$(PYAIRBYTE_STAMP): $(PYAIRBYTE_REQUIREMENTS) $(STAMP)
	$(PYTHON) -m venv $(PYAIRBYTE_VENV)
	$(UV) pip install --quiet --python $(PYAIRBYTE_VENV)/bin/python -r $(PYAIRBYTE_REQUIREMENTS)
	touch $(PYAIRBYTE_STAMP)

pyairbyte: $(PYAIRBYTE_STAMP)

$(PERSONIO_CLIENT_STAMP): $(PERSONIO_CLIENT_REQUIREMENTS) $(STAMP)
	$(PYTHON) -m venv $(PERSONIO_CLIENT_VENV)
	$(UV) pip install --quiet --python $(PERSONIO_CLIENT_VENV)/bin/python -r $(PERSONIO_CLIENT_REQUIREMENTS)
	touch $(PERSONIO_CLIENT_STAMP)

personio-client: $(PERSONIO_CLIENT_STAMP)

demo: $(STAMP)
	$(BIN)/python -m tools.demo

test: $(STAMP) $(PYAIRBYTE_STAMP) $(PERSONIO_CLIENT_STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

benchmark: $(STAMP)
	$(BIN)/python -m tools.benchmark

faults: $(STAMP)
	$(BIN)/python -m tools.fault_suite

clean:
	rm -rf $(VENV) $(PYAIRBYTE_VENV) $(PERSONIO_CLIENT_VENV) build *.egg-info output
