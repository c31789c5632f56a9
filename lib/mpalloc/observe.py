"""Observability for every mpalloc allocator: failure hooks, a registry and a report.

    from mpalloc import observe

    observe.register(rx, "uart rx")          # keep a reference for report()
    observe.on_failure(slab, on_full)        # on_full(slab, failures) after a failed alloc
    observe.report()                          # one line of stats() per registered allocator

Every allocator also has ``stats()`` (a dict with the shared keys ``unit``,
``capacity``, ``in_use``, ``free``, ``peak``, ``allocs``, ``frees``, ``failures``, plus
``dropped`` on queues) and ``dump(stream=None)`` (a text memory map written line by line
to ``stream``, default ``sys.stdout``); docs/observability.md has the table.

This module is cold: nothing imports it until a program (or a ``dump()``) does, so it
costs no RAM otherwise. Registration is explicit: the registry holds a strong
reference (MicroPython has no weakref), so ``unregister`` what you drop.

Failure hooks. ``on_failure(alloc, fn)`` shadows the allocator's failing methods on that
instance only (the class and other instances keep their speed) with wrappers that test
the result and call ``_Hook.fire`` when it says "no room". Where ``micropython.schedule``
exists the hook never runs inside the failing call (it may be a hard IRQ): ``fire``
counts the failure and schedules a pre-bound ``_Hook.run`` unless one is already
pending; ``run`` then calls ``fn(alloc, failures)`` with the failures counted since the
last run (a burst). If the schedule queue is full the failure is still counted, ``missed``
goes up, and the next failure tries again. Without ``schedule`` (CPython, CircuitPython)
``fn`` runs at once, inside the failing call. Failures that happen while ``fn`` runs are
counted for the next burst, so a hook that itself fails to allocate cannot recurse.
The wrappers and ``fire`` allocate nothing and raise nothing.
"""

import sys

try:
    from micropython import schedule as _schedule
except (ImportError, AttributeError):  # CPython, CircuitPython boards
    _schedule = None

_M30 = 0x3FFFFFFF
MAP_CELLS = 128
"""Most characters of a memory map; bigger allocators show several units per character."""
MAX_LINES = 16
"""Most detail lines (live blocks, chunks, entries) a dump lists before '... N more'."""

_reg = []  # [name, obj] pairs


# ---- registry and report ------------------------------------------------------------


def register(obj, name=None):
    """Remember ``obj`` (any object with ``stats()``) for ``report()`` under ``name``
    (default: its class name). Registering it again renames it. Holds a strong
    reference until ``unregister(obj)``. Allocates a small list. Returns ``obj``."""
    if not hasattr(obj, "stats"):
        raise TypeError("observe.register: %s has no stats(); register an mpalloc "
                        "allocator" % type(obj).__name__)
    if name is None:
        name = type(obj).__name__
    for e in _reg:
        if e[1] is obj:
            e[0] = name
            return obj
    _reg.append([name, obj])
    return obj


def unregister(obj):
    """Forget ``obj``; True if it was registered. O(registered)."""
    for i in range(len(_reg)):
        if _reg[i][1] is obj:
            del _reg[i]
            return True
    return False


def registered():
    """A new list of (name, obj) pairs, in registration order."""
    return [(e[0], e[1]) for e in _reg]


_CORE = ("capacity", "in_use", "free", "peak", "allocs", "frees", "failures")


def _num(v):
    return "-" if v is None else str(v)


def report(stream=None, dump=False):
    """Write one line per registered allocator (name, class, unit and the shared
    ``stats()`` keys; ``-`` where a key is not counted) to ``stream`` (default
    ``sys.stdout``), plus the global slab when ``mpalloc.global_slab`` is imported and
    configured. ``dump=True`` follows each line with the allocator's ``dump()``.
    Allocates (the stats dicts and lines); for the REPL, not for IRQs."""
    out = sys.stdout if stream is None else stream
    items = registered()
    gs = sys.modules.get("mpalloc.global_slab")
    if gs is not None and gs.configured():
        s = gs.slab()
        if not any(o is s for _, o in items):
            items.append(("global_slab", s))
    out.write("mpalloc: %d allocators\n" % len(items))
    for name, obj in items:
        st = obj.stats()
        line = "%-12s %-11s %-7s" % (name, type(obj).__name__, st.get("unit", "?"))
        for k in _CORE:
            line += " %s %s" % (k, _num(st.get(k)))
        if "dropped" in st:
            line += " dropped %s" % _num(st["dropped"])
        out.write(line + "\n")
        if dump:
            obj.dump(out)


