"""Viper byte-copy kernel (twin of ``_mem_py``).

Used where C ``memcpy`` cannot be reached without allocating: a right-hand
slice (``dst[a:b] = src[c:d]``) builds a memoryview, so copies *out of* a
buffer at an offset run here. Its aligned part is the ``copy_aligned`` block, also
inlined (marked SHARED, checked by tests/test_host_drift.py) in the ring kernel, where a
call costs too much per chunk.
"""

import micropython

NAME = "viper"


@micropython.viper
def copy(dst, doff: int, src, soff: int, n: int):
    """Copy ``n`` bytes from ``src[soff:]`` to ``dst[doff:]``; regions must not overlap.

    No allocation, IRQ-safe; caller checks bounds. O(n): 16 bytes per step when both
    ends share word alignment, else 8 by merging aligned source words.
    """
    da = int(ptr8(dst)) + doff
    sa = int(ptr8(src)) + soff
    c = n
    if c >= 16 and (da ^ sa) & 3:
        # No common word alignment: align the destination, then build each destination
        # word from two aligned source words (little-endian); every source word read
        # overlaps the source range, so no read crosses into another region.
        while da & 3:
            ptr8(da)[0] = ptr8(sa)[0]
            da += 1
            sa += 1
            c -= 1
        off = sa & 3
        sh = off << 3
        up = 32 - sh
        mask = (1 << up) - 1
        s0 = sa - off
        lo = (int(ptr32(s0)[0]) >> sh) & mask
        e = da + (c & -8)
        while da < e:
            sw = ptr32(s0)
            dw = ptr32(da)
            hi = int(sw[1])
            dw[0] = lo | (hi << up)
            lo = (hi >> sh) & mask
            hi = int(sw[2])
            dw[1] = lo | (hi << up)
            lo = (hi >> sh) & mask
            da += 8
            s0 += 8
        sa = s0 + off
        c &= 7
    # BEGIN SHARED copy_aligned
    # Copy c bytes from address sa to address da (same address mod 4 when
    # c >= 16); advances both (docs/design.md#copy-words).
    if c >= 16:
        while da & 3:
            ptr8(da)[0] = ptr8(sa)[0]
            da += 1
            sa += 1
            c -= 1
        e = da + (c & -16)
        while da < e:
            dw = ptr32(da)
            sw = ptr32(sa)
            dw[0] = sw[0]
            dw[1] = sw[1]
            dw[2] = sw[2]
            dw[3] = sw[3]
            da += 16
            sa += 16
        c &= 15
    d = ptr8(da)
    s = ptr8(sa)
    j = 0
    while j < c:
        d[j] = s[j]
        j += 1
    da += c
    sa += c
    # END SHARED copy_aligned
