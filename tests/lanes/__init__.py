"""The MicroPython lanes of the suite: one module per kind of runtime (host side).

A lane runs a test module on one runtime and returns the text printed by
``tools/device/mptest.py`` (the ``@@MPT`` protocol, parsed by ``tests/conftest.py``).

Each lane module defines ``LANES``: a list of objects with
    name                 the pytest id, e.g. "unix-pure", "armv7m"
    unavailable()        None when the runtime is here, else one sentence saying what is
                         missing and how to get it (the lane is then skipped as a whole)
    run(path, names)     run tests ``names`` (all when empty) of test module ``path``
                         (a pathlib.Path); returns (output text, tail) where tail says how
                         it ended ("exit code 0", "timed out after 900 s", ...)
    timeout              seconds one run may take
The order of MODULES is the order of the lanes in pytest's output.

Every lane gets ``run_with_delta``: after the run, each test that called
``support.no_alloc`` and passed runs once more (a fresh process or boot) with every such
call made unlocked and measured as a heap-usage delta (``support.no_heap_use``): a
heap_lock hides heap call frames (a locked heap makes MicroPython use the C stack), the
delta sees them. ``MPALLOC_NO_ALLOC_DELTA=0`` turns that second pass off.
"""

import os
import select
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESTS = os.path.join(ROOT, "tests")
LIB = os.path.join(ROOT, "lib")
BUILD = os.path.join(ROOT, "build")
MPTEST = os.path.join(ROOT, "tools", "device", "mptest.py")

MODULES = ("unix", "wasm", "circuitpython", "qemu")
DELTA_ENV = "MPALLOC_NO_ALLOC_DELTA"
DELTA_FLAG = "--alloc-check=delta"  # first test name: tools/device/mptest.py's delta mode


class BuildError(Exception):
    pass


def spawn_env():
    """A private copy of the environment for a child started from a worker thread.

    Every spawn in the harness passes one. With ``env=None`` CPython (3.11.4+, where the
    GIL is dropped around ``vfork``) execs the child with the process-wide ``environ``
    array, which another thread may be reallocating at that moment (pytest's main thread
    runs host tests that set and delete variables: ``monkeypatch.setenv``); the child's
    ``execve`` then reads freed memory and fails with ``OSError: [Errno 14] Bad
    address``, before the lane's process starts. Measured (tests/test_host_spawn.py):
    /bin/true spawned 3000 times from 8 threads while one thread sets and deletes
    variables: 72 EFAULTs with ``env=None``, 0 in 6000 with a copy."""
    return dict(os.environ)


def build_tool(*args):
    """Run tools/build with ``args``; BuildError with its output when it fails."""
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "build")] + list(args),
                          capture_output=True, text=True, env=spawn_env())
    if proc.returncode:
        raise BuildError("tools/build %s failed:\n%s%s"
                         % (" ".join(args), proc.stdout, proc.stderr))


class BuiltLib:
    """``libdir()`` of a lane: the library tree ``out``, written by ``tools/build
    *build_args`` on first use (once, though files of one lane run on several workers);
    ``build_args`` None: ``out`` is used as it is (lib/)."""

    def __init__(self, build_args, out):
        self._build_args = build_args
        self._out = out
        self._built = build_args is None
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            if not self._built:
                build_tool(*self._build_args)
                self._built = True
        return self._out


# One test may run this long (s) before its run is stopped and the test reported as hung
# by name; the other tests of its module then run in a fresh process (run_resuming).
TEST_TIMEOUT = int(os.environ.get("MPALLOC_TEST_TIMEOUT") or 300)


class Watch:
    """Follows the ``@@MPT`` lines of a run as its output arrives: which test is running
    and since when. ``expired(now)`` says why the run must stop, or None."""

    def __init__(self, timeout, test_timeout=None):
        self.start = time.monotonic()
        self.timeout = timeout
        self.test_timeout = TEST_TIMEOUT if test_timeout is None else test_timeout
        self.current = None  # the test that has started and not finished
        self.since = self.start
        self._partial = b""

    def feed(self, data):
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        for line in lines:
            if line.startswith(b"@@MPT START "):
                self.current = line[12:].strip().decode(errors="replace")
                self.since = time.monotonic()
            elif line.startswith((b"@@MPT PASS ", b"@@MPT FAIL ", b"@@MPT SKIP ")):
                self.current = None

    def expired(self, now):
        if self.current is not None and now - self.since > self.test_timeout:
            return ("%s timed out after %d s (MPALLOC_TEST_TIMEOUT); stopped"
                    % (self.current, self.test_timeout))
        if now - self.start > self.timeout:
            return "timed out after %d s%s" % (
                self.timeout, " in %s" % self.current if self.current else "")
        return None


