"""Viper kernels for ``mpalloc.memops`` (twin of ``_memops_py``).

Word-wide (4 bytes per store) where both ends share alignment. Every function
checks its bounds first (ValueError from the cold helper ``_oob``).
"""

import micropython

NAME = "viper"

from mpalloc._util import need_bytes as _need_bytes  # noqa: E402

_len = len


def _oob(name, off, n, size):
    raise ValueError("memops.%s: range %d..%d+%d outside a buffer of %d bytes; "
                     "nothing changed" % (name, off, off, n, size))


@micropython.viper
def fill(buf, value: int, off: int, n: int):
    """Set ``buf[off:off+n]`` to byte ``value``. O(n), no allocation, IRQ-safe."""
    size = int(_len(buf))
    if off < 0 or n < 0 or off + n > size:
        _oob("fill", off, n, size)
    a = int(ptr8(buf)) + off
    e = a + n
    v = value & 0xFF
    while a < e and (a & 3):
        ptr8(a)[0] = v
        a += 1
    w = v | (v << 8)
    w |= w << 16
    e4 = e - 15
    while a < e4:
        p = ptr32(a)
        p[0] = w
        p[1] = w
        p[2] = w
        p[3] = w
        a += 16
    while a + 3 < e:
        ptr32(a)[0] = w
        a += 4
    while a < e:
        ptr8(a)[0] = v
        a += 1


@micropython.viper
def copy(dst, doff: int, src, soff: int, n: int):
    """Copy ``src[soff:soff+n]`` to ``dst[doff:]``; overlap-safe (memmove).

    O(n), no allocation, IRQ-safe.
    """
    dsz = int(_len(dst))
    ssz = int(_len(src))
    if doff < 0 or n < 0 or doff + n > dsz:
        _oob("copy", doff, n, dsz)
    if soff < 0 or soff + n > ssz:
        _oob("copy", soff, n, ssz)
    d = int(ptr8(dst)) + doff
    s = int(ptr8(src)) + soff
    if d == s or n == 0:
        return
    if d < s or d >= s + n:
        # forward
        e = d + n
        if ((d ^ s) & 3) == 0:
            while d < e and (d & 3):
                ptr8(d)[0] = ptr8(s)[0]
                d += 1
                s += 1
            e16 = e - 15
            while d < e16:
                dp = ptr32(d)
                sp = ptr32(s)
                dp[0] = sp[0]
                dp[1] = sp[1]
                dp[2] = sp[2]
                dp[3] = sp[3]
                d += 16
                s += 16
            while d + 3 < e:
                ptr32(d)[0] = ptr32(s)[0]
                d += 4
                s += 4
        while d < e:
            ptr8(d)[0] = ptr8(s)[0]
            d += 1
            s += 1
        return
    # backward (dst above an overlapping src)
    b = d
    d += n
    s += n
    if ((d ^ s) & 3) == 0:
        while d > b and (d & 3):
            d -= 1
            s -= 1
            ptr8(d)[0] = ptr8(s)[0]
        b16 = b + 15
        while d > b16:
            d -= 16
            s -= 16
            dp = ptr32(d)
            sp = ptr32(s)
            dp[3] = sp[3]
            dp[2] = sp[2]
            dp[1] = sp[1]
            dp[0] = sp[0]
        while d - 3 > b:
            d -= 4
            s -= 4
            ptr32(d)[0] = ptr32(s)[0]
    while d > b:
        d -= 1
        s -= 1
        ptr8(d)[0] = ptr8(s)[0]


@micropython.viper
def compare(a, b, n: int) -> int:
    """-1, 0 or 1 as ``a[:n]`` sorts before, equal to or after ``b[:n]`` (memcmp).

    O(n), no allocation, IRQ-safe.
    """
    asz = int(_len(a))
    bsz = int(_len(b))
    if n < 0 or n > asz or n > bsz:
        _oob("compare", 0, n, asz if asz < bsz else bsz)
    p = int(ptr8(a))
    q = int(ptr8(b))
    i = 0
    if ((p ^ q) & 3) == 0:
        while i < n and ((p + i) & 3):
            if ptr8(p)[i] != ptr8(q)[i]:
                break
            i += 1
        if i < n and ((p + i) & 3) == 0:
            pw = ptr32(p + i)
            qw = ptr32(q + i)
            k = 0
            nw = (n - i) >> 2
            while k < nw and pw[k] == qw[k]:
                k += 1
            i += k << 2
    pb = ptr8(p)
    qb = ptr8(q)
    while i < n:
        x = pb[i]
        y = qb[i]
        if x != y:
            return -1 if x < y else 1
        i += 1
    return 0


def _find_kernel():
    # find as a closure: it names no module global (a viper function that does swaps
    # the globals dict on every call) and checks each buffer object once.
    # docs/design.md#family-memops
    ln = len
    need = _need_bytes
    last = None  # the last buffer that passed the check (kept alive by this reference)

    def check(buf):
        nonlocal last
        need(buf, "memops.find")
        last = buf

    @micropython.viper
    def find(buf, byte: int) -> int:
        """Index of the first ``byte`` in ``buf``, or -1. O(n), no allocation, IRQ-safe.
        TypeError for a non-buffer or items wider than a byte (as the pure twin)."""
        if buf is not last:
            check(buf)
        n = int(ln(buf))
        p = int(ptr8(buf))
        v = byte & 0xFF
        i = 0
        while i < n and ((p + i) & 3):
            if ptr8(p)[i] == v:
                return i
            i += 1
        ones = 0x01010101
        high = ones << 7
        pat = v * ones
        w = ptr32(p + i)
        k = 0
        nw = (n - i) >> 2
        while k < nw:
            x = int(w[k]) ^ pat
            if ((x - ones) & (x ^ -1) & high) != 0:
                break
            k += 1
        i += k << 2
        pb = ptr8(p)
        while i < n:
            if pb[i] == v:
                return i
            i += 1
        return -1

    return find


find = _find_kernel()
