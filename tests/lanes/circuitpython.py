"""The CircuitPython lanes: CircuitPython's unix port, as it is and as a board sees it.

    circuitpython        the unix port as it is (viper, heap_lock, mem_total, _thread);
                         lib/ sources
    circuitpython-board  the same binary with tools/cp_board.py's board profile applied
                         before anything imports (micropython with const only; no machine,
                         _thread, uctypes; time with monotonic, monotonic_ns, sleep only)
                         and tools/build --no-native's tree (no viper, as on boards
                         without the native emitter)

Both put build/circuitpython-lib on sys.path (CIRCUITPY/lib's stand-in: Adafruit's
asyncio and adafruit_ticks from PyPI, pinned in pyproject.toml, installed by `make test`).
The binary is ``$MPALLOC_CIRCUITPYTHON``, else ../shared/runtimes/circuitpython/circuitpython
beside the project.
"""

import os

from lanes import BUILD, LIB, ROOT, TESTS, BuiltLib, run_process

HEAP = "16M"
PROFILE = os.path.join(ROOT, "tools", "device", "cp_board.py")
CP_LIBS = os.path.join(BUILD, "circuitpython-lib")
DEFAULT_BINARY = os.path.join(os.path.dirname(ROOT), "shared", "runtimes", "circuitpython",
                              "circuitpython")


def circuitpython_binary():
    return os.environ.get("MPALLOC_CIRCUITPYTHON") or DEFAULT_BINARY


class CircuitPythonLane:
    timeout = 300  # a whole lane takes under 20 s: a hang ends long before 900 s

    def __init__(self, name, profile, build_args, out):
        self.name = name
        self._profile = profile
        self.libdir = BuiltLib(build_args, out)  # the library tree, built once

    def unavailable(self):
        exe = circuitpython_binary()
        if not os.access(exe, os.X_OK):
            return ("no CircuitPython unix port at %s: build CircuitPython's ports/unix "
                    "(`make VARIANT=coverage`, see ../shared/runtimes/README.md) and set "
                    "MPALLOC_CIRCUITPYTHON=/path/to/it" % exe)
        if not os.path.isdir(os.path.join(CP_LIBS, "asyncio")):
            return ("no Adafruit asyncio in %s: run `make test` (or `make circuitpython-lib`"
                    "), which installs the pinned adafruit-circuitpython-asyncio there"
                    % CP_LIBS)
        return None

    def run(self, path, names):
        cmd = [circuitpython_binary(), "-X", "heapsize=" + HEAP, PROFILE, self._profile,
               CP_LIBS, self.libdir(), TESTS, path.stem, self.name] + list(names)
        return run_process(cmd, self.timeout)


_NO_NATIVE = os.path.join(BUILD, "cp-no-native")
LANES = [
    CircuitPythonLane("circuitpython", "as-is", None, LIB),
    CircuitPythonLane("circuitpython-board", "board", ("--no-native", _NO_NATIVE), _NO_NATIVE),
]
