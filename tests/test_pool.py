import sys

from mpalloc import _pool_py, pool
from mpalloc.errors import AllocError
from mpalloc.pool import ObjectPool
from support import (
    RUNTIME,
    eq,
    expected_kernel,
    has_numbers,
    message,
    need_threads,
    no_alloc,
    no_heap_use,
    raises,
    rng,
    run_threads,
    skip,
    viper_kernel,
)

_pool_viper = viper_kernel("_pool_viper")

MODE = 5  # header word of the key mode in pool._m


def classes():
    """The public ObjectPool plus one subclass per importable kernel."""
    return [ObjectPool] + [pool._with_kernel(k)[0] for k in (_pool_viper, _pool_py)
                           if k is not None]


class Thing:
    made = 0

    def __init__(self):
        Thing.made += 1
        self.idx = Thing.made
        self.x = 0
        self.dirty = False


class Valued:
    """Hashes and compares by value: keyed by object plus an identity check."""

    def __init__(self, v):
        self.v = v

    def __hash__(self):
        return self.v

    def __eq__(self, other):
        return isinstance(other, Valued) and other.v == self.v


def counter_factory(cls=Thing):
    n = [0]

    def make():
        n[0] += 1
        return cls()

    return make, n


def snapshot(p):
    return (p.available(), p.in_use(), p.capacity, sorted(p.stats().items()))


def test_kernel_expected():
    assert pool.KERNEL == expected_kernel(), (pool.KERNEL, RUNTIME)
    assert ObjectPool.KERNEL == pool.KERNEL
    assert (_pool_viper is not None) == (expected_kernel() == "viper")
    assert pool._with_kernel(_pool_py)[0](Thing, 2).KERNEL == "py"


def test_constructor_makes_all_objects():
    for cls in classes():
        make, n = counter_factory()
        p = cls(make, 5)
        assert n[0] == 5
        assert p.available() == 5 and p.in_use() == 0 and p.capacity == 5
        got = [p.acquire() for _ in range(5)]
        assert n[0] == 5  # acquire made nothing new
        assert len(set(id(o) for o in got)) == 5
        assert p.try_acquire() is None
        e = raises(AllocError, p.acquire)
        has_numbers(e, 5)
        assert "release" in message(e)
        st = p.stats()
        assert st["failures"] == 2 and st["allocs"] == 5 and st["in_use"] == 5
        for o in got:
            p.release(o)
        assert p.available() == 5 and p.in_use() == 0
        assert p.stats()["frees"] == 5


def test_release_then_reacquire_lifo_and_reset_order():
    for cls in classes():
        log = []

        def reset(o):
            log.append(("reset", o.idx, p.available()))  # noqa: B023 - used within this iteration
            o.dirty = False

        p = cls(Thing, 3, reset=reset)
        a = p.acquire()
        a.dirty = True
        p.release(a)
        # reset ran before the object was available again
        assert log == [("reset", a.idx, 2)]
        assert not a.dirty
        assert p.acquire() is a  # last released, first acquired


def test_double_release_and_foreign_raise_state_intact():
    for cls in classes():
        p = cls(Thing, 4)
        a = p.acquire()
        b = p.acquire()
        p.release(a)
        before = snapshot(p)
        e = raises(ValueError, p.release, a)
        has_numbers(e, 4, 1)
        assert "twice" in message(e)
        assert snapshot(p) == before
        for foreign in (Thing(), bytearray(3), [1], 7, None, "x", (1, 2)):
            e = raises(ValueError, p.release, foreign)
            assert "not from this pool" in message(e), message(e)
            assert snapshot(p) == before
        other = cls(Thing, 2)
        e = raises(ValueError, p.release, other.acquire())
        assert "not from this pool" in message(e)
        assert snapshot(p) == before
        p.release(b)
        assert p.in_use() == 0 and p.available() == 4


def _has_uctypes():
    try:
        import uctypes  # noqa: F401
    except ImportError:
        return False
    return True


def id_mode(cls):
    """The identity-key mode a pool of unhashable objects must pick on this runtime: 1
    (id()) where id() is a small int; where it is a big int (RAM at or above 0x80000000,
    the rv32 board) 3 (address bits, read by viper or through uctypes) or 4 (a scan)."""
    small = sys.maxsize >> 1
    if -small - 1 <= id(bytearray(1)) <= small:
        return 1
    return 3 if cls.KERNEL == "viper" or _has_uctypes() else 4


