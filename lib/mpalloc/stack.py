"""LIFO stack allocator: allocations are freed in reverse order.

    from mpalloc.stack import Stack
    st = Stack(1024)                 # one bytearray of 1024 bytes + a table of 32 entries
    a = st.alloc(100)                # handle: a small int, never 0
    b = st.alloc(16, 4)              # 4-aligned
    st.view(b)[0] = 1                # memoryview (allocates the view); st.offset(b) does not
    st.free(a)                       # OrderError: "free allocation b ... first"
    st.free(b); st.free(a)           # fine: last in, first out
    h = st.try_alloc(8, 1)           # IRQ-safe: 0 when full; st.try_free(h) -> bool

Handles are serial numbers 1..2**30-1, so a freed handle stays invalid until 2**30
more allocations have been made. ``mark()`` is the number of live allocations;
``release(mark)`` frees every allocation made after it. Alignment is relative to the
buffer's real address, as in ``mpalloc.arena``.
"""

from array import array

from mpalloc._util import const

try:
    from mpalloc import _stack_viper as _k
except (SyntaxError, ImportError, ValueError):
    from mpalloc import _stack_py as _k

# As mpalloc.arena.MAX_ALIGN.
MAX_ALIGN = const(4096)  # layout stack
_AMASK = const(4095)
_SERIAL_MAX = const(0x3FFFFFFF)
# The table ``_t``: one array('i') (the kernel's closures read it through ptr32; few
# instance attributes keep method lookups fast, docs/design.md#few-attributes), header
# words then 4 ints per live allocation, every word below 2**30. _stack_cold and the
# kernels repeat the indices they read, tagged "# layout stack".
# Live allocations (entries in use), 0.._DEPTH.
_D = const(0)  # layout stack
# The top: bytes in use, padding included, 0.._SIZE.
_POS = const(1)  # layout stack
# Last handle handed out, 1..2**30-1 (0: none yet)
_SER = const(2)  # layout stack
# Refused try_alloc/alloc (wraps below 2**30)
_FAILS = const(3)  # layout stack
# Capacity in bytes (len(buf))
_SIZE = const(4)  # layout stack
# Entries the table holds.
_DEPTH = const(5)  # layout stack
# Buf's address & 4095 (alignment is relative to the real address)
_LOW = const(6)  # layout stack
# Highest top reached (bytes)
_PEAK = const(7)  # layout stack
# Entry k at _H + 4k: handle, top before it, offset, n.
_H = const(8)  # layout stack
# (entries 0.._D-1 are live, ascending offsets; the top is entry _D - 1)


# Builtins used on hot paths, as module globals: docs/design.md#builtin-globals
_type = type
_int = int


