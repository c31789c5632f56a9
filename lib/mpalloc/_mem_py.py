"""Pure-Python byte-copy kernel (twin of ``_mem_viper``)."""

NAME = "py"


def copy(dst, doff, src, soff, n):
    """Copy ``n`` bytes from ``src[soff:]`` to ``dst[doff:]``; regions must not overlap.

    No allocation; caller checks bounds. O(n), one Python step per byte.
    """
    for i in range(n):
        dst[doff + i] = src[soff + i]
