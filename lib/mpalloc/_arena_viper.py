"""Viper kernel of ``mpalloc.arena`` (twin of ``_arena_py``: same function, same results).

``bind(a)`` binds ``a.take``: a viper closure over the address of ``a._s`` (the hot state
words, see arena.py), called without ``self`` (docs/design.md#pool-closures).
"""

import micropython
from micropython import const

NAME = "viper"

_POS = const(0)  # layout arena
_END = const(1)  # layout arena
_WRAP = const(0x3FFFFFFF)


@micropython.viper
def _addr(buf) -> uint:
    # The address of buf's bytes (a big int where RAM is at or above 0x80000000: made
    # once per bind; ptr32() of it in the closure allocates nothing).
    return uint(ptr32(buf))


def bind(a):
    """Set ``a.take`` (see ``Arena``): O(1), no allocation, IRQ-safe."""
    s = a._s
    sa = _addr(s)
    # a: for its _slow (looked up per call: observe.on_failure wraps it on the instance);
    # the reference also keeps a, and so s, alive with the closure.
    lo = 0
    hi = _WRAP  # objects: viper compares the caller's n with them before converting

    @micropython.viper
    def take(nobj) -> int:
        # Range first, as objects (a big int would truncate in int()): -2, or the move
        # into a kept block, from the cold path.
        if nobj < lo or nobj > hi:
            return int(a._slow(nobj, 1, False))
        n = int(nobj)  # TypeError for a float
        p = ptr32(sa)
        q = int(p[_POS])
        if n > int(p[_END]) - q:
            return int(a._slow(nobj, 1, False))
        p[_POS] = q + n
        return q

    a.take = take
