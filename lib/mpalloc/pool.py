"""Object pools and fixed-size block pools: reuse instead of allocating.

    from mpalloc.pool import ObjectPool, BlockPool
    pool = ObjectPool(Particle, 64, reset=Particle.clear)   # 64 objects made now
    p = pool.acquire()             # AllocError when all 64 are out (and not growable)
    pool.release(p)                # ValueError on a double release or a foreign object
    with pool.borrow() as p: ...   # released on exit, also on exception

    blocks = BlockPool(64, 32)     # 32 blocks of 64 bytes in one bytearray
    i = blocks.try_alloc()         # IRQ-safe: block index, -1 when none is free
    blocks.write(i, b"hello")      # no-alloc copy in; readinto(i, buf) copies out
    blocks.try_free(i)             # IRQ-safe: False on a double free / bad index

ObjectPool state. ``self._objs`` lists the objects by slot; ``self._slot`` maps each
object (or its ``id()``, see below) to its slot; ``self._m`` is an ``array('I')``: eight
header words (free count, capacity, acquisitions, failures, peak, key mode,
growths, reset flag) then a stack
of the free slots (``capacity`` words) then one in-use flag word per slot. ``acquire``
pops the stack, ``release`` finds the slot with one dict lookup and checks the flag:
double and foreign releases are caught in O(1), with no list scan.

Keys (``_m`` word 5, the key mode). Objects that hash by identity (plain class
instances) are keyed by ``id()`` where that is a small int (mode 1: a colliding dict
probe compares small ints, not two instances through a class lookup of ``__eq__``), by
themselves elsewhere (mode 0: CPython, boards where id() is a big int). Objects that hash
by value (``bytes``, tuples, classes defining ``__hash__``/``__eq__``) are keyed by
themselves plus an identity check (mode 2); their hash must not change while they are
pooled (Python's own rule for hashable objects). Unhashable objects (``bytearray``,
``list``, ``dict``), and hashable ones of which two compare equal, need an identity key:

- mode 1, ``id()``, where every pooled object's id is a small int: MicroPython with RAM
  below 0x80000000 (most Cortex-M, ESP32, 64-bit unix), CircuitPython boards, CPython.
- mode 3, where id() is a big int (RAM at or above 0x80000000: RV32 ``virt``, i.MX RT
  external SDRAM), so calling it would allocate: bits 2..31 of the object's address,
  read without allocating by storing the object in a one-item ``array('O')`` and reading
  that word back (viper ``ptr32``; the pure twin through a ``uctypes`` view), then an
  identity check. O(1), no allocation.
- mode 4, where neither works (no viper and no ``uctypes``, or two addresses share those
  bits): an identity scan of the pool, O(capacity), no allocation.

BlockPool state. ``self._m`` is one ``array('I')``: ten header words then, for "lifo"
and "fifo", one word per block (0 = in use, else ``FREE | next free block``: an intrusive
free list: a stack for lifo, a queue with a tail for fifo); for "bitmap", one word per
16 blocks (bit set = free). Data lives in one ``bytearray(count * block_size)``.
Every metadata word stays below 2**30.

The viper kernel (``KERNEL == "viper"``) runs where the native emitter exists, the pure
twin elsewhere; both give identical results.
"""

from array import array

try:
    from mpalloc import _pool_viper as _k
except (SyntaxError, ImportError, ValueError):
    from mpalloc import _pool_py as _k

try:
    from mpalloc import _mem_viper as _mem
except (SyntaxError, ImportError, ValueError):
    from mpalloc import _mem_py as _mem

from mpalloc._util import const
from mpalloc._util import wide as _wide
from mpalloc._util import words as _words

# Cold code (error messages, growth, batches, stats, repr, _with_kernel) lives in
# _pool_cold, imported by the methods below on first use (``from mpalloc._pool_cold
# import name`` there): no RAM until then. It does not import this module: what it
# needs is passed in.

KERNEL = _k.NAME

