# The MicroPython half of tools/bench: measures and prints records; tools/bench (CPython,
# tools/mpalloc_tools/bench.py) computes ratios and prints the tables.
#
#     micropython -X heapsize=8M tools/device/bench_mp.py LIBDIR ROUNDS WINDOW_MS WINDOWS \
#         GC_MS LATENCY_OPS LATENCY_PASSES
#
# On the [armv7m] board tools/bench imports this file from a ROMFS image and calls
# board_main(...): the same cases (those declared with on_board/board_target), the same
# method, the same records.
#
# Every benchmark case is declared once, by an add(...) call below or in a family's
# tools/device/bench_<family>.py (add_cases(add)): its id, label, loop, baseline, target,
# the floor case that explains a miss, its target on the board, and whether it is a
# headline row of the README. Nothing else in the repository lists cases.
#
# Every record is one line "@@BENCH <json>"; lines starting "# " are progress.
#
# Throughput. A case is a function f(n, a, b) timing n iterations of its operation with
# time.ticks_us and returning microseconds (raw, the loop included: the "empty loop" case
# is that loop alone). Rounds are interleaved (every round runs every case once, in the
# declared order). In each round a case runs WINDOWS short windows of about WINDOW_MS
# after a gc.collect(); the round's sample is the fastest window (short windows are rarely
# preempted, and an allocating case sees no collection in them). A case that allocates
# (gc=True) also gets a GC-inclusive sample: the same windows back to back for up to GC_MS
# without collecting in between, gc.mem_alloc() read after each (outside the timing) to
# tell the windows in which a collection ran; ns/op = the round's fastest window without
# one + (the run's fastest window with one - the fastest without) / iterations per
# collection (free heap after a collection / bytes allocated per iteration). Every part is
# a minimum or a count, so preemption by the host, which a long window always suffers,
# stays out of it.
# tools/bench takes the median over rounds of the per-round ratio.
#
# Latency. Single operations timed one by one (ticks_us around each) with 20,000 live
# objects on the heap and gc.threshold low, as on a small heap where collections come
# often. Every kind runs the same LATENCY_OPS ops in LATENCY_PASSES passes, each pass after
# a gc.collect(), so a collection falls on the same op index in every pass while host
# preemption does not: the op's latency is the minimum over passes at its index.
import sys

if __name__ == "__main__" and len(sys.argv) > 1:
    sys.path.insert(0, sys.argv[1])

import gc
import json
from array import array
from collections import deque

import micropython
from bench_kit import Plain, address, kernel_module, t_write_readinto, ticks_diff, ticks_us

from mpalloc import ring, slab

FAMILIES = ("bytebuf", "arena", "pool", "fixed", "memops", "lines")
BOARD_FAMILIES = ("lines",)  # imported on the board: the others' objects do not fit its heap
LIVE = 20000
GC_THRESHOLD = 32768  # bytes allocated between two collections, as on a small heap
TWIN_TARGET = 0.5  # a viper kernel is kept only where it is >= 2x its pure twin


def emit(kind, rec):
    # Streamed: the latency record is ~400 KB of JSON, more than a fragmented heap may
    # hold in one piece (it once failed with MemoryError at the end of a full run).
    rec["kind"] = kind
    sys.stdout.write("@@BENCH ")
    json.dump(rec, sys.stdout)
    sys.stdout.write("\n")


def progress(text):
    print("# " + text)


# ---- timed loops: f(n, a, b) -> elapsed microseconds for n iterations ----------------


def t_empty(n, a, b):
    t0 = ticks_us()
    for _ in range(n):
        pass
    return ticks_diff(ticks_us(), t0)


def t_put_get(n, r, b):
    t0 = ticks_us()
    for _ in range(n):
        r.put(65)
        r.get()
    return ticks_diff(ticks_us(), t0)


def t_deque_byte(n, d, b):
    t0 = ticks_us()
    for _ in range(n):
        d.append(65)
        d.popleft()
    return ticks_diff(ticks_us(), t0)


