"""Cold code of ``mpalloc.arena`` (internal), imported on first use.

Error messages, ``stats``/``dump``/``repr``, debug mode, chaining a new arena block and
``trim``: nothing here is on a no-alloc or IRQ-safe path, so keeping it out of the
public modules saves their RAM after import.
"""

from mpalloc._util import const
from mpalloc.errors import AllocError, CapacityError

MAX_ALIGN = const(4096)  # layout arena
_BAD_ALIGN = const(-4096)  # layout arena
_WRAP = const(0x3FFFFFFF)
_POS_LIMIT = const(0x3FFFFFFF)
# Arena._s and Arena._c indices (see arena.py).
_POS = const(0)  # layout arena
_END = const(1)  # layout arena
_BLOCKS = const(0)  # layout arena
_MVS = const(1)  # layout arena
_BASES = const(2)  # layout arena
_LOWS = const(3)  # layout arena
_HELD = const(4)  # layout arena
_BI = const(5)  # layout arena
_SC = const(6)  # layout arena
_SD = const(7)  # layout arena
_REL = const(9)  # layout arena
_FAILS = const(10)  # layout arena
_ALLOCS = const(11)  # layout arena
_PA = const(12)  # layout arena
_PR = const(13)  # layout arena
_SIZE = const(14)  # layout arena
_GROW = const(15)  # layout arena
_LIMIT = const(16)  # layout arena


# ---- Arena ----------------------------------------------------------------------------


def bad_arena(size, limit, scopes, grow):
    """Raise the constructor's error for bad ``Arena(size, grow=, limit=, scopes=)``."""
    if type(size) is not int or type(scopes) is not int:
        raise TypeError("Arena(size, scopes=...): ints required, got %s and %s"
                        % (type(size).__name__, type(scopes).__name__))
    if size < 1 or size > _POS_LIMIT:
        raise ValueError("Arena size %d out of range: use 1 <= size < %d"
                         % (size, _POS_LIMIT + 1))
    if limit is not None:
        if type(limit) is not int:
            raise TypeError("Arena limit must be an int or None, got %s"
                            % type(limit).__name__)
        if limit < size or limit > _POS_LIMIT:
            raise ValueError("Arena limit %d out of range: use %d (size) <= limit < %d"
                             % (limit, size, _POS_LIMIT + 1))
        if not grow:
            raise ValueError("Arena(%d, limit=%d) without grow=True: the arena never holds "
                             "more than its %d bytes, so the limit would do nothing; pass "
                             "grow=True to chain blocks up to the limit, or drop limit"
                             % (size, limit, size))
    raise ValueError("Arena scopes %d: use 0 or more" % scopes)


def bad_alloc(n, align):
    """Raise the error for a bad ``alloc(n, align)`` request."""
    if type(n) is not int or type(align) is not int:
        raise TypeError("Arena.alloc(n, align): ints required, got %s and %s"
                        % (type(n).__name__, type(align).__name__))
    if n < 0:
        raise ValueError("Arena.alloc(%d): n must be >= 0" % n)
    raise ValueError("Arena.alloc(%d, align=%d): align must be a power of two "
                     "from 1 to %d" % (n, align, MAX_ALIGN))


def alloc_slow(a, n, align, low):
    """Arena._slow for alloc and the typed views: the offset of ``n`` bytes aligned to
    ``align`` in a kept block or a new one (``low``: arena._low); raises for a bad
    request or when they do not fit (counted in the failures)."""
    if (type(n) is not int or type(align) is not int or n < 0
            or (align - 1) & (align | _BAD_ALIGN)):
        bad_alloc(n, align)  # raises
    p = a._next(n, align)
    if p >= 0:
        return p
    c = a._c
    if c[_GROW]:
        p = chain(a, n, align, low)
        if p >= 0:
            return p
    c[_FAILS] = (c[_FAILS] + 1) & _WRAP
    full(a, n, align)  # raises AllocError


def chain(a, n, align, low):
    """Append a new block after the current one (dropping kept blocks past it); the
    offset of ``n`` bytes in it, or -1 past the limit. ``low(buf)``: the low 12 bits of
    a buffer's address (arena._low)."""
    c = a._c
    k = c[_BI]
    keep = a._base + a._s[_END]  # bytes held up to the current block
    bound = _POS_LIMIT if c[_LIMIT] is None else c[_LIMIT]
    need = n + align - 1
    room = bound - keep
    if need > room:
        return -1
    size = c[_SIZE] if c[_SIZE] > need else need
    if size > room:
        size = room
    buf = bytearray(size)  # MemoryError from the heap leaves the arena unchanged
    low = low(buf)
    for i in (_BLOCKS, _MVS, _BASES, _LOWS):
        del c[i][k + 1:]
    c[_BLOCKS].append(buf)
    c[_MVS].append(memoryview(buf))
    c[_BASES].append(keep)
    c[_LOWS].append(low)
    c[_HELD] = keep + size
    p = ((low + align - 1) & -align) - low
    a._set(k + 1, p + n)
    return p