# ObjectPool header words of self._m (the kernels, _pool_cold and this module repeat
# the ones they use, tagged "# layout pool": the drift test checks one value per name).
# Written by the kernels (acquire/try_acquire/release, _take, _give) and by _add; every
# word < 2**30. Then the free stack m[_OH:_OH+cap] (slots, top at _ON - 1) and the
# in-use flags m[_OH+cap:_OH+2*cap] (1 in use, 0 free; 2 transiently in release_many).
# Free objects: the height of the free stack, 0.._OCAP.
_ON = const(0)  # layout pool
# Capacity: objects held now (grows up to max_capacity).
_OCAP = const(1)  # layout pool
# Successful acquisitions (wraps at 2**30); frees = acquisitions - in use.
_OACQ = const(2)  # layout pool
# Refused acquisitions (wraps at 2**30).
_OFAIL = const(3)  # layout pool
# Peak objects in use.
_OPEAK = const(4)  # layout pool
# Key mode (see "Keys" above): 0 object, 1 id(), 2 object + identity, 3 address
# bits, 4 scan. Set by _add; only grows (a new object may need a stronger key).
_OMODE = const(5)  # layout pool
# Growth steps taken (stats()["grows"]).
_OGROW = const(6)  # layout pool
# 1 when a reset hook is set (release calls it before the slot is free again).
_ORESET = const(7)  # layout pool
# Header length: the free stack starts here.
_OH = const(8)  # layout pool

# BlockPool header words of self._m (written by the kernels' try_alloc/try_free and
# by the constructor; every word < 2**30), then the per-block words from _BH on
# (lifo/fifo: 0 in use, else _FREE | next free block or _NIL; bitmap: one word per 16
# blocks, bit set = free).
# Strategy: 0 lifo, 1 fifo, 2 bitmap.
_BSTRAT = const(0)  # layout pool
# Blocks (count), 1..MAX_BLOCKS.
_BCOUNT = const(1)  # layout pool
# Free blocks, 0.._BCOUNT.
_BNFREE = const(2)  # layout pool
# Lifo: top of the free stack; fifo: head of the free queue (_NIL: empty); bitmap:
# the lowest word that may hold a free bit.
_BHEAD = const(3)  # layout pool
# Fifo: tail of the free queue (_NIL: empty); unused otherwise.
_BTAIL = const(4)  # layout pool
# Successful allocations, frees, refused allocations (each wraps at 2**30).
_BALLOC = const(5)  # layout pool
_BFREE = const(6)  # layout pool
_BFAIL = const(7)  # layout pool
# Peak blocks in use.
_BPEAK = const(8)  # layout pool
# Block size in bytes.
_BBS = const(9)  # layout pool
# Header length: the per-block words start here.
_BH = const(10)  # layout pool
# End of a free list, and the flag marking a block word free (both above any index).
_NIL = const(0x1FFFFFFF)  # layout pool
_FREE = const(0x20000000)  # layout pool

MAX_BLOCKS = const(0x1FFFFFFE)  # layout pool
STRATEGIES = ("lifo", "fifo", "bitmap")

_len = len
_id = id
_copy = _mem.copy
_WRITE_TYPES = (bytes, bytearray, memoryview, array)
_READ_TYPES = (bytearray, memoryview, array)


def _lock():
    try:
        import _thread
    except ImportError:  # no threads (CircuitPython, some boards): nothing to guard
        return None
    return _thread.allocate_lock()


def _key_mode(o):
    """0: hashes by identity (key = object), 1: needs an identity key (unhashable, see
    by_identity in _pool_cold), 2: hashes by value (key = object + identity check), 5:
    hashes by identity and id() is a small int (keyed by id(): mode 1, built in _add)."""
    try:
        h = hash(o)
    except TypeError:
        return 1
    # MicroPython's identity hash is the address as a small int: id(o) itself where that
    # is a small int, its low 31 bits where id() is a big int (RAM at or above
    # 0x80000000 on a 32-bit board).
    if _id(o) == h:
        # Keyed by id() (mode 1), not by the object: a dict probe that meets another
        # key then compares two small ints, where two instances make MicroPython look
        # __eq__ up in the class (150-400 ns per collision, unix x64: acquire+release
        # of a pool went from 150 to 900 ns depending on where its objects landed).
        return 5
    if (_id(o) - h) % 0x80000000 == 0:
        return 0
    oh = getattr(object, "__hash__", None)  # None on MicroPython: decided above
    t = type(o)
    if (oh is not None and getattr(t, "__hash__", None) is oh
            and getattr(t, "__eq__", None) is object.__eq__):  # CPython
        return 0
    return 2


