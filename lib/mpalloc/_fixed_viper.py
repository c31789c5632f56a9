"""Viper kernel for ``mpalloc.fixed`` (twin of ``_fixed_py``, same functions).

``vec_ops`` builds, per typed FixedVec, three viper closures over the address of
its header (why closures: docs/design.md#family-fixed). ``push``/``fmt``/``fill``
take the FixedStr as ``self`` and return bytes written or -(bytes needed);
FixedStr's methods raise from that. Header layout: ``fixed.FixedVec.__init__``.
"""

import sys

import micropython

NAME = "viper"

_len = len
_STR = str
_BYTES = (bytes, bytearray)


def _wide(s):
    from mpalloc._util import wide

    return wide(s)


def _bad_wide(s):
    raise TypeError("FixedStr needs str or a byte buffer (items of one byte), got %r" % (s,))


# Small-int bounds on a 32-bit board, as objects (not const): compared with the caller's
# int object so a bigger one is caught before viper truncates it to a machine word.
_VMAX = 0x3FFFFFFF
_VMIN = -0x40000000


@micropython.viper
def _addr(buf) -> int:
    return int(ptr8(buf))


def vec_ops(d, h, size, lo, hi, sx, fail):
    """(append, try_append, pop) for int array ``d`` of ``size`` 1/2/4, or None.

    Fills the kernel's words 2..6 of header ``h`` (layout: fixed.FixedVec) and
    returns the closures of ``_ops``. ``lo..hi``: the accepted int range (no
    check when lo > hi); ``sx``: the shift that sign-extends a loaded item;
    ``fail(code, x)`` raises (1 full, 2 empty, 3 out of range). None when the
    item offset does not fit 32 bits. Each call: O(1), no allocation.
    """
    if size not in (1, 2, 4):
        return None
    ha = _addr(h)
    off = _addr(d) - ha
    if not -(1 << 31) <= off < (1 << 31):
        return None
    h[2] = size
    h[3] = 1 if lo <= hi else 0
    h[4] = sx
    h[5] = off
    h[6] = 32 if sys.maxsize > 0xFFFFFFFF else 0
    # ha >> 2: a small int on every board (rv32 RAM sits at 0x80000000, where ha itself
    # is a big int, slow to convert each call); the header is word-aligned.
    return _ops(ha >> 2, lo, hi, fail)


def _ops(hq, lo, hi, fail):
    # One source for every item size: the size (word 2) picks ptr8/16/32 at run time.
    # Why closures, and why no module global is named in them: docs/design.md#family-fixed
    @micropython.viper
    def append(xo):
        a = int(hq) << 2
        hp = ptr32(a)
        n = int(hp[0])
        if n >= int(hp[1]):
            fail(1, xo)
        # BEGIN SHARED fixedvec-store
        if hp[3] and (xo < lo or xo > hi):  # objects: docs/design.md#family-fixed
            fail(3, xo)
        x = int(xo)
        o = int(hp[6])
        p = a + ((int(hp[5]) << o) >> o)
        s = int(hp[2])
        if s == 2:
            ptr16(p)[n] = x
        elif s == 1:
            ptr8(p)[n] = x
        else:
            ptr32(p)[n] = x
        hp[0] = n + 1
        # END SHARED fixedvec-store

    @micropython.viper
    def try_append(xo) -> bool:
        a = int(hq) << 2
        hp = ptr32(a)
        n = int(hp[0])
        if n >= int(hp[1]):
            return False
        # BEGIN SHARED fixedvec-store
        if hp[3] and (xo < lo or xo > hi):  # objects: docs/design.md#family-fixed
            fail(3, xo)
        x = int(xo)
        o = int(hp[6])
        p = a + ((int(hp[5]) << o) >> o)
        s = int(hp[2])
        if s == 2:
            ptr16(p)[n] = x
        elif s == 1:
            ptr8(p)[n] = x
        else:
            ptr32(p)[n] = x
        hp[0] = n + 1
        # END SHARED fixedvec-store
        return True

    @micropython.viper
    def pop() -> int:
        a = int(hq) << 2
        hp = ptr32(a)
        n = int(hp[0]) - 1
        if n < 0:
            fail(2, 0)
        hp[0] = n
        o = int(hp[6])
        p = a + ((int(hp[5]) << o) >> o)
        s = int(hp[2])
        if s == 2:
            v = int(ptr16(p)[n])
        elif s == 1:
            v = int(ptr8(p)[n])
        else:
            v = int(ptr32(p)[n])
        o = int(hp[4])
        return (v << o) >> o

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
        if not isinstance(s, _BYTES) and _wide(s):
            _bad_wide(s)
        m = k
        if partial and m > room:
            m = room
            while m > 0 and (p[m] & 0xC0) == 0x80:  # not inside a utf-8 character
                m -= 1
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
def fmt(self, vo, deco) -> int:
    """Append int ``vo`` in decimal with ``deco`` digits after a point (235, 1 -> "23.5").

    Returns bytes written, or -(bytes needed) when they do not fit (nothing
    written). No allocation, IRQ-safe for small ints; TypeError for a non-int.
    """
    if vo > _VMAX or vo < _VMIN or deco > _VMAX or deco < _VMIN:
        return int(_exact(self, vo, deco))  # as objects: a big int must not truncate
    v = int(vo)
    dec = int(deco)
    hp = ptr32(self._h)
    n = int(hp[0])
    neg = 0
    u = v
    low = 0  # added to the last digit (see below)
    if v < 0:
        neg = 1
        u = 0 - v
        if u < 0:  # v = -2**31: 0 - v wraps to itself in a 32-bit word. Write
            u = 0 - (v + 8)  # 2**31 - 8 (same digit count) and add 8 to its last digit
            low = 8
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
        d[e] = 48 + u % 10 + low
        low = 0
        u //= 10
        e -= 1
        i += 1
    if neg:
        d[n] = 45  # '-'
    hp[0] = n + total
    return total


