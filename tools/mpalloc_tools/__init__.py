"""mpalloc's host tools (CPython 3.11+), one module per command.

Layout of tools/:
    tools/<command>          the command lines (bench, report, build, mutate, observe_docs,
                             deploy, package): thin entry points, ``python tools/bench --quick``
    tools/mpalloc_tools/     the host code behind them, an importable package (this one);
                             tests put tools/ on sys.path and ``from mpalloc_tools import bench``
    tools/device/            programs that run on MicroPython/CircuitPython (mptest.py, the
                             board profile cp_board.py, the benchmark loops bench_*.py)
"""

import os

TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(TOOLS)
DEVICE = os.path.join(TOOLS, "device")  # MicroPython programs, never imported by CPython
