from mpalloc.errors import AllocError, CapacityError, OrderError
from mpalloc.stack import Stack
from support import address, eq, has_numbers, message, no_alloc, raises, rng, skip


def snapshot(s):
    return (len(s), s.used(), s.remaining(), s.top(), bytes(s.buf))


def test_lifo_basics():
    s = Stack(100)
    a = s.alloc(10)
    b = s.alloc(20)
    assert a and b and a != b and len(s) == 2 and s.used() == 30 and s.top() == b
    assert s.offset(a) == 0 and s.offset(b) == 10 and s.size_of(b) == 20
    v = s.view(b)
    assert len(v) == 20
    v[0] = 42
    assert s.buf[10] == 42
    s.free(b)
    s.free(a)
    assert len(s) == 0 and s.used() == 0 and s.top() == 0
    assert s.offset(a) == -1 and s.size_of(b) == -1


def test_out_of_order_names_the_top():
    s = Stack(100)
    a = s.alloc(10)
    b = s.alloc(5)
    c = s.alloc(7, 4)
    before = snapshot(s)
    e = raises(OrderError, s.free, a)
    assert isinstance(e, ValueError)
    text = has_numbers(e, a, c, 7, s.offset(c))
    assert "first" in text
    raises(OrderError, s.free, b)
    assert snapshot(s) == before
    assert not s.try_free(a) and snapshot(s) == before
    s.free(c)
    s.free(b)
    s.free(a)
    e = raises(ValueError, s.free, a)  # double free
    assert not isinstance(e, OrderError) and "double" in message(e)
    raises(ValueError, s.free, 12345)
    raises(ValueError, s.view, a)


def test_stale_handle_not_reused():
    s = Stack(64)
    a = s.alloc(8)
    s.free(a)
    b = s.alloc(8)
    assert b != a
    assert not s.try_free(a) and len(s) == 1
    raises(ValueError, s.free, a)


def test_alignment():
    for align in (1, 2, 4, 8, 16):
        s = Stack(256)
        base = address(s.buf)
        for skew in (1, 3, 5):
            s.reset()
            s.alloc(skew)
            h = s.alloc(9, align)
            p = s.offset(h)
            assert (base + p) % align == 0 and p >= skew and p - skew < align
            s.free(h)
            assert s.used() == skew  # padding returned with the allocation


def test_full_and_depth_errors_change_nothing():
    s = Stack(32, depth=2)
    s.alloc(20)
    before = snapshot(s)
    has_numbers(raises(AllocError, s.alloc, 13), 13, 12, 32)
    assert s.try_alloc(13, 1) == 0
    s.alloc(2)
    before = snapshot(s)
    e = raises(CapacityError, s.alloc, 1)
    has_numbers(e, 2)
    assert snapshot(s) == before
    raises(ValueError, s.alloc, -1)
    raises(ValueError, s.alloc, 1, 3)
    raises(TypeError, s.alloc, 1.5)
    assert snapshot(s) == before
    assert s.stats()["failures"] == 6
    raises(ValueError, Stack, 0)
    raises(ValueError, Stack, 8, depth=0)
    raises(TypeError, Stack, "8")


def test_mark_release():
    s = Stack(128)
    s.alloc(8)
    m = s.mark()
    s.alloc(16)
    s.alloc(4, 8)
    assert s.mark() == 3
    s.release(m)
    assert len(s) == 1 and s.used() == 8
    has_numbers(raises(ValueError, s.release, 3), 3, 1)
    s.release(s.mark())
    assert len(s) == 1
    s.reset()
    assert len(s) == 0 and s.used() == 0


def irq_ops(s, out):
    h1 = s.try_alloc(8, 1)
    h2 = s.try_alloc(8, 8)
    out[0] = s.try_free(h1)  # not on top: False
    out[1] = s.try_free(h2)
    out[2] = s.try_free(h1)
    out[3] = s.try_alloc(1 << 20, 1)  # too big: 0
    m = s.mark()
    s.try_alloc(4, 4)
    s.release(m)
    return s.used()


def test_no_alloc_irq_forms():
    s = Stack(64)
    out = [0] * 4
    assert no_alloc(irq_ops, s, out) == 0
    assert out == [False, True, True, 0]


