import struct
import sys

from mpalloc import arena
from mpalloc.arena import MAX_ALIGN, Arena, Layout
from mpalloc.errors import AllocError, CapacityError
from support import IS_MICROPYTHON, address, eq, has_numbers, no_alloc, raises, rng, skip

try:
    import uctypes
except ImportError:
    uctypes = None


def state(a):
    return (a.used(), a.remaining(), a.capacity, a.blocks(), a.high_water,
            a.stats()["bytes"], bytes(a.buf))


def test_address_source():
    # CircuitPython has neither uctypes nor ctypes: blocks are taken as 16-aligned there.
    if sys.implementation.name == "circuitpython":
        assert arena.ADDRESS is None and address(bytearray(8)) == 0
    else:
        assert arena.ADDRESS == ("uctypes" if IS_MICROPYTHON else "ctypes")


def test_basics():
    a = Arena(256)
    assert a.used() == 0 and a.remaining() == 256 and a.capacity == 256
    v = a.alloc(10)
    assert len(v) == 10 and a.used() == 10 and a.remaining() == 246
    v[0] = 7
    v[9] = 9
    assert a.buf[0] == 7 and a.buf[9] == 9
    p = a.take(20)
    assert p == 10 and a.used() == 30
    a.buf[p] = 5
    w = a.alloc(0)
    assert len(w) == 0 and a.used() == 30
    assert a.alloc(226) is not None and a.remaining() == 0
    assert a.take(1) == -1 and a.take(0) == 256
    a.reset()
    assert a.used() == 0 and a.high_water == 256
    assert a.take(5) == 0


def test_alignment_relative_to_address():
    for align in (1, 2, 4, 8, 16, 64, MAX_ALIGN):
        a = Arena(3 * MAX_ALIGN)
        base = address(a.buf)
        for skew in (0, 1, 3, 7, 13):
            a.reset()
            a.take(skew)
            v = a.alloc(5, align)
            p = a.used() - 5
            assert (base + p) % align == 0, (align, skew, base, p)
            assert p >= skew and p - skew < align
            if uctypes is not None:
                assert uctypes.addressof(v) == base + p
            q = a.take_aligned(3, align)
            assert (base + q) % align == 0 and q >= p + 5 and q - (p + 5) < align


def test_bad_arguments_change_nothing():
    a = Arena(64)
    a.take(3)
    before = state(a)
    for bad in (0, 3, 6, -4, 2 * MAX_ALIGN):
        has_numbers(raises(ValueError, a.alloc, 4, bad), bad)
        assert a.take_aligned(4, bad) == -2  # a bad request, not "full" (-1)
    has_numbers(raises(ValueError, a.alloc, -1), -1)
    assert a.take(-1) == -2 and a.take_aligned(-1, 4) == -2
    raises(TypeError, a.alloc, 2.5)
    raises(TypeError, a.alloc, "x")
    raises(TypeError, a.alloc, 4, 2.0)
    assert state(a) == before
    raises(TypeError, Arena, 10.0)
    raises(ValueError, Arena, 0)
    raises(ValueError, Arena, 64, grow=True, limit=32)
    e = raises(ValueError, Arena, 1024, limit=8192)  # a limit does nothing without grow
    assert has_numbers(e, 1024, 8192) and "grow=True" in str(e), str(e)
    raises(ValueError, Arena, 64, scopes=-1)


def test_full_alloc_changes_nothing():
    a = Arena(100)
    a.alloc(60)
    before = state(a)
    e = raises(AllocError, a.alloc, 41)
    has_numbers(e, 41, 40, 100)
    assert isinstance(e, MemoryError)
    raises(AllocError, a.alloc, 39, 64)
    assert a.take(41) == -1 and a.take_aligned(40, 2048) == -1
    assert state(a) == before
    assert a.stats()["failures"] == 4
    assert len(a.alloc(40)) == 40 and a.remaining() == 0


