"""Helpers shared by tests on every runtime (CPython, MicroPython, CircuitPython).

Tests are plain ``test_*`` functions using ``assert`` and ``eq(actual, expected, context)``
(a failure that says what differed, also on MicroPython). They import only this module
and ``mpalloc``; everything here works on every runtime.
"""

import sys

# Every implementation but CPython is a MicroPython-family runtime for the harness
# (micropython, circuitpython): tests run under tools/device/mptest.py there, without pytest.
IS_MICROPYTHON = sys.implementation.name != "cpython"

# Set by the runner before the test module is imported: "cpython", or a lane name from
# tests/lanes/ ("unix", "unix-pure", "circuitpython-board", "armv7m", ...).
RUNTIME = sys.implementation.name

# The emulated boards under qemu (tests/lanes/qemu.py): 32-bit words, a 140 KiB heap,
# .mpy for the board's arch from ROMFS, viper kernels native, no _thread.
BOARD_LANES = ("armv7m", "armv6m", "rv32")

# Lanes where the viper kernels load: the native emitter is there and the lane does not
# take it away (tools/build --no-native trees and board profiles do).
VIPER_LANES = ("unix", "unix-mpy", "circuitpython") + BOARD_LANES
MPY_LANES = BOARD_LANES  # the library is .mpy there (as on every "*-mpy" lane)

try:
    import micropython

    _heap_lock = micropython.heap_lock
    _heap_unlock = micropython.heap_unlock
except (ImportError, AttributeError):
    _heap_lock = None
    _heap_unlock = None

# no_alloc runs (rather than skips) here: micropython.heap_lock exists.
HAS_HEAP_LOCK = _heap_lock is not None


def lacks(what):
    """The reason to skip where this runtime lacks ``what`` (e.g. "micropython.heap_lock")."""
    if sys.implementation.name == "circuitpython":
        return "no %s on %s: CircuitPython boards lack it" % (what, RUNTIME)
    return "no %s on %s" % (what, RUNTIME)


class SkipTest(Exception):
    """Raised on MicroPython to mark a test as skipped (the runner reports it)."""


def skip(reason):
    """Skip the calling test on this runtime; counted as skipped by pytest."""
    if IS_MICROPYTHON:
        raise SkipTest(reason)
    import pytest

    pytest.skip(reason)


def expected_kernel():
    """The kernel name ("viper" or "py") the modules must have picked on this runtime."""
    return "viper" if RUNTIME in VIPER_LANES else "py"


def viper_kernel(name):
    """The viper kernel module ``mpalloc.<name>``, or None where it cannot load (no native
    emitter: SyntaxError; CPython: ImportError; a .mpy of another arch: ValueError)."""
    try:
        return __import__("mpalloc." + name, None, None, ("NAME",))
    except (SyntaxError, ImportError, ValueError):
        return None


def kernels(family):
    """The kernel modules of ``family`` ("ring", "slab", "bytebuf", "pool", "fixed",
    "memops") this runtime can import: the viper kernel where it loads, then the pure
    twin. What twin tests and contract tests iterate over."""
    out = []
    v = viper_kernel("_%s_viper" % family)
    if v is not None:
        out.append(v)
    out.append(__import__("mpalloc._%s_py" % family, None, None, ("NAME",)))
    return out


# How no_alloc checks, set by tools/device/mptest.py: "lock" calls under heap_lock; "delta" makes
# the same call unlocked and counts heap bytes (no_heap_use). Every MicroPython lane
# (tests/lanes/__init__.py, run_with_delta) runs each test that called no_alloc and passed
# once more, in a fresh process or boot, in "delta" mode: every no-alloc call site is
# checked both ways.
ALLOC_CHECK = "lock"
NO_ALLOC_CALLS = 0  # no_alloc calls since tools/device/mptest.py last reset it (one test)


def no_alloc(fn, *args):
    """Call ``fn(*args)`` with the heap locked; fail if it allocates. Returns its result.

    Skips the test where the runtime has no ``heap_lock`` (CPython, CircuitPython).
    Call it from inside a test function: binding a new global under the lock allocates.
    With ``ALLOC_CHECK == "delta"`` it is ``no_heap_use(fn, *args)`` instead.
    """
    global NO_ALLOC_CALLS
    if _heap_lock is None:
        skip(lacks("micropython.heap_lock"))
    NO_ALLOC_CALLS += 1
    if ALLOC_CHECK == "delta":
        return no_heap_use(fn, *args)
    return no_alloc_locked(fn, *args)


