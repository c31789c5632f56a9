"""Viper kernel of ``mpalloc.pool`` (twin of ``_pool_py``: same functions, same results).

``o_*`` functions take an ``ObjectPool`` as ``self`` and ``b_*`` functions a
``BlockPool``; they are bound as class attributes (one call layer). Both keep their
state in ``self._m``, an ``array('I')`` whose layout is described in ``pool.py``. No
function allocates (the ObjectPool ones call back into Python only on their cold
paths: growth, errors, the user's reset hook); every value stays below 2**30.
"""

import micropython
from micropython import const

NAME = "viper"

_M30 = const(0x3FFFFFFF)

# ObjectPool header (keep in step with _pool_py and pool.py).
_ON = const(0)  # free objects (top of the free stack)
_OCAP = const(1)  # capacity: the stack is m[_OH:_OH+cap], flags m[_OH+cap:_OH+2*cap]
_OACQ = const(2)  # successful acquisitions (wraps at 2**30)
_OFAIL = const(3)  # refused acquisitions
_OPEAK = const(4)  # peak objects in use
_OMODE = const(5)  # 0 object, 1 id(), 2 object + identity, 3 address bits, 4 scan
_ORESET = const(7)  # 1: a reset hook is set
_OH = const(8)

# BlockPool header.
_BSTRAT = const(0)  # 0 lifo, 1 fifo, 2 bitmap
_BCOUNT = const(1)
_BNFREE = const(2)
_BHEAD = const(3)  # lifo: top; fifo: head; bitmap: lowest word that may hold a free bit
_BTAIL = const(4)  # fifo tail
_BALLOC = const(5)
_BFREE = const(6)
_BFAIL = const(7)
_BPEAK = const(8)
_BH = const(10)
_NIL = const(0x1FFFFFFF)
_FREE = const(0x20000000)


@micropython.viper
def o_take(self) -> int:
    # Pop a free slot and mark it in use; -1 when none is free (not counted).
    m = ptr32(self._m)
    n = int(m[_ON]) - 1
    if n < 0:
        return -1
    m[_ON] = n
    i = int(m[_OH + n])
    cap = int(m[_OCAP])
    m[_OH + cap + i] = 1
    m[_OACQ] = (int(m[_OACQ]) + 1) & _M30
    if cap - n > int(m[_OPEAK]):
        m[_OPEAK] = cap - n
    return i


@micropython.viper
def o_acquire(self):
    m = ptr32(self._m)
    n = int(m[_ON]) - 1
    if n < 0:
        return self._exhausted()
    m[_ON] = n
    i = int(m[_OH + n])
    cap = int(m[_OCAP])
    m[_OH + cap + i] = 1
    m[_OACQ] = (int(m[_OACQ]) + 1) & _M30
    if cap - n > int(m[_OPEAK]):
        m[_OPEAK] = cap - n
    return self._objs[i]


@micropython.viper
def o_try_acquire(self):
    m = ptr32(self._m)
    n = int(m[_ON]) - 1
    if n < 0:
        m[_OFAIL] = (int(m[_OFAIL]) + 1) & _M30
        return None
    m[_ON] = n
    i = int(m[_OH + n])
    cap = int(m[_OCAP])
    m[_OH + cap + i] = 1
    m[_OACQ] = (int(m[_OACQ]) + 1) & _M30
    if cap - n > int(m[_OPEAK]):
        m[_OPEAK] = cap - n
    return self._objs[i]


@micropython.viper
def o_addr(self, obj) -> int:
    # Mode 3 key: bits 2..31 of obj's address, read back from the array('O') probe.
    p = self._probe
    p[0] = obj
    k = (int(ptr32(p)[0]) >> 2) & _M30
    p[0] = None
    return k


@micropython.viper
def _o_far(self, obj, mode: int) -> int:
    # Modes 3 and 4 (id() would allocate here): the address key plus an identity
    # check, or an identity scan.
    objs = self._objs
    if mode == 3:
        p = self._probe
        p[0] = obj
        i = int(self._slot.get((int(ptr32(p)[0]) >> 2) & _M30, -1))
        p[0] = None
        if i >= 0 and objs[i] is obj:
            return i
        return -1
    n = int(len(objs))
    i = 0
    while i < n:
        if objs[i] is obj:
            return i
        i += 1
    return -1


@micropython.viper
def o_slot(self, obj) -> int:
    # The slot holding ``obj``, or -1 for a foreign (or unhashable foreign) object.
    mode = int(ptr32(self._m)[_OMODE])
    if mode >= 3:
        return int(_o_far(self, obj, mode))
    i = -1
    try:  # get: a foreign object raises no KeyError (owns() allocates nothing)
        if mode == 1:
            i = int(self._slot.get(id(obj), -1))
        else:
            i = int(self._slot.get(obj, -1))
            if mode == 2 and i >= 0 and self._objs[i] is not obj:
                i = -1
    except Exception:  # TypeError: an unhashable foreign object (as _pool_py)
        i = -1
    return i