def run_process(cmd, timeout, cwd=ROOT, env=None, test_timeout=None):
    """Run ``cmd`` (with ``env``, default a copy of this environment: ``spawn_env``);
    (combined output, tail). The run stops after ``timeout`` s, or when one test runs
    longer than ``test_timeout`` (default TEST_TIMEOUT); the tail then names it."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=cwd,
                            env=spawn_env() if env is None else env)
    watch = Watch(timeout, test_timeout)
    chunks = []
    fd = proc.stdout.fileno()
    try:
        while True:
            why = watch.expired(time.monotonic())
            if why:
                proc.kill()
                tail = why
                break
            ready, _, _ = select.select([fd], [], [], 1.0)
            if ready:
                data = os.read(fd, 65536)
                if not data:
                    tail = "exit code %d" % proc.wait()
                    break
                chunks.append(data)
                watch.feed(data)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()
    return b"".join(chunks).decode(errors="replace"), tail


def all_lanes():
    import importlib

    lanes = []
    for name in MODULES:
        lanes.extend(importlib.import_module("lanes." + name).LANES)
    return lanes


def run_with_delta(lane, path, names):
    """``lane.run(path, names)``, then the heap-usage pass over the tests that printed
    ``@@MPT NO-ALLOC`` (unless $MPALLOC_NO_ALLOC_DELTA is "0"); (output, tail) with each
    test that failed only in that pass turned into a FAIL (``merge_delta``)."""
    out, tail = run_resuming(lane, path, names)
    again = [line.split()[2] for line in out.splitlines()
             if line.startswith("@@MPT NO-ALLOC ")]
    if not again or os.environ.get(DELTA_ENV, "1") == "0":
        return out, tail
    out2, tail2 = run_resuming(lane, path, again, [DELTA_FLAG])
    return merge_delta(out, out2, again, tail2), tail + "; delta pass: " + tail2


def run_resuming(lane, path, names, prefix=(), tries=3):
    """``lane.run(path, prefix + names)``. When a run ends inside a test (the test hung
    and the Watch stopped it, or the runtime crashed in it), that test FAILs with the
    run's tail, and the tests that had not run yet run in a fresh process (up to
    ``tries`` times): one hang costs one test, not its whole module."""
    out, tail = lane.run(path, list(prefix) + list(names))
    outs, tails = [out], [tail]
    for _ in range(tries):
        started, finished = progress(outs[-1])
        stuck = [n for n in started if n not in finished]
        if not names or not stuck:
            break
        outs[-1] += "\n%s did not finish: %s\n@@MPT FAIL %s\n" % (stuck[0], tails[-1],
                                                                    stuck[0])
        done = set()
        for text in outs:
            done.update(progress(text)[1])
        left = [n for n in names if n not in done]
        if not left:
            break
        out, tail = lane.run(path, list(prefix) + left)
        outs.append(out)
        tails.append(tail)
    return "\n".join(outs), "; then ".join(tails)


def progress(out):
    """([tests started], {tests with a result}) in one run's output."""
    started, finished = [], set()
    for line in out.splitlines():
        if line.startswith("@@MPT START "):
            started.append(line.split()[2])
        elif line.startswith(("@@MPT PASS ", "@@MPT FAIL ", "@@MPT SKIP ")):
            finished.add(line.split()[2])
    return started, finished


def merge_delta(out, out2, names, tail2):
    """``out`` with the PASS of each test in ``names`` replaced by a FAIL where the
    delta pass ``out2`` did not pass it (its traceback, or the runtime's output)."""
    results = {}  # name -> lines of its failed delta run
    current, lines = None, []
    for line in out2.splitlines():
        if line.startswith("@@MPT START "):
            current, lines = line.split()[2], []
        elif line.startswith(("@@MPT PASS ", "@@MPT FAIL ", "@@MPT SKIP ")):
            if not line.startswith("@@MPT PASS "):
                results[current] = lines + [line]
            else:
                results[current] = None
            current = None
        elif current is not None:
            lines.append(line)
    merged = []
    for line in out.splitlines():
        parts = line.split()
        if line.startswith("@@MPT PASS ") and parts[2] in names and results.get(parts[2], 1):
            name = parts[2]
            merged.append("passed with the heap locked; with no_alloc as a heap-usage "
                          "delta (support.no_heap_use around the unlocked call):")
            failed = results.get(name)
            if failed is None:
                merged.append("no result from the delta pass [%s]:\n%s" % (tail2, out2[-3000:]))
            else:
                merged.extend(failed[:-1])
                if failed[-1].startswith("@@MPT SKIP "):
                    merged.append("skipped in the delta pass: " + failed[-1])
            merged.append("@@MPT FAIL " + name)
        else:
            merged.append(line)
    return "\n".join(merged) + "\n"