def t_deque_chunk(n, d, bufs):
    src, dst = bufs
    t0 = ticks_us()
    for _ in range(n):
        d.append(bytes(src))
        dst[:] = d.popleft()
    return ticks_diff(ticks_us(), t0)


def t_slab(n, s, b):
    t0 = ticks_us()
    for _ in range(n):
        s.try_free(s.try_alloc(48))
    return ticks_diff(ticks_us(), t0)


def t_bytearray(n, a, b):
    t0 = ticks_us()
    for _ in range(n):
        bytearray(64)
    return ticks_diff(ticks_us(), t0)


def t_call1(n, o, b):
    t0 = ticks_us()
    for _ in range(n):
        o.take(64)
    return ticks_diff(ticks_us(), t0)


def t_copy(n, fn, bufs):
    src, dst = bufs
    k = len(src)
    t0 = ticks_us()
    for _ in range(n):
        fn(dst, 0, src, 0, k)
    return ticks_diff(ticks_us(), t0)


# ---- floors: the least a call of the API's shape costs here --------------------------------


@micropython.viper
def _v_int(x: int) -> int:
    return 0


@micropython.viper
def _v_none() -> int:
    return 0


@micropython.viper
def _v_buf(buf) -> int:
    return 0


class _Methods:
    """Empty bound methods: the dispatch every method call pays."""

    def put(self, x):
        return 0

    def get(self):
        return 0


def floor_object():
    """Empty viper functions stored on an instance and called without self: the cheapest
    call of the API's shape (what a per-instance kernel closure would cost)."""
    o = Plain()
    o.put = _v_int
    o.get = _v_none
    o.write = _v_buf
    o.readinto = _v_buf
    o.push_back = _v_int
    o.pop_front = _v_none
    o.try_alloc = _v_int
    o.try_free = _v_int
    o.take = _v_int
    return o


def floor_slab():
    """Slab's work floor (issue 15): try_alloc(n)/try_free(h) as per-instance viper
    closures over one metadata address (>> 2) and the bounds as objects, doing the least a
    generation-checked slab must: refuse an out-of-range int as an object (a big int must
    not truncate), take the hint's slot if free (one word read and written) and return
    its handle; free checks the slot range and the handle's tag, bumps the generation and
    sets the hint. Leaves out the counters (free, live, allocs, frees, peak), the size to
    block count, the hint advance and the scan."""
    m = array("I", [0] * 74)  # word 0: hint, 1: slots; slot words from 10
    m[1] = 64
    ma4 = address(m) >> 2
    lo = 1
    hi = 0x3FFFFFFF
    o = Plain()

    @micropython.viper
    def try_alloc(nobj) -> int:
        if nobj > hi or nobj < lo:
            return 0
        n = int(nobj)
        p = ptr32(int(ma4) << 2)
        s = int(p[0])
        w = int(p[10 + s])
        if w & 0x3FFFF:
            return 0
        p[10 + s] = w | n
        return w | (s + 1)

    @micropython.viper
    def try_free(hobj) -> bool:
        if hobj > hi or hobj < lo:
            return False
        h = int(hobj)
        p = ptr32(int(ma4) << 2)
        s = (h & 0x3FFFF) - 1
        if s < 0 or s >= int(p[1]):
            return False
        w = int(p[10 + s])
        if (w & 0x3FFFF) == 0 or ((w ^ h) >> 18) != 0:
            return False
        p[10 + s] = (((w >> 18) + 1) & 0xFFF) << 18
        p[0] = s
        return True

    o.try_alloc = try_alloc
    o.try_free = try_free
    o.keep = m
    return o


# ---- work floors of the ring goals: the call shape plus the least work any viper ring does ---