class Stack:
    """``Stack(size, *, depth=32)``: ``size`` bytes (1 <= size < 2**30) and room for
    ``depth`` live allocations (4 ints each), all allocated by the constructor.

    ``buf`` is the storage; ``offset(h)`` locates an allocation in it. ``capacity``
    (the ``size`` given, in bytes) and ``depth`` are attributes; ``size(h)`` is the
    length of allocation ``h`` (as on Slab).
    """

    def __init__(self, size, *, depth=32):
        if (type(size) is not int or type(depth) is not int or size < 1
                or size > _SERIAL_MAX or depth < 1):
            from mpalloc._stack_cold import bad_stack

            bad_stack(size, depth)  # raises
        self.buf = bytearray(size)
        self._mv = memoryview(self.buf)
        self.capacity = size
        self.depth = depth
        t = array("i", bytes(4 * (_H + 4 * depth)))
        t[_SIZE] = size
        t[_DEPTH] = depth
        try:
            from uctypes import addressof

            t[_LOW] = addressof(self.buf) & _AMASK
        except ImportError:  # CPython (ctypes) or no address source: as in mpalloc.arena
            from mpalloc.arena import _low

            t[_LOW] = _low(self.buf)
        self._t = t
        _k.bind(self)  # try_alloc, try_free (docs/design.md#closures-without-self)

    # try_alloc(n, align), try_free(h): bound per instance by the kernel's bind
    # (_stack_viper or _stack_py), closures over self._t called without self.
    # try_alloc(n, align):
    #     Allocate ``n`` bytes at an address that is a multiple of ``align``; return a
    #     handle, or 0 when they do not fit, the table is full, n < 0 or align is not a
    #     power of two up to MAX_ALIGN (any int: big ones included; refusals are counted
    #     in stats()["failures"]); TypeError for a float below 2**30, nothing changed.
    #     No allocation, IRQ-safe, O(1).
    # try_free(h):
    #     Free ``h`` if it is the top allocation; True, else False (stack unchanged);
    #     TypeError for a float below 2**30. No allocation, IRQ-safe, O(1).

    def alloc(self, n, align=1):
        """As ``try_alloc`` but raises: ``AllocError`` when the bytes do not fit,
        ``CapacityError`` when ``depth`` allocations are live, ValueError for n < 0 or
        a bad align, TypeError for non-ints; the stack is unchanged after an error.
        Allocates only the exception. O(1). Not IRQ-safe."""
        try:
            h = self.try_alloc(n, align)
        except TypeError:  # a float n or align: counted, then the error with the numbers
            self._t[_FAILS] = (self._t[_FAILS] + 1) & _SERIAL_MAX
            h = 0
        if h:
            return h
        from mpalloc._stack_cold import alloc_error

        alloc_error(self, n, align)  # raises

    def free(self, h):
        """Free the top allocation ``h``. Raises ``OrderError`` naming the allocation
        that must be freed first when ``h`` is live but not on top, ValueError when it
        is not live (double free, stale, foreign); unchanged after an error. O(1);
        O(depth) to build the error. Not IRQ-safe: use try_free."""
        if self.try_free(h):
            return
        from mpalloc._stack_cold import free_error

        free_error(self, h)  # raises

    def _find(self, h):
        t = self._t
        for k in range(t[_D]):
            if t[_H + (k << 2)] == h:
                return k
        return -1

    def _entry(self, h, j):
        k = self._find(h) if _type(h) is _int else -1
        return -1 if k < 0 else self._t[_H + (k << 2) + j]

    def offset(self, h):
        """Offset of ``h``'s bytes in ``buf``, -1 when not live. O(depth), no allocation."""
        return self._entry(h, 2)

    def size(self, h):
        """Bytes requested for ``h``, -1 when not live. O(depth), no allocation."""
        return self._entry(h, 3)

    size_of = size  # the earlier name

    def view(self, h):
        """A memoryview of ``h``'s bytes (allocates the view); ValueError when not live."""
        p = self._entry(h, 2)
        if p < 0:
            from mpalloc._stack_cold import not_live

            not_live(h)  # raises ValueError
        return self._mv[p:p + self._entry(h, 3)]

    def top(self):
        """The top handle, 0 when empty. O(1), no allocation, IRQ-safe."""
        t = self._t
        return t[_H + ((t[_D] - 1) << 2)] if t[_D] else 0

    def mark(self):
        """The number of live allocations, for ``release``. O(1), IRQ-safe."""
        return self._t[_D]

    def release(self, mark):
        """Free every allocation made after ``mark()`` returned ``mark``. O(1), no
        allocation. ValueError (unchanged) when ``mark`` is above the live count."""
        t = self._t
        if _type(mark) is not _int or mark < 0 or mark > t[_D]:
            from mpalloc._stack_cold import bad_mark

            bad_mark(mark, t[_D])  # raises ValueError
        if mark < t[_D]:
            t[_POS] = t[_H + (mark << 2) + 1]
            t[_D] = mark

    def reset(self):
        """Free everything. O(1), no allocation, IRQ-safe."""
        t = self._t
        t[_D] = 0
        t[_POS] = 0

    def __len__(self):
        return self._t[_D]

    def used(self):
        """Bytes up to the top of the stack (padding included). O(1), IRQ-safe."""
        return self._t[_POS]

    def remaining(self):
        """Bytes above the top. O(1), IRQ-safe."""
        return self.capacity - self._t[_POS]

    def stats(self):
        """Counters as a new dict (allocates), in bytes: the shared keys
        (docs/observability.md) unit, capacity (size), in_use (used), free, peak (the
        highest top), allocs, frees, failures (refused try_alloc/alloc), plus live
        and depth. Counters wrap below 2**30."""
        from mpalloc._stack_cold import stats

        return stats(self)

    def dump(self, stream=None):
        """Write a memory map to ``stream`` (default ``sys.stdout``), line by line: the
        bytes in use, the live entries top first (handle, offset, size, padding; at
        most 16) and the free space. Allocates (the lines); O(size) at most 128 map
        characters. Not IRQ-safe."""
        from mpalloc._stack_cold import dump

        dump(self, stream)

    def __repr__(self):
        from mpalloc._stack_cold import stack_repr

        return stack_repr(self)
