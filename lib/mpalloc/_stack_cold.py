"""Cold code of ``mpalloc.stack`` (internal), imported on first use: error messages,
``stats``/``dump``/``repr``. Nothing here is on a no-alloc or IRQ-safe path.
"""

from mpalloc._util import const
from mpalloc.errors import AllocError, CapacityError, OrderError

MAX_ALIGN = const(4096)  # layout stack
_BAD_ALIGN = const(-4096)  # layout stack
_WRAP = const(0x3FFFFFFF)
# Stack._t indices (see stack.py).
_D = const(0)  # layout stack
_POS = const(1)  # layout stack
_SER = const(2)  # layout stack
_FAILS = const(3)  # layout stack
_PEAK = const(7)  # layout stack
_H = const(8)  # layout stack


def bad_stack(size, depth):
    """Raise the constructor's error for bad ``Stack(size, depth=)``."""
    if type(size) is not int or type(depth) is not int:
        raise TypeError("Stack(size, depth=...): ints required, got %s and %s"
                        % (type(size).__name__, type(depth).__name__))
    if size < 1 or size > _WRAP:
        raise ValueError("Stack size %d out of range: use 1 <= size < 2**30" % size)
    raise ValueError("Stack depth %d: use 1 or more" % depth)


def alloc_error(s, n, align):
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


def free_error(s, h):
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


def not_live(h):
    raise ValueError("Stack.view(%r): not a live allocation" % (h,))


def bad_mark(mark, d):
    raise ValueError("Stack.release(%r): a mark is 0..%d (live allocations); it "
                     "was already released or is not a mark" % (mark, d))


def stats(s):
    t = s._t
    d = t[_D]
    return {"unit": "bytes", "capacity": s.capacity, "in_use": t[_POS],
            "free": s.capacity - t[_POS], "peak": t[_PEAK], "allocs": t[_SER],
            "frees": (t[_SER] - d) % _WRAP, "failures": t[_FAILS], "live": d,
            "depth": s.depth}


def dump(s, stream):
    from mpalloc import observe

    out = observe._out(stream)
    t = s._t
    d = t[_D]
    out.write("Stack: %d of %d bytes used, %d of %d entries live, peak %d, allocs %d, "
              "failures %d\n" % (t[_POS], s.capacity, d, s.depth, t[_PEAK], t[_SER],
                                 t[_FAILS]))
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