def ring_floor(size):
    """The least a ByteRing of ``size`` data bytes can do per call on this runtime: per-
    instance viper closures over the storage address (the cheapest per-instance call:
    docs/design.md#ring-closures), stored on an object, called without self.

    put/get: read one index word, store/load one byte, store the index (no full/empty
    test, no wrap, no counters; put then get keeps the index in 0..1). write/readinto:
    the @native layer that takes the optional count (viper takes no defaults), then a
    viper closure doing len() + ptr8 + the count clamp + the 16-byte word copy to/from
    the start of fixed storage + one index store (no buffer-type check, no ring indices
    or wrap, no alignment step, no dropped counting)."""
    m = bytearray(16 + size)
    a4 = address(m) >> 2  # a small int on every board, as the ring's closures capture
    ln = len

    @micropython.viper
    def put(b: int) -> bool:
        p = int(a4) << 2
        h = ptr32(p)
        w = int(h[0])
        ptr8(p + 16)[w] = b
        h[0] = w + 1
        return True

    @micropython.viper
    def get() -> int:
        p = int(a4) << 2
        h = ptr32(p)
        r = int(h[0]) - 1
        v = ptr8(p + 16)[r]
        h[0] = r
        return v

    @micropython.viper
    def writek(buf, n: int) -> int:
        k = int(ln(buf))
        if n < 0 or n > k:
            n = k
        sa = int(ptr8(buf))
        p = int(a4) << 2
        da = p + 16
        e = da + (n & -16)
        while da < e:
            dw = ptr32(da)
            sw = ptr32(sa)
            dw[0] = sw[0]
            dw[1] = sw[1]
            dw[2] = sw[2]
            dw[3] = sw[3]
            da += 16
            sa += 16
        d = ptr8(da)
        s = ptr8(sa)
        c = n & 15
        j = 0
        while j < c:
            d[j] = s[j]
            j += 1
        ptr32(p)[1] = n  # the write index
        return n

    @micropython.viper
    def readk(buf, n: int) -> int:
        k = int(ln(buf))
        if n < 0 or n > k:
            n = k
        da = int(ptr8(buf))
        p = int(a4) << 2
        sa = p + 16
        e = da + (n & -16)
        while da < e:
            dw = ptr32(da)
            sw = ptr32(sa)
            dw[0] = sw[0]
            dw[1] = sw[1]
            dw[2] = sw[2]
            dw[3] = sw[3]
            da += 16
            sa += 16
        d = ptr8(da)
        s = ptr8(sa)
        c = n & 15
        j = 0
        while j < c:
            d[j] = s[j]
            j += 1
        ptr32(p)[2] = n  # the read index
        return n

    @micropython.native
    def write(buf, n=None):
        if n is None:
            n = -1
        return writek(buf, n)

    @micropython.native
    def readinto(buf, n=None):
        if n is None:
            n = -1
        return readk(buf, n)

    o = Plain()
    o.put = put
    o.get = get
    o.write = write
    o.readinto = readinto
    o.m = m
    return o


# ---- the library under test --------------------------------------------------------------


def kernel_class(mod, kernel_name):
    """The module's class bound to kernel module ``kernel_name`` and "", or None and why
    not."""
    hook = getattr(mod, "_with_kernel", None)
    if hook is None:
        return None, "%s has no _with_kernel hook" % mod.__name__
    kmod, why = kernel_module(kernel_name)
    if kmod is None:
        return None, why
    return hook(kmod), ""


def ringio_limit_note(size):
    try:
        micropython.RingIO(size)
    except (ValueError, MemoryError) as e:
        return "micropython.RingIO(%d) raises %s" % (size, type(e).__name__)
    return "micropython.RingIO(%d) works on this build" % size


