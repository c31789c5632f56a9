"""Observability (issue 20): stats() shared keys, dump() maps, failure hooks, report()."""

import io
import json
from array import array

from mpalloc import global_slab, observe
from mpalloc.arena import Arena
from mpalloc.bytebuf import ByteBuffer, ByteDeque
from mpalloc.errors import AllocError
from mpalloc.global_slab import GlobalDeque
from mpalloc.pool import BlockPool, ObjectPool
from mpalloc.ring import ByteRing
from mpalloc.slab import Slab
from mpalloc.stack import Stack
from support import IS_MICROPYTHON, eq, heap_fit, no_alloc, no_heap_use, raises, skip

CORE = ("unit", "capacity", "in_use", "free", "peak", "allocs", "frees", "failures")


class Thing:
    pass


def every():
    """One of each allocator after a known sequence of calls: (obj, expected stats)."""
    out = []
    s = Slab(256, 8)  # 8 blocks of 32 bytes
    h = s.alloc(40)  # 2 blocks
    s.alloc(1)
    s.free(h)
    s.try_alloc(1000)
    out.append((s, {"unit": "blocks", "capacity": 8, "in_use": 1, "free": 7, "peak": 3,
                    "allocs": 2, "frees": 1, "failures": 1, "live": 1, "block_size": 32,
                    "largest_free_run": 5}))
    r = ByteRing(8)
    r.write(b"0123456789")  # 8 fit, 2 dropped
    r.get()
    r.put(1)  # fits
    r.put(2)  # full: 1 more dropped
    out.append((r, {"unit": "bytes", "capacity": 8, "in_use": 8, "free": 0,
                    "dropped": 3, "failures": 2, "peak": None, "allocs": None}))
    b = ByteBuffer(Slab(128, 4))
    b.write(b"x" * 40)
    out.append((b, {"unit": "bytes", "capacity": 128, "in_use": 40, "free": 88,
                    "chunks": 2, "chunk_size": 32}))
    d = ByteDeque(Slab(128, 4))
    d.write(b"y" * 40)
    d.pop_front()
    out.append((d, {"unit": "bytes", "capacity": 128, "in_use": 39, "free": 88,
                    "chunks": 2, "chunk_size": 32, "dropped": 0}))
    a = Arena(100)
    a.alloc(30)
    a.reset()
    a.alloc(20)
    a.take(1000)
    out.append((a, {"unit": "bytes", "capacity": 100, "in_use": 20, "free": 80,
                    "peak": 30, "allocs": None, "frees": None, "failures": 1,
                    "bytes": 50, "blocks": 1, "scopes": 0}))
    st = Stack(64, depth=4)
    st.alloc(10)
    st.free(st.alloc(20))
    st.try_alloc(100, 1)
    out.append((st, {"unit": "bytes", "capacity": 64, "in_use": 10, "free": 54,
                     "peak": 30, "allocs": 2, "frees": 1, "failures": 1, "live": 1,
                     "depth": 4}))
    p = ObjectPool(Thing, 4)
    xs = [p.acquire() for _ in range(3)]
    p.release(xs[0])
    out.append((p, {"unit": "objects", "capacity": 4, "in_use": 2, "free": 2, "peak": 3,
                    "allocs": 3, "frees": 1, "failures": 0, "max_capacity": 4,
                    "grows": 0}))
    bp = BlockPool(16, 4)
    i = bp.alloc()
    bp.alloc()
    bp.free(i)
    out.append((bp, {"unit": "blocks", "capacity": 4, "in_use": 1, "free": 3, "peak": 2,
                     "allocs": 2, "frees": 1, "failures": 0, "block_size": 16}))
    return out


def test_stats_shared_keys_and_values():
    for obj, want in every():
        st = obj.stats()
        name = type(obj).__name__
        for k in CORE:
            assert k in st, (name, k, st)
        for k, v in want.items():
            assert st[k] == v, (name, k, st[k], v)
        if isinstance(obj, (ByteRing, ByteDeque)):
            assert "dropped" in st, (name, st)


def test_stats_are_json():
    for obj, _ in every():
        st = obj.stats()
        back = json.loads(json.dumps(st))
        assert back == st, (type(obj).__name__, st, back)


