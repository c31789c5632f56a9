"""Property test of the input contract (docs/contract.md): every public method that takes
an int or a buffer is fed each value of a hostile set; the outcome must be the documented
one, the state unchanged after any exception, and the viper and pure twins must agree
(outcome by outcome, and on the state each call leaves) wherever both kernels import.

Plain test functions (no hypothesis: it exists on CPython only): the hostile set is fixed
and the order of the calls is shuffled with ``support.rng`` so each lane runs the same
sequence.
"""

from array import array

from mpalloc import bytebuf, fixed, pool, ring, slab
from mpalloc.arena import Arena
from mpalloc.stack import Stack
from support import IS_MICROPYTHON, kernels, no_alloc, rng

# Exceptions the contract allows (by name: MemoryError must not pass as AllocError).
ALLOWED = ("TypeError", "ValueError", "OverflowError", "IndexError", "AllocError",
           "CapacityError", "StaleHandleError", "OrderError")
# What an IRQ method may return when it refuses.
REFUSED = (False, -1, -2, 0, None)

SMALL_EDGE = (0, 1, -1, 2, 3, 7, 255, 256, (1 << 30) - 1, -(1 << 30))
BIG = (1 << 30, (1 << 31) - 1, 1 << 31, (1 << 32) + 1, (1 << 63) - 1, 1 << 63,
       (1 << 64) + 1, -(1 << 30) - 1, -(1 << 31), -(1 << 63), -(1 << 64) + 1)
NOT_INT = (1.5, -0.5, 0.0, 2.0, None, "1", b"1")


def hostile(obj):
    # The hostile set for an int parameter; bools are ints (0/1) by the contract.
    return list(SMALL_EDGE) + list(BIG) + [True, False] + list(NOT_INT) + [
        bytearray(2), array("i", [1]), obj]


def outcome(fn, a, b):
    try:
        r = fn(a, b)
    except Exception as e:  # noqa: BLE001 - classified below
        name = type(e).__name__
        assert name in ALLOWED, "%s raised %r (not in the contract)" % (fn, e)
        return ("exc", name)
    if type(r) is memoryview:
        r = bytes(r)
    return ("ok", r)


def _is_int(x):
    return type(x) is int or type(x) is bool


def _run(make, twins, calls, snap, irq, seed, counts=(), pub=None):
    """Build one object per twin with ``make(k)``; feed every call in ``calls`` (name ->
    fn(obj, x)) every hostile value; return the outcomes and states per twin."""
    results = []
    for k in twins:
        obj = make(k)
        r = rng(seed)
        order = []
        for name in sorted(calls):
            for i in range(len(hostile(obj))):
                order.append((name, i))
        # Shuffle (same sequence on every lane and for both twins).
        for i in range(len(order) - 1, 0, -1):
            j = r.randrange(i + 1)
            order[i], order[j] = order[j], order[i]
        trace = []
        for name, i in order:
            x = hostile(obj)[i]
            before = snap(obj)
            o = outcome(calls[name], obj, x)
            after = snap(obj)
            if o[0] == "exc":
                assert after == before, (k, name, x, o, "state changed by an error")
            if name in irq and _is_int(x):
                assert o[0] == "ok", (k, name, x, o, "an IRQ method raised for an int")
                if not (-(1 << 30) <= x < (1 << 30)) and name not in counts:
                    # refused (a failure counter may count it)
                    assert o[1] in REFUSED, (k, name, x, o)
            if name in irq and not _is_int(x) and o[0] == "ok":
                assert o[1] in REFUSED, (k, name, x, o)
            entry = (name, repr(x) if x is not obj else "self", o,
                     pub(obj) if pub else after)
            # The first twin's trace as hashes of each entry's repr, the second compared
            # as it runs: whole traces of both (outcomes and state snapshots) do not fit
            # a board's 140 KiB heap.
            h = hash(repr(entry))
            if not results:
                trace.append(h)
            else:
                step = len(trace)
                trace.append(h)
                assert results[0][step] == h, ("twins disagree at step", step, "second twin:",
                                               entry)
        results.append(trace)
    return results


