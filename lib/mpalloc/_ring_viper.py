"""Viper kernel for ``mpalloc.ring.ByteRing`` (twin of ``_ring_py``).

Each function takes the ring as its first argument and is bound directly as a
ByteRing method, so a call is one Python-level layer.

Layout (built by ``init``): one bytearray ``self._m`` of ``24 + size`` bytes (size
rounded up to a multiple of 4),
``size = capacity + 1`` (one slot always stays empty, so ``w == r`` means empty
and the ring still holds exactly ``capacity`` bytes)::

    word 0  w        producer index (written only by the producer)
    word 1  r        consumer index (written only by the consumer)
    word 2  dropped  bytes refused because the ring was full (producer; mod 2**30)
    word 3  size     capacity + 1 (constant)
    word 4  scan     consumer: readline_into's memory, ``(count << 8) | delim``: the
                     first ``count`` waiting bytes hold no ``delim`` (0 after any
                     other consuming call)
    byte 20 ...      data, ``size`` bytes
    then one word    failures: put/write/write_from calls that dropped bytes
                     (producer, failure path only; mod 2**30), at 20 + round4(size)

``self._a`` holds the address of ``self._m``'s storage as an int, so a call
reads one attribute and needs no buffer-protocol lookup; ``self._m`` keeps the
storage alive (MicroPython's GC never moves it). Data is written before the
index that publishes it, so one producer and one consumer need no lock.

Copies mostly run here, not in C memcpy: in viper/native code a slice store
``m[a:b] = buf`` allocates the slice object (only the bytecode VM avoids that)
and viper passes native ints as slice bounds unboxed; a right-hand slice would
allocate anyway. So only a large write (512+ bytes of bytes/bytearray that end
before the wrap point, with no more storage after them than they copy) goes
through the bytecode helper ``_store``. Other blocks
move 16 bytes per step when source and destination share word alignment, else
8 bytes per step by merging aligned source words (little-endian; every source
word read overlaps the source range, so no read crosses into another
word-aligned region).
"""

import sys

import micropython
from micropython import const

if sys.byteorder != "little":
    raise ImportError("_ring_viper assumes a little-endian CPU; using _ring_py")

NAME = "viper"

_D = const(20)  # data offset in self._m (after the 5 header words)
_SCAP = const(0x3FFFFF)  # largest scan count kept in word 4 (the word stays < 2**30)

from mpalloc._mem_viper import copy as _mcopy  # noqa: E402

_len = len
_type = type
_BA = bytearray
_BY = bytes
_ONE = 1  # an object (no const): compared with the caller's count object
_BIG = 0x3FFFFFFF  # an object, not const: compared with the caller's int objects


def _store(m, lo, hi, buf):
    # Bytecode on purpose: the VM builds this slice on the C stack (native code
    # would allocate it), so the store is a C memcpy without allocation. The call
    # costs ~140 ns, so write() uses it only from 512 bytes, where the word loop
    # is slower; bytes/bytearray only (len == byte count on both sides). The store
    # also memmoves the storage after ``hi`` onto itself: write() calls it only when
    # that tail is no longer than the copy (O(len)); the rewritten bytes keep their
    # values because only the producer, the caller, writes ring data.
    m[lo:hi] = buf


@micropython.viper
def init(self, capacity: int):
    """Allocate the storage for ``capacity`` bytes (constructor only)."""
    size = capacity + 1
    m = bytearray(_D + 4 + ((size + 3) & -4))  # + the failures word after the data
    a = int(ptr8(m))
    self._m = m  # keeps the storage alive
    self._a = a
    if a & 3:  # heap blocks are word-aligned; the header is read with ptr32
        raise MemoryError("ByteRing storage at 0x%x is not word-aligned" % self._a)
    h = ptr32(a)
    h[0] = 0
    h[1] = 0
    h[2] = 0
    h[3] = size
    h[4] = 0