def add_core(add, board):
    ByteRing = ring.ByteRing
    Slab = slab.Slab
    RingIO = micropython.RingIO
    one = (bytearray(b"A"), bytearray(1))
    b128 = (bytearray(range(128)), bytearray(128))
    b1024 = (bytearray(1024), bytearray(1024))
    slab_args = (64 * 64, 64)  # 64 blocks of 64 bytes; try_alloc(48) takes one block

    add("empty_loop", 0, "empty `for _ in range(n)` loop", t_empty, None, None,
        note="loop overhead alone; every row includes it once per iteration", on_board=True)

    # Floors: what the API's shape costs before any work (a miss is shown with its floor).
    add("floor_calls_int", 1, "floor: o.put(65) + o.get(), empty viper functions stored "
        "on the instance (no self)", t_put_get, floor_object(), None, baseline="ringio_1",
        on_board=True)
    add("floor_methods", 1, "floor: two empty bound methods (self), put(65) + get()",
        t_put_get, _Methods(), None, baseline="ringio_1",
        note="method dispatch alone; the library's methods pay at least this")
    add("floor_calls_buf", 1, "floor: o.write(src) + o.readinto(dst), empty viper "
        "functions stored on the instance (no self)", t_write_readinto, floor_object(),
        one, baseline="ringio_1")
    add("floor_calls_nested", 1, "floor: o.try_free(o.try_alloc(48)), empty viper "
        "functions stored on the instance (no self)", t_slab, floor_object(), None,
        baseline="bytearray_64", on_board=True)
    add("floor_call1", 1, "floor: o.take(64), one empty viper function stored on the "
        "instance (no self)", t_call1, floor_object(), None, baseline="bytearray_64")

    # Work floors of the ring goals (ring_floor: the call shape plus the least work any
    # viper ring does; its docstring lists what each leaves out).
    add("floor_ring_put_get", 1, "floor: o.put(65) + o.get(), viper closures over a storage "
        "address: one index word and one byte each (no full/empty test, no wrap, no counters)",
        t_put_get, ring_floor(16), None, baseline="ringio_1", on_board=True)
    add("floor_ring_128", 1, "floor: o.write(src) + o.readinto(dst), 128 B: @native count "
        "layer + viper closure: len, ptr8, 16-byte word copy, one index store (no type check, "
        "no ring indices, wrap or dropped count)", t_write_readinto, ring_floor(128), b128,
        baseline="ringio_128")
    add("floor_ring_1024", 1, "floor: o.write(src) + o.readinto(dst), 1024 B: as "
        "floor_ring_128", t_write_readinto, ring_floor(1024), b1024, baseline="ringio_1024")

    # Targets are cost ratios (case time / baseline time), as the issue states them.
    add("ring_put_get", 2, "ByteRing(1024) put+get, 1 B", t_put_get, ByteRing(1024), None,
        baseline="ringio_1", target=1.0, floor="floor_ring_put_get", board_target=1.0,
        summary="ByteRing")
    add("ringio_1", 2, "RingIO(1024) write+readinto, 1 B", t_write_readinto, RingIO(1024),
        one, note="1-byte bytearrays; RingIO has no single-byte put/get", on_board=True)
    add("deque_1", 2, "deque(maxlen=1024) append+popleft, 1 int", t_deque_byte,
        deque((), 1024), None, baseline="ringio_1")

    add("ring_128", 3, "ByteRing(1024) write+readinto, 128 B", t_write_readinto,
        ByteRing(1024), b128, baseline="ringio_128", target=1.5, floor="floor_ring_128",
        summary="ByteRing")
    add("ringio_128", 3, "RingIO(1024) write+readinto, 128 B", t_write_readinto,
        RingIO(1024), b128)
    add("deque_128", 3, "deque of 128 B chunks: append(bytes(src)) + dst[:]=popleft()",
        t_deque_chunk, deque((), 8), b128, baseline="ringio_128", gc=True,
        note="pragmatic pure-Python queue of chunks (a byte-wise deque would be silly); "
             "allocates one bytes object per op")
    add("ring_1024", 3, "ByteRing(2048) write+readinto, 1024 B", t_write_readinto,
        ByteRing(2048), b1024, baseline="ringio_1024", target=1.6,
        floor="floor_ring_1024")
    add("ringio_1024", 3, "RingIO(2048) write+readinto, 1024 B", t_write_readinto,
        RingIO(2048), b1024)
    if not board:  # 128 KiB: more than the board's heap
        big = 1 << 17
        add("ring_128_big", 3, "ByteRing(131072) write+readinto, 128 B", t_write_readinto,
            ByteRing(big), b128, baseline="ringio_128",
            note="capacity RingIO cannot hold (%s); baseline is RingIO(1024)"
                 % ringio_limit_note(big))

    add("slab_48", 4, "Slab(4096, 64) try_alloc(48)+try_free", t_slab, Slab(*slab_args),
        None, baseline="bytearray_64", target=0.9, floor="floor_slab",
        board_target=1.2, summary="Slab")
    add("floor_slab", 4, "floor: o.try_free(o.try_alloc(48)) as closures over one address: "
        "bounds as objects, the hint slot's word read and written, the tag check and "
        "generation bump (no counters, block count, hint advance or scan)", t_slab,
        floor_slab(), None, baseline="bytearray_64", on_board=True)
    add("bytearray_64", 4, "bytearray(64)", t_bytearray, None, None, gc=True, on_board=True,
        note="heap allocation, dropped at once; GC-inclusive: with its share of the "
             "collections it causes on a heap holding almost nothing else (the heap's best "
             "case)")

    # Each viper kernel against its pure twin, through the _with_kernel hook.
    for mod, stem, rows in (
        (ring, "_ring", (("put_get", "ByteRing(1024) put+get, 1 B", t_put_get, None),
                         ("128", "ByteRing(1024) write+readinto, 128 B", t_write_readinto,
                          b128))),
        (slab, "_slab", (("alloc_free", "Slab(4096, 64) try_alloc(48)+try_free", t_slab,
                          None),)),
    ):
        classes = {}
        for kind in ("viper", "py"):
            classes[kind] = kernel_class(mod, stem + "_" + kind)
        for suffix, label, fn, b in rows:
            for kind in ("viper", "py"):
                cls, why = classes[kind]
                obj = None
                if cls is not None:
                    obj = cls(1024) if mod is ring else cls(*slab_args)
                add("%s_%s" % (stem[1:], suffix), 5, label, fn, obj, b, note=why,
                    kernel=kind)
    # The shared copy loop (_mem_*), called directly: 128 B, aligned.
    for kind in ("viper", "py"):
        kmod, why = kernel_module("_mem_" + kind)
        add("mem_copy_128", 5, "copy loop, 128 B", t_copy, kmod.copy if kmod else None, b128,
            note=why, kernel=kind)


