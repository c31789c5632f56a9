"""Bump arena: allocate by moving one offset, free everything at once.

    from mpalloc.arena import Arena
    arena = Arena(2048)                  # one bytearray of 2048 bytes, allocated once
    v = arena.alloc(64, 4)               # memoryview of 64 bytes, 4-aligned (allocates the view)
    p = arena.take(16)                   # offset into arena.buf: no allocation, IRQ-safe
    with arena.scope():                  # everything allocated inside is released on exit
        tmp = arena.alloc(100)
    m = arena.mark(); ...; arena.release(m)
    arena.reset()                        # O(1): everything released

Positions. ``mark()`` is the arena's position: the bytes taken since the start,
counting alignment padding and the skipped tails of full blocks. An allocation never
spans two blocks. ``release(m)`` moves the position back to ``m``; any ``m`` up to the
current position is valid, a larger one raises ValueError (it was already released).

Blocks (``grow=True``). When the current block is full, the arena moves to the next
block: an extra block kept from earlier use, else a new ``bytearray`` of
``max(size, n + align - 1)`` bytes, as long as all blocks together stay within
``limit``. ``reset()``/``release()`` keep every block for reuse, so a request loop
reaches a steady state where nothing is allocated; ``trim()`` drops the extra blocks.
``take()`` never allocates: it moves into a kept block but never creates one.

Alignment is relative to the real address of the block (``uctypes.addressof`` on
MicroPython, ``ctypes`` on CPython; ``ADDRESS`` names the source). Where neither
exists (``ADDRESS is None``) blocks are taken as 16-aligned, which the GC heap gives
on 32-bit ports: alignments above 16 are then relative to the block start.
Alignments are powers of two up to ``MAX_ALIGN`` (4096).

Typed views: ``alloc_struct(layout)`` and ``alloc_array(typecode, n)`` (see
``Layout``) give field and element access in arena memory: ``uctypes`` on MicroPython
(element reads/writes allocate nothing for ints below 2**30), ``memoryview.cast`` on
CPython, ``struct.pack_into``/``unpack_from`` accessors elsewhere (reads allocate).

Like every view of a bump arena, a memoryview or typed view of released memory
still works and aliases whatever is allocated there next: release only what is
no longer used (``debug=True`` poisons released bytes to catch this).
"""

from array import array

from mpalloc._util import const

try:
    from mpalloc import _arena_viper as _k
except (SyntaxError, ImportError, ValueError):
    from mpalloc import _arena_py as _k

try:
    import uctypes as _uct

    _addressof = _uct.addressof
    ADDRESS = "uctypes"
except ImportError:
    _uct = None
    try:
        import ctypes as _ctypes

        def _addressof(buf):
            return _ctypes.addressof((_ctypes.c_char * len(buf)).from_buffer(buf))

        ADDRESS = "ctypes"
    except ImportError:
        _addressof = None
        ADDRESS = None

MAX_ALIGN = const(4096)  # layout arena
_AMASK = const(4095)
# (align - 1) & (align | _BAD_ALIGN) != 0 unless align is 2**0..2**12.
_BAD_ALIGN = const(-4096)  # layout arena
_WRAP = const(0x3FFFFFFF)
_POS_LIMIT = const(0x3FFFFFFF)  # positions (and marks) stay below 2**30

def _low(buf):
    """Low 12 bits of the address of ``buf``'s bytes (0 where it cannot be known)."""
    if _addressof is None:
        return 0
    return _addressof(buf) & _AMASK


# Builtins used on hot paths, as module globals: docs/design.md#builtin-globals
_len = len
_type = type
_int = int


# Cold code (error messages, stats/dump/repr, debug mode, chaining a new block, trim)
# lives in _arena_cold, typed views in _arena_views: imported on first use by the
# methods that need them (``from mpalloc._arena_cold import name`` there), they cost no
# RAM until then. Neither imports this module: what they need is passed in.

