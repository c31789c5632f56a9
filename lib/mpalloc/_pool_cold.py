"""Cold code of ``mpalloc.pool``: error messages, growth, batches, stats, repr.

Imported on first use by the methods of ``ObjectPool``/``BlockPool`` that need it (none
of them is documented no-alloc or IRQ-safe), so a board that constructs pools, acquires
and releases keeps this code out of RAM. Same header layout as ``pool.py`` (see its docstring).
"""

from mpalloc._util import const
from mpalloc.errors import AllocError

_ON = const(0)  # layout pool
_OCAP = const(1)  # layout pool
_OACQ = const(2)  # layout pool
_OFAIL = const(3)  # layout pool
_OPEAK = const(4)  # layout pool
_OMODE = const(5)  # layout pool
_OGROW = const(6)  # layout pool
_ORESET = const(7)  # layout pool
_OH = const(8)  # layout pool

_BSTRAT = const(0)  # layout pool
_BCOUNT = const(1)  # layout pool
_BNFREE = const(2)  # layout pool
_BHEAD = const(3)  # layout pool
_BTAIL = const(4)  # layout pool
_BALLOC = const(5)  # layout pool
_BFREE = const(6)  # layout pool
_BFAIL = const(7)  # layout pool
_BPEAK = const(8)  # layout pool
_BBS = const(9)  # layout pool
_BH = const(10)  # layout pool
_NIL = const(0x1FFFFFFF)  # layout pool
_FREE = const(0x20000000)  # layout pool
_M30 = const(0x3FFFFFFF)
MAX_BLOCKS = const(0x1FFFFFFE)  # layout pool

_id = id


# ---- ObjectPool ---------------------------------------------------------------------

def o_check(factory, capacity, reset, max_capacity, growth):
    # Raise the TypeError/ValueError for bad ObjectPool arguments (first bad one).
    if not callable(factory):
        raise TypeError("ObjectPool(factory, capacity): factory must be callable, "
                        "got %s" % type(factory).__name__)
    if type(capacity) is not int or capacity < 1 or capacity > MAX_BLOCKS:
        raise ValueError("ObjectPool capacity %r out of range: use an int, 1 <= "
                         "capacity <= %d" % (capacity, MAX_BLOCKS))
    if max_capacity is None:
        max_capacity = capacity
    if type(max_capacity) is not int or not capacity <= max_capacity <= MAX_BLOCKS:
        raise ValueError("ObjectPool max_capacity %r: use an int with capacity (%d) "
                         "<= max_capacity <= %d" % (max_capacity, capacity, MAX_BLOCKS))
    if not ((type(growth) is int and growth >= 1)
            or (type(growth) is float and growth > 1.0)):
        raise ValueError("ObjectPool growth %r: use an int step >= 1 or a float "
                         "factor > 1.0" % (growth,))
    if reset is not None and not callable(reset):
        raise TypeError("ObjectPool reset must be callable or None, got %s"
                        % type(reset).__name__)


def by_identity(self, objs, index, id_):
    # (mode, {key: slot}) for pooled objects that need an identity key (see "Keys" in
    # pool.py): 1 id() where every id is a small int, 3 the address bits the kernel's
    # o_addr reads where ids are big ints, 4 (no map: an identity scan) where those
    # cannot be read or collide. ValueError when one object is listed twice.
    # index, id_: pool._index and pool._id (tests stand in a big-int id there).
    d = index(objs, id_)  # big ints allocate: fine at construction
    if type(d) is int:
        raise ValueError("ObjectPool: factory %r returned the same object twice; "
                         "it must return a new object on every call" % (self._factory,))
    small = _small_int_max()
    for k in d:
        if k > small or k < -small - 1:
            break
    else:
        return 1, d
    if self._probe is None:
        _make_probe(self)
    if self._probe is not None and (self._kv is not None or self.KERNEL == "viper"):
        d = index(objs, self._addr)
        if type(d) is not int:
            return 3, d
    return 4, {}


def _small_int_max():
    # The largest small int (an int that needs no heap object) on this runtime: half
    # of sys.maxsize on MicroPython (2**30 - 1 on a 32-bit board).
    import sys

    return sys.maxsize >> 1


