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

from mpalloc._util import const
from mpalloc.errors import AllocError, CapacityError

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

MAX_ALIGN = const(4096)
_AMASK = const(4095)
_BAD_ALIGN = const(-4096)  # (align - 1) & (align | _BAD_ALIGN) != 0 unless align is 2**0..2**12
_WRAP = const(0x3FFFFFFF)
_POS_LIMIT = const(0x3FFFFFFF)  # positions (and marks) stay below 2**30

# typecode -> (bytes, uctypes type name); standard sizes, little-endian.
_TYPES = {"b": (1, "INT8"), "B": (1, "UINT8"), "h": (2, "INT16"), "H": (2, "UINT16"),
          "i": (4, "INT32"), "I": (4, "UINT32"), "q": (8, "INT64"), "Q": (8, "UINT64"),
          "f": (4, "FLOAT32"), "d": (8, "FLOAT64")}


def _low(buf):
    """Low 12 bits of the address of ``buf``'s bytes (0 where it cannot be known)."""
    if _addressof is None:
        return 0
    return _addressof(buf) & _AMASK


# Cold state: one list indexed by these constants, so an Arena instance has only seven
# attributes. MicroPython fills an instance's attribute table densely, and every method
# call first misses in it: with two dozen attributes each miss probed far (take() cost
# ~250 ns instead of ~130 ns).
_BLOCKS = const(0)
_MVS = const(1)
_BASES = const(2)
_LOWS = const(3)
_HELD = const(4)
_BI = const(5)
_SC = const(6)
_SD = const(7)
_HW = const(8)
_REL = const(9)
_FAILS = const(10)
_ALLOCS = const(11)
_PA = const(12)
_PR = const(13)
_SIZE = const(14)
_GROW = const(15)
_LIMIT = const(16)


