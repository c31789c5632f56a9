"""Viper kernel of ``mpalloc.stack`` (twin of ``_stack_py``: same functions, same
results).

``bind(s)`` binds ``s.try_alloc`` and ``s.try_free``: viper closures over the table
``s._t`` (an ``array('i')``, layout in stack.py), called without ``self``
(docs/design.md#closures-without-self).
"""

import micropython
from micropython import const

NAME = "viper"

_BAD_ALIGN = const(-4096)  # layout stack
_WRAP = const(0x3FFFFFFF)
_D = const(0)  # layout stack
_POS = const(1)  # layout stack
_SER = const(2)  # layout stack
_FAILS = const(3)  # layout stack
_SIZE = const(4)  # layout stack
_DEPTH = const(5)  # layout stack
_LOW = const(6)  # layout stack
_PEAK = const(7)  # layout stack
_H = const(8)  # layout stack


def bind(s):
    """Set ``s.try_alloc`` and ``s.try_free`` (see ``Stack``): O(1), no allocation,
    IRQ-safe."""
    # Three cells each: t (the table: ptr32(t) reads it, and the reference keeps it
    # alive with the closure) and the argument bounds as objects: viper compares the
    # caller's ints with them before converting (a big int would truncate,
    # docs/contract.md). Three cells + two arguments: the most a closure call keeps off
    # the heap (docs/design.md#closures-without-self).
    t = s._t
    lo = 0
    hi = _WRAP

    @micropython.viper
    def try_alloc(nobj, aobj) -> int:
        p = ptr32(t)
        if nobj < lo or nobj > hi or aobj < lo or aobj > hi or p[_D] == p[_DEPTH]:
            p[_FAILS] = (p[_FAILS] + 1) & _WRAP
            return 0
        n = int(nobj)  # TypeError for a float, nothing changed
        al = int(aobj)
        low = int(p[_LOW])
        q = ((int(p[_POS]) + low + al - 1) & (0 - al)) - low
        e = q + n
        if e > int(p[_SIZE]) or ((al - 1) & (al | _BAD_ALIGN)) != 0:
            p[_FAILS] = (p[_FAILS] + 1) & _WRAP
            return 0
        d = int(p[_D])
        i = _H + (d << 2)
        h = int(p[_SER])
        h = h + 1 if h < _WRAP else 1  # 1 .. 2**30 - 1, never 0
        p[_SER] = h
        p[i] = h
        p[i + 1] = p[_POS]
        p[i + 2] = q
        p[i + 3] = n
        p[_D] = d + 1
        p[_POS] = e
        if e > int(p[_PEAK]):
            p[_PEAK] = e
        return h

    @micropython.viper
    def try_free(hobj) -> bool:
        if hobj < lo or hobj > hi:
            return False
        h = int(hobj)  # TypeError for a float, nothing changed
        p = ptr32(t)
        d = int(p[_D]) - 1
        i = _H + (d << 2)
        if d < 0 or int(p[i]) != h:
            return False
        p[_POS] = p[i + 1]
        p[_D] = d
        return True

    s.try_alloc = try_alloc
    s.try_free = try_free
