"""The [wasm32] lane: how it reports a missing runtime, and its node runner's protocol."""

import os
import subprocess

import pytest

from lanes import LIB
from lanes import wasm as wasm_lane

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_missing_node_says_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no node
    why = wasm_lane.LANES[0].unavailable()
    assert "node" in why and "apt-get install nodejs npm" in why and "make test" in why


def test_missing_package_names_the_path_and_the_remedy(monkeypatch, tmp_path):
    monkeypatch.setenv("MICROPYTHON_WASM", str(tmp_path / "nowhere"))
    why = wasm_lane.LANES[0].unavailable()
    if why is not None and why.startswith("no node"):
        pytest.skip(why)
    assert str(tmp_path / "nowhere") in why and "make test" in why
    assert "MICROPYTHON_WASM" in why and wasm_lane.VERSION in why


def run_module(tmp_path, source, *names, support=None):
    lane = wasm_lane.LANES[0]
    why = lane.unavailable()
    if why:
        pytest.skip(why)
    tests = tmp_path / "tests"
    tests.mkdir()
    if support is None:
        with open(os.path.join(ROOT, "tests", "support.py")) as f:
            support = f.read()
    (tests / "support.py").write_text(support)
    (tests / "test_w.py").write_text(source)
    cmd = ["node", wasm_lane.RUNNER, wasm_lane.package_dir(), str(wasm_lane.HEAP), LIB,
           str(tests), "test_w", "wasm32"] + list(names)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def test_runner_reports_each_test_on_32_bit_micropython(tmp_path):
    proc = run_module(tmp_path, (
        "import sys\nimport support\n\n\n"
        "def test_pass():\n"
        "    assert sys.implementation.name == 'micropython' and sys.maxsize == 2**31 - 1\n"
        "    assert support.RUNTIME == 'wasm32'\n\n\n"
        "def test_fail():\n    assert 1 == 2, 'boom'\n\n\n"
        "def test_skip():\n    support.skip('why not')\n\n\n"
        "def test_not_asked():\n    pass\n"), "test_pass", "test_fail", "test_skip")
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr
    assert "@@MPT PASS test_pass" in out and "@@MPT FAIL test_fail" in out
    assert "boom" in out and "@@MPT SKIP test_skip why not" in out
    assert "test_not_asked" not in out and out.rstrip().endswith("@@MPT DONE")


def test_runner_crash_is_a_failure_with_the_output(tmp_path):
    # An error that escapes tools/device/mptest.py (here: its support module fails to import)
    # ends the run with exit code 1, the output so far and the error.
    proc = run_module(tmp_path, "def test_a():\n    pass\n",
                      support="print('before')\nraise ValueError('broken support')\n")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "before" in proc.stdout and "@@WASM crashed" in proc.stdout
    assert "broken support" in proc.stdout and "@@MPT PASS" not in proc.stdout