class Arena:
    """Bump allocator over one preallocated ``bytearray`` (plus chained blocks when
    ``grow=True``).

    ``Arena(size, *, grow=False, limit=None, scopes=8, debug=False)``

    - ``size``: bytes of the first block (1 <= size < 2**30), allocated now and kept
      for the arena's life. ``grow=True``: further blocks of at least ``size`` bytes
      are chained when full. ``limit``: upper bound on the bytes held by all blocks
      together (default: no bound; needs ``limit >= size``).
    - ``scopes``: how many ``with arena.scope():`` blocks may nest (a list of that
      many ints is preallocated).
    - ``debug``: ``True`` poisons each allocation with 0xCD and released bytes with
      0xDD and counts allocations for ``stats()``; or a pair ``(alloc_byte,
      release_byte)``, either None. Debug methods are O(n) in the bytes filled.

    Attributes: ``buf`` (the current block, for offsets from ``take``), ``size``,
    ``grow``, ``limit``, ``high_water`` (the highest position reached).
    """

    def __init__(self, size, *, grow=False, limit=None, scopes=8, debug=False):
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
        if scopes < 0:
            raise ValueError("Arena scopes %d: use 0 or more" % scopes)
        buf = bytearray(size)
        self._c = [[buf], [memoryview(buf)], [0], [_low(buf)], size, 0, [0] * scopes, 0,
                   0, 0, 0, -1, None, None, size, bool(grow), limit]
        self._set(0, 0)
        if debug:
            self._debug(debug)

    def _set(self, k, p):
        # Make block k current with offset p (no allocation: list reads, attribute stores).
        c = self._c
        b = c[_BLOCKS][k]
        c[_BI] = k
        self.buf = b
        self._mv = c[_MVS][k]
        self._end = len(b)
        self._a = c[_LOWS][k]
        self._base = c[_BASES][k]
        self._p = p

    # ---- allocation ---------------------------------------------------------------

    def take(self, n):
        """Take ``n`` bytes (alignment 1); return their offset into ``arena.buf``.

        -1 when they do not fit (or n < 0): the arena moves into a kept block if one
        fits, but never allocates a new block. No allocation, IRQ-safe, O(1). Read
        ``arena.buf`` after the call: it is the block the bytes are in.
        """
        p = self._p
        e = p + n
        if e > self._end or n < 0:
            return self._slow(n, 1, False)
        self._p = e
        return p

    def take_aligned(self, n, align):
        """As ``take(n)``, with the offset's address a multiple of ``align`` (a power
        of two up to MAX_ALIGN; else -1). No allocation, IRQ-safe, O(1).
        """
        a = self._a
        p = ((self._p + a + align - 1) & -align) - a
        e = p + n
        if e > self._end or n < 0 or (align - 1) & (align | _BAD_ALIGN):
            return self._slow(n, align, False)
        self._p = e
        return p

    def alloc(self, n, align=1):
        """A memoryview of exactly ``n`` bytes whose address is a multiple of ``align``.

        Allocates the memoryview object (the only allocation; none for the data).
        O(1); with ``grow=True`` a full block chains another (allocates its
        bytearray). Raises ``AllocError`` when the bytes do not fit (past ``limit``,
        or grow=False), ValueError for n < 0 or a bad align, TypeError for non-ints;
        after an error the arena is unchanged. Not IRQ-safe: use ``take``.
        """
        p = self._p
        if align != 1:
            p = ((p + self._a + align - 1) & -align) - self._a
            if (align - 1) & (align | _BAD_ALIGN):
                self._slow(n, align, True)  # raises ValueError
        if p + n > self._end or n < 0:
            p = self._slow(n, align, True)
        v = self._mv[p:p + n]  # TypeError for a non-int n, before anything changes
        self._p = p + n
        return v

    def _slow(self, n, align, grow):
        # Cold path of take/take_aligned (grow False: never allocate, -1 on failure)
        # and of alloc/alloc_struct/alloc_array (grow True: may chain a block; raises).
        if grow:
            if type(n) is not int or type(align) is not int:
                raise TypeError("Arena.alloc(n, align): ints required, got %s and %s"
                                % (type(n).__name__, type(align).__name__))
            if n < 0:
                raise ValueError("Arena.alloc(%d): n must be >= 0" % n)
            if (align - 1) & (align | _BAD_ALIGN):
                raise ValueError("Arena.alloc(%d, align=%d): align must be a power of two "
                                 "from 1 to %d" % (n, align, MAX_ALIGN))
        elif n < 0 or (align - 1) & (align | _BAD_ALIGN):
            return -1
        c = self._c
        k = c[_BI] + 1
        if k < len(c[_BLOCKS]):
            # The next block is kept from earlier use and wholly free.
            a = c[_LOWS][k]
            p = ((a + align - 1) & -align) - a
            if p + n <= len(c[_BLOCKS][k]):
                self._set(k, p + n)
                return p
        if grow and c[_GROW]:
            p = self._chain(n, align)
            if p >= 0:
                return p
        c[_FAILS] = (c[_FAILS] + 1) & _WRAP
        if grow:
            raise AllocError(self._full(n, align))
        return -1

    def _chain(self, n, align):
        # Append a new block after the current one (dropping kept blocks past it).
        c = self._c
        k = c[_BI]
        keep = self._base + self._end  # bytes held up to the current block
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
        self._set(k + 1, p + n)
        return p

    def _full(self, n, align):
        c = self._c
        msg = ("Arena.alloc(%d, align=%d): does not fit; %d bytes left in block %d of %d "
               "bytes, %d used of %d held" % (n, align, self._end - self._p, c[_BI],
                                              self._end, self.used(), c[_HELD]))
        if not c[_GROW]:
            return msg + "; release/reset, use a larger Arena or grow=True"
        if c[_LIMIT] is None:
            return msg + "; the position limit is %d bytes" % _POS_LIMIT
        return msg + ("; limit %d bytes reached: release/reset, raise limit or trim()"
                      % c[_LIMIT])

    # ---- marks, scopes, reset -------------------------------------------------------

    def mark(self):
        """The current position (an int < 2**30) for ``release``. O(1), no allocation,
        IRQ-safe."""
        return self._base + self._p

    def release(self, mark):
        """Free everything allocated after ``mark`` (from ``mark()``). O(1) within the
        current block, O(blocks) back across blocks; no allocation. Raises ValueError
        (arena unchanged) when ``mark`` is ahead of the position (already released).
        """
        pos = self._base + self._p
        if type(mark) is not int or mark < 0 or mark > pos:
            raise ValueError("Arena.release(%r): a mark must be an int from 0 to the "
                             "position %d; it was already released or is not a mark"
                             % (mark, pos))
        c = self._c
        if pos > c[_HW]:
            c[_HW] = pos
        c[_REL] = (c[_REL] + pos - mark) & _WRAP
        if mark >= self._base:
            self._p = mark - self._base
        else:
            bases = c[_BASES]
            k = c[_BI] - 1
            while bases[k] > mark:
                k -= 1
            self._set(k, mark - bases[k])

    def reset(self):
        """Free everything: the position goes back to 0 in the first block (kept
        blocks stay for reuse). O(1), no allocation, IRQ-safe."""
        pos = self._base + self._p
        c = self._c
        if pos > c[_HW]:
            c[_HW] = pos
        c[_REL] = (c[_REL] + pos) & _WRAP
        if self._base:
            self._set(0, 0)
        else:
            self._p = 0

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
        if d >= len(c[_SC]):
            raise CapacityError("Arena.scope(): %d scopes already open, the most this "
                                "arena allows; pass Arena(..., scopes=N) with N > %d"
                                % (d, d))
        c[_SC][d] = self._base + self._p
        c[_SD] = d + 1
        return self

    def __exit__(self, et, ev, tb):
        c = self._c
        c[_SD] -= 1
        m = c[_SC][c[_SD]]
        if m <= self._base + self._p:  # else the block released further itself
            self.release(m)

    def trim(self):
        """Drop the extra blocks past the current one (the GC reclaims them).
        O(blocks). Not IRQ-safe."""
        c = self._c
        k = c[_BI] + 1
        for i in (_BLOCKS, _MVS, _BASES, _LOWS):
            del c[i][k:]
        c[_HELD] = self._base + self._end

    # ---- queries ---------------------------------------------------------------------

    def used(self):
        """Bytes from the start to the position (padding and skipped block tails
        included). O(1), no allocation, IRQ-safe."""
        return self._base + self._p

    def remaining(self):
        """Bytes held past the position: the current block's rest plus kept blocks
        (with ``grow=True`` more may be chained, up to ``limit``). One allocation gets
        at most one block's rest. O(1), no allocation, IRQ-safe."""
        return self._c[_HELD] - self._base - self._p

    def capacity(self):
        """Bytes held by all blocks. O(1), no allocation."""
        return self._c[_HELD]

    def blocks(self):
        """Number of blocks held (1 unless grown). O(1), no allocation."""
        return len(self._c[_BLOCKS])

    def __getattr__(self, name):
        # size, grow, limit, high_water: served from the cold list here (not as
        # attributes or properties), so hot-path lookups stay fast (see ring.py).
        c = self._c
        if name == "high_water":
            pos = self._base + self._p
            return pos if pos > c[_HW] else c[_HW]
        if name == "size":
            return c[_SIZE]
        if name == "grow":
            return c[_GROW]
        if name == "limit":
            return c[_LIMIT]
        raise AttributeError("'Arena' object has no attribute '%s'" % name)

    def stats(self):
        """A new dict (allocates): allocs (counted with debug only, else -1), bytes
        (taken since creation incl. padding, mod 2**30), failures (refused requests),
        high_water, used, held, blocks, scopes (open)."""
        c = self._c
        return {"allocs": c[_ALLOCS], "bytes": (c[_REL] + self.used()) & _WRAP,
                "failures": c[_FAILS], "high_water": self.high_water,
                "used": self.used(), "held": c[_HELD], "blocks": len(c[_BLOCKS]),
                "scopes": c[_SD]}

    def dump(self):
        """A text map of blocks, the position and the open scope marks (allocates)."""
        c = self._c
        lim = c[_LIMIT]
        out = ["Arena: %d blocks, %d bytes held, position %d, high water %d%s"
               % (len(c[_BLOCKS]), c[_HELD], self.used(), self.high_water,
                  ", limit %d" % lim if lim is not None else "")]
        marks = c[_SC][:c[_SD]]
        bi = c[_BI]
        for k in range(len(c[_BLOCKS])):
            base = c[_BASES][k]
            n = len(c[_BLOCKS][k])
            if k < bi:
                state = "full"
            elif k == bi:
                state = "current, %d used, %d free" % (self._p, n - self._p)
            else:
                state = "kept, free"
            here = ["scope %d @%d" % (i, m) for i, m in enumerate(marks)
                    if base <= m < base + n or (k == bi and m == base + n)]
            out.append("  block %d: positions %d..%d (%d bytes, addr%%4096=%d) %s%s"
                       % (k, base, base + n, n, c[_LOWS][k], state,
                          ("; " + ", ".join(here)) if here else ""))
        return "\n".join(out)

    def __repr__(self):
        return "<Arena %d/%d bytes used, %d blocks>" % (self.used(), self._c[_HELD],
                                                        self.blocks())

    # ---- typed views -----------------------------------------------------------------

    def _off(self, n, align):
        # Offset form that chains blocks and raises (typed views).
        p = Arena.take_aligned(self, n, align)
        if p < 0:
            p = self._slow(n, align, True)
        return p

    def alloc_struct(self, layout):
        """A view of a new ``layout.size``-byte record, aligned to its widest field;
        fields read and written as attributes (``rec.length = 5``). Allocates the view
        object (uctypes struct on MicroPython: field access allocates nothing for
        ints below 2**30; a struct-based accessor elsewhere). Errors as ``alloc``.
        """
        p = self._off(layout.size, layout.align)
        if _uct is not None:
            return _uct.struct(_addressof(self.buf) + p, layout.desc(),
                               _uct.LITTLE_ENDIAN)
        return _PackedStruct(self.buf, p, layout)

    def alloc_array(self, typecode, n):
        """An indexable typed view of ``n`` new items (typecodes b B h H i I q Q f d,
        little-endian standard sizes), aligned to the item size. MicroPython: a uctypes
        array (``a[i]``/``a[i] = v`` allocate nothing for ints below 2**30; no len());
        CPython: ``memoryview.cast``; elsewhere a struct-based accessor. Allocates the
        view object only. Errors as ``alloc``; ValueError for an unknown typecode.
        """
        t = _TYPES.get(typecode)
        if t is None:
            raise ValueError("Arena.alloc_array(%r, %d): typecode must be one of %s"
                             % (typecode, n, "".join(_TYPES)))
        size = t[0]
        if type(n) is not int or n < 0:
            raise ValueError("Arena.alloc_array(%r, %r): n must be an int >= 0"
                             % (typecode, n))
        p = self._off(n * size, size)
        if _uct is not None:
            return _uct.struct(_addressof(self.buf) + p,
                               (_uct.ARRAY | 0, getattr(_uct, t[1]) | n), _uct.NATIVE)
        if hasattr(self._mv, "cast"):
            return self._mv[p:p + n * size].cast(typecode)
        return _PackedArray(self.buf, p, "<" + typecode, size, n)

    # ---- debug -----------------------------------------------------------------------

    def _debug(self, debug):
        if debug is True:
            debug = (0xCD, 0xDD)
        c = self._c
        c[_PA], c[_PR] = debug
        c[_ALLOCS] = 0
        # Per-instance overrides: the class methods stay as fast as without debug.
        self.take = self._dbg_take
        self.take_aligned = self._dbg_take_aligned
        self.alloc = self._dbg_alloc
        self._off = self._dbg_off
        self.release = self._dbg_release
        self.reset = self._dbg_reset

    def _count(self, p, n):
        if p >= 0:
            c = self._c
            c[_ALLOCS] = (c[_ALLOCS] + 1) & _WRAP
            if c[_PA] is not None:
                _fill(self.buf, p, p + n, c[_PA])
        return p

    def _dbg_take(self, n):
        return self._count(Arena.take(self, n), n)

    def _dbg_take_aligned(self, n, align):
        return self._count(Arena.take_aligned(self, n, align), n)

    def _dbg_off(self, n, align):
        return self._count(Arena._off(self, n, align), n)

    def _dbg_alloc(self, n, align=1):
        v = Arena.alloc(self, n, align)
        self._count(self._p - n, n)
        return v

    def _dbg_release(self, mark):
        pos = self.used()
        Arena.release(self, mark)
        self._poison(mark, pos)

    def _dbg_reset(self):
        pos = self.used()
        Arena.reset(self)
        self._poison(0, pos)

    def _poison(self, lo, hi):
        c = self._c
        if c[_PR] is None:
            return
        for k in range(len(c[_BLOCKS])):
            base = c[_BASES][k]
            b = c[_BLOCKS][k]
            s = lo - base if lo > base else 0
            e = hi - base if hi - base < len(b) else len(b)
            if s < e:
                _fill(b, s, e, c[_PR])


