"""Pure-Python kernel for ``mpalloc.ring.ByteRing`` (twin of ``_ring_viper``).

Same functions, same call structure, same results as the viper kernel; used on firmware
without a native emitter (most CircuitPython boards) and on CPython. ``bind(ring,
capacity)`` allocates the storage and puts the hot entry points on the instance as
closures (``put``, ``get``, ``write``, ``readinto``, ``_writek``, ``_readk``); the other
functions are ByteRing methods.

State: the viper kernel's header words as attributes (owner, invariant)::

    self._d     bytearray of size = (capacity + 4) & -4 data bytes (as the viper layout)
    self._n     size; constant
    self._cap   capacity; constant; (w - r) mod size <= capacity
    self._w     write index 0..size-1; producer only, stored after the data
    self._r     read index 0..size-1; consumer only, stored after the copy out
    self._drop  bytes refused when full, mod 2**30; producer only
    self._fail  refusing put/write/write_from calls, mod 2**30; producer only
    self._ls    readline_into: (count << 8) | delim: no delim in the first count waiting
                bytes; consumer only; 0 after any other consuming call

Rebinding an existing instance attribute is one pointer store and allocates nothing.
Few locals per function on purpose: a frame over ~11 words comes from the heap
(docs/design.md#heap-frames).
"""

from mpalloc._lines import find, readline_into  # noqa: F401 (kernel functions)
from mpalloc._mem_py import copy as _copy

NAME = "py"

_BA = bytearray
_BY = bytes
_TAIL_MAX = 64
# Builtins as module globals (docs/design.md#builtin-globals).
_len = len
_type = type


def bind(self, capacity):
    """Allocate the storage for ``capacity`` bytes and bind the hot entry points on the
    instance (constructor only: allocates the storage and 6 closures)."""
    size = (capacity + 4) & -4
    d = bytearray(size)
    self._d = d
    self._n = size
    self._cap = capacity
    self._w = 0
    self._r = 0
    self._drop = 0
    self._fail = 0
    self._ls = 0

    def put(b):
        b &= 0xFF  # first: a non-int raises TypeError even on a full ring, as in viper
        w = self._w
        n = w - self._r
        if n < 0:
            n += self._n
        if n == self._cap:
            _refused(self, 1)
            return False
        d[w] = b
        w += 1
        if w == self._n:
            w = 0
        self._w = w  # publish only after the byte is in place
        return True

    def get():
        r = self._r
        if r == self._w:
            return -1
        v = d[r]
        r += 1
        if r == self._n:
            r = 0
        self._ls = 0  # readline_into's scan memory no longer starts at the read index
        self._r = r  # free the slot only after the byte is read
        return v

    def writek(buf, n):
        # Unguarded write(buf, n): the caller has checked buf's type. n < 0: all of buf.
        if n < 0 or n > _len(buf):
            n = _len(buf)
        k = self._w - self._r
        if k < 0:
            k += self._n
        k = self._cap - k  # free space
        if k < n:
            _refused(self, n - k)
            n = k
        elif (n == _len(buf) and (_type(buf) is _BA or _type(buf) is _BY)
              and 0 <= self._n - self._w - n <= _TAIL_MAX):
            # Whole source, no wrap: a C slice store, only with a short tail after it
            # (docs/design.md#ring-store).
            d[self._w:self._w + n] = buf
            _advance_w(self, n)
            return n
        _put_bytes(self, buf, n)
        return n

    def readk(buf, n):
        # Unguarded readinto(buf, n): the caller has checked buf's type. n < 0: no limit.
        if n < 0 or n > _len(buf):
            n = _len(buf)
        k = any(self)
        if k > n:
            k = n
        if k:
            _get_bytes(self, buf, k)
        return k

    # Entry points with an optional count, as the viper kernel's: check a new buffer
    # object's type once (cold path) and remember it in a cell.
    wl = rl = d  # the last buffer write / readinto checked; first the storage (not None: a
    # None buffer must be checked, and refused)

    def write(buf, n=None):
        nonlocal wl
        if buf is not wl:
            self._wchk(buf)  # TypeError for a bad buffer, before any change
            wl = buf
        if n is None or n < 0 or n > 0x3FFFFFFF:
            n = -1  # all of buf
        elif _type(n) is not int:
            n = _count(n)  # TypeError for a float (as the viper twin), bool: 0/1
        return writek(buf, n)

    def readinto(buf, n=None):
        nonlocal rl
        if buf is not rl:
            self._rchk(buf)  # TypeError for a bad buffer, before any change
            rl = buf
        if n is None or n < 0 or n > 0x3FFFFFFF:
            n = -1  # no limit
        elif _type(n) is not int:
            n = _count(n)  # TypeError for a float (as the viper twin), bool: 0/1
        return readk(buf, n)

    self.put = put
    self.get = get
    self.write = write
    self.readinto = readinto
    self._writek = writek
    self._readk = readk


def _refused(self, k):
    # Producer: count ``k`` refused bytes and one refusing call, mod 2**30 without ever
    # forming 2**30 (a big int, a heap object, on 32-bit boards).
    k = self._drop - 0x3FFFFFFF + k - 1
    self._drop = k if k >= 0 else k + 0x3FFFFFFF + 1
    self._fail = self._fail + 1 if self._fail != 0x3FFFFFFF else 0


