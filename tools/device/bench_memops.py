# tools/bench cases for mpalloc.memops (imported by bench_mp.py): memops.find against
# bytearray.find (the C idiom it replaces), at 64 bytes and at 1 KiB, and the viper kernel
# against its pure twin. (fill/copy/compare lost to the C idioms and were removed.)
from bench_kit import kernel_module, ticks_diff, ticks_us

from mpalloc import memops


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
        pre = "memops_%d_" % k
        hay = bytearray(b"x" * (k - 1) + b"\n")
        add(pre + "find", 23, "memops.find(buf, 10), %d B, hit at the end [%s]"
            % (k, memops.KERNEL), t_find, hay, None, baseline=pre + "find_c", target=1.0,
            summary="memops" if k == 64 else None)
        add(pre + "find_c", 23, "buf.find(b'\\n') (bytearray.find, C)", t_find_c, hay,
            b"\n", note="no allocation (needle preallocated)")
    # Kernel vs pure twin (>= 2x required to keep the kernel): find, 64 B.
    hay = bytearray(b"x" * 63 + b"\n")
    for kind in ("viper", "py"):
        kmod, why = kernel_module("_memops_" + kind)
        add("memops_find_64", 24, "memops.find, 64 B", t_find_k,
            kmod.find if kmod is not None else None, hay, note=why,
            kernel=kind)
