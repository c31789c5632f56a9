"""pytest plugin: every test function runs on four runtimes, each its own item.

    test_x.py::test_f[cpython]    CPython, imported by pytest as usual
    test_x.py::test_f[unix]       MicroPython unix port, lib/ sources (viper kernels)
    test_x.py::test_f[unix-pure]  unix port, kernels replaced as on firmware without a
                                  native emitter (tools/build --no-native): pure twins
    test_x.py::test_f[unix-mpy]   unix port, lib compiled to x64 .mpy by tools/build

MicroPython runs one process per (test file, runtime) through tools/mptest.py and
reports each test separately; a failure shows the MicroPython traceback. A test
file that fails to import on MicroPython fails every one of its items.

Files named ``test_host_*.py`` are host-only (tooling, hypothesis) and run on CPython.
The unix-port binary is ``$MICROPYTHON``, else ``.venv/bin/micropython``, else PATH.
"""

import ast
import os
import shutil
import subprocess
import sys

import pytest

import support

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTS = os.path.join(ROOT, "tests")
LIB = os.path.join(ROOT, "lib")
BUILD = os.path.join(ROOT, "build")
pytest_plugins = ("pytester",)  # tests/test_host_harness.py runs the harness on itself
MP_RUNTIMES = ("unix", "unix-pure", "unix-mpy")
MP_TIMEOUT = 900  # seconds for one test file on one runtime
MP_HEAP = "16M"

sys.path.insert(0, LIB)


def micropython_binary():
    exe = os.environ.get("MICROPYTHON")
    if exe:
        return exe
    venv = os.path.join(ROOT, ".venv", "bin", "micropython")
    if os.path.exists(venv):
        return venv
    found = shutil.which("micropython")
    if found is None:
        pytest.exit("no MicroPython unix port: run `make test` or set MICROPYTHON=/path", 2)
    return found


@pytest.fixture(autouse=True, params=["cpython"])
def runtime(request):
    """Labels CPython items ``[cpython]``, beside the MicroPython ones."""
    support.RUNTIME = request.param
    return request.param


def is_host_only(path):
    return path.name.startswith("test_host_")


def pytest_collect_file(file_path, parent):
    if (file_path.suffix == ".py" and file_path.name.startswith("test_")
            and not is_host_only(file_path)):
        return MicroPythonFile.from_parent(parent, path=file_path)
    return None


class MicroPythonFile(pytest.File):
    def collect(self):
        tree = ast.parse(self.path.read_text(), str(self.path))
        names = [n.name for n in tree.body
                 if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]
        for rt in MP_RUNTIMES:
            for name in names:
                yield MicroPythonItem.from_parent(self, name="%s[%s]" % (name, rt),
                                                  test=name, rt=rt)


class MicroPythonFailure(Exception):
    pass


class MicroPythonItem(pytest.Item):
    def __init__(self, *, test, rt, **kw):
        super().__init__(**kw)
        self.test = test
        self.rt = rt

    def runtest(self):
        report = run_file(self.path, self.rt)
        status, text = report.get(self.test, (None, None))
        if status == "PASS":
            return
        if status == "SKIP":
            pytest.skip(text or "skipped on " + self.rt)
        if status == "FAIL":
            raise MicroPythonFailure(text)
        raise MicroPythonFailure(
            "%s produced no result on %s (import error, crash or timeout).\n%s"
            % (self.test, self.rt, report.get("__output__", "")))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, MicroPythonFailure):
            return "MicroPython (%s) traceback:\n%s" % (self.rt, excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, "%s[%s]" % (self.test, self.rt)


_results = {}
_libdirs = {}


def libdir(rt):
    """Where the library comes from for runtime ``rt`` (built once per session)."""
    if rt not in _libdirs:
        if rt == "unix":
            _libdirs[rt] = LIB
        elif rt == "unix-pure":
            out = os.path.join(BUILD, "no-native")
            build_tool("--no-native", out)
            _libdirs[rt] = out
        else:
            build_tool("--arch", "x64")
            _libdirs[rt] = os.path.join(BUILD, "x64")
    return _libdirs[rt]


def build_tool(*args):
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "build")] + list(args),
                          capture_output=True, text=True)
    if proc.returncode:
        raise MicroPythonFailure("tools/build %s failed:\n%s%s"
                                 % (" ".join(args), proc.stdout, proc.stderr))


def run_file(path, rt):
    """Run every test of one file on one MicroPython runtime; cache the parsed report."""
    key = (str(path), rt)
    if key in _results:
        return _results[key]
    cmd = [micropython_binary(), "-X", "heapsize=" + MP_HEAP,
           os.path.join(ROOT, "tools", "mptest.py"), libdir(rt), TESTS, path.stem, rt]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=MP_TIMEOUT,
                              cwd=ROOT)
        out = proc.stdout + proc.stderr
        tail = "exit code %d" % proc.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) \
            else (e.stdout or "")
        tail = "timed out after %d s" % MP_TIMEOUT
    _results[key] = report = parse(out)
    report["__output__"] = out[-4000:] + "\n[" + tail + "]"
    return report


def parse(out):
    report = {}
    current, lines = None, []
    for line in out.splitlines():
        if line.startswith("@@MPT START "):
            current, lines = line.split(" ", 2)[2], []
        elif line.startswith(("@@MPT PASS ", "@@MPT FAIL ", "@@MPT SKIP ")):
            parts = line.split(" ", 3)
            reason = parts[3] if len(parts) > 3 else ""
            report[parts[2]] = (parts[1], reason if parts[1] == "SKIP" else "\n".join(lines))
            current = None
        elif current is not None:
            lines.append(line)
    return report