def _put_bytes(self, buf, n):
    # Producer: copy buf[0:n] in at the write index (n <= free space), then publish.
    k = self._n - self._w  # room before the wrap point
    if n <= k:
        _copy(self._d, self._w, buf, 0, n)
    else:
        _copy(self._d, self._w, buf, 0, k)
        _copy(self._d, 0, buf, k, n - k)
    _advance_w(self, n)


def _get_bytes(self, buf, k):
    # Consumer: copy k waiting bytes (k <= any()) out to buf[0:k], then free them.
    n = self._n - self._r  # bytes before the wrap point
    if k <= n:
        _copy(buf, 0, self._d, self._r, k)
        n = self._r + k
    else:
        _copy(buf, 0, self._d, self._r, n)
        _copy(buf, n, self._d, 0, k - n)
        n = k - n
    self._ls = 0
    self._r = n if n < self._n else 0  # free the slots only after the copy out


def _advance_w(self, k):
    w = self._w + k
    if w >= self._n:
        w -= self._n
    self._w = w  # publish only after the data is in place


# ---- methods (bound on the ByteRing class) --------------------------------------------


def peek(self):
    """Consumer: the oldest byte without removing it, or -1. O(1), no allocation, IRQ-safe."""
    r = self._r
    if r == self._w:
        return -1
    return self._d[r]


def any(self):
    """Bytes waiting (also ``len(ring)``). O(1), no allocation, IRQ-safe."""
    n = self._w - self._r
    if n < 0:
        n += self._n
    return n


def space(self):
    """Bytes that fit now: capacity - any(). O(1), no allocation, IRQ-safe."""
    n = self._w - self._r
    if n < 0:
        n += self._n
    return self._cap - n


def dropped(self):
    """Bytes refused because the ring was full, mod 2**30. O(1), no allocation, IRQ-safe."""
    return self._drop


def clear(self):
    """Consumer: discard the bytes waiting (``dropped`` is kept). O(1), no allocation, IRQ-safe."""
    self._ls = 0
    self._r = self._w


def write_from(self, buf, n):
    """Producer: append the first ``n`` bytes of buf (all of it when n >= len(buf),
    nothing when n <= 0); return how many fit. For an IRQ that got ``n`` bytes from
    ``uart.readinto(buf)``: ``buf[:n]`` would allocate a view. The refused part of
    those n bytes counts in ``dropped``. No allocation, IRQ-safe; O(n). TypeError
    (nothing changed) for a count that is not an int, as the viper twin.
    """
    if _type(n) is not int:
        n = _count(n)
    if buf is not self._wl:
        self._wchk(buf)  # a new buffer object: check its type once (cold path)
    if n >= _len(buf):
        n = -1
    elif n <= 0:
        return 0
    return self._writek(buf, n)


def state(self):
    """The state as the viper kernel's header words (w, r, dropped, size, scan,
    capacity, failures), as ``_ring_viper.state`` (tests, ``dump``, ``stats``).
    Allocates; not IRQ-safe."""
    return (self._w, self._r, self._drop, self._n, self._ls, self._cap, self._fail)


def _count(n):
    # A count that is not an int: a bool is the int 0/1; anything else is a TypeError,
    # as the viper twin's int conversion raises.
    if type(n) is bool:
        return int(n)
    raise TypeError("count must be an int, not %s" % type(n).__name__)


# ---- consumer side: scan, peek, skip, lines ---------------------------------------------


def _scan(self, byte, i, stop):
    # Offset (from the read index) of the first ``byte`` among the waiting bytes
    # i..stop-1 (caller keeps stop <= any()), or -1. One step per byte.
    stop -= i
    i += self._r
    while stop > 0:
        if i >= self._n:
            i -= self._n
        if self._d[i] == byte:
            i -= self._r
            return i if i >= 0 else i + self._n
        i += 1
        stop -= 1
    return -1


def peek_into(self, buf, offset=0):
    """Consumer: copy waiting bytes from ``offset`` into ``buf`` without consuming;
    return the count. No allocation, IRQ-safe; O(count)."""
    if buf is not self._rl:
        self._rchk(buf)  # new buffer object: check its type once (cold path)
    if offset < 0:
        self._bad(2, offset, 0)  # ValueError (cold path)
    k = any(self) - offset
    if k > _len(buf):
        k = _len(buf)
    if k <= 0:
        return 0
    offset += self._r
    if offset >= self._n:
        offset -= self._n
    c = self._n - offset  # bytes before the wrap point
    if c > k:
        c = k
    _copy(buf, 0, self._d, offset, c)
    offset = k - c  # a local, not an expression in the call (docs/design.md#heap-frames)
    _copy(buf, c, self._d, 0, offset)  # nothing when it does not wrap
    return k


def skip(self, n):
    """Consumer: drop up to ``n`` waiting bytes; return how many. O(1), no allocation, IRQ-safe."""
    if _type(n) is not int:
        n = _count(n)  # TypeError for a float or None (as the viper twin), bool: 0/1
    k = any(self)
    if n < k:
        k = n
    if k <= 0:
        return 0
    n = (self._ls >> 8) - k  # bytes of readline_into's scan still ahead of the new index
    self._ls = (n << 8) | (self._ls & 255) if n > 0 else 0
    n = self._r + k
    if n >= self._n:
        n -= self._n
    self._r = n
    return k
