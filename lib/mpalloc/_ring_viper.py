"""Viper kernel for ``mpalloc.ring.ByteRing`` (twin of ``_ring_py``, same functions).

``bind(ring, capacity)`` allocates the storage and puts the hot entry points on the
instance as closures over the storage address (docs/design.md#ring-closures): ``put``,
``get``, ``write``, ``readinto`` and the unguarded ``_writek``/``_readk`` (they trust
the buffer's type: callers check it first). The other functions are ByteRing methods
that read the address from ``self._a``.

Storage: one bytearray ``self._m`` (kept alive by the instance; MicroPython's GC never
moves it) holding the header words below, then ``size`` data bytes. ``size`` is
``capacity`` rounded up past a multiple of 4 (docs/design.md#ring-storage), so word-sized
chunks stay word-aligned across the wrap; the ring still holds exactly ``capacity``
bytes: full means ``any() == capacity``, and ``w == r`` means empty.

Data is written before the index that publishes it, so one producer and one consumer
need no lock.
"""

import sys

import micropython
from micropython import const

if sys.byteorder != "little":
    raise ImportError("_ring_viper assumes a little-endian CPU; using _ring_py")

NAME = "viper"

# Header words (uint32) of self._m; ptr32(address)[_X]. Owner, invariant:
_W = const(0)  # write index 0..size-1; producer only, stored after the data
_R = const(1)  # read index 0..size-1; consumer only, stored after the copy out
_DROPPED = const(2)  # bytes refused when full, mod 2**30; producer only
_SIZE = const(3)  # data bytes: (capacity + 4) & -4; constant
_SCAN = const(4)  # readline_into: (count << 8) | delim: no delim in the first
#                 count waiting bytes; consumer only; 0 after any other consuming call
_CAP = const(5)  # capacity; constant; (w - r) mod size <= capacity
_FAILURES = const(6)  # refusing put/write/write_from calls, mod 2**30; producer
_D = const(28)  # data offset in self._m (after the 7 header words)
_SCAP = const(0x3FFFFF)  # largest scan count kept in _SCAN (the word stays < 2**30)
_STORE_MIN = const(512)  # write() copies through C memcpy (_store) from this many bytes

from mpalloc._mem_viper import copy as _mcopy  # noqa: E402

_len = len
_ONE = 1  # an object (no const): compared with the caller's count object
_BIG = 0x3FFFFFFF  # an object, not const: compared with the caller's int objects


def _store(m, lo, hi, buf):
    # Bytecode on purpose; write calls it only when the tail after ``hi`` is no longer
    # than the copy (docs/design.md#ring-store).
    m[lo:hi] = buf


@micropython.viper
def _address(m) -> uint:
    # The address of bytearray m's storage (uint: no sign on rv32, RAM at 0x80000000).
    return uint(ptr8(m))


