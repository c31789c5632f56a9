"""Byte strings and byte queues made of slab chunks: no contiguous reallocation.

    from mpalloc.slab import Slab
    from mpalloc.bytebuf import ByteBuffer, ByteDeque

    slab = Slab(1024, 32)          # 32 chunks of 32 bytes, allocated once
    b = ByteBuffer(slab)           # growable byte string
    b.write(b"GET / HTTP/1.0\\r\\n")  # atomic: AllocError and nothing appended when full
    b.write_to(uart)               # zero-copy, no allocation: uart.write(data, off, n)
    b.clear()                      # every chunk back to the slab

    q = ByteDeque(Slab(1024, 32, irq_safe=True))   # FIFO; IRQ-safe on an irq_safe slab
    q.push_back(0x41)              # False when the slab is exhausted
    q.pop_front()                  # -1 when empty; a drained chunk goes back at once

A chunk is one slab block (``slab.block_size`` bytes, taken with ``try_alloc``), so a
ByteBuffer or ByteDeque never needs contiguous free memory beyond one block. Each
object keeps its chunk handles in an ``array`` of ``slab.slots`` words, allocated by the
constructor. Chunk data is addressed inside the slab's storage (same package: the
offset of handle ``h`` is ``((h & 0x3FFFF) - 1) * block_size``, see slab.py).

Byte buffers are bytes, bytearray, memoryview or array('B'); ``len(buf)`` is the byte
count. ``write``/``readinto`` remember the last buffer object each has type-checked (one
attribute per side), so that buffer stays referenced until another one is passed.

State. Each object keeps everything in ``self._h``, one ``array('I')`` of ``_HD``
header words (bytes held, read/write positions and chunk ends as offsets in the slab's
data, chunk-table head/tail/count/length, block size, the slab buffers' addresses for
the viper kernel) followed by the chunk table:
``slab.slots`` handle words, a ring, oldest first. The kernel (``KERNEL``: ``"viper"``
from ``_bytebuf_viper`` where the native emitter exists, else ``"py"`` from
``_bytebuf_py``; same results) does every hot operation on it. A chunk's offset in the
slab data is ``((h & 0x3FFFF) - 1) * block_size`` (slab.py's handle format).
"""

from array import array

from mpalloc._util import const
from mpalloc._util import critical as _critical
from mpalloc._util import wide as _wide
from mpalloc._util import words as _words

try:
    from mpalloc import _bytebuf_viper as _k
except (SyntaxError, ImportError, ValueError):
    from mpalloc import _bytebuf_py as _k

try:
    from mpalloc import _mem_viper as _mem
except (SyntaxError, ImportError, ValueError):
    from mpalloc import _mem_py as _mem

KERNEL = _k.NAME

_copy = _mem.copy
_len = len
# write_to's call form, found at its first call (_bytebuf_cold.stream_form): True where
# this runtime's streams take write(buf, off, n) (MicroPython, CircuitPython), False
# where write takes one buffer (CPython).
_OFFN = None
_SLOT = const(0x3FFFF)  # slot field of a Slab handle (slab.py)
_WT = (bytes, bytearray, memoryview, array)
_RT = (bytearray, memoryview, array)

