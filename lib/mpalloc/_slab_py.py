"""Pure-Python kernel of ``mpalloc.slab`` (twin of ``_slab_viper``: same functions, same
results). Chosen where viper is unavailable (CPython, firmware without a native emitter).

Every function takes the ``Slab`` as ``self`` (they are bound as class attributes, one
call layer) and works on ``self._m``, an ``array('I')`` of ``_H`` header words followed
by one metadata word per slot. The layout is described in ``slab.py``. No function
allocates or raises for int arguments that fit a machine word; all values stay below
2**30.
"""

from mpalloc._util import const

NAME = "py"

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


# Functions here keep few locals on purpose: a frame over ~11 words would come from the
# heap on every call (MicroPython falls back to the C stack only when the heap is locked).


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


def _find(self, k):
    # k >= 1: first run of k free blocks, next-fit from the hint; -1 if none. O(slots).
    # Pass 1: hint .. end; pass 2: 0 .. hint, finishing a run that starts before the hint.
    # k == 0: the largest free run (as the viper twin, which merges the two functions).
    m = self._m
    if k == 0:
        return _largest(m)
    s = _scan(m, m[_HINT], k, m[_SLOTS])
    if s < 0:
        s = _scan(m, 0, k, m[_HINT])
    return s


def _fail(m):
    m[_FAILS] = m[_FAILS] + 1 if m[_FAILS] != _M30 else 0
    return 0


def try_alloc(self, n):
    m = self._m
    if n <= m[_ONE]:
        if n < 1:  # (not n <= 0: a float 0.5 is refused here, as by the viper twin)
            return _fail(m)
        k = 1
    elif n > _LEN:
        return _fail(m)
    else:
        k = (n + m[_BS] - 1) // m[_BS]
    if k > m[_FREE]:
        return _fail(m)
    s = m[_HINT]
    if k != 1 or m[_H + s] & _LEN:
        s = _find(self, k)
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


def try_free(self, h):
    if h < 1 or h > _M30:  # before any arithmetic: a big int would allocate
        return False
    m = self._m
    s = (h & _LEN) - 1
    if s < 0 or s >= m[_SLOTS]:
        return False
    w = m[_H + s]
    ln = w & _LEN
    if ln == 0 or ((w ^ h) >> 18) != 0:
        return False
    m[_H + s] = (((w >> 18) + 1) & 0xFFF) << 18
    if ln <= m[_ONE]:
        m[_FREE] = m[_FREE] + 1
    else:
        bs = m[_BS]
        m[_FREE] = m[_FREE] + (ln + bs - 1) // bs
    m[_LIVE] = m[_LIVE] - 1
    m[_FREES] = m[_FREES] + 1 if m[_FREES] != _M30 else 0
    m[_HINT] = s
    return True


def size(self, h):
    if h < 1 or h > _M30:  # before any arithmetic: a big int would allocate
        return -1
    m = self._m
    s = (h & _LEN) - 1
    if s < 0 or s >= m[_SLOTS]:
        return -1
    w = m[_H + s]
    ln = w & _LEN
    if ln == 0 or ((w ^ h) >> 18) != 0:
        return -1
    return ln


def valid(self, h):
    if h < 1 or h > _M30:  # before any arithmetic: a big int would allocate
        return False
    m = self._m
    s = (h & _LEN) - 1
    if s < 0 or s >= m[_SLOTS]:
        return False
    w = m[_H + s]
    return (w & _LEN) != 0 and ((w ^ h) >> 18) == 0


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