def bind(self, capacity):
    """Allocate the storage for ``capacity`` bytes and bind the hot entry points on the
    instance (constructor only: allocates the storage, 6 closures and their cells)."""
    size = (capacity + 4) & -4
    m = bytearray(_D + size)
    m[4 * _SIZE:4 * _SIZE + 4] = size.to_bytes(4, "little")
    m[4 * _CAP:4 * _CAP + 4] = capacity.to_bytes(4, "little")
    a = _address(m)
    if a & 3:  # heap blocks are word-aligned; the header is read with ptr32
        raise MemoryError("ByteRing storage is not word-aligned")
    self._m = m  # keeps the storage alive
    self._a = a
    a4 = a >> 2  # what the closures capture: a small int on every board (2**30 > 2**32 / 4)
    # The closures name no module global: len and what the rarer paths call are cells
    # (docs/design.md#ring-closures); kit also keeps the storage alive.
    ln = len
    kit = (m, _mcopy, _store)
    wl = rl = m  # the last buffer write / readinto checked; first the storage (not None: a
    # None buffer must be checked, and refused)

    @micropython.viper
    def put(b: int) -> bool:
        p = int(a4) << 2
        h = ptr32(p)
        w = int(h[_W])
        size = int(h[_SIZE])
        n = w - int(h[_R])
        if n < 0:
            n += size
        if n == h[_CAP]:
            h[_DROPPED] = (h[_DROPPED] + 1) & 0x3FFFFFFF
            h[_FAILURES] = (h[_FAILURES] + 1) & 0x3FFFFFFF
            keep = kit  # noqa: F841 (names the storage: a kept ``put`` keeps it alive)
            return False
        d = ptr8(p + _D)
        d[w] = b
        w += 1
        if w == size:
            w = 0
        h[_W] = w  # publish only after the byte is in place
        return True

    @micropython.viper
    def get() -> int:
        p = int(a4) << 2
        h = ptr32(p)
        r = int(h[_R])
        if r == h[_W]:
            keep = kit  # noqa: F841 (names the storage: a kept ``get`` keeps it alive)
            return -1
        d = ptr8(p + _D)
        v = d[r]
        r += 1
        if r == h[_SIZE]:
            r = 0
        h[_SCAN] = 0  # readline_into's scan memory no longer starts at the read index
        h[_R] = r  # free the slot only after the byte is read
        return v

    @micropython.viper
    def writek(buf, n: int) -> int:
        # Unguarded write(buf, n): the caller has checked buf's type. n < 0: all of buf.
        m = int(ln(buf))
        if n < 0 or n > m:
            n = m
        s0 = int(ptr8(buf))
        p = int(a4) << 2
        h = ptr32(p)
        w = int(h[_W])
        size = int(h[_SIZE])
        k = w - int(h[_R])
        if k < 0:
            k += size
        k = int(h[_CAP]) - k  # free space
        if k > n:
            k = n
        sa = s0
        left = k
        if k >= _STORE_MIN and k == m and w + k <= size and size - w - k <= k:
            store = kit[2]
            store(kit[0], _D + w, _D + w + k, buf)  # whole, before the wrap: C memcpy
            left = 0
            w += k
            if w == size:
                w = 0
        while left > 0:
            c = size - w  # room before the wrap point
            if c > left:
                c = left
            left -= c
            da = p + _D + w
            w += c
            if w == size:
                w = 0
            if c >= 16 and (da ^ sa) & 3:  # no common word alignment: merge words
                copy = kit[1]
                copy(kit[0], da - p, buf, sa - s0, c)
                sa += c
                c = 0
            # BEGIN SHARED copy_aligned
            # Copy c bytes from address sa to address da (same address mod 4 when
            # c >= 16); advances both (docs/design.md#copy-words).
            if c >= 16:
                while da & 3:
                    ptr8(da)[0] = ptr8(sa)[0]
                    da += 1
                    sa += 1
                    c -= 1
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
            d = ptr8(da)
            s = ptr8(sa)
            j = 0
            while j < c:
                d[j] = s[j]
                j += 1
            da += c
            sa += c
            # END SHARED copy_aligned
        if k < n:
            h[_DROPPED] = (int(h[_DROPPED]) + n - k) & 0x3FFFFFFF
            h[_FAILURES] = (h[_FAILURES] + 1) & 0x3FFFFFFF
        h[_W] = w  # publish only after the data is in place
        return k

    @micropython.viper
    def readk(buf, n: int) -> int:
        # Unguarded readinto(buf, n): the caller has checked buf's type. n < 0: no limit.
        m = int(ln(buf))
        if n < 0 or n > m:
            n = m
        d0 = int(ptr8(buf))
        p = int(a4) << 2
        h = ptr32(p)
        r = int(h[_R])
        size = int(h[_SIZE])
        k = int(h[_W]) - r
        if k < 0:
            k += size
        if k > n:
            k = n
        da = d0
        left = k
        while left > 0:
            c = size - r  # bytes before the wrap point
            if c > left:
                c = left
            left -= c
            sa = p + _D + r
            r += c
            if r == size:
                r = 0
            if c >= 16 and (da ^ sa) & 3:  # no common word alignment: merge words
                copy = kit[1]
                copy(buf, da - d0, kit[0], sa - p, c)
                da += c
                c = 0
            # BEGIN SHARED copy_aligned
            # Copy c bytes from address sa to address da (same address mod 4 when
            # c >= 16); advances both (docs/design.md#copy-words).
            if c >= 16:
                while da & 3:
                    ptr8(da)[0] = ptr8(sa)[0]
                    da += 1
                    sa += 1
                    c -= 1
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
            d = ptr8(da)
            s = ptr8(sa)
            j = 0
            while j < c:
                d[j] = s[j]
                j += 1
            da += c
            sa += c
            # END SHARED copy_aligned
        if k:
            h[_SCAN] = 0
        h[_R] = r  # free the slots only after the data is copied out
        return k

    # Entry points with an optional count: @native over the viper kernel, the buffer
    # last checked in a cell, the count clamped as an object (docs/design.md#ring-closures).
    @micropython.native
    def write(buf, n=None):
        nonlocal wl
        if buf is not wl:
            self._wchk(buf)  # TypeError for a bad buffer, before any change
            wl = buf
        if n is None or n < 0 or n > 0x3FFFFFFF:
            n = -1  # all of buf
        return writek(buf, n)

    @micropython.native
    def readinto(buf, n=None):
        nonlocal rl
        if buf is not rl:
            self._rchk(buf)  # TypeError for a bad buffer, before any change
            rl = buf
        if n is None or n < 0 or n > 0x3FFFFFFF:
            n = -1  # no limit
        return readk(buf, n)

    self.put = put
    self.get = get
    self.write = write
    self.readinto = readinto
    self._writek = writek
    self._readk = readk


