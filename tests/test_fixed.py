from array import array

from mpalloc import _fixed_py, fixed
from mpalloc.errors import CapacityError
from mpalloc.fixed import MAX_CAPACITY, FixedStr, FixedVec
from support import (
    IS_MICROPYTHON,
    RUNTIME,
    eq,
    expected_kernel,
    has_numbers,
    no_alloc,
    raises,
    rng,
    skip,
    viper_kernel,
)

_fixed_viper = viper_kernel("_fixed_viper")

TYPECODES = (None, "b", "B", "h", "H", "i", "I", "f")


def classes():
    out = [fixed._with_kernel(_fixed_py)[0]]
    if _fixed_viper is not None:
        out.append(fixed._with_kernel(_fixed_viper)[0])
    return out


def items(v):
    return [v[i] for i in range(len(v))]


def test_kernel_matches_runtime():
    assert fixed.KERNEL == expected_kernel(), (fixed.KERNEL, RUNTIME)
    assert (_fixed_viper is not None) == (expected_kernel() == "viper")


def test_append_pop_index_all_typecodes():
    for cls in classes():
        for tc in TYPECODES:
            v = cls(5, tc)
            assert (len(v), v.capacity, v.is_full()) == (0, 5, False)
            vals = [1, 2, 3, 4, 5] if tc is None or tc in "BHI" else [-1, 2, -3, 4, 127]
            if tc == "f":
                vals = [0.5, -1.5, 2.0, 3.0, 4.25]
            for x in vals:
                v.append(x)
            assert v.is_full() and len(v) == 5
            assert items(v) == vals and list(v) == vals and v == vals
            assert v[-1] == vals[-1] and v[-5] == vals[0]
            for i in (5, -6, 100):
                raises(IndexError, v.__getitem__, i)
            e = raises(CapacityError, v.append, vals[0])
            has_numbers(e, 5)
            assert v.try_append(vals[0]) is False
            assert items(v) == vals
            v[-2] = vals[0]
            assert v[3] == vals[0]
            v[3] = vals[3]
            for x in reversed(vals):
                assert v.pop() == x, (cls, tc)
            raises(IndexError, v.pop)
            assert len(v) == 0 and v.try_append(vals[1]) is True and v[0] == vals[1]


def test_extend_atomic():
    for cls in classes():
        for tc in (None, "h", "B"):
            v = cls(4, tc)
            v.extend([1, 2])
            e = raises(CapacityError, v.extend, [3, 4, 5])
            has_numbers(e, 3, 2, 4)
            assert items(v) == [1, 2]
            if tc is not None:
                raises(TypeError, v.extend, [3, "x"])
                assert items(v) == [1, 2]
                raises(OverflowError, v.extend, (3, 1 << 20))
                assert items(v) == [1, 2]
            v.extend(array("h", [3, 4]) if tc == "h" else (3, 4))
            assert items(v) == [1, 2, 3, 4]


def test_wrong_type_and_range_leave_state():
    for cls in classes():
        for tc, bad in (("B", 256), ("B", -1), ("b", 128), ("b", -129), ("h", 1 << 15),
                        ("H", -1), ("H", 1 << 16)):
            v = cls(3, tc)
            v.append(7)
            e = raises(OverflowError, v.append, bad)
            has_numbers(e, bad)
            raises(OverflowError, v.try_append, bad)
            raises(OverflowError, v.__setitem__, 0, bad)
            raises(TypeError, v.append, "x")
            raises(TypeError, v.append, 1.5)
            assert items(v) == [7] and len(v) == 1
        v = cls(3, "h")
        v.append(-32768)
        v.append(32767)
        assert items(v) == [-32768, 32767]


def test_insert_remove_swap_remove_clear():
    for cls in classes():
        for tc in (None, "i"):
            v = cls(6, tc)
            ref = []
            for i, x in ((0, 1), (0, 2), (5, 3), (-1, 4), (1, 5), (-100, 6)):
                v.insert(i, x)
                ref.insert(i, x)
                assert items(v) == ref, (tc, i, x, items(v), ref)
            raises(CapacityError, v.insert, 0, 9)
            assert items(v) == ref
            v.remove(3)
            ref.remove(3)
            assert items(v) == ref
            raises(ValueError, v.remove, 99)
            assert v.swap_remove(0) == ref[0]
            ref[0] = ref.pop()
            assert items(v) == ref
            assert v.swap_remove(-1) == ref.pop()
            raises(IndexError, v.swap_remove, 10)
            assert items(v) == ref
            v.clear()
            assert len(v) == 0 and items(v) == []