@micropython.viper
def put(self, b: int) -> bool:
    """Producer: append byte ``b & 0xFF``; False when full (``dropped`` += 1).

    O(1), no allocation, IRQ-safe.
    """
    a = int(self._a)
    h = ptr32(a)
    w = h[0]
    nw = w + 1
    if nw == h[3]:
        nw = 0
    if nw == h[1]:
        h[2] = (h[2] + 1) & 0x3FFFFFFF
        f = ptr32(a + _D + ((int(h[3]) + 3) & -4))  # refused calls (stats()["failures"])
        f[0] = (f[0] + 1) & 0x3FFFFFFF
        return False
    d = ptr8(a + _D)
    d[w] = b
    h[0] = nw
    return True


@micropython.viper
def get(self) -> int:
    """Consumer: remove and return the oldest byte, or -1 when empty.

    O(1), no allocation, IRQ-safe.
    """
    a = int(self._a)
    h = ptr32(a)
    r = h[1]
    if r == h[0]:
        return -1
    d = ptr8(a + _D)
    v = d[r]
    r += 1
    if r == h[3]:
        r = 0
    h[4] = 0  # readline_into's scan memory no longer starts at the read index
    h[1] = r
    return v


@micropython.viper
def peek(self) -> int:
    """Consumer: the oldest byte without removing it, or -1. O(1), no allocation, IRQ-safe."""
    a = int(self._a)
    h = ptr32(a)
    r = h[1]
    if r == h[0]:
        return -1
    d = ptr8(a + _D)
    return d[r]


@micropython.viper
def any(self) -> int:
    """Bytes waiting (also ``len(ring)``). O(1), no allocation, IRQ-safe."""
    h = ptr32(int(self._a))
    n = int(h[0]) - int(h[1])
    if n < 0:
        n += int(h[3])
    return n


@micropython.viper
def space(self) -> int:
    """Bytes that fit now: capacity - any(). O(1), no allocation, IRQ-safe."""
    h = ptr32(int(self._a))
    n = int(h[1]) - int(h[0]) - 1
    if n < 0:
        n += int(h[3])
    return n


@micropython.viper
def dropped(self) -> int:
    """Bytes refused because the ring was full, mod 2**30. O(1), no allocation, IRQ-safe."""
    h = ptr32(int(self._a))
    return int(h[2])


@micropython.viper
def clear(self):
    """Consumer: discard the bytes waiting (``dropped`` is kept). O(1), no allocation, IRQ-safe."""
    h = ptr32(int(self._a))
    h[4] = 0
    h[1] = h[0]