def _make_probe(self):
    # A one-item array('O') that o_addr stores an object in to read its address, and
    # (where uctypes exists) a 4-byte view of that item for the pure twin.
    from array import array

    try:
        p = array("O", [None])
    except ValueError:  # no 'O' typecode (CPython, firmware without it): scan
        return
    self._probe = p
    try:
        import uctypes

        self._kv = uctypes.bytearray_at(uctypes.addressof(p), 4)
    except (ImportError, AttributeError, TypeError):
        pass


def locked(p, lk):
    # locked=True: the kernel's closures wrapped in the lock lk, bound on the instance
    # in their place. Two cells each (lk, the kernel closure): with the try/finally
    # handler the frame stays off the heap (docs/design.md#heap-frames).
    acq = p.acquire
    tacq = p.try_acquire
    rel = p.release

    def acquire():
        lk.acquire()
        try:
            return acq()
        finally:
            lk.release()

    def try_acquire():
        lk.acquire()
        try:
            return tacq()
        finally:
            lk.release()

    def release(obj):
        lk.acquire()
        try:
            return rel(obj)
        finally:
            lk.release()

    p.acquire = acquire
    p.try_acquire = try_acquire
    p.release = release


def _grow_by(self):
    cap = self._m[_OCAP]
    g = self.growth
    k = g if type(g) is int else int(cap * g) - cap
    if k < 1:
        k = 1
    return min(k, self.max_capacity - cap)


def o_grow(self, k):
    lk = self._lk
    if lk:
        lk.acquire()
    try:
        room = self.max_capacity - self._m[_OCAP]
        if k is None:
            k = _grow_by(self)
        elif type(k) is not int or k < 0:
            raise ValueError("ObjectPool.grow(%r): k must be an int >= 0" % (k,))
        if k > room:
            raise AllocError("ObjectPool.grow(%d): capacity %d + %d exceeds "
                             "max_capacity %d; grow by at most %d"
                             % (k, self._m[_OCAP], k, self.max_capacity, room))
        if k:
            self._add(k)
            self._m[_OGROW] += 1
        return k
    finally:
        if lk:
            lk.release()


def o_exhausted(self):
    # Cold path of acquire: grow one step, or count the failure and raise.
    k = _grow_by(self)
    if k:
        self._add(k)
        m = self._m
        m[_OGROW] += 1
        return self._objs[_take(self._m)]
    m = self._m
    m[_OFAIL] = (m[_OFAIL] + 1) & _M30
    cap = m[_OCAP]
    raise AllocError("ObjectPool.acquire: all %d objects are in use (capacity %d, "
                     "max_capacity %d); release objects, or pass a larger "
                     "capacity/max_capacity" % (cap, cap, self.max_capacity))


def _take(m):
    # Pop a free slot of metadata m and mark it in use (m has one: the caller checked or
    # grew); as the kernels' acquire.
    n = m[_ON] - 1
    # BEGIN SHARED pool-take-py
    m[_ON] = n
    i = m[_OH + n]
    cap = m[_OCAP]
    m[_OH + cap + i] = 1
    m[_OACQ] = m[_OACQ] + 1 if m[_OACQ] != _M30 else 0
    if cap - n > m[_OPEAK]:
        m[_OPEAK] = cap - n
    # END SHARED pool-take-py
    return i


def _give(m, i):
    # Return slot i (in use) to the free stack; no reset: release_many's second pass.
    m[_OH + m[_OCAP] + i] = 0
    n = m[_ON]
    m[_OH + n] = i
    m[_ON] = n + 1


def o_bad_release(self, obj, i):
    m = self._m
    cap = m[_OCAP]
    inuse = cap - m[_ON]
    if i < 0:
        raise ValueError("ObjectPool.release: %s object %s is not from this pool "
                         "(capacity %d, %d in use); release objects only to the pool "
                         "that handed them out"
                         % (type(obj).__name__, hex(_id(obj)), cap, inuse))
    raise ValueError("ObjectPool.release: %s object in slot %d is not in use: "
                     "released twice (capacity %d, %d in use); drop references "
                     "after release" % (type(obj).__name__, i, cap, inuse))