def no_alloc_locked(fn, *args):
    """``no_alloc``'s heap_lock check, whatever ``ALLOC_CHECK`` says (and not counted
    for the delta pass): for tests of the helpers themselves."""
    if _heap_lock is None:
        skip(lacks("micropython.heap_lock"))
    import gc

    n = len(args)
    if n > 6:
        raise ValueError("no_alloc takes at most 6 arguments for fn")
    gc.collect()
    _heap_lock()
    try:
        return _call(fn, args, n)
    except MemoryError as e:
        # Build the AssertionError unlocked (that allocates); finally re-balances.
        _heap_unlock()
        err = AssertionError("%s allocated under heap_lock: %r" % (_called(fn, args), e))
        _heap_lock()
        raise err
    finally:
        _heap_unlock()


def heap_counter():
    """(function, name) counting heap bytes for ``no_heap_use``: ``micropython.mem_total``
    (cumulative bytes allocated), else ``gc.mem_alloc`` (bytes in use) where the build has
    no memory statistics (the WebAssembly port, CircuitPython boards); (None, None) on
    CPython."""
    try:
        import micropython

        return micropython.mem_total, "mem_total"
    except (ImportError, AttributeError):
        pass
    import gc

    if not hasattr(gc, "mem_alloc"):  # CPython
        return None, None
    return gc.mem_alloc, "gc.mem_alloc"


def frames_on_pystack():
    """True where Python call frames come from MicroPython's pystack (the WebAssembly
    port), never from the heap."""
    try:
        import micropython
    except ImportError:
        return False
    return hasattr(micropython, "pystack_use")


def no_heap_use(fn, *args):
    """Call ``fn(*args)`` once with the heap unlocked; fail if it allocated anything, even
    memory freed before it returned. Returns its result.

    Stricter than ``no_alloc``: a Python function whose locals and stack exceed ~11 words
    gets its call frame from the heap (freed on return), which a locked heap hides by
    falling back to the C stack. Counted with ``micropython.mem_total()``. Where that is
    missing the bytes in use (``gc.mem_alloc()``) are compared after a collection: that
    sees every block still allocated when the call returns (nothing is collected during
    it: the collected heap has room), not one freed before (a heap call frame; ports with
    a pystack have none). Skips on CPython.
    """
    total, counter = heap_counter()
    if total is None:
        skip("no micropython.mem_total or gc.mem_alloc on this runtime")
    n = len(args)
    if n > 6:
        raise ValueError("no_heap_use takes at most 6 arguments for fn")
    if counter == "gc.mem_alloc":
        import gc

        gc.collect()
    # Past 2**30 cumulative bytes mem_total() returns a big int, which itself allocates:
    # measure that overhead and take it off.
    first = total()
    before = total()
    overhead = before - first
    result = _call(fn, args, n)
    used = total() - before - overhead
    if used:
        raise AssertionError("%s: %d heap bytes allocated during the call"
                             % (_called(fn, args), used))
    return result


def _called(fn, args):
    # "name(arg, ...)" for a failure message, each argument's repr cut short.
    name = getattr(fn, "__name__", None) or repr(fn)
    parts = []
    for a in args:
        r = repr(a)
        parts.append(r if len(r) <= 40 else r[:37] + "...")
    return "%s(%s)" % (name, ", ".join(parts))


def _call(fn, a, n):
    # fn(*a) would allocate on MicroPython (star-args build a heap array).
    if n == 0:
        return fn()
    if n == 1:
        return fn(a[0])
    if n == 2:
        return fn(a[0], a[1])
    if n == 3:
        return fn(a[0], a[1], a[2])
    if n == 4:
        return fn(a[0], a[1], a[2], a[3])
    if n == 5:
        return fn(a[0], a[1], a[2], a[3], a[4])
    return fn(a[0], a[1], a[2], a[3], a[4], a[5])