def test_mark_release():
    a = Arena(128)
    m0 = a.mark()
    a.alloc(10)
    m1 = a.mark()
    a.alloc(20, 8)
    m2 = a.mark()
    a.take(5)
    assert m0 == 0 and m1 == 10 and m2 > 30
    a.release(m2)
    assert a.used() == m2
    a.release(m1)
    assert a.used() == 10
    before = state(a)
    has_numbers(raises(ValueError, a.release, m2), m2, 10)  # already released
    raises(ValueError, a.release, -1)
    raises(ValueError, a.release, 1.0)
    assert state(a) == before
    a.release(a.mark())  # no-op
    a.release(m0)
    assert a.used() == 0 and a.high_water == m2 + 5


def test_scope_nesting_and_exceptions():
    a = Arena(256, scopes=3)
    a.alloc(4)
    with a.scope() as s:
        assert s is a
        a.alloc(10)
        with a.scope():
            a.alloc(20)
            assert a.used() == 34
        assert a.used() == 14
        try:
            with a.scope():
                a.alloc(50)
                raise KeyError("boom")
        except KeyError:
            pass
        assert a.used() == 14
        a.reset()  # released further inside: exit leaves the position alone
        a.alloc(1)
    assert a.used() == 1
    with a.scope(), a.scope(), a.scope():
        before = state(a)
        e = raises(CapacityError, a.__enter__)
        has_numbers(e, 3)
        assert state(a) == before
    assert a.stats()["scopes"] == 0 and a.used() == 1


def test_scope_failure_inside_releases():
    a = Arena(32)
    with a.scope():
        a.alloc(20)
        raises(AllocError, a.alloc, 20)
    assert a.used() == 0


def test_grow_chain_and_limit():
    a = Arena(64, grow=True, limit=200)
    first = a.buf
    a.alloc(50)
    m = a.mark()
    v = a.alloc(30)  # does not fit the rest (14): chains block 1
    assert a.blocks() == 2 and a.buf is not first and len(v) == 30
    assert m == 50 and a.used() == 64 + 30 and a.capacity == 128
    big = a.alloc(70)  # larger than size: its own block
    assert len(big) == 70 and a.blocks() == 3 and a.capacity == 198
    before = state(a)
    e = raises(AllocError, a.alloc, 5)  # 198 held, limit 200: nothing to chain
    has_numbers(e, 5, 200)
    assert a.take(1) == -1
    assert state(a) == before
    a.release(m)
    assert a.buf is first and a.used() == 50 and a.blocks() == 3
    p = a.take(30)  # into kept block 1, no new block
    assert p == 0 and a.blocks() == 3 and a.used() == 94
    a.reset()
    assert a.buf is first and a.used() == 0 and a.blocks() == 3
    a.trim()
    assert a.blocks() == 1 and a.capacity == 64
    raises(AllocError, a.alloc, 201)
    assert a.blocks() == 1


def test_grow_without_limit_and_no_grow():
    a = Arena(16, grow=True)
    for _ in range(20):
        a.alloc(10)
    assert a.blocks() == 20 and a.used() == 19 * 16 + 10
    b = Arena(16)
    b.alloc(10)
    raises(AllocError, b.alloc, 10)
    assert b.blocks() == 1


def test_kept_block_too_small_is_replaced():
    a = Arena(32, grow=True, limit=200)
    a.alloc(20)
    a.alloc(20)  # block 1 (32 bytes)
    a.alloc(20)  # block 2
    a.release(20)  # back into block 0; blocks 1 and 2 kept
    v = a.alloc(100)  # next kept block too small: dropped with 2, new block 1
    assert len(v) == 100 and a.blocks() == 2 and a.capacity == 132
    a.reset()
    assert a.capacity == 132


def test_stats_and_high_water():
    a = Arena(100)
    s = a.stats()
    assert s["allocs"] is None and s["bytes"] == 0 and s["failures"] == 0
    a.alloc(30)
    a.reset()
    a.alloc(20)
    s = a.stats()
    assert s["bytes"] == 50 and s["peak"] == 30 and s["in_use"] == 20
    assert a.high_water == 30
    raises(AttributeError, getattr, a, "nonexistent")