def _fill(buf, lo, hi, byte):
    for i in range(lo, hi):
        buf[i] = byte


class Layout:
    """A packed little-endian record for ``Arena.alloc_struct``.

    ``Layout((("kind", "B"), ("flags", "B"), ("length", "H"), ("crc", "I"),
    ("tag", "8B")))``: fields in order, no padding; a code is one of b B h H i I q Q f
    d, optionally with a count (``"8B"``: an array field). ``size`` (bytes) and
    ``align`` (widest item, for the record's start) are attributes; ``fields`` maps a
    name to (offset, struct format, count).
    """

    def __init__(self, fields):
        off = 0
        align = 1
        self.fields = {}
        self._spec = []
        for name, code in fields:
            count = int(code[:-1]) if len(code) > 1 else 0
            t = _TYPES.get(code[-1])
            if t is None or count < 0:
                raise ValueError("Layout field %r: code %r must be [count]one of %s"
                                 % (name, code, "".join(_TYPES)))
            self.fields[name] = (off, "<" + code[-1], count)
            self._spec.append((name, off, t[1], count))
            off += t[0] * (count or 1)
            if t[0] > align:
                align = t[0]
        self.size = off
        self.align = align
        self._desc = None

    def desc(self):
        """The uctypes descriptor dict (built once, on MicroPython)."""
        if self._desc is None:
            d = {}
            for name, off, tname, count in self._spec:
                t = getattr(_uct, tname)
                d[name] = (_uct.ARRAY | off, t | count) if count else t | off
            self._desc = d
        return self._desc