@micropython.viper
def _write(self, buf) -> int:
    # write(buf): append up to len(buf) bytes; return how many fit. The refused tail
    # (len(buf) - returned) counts in ``dropped``. No allocation, IRQ-safe;
    # O(len(buf)), 8-16 bytes per step. TypeError (before any change) unless buf is
    # bytes, bytearray, memoryview or array.
    if buf is not self._wl:
        self._wchk(buf)  # a new buffer object: check its type once (cold path)
    n = int(_len(buf))
    sa = int(ptr8(buf))
    a = int(self._a)
    h = ptr32(a)
    w = int(h[0])
    size = int(h[3])
    free = int(h[1]) - w - 1
    if free < 0:
        free += size
    k = n
    if k > free:
        k = free
    left = k
    if k >= 512 and k == n and w + k <= size and size - w - k <= k:
        t = _type(buf)
        if t is _BA or t is _BY:
            # Large, whole and before the wrap point: C memcpy via _store.
            _store(self._m, _D + w, _D + w + k, buf)
            left = 0
            w += k
            if w == size:
                w = 0
    while left > 0:
        c = size - w  # room before the wrap point
        if c > left:
            c = left
        left -= c
        da = a + _D + w
        w += c
        if w == size:
            w = 0
        # Copy c bytes from address sa to address da (advances sa, da).
        if c >= 16:
            while da & 3:
                ptr8(da)[0] = ptr8(sa)[0]
                da += 1
                sa += 1
                c -= 1
            off = sa & 3
            if off == 0:
                e = da + (c & -16)
                while da < e:
                    dw = ptr32(da)
                    sw = ptr32(sa)
                    dw[0] = sw[0]
                    dw[1] = sw[1]
                    dw[2] = sw[2]
                    dw[3] = sw[3]
                    da += 16
                    sa += 16
                c &= 15
            else:
                sh = off << 3
                up = 32 - sh
                mask = (1 << up) - 1
                s0 = sa - off
                lo = (int(ptr32(s0)[0]) >> sh) & mask
                e = da + (c & -8)
                while da < e:
                    sw = ptr32(s0)
                    dw = ptr32(da)
                    hi = int(sw[1])
                    dw[0] = lo | (hi << up)
                    lo = (hi >> sh) & mask
                    hi = int(sw[2])
                    dw[1] = lo | (hi << up)
                    lo = (hi >> sh) & mask
                    da += 8
                    s0 += 8
                sa = s0 + off
                c &= 7
        d = ptr8(da)
        s = ptr8(sa)
        j = 0
        while j < c:
            d[j] = s[j]
            j += 1
        da += c
        sa += c
    if k < n:
        h[2] = (int(h[2]) + n - k) & 0x3FFFFFFF
        f = ptr32(a + _D + ((size + 3) & -4))
        f[0] = (f[0] + 1) & 0x3FFFFFFF
    h[0] = w  # publish only after the data is in place
    return k


@micropython.viper
def write_from(self, buf, nobj) -> int:
    """Producer: append the first ``n`` bytes of buf (all of it when n >= len(buf),
    nothing when n <= 0); return how many fit. The refused part of those n bytes
    counts in ``dropped``. No allocation, IRQ-safe; O(n). TypeError (nothing
    changed) for a count that is not an int; any int is fine, a big one included.
    """
    n = int(nobj)  # TypeError for a float or None
    # Compared as objects: a big int must not truncate to a machine word.
    if nobj >= _len(buf):
        return int(_write(self, buf))
    if buf is not self._wl:
        self._wchk(buf)
    if nobj < _ONE:
        return 0
    a = int(self._a)
    h = ptr32(a)
    w = int(h[0])
    size = int(h[3])
    free = int(h[1]) - w - 1
    if free < 0:
        free += size
    k = n
    if k > free:
        k = free
    i = 0
    while i < k:
        c = k - i
        room = size - w
        if c > room:
            c = room
        _mcopy(self._m, _D + w, buf, i, c)
        i += c
        w += c
        if w == size:
            w = 0
    if k < n:
        h[2] = (int(h[2]) + n - k) & 0x3FFFFFFF
        f = ptr32(a + _D + ((size + 3) & -4))
        f[0] = (f[0] + 1) & 0x3FFFFFFF
    h[0] = w  # publish only after the data is in place
    return k