@micropython.viper
def o_release(self, obj):
    m = ptr32(self._m)
    mode = int(m[_OMODE])
    i = -1
    if mode >= 3:
        i = int(_o_far(self, obj, mode))
    else:
        try:  # o_slot inlined: a subscript is cheaper than dict.get (no method lookup)
            if mode == 1:
                i = int(self._slot[id(obj)])
            else:
                i = int(self._slot[obj])
                if mode == 2 and self._objs[i] is not obj:
                    i = -1
        except Exception:  # as in o_slot
            i = -1
    cap = int(m[_OCAP])
    if i < 0 or int(m[_OH + cap + i]) != 1:
        return self._bad_release(obj, i)
    if m[_ORESET]:
        self._reset(obj)
        m = ptr32(self._m)  # the hook may have grown the pool (new array)
        cap = int(m[_OCAP])
    m[_OH + cap + i] = 0
    n = int(m[_ON])
    m[_OH + n] = i
    m[_ON] = n + 1
    return None


@micropython.viper
def o_give(self, i: int) -> bool:
    # Return slot i (no checks beyond range/in-use, no reset): batch release and undo.
    m = ptr32(self._m)
    cap = int(m[_OCAP])
    if i < 0 or i >= cap or int(m[_OH + cap + i]) == 0:
        return False
    m[_OH + cap + i] = 0
    n = int(m[_ON])
    m[_OH + n] = i
    m[_ON] = n + 1
    return True


@micropython.viper
def _addr(buf) -> uint:
    # The address of buf's bytes (a big int where RAM is at or above 0x80000000: made
    # once per bind; ptr32() of it in the closures allocates nothing).
    return uint(ptr32(buf))


def b_bind(bp):
    """Bind ``try_alloc``, ``try_free`` and ``used`` on BlockPool ``bp`` (and the
    ``_try_alloc``/``_try_free`` the poisoning wrappers call): viper closures over the
    address of ``bp._m``, called without ``self`` (docs/design.md#pool-closures)."""
    m = bp._m
    a = _addr(m)
    lo = 0
    hi = int(m[_BCOUNT]) - 1  # an object: viper compares the caller's int with it
    # before converting (a big int would truncate into range: docs/contract.md)

    @micropython.viper
    def try_alloc() -> int:
        p = ptr32(a)
        nf = int(p[_BNFREE])
        if nf == 0:
            # Through the array object: this reference also keeps m alive as long as
            # the closure (which otherwise holds only its address).
            m[_BFAIL] = (int(m[_BFAIL]) + 1) & _M30
            return -1
        s = int(p[_BSTRAT])
        i = 0
        if s == 2:
            k = int(p[_BHEAD])
            w = int(p[_BH + k])
            while w == 0:  # nf > 0: a free bit exists at or after the hint
                k += 1
                w = int(p[_BH + k])
            p[_BHEAD] = k
            b = 0
            while (w & (1 << b)) == 0:
                b += 1
            p[_BH + k] = w ^ (1 << b)
            i = (k << 4) + b
        else:
            i = int(p[_BHEAD])
            nxt = int(p[_BH + i]) & _NIL
            p[_BHEAD] = nxt
            if nxt == _NIL:
                p[_BTAIL] = _NIL
            p[_BH + i] = 0
        nf -= 1
        p[_BNFREE] = nf
        p[_BALLOC] = (int(p[_BALLOC]) + 1) & _M30
        u = int(p[_BCOUNT]) - nf
        if u > int(p[_BPEAK]):
            p[_BPEAK] = u
        return i

    @micropython.viper
    def try_free(iobj) -> bool:
        # Compared as objects first (no arithmetic, no allocation); then int() raises
        # TypeError for an in-range float.
        if iobj > hi or iobj < lo:
            m  # noqa: B018 (a reference: keeps m alive with the closure, as in try_alloc)
            return False
        i = int(iobj)
        p = ptr32(a)
        s = int(p[_BSTRAT])
        if s == 2:
            k = i >> 4
            bit = 1 << (i & 15)
            w = int(p[_BH + k])
            if w & bit:
                return False
            p[_BH + k] = w | bit
            if k < int(p[_BHEAD]):
                p[_BHEAD] = k
        else:
            if int(p[_BH + i]) != 0:
                return False
            if s == 0:
                p[_BH + i] = _FREE | int(p[_BHEAD])
                p[_BHEAD] = i
            else:
                p[_BH + i] = _FREE | _NIL
                t = int(p[_BTAIL])
                if t == _NIL:
                    p[_BHEAD] = i
                else:
                    p[_BH + t] = _FREE | i
                p[_BTAIL] = i
        p[_BNFREE] = int(p[_BNFREE]) + 1
        p[_BFREE] = (int(p[_BFREE]) + 1) & _M30
        return True

    @micropython.viper
    def used(iobj) -> bool:
        if iobj > hi or iobj < lo:
            m  # noqa: B018 (as in try_free)
            return False
        i = int(iobj)
        p = ptr32(a)
        if int(p[_BSTRAT]) == 2:
            return (int(p[_BH + (i >> 4)]) & (1 << (i & 15))) == 0
        return int(p[_BH + i]) == 0

    bp.try_alloc = bp._try_alloc = try_alloc
    bp.try_free = bp._try_free = try_free
    bp.used = used
