from mpalloc import _pool_py, pool
from mpalloc.errors import AllocError
from mpalloc.pool import STRATEGIES, BlockPool
from support import (
    RUNTIME,
    eq,
    expected_kernel,
    has_numbers,
    message,
    no_alloc,
    raises,
    rng,
    skip,
    viper_kernel,
)

_pool_viper = viper_kernel("_pool_viper")

LIMIT = 1 << 30


def classes():
    return [BlockPool] + [pool._with_kernel(k)[1] for k in (_pool_viper, _pool_py)
                          if k is not None]


def state(bp):
    return (list(bp._m), bytes(bp._data), sorted(bp.stats().items()))


class Model:
    """What each strategy must hand out next."""

    def __init__(self, count, strategy):
        self.s = strategy
        self.free = list(range(count))  # lifo: top at the end; fifo: head at 0
        if strategy == "lifo":
            self.free.reverse()

    def alloc(self):
        if not self.free:
            return -1
        if self.s == "lifo":
            return self.free.pop()
        if self.s == "fifo":
            return self.free.pop(0)
        i = min(self.free)
        self.free.remove(i)
        return i

    def release(self, i):
        self.free.append(i)


def test_kernel_expected():
    assert pool.KERNEL == expected_kernel(), (pool.KERNEL, RUNTIME)
    assert BlockPool.KERNEL == pool.KERNEL
    assert pool._with_kernel(_pool_py)[1](8, 4).KERNEL == "py"


def test_strategy_orders():
    for cls in classes():
        for s in STRATEGIES:
            bp = cls(8, 6, strategy=s)
            m = Model(6, s)
            got = [bp.alloc() for _ in range(6)]
            assert got == [m.alloc() for _ in range(6)] == list(range(6)), (s, got)
            assert bp.try_alloc() == -1
            for i in (4, 1, 3):
                bp.free(i)
                m.release(i)
            got = [bp.try_alloc() for _ in range(4)]
            want = [m.alloc() for _ in range(4)]
            assert got == want, (s, got, want)
        assert [cls(8, 4, strategy="lifo").try_alloc() for _ in range(1)] == [0]


def test_model_random_each_strategy():
    for cls in classes():
        for s in STRATEGIES:
            for count in (1, 15, 16, 17, 40):
                bp = cls(4, count, strategy=s)
                m = Model(count, s)
                live = []
                r = rng(count * 7 + len(s))
                for step in range(600):
                    op = r.randrange(5)
                    if op < 2 or not live:
                        i = bp.try_alloc()
                        assert i == m.alloc(), (s, count, step, i)
                        if i >= 0:
                            assert bp.used(i)
                            bp.write(i, bytes((i & 0xFF,)) * 4)
                            live.append(i)
                    elif op == 4:
                        # misuse: double free or bad index, state intact
                        bad = r.choice((-1, count, count + 5)) if not m.free \
                            else r.choice(m.free)
                        before = state(bp)
                        assert bp.try_free(bad) is False
                        raises(ValueError, bp.free, bad)
                        assert state(bp) == before
                    else:
                        i = live.pop(r.randrange(len(live)))
                        buf = bytearray(4)
                        assert bp.readinto(i, buf) == 4 and buf == bytes((i & 0xFF,)) * 4
                        assert bp.try_free(i) is True
                        assert not bp.used(i)
                        m.release(i)
                    st = bp.stats()
                    assert st["in_use"] == len(live) == count - len(m.free)
                    assert st["allocs"] - st["frees"] == len(live)
                    assert max(bp._m) < LIMIT


