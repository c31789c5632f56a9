# tools/bench cases for mpalloc.memops (imported by bench_mp.py): each kernel function
# against the best builtin idiom it replaces, at 64 bytes and at 1 KiB. Only find wins,
# so memops exports only find; fill/copy/compare are measured from the kernel (memops._k).
import time

from mpalloc import memops

ticks_us = time.ticks_us
ticks_diff = time.ticks_diff


def t_fill(n, buf, k):
    fill = memops._k.fill
    t0 = ticks_us()
    for _ in range(n):
        fill(buf, 0, 3, k)
    return ticks_diff(ticks_us(), t0)


def t_fill_pat(n, buf, pat):
    k = len(pat)
    t0 = ticks_us()
    for _ in range(n):
        buf[3:3 + k] = pat
    return ticks_diff(ticks_us(), t0)


def t_fill_bytes(n, buf, k):
    t0 = ticks_us()
    for _ in range(n):
        buf[3:3 + k] = bytes(k)
    return ticks_diff(ticks_us(), t0)


def t_copy(n, bufs, k):
    dst, src = bufs
    copy = memops._k.copy
    t0 = ticks_us()
    for _ in range(n):
        copy(dst, 3, src, 5, k)
    return ticks_diff(ticks_us(), t0)


def t_copy_mv(n, bufs, k):
    dst, src = bufs
    mv = memoryview(src)
    t0 = ticks_us()
    for _ in range(n):
        dst[3:3 + k] = mv[5:5 + k]
    return ticks_diff(ticks_us(), t0)


def t_compare(n, bufs, k):
    a, b = bufs
    compare = memops._k.compare
    t0 = ticks_us()
    for _ in range(n):
        compare(a, b, k)
    return ticks_diff(ticks_us(), t0)


def t_compare_mv(n, bufs, k):
    a, b = bufs
    ma = memoryview(a)
    mb = memoryview(b)
    t0 = ticks_us()
    for _ in range(n):
        ma[:k] == mb[:k]  # noqa: B015
    return ticks_diff(ticks_us(), t0)


def t_find(n, buf, b):
    find = memops.find
    t0 = ticks_us()
    for _ in range(n):
        find(buf, 10)
    return ticks_diff(ticks_us(), t0)


def t_find_k(n, find, buf):
    t0 = ticks_us()
    for _ in range(n):
        find(buf, 10)
    return ticks_diff(ticks_us(), t0)


def t_find_c(n, buf, needle):
    t0 = ticks_us()
    for _ in range(n):
        buf.find(needle)
    return ticks_diff(ticks_us(), t0)


def add_cases(add):
    for k in (64, 1024):
        buf = bytearray(k + 8)
        pre = "memops_%d_" % k
        add(pre + "fill", 20, "memops.fill(buf, 0, 3, %d) [%s]" % (k, memops.KERNEL),
            t_fill, buf, k, baseline=pre + "fill_pat", target=1.0)
        add(pre + "fill_pat", 20, "buf[3:3+%d] = pat (preallocated pattern)" % k,
            t_fill_pat, buf, bytes(k))
        add(pre + "fill_bytes", 20, "buf[3:3+%d] = bytes(%d)" % (k, k), t_fill_bytes, buf,
            k, baseline=pre + "fill_pat", gc=True, note="allocates the pattern each time")
        pair = (bytearray(k + 8), bytearray(bytes(range(256)) * ((k + 8) // 256 + 1)))
        add(pre + "copy", 21, "memops.copy(dst, 3, src, 5, %d) [%s]" % (k, memops.KERNEL),
            t_copy, pair, k, baseline=pre + "copy_mv", target=1.0)
        add(pre + "copy_mv", 21, "dst[3:3+%d] = mv[5:5+%d] (mv preallocated)" % (k, k),
            t_copy_mv, pair, k, gc=True, note="C memmove; allocates one memoryview per copy")
        eq = (bytearray(k), bytearray(k))
        add(pre + "compare", 22, "memops.compare(a, b, %d), equal [%s]" % (k, memops.KERNEL),
            t_compare, eq, k, baseline=pre + "compare_mv", target=1.0)
        add(pre + "compare_mv", 22, "ma[:%d] == mb[:%d] (views preallocated)" % (k, k),
            t_compare_mv, eq, k, gc=True,
            note="C memcmp; allocates two memoryviews per compare")
        hay = bytearray(b"x" * (k - 1) + b"\n")
        add(pre + "find", 23, "memops.find(buf, 10), %d B, hit at the end [%s]"
            % (k, memops.KERNEL), t_find, hay, None, baseline=pre + "find_c", target=1.0,
            summary="memops" if k == 64 else None)
        add(pre + "find_c", 23, "buf.find(b'\\n') (bytearray.find, C)", t_find_c, hay,
            b"\n", note="no allocation (needle preallocated)")
    # Kernel vs pure twin (>= 2x required to keep the kernel): find, 64 B.
    hay = bytearray(b"x" * 63 + b"\n")
    for kind in ("viper", "py"):
        try:
            kmod = __import__("mpalloc._memops_" + kind, None, None, ("NAME",))
            fn, why = kmod.find, ""
        except (SyntaxError, ImportError, ValueError) as e:
            fn, why = None, repr(e)
        add("memops_find_64_" + kind, 24, "memops.find, 64 B [%s kernel]" % kind,
            t_find_k if fn else None, fn, hay,
            baseline="memops_find_64_py" if kind == "viper" else None,
            target=0.5 if kind == "viper" else None, note=why)