def o_acquire_many(self, n):
    if type(n) is not int or n < 0:
        raise ValueError("ObjectPool.acquire_many(%r): n must be an int >= 0" % (n,))
    lk = self._lk
    if lk:
        lk.acquire()
    try:
        m = self._m
        avail = m[_ON]
        cap = m[_OCAP]
        if n > avail + self.max_capacity - cap:
            m[_OFAIL] = (m[_OFAIL] + 1) & _M30
            raise AllocError("ObjectPool.acquire_many(%d): only %d of %d objects are "
                             "available (%d in use, max_capacity %d); nothing was "
                             "taken" % (n, avail, cap, cap - avail, self.max_capacity))
        while n > self._m[_ON]:
            k = _grow_by(self)
            if k < n - self._m[_ON]:
                k = min(n - self._m[_ON], self.max_capacity - self._m[_OCAP])
            self._add(k)
            self._m[_OGROW] += 1
        objs = self._objs
        m = self._m
        return [objs[_take(m)] for _ in range(n)]
    finally:
        if lk:
            lk.release()


def o_release_many(self, objs):
    lk = self._lk
    if lk:
        lk.acquire()
    try:
        m = self._m
        base = _OH + m[_OCAP]
        slots = []
        err = None
        for o in objs:
            i = self._slot_of(o)
            if i < 0 or m[base + i] != 1:
                err = (o, i)
                break
            m[base + i] = 2  # seen in this batch: a second listing fails the check
            slots.append(i)
        for i in slots:
            m[base + i] = 1
        if err:
            o_bad_release(self, err[0], err[1])
        r = self._reset
        for i in slots:
            if r:
                r(self._objs[i])
            _give(self._m, i)
    finally:
        if lk:
            lk.release()


def o_stats(self):
    m = self._m
    cap = m[_OCAP]
    inuse = cap - m[_ON]
    return {
        "unit": "objects",
        "capacity": cap,
        "in_use": inuse,
        "free": m[_ON],
        "peak": m[_OPEAK],
        "allocs": m[_OACQ],
        "frees": (m[_OACQ] - inuse) & _M30,
        "failures": m[_OFAIL],
        "max_capacity": self.max_capacity,
        "grows": m[_OGROW],
    }


def o_dump(self, stream):
    from mpalloc import observe

    out = observe._out(stream)
    m = self._m
    cap = m[_OCAP]
    inuse = cap - m[_ON]
    kind = type(self._objs[0]).__name__ if cap else "-"
    out.write("ObjectPool: %d of %d %s objects in use (max %d), peak %d, allocs %d, "
              "frees %d, failures %d, grows %d\n" % (
                  inuse, cap, kind, self.max_capacity, m[_OPEAK], m[_OACQ],
                  (m[_OACQ] - inuse) & _M30, m[_OFAIL], m[_OGROW]))
    base = _OH + cap

    def cell(i):
        return "#" if m[base + i] else "."

    observe._cells(out, cap, cell, "object")
    observe._runs(out, cap, lambda i: not m[base + i], "objects")


def o_repr(self):
    m = self._m
    return "<ObjectPool %d/%d in use, max %d, kernel %s>" % (
        m[_OCAP] - m[_ON], m[_OCAP], self.max_capacity, self.KERNEL)


# ---- BlockPool ----------------------------------------------------------------------

def b_args(block_size, count, strategy, poison, strategies):
    # Raise the TypeError/ValueError for bad BlockPool arguments (first bad one).
    if type(block_size) is not int or type(count) is not int:
        raise TypeError("BlockPool(block_size, count): ints required, got %s and %s"
                        % (type(block_size).__name__, type(count).__name__))
    if count < 1 or count > MAX_BLOCKS:
        raise ValueError("BlockPool count %d out of range: use 1 <= count <= %d"
                         % (count, MAX_BLOCKS))
    if block_size < 1 or block_size * count > _M30:
        raise ValueError("BlockPool block_size %d x count %d: use block_size >= 1 and "
                         "block_size * count <= %d" % (block_size, count, _M30))
    if strategy not in strategies:
        raise ValueError("BlockPool strategy %r: use one of %s" % (strategy, strategies))
    if poison is not None and (type(poison) is not int or not 0 <= poison <= 255):
        raise ValueError("BlockPool poison %r: use a byte value 0..255 or None"
                         % (poison,))