def test_errors_name_the_numbers_and_keep_state():
    for cls in classes():
        for s in STRATEGIES:
            bp = cls(16, 3, strategy=s)
            a = bp.alloc()
            bp.alloc()
            bp.alloc()
            before = state(bp)
            e = raises(AllocError, bp.alloc)
            has_numbers(e, 3, 16)
            assert bp.stats()["failures"] == 1
            bp.free(a)
            before = state(bp)
            e = raises(ValueError, bp.free, a)
            has_numbers(e, a, 2, 3)
            assert "double free" in message(e)
            e = raises(ValueError, bp.free, 3)
            has_numbers(e, 3, 2)
            assert "out of range" in message(e)
            raises(ValueError, bp.free, -1)
            raises(TypeError, bp.free, "1")
            raises(TypeError, bp.free, None)
            assert state(bp) == before
            raises(ValueError, bp.view, a)
            raises(ValueError, bp.view, 9)
            assert bp.write(a, b"x") == -1 and bp.readinto(a, bytearray(2)) == -1
            raises(TypeError, bp.write, 1, "text")
            raises(TypeError, bp.readinto, 1, b"ro")
            raises(TypeError, bp.readinto, 1, memoryview(b"ro"))
            assert state(bp) == before


def test_view_write_readinto():
    for cls in classes():
        bp = cls(8, 4)
        i = bp.alloc()
        j = bp.alloc()
        v = bp.view(i)
        assert len(v) == 8
        v[:] = b"ABCDEFGH"
        assert bp.write(j, b"0123456789") == 8  # longer than the block: truncated
        out = bytearray(10)
        assert bp.readinto(j, out) == 8 and bytes(out[:8]) == b"01234567"
        small = bytearray(3)
        assert bp.readinto(i, small) == 3 and small == bytearray(b"ABC")
        assert bp.write(i, b"xy") == 2 and bytes(bp.view(i)) == b"xyCDEFGH"
        assert bytes(bp.view(j)) == b"01234567"
        mv = memoryview(bytearray(8))
        assert bp.readinto(i, mv) == 8 and bytes(mv) == b"xyCDEFGH"


def test_poison_detects_use_after_free():
    for cls in classes():
        for s in STRATEGIES:
            bp = cls(8, 4, strategy=s, poison=0xA5)
            assert bytes(bp._data) == b"\xa5" * 32
            i = bp.alloc()
            stale = bp.view(i)
            bp.write(i, b"live data")
            bp.free(i)
            assert bytes(bp._data[i * 8:i * 8 + 8]) == b"\xa5" * 8  # poisoned on free
            stale[3] = 0x41  # a write through a stale view: use after free
            # drain the other blocks first so that i is next for every strategy
            others = [bp.alloc() for _ in range(3)] if s == "fifo" else []
            before = bp.stats()
            e = raises(ValueError, bp.alloc)
            has_numbers(e, i, 3)
            assert "after" in message(e) and "0x41" in message(e)
            after = bp.stats()
            assert after["in_use"] == before["in_use"]
            assert after["allocs"] == before["allocs"]
            assert not bp.used(i)
            assert bytes(bp._data[i * 8:i * 8 + 8]) == b"\xa5" * 8  # re-poisoned
            assert bp.alloc() == i  # works again
            bp.free(i)
            # try_alloc cannot raise: it counts the hit and hands the block out
            stale[0] = 0
            assert bp.try_alloc() == i
            st = bp.stats()
            assert st["poison_hits"] == 2 and st["last_poison_hit"] == i
            for o in others:
                bp.free(o)


def check_no_alloc(bp):
    i = no_alloc(bp.try_alloc)
    assert i >= 0
    assert no_alloc(bp.used, i) is True
    assert no_alloc(bp.write, i, b"abc") == 3
    buf = bytearray(4)
    assert no_alloc(bp.readinto, i, buf) == 4
    assert no_alloc(bp.try_free, i) is True
    assert no_alloc(bp.try_free, i) is False
    assert no_alloc(bp.try_free, -1) is False
    assert no_alloc(bp.try_free, 1 << 20) is False
    assert no_alloc(bp.available) == bp.count and no_alloc(bp.in_use) == 0
    for _ in range(bp.count):
        assert no_alloc(bp.try_alloc) >= 0
    assert no_alloc(bp.try_alloc) == -1
    for k in range(bp.count):
        assert no_alloc(bp.try_free, k)
    j = no_alloc(bp.alloc)
    no_alloc(bp.free, j)


