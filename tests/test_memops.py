from mpalloc import _memops_py, memops
from support import (
    RUNTIME,
    eq,
    expected_kernel,
    no_alloc,
    raises,
    rng,
    skip,
    viper_kernel,
)

_memops_viper = viper_kernel("_memops_viper")

KERNELS = [_memops_py] + ([_memops_viper] if _memops_viper is not None else [])


def test_kernel_matches_runtime():
    assert memops.KERNEL == expected_kernel(), (memops.KERNEL, RUNTIME)
    assert (_memops_viper is not None) == (expected_kernel() == "viper")
    # Only what beats the builtin idioms is exported (see tools/bench_memops.py).
    assert hasattr(memops, "find")
    assert not hasattr(memops, "fill") and not hasattr(memops, "copy")


def _rand(r, n):
    return bytearray(r.getrandbits(8) for _ in range(n))


def test_find_basic():
    for k in KERNELS:
        assert k.find(b"", 10) == -1
        assert k.find(b"abc\n", 10) == 3
        assert k.find(bytearray(b"\nx"), 10) == 0
        assert k.find(bytearray(100), 1) == -1
        buf = bytearray(100)
        for i in (0, 1, 3, 4, 5, 31, 32, 99):
            buf[i] = 7
            assert k.find(buf, 7) == i, (k.NAME, i)
            buf[i] = 0
        assert k.find(b"\x80\xff", 0xFF) == 1
        assert k.find(memoryview(b"xyz")[1:], ord("z")) == 1


def test_each_buffer_checked_once_still_refuses_the_wrong_ones():
    # find remembers the last buffer that passed its check: a different object is
    # checked again, so a wide array after a good buffer still raises, and the good one
    # still works after the refusal.
    from array import array

    good = bytearray(b"ab\n")
    wide = array("h", [10, 10])
    for k in KERNELS:
        for _ in range(2):
            eq(k.find(good, 10), 2, (k.NAME, "good"))
            raises(TypeError, k.find, wide, 10)
            raises(TypeError, k.find, "ab\n", 10)
            eq(k.find(good, 10), 2, (k.NAME, "good again"))


def test_twins_agree_on_random_buffers():
    # find on both kernels, against bytes.find as well: every alignment, hit or miss,
    # bytes/bytearray/memoryview/array('B'), byte values with the high bit set.
    from array import array

    if _memops_viper is None:
        skip("no viper kernel on %s: only the pure twin runs here, nothing to compare it "
             "with" % RUNTIME)
    r = rng(6)
    for step in range(400):
        n = r.randrange(0, 80)
        base = _rand(r, n)
        v = r.choice((r.getrandbits(8), base[r.randrange(n)] if n else 0))
        want = bytes(base).find(bytes([v]))
        off = r.randrange(0, 4)
        for kind, buf in (("bytes", bytes(base)), ("bytearray", base),
                          ("memoryview", memoryview(bytearray(off) + base)[off:]),
                          ("array", array("B", base))):
            eq(_memops_py.find(buf, v), want, (step, "pure find", kind, v, n))
            eq(_memops_viper.find(buf, v), want, (step, "viper find", kind, v, n))


def _find_loop(buf, k):
    find = memops.find
    s = 0
    for _ in range(k):
        s += find(buf, 10)
    return s


def test_find_no_alloc():
    if memops.KERNEL != "viper":
        skip("the pure twin builds a needle / copy (documented)")
    buf = bytearray(b"x" * 200 + b"\n")
    eq(no_alloc(_find_loop, buf, 10), 2000, "_find_loop")
