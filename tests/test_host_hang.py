"""A hung test costs MPALLOC_TEST_TIMEOUT and itself only: the harness stops the run,
fails that test by name and runs the tests after it in a fresh process."""

import os
import shutil
import time
from pathlib import Path

import pytest

import lanes
from lanes import unix as unix_lane

HANG = '''
def test_a_passes():
    pass


def test_b_hangs():
    while True:
        pass


def test_c_passes_after_the_hang():
    pass
'''


class TmpLane:
    """The unix lane's command on a tests directory of our own."""

    def __init__(self, tests):
        self.tests = tests
        self.runs = 0

    def run(self, path, names):
        self.runs += 1
        cmd = [unix_lane.micropython_binary(), lanes.MPTEST, lanes.LIB, str(self.tests),
               path.stem, "unix"] + list(names)
        return lanes.run_process(cmd, 120)


def test_a_hung_test_fails_by_name_and_the_rest_still_run(tmp_path, monkeypatch):
    exe = unix_lane.micropython_binary()
    if not exe or not os.access(exe, os.X_OK):
        pytest.skip("no MicroPython unix port: run `make venv` or set MICROPYTHON")
    shutil.copy(os.path.join(lanes.TESTS, "support.py"), tmp_path / "support.py")
    (tmp_path / "test_hang.py").write_text(HANG)
    monkeypatch.setattr(lanes, "TEST_TIMEOUT", 3)
    lane = TmpLane(tmp_path)
    names = ["test_a_passes", "test_b_hangs", "test_c_passes_after_the_hang"]
    t0 = time.monotonic()
    out, tail = lanes.run_resuming(lane, Path("test_hang.py"), names)
    took = time.monotonic() - t0
    assert "@@MPT PASS test_a_passes" in out, out
    assert "@@MPT FAIL test_b_hangs" in out, out
    assert "test_b_hangs did not finish: test_b_hangs timed out after 3 s" in out, out
    assert "@@MPT PASS test_c_passes_after_the_hang" in out, out
    assert lane.runs == 2 and took < 60, (lane.runs, took)
    assert "then exit code 0" in tail, tail


def test_watch_names_the_running_test():
    w = lanes.Watch(100, test_timeout=5)
    w.feed(b"@@MPT START test_x\r\nsome out")
    w.feed(b"put\n")
    assert w.current == "test_x"
    assert w.expired(w.since + 4) is None
    assert "test_x timed out after 5 s" in w.expired(w.since + 6)
    w.feed(b"@@MPT PASS test_x\n")
    assert w.current is None and w.expired(w.since + 6) is None
    assert "timed out after 100 s" in w.expired(w.start + 101)