def _exact(self, v, dec):
    # fmt for ints beyond -2**30..2**30-1 (big ints on a 32-bit board; viper would
    # truncate them to a machine word): the pure twin's exact digits (allocates). The
    # bytes needed may be a big int too, so a miss raises CapacityError here.
    from mpalloc._fixed_py import fmt

    m = fmt(self, v, dec)
    if m < 0:
        self._full(-m)
    return m


@micropython.viper
def fill(self, fmt) -> int:
    """Replace the text with compiled Format ``fmt`` filled from ``fmt.values``.

    Returns bytes written, or -(bytes needed) when they do not fit (nothing
    written, old text kept). Program layout: ``fixed.Format.__init__``. Two
    passes (size, then write). No allocation, IRQ-safe; O(len(result)).
    """
    p = ptr8(fmt._p)
    vp = ptr32(fmt._v)
    sx = int(p[1])
    end = int(p[2]) | int(p[3]) << 8
    total = int(p[4]) | int(p[5]) << 8
    i = 6
    k = 0
    while i < end:
        op = int(p[i])
        if op < 128:
            i += op + 1
            continue
        i += 1
        dec = op - 128
        v = int(vp[k])
        v = (v << sx) >> sx
        k += 1
        if v < 0:
            total += 1
            v = 0 - v
            if v < 0:  # -2**31 wraps to itself: 2**31 - 8 has as many digits
                v = 0 - (v + 8)
        nd = 1
        t = 10
        while nd < 10 and v >= t:
            nd += 1
            t *= 10
        if nd <= dec:
            nd = dec + 1
        total += nd
        if dec:
            total += 1
    hp = ptr32(self._h)
    if total > int(hp[1]):
        return 0 - total
    d = ptr8(self._b)
    n = 0
    i = 6
    k = 0
    while i < end:
        op = int(p[i])
        i += 1
        if op < 128:
            op += i
            while i < op:
                d[n] = p[i]
                n += 1
                i += 1
            continue
        dec = op - 128
        v = int(vp[k])
        v = (v << sx) >> sx
        k += 1
        low = 0  # added to the last digit
        if v < 0:
            d[n] = 45  # '-'
            n += 1
            v = 0 - v
            if v < 0:  # -2**31 (see fmt): write 2**31 - 8, then 8 more in the last digit
                v = 0 - (v + 8)
                low = 8
        nd = 1
        t = 10
        while nd < 10 and v >= t:
            nd += 1
            t *= 10
        if nd <= dec:
            nd = dec + 1
        if dec:
            nd += 1
        e = n + nd - 1
        n += nd
        j = 0
        while e >= n - nd:
            if j == dec and dec:
                d[e] = 46  # '.'
            else:
                d[e] = 48 + v % 10 + low
                low = 0
                v //= 10
            e -= 1
            j += 1
    hp[0] = n
    return n


