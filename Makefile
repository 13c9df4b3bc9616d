# Two commands do all the setup: `make serve` and `make test`. Each installs what it needs first.
VENV ?= .venv
PY := $(VENV)/bin/python
ABSTRACTS := $(VENV)/bin/abstracts
STAMP := $(VENV)/.installed

.PHONY: install browser index serve test bench bench-scale bench-reliability clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first, from the CPU build on local disk, so pip never resolves a multi-GB CUDA build
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Headless Chromium and its driver for the page tests (Debian packages), installed only when missing.
# Without root or apt the step only warns: the browser tests then skip with the reason.
browser:
	@if command -v /usr/bin/chromium >/dev/null 2>&1 && command -v /usr/bin/chromedriver >/dev/null 2>&1; then \
		:; \
	else \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		{ $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update && \
		  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver; } || \
		echo "warning: could not install chromium and chromium-driver; the browser tests will be skipped" >&2; \
	fi

index: install
	$(ABSTRACTS) index

serve: install
	$(ABSTRACTS) stats >/dev/null 2>&1 || $(ABSTRACTS) index
	$(ABSTRACTS) serve

test: install browser
	$(PY) -m pytest

# Benchmarks print figures beside a baseline from the same run; they are not tests.
bench: install
	$(PY) -m bench.embed
	$(PY) -m bench.http
	$(PY) -m bench.quality

# Needs ARXIV_INDEX: an index of ../shared/data/arxiv/arxiv_abstracts.jsonl.gz (see README, Benchmarks).
bench-scale: install
	$(PY) -m bench.scale --index $(ARXIV_INDEX) --http --million

bench-reliability: install
	$(PY) -m bench.crash --trials 20
	$(PY) -m bench.crash --mode points
	$(PY) -m bench.slow_clients
	$(PY) -m bench.load --clients 50 --duration 60
	$(PY) -m bench.fuzz_api

clean:
	rm -rf $(VENV) .pytest_cache
