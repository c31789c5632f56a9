"""The MicroPython lanes of the suite: one module per kind of runtime (host side).

A lane runs a test module on one runtime and returns the text printed by
``tools/mptest.py`` (the ``@@MPT`` protocol, parsed by ``tests/conftest.py``).

Each lane module defines ``LANES``: a list of objects with
    name                 the pytest id, e.g. "unix-pure", "armv7m"
    unavailable()        None when the runtime is here, else one sentence saying what is
                         missing and how to get it (the lane is then skipped as a whole)
    run(path, names)     run tests ``names`` (all when empty) of test module ``path``
                         (a pathlib.Path); returns (output text, tail) where tail says how
                         it ended ("exit code 0", "timed out after 900 s", ...)
    timeout              seconds one run may take
The order of MODULES is the order of the lanes in pytest's output.
"""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESTS = os.path.join(ROOT, "tests")
LIB = os.path.join(ROOT, "lib")
BUILD = os.path.join(ROOT, "build")
MPTEST = os.path.join(ROOT, "tools", "mptest.py")

MODULES = ("unix", "wasm", "circuitpython", "qemu")


class BuildError(Exception):
    pass


def build_tool(*args):
    """Run tools/build with ``args``; BuildError with its output when it fails."""
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "build")] + list(args),
                          capture_output=True, text=True)
    if proc.returncode:
        raise BuildError("tools/build %s failed:\n%s%s"
                         % (" ".join(args), proc.stdout, proc.stderr))


def run_process(cmd, timeout, cwd=ROOT, env=None):
    """Run ``cmd``; (combined output, tail) also on a timeout."""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              cwd=cwd, env=env)
        return proc.stdout + proc.stderr, "exit code %d" % proc.returncode
    except subprocess.TimeoutExpired as e:
        out = e.stdout or b""
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
        return out, "timed out after %d s" % timeout


def all_lanes():
    import importlib

    lanes = []
    for name in MODULES:
        lanes.extend(importlib.import_module("lanes." + name).LANES)
    return lanes