def build_cases(board=False):
    """List of case dicts in declared order (the order within every round). On the board
    only the cases declared on_board/board_target and the cases they are compared with."""
    cases = []
    family = ["core"]  # the plug-in adding cases (tools/report groups rows by it)
    wanted = set()  # baselines and floors of the cases declared so far

    def add(cid, group, label, fn, a, b, baseline=None, target=None, note="", floor=None,
            board_target=None, on_board=False, gc=False, summary=None, kernel=None):
        # baseline: the case it is timed against, in the same rounds; target: upper bound
        # on case time / baseline time; floor: the case showing the least this shape of
        # call costs (printed beside a miss); board_target: the same bound on [armv7m];
        # on_board: run on [armv7m] without a target there; gc: the case allocates, so
        # it is also timed GC-inclusive; summary: README headline row under that name;
        # kernel: "viper" or "py", one row of a kernel-vs-twin pair <cid>_viper/<cid>_py
        # (the viper row's bound is TWIN_TARGET against the py row; a = None: that kernel
        # does not import here, note says why, the row is not timed).
        if kernel:
            cid, label = "%s_%s" % (cid, kernel), "%s [%s kernel]" % (label, kernel)
            if kernel == "viper":
                baseline, target = cid[:-6] + "_py", TWIN_TARGET
            if a is None:
                fn = None
        on_board = on_board or board_target is not None
        if board and not (on_board or cid in wanted):
            return  # not run on the board: its objects are garbage now (a small heap)
        wanted.update((baseline, floor))
        cases.append({"id": cid, "group": group, "label": label, "fn": fn, "a": a, "b": b,
                      "baseline": baseline, "target": target, "note": note,
                      "floor": floor, "board_target": board_target,
                      "on_board": on_board, "gc": gc,
                      "summary": summary, "family": family[0]})

    # Further allocator families add their cases from tools/device/bench_<family>.py:
    # add_cases(add), with add() as above.
    add_core(add, board)
    for family_name, plugin in plugins(board):
        family[0] = family_name
        plugin.add_cases(add)
    if board:  # add() kept a baseline/floor only when declared after its case
        lost = wanted.difference([c["id"] for c in cases] + [None])
        if lost:
            raise ValueError("declare %s on_board: a board case names it" % sorted(lost))
    return cases


