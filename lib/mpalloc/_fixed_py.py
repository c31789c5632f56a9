"""Pure-Python kernel for ``mpalloc.fixed`` (twin of ``_fixed_viper``).

Same functions and behaviour; ``vec_ops`` also serves object and float vecs
on every runtime. On MicroPython without viper, ``push`` of a ``str`` encodes
it first (allocates a temporary bytes); bytes/bytearray pushes do not allocate.
"""

NAME = "py"

_STR = str


def vec_ops(d, h, size, lo, hi, sx, fail):
    """(append, try_append, pop) closures over data ``d`` and header ``h``.

    ``d`` is a list (objects) or an array; ``lo..hi`` the accepted int range
    (no check when lo > hi; kept in h[2], h[3]); ``sx`` unused here;
    ``fail(code, x)`` raises. Each closure captures at most 3 variables: a
    MicroPython closure call with more than 5 captured + passed values
    allocates its argument array on the heap.
    """
    if lo <= hi:
        h[2] = lo
        h[3] = hi

        def append(x):
            n = h[0]
            if n >= h[1]:
                fail(1, x)
            if x < h[2] or x > h[3]:
                fail(3, x)
            d[n] = x
            h[0] = n + 1

        def try_append(x):
            n = h[0]
            if n >= h[1]:
                return False
            if x < h[2] or x > h[3]:
                fail(3, x)
            d[n] = x
            h[0] = n + 1
            return True
    else:

        def append(x):
            n = h[0]
            if n >= h[1]:
                fail(1, x)
            d[n] = x
            h[0] = n + 1

        def try_append(x):
            n = h[0]
            if n >= h[1]:
                return False
            d[n] = x
            h[0] = n + 1
            return True

    if size == 0:

        def pop():
            n = h[0] - 1
            if n < 0:
                fail(2, 0)
            h[0] = n
            v = d[n]
            d[n] = None  # drop the reference
            return v
    else:

        def pop():
            n = h[0] - 1
            if n < 0:
                fail(2, 0)
            h[0] = n
            return d[n]

    return append, try_append, pop


def _utf8(s, room):
    # Longest prefix of s (str) on a character boundary within room bytes, encoded.
    e = s.encode()
    if len(e) <= room:
        return e
    i = room
    while i > 0 and (e[i] & 0xC0) == 0x80:
        i -= 1
    return e[:i]


def push(self, s, partial):
    """Append str/bytes ``s``; bytes written, or -(bytes needed) when it does not fit.

    partial=1: write the longest prefix that fits on a character boundary.
    O(len(s)); no allocation for bytes/bytearray, a temporary for str.
    """
    h = self._h
    n = h[0]
    room = h[1] - n
    if isinstance(s, _STR):
        s = _utf8(s, room if partial else 1 << 30)
    else:
        t = type(s)
        if t is not bytes and t is not bytearray:
            from mpalloc._util import wide

            if wide(s):
                raise TypeError("FixedStr needs str or a byte buffer (items of one byte), "
                                "got %r" % (s,))
            s = memoryview(s)  # TypeError for non-buffers, as the twin
        if partial and len(s) > room:
            while room > 0 and (s[room] & 0xC0) == 0x80:  # not inside a utf-8 character
                room -= 1
            s = memoryview(s)[:room]
    m = len(s)
    if m > room:
        return -m
    self._b[n:n + m] = s
    h[0] = n + m
    return m