# ---- failure hooks ------------------------------------------------------------------


class _Hook:
    """State of one allocator's failure hook (counters wrap to 0 below 2**30)."""

    def __init__(self, obj, fn):
        self.obj = obj  # the allocator, passed to fn
        self.fn = fn  # fn(obj, failures), or None: silenced; on_failure replaces it
        self.count = 0  # failures not yet reported: fire adds, run takes them all
        self.pending = 0  # 1 while a run is scheduled or running (fire schedules no more)
        self.missed = 0  # schedule-queue-full events (the next failure tries again)
        self.runs = 0  # times fn was called
        self.run_bound = self.run  # pre-bound: schedule(self.run, 0) would allocate

    def fire(self):
        # Called by a wrapper after a failure, possibly in a hard IRQ: no allocation,
        # no exception escapes (schedule's "queue full" RuntimeError is caught; under a
        # locked heap MicroPython raises it without allocating).
        self.count = self.count + 1 if self.count != _M30 else 0
        if self.pending:
            return
        self.pending = 1
        if _schedule is None:
            self.run(0)
            return
        try:
            _schedule(self.run_bound, 0)
        except RuntimeError:
            self.pending = 0
            self.missed = self.missed + 1 if self.missed != _M30 else 0

    def run(self, _):
        # Scheduled (or direct): report the burst. pending stays set while fn runs.
        n = self.count
        self.count = 0
        fn = self.fn
        try:
            if fn is not None and n:
                self.runs = self.runs + 1 if self.runs != _M30 else 0
                fn(self.obj, n)
        finally:
            self.pending = 0


def _kind(obj):
    # (name, how a failure shows) for the methods to wrap on obj; how: "0", "1", "2":
    # a call with that many arguments whose int or bool result shows a failure ("0": an
    # index, -1 when full; "1"/"2": a handle or a bool, 0/False when refused), "o":
    # ObjectPool's None, "f": write_from(buf, n) short of n, "s": write(buf) short of
    # len(buf), "a": Arena._slow, "r": raises AllocError (main-loop methods only).
    m = sys.modules
    for mod, cls, spec in (
            ("mpalloc.slab", "Slab", (("try_alloc", "1"),)),
            ("mpalloc.ring", "ByteRing", (("put", "1"), ("write", "s"),
                                          ("write_from", "f"))),
            ("mpalloc.bytebuf", "ByteBuffer", (("try_write", "1"), ("write", "r"))),
            ("mpalloc.bytebuf", "ByteDeque", (("push_back", "1"), ("write", "s"),
                                              ("write_from", "f"))),
            ("mpalloc.arena", "Arena", (("_slow", "a"),)),
            ("mpalloc.stack", "Stack", (("try_alloc", "2"),)),
            ("mpalloc.pool", "ObjectPool", (("try_acquire", "o"), ("_exhausted", "r"))),
            ("mpalloc.pool", "BlockPool", (("try_alloc", "0"),))):
        mo = m.get(mod)
        if mo is not None and isinstance(obj, getattr(mo, cls)):
            return spec
    raise TypeError("observe.on_failure: %s is not an mpalloc allocator (Slab, ByteRing, "
                    "ByteBuffer, ByteDeque, GlobalDeque, Arena, Stack, ObjectPool, "
                    "BlockPool)" % type(obj).__name__)


def _wrap(inner, how, fire):
    # Closures made once, at on_failure(); calling them allocates nothing (so one per
    # call form: *args would build a tuple per call).
    if how == "s":  # write(buf) or, on queues with a count, write(buf, n)
        def ws(buf, n=-1):
            if n < 0:
                n = len(buf)
                r = inner(buf)
            else:
                r = inner(buf, n)
            if r < n and r < len(buf):
                fire()
            return r
        return ws
    if how == "a":  # Arena._slow(n, align, grow): -1 full (take; -2 is a bad request,
        # not a failure) or AllocError (alloc)
        def wa(n, align, grow):
            if grow:
                return _raising(inner, fire, (n, align, grow))
            r = inner(n, align, grow)
            if r == -1:
                fire()
            return r
        return wa
    if how == "r":  # raising methods (main loop only)
        def wr(*args):
            return _raising(inner, fire, args)
        return wr
    if how == "o":  # ObjectPool.try_acquire: None when exhausted (any object else, 0 too)
        def wo():
            r = inner()
            if r is None:
                fire()
            return r
        return wo
    # Two cells each (inner, fire): a closure call whose cells and arguments pass 5
    # words takes its argument array from the heap (docs/design.md#closures-without-self),
    # so the bound is a literal and write_from's wrapper is its own.
    if how == "0":
        def w0():
            r = inner()
            if r < 0:
                fire()
            return r
        return w0
    if how == "1":
        def w1(a):
            r = inner(a)
            if r < 1:
                fire()
            return r
        return w1
    if how == "f":  # write_from(buf, n): short of its count n and of len(buf) (as ws)
        def wf(buf, n):
            r = inner(buf, n)
            if r < n and r < len(buf):
                fire()
            return r
        return wf

    def w2(a, b):
        r = inner(a, b)
        if r < 1:
            fire()
        return r
    return w2


