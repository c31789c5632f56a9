"""Viper kernel for ``mpalloc.fixed`` (twin of ``_fixed_py``).

``vec_ops`` builds, per typed FixedVec, three viper closures over the addresses
of its header and data arrays (one closure call + no attribute lookup is the
cheapest call MicroPython offers: ~1.6x ``list.append``+``list.pop``, where a
Python method costs ~4x). FixedStr functions take the FixedStr as ``self``.

Header ``h = array('i', [n, capacity])``; data ``d`` an ``array`` of itemsize
1, 2 or 4 (ints only; objects, floats and 8-byte items use ``_fixed_py``).
"""

import micropython

NAME = "viper"

_len = len
_STR = str


@micropython.viper
def _addr(buf) -> int:
    return int(ptr8(buf))


def vec_ops(d, h, size, lo, hi, sx, fail):
    """(append, try_append, pop) for int array ``d`` of ``size`` 1/2/4, or None.

    Header ``h`` = array('i', [n, capacity, 0, 0, 0]); this kernel stores in
    words 2..4 the range check (x + bias <= span, unsigned; sizes 1 and 2 only:
    4-byte values are truncated like MicroPython's ``array``) and ``sx``, the
    shift that sign-extends a loaded item. ``fail(code, x)`` raises
    (1 full, 2 empty, 3 out of range). Each call: O(1), no allocation.
    """
    if size == 1 or size == 2:
        h[2] = -lo
        h[3] = hi - lo
        h[4] = sx
        return (_ops1 if size == 1 else _ops2)(_addr(d), _addr(h), fail)
    if size == 4:
        h[4] = sx
        return _ops4(_addr(d), _addr(h), fail)
    return None


def _ops1(da, ha, fail):
    @micropython.viper
    def append(x: int):
        hp = ptr32(ha)
        n = int(hp[0])
        if n >= int(hp[1]):
            fail(1, x)
        if uint(x + int(hp[2])) > uint(hp[3]):
            fail(3, x)
        ptr8(da)[n] = x
        hp[0] = n + 1

    @micropython.viper
    def try_append(x: int) -> bool:
        hp = ptr32(ha)
        n = int(hp[0])
        if n >= int(hp[1]):
            return False
        if uint(x + int(hp[2])) > uint(hp[3]):
            fail(3, x)
        ptr8(da)[n] = x
        hp[0] = n + 1
        return True

    @micropython.viper
    def pop() -> int:
        hp = ptr32(ha)
        n = int(hp[0]) - 1
        if n < 0:
            fail(2, 0)
        hp[0] = n
        v = int(ptr8(da)[n])
        s = int(hp[4])
        return (v << s) >> s

    return append, try_append, pop


def _ops2(da, ha, fail):
    @micropython.viper
    def append(x: int):
        hp = ptr32(ha)
        n = int(hp[0])
        if n >= int(hp[1]):
            fail(1, x)
        if uint(x + int(hp[2])) > uint(hp[3]):
            fail(3, x)
        ptr16(da)[n] = x
        hp[0] = n + 1

    @micropython.viper
    def try_append(x: int) -> bool:
        hp = ptr32(ha)
        n = int(hp[0])
        if n >= int(hp[1]):
            return False
        if uint(x + int(hp[2])) > uint(hp[3]):
            fail(3, x)
        ptr16(da)[n] = x
        hp[0] = n + 1
        return True

    @micropython.viper
    def pop() -> int:
        hp = ptr32(ha)
        n = int(hp[0]) - 1
        if n < 0:
            fail(2, 0)
        hp[0] = n
        v = int(ptr16(da)[n])
        s = int(hp[4])
        return (v << s) >> s

    return append, try_append, pop


def _ops4(da, ha, fail):
    @micropython.viper
    def append(x: int):
        hp = ptr32(ha)
        n = int(hp[0])
        if n >= int(hp[1]):
            fail(1, x)
        ptr32(da)[n] = x
        hp[0] = n + 1

    @micropython.viper
    def try_append(x: int) -> bool:
        hp = ptr32(ha)
        n = int(hp[0])
        if n >= int(hp[1]):
            return False
        ptr32(da)[n] = x
        hp[0] = n + 1
        return True

    @micropython.viper
    def pop() -> int:
        hp = ptr32(ha)
        n = int(hp[0]) - 1
        if n < 0:
            fail(2, 0)
        hp[0] = n
        v = int(ptr32(da)[n])
        s = int(hp[4])
        return (v << s) >> s

    return append, try_append, pop


@micropython.viper
def push(self, s, partial: int) -> int:
    """Append str/bytes ``s``; bytes written, or -(bytes needed) when it does not fit.

    partial=1: write the longest prefix that fits on a character boundary.
    No allocation, IRQ-safe; O(len(s)). TypeError for a non-buffer ``s``.
    """
    hp = ptr32(self._h)
    n = int(hp[0])
    room = int(hp[1]) - n
    k = int(_len(s))
    p = ptr8(s)
    if isinstance(s, _STR):
        # utf-8 bytes of the k characters; with partial, stop before the
        # first character that would pass room (never split a character).
        lim = room if partial else 0x3FFFFFFF
        m = 0
        c = 0
        while c < k:
            b = p[m]
            w = 1
            if b >= 0xC0:
                w = 2
                if b >= 0xE0:
                    w = 3
                    if b >= 0xF0:
                        w = 4
            if m + w > lim:
                break
            m += w
            c += 1
    else:
        m = k
        if partial and m > room:
            m = room
    if m > room:
        return 0 - m
    d = ptr8(self._b)
    i = 0
    while i < m:
        d[n + i] = p[i]
        i += 1
    hp[0] = n + m
    return m


@micropython.viper
def fmt(self, v: int, dec: int) -> int:
    """Append ``v`` in decimal with ``dec`` digits after a point (235, 1 -> "23.5").

    Returns bytes written, or -(bytes needed) when they do not fit (nothing
    written). No allocation, IRQ-safe for small ints.
    """
    hp = ptr32(self._h)
    n = int(hp[0])
    neg = 0
    u = v
    if v < 0:
        neg = 1
        u = 0 - v
    nd = 1
    t = u // 10
    while t:
        nd += 1
        t //= 10
    if nd <= dec:
        nd = dec + 1
    total = neg + nd
    if dec > 0:
        total += 1
    if n + total > int(hp[1]):
        return 0 - total
    d = ptr8(self._b)
    e = n + total - 1
    i = 0
    while i < nd:
        if dec > 0 and i == dec:
            d[e] = 46  # '.'
            e -= 1
        d[e] = 48 + u % 10
        u //= 10
        e -= 1
        i += 1
    if neg:
        d[n] = 45  # '-'
    hp[0] = n + total
    return total


@micropython.viper
def push_str(self, s):
    """Append str/bytes ``s`` whole or raise CapacityError (nothing written).

    O(len(s)), no allocation unless it raises.
    """
    m = int(push(self, s, 0))
    if m < 0:
        self._full(0 - m)


@micropython.viper
def push_int(self, v: int):
    """Append int ``v`` in decimal or raise CapacityError. No allocation for small ints."""
    m = int(fmt(self, v, 0))
    if m < 0:
        self._full(0 - m)


@micropython.viper
def push_fixed(self, v: int, dec: int):
    """Append ``v`` as fixed point with ``dec`` decimals (235, 1 -> "23.5") or raise."""
    m = int(fmt(self, v, dec))
    if m < 0:
        self._full(0 - m)
