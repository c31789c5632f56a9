import sys

from mpalloc import _slab_py, slab
from mpalloc.errors import AllocError, StaleHandleError
from mpalloc.slab import Slab
from support import (
    HAS_HEAP_LOCK,
    NO_PREEMPTION,
    RUNTIME,
    FakeIrq,
    Rng,
    as_port,
    eq,
    expected_kernel,
    has_numbers,
    heap_fit,
    kernels,
    need_threads,
    no_alloc,
    no_heap_use,
    raises,
    run_threads,
    skip,
    viper_kernel,
)

_slab_viper = viper_kernel("_slab_viper")

# Slab internals the tests look at (the module's const() names are compile-time only).
H = 10  # header words before the slot words in slab._m
HINT, FREE, SLOTS = 0, 1, 9
LEN = 0x3FFFF
LIMIT = 1 << 30
FORGED = (LIMIT, 1 << 40, -(1 << 40))  # out-of-range handles (big ints on 32-bit)


def classes():
    """The public Slab plus one subclass per importable kernel."""
    return [Slab] + [slab._with_kernel(k) for k in kernels("slab")]


def slot_of(h):
    return (h & LEN) - 1


def blocks(s, n):
    return (n + s.block_size - 1) // s.block_size


def audit(s):
    """Walk the metadata head to head; check the header against it. Returns {slot: len}."""
    m = s._m
    n = s.slots
    heads = {}
    i = 0
    free = 0
    boundaries = set()
    while i < n:
        boundaries.add(i)
        ln = m[H + i] & LEN
        assert m[H + i] < LIMIT
        if ln == 0:
            free += 1
            i += 1
        else:
            heads[i] = ln
            k = blocks(s, ln)
            assert i + k <= n, ("run past the end", i, ln)
            for j in range(i + 1, i + k):
                assert m[H + j] & LEN == 0, ("interior block marked", j)
            i += k
    assert i == n
    assert m[FREE] == free, (m[FREE], free)
    st = s.stats()
    assert st["live"] == len(heads), (st, heads)
    assert st["in_use"] == n - free
    assert st["free"] == free
    assert st["peak"] >= st["in_use"]
    assert st["allocs"] - st["frees"] == st["live"]
    assert m[HINT] in boundaries, ("hint inside a run", m[HINT])
    return heads


def contents(s):
    return bytes(s._data)


def pattern(seed, n):
    return bytes((seed * 31 + i * 7) & 0xFF for i in range(n))


def test_kernel_expected():
    assert slab.KERNEL == expected_kernel(), (slab.KERNEL, RUNTIME)
    assert Slab.KERNEL == slab.KERNEL
    assert (_slab_viper is not None) == (expected_kernel() == "viper")
    assert slab._with_kernel(_slab_py).KERNEL == "py"
    assert slab._with_kernel(_slab_py)(64, 4).KERNEL == "py"


def test_basics():
    for cls in classes():
        s = cls(1024, 32)
        assert s.block_size == 32 and s.slots == 32
        h = s.alloc(10)
        assert 0 < h < LIMIT
        assert s.valid(h) and s.size(h) == 10
        assert s.write(h, b"0123456789") == 10
        v = s.get(h)
        assert len(v) == 10 and bytes(v) == b"0123456789"
        buf = bytearray(16)
        assert s.readinto(h, buf) == 10
        assert bytes(buf[:10]) == b"0123456789" and bytes(buf[10:]) == bytes(6)
        small = bytearray(4)
        assert s.readinto(h, small) == 4 and small == bytearray(b"0123")
        # write: stream semantics, copies min(len(buf), size) from the start
        assert s.write(h, b"abc") == 3
        assert bytes(s.get(h)) == b"abc3456789"
        assert s.write(h, b"ABCDEFGHIJKLMNOP") == 10
        assert bytes(s.get(h)) == b"ABCDEFGHIJ"
        assert s.write(h, memoryview(b"xy")) == 2
        assert s.write(h, bytearray(b"z")) == 1
        assert bytes(s.get(h)) == b"zyCDEFGHIJ"
        mv = memoryview(bytearray(3))
        assert s.readinto(h, mv) == 3 and bytes(mv) == b"zyC"
        s.free(h)
        assert not s.valid(h)
        assert s.size(h) == -1
        assert s.get(h) is None
        assert s.write(h, b"x") == -1
        assert s.readinto(h, buf) == -1
        assert not s.try_free(h)
        audit(s)


