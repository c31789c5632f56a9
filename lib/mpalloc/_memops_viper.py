"""Viper kernel for ``mpalloc.memops`` (twin of ``_memops_py``): ``find``, scanning a
word (4 bytes) per step where the buffer is word-aligned.
"""

import micropython

from mpalloc._util import need_bytes as _need_bytes

NAME = "viper"


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