def thing_mode():
    """The key mode of a pool of plain instances: id() keys (1) where id() is a small int
    on MicroPython, the objects themselves (0) on CPython and where id() is a big int."""
    small = sys.maxsize >> 1
    if RUNTIME == "cpython" or not -small - 1 <= id(Thing()) <= small:
        return 0
    return 1


def test_key_modes():
    for cls in classes():
        eq(cls(Thing, 2)._m[MODE], thing_mode(), "key mode of plain instances")
        assert cls(lambda: bytearray(8), 2)._m[MODE] == id_mode(cls)
        assert cls(lambda: [0], 2)._m[MODE] == id_mode(cls)
        vals = iter(range(100))
        vp = cls(lambda: Valued(next(vals)), 3)  # noqa: B023 - used within this iteration
        assert vp._m[MODE] == 2
        # equal-but-distinct objects: an identity key
        eqp = cls(lambda: Valued(5), 3)
        assert eqp._m[MODE] == id_mode(cls)
        for p in (vp, eqp):
            objs = [p.acquire() for _ in range(3)]
            twin = Valued(objs[0].v)  # equal to a pooled object, but foreign
            e = raises(ValueError, p.release, twin)
            assert "not from this pool" in message(e)
            for o in objs:
                p.release(o)
            raises(ValueError, p.release, objs[1])
            assert p.available() == 3
        shared = Thing()
        e = raises(ValueError, cls, lambda: shared, 2)  # noqa: B023 - used within this iteration
        assert "same object" in message(e)


def _big_id(o):
    # id() as on a board whose RAM sits at or above 0x80000000: never a small int.
    return id(o) + (1 << 62)


def _as_big_id_board(fn, *args):
    # Build pools as on such a board (pool._id is the construction-time id()).
    saved = pool._id
    pool._id = _big_id
    try:
        return fn(*args)
    finally:
        pool._id = saved


def _no_probe(self):
    pass


def _as_scan_board(fn, *args):
    # ... and with no way to read an address either (no viper, no uctypes): a scan.
    from mpalloc import _pool_cold

    saved = _pool_cold._make_probe
    _pool_cold._make_probe = _no_probe
    try:
        return _as_big_id_board(fn, *args)
    finally:
        _pool_cold._make_probe = saved


def _take(p, n):
    return [p.acquire() for _ in range(n)]


def _identity_pools(cls):
    # Pools that need identity keys: unhashable objects, and equal hashable ones.
    return [cls(lambda: bytearray(8), 4, reset=zero), cls(lambda: [0], 4),
            cls(lambda: Valued(5), 4, max_capacity=8, growth=4)]


def _check_identity_pool(p):
    objs = [p.acquire() for _ in range(p.capacity)]
    assert p.try_acquire() is None
    for o in objs:
        assert p.owns(o)
    twin = type(objs[0])(objs[0]) if type(objs[0]) is bytearray else None
    for foreign in (twin, [0], Valued(5), bytearray(8)):
        e = raises(ValueError, p.release, foreign)
        assert "not from this pool" in message(e), message(e)
        assert not p.owns(foreign)
    for o in objs[1:]:
        p.release(o)
    e = raises(ValueError, p.release, objs[2])
    assert "twice" in message(e)
    p.release(objs[0])
    assert p.available() == p.capacity and p.in_use() == 0
    with p.borrow() as o:
        assert p.owns(o) and p.in_use() == 1
    assert p.in_use() == 0


def test_big_ids_keep_identity_keys_without_id():
    # Where id() is a big int (rv32 board, i.MX RT SDRAM) calling it would allocate:
    # pools fall back to the address key (mode 3) or a scan (mode 4), same results.
    for cls in classes():
        mode = 3 if cls.KERNEL == "viper" or _has_uctypes() else 4
        pools = _as_big_id_board(_identity_pools, cls)
        # identity-hashed objects never need id() there: keyed by themselves
        eq(_as_big_id_board(cls, Thing, 2)._m[MODE], 0, "plain instances, big ids")
        for p in pools:
            assert p._m[MODE] == mode, (p._m[MODE], mode, cls.KERNEL)
            _check_identity_pool(p)
        g = pools[2]
        objs = _as_big_id_board(_take, g, 6)  # grows 4 -> 8: keys for the new ones
        assert g.capacity == 8 and g._m[MODE] == mode
        for o in objs:
            g.release(o)
        for p in _as_scan_board(_identity_pools, cls):
            assert p._m[MODE] == 4
            _check_identity_pool(p)
        shared = bytearray(2)
        e = raises(ValueError, _as_big_id_board, cls, lambda: shared, 2)  # noqa: B023
        assert "same object" in message(e)


