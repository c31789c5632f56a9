"""Pure-Python twin of ``_memops_viper``: same functions and errors.

Built on C idioms (memoryview slice assignment, bytes comparison), so each call
allocates a few small objects (views / copies) but runs at C speed.
"""

from mpalloc._util import need_bytes as _need_bytes

NAME = "py"

_len = len


def _oob(name, off, n, size):
    raise ValueError("memops.%s: range %d..%d+%d outside a buffer of %d bytes; "
                     "nothing changed" % (name, off, off, n, size))


def fill(buf, value, off, n):
    """Set ``buf[off:off+n]`` to byte ``value``. O(n); allocates a pattern of n bytes."""
    size = _len(buf)
    if off < 0 or n < 0 or off + n > size:
        _oob("fill", off, n, size)
    memoryview(buf)[off:off + n] = bytes((value & 0xFF,)) * n


def copy(dst, doff, src, soff, n):
    """Copy ``src[soff:soff+n]`` to ``dst[doff:]``; overlap-safe. Allocates two views."""
    dsz = _len(dst)
    ssz = _len(src)
    if doff < 0 or n < 0 or doff + n > dsz:
        _oob("copy", doff, n, dsz)
    if soff < 0 or soff + n > ssz:
        _oob("copy", soff, n, ssz)
    memoryview(dst)[doff:doff + n] = memoryview(src)[soff:soff + n]


def compare(a, b, n):
    """-1, 0 or 1 as ``a[:n]`` sorts before, equal to or after ``b[:n]``. Allocates copies."""
    asz = _len(a)
    bsz = _len(b)
    if n < 0 or n > asz or n > bsz:
        _oob("compare", 0, n, asz if asz < bsz else bsz)
    x = bytes(memoryview(a)[:n])
    y = bytes(memoryview(b)[:n])
    return 0 if x == y else (-1 if x < y else 1)


def find(buf, byte):
    """Index of the first ``byte`` in ``buf``, or -1. Allocates a copy for non-bytes.
    TypeError for a non-buffer or items wider than a byte (as the viper twin)."""
    if type(buf) is not bytes:
        _need_bytes(buf, "memops.find")
        buf = bytes(buf)
    return buf.find(bytes((byte & 0xFF,)))