def _slab_state(s):
    # Everything but the failures counter (word 5), which counts refusals and errors.
    m = list(s._m)
    m[5] = 0
    return (m, bytes(s._data))


def _pool_state(p):
    m = list(p._m)
    m[7] = 0  # the failures counter
    return (m, bytes(p._data))


def test_slab_contract():

    def make(k):
        s = slab._with_kernel(k)(64, 8, _salt=5) if k else slab.Slab(64, 8, _salt=5)
        s.write(s.alloc(3), b"abc")
        s.hw = s.alloc(2)  # the handle write_buf writes through
        return s

    buf = bytearray(4)
    calls = {
        "try_alloc": lambda s, x: s.try_alloc(x),
        "try_free": lambda s, x: s.try_free(x),
        "valid": lambda s, x: s.valid(x),
        "size": lambda s, x: s.size(x),
        "alloc": lambda s, x: s.alloc(x),
        "free": lambda s, x: s.free(x),
        "get": lambda s, x: s.get(x),
        "view": lambda s, x: s.view(x),
        "write_h": lambda s, x: s.write(x, b"zz"),
        "readinto_h": lambda s, x: s.readinto(x, buf),
        "write_buf": lambda s, x: s.write(s.hw, x),
    }
    irq = ("try_alloc", "try_free", "valid", "size", "write_h", "readinto_h")
    _run(make, kernels("slab"), calls, _slab_state, irq, 1)


def test_ring_contract():

    def make(k):
        r = ring._with_kernel(k)(8)
        r.write(b"abc")
        return r

    def state(r):
        if r.KERNEL == "viper":
            return bytes(r._m)
        return (bytes(r._d), r._w, r._r, r._drop)

    calls = {
        "put": lambda r, x: r.put(x),
        "write_from": lambda r, x: r.write_from(b"xyz", x),
        "write": lambda r, x: r.write(x),
        "readinto": lambda r, x: r.readinto(x),
        "get": lambda r, x: (r.get(), r.write(b"q"))[0],
    }
    # put: any int is stored as its low byte (a success, not a refusal), so only
    # write_from is checked as an IRQ method here.
    # put: any int is stored as its low byte; write_from clamps its count (rule 4).
    _run(make, kernels("ring"), calls, state, ("write_from",), 2, ("write_from",),
         lambda r: (len(r), r.dropped, r.space()))


def test_bytedeque_contract():

    def make(k):
        s = slab.Slab(64, 8, _salt=7)
        d = bytebuf._with_kernel(k)[1](s)
        d.write(b"abcdefghij")
        return d

    calls = {
        "push_back": lambda d, x: d.push_back(x),
        "write_from": lambda d, x: d.write_from(b"xyz", x),
        "write": lambda d, x: d.write(x),
        "readinto": lambda d, x: d.readinto(x),
        "pop_front": lambda d, x: (d.pop_front(), d.push_back(1))[0],
    }
    _run(make, kernels("bytebuf"), calls,
         lambda d: (list(d._h), _slab_state(d._s)), ("write_from",), 3,
         ("write_from",), lambda d: (list(d._h)[:11], _slab_state(d._s)))


def test_blockpool_contract():

    def make(k):
        p = pool._with_kernel(k)[1](4, 4)
        p.write(p.alloc(), b"ab")
        return p

    buf = bytearray(4)
    calls = {
        "try_free": lambda p, x: p.try_free(x),
        "used": lambda p, x: p.used(x),
        "free": lambda p, x: p.free(x),
        "view": lambda p, x: p.view(x),
        "write_i": lambda p, x: p.write(x, b"zz"),
        "readinto_i": lambda p, x: p.readinto(x, buf),
        "write_buf": lambda p, x: p.write(0, x),
    }
    irq = ("try_free", "used", "write_i", "readinto_i")
    _run(make, kernels("pool"), calls, _pool_state, irq, 4)


