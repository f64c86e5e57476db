# GreenCert — the two commands of the Quick start are `make demo` and `make test`.
# Both set up everything they need on a fresh Debian machine: system packages, the virtual
# environment, and (for the tests) the local PostgreSQL and Redis servers.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
DEBIAN_PACKAGES := fonts-noto-cjk libharfbuzz-subset0 poppler-utils chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# Test processes on this machine's cores; each file's tests stay together in one process.
TEST_PROCESSES ?= auto
PORT ?= 5000

.PHONY: demo test system venv services lint clean bench

demo: system venv
	$(BIN)/greencert demo --port $(PORT)

test: system venv services
	$(BIN)/lint-imports
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest \
	  --numprocesses $(TEST_PROCESSES) --dist loadfile

system:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing; \
	fi

venv: $(STAMP)

$(STAMP): pyproject.toml
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

# The PostgreSQL and Redis servers of the development machine; started when they are down.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { \
	  command -v pg_ctlcluster >/dev/null && $(SUDO) pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; }
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { \
	  command -v redis-server >/dev/null && $(SUDO) mkdir -p /var/lib/redis /var/log/redis && \
	  $(SUDO) redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
	    --dir /var/lib/redis --logfile /var/log/redis/ci.log; sleep 1; }

# Benchmarks (tests/benchmarks): a generated dataset in its own database, greencert_bench,
# dropped and created afresh; SCALE=small takes a tenth of the data. Writes bench-results.json.
bench: system venv services
	@command -v wrk >/dev/null || { \
	  echo "installing Debian packages: wrk"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q wrk; }
	$(BIN)/python -m tests.benchmarks --scale $(or $(SCALE),full) --output bench-results.json

lint: venv
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) instance .pytest_cache