@micropython.viper
def _readn(self, buf, n: int) -> int:
    # readinto(buf, n): move min(n, len(buf), any()) bytes into buf[0:] (n < 0: no
    # limit but len(buf)); return that count. No allocation; O(count), 8-16 bytes per
    # step. TypeError (before any change) unless buf is a bytearray, writable
    # memoryview or array.
    if buf is not self._rl:
        self._rchk(buf)  # a new buffer object: check its type once (cold path)
    m = int(_len(buf))
    if n < 0 or n > m:
        n = m
    da = int(ptr8(buf))
    a = int(self._a)
    h = ptr32(a)
    r = int(h[1])
    size = int(h[3])
    k = int(h[0]) - r
    if k < 0:
        k += size
    if k > n:
        k = n
    left = k
    while left > 0:
        c = size - r  # bytes before the wrap point
        if c > left:
            c = left
        left -= c
        sa = a + _D + r
        r += c
        if r == size:
            r = 0
        # Copy c bytes from address sa to address da (advances sa, da).
        if c >= 16:
            while da & 3:
                ptr8(da)[0] = ptr8(sa)[0]
                da += 1
                sa += 1
                c -= 1
            off = sa & 3
            if off == 0:
                e = da + (c & -16)
                while da < e:
                    dw = ptr32(da)
                    sw = ptr32(sa)
                    dw[0] = sw[0]
                    dw[1] = sw[1]
                    dw[2] = sw[2]
                    dw[3] = sw[3]
                    da += 16
                    sa += 16
                c &= 15
            else:
                sh = off << 3
                up = 32 - sh
                mask = (1 << up) - 1
                s0 = sa - off
                lo = (int(ptr32(s0)[0]) >> sh) & mask
                e = da + (c & -8)
                while da < e:
                    sw = ptr32(s0)
                    dw = ptr32(da)
                    hi = int(sw[1])
                    dw[0] = lo | (hi << up)
                    lo = (hi >> sh) & mask
                    hi = int(sw[2])
                    dw[1] = lo | (hi << up)
                    lo = (hi >> sh) & mask
                    da += 8
                    s0 += 8
                sa = s0 + off
                c &= 7
        d = ptr8(da)
        s = ptr8(sa)
        j = 0
        while j < c:
            d[j] = s[j]
            j += 1
        da += c
        sa += c
    if k:
        h[4] = 0
    h[1] = r  # free the slots only after the data is copied out
    return k


# ---- consumer side: scan, peek, skip, lines (API second wave) --------------------------


@micropython.viper
def _scan(self, byte: int, i: int, stop: int) -> int:
    # Offset (from the read index) of the first ``byte`` among the waiting bytes
    # i..stop-1 (caller keeps stop <= any()), or -1. O(stop - i), one compare per byte.
    a = int(self._a)
    h = ptr32(a)
    size = int(h[3])
    p = int(h[1]) + i
    if p >= size:
        p -= size
    d = ptr8(a + _D)
    while i < stop:
        e = p + stop - i  # end of this segment: the stop or the wrap point
        if e > size:
            e = size
        q = p
        while q < e:
            if d[q] == byte:
                return i + q - p
            q += 1
        i += e - p
        p = 0
    return -1


@micropython.viper
def _find(self, byte: int, start: int) -> int:
    if byte < 0 or byte > 255 or start < 0:
        self._bad(0, byte, start)  # ValueError (cold path)
    h = ptr32(int(self._a))
    n = int(h[0]) - int(h[1])
    if n < 0:
        n += int(h[3])
    return int(_scan(self, byte, start, n))


@micropython.viper
def _peek(self, buf, off: int) -> int:
    if buf is not self._rl:
        self._rchk(buf)  # a new buffer object: check its type once (cold path)
    if off < 0:
        self._bad(2, off, 0)  # ValueError (cold path)
    h = ptr32(int(self._a))
    size = int(h[3])
    k = int(h[0]) - int(h[1])
    if k < 0:
        k += size
    k -= off
    m = int(_len(buf))
    if k > m:
        k = m
    if k <= 0:
        return 0
    p = int(h[1]) + off
    if p >= size:
        p -= size
    c = size - p  # bytes before the wrap point
    if k <= c:
        _mcopy(buf, 0, self._m, _D + p, k)
    else:
        _mcopy(buf, 0, self._m, _D + p, c)
        _mcopy(buf, c, self._m, _D, k - c)
    return k