def test_no_alloc_methods():
    if RUNTIME == "cpython":
        skip("heap_lock is MicroPython only")
    for cls in classes():
        for s in STRATEGIES:
            check_no_alloc(cls(16, 20, strategy=s))
            check_no_alloc(cls(16, 20, strategy=s, poison=0xDD))


def test_bitmap_many_blocks_compact():
    for cls in classes():
        bp = cls(1, 1000, strategy="bitmap")
        assert len(bp._m) == 10 + 63  # 1 bit per block, 16 per word
        hs = [bp.alloc() for _ in range(1000)]
        assert hs == list(range(1000)) and bp.try_alloc() == -1
        for i in (999, 500, 17, 16):
            bp.free(i)
        assert [bp.alloc() for _ in range(4)] == [16, 17, 500, 999]
        lifo = cls(1, 1000)
        assert len(lifo._m) == 10 + 1000


def test_stats_and_repr():
    for cls in classes():
        bp = cls(32, 4, strategy="fifo")
        a = bp.alloc()
        bp.alloc()
        bp.free(a)
        st = bp.stats()
        assert st["allocs"] == 2 and st["frees"] == 1 and st["in_use"] == 1
        assert st["peak"] == 2 and st["free"] == 3 and st["capacity"] == 4
        assert "fifo" in repr(bp)


def test_bad_constructor_args():
    for args, kw, exc in (
        ((0, 4), {}, ValueError),
        ((8, 0), {}, ValueError),
        ((8, -1), {}, ValueError),
        ((8.0, 4), {}, TypeError),
        ((8, 4), {"strategy": "best"}, ValueError),
        ((8, 4), {"poison": 256}, ValueError),
        ((1 << 20, 1 << 11), {}, ValueError),
    ):
        e = raises(exc, BlockPool, *args, **kw)
        assert message(e)


def test_twins_agree():
    if _pool_viper is None:
        skip("only the pure kernel loads on " + RUNTIME + ": nothing to compare")
    for s in STRATEGIES:
        pv = pool._with_kernel(_pool_viper)[1](4, 37, strategy=s)
        pp = pool._with_kernel(_pool_py)[1](4, 37, strategy=s)
        r = rng(11)
        for step in range(800):
            i = r.randrange(-2, 40)
            if r.randrange(2):
                op = "try_alloc"
                got = (pv.try_alloc(), pp.try_alloc())
            else:
                op = "try_free(%d)" % i
                got = (pv.try_free(i), pp.try_free(i))
            if i % 7 == 0:
                op += ", used(%d)" % i
                got += (pv.used(i), pp.used(i))
            eq((got[0],) + got[2:3], (got[1],) + got[3:],
               "%s step %d %s: viper vs pure result" % (s, step, op))
            eq(list(pv._m), list(pp._m), "%s step %d %s: viper vs pure _m" % (s, step, op))


def test_closures_keep_their_pool_alive():
    # try_alloc/try_free/used are closures over the metadata's raw address: each must
    # keep the pool's metadata alive on its own (an IRQ handler often keeps only them).
    import gc

    for s in STRATEGIES:
        for cls in classes():
            bp = cls(8, 5, strategy=s)
            alloc, free, used = bp.try_alloc, bp.try_free, bp.used
            del bp
            gc.collect()
            junk = [bytearray(48) for _ in range(100)]  # reuse of freed memory would show
            got = [alloc() for _ in range(6)]
            assert sorted(got[:5]) == [0, 1, 2, 3, 4] and got[5] == -1, (s, cls, got)
            assert used(got[0]) and free(got[0]) and not used(got[0]), (s, got)
            assert not free(got[0]) and alloc() == got[0], (s, got)
            del junk
