"""Pure-Python kernel for ``mpalloc.ring.ByteRing`` (twin of ``_ring_viper``).

Same functions, same results as the viper kernel; used on firmware without a
native emitter (most CircuitPython boards) and on CPython.

Layout (built by ``init``): ``self._d`` a bytearray of ``size = capacity + 1``
bytes (one slot always stays empty), ``self._n`` = size, and three int
attributes: ``self._w`` (producer index, written only by the producer),
``self._r`` (consumer index, written only by the consumer) and ``self._drop``
(bytes refused because the ring was full; producer; mod 2**30). Rebinding an
existing instance attribute is one pointer store and allocates nothing.
"""

from mpalloc._mem_py import copy as _copy

NAME = "py"

_BA = bytearray
_BY = bytes
_TAIL_MAX = 64


def init(self, capacity):
    """Allocate the storage for ``capacity`` bytes (constructor only)."""
    self._d = bytearray(capacity + 1)
    self._n = capacity + 1
    self._w = 0
    self._r = 0
    self._drop = 0
    self._fail = 0  # refused calls (stats()["failures"]), mod 2**30


def put(self, b):
    """Producer: append byte ``b & 0xFF``; False when full (``dropped`` += 1).

    O(1), no allocation, IRQ-safe.
    """
    b &= 0xFF  # first: a non-int raises TypeError even on a full ring, as in viper
    w = self._w
    nw = w + 1
    if nw == self._n:
        nw = 0
    if nw == self._r:
        # mod 2**30 without forming 2**30: a big int (heap) on 32-bit boards
        self._drop = self._drop + 1 if self._drop != 0x3FFFFFFF else 0
        self._fail = self._fail + 1 if self._fail != 0x3FFFFFFF else 0  # mod 2**30, as _drop
        return False
    self._d[w] = b
    self._w = nw
    return True


def get(self):
    """Consumer: remove and return the oldest byte, or -1 when empty.

    O(1), no allocation, IRQ-safe.
    """
    r = self._r
    if r == self._w:
        return -1
    v = self._d[r]
    r += 1
    if r == self._n:
        r = 0
    self._r = r
    return v


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
    n = self._r - self._w - 1
    if n < 0:
        n += self._n
    return n


def dropped(self):
    """Bytes refused because the ring was full, mod 2**30. O(1), no allocation, IRQ-safe."""
    return self._drop


def clear(self):
    """Consumer: discard the bytes waiting (``dropped`` is kept). O(1), no allocation, IRQ-safe."""
    self._r = self._w


def write(self, buf):
    """Producer: append up to len(buf) bytes; return how many fit.

    The refused tail counts in ``dropped``. No allocation, IRQ-safe (pure Python:
    slow in a hard IRQ). O(len(buf)): C slice copy for a whole bytes/bytearray
    that ends within 64 bytes of the storage's end, else one Python step per byte.
    """
    # Few locals on purpose (here and in readinto): a frame over ~11 words would come
    # from the heap on every call. At most two segments: before and after the wrap.
    if buf is not self._wl:
        self._wchk(buf)  # new buffer object: check its type once (cold path)
    k = self._r - self._w - 1  # free space
    if k < 0:
        k += self._n
    if len(buf) <= k:
        k = len(buf)
        if (type(buf) is _BA or type(buf) is _BY) and 0 <= self._n - self._w - k <= _TAIL_MAX:
            # Whole source, no wrap: C slice assignment (no allocation: same length). It
            # also memmoves the storage after the copy onto itself, so it runs only when
            # that tail is at most _TAIL_MAX bytes (cost O(len) + a constant). Those tail
            # bytes are rewritten with their own values, which is safe only because the
            # producer (this caller) is the one context that writes ring data.
            self._d[self._w:self._w + k] = buf
            _advance_w(self, k)
            return k
    else:
        # dropped + refused - 2**30, every intermediate a small int on 32-bit boards
        c = self._drop - 0x3FFFFFFF + (len(buf) - k) - 1
        self._drop = c if c >= 0 else c + 0x3FFFFFFF + 1
        self._fail = self._fail + 1 if self._fail != 0x3FFFFFFF else 0  # mod 2**30, as _drop
    c = self._n - self._w  # room before the wrap point
    if k <= c:
        _copy(self._d, self._w, buf, 0, k)
    else:
        _copy(self._d, self._w, buf, 0, c)
        _copy(self._d, 0, buf, c, k - c)
    _advance_w(self, k)
    return k


def _advance_w(self, k):
    w = self._w + k
    if w >= self._n:
        w -= self._n
    self._w = w


def write_from(self, buf, n):
    """Producer: append the first ``n`` bytes of buf (all of it when n >= len(buf),
    nothing when n <= 0); return how many fit. For an IRQ that got ``n`` bytes from
    ``uart.readinto(buf)``: ``buf[:n]`` would allocate a view. The refused part of
    those n bytes counts in ``dropped``. No allocation, IRQ-safe; O(n). TypeError
    (nothing changed) for a count that is not an int, as the viper twin.
    """
    # Few locals on purpose: a frame over ~11 words would come from the heap.
    if type(n) is not int:
        n = _count(n)
    if n >= len(buf):
        return write(self, buf)
    if buf is not self._wl:
        self._wchk(buf)
    if n <= 0:
        return 0
    k = self._r - self._w - 1  # free space
    if k < 0:
        k += self._n
    if k < n:
        # dropped + refused - 2**30 (n reused: a new local could cost a heap frame);
        # every intermediate a small int on 32-bit boards, where 2**30 is a big int
        n = self._drop - 0x3FFFFFFF + (n - k) - 1
        self._drop = n if n >= 0 else n + 0x3FFFFFFF + 1
        self._fail = self._fail + 1 if self._fail != 0x3FFFFFFF else 0  # mod 2**30, as _drop
        n = k
    k = self._n - self._w  # room before the wrap point
    if n <= k:
        _copy(self._d, self._w, buf, 0, n)
    else:
        _copy(self._d, self._w, buf, 0, k)
        _copy(self._d, 0, buf, k, n - k)
    _advance_w(self, n)
    return n


def _count(n):
    # A count that is not an int: a bool is the int 0/1; anything else is a TypeError,
    # as the viper twin's int conversion raises.
    if type(n) is bool:
        return int(n)
    raise TypeError("count must be an int, not %s" % type(n).__name__)


def readinto(self, buf):
    """Consumer: move min(len(buf), any()) bytes into buf[0:]; return that count.

    No allocation, IRQ-safe. O(count), one Python step per byte.
    """
    if buf is not self._rl:
        self._rchk(buf)  # new buffer object: check its type once (cold path)
    k = self._w - self._r  # bytes waiting
    if k < 0:
        k += self._n
    if len(buf) < k:
        k = len(buf)
    r = self._r
    c = self._n - r  # bytes before the wrap point
    if k <= c:
        _copy(buf, 0, self._d, r, k)
        r += k
        if r == self._n:
            r = 0
    else:
        _copy(buf, 0, self._d, r, c)
        r = k - c
        _copy(buf, c, self._d, 0, r)
    self._r = r
    return k
