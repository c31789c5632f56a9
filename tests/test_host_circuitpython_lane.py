"""The CircuitPython lanes: how they report a missing runtime, and what the board profile
(tools/cp_board.py) leaves a test module on CircuitPython's unix port."""

import os
import shutil
import subprocess

import pytest

from lanes import circuitpython as cp_lane

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_missing_binary_says_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setenv("MPALLOC_CIRCUITPYTHON", str(tmp_path / "nowhere"))
    for lane in cp_lane.LANES:
        why = lane.unavailable()
        assert str(tmp_path / "nowhere") in why and "MPALLOC_CIRCUITPYTHON" in why
        assert "ports/unix" in why


def test_missing_asyncio_says_make_test(monkeypatch, tmp_path):
    if not os.access(cp_lane.circuitpython_binary(), os.X_OK):
        pytest.skip(cp_lane.LANES[0].unavailable())
    monkeypatch.setattr(cp_lane, "CP_LIBS", str(tmp_path / "cp-lib"))
    why = cp_lane.LANES[1].unavailable()
    assert str(tmp_path / "cp-lib") in why and "make test" in why


PROBE = '''import sys
import support


def test_board():
    import micropython
    import time
    assert support.RUNTIME == "circuitpython-board"
    assert not hasattr(micropython, "heap_lock") and not hasattr(micropython, "mem_total")
    assert not hasattr(micropython, "schedule") and micropython.const(7) == 7
    names = [n for n in ("monotonic", "monotonic_ns", "sleep", "ticks_us", "ticks_ms",
                         "time_ns", "perf_counter_ns", "time") if hasattr(time, n)]
    assert names == ["monotonic", "monotonic_ns", "sleep"], names
    for name in ("machine", "_thread", "uctypes"):
        try:
            __import__(name)
        except ImportError:
            continue
        raise AssertionError(name + " imported")
    assert not hasattr(sys, "print_exception")
    import random
    assert not hasattr(random, "Random")
    try:
        import mpalloc._ring_viper  # noqa: F401
    except SyntaxError:
        pass
    else:
        raise AssertionError("viper kernel loaded")
    from mpalloc import ring
    assert ring.KERNEL == "py" == support.expected_kernel()
    import adafruit_ticks
    import supervisor
    a = adafruit_ticks.ticks_ms()
    b = supervisor.ticks_ms()
    assert adafruit_ticks.ticks_diff(b, a) >= 0 and adafruit_ticks.ticks_diff(b, a) < 1000
    assert abs((time.monotonic_ns() // 1000000 - b) % (1 << 29)) < 1000


def test_as_is():
    import micropython
    assert support.RUNTIME == "circuitpython"
    assert hasattr(micropython, "heap_lock") and hasattr(micropython, "mem_total")
    import _thread  # noqa: F401
    from mpalloc import ring
    assert ring.KERNEL == "viper" == support.expected_kernel()
'''


def run_probe(tmp_path, profile, libdir, runtime, name):
    if cp_lane.LANES[0].unavailable():
        pytest.skip(cp_lane.LANES[0].unavailable())
    tests = tmp_path / "tests"
    tests.mkdir()
    shutil.copy(os.path.join(ROOT, "tests", "support.py"), tests / "support.py")
    (tests / "test_probe.py").write_text(PROBE)
    cmd = [cp_lane.circuitpython_binary(), cp_lane.PROFILE, profile, cp_lane.CP_LIBS, libdir,
           str(tests), "test_probe", runtime, name]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    return proc.stdout + proc.stderr


def test_board_profile_takes_away_what_boards_lack(tmp_path):
    lane = cp_lane.LANES[1]
    if lane.unavailable():
        pytest.skip(lane.unavailable())
    out = run_probe(tmp_path, "board", lane.libdir(), "circuitpython-board", "test_board")
    assert "@@MPT PASS test_board" in out, out
    assert "test_as_is" not in out and out.rstrip().endswith("@@MPT DONE")


def test_as_is_keeps_the_unix_port_extras(tmp_path):
    out = run_probe(tmp_path, "as-is", cp_lane.LIB, "circuitpython", "test_as_is")
    assert "@@MPT PASS test_as_is" in out, out