# ---- methods (bound on the ByteRing class; they read the address from self._a) -------


@micropython.viper
def peek(self) -> int:
    h = ptr32(int(self._a))
    r = int(h[_R])
    if r == h[_W]:
        return -1
    d = ptr8(int(self._a) + _D)
    return d[r]


@micropython.viper
def any(self) -> int:
    h = ptr32(int(self._a))
    n = int(h[_W]) - int(h[_R])
    if n < 0:
        n += int(h[_SIZE])
    return n


@micropython.viper
def space(self) -> int:
    h = ptr32(int(self._a))
    n = int(h[_W]) - int(h[_R])
    if n < 0:
        n += int(h[_SIZE])
    return int(h[_CAP]) - n


@micropython.viper
def dropped(self) -> int:
    h = ptr32(int(self._a))
    return int(h[_DROPPED])


@micropython.viper
def clear(self):
    h = ptr32(int(self._a))
    h[_SCAN] = 0
    h[_R] = h[_W]


@micropython.viper
def write_from(self, buf, nobj) -> int:
    n = int(nobj)  # TypeError for a float or None
    if buf is not self._wl:
        self._wchk(buf)  # a new buffer object: check its type once (cold path)
    if nobj >= _len(buf):  # compared as objects: a big int must not truncate
        n = -1
    elif nobj < _ONE:
        return 0
    return int(self._writek(buf, n))


def state(self):
    """The header words (w, r, dropped, size, scan, capacity, failures) as a tuple, as
    ``_ring_py.state`` (tests, ``dump``, ``stats``). Allocates; not IRQ-safe."""
    m = self._m
    return tuple(m[i] | m[i + 1] << 8 | m[i + 2] << 16 | m[i + 3] << 24
                 for i in range(0, _D, 4))


# ---- consumer side: scan, peek, skip, lines ---------------------------------------------


