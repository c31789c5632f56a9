"""Generation-tracked slab allocator: ``size`` bytes in ``slots`` equal blocks.

    from mpalloc.slab import Slab
    slab = Slab(1024, 32)          # 32 blocks of 32 bytes, allocated once
    h = slab.alloc(20)             # int handle (AllocError when full)
    slab.write(h, b"hello")        # no-alloc copy in; returns bytes copied
    slab.readinto(h, buf)          # no-alloc copy out; -1 if h is stale
    slab.free(h)                   # StaleHandleError on a stale/double/foreign handle
    h = slab.try_alloc(20)         # IRQ-safe: 0 when there is no room

Layout. ``self._m`` is one ``array('I')``: ten header words (next-fit hint, free
blocks, live allocations, counters, block size, slot count) then one 32-bit word per
slot: ``tag << 18 | length``. ``length`` (18 bits) is the requested byte count of an
allocation whose run *starts* at that slot; 0 marks a free block or the interior of a
run (interior blocks look free to handle checks, and the run scan jumps from head to
head, so it never lands inside a run). ``tag`` (12 bits) is the slot's generation plus
the slab's salt, bumped at every free. Every word stays below 2**30 (a small int).
Data lives in one ``bytearray(slots * block_size)``; block ``s`` starts at
``s * block_size``.

Handles. ``handle = tag << 18 | (slot + 1)``: below 2**30, never 0, at most 262,143
slots. A handle is valid while its slot heads a live allocation with the same tag; a
freed handle stays invalid until its slot has been reused 4096 times (the tag wraps).

Cost. Single-block ``try_alloc``/``try_free`` are O(1) in the usual case: the next-fit
hint is set to the freed slot at free and just past the new run after an allocation,
so it always sits on a run boundary. Multi-block runs (and a full-ish slab) scan head
to head: O(slots) worst case. The viper kernel (``KERNEL == "viper"``) is used where the
native emitter exists, the pure twin elsewhere; both give identical results.
"""

from array import array

from mpalloc._util import wide as _wide

try:
    from mpalloc import _slab_viper as _k
except (SyntaxError, ImportError, ValueError):
    from mpalloc import _slab_py as _k

try:
    from mpalloc import _mem_viper as _mem
except (SyntaxError, ImportError, ValueError):
    from mpalloc import _mem_py as _mem

try:
    from micropython import const
except ImportError:
    from mpalloc._util import const

KERNEL = _k.NAME

# Header words of ``Slab._m`` (docs/bytebuf.md#the-slab-bytebuf-contract is the one table, with who
# may write each word; the kernels and bytebuf repeat the indices, checked identical by
# tests/test_host_drift.py).
# BEGIN SHARED slab-layout
_HINT = const(0)  # layout slab
_FREE = const(1)  # layout slab
_LIVE = const(2)  # layout slab
_ALLOCS = const(3)  # layout slab
_FREES = const(4)  # layout slab
_FAILS = const(5)  # layout slab
_PEAK = const(6)  # layout slab
_BS = const(7)  # layout slab
_ONE = const(8)  # layout slab
_SLOTS = const(9)  # layout slab
_H = const(10)  # layout slab
_LEN = const(0x3FFFF)  # layout slab
# END SHARED slab-layout

MAX_SLOTS = const(0x3FFFF)  # layout slab: 262,143, the 18-bit slot field of a handle
MAX_ALLOC = const(0x3FFFF)  # layout slab: 262,143 bytes, the 18-bit length field of a slot word
_HLIMIT = const(0x40000000)  # layout slab: handles are below 2**30

_len = len
_copy = _mem.copy
_WRITE_TYPES = (bytes, bytearray, memoryview, array)
_READ_TYPES = (bytearray, memoryview, array)

# Salt source: an odd step walks all 4096 values, so slabs made one after another get
# different salts; the starting point comes from the clock when the first slab is made
# (_util.clock_bits: ticks_us, CircuitPython's monotonic_ns or CPython's
# perf_counter_ns), so importing this module reads no clock.
_salt_next = -1


