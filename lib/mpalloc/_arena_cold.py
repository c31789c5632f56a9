"""Cold code of ``mpalloc.arena`` and ``mpalloc.stack`` (internal), imported on first use.

Error messages, ``stats``/``dump``/``repr``, debug mode, chaining a new arena block and
``trim``: nothing here is on a no-alloc or IRQ-safe path, so keeping it out of the
public modules saves their RAM after import.
"""

from mpalloc._util import const
from mpalloc.arena import MAX_ALIGN, Arena, _low
from mpalloc.errors import AllocError, CapacityError, OrderError

_BAD_ALIGN = const(-4096)
_WRAP = const(0x3FFFFFFF)
_POS_LIMIT = const(0x3FFFFFFF)
# Arena._c indices (as in arena.py).
_BLOCKS = const(0)
_MVS = const(1)
_BASES = const(2)
_LOWS = const(3)
_HELD = const(4)
_BI = const(5)
_SC = const(6)
_SD = const(7)
_REL = const(9)
_FAILS = const(10)
_ALLOCS = const(11)
_PA = const(12)
_PR = const(13)
_SIZE = const(14)
_GROW = const(15)
_LIMIT = const(16)
# Stack._t indices (as in stack.py).
_D = const(0)
_POS = const(1)
_SER = const(2)
_SFAILS = const(3)
_SPEAK = const(7)
_H = const(8)


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


def chain(a, n, align):
    """Append a new block after the current one (dropping kept blocks past it); the
    offset of ``n`` bytes in it, or -1 past the limit."""
    c = a._c
    k = c[_BI]
    keep = a._base + a._end  # bytes held up to the current block
    bound = _POS_LIMIT if c[_LIMIT] is None else c[_LIMIT]
    need = n + align - 1
    room = bound - keep
    if need > room:
        return -1
    size = c[_SIZE] if c[_SIZE] > need else need
    if size > room:
        size = room
    buf = bytearray(size)  # MemoryError from the heap leaves the arena unchanged
    low = _low(buf)
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
           "bytes, %d used of %d held" % (n, align, a._end - a._p, c[_BI],
                                          a._end, a.used(), c[_HELD]))
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
    c[_HELD] = a._base + a._end


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
            state = "current, %d used, %d free" % (a._p, n - a._p)
            largest = n - a._p
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


def debug(a, debug):
    """Debug mode: poison bytes and count allocations through per-instance overrides
    (closures over ``a``), so the class methods stay as fast as without debug."""
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

    def take(n):
        return count(Arena.take(a, n), n)

    def take_aligned(n, align):
        return count(Arena.take_aligned(a, n, align), n)

    def off(n, align):
        return count(Arena._off(a, n, align), n)

    def alloc(n, align=1):
        v = Arena.alloc(a, n, align)
        count(a._p - n, n)
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


# ---- Stack ----------------------------------------------------------------------------


def bad_stack(size, depth):
    """Raise the constructor's error for bad ``Stack(size, depth=)``."""
    if type(size) is not int or type(depth) is not int:
        raise TypeError("Stack(size, depth=...): ints required, got %s and %s"
                        % (type(size).__name__, type(depth).__name__))
    if size < 1 or size > _WRAP:
        raise ValueError("Stack size %d out of range: use 1 <= size < 2**30" % size)
    raise ValueError("Stack depth %d: use 1 or more" % depth)


def stack_alloc_error(s, n, align):
    """Raise why ``Stack.alloc(n, align)`` failed (try_alloc returned 0)."""
    if type(n) is not int or type(align) is not int:
        raise TypeError("Stack.alloc(n, align): ints required, got %s and %s"
                        % (type(n).__name__, type(align).__name__))
    if n < 0 or (align - 1) & (align | _BAD_ALIGN):
        raise ValueError("Stack.alloc(%d, align=%d): n must be >= 0 and align a power "
                         "of two from 1 to %d" % (n, align, MAX_ALIGN))
    t = s._t
    if t[_D] == s.depth:
        raise CapacityError("Stack.alloc(%d): %d allocations live, the table holds %d; "
                            "free some or pass Stack(..., depth=N)"
                            % (n, s.depth, s.depth))
    raise AllocError("Stack.alloc(%d, align=%d): %d bytes left of %d (%d used by %d "
                     "allocations); free the top ones or use a larger Stack"
                     % (n, align, s.capacity - t[_POS], s.capacity, t[_POS], t[_D]))


def stack_free_error(s, h):
    """Raise why ``Stack.free(h)`` failed (h is not the top allocation)."""
    k = s._find(h)
    t = s._t
    d = t[_D]
    if k < 0:
        raise ValueError("Stack.free(%r): not a live allocation (double free, stale or "
                         "foreign handle); %d live" % (h, d))
    top = _H + ((d - 1) << 2)
    raise OrderError("Stack.free(%d): allocation %d (%d bytes at offset %d) is on top; "
                     "free it first (%d allocations above %d, which is #%d of %d live)"
                     % (h, t[top], t[top + 3], t[top + 2], d - 1 - k, h, k + 1, d))


def stack_not_live(h):
    raise ValueError("Stack.view(%r): not a live allocation" % (h,))


def stack_bad_mark(mark, d):
    raise ValueError("Stack.release(%r): a mark is 0..%d (live allocations); it "
                     "was already released or is not a mark" % (mark, d))


def stack_stats(s):
    t = s._t
    d = t[_D]
    return {"unit": "bytes", "capacity": s.capacity, "in_use": t[_POS],
            "free": s.capacity - t[_POS], "peak": t[_SPEAK], "allocs": t[_SER],
            "frees": (t[_SER] - d) % _WRAP, "failures": t[_SFAILS], "live": d,
            "depth": s.depth}


def stack_dump(s, stream):
    from mpalloc import observe

    out = observe._out(stream)
    t = s._t
    d = t[_D]
    out.write("Stack: %d of %d bytes used, %d of %d entries live, peak %d, allocs %d, "
              "failures %d\n" % (t[_POS], s.capacity, d, s.depth, t[_SPEAK], t[_SER],
                                 t[_SFAILS]))
    st = [0]  # the first entry that may hold or follow byte i (cells go forward)

    def cell(i):
        # '#' allocated, '-' alignment padding, '.' free (above the top)
        if i >= t[_POS]:
            return "."
        k = st[0]
        while k < d and t[_H + (k << 2) + 2] + t[_H + (k << 2) + 3] <= i:
            k += 1
        st[0] = k
        return "#" if k < d and t[_H + (k << 2) + 2] <= i else "-"

    observe._cells(out, s.capacity, cell, "byte")
    for j in range(d - 1, -1, -1):  # top first
        if d - 1 - j >= observe.MAX_LINES:
            break
        e = _H + (j << 2)
        out.write("  #%d handle %d: offset %d, %d bytes%s\n" % (
            j + 1, t[e], t[e + 2], t[e + 3],
            ", %d padding" % (t[e + 2] - t[e + 1]) if t[e + 2] > t[e + 1] else ""))
    observe._more(out, observe.MAX_LINES, d)
    out.write("  free: %d bytes above the top (one run: fragmentation 0%%)\n"
              % (s.capacity - t[_POS]))


def stack_repr(s):
    return "<Stack %d/%d bytes, %d live>" % (s.used(), s.capacity, len(s))
