"""Viper kernel of ``mpalloc.arena`` (twin of ``_arena_py``: same functions, same
results).

``bind(a)`` binds ``a.take`` and ``a.take_aligned`` and returns ``bump`` (for the
``alloc`` closure arena.py makes): viper closures over the address of ``a._s`` (the hot
state words, see arena.py), called without ``self`` (docs/design.md#closures-without-self).
"""

import micropython
from micropython import const

NAME = "viper"

_POS = const(0)  # layout arena
_END = const(1)  # layout arena
_LOW = const(2)  # layout arena
_BAD_ALIGN = const(-4096)  # layout arena
_WRAP = const(0x3FFFFFFF)
# Bounds as objects (viper compares the caller's ints with them before converting: a
# big int would truncate), for take_aligned: module globals, because a closure call
# allocates when its cells plus arguments pass 5 words (docs/design.md#closures-without-self).
_ZERO = 0
_ONE = 1
_AMAX = 4096  # MAX_ALIGN (arena.py) as an object


@micropython.viper
def _addr(buf) -> uint:
    # The address of buf's bytes (a big int where RAM is at or above 0x80000000: made
    # once per bind; ptr32(int(a)) of it in the closures allocates nothing).
    return uint(ptr32(buf))


def bind(a):
    """Set ``a.take`` and ``a.take_aligned`` (see ``Arena``) and return ``bump(n)``: take's
    fast path alone (the offset of n bytes taken in the current block, else -1 with
    nothing changed and no cold path). O(1), no allocation, IRQ-safe."""
    s = a._s
    sa = _addr(s)
    # a: for its _slow (looked up per call: observe.on_failure wraps it on the instance);
    # the reference also keeps a, and so s, alive with the closure.
    lo = 0
    hi = _WRAP  # objects: viper compares the caller's ints with them before converting

    @micropython.viper
    def take(nobj) -> int:
        # Range first, as objects (docs/design.md#viper-ints): -2, or the move into a
        # kept block, from the cold path.
        if nobj < lo or nobj > hi:
            return int(a._slow(nobj, 1, False))
        n = int(nobj)  # TypeError for a float
        p = ptr32(int(sa))
        q = int(p[_POS])
        if n > int(p[_END]) - q:
            return int(a._slow(nobj, 1, False))
        p[_POS] = q + n
        return q

    @micropython.viper
    def take_aligned(nobj, aobj) -> int:
        if nobj < _ZERO or nobj > hi or aobj < _ONE or aobj > _AMAX:
            return int(a._slow(nobj, aobj, False))
        al = int(aobj)  # TypeError for a float
        p = ptr32(int(sa))
        low = int(p[_LOW])
        q = ((int(p[_POS]) + low + al - 1) & (0 - al)) - low
        e = q + int(nobj)  # TypeError for a float
        if e > int(p[_END]) or ((al - 1) & (al | _BAD_ALIGN)) != 0:
            return int(a._slow(nobj, aobj, False))
        p[_POS] = e
        return q

    @micropython.viper
    def bump(nobj) -> int:
        if nobj < lo or nobj > hi:
            return -1
        n = int(nobj)  # TypeError for a float
        p = ptr32(int(sa))
        q = int(p[_POS])
        if n > int(p[_END]) - q:
            return -1
        p[_POS] = q + n
        return q

    a.take = take
    a.take_aligned = take_aligned
    return bump
