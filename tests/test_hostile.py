"""Hostile input: ints beyond the small-int range, floats, bools, None, wrong buffers.

Every int entering a viper kernel is range-checked before it can be truncated to a
machine word (``2**64 + 5`` must not act as ``5``), and an IRQ method refuses an
out-of-range int with its failure status, without arithmetic on it (a big int would
allocate: MemoryError under heap_lock on a 32-bit board, where 2**30 is already big).
The input contract these tests hold the library to is docs/contract.md.
"""

from mpalloc import bytebuf, fixed, pool, ring, slab
from mpalloc.errors import CapacityError, StaleHandleError
from mpalloc.pool import BlockPool
from mpalloc.slab import Slab
from support import IS_MICROPYTHON, kernels, no_alloc, raises

# Offsets that push a valid small int out of range; on 32-bit boards 2**30 and 2**31
# are big ints, on 64-bit hosts 2**62 and up.
BIG = (1 << 30, 1 << 31, 1 << 32, 1 << 40, 1 << 62, 1 << 63, 1 << 64, 1 << 65)


def _forged(h):
    # Ints that truncate to h (or to another small int) in a machine word of 32 or 64 bits.
    out = []
    for b in BIG:
        out.append(h + b)
        out.append(b)
        out.append(-b)
        out.append(h - b)
    out.append(-(1 << 64) + h)
    out.append(-(1 << 32) + h)
    return out


def slab_classes():
    return [Slab] + [slab._with_kernel(k) for k in kernels("slab")]


def pool_classes():
    return [BlockPool] + [pool._with_kernel(k)[1] for k in kernels("pool")]


def _slab_state(s):
    return (list(s._m), bytes(s._data))


def test_slab_refuses_big_int_handles():
    for cls in slab_classes():
        s = cls(256, 16)
        h = s.alloc(10)
        s.write(h, b"0123456789")
        before = _slab_state(s)
        buf = bytearray(4)
        for x in _forged(h):
            assert s.valid(x) is False, (cls.KERNEL, x)
            assert s.size(x) == -1, (cls.KERNEL, x)
            assert s.try_free(x) is False, (cls.KERNEL, x)
            assert s.get(x) is None, (cls.KERNEL, x)
            assert s.write(x, b"zz") == -1, (cls.KERNEL, x)
            assert s.readinto(x, buf) == -1, (cls.KERNEL, x)
            raises(StaleHandleError, s.free, x)
            assert _slab_state(s) == before, (cls.KERNEL, x)
        assert s.valid(h) and s.size(h) == 10


def test_slab_big_int_handles_no_alloc():
    if not IS_MICROPYTHON:
        no_alloc(len, "")  # skips with the runtime's reason
    for cls in slab_classes():
        s = cls(256, 16)
        h = s.alloc(10)
        xs = _forged(h)
        for x in xs:
            assert no_alloc(s.try_free, x) is False
            assert no_alloc(s.valid, x) is False
            assert no_alloc(s.size, x) == -1
        assert s.valid(h)


def test_slab_non_int_handles_raise_typeerror():
    # A float, None or str handle is a programming error: TypeError in both twins,
    # state unchanged (bool counts as the int 0 or 1, as everywhere in Python).
    for cls in slab_classes():
        s = cls(256, 16)
        h = s.alloc(10)
        before = _slab_state(s)
        for x in (1.5, float(h), None, "1", b"1", s):
            for fn in (s.try_free, s.valid, s.size):
                raises(TypeError, fn, x)
            assert _slab_state(s) == before
        assert s.valid(True) is s.valid(1)


def test_blockpool_refuses_big_int_indices():
    for cls in pool_classes():
        p = cls(8, 4)
        i = p.alloc()
        p.write(i, b"abc")
        before = (list(p._m), bytes(p._data))
        buf = bytearray(4)
        for x in _forged(i):
            assert p.try_free(x) is False, (cls.KERNEL, x)
            assert p.used(x) is False, (cls.KERNEL, x)
            assert p.write(x, b"zz") == -1, (cls.KERNEL, x)
            assert p.readinto(x, buf) == -1, (cls.KERNEL, x)
            raises(ValueError, p.free, x)
            raises(ValueError, p.view, x)
            assert (list(p._m), bytes(p._data)) == before, (cls.KERNEL, x)
        assert p.used(i)