@micropython.viper
def _scan(self, byte: int, i: int, stop: int) -> int:
    # Offset (from the read index) of the first ``byte`` among the waiting bytes
    # i..stop-1 (caller keeps stop <= any()), or -1. O(stop - i), one compare per byte.
    h = ptr32(int(self._a))
    size = int(h[_SIZE])
    p = int(h[_R]) + i
    if p >= size:
        p -= size
    d = ptr8(int(self._a) + _D)
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
def _pos(self, off: int) -> int:
    # Storage index of waiting byte ``off`` (0 <= off < any()).
    h = ptr32(int(self._a))
    p = int(h[_R]) + off
    if p >= int(h[_SIZE]):
        p -= int(h[_SIZE])
    return p


@micropython.viper
def skip(self, nobj) -> int:
    n = int(nobj)  # TypeError for a float or None
    if nobj > _BIG:  # compared as objects: a big int must not truncate
        n = 0x3FFFFFFF
    if nobj < _ONE:
        return 0
    h = ptr32(int(self._a))
    r = int(h[_R])
    size = int(h[_SIZE])
    k = int(h[_W]) - r
    if k < 0:
        k += size
    if n < k:
        k = n
    if k <= 0:
        return 0
    s = int(h[_SCAN])
    c = (s >> 8) - k  # bytes of readline_into's scan still ahead of the new read index
    if c > 0:
        h[_SCAN] = (c << 8) | (s & 255)
    else:
        h[_SCAN] = 0
    r += k
    if r >= size:
        r -= size
    h[_R] = r
    return k


@micropython.viper
def _line(self, buf, delim: int) -> int:
    if buf is not self._rl:
        self._rchk(buf)  # a new buffer object: check its type once (cold path)
    m = int(_len(buf))
    if m == 0:
        self._bad(1, m, delim)  # ValueError (cold path)
    h = ptr32(int(self._a))
    n = int(h[_W]) - int(h[_R])
    if n < 0:
        n += int(h[_SIZE])
    lim = n
    if lim > m:
        lim = m
    i = 0
    s = int(h[_SCAN])
    if (s & 255) == delim:
        i = s >> 8  # already known to hold no delim: scan on from there
        if i > lim:
            i = lim
    i = int(_scan(self, delim, i, lim))
    if i >= 0:
        return int(self._readk(buf, i + 1))
    if n >= m:  # no delim in the first len(buf) bytes: the line goes on
        self._readk(buf, m)
        return 0 - m
    if lim > _SCAP:
        lim = _SCAP
    h[_SCAN] = (lim << 8) | delim
    return 0


# Methods with optional arguments: bytecode over the viper kernels (rarely hot;
# docs/design.md#ram-per-kernel). The checks run on the objects, so a big int never
# truncates to a machine word.


def find(self, byte, start=0):
    if byte < 0 or byte > 255 or start < 0:
        self._bad(0, byte, start)  # ValueError (cold path)
    n = any(self)
    if start > n:
        return -1
    return _scan(self, byte, start, n)


def peek_into(self, buf, offset=0):
    # Bytecode over _pos and the copy function: a rarely hot call, so it spends no RAM on
    # its own viper code (docs/design.md#ring-closures). Few locals: docs/design.md#heap-frames.
    if buf is not self._rl:
        self._rchk(buf)  # a new buffer object: check its type once (cold path)
    if offset < 0:
        self._bad(2, offset, 0)  # ValueError (cold path)
    k = any(self) - offset
    if k > _len(buf):
        k = _len(buf)
    if k <= 0:
        return 0
    offset = _pos(self, offset)  # storage index of the first byte to copy
    c = _len(self._m) - _D - offset  # bytes before the wrap point
    if c > k:
        c = k
    _mcopy(buf, 0, self._m, _D + offset, c)
    offset = k - c
    _mcopy(buf, c, self._m, _D, offset)  # nothing when it does not wrap
    return k


def readline_into(self, buf, delim=10):
    if delim < 0 or delim > 255:
        self._bad(1, _len(buf), delim)  # ValueError (cold path)
    return _line(self, buf, delim)
