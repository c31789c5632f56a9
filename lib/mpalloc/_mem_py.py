"""Pure-Python byte-copy kernel (twin of ``_mem_viper``)."""

import sys as _sys

NAME = "py"


def copy(dst, doff, src, soff, n):
    """Copy ``n`` bytes from ``src[soff:]`` to ``dst[doff:]``; regions must not overlap.

    No allocation; caller checks bounds. O(n), one Python step per byte.
    """
    # Arguments reused as loop state (docs/design.md#heap-frames).
    soff -= doff
    n += doff
    while doff < n:
        dst[doff] = src[doff + soff]
        doff += 1


if _sys.implementation.name == "circuitpython":
    # CircuitPython range-checks byte stores (OverflowError for -1 into a bytearray,
    # for 255 into a signed 'b' array), so raw bytes copy only when masked to 0..255, and
    # into a signed destination as -128..127.
    try:
        import io as _io

        _FF = _io.BytesIO(b"\xff")
    except (ImportError, AttributeError):
        _FF = None

    def copy(dst, doff, src, soff, n):  # noqa: F811
        """As the loop above, each byte masked to 0..255 (CircuitPython only)."""
        if type(dst) is not bytearray and _signed(dst):
            _copy_signed(dst, doff, src, soff, n)
            return
        soff -= doff
        n += doff
        while doff < n:
            dst[doff] = src[doff + soff] & 0xFF
            doff += 1

    def _copy_signed(dst, doff, src, soff, n):
        soff -= doff
        n += doff
        while doff < n:
            dst[doff] = ((src[doff + soff] + 128) & 0xFF) - 128
            doff += 1

    def _signed(dst):
        # A signed byte array (or a view of one): the raw byte 0xff reads back as -1.
        # Item 0 is put back as it was.
        if not len(dst) or _FF is None:
            return False
        x = dst[0]
        if x < 0:
            return True
        _FF.seek(0)
        _FF.readinto(dst)
        s = dst[0] < 0
        dst[0] = x
        return s


elif _sys.implementation.name == "cpython":
    # CPython (a simulation host: allocation is free there): copy raw bytes, so a signed
    # 'b' array copies like on MicroPython instead of raising for a negative item.

    def copy(dst, doff, src, soff, n):  # noqa: F811
        """As the loop above, as raw bytes (CPython only)."""
        memoryview(dst).cast("B")[doff:doff + n] = memoryview(src).cast("B")[soff:soff + n]
