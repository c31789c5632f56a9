"""Pure-Python kernel of ``mpalloc.stack`` (twin of ``_stack_viper``: same functions,
same results), used where the native emitter is missing.

``bind(s)`` binds ``s.try_alloc`` and ``s.try_free``: closures over the table ``s._t``
(layout in stack.py), called without ``self``.
"""

from mpalloc._util import const

NAME = "py"

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
    t = s._t

    def try_alloc(n, align):
        # Ranges first, with no arithmetic on the arguments (docs/design.md#small-ints);
        # "| 0" raises TypeError for a float before anything changes; then the exact
        # checks, each before the arithmetic it guards (as the viper twin, in its order).
        if n < 0 or n > _WRAP or align < 0 or align > _WRAP or t[_D] == t[_DEPTH]:
            t[_FAILS] = (t[_FAILS] + 1) & _WRAP
            return 0
        n |= 0
        align |= 0
        if n > t[_SIZE] or (align - 1) & (align | _BAD_ALIGN):
            t[_FAILS] = (t[_FAILS] + 1) & _WRAP
            return 0
        q = ((t[_POS] + t[_LOW] + align - 1) & -align) - t[_LOW]
        if n > t[_SIZE] - q:
            t[_FAILS] = (t[_FAILS] + 1) & _WRAP
            return 0
        # Locals reused: docs/design.md#heap-frames.
        align = _H + (t[_D] << 2)
        t[_SER] = t[_SER] + 1 if t[_SER] < _WRAP else 1  # 1 .. 2**30 - 1, never 0
        t[align] = t[_SER]
        t[align + 1] = t[_POS]
        t[align + 2] = q
        t[align + 3] = n
        t[_D] += 1
        q += n
        t[_POS] = q
        if q > t[_PEAK]:
            t[_PEAK] = q
        return t[_SER]

    def try_free(h):
        if h < 0 or h > _WRAP:
            return False
        h |= 0  # TypeError for a float, nothing changed
        i = _H - 4 + (t[_D] << 2)
        if i < _H or t[i] != h:
            return False
        t[_POS] = t[i + 1]
        t[_D] -= 1
        return True

    s.try_alloc = try_alloc
    s.try_free = try_free
