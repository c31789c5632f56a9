"""Pure-Python kernel of ``mpalloc.slab`` (twin of ``_slab_viper``: same functions, same
results, same call structure). Chosen where viper is unavailable (CPython, firmware
without a native emitter).

``kernels(m)`` is called once per Slab (``Slab._bind``) with the slab's metadata array
``m`` (layout: slab.py) and returns the closures ``try_alloc``, ``try_free``, ``valid``,
``size``, stored on the instance and called without ``self``. No function allocates or
raises for an int argument; an int outside 1..2**30-1 is refused before any arithmetic
(a big int would allocate). Counters wrap at 2**30 without forming 2**30 (a heap int on
32-bit boards). Frames stay small: docs/design.md#heap-frames.
"""

from mpalloc._util import const

NAME = "py"

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


def _scan(m, i, k, stop):
    # First run of k free blocks from slot i (a run boundary), stepping head to head;
    # a run may only start before ``stop``. -1 if none.
    run = 0
    while i < m[_SLOTS]:
        if run == 0 and i >= stop:
            return -1
        if m[_H + i] & _LEN:
            run = 0
            i += ((m[_H + i] & _LEN) + m[_BS] - 1) // m[_BS]
        else:
            run += 1
            if run == k:
                return i - k + 1
            i += 1
    return -1


def _find(m, k):
    # k >= 1: first run of k free blocks, next-fit from the hint; -1 if none. O(slots).
    # Pass 1: hint .. end; pass 2: 0 .. hint, finishing a run that starts before the hint.
    # k == 0: the largest free run (stats() and error messages).
    if k == 0:
        return _largest(m)
    s = _scan(m, m[_HINT], k, m[_SLOTS])
    if s < 0:
        s = _scan(m, 0, k, m[_HINT])
    return s


def _largest(m):
    nslots = m[_SLOTS]
    bs = m[_BS]
    best = 0
    run = 0
    i = 0
    while i < nslots:
        ln = m[_H + i] & _LEN
        if ln == 0:
            run += 1
            if run > best:
                best = run
            i += 1
        else:
            run = 0
            i += (ln + bs - 1) // bs
    return best


def _fail(m):
    m[_FAILS] = m[_FAILS] + 1 if m[_FAILS] != _M30 else 0
    return 0


def kernels(m):
    def try_alloc(n):
        if n > _M30 or n < 1:  # before any arithmetic: docs/design.md#small-ints
            return _fail(m)
        n |= 0  # TypeError for an in-range float, as the viper twin's int(), full or not
        if n <= m[_ONE]:
            k = 1
        elif n > _LEN:
            return _fail(m)
        else:
            k = (n + m[_BS] - 1) // m[_BS]
        if k > m[_FREE]:
            return _fail(m)
        s = m[_HINT]
        if k != 1 or m[_H + s] & _LEN:
            s = _find(m, k)
            if s < 0:
                return _fail(m)
        m[_H + s] |= n  # a free slot's length field is 0: the word becomes tag << 18 | n
        m[_FREE] -= k
        if m[_SLOTS] - m[_FREE] > m[_PEAK]:
            m[_PEAK] = m[_SLOTS] - m[_FREE]
        m[_LIVE] += 1
        m[_ALLOCS] = m[_ALLOCS] + 1 if m[_ALLOCS] != _M30 else 0
        k += s  # next-fit hint: just past the new run
        m[_HINT] = k if k < m[_SLOTS] else 0
        return m[_H + s] - n + s + 1  # tag << 18 | (slot + 1)

    def try_free(h):
        if h > _M30 or h < 1:  # before any arithmetic: docs/design.md#small-ints
            return False
        s = (h & _LEN) - 1
        if s < 0 or s >= m[_SLOTS]:
            return False
        w = m[_H + s]
        if w & _LEN == 0 or ((w ^ h) >> 18) != 0:
            return False
        m[_H + s] = (((w >> 18) + 1) & 0xFFF) << 18
        if w & _LEN <= m[_ONE]:
            m[_FREE] += 1
        else:
            m[_FREE] += ((w & _LEN) + m[_BS] - 1) // m[_BS]
        m[_LIVE] -= 1
        m[_FREES] = m[_FREES] + 1 if m[_FREES] != _M30 else 0
        m[_HINT] = s
        return True

    def size(h):
        if h > _M30 or h < 1:
            return -1
        s = (h & _LEN) - 1
        if s < 0 or s >= m[_SLOTS]:
            return -1
        if m[_H + s] & _LEN == 0 or ((m[_H + s] ^ h) >> 18) != 0:
            return -1
        return m[_H + s] & _LEN

    def valid(h):  # over size, as the viper twin
        return size(h) >= 0

    return try_alloc, try_free, valid, size
