"""The WebAssembly lane: a released 32-bit MicroPython without a native emitter.

    wasm32      MicroPython 1.27.0's official WebAssembly build (npm package
                @micropython/micropython-webassembly-pyscript, 32-bit wasm32) run by
                node; lib/ sources, whose viper kernels fail to compile there (no native
                emitter: SyntaxError), so the pure twins run as on such firmware
    wasm32-mpy  the same runtime with the library as .mpy from tools/build --arch armv7m
                (this project's mpy-cross): the pure modules' .mpy must load on a
                released MicroPython, the Cortex-M kernels are refused (ValueError:
                incompatible .mpy arch) and the pure twins run

``make test`` installs the package into build/wasm with npm; ``$MICROPYTHON_WASM`` names
another directory holding its micropython.mjs. tools/wasm_run.mjs loads it, copies the
library, tests/ and examples/ into its in-memory file system and runs tools/device/mptest.py.

The GC heap starts at 140 KiB, the qemu boards' heap. This variant (pyscript) has
MICROPY_GC_SPLIT_HEAP_AUTO: when the heap is full after a collection it adds an area
from malloc, so the start size sets how often the collector runs, not a limit, and
``gc.mem_free()`` counts the room it could still add (128 MiB). Python frames come from
a pystack, never from the heap.
"""

import os
import shutil

from lanes import BUILD, LIB, ROOT, TESTS, BuiltLib, run_process

PACKAGE = "@micropython/micropython-webassembly-pyscript"
VERSION = "1.27.0"
HEAP = 140 * 1024
RUNNER = os.path.join(ROOT, "tools", "wasm_run.mjs")


def package_dir():
    return os.environ.get("MICROPYTHON_WASM") or os.path.join(
        BUILD, "wasm", "node_modules", *PACKAGE.split("/"))


class WasmLane:
    timeout = 300

    def __init__(self, name, build_args=None, out=LIB):
        self.name = name
        self.libdir = BuiltLib(build_args, out)  # the library tree, built once

    def unavailable(self):
        if shutil.which("node") is None:
            return ("no node on PATH: install Node.js >= 18 and npm (Debian: apt-get install "
                    "nodejs npm), then `make test` installs %s@%s" % (PACKAGE, VERSION))
        mjs = os.path.join(package_dir(), "micropython.mjs")
        if not os.path.exists(mjs):
            return ("%s not found: `make test` installs %s@%s into build/wasm with npm "
                    "(needs npm and the npm registry), or set MICROPYTHON_WASM to a directory "
                    "holding micropython.mjs" % (mjs, PACKAGE, VERSION))
        return None

    def run(self, path, names):
        cmd = ["node", RUNNER, package_dir(), str(HEAP), self.libdir(), TESTS, path.stem,
               self.name] + list(names)
        return run_process(cmd, self.timeout)


_MPY = os.path.join(BUILD, "wasm-mpy")  # its own tree: other lanes build armv7m too
LANES = [
    WasmLane("wasm32"),
    WasmLane("wasm32-mpy", ("--out", _MPY, "--arch", "armv7m"), os.path.join(_MPY, "armv7m")),
]
