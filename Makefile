# Task runner. `make run [PORT=9000]` starts openssm; `make test` installs everything and runs the whole suite.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
PYTEST_ARGS ?=

.PHONY: dev postgres sshd compat-clients run test test-quick check fmt bench clean

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -c constraints.txt -e '.[dev]'
	touch $@

# Debian's PostgreSQL server, for the tests that run on a real PostgreSQL.
postgres:
	@ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql; }

# OpenSSH's server, for the test of ssh through a session (ProxyCommand); not started here.
sshd:
	@test -x /usr/sbin/sshd || { apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends openssh-server; }

# Independent clients of AWS's session protocol from npm, for the compatibility tests only
# (tests/compat; exact versions in its package-lock.json). Without npm those tests skip.
compat-clients:
	@if command -v npm >/dev/null; then \
		test tests/compat/node_modules/.installed -nt tests/compat/package-lock.json || \
		{ npm ci --prefix tests/compat --no-audit --no-fund -q && touch tests/compat/node_modules/.installed; }; \
	else echo "npm not found: the session compatibility tests will be skipped"; fi

dev: $(VENV)/.installed postgres sshd compat-clients

# `make run PORT=9000` serves on another port (default 8787).
run: $(VENV)/.installed
	$(VENV)/bin/openssm up $(if $(PORT),--port $(PORT))

fmt: $(VENV)/.installed
	$(VENV)/bin/ruff format openssm tests bench scripts
	$(VENV)/bin/ruff check --fix openssm tests bench scripts

check: $(VENV)/.installed
	$(VENV)/bin/ruff format --check openssm tests bench scripts
	$(VENV)/bin/ruff check openssm tests bench scripts
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(PY) scripts/check_module_size.py
	$(PY) scripts/check_import_cycles.py
	$(PY) scripts/readme_operations.py --check

# The suite runs under coverage, the servers and agents it starts included (pyproject.toml's
# [tool.coverage.run]); the total is printed last, `coverage report -m` details it afterwards.
test: dev check
	$(VENV)/bin/coverage erase
	COVERAGE_FILE=$(CURDIR)/.coverage $(VENV)/bin/coverage run -m pytest -n 2 $(PYTEST_ARGS); \
	status=$$?; \
	$(VENV)/bin/coverage combine -q && \
	echo "coverage: $$($(VENV)/bin/coverage report --format=total)% of openssm's statements and branches"; \
	exit $$status

test-quick: $(VENV)/.installed
	$(VENV)/bin/pytest -m "not e2e and not postgres and not cli" -x -q $(PYTEST_ARGS)

bench: $(VENV)/.installed
	$(PY) bench/api_throughput.py
	$(PY) bench/api_throughput.py --operation PutParameter --synchronous NORMAL --seconds 5
	$(PY) bench/api_throughput.py --operation PutParameter --seconds 5
	$(PY) bench/slow_clients.py
	$(PY) bench/agent_rss.py
	$(PY) bench/fleet_sim.py --agents 10000 --hold-s 30
	$(PY) bench/commands_sim.py
	$(PY) bench/fanout.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .coverage .coverage.*