def test_blockpool_big_int_indices_no_alloc():
    if not IS_MICROPYTHON:
        no_alloc(len, "")
    for cls in pool_classes():
        p = cls(8, 4)
        i = p.alloc()
        for x in _forged(i):
            assert no_alloc(p.try_free, x) is False
            assert no_alloc(p.used, x) is False
        assert p.used(i)


def ring_classes():
    return [ring._with_kernel(k) for k in kernels("ring")]


def deque_classes():
    return [bytebuf._with_kernel(k)[1] for k in kernels("bytebuf")]


def str_classes():
    return [fixed._with_kernel(k)[1] for k in kernels("fixed")]


def vec_classes():
    return [fixed._with_kernel(k)[0] for k in kernels("fixed")]


def test_ring_write_from_big_and_bad_counts():
    src = b"abcd"
    for cls in ring_classes():
        r = cls(16)
        assert r.write_from(src, (1 << 64) + 1) == 4  # "all of it", not 1 byte
        assert r.read() == src
        for n in (-(1 << 64) + 1, -(1 << 32) + 2, -(1 << 30)):
            assert r.write_from(src, n) == 0 and len(r) == 0, (cls.KERNEL, n)
        assert r.write_from(src, True) == 1 and r.read() == b"a"
        for bad in (1.5, 20.5, None, "2"):
            raises(TypeError, r.write_from, src, bad)
            assert len(r) == 0 and r.dropped == 0, (cls.KERNEL, bad)
        r.write(b"x")  # the ring still works
        assert r.read() == b"x"


def test_ring_put_non_int_raises_even_when_full():
    for cls in ring_classes():
        r = cls(2)
        assert r.put(1) and r.put(2) and not r.put(3)
        d = r.dropped
        for bad in (1.5, None, "a"):
            raises(TypeError, r.put, bad)
        assert r.dropped == d and r.read() == b"\x01\x02", cls.KERNEL
        assert r.put((1 << 64) + 5) and r.get() == 5  # any int: its low byte


def test_ring_write_from_no_heap():
    # The pure write_from took a heap frame (184 bytes per call) before its locals shrank.
    from support import no_heap_use

    src = bytearray(b"0123456789")
    for cls in ring_classes():
        r = cls(32)
        for n in (3, 10, 0):
            r.clear()
            assert no_heap_use(r.write_from, src, n) == n
        r.clear()
        r.write(bytes(28))
        r.read(20)
        assert no_heap_use(r.write_from, src, 9) == 9  # wraps
        assert no_heap_use(r.write_from, src, 9) == 9
        assert no_heap_use(r.write_from, src, 9) == 6  # partial: the rest dropped
        assert r.dropped == 3


def test_deque_write_from_big_and_bad_counts():
    for cls in deque_classes():
        s = Slab(64, 8)
        d = cls(s)
        assert d.write_from(b"abcd", (1 << 64) + 1) == 4
        buf = bytearray(8)
        assert d.readinto(buf) == 4 and buf[:4] == b"abcd"
        for n in (-(1 << 64) + 1, -(1 << 32) + 2):
            assert d.write_from(b"abcd", n) == 0 and len(d) == 0
        for bad in (20.5, 1.5, None):
            raises(TypeError, d.write_from, b"x" * 30, bad)
            assert len(d) == 0 and s.stats()["in_use"] == 0, (cls.KERNEL, bad)
        d.push_back(1)
        for _ in range(40):
            d.push_back(2)
        full = len(d)
        raises(TypeError, d.push_back, 1.5)  # also when no chunk is left
        assert len(d) == full
        d.clear()
        assert s.stats()["in_use"] == 0


def test_fixedstr_big_ints_written_exactly():
    for cls in str_classes():
        for v in ((1 << 64) + 5, -(1 << 64) - 5, 1 << 30, -(1 << 30) - 1, 1 << 31, (1 << 63) - 1):
            s = cls(40)
            s.push_int(v)
            assert str(s) == str(v), (cls.KERNEL, v, str(s))
        s = cls(40)
        s.push_fixed((1 << 64) + 235, 1)
        t = str((1 << 64) + 235)
        assert str(s) == t[:-1] + "." + t[-1], (cls.KERNEL, str(s))


def test_fixedstr_push_fixed_huge_decimals_changes_nothing():
    for cls in str_classes():
        s = cls(16)
        s.push_str("ab")
        for dec in ((1 << 63) - 1, 1 << 64, 1 << 31, 1 << 30):
            raises(CapacityError, s.push_fixed, 5, dec)
            assert bytes(s._b) == b"ab" + bytes(14) and str(s) == "ab", (cls.KERNEL, dec)
        for bad in (1.5, None):
            raises(TypeError, s.push_int, bad)
            assert str(s) == "ab"


