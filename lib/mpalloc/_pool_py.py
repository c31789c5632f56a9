"""Pure-Python kernel of ``mpalloc.pool`` (twin of ``_pool_viper``: same functions,
same results; ``o_bind``/``b_bind`` bind closures on the instance as there). Used where
the native emitter is missing (CPython, most CircuitPython boards, firmware built
without it). Layout: see ``pool.py``. No allocation; every value stays below 2**30.
Functions stay small (docs/design.md#heap-frames).
"""

NAME = "py"

# Header words (the layout is documented in pool.py; "# layout pool" tags: drift test).
_ON = 0  # layout pool
_OCAP = 1  # layout pool
_OACQ = 2  # layout pool
_OFAIL = 3  # layout pool
_OPEAK = 4  # layout pool
_OMODE = 5  # layout pool
_ORESET = 7  # layout pool
_OH = 8  # layout pool
_BSTRAT = 0  # layout pool
_BCOUNT = 1  # layout pool
_BNFREE = 2  # layout pool
_BHEAD = 3  # layout pool
_BTAIL = 4  # layout pool
_BALLOC = 5  # layout pool
_BFREE = 6  # layout pool
_BFAIL = 7  # layout pool
_BPEAK = 8  # layout pool
_BH = 10  # layout pool
_NIL = 0x1FFFFFFF  # layout pool
_FREE = 0x20000000  # layout pool
_M30 = 0x3FFFFFFF


def o_bind(op):
    """Bind ``acquire``, ``try_acquire`` and ``release`` on ObjectPool ``op``: closures
    over ``op._m`` and ``op._objs``, called without ``self``, as the viper twin's.
    Returns ``retarget()``, which growth calls after replacing them."""
    m = op._m
    objs = op._objs

    def retarget():
        nonlocal m, objs
        m = op._m
        objs = op._objs

    def acquire():
        n = m[_ON] - 1
        if n < 0:
            return op._exhausted()  # grows one step or raises
        # BEGIN SHARED pool-take-py
        m[_ON] = n
        i = m[_OH + n]
        cap = m[_OCAP]
        m[_OH + cap + i] = 1
        m[_OACQ] = m[_OACQ] + 1 if m[_OACQ] != _M30 else 0
        if cap - n > m[_OPEAK]:
            m[_OPEAK] = cap - n
        # END SHARED pool-take-py
        return objs[i]

    def try_acquire():
        n = m[_ON] - 1
        if n < 0:
            m[_OFAIL] = m[_OFAIL] + 1 if m[_OFAIL] != _M30 else 0
            return None
        # BEGIN SHARED pool-take-py
        m[_ON] = n
        i = m[_OH + n]
        cap = m[_OCAP]
        m[_OH + cap + i] = 1
        m[_OACQ] = m[_OACQ] + 1 if m[_OACQ] != _M30 else 0
        if cap - n > m[_OPEAK]:
            m[_OPEAK] = cap - n
        # END SHARED pool-take-py
        return objs[i]

    def release(obj):
        i = op._slot_of(obj)
        if i < 0 or m[_OH + m[_OCAP] + i] != 1:
            return op._bad_release(obj, i)
        if m[_ORESET]:
            op._reset(obj)  # may grow the pool: retarget() replaces m
        m[_OH + m[_OCAP] + i] = 0
        n = m[_ON]
        m[_OH + n] = i
        m[_ON] = n + 1

    op.acquire = acquire
    op.try_acquire = try_acquire
    op.release = release
    return retarget


def o_addr(self, obj):
    # Mode 3 key: bits 2..31 of obj's address, read through the one-item array('O')
    # probe and its uctypes byte view (little-endian); -1 without the view.
    v = self._kv
    if v is None:
        return -1
    p = self._probe
    p[0] = obj
    obj = v[0] >> 2 | v[1] << 6 | v[2] << 14 | v[3] << 22
    p[0] = None
    return obj


def b_bind(bp):
    """Bind ``try_alloc``, ``try_free`` and ``used`` on BlockPool ``bp`` (and the
    ``_try_alloc``/``_try_free`` the poisoning wrappers call): closures over ``bp._m``,
    called without ``self``, as the viper twin's."""
    m = bp._m
    lo = 0
    hi = m[_BCOUNT] - 1

    def try_alloc():
        nf = m[_BNFREE]
        if nf == 0:
            m[_BFAIL] = m[_BFAIL] + 1 if m[_BFAIL] != _M30 else 0
            return -1
        if m[_BSTRAT] == 2:
            i = _b_bit(m)
        else:
            i = m[_BHEAD]
            nxt = m[_BH + i] & _NIL
            m[_BHEAD] = nxt
            if nxt == _NIL:
                m[_BTAIL] = _NIL
            m[_BH + i] = 0
        nf -= 1
        m[_BNFREE] = nf
        m[_BALLOC] = m[_BALLOC] + 1 if m[_BALLOC] != _M30 else 0
        if m[_BCOUNT] - nf > m[_BPEAK]:
            m[_BPEAK] = m[_BCOUNT] - nf
        return i

    def try_free(i):
        if i > hi or i < lo:
            return False
        s = m[_BSTRAT]
        if s == 2:
            k = i >> 4
            w = m[_BH + k]
            if w & (1 << (i & 15)):
                return False
            m[_BH + k] = w | (1 << (i & 15))
            if k < m[_BHEAD]:
                m[_BHEAD] = k
        else:
            if m[_BH + i] != 0:
                return False
            _b_put(m, s, i)
        m[_BNFREE] += 1
        m[_BFREE] = m[_BFREE] + 1 if m[_BFREE] != _M30 else 0
        return True

    def used(i):
        if i > hi or i < lo:
            return False
        if m[_BSTRAT] == 2:
            return not m[_BH + (i >> 4)] & (1 << (i & 15))
        return m[_BH + i] == 0

    bp.try_alloc = bp._try_alloc = try_alloc
    bp.try_free = bp._try_free = try_free
    bp.used = used


def _b_bit(m):
    # Bitmap strategy: take the lowest free block (caller checked one is free).
    k = m[_BHEAD]
    w = m[_BH + k]
    while w == 0:
        k += 1
        w = m[_BH + k]
    m[_BHEAD] = k
    b = 0
    while not w & (1 << b):
        b += 1
    m[_BH + k] = w ^ (1 << b)
    return (k << 4) + b


def _b_put(m, s, i):
    # Link free block i back (lifo: on top; fifo: at the tail); i was in use.
    if s == 0:
        m[_BH + i] = _FREE | m[_BHEAD]
        m[_BHEAD] = i
        return
    m[_BH + i] = _FREE | _NIL
    t = m[_BTAIL]
    if t == _NIL:
        m[_BHEAD] = i
    else:
        m[_BH + t] = _FREE | i
    m[_BTAIL] = i