def _release_all(p, objs):
    for o in objs:
        p.release(o)
    return p.available()


def _cycle_then_fill(p):
    """no_alloc(cycle) over a pool of 4, then all 4 objects acquired: the list of them."""
    objs = [None] * 4
    last = no_alloc(cycle, p, objs)
    assert last is not None
    p.release(last)
    for i in range(4):
        objs[i] = p.acquire()
    return objs


def test_big_ids_no_alloc():
    if RUNTIME == "cpython":
        skip("heap_lock and mem_total are MicroPython only")
    for cls in classes():
        for build in (_as_big_id_board, _as_scan_board):
            for p in build(_identity_pools, cls):
                objs = _cycle_then_fill(p)
                assert no_alloc(_release_all, p, objs) == 4
                a = no_heap_use(p.acquire)
                assert no_heap_use(p.owns, a) is True
                assert no_heap_use(p.release, a) is None
                assert no_heap_use(p.owns, objs) is False
                borrow_once(p)
                assert no_alloc(borrow_once, p) == 1


def zero(b):
    b[0] = 0


def test_unhashable_objects():
    for cls in classes():
        p = cls(lambda: bytearray(16), 3, reset=zero)
        a = p.acquire()
        a[0] = 9
        p.release(a)
        assert a[0] == 0
        raises(ValueError, p.release, a)
        raises(ValueError, p.release, bytearray(16))
        with p.borrow() as buf:
            assert len(buf) == 16 and p.in_use() == 1
        assert p.in_use() == 0


def test_reset_error_keeps_object_in_use():
    for cls in classes():
        fail = [True]

        def reset(o):
            if fail[0]:  # noqa: B023 - used within this iteration
                raise RuntimeError("reset failed")

        p = cls(Thing, 2, reset=reset)
        a = p.acquire()
        raises(RuntimeError, p.release, a)
        assert p.in_use() == 1 and p.available() == 1
        fail[0] = False
        p.release(a)
        assert p.in_use() == 0 and p.available() == 2


def test_growth_step_factor_and_limit():
    for cls in classes():
        make, n = counter_factory()
        p = cls(make, 2, max_capacity=7, growth=2)
        objs = [p.acquire() for _ in range(2)]
        assert n[0] == 2
        objs.append(p.acquire())  # grows by 2
        assert p.capacity == 4 and n[0] == 4
        objs += [p.acquire() for _ in range(3)]  # 4 -> 6
        assert p.capacity == 6
        objs.append(p.acquire())  # 6 -> 7 (capped by max_capacity)
        assert p.capacity == 7 and n[0] == 7
        e = raises(AllocError, p.acquire)
        has_numbers(e, 7)
        assert p.try_acquire() is None
        st = p.stats()
        assert st["grows"] == 3 and st["in_use"] == 7 and st["peak"] == 7
        assert len(set(id(o) for o in objs)) == 7
        for o in objs:
            p.release(o)
        assert p.available() == 7
        f = cls(Thing, 4, max_capacity=100, growth=1.5)
        [f.acquire() for _ in range(5)]
        assert f.capacity == 6
        # try_acquire never grows
        g = cls(Thing, 1, max_capacity=10)
        g.acquire()
        assert g.try_acquire() is None and g.capacity == 1
        assert g.grow(3) == 3 and g.capacity == 4
        e = raises(AllocError, g.grow, 7)
        has_numbers(e, 7, 10, 6)
        assert g.capacity == 4
        assert g.grow(6) == 6 and g.grow() == 0


def test_growth_factory_error_is_all_or_nothing():
    for cls in classes():
        made = [0]

        def make():
            made[0] += 1  # noqa: B023 - used within this iteration
            if made[0] == 4:  # noqa: B023 - used within this iteration
                raise OSError("factory failed")
            return Thing()

        p = cls(make, 2, max_capacity=6, growth=3)
        a = p.acquire()
        b = p.acquire()
        before = snapshot(p)
        raises(OSError, p.acquire)
        assert snapshot(p) == before
        c = p.acquire()  # the factory works again: growth completes
        assert p.capacity == 5
        for o in (a, b, c):
            p.release(o)
        assert p.available() == 5