try:
    from struct import pack_into as _pack_into
    from struct import unpack_from as _unpack_from
except ImportError:  # pragma: no cover - every target port has struct
    _pack_into = _unpack_from = None


class _PackedArray:
    """Indexable typed access via struct (where neither uctypes nor memoryview.cast
    exist). Each read allocates the unpacked tuple."""

    def __init__(self, buf, off, fmt, size, n):
        self._b = buf
        self._o = off
        self._f = fmt
        self._s = size
        self._n = n

    def __len__(self):
        return self._n

    def _at(self, i):
        if i < 0:
            i += self._n
        if i < 0 or i >= self._n:
            raise IndexError("index %d out of range for %d items" % (i, self._n))
        return self._o + i * self._s

    def __getitem__(self, i):
        return _unpack_from(self._f, self._b, self._at(i))[0]

    def __setitem__(self, i, v):
        _pack_into(self._f, self._b, self._at(i), v)


class _PackedStruct:
    """Attribute access to a Layout record via struct (where uctypes is missing)."""

    def __init__(self, buf, off, layout):
        object.__setattr__(self, "_s", (buf, off, layout))

    def _field(self, name):
        f = self._s[2].fields.get(name)
        if f is None:
            raise AttributeError("record has no field %r" % name)
        return f

    def __getattr__(self, name):
        o, fmt, count = self._field(name)
        buf, off = self._s[0], self._s[1]
        if count:
            return _PackedArray(buf, off + o, fmt, _TYPES[fmt[1]][0], count)
        return _unpack_from(fmt, buf, off + o)[0]

    def __setattr__(self, name, v):
        o, fmt, count = self._field(name)
        if count:
            raise AttributeError("array field %r: assign its items" % name)
        _pack_into(fmt, self._s[0], self._s[1] + o, v)