def eq(actual, expected, context=""):
    """Fail unless ``actual == expected``, with a message that shows both values and
    ``context`` (what was compared: the step, the op, the seed, the word...). For sequences
    of the same length that differ it also names the first differing index.

    Use it instead of a bare ``assert a == b``: MicroPython has no assertion rewriting, so a
    bare assert on a lane reads ``AssertionError:`` at a line. Comparing does not allocate
    for ints, bytes and bytearrays, so ``eq`` may run inside a ``no_alloc`` call; on a
    failure under ``heap_lock`` it unlocks once to build the message (as ``no_alloc_locked``
    does), then locks again.
    A bool ``expected`` needs the bool itself (``1`` is not ``True`` here), as the
    ``is True`` asserts that ``eq`` replaced did.
    """
    if actual == expected and (type(expected) is not bool or actual is expected):
        return
    try:
        err = AssertionError(_eq_message(actual, expected, context))
    except MemoryError:  # under heap_lock: unlock to build the message and the exception
        if _heap_unlock is None:
            raise
        _heap_unlock()
        try:
            err = AssertionError(_eq_message(actual, expected, context))
        finally:
            _heap_lock()
    raise err


def _eq_message(actual, expected, context):
    if not isinstance(context, str):
        context = repr(context)
    text = "%s%sgot %r, expected %r" % (context, ": " if context else "", actual, expected)
    try:
        n = len(actual)
        if n == len(expected) and not isinstance(actual, str):
            for i in range(n):
                if actual[i] != expected[i]:
                    text += " (first difference at [%d]: %r != %r)" % (i, actual[i], expected[i])
                    break
        elif n != len(expected):
            text += " (lengths %d != %d)" % (n, len(expected))
    except (TypeError, KeyError, IndexError):  # not sequences of one shape
        pass
    return text


def raises(exc_type, fn, *args, **kwargs):
    """Assert that ``fn(*args, **kwargs)`` raises ``exc_type``; return the exception."""
    try:
        fn(*args, **kwargs)
    except exc_type as e:
        return e
    raise AssertionError("%s not raised by %r%r" % (exc_type.__name__, fn, args))


def message(exc):
    """The text of an exception, on both runtimes."""
    return str(exc.args[0]) if exc.args else ""


def has_numbers(exc, *numbers):
    """Assert the exception message mentions each of ``numbers``; return the message."""
    text = message(exc)
    for n in numbers:
        assert str(n) in text, "%r not in message %r" % (n, text)
    return text


class Rng:
    """A seeded generator with the same sequence on every runtime (CPython, MicroPython,
    CircuitPython, 32-bit boards), so a failing seed reproduces anywhere. Each instance
    has its own state (MicroPython's ``random`` has one module-level generator), so two
    threads or two interleaved models do not disturb each other.

    A 30-bit linear congruential generator (period 2**30) computed in 15-bit halves: no
    value ever reaches 2**30, so a step allocates nothing on a 32-bit board; results
    come from the high bits. For tests, not for anything secret.
    """

    def __init__(self, seed):
        self._x = (seed ^ 0x15A4E35) & 0x3FFFFFFF
        for _ in range(4):  # nearby seeds: their high bits part after a few steps
            self._next()

    def _next(self):
        # x = (32749 * x + 12345) mod 2**30, every intermediate below 2**30.
        x = self._x
        t = 32749 * (x & 0x7FFF) + 12345
        x = (((32749 * (x >> 15) + (t >> 15)) & 0x7FFF) << 15) | (t & 0x7FFF)
        self._x = x
        return x

    def getrandbits(self, k):
        """A uniform int of ``k`` bits (0 for k == 0)."""
        out = 0
        while k > 15:
            out = (out << 15) | (self._next() >> 15)
            k -= 15
        if k > 0:
            out = (out << k) | (self._next() >> (30 - k))
        return out

    def below(self, n):
        """A uniform int in 0..n-1 (n >= 1)."""
        if n < 1:
            raise ValueError("below(%d): n must be >= 1" % n)
        k = 0
        while (1 << k) < n:
            k += 1
        while True:
            r = self.getrandbits(k)
            if r < n:
                return r

    def randrange(self, start, stop=None):
        """``random.randrange(start[, stop])`` (no step)."""
        if stop is None:
            start, stop = 0, start
        if stop <= start:
            raise ValueError("empty range %d..%d" % (start, stop))
        return start + self.below(stop - start)

    def randint(self, a, b):
        """An int in a..b, both included."""
        return self.randrange(a, b + 1)

    def choice(self, seq):
        """One item of a non-empty sequence."""
        return seq[self.below(len(seq))]


