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
            # BEGIN SHARED fixedvec-py-store
            if x < h[2] or x > h[3]:
                fail(3, x)
            d[n] = x
            h[0] = n + 1
            # END SHARED fixedvec-py-store

        def try_append(x):
            n = h[0]
            if n >= h[1]:
                return False
            # BEGIN SHARED fixedvec-py-store
            if x < h[2] or x > h[3]:
                fail(3, x)
            d[n] = x
            h[0] = n + 1
            # END SHARED fixedvec-py-store
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
    # This and every function below keep their frames small: docs/design.md#heap-frames
    h = self._h
    room = h[1] - h[0]
    if isinstance(s, _STR):
        s = _utf8(s, room if partial else 1 << 30)
    else:
        if type(s) is not bytes and type(s) is not bytearray:
            s = _view(s)
        if partial and len(s) > room:
            s = _prefix(s, room)
    m = len(s)
    if m > room:
        return -m
    room = h[0]  # now where s goes (one local fewer: docs/design.md#heap-frames)
    self._b[room:room + m] = s
    h[0] = room + m
    return m


def _view(s):
    # A memoryview of byte buffer s (not bytes/bytearray); TypeError for wider items
    # and for non-buffers, as the twin.
    from mpalloc._util import wide

    if wide(s):
        raise TypeError("FixedStr needs str or a byte buffer (items of one byte), "
                        "got %r" % (s,))
    return memoryview(s)


def _prefix(s, room):
    # The first room bytes of byte buffer s, fewer so as not to end inside a utf-8
    # character.
    while room > 0 and (s[room] & 0xC0) == 0x80:
        room -= 1
    return memoryview(s)[:room]


def fmt(self, v, dec):
    """Append ``v`` in decimal with ``dec`` digits after a point (235, 1 -> "23.5").

    Returns bytes written, or -(bytes needed) (nothing written). No allocation
    for small ints.
    """
    if type(v) is float or type(dec) is float:
        raise TypeError("FixedStr: int expected, got %r, %r (nothing written)" % (v, dec))
    # Seven locals, each reused (t: a quotient, the header, the start; nd: the digits,
    # the bytes, the end; dec: the point's index): docs/design.md#heap-frames
    # Digits of -|v| // -10, never of -v: that is 2**30 for v = -2**30, a big int (heap)
    # on 32-bit boards.
    t = (v if v < 0 else -v) // -10
    nd = 1
    while t:
        nd += 1
        t //= 10
    if nd <= dec:
        nd = dec + 1
    nd += (1 if v < 0 else 0) + (1 if dec > 0 else 0)  # bytes: sign, digits, point
    t = self._h
    if t[0] + nd > t[1]:
        return -nd
    t = t[0]  # where the number starts
    nd += t  # where it ends
    d = self._b
    if v < 0:
        d[t] = 45
        t += 1
    else:
        v = -v  # v = -|v| <= 0 from here
    e = nd - 1
    dec = e - dec if dec > 0 else -1  # dec: where the point goes (-1: none)
    while e >= t:
        if e == dec:
            d[e] = 46
            e -= 1
        d[e] = 48 - v % -10  # v % -10 is in -9..0
        v = -(v // -10)
        e -= 1
    t = self._h
    e = nd - t[0]
    t[0] = nd
    return e


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


def _digits(v, dec, d, n):
    # Write v with dec decimals at d[n:]; returns the new end. Works on w = -|v| <= 0
    # (see _width); the point goes dec digits from the end.
    end = n + _width(v, dec)
    e = end - 1
    w = v
    if v < 0:
        d[n] = 45
        n += 1
    else:
        w = -v
    while e >= n:
        if dec and e == end - 1 - dec:
            d[e] = 46
        else:
            d[e] = 48 - w % -10  # w % -10 is in -9..0
            w = -(w // -10)
        e -= 1
    return end


def fill(self, fmt):
    """Replace the text with compiled Format ``fmt`` filled from ``fmt.values``.

    Returns bytes written, or -(bytes needed) (nothing written, old text kept).
    No allocation for small ints, no heap call frame either. O(len(result)).
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
        if p[i] < 128:
            n = _literal(d, n, p, i)
            i += p[i] + 1
        else:
            # Expressions first, plain names last: the shortest stack for this frame.
            n = _digits(vals[k], p[i] - 128, d, n)
            k += 1
            i += 1
    return n


def _literal(d, n, p, i):
    # Copy the literal run at p[i] (p[i] bytes follow) to d[n:]; returns the new end.
    e = i + p[i] + 1
    i += 1
    while i < e:
        d[n] = p[i]
        n += 1
        i += 1
    return n
