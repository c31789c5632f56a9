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
count. Pure Python: the only kernel is mpalloc's copy (viper where available).
"""

import sys
from array import array

from mpalloc.errors import AllocError
from mpalloc.slab import _critical, _words

try:
    from mpalloc import _mem_viper as _mem
except (SyntaxError, ImportError, ValueError):
    from mpalloc import _mem_py as _mem

_copy = _mem.copy
_len = len
_MP = sys.implementation.name == "micropython"
_SLOT = 0x3FFFF  # slot field of a Slab handle (slab.py)
_WT = (bytes, bytearray, memoryview, array)
_RT = (bytearray, memoryview, array)


def _chk(who, buf, types):
    # Cold path: a wrong buffer type is misuse, raised before anything changes.
    if type(buf) not in types:
        raise TypeError("%s needs a byte buffer (%s), got %s" % (
            who, "bytes, bytearray, memoryview, array" if types is _WT
            else "bytearray, writable memoryview, array", type(buf).__name__))


def _slab_of(who, slab):
    if not hasattr(slab, "try_alloc") or not hasattr(slab, "_data"):
        raise TypeError("%s(slab) needs an mpalloc.slab.Slab, got %s"
                        % (who, type(slab).__name__))
    return slab



class ByteBuffer:
    """Growable byte string in slab chunks (a main-loop object: not IRQ-safe).

    ``write``/``try_write`` append atomically (all or nothing). ``try_write``,
    ``readinto``, ``write_to``, ``len`` and ``clear`` never allocate; ``to_bytes`` and
    ``chunks`` do. Holds at most ``slab.slots`` chunks. Several ByteBuffers and
    ByteDeques may share one slab; an ``irq_safe`` slab guards its allocations, so an
    IRQ-fed ByteDeque can share it with main-loop ByteBuffers.
    """

    def __init__(self, slab):
        """Bind to ``slab``; allocates the chunk table (4 bytes per slab slot)."""
        s = _slab_of("ByteBuffer", slab)
        self._s = s
        self._d = s._data
        self._bs = s.block_size
        self._q = _words(s.slots)  # handles of the chunks in use, oldest first
        self._qc = 0  # chunks in use
        self._n = 0  # bytes held
        self._wp = self._we = 0  # write position and end of the last chunk (slab data)

    def __len__(self):
        return self._n

    def try_write(self, data):
        """Append all of ``data``, or nothing when the slab runs out: True / False.

        No allocation; O(len(data)) plus one ``try_alloc`` per new chunk. TypeError
        (nothing appended) for a non-buffer. Not for IRQs: one context per buffer.
        """
        if type(data) not in _WT:
            _chk("ByteBuffer.write", data, _WT)
        n = _len(data)
        d = self._d
        w = self._wp
        room = self._we - w
        if n <= room:
            d[w:w + n] = data  # whole source: C memcpy, no allocation
            self._wp = w + n
            self._n += n
            return True
        bs = self._bs
        need = (n - room + bs - 1) // bs
        q = self._q
        qc = self._qc
        if qc + need > _len(q):
            return False
        s = self._s
        j = 0
        while j < need:
            h = s.try_alloc(bs)
            if not h:
                while j > 0:  # roll back: nothing appended, nothing kept
                    j -= 1
                    s.try_free(q[qc + j])
                return False
            q[qc + j] = h
            j += 1
        if room:
            _copy(d, w, data, 0, room)
        i = room
        j = 0
        while j < need:
            o = ((q[qc + j] & _SLOT) - 1) * bs
            c = n - i
            if c > bs:
                c = bs
            if c == n:
                d[o:o + n] = data
            else:
                _copy(d, o, data, i, c)
            i += c
            j += 1
        self._qc = qc + need
        self._wp = o + c
        self._we = o + bs
        self._n += n
        return True

    def write(self, data):
        """Append all of ``data``; returns len(data). Atomic: raises ``AllocError``
        (nothing appended; the message gives the bytes needed and free) when the slab
        runs out. No allocation unless it raises. Not IRQ-safe."""
        if self.try_write(data):
            return _len(data)
        raise AllocError(self._why(_len(data)))

    def _why(self, n):
        s = self._s
        bs = self._bs
        room = self._we - self._wp
        free = s.stats()["free_blocks"]
        return ("ByteBuffer.write(%d bytes): needs %d new chunks of %d bytes, %d bytes "
                "free (%d in the last chunk + %d free chunks; the slab has %d); this buffer "
                "holds %d bytes in %d of at most %d chunks; nothing appended: clear() some "
                "buffers or use a larger slab"
                % (n, (n - room + bs - 1) // bs, bs, room + free * bs, room, free, s.slots,
                   self._n, self._qc, _len(self._q)))

    def readinto(self, buf, offset=0):
        """Copy bytes ``offset..`` into ``buf`` from its start; returns the count,
        min(len(buf), len(self) - offset), 0 past the end. No allocation, O(count).
        ValueError for offset < 0; TypeError for a read-only or non-buffer ``buf``."""
        if type(buf) not in _RT:
            _chk("ByteBuffer.readinto", buf, _RT)
        m = _len(buf)
        if type(buf) is memoryview and m:
            buf[0] = buf[0]  # TypeError for a read-only view, before anything is copied
        if offset < 0:
            raise ValueError("ByteBuffer.readinto: offset %d < 0; use 0..%d"
                             % (offset, self._n))
        k = self._n - offset
        if k > m:
            k = m
        if k <= 0:
            return 0
        bs = self._bs
        q = self._q
        d = self._d
        ci = offset // bs
        o = offset - ci * bs
        i = 0
        while i < k:
            c = bs - o
            if c > k - i:
                c = k - i
            _copy(buf, i, d, ((q[ci] & _SLOT) - 1) * bs + o, c)
            i += c
            o = 0
            ci += 1
        return k

    def to_bytes(self):
        """All bytes as a new ``bytes`` (allocates len(self) bytes twice). O(len)."""
        out = bytearray(self._n)
        self.readinto(out)
        return bytes(out)

    def _span(self, i):
        # (offset in slab data, length) of chunk i as one int pair, without a tuple:
        # returns the offset; the length is bs except for the last chunk.
        return ((self._q[i] & _SLOT) - 1) * self._bs

    def write_to(self, stream):
        """Zero-copy: ``stream.write(data, off, n)`` once per chunk (MicroPython streams
        such as UART, socket and BytesIO take that form; on CPython a memoryview per
        chunk is passed instead). Returns the bytes the stream accepted, stopping at the
        first short write. No allocation on MicroPython streams. Not IRQ-safe."""
        qc = self._qc
        bs = self._bs
        d = self._d
        total = 0
        i = 0
        while i < qc:
            o = self._span(i)
            c = bs if i < qc - 1 else self._wp - o
            if _MP:
                k = stream.write(d, o, c)
            else:
                k = stream.write(self._s._mv[o:o + c])
            if not k:
                break
            total += k
            if k < c:
                break
            i += 1
        return total

    def chunks(self):
        """Iterate the data as memoryviews, one per chunk, oldest first (zero-copy;
        allocates one view per chunk). Views stay valid until ``clear()``."""
        mv = self._s._mv
        bs = self._bs
        qc = self._qc
        for i in range(qc):
            o = self._span(i)
            yield mv[o:o + (bs if i < qc - 1 else self._wp - o)]

    def clear(self):
        """Drop the contents and return every chunk to the slab. No allocation;
        O(chunks)."""
        s = self._s
        q = self._q
        for i in range(self._qc):
            s.try_free(q[i])
            q[i] = 0
        self._qc = self._n = self._wp = self._we = 0

    def __repr__(self):
        return "<ByteBuffer %d bytes in %d chunks of %d>" % (self._n, self._qc, self._bs)


class ByteDeque:
    """FIFO byte queue over slab chunks; a drained chunk goes back to the slab at once,
    so an empty deque holds no chunk.

    ``push_back``, ``pop_front``, ``write``, ``write_from``, ``readinto``, ``len``,
    ``clear`` never allocate and never raise for valid buffer types: they return False,
    -1 or a short count when the slab is exhausted, and nothing already queued is lost.
    On a slab made with ``irq_safe=True`` every method runs in a critical section
    (``machine.disable_irq`` on boards, a lock where threads stand in for IRQs), so one
    IRQ handler may push while the main loop pops. On an ordinary slab: one context.
    """

    def __init__(self, slab):
        """Bind to ``slab``; allocates the chunk table (4 bytes per slab slot)."""
        self._init()
        self._bind(_slab_of("ByteDeque", slab))

    def _init(self):
        self._s = None
        self._d = _EMPTY
        self._bs = 0
        self._q = _NOQ  # ring of chunk handles, oldest at _qh
        self._qh = self._qt = self._qc = 0
        self._n = 0  # bytes queued
        self._rp = self._re = 0  # read position and end of the head chunk (slab data)
        self._wp = self._we = 0  # write position and end of the tail chunk

    def _bind(self, s):
        self._s = s
        self._d = s._data
        self._bs = s.block_size
        self._q = _words(s.slots)
        if s.irq_safe and "push_back" not in self.__dict__:
            self._guard()

    def _guard(self):
        # Shadow the public methods with guarded ones (bound once: calls allocate nothing).
        dis, other = _critical()
        if dis is not None:
            self._dis = dis
            self._en = other
        else:
            self._dis = other.acquire
            self._rel = other.release
            self._en = self._unlock
        self.push_back = self._g_push_back
        self.pop_front = self._g_pop_front
        self.write = self._g_write
        self.write_from = self._g_write_from
        self.readinto = self._g_readinto
        self.clear = self._g_clear

    def _unlock(self, st):
        self._rel()

    def __len__(self):
        return self._n

    def _grow(self):
        # New tail chunk; False when the slab (or the chunk table) is exhausted.
        s = self._s
        if s is None or self._qc == _len(self._q):
            return False
        bs = self._bs
        h = s.try_alloc(bs)
        if not h:
            return False
        o = ((h & _SLOT) - 1) * bs
        t = self._qt
        self._q[t] = h
        t += 1
        if t == _len(self._q):
            t = 0
        self._qt = t
        self._qc += 1
        if self._qc == 1:
            self._rp = o
            self._re = o + bs
        self._wp = o
        self._we = o + bs
        return True

    def _drop_head(self):
        # The head chunk is fully read: back to the slab; read from the next one.
        q = self._q
        hd = self._qh
        self._s.try_free(q[hd])
        q[hd] = 0
        hd += 1
        if hd == _len(q):
            hd = 0
        self._qh = hd
        self._qc -= 1
        o = ((q[hd] & _SLOT) - 1) * self._bs
        self._rp = o
        self._re = o + self._bs

    def _empty(self):
        # Nothing queued: every chunk back to the slab.
        q = self._q
        s = self._s
        hd = self._qh
        while self._qc:
            s.try_free(q[hd])
            q[hd] = 0
            hd += 1
            if hd == _len(q):
                hd = 0
            self._qc -= 1
        self._qh = self._qt = 0
        self._n = self._rp = self._re = self._wp = self._we = 0

    def push_back(self, b):
        """Append byte ``b & 0xFF``; False when no chunk can be had (nothing lost).
        O(1) (one try_alloc per block_size bytes); no allocation; IRQ-safe on an
        irq_safe slab."""
        w = self._wp
        if w == self._we:
            if not self._grow():
                return False
            w = self._wp
        self._d[w] = b & 0xFF
        self._wp = w + 1
        self._n += 1
        return True

    def pop_front(self):
        """Remove and return the oldest byte, -1 when empty. O(1); no allocation;
        IRQ-safe on an irq_safe slab. The chunk it empties goes back at once."""
        n = self._n
        if not n:
            return -1
        r = self._rp
        v = self._d[r]
        if n == 1:
            self._empty()
        else:
            self._n = n - 1
            r += 1
            if r == self._re:
                self._drop_head()
            else:
                self._rp = r
        return v

    def write(self, buf):
        """Append ``buf``; returns the bytes queued (short when the slab runs out:
        the first ones in order, nothing else lost). No allocation; O(len(buf));
        IRQ-safe on an irq_safe slab. TypeError for a non-buffer (before any change)."""
        return self.write_from(buf, _len(buf))

    def write_from(self, buf, n):
        """Append the first ``n`` bytes of ``buf`` (for ``n = uart.readinto(buf)`` in an
        IRQ, where ``buf[:n]`` would allocate); returns the bytes queued. Otherwise as
        ``write``."""
        if type(buf) not in _WT:
            _chk("ByteDeque.write", buf, _WT)
        m = _len(buf)
        if n > m:
            n = m
        d = self._d
        i = 0
        while i < n:
            w = self._wp
            c = self._we - w
            if not c:
                if not self._grow():
                    break
                continue
            if c > n - i:
                c = n - i
            if c == m:
                d[w:w + c] = buf  # whole source: C memcpy, no allocation
            else:
                _copy(d, w, buf, i, c)
            self._wp = w + c
            self._n += c
            i += c
        return i

    def readinto(self, buf):
        """Move min(len(buf), len(self)) bytes into ``buf`` from its start; returns the
        count. No allocation; O(count); IRQ-safe on an irq_safe slab. TypeError for a
        read-only or non-buffer ``buf`` (before any change)."""
        if type(buf) not in _RT:
            _chk("ByteDeque.readinto", buf, _RT)
        m = _len(buf)
        if type(buf) is memoryview and m:
            buf[0] = buf[0]  # TypeError for a read-only view, before anything moves
        d = self._d
        k = 0
        while k < m and self._n:
            r = self._rp
            c = (self._wp if self._qc == 1 else self._re) - r
            if c > m - k:
                c = m - k
            _copy(buf, k, d, r, c)
            k += c
            n = self._n - c
            if not n:
                self._empty()
                break
            self._n = n
            r += c
            if r == self._re:
                self._drop_head()
            else:
                self._rp = r
        return k

    def clear(self):
        """Discard everything; every chunk back to the slab. No allocation; O(chunks);
        IRQ-safe on an irq_safe slab."""
        if self._s is not None:
            self._empty()

    # Guarded twins, installed per instance on an irq_safe slab (see _guard).
    def _g_push_back(self, b):
        st = self._dis()
        try:
            return ByteDeque.push_back(self, b)
        finally:
            self._en(st)

    def _g_pop_front(self):
        st = self._dis()
        try:
            return ByteDeque.pop_front(self)
        finally:
            self._en(st)

    def _g_write(self, buf):
        st = self._dis()
        try:
            return ByteDeque.write_from(self, buf, _len(buf))
        finally:
            self._en(st)

    def _g_write_from(self, buf, n):
        st = self._dis()
        try:
            return ByteDeque.write_from(self, buf, n)
        finally:
            self._en(st)

    def _g_readinto(self, buf):
        st = self._dis()
        try:
            return ByteDeque.readinto(self, buf)
        finally:
            self._en(st)

    def _g_clear(self):
        st = self._dis()
        try:
            return ByteDeque.clear(self)
        finally:
            self._en(st)

    def __repr__(self):
        return "<%s %d bytes in %d chunks of %d>" % (
            type(self).__name__, self._n, self._qc, self._bs)


_EMPTY = bytearray(0)
_NOQ = array("I")