def rng(seed):
    """``Rng(seed)``: the one seeded generator of the suite (getrandbits, below,
    randrange, randint, choice), the same sequence on every runtime."""
    return Rng(seed)


def pattern(n, seed=1):
    """``n`` test bytes that never repeat with a short period (a linear congruential
    sequence from ``seed``): a lost, repeated or shifted block of any length changes what
    follows, so a byte-for-byte comparison catches it."""
    out = bytearray(n)
    x = seed
    for i in range(n):
        x = (x * 1103515245 + 12345) & 0x3FFFFFFF
        out[i] = (x >> 16) & 0xFF
    return out


def address(buf):
    """The real address of ``buf``'s bytes, found independently of the library: uctypes
    on MicroPython, ctypes on CPython; 0 where there is neither (CircuitPython: the arena
    and stack then treat blocks as 16-aligned, as documented)."""
    try:
        import uctypes

        return uctypes.addressof(buf)
    except ImportError:
        pass
    try:
        import ctypes
    except ImportError:
        return 0
    return ctypes.addressof((ctypes.c_char * len(buf)).from_buffer(buf))


def start_thread(fn, *args):
    """Start ``fn(*args)`` on a new thread (``_thread``); skips the test where there is
    none (CircuitPython boards, most MicroPython boards)."""
    try:
        import _thread
    except ImportError:
        skip(lacks("_thread"))

    _thread.start_new_thread(fn, args)


class FakeIrq:
    """A stand-in ``machine`` module with ``disable_irq``/``enable_irq`` that count calls
    and check they pair up (the state ``disable_irq`` returned comes back)."""

    def __init__(self):
        self.calls = [0, 0]  # disable, enable
        self.depth = 0

    def disable_irq(self):
        self.calls[0] += 1
        self.depth += 1
        return 5

    def enable_irq(self, state):
        assert state == 5, state
        self.calls[1] += 1
        self.depth -= 1


def as_port(modules, fn, *args, **kwargs):
    """Call ``fn(*args, **kwargs)`` as if the port had the modules ``modules`` (a dict: name ->
    module object, or None for "this port lacks it"), then restore ``sys.modules``;
    returns what ``fn`` returned. Simulates another port's ``machine``/``_thread`` for
    code that looks them up when it runs (``mpalloc._util.critical``), on every lane.
    """
    saved = {}
    for name in modules:
        saved[name] = sys.modules.get(name, saved)  # saved itself: "was not there"
        sys.modules[name] = modules[name]
    try:
        return fn(*args, **kwargs)
    finally:
        for name in saved:
            if saved[name] is saved:
                del sys.modules[name]
            else:
                sys.modules[name] = saved[name]


# Ports where nothing preempts Python code: stock qemu, WebAssembly, CircuitPython boards.
NO_PREEMPTION = {"machine": None, "_thread": None}


def need_threads():
    """Skip the calling test where there is no ``_thread`` (boards, CircuitPython boards)."""
    try:
        import _thread  # noqa: F401
    except ImportError:
        skip("no _thread on this runtime: concurrent writers need real threads")


def run_threads(fn, argsets, timeout_s=120):
    """Run ``fn(*args)`` for every tuple in ``argsets`` at the same time: each on its own
    ``_thread`` thread, the last one on the calling thread. Waits for all of them and
    re-raises the first exception any of them raised.

    ``fn`` should not allocate in its loop: on the unix port (threads without a GIL)
    allocating in two threads at once has been seen to corrupt fresh objects, so
    preallocate patterns and read-back buffers before calling this.
    """
    import _thread
    import time

    state = [0, None]  # threads finished, first exception
    lock = _thread.allocate_lock()

    def body(args):
        try:
            _call(fn, args, len(args))
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            if state[1] is None:
                state[1] = e
        lock.acquire()
        state[0] += 1
        lock.release()

    for args in argsets[:-1]:
        _thread.start_new_thread(body, (args,))
    body(argsets[-1])
    waited = 0
    while state[0] < len(argsets) and state[1] is None:
        time.sleep(0.001)
        waited += 1
        assert waited < timeout_s * 1000, "threads did not finish in %d s" % timeout_s
    while state[0] < len(argsets) and waited < timeout_s * 1000:
        time.sleep(0.001)  # let the others stop before reporting
        waited += 1
    if state[1] is not None:
        raise state[1]