def full(a, n, align):
    """Raise AllocError: ``n`` bytes aligned to ``align`` do not fit."""
    c = a._c
    msg = ("Arena.alloc(%d, align=%d): does not fit; %d bytes left in block %d of %d "
           "bytes, %d used of %d held" % (n, align, a._s[_END] - a._s[_POS],
                                          c[_BI], a._s[_END], a.used(), c[_HELD]))
    if not c[_GROW]:
        msg += "; release/reset, use a larger Arena or grow=True"
    elif c[_LIMIT] is None:
        msg += "; the position limit is %d bytes" % _POS_LIMIT
    else:
        msg += "; limit %d bytes reached: release/reset, raise limit or trim()" % c[_LIMIT]
    raise AllocError(msg)


def bad_mark(mark, pos):
    raise ValueError("Arena.release(%r): a mark must be an int from 0 to the "
                     "position %d; it was already released or is not a mark"
                     % (mark, pos))


def too_deep(d):
    raise CapacityError("Arena.scope(): %d scopes already open, the most this "
                        "arena allows; pass Arena(..., scopes=N) with N > %d" % (d, d))


def no_attr(name):
    raise AttributeError("'Arena' object has no attribute '%s'" % name)


def trim(a):
    c = a._c
    k = c[_BI] + 1
    for i in (_BLOCKS, _MVS, _BASES, _LOWS):
        del c[i][k:]
    c[_HELD] = a._base + a._s[_END]


def stats(a):
    c = a._c
    return {"unit": "bytes", "capacity": c[_HELD], "in_use": a.used(),
            "free": a.remaining(), "peak": a.high_water,
            "allocs": None if c[_ALLOCS] < 0 else c[_ALLOCS], "frees": None,
            "failures": c[_FAILS], "bytes": (c[_REL] + a.used()) & _WRAP,
            "blocks": len(c[_BLOCKS]), "scopes": c[_SD]}


def dump(a, stream):
    from mpalloc import observe

    out = observe._out(stream)
    c = a._c
    lim = c[_LIMIT]
    al = c[_ALLOCS]
    out.write("Arena: %d blocks, %d bytes held, position %d, high water %d, allocs %s, "
              "failures %d%s\n" % (len(c[_BLOCKS]), c[_HELD], a.used(), a.high_water,
                                   "-" if al < 0 else al, c[_FAILS],
                                   ", limit %d" % lim if lim is not None else ""))
    marks = c[_SC][:c[_SD]]
    bi = c[_BI]
    pos = a.used()
    largest = 0
    nb = len(c[_BLOCKS])
    for k in range(nb):
        base = c[_BASES][k]
        n = len(c[_BLOCKS][k])
        if k < bi:
            state = "full"
        elif k == bi:
            p = a._s[_POS]
            state = "current, %d used, %d free" % (p, n - p)
            largest = n - p
        else:
            state = "kept, free"
            if n > largest:
                largest = n
        if k >= observe.MAX_LINES:
            continue
        here = ["scope %d @%d" % (i, m) for i, m in enumerate(marks)
                if base <= m < base + n or (k == bi and m == base + n)]
        out.write("  block %d: positions %d..%d (%d bytes, addr%%4096=%d) %s%s\n"
                  % (k, base, base + n, n, c[_LOWS][k], state,
                     ("; " + ", ".join(here)) if here else ""))
    observe._more(out, observe.MAX_LINES, nb)

    def cell(i):
        return "#" if i < pos else "."

    observe._cells(out, c[_HELD], cell, "byte")
    free = a.remaining()
    out.write("  free: %d bytes past the position, largest piece %d (fragmentation %s)\n"
              % (free, largest, observe._frag(free, largest)))


def arena_repr(a):
    return "<Arena %d/%d bytes used, %d blocks>" % (a.used(), a._c[_HELD], a.blocks())


def _fill(buf, lo, hi, byte):
    for i in range(lo, hi):
        buf[i] = byte


def set_debug(a, debug):
    """Debug mode: poison bytes and count allocations through per-instance overrides
    (closures over ``a``), so the class methods stay as fast as without debug."""
    Arena = type(a)
    if debug is True:
        debug = (0xCD, 0xDD)
    c = a._c
    c[_PA], c[_PR] = debug
    c[_ALLOCS] = 0

    def count(p, n):
        if p >= 0:
            c[_ALLOCS] = (c[_ALLOCS] + 1) & _WRAP
            if c[_PA] is not None:
                _fill(a.buf, p, p + n, c[_PA])
        return p

    def poison(lo, hi):
        if c[_PR] is None:
            return
        for k in range(len(c[_BLOCKS])):
            base = c[_BASES][k]
            b = c[_BLOCKS][k]
            s = lo - base if lo > base else 0
            e = hi - base if hi - base < len(b) else len(b)
            if s < e:
                _fill(b, s, e, c[_PR])

    k_take = a.take  # the kernel's closures
    k_take_aligned = a.take_aligned

    def take(n):
        return count(k_take(n), n)

    def take_aligned(n, align):
        return count(k_take_aligned(n, align), n)

    def off(n, align):  # Arena._off over the kernel's take_aligned
        p = k_take_aligned(n, align)
        if p < 0:
            p = a._slow(n, align, True)
        return count(p, n)

    def alloc(n, align=1):
        v = Arena.alloc(a, n, align)
        count(a._s[_POS] - n, n)
        return v

    def release(mark):
        pos = a.used()
        Arena.release(a, mark)
        poison(mark, pos)

    def reset():
        pos = a.used()
        Arena.reset(a)
        poison(0, pos)

    a.take = take
    a.take_aligned = take_aligned
    a.alloc = alloc
    a._off = off
    a.release = release
    a.reset = reset
