"""Shared pure-Python ``find`` and ``readline_into`` of the byte queues (internal).

Used by the pure twins ``_ring_py`` (ByteRing) and ``_bytebuf_py`` (ByteDeque), one copy
for both. Each queue class provides, as class attributes of its kernel: ``_scan(byte, i,
stop)`` (offset of the first ``byte`` among the waiting bytes i..stop-1, or -1) and
``_readk(buf, n)`` (the unguarded kernel readinto); its pure twin keeps readline_into's
scan memory in ``self._ls``: ``(count << 8) | delim``, the first ``count`` waiting bytes
hold no ``delim`` (0 after any other consuming call). Few locals on purpose
(docs/design.md#heap-frames).
"""

def find(self, byte, start=0):
    """Consumer: offset of the first ``byte`` among the waiting bytes at or after
    ``start``, or -1. No allocation, IRQ-safe; O(bytes examined)."""
    if byte < 0 or byte > 255 or start < 0:
        self._bad(0, byte, start)  # ValueError (cold path)
    return self._scan(byte, start, len(self))


def readline_into(self, buf, delim=10):
    """Consumer: move one complete line (up to and including ``delim``) into ``buf``;
    return its length, 0 when none is complete (nothing consumed), -len(buf) when the
    line is longer than buf (buf filled, that much consumed). Bytes examined without
    finding ``delim`` are remembered, so a line arriving piecemeal is scanned once.
    No allocation, IRQ-safe; O(bytes examined + line length)."""
    if buf is not self._rl:
        self._rchk(buf)  # new buffer object: check its type once (cold path)
    if not len(buf) or delim < 0 or delim > 255:
        self._bad(1, len(buf), delim)  # ValueError (cold path)
    n = len(self)
    if n > len(buf):
        n = len(buf)  # bytes to look at
    i = self._ls >> 8 if (self._ls & 255) == delim else 0
    i = self._scan(delim, i if i < n else n, n)
    if i >= 0:
        return self._readk(buf, i + 1)
    if n == len(buf):  # no delim in the first len(buf) bytes: the line goes on
        return -self._readk(buf, n)
    self._ls = ((n if n < 0x3FFFFF else 0x3FFFFF) << 8) | delim
    return 0
