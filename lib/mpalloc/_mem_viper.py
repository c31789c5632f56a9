"""Viper byte-copy kernel (twin of ``_mem_py``).

Used where C ``memcpy`` cannot be reached without allocating: a right-hand
slice (``dst[a:b] = src[c:d]``) builds a memoryview, so copies *out of* a
buffer at an offset run here. Word-wide when both ends share alignment.
"""

import micropython

NAME = "viper"


@micropython.viper
def copy(dst, doff: int, src, soff: int, n: int):
    """Copy ``n`` bytes from ``src[soff:]`` to ``dst[doff:]``; regions must not overlap.

    No allocation, IRQ-safe; caller checks bounds. O(n).
    """
    d = ptr8(dst)
    s = ptr8(src)
    da = int(d) + doff
    sa = int(s) + soff
    i = 0
    if ((da ^ sa) & 3) == 0:
        # Bring both to a word boundary, then move 4 bytes per step.
        while i < n and ((da + i) & 3) != 0:
            d[doff + i] = s[soff + i]
            i += 1
        words = (n - i) >> 2
        dw = ptr32(da + i)
        sw = ptr32(sa + i)
        w = 0
        while w < words:
            dw[w] = sw[w]
            w += 1
        i += words << 2
    while i < n:
        d[doff + i] = s[soff + i]
        i += 1