def plugins(board):
    """(family, module) of each bench_<family>.py that imports here."""
    out = []
    for family_name in BOARD_FAMILIES if board else FAMILIES:
        try:
            out.append((family_name, __import__("bench_" + family_name)))
        except ImportError as e:
            if "bench_" + family_name not in str(e):
                raise
    return out


def selection(cases, wanted):
    """tools/bench --only: the cases named in ``wanted``, their baselines and floors, and
    the empty loop."""
    by_id = {}
    for c in cases:
        by_id[c["id"]] = c
    keep = set(["empty_loop"])
    for c in cases:
        if c["id"] in wanted:
            keep.add(c["id"])
            for other in (c["baseline"], c["floor"]):
                if other in by_id:
                    keep.add(other)
    return [c for c in cases if c["id"] in keep]


# ---- throughput ---------------------------------------------------------------------------


def calibrate(case, target_us):
    """Iterations that take about target_us: doubled until a run takes at least half of
    it (the faster of two runs, so one preempted run does not shrink the window)."""
    fn, a, b = case["fn"], case["a"], case["b"]
    n = 16
    while True:
        gc.collect()
        t = min(fn(n, a, b), fn(n, a, b))
        if t * 2 >= target_us or n >= 1 << 24:
            break
        n *= 2
    return max(16, int(n * target_us / max(t, 1)))


def throughput(cases, rounds, window_ms, windows, gc_ms):
    for c in cases:
        c["samples"] = []
        c["gc_state"] = [[], None, 0, 0]  # quiet windows, fastest busy, B/iter, free
        c["collections"] = 0
        if c["fn"] is not None:
            c["n"] = calibrate(c, window_ms * 1000)
    progress("%d cases x %d rounds, %d windows of ~%d ms each (+ up to %d ms GC-inclusive "
             "for an allocating case)" % (len(cases), rounds, windows, window_ms, gc_ms))
    for _ in range(rounds):
        for c in cases:
            if c["fn"] is not None:
                measure_round(c, windows, gc_ms)
    for c in cases:
        emit("case", {"id": c["id"], "group": c["group"], "label": c["label"],
                      "baseline": c["baseline"], "target": c["target"], "note": c["note"],
                      "floor": c["floor"], "board_target": c["board_target"],
                      "on_board": c["on_board"], "gc": c["gc"], "summary": c["summary"],
                      "iterations": c.get("n", 0), "samples_ns": c["samples"],
                      "samples_gc_ns": gc_samples(c) if c["gc"] else [],
                      "collections": c["collections"],
                      "family": c["family"]})


def measure_round(c, windows, gc_ms):
    fn, a, b, n = c["fn"], c["a"], c["b"], c["n"]
    gc.collect()
    best = fn(n, a, b)
    for _ in range(windows - 1):
        t = fn(n, a, b)
        if t < best:
            best = t
    c["samples"].append(best * 1000 / n)
    if c["gc"]:
        gc_inclusive(c, gc_ms)