def test_model_random():
    g = rng(7)
    s = Stack(200, depth=8)
    base = address(s.buf)
    model = []  # (handle, offset, n, tag, pos_before)
    pos = 0
    for step in range(1500):
        op = g.randrange(5)
        if op < 2:
            n = g.choice((0, 1, 5, 16, 40, 90))
            align = g.choice((1, 2, 4, 8))
            p = ((base + pos + align - 1) // align) * align - base
            fits = p + n <= 200 and len(model) < 8
            h = s.try_alloc(n, align)
            assert bool(h) == fits, (step, n, align, pos, h)
            if h:
                tag = 1 + step % 250
                for i in range(p, p + n):
                    s.buf[i] = tag
                model.append((h, p, n, tag, pos))
                pos = p + n
        elif op < 4 and model:
            k = g.randrange(len(model))
            h = model[k][0]
            if k == len(model) - 1:
                s.free(h)
                pos = model.pop()[4]
            else:
                e = raises(OrderError, s.free, h)
                has_numbers(e, model[-1][0])
        elif op == 4 and model and g.randrange(3) == 0:
            k = g.randrange(len(model) + 1)
            s.release(k)
            if k < len(model):
                pos = model[k][4]
            del model[k:]
        assert len(s) == len(model) and s.used() == pos
        for h, p, n, tag, _ in model:
            assert s.offset(h) == p
            for i in range(p, p + n):
                assert s.buf[i] == tag


def _kernels():
    """(viper, pure) stack kernel modules; skips where only the pure one loads."""
    from mpalloc import _stack_py, stack
    from support import RUNTIME, viper_kernel

    kv = viper_kernel("_stack_viper")
    if kv is None:
        skip("only the pure stack kernel loads on " + RUNTIME + ": nothing to compare")
    assert stack._k is kv  # the module picked the viper kernel where it loads
    return kv, _stack_py


def _outcome(fn, *args):
    try:
        return fn(*args)
    except TypeError:
        return "TypeError"


def test_twins_agree():
    # The same calls through the viper and the pure closures give the same results and
    # leave the same table words (handles, offsets, counters); a difference names the
    # step, the call and the words.
    kv, kp = _kernels()
    a, b = Stack(300, depth=6), Stack(300, depth=6)
    b._t[6] = a._t[6]  # the same address low bits (_LOW): aligned offsets must agree
    kv.bind(a)
    kp.bind(b)
    r = rng(23)
    sizes = (0, 1, 7, 64, 99, 150, 299, 300, 301, -1, 1 << 29, 1 << 30, -(1 << 30),
             1 << 64, -(1 << 64) + 8, 2.0, 0.5, True)
    aligns = (1, 2, 4, 8, 64, 4096, 3, 0, -8, 8192, 1 << 64, -(1 << 64) + 8, 4.0, True)
    for step in range(1200):
        op = r.randrange(6)
        if op < 3:
            n = sizes[r.randrange(len(sizes))]
            al = aligns[r.randrange(len(aligns))]
            what = "try_alloc(%r, %r)" % (n, al)
            eq(_outcome(a.try_alloc, n, al), _outcome(b.try_alloc, n, al),
               "step %d %s: viper vs pure result" % (step, what))
        else:
            k = r.randrange(4)
            h = (a.top(), a.top() - 1, a.top() + (1 << 64), float(a.top()))[k]
            what = "try_free(%r)" % (h,)
            eq(_outcome(a.try_free, h), _outcome(b.try_free, h),
               "step %d %s: viper vs pure result" % (step, what))
        eq(list(a._t), list(b._t), "step %d %s: viper vs pure table words" % (step, what))


def test_closures_keep_their_stack_alive():
    # try_alloc/try_free hold the table: kept alone, they must keep working.
    import gc

    s = Stack(64)
    ta, tf = s.try_alloc, s.try_free
    del s
    gc.collect()
    junk = [bytearray(16) for _ in range(200)]  # reuse of freed memory would show
    hs = [ta(16, 1) for _ in range(5)]
    assert hs[4] == 0 and all(hs[:4]), hs
    assert tf(hs[3]) and not tf(hs[0]) and tf(hs[2])
    del junk