# Header words of self._h, one array('I') per object: the one table of the layout. P:
# producer side (push_back/write/write_from; ByteBuffer.write), C: consumer side
# (pop_front/readinto/skip/lines), B: _bind only (constructor, configure). On an irq_safe
# slab every P and C call runs in the critical section, so P and C never overlap. Every
# word stays below 2**30. The kernels repeat these (tests/test_host_drift.py).
# BEGIN SHARED bytebuf-layout
_N = const(0)  # layout bytebuf
_RP = const(1)  # layout bytebuf
_RE = const(2)  # layout bytebuf
_WP = const(3)  # layout bytebuf
_WE = const(4)  # layout bytebuf
_QH = const(5)  # layout bytebuf
_QT = const(6)  # layout bytebuf
_QC = const(7)  # layout bytebuf
_QL = const(8)  # layout bytebuf
_CS = const(9)  # layout bytebuf
_DROP = const(10)  # layout bytebuf
_DA = const(11)  # layout bytebuf
_MA = const(13)  # layout bytebuf
_SC = const(15)  # layout bytebuf
_HD = const(16)  # layout bytebuf
# END SHARED bytebuf-layout
#  word       who   meaning (offsets are byte offsets in the slab's data)
#  0  _N      P+C   bytes held (P adds what it appended, C subtracts what it took)
#  1  _RP     C     read position (ByteDeque); P sets it when it adds the first chunk
#  2  _RE     C     end of the head chunk (_RP's chunk); P sets it with the first chunk
#  3  _WP     P     write position; C resets it (with 1, 2, 4, 5, 6) when _N reaches 0
#  4  _WE     P     end of the tail chunk (_WP == _WE: no room, take a chunk first)
#  5  _QH     C     chunk table: index of the oldest handle
#  6  _QT     P     chunk table: index after the newest (the ring's write end)
#  7  _QC     P+C   chunks held (P +1 per chunk taken, C -1 per chunk given back)
#  8  _QL     B     table length = slab slots (0 while unbound: every push refused)
#  9  _CS     B     chunk size = slab block size
#  10 _DROP   P     ByteDeque: bytes refused (slab or table exhausted), mod 2**30
#  11, 12 _DA B     address of the slab's data (low, high 32 bits; high 0 on a 32-bit
#                   board): the viper closures read it here instead of holding a cell
#  13, 14 _MA B     address of the slab's metadata Slab._m, the same way (0: unbound)
#  15 _SC     C     ByteDeque: readline_into's scan memory, (count << 8) | delim, or 0;
#                   every other consuming call clears it (the pure twin keeps it in
#                   self._ls). Unused on a ByteBuffer.
#  16.. _HD   P+C   chunk table: _QL slab handles, a ring from _QH, _QC long; P writes
#                   the entry at _QT, C zeroes the one at _QH when it gives it back
# The slab's own words bytebuf may write: docs/bytebuf.md#the-slab-bytebuf-contract.
_EMPTY = bytearray(0)


def _slab_of(who, slab):
    if not hasattr(slab, "try_alloc") or not hasattr(slab, "_data"):
        from mpalloc._bytebuf_cold import bad_slab

        bad_slab(who, slab)  # TypeError
    return slab


def _header(who, s):
    # The state array for slab s (None: unbound, no table), handed to the kernel. The
    # dropped count carries over (a GlobalDeque refused bytes before configure).
    old = getattr(who, "_h", None)
    who._d = _EMPTY if s is None else s._data
    h = _words(_HD if s is None else _HD + s.slots)
    if s is not None:
        h[_QL] = s.slots
        h[_CS] = s.block_size
    if old is not None:
        h[_DROP] = old[_DROP]
    who._k.setup(who, h)