def pause(spins):
    """Back off after ``spins`` refused tries in a busy loop of a thread test: yield at
    once on CPython (a GIL), spin 50 times then sleep 20 us on MicroPython (threads
    without a GIL on the unix port), so a busy machine still schedules the other side."""
    import time

    if not IS_MICROPYTHON:
        time.sleep(0)
    elif spins > 50:
        time.sleep_us(20)


def produce(src, flags, put_many, stage, put_one=None, one_every=0, span=61, idle_every=0):
    """The producer thread of the two-thread stress tests, standing in for a UART IRQ:
    moves every byte of ``src`` into a queue, in order, retrying what was refused.

    Each step hands over a chunk of 1..``span`` bytes (``(step * 13) % span + 1``)
    copied into the preallocated ``stage`` (no slice, so the loop allocates nothing):
    ``put_many(stage, c)`` returns how many it took. Every ``one_every``-th step (0:
    never) moves one byte through ``put_one(byte)`` (returns True/False) instead. After a
    refusal it backs off (``pause``); every ``idle_every``-th step (0: never) it sleeps
    0.5 ms, so a consumer waiting on a flag really sleeps.

    ``flags`` is a list [done, stop, refused]: it returns early once ``flags[1]`` is set
    (the consumer failed), and always ends with ``flags[2]`` = bytes refused (for
    ``dropped`` checks) and ``flags[0]`` = 1.
    """
    import time

    n = len(src)
    i = 0
    step = 0
    spins = 0
    refused = 0
    try:
        while i < n and not flags[1]:
            step += 1
            if one_every and step % one_every == 0:
                k = 1 if put_one(src[i]) else 0
                refused += 1 - k
            else:
                c = (step * 13) % span + 1
                if c > n - i:
                    c = n - i
                for j in range(c):
                    stage[j] = src[i + j]
                k = put_many(stage, c)
                refused += c - k
            i += k
            if k:
                spins = 0
            else:
                spins += 1
                pause(spins)
            if idle_every and step % idle_every == 0:
                time.sleep(0.0005)
    finally:
        flags[2] = refused
        flags[0] = 1


def ticks_ms():
    """A millisecond counter on every runtime (``time.time`` is missing on boards)."""
    import time

    if hasattr(time, "ticks_ms"):
        return time.ticks_ms()
    return int(time.monotonic() * 1000)


def seconds_since(t0):
    """Seconds elapsed since ``t0 = ticks_ms()`` (wrap-safe on MicroPython)."""
    import time

    if hasattr(time, "ticks_diff"):
        return time.ticks_diff(time.ticks_ms(), t0) / 1000
    return (ticks_ms() - t0) / 1000


def heap_fit(full, bytes_per_unit, floor=1):
    """``full``, or on a runtime whose free heap cannot hold ``full * bytes_per_unit``
    (the boards' 140 KiB), the largest count that fits in half the free heap (at least
    ``floor``). Tests of a size boundary use it to test the same boundary at the size the
    runtime can hold; the unix port and CPython always get ``full``."""
    import gc

    if not hasattr(gc, "mem_free"):
        return full
    gc.collect()
    fit = gc.mem_free() // 2 // bytes_per_unit
    return full if fit >= full else max(floor, fit)


def add_examples_path(test_file):
    """Put examples/ (beside tests/) on sys.path for a test module at ``test_file``
    (its __file__). Built without "..": MicroPython's import does not resolve it inside
    a board's /rom, where the image holds /rom/tests and /rom/examples."""
    here = test_file.rsplit("/", 1)[0] if "/" in test_file else "."
    path = here.rsplit("/", 1)[0] + "/examples" if "/" in here else here + "/../examples"
    if path not in sys.path:
        sys.path.append(path)
