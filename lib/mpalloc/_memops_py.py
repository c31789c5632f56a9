"""Pure-Python twin of ``_memops_viper``: the same ``find``, built the same way.

On C idioms (``bytes.find``): each call allocates the needle, and a copy of a buffer
that is not ``bytes``.
"""

from mpalloc._util import need_bytes as _need_bytes

NAME = "py"


def _find_kernel():
    # As the viper twin: a closure that checks each buffer object once.
    need = _need_bytes
    last = None  # the last buffer that passed the check (kept alive by this reference)

    def check(buf):
        nonlocal last
        need(buf, "memops.find")
        last = buf

    def find(buf, byte):
        """Index of the first ``byte`` in ``buf``, or -1. Allocates (see above).
        TypeError for a non-buffer or items wider than a byte (as the viper twin)."""
        if buf is not last:
            check(buf)
        if type(buf) is not bytes:
            buf = bytes(buf)
        return buf.find(bytes((byte & 0xFF,)))

    return find


find = _find_kernel()