def test_debug_poison_and_counts():
    a = Arena(64, debug=True)
    v = a.alloc(8)
    assert bytes(v) == b"\xcd" * 8
    p = a.take(4)
    assert bytes(a.buf[p:p + 4]) == b"\xcd" * 4
    m = a.mark()
    v2 = a.alloc(10)
    for i in range(10):
        v2[i] = i
    a.release(m)
    assert bytes(a.buf[m:m + 10]) == b"\xdd" * 10  # poison visible after release
    assert bytes(v2) == b"\xdd" * 10  # a stale view shows it too
    with a.scope():
        a.alloc_array("H", 2)[0] = 0x1234
    assert bytes(a.buf[m:m + 4]) == b"\xdd" * 4
    assert a.stats()["allocs"] == 4
    a.reset()
    assert bytes(a.buf[:m]) == b"\xdd" * m
    b = Arena(16, debug=(None, 0))
    b.alloc(16)[:] = b"x" * 16
    b.reset()
    assert bytes(b.buf) == bytes(16)


def test_debug_poison_across_blocks():
    a = Arena(16, grow=True, debug=(1, 2))
    a.alloc(10)
    a.alloc(10)
    a.alloc(10)
    assert a.blocks() == 3
    a.release(5)
    assert bytes(a._c[0][0][5:10]) == b"\x02" * 5
    assert bytes(a._c[0][1][:10]) == b"\x02" * 10
    assert bytes(a._c[0][2][:10]) == b"\x02" * 10


def dumped(a):
    import io

    out = io.StringIO()
    assert a.dump(out) is None
    return out.getvalue()


def test_dump():
    a = Arena(64, grow=True, limit=1000)
    a.alloc(40)
    with a.scope():
        a.alloc(40)
        text = dumped(a)
    assert "2 blocks" in text and "limit 1000" in text
    assert "scope 0 @40" in text and "40 used" in text
    assert "kept" in dumped(a)


def ops(a, sink):
    # Everything IRQ-safe in one function: heap_lock must see no allocation. Results go
    # straight into sink: with more locals this frame (over ~11 words) would come from
    # the heap, which the heap-usage pass of no_alloc would count against the arena.
    m = a.mark()
    sink[0] = a.take(8)
    sink[1] = a.take_aligned(8, 8)
    sink[2] = a.take(1 << 20)  # too big: -1, counted as a failure
    with a.scope():
        a.take(16)
    a.release(m)
    sink[3] = a.used() + a.remaining() + a.mark()
    a.take(4)
    a.reset()
    return a.used()


def test_no_alloc_offset_form():
    a = Arena(256)
    sink = [0] * 4
    assert ops(a, sink) == 0  # warm up (and CPython check)
    assert no_alloc(ops, a, sink) == 0
    assert sink[0] == 0 and sink[2] == -1 and sink[3] == 256


def take_into_kept(a):
    a.reset()
    n = 0
    for _ in range(10):
        if a.take(40) >= 0:
            n += 1
    return n


def test_no_alloc_take_moves_into_kept_blocks():
    a = Arena(64, grow=True)
    for _ in range(5):
        a.alloc(40)
    assert a.blocks() == 5
    assert take_into_kept(a) == 5
    assert no_alloc(take_into_kept, a) == 5
    assert a.blocks() == 5


def with_scope(a):
    with a.scope():
        a.take(10)
        _inner_scope(a)
    return a.used()


def _inner_scope(a):
    # The nested scope in a function of its own: two nested with-blocks in one function
    # take its frame past ~11 words (each holds an exception-stack entry), onto the heap.
    with a.scope():
        a.take(10)


def test_no_alloc_scope():
    a = Arena(64)
    assert no_alloc(with_scope, a) == 0


# ---- model-based random test ---------------------------------------------------------