def test_acquire_many_atomic():
    for cls in classes():
        p = cls(Thing, 4, max_capacity=6)
        x = p.acquire()
        before = snapshot(p)
        e = raises(AllocError, p.acquire_many, 6)  # 3 free + 2 growable < 6
        has_numbers(e, 6, 3)
        assert "nothing" in message(e)
        st = p.stats()
        assert st["failures"] == 1
        assert snapshot(p)[:3] == before[:3]  # nothing taken, not grown
        got = p.acquire_many(5)  # needs growth by 2
        assert len(got) == 5 and p.capacity == 6 and p.available() == 0
        assert len(set(id(o) for o in got + [x])) == 6
        raises(ValueError, p.acquire_many, -1)
        assert p.acquire_many(0) == []
        p.release_many(got)
        p.release(x)
        assert p.available() == 6


def test_release_many_atomic():
    for cls in classes():
        resets = []
        p = cls(Thing, 4, reset=resets.append)
        a, b, c = p.acquire_many(3)
        before = snapshot(p)
        for bad in ([a, b, a], [a, Thing()], [c, b, bytearray(1)]):
            raises(ValueError, p.release_many, bad)
            assert snapshot(p) == before and resets == []
        p.release(c)
        raises(ValueError, p.release_many, [a, c])  # c already released
        assert p.in_use() == 2 and resets == [c]
        p.release_many([a, b])
        assert p.in_use() == 0 and resets == [c, a, b]


def test_borrow():
    for cls in classes():
        p = cls(Thing, 2)
        with p.borrow() as a:
            assert p.in_use() == 1
            with p.borrow() as b:
                assert b is not a and p.in_use() == 2
                raises(AllocError, p.acquire)
        assert p.in_use() == 0
        try:
            with p.borrow() as a:
                raise KeyError("boom")
        except KeyError:
            pass
        assert p.in_use() == 0 and p.available() == 2
        # interleaved (not nested) borrows, as coroutines would do
        x = p.borrow()
        y = p.borrow()
        ox = x.__enter__()
        oy = y.__enter__()
        x.__exit__(None, None, None)
        assert p.in_use() == 1
        z = p.borrow()
        assert z.__enter__() is ox
        y.__exit__(None, None, None)
        z.__exit__(None, None, None)
        assert p.in_use() == 0 and oy is not ox


def borrow_once(p):
    with p.borrow():
        n = p.in_use()
    return n + p.in_use()


def cycle(p, objs):
    # acquire all, release all; every op allocation-free
    n = len(objs)
    for i in range(n):
        objs[i] = p.acquire()
    for i in range(n):
        p.release(objs[i])
    return p.try_acquire()


def test_no_alloc():
    if RUNTIME == "cpython":
        skip("heap_lock is MicroPython only")
    for cls in classes():
        for make in (Thing, lambda: bytearray(8), lambda: Valued(0)):
            p = cls(make, 4, reset=lambda o: None)
            a = no_alloc(p.acquire)
            assert no_alloc(p.release, a) is None
            b = no_alloc(p.try_acquire)
            no_alloc(p.release, b)
            assert no_alloc(p.available) == 4 and no_alloc(p.in_use) == 0
            assert no_alloc(p.owns, b) is True
            objs = _cycle_then_fill(p)
            assert no_alloc(p.try_acquire) is None
            for o in objs:
                p.release(o)
            # borrow: allocation-free once the slot has its helper
            q = cls(make, 1)
            borrow_once(q)
            assert no_alloc(borrow_once, q) == 1
            # no heap frame either (an exception handler matching a tuple of classes
            # made the pure twin's lookup frame come from the heap)
            a = no_heap_use(p.acquire)
            assert no_heap_use(p.owns, a) is True
            assert no_heap_use(p.release, a) is None
            assert no_heap_use(p.owns, a) is True and no_heap_use(p.owns, q) is False
        lp = cls(Thing, 2, locked=True)
        a = no_alloc(lp.acquire)
        no_alloc(lp.release, a)
        assert no_alloc(lp.try_acquire) is not None


def test_stats():
    for cls in classes():
        p = cls(Thing, 4, max_capacity=8)
        st = p.stats()
        assert st["allocs"] == 0 and st["in_use"] == 0 and st["unit"] == "objects"
        a = [p.acquire() for _ in range(3)]
        p.release(a.pop())
        st = p.stats()
        assert st["allocs"] == 3 and st["frees"] == 1 and st["in_use"] == 2
        assert st["peak"] == 3 and st["free"] == 2 and st["capacity"] == 4
        assert st["max_capacity"] == 8 and st["grows"] == 0
        assert "2/4" in repr(p)