def _raising(inner, fire, args):
    from mpalloc.errors import AllocError

    try:
        return inner(*args)
    except AllocError:
        fire()
        raise


def on_failure(obj, fn):
    """Call ``fn(obj, failures)`` after allocations from ``obj`` fail (``failures``:
    how many since the last call). Deferred through ``micropython.schedule`` where it
    exists (never inside the failing call: safe for hard IRQs; at most one run pending),
    called at once elsewhere. Set once per allocator: a second call replaces ``fn``
    (``None`` silences it) and keeps the wrappers. Returns the hook state (``count``,
    ``missed``, ``runs``, ``pending``). Allocates the wrappers now; the failing calls
    then allocate nothing. Not IRQ-safe.

    What counts as a failure: ``try_alloc``/``alloc`` finding no room (Slab, Stack,
    BlockPool), ``try_acquire``/``acquire`` on an exhausted pool (ObjectPool), a refused
    ``put``/``push_back`` or a short ``write``/``write_from`` (ByteRing, ByteDeque,
    GlobalDeque), ``try_write``/``write`` out of chunks (ByteBuffer), ``take``/``alloc``
    that do not fit (Arena). Chunks a ByteBuffer/ByteDeque fails to get are reported by
    the deque's or buffer's hook, not the slab's.
    """
    hk = getattr(obj, "_hook", None)
    if hk is not None:
        hk.fn = fn
        return hk
    spec = _kind(obj)
    hk = _Hook(obj, fn)
    fire = hk.fire
    for name, how in spec:
        setattr(obj, name, _wrap(getattr(obj, name), how, fire))
    obj._hook = hk
    return hk


# ---- memory maps (used by every family's dump()) -----------------------------------


def _out(stream):
    """The stream a ``dump(stream)`` writes to."""
    return sys.stdout if stream is None else stream


def _cells(stream, n, cell, unit):
    """Write a map of ``n`` cells, ``cell(i)`` giving one character ('.' free; called
    with rising ``i``); at most MAP_CELLS characters in lines of 64. With more cells
    each character covers ``k`` cells, of which at most 16 evenly spaced ones are
    looked at (the map is a sketch; the free-run line is exact): '.' all free, the
    shared character when all alike, '#' all used, '+' partly used."""
    k = (n + MAP_CELLS - 1) // MAP_CELLS if n > MAP_CELLS else 1
    step = k // 16 if k > 16 else 1
    stream.write("  map (1 char = %d %s%s): " % (k, unit, "s" if k > 1 else ""))
    cols = (n + k - 1) // k
    line = []
    for c in range(cols):
        lo = c * k
        hi = lo + k if lo + k < n else n
        ch = cell(lo)
        free = ch == "."
        for i in range(lo + step, hi, step):
            x = cell(i)
            if x != ch:
                ch = "+" if free or x == "." else "#"
                if ch == "+":
                    break
        line.append(ch)
        if len(line) == 64:
            stream.write("".join(line))
            line = []
            if c + 1 < cols:
                stream.write("\n    ")
    stream.write("".join(line) + "\n")


def _runs(stream, n, is_free, unit):
    """Write the free runs of ``n`` cells (``is_free(i)``): count, total and the
    largest, with fragmentation as largest run vs total free."""
    total = largest = nruns = cur = 0
    for i in range(n):
        if is_free(i):
            cur += 1
            total += 1
            if cur == 1:
                nruns += 1
            if cur > largest:
                largest = cur
        else:
            cur = 0
    stream.write("  free: %d %s in %d runs, largest run %d (fragmentation %s)\n"
                 % (total, unit, nruns, largest, _frag(total, largest)))


def _frag(total, largest):
    """Fragmentation as text: 1 - largest free piece / total free, '-' when none is free."""
    return "%d%%" % ((total - largest) * 100 // total) if total else "-"


def _more(stream, shown, total):
    """Write the '... N more' line when a list was cut at ``shown`` of ``total``."""
    if total > shown:
        stream.write("  ... %d more\n" % (total - shown))