def test_object_slots_release_references():
    for cls in classes():
        v = cls(3)
        a = [1]
        v.append(a)
        v.append("s")
        assert v.pop() == "s"
        assert v._d[1] is None
        v.clear()
        assert v._d[0] is None


def test_model_random_ops():
    r = rng(66)
    for cls in classes():
        for tc in (None, "h", "B"):
            v = cls(8, tc)
            ref = []
            for _ in range(300):
                op = r.randrange(0, 5)
                x = r.randrange(0, 200)
                if op == 0:
                    ok = v.try_append(x)
                    assert ok == (len(ref) < 8)
                    if ok:
                        ref.append(x)
                elif op == 1 and ref:
                    assert v.pop() == ref.pop()
                elif op == 2 and ref:
                    i = r.randrange(-len(ref), len(ref))
                    assert v[i] == ref[i]
                elif op == 3 and ref:
                    i = r.randrange(0, len(ref))
                    assert v.swap_remove(i) == ref[i]
                    ref[i] = ref[-1]
                    ref.pop()
                elif op == 4 and len(ref) < 8:
                    i = r.randrange(-3, len(ref) + 3)
                    v.insert(i, x)
                    ref.insert(i, x)
                assert items(v) == ref


def test_bad_constructor_args():
    raises(TypeError, FixedVec, "3")
    raises(ValueError, FixedVec, -1)
    e = raises(ValueError, FixedVec, 4, "z")
    assert "typecode" in str(e)
    for cls, args in ((FixedVec, (0,)), (FixedVec, (0, "h")), (FixedStr, (0,))):
        e = raises(ValueError, cls, *args)  # capacity 0 is refused everywhere, as ByteRing(0)
        assert has_numbers(e, 0, MAX_CAPACITY), str(e)
    v = FixedVec(1, "h")
    assert v.try_append(1) and v.is_full() and v.try_append(1) is False
    assert "capacity=1" in repr(v)


def _churn(v, k):
    # Few locals and short expressions: a frame over ~11 words would come from the
    # heap, which the heap-usage pass of no_alloc would count against FixedVec.
    ap = v.append
    s = 0
    for i in range(k):
        ap(i)
        v.try_append(i & 7)
        s += v[0]
        s += v[-1]
        s += len(v)
        v[0] = 3
        v.pop()
        s += v.pop()
    for i in range(len(v)):
        s += v[i]
    return s


def test_no_alloc_typed_and_objects():
    if not IS_MICROPYTHON:
        no_alloc(len, b"")  # skips
    for cls in classes():
        for tc in (None, "b", "B", "h", "H", "i"):
            v = cls(8, tc)
            v.append(1)
            no_alloc(_churn, v, 50)
            eq(len(v), 1, (cls.__name__, tc, "len after _churn"))


def _float_reads(v):
    return v[0]


def test_float_reads_box():
    # 'f' stores packed floats; reading one creates a float object, which
    # allocates on ports with object representation A/B (the unix port is A).
    v = FixedVec(2, "f")
    v.append(1.5)
    assert v[0] == 1.5
    if IS_MICROPYTHON:
        try:
            no_alloc(_float_reads, v)
            boxed = False
        except AssertionError:
            boxed = True
        assert boxed, "expected float reads to allocate on the unix port (repr A)"


def _both_kernels(what):
    # (pure class, viper class) of FixedVec or FixedStr, or a skip where viper cannot load.
    if _fixed_viper is None:
        skip("no viper kernel on %s: only the pure twin runs here, nothing to compare it "
             "with" % RUNTIME)
    k = 0 if what == "vec" else 1
    return fixed._with_kernel(_fixed_py)[k], fixed._with_kernel(_fixed_viper)[k]


def _same_vec_state(a, b, ctx):
    # Real state, word by word: length, capacity and the raw item bytes (dropped items
    # included: both kernels leave them where they were). Words 2..6 are each kernel's own.
    eq(b._h[0], a._h[0], (ctx, "header word 0 (n)"))
    eq(b._h[1], a._h[1], (ctx, "header word 1 (capacity)"))
    eq(bytes(b._d), bytes(a._d), (ctx, "item bytes"))


