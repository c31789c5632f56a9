"""Pure-Python byte-copy kernel (twin of ``_mem_viper``)."""

import sys as _sys

NAME = "py"


def copy(dst, doff, src, soff, n):
    """Copy ``n`` bytes from ``src[soff:]`` to ``dst[doff:]``; regions must not overlap.

    No allocation; caller checks bounds. O(n), one Python step per byte.
    """
    # Arguments reused as loop state: a frame over ~11 words would come from the heap.
    soff -= doff
    n += doff
    while doff < n:
        dst[doff] = src[doff + soff]
        doff += 1


if _sys.implementation.name == "circuitpython":
    # CircuitPython range-checks byte stores (OverflowError for -1 into a bytearray),
    # so a signed 'b' source copies as its raw bytes only when masked.

    def copy(dst, doff, src, soff, n):  # noqa: F811
        """As the loop above, each byte masked to 0..255 (CircuitPython only)."""
        soff -= doff
        n += doff
        while doff < n:
            dst[doff] = src[doff + soff] & 0xFF
            doff += 1


elif _sys.implementation.name == "cpython":
    # CPython (a simulation host: allocation is free there): copy raw bytes, so a signed
    # 'b' array copies like on MicroPython instead of raising for a negative item.

    def copy(dst, doff, src, soff, n):  # noqa: F811
        """As the loop above, as raw bytes (CPython only)."""
        memoryview(dst).cast("B")[doff:doff + n] = memoryview(src).cast("B")[soff:soff + n]