def test_block_size_is_size_div_slots():
    for size, slots in ((1000, 7), (100, 100), (17, 4), (1, 1), (4096, 4096)):
        s = Slab(size, slots)
        assert s.block_size == size // slots and s.slots == slots
        assert len(s._data) == slots * (size // slots)
    s = Slab(1000, 7)  # 142-byte blocks: 143 bytes need 2, 284 need 2, 285 need 3
    for n, k in ((1, 1), (142, 1), (143, 2), (284, 2), (285, 3), (994, 7)):
        h = s.alloc(n)
        assert s.stats()["in_use"] == k, (n, k, s.stats())
        s.free(h)


def test_multi_block_runs_contiguous():
    for cls in classes():
        s = cls(640, 20)  # 32-byte blocks
        a = s.alloc(32)
        b = s.alloc(100)  # 4 blocks
        c = s.alloc(5)
        s.write(a, b"\xaa" * 32)
        s.write(c, b"\xcc" * 5)
        data = pattern(3, 100)
        assert s.write(b, data) == 100
        assert bytes(s.get(b)) == data
        assert bytes(s.get(a)) == b"\xaa" * 32
        assert bytes(s.get(c)) == b"\xcc" * 5
        raw = s._data
        ob = slot_of(b) * 32
        assert bytes(raw[ob:ob + 100]) == data  # one contiguous stretch of the buffer
        assert slot_of(c) == slot_of(b) + 4
        out = bytearray(100)
        assert s.readinto(b, out) == 100 and bytes(out) == data
        # freeing the run returns all 4 blocks; a 128-byte run fits there again
        s.free(b)
        assert s.stats()["in_use"] == 2
        d = s.alloc(128)
        assert slot_of(d) == slot_of(b)
        assert bytes(s.get(a)) == b"\xaa" * 32 and bytes(s.get(c)) == b"\xcc" * 5
        whole = cls(640, 20)
        w = whole.alloc(640)
        assert whole.write(w, pattern(9, 640)) == 640
        assert bytes(whole.get(w)) == pattern(9, 640)
        assert whole.try_alloc(1) == 0
        audit(s)
        audit(whole)


def test_run_found_across_the_hint_and_wrap():
    for cls in classes():
        s = cls(8 * 16, 8)  # 16-byte blocks
        hs = [s.alloc(16) for _ in range(8)]
        # free slots 2,3,4: the hint lands on 3 after the last free (mid-stretch)
        s.free(hs[2])
        s.free(hs[4])
        s.free(hs[3])
        assert s._m[HINT] == 3
        h = s.alloc(48)  # needs 2..4: the stretch starts before the hint
        assert slot_of(h) == 2, slot_of(h)
        audit(s)
        # wrap: free slot 0 and 7; hint at 7; a 1-block request takes 7, next takes 0
        s.free(hs[0])
        s.free(hs[7])
        assert slot_of(s.alloc(1)) == 7
        assert slot_of(s.alloc(1)) == 0
        assert s.try_alloc(1) == 0
        audit(s)


def test_many_slots():
    # 4096 slots where the heap holds them easily (each needs ~40 bytes here: data,
    # metadata, handle list, audit); a board's 140 KiB heap gets what fits.
    for slots in (256, 1000, heap_fit(4096, 40)):
        for cls in classes():
            s = cls(slots * 4, slots)
            assert s.slots == slots and s.block_size == 4
            hs = [0] * slots  # one allocation: appending fragments a board's heap
            for i in range(slots):
                h = s.alloc(1 + (i & 3))
                assert 0 < h < LIMIT
                hs[i] = h
            seen = bytearray(slots)  # every slot once, so every handle distinct
            for h in hs:
                k = slot_of(h)
                assert 0 <= k < slots and not seen[k], (slots, h)
                seen[k] = 1
            assert s.try_alloc(1) == 0
            for i in range(0, slots, 3):
                s.write(hs[i], bytes([i & 0xFF]))
            for i in range(0, slots, 3):
                assert bytes(s.get(hs[i]))[0] == i & 0xFF
            for h in hs:
                s.free(h)
            hs = None
            st = s.stats()
            assert st["live"] == 0 and st["in_use"] == 0 and st["peak"] == slots
            big = s.alloc(slots * 4)  # the whole slab as one run
            assert s.size(big) == slots * 4
            s.free(big)
            audit(s)


def test_slot_limit():
    # 262,143 slots (the 18-bit slot field) where the heap holds them (unix: ~3.4 MB);
    # a board's 140 KiB heap holds fewer: the same slabs at the slot count that fits, so
    # the largest tag with the last slot is still the largest handle it can make.
    slots = heap_fit(262143, 14)  # s: 5 bytes a slot, s2: 8 (data and metadata words)
    s = Slab(slots, slots)
    assert s.slots == slots and s.block_size == 1
    s2 = Slab(slots * 4, slots, _salt=0xFFF)
    # the last slot with the largest tag gives the largest handle: 2**30 - 1 at full size
    h = 0
    for _ in range(slots):
        h = s2.try_alloc(1)
    assert h == (0xFFF << 18) | slots
    assert slots < 262143 or h == LIMIT - 1
    assert s2.valid(h) and s2.size(h) == 1
    assert s2.try_alloc(1) == 0
    e = raises(ValueError, Slab, 1 << 20, 262144)
    has_numbers(e, 262144, 262143)


def test_generations_across_4096_reuses():
    for cls in classes():
        s = cls(64, 4)
        first = s.alloc(3)
        # same slot each time, so a handle is new iff its 12-bit tag is: a 4 KB bitmap
        # instead of a dict of 4096 handles (38 KB, too much for a fragmented board heap)
        seen = bytearray(4096)
        seen[first >> 18] = 1
        old = first
        s.free(first)
        for i in range(1, 4096):
            h = s.alloc(3)
            assert slot_of(h) == slot_of(first)
            assert 0 < h < LIMIT
            assert not seen[h >> 18], (i, h)
            seen[h >> 18] = 1
            assert not s.valid(old) and s.size(old) == -1 and not s.try_free(old)
            s.free(h)
            assert not s.valid(h)
            raises(StaleHandleError, s.free, h)
            old = h
        # the 4097th use of the slot wraps the 12-bit generation: the first value repeats
        again = s.alloc(3)
        assert again == first
        assert s.stats()["allocs"] == 4097 and s.stats()["frees"] == 4096
        audit(s)


def test_handles_in_range_for_all_salts():
    for salt in (0, 1, 0x7FF, 0xFFE, 0xFFF):
        for cls in classes():
            s = cls(64, 8, _salt=salt)
            for _ in range(5000):
                h = s.try_alloc(9)
                assert 0 < h < LIMIT, (salt, h)
                assert s.try_free(h)


def test_salts_differ_between_slabs():
    a = Slab(64, 8)
    b = Slab(64, 8)
    ha = a.alloc(1)
    hb = b.alloc(1)
    assert slot_of(ha) == slot_of(hb) == 0
    assert ha != hb
    assert not b.valid(ha) and not a.valid(hb)


def run_model(cls, seed, steps, size, slots):
    rng = Rng(seed)
    s = cls(size, slots, _salt=seed)
    bs = s.block_size
    model = {}  # handle -> expected bytes
    stale = []
    for step in range(steps):
        op = rng.below(10)
        if op < 4 or not model:
            # alloc: mostly one block, sometimes runs, sometimes too big
            r = rng.below(10)
            n = 1 + rng.below(bs) if r < 7 else 1 + rng.below(bs * 5)
            need = blocks(s, n)
            before = s.stats()
            if op == 0:
                try:
                    h = s.alloc(n)
                except AllocError as e:
                    h = 0
                    has_numbers(e, n, need)
            else:
                h = s.try_alloc(n)
            if h == 0:
                assert before["largest_free_run"] < need, (step, n, before)
                assert s.stats()["failures"] == before["failures"] + 1
            else:
                assert 0 < h < LIMIT and h not in model and s.size(h) == n
                data = pattern(step, n)
                assert s.write(h, data) == n
                model[h] = data
        elif op < 7:
            keys = list(model)
            h = keys[rng.below(len(keys))]
            if op == 4:
                s.free(h)
            else:
                assert s.try_free(h)
            del model[h]
            stale.append(h)
            if len(stale) > 40:
                stale.pop(0)
        elif op == 7:
            keys = list(model)
            h = keys[rng.below(len(keys))]
            n = len(model[h])
            m = rng.below(n + 4)
            data = pattern(step + 1000, m)
            assert s.write(h, data) == min(m, n)
            cut = min(m, n)
            model[h] = data[:cut] + model[h][cut:]
        elif op == 8:
            keys = list(model)
            h = keys[rng.below(len(keys))]
            buf = bytearray(rng.below(len(model[h]) + 3))
            got = s.readinto(h, buf)
            assert got == min(len(buf), len(model[h]))
            assert bytes(buf[:got]) == model[h][:got]
        else:
            for h in stale[-5:]:
                assert not s.valid(h) and s.size(h) == -1 and s.get(h) is None
                assert not s.try_free(h)
                raises(StaleHandleError, s.free, h)
        # every live allocation intact after every step
        for h in model:
            assert bytes(s.get(h)) == model[h], (step, h)
        if step % 50 == 0:
            heads = audit(s)
            assert sorted(heads) == sorted(slot_of(h) for h in model)
    heads = audit(s)
    assert len(heads) == len(model)
    return s


def test_model_random():
    steps = 1500 if RUNTIME == "unix-pure" else 3000
    run_model(Slab, 7, steps, 32 * 16, 32)
    run_model(Slab, 12345, steps // 2, 1000, 33)  # 30-byte blocks, 10 bytes left over


def test_model_random_each_kernel():
    for cls in classes()[1:]:
        run_model(cls, 99, 800, 24 * 8, 24)


def check_no_alloc(s):
    h = no_alloc(s.try_alloc, 7)
    assert h and s.size(h) == 7
    run = no_alloc(s.try_alloc, s.block_size * 3)  # a multi-block run (slow path)
    assert run and s.size(run) == s.block_size * 3
    eq(no_alloc(s.valid, h), True, "no_alloc(s.valid, h)")
    eq(no_alloc(s.size, h), 7, "no_alloc(s.size, h)")
    src = b"abcdefgh"
    assert no_alloc(s.write, h, src) == 7  # longer than the allocation: copy kernel
    eq(no_alloc(s.write, h, b"xy"), 2, "no_alloc(s.write, h, b'xy')")  # fits: slice assignment
    eq(no_alloc(s.write, run, bytearray(5)), 5, "no_alloc(s.write, run, bytearray(5))")
    buf = bytearray(10)
    assert no_alloc(s.readinto, h, buf) == 7 and bytes(buf[:7]) == b"xycdefg"
    mv = memoryview(bytearray(4))
    eq(no_alloc(s.readinto, h, mv), 4, "no_alloc(s.readinto, h, mv)")
    eq(no_alloc(s.try_free, h), True, "no_alloc(s.try_free, h)")
    eq(no_alloc(s.try_free, h), False, "no_alloc(s.try_free, h)")
    eq(no_alloc(s.valid, h), False, "no_alloc(s.valid, h)")
    eq(no_alloc(s.size, h), -1, "no_alloc(s.size, h)")
    eq(no_alloc(s.write, h, src), -1, "no_alloc(s.write, h, src)")
    eq(no_alloc(s.readinto, h, buf), -1, "no_alloc(s.readinto, h, buf)")
    eq(no_alloc(s.try_free, 0), False, "no_alloc(s.try_free, 0)")
    eq(no_alloc(s.try_free, -7), False, "no_alloc(s.try_free, -7)")
    for forged in FORGED:  # heap ints on 32-bit boards: rejected without arithmetic
        eq(no_alloc(s.try_free, forged), False, "no_alloc(s.try_free, forged)")
        eq(no_alloc(s.valid, forged), False, "no_alloc(s.valid, forged)")
        eq(no_alloc(s.size, forged), -1, "no_alloc(s.size, forged)")
    eq(no_alloc(s.try_alloc, 0), 0, "no_alloc(s.try_alloc, 0)")
    eq(no_alloc(s.try_alloc, 1 << 25), 0, "no_alloc(s.try_alloc, 1 << 25)")
    eq(no_alloc(s.try_free, run), True, "no_alloc(s.try_free, run)")
    full = []
    while True:
        x = no_alloc(s.try_alloc, 1)
        if not x:
            break
        full.append(x)
    eq(no_alloc(s.try_alloc, 1), 0, "no_alloc(s.try_alloc, 1)")
    for x in full:
        assert no_alloc(s.try_free, x)


def test_no_alloc_methods():
    if RUNTIME == "cpython":
        skip("no heap_lock on CPython")
    for cls in classes():
        check_no_alloc(cls(512, 16))
        check_no_alloc(cls(512, 16, irq_safe=True))


def _port_guard():
    # What mpalloc._util.critical() must pick on this runtime, from what it has.
    try:
        import machine

        if hasattr(machine, "disable_irq"):
            return "irq"
    except ImportError:
        pass
    try:
        import _thread  # noqa: F401
    except ImportError:
        return "none"
    return "lock"


def guard_of(s):
    if hasattr(s, "_disable"):
        return "irq"
    return "lock" if hasattr(s, "_acquire") else "none"


def test_irq_safe_guard_matches_the_port():
    # Boards (machine.disable_irq) disable interrupts, unix ports and CPython take a
    # _thread lock, and where neither exists nothing can preempt: no guard at all.
    for cls in classes():
        s = cls(256, 8, irq_safe=True)
        assert guard_of(s) == _port_guard(), (guard_of(s), RUNTIME)
        assert s.irq_safe
        u = cls(256, 8)
        assert guard_of(u) == "none" and not u.irq_safe


def _irq_cycle(s):
    # One IRQ-style alloc + free on slab s; returns the freed handle's size: -1.
    h = s.try_alloc(3)
    s.try_free(h)
    return s.size(h)


def test_irq_safe_uses_disable_irq_where_present():
    # A fake machine.disable_irq (as on every board) is picked over a _thread lock, and
    # every guarded call pairs disable with enable, also when the call fails.
    for cls in classes():
        fake = FakeIrq()
        s = as_port({"machine": fake}, cls, 256, 8, irq_safe=True)
        assert guard_of(s) == "irq"
        h = s.try_alloc(3)
        assert s.try_free(h)
        h = s.alloc(3)
        s.free(h)
        raises(StaleHandleError, s.free, h)
        assert s.try_free(h) is False and s.try_alloc(0) == 0
        assert fake.calls == [7, 7] and fake.depth == 0, fake.calls
        # not a small int: refused (or TypeError) without touching the interrupts
        assert s.try_free(LIMIT) is False and s.try_free(-LIMIT) is False
        raises(TypeError, s.try_alloc, "3")
        raises(TypeError, s.try_free, 1.5)
        assert fake.calls == [7, 7] and fake.depth == 0, fake.calls


def test_irq_safe_disable_irq_path_allocates_nothing():
    # The board path (disable_irq/enable_irq around the kernel) on every lane: no
    # allocation under heap_lock, and no heap frame either (a try/finally frame took
    # 68 bytes per call on 32-bit boards).
    if RUNTIME == "cpython":
        skip("no heap_lock or mem_total on CPython")
    for cls in classes():
        fake = FakeIrq()
        s = as_port({"machine": fake}, cls, 1024, 32, irq_safe=True)
        for n in (10, 100):  # one block, then a run found by the scan
            if HAS_HEAP_LOCK:
                h = no_alloc(s.try_alloc, n)
                assert h and no_alloc(s.try_free, h) is True
            else:
                assert s.try_free(s.try_alloc(n))  # the same number of guard calls
            h = no_heap_use(s.try_alloc, n)
            assert h and no_heap_use(s.try_free, h) is True
            eq(no_heap_use(s.try_free, h), False, "no_heap_use(s.try_free, h)")
        eq(no_heap_use(_irq_cycle, s), -1, "no_heap_use(_irq_cycle, s)")
        assert fake.depth == 0 and fake.calls[0] == fake.calls[1] == 12, fake.calls


class _FakeLock:
    def __init__(self):
        self.held = 0
        self.taken = 0

    def acquire(self):
        assert not self.held
        self.held = 1
        self.taken += 1
        return True

    def release(self):
        assert self.held
        self.held = 0


class _FakeThread:
    def __init__(self):
        self.locks = []

    def allocate_lock(self):
        lk = _FakeLock()
        self.locks.append(lk)
        return lk


def test_irq_safe_lock_path_allocates_nothing():
    # Where threads stand in for IRQs (no disable_irq, a _thread module): a lock.
    ports = [{"machine": None, "_thread": _FakeThread()}]
    for cls in classes():
        for mods in ports:
            s = as_port(mods, cls, 512, 16, irq_safe=True)
            assert guard_of(s) == "lock"
            lk = mods["_thread"].locks[-1]
            h = s.try_alloc(20)
            assert h and s.try_free(h) and not s.try_free(h)
            assert lk.taken == 3 and not lk.held
            raises(TypeError, s.try_free, "x")
            assert not lk.held
            if RUNTIME != "cpython":
                h = no_alloc(s.try_alloc, 20) if HAS_HEAP_LOCK else s.try_alloc(20)
                assert no_alloc(s.try_free, h) if HAS_HEAP_LOCK else s.try_free(h)
                h = no_heap_use(s.try_alloc, 20)
                assert no_heap_use(s.try_free, h)
                assert lk.taken == 7 and not lk.held


def test_irq_safe_without_preemption():
    # Stock qemu, WebAssembly, CircuitPython boards: no machine.disable_irq and no
    # _thread. irq_safe=True must still work (nothing can preempt, so no guard).
    for cls in classes():
        s = as_port(NO_PREEMPTION, cls, 512, 16, irq_safe=True)
        assert s.irq_safe and guard_of(s) == "none"
        h = s.alloc(40)
        assert s.size(h) == 40 and s.try_free(h) and not s.valid(h)
        raises(StaleHandleError, s.free, h)
        if HAS_HEAP_LOCK:
            h = no_alloc(s.try_alloc, 20)
            assert no_alloc(s.try_free, h)
        if RUNTIME != "cpython":
            h = no_heap_use(s.try_alloc, 20)
            assert no_heap_use(s.try_free, h)


class _CircuitPythonTime:
    # time on a CircuitPython board: monotonic, monotonic_ns (a big int), sleep; no
    # ticks_* and no perf_counter_ns.
    def monotonic(self):
        return 1234.5

    def monotonic_ns(self):
        return 1234500000123

    def sleep(self, s):
        pass


def _fresh_slab_module():
    # Import mpalloc.slab anew (as a board does at start-up), then put the suite's
    # module back; returns the fresh one.
    import mpalloc

    old = sys.modules.pop("mpalloc.slab")
    try:
        return __import__("mpalloc.slab", None, None, ("Slab",))
    finally:
        sys.modules["mpalloc.slab"] = old
        mpalloc.slab = old


def test_clock_on_every_port():
    # CircuitPython boards have neither ticks_us nor perf_counter_ns: importing slab and
    # making slabs must work there (it failed at import), and without any clock.
    from mpalloc import _util

    for t, bits in ((_CircuitPythonTime(), 1234500000123 & 0x3FFFFFFF), (None, 0)):
        assert as_port({"time": t}, _util.clock_bits) == bits
        mod = as_port({"time": t}, _fresh_slab_module)
        a, b = as_port({"time": t}, mod.Slab, 64, 4), mod.Slab(64, 4)
        assert a._salt == (bits + 0x9E5) & 0xFFF, (a._salt, bits)
        assert b._salt == (a._salt + 0x9E5) & 0xFFF
        h = b.alloc(5)
        assert b.valid(h) and not a.valid(h) and b.try_free(h)
    assert 0 <= _util.clock_bits() < LIMIT  # this runtime's own clock


def test_bad_constructor_args():
    for args, exc, nums in (
        ((0, 4), ValueError, (0,)),
        ((-5, 4), ValueError, (-5,)),
        ((64, 0), ValueError, (0,)),
        ((64, -1), ValueError, (-1,)),
        ((64, 65), ValueError, (65, 64)),
        ((1 << 30, 4), ValueError, (1 << 30,)),
        ((64.0, 4), TypeError, ()),
        ((64, "4"), TypeError, ()),
        ((64, None), TypeError, ()),
    ):
        e = raises(exc, Slab, args[0], args[1])
        has_numbers(e, *nums)


def snapshot(s):
    return (s.stats(), contents(s), tuple(s._m))


def test_bad_alloc_args_leave_state_unchanged():
    for cls in classes():
        s = cls(256, 8)  # 32-byte blocks
        a = s.alloc(40)
        s.write(a, pattern(1, 40))
        b = s.alloc(3)
        s.write(b, b"abc")
        before = snapshot(s)
        e = raises(ValueError, s.alloc, 0)
        has_numbers(e, 0)
        has_numbers(raises(ValueError, s.alloc, -3), -3)
        has_numbers(raises(ValueError, s.alloc, slab.MAX_ALLOC + 1), slab.MAX_ALLOC + 1,
                    slab.MAX_ALLOC)
        raises(TypeError, s.alloc, 1.5)
        raises(TypeError, s.alloc, "4")
        raises(TypeError, s.alloc, None)
        assert snapshot(s) == before
        # no room: AllocError names requested, blocks needed, free blocks, largest run
        e = raises(AllocError, s.alloc, 257)
        has_numbers(e, 257, 9, 5, 8)
        assert isinstance(e, MemoryError)
        st, data, meta = snapshot(s)
        assert data == before[1]
        assert st["failures"] == before[0]["failures"] + 1
        st["failures"] -= 1
        assert st == before[0]
        c = s.alloc(32 * 4)  # slots 3..6
        s.free(a)  # slots 0,1 free, slot 7 free: largest run 2, 3 free
        e = raises(AllocError, s.alloc, 32 * 3)
        has_numbers(e, 96, 3, 2)
        assert "free" in str(e) and "larger" in str(e)
        assert s.stats()["free"] == 3 and s.stats()["largest_free_run"] == 2
        # still works
        d = s.alloc(64)
        assert slot_of(d) == 0
        assert bytes(s.get(b)) == b"abc"
        s.free(c)
        s.free(d)
        s.free(b)
        audit(s)
        assert s.stats()["in_use"] == 0


def test_bad_free_leaves_state_unchanged():
    for cls in classes():
        s = cls(256, 8, _salt=100)
        other = cls(256, 8, _salt=2000)
        h = s.alloc(10)
        s.write(h, pattern(4, 10))
        g = s.alloc(70)
        f = s.alloc(5)
        s.free(f)  # stale
        foreign = other.alloc(10)
        assert slot_of(foreign) == slot_of(h) and foreign != h
        interior = (g >> 18 << 18) | (slot_of(g) + 2)  # points inside g's run
        before = snapshot(s)
        cases = (
            (f, (f, slot_of(f))),  # double free / stale
            (foreign, (foreign, slot_of(foreign))),  # other slab
            (h ^ (1 << 18), (h ^ (1 << 18), slot_of(h))),  # forged generation
            (interior, (interior, slot_of(interior))),
            ((5 << 18) | 200, (200 - 1, 8)),  # slot out of range
            (0, (0,)),
            (-1, (-1,)),
            (LIMIT, (LIMIT,)),
            (1 << 40, (1 << 40,)),
        )
        for bad, nums in cases:
            e = raises(StaleHandleError, s.free, bad)
            assert isinstance(e, ValueError)
            has_numbers(e, *nums)
            assert not s.try_free(bad)
            assert not s.valid(bad)
            assert s.size(bad) == -1
            assert s.get(bad) is None
            assert s.write(bad, b"zz") == -1
            assert s.readinto(bad, bytearray(4)) == -1
            assert snapshot(s) == before, bad
        raises(TypeError, s.free, "1")
        raises(TypeError, s.free, 1.0)
        raises(TypeError, s.free, None)
        assert snapshot(s) == before
        assert bytes(s.get(h)) == pattern(4, 10)
        s.free(h)
        s.free(g)
        audit(s)


def test_bad_buffers_leave_state_unchanged():
    for cls in classes():
        s = cls(128, 4)
        h = s.alloc(8)
        s.write(h, b"12345678")
        before = snapshot(s)
        for bad in ("text", 5, None, [1, 2, 3]):
            raises(TypeError, s.write, h, bad)
        for bad in (b"bytes", "text", 5, None, [0, 0], memoryview(b"abcd")):
            raises(TypeError, s.readinto, h, bad)
        e = raises(TypeError, s.write, h, "text")
        assert "str" in str(e)
        assert snapshot(s) == before
        ro = b"\x00\x00\x00\x00"
        raises(TypeError, s.readinto, h, ro)
        assert ro == b"\x00\x00\x00\x00"
        assert bytes(s.get(h)) == b"12345678"
        # still works
        assert s.write(h, b"abcd") == 4
        assert bytes(s.get(h)) == b"abcd5678"


def test_stats_counters():
    s = Slab(320, 10)
    assert s.stats() == {"unit": "blocks", "capacity": 10, "allocs": 0, "frees": 0,
                         "failures": 0, "live": 0, "in_use": 0, "peak": 0, "free": 10,
                         "block_size": 32, "largest_free_run": 10}
    a = s.alloc(100)  # 4 blocks
    b = s.alloc(1)
    s.free(a)
    assert s.try_alloc(1000) == 0
    assert s.try_alloc(0) == 0
    st = s.stats()
    assert st["allocs"] == 2 and st["frees"] == 1 and st["failures"] == 2
    assert st["live"] == 1 and st["in_use"] == 1 and st["peak"] == 5
    s.free(b)
    assert s.stats()["peak"] == 5 and s.stats()["in_use"] == 0
    assert "Slab" in repr(s)


def test_block_larger_than_alloc_limit():
    if heap_fit(600000, 1) < 600000:
        skip("needs a 600,000-byte slab (blocks above MAX_ALLOC = 262,143 bytes); "
             "this runtime's heap cannot hold one")
    s = Slab(600000, 2)  # 300,000-byte blocks: one allocation is capped at MAX_ALLOC
    assert s.block_size == 300000
    h = s.alloc(slab.MAX_ALLOC)
    assert s.size(h) == slab.MAX_ALLOC
    assert s.stats()["in_use"] == 1
    e = raises(ValueError, s.alloc, slab.MAX_ALLOC + 1)
    has_numbers(e, slab.MAX_ALLOC + 1, slab.MAX_ALLOC)
    assert s.try_alloc(slab.MAX_ALLOC + 1) == 0
    h2 = s.alloc(5)
    assert slot_of(h2) == 1
    s.free(h)
    s.free(h2)
    audit(s)


def test_twins_agree():
    if _slab_viper is None:
        skip("viper kernel not available on " + RUNTIME)
    V = slab._with_kernel(_slab_viper)
    P = slab._with_kernel(_slab_py)
    for seed, size, slots in ((3, 640, 40), (8, 1000, 7), (21, 4096, 300)):
        sv = V(size, slots, _salt=seed)
        sp = P(size, slots, _salt=seed)
        rng = Rng(seed)
        live = []
        for step in range(2500):
            op = rng.below(6)
            if op < 3 or not live:
                n = rng.below(sv.block_size * 4) - 2
                hv = sv.try_alloc(n)
                hp = sp.try_alloc(n)
                eq(hv, hp, "seed %d step %d: try_alloc(%d), viper vs py" % (seed, step, n))
                if hv:
                    live.append(hv)
                    d = pattern(step, n)
                    assert sv.write(hv, d) == sp.write(hp, d)
            elif op < 5:
                h = live.pop(rng.below(len(live)))
                assert sv.try_free(h) is True and sp.try_free(h) is True
                assert sv.try_free(h) is False and sp.try_free(h) is False
            else:
                h = rng.below(1 << 30) if rng.below(2) else live[rng.below(len(live))]
                eq(sv.valid(h), sp.valid(h), "seed %d step %d: valid(%d)" % (seed, step, h))
                eq(sv.size(h), sp.size(h), "seed %d step %d: size(%d)" % (seed, step, h))
            eq(list(sv._m), list(sp._m), "seed %d step %d op %d: metadata words, viper vs py"
               % (seed, step, op))
            eq(sv.stats(), sp.stats(), "seed %d step %d: stats(), viper vs py" % (seed, step))
        eq(contents(sv), contents(sp), "seed %d: slab data, viper vs py" % seed)


def worker(s, tid, iters, owner, results):
    # Allocation-free loop: on this unix port (threads without a GIL) allocating in both
    # threads at once sporadically corrupted fresh objects even with the slab out of the
    # picture, so patterns and read-back buffers are preallocated.
    try:
        rng = Rng(tid * 7919 + 1)
        bs = s.block_size
        pat = bytearray(bs * 3)
        for j in range(len(pat)):
            pat[j] = tid
        back = bytearray(pat)
        hs = [0] * 6
        ns = [0] * 6
        live = 0
        got = 0
        for i in range(iters):
            if live < 6 and (rng.below(3) or not live):
                n = 1 + rng.below(bs * 2 + bs // 2)
                if i & 1:
                    h = s.try_alloc(n)
                else:
                    try:
                        h = s.alloc(n)
                    except AllocError:
                        h = 0
                if not h:
                    continue
                got += 1
                first = slot_of(h)
                for j in range(first, first + (n + bs - 1) // bs):
                    assert owner[j] == 0, ("block handed out twice", j, owner[j], tid)
                    owner[j] = tid
                assert s.write(h, pat) == n  # copies n bytes of tid
                hs[live] = h
                ns[live] = n
                live += 1
            else:
                k = rng.below(live)
                h = hs[k]
                n = ns[k]
                live -= 1
                hs[k] = hs[live]
                ns[k] = ns[live]
                assert s.readinto(h, back) == n
                assert back == pat, ("corrupted", tid, h)  # only back[:n] was replaced
                first = slot_of(h)
                for j in range(first, first + (n + bs - 1) // bs):
                    assert owner[j] == tid
                    owner[j] = 0
                if i & 2:
                    assert s.try_free(h)
                else:
                    s.free(h)
        for k in range(live):
            h = hs[k]
            first = slot_of(h)
            for j in range(first, first + (ns[k] + bs - 1) // bs):
                owner[j] = 0
            s.free(h)
        results[tid - 1] = got
    except BaseException as e:  # noqa: B036 - report anything to the main thread
        results[tid - 1] = repr(e)


def test_irq_safe_two_threads():
    need_threads()
    iters = 4000 if RUNTIME == "unix-pure" else 8000
    s = Slab(24 * 16, 24, irq_safe=True)
    owner = bytearray(s.slots)
    results = [None, None]
    run_threads(worker, [(s, t, iters, owner, results) for t in (1, 2)])
    for r in results:
        assert isinstance(r, int) and r > 0, results
    st = s.stats()
    assert st["live"] == 0 and st["in_use"] == 0 and st["free"] == 24, st
    assert st["allocs"] == st["frees"] == results[0] + results[1], (st, results)
    assert owner == bytearray(s.slots)
    audit(s)