def _new_salt():
    global _salt_next
    if _salt_next < 0:
        from mpalloc._util import clock_bits

        _salt_next = clock_bits() & 0xFFF
    _salt_next = (_salt_next + 0x9E5) & 0xFFF
    return _salt_next


class Slab:
    """Generation-tracked slab: ``size`` bytes split into ``slots`` blocks of
    ``block_size = size // slots`` bytes; requests larger than a block take a run of
    contiguous blocks.

    ``Slab(size, slots, *, irq_safe=False)`` allocates everything once: a bytearray of
    ``slots * block_size`` bytes plus 4 bytes of metadata per slot and a 40-byte header,
    and the four kernel closures (about 180 bytes on a 32-bit board).
    ``size`` below 2**30; ``1 <= slots <= min(size, 262143)``. One allocation holds at
    most 262,143 bytes (``MAX_ALLOC``).

    Handles are ints ``0 < h < 2**30`` (see the module docstring). A freed handle stays
    invalid until its slot is reused 4096 times. Each slab has a 12-bit salt added to
    every generation, so a handle from another slab is rejected unless it happens to
    equal a live handle of this one: for an arbitrary foreign handle that chance is
    about ``live_allocations / (slots * 4096)``. Slabs created one after another get
    salts 2533 apart (mod 4096), so young handles of one slab do not collide with young
    handles of the next.

    ``irq_safe=True`` guards ``alloc``/``free``/``try_alloc``/``try_free`` with the
    port's critical section (``mpalloc._util.critical``): ``machine.disable_irq()``/
    ``enable_irq()`` where the port has them (MicroPython boards), else a ``_thread``
    lock (unix ports and CPython, where threads stand in for IRQs), else nothing (stock
    qemu, WebAssembly, CircuitPython boards: no Python code can preempt there). The
    guarded ``try_*`` still allocate nothing and never raise for an int.
    ``write``/``readinto``/``get`` are never guarded: do not free a handle while another
    context copies through it.

    Counters in ``stats()`` wrap at 2**30. ``_salt`` (private) fixes the salt, for tests
    that compare two slabs handle for handle.

    ``try_alloc``/``try_free``/``valid``/``size`` are per-instance closures made by
    ``_bind`` (the one binding site); the methods of those names below document them.
    """

    KERNEL = _k.NAME
    _k = _k  # the kernel module (the _with_kernel hook swaps it)

    def __init__(self, size, slots, *, irq_safe=False, _salt=None):
        if (type(size) is not int or type(slots) is not int or size < 1 or size >= _HLIMIT
                or slots < 1 or slots > MAX_SLOTS or slots > size):
            from mpalloc._slab_cold import bad_args

            bad_args(size, slots)
        from mpalloc._util import words

        salt = _new_salt() if _salt is None else (_salt & 0xFFF)
        bs = size // slots
        self.block_size = bs
        self.slots = slots
        self.capacity = slots * bs  # bytes the slab holds (size rounded down to blocks)
        self.irq_safe = bool(irq_safe)
        self._salt = salt
        m = words(_H + slots)
        for i in range(_H, _H + slots):
            m[i] = salt << 18
        m[_HINT] = 0
        m[_FREE] = slots
        m[_BS] = bs
        m[_ONE] = bs if bs < _LEN else _LEN
        m[_SLOTS] = slots
        self._m = m
        self._data = bytearray(slots * bs)
        self._wok = self._rok = self._data  # last buffers write/readinto checked
        self._mv = memoryview(self._data)
        self._bind()

    def _bind(self):
        # The one binding site: the kernel closures over self._m go on the instance;
        # on an irq_safe slab try_alloc/try_free are the guarded methods below, which
        # call the unguarded closures kept as _try_alloc/_try_free (bytebuf calls those
        # inside its own critical section).
        from mpalloc._util import critical

        ta, tf, self.valid, self.size = self._k.kernels(self._m)
        self._try_alloc = ta
        self._try_free = tf
        disable = other = None
        if self.irq_safe:
            disable, other = critical()  # (None, None): nothing can preempt on this port
        if disable is not None:
            self._disable = disable
            self._enable = other
            ta = self._irq_try_alloc
            tf = self._irq_try_free
        elif other is not None:
            self._acquire = other.acquire
            self._release = other.release
            ta = self._lock_try_alloc
            tf = self._lock_try_free
        self.try_alloc = ta
        self.try_free = tf

    # The IRQ path. Each instance has its own closures under these names (made by
    # _bind); these class-level forms only document them and forward to them.

    def try_alloc(self, n):
        """``n`` bytes: a handle, or 0 for n < 1, n > MAX_ALLOC or no room (counted in
        stats()["failures"]). IRQ-safe, no-alloc. O(1) for a one-block request in the
        usual case, O(slots) worst case. ``n``: an int (else TypeError); any int outside
        1..2**30-1, a big int included, is refused without arithmetic on it."""
        return self.try_alloc(n)

    def try_free(self, h):
        """Free ``h``: True, or False (state unchanged) for a stale, double, forged or
        foreign handle (any int outside 1..2**30-1 included). IRQ-safe, no-alloc, O(1)."""
        return self.try_free(h)

    def valid(self, h):
        """True while ``h`` is a live handle of this slab. IRQ-safe, no-alloc, O(1)."""
        return self.valid(h)

    def size(self, h):
        """The requested length of ``h``, -1 when stale. IRQ-safe, no-alloc, O(1)."""
        return self.size(h)

    # Guarded try_alloc/try_free (installed by _bind; docs/design.md#handlers). Only a
    # small int enters the critical section; anything else goes to the unguarded
    # kernel, which refuses it (or raises TypeError) as an unguarded slab does.

    def _irq_try_alloc(self, n):
        if type(n) is not int or n < -0x3FFFFFFF or n > 0x3FFFFFFF:
            return self._try_alloc(n)
        st = self._disable()
        n = self._try_alloc(n)
        self._enable(st)
        return n

    def _irq_try_free(self, h):
        if type(h) is not int or h < -0x3FFFFFFF or h > 0x3FFFFFFF:
            return self._try_free(h)
        st = self._disable()
        h = self._try_free(h)
        self._enable(st)
        return h

    def _lock_try_alloc(self, n):
        if type(n) is not int or n < -0x3FFFFFFF or n > 0x3FFFFFFF:
            return self._try_alloc(n)
        self._acquire()
        n = self._try_alloc(n)
        self._release()
        return n

    def _lock_try_free(self, h):
        if type(h) is not int or h < -0x3FFFFFFF or h > 0x3FFFFFFF:
            return self._try_free(h)
        self._acquire()
        h = self._try_free(h)
        self._release()
        return h

    def alloc(self, n):
        """Allocate ``n`` bytes; return a handle. Raises ``AllocError`` when no run of
        ``ceil(n / block_size)`` free blocks exists (state unchanged apart from the
        failures counter), ``ValueError`` for n < 1 or n > MAX_ALLOC, ``TypeError`` for
        a non-int. Allocates only the exception. Not IRQ-safe (use try_alloc); guarded
        when irq_safe. Cost as try_alloc.
        """
        if type(n) is int and n >= 1 and n <= MAX_ALLOC:
            h = self.try_alloc(n)
            if h:
                return h
        from mpalloc._slab_cold import alloc_fail

        alloc_fail(self, n)

    def free(self, h):
        """Free handle ``h``. Raises ``StaleHandleError`` naming the handle, its slot and
        why when ``h`` is stale, double-freed, forged or foreign (state unchanged), and
        ``TypeError`` for a non-int. Allocates only the exception. O(1). Not IRQ-safe
        (use try_free); guarded when irq_safe.
        """
        if type(h) is int and 0 < h < _HLIMIT and self.try_free(h):
            return
        from mpalloc._slab_cold import free_fail

        free_fail(self, h)

    def get(self, h):  # also ``view(h)``
        """A memoryview of exactly the requested length for ``h``, or None when stale.
        Allocates the view (one memoryview slice). O(1). Not IRQ-safe. The view is only
        meaningful until ``h`` is freed.
        """
        n = self.size(h)
        if n < 0:
            return None
        off = ((h & _LEN) - 1) * self.block_size
        return self._mv[off:off + n]


    view = get  # the contract's name for this concept (Stack.view, BlockPool.view)

    def write(self, h, buf):
        """Copy ``buf`` into the allocation from its start, like a stream write: copies
        ``min(len(buf), size(h))`` bytes and returns that count, -1 when ``h`` is stale.
        ``buf``: bytes, bytearray, memoryview or array of one-byte items (else
        TypeError, nothing copied; checked once per buffer object: the last one checked
        stays referenced). No-alloc; O(len) via the copy kernel,
        which touches no byte outside the allocation (writers on distinct handles are
        independent). Safe in an IRQ for a valid buffer type, but not guarded.
        """
        # h is reused for the offset, n for the count: docs/design.md#heap-frames
        if buf is not self._wok:  # a new buffer object: type and item width, once
            if type(buf) not in _WRITE_TYPES or _wide(buf):
                from mpalloc._slab_cold import bad_buf

                bad_buf("write", buf)
            self._wok = buf
        n = self.size(h)
        if n < 0:
            return -1
        if _len(buf) < n:
            n = _len(buf)
        # The copy kernel touches only the n target bytes, not a slab-wide slice
        # store: docs/design.md#slice-stores
        _copy(self._data, ((h & _LEN) - 1) * self.block_size, buf, 0, n)
        return n

    def readinto(self, h, buf):
        """Copy the allocation into ``buf`` from its start, like a stream readinto:
        copies ``min(len(buf), size(h))`` bytes, returns that count, -1 when ``h`` is
        stale. ``buf``: bytearray, writable memoryview or array of one-byte items
        (bytes, str, read-only views and wider items raise TypeError; checked once per
        buffer object). No-alloc; O(len) via the copy kernel.
        Safe in an IRQ for a valid buffer type, but not guarded.
        """
        # Few locals: docs/design.md#heap-frames
        if buf is not self._rok:  # a new buffer object: type, width, writability, once
            if type(buf) not in _READ_TYPES or _wide(buf, True):
                from mpalloc._slab_cold import bad_buf

                bad_buf("readinto", buf)
            if type(buf) is memoryview and _len(buf):
                buf[0] = buf[0]  # TypeError for a read-only view, before anything is copied
            self._rok = buf
        n = self.size(h)
        if n < 0:
            return -1
        if _len(buf) < n:
            n = _len(buf)
        _copy(buf, 0, self._data, ((h & _LEN) - 1) * self.block_size, n)
        return n

    def stats(self):
        """Counters as a new dict (allocates; O(slots) for largest_free_run), in blocks:
        the shared keys (docs/observability.md) unit "blocks", capacity (slots), in_use,
        free, peak (blocks in use), allocs, frees, failures (refused requests), plus
        live (allocations), block_size, largest_free_run. Counters wrap at 2**30.
        """
        from mpalloc._slab_cold import stats

        return stats(self)

    def dump(self, stream=None):
        """Write a memory map to ``stream`` (default ``sys.stdout``), line by line:
        counters, one character per block (at most 128), the live allocations (slot,
        generation, bytes; at most 16 listed) and the free runs with fragmentation.
        Allocates (the lines); O(slots). Not IRQ-safe.
        """
        from mpalloc._slab_cold import dump

        dump(self, stream)

    def __repr__(self):
        from mpalloc._slab_cold import rep

        return rep(self)


def _with_kernel(kmod):
    """A Slab subclass bound to kernel module ``kmod`` (``_slab_viper`` or ``_slab_py``);
    for benchmarks and twin tests."""
    return type("Slab_" + kmod.NAME, (Slab,), {"KERNEL": kmod.NAME, "_k": kmod})
