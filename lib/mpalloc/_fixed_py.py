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
            s = memoryview(s)  # TypeError for non-buffers, as the twin
        if partial and len(s) > room:
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
    h = self._h
    n = h[0]
    neg = 1 if v < 0 else 0
    u = -v if neg else v
    nd = 1
    t = u // 10
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
        d[e] = 48 + u % 10
        u //= 10
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