def test_bad_constructor_args():
    for args, kw, exc in (
        ((Thing, 0), {}, ValueError),
        ((Thing, -3), {}, ValueError),
        ((Thing, 2.0), {}, ValueError),
        ((5, 2), {}, TypeError),
        ((Thing, 4), {"max_capacity": 3}, ValueError),
        ((Thing, 4), {"growth": 0}, ValueError),
        ((Thing, 4), {"growth": 1.0}, ValueError),
        ((Thing, 4), {"reset": 3}, TypeError),
    ):
        e = raises(exc, ObjectPool, *args, **kw)
        assert message(e)


def test_twins_agree():
    if _pool_viper is None:
        skip("only the pure kernel loads on " + RUNTIME + ": nothing to compare")
    pv = pool._with_kernel(_pool_viper)[0](Thing, 3, max_capacity=9, growth=2)
    pp = pool._with_kernel(_pool_py)[0](Thing, 3, max_capacity=9, growth=2)
    r = rng(5)
    held = ([], [])
    for step in range(400):
        op = r.randrange(4)
        pick = r.randrange(1000)
        out = []
        for k, p in enumerate((pv, pp)):
            h = held[k]
            if op == 0:
                o = p.try_acquire()
                out.append(None if o is None else p._slot_of(o))
                if o is not None:
                    h.append(o)
            elif op == 1:
                try:
                    o = p.acquire()
                    h.append(o)
                    out.append(p._slot_of(o))
                except AllocError:
                    out.append("full")
            elif h:
                o = h.pop(pick % len(h))
                out.append(p._slot_of(o))
                p.release(o)
        what = ("try_acquire", "acquire", "release", "release")[op]
        ctx = "step %d %s: viper vs pure" % (step, what)
        eq(out[:len(out) // 2], out[len(out) // 2:], ctx + " result (slot)")
        eq(list(pv._m), list(pp._m), ctx + " _m")
        eq(pv.stats(), pp.stats(), ctx + " stats()")


class _StandInLock:
    # The lock interface _thread's lock offers, for lanes without _thread (boards).
    def __init__(self):
        self.held = 0

    def acquire(self):
        self.held += 1
        return True

    def release(self):
        self.held -= 1


def test_locked_wrappers_no_heap_frame():
    from mpalloc._pool_cold import locked

    # locked=True wraps each kernel closure in try/finally: that handler enlarges the
    # frame, which must stay off the heap. Run on every lane with a stand-in lock (a
    # board without _thread never builds the wrappers itself).
    for cls in classes():
        p = cls(Thing, 2, reset=lambda o: None)
        lk = _StandInLock()
        locked(p, lk)
        a = no_alloc(p.acquire)
        assert lk.held == 0 and no_alloc(p.release, a) is None and lk.held == 0
        b = no_alloc(p.try_acquire)
        c = no_alloc(p.try_acquire)
        assert no_alloc(p.try_acquire) is None and lk.held == 0, cls.KERNEL
        p.release(b)
        p.release(c)
        raises(ValueError, p.release, c)  # the lock is released on an error too
        assert lk.held == 0 and p.available() == 2


def worker(p, tid, iters, owner, held, results):
    try:
        got = 0
        n = 0
        r = 12345 + tid
        for _ in range(iters):
            r = (r * 1103515245 + 12345) & 0x3FFFFFFF
            if n < len(held) and (n == 0 or r & 1):
                o = p.try_acquire()
                if o is None:
                    continue
                assert owner[o.idx] == 0, ("handed out twice", o.idx, owner[o.idx], tid)
                owner[o.idx] = tid
                o.x = tid
                held[n] = o
                n += 1
                got += 1
            else:
                n -= 1
                o = held[n]
                held[n] = None
                assert o.x == tid and owner[o.idx] == tid
                owner[o.idx] = 0
                p.release(o)
        while n:
            n -= 1
            o = held[n]
            held[n] = None
            owner[o.idx] = 0
            p.release(o)
        results[tid - 1] = got
    except BaseException as e:  # noqa: B036 - report anything to the main thread
        results[tid - 1] = repr(e)


def test_locked_two_threads():
    need_threads()
    iters = 4000 if RUNTIME == "unix-pure" else 10000
    Thing.made = -1  # idx 0..7 for the pool's objects
    p = ObjectPool(Thing, 8, locked=True)
    owner = bytearray(9)
    results = [None, None]
    run_threads(worker, [(p, t, iters, owner, [None] * 6, results) for t in (1, 2)])
    for r in results:
        assert isinstance(r, int) and r > 0, results
    st = p.stats()
    assert st["in_use"] == 0 and st["free"] == 8, st
    assert st["allocs"] == results[0] + results[1], (st, results)
    assert owner == bytearray(9)
