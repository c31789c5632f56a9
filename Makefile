# mpalloc developer entry points. Every target sets up .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.installed-bench
MICROPYTHON ?= $(abspath $(BIN)/micropython)
export MICROPYTHON
# make test LANES=unix: only the named lanes (cpython is the pytest one); see CONTRIBUTING.
ifdef LANES
export MPALLOC_LANES := $(LANES)
endif

.PHONY: venv-bench test test-quick demo bench build lint stubs venv wasm clean circuitpython-lib mutate

# The pins live in pyproject.toml ([project.optional-dependencies]): `dev` is what the
# tests need, `bench` adds the plotting stack that only tools/report uses.
define install_extra
	$(BIN)/python -c "import tomllib; print('\\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['$(1)']))" > $(VENV)/requirements-$(1).txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r $(VENV)/requirements-$(1).txt
endef

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(call install_extra,dev)
	touch $(STAMP)

$(BENCH_STAMP): $(STAMP)
	$(call install_extra,bench)
	touch $(BENCH_STAMP)

venv: $(STAMP)

# The plotting stack (tools/report's PNGs); make bench installs it, .ci/run too.
venv-bench: $(BENCH_STAMP)

# The [wasm32] lane's runtime: MicroPython's WebAssembly build from npm, run by node.
# Without npm (or the registry) the lane is skipped with a reason; nothing else stops.
WASM_PKG := @micropython/micropython-webassembly-pyscript@1.27.0
WASM_STAMP := build/wasm/.installed-1.27.0

$(WASM_STAMP):
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --prefix build/wasm --no-save --no-audit --no-fund --loglevel=error \
	    --fetch-retries=1 --fetch-timeout=60000 $(WASM_PKG) \
	  && touch $@ || echo "npm install $(WASM_PKG) failed: the [wasm32] lane will be skipped"; \
	else echo "no npm: the [wasm32] lane will be skipped (apt-get install nodejs npm)"; fi

wasm: $(WASM_STAMP)

# CIRCUITPY/lib's stand-in for the CircuitPython lanes (tests/lanes/circuitpython.py):
# Adafruit's asyncio and adafruit_ticks, pinned in pyproject.toml ([tool.mpalloc]).
CP_LIB := build/circuitpython-lib
$(CP_LIB)/.installed: pyproject.toml $(STAMP)
	rm -rf $(CP_LIB)
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-compile --target $(CP_LIB) $$($(BIN)/python -c "import tomllib; print(' '.join(tomllib.load(open('pyproject.toml', 'rb'))['tool']['mpalloc']['circuitpython-lib']))")
	touch $@

circuitpython-lib: $(CP_LIB)/.installed

# Progress dots and a summary (failures keep their MicroPython tracebacks; -ra lists every
# skip with its reason). PYTEST_ARGS="-v" for one line per item, "-k ring" to narrow.
test: $(STAMP) $(WASM_STAMP) $(CP_LIB)/.installed
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# A fast subset (about a minute): CPython and the unix viper lane, no host tooling tests.
test-quick: $(STAMP)
	MPALLOC_LANES=cpython,unix $(BIN)/python -m pytest -q --ignore-glob='*/test_host_*' $(PYTEST_ARGS)

# The stubs against the modules (also run by tests/test_host_stubs.py).
stubs: $(STAMP)
	cd lib && MYPY_CACHE_DIR=../build/mypy_cache ../$(BIN)/python -m mypy.stubtest $$(cd mpalloc && ls *.pyi | sed 's/\.pyi$$//; s/^/mpalloc./')

demo: $(STAMP)
	$(MICROPYTHON) -X heapsize=4M examples/uart_rx_demo.py

# A full run writes build/bench.json, then docs/benchmarks.md, docs/benchmarks.json,
# docs/img/*.png and README's summary block (a test checks README matches the committed
# report). BENCH_ARGS=--quick is a smoke run: its report goes to build/report/ only.
bench: $(BENCH_STAMP)
	$(BIN)/python tools/bench $(BENCH_ARGS)
	MPLBACKEND=Agg $(BIN)/python tools/report --readme README.md

build: $(STAMP)
	$(BIN)/python tools/build

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf build .pytest_cache

# Mutation check (host tool, not part of make test): plant small bugs in the kernels and
# twins one at a time, run their tests on the unix / unix-pure lane, report caught and
# survived. MUTATE_ARGS="-n 20 --seed 3" to change the sample.
mutate: $(STAMP)
	$(BIN)/python tools/mutate $(MUTATE_ARGS)
