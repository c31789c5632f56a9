"""Pure-Python kernel of ``mpalloc.arena`` (twin of ``_arena_viper``: same function,
same results), used where the native emitter is missing.

``bind(a)`` binds ``a.take`` and ``a.take_aligned`` and returns ``bump``: closures over
``a._s`` (the hot state words, see arena.py), called without ``self``.
"""

NAME = "py"

_POS = 0  # layout arena
_END = 1  # layout arena
_LOW = 2  # layout arena
MAX_ALIGN = 4096  # layout arena
_BAD_ALIGN = -4096  # layout arena
_WRAP = 0x3FFFFFFF


def bind(a):
    """Set ``a.take`` and ``a.take_aligned`` (see ``Arena``) and return ``bump(n)``: take's
    fast path alone (the offset of n bytes taken in the current block, else -1 with
    nothing changed and no cold path). O(1), no allocation, IRQ-safe."""
    s = a._s
    # a: for its _slow (looked up per call: observe.on_failure wraps it on the instance).

    def take(n):
        # Range first, with no arithmetic on n (docs/design.md#small-ints): -2, or the
        # move into a kept block, from the cold path.
        q = s[_POS]
        if n < 0 or n > s[_END] - q:
            return a._slow(n, 1, False)
        s[_POS] = q + (n | 0)  # | 0: TypeError for a float n, before anything changes
        return q

    def take_aligned(n, align):
        if n < 0 or n > _WRAP or align < 1 or align > MAX_ALIGN:  # before arithmetic
            return a._slow(n, align, False)
        e = s[_LOW]  # locals reused: docs/design.md#heap-frames
        q = ((s[_POS] + e + align - 1) & -align) - e  # TypeError for a float align
        e = q + (n | 0)  # TypeError for a float n
        if e > s[_END] or (align - 1) & (align | _BAD_ALIGN):
            return a._slow(n, align, False)
        s[_POS] = e
        return q

    def bump(n):
        q = s[_POS]
        if n < 0 or n > s[_END] - q:
            return -1
        s[_POS] = q + (n | 0)  # TypeError for a float n, before anything changes
        return q

    a.take = take
    a.take_aligned = take_aligned
    return bump