def test_twins_agree_on_random_ops():
    # Both kernels, the same random ops (in range, at the edges, one past them, big ints):
    # equal results and equal state after every step. The viper kernel keeps the item
    # offset in header word 5 (the pure closures leave it 0): a silent fallback to the
    # pure closures would fail here.
    vp, vv = _both_kernels("vec")
    r = rng(64)
    for tc, lo, hi in (("b", -128, 127), ("B", 0, 255), ("h", -32768, 32767),
                       ("H", 0, 65535), ("i", -(1 << 31), (1 << 31) - 1),
                       ("I", 0, (1 << 32) - 1)):
        a, b = vp(6, tc), vv(6, tc)
        eq((b._h[5] != 0, a._h[5]), (True, 0), (tc, "viper closures in use"))
        bad = (lo - 1, hi + 1, (1 << 64) + 5, -(1 << 64) + 5) if tc in "bBhH" else ()
        for step in range(300):
            op = r.randrange(4)
            if op == 0:
                x = r.choice((lo, hi, 0, r.randrange(max(lo, -(1 << 29)), min(hi, 1 << 29))))
                eq(b.try_append(x), a.try_append(x), (tc, step, "try_append", x))
            elif op == 1 and bad and len(a) < 6:
                x = r.choice(bad)
                ea = raises(OverflowError, a.append, x)
                eb = raises(OverflowError, b.append, x)
                eq(str(eb), str(ea), (tc, step, "append", x))
            elif op == 2 and len(a):
                eq(b.pop(), a.pop(), (tc, step, "pop"))
            elif op == 3 and len(a) < 6:
                x = r.randrange(max(lo, -(1 << 29)), min(hi, 1 << 29))
                a.append(x)
                b.append(x)
                op = ("append", x)
            _same_vec_state(a, b, (tc, step, op))


# --- 32-bit limits: viper words wrap silently on a board, so test the edges ------------

LIMITS = {
    "i": ((1 << 31) - 1, -(1 << 31), 1 << 30, -(1 << 30) - 1, (1 << 30) - 1, -(1 << 30), 0),
    "I": ((1 << 32) - 1, 1 << 31, (1 << 31) - 1, 1 << 30, (1 << 30) - 1, 0),
    "h": (32767, -32768, -1, 0),
    "H": (65535, 32768, 0),
    "b": (127, -128, -1),
    "B": (255, 128, 0),
}


def test_int_typecodes_at_their_limits():
    # Values near 2**30 (a board's small-int edge) and 2**31/2**32 (its word edge) go
    # in and come back exact through append, try_append, index, setitem and pop.
    for cls in classes():
        for tc in LIMITS:
            vals = list(LIMITS[tc])
            v = cls(len(vals), tc)
            for k, x in enumerate(vals):
                assert (v.append(x) if k % 2 else v.try_append(x)) in (None, True)
            assert items(v) == vals, (cls, tc, items(v))
            v[0] = vals[-1]
            v[len(vals) - 1] = vals[0]
            assert v[0] == vals[-1] and v[-1] == vals[0], (cls, tc)
            v[0] = vals[0]
            v[len(vals) - 1] = vals[-1]
            for x in reversed(vals):
                got = v.pop()
                assert got == x, (cls, tc, got, x)


def test_int_typecodes_refuse_one_past_the_limit():
    for cls in classes():
        # (4-byte codes truncate like MicroPython's array: documented, not checked)
        for tc, lo, hi in (("h", -32768, 32767),
                           ("H", 0, 65535), ("b", -128, 127), ("B", 0, 255)):
            v = cls(3, tc)
            v.append(hi)
            raises(OverflowError, v.append, hi + 1)
            raises(OverflowError, v.append, lo - 1)
            assert items(v) == [hi], (cls, tc, items(v))


def test_equality_and_inequality():
    # != comes from __eq__ on every runtime (no __ne__ of its own).
    for cls in classes():
        v = cls(4, "h")
        v.extend((1, 2))
        eq((v == [1, 2], v != [1, 2], v != (1, 3), v != [1], v == "x"),
           (True, False, True, True, False), cls.__name__)