def gc_inclusive(c, gc_ms):
    """This round's fastest window without a collection, and the run's fastest window with
    one (c["gc"]: quiet list, busy, bytes per iteration, free heap); see the header."""
    fn, a, b, n = c["fn"], c["a"], c["b"], c["n"]
    st = c["gc_state"]
    gc.collect()
    st[3] = gc.mem_free()
    last = gc.mem_alloc()
    quiet = busy = None
    spent = 0
    while spent < gc_ms * 1000 and (busy is None or quiet is None or spent < 10 * quiet):
        t = fn(n, a, b)
        spent += t
        m = gc.mem_alloc()
        if m < last:
            c["collections"] += 1
            busy = t if busy is None or t < busy else busy
        else:
            quiet = t if quiet is None or t < quiet else quiet
            st[2] = (m - last) / n
        last = m
    st[0].append(quiet if quiet is not None else busy)
    if busy is not None and (st[1] is None or busy < st[1]):
        st[1] = busy


def gc_samples(c):
    """GC-inclusive ns/op per round: the round's quiet window plus the run's share of one
    collection per iteration ((fastest busy - fastest quiet window) / iterations per
    collection, iterations per collection = free heap / bytes per iteration)."""
    quiet, busy, per_iter, free = c["gc_state"]
    n = c["n"]
    share = 0
    if busy is not None and per_iter > 0 and free > 0:
        share = max(0, busy - min(quiet)) * per_iter / free
    return [(q / n + share) * 1000 for q in quiet]


# ---- worst-case single-op latency ---------------------------------------------------------
# Every single op runs through a one-argument function, so each kind pays the same call.


def op_heap(a):
    return bytearray(64)  # kept until the next op replaces it, then garbage


def op_slab(s):
    s.try_free(s.try_alloc(48))


def op_blockpool(p):
    p.try_free(p.try_alloc())


def op_objpool(p):
    p.release(p.acquire())


def op_ring(r):
    r.put(65)
    r.get()


def op_arena(a):
    if a.take(64) < 0:
        a.reset()


def op_floor(a):
    pass


class _Obj:
    def __init__(self):
        self.a = self.b = self.c = self.d = 0


def latency_ops():
    """(key, label, op, argument, kernel) for each single op; "heap" is the baseline."""
    ops = [
        ("heap", "bytearray(64), one at a time", op_heap, None, None),
        ("slab", "Slab(4096, 64) try_alloc(48)+try_free, one at a time", op_slab,
         slab.Slab(64 * 64, 64), slab.KERNEL),
    ]
    try:
        from mpalloc import pool
    except ImportError:
        pool = None
    if pool is not None:
        ops.append(("blockpool", "BlockPool(64, 64) try_alloc+try_free, one at a time",
                    op_blockpool, pool.BlockPool(64, 64), pool.KERNEL))
        ops.append(("objpool", "ObjectPool(4-attribute object, 64) acquire+release, one "
                    "at a time", op_objpool, pool.ObjectPool(_Obj, 64), pool.KERNEL))
    ops.append(("ring", "ByteRing(1024) put+get, one at a time", op_ring, ring.ByteRing(1024),
                ring.KERNEL))
    try:
        from mpalloc.arena import Arena
    except ImportError:
        Arena = None
    if Arena is not None:
        ops.append(("arena", "Arena(65536).take(64) (reset when full), one at a time",
                    op_arena, Arena(65536), None))
    ops.append(("floor", "empty timed window (timer + host scheduler jitter)", op_floor,
                None, None))
    return ops


def lat_pass(out, op, a):
    """Time each op into out[i] (microseconds), after a few untimed ones: the first op
    after the pass's gc.collect() finds the host's caches cold, a cost of the method (a
    board without caches has none of it), and it would recur at index 0 in every pass."""
    keep = None
    for _ in range(8):
        keep = op(a)
    for i in range(len(out)):
        t0 = ticks_us()
        keep = op(a)
        out[i] = ticks_diff(ticks_us(), t0)
    del keep