def _index(objs, key):
    """{key(o): slot} over ``objs`` (``key`` None: the object itself), or the slot (an
    int) of the first object whose key an earlier object already has."""
    d = {}
    for i in range(_len(objs)):
        k = objs[i] if key is None else key(objs[i])
        if k in d:
            return i
        d[k] = i
    return d


def _far(self, obj, mode):
    # Modes 3 and 4 (id() would allocate here): the address key plus an identity
    # check, or an identity scan. Rare (RAM at or above 0x80000000 and unhashable
    # objects): plain Python for both kernels.
    objs = self._objs
    if mode == 3:
        i = self._slot.get(self._addr(obj), -1)
        return i if i >= 0 and objs[i] is obj else -1
    for i in range(_len(objs)):
        if objs[i] is obj:
            return i
    return -1


def _key(self, obj):
    # Modes 0 and 2: the slot keyed by obj itself, -1 when absent or unhashable. The
    # handler lives in this small function and catches Exception, not (KeyError,
    # TypeError): matching a tuple puts the frame on the heap (docs/design.md#heap-frames).
    try:
        return self._slot.get(obj, -1)  # get: a foreign object raises no KeyError
    except Exception:  # TypeError: an unhashable foreign object
        return -1


def _slot_of(self, obj):
    # ObjectPool._slot_of: the slot holding obj, or -1 (foreign, or unhashable and
    # foreign). O(1) (mode 4: O(capacity)), no allocation. Used by owns, borrow,
    # release_many and the pure release; the viper release inlines modes 0-2.
    mode = self._m[_OMODE]
    if mode == 1:
        return self._slot.get(_id(obj), -1)
    if mode >= 3:
        return _far(self, obj, mode)
    mode = mode == 2  # an identity check needed
    i = _key(self, obj)
    if mode and i >= 0 and self._objs[i] is not obj:
        return -1
    return i


class _Borrow:
    # One per slot, made on the slot's first borrow and reused: ``with`` allocates
    # nothing after warm-up.
    def __init__(self, pool, obj):
        self._p = pool
        self._o = obj

    def __enter__(self):
        return self._o

    def __exit__(self, a, b, c):
        self._p.release(self._o)
        return False


