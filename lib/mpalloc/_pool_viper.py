"""Viper kernel of ``mpalloc.pool`` (twin of ``_pool_py``: same functions, same results).

``o_bind``/``b_bind`` bind the hot methods of an ``ObjectPool``/``BlockPool`` on the
instance, as closures called without ``self``; ``o_addr`` (a class attribute) reads
an object's address for the mode 3 keys. State lives
in ``self._m``, an ``array('I')`` whose layout is described in ``pool.py``. No function
allocates (the ObjectPool ones call back into Python only on their cold paths: growth,
errors, the user's reset hook); every value stays below 2**30.
"""

import micropython
from micropython import const

NAME = "viper"

_M30 = const(0x3FFFFFFF)

# Header words (the layout is documented in pool.py; "# layout pool" tags: drift test).
_ON = const(0)  # layout pool
_OCAP = const(1)  # layout pool
_OACQ = const(2)  # layout pool
_OFAIL = const(3)  # layout pool
_OPEAK = const(4)  # layout pool
_OMODE = const(5)  # layout pool
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
_BH = const(10)  # layout pool
_NIL = const(0x1FFFFFFF)  # layout pool
_FREE = const(0x20000000)  # layout pool


@micropython.viper
def _addr(buf) -> uint:
    # The address of buf's bytes (a big int where RAM is at or above 0x80000000: made
    # once per bind; ptr32(int(a)) of it in the closures allocates nothing).
    return uint(ptr32(buf))


def o_bind(op):
    """Bind ``acquire``, ``try_acquire`` and ``release`` on ObjectPool ``op``: viper
    closures over the address of ``op._m``, ``op._objs`` and ``op._slot``, called
    without ``self`` (docs/design.md#closures-without-self). Returns ``retarget()``, which
    growth calls after replacing those three: it updates the shared cells, so closures
    a caller kept stay right."""
    # The closures reference op (their cold paths), which keeps op._m, the array at
    # address a, alive.
    a = _addr(op._m)
    objs = op._objs
    slot = op._slot

    def retarget():
        nonlocal a, objs, slot
        a = _addr(op._m)
        objs = op._objs
        slot = op._slot

    @micropython.viper
    def acquire():
        p = ptr32(int(a))
        n = int(p[_ON]) - 1
        if n < 0:
            return op._exhausted()  # grows one step or raises
        # BEGIN SHARED pool-take
        p[_ON] = n
        i = int(p[_OH + n])
        cap = int(p[_OCAP])
        p[_OH + cap + i] = 1
        p[_OACQ] = (int(p[_OACQ]) + 1) & _M30
        if cap - n > int(p[_OPEAK]):
            p[_OPEAK] = cap - n
        # END SHARED pool-take
        return objs[i]

    @micropython.viper
    def try_acquire():
        p = ptr32(int(a))
        n = int(p[_ON]) - 1
        if n < 0:
            p[_OFAIL] = (int(p[_OFAIL]) + 1) & _M30
            return None
        # BEGIN SHARED pool-take
        p[_ON] = n
        i = int(p[_OH + n])
        cap = int(p[_OCAP])
        p[_OH + cap + i] = 1
        p[_OACQ] = (int(p[_OACQ]) + 1) & _M30
        if cap - n > int(p[_OPEAK]):
            p[_OPEAK] = cap - n
        # END SHARED pool-take
        return objs[i]

    @micropython.viper
    def release(obj):
        p = ptr32(int(a))
        mode = int(p[_OMODE])
        i = -1
        if mode == 4:
            i = int(op._slot_of(obj))  # an identity scan (rare): plain Python
        else:
            try:  # a subscript is cheaper than dict.get (no method lookup)
                if mode == 1:
                    i = int(slot[id(obj)])
                elif mode == 3:  # bits 2..31 of the address, read through the probe
                    pr = op._probe  # as o_addr, inline
                    pr[0] = obj
                    i = (int(ptr32(pr)[0]) >> 2) & _M30
                    pr[0] = None
                    i = int(slot[i])
                    if objs[i] is not obj:
                        i = -1
                else:
                    i = int(slot[obj])
                    if mode == 2 and objs[i] is not obj:
                        i = -1
            except Exception:  # KeyError: foreign; TypeError: unhashable foreign
                i = -1
        cap = int(p[_OCAP])
        if i < 0 or int(p[_OH + cap + i]) != 1:
            return op._bad_release(obj, i)
        if p[_ORESET]:
            op._reset(obj)
            p = ptr32(int(a))  # the hook may have grown the pool (retargeted a)
            cap = int(p[_OCAP])
        p[_OH + cap + i] = 0
        n = int(p[_ON])
        p[_OH + n] = i
        p[_ON] = n + 1
        return None

    op.acquire = acquire
    op.try_acquire = try_acquire
    op.release = release
    return retarget


@micropython.viper
def o_addr(self, obj) -> int:
    # Mode 3 key: bits 2..31 of obj's address, read back from the array('O') probe.
    p = self._probe
    p[0] = obj
    k = (int(ptr32(p)[0]) >> 2) & _M30
    p[0] = None
    return k


def b_bind(bp):
    """Bind ``try_alloc``, ``try_free`` and ``used`` on BlockPool ``bp`` (and the
    ``_try_alloc``/``_try_free`` the poisoning wrappers call): viper closures over the
    address of ``bp._m``, called without ``self`` (docs/design.md#closures-without-self)."""
    m = bp._m
    a = _addr(m)
    lo = 0
    hi = int(m[_BCOUNT]) - 1  # an object: viper compares the caller's int with it
    # before converting (a big int would truncate into range: docs/contract.md)

    @micropython.viper
    def try_alloc() -> int:
        p = ptr32(int(a))
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
        p = ptr32(int(a))
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
        p = ptr32(int(a))
        if int(p[_BSTRAT]) == 2:
            return (int(p[_BH + (i >> 4)]) & (1 << (i & 15))) == 0
        return int(p[_BH + i]) == 0

    bp.try_alloc = bp._try_alloc = try_alloc
    bp.try_free = bp._try_free = try_free
    bp.used = used