@micropython.viper
def skip(self, nobj) -> int:
    """Consumer: drop up to ``n`` waiting bytes; return how many. O(1), no allocation, IRQ-safe."""
    n = int(nobj)  # TypeError for a float or None
    if nobj > _BIG:  # compared as objects: a big int must not truncate
        n = 0x3FFFFFFF
    if nobj < _ONE:
        return 0
    h = ptr32(int(self._a))
    r = int(h[1])
    size = int(h[3])
    k = int(h[0]) - r
    if k < 0:
        k += size
    if n < k:
        k = n
    if k <= 0:
        return 0
    s = int(h[4])
    c = (s >> 8) - k  # bytes of readline_into's scan still ahead of the new read index
    if c > 0:
        h[4] = (c << 8) | (s & 255)
    else:
        h[4] = 0
    r += k
    if r >= size:
        r -= size
    h[1] = r
    return k


@micropython.viper
def _line(self, buf, delim: int) -> int:
    if buf is not self._rl:
        self._rchk(buf)  # a new buffer object: check its type once (cold path)
    m = int(_len(buf))
    if m == 0 or delim < 0 or delim > 255:
        self._bad(1, m, delim)  # ValueError (cold path)
    h = ptr32(int(self._a))
    n = int(h[0]) - int(h[1])
    if n < 0:
        n += int(h[3])
    lim = n
    if lim > m:
        lim = m
    i = 0
    s = int(h[4])
    if (s & 255) == delim:
        i = s >> 8  # already known to hold no delim: scan on from there
        if i > lim:
            i = lim
    i = int(_scan(self, delim, i, lim))
    if i >= 0:
        return int(_readn(self, buf, i + 1))
    if n >= m:  # no delim in the first len(buf) bytes: the line goes on
        _readn(self, buf, m)
        return 0 - m
    if lim > _SCAP:
        lim = _SCAP
    h[4] = (lim << 8) | delim
    return 0


# Public entry points with optional arguments. Viper functions take a fixed number of
# arguments (no defaults, and *args crashes the viper emitter), so each of these is a
# small @native function: one extra call layer (~35 ns on x64) on write/readinto.


@micropython.native
def write(self, buf, n=None):
    """Producer: append up to len(buf) bytes (the first ``n`` with a count; ``n < 0``:
    all, as MicroPython streams); return how many fit. The refused part counts in
    ``dropped``. No allocation, IRQ-safe; O(count)."""
    if n is None or n < 0:
        return _write(self, buf)
    return write_from(self, buf, n)


@micropython.native
def readinto(self, buf, n=None):
    """Consumer: move min(len(buf), n, any()) bytes into buf[0:] (``n`` None or < 0:
    no limit); return that count. No allocation, IRQ-safe; O(count)."""
    if n is None or n < 0:
        return _readn(self, buf, -1)
    if n > _BIG:  # a big int would truncate in the viper kernel
        n = _BIG
    return _readn(self, buf, n)


@micropython.native
def find(self, byte, start=0):
    """Consumer: offset of the first ``byte`` among the waiting bytes at or after
    ``start``, or -1. No allocation, IRQ-safe; O(bytes examined)."""
    if byte < 0 or byte > 255 or start < 0:  # as objects: a big int must not truncate
        self._bad(0, byte, start)
    if start > _BIG:
        start = _BIG
    return _find(self, byte, start)


@micropython.native
def peek_into(self, buf, offset=0):
    """Consumer: copy waiting bytes from ``offset`` into ``buf`` without consuming;
    return the count. No allocation, IRQ-safe; O(count)."""
    if offset < 0:  # as objects: a big int must not truncate
        self._bad(2, offset, 0)
    if offset > _BIG:
        offset = _BIG
    return _peek(self, buf, offset)


@micropython.native
def readline_into(self, buf, delim=10):
    """Consumer: move one complete line (up to and including ``delim``) into ``buf``;
    return its length, 0 when none is complete (nothing consumed), -len(buf) when the
    line is longer than buf (buf filled, that much consumed). Bytes examined without
    finding ``delim`` are remembered, so a line arriving piecemeal is scanned once.
    No allocation, IRQ-safe; O(bytes examined + line length)."""
    if delim < 0 or delim > 255:  # as objects: a big int must not truncate
        self._bad(1, _len(buf), delim)
    return _line(self, buf, delim)