class ObjectPool:
    """A pool of ``capacity`` objects made by ``factory()`` in the constructor.

    ``ObjectPool(factory, capacity, *, reset=None, max_capacity=None, growth=2.0,
    locked=False)``. ``reset(obj)`` runs in ``release`` before the object is available
    again (if it raises, the object stays in use and the error propagates).
    ``max_capacity`` > ``capacity`` lets ``acquire`` grow the pool when it is empty:
    ``growth`` is an int step (objects added) or a float factor (> 1.0); growth
    allocates the new objects and metadata, ``try_acquire`` never grows. ``locked=True``
    guards every method with a ``_thread`` lock (where ``_thread`` exists; the lock is
    held while ``reset`` and ``factory`` run, so they must not call the pool).

    Cost (viper kernel): ``acquire`` + ``release`` cost less than constructing a small
    class instance (see docs/pool.md). Memory: per object one list slot, one dict entry,
    two metadata words.
    """

    KERNEL = _k.NAME
    _kern = _k  # the kernel module whose o_bind binds acquire/try_acquire/release
    _slot_of = _slot_of

    _addr = _k.o_addr  # mode 3 keys: bits 2..31 of an object's address

    # Bound per instance by _kern.o_bind (closures over the metadata, no self):
    # acquire() -> obj.  O(1), no-alloc unless the pool grows. Raises AllocError when
    #     empty and not growable (counted in stats()["failures"]).
    # try_acquire() -> obj or None.  O(1), never allocates nor grows; IRQ-safe when the
    #     pool is not locked (a lock cannot be taken in an IRQ).
    # release(obj).  O(1), no-alloc: one dict lookup (plus id() or the address key for
    #     unhashable objects; see Keys in the module docstring). Raises ValueError on a
    #     double release or a foreign object, state unchanged.

    def __init__(self, factory, capacity, *, reset=None, max_capacity=None, growth=2.0,
                 locked=False):
        if not (callable(factory) and type(capacity) is int and 0 < capacity <= MAX_BLOCKS
                and (max_capacity is None or (type(max_capacity) is int
                                              and capacity <= max_capacity <= MAX_BLOCKS))
                and ((type(growth) is int and growth >= 1)
                     or (type(growth) is float and growth > 1.0))
                and (reset is None or callable(reset))):
            from mpalloc._pool_cold import o_check

            o_check(factory, capacity, reset, max_capacity, growth)
        if max_capacity is None:
            max_capacity = capacity
        self._factory = factory
        self._reset = reset
        self.max_capacity = max_capacity
        self.growth = growth
        self._objs = []
        self._slot = {}
        self._bw = []
        self._probe = self._kv = None  # identity keys where id() is a big int (mode 3)
        self._m = _words(_OH)
        self._lk = None
        self._retarget = None
        self._add(capacity)
        self._m[_ORESET] = 1 if reset is not None else 0
        # The one binding site: the kernel's closures, then the lock around them.
        self._retarget = self._kern.o_bind(self)
        if locked:
            lk = _lock()
            if lk is not None:
                self._lk = lk
                from mpalloc._pool_cold import locked

                locked(self, lk)

    # ---- construction and growth (allocate) ------------------------------------------

    def _add(self, k):
        """Make ``k`` more objects and commit them all, or nothing (factory errors and
        duplicate objects leave the pool as it was)."""
        old = self._objs
        new = [self._factory() for _ in range(k)]
        objs = old + new
        mode = self._m[_OMODE] if old else 5  # 5: all identity-hashed with small ids
        for o in new:
            mm = _key_mode(o)
            if mm == 1 or (mm == 2 and (mode == 0 or mode == 5)) or (mm == 0 and mode == 5):
                mode = mm
        d = None
        if mode == 5:  # id() keys built here: no cold import for a pool of instances
            mode = 1
            d = _index(objs, _id)
            if type(d) is int:  # the same object twice: by_identity raises
                d = None
        elif mode == 0 or mode == 2:
            d = _index(objs, None)
            if type(d) is int:  # equal objects: they need an identity key
                d = None
        if d is None:
            from mpalloc._pool_cold import by_identity

            mode, d = by_identity(self, objs, _index, _id)  # ValueError on a duplicate
        cap = _len(objs)
        oc = _len(old)
        om = self._m
        m = _words(_OH + 2 * cap)
        for j in range(_OH):
            m[j] = om[j]
        m[_OCAP] = cap
        m[_OMODE] = mode
        n = om[_ON]
        for j in range(n):  # old free slots stay at the bottom of the stack
            m[_OH + j] = om[_OH + j]
        for j in range(oc, cap):  # new slots on top: taken first
            m[_OH + n + j - oc] = j
        m[_ON] = n + cap - oc
        for j in range(oc):
            m[_OH + cap + j] = om[_OH + oc + j]
        self._objs = objs
        self._slot = d
        self._bw = self._bw + [None] * k
        self._m = m
        self.capacity = cap  # objects held now (an attribute, as on every allocator)
        if self._retarget is not None:  # growth: the bound closures follow
            self._retarget()

    # ---- growth and cold paths of the kernels (allocate; code in _pool_cold) --------

    def grow(self, k=None):
        """Add ``k`` objects (default: one growth step) up to ``max_capacity``; returns
        the number added (0 at the limit). Allocates (the objects and new metadata);
        all or nothing if ``factory`` raises. Not IRQ-safe.
        """
        from mpalloc._pool_cold import o_grow

        return o_grow(self, k)

    def _exhausted(self):
        # Cold path of acquire: grow one step, or count the failure and raise.
        from mpalloc._pool_cold import o_exhausted

        return o_exhausted(self)

    def _bad_release(self, obj, i):
        from mpalloc._pool_cold import o_bad_release

        o_bad_release(self, obj, i)

    # ---- batch, borrow, queries ------------------------------------------------------

    def acquire_many(self, n):
        """Acquire ``n`` objects as a new list (allocates the list), all or none: when
        fewer than ``n`` are available, even after growing to ``max_capacity``, raises
        ``AllocError`` and nothing is taken (the pool is not grown either). O(n).
        """
        from mpalloc._pool_cold import o_acquire_many

        return o_acquire_many(self, n)

    def release_many(self, objs):
        """Release every object of ``objs``, all or none: if any is foreign, not in use
        or listed twice, raises ``ValueError`` before anything is released. ``reset``
        runs for each; if it raises, the objects before it are released and the rest
        stay in use. O(len(objs)); allocates a small list.
        """
        from mpalloc._pool_cold import o_release_many

        o_release_many(self, objs)

    def borrow(self):
        """Context manager: ``with pool.borrow() as obj:`` acquires (as ``acquire``:
        AllocError when exhausted) and releases on exit, also on exception. Allocates a
        small helper on each slot's first borrow only; then no-alloc, O(1). Interleaved
        borrows (coroutines, threads with ``locked=True``) are fine.
        """
        obj = self.acquire()
        i = self._slot_of(obj)
        b = self._bw[i]
        if b is None:
            b = self._bw[i] = _Borrow(self, obj)
        return b

    def available(self):
        """Objects ready to acquire now (without growing). O(1), no-alloc."""
        return self._m[_ON]

    def in_use(self):
        """Objects acquired and not yet released. O(1), no-alloc."""
        m = self._m
        return m[_OCAP] - m[_ON]

    def owns(self, obj):
        """True if ``obj`` belongs to this pool (in use or not). O(1), no-alloc."""
        return self._slot_of(obj) >= 0

    def stats(self):
        """Counters as a new dict (allocates), in objects: the shared keys
        (docs/observability.md) unit, capacity, in_use, free (available), peak,
        allocs (successful acquires), frees (releases), failures (refused acquires),
        plus max_capacity and grows. Counters wrap at 2**30.
        """
        from mpalloc._pool_cold import o_stats

        return o_stats(self)

    def dump(self, stream=None):
        """Write a memory map to ``stream`` (default ``sys.stdout``), line by line:
        counters, one character per slot ('#' in use, '.' available; at most 128) and
        the free runs. Allocates (the lines); O(capacity). Not IRQ-safe."""
        from mpalloc._pool_cold import o_dump

        o_dump(self, stream)

    def __repr__(self):
        from mpalloc._pool_cold import o_repr

        return o_repr(self)


