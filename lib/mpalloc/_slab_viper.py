"""Viper kernel of ``mpalloc.slab`` (twin of ``_slab_py``: same functions, same results).

Every function takes the ``Slab`` as ``self`` (they are bound as class attributes, one
call layer) and works on ``self._m``, an ``array('I')`` of ``_H`` header words followed
by one metadata word per slot. The layout is described in ``slab.py``. No function
allocates or raises for int arguments; a handle outside 1..2**30-1 (a big int
included) is refused like a stale one. All values stay below 2**30.
"""

import micropython
from micropython import const

NAME = "viper"

# Header word indices (keep in step with _slab_py and slab.py).
_HINT = const(0)  # next-fit start: always a run boundary (a head or a free block)
_FREE = const(1)  # free blocks
_LIVE = const(2)  # live allocations
_ALLOCS = const(3)  # successful allocations (wraps at 2**30)
_FREES = const(4)  # successful frees (wraps at 2**30)
_FAILS = const(5)  # refused try_alloc requests (wraps at 2**30)
_PEAK = const(6)  # peak blocks in use
_BS = const(7)  # block size in bytes
_ONE = const(8)  # largest n served by one block: min(block size, _LEN)
_SLOTS = const(9)  # slot count
_H = const(10)  # header words; slot s's word is at _H + s

_LEN = const(0x3FFFF)  # low 18 bits of a slot word: requested length (0 = not a head)
_M30 = const(0x3FFFFFFF)

# Handle bounds as objects (not const: viper compares them with the caller's int object,
# so a big int is refused instead of truncated to a machine word that may look valid).
_HMIN = 1
_HMAX = 0x3FFFFFFF


@micropython.viper
def _find(self, k: int) -> int:
    # k >= 1: first run of k free blocks, next-fit from the hint; -1 if none.
    # k == 0: the largest free run (stats() and error messages; one function instead
    # of two saves ~130 bytes of RAM, and try_alloc only reaches here on its slow path).
    # O(slots).
    m = ptr32(self._m)
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


@micropython.viper
def try_alloc(self, nobj) -> int:
    m = ptr32(self._m)
    if nobj > _HMAX or nobj < _HMIN:  # as objects: a big int must not truncate to 1..
        m[_FAILS] = (int(m[_FAILS]) + 1) & _M30
        return 0
    n = int(nobj)  # TypeError for an in-range float
    if n <= int(m[_ONE]):
        if n <= 0:
            m[_FAILS] = (int(m[_FAILS]) + 1) & _M30
            return 0
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
        s = int(_find(self, k))
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
def try_free(self, hobj) -> bool:
    # Compared as objects first (no arithmetic, no allocation; a big int would truncate
    # to a machine word in int()); then int() raises TypeError for an in-range float.
    if hobj > _HMAX or hobj < _HMIN:
        return False
    h = int(hobj)
    m = ptr32(self._m)
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
def size(self, hobj) -> int:
    # Compared as objects first (no arithmetic, no allocation; a big int would truncate
    # to a machine word in int()); then int() raises TypeError for an in-range float.
    if hobj > _HMAX or hobj < _HMIN:
        return -1
    h = int(hobj)
    m = ptr32(self._m)
    s = (h & _LEN) - 1
    if s < 0 or s >= int(m[_SLOTS]):
        return -1
    w = int(m[_H + s])
    ln = w & _LEN
    if ln == 0 or ((w ^ h) >> 18) != 0:
        return -1
    return ln


@micropython.viper
def valid(self, hobj) -> bool:
    # Compared as objects first (no arithmetic, no allocation; a big int would truncate
    # to a machine word in int()); then int() raises TypeError for an in-range float.
    if hobj > _HMAX or hobj < _HMIN:
        return False
    h = int(hobj)
    m = ptr32(self._m)
    s = (h & _LEN) - 1
    if s < 0 or s >= int(m[_SLOTS]):
        return False
    w = int(m[_H + s])
    return (w & _LEN) != 0 and ((w ^ h) >> 18) == 0
