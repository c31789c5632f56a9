# mpalloc developer entry points. Every target sets up .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MICROPYTHON ?= $(abspath $(BIN)/micropython)
export MICROPYTHON

.PHONY: test demo bench build lint venv clean

# The pins live in pyproject.toml ([project.optional-dependencies].dev).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -c "import tomllib; print('\\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['dev']))" > $(VENV)/requirements-dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r $(VENV)/requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -v $(PYTEST_ARGS)

demo: $(STAMP)
	$(MICROPYTHON) -X heapsize=4M examples/uart_rx_demo.py

# JSON (build/bench.json), then docs/benchmarks.md, docs/benchmarks.json, docs/img/*.png
# and README's summary block (a test checks README matches the committed report).
bench: $(STAMP)
	$(BIN)/python tools/bench $(BENCH_ARGS)
	MPLBACKEND=Agg $(BIN)/python tools/report --readme README.md

build: $(STAMP)
	$(BIN)/python tools/build

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf build .pytest_cache
