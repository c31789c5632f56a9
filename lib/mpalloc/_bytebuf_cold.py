"""Cold paths of ``mpalloc.bytebuf`` (internal): error messages, ``__repr__``,
``stats``, ``dump``, ``chunks()``. bytebuf imports each name inside the method that
needs it (``from mpalloc._bytebuf_cold import name``), so none of this costs RAM after
importing bytebuf. Never imports bytebuf.
"""

from mpalloc._util import const

# Header words of ByteBuffer/ByteDeque._h (the table is in bytebuf.py).
_N = const(0)  # layout bytebuf
_RP = const(1)  # layout bytebuf
_WP = const(3)  # layout bytebuf
_WE = const(4)  # layout bytebuf
_QH = const(5)  # layout bytebuf
_QC = const(7)  # layout bytebuf
_QL = const(8)  # layout bytebuf
_CS = const(9)  # layout bytebuf
_DROP = const(10)  # layout bytebuf
_HD = const(16)  # layout bytebuf
_FREE = const(1)  # layout slab


# ---- bytebuf --------------------------------------------------------------------------


def bad_buf(who, buf, w):
    # A wrong buffer type (w: the write side), raised before anything changes.
    raise TypeError("%s needs a byte buffer (%s; items of one byte), got %s" % (
        who, "bytes, bytearray, memoryview, array" if w
        else "bytearray, writable memoryview, array", type(buf).__name__))


def bad_slab(who, slab):
    raise TypeError("%s(slab) needs an mpalloc.slab.Slab, got %s"
                    % (who, type(slab).__name__))


def bad_arg(self, what, a, b):
    # ByteDeque/GlobalDeque consumer calls, raised before anything changes:
    # find(byte, start) (0), readline_into(len(buf), delim) (1), peek_into(offset, 0) (2).
    raise ValueError("%s.%s(%d, %d): want %s; %d bytes waiting, unchanged" % (
        type(self).__name__, ("find", "readline_into", "peek_into")[what], a, b,
        ("byte 0..255, start >= 0", "a buf, delim 0..255", "offset >= 0")[what],
        len(self)))


def bad_offset(self, offset):
    raise ValueError("ByteBuffer.readinto: offset %d < 0; use 0..%d"
                     % (offset, self._h[_N]))


def full(self, n):
    # ByteBuffer.write of n bytes: the slab ran out (nothing appended).
    from mpalloc.errors import AllocError

    s = self._s
    h = self._h
    bs = h[_CS]
    room = h[_WE] - h[_WP]
    free = s._m[_FREE]
    raise AllocError(
        "ByteBuffer.write(%d bytes): needs %d new chunks of %d bytes, %d bytes "
        "free (%d in the last chunk + %d free chunks; the slab has %d); this buffer "
        "holds %d bytes in %d of at most %d chunks; nothing appended: clear() some "
        "buffers or use a larger slab"
        % (n, (n - room + bs - 1) // bs, bs, room + free * bs, room, free, s.slots,
           h[_N], h[_QC], h[_QL]))


def stream_form():
    # ByteBuffer.write_to: True where this runtime's streams take write(buf, off, n)
    # (py/stream.c in MicroPython and CircuitPython), False where write takes one
    # buffer (CPython). Asked of io.BytesIO; by implementation name without io.
    try:
        import io
    except ImportError:
        import sys

        return sys.implementation.name != "cpython"
    try:
        return io.BytesIO().write(b"ab", 1, 1) == 1
    except TypeError:
        return False


def name(self):
    # The class name a user knows: the _with_kernel test subclasses (ByteBuffer_viper,
    # ...) show as ByteBuffer; a deque (it has pop_front) by its own class name.
    return type(self).__name__ if hasattr(self, "pop_front") else "ByteBuffer"


def rep(self, name):
    h = self._h
    return "<%s %d bytes in %d chunks of %d>" % (name, h[_N], h[_QC], h[_CS])


def _free(self):
    # Bytes this chain can still take now: the tail chunk's rest + free slab chunks.
    h = self._h
    s = self._s
    if s is None:
        return 0
    k = s._m[_FREE]
    if k > h[_QL] - h[_QC]:
        k = h[_QL] - h[_QC]
    return h[_WE] - h[_WP] + k * h[_CS]


def stats(self):
    h = self._h
    d = {"unit": "bytes", "capacity": h[_QL] * h[_CS], "in_use": h[_N],
         "free": _free(self), "peak": None, "allocs": None, "frees": None,
         "failures": None, "chunks": h[_QC], "chunk_size": h[_CS]}
    if hasattr(self, "pop_front"):
        d["dropped"] = h[_DROP]
    return d


def dump(self, stream, name):
    from mpalloc import observe

    out = observe._out(stream)
    h = self._h
    s = self._s
    qc = h[_QC]
    bs = h[_CS]
    if s is None:
        out.write("%s: not bound to a slab (global_slab.configure() not called yet)\n"
                  % name)
        return
    out.write("%s: %d bytes in %d chunks of %d bytes (at most %d chunks), slab %d of %d "
              "chunks free%s\n" % (name, h[_N], qc, bs, h[_QL], s._m[_FREE], s.slots,
                                   ", dropped %d" % h[_DROP]
                                   if hasattr(self, "pop_front") else ""))
    first = h[_RP] % bs if hasattr(self, "pop_front") and qc else 0
    for i in range(qc):
        if i >= observe.MAX_LINES:
            break
        hd = h[_HD + (h[_QH] + i) % h[_QL]]
        lo = first if i == 0 else 0
        hi = (h[_WP] - ((hd & 0x3FFFF) - 1) * bs) if i == qc - 1 else bs
        out.write("  chunk %d: slot %d, bytes %d..%d (%d)\n"
                  % (i, (hd & 0x3FFFF) - 1, lo, hi, hi - lo))
    observe._more(out, observe.MAX_LINES, qc)
    out.write("  free: %d bytes (%d in the tail chunk, the rest in free slab chunks; "
              "chunks need not be contiguous: no fragmentation)\n"
              % (_free(self), h[_WE] - h[_WP]))


def chunks(self):
    # ByteBuffer.chunks: a memoryview per chunk, oldest first.
    mv = self._s._mv
    for i in range(self._h[_QC]):
        o = self._span(i)
        yield mv[o:o + self._clen(i)]