# Hot state ``self._s``: an array('i') the take kernel (_arena_viper/_arena_py) reads
# through its address, Python methods by index. Written by _set (block change) and by
# every method that moves the position; every word stays below 2**30.
# Offset of the position in the current block, 0.._END.
_POS = const(0)  # layout arena
# Length of the current block (bytes).
_END = const(1)  # layout arena
# The current block's address & 4095 (0: unknown).
_LOW = const(2)  # layout arena

# Cold state ``self._c``: one list indexed by these constants, so an Arena instance has
# few attributes (docs/design.md#few-attributes). _arena_cold repeats the indices
# it uses, tagged "# layout arena" (the drift test checks one value per name).
# List of the blocks (bytearrays), first one kept for life.
_BLOCKS = const(0)  # layout arena
# A memoryview per block (same index): alloc slices it.
_MVS = const(1)  # layout arena
# Position of each block's byte 0 (ascending; [0] == 0).
_BASES = const(2)  # layout arena
# Address & 4095 of each block (_LOW of the current one).
_LOWS = const(3)  # layout arena
# Bytes held by all blocks (capacity), <= limit.
_HELD = const(4)  # layout arena
# Index of the current block in the four lists above.
_BI = const(5)  # layout arena
# Preallocated list of open scopes' marks (len = scopes).
_SC = const(6)  # layout arena
# Scopes open now: _SC[:_SD] are live marks, ascending.
_SD = const(7)  # layout arena
# High water (max position) as of the last release/reset.
_HW = const(8)  # layout arena
# Bytes released so far (wraps at 2**30): stats()["bytes"].
_REL = const(9)  # layout arena
# Refused requests (wraps at 2**30).
_FAILS = const(10)  # layout arena
# Allocations counted in debug mode; -1 when off.
_ALLOCS = const(11)  # layout arena
# Debug fill byte for allocations (None: no fill).
_PA = const(12)  # layout arena
# Debug fill byte for released bytes (None: no fill).
_PR = const(13)  # layout arena
# Size of the first block, as given (new blocks >= it).
_SIZE = const(14)  # layout arena
# True when grow=True: chain blocks when full.
_GROW = const(15)  # layout arena
# Bound on _HELD (None: 2**30 - 1).
_LIMIT = const(16)  # layout arena


