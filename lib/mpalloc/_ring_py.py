"""Pure-Python kernel for ``mpalloc.ring.ByteRing`` (twin of ``_ring_viper``).

Same functions, same results as the viper kernel; used on firmware without a
native emitter (most CircuitPython boards) and on CPython.

Layout (built by ``init``): ``self._d`` a bytearray of ``size = capacity + 1``
bytes (one slot always stays empty), ``self._n`` = size, and three int
attributes: ``self._w`` (producer index, written only by the producer),
``self._r`` (consumer index, written only by the consumer) and ``self._drop``
(bytes refused because the ring was full; producer; mod 2**30). Consumer-owned:
``self._ls``, readline_into's scan memory ``(count << 8) | delim`` (the first
``count`` waiting bytes hold no ``delim``; 0 after any other consuming call).
Rebinding an existing instance attribute is one pointer store and allocates nothing.
"""

from mpalloc._lines import find, readline_into  # noqa: F401 (kernel functions)
from mpalloc._mem_py import copy as _copy

NAME = "py"

_BA = bytearray
_BY = bytes
_TAIL_MAX = 64
# Builtins as module globals: a builtin name is looked up in this module's dict first, and
# a miss there can cost more than the whole call.
_len = len
_type = type


def init(self, capacity):
    """Allocate the storage for ``capacity`` bytes (constructor only)."""
    self._d = bytearray(capacity + 1)
    self._n = capacity + 1
    self._w = 0
    self._r = 0
    self._drop = 0
    self._fail = 0  # refused calls (stats()["failures"]), mod 2**30
    self._ls = 0


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
    self._ls = 0  # readline_into's scan memory no longer starts at the read index
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
    self._ls = 0
    self._r = self._w


def write(self, buf, n=None):
    """Producer: append up to len(buf) bytes (the first ``n`` with a count; ``n < 0``:
    all, as MicroPython streams); return how many fit.

    The refused part counts in ``dropped``. No allocation, IRQ-safe (pure Python:
    slow in a hard IRQ). O(len(buf)): C slice copy for a whole bytes/bytearray
    that ends within 64 bytes of the storage's end, else one Python step per byte.
    """
    if n is not None and n >= 0:
        return write_from(self, buf, n)
    # Few locals on purpose (here and in readinto): a frame over ~11 words would come
    # from the heap on every call. At most two segments: before and after the wrap.
    if buf is not self._wl:
        self._wchk(buf)  # new buffer object: check its type once (cold path)
    n = self._r - self._w - 1  # free space
    if n < 0:
        n += self._n
    if _len(buf) <= n:
        n = _len(buf)
        if (_type(buf) is _BA or _type(buf) is _BY) and 0 <= self._n - self._w - n <= _TAIL_MAX:
            # Whole source, no wrap: C slice assignment (no allocation: same length). It
            # also memmoves the storage after the copy onto itself, so it runs only when
            # that tail is at most _TAIL_MAX bytes (cost O(len) + a constant). Those tail
            # bytes are rewritten with their own values, which is safe only because the
            # producer (this caller) is the one context that writes ring data.
            self._d[self._w:self._w + n] = buf
            _advance_w(self, n)
            return n
    else:
        # dropped + refused - 2**30, every intermediate a small int on 32-bit boards
        c = self._drop - 0x3FFFFFFF + (_len(buf) - n) - 1
        self._drop = c if c >= 0 else c + 0x3FFFFFFF + 1
        self._fail = self._fail + 1 if self._fail != 0x3FFFFFFF else 0  # mod 2**30, as _drop
    c = self._n - self._w  # room before the wrap point
    if n <= c:
        _copy(self._d, self._w, buf, 0, n)
    else:
        _copy(self._d, self._w, buf, 0, c)
        _copy(self._d, 0, buf, c, n - c)
    _advance_w(self, n)
    return n


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
    if _type(n) is not int:
        n = _count(n)
    if n >= _len(buf):
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


def readinto(self, buf, n=None):
    """Consumer: move min(len(buf), n, any()) bytes into buf[0:] (``n`` None or < 0:
    no limit); return that count.

    No allocation, IRQ-safe. O(count), one Python step per byte.
    """
    if buf is not self._rl:
        self._rchk(buf)  # new buffer object: check its type once (cold path)
    k = self._w - self._r  # bytes waiting
    if k < 0:
        k += self._n
    if _len(buf) < k:
        k = _len(buf)
    if n is not None and _type(n) is not int:
        n = _count(n)  # TypeError for a float (as the viper twin), bool: 0/1
    if n is not None and 0 <= n < k:
        k = n
    if not k:
        return 0
    self._ls = 0
    n = self._n - self._r  # bytes before the wrap point
    if k <= n:
        _copy(buf, 0, self._d, self._r, k)
        n = self._r + k
        self._r = n if n < self._n else 0
    else:
        _copy(buf, 0, self._d, self._r, n)
        _copy(buf, n, self._d, 0, k - n)
        self._r = k - n
    return k


# ---- consumer side: scan, peek, skip, lines (API second wave) --------------------------


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
    offset = k - c  # a local, not an expression in the call: the frame stays <= 11 words
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