def test_fixedstr_push_fit_bytes_keeps_characters_whole():
    e = "a\u00e9\u20ac".encode()  # 1 + 2 + 3 bytes
    for cls in str_classes():
        for room in range(1, 7):  # (capacity 0 is refused)
            s = cls(room)
            n = s.push_fit(e)
            want = {0: 0, 1: 1, 2: 1, 3: 3, 4: 3, 5: 3, 6: 6}[room]
            assert n == want and bytes(s.as_bytes()) == e[:want], (cls.KERNEL, room, n)
            str(s)  # decodes: no split character


def test_format_values_cannot_be_replaced():
    from array import array

    f = fixed.Format("{} {}")
    for bad in (array("i", [1]), array("b", [1, 2]), array("h", [1, 2]), [1, 2]):
        raises(AttributeError, setattr, f, "values", bad)
    f.values[0] = 12
    f.values[1] = -3
    for cls in str_classes():
        s = cls(16)
        s.render(f)
        assert str(s) == "12 -3"


def test_fixedvec_refuses_big_ints_in_small_typecodes():
    for cls in vec_classes():
        for tc, good in (("b", 127), ("B", 255), ("h", -32768), ("H", 65535)):
            v = cls(4, tc)
            v.append(good)
            for x in ((1 << 64) + good, good - (1 << 64), (1 << 32) + good, (1 << 30) + good):
                raises(OverflowError, v.append, x)
                raises(OverflowError, v.try_append, x)
                assert len(v) == 1 and v[0] == good, (cls.KERNEL, tc, x)
            for bad in (1.5, None):
                raises(TypeError, v.append, bad)
            assert len(v) == 1


def test_fixedvec_typecode_must_be_one_letter():
    for cls in vec_classes():
        for tc in ("BB", "", "ii", 66):
            raises(ValueError, cls, 4, tc)


def test_fixedvec_insert_bad_index_changes_nothing():
    for cls in vec_classes():
        for tc in (None, "i", "B"):
            v = cls(5, tc)
            v.extend([1, 2, 3])
            for bad in (0.5, None, "1"):
                raises(TypeError, v.insert, bad, 9)
                assert list(v) == [1, 2, 3], (cls.KERNEL, tc, bad, list(v))
            v.insert(True, 7)
            assert list(v) == [1, 7, 2, 3]


def test_fixedvec_extend_with_itself_doubles():
    for cls in vec_classes():
        for tc in (None, "h"):
            v = cls(6, tc)
            v.extend([1, 2, 3])
            v.extend(v)
            assert list(v) == [1, 2, 3, 1, 2, 3], (cls.KERNEL, tc)
            raises(CapacityError, v.extend, v)
            assert list(v) == [1, 2, 3, 1, 2, 3]


def _arena_state(a):
    return (a.used(), a.remaining(), a.mark())


def test_arena_take_refuses_floats_and_big_ints():
    from mpalloc.arena import Arena

    a = Arena(64)
    assert a.take(8) == 0
    before = _arena_state(a)
    for bad in (1.5, 0.0, None):
        raises(TypeError, a.take, bad)
        raises(TypeError, a.take_aligned, bad, 4)
        raises(TypeError, a.take_aligned, 4, 2.0)
        assert _arena_state(a) == before, bad
    for big in (1 << 30, 1 << 31, 1 << 40, 1 << 64, -(1 << 64)):
        assert a.take(big) == -2, big
        assert a.take_aligned(big, 4) == -2, big
        assert a.take_aligned(4, big) == -2, big
        assert _arena_state(a) == before, big
    raises(TypeError, a.alloc, 1.5)
    assert _arena_state(a) == before
    assert a.take(4) == 8  # still works


def test_arena_take_big_ints_no_alloc():
    from mpalloc.arena import Arena

    if not IS_MICROPYTHON:
        no_alloc(len, "")
    a = Arena(64)
    for big in (1 << 30, 1 << 40, 1 << 64, -(1 << 64)):
        assert no_alloc(a.take, big) == -2
        assert no_alloc(a.take_aligned, big, 4) == -2
        assert no_alloc(a.take_aligned, 4, big) == -2