class Arena:
    """Bump allocator over one preallocated ``bytearray`` (plus chained blocks when
    ``grow=True``).

    ``Arena(size, *, grow=False, limit=None, scopes=8, debug=False)``

    - ``size``: bytes of the first block (1 <= size < 2**30), allocated now and kept
      for the arena's life. ``grow=True``: further blocks of at least ``size`` bytes
      are chained when full. ``limit``: upper bound on the bytes held by all blocks
      together (default: no bound; needs ``grow=True`` and ``limit >= size``).
    - ``scopes``: how many ``with arena.scope():`` blocks may nest (a list of that
      many ints is preallocated).
    - ``debug``: ``True`` poisons each allocation with 0xCD and released bytes with
      0xDD and counts allocations for ``stats()``; or a pair ``(alloc_byte,
      release_byte)``, either None. Debug methods are O(n) in the bytes filled.

    Attributes: ``buf`` (the current block, for offsets from ``take``), ``capacity``
    (bytes held by all blocks), ``size`` (of the first block, as given), ``grow``,
    ``limit``, ``high_water`` (the highest position reached).
    """

    def __init__(self, size, *, grow=False, limit=None, scopes=8, debug=False):
        if (type(size) is not int or type(scopes) is not int or size < 1
                or size > _POS_LIMIT or scopes < 0 or limit is not None
                and (type(limit) is not int or limit < size or limit > _POS_LIMIT
                     or not grow)):
            from mpalloc._arena_cold import bad_arena

            bad_arena(size, limit, scopes, grow)  # raises
        buf = bytearray(size)
        self._c = [[buf], [memoryview(buf)], [0], [_low(buf)], size, 0, [0] * scopes, 0,
                   0, 0, 0, -1, None, None, size, bool(grow), limit]
        self._s = array("i", (0, 0, 0))
        self._set(0, 0)
        # take, take_aligned and alloc: closures on the instance, called without self
        # (docs/design.md#closures-without-self).
        self.alloc = _alloc(self, _k.bind(self))
        if debug:
            from mpalloc._arena_cold import set_debug

            set_debug(self, debug)

    def _set(self, k, p):
        # Make block k current with offset p (no allocation: list reads, attribute stores).
        c = self._c
        b = c[_BLOCKS][k]
        c[_BI] = k
        self.buf = b
        self._mv = c[_MVS][k]
        s = self._s
        s[_END] = _len(b)
        s[_LOW] = c[_LOWS][k]
        self._base = c[_BASES][k]
        s[_POS] = p

    # ---- allocation ---------------------------------------------------------------

    # take(n), take_aligned(n, align) -> offset: bound per instance by the kernel's
    # bind (_arena_viper or _arena_py), closures over self._s called without self.
    # take(n):
    #     Take ``n`` bytes (alignment 1); return their offset into ``arena.buf``.
    #     -1 when they do not fit, -2 for a request that can never succeed (n < 0 or
    #     n >= 2**30, a big int included); TypeError for a non-int n, nothing changed.
    #     The arena moves into a kept block if one fits, but never allocates a new
    #     block. No allocation, IRQ-safe, O(1). Read ``arena.buf`` after the call: it
    #     is the block the bytes are in.
    # take_aligned(n, align):
    #     As ``take(n)``, with the offset's address a multiple of ``align`` (a power
    #     of two up to MAX_ALIGN). -1 when full; -2 for a bad request (n < 0 or a bad
    #     ``align``: where ``alloc`` raises ValueError, this IRQ-safe form returns
    #     -2). No allocation, IRQ-safe, O(1).

    def alloc(self, n, align=1):
        """A memoryview of exactly ``n`` bytes whose address is a multiple of ``align``.

        Allocates the memoryview object (the only allocation; none for the data).
        O(1); with ``grow=True`` a full block chains another (allocates its
        bytearray). Raises ``AllocError`` when the bytes do not fit (past ``limit``,
        or grow=False), ValueError for n < 0 or a bad align, TypeError for non-ints;
        after an error the arena is unchanged. Not IRQ-safe: use ``take``.

        ``arena.alloc`` is the per-instance closure made by ``_alloc`` (the common case
        without the method dispatch); this method is its general path.
        """
        s = self._s
        p = s[_POS]
        if align != 1:
            p = ((p + s[_LOW] + align - 1) & -align) - s[_LOW]
            if (align - 1) & (align | _BAD_ALIGN):
                self._slow(n, align, True)  # raises ValueError
        if p + n > s[_END] or n < 0:
            p = self._slow(n, align, True)
        v = self._mv[p:p + n]  # TypeError for a non-int n, before anything changes
        s[_POS] = p + n
        return v

    def _slow(self, n, align, grow):
        # Cold path of take/take_aligned (grow False: never allocate; -1 when full, -2
        # for a bad request) and of alloc/alloc_struct/alloc_array (grow True: may chain
        # a block; raises). observe.on_failure wraps it per instance.
        if grow:
            return self._more(n, align)
        if (n < 0 or n > _WRAP or align < 1 or align > MAX_ALIGN
                or (n | 0) & 0 or (align - 1) & (align | _BAD_ALIGN)):
            # Out of range, checked before any arithmetic (docs/design.md#small-ints);
            # "| 0" and "&" raise TypeError for a float before anything changes.
            return -2
        p = self._next(n, align)
        if p < 0:
            c = self._c
            c[_FAILS] = (c[_FAILS] + 1) & _WRAP
        return p

    def _more(self, n, align):
        # The allocating slow path (alloc, typed views): a kept block, a new block or
        # the error; apart so _slow's frame stays off the heap (docs/design.md#heap-frames).
        from mpalloc._arena_cold import alloc_slow

        return alloc_slow(self, n, align, _low)

    def _next(self, n, align):
        # Move into the next block if it is kept from earlier use (wholly free) and the
        # n bytes fit there: their offset, else -1. Apart from _slow so that neither
        # frame grows past the C-stack limit (docs/design.md#heap-frames).
        c = self._c
        k = c[_BI] + 1
        if k < _len(c[_BLOCKS]):
            a = c[_LOWS][k]
            p = ((a + align - 1) & -align) - a
            if p + n <= _len(c[_BLOCKS][k]):
                n += p
                self._set(k, n)
                return p
        return -1

    # ---- marks, scopes, reset -------------------------------------------------------

    def mark(self):
        """The current position (an int < 2**30) for ``release``. O(1), no allocation,
        IRQ-safe."""
        return self._base + self._s[_POS]

    def release(self, mark):
        """Free everything allocated after ``mark`` (from ``mark()``). O(1) within the
        current block, O(blocks) back across blocks; no allocation. Raises ValueError
        (arena unchanged) when ``mark`` is ahead of the position (already released).
        """
        pos = self._base + self._s[_POS]
        if _type(mark) is not _int or mark < 0 or mark > pos:
            from mpalloc._arena_cold import bad_mark

            bad_mark(mark, pos)  # raises ValueError
        c = self._c
        if pos > c[_HW]:
            c[_HW] = pos
        c[_REL] = (c[_REL] + pos - mark) & _WRAP
        if mark >= self._base:
            self._s[_POS] = mark - self._base
        else:
            bases = c[_BASES]
            k = c[_BI] - 1
            while bases[k] > mark:
                k -= 1
            mark -= bases[k]  # not inside the call: docs/design.md#heap-frames
            self._set(k, mark)

    def reset(self):
        """Free everything: the position goes back to 0 in the first block (kept
        blocks stay for reuse). O(1), no allocation, IRQ-safe."""
        pos = self._base + self._s[_POS]
        c = self._c
        if pos > c[_HW]:
            c[_HW] = pos
        c[_REL] = (c[_REL] + pos) & _WRAP
        if self._base:
            self._set(0, 0)
        else:
            self._s[_POS] = 0

    def scope(self):
        """``with arena.scope():`` releases what the block allocated, on exit and on
        exception; scopes nest up to ``scopes`` deep (CapacityError beyond). Returns
        the arena itself (its ``__enter__`` stores the mark in a preallocated list):
        no allocation. Not for IRQs.
        """
        return self

    def __enter__(self):
        c = self._c
        d = c[_SD]
        if d >= _len(c[_SC]):
            from mpalloc._arena_cold import too_deep

            too_deep(d)  # raises CapacityError
        c[_SC][d] = self._base + self._s[_POS]
        c[_SD] = d + 1
        return self

    def __exit__(self, et, ev, tb):
        c = self._c
        c[_SD] -= 1
        m = c[_SC][c[_SD]]
        if m <= self._base + self._s[_POS]:  # else the block released further itself
            self.release(m)

    def trim(self):
        """Drop the extra blocks past the current one (the GC reclaims them).
        O(blocks). Not IRQ-safe."""
        from mpalloc._arena_cold import trim

        trim(self)

    # ---- queries ---------------------------------------------------------------------

    def used(self):
        """Bytes from the start to the position (padding and skipped block tails
        included). O(1), no allocation, IRQ-safe."""
        return self._base + self._s[_POS]

    def remaining(self):
        """Bytes held past the position: the current block's rest plus kept blocks
        (with ``grow=True`` more may be chained, up to ``limit``). One allocation gets
        at most one block's rest. O(1), no allocation, IRQ-safe."""
        return self._c[_HELD] - self._base - self._s[_POS]

    def blocks(self):
        """Number of blocks held (1 unless grown). O(1), no allocation."""
        return _len(self._c[_BLOCKS])

    def __getattr__(self, name):
        # capacity, size, grow, limit, high_water: served from the cold list here (not as
        # attributes or properties), so hot-path lookups stay fast (see ring.py).
        c = self._c
        if name == "high_water":
            pos = self._base + self._s[_POS]
            return pos if pos > c[_HW] else c[_HW]
        if name == "capacity":  # bytes held by all blocks
            return c[_HELD]
        if name == "size":
            return c[_SIZE]
        if name == "grow":
            return c[_GROW]
        if name == "limit":
            return c[_LIMIT]
        from mpalloc._arena_cold import no_attr

        no_attr(name)  # raises AttributeError

    def stats(self):
        """Counters as a new dict (allocates), in bytes: the shared keys
        (docs/observability.md) unit, capacity (held by all blocks), in_use (the
        position), free (remaining), peak (high water), allocs (counted with debug
        only, else None), frees (None: a bump arena frees in bulk), failures (refused
        requests), plus bytes (taken since creation incl. padding), blocks and
        scopes (open). Counters wrap below 2**30."""
        from mpalloc._arena_cold import stats

        return stats(self)

    def dump(self, stream=None):
        """Write a memory map to ``stream`` (default ``sys.stdout``), line by line:
        blocks (positions, state, open scope marks), a map of the bytes held and the
        free bytes with the largest piece. Allocates (the lines). Not IRQ-safe."""
        from mpalloc._arena_cold import dump

        dump(self, stream)

    def __repr__(self):
        from mpalloc._arena_cold import arena_repr

        return arena_repr(self)

    # ---- typed views -----------------------------------------------------------------

    def _off(self, n, align):
        # Offset form that chains blocks and raises (typed views).
        p = self.take_aligned(n, align)
        if p < 0:
            p = self._slow(n, align, True)
        return p

    def alloc_struct(self, layout):
        """A view of a new ``layout.size``-byte record, aligned to its widest field;
        fields read and written as attributes (``rec.length = 5``). Allocates the view
        object (uctypes struct on MicroPython: field access allocates nothing for
        ints below 2**30; a struct-based accessor elsewhere). Errors as ``alloc``.
        """
        from mpalloc._arena_views import alloc_struct

        return alloc_struct(self, layout)

    def alloc_array(self, typecode, n):
        """An indexable typed view of ``n`` new items (typecodes b B h H i I q Q f d,
        little-endian standard sizes), aligned to the item size. MicroPython: a uctypes
        array (``a[i]``/``a[i] = v`` allocate nothing for ints below 2**30; no len());
        CPython: ``memoryview.cast``; elsewhere a struct-based accessor. Allocates the
        view object only. Errors as ``alloc``; ValueError for an unknown typecode.
        """
        from mpalloc._arena_views import alloc_array

        return alloc_array(self, typecode, n)

    # Debug mode (``debug=``): _arena_cold.set_debug() overrides take, take_aligned, alloc,
    # _off, release and reset per instance; the class methods stay as fast as without.