def lat_census(k, op, a):
    """Untimed pass: (collections, bytes allocated) over k ops. No allocation means no
    collection (only an allocation starts one): one gc.mem_alloc() on each side shows it.
    Otherwise a collection shows as gc.mem_alloc() going down between two ops (MicroPython
    has no gc callback); mem_alloc() walks the heap, so this pass is kept apart from the
    timed ones."""
    gc.collect()
    last = gc.mem_alloc()
    keep = None
    for _ in range(k):
        keep = op(a)
    keep = None
    if gc.mem_alloc() == last:
        return 0, 0
    gc.collect()
    last = gc.mem_alloc()
    cols = grown = 0
    for _ in range(k):
        keep = op(a)
        m = gc.mem_alloc()
        if m < last:
            cols += 1
        else:
            grown += m - last
        last = m
    del keep
    return cols, grown


def latency(k, passes):
    ops = latency_ops()
    scratch = array("i", [0] * k)
    best = {}
    raw = {}
    for key, _, op, a, _ in ops:
        best[key] = array("i", [0x3FFFFFFF] * k)
        raw[key] = []
        lat_pass(scratch, op, a)  # warm-up
    live = [(i, i) for i in range(LIVE)]
    gc.collect()
    progress("latency: %d live tuples, gc.threshold(%d), %d passes x %d single ops each"
             % (len(live), GC_THRESHOLD, passes, k))
    gc.threshold(GC_THRESHOLD)
    census = {}
    try:
        for key, _, op, a, _ in ops:
            census[key] = lat_census(k, op, a)
        for _ in range(passes):
            for key, _, op, a, _ in ops:
                gc.collect()  # every pass starts from the same heap: collections recur
                lat_pass(scratch, op, a)
                fold_min(best[key], scratch)
                raw[key].append(max(scratch))
    finally:
        gc.threshold(-1)
    rec = {"live_objects": len(live), "gc_threshold": GC_THRESHOLD, "ops": k,
           "passes": passes, "kinds": [o[0] for o in ops]}
    for key, label, _, _, kernel in ops:
        rec[key] = {"label": label, "us": list(best[key]), "pass_worst_us": raw[key],
                    "collections": census[key][0], "allocated": census[key][1]}
        if kernel:
            rec[key]["kernel"] = kernel
    del live
    gc.collect()
    emit("latency", rec)


def fold_min(best, t):
    for i in range(len(t)):
        if t[i] < best[i]:
            best[i] = t[i]


# ---- entry points -------------------------------------------------------------------------


def emit_meta():
    impl = sys.implementation
    emit("meta", {
        "sys_version": sys.version,
        "implementation": {"name": impl.name, "version": list(impl.version),
                           "machine": getattr(impl, "_machine", ""),
                           "build": getattr(impl, "_build", ""),
                           "mpy": getattr(impl, "_mpy", 0)},
        "platform": sys.platform,
        "ring_kernel": ring.KERNEL, "slab_kernel": slab.KERNEL,
        "heap_total": gc.mem_alloc() + gc.mem_free(),
    })


def main():
    rounds, window_ms, windows, gc_ms, lat_k, lat_passes = (int(v) for v in sys.argv[2:8])
    only = sys.argv[8].split(",") if len(sys.argv) > 8 else None  # tools/bench --only
    emit_meta()
    cases = build_cases()
    if only:
        cases = selection(cases, only)
    throughput(cases, rounds, window_ms, windows, gc_ms)
    if not only:
        latency(lat_k, lat_passes)
    print("@@BENCH-DONE")


def board_main(room, rounds, window_ms, windows, gc_ms):
    """The board's run (tools/bench imports this file on [armv7m]): throughput only.

    ``room`` holds the one bytearray the board script allocated before any import: the
    cases' objects go there, below every page of machine code. qemu retranslates the
    machine code on a page (1 KiB on Cortex-M) whenever that page is written, and
    MicroPython keeps viper code in the heap, so a case whose buffers shared a page with
    code ran 2-5x slower, RingIO included, as the heap layout fell
    (docs/design.md#ring-closures). All code is imported first (the plug-ins here), then
    the room is freed: the heap allocates from its lowest free block."""
    plugins(True)
    del room[:]
    gc.collect()
    emit_meta()
    throughput(build_cases(board=True), rounds, window_ms, windows, gc_ms)
    print("@@BENCH-DONE")


if __name__ == "__main__":
    main()