def test_stats_counters_wrap_below_2_30():
    s = Slab(64, 2)
    s._m[3] = 0x3FFFFFFF  # allocs counter at its largest value
    s.free(s.alloc(1))
    assert s.stats()["allocs"] == 0
    p = BlockPool(8, 1)
    p._m[7] = 0x3FFFFFFF  # failures
    p.alloc()
    assert p.try_alloc() == -1 and p.stats()["failures"] == 0


def dumped(obj):
    out = io.StringIO()
    assert obj.dump(out) is None
    return out.getvalue()


def test_dump_every_family():
    for obj, _ in every():
        text = dumped(obj)
        name = type(obj).__name__
        assert text.startswith(name + ":"), (name, text)
        assert text.endswith("\n") and len(text.split("\n")) >= 3, (name, text)
    s = Slab(256, 8)
    s.alloc(40)
    h = s.alloc(1)
    s.free(h)
    s.alloc(1)  # the same slot again: generation 1
    text = dumped(s)
    assert "map (1 char = 1 block): #=#....." in text, text
    assert "slot 2, generation 1, 1 bytes in 1 block" in text, text
    assert "free: 5 blocks in 1 runs, largest run 5 (fragmentation 0%)" in text, text
    bp = BlockPool(8, 6)
    for _ in range(5):
        bp.alloc()
    bp.free(1)
    bp.free(3)
    assert "#.#.#." in dumped(bp)
    assert "3 blocks in 3 runs, largest run 1 (fragmentation 66%)" in dumped(bp)


