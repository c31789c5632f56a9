"""The MicroPython unix port lanes: viper kernels, pure twins, x64 .mpy.

    unix        lib/ sources; the viper kernels load
    unix-pure   tools/build --no-native: kernels replaced as on firmware without a native
                emitter, so the pure twins run
    unix-mpy    lib compiled to x64 .mpy by tools/build

The binary is ``$MICROPYTHON``, else ``.venv/bin/micropython``, else PATH.
"""

import os

from lanes import BUILD, LIB, MPTEST, TESTS, BuiltLib, run_process
from mpalloc_tools.build import find_micropython

HEAP = "16M"


micropython_binary = find_micropython  # $MICROPYTHON, .venv, PATH (mpalloc_tools.build)


class UnixLane:
    timeout = 900

    def __init__(self, name, build_args, out):
        self.name = name
        self.libdir = BuiltLib(build_args, out)  # the library tree, built once

    def unavailable(self):
        exe = micropython_binary()
        if exe is None or not os.access(exe, os.X_OK):
            return ("no MicroPython unix port (%s): " % (exe or "not on PATH")
                    + "run `make test` (it installs one into .venv) "
                    + "or set MICROPYTHON=/path/to/micropython")
        return None

    def run(self, path, names):
        cmd = [micropython_binary(), "-X", "heapsize=" + HEAP, MPTEST, self.libdir(), TESTS,
               path.stem, self.name] + list(names)
        return run_process(cmd, self.timeout)


LANES = [
    UnixLane("unix", None, LIB),
    UnixLane("unix-pure", ("--no-native", os.path.join(BUILD, "no-native")),
             os.path.join(BUILD, "no-native")),
    UnixLane("unix-mpy", ("--arch", "x64"), os.path.join(BUILD, "x64")),
]