class Model:
    """List model: blocks as [base, size, addr], the position, live allocations."""

    def __init__(self, size, grow, limit):
        self.size = size
        self.grow = grow
        self.limit = limit
        self.blocks = []
        self.cur = 0
        self.p = 0
        self.live = []  # (block, offset, n, tag)

    def aligned(self, k, p, align):
        addr = self.blocks[k][2]
        return ((addr + p + align - 1) // align) * align - addr

    def pos(self):
        return self.blocks[self.cur][0] + self.p

    def alloc(self, n, align, may_grow, a):
        q = self.aligned(self.cur, self.p, align)
        if q + n <= self.blocks[self.cur][1]:
            self.p = q + n
            return self.cur, q
        k = self.cur + 1
        if k < len(self.blocks):
            q = self.aligned(k, 0, align)
            if q + n <= self.blocks[k][1]:
                self.cur, self.p = k, q + n
                return k, q
        if not (may_grow and self.grow):
            return None
        keep = self.blocks[self.cur][0] + self.blocks[self.cur][1]
        room = (self.limit if self.limit else 1 << 30) - keep
        if n + align - 1 > room:
            return None
        new = min(max(self.size, n + align - 1), room)
        del self.blocks[k:]
        self.blocks.append([keep, new, None])  # the address is known after the call
        self.cur = k
        self.p = None
        return k, None

    def release(self, m):
        k = self.cur
        while self.blocks[k][0] > m:
            k -= 1
        self.cur, self.p = k, m - self.blocks[k][0]
        self.live = [x for x in self.live if self.blocks[x[0]][0] + x[1] + x[2] <= m]


def check(a, model, tagged):
    assert a.used() == model.pos(), (a.used(), model.pos())
    assert a.blocks() == len(model.blocks)
    assert a.capacity == sum(b[1] for b in model.blocks)
    for k, off, n, tag in model.live:
        buf = a._c[0][k]
        for i in range(off, off + n):
            assert buf[i] == tag, ("overwritten", k, off, n, tag)
    if tagged:
        assert a.stats()["failures"] == model.fails


def run_model(seed, size, grow, limit, steps):
    g = rng(seed)
    a = Arena(size, grow=grow, limit=limit)
    model = Model(size, grow, limit)
    model.blocks.append([0, size, address(a.buf)])
    model.fails = 0
    marks = []
    for step in range(steps):
        op = g.randrange(10)
        if op < 6:
            n = g.choice((0, 1, 3, 8, 17, 40, size // 2, size + 5))
            align = g.choice((1, 1, 2, 4, 8, 16))
            form = g.randrange(3)
            nb = len(model.blocks)
            got = model.alloc(n, align, form == 0, a)
            if form == 0:
                try:
                    a.alloc(n, align)
                    ok = True
                except AllocError:
                    ok = False
            elif form == 1:
                ok = a.take_aligned(n, align) >= 0
            else:
                ok = (a.take(n) if align == 1 else a.take_aligned(n, align)) >= 0
            assert ok == (got is not None), (step, n, align, form, ok, got)
            if got is None:
                model.fails += 1
            else:
                k, off = got
                if off is None:  # a new block: read its address, then place the allocation
                    assert len(model.blocks) == nb - (nb - k) + 1
                    model.blocks[k][2] = address(a._c[0][k])
                    off = model.aligned(k, 0, align)
                    model.p = off + n
                tag = 1 + step % 250
                buf = a._c[0][k]
                for i in range(off, off + n):
                    buf[i] = tag
                if n:
                    model.live.append((k, off, n, tag))
        elif op < 8:
            marks.append(a.mark())
        elif op == 8 and marks:
            m = marks.pop(g.randrange(len(marks)))
            if m > model.pos():
                raises(ValueError, a.release, m)
            else:
                a.release(m)
                model.release(m)
                marks = [x for x in marks if x <= m]
        else:
            if g.randrange(4) == 0:
                a.reset()
                model.release(0)
                marks = []
            else:
                with a.scope():
                    m = a.mark()
                    t = a.take(3)
                    got = model.alloc(3, 1, False, a)
                    assert (t >= 0) == (got is not None)
                    if got is None:
                        model.fails += 1
                    model.release(m)
        check(a, model, True)


def test_model_random():
    run_model(1, 128, False, None, 400)
    run_model(2, 64, True, 400, 600)
    run_model(3, 48, True, None, 400)


# ---- typed views ------------------------------------------------------------------------

REC = Layout((("kind", "B"), ("flags", "b"), ("length", "H"), ("crc", "I"),
              ("delta", "h"), ("tag", "4B"), ("big", "Q")))


def test_layout():
    assert REC.size == 1 + 1 + 2 + 4 + 2 + 4 + 8
    assert REC.align == 8
    assert REC.fields["crc"] == (4, "<I", 0) and REC.fields["tag"][2] == 4
    raises(ValueError, Layout, (("x", "z"),))


def test_struct_round_trip():
    a = Arena(128)
    a.take(3)
    r = a.alloc_struct(REC)
    off = a.used() - REC.size
    assert (address(a.buf) + off) % 8 == 0
    r.kind = 200
    r.flags = -3
    r.length = 0xBEEF
    r.crc = 0x12345678
    r.delta = -1000
    r.big = 0x0102030405060708
    tag = r.tag
    tag[0] = 9
    tag[3] = 250
    assert (r.kind, r.flags, r.length, r.crc, r.delta) == (200, -3, 0xBEEF, 0x12345678, -1000)
    assert r.big == 0x0102030405060708 and tag[0] == 9 and tag[3] == 250
    got = struct.unpack_from("<BbHIh4BQ", a.buf, off)
    assert got == (200, -3, 0xBEEF, 0x12345678, -1000, 9, 0, 0, 250, 0x0102030405060708)


def test_array_round_trip():
    a = Arena(256)
    for code, size, vals in (("b", 1, (-128, 127, 5)), ("B", 1, (0, 255, 7)),
                             ("h", 2, (-32768, 32767, -2)), ("H", 2, (0, 65535, 300)),
                             ("i", 4, (-(1 << 31), (1 << 31) - 1, -7)),
                             ("I", 4, (0, (1 << 32) - 1, 1 << 29)),
                             ("q", 8, (-(1 << 63), (1 << 63) - 1, 3)),
                             ("f", 4, (1.5, -2.25, 0.0)), ("d", 8, (1e300, -0.5, 2.0))):
        a.reset()
        a.take(1)
        arr = a.alloc_array(code, 3)
        off = a.used() - 3 * size
        assert (address(a.buf) + off) % size == 0
        for i in range(3):
            arr[i] = vals[i]
        for i in range(3):
            assert arr[i] == vals[i], (code, i, arr[i])
        assert struct.unpack_from("<3" + code, a.buf, off) == vals
    raises(ValueError, a.alloc_array, "x", 2)
    raises(ValueError, a.alloc_array, "H", -1)
    b = Arena(8)
    raises(AllocError, b.alloc_array, "I", 3)
    assert b.used() == 0


def test_packed_fallbacks():
    # The struct-based accessors used where uctypes and memoryview.cast are missing
    # (they live in the lazily imported typed-view module).
    from mpalloc import _arena_views

    buf = bytearray(32)
    arr = _arena_views._PackedArray(buf, 2, "<h", 2, 4)
    arr[0] = -2
    arr[-1] = 1234
    assert arr[0] == -2 and arr[3] == 1234 and len(arr) == 4
    assert struct.unpack_from("<4h", buf, 2) == (-2, 0, 0, 1234)
    raises(IndexError, arr.__getitem__, 4)
    raises(IndexError, arr.__setitem__, -5, 1)
    rec = _arena_views._PackedStruct(buf, 8, REC)
    rec.length = 999
    rec.crc = 0xCAFEBABE
    rec.tag[2] = 77
    assert rec.length == 999 and rec.crc == 0xCAFEBABE and rec.tag[2] == 77
    assert struct.unpack_from("<HI", buf, 8 + 2) == (999, 0xCAFEBABE)
    raises(AttributeError, getattr, rec, "nope")
    raises(AttributeError, setattr, rec, "tag", 1)


def typed_access(rec, arr, n):
    t = 0
    for i in range(n):
        arr[i] = i * 3
        t += arr[i]
    rec.length = t
    rec.kind = 7
    return rec.length + rec.kind


def test_no_alloc_typed_access():
    if uctypes is None:
        skip("typed element access is allocation-free only through uctypes")
    a = Arena(256)
    rec = a.alloc_struct(REC)
    arr = a.alloc_array("H", 16)
    assert no_alloc(typed_access, rec, arr, 16) == 360 + 7


def _take_kernels():
    """(viper, pure) take kernel modules; skips where only the pure one loads."""
    from mpalloc import _arena_py
    from support import RUNTIME, viper_kernel

    kv = viper_kernel("_arena_viper")
    if kv is None:
        skip("only the pure take kernel loads on " + RUNTIME + ": nothing to compare")
    assert arena._k is kv  # the module picked the viper kernel where it loads
    return kv, _arena_py


def test_take_twins_agree():
    # The same requests through the viper and the pure take closures leave the same
    # hot state words, counters and blocks; a difference names the step, the request
    # and the word.
    kv, kp = _take_kernels()
    a, b = Arena(300, grow=True), Arena(300, grow=True)
    for _ in range(3):  # three kept blocks for take to move into
        a.alloc(200)
        b.alloc(200)
    a.reset()
    b.reset()
    # The kernels see a block's address only as its low bits (_LOWS, _s[_LOW]): give b
    # a's, so aligned offsets must agree too.
    eq(a.blocks(), b.blocks(), "blocks")
    for k in range(a.blocks()):
        b._c[3][k] = a._c[3][k]
    b._s[2] = a._s[2]
    bump_a = kv.bind(a)
    bump_b = kp.bind(b)
    r = rng(17)
    reqs = (0, 1, 7, 64, 99, 150, 299, 300, 301, -1, 1 << 29, 1 << 30, -(1 << 30),
            1 << 64, -(1 << 64) + 8)
    aligns = (1, 2, 4, 8, 64, 4096, 3, 0, -8, 8192, 1 << 64, -(1 << 64) + 8)
    for step in range(900):
        n = reqs[r.randrange(len(reqs))]
        op = r.randrange(11)
        if op == 0:
            m = r.randrange(a.used() + 1)
            a.release(m)
            b.release(m)
            what = "release(%d)" % m
        elif op < 5:
            what = "take(%d)" % n
            eq(a.take(n), b.take(n), "step %d %s: viper vs pure result" % (step, what))
        elif op > 8:
            what = "bump(%d)" % n
            eq(bump_a(n), bump_b(n), "step %d %s: viper vs pure result" % (step, what))
        else:
            al = aligns[r.randrange(len(aligns))]
            what = "take_aligned(%d, %d)" % (n, al)
            eq(a.take_aligned(n, al), b.take_aligned(n, al),
               "step %d %s: viper vs pure result" % (step, what))
        ctx = "step %d %s: viper vs pure" % (step, what)
        eq(list(a._s), list(b._s), ctx + " _s[_POS, _END, _LOW]")
        eq([a._c[w] for w in (5, 8, 9, 10)], [b._c[w] for w in (5, 8, 9, 10)],
           ctx + " _c[_BI, _HW, _REL, _FAILS]")
        eq((a.buf is a._c[0][a._c[5]], b.buf is b._c[0][b._c[5]]), (True, True),
           ctx + ": buf is the current block")


def test_alloc_that_cannot_make_its_view_changes_nothing():
    # alloc makes the memoryview before it takes the bytes: a MemoryError for the view
    # (here: the heap locked) leaves the arena as it was, for align 1 and others.
    try:
        import micropython

        micropython.heap_lock  # noqa: B018
    except (ImportError, AttributeError):
        skip("no micropython.heap_lock on " + sys.implementation.name)
    for align in (1, 8):
        a = Arena(256)
        a.alloc(10)
        before = state(a)
        micropython.heap_lock()
        try:
            a.alloc(16, align)
            got = None
        except MemoryError as e:
            got = e
        finally:
            micropython.heap_unlock()
        assert isinstance(got, MemoryError), align
        eq(state(a), before, "alloc(16, %d) under heap_lock" % align)
        eq(len(a.alloc(16, align)), 16, "then alloc(16, %d)" % align)


def test_take_closure_keeps_its_arena_alive():
    # take is a closure holding the raw address of the arena's state words: it must
    # keep the arena (and those words) alive on its own.
    import gc

    take = Arena(64).take
    gc.collect()
    junk = [bytearray(16) for _ in range(200)]  # reuse of freed memory would show
    assert [take(16) for _ in range(5)] == [0, 16, 32, 48, -1]
    del junk
