"""Viper kernel of ``mpalloc.slab`` (twin of ``_slab_py``: same functions, same results,
same call structure).

``kernels(m)`` is called once per Slab (``Slab._bind``, the one binding site) with the
slab's metadata array ``m`` (layout: slab.py) and returns four closures stored on the
instance and called without ``self``: ``try_alloc``, ``try_free``, ``valid``, ``size``.
They capture ``m``'s address, read as ``ptr32(int(a))``, and the handle bounds as
objects (cells, no globals): docs/design.md#per-instance-closures.

No function allocates or raises for int arguments; an int outside 1..2**30-1 (a big int
included) is refused like a stale handle, compared as an object before any arithmetic
(docs/design.md#compare-as-objects). All values stay below 2**30.
"""

import micropython
from micropython import const

NAME = "viper"

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
_M30 = const(0x3FFFFFFF)


@micropython.viper
def addr(buf) -> int:
    return int(ptr32(buf))


@micropython.viper
def _find(ma, k: int) -> int:
    # Metadata at ``ma`` (the array or its address). k >= 1: first run of k free
    # blocks, next-fit from the hint; -1 if none. k == 0: the largest free run (stats()
    # and error messages). O(slots).
    m = ptr32(ma)
    nslots = int(m[_SLOTS])
    bs = int(m[_BS])
    if k == 0:
        best = 0
        run = 0
        i = 0
        while i < nslots:
            ln = int(m[_H + i]) & _LEN
            if ln == 0:
                run += 1
                if run > best:
                    best = run
                i += 1
            else:
                run = 0
                i += (ln + bs - 1) // bs
        return best
    hint = int(m[_HINT])
    # Pass 1: hint .. end. The hint is a boundary, so stepping head to head stays aligned.
    i = hint
    run = 0
    start = 0
    while i < nslots:
        ln = int(m[_H + i]) & _LEN
        if ln == 0:
            if run == 0:
                start = i
            run += 1
            if run == k:
                return start
            i += 1
        else:
            run = 0
            i += (ln + bs - 1) // bs
    # Pass 2: 0 .. hint, finishing a free run that starts before the hint.
    i = 0
    run = 0
    while i < nslots:
        if run == 0 and i >= hint:
            break
        ln = int(m[_H + i]) & _LEN
        if ln == 0:
            if run == 0:
                start = i
            run += 1
            if run == k:
                return start
            i += 1
        else:
            run = 0
            i += (ln + bs - 1) // bs
    return -1


def kernels(meta):
    ma = addr(meta)
    lo = 1  # handle/size bounds as objects (see the module docstring)
    hi = 0x3FFFFFFF
    find = _find  # a cell, not a global: docs/design.md#per-instance-closures

    @micropython.viper
    def try_alloc(nobj) -> int:
        m = ptr32(int(ma))
        if nobj > hi or nobj < lo:
            m[_FAILS] = (int(m[_FAILS]) + 1) & _M30
            return 0
        n = int(nobj)  # TypeError for an in-range float
        if n <= int(m[_ONE]):
            k = 1
        else:
            if n > _LEN:
                m[_FAILS] = (int(m[_FAILS]) + 1) & _M30
                return 0
            bs = int(m[_BS])
            k = (n + bs - 1) // bs
        free = int(m[_FREE])
        if k > free:
            m[_FAILS] = (int(m[_FAILS]) + 1) & _M30
            return 0
        s = int(m[_HINT])
        if k != 1 or (int(m[_H + s]) & _LEN) != 0:
            s = int(find(ma, k))
            if s < 0:
                m[_FAILS] = (int(m[_FAILS]) + 1) & _M30
                return 0
        tag = int(m[_H + s]) >> 18
        m[_H + s] = (tag << 18) | n
        free -= k
        m[_FREE] = free
        used = int(m[_SLOTS]) - free
        if used > int(m[_PEAK]):
            m[_PEAK] = used
        m[_LIVE] = int(m[_LIVE]) + 1
        m[_ALLOCS] = (int(m[_ALLOCS]) + 1) & _M30
        nxt = s + k
        if nxt >= int(m[_SLOTS]):
            nxt = 0
        m[_HINT] = nxt
        return (tag << 18) | (s + 1)

    @micropython.viper
    def try_free(hobj) -> bool:
        if hobj > hi or hobj < lo:
            return False
        h = int(hobj)  # TypeError for an in-range float
        m = ptr32(int(ma))
        s = (h & _LEN) - 1
        if s < 0 or s >= int(m[_SLOTS]):
            return False
        w = int(m[_H + s])
        ln = w & _LEN
        if ln == 0 or ((w ^ h) >> 18) != 0:
            return False
        m[_H + s] = (((w >> 18) + 1) & 0xFFF) << 18
        if ln <= int(m[_ONE]):
            m[_FREE] = int(m[_FREE]) + 1
        else:
            bs = int(m[_BS])
            m[_FREE] = int(m[_FREE]) + (ln + bs - 1) // bs
        m[_LIVE] = int(m[_LIVE]) - 1
        m[_FREES] = (int(m[_FREES]) + 1) & _M30
        m[_HINT] = s
        return True

    @micropython.viper
    def size(hobj) -> int:
        if hobj > hi or hobj < lo:
            return -1
        h = int(hobj)
        m = ptr32(int(ma))
        s = (h & _LEN) - 1
        if s < 0 or s >= int(m[_SLOTS]):
            return -1
        w = int(m[_H + s])
        if (w & _LEN) == 0 or ((w ^ h) >> 18) != 0:
            return -1
        return w & _LEN

    def valid(h):  # plain Python over size: docs/design.md#ram-per-kernel
        return size(h) >= 0

    return try_alloc, try_free, valid, size
