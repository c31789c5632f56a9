"""Cold paths of ``mpalloc.bytebuf`` and ``mpalloc.global_slab``
(internal): error messages, ``__repr__``, ``chunks()`` and the ``_with_kernel`` test/bench
hook. Imported lazily, inside the method that
needs it, so none of this costs RAM after importing the public modules.
"""

from mpalloc._util import const

_N = const(0)  # header words of ByteBuffer/ByteDeque._h (see bytebuf.py)
_RP = const(1)
_WP = const(3)
_WE = const(4)
_QC = const(7)
_QL = const(8)
_QH = const(5)
_BS = const(9)
_DROP = const(10)
_HD = const(16)
_SFREE = const(1)  # Slab._m: free blocks


# ---- bytebuf --------------------------------------------------------------------------


def bad_buf(who, buf, w):
    # A wrong buffer type (w: the write side), raised before anything changes.
    raise TypeError("%s needs a byte buffer (%s; items of one byte), got %s" % (
        who, "bytes, bytearray, memoryview, array" if w
        else "bytearray, writable memoryview, array", type(buf).__name__))


def bad_slab(who, slab):
    raise TypeError("%s(slab) needs an mpalloc.slab.Slab, got %s"
                    % (who, type(slab).__name__))


def bad_offset(self, offset):
    raise ValueError("ByteBuffer.readinto: offset %d < 0; use 0..%d"
                     % (offset, self._h[_N]))


def full(self, n):
    # ByteBuffer.write of n bytes: the slab ran out (nothing appended).
    from mpalloc.errors import AllocError

    s = self._s
    h = self._h
    bs = h[_BS]
    room = h[_WE] - h[_WP]
    free = s._m[_SFREE]
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
    # The class name a user knows: the _with_kernel test subclasses show as ByteBuffer.
    from mpalloc.bytebuf import ByteBuffer

    return "ByteBuffer" if isinstance(self, ByteBuffer) else type(self).__name__


def rep(self, name):
    h = self._h
    return "<%s %d bytes in %d chunks of %d>" % (name, h[_N], h[_QC], h[_BS])


def _free(self):
    # Bytes this chain can still take now: the tail chunk's rest + free slab chunks.
    h = self._h
    s = self._s
    if s is None:
        return 0
    k = s._m[_SFREE]
    if k > h[_QL] - h[_QC]:
        k = h[_QL] - h[_QC]
    return h[_WE] - h[_WP] + k * h[_BS]


def stats(self):
    h = self._h
    d = {"unit": "bytes", "capacity": h[_QL] * h[_BS], "in_use": h[_N],
         "free": _free(self), "peak": None, "allocs": None, "frees": None,
         "failures": None, "chunks": h[_QC], "chunk_size": h[_BS]}
    if hasattr(self, "pop_front"):
        d["dropped"] = h[_DROP]
    return d


def dump(self, stream, name):
    from mpalloc import observe

    out = observe._out(stream)
    h = self._h
    s = self._s
    qc = h[_QC]
    bs = h[_BS]
    if s is None:
        out.write("%s: not bound to a slab (global_slab.configure() not called yet)\n"
                  % name)
        return
    out.write("%s: %d bytes in %d chunks of %d bytes (at most %d chunks), slab %d of %d "
              "chunks free%s\n" % (name, h[_N], qc, bs, h[_QL], s._m[_SFREE], s.slots,
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


def with_kernel(kmod):
    # bytebuf._with_kernel: (ByteBuffer, ByteDeque) subclasses running on kmod.
    from mpalloc.bytebuf import ByteBuffer, ByteDeque

    ns = {"KERNEL": kmod.NAME, "__len__": kmod.length, "_setup": kmod.setup,
          "clear": kmod.clear}
    b = dict(ns, try_write=kmod.try_write, write=kmod.append)
    d = dict(ns)
    d["_readk"] = kmod.readinto
    for name in ("push_back", "pop_front", "write", "write_from", "readinto", "find",
                 "peek_into", "skip", "readline_into", "_scan"):
        d[name] = getattr(kmod, name)
    return (type("ByteBuffer_" + kmod.NAME, (ByteBuffer,), b),
            type("ByteDeque_" + kmod.NAME, (ByteDeque,), d))


# ---- global_slab ----------------------------------------------------------------------


def gs_busy(size, slots, figs, live):
    raise RuntimeError(
        "global_slab.configure(%d, %d): already configured as (%d, %d) with %d "
        "allocations live; configure once at start-up, or free everything (clear "
        "every GlobalDeque/ByteBuffer) before reconfiguring"
        % (size, slots, figs[0], figs[1], live))


def gs_unset():
    raise RuntimeError("global_slab.slab(): not configured; call "
                       "global_slab.configure(*global_slab.SLAB_1K_32) (or your own "
                       "size, slots) once at start-up")