def _out(self, buf, i, at):
    # ByteBuffer.readinto: copy bytes from ``at`` to the end of its chunk (at most to
    # the end of the data and of buf) into buf at i; returns the count.
    c = self._h[_N] - at
    if c > _len(buf) - i:
        c = _len(buf) - i
    if c > self._h[_CS] - at % self._h[_CS]:
        c = self._h[_CS] - at % self._h[_CS]
    at = ((self._h[_HD + at // self._h[_CS]] & _SLOT) - 1) * self._h[_CS] + at % self._h[_CS]
    _copy(buf, i, self._d, at, c)
    return c


def _crit(obj, s):
    # Give obj a critical section: the irq_safe slab s's own, or (s None: a GlobalDeque
    # before it is bound) a new one for this port. Inside it the kernels use the slab's
    # unguarded paths. False, and obj unchanged, where none is needed: s has no guard,
    # or (s None) nothing can preempt on this port (see _util.critical).
    if s is not None:
        dis = getattr(s, "_disable", None)
        if dis is not None:
            obj._dis = dis
            obj._en = s._enable
            return True
        rel = getattr(s, "_release", None)
        if rel is None:
            return False
        obj._dis = s._acquire
    else:
        dis, other = _critical()
        if dis is not None:
            obj._dis = dis
            obj._en = other
            return True
        if other is None:
            return False
        obj._dis = other.acquire
        rel = other.release
    obj._rel = rel
    obj._en = obj._unlock
    return True


class _Chain:
    # Shared by ByteBuffer and ByteDeque: the once-per-buffer type checks the kernels
    # call when a buffer object differs from the last one (cold path; no allocation
    # unless it raises).
    KERNEL = KERNEL
    _k = _k  # the kernel module (the _with_kernel hook swaps it)
    __len__ = _k.length
    _mcopy = staticmethod(_copy)  # the closures' copy of unaligned chunks (no global)

    def _wchk(self, buf):
        if type(buf) not in _WT or _wide(buf):
            from mpalloc._bytebuf_cold import bad_buf

            bad_buf(self._W, buf, True)  # TypeError, nothing changed
        self._wl = buf

    def _rchk(self, buf):
        if type(buf) not in _RT or _wide(buf, True):
            from mpalloc._bytebuf_cold import bad_buf

            bad_buf(self._R, buf, False)
        if type(buf) is memoryview and _len(buf):
            buf[0] = buf[0]  # TypeError for a read-only view, before anything is copied
        self._rl = buf

    def _unlock(self, st):
        self._rel()

    def _g_clear(self):
        st = self._dis()
        _clear(self)
        self._en(st)

    def __repr__(self):
        from mpalloc._bytebuf_cold import name, rep

        return rep(self, name(self))

    def stats(self):
        """Counters as a new dict (allocates), in bytes: the shared keys
        (docs/observability.md) unit, capacity (slab slots x chunk size), in_use
        (bytes held), free (bytes it can take now: the tail chunk's rest plus free
        slab chunks), peak/allocs/frees/failures None (the slab counts chunks: see
        its stats()), plus chunks, chunk_size and, on a ByteDeque, dropped (bytes
        refused by push_back/write/write_from because the slab ran out; mod 2**30,
        kept by clear()). Not IRQ-safe."""
        from mpalloc._bytebuf_cold import stats

        return stats(self)

    def dump(self, stream=None):
        """Write a map of the chain to ``stream`` (default ``sys.stdout``), line by
        line: counters, each chunk oldest first (slab slot, byte range; at most 16)
        and the free bytes. Allocates (the lines). Not IRQ-safe."""
        from mpalloc._bytebuf_cold import dump, name

        dump(self, stream, name(self))


class ByteBuffer(_Chain):
    """Growable byte string in slab chunks (a main-loop object: not IRQ-safe).

    ``write``/``try_write`` append atomically (all or nothing). ``try_write``,
    ``readinto``, ``write_to``, ``len`` and ``clear`` never allocate; ``to_bytes`` and
    ``chunks`` do. Holds at most ``slab.slots`` chunks. Several ByteBuffers and
    ByteDeques may share one slab; an ``irq_safe`` slab guards its allocations, so an
    IRQ-fed ByteDeque can share it with main-loop ByteBuffers.
    """

    _W = "ByteBuffer.write"
    _R = "ByteBuffer.readinto"

    # write/try_write: per-instance closures made by the kernel's buffer_kernels (the
    # constructor is the one binding site), or their guarded wrappers; clear: the
    # kernel function as a method. A kernel function carries no docstring, so the
    # documentation lives here:
    # try_write(data) -> bool.  Append all of ``data``, or nothing when the slab runs
    #     out (False). No allocation; O(len(data)) plus one slab allocation per new
    #     chunk. TypeError (nothing appended) for a non-buffer. Not for IRQs.
    # write(data) -> int.  Append all of ``data``; returns len(data). Atomic: raises
    #     ``AllocError`` (nothing appended; the message gives the bytes needed and
    #     free) when the slab runs out. No allocation unless it raises. Not IRQ-safe.
    # clear().  Drop the contents, every chunk back to the slab. No allocation;
    #     O(chunks).
    clear = _k.clear

    def __init__(self, slab):
        """Bind to ``slab``; allocates the state array (4 bytes per slab slot + 64)."""
        global _OFFN
        s = _slab_of("ByteBuffer", slab)
        if _OFFN is None:
            # write_to's stream form, found here where allocating is allowed: found by
            # the first write_to it took 2.5 KB there (importing _bytebuf_cold), which
            # under heap_lock is a MemoryError.
            from mpalloc._bytebuf_cold import stream_form

            _OFFN = stream_form()
        self._s = s
        self._wl = self._rl = _EMPTY  # last buffers checked by write / readinto
        _header(self, s)
        w, tw, self._appendk = self._k.buffer_kernels(self)
        if s.irq_safe and _crit(self, s):
            # Calls that take or return chunks run in the slab's critical section.
            w = self._g_write
            tw = self._g_try_write
            self.clear = self._g_clear
        self.write = w
        self.try_write = tw

    def write(self, buf):
        """See the class comment (this class-level form only forwards to the
        per-instance closure)."""
        return self.write(buf)

    def try_write(self, buf):
        """See the class comment (forwards to the per-instance closure)."""
        return self.try_write(buf)

    # Guarded twins on an irq_safe slab: arguments checked before the critical section,
    # no try/finally (docs/design.md#handlers).
    def _g_try_write(self, data):
        if data is not self._wl:
            self._wchk(data)
        st = self._dis()
        data = self._appendk(data)
        self._en(st)
        return data >= 0

    def _g_write(self, data):
        if data is not self._wl:
            self._wchk(data)
        st = self._dis()
        n = self._appendk(data)
        self._en(st)
        if n < 0:
            self._full(data)
        return n

    def _full(self, data):
        # Cold path of write: the slab ran out (nothing appended): AllocError.
        from mpalloc._bytebuf_cold import full

        full(self, _len(data))

    def readinto(self, buf, offset=0):
        """Copy bytes ``offset..`` into ``buf`` from its start; returns the count,
        min(len(buf), len(self) - offset), 0 past the end. No allocation, O(count).
        ValueError for offset < 0; TypeError for a read-only or non-buffer ``buf``."""
        if buf is not self._rl:
            self._rchk(buf)
        if offset < 0:
            from mpalloc._bytebuf_cold import bad_offset

            bad_offset(self, offset)  # ValueError
        start = offset  # few locals: docs/design.md#heap-frames
        while offset < self._h[_N] and offset - start < _len(buf):
            offset += _out(self, buf, offset - start, offset)
        return offset - start

    def to_bytes(self):
        """All bytes as a new ``bytes`` (allocates len(self) bytes twice). O(len)."""
        out = bytearray(self._h[_N])
        self.readinto(out)
        return bytes(out)

    def _span(self, i):
        # Offset in the slab data of chunk i.
        return ((self._h[_HD + i] & _SLOT) - 1) * self._h[_CS]

    def write_to(self, stream):
        """Zero-copy: ``stream.write(data, off, n)`` once per chunk where the runtime's
        streams take that form (MicroPython and CircuitPython: UART, busio.UART,
        sockets, BytesIO, usb_cdc); on CPython, whose write takes one buffer, a
        memoryview per chunk. The form is found once, from ``io.BytesIO``, by the first
        ByteBuffer constructed. Returns the bytes the stream accepted, stopping at the
        first short write. No allocation on MicroPython/CircuitPython streams. Not
        IRQ-safe."""
        total = 0  # _OFFN is set: a ByteBuffer exists
        i = 0
        while i < self._h[_QC]:
            k = self._send(stream, i)
            total += k
            if k <= 0 or k < self._clen(i):
                break
            i += 1
        return total if total > 0 else 0

    def _clen(self, i):
        # Bytes in chunk i: a whole block except the last chunk.
        h = self._h
        return h[_CS] if i < h[_QC] - 1 else h[_WP] - self._span(i)

    def _send(self, stream, i):
        # Chunk i to the stream; returns the bytes it accepted (docs/design.md#heap-frames).
        o = self._span(i)
        i = self._clen(i)
        if _OFFN:
            return stream.write(self._d, o, i) or 0
        return stream.write(self._s._mv[o:o + i]) or 0

    def chunks(self):
        """Iterate the data as memoryviews, one per chunk, oldest first (zero-copy;
        allocates one view per chunk). Views stay valid until ``clear()``."""
        from mpalloc._bytebuf_cold import chunks

        return chunks(self)


class ByteDeque(_Chain):
    """FIFO byte queue over slab chunks; a drained chunk goes back to the slab at once,
    so an empty deque holds no chunk.

    ``push_back``, ``pop_front``, ``write``, ``write_from``, ``readinto``, ``len``,
    ``clear`` never allocate and never raise for valid buffer types: they return False,
    -1 or a short count when the slab is exhausted, and nothing already queued is lost.
    On a slab made with ``irq_safe=True`` every method runs in the slab's critical
    section (``machine.disable_irq`` on boards, the slab's lock where threads stand in
    for IRQs, none where nothing can preempt: see ``_util.critical``), so one IRQ
    handler may push while the main loop pops. On an ordinary slab: one context.
    """

    _W = "ByteDeque.write"
    _R = "ByteDeque.readinto"

    # Methods bound by _bind (the one binding site; a kernel function carries no
    # docstring, so the documentation lives here). None allocates; all are IRQ-safe on
    # an irq_safe slab. push_back, pop_front, write, write_from and readinto are
    # per-instance closures (the kernel's ``kernels``), or their guarded wrappers; the
    # class-level methods of those names only forward to them:
    # push_back(b) -> bool.  Append byte ``b & 0xFF``; False when no chunk can be had
    #     (nothing lost). O(1): one slab allocation per block_size bytes.
    # pop_front() -> int.  Remove and return the oldest byte, -1 when empty. O(1). The
    #     chunk it empties goes back to the slab at once. As push_back.
    # write(buf, n=None) -> int.  Append ``buf`` (its first ``n`` bytes with a count;
    #     n < 0: all, as MicroPython streams); returns the bytes queued (short when the
    #     slab runs out: the first ones in order, nothing else lost). O(len(buf)).
    #     TypeError for a non-buffer (before any change).
    # write_from(buf, n) -> int.  Append the first ``n`` bytes of ``buf`` (for
    #     ``n = uart.readinto(buf)`` in an IRQ, where ``buf[:n]`` would allocate;
    #     n <= 0: nothing); otherwise as ``write``.
    # readinto(buf, n=None) -> int.  Move min(len(buf), n, len(self)) bytes into
    #     ``buf`` from its start (n None or < 0: no limit); returns the count.
    #     O(count). TypeError for a read-only or non-buffer ``buf`` (before any change).
    # clear().  Discard everything; every chunk back to the slab. O(chunks).
    # Consumer side (offsets count from the oldest byte; ValueError for a byte/delim
    # outside 0..255, a negative start/offset or an empty line buffer, before any
    # change):
    # find(byte, start=0) -> int.  Offset of the first ``byte`` at or after ``start``,
    #     or -1. O(chunks skipped + bytes examined).
    # peek_into(buf, offset=0) -> int.  Copy held bytes from ``offset`` into ``buf``
    #     without consuming; the count. O(chunks skipped + count).
    # skip(n) -> int.  Drop up to ``n`` bytes (drained chunks back to the slab); the
    #     count. O(chunks).
    # readline_into(buf, delim=10) -> int.  Move one complete line (through ``delim``)
    #     into ``buf``: its length; 0 when no line is complete (nothing consumed);
    #     -len(buf) when the line is longer than ``buf`` (buf filled, that much
    #     consumed). Remembers how far it looked (any other consuming call forgets), so
    #     a line arriving piecemeal is scanned once: O(new bytes + line length).
    clear = _k.clear
    find = _k.find
    peek_into = _k.peek_into
    skip = _k.skip
    readline_into = _k.readline_into
    _scan = _k._scan  # for the pure twin's shared readline_into/find (mpalloc._lines)
    _always_guarded = False  # GlobalDeque: guarded even before it has a slab
    _gd = False  # the guarded methods are installed (per instance, by _bind)

    def __init__(self, slab):
        """Bind to ``slab``; allocates the state array (4 bytes per slab slot + 64) and
        the push_back/pop_front closures."""
        self._wl = self._rl = _EMPTY  # last buffers checked by write / readinto
        self._bind(_slab_of("ByteDeque", slab))

    def push_back(self, b):
        """See the class comment (this class-level form only forwards to the
        per-instance closure)."""
        return self._push(b)

    def pop_front(self):
        """See the class comment (forwards to the per-instance closure)."""
        return self._pop()

    def write(self, buf, n=None):
        """See the class comment (forwards to the per-instance closure)."""
        return self.write(buf, n)

    def write_from(self, buf, n):
        """See the class comment (forwards to the per-instance closure)."""
        return self.write_from(buf, n)

    def readinto(self, buf, n=None):
        """See the class comment (forwards to the per-instance closure)."""
        return self.readinto(buf, n)

    def _bind(self, s):
        # The one binding site (constructor, global_slab.configure and _reset): the state
        # array for slab s (None: unbound, no table: pushes refused, pops -1), the
        # push_back/pop_front closures over it, and the public methods: the plain
        # kernels, or, on an irq_safe slab (a GlobalDeque always), guarded twins that
        # run them in the critical section (the slab's own; before a GlobalDeque has a
        # slab, one for this port). Bound once: calls allocate nothing.
        self._s = s
        _header(self, s)
        (self._push, self._pop, self._writek, self._readk, w, wf,
         r) = self._k.kernels(self)
        if (self._always_guarded or (s is not None and s.irq_safe)) and _crit(self, s):
            self._gd = True
            self.push_back = self._g_push_back
            self.pop_front = self._g_pop_front
            self.write = self._g_write
            self.write_from = self._g_write_from
            self.readinto = self._g_readinto
            self.clear = self._g_clear
            self.find = self._g_find
            self.peek_into = self._g_peek_into
            self.skip = self._g_skip
            self.readline_into = self._g_readline_into
        elif not self._gd:
            self.push_back = self._push
            self.pop_front = self._pop
            self.write = w
            self.write_from = wf
            self.readinto = r

    # Guarded twins, installed per instance (see _bind): arguments checked before the
    # critical section, no try/finally (docs/design.md#handlers).
    def _g_push_back(self, b):
        b &= 0xFF  # TypeError for a non-int, before the critical section
        st = self._dis()
        b = self._push(b)
        self._en(st)
        return b

    def _g_pop_front(self):
        st = self._dis()
        v = self._pop()
        self._en(st)
        return v

    # The stream twins call the unguarded kernels writek/readk(buf, n) (n < 0: no limit)
    # with n checked first: an int (TypeError before the critical section), below 2**30
    # (docs/design.md#compare-as-objects).
    def _g_write(self, buf, n=None):
        if buf is not self._wl:
            self._wchk(buf)
        if n is None or n < 0:
            n = -1
        elif n > 0x3FFFFFFF:
            n = 0x3FFFFFFF
        n |= 0
        st = self._dis()
        n = self._writek(buf, n)
        self._en(st)
        return n

    def _g_write_from(self, buf, n):
        if buf is not self._wl:
            self._wchk(buf)
        if n < 1:
            n = 0 if type(n) is int else n & 0  # nothing; TypeError for a non-int count
        elif n > 0x3FFFFFFF:
            n = 0x3FFFFFFF
        n |= 0
        st = self._dis()
        n = self._writek(buf, n)
        self._en(st)
        return n

    def _g_readinto(self, buf, n=None):
        if buf is not self._rl:
            self._rchk(buf)
        if n is None or n < 0:
            n = -1
        elif n > 0x3FFFFFFF:
            n = 0x3FFFFFFF
        n |= 0
        st = self._dis()
        n = self._readk(buf, n)
        self._en(st)
        return n

    # Consumer-side guarded twins: the arguments are checked here, before the critical
    # section, so the kernel cannot raise inside it.
    def _g_find(self, byte, start=0):
        if byte < 0 or byte > 255 or start < 0:
            self._bad(0, byte, start)
        return self._gc(_find, byte, start)

    def _g_peek_into(self, buf, offset=0):
        if buf is not self._rl:
            self._rchk(buf)
        if offset < 0:
            self._bad(2, offset, 0)
        return self._gc(_peek_into, buf, offset)

    def _g_skip(self, n):
        n |= 0  # TypeError for a non-int count, before the critical section
        st = self._dis()
        n = _skip(self, n)
        self._en(st)
        return n

    def _g_readline_into(self, buf, delim=10):
        if buf is not self._rl:
            self._rchk(buf)
        if not _len(buf) or delim < 0 or delim > 255:
            self._bad(1, _len(buf), delim)
        return self._gc(_readline_into, buf, delim)

    def _gc(self, fn, a, b):
        # fn(self, a, b) inside the critical section (arguments already checked).
        st = self._dis()
        a = fn(self, a, b)
        self._en(st)
        return a

    def _nothing(self, n):
        # write_from's count n <= -2**30: 0 for an int (no arithmetic on a big int),
        # TypeError for anything else.
        return 0 if type(n) is int else n & 0

    def _bad(self, what, a, b):
        # Cold path of find (0), readline_into (1), peek_into (2): ValueError.
        from mpalloc._bytebuf_cold import bad_arg

        bad_arg(self, what, a, b)


_clear = _k.clear
_find = _k.find
_peek_into = _k.peek_into
_skip = _k.skip
_readline_into = _k.readline_into


def _with_kernel(kmod):
    """Internal (tests, tools/bench): (ByteBuffer, ByteDeque) subclasses running on
    kernel module ``kmod`` (``_bytebuf_viper`` or ``_bytebuf_py``). Unguarded use only:
    the guarded consumer-side methods and clear call this module's kernel."""
    ns = {"KERNEL": kmod.NAME, "_k": kmod, "__len__": kmod.length, "clear": kmod.clear}
    b = dict(ns)
    d = dict(ns)
    for name in ("find", "peek_into", "skip", "readline_into", "_scan"):
        d[name] = getattr(kmod, name)
    return (type("ByteBuffer_" + kmod.NAME, (ByteBuffer,), b),
            type("ByteDeque_" + kmod.NAME, (ByteDeque,), d))