def test_dump_bounded_for_big_allocators():
    # 10,000 slots, a 100,000-byte ring, 5,000 blocks where the heap holds them (unix); a
    # board's 140 KiB heap gets what fits: still far more units than a map has characters.
    slots = heap_fit(10000, 12)  # data, metadata words, dump text
    uses = slots * 3 // 10
    s = Slab(slots * 4, slots)
    for _ in range(uses):
        s.alloc(1)
    text = dumped(s)
    lines = text.split("\n")
    assert len(lines) < 30 and len(text) < 2500, (len(lines), len(text))
    k = (slots + observe.MAP_CELLS - 1) // observe.MAP_CELLS
    assert "... %d more" % (uses - observe.MAX_LINES) in text, text
    assert "1 char = %d blocks" % k in text, (k, text)
    s = text = lines = None  # before the ring: a board holds one at a time
    cap = heap_fit(100000, 3)
    r = ByteRing(cap)
    r.write(bytes(cap // 2))
    assert len(dumped(r)) < 600
    r = None
    p = BlockPool(4, heap_fit(5000, 8), strategy="bitmap")
    assert len(dumped(p)) < 600


def test_dump_default_stream_is_stdout():
    import sys

    assert observe._out(None) is sys.stdout
    if IS_MICROPYTHON:
        return  # sys.stdout cannot be rebound there; observe._out is what dump() uses
    old = sys.stdout
    out = io.StringIO()
    sys.stdout = out
    try:
        Slab(64, 2).dump()
    finally:
        sys.stdout = old
    assert out.getvalue().startswith("Slab: 2 blocks")


def test_dump_global_deque_before_and_after_configure():
    global_slab._reset()
    d = GlobalDeque()
    assert "not bound" in dumped(d) and d.stats()["capacity"] == 0
    global_slab.configure(*global_slab.SLAB_512_16)
    d.write(b"abc")
    assert "3 bytes in 1 chunks of 32 bytes" in dumped(d)
    assert d.stats()["in_use"] == 3
    d.clear()
    global_slab._reset()


# ---- failure hooks ------------------------------------------------------------------


class FakeSchedule:
    """Stands in for micropython.schedule: records, runs nothing until ``flush``."""

    def __init__(self, full=False):
        self.q = [None] * 4  # preallocated: recording under heap_lock allocates nothing
        self.calls = 0
        self.full = full

    def __call__(self, fn, arg):
        if self.full:
            raise RuntimeError("schedule queue full")
        self.q[self.calls & 3] = fn
        self.calls += 1

    def flush(self):
        for i in range(4):
            fn = self.q[i]
            self.q[i] = None
            if fn is not None:
                fn(0)


def with_schedule(fake, fn):
    old = observe._schedule
    observe._schedule = fake
    try:
        return fn()
    finally:
        observe._schedule = old


def failers():
    """(allocator, a call that fails on it) for each family; the allocator is full."""
    s = Slab(64, 2)
    s.alloc(64)
    r = ByteRing(2)
    r.write(b"ab")
    r2 = ByteRing(2)
    r2.write(b"ab")
    q = ByteDeque(Slab(32, 1))
    q.write(b"x" * 32)
    q2 = ByteDeque(Slab(32, 1))
    q2.write(b"x" * 32)
    bb = ByteBuffer(Slab(32, 1))
    a = Arena(16)
    st = Stack(16)
    p = ObjectPool(Thing, 1)
    p.acquire()
    bp = BlockPool(8, 1)
    bp.alloc()
    return ((s, lambda: s.try_alloc(1)), (r, lambda: r.put(1)),
            (r2, lambda: r2.write(b"zz")), (q, lambda: q.push_back(1)),
            (q2, lambda: q2.write_from(b"zz", 2)), (bb, lambda: bb.try_write(b"x" * 40)),
            (a, lambda: a.take(17)), (st, lambda: st.try_alloc(17, 1)),
            (p, lambda: p.try_acquire()), (bp, lambda: bp.try_alloc()))


def test_hook_deferred_once_per_burst():
    for obj, fail in failers():
        calls = []
        fake = FakeSchedule()

        def run(obj=obj, fail=fail, calls=calls, fake=fake):
            hk = observe.on_failure(obj, lambda o, n: calls.append((o, n)))
            for _ in range(3):
                fail()
            assert calls == [] and fake.calls == 1, (type(obj).__name__, fake.calls)
            fake.flush()
            assert calls == [(obj, 3)], (type(obj).__name__, calls)
            fail()  # a new burst
            fake.flush()
            assert calls[-1] == (obj, 1) and hk.runs == 2 and hk.pending == 0
            hk.fn = None  # silenced: failures still counted, fn not called
            fail()
            fake.flush()
            assert len(calls) == 2

        with_schedule(fake, run)


def test_hook_on_raising_methods():
    fake = FakeSchedule()
    calls = []

    def note(o, n):
        calls.append(n)

    def run():
        s = Slab(64, 2)
        s.alloc(64)
        observe.on_failure(s, note)
        raises(AllocError, s.alloc, 1)
        a = Arena(16)
        observe.on_failure(a, note)
        raises(AllocError, a.alloc, 17)
        st = Stack(16)
        observe.on_failure(st, note)
        raises(AllocError, st.alloc, 17)
        p = ObjectPool(Thing, 1)
        p.acquire()
        observe.on_failure(p, note)
        raises(AllocError, p.acquire)
        bp = BlockPool(8, 1)
        bp.alloc()
        observe.on_failure(bp, note)
        raises(AllocError, bp.alloc)
        bb = ByteBuffer(Slab(32, 1))
        observe.on_failure(bb, note)
        raises(AllocError, bb.write, b"x" * 40)
        assert fake.calls == 6, fake.calls

    with_schedule(fake, run)


def test_hook_not_called_on_success_and_set_once():
    fake = FakeSchedule()

    def run():
        s = Slab(64, 2)
        hk = observe.on_failure(s, lambda o, n: None)
        assert observe.on_failure(s, None) is hk  # replaces fn, keeps the wrappers
        h = s.try_alloc(10)
        s.free(h)
        assert fake.calls == 0 and hk.count == 0
        raises(TypeError, observe.on_failure, object(), None)

    with_schedule(fake, run)


def test_hook_counts_only_real_failures_of_each_call_form():
    # A falsy object from ObjectPool.try_acquire (0, [], "") and index 0 from BlockPool
    # are successes; None and -1 are the failures. Each wrapper kind once.
    fake = FakeSchedule()

    def run():
        p = ObjectPool(list, 1)
        hp = observe.on_failure(p, None)
        assert p.try_acquire() == [] and hp.count == 0, hp.count
        assert p.try_acquire() is None and hp.count == 1, hp.count
        bp = BlockPool(8, 1)
        hb = observe.on_failure(bp, None)
        assert bp.try_alloc() == 0 and hb.count == 0, hb.count
        assert bp.try_alloc() == -1 and hb.count == 1, hb.count
        r = ByteRing(4)
        hr = observe.on_failure(r, None)
        assert r.write_from(b"abc", 3) == 3 and r.put(1) and hr.count == 0, hr.count
        assert r.write_from(b"xy", 2) == 0 and not r.put(2) and hr.count == 2, hr.count

    with_schedule(fake, run)


def test_hook_direct_without_schedule():
    # CPython and CircuitPython: fn runs inside the failing call, once per failure.
    calls = []

    def run():
        s = Slab(64, 2)
        s.alloc(64)
        hk = observe.on_failure(s, lambda o, n: calls.append(n))
        s.try_alloc(1)
        s.try_alloc(1)
        assert calls == [1, 1] and hk.runs == 2 and hk.pending == 0

    with_schedule(None, run)


def test_hook_reentrant_failure_does_not_recurse():
    calls = []

    def run():
        s = Slab(64, 2)
        s.alloc(64)

        def hook(o, n):
            calls.append(n)
            o.try_alloc(1)  # fails again inside the hook: counted for the next burst

        hk = observe.on_failure(s, hook)
        s.try_alloc(1)
        assert calls == [1] and hk.count == 1
        s.try_alloc(1)
        assert calls == [1, 2]

    with_schedule(None, run)


def test_hook_schedule_queue_full_is_counted():
    fake = FakeSchedule(full=True)

    def run():
        s = Slab(64, 2)
        s.alloc(64)
        hk = observe.on_failure(s, lambda o, n: None)
        s.try_alloc(1)
        s.try_alloc(1)
        assert hk.missed == 2 and hk.pending == 0 and hk.count == 2
        fake.full = False
        s.try_alloc(1)
        assert fake.calls == 1 and hk.pending == 1
        fake.flush()
        assert hk.count == 0 and hk.runs == 1

    with_schedule(fake, run)


def _fail_many(s):
    return s.try_alloc(1) or s.try_alloc(1) or s.try_alloc(1)


def test_hooked_failing_try_alloc_allocates_nothing():
    fake = FakeSchedule()
    s = Slab(64, 2)
    s.alloc(64)
    r = ByteRing(1)
    r.put(1)
    bp = BlockPool(8, 1)
    bp.alloc()
    st = Stack(16)
    st.alloc(16)
    seen = array("i", [0])

    def hook(o, n):
        seen[0] += n

    for obj in (s, r, bp, st):
        observe.on_failure(obj, hook)

    def run():
        eq(no_alloc(_fail_many, s), 0, "_fail_many")
        eq(no_alloc(r.put, 2), False, "r.put")
        eq(no_alloc(r.write_from, b"xy", 2), 0, "r.write_from")  # pending: counts only
        eq(no_alloc(bp.try_alloc), -1, "bp.try_alloc")
        eq(no_alloc(st.try_alloc, 4, 1), 0, "st.try_alloc")  # 2 arguments
        assert fake.calls == 4 and seen[0] == 0  # scheduled once per hook, not run
        fake.flush()
        assert seen[0] == 7, seen[0]

    with_schedule(fake, run)


def test_hooked_failing_try_alloc_no_heap_use():
    s = Slab(64, 2)
    s.alloc(64)
    hk = observe.on_failure(s, None)
    fake = FakeSchedule()

    def run():
        eq(no_heap_use(s.try_alloc, 1), 0, "s.try_alloc")  # schedules
        eq(no_heap_use(s.try_alloc, 1), 0, "s.try_alloc")  # pending: counts only
        assert hk.count == 2 and fake.calls == 1

    with_schedule(fake, run)


def test_hooked_two_argument_failures_no_heap_use():
    # write_from(buf, n) and Stack.try_alloc(n, align): the wrapper's cells plus two
    # arguments must stay within a closure call's 5 words (else a heap array per call).
    r = ByteRing(2)
    r.write(b"ab")
    st = Stack(16)
    st.alloc(16)
    hr = observe.on_failure(r, None)
    hs = observe.on_failure(st, None)
    fake = FakeSchedule()

    def run():
        eq(no_heap_use(r.write_from, b"xy", 2), 0, "r.write_from")  # schedules
        eq(no_heap_use(r.write_from, b"xy", 1), 0, "r.write_from")  # pending: counts
        eq(no_heap_use(st.try_alloc, 4, 1), 0, "st.try_alloc")
        eq(no_heap_use(st.try_alloc, 4, 1), 0, "st.try_alloc")
        assert hr.count == 2 and hs.count == 2 and fake.calls == 2

    with_schedule(fake, run)


def _irq(arg):
    # Runs from micropython.schedule, i.e. with the scheduler locked, as a soft or hard
    # IRQ handler does: a hook scheduled here can only run after this returns.
    import micropython

    s, seen = arg
    micropython.heap_lock()
    try:
        seen[3] = s.try_alloc(1) + s.try_alloc(1) + s.try_alloc(1)
        seen[2] = seen[0]  # hook runs so far, inside the "IRQ"
    except MemoryError:
        seen[4] = 1
    finally:
        micropython.heap_unlock()
    seen[5] = 1


def test_hook_real_schedule_runs_after_irq_once_per_burst():
    if not IS_MICROPYTHON:
        skip("micropython.schedule needs MicroPython")
    import micropython

    if not hasattr(micropython, "schedule") or not hasattr(micropython, "heap_lock"):
        skip("needs micropython.schedule and heap_lock")
    s = Slab(64, 2)
    s.alloc(64)
    seen = array("i", [0, 0, -1, -1, 0, 0])  # runs, failures, runs inside, sum, MemoryError

    def hook(o, n):
        seen[0] += 1
        seen[1] += n

    observe.on_failure(s, hook)
    arg = (s, seen)
    micropython.schedule(_irq, arg)
    for _ in range(1000):
        if seen[5] and seen[0]:
            break
    assert seen[5] == 1 and seen[4] == 0, list(seen)  # ran, no MemoryError
    assert seen[3] == 0 and seen[2] == 0, list(seen)  # all failed; hook not run inside
    assert seen[0] == 1 and seen[1] == 3, list(seen)  # once, for the burst of 3


# ---- registry and report ------------------------------------------------------------


def test_register_report_unregister():
    global_slab._reset()
    for _, o in observe.registered():  # a clean registry (other tests may register)
        observe.unregister(o)
    s = Slab(64, 2)
    r = ByteRing(8)
    r.write(b"abc")
    assert observe.register(s, "frames") is s
    observe.register(r)
    observe.register(s, "frames2")  # renames, no duplicate
    assert [n for n, _ in observe.registered()] == ["frames2", "ByteRing"]
    out = io.StringIO()
    observe.report(out)
    lines = out.getvalue().split("\n")
    assert lines[0] == "mpalloc: 2 allocators", lines
    assert lines[1].startswith("frames2") and "capacity 2 in_use 0" in lines[1], lines
    assert "ByteRing" in lines[2] and "in_use 3" in lines[2] and "peak -" in lines[2]
    assert "dropped 0" in lines[2], lines
    global_slab.configure(*global_slab.SLAB_512_16)
    out = io.StringIO()
    observe.report(out, True)
    text = out.getvalue()
    assert "mpalloc: 3 allocators" in text and "global_slab" in text
    assert "map (1 char = 1 block)" in text  # dump=True
    assert observe.unregister(s) and observe.unregister(r) and not observe.unregister(r)
    assert observe.registered() == []
    raises(TypeError, observe.register, object())
    global_slab._reset()


def test_bytedeque_dropped_counts_refused_bytes():
    d = ByteDeque(Slab(64, 2))  # 2 chunks of 32 bytes
    assert d.write(b"x" * 40) == 40
    assert d.write(b"y" * 30) == 24  # 6 refused
    assert d.push_back(1) is False  # 1 refused
    assert d.write_from(b"zzzz", 3) == 0  # 3 refused
    assert d.stats()["dropped"] == 10
    d.clear()
    assert d.stats()["dropped"] == 10 and d.push_back(1)  # kept by clear()
    assert "dropped 10" in dumped(d)
    global_slab._reset()
    g = GlobalDeque()
    assert g.push_back(1) is False and g.write(b"ab") == 0  # before configure
    global_slab.configure(*global_slab.SLAB_512_16)
    assert g.stats()["dropped"] == 3  # carried over when configure binds it
    global_slab._reset()


def _refuse(d):
    return d.push_back(1) or d.write(b"ab")


def test_bytedeque_dropped_counting_allocates_nothing():
    d = ByteDeque(Slab(32, 1))
    d.write(b"x" * 32)
    eq(no_alloc(_refuse, d), 0, "_refuse")
    eq(no_heap_use(_refuse, d), 0, "_refuse")
    assert d.stats()["dropped"] == 6


class Pieces:
    """A stream that records the length of each write."""

    def __init__(self):
        self.sizes = []

    def write(self, s):
        self.sizes.append(len(s))
        return len(s)


def test_dump_writes_piece_by_piece():
    # Sizes as in test_dump_bounded_for_big_allocators: full on unix, what fits on a board;
    # one allocator alive at a time.
    slots = heap_fit(10000, 12)
    s = Slab(slots * 4, slots)
    for _ in range(slots * 3 // 10):
        s.alloc(1)
    big = heap_fit(100000, 3)
    for k in range(5):
        if k == 0:
            obj, s = s, None
        else:
            obj = _big_allocator(k, big)
        out = Pieces()
        obj.dump(out)
        assert len(out.sizes) >= 4 and max(out.sizes) <= 160, (type(obj).__name__,
                                                                out.sizes)
        obj = out = None


def test_hook_counts_short_write_from_only():
    # write_from(buf, n) with n past len(buf) writes all of buf (as write(buf[:n])): not a
    # failure for the hook, as for stats()["failures"]; short of len(buf) it is one.
    fake = FakeSchedule()

    def run():
        for q in (ByteRing(4), ByteDeque(Slab(128, 4))):
            hk = observe.on_failure(q, None)
            eq(q.write_from(b"ab", 10), 2, "write_from(b'ab', 10)")
            eq(hk.count, 0, "failures after a whole write_from")
            q.write(bytes(200))  # short: fills the queue
            eq(q.write_from(b"ab", 10), 0, "write_from on a full queue")
            eq(hk.count, 2, "failures after the short write and write_from")

    with_schedule(fake, run)


def test_ring_failures_every_capacity_and_no_alloc():
    for cap in (1, 2, 3, 4, 5, 7, 8, 255):
        r = ByteRing(cap)
        r.write(bytes(cap))
        assert r.put(1) is False and r.write(b"ab") == 0 and r.write_from(b"abc", 2) == 0
        st = r.stats()
        assert st["failures"] == 3 and st["dropped"] == 5, (cap, st)
        r.read()
        assert r.write(bytes(cap)) == cap and r.stats()["failures"] == 3
    r = ByteRing(3)
    r.write(b"abc")
    if IS_MICROPYTHON:
        eq(no_alloc(r.put, 1), False, "r.put")
        eq(no_heap_use(r.write_from, b"xy", 2), 0, "r.write_from")
        assert r.stats()["failures"] == 2


def _big_allocator(k, big):
    # One at a time: a board's heap holds one of these, not all four.
    if k == 1:
        return BlockPool(4, heap_fit(5000, 8))
    if k == 2:
        return ByteRing(big)
    if k == 3:
        return Arena(big)
    return Stack(big)


def _slab_cycle(s):
    h = s.try_alloc(1)
    s.try_alloc(1)
    s.try_alloc(1)  # refused: both blocks live
    s.try_free(h)


def _pool_cycle(p):
    i = p.try_alloc()
    p.try_alloc()  # refused: the one block is taken
    p.try_free(i)


def test_counters_at_their_maximum_wrap_without_allocating():
    # x + 1 at 2**30 - 1 would form 2**30, a heap int on 32-bit boards (MemoryError in an
    # IRQ): each counter wraps to 0 without ever forming it.
    if not IS_MICROPYTHON:
        skip("heap_lock checks need MicroPython")
    s = Slab(64, 2)
    s._m[3] = s._m[4] = s._m[5] = 0x3FFFFFFF  # allocs, frees, failures
    no_alloc(_slab_cycle, s)
    st = s.stats()
    assert (st["allocs"], st["frees"], st["failures"]) == (1, 0, 0), st
    p = BlockPool(8, 1)
    p._m[5] = p._m[6] = p._m[7] = 0x3FFFFFFF  # allocs, frees, failures
    no_alloc(_pool_cycle, p)
    st = p.stats()
    assert (st["allocs"], st["frees"], st["failures"]) == (0, 0, 0), st