class BlockPool:
    """``count`` blocks of ``block_size`` bytes in one bytearray; blocks are ints.

    ``BlockPool(block_size, count, *, strategy="lifo", poison=None)``:

    - ``"lifo"``: the block freed last is reused first (cache-warm, O(1)).
    - ``"fifo"``: freed blocks queue up and are reused last (spreads reuse, delays the
      reuse of a freed block so a use-after-free shows up; O(1)).
    - ``"bitmap"``: the lowest free block (keeps the used blocks compact at the
      start; metadata 1 bit per block; alloc O(count/16) worst case, usually O(1)).

    ``poison`` (a byte value 0..255, off by default): ``try_free`` fills the block
    with it and the next allocation of that block checks it is untouched. ``alloc``
    raises ValueError when a freed block was written (the block is re-poisoned and
    stays free); ``try_alloc`` cannot raise: it counts the hit (``stats()``
    ``poison_hits``, ``last_poison_hit``) and hands the block out. Poisoning costs
    O(block_size) per alloc (C find) and free (the copy kernel: viper, or one
    Python step per byte in the pure twin).

    Double frees and bad indices are caught in every strategy: ``try_free`` returns
    False and ``free`` raises ValueError, state unchanged. Metadata: 40 bytes plus 4
    bytes per block (lifo/fifo) or 4 bytes per 16 blocks (bitmap).
    """

    KERNEL = _k.NAME
    _kern = _k  # the kernel module whose b_bind binds the IRQ methods below

    # Bound per instance by _kern.b_bind (closures over the metadata, no self):
    # try_alloc() -> index or -1.  IRQ-safe, no-alloc, O(1) (bitmap: see above); a
    #     refusal is counted in stats()["failures"].
    # try_free(i) -> bool.  IRQ-safe, no-alloc, O(1). False (state unchanged) for a
    #     double free or an index out of range.
    # used(i) -> bool.  IRQ-safe, no-alloc, O(1): i is allocated.
    # i: an int (else TypeError); any int outside 0..count-1, a big int included, is
    #     refused (False), without arithmetic on it (docs/contract.md).

    def __init__(self, block_size, count, *, strategy="lifo", poison=None):
        if not (type(block_size) is int and type(count) is int and 0 < count <= MAX_BLOCKS
                and 0 < block_size and block_size * count <= 0x3FFFFFFF
                and strategy in STRATEGIES
                and (poison is None or (type(poison) is int and 0 <= poison <= 255))):
            from mpalloc._pool_cold import b_args

            b_args(block_size, count, strategy, poison, STRATEGIES)
        s = STRATEGIES.index(strategy)
        self.block_size = block_size
        self.count = count
        self.capacity = count  # blocks the pool holds (block_size bytes each)
        self.strategy = strategy
        if s == 2:
            nw = (count + 15) >> 4
            m = _words(_BH + nw)
            for k in range(nw):
                m[_BH + k] = 0xFFFF
            if count & 15:
                m[_BH + nw - 1] = (1 << (count & 15)) - 1
            m[_BHEAD] = 0
        else:
            m = _words(_BH + count)
            for i in range(count - 1):
                m[_BH + i] = _FREE | (i + 1)
            m[_BH + count - 1] = _FREE | _NIL
            m[_BHEAD] = 0
            m[_BTAIL] = count - 1
        m[_BSTRAT] = s
        m[_BCOUNT] = count
        m[_BNFREE] = count
        m[_BBS] = block_size
        self._m = m
        self._data = bytearray(block_size * count)
        self._wok = self._rok = self._data  # last buffers write/readinto checked
        self._mv = memoryview(self._data)
        self._kern.b_bind(self)
        self.poison = poison
        if poison is not None:
            self._pat = bytes((poison,)) * block_size
            self._hits = 0
            self._last_hit = -1
            for i in range(count):
                # A store into a view of exactly one block is a plain memcpy (a store
                # into a slice of the whole buffer memmoves the rest of it as well).
                self._mv[i * block_size:(i + 1) * block_size][:] = self._pat
            self.try_alloc = self._p_try_alloc
            self.try_free = self._p_try_free

    # ---- poisoning (instance attributes shadow try_alloc / try_free) ----------------

    def _p_try_alloc(self):
        i = self._try_alloc()
        if i >= 0:
            bs = self.block_size
            off = i * bs
            if self._data.find(self._pat, off, off + bs) != off:
                self._hits = (self._hits + 1) & 0x3FFFFFFF
                self._last_hit = i
        return i

    def _p_try_free(self, i):
        if self._try_free(i):
            bs = self.block_size
            _copy(self._data, i * bs, self._pat, 0, bs)  # this block only, O(block_size)
            return True
        return False

    # ---- raising API -------------------------------------------------------------------

    def alloc(self):
        """Allocate a block; return its index. Raises ``AllocError`` when all blocks
        are in use (state unchanged apart from the failures counter), ``ValueError``
        when poisoning finds the block was written after free. Allocates only the
        exception. Not IRQ-safe (use try_alloc). O(1) (bitmap: see the class).
        """
        if self.poison is None:
            i = self.try_alloc()
        else:
            hits = self._hits
            i = self.try_alloc()
            if i >= 0 and self._hits != hits:
                from mpalloc._pool_cold import b_poison_error

                b_poison_error(self)
        if i >= 0:
            return i
        from mpalloc._pool_cold import b_full

        b_full(self)

    def free(self, i):
        """Free block ``i``. Raises ``ValueError`` on a double free or an index out of
        range (state unchanged), ``TypeError`` for a non-int. Allocates only the
        exception. Not IRQ-safe (use try_free). O(1) (poison: O(block_size)).
        """
        if type(i) is not int:
            self._bad(0, i)
        if self.try_free(i):
            return
        self._bad("free", i)

    def _bad(self, a, b):
        # Cold: ValueError for block b of method a ("free"/"view"), or TypeError for
        # the bad argument b of method a (0 free, 1 view, 2 write, 3 readinto).
        if type(a) is str:
            from mpalloc._pool_cold import b_check

            b_check(self, b, a)
        from mpalloc._pool_cold import b_type

        b_type(a, b)

    def view(self, i):
        """A memoryview of block ``i``'s ``block_size`` bytes. Allocates the view.
        Raises ``ValueError`` when ``i`` is out of range or not allocated. O(1). The
        view stays valid memory after free: do not use it then.
        """
        if type(i) is not int:
            self._bad(1, i)
        if not self.used(i):
            self._bad("view", i)
        bs = self.block_size
        return self._mv[i * bs:i * bs + bs]

    def size(self, i):
        """``block_size`` when block ``i`` is allocated, else -1 (as ``Slab.size``).
        O(1), no-alloc, IRQ-safe for an int."""
        return self.block_size if self.used(i) else -1

    def write(self, i, buf):
        """Copy ``buf`` into block ``i`` from its start: ``min(len(buf), block_size)``
        bytes; returns that count, -1 when ``i`` is not allocated. ``buf``: bytes,
        bytearray, memoryview or array of one-byte items (else TypeError; checked once
        per buffer object, the last one stays referenced). No-alloc, O(len); safe in
        an IRQ for a valid buffer type.
        """
        if buf is not self._wok:  # a new buffer object: type and item width, once
            if type(buf) not in _WRITE_TYPES or _wide(buf):
                self._bad(2, buf)
            self._wok = buf
        if not self.used(i):
            return -1
        bs = self.block_size
        i *= bs  # the block's offset (a local reused: docs/design.md#heap-frames)
        lb = _len(buf)
        if lb < bs:
            bs = lb
        # The copy kernel touches only this block: a slice store would memmove every
        # later block onto itself (O(pool), and it undoes a concurrent write there).
        _copy(self._data, i, buf, 0, bs)
        return bs

    def readinto(self, i, buf):
        """Copy block ``i`` into ``buf``: ``min(len(buf), block_size)`` bytes; returns
        that count, -1 when ``i`` is not allocated. ``buf``: bytearray, writable
        memoryview or array of one-byte items (else TypeError; checked once per buffer
        object). No-alloc, O(len); safe in an IRQ for a valid buffer type.
        """
        lb = _len(buf)
        if buf is not self._rok:  # a new buffer object: type, width, writability, once
            if type(buf) not in _READ_TYPES or _wide(buf, True):
                self._bad(3, buf)
            if type(buf) is memoryview and lb:
                buf[0] = buf[0]  # TypeError for a read-only view, before anything is copied
            self._rok = buf
        if not self.used(i):
            return -1
        bs = self.block_size
        i *= bs  # the block's offset (a local reused: docs/design.md#heap-frames)
        if lb < bs:
            bs = lb
        _copy(buf, 0, self._data, i, bs)
        return bs

    def available(self):
        """Free blocks. O(1), no-alloc, IRQ-safe."""
        return self._m[_BNFREE]

    def in_use(self):
        """Allocated blocks. O(1), no-alloc, IRQ-safe."""
        return self.count - self._m[_BNFREE]

    def stats(self):
        """Counters as a new dict (allocates), in blocks: the shared keys
        (docs/observability.md) unit, capacity (count), in_use, free, peak, allocs,
        frees, failures (refused try_alloc/alloc), plus block_size and, with
        poisoning, poison_hits and last_poison_hit (-1: none). Counters wrap at 2**30.
        """
        from mpalloc._pool_cold import b_stats

        return b_stats(self)

    def dump(self, stream=None):
        """Write a memory map to ``stream`` (default ``sys.stdout``), line by line:
        counters, one character per block ('#' in use, '.' free; at most 128) and the
        free runs with fragmentation. Allocates (the lines); O(count). Not IRQ-safe."""
        from mpalloc._pool_cold import b_dump

        b_dump(self, stream)

    def __repr__(self):
        from mpalloc._pool_cold import b_repr

        return b_repr(self)


def _with_kernel(kmod):
    """ObjectPool and BlockPool subclasses bound to kernel module ``kmod``
    (``_pool_viper`` or ``_pool_py``), as a pair; for benchmarks and twin tests."""
    from mpalloc._pool_cold import with_kernel

    return with_kernel(kmod, ObjectPool, BlockPool)
