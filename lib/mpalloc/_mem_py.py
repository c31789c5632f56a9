"""Pure-Python byte-copy kernel (twin of ``_mem_viper``)."""

NAME = "py"


def copy(dst, doff, src, soff, n):
    """Copy ``n`` bytes from ``src[soff:]`` to ``dst[doff:]``; regions must not overlap.

    No allocation; caller checks bounds. O(n), one Python step per byte.
    """
    # Arguments reused as loop state: a frame over ~11 words would come from the heap.
    soff -= doff
    n += doff
    while doff < n:
        dst[doff] = src[doff + soff]
        doff += 1
