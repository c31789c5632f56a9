"""Pure-Python kernel of ``mpalloc.arena`` (twin of ``_arena_viper``: same function,
same results), used where the native emitter is missing.

``bind(a)`` binds ``a.take``: a closure over ``a._s`` (the hot state words, see
arena.py), called without ``self``.
"""

NAME = "py"

_POS = 0  # layout arena
_END = 1  # layout arena


def bind(a):
    """Set ``a.take`` (see ``Arena``): O(1), no allocation, IRQ-safe."""
    s = a._s
    # a: for its _slow (looked up per call: observe.on_failure wraps it on the instance).

    def take(n):
        # Range first, with no arithmetic on n (a big int would allocate): -2, or the
        # move into a kept block, from the cold path.
        q = s[_POS]
        if n < 0 or n > s[_END] - q:
            return a._slow(n, 1, False)
        s[_POS] = q + (n | 0)  # | 0: TypeError for a float n, before anything changes
        return q

    a.take = take
