"""pytest plugin: every test function runs on every runtime, each its own item.

    test_x.py::test_f[cpython]    CPython, imported by pytest as usual
    test_x.py::test_f[<lane>]     a MicroPython lane from tests/lanes/ (unix, unix-pure,
                                  unix-mpy, ...; see tests/lanes/__init__.py)

A lane runs one process per (test file, lane) through tools/device/mptest.py, which reports
each test separately; a failure shows the MicroPython traceback. A test file that fails
to import on a lane fails every one of its items there. A lane whose runtime is missing
is skipped as a whole: one item ``lanes::<lane>`` says what is missing and how to get it.

The (file, lane) runs start when collection ends and run on ``$MPALLOC_JOBS`` worker
threads (default: the number of CPUs); each item waits for its file's run.
``MPALLOC_LANES=cpython,unix`` keeps only the named lanes (``cpython`` is the pytest one).
``MPALLOC_REQUIRE_LANES=1`` (set by .ci/run) turns a missing lane into a failure, so CI
cannot pass with a lane silently skipped.

Files named ``test_host_*.py`` are host-only (tooling, hypothesis) and run on CPython.
"""

import ast
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import lanes
import support

sys.path.insert(0, lanes.LIB)
pytest_plugins = ("pytester",)  # tests/test_host_harness.py runs the harness on itself


def selected(name):
    only = os.environ.get("MPALLOC_LANES")
    return not only or name in only.split(",")


LANES = [lane for lane in lanes.all_lanes() if selected(lane.name)]
_missing = {}  # lane name -> reason, for lanes whose runtime is absent
for _lane in LANES:
    _why = _lane.unavailable()
    if _why:
        _missing[_lane.name] = _why


@pytest.fixture(autouse=True, params=["cpython"])
def runtime(request):
    """Labels CPython items ``[cpython]``, beside the MicroPython ones."""
    support.RUNTIME = request.param
    return request.param


def pytest_collection_modifyitems(config, items):
    if not selected("cpython"):
        items[:] = [i for i in items if isinstance(i, (MicroPythonItem, MissingLane))]


def is_host_only(path):
    return path.name.startswith("test_host_")


def pytest_collect_file(file_path, parent):
    if (file_path.suffix == ".py" and file_path.name.startswith("test_")
            and not is_host_only(file_path)):
        return MicroPythonFile.from_parent(parent, path=file_path)
    return None


_announced = set()


class MicroPythonFile(pytest.File):
    def collect(self):
        tree = ast.parse(self.path.read_text(), str(self.path))
        tests = [(n.name, n.lineno) for n in tree.body
                 if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]
        for lane in LANES:
            if lane.name in _missing:
                if lane.name not in _announced:  # one item for the whole lane
                    _announced.add(lane.name)
                    yield MissingLane.from_parent(self, name="lanes::" + lane.name,
                                                  reason=_missing[lane.name])
                continue
            for name, line in tests:
                yield MicroPythonItem.from_parent(self, name="%s[%s]" % (name, lane.name),
                                                  test=name, lane=lane, line=line)


class MissingLane(pytest.Item):
    def __init__(self, *, reason, **kw):
        super().__init__(**kw)
        self.reason = reason

    def runtest(self):
        text = "lane %s skipped: %s" % (self.name.split("::")[1], self.reason)
        if os.environ.get("MPALLOC_REQUIRE_LANES"):  # CI: every lane must really run
            pytest.fail(text + " (MPALLOC_REQUIRE_LANES is set: a missing lane fails)")
        pytest.skip(text)

    def reportinfo(self):
        return self.path, None, self.name


class MicroPythonFailure(Exception):
    pass


class MicroPythonItem(pytest.Item):
    def __init__(self, *, test, lane, line, **kw):
        super().__init__(**kw)
        self.test = test
        self.lane = lane
        self.line = line  # of the test's def (1-based): where its skips are reported

    def runtest(self):
        report = result_of(self.path, self.lane)
        status, text = report.get(self.test, (None, None))
        if status == "PASS":
            return
        if status == "SKIP":
            pytest.skip(text or "skipped on " + self.lane.name)
        if status == "FAIL":
            raise MicroPythonFailure(text)
        raise MicroPythonFailure(
            "%s produced no result on %s (import error, crash or timeout).\n%s"
            % (self.test, self.lane.name, report.get("__output__", "")))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, MicroPythonFailure):
            return "MicroPython (%s) traceback:\n%s" % (self.lane.name, excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, self.line - 1, "%s[%s]" % (self.test, self.lane.name)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Report a skip at the test, not at the helper that raised it (support.skip, or
    this plugin for a lane's SKIP line): ``SKIPPED [1] tests/test_x.py:42: reason``."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and isinstance(report.longrepr, tuple) and call.excinfo is not None:
        where = skip_location(item, call.excinfo)
        if where is not None:
            report.longrepr = (where[0], where[1], report.longrepr[2])


def skip_location(item, excinfo):
    """(path, 1-based line) in the test file where ``item`` was skipped: the line of the
    call that skipped on CPython, the test's def on a MicroPython lane; else None."""
    if isinstance(item, MicroPythonItem):
        return str(item.path), item.line
    for entry in reversed(excinfo.traceback):
        if str(entry.path) == str(item.path):
            return str(item.path), entry.lineno + 1
    return None


# (file, lane name) -> Future of the parsed report. Filled when collection ends, so that
# the lanes run on all CPUs while pytest reports items in order.
_jobs = {}
_pool = None
_pool_lock = threading.Lock()


def pytest_collection_finish(session):
    wanted = {}  # (path, lane name) -> (path, lane, [test names])
    for item in session.items:
        if isinstance(item, MicroPythonItem):
            key = (str(item.path), item.lane.name)
            wanted.setdefault(key, (item.path, item.lane, []))[2].append(item.test)
    if not wanted:
        return
    global _pool
    _pool = ThreadPoolExecutor(int(os.environ.get("MPALLOC_JOBS") or os.cpu_count() or 1))
    for key, (path, lane, names) in wanted.items():
        _jobs[key] = _pool.submit(run_file, path, lane, names)


def pytest_sessionfinish(session):
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)


def result_of(path, lane):
    key = (str(path), lane.name)
    with _pool_lock:
        job = _jobs.get(key)
    if job is None:  # an item run outside a normal session: run its whole file here
        return run_file(path, lane, ())
    return job.result()


def run_file(path, lane, names):
    """Run tests ``names`` of one file on one lane; the parsed report."""
    try:
        out, tail = lanes.run_with_delta(lane, path, names)
    except lanes.BuildError as e:
        out, tail = str(e), "build failed"
    report = parse(out)
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