def _alloc(a, bump):
    # Arena a's alloc(n, align=1) (docs/design.md#closures-without-self): for align 1 the
    # view is made before bump takes the bytes, so a float n (TypeError) or a MemoryError
    # for the view leaves the arena unchanged; anything else (another align, a full
    # block, a bad n: bump returns -1) goes to Arena.alloc, which raises or chains.
    # Two cells: the frame stays on the C stack (docs/design.md#heap-frames).
    def alloc(n, align=1):
        if align == 1:
            p = a._s[_POS]
            v = a._mv[p:p + n]
            if bump(n) == p:
                return v
        return Arena.alloc(a, n, align)

    return alloc


class Layout:
    """A packed little-endian record for ``Arena.alloc_struct``.

    ``Layout((("kind", "B"), ("flags", "B"), ("length", "H"), ("crc", "I"),
    ("tag", "8B")))``: fields in order, no padding; a code is one of b B h H i I q Q f
    d, optionally with a count (``"8B"``: an array field). ``size`` (bytes) and
    ``align`` (widest item, for the record's start) are attributes; ``fields`` maps a
    name to (offset, struct format, count).
    """

    def __init__(self, fields):
        # The work (and the typecode table) lives in _arena_views, loaded on first use.
        from mpalloc._arena_views import layout

        layout(self, fields)

    def desc(self):
        """The uctypes descriptor dict (built once, on MicroPython)."""
        d = self._desc
        if d is None:
            from mpalloc._arena_views import desc

            d = desc(self)
        return d