def fmt(self, v, dec):
    """Append ``v`` in decimal with ``dec`` digits after a point (235, 1 -> "23.5").

    Returns bytes written, or -(bytes needed) (nothing written). No allocation
    for small ints.
    """
    if type(v) is float or type(dec) is float:
        raise TypeError("FixedStr: int expected, got %r, %r (nothing written)" % (v, dec))
    h = self._h
    n = h[0]
    neg = 1 if v < 0 else 0
    # Digits of w = -|v| <= 0: -v is 2**30 for v = -2**30, a big int (heap) on 32-bit.
    w = v if neg else -v
    nd = 1
    t = w // -10
    while t:
        nd += 1
        t //= 10
    if nd <= dec:
        nd = dec + 1
    total = neg + nd + (1 if dec > 0 else 0)
    if n + total > h[1]:
        return -total
    d = self._b
    e = n + total - 1
    i = 0
    while i < nd:
        if dec > 0 and i == dec:
            d[e] = 46
            e -= 1
        d[e] = 48 - w % -10  # w % -10 is in -9..0
        w = -(w // -10)
        e -= 1
        i += 1
    if neg:
        d[n] = 45
    h[0] = n + total
    return total


def push_str(self, s):
    """Append str/bytes ``s`` whole or raise CapacityError (nothing written)."""
    m = push(self, s, 0)
    if m < 0:
        self._full(-m)


def push_int(self, v):
    """Append int ``v`` in decimal or raise CapacityError. No allocation for small ints."""
    m = fmt(self, v, 0)
    if m < 0:
        self._full(-m)


def push_fixed(self, v, dec):
    """Append ``v`` as fixed point with ``dec`` decimals (235, 1 -> "23.5") or raise."""
    m = fmt(self, v, dec)
    if m < 0:
        self._full(-m)


def _width(v, dec):
    # Bytes of int v written with dec decimals (sign, digits, point). Counts the digits
    # of v // -10 for v < 0, never -v: -(-2**30) is a big int (heap) on 32-bit boards.
    w = 1
    if v < 0:
        w = 2
        t = v // -10
    else:
        t = v // 10
    nd = 1
    while t:
        nd += 1
        t //= 10
    if nd <= dec:
        nd = dec + 1
    return w + nd if dec else w + nd - 1


def _digits(d, n, v, dec):
    # Write v with dec decimals at d[n:]; returns the new end. Works on w = -|v| <= 0
    # (see _width).
    e = n + _width(v, dec) - 1
    end = e + 1
    w = v
    if v < 0:
        d[n] = 45
        n += 1
    else:
        w = -v
    j = 0
    while e >= n:
        if j == dec and dec:
            d[e] = 46
        else:
            d[e] = 48 - w % -10  # w % -10 is in -9..0
            w = -(w // -10)
        e -= 1
        j += 1
    return end


def fill(self, fmt):
    """Replace the text with compiled Format ``fmt`` filled from ``fmt.values``.

    Returns bytes written, or -(bytes needed) (nothing written, old text kept).
    No allocation for small ints (no_alloc); ``_write`` gets a heap frame,
    freed on return (C stack under heap_lock). O(len(result)).
    """
    p = fmt._p
    m = _need(p, fmt._v)
    if m > self._h[1]:
        return -m
    self._h[0] = _write(self._b, p, fmt._v)
    return m


def _need(p, vals):
    # Bytes the program p renders to with vals.
    total = p[4] | p[5] << 8
    i = 6
    k = 0
    while i < p[2] | p[3] << 8:
        op = p[i]
        if op < 128:
            i += op + 1
        else:
            total += _width(vals[k], op - 128)
            k += 1
            i += 1
    return total


def _write(d, p, vals):
    # Render program p with vals into d[0:]; returns the length.
    n = 0
    i = 6
    k = 0
    while i < p[2] | p[3] << 8:
        op = p[i]
        i += 1
        if op < 128:
            op += i
            while i < op:
                d[n] = p[i]
                n += 1
                i += 1
        else:
            n = _digits(d, n, vals[k], op - 128)
            k += 1
    return n


def render(self, fmt):
    """Replace the text with ``fmt`` filled from ``fmt.values`` or raise CapacityError."""
    m = fill(self, fmt)
    if m < 0:
        self._full(-m, 1)


def try_render(self, fmt):
    """Like ``render`` but returns False (text unchanged) when it does not fit."""
    return fill(self, fmt) >= 0