def b_poison_error(self):
    # alloc() under poisoning: the next block was written after free. Undo the
    # allocation (re-poison, free, counters back) and raise.
    i = self._last_hit
    bs = self.block_size
    off = i * bs
    j = 0
    while self._data[off + j] == self.poison:
        j += 1
    got = self._data[off + j]
    m = self._m
    peak = m[_BPEAK]
    self._p_try_free(i)
    m[_BPEAK] = peak
    m[_BALLOC] = (m[_BALLOC] - 1) & _M30
    m[_BFREE] = (m[_BFREE] - 1) & _M30
    raise ValueError("BlockPool.alloc: block %d was written after it was freed (byte "
                     "%d is 0x%02x, poison 0x%02x): a use after free; the block was "
                     "re-poisoned and stays free" % (i, j, got, self.poison))


def b_full(self):
    n = self.count
    raise AllocError("BlockPool.alloc: all %d blocks of %d bytes are in use (capacity "
                     "%d, in use %d); free blocks or use a larger pool"
                     % (n, self.block_size, n, n))


def b_check(self, i, what):
    n = self.count
    if i < 0 or i >= n:
        raise ValueError("BlockPool.%s(%d): index out of range: the pool has %d blocks "
                         "(0..%d)" % (what, i, n, n - 1))
    raise ValueError("BlockPool.%s(%d): block %d is not allocated (%d of %d in use): "
                     "a double free or a use after free" % (
                         what, i, i, n - self._m[_BNFREE], n))


def b_type(k, x):
    # TypeError for a bad argument: k = 0 free, 1 view, 2 write, 3 readinto.
    raise TypeError("BlockPool.%s must be %s, got %s" % (
        ("free(i): i", "view(i): i", "write: buf", "readinto: buf")[k],
        ("an int block index", "an int", "bytes, bytearray, memoryview or array",
         "a bytearray, writable memoryview or array")[k], type(x).__name__))


def b_stats(self):
    m = self._m
    n = self.count
    d = {
        "unit": "blocks",
        "capacity": n,
        "in_use": n - m[_BNFREE],
        "free": m[_BNFREE],
        "peak": m[_BPEAK],
        "allocs": m[_BALLOC],
        "frees": m[_BFREE],
        "failures": m[_BFAIL],
        "block_size": self.block_size,
    }
    if self.poison is not None:
        d["poison_hits"] = self._hits
        d["last_poison_hit"] = self._last_hit
    return d


def b_dump(self, stream):
    from mpalloc import observe

    out = observe._out(stream)
    m = self._m
    n = self.count
    out.write("BlockPool: %d of %d blocks of %d bytes in use (%s), peak %d, allocs %d, "
              "frees %d, failures %d%s\n" % (
                  n - m[_BNFREE], n, self.block_size, self.strategy, m[_BPEAK],
                  m[_BALLOC], m[_BFREE], m[_BFAIL],
                  ", poison hits %d (last block %d)" % (self._hits, self._last_hit)
                  if self.poison is not None else ""))
    used = self.used

    def cell(i):
        return "#" if used(i) else "."

    observe._cells(out, n, cell, "block")
    observe._runs(out, n, lambda i: not used(i), "blocks")


def b_repr(self):
    return "<BlockPool %d x %d bytes, %s, %d in use, kernel %s>" % (
        self.count, self.block_size, self.strategy, self.in_use(), self.KERNEL)


def with_kernel(kmod, ObjectPool, BlockPool):
    class _KObjectPool(ObjectPool):
        KERNEL = kmod.NAME
        _kern = kmod
        _addr = kmod.o_addr

    class _KBlockPool(BlockPool):
        KERNEL = kmod.NAME
        _kern = kmod

    return _KObjectPool, _KBlockPool
