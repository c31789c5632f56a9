"""docs/observability.md: every example's output block is what the example prints.

Host-only. Each example runs on CPython and on the MicroPython unix port (the `.py`
sources; viper kernels where the port has them); addresses and the kernel name are
left out of the comparison (tools/observe_docs.normalise).
"""

import pytest

from mpalloc_tools import build
from mpalloc_tools import observe_docs as tool


def examples():
    with open(tool.DOC) as f:
        return tool.examples(f.read())


def test_every_family_has_an_example():
    names = [n for n, _, _ in examples()]
    assert names == ["slab", "ring", "bytebuf", "arena", "pool", "report"], names


@pytest.mark.parametrize("name", [n for n, _, _ in examples()])
def test_example_output_matches_cpython(name):
    code, want = [(c, o) for n, c, o in examples() if n == name][0]
    got = tool.run_cpython(code)
    assert tool.normalise(got) == tool.normalise(want), (
        "docs/observability.md example %s is stale: run tools/observe_docs\n%s"
        % (name, got))


@pytest.mark.parametrize("name", [n for n, _, _ in examples()])
def test_example_output_matches_micropython(name):
    exe = build.find_micropython()
    if exe is None:
        pytest.skip("no MicroPython unix port (set MICROPYTHON or run `make venv`)")
    code, want = [(c, o) for n, c, o in examples() if n == name][0]
    got = tool.run_micropython(code, exe)
    assert tool.normalise(got) == tool.normalise(want), got
