from mpalloc import _memops_py, memops
from support import (
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


def test_differential_random():
    r = rng(6)
    for _ in range(400):
        n = r.randrange(0, 80)
        base = _rand(r, n)
        off = r.randrange(0, n + 1)
        cnt = r.randrange(0, n - off + 1)
        soff = r.randrange(0, n + 1)
        c2 = min(cnt, n - soff)
        v = r.getrandbits(8)
        other = bytearray(base)
        if n and r.getrandbits(1):
            other[r.randrange(0, n)] ^= 1 << r.randrange(8)
        m = r.randrange(0, n + 1)
        results = []
        for k in KERNELS:
            a = bytearray(base)
            k.copy(a, off, a, soff, c2)  # overlapping, either direction
            b = bytearray(base)
            src = bytearray(other)
            k.copy(b, off, src, soff, c2)  # separate buffers
            f = bytearray(base)
            k.fill(f, v, off, cnt)
            results.append((bytes(a), bytes(b), bytes(f), k.compare(base, other, m),
                            k.find(base, v)))
        # Against plain Python semantics as well as each other.
        a = bytearray(base)
        a[off:off + c2] = bytes(base[soff:soff + c2])
        b = bytearray(base)
        b[off:off + c2] = bytes(other[soff:soff + c2])
        f = bytearray(base)
        f[off:off + cnt] = bytes([v]) * cnt
        x, y = bytes(base[:m]), bytes(other[:m])
        want = (bytes(a), bytes(b), bytes(f), 0 if x == y else (-1 if x < y else 1),
                base.find(bytes([v])))
        for got in results:
            assert got == want, (n, off, soff, cnt, m)


def test_bounds_errors_leave_buffers_unchanged():
    for k in KERNELS:
        buf = bytearray(b"0123456789")
        e = raises(ValueError, k.fill, buf, 1, 8, 3)
        has_numbers(e, 8, 3, 10)
        raises(ValueError, k.fill, buf, 1, -1, 2)
        raises(ValueError, k.copy, buf, 0, bytearray(4), 2, 3)
        raises(ValueError, k.copy, buf, 9, buf, 0, 2)
        raises(ValueError, k.compare, buf, b"12", 3)
        assert buf == bytearray(b"0123456789")


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


def _kernels_no_alloc(k, a, b):
    k.fill(a, 5, 3, 40)
    k.copy(a, 1, a, 0, 60)
    k.copy(a, 0, b, 3, 50)
    return k.compare(a, b, 64)


def test_viper_kernels_no_alloc():
    if _memops_viper is None:
        skip("no viper kernel on this runtime")
    a = bytearray(64)
    b = bytearray(64)
    assert no_alloc(_kernels_no_alloc, _memops_viper, a, b) in (-1, 0, 1)