def test_stack_refuses_floats_and_big_ints():
    from mpalloc.stack import Stack

    s = Stack(64)
    h = s.alloc(8)
    before = (s.mark(), s.used(), s.offset(h))
    for bad in (1.5, 8.0, None):
        raises(TypeError, s.try_alloc, bad, 1)
        raises(TypeError, s.try_alloc, 4, float(2) if bad is not None else None)
        raises(TypeError, s.alloc, bad)
        assert (s.mark(), s.used(), s.offset(h)) == before, bad
    raises(TypeError, s.try_free, float(h))  # equal to the live handle: not freed
    assert s.mark() == 1
    for big in (1 << 30, 1 << 40, 1 << 64, -(1 << 64)):
        assert s.try_alloc(big, 1) == 0 and s.try_alloc(4, big) == 0
        assert s.try_free(h + big) is False and s.try_free(big) is False
        assert (s.mark(), s.used(), s.offset(h)) == before, big
    assert s.try_free(h) is True


def test_stack_big_ints_no_alloc():
    from mpalloc.stack import Stack

    if not IS_MICROPYTHON:
        no_alloc(len, "")
    s = Stack(64)
    h = s.alloc(8)
    for big in (1 << 30, 1 << 40, 1 << 64, -(1 << 64)):
        assert no_alloc(s.try_alloc, big, 1) == 0
        assert no_alloc(s.try_alloc, 4, big) == 0
        x = h + big
        assert no_alloc(s.try_free, x) is False


def test_configure_same_figures_as_floats_refused():
    from mpalloc import global_slab

    global_slab._reset()
    try:
        s = global_slab.configure(512, 16)
        for size, slots in ((512.0, 16), (512, 16.0), (True, 16)):
            raises(TypeError, global_slab.configure, size, slots)
            assert global_slab.slab() is s
        assert global_slab.configure(512, 16) is s
    finally:
        global_slab._reset()


def test_wide_items_refused_everywhere():
    # One rule on every runtime and twin: arrays (and destination views) with items
    # wider than a byte raise TypeError, nothing changed (docs/contract.md rule 5).
    from array import array

    wide = [array(tc, [1, 2, 3]) for tc in ("h", "H", "i", "I", "f")]
    for w in wide:
        for cls in slab_classes():
            s = cls(64, 4)
            h = s.alloc(8)
            s.write(h, b"12345678")
            raises(TypeError, s.write, h, w)
            raises(TypeError, s.readinto, h, w)
            assert bytes(s.view(h)) == b"12345678"
        for cls in pool_classes():
            p = cls(8, 2)
            i = p.alloc()
            raises(TypeError, p.write, i, w)
            raises(TypeError, p.readinto, i, w)
        for cls in ring_classes():
            r = cls(8)
            raises(TypeError, r.write, w)
            raises(TypeError, r.write_from, w, 2)
            r.write(b"ab")
            raises(TypeError, r.readinto, w)
            assert len(r) == 2 and r.dropped == 0
        for cls in deque_classes():
            d = cls(Slab(64, 8))
            raises(TypeError, d.write, w)
            d.write(b"ab")
            raises(TypeError, d.readinto, w)
            assert len(d) == 2
        for cls in str_classes():
            s = cls(8)
            raises(TypeError, s.push_str, w)
            assert len(s) == 0
        for k in kernels("memops"):
            raises(TypeError, k.find, w, 2)
    for k in kernels("memops"):
        for bad in (5, [1, 2], None, "ab"):
            raises(TypeError, k.find, bad, 1)
        assert k.find(array("B", [5, 6, 7]), 7) == 2
        assert k.find(memoryview(b"xyz"), ord("z")) == 2
    # byte arrays and views keep working, and the probe leaves them as they were
    a = array("b", [-1, 2, 3])
    for cls in slab_classes():
        s = cls(64, 4)
        h = s.alloc(3)
        assert s.write(h, a) == 3 and list(a) == [-1, 2, 3]
        assert bytes(s.view(h)) == b"\xff\x02\x03"


def test_objectpool_release_many_then_double_release():
    # (tools/mutate found this unchecked: release_many giving back slot i must clear
    # slot i's in-use flag, not another slot's.)
    class Thing:
        pass

    for k in kernels("pool"):
        p = pool._with_kernel(k)[0](Thing, 5)
        a, b, c, d = p.acquire_many(4)
        p.release_many([b, c])
        for x in (b, c):
            raises(ValueError, p.release, x)  # already released
        p.release(d)
        p.release(a)
        assert p.in_use() == 0 and p.available() == 5