def test_fixedvec_contract():
    for tc in ("B", "h", None):

        def make(k, tc=tc):
            v = fixed._with_kernel(k)[0](6, tc)
            v.extend([1, 2])
            return v

        calls = {
            "append": lambda v, x: (v.append(x), v.pop())[1],
            "try_append": lambda v, x: (v.try_append(x), len(v), v.pop())[1],
            "insert": lambda v, x: (v.insert(x, 3), list(v), v.clear(), v.extend([1, 2]))[1],
            "getitem": lambda v, x: v[x],
            "setitem_i": lambda v, x: v.__setitem__(x, 1),
            "setitem_v": lambda v, x: v.__setitem__(0, x),
        }
        if tc is None:
            del calls["append"], calls["try_append"], calls["setitem_v"]  # any object
        _run(make, kernels("fixed"), calls, lambda v: list(v), (), 5)


def test_fixedstr_contract():

    def make(k):
        s = fixed._with_kernel(k)[1](24)
        s.push_str("ab")
        return s

    calls = {
        "push_int": lambda s, x: (s.push_int(x), s.clear(), s.push_str("ab"))[0],
        "push_fixed_v": lambda s, x: (s.push_fixed(x, 1), s.clear(), s.push_str("ab"))[0],
        "push_fixed_d": lambda s, x: (s.push_fixed(5, x), s.clear(), s.push_str("ab"))[0],
        "push_str": lambda s, x: (s.push_str(x), s.clear(), s.push_str("ab"))[0],
    }
    _run(make, kernels("fixed"), calls,
         lambda s: (len(s), bytes(s._b)), (), 6)


def test_arena_and_stack_contract():
    def make_a(k):
        a = Arena(32)
        a.take(4)
        return a

    calls_a = {
        "take": lambda a, x: a.take(x),
        "take_aligned_n": lambda a, x: a.take_aligned(x, 4),
        "take_aligned_a": lambda a, x: a.take_aligned(4, x),
        "alloc": lambda a, x: a.alloc(x) and None,
        "release": lambda a, x: a.release(x),
    }
    _run(make_a, [None], calls_a,
         lambda a: (a.used(), a.remaining(), a.mark()),
         ("take", "take_aligned_n", "take_aligned_a"), 7)

    def make_s(k):
        s = Stack(32)
        s.alloc(4)
        return s

    calls_s = {
        "try_alloc_n": lambda s, x: s.try_alloc(x, 1),
        "try_alloc_a": lambda s, x: s.try_alloc(4, x),
        "try_free": lambda s, x: s.try_free(x),
        "alloc": lambda s, x: s.alloc(x),
        "free": lambda s, x: s.free(x),
    }
    _run(make_s, [None], calls_s, lambda s: list(s._t)[:1] + list(s._t)[1:2],
         ("try_alloc_n", "try_alloc_a", "try_free"), 8)


def test_irq_methods_big_ints_no_alloc():
    # Every IRQ method given every int of the hostile set, with the heap locked.
    if not IS_MICROPYTHON:
        no_alloc(len, "")  # skips with the runtime's reason
    s = slab.Slab(64, 8)
    h = s.alloc(3)
    p = pool.BlockPool(4, 4)
    r = ring.ByteRing(8)
    d = bytebuf.ByteDeque(slab.Slab(64, 8))
    a = Arena(32)
    st = Stack(32)
    src = b"xyz"
    buf = bytearray(4)
    for x in list(SMALL_EDGE) + list(BIG):
        y = h + x if -(1 << 62) < x < (1 << 62) else x
        for fn in (s.valid, s.size, p.used, a.take, st.try_free):
            no_alloc(fn, y)
        no_alloc(s.readinto, y, buf)
        no_alloc(r.write_from, src, x)
        no_alloc(d.write_from, src, x)
        no_alloc(a.take_aligned, 4, x)
        no_alloc(st.try_alloc, x, 1)
        r.clear()
        d.clear()
    assert s.valid(h)
