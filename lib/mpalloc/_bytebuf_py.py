"""Pure-Python kernel of ``mpalloc.bytebuf`` (twin of ``_bytebuf_viper``: same
functions, same results). Chosen where viper is unavailable (CPython, firmware without
a native emitter).

Functions take the ByteDeque/ByteBuffer as ``self`` (bound as class attributes) and
keep all state in ``self._h``, an ``array('I')`` (layout in bytebuf.py). Chunks come
from the slab's own unguarded kernel, ``self._s._try_alloc``/``_try_free`` (on an
``irq_safe`` slab bytebuf.py already runs the call inside the slab's critical
section). No function allocates.
"""

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


from mpalloc._lines import find, readline_into  # noqa: F401 (kernel functions)

try:
    from mpalloc import _mem_viper as _mem
except (SyntaxError, ImportError, ValueError):
    from mpalloc import _mem_py as _mem

NAME = "py"

_copy = _mem.copy
_len = len

# Header words of self._h: the table with who writes each word is in bytebuf.py.
# BEGIN SHARED bytebuf-layout
_N = const(0)  # layout bytebuf
_RP = const(1)  # layout bytebuf
_RE = const(2)  # layout bytebuf
_WP = const(3)  # layout bytebuf
_WE = const(4)  # layout bytebuf
_QH = const(5)  # layout bytebuf
_QT = const(6)  # layout bytebuf
_QC = const(7)  # layout bytebuf
_QL = const(8)  # layout bytebuf
_CS = const(9)  # layout bytebuf
_DROP = const(10)  # layout bytebuf
_DA = const(11)  # layout bytebuf
_MA = const(13)  # layout bytebuf
_SC = const(15)  # layout bytebuf
_HD = const(16)  # layout bytebuf
# END SHARED bytebuf-layout
_LEN = const(0x3FFFF)  # layout slab

# Functions here keep few locals: docs/design.md#heap-frames


def setup(self, h):
    """Record header ``h`` (``_bind`` only); a 1-byte pattern for find."""
    self._h = h
    self._pat = bytearray(1)
    self._ls = 0  # readline_into's scan memory (mpalloc._lines)


def length(self):
    return self._h[_N]


def _take(self):
    # One chunk from the slab's own unguarded kernel: handle, or 0 when there is none.
    return self._s._try_alloc(self._h[_CS])


def _give(self, hd):
    self._s._try_free(hd)


def _reset(h):
    # Nothing held: every position and the table indices back to 0.
    for i in range(_QC):  # _N .. _QT
        h[i] = 0


def _grow(self):
    # New tail chunk: its offset, or -1 when the slab (or the table) is exhausted.
    h = self._h
    if h[_QC] == h[_QL]:
        return -1
    hd = _take(self)
    if not hd:
        return -1
    t = h[_QT]
    h[_HD + t] = hd
    h[_QT] = t + 1 if t + 1 < h[_QL] else 0
    h[_QC] += 1
    hd = ((hd & _LEN) - 1) * h[_CS]
    if h[_QC] == 1:
        h[_RP] = hd
        h[_RE] = hd + h[_CS]
    h[_WP] = hd
    h[_WE] = hd + h[_CS]
    return hd


def _drop(self):
    # The head chunk is fully read: back to the slab; read on in the next one, or reset
    # every position when nothing is left.
    h = self._h
    q = h[_QH]
    _give(self, h[_HD + q])
    h[_HD + q] = 0
    q = q + 1 if q + 1 < h[_QL] else 0
    h[_QC] -= 1
    if not h[_N]:
        _reset(h)
        return
    h[_QH] = q
    q = ((h[_HD + q] & _LEN) - 1) * h[_CS]
    h[_RP] = q
    h[_RE] = q + h[_CS]


def kernels(self):
    """ByteDeque's hot entry points (``push_back``, ``pop_front``, ``writek``, ``readk``,
    ``write``, ``write_from``, ``readinto``): closures over the header and the slab data,
    stored on the instance by ``ByteDeque._bind`` (the one binding site) and called
    without ``self``, as the viper twin's."""
    h = self._h
    d = self._d

    def push_back(b):
        b &= 0xFF  # first: a non-int raises TypeError even when the slab is full, as in viper
        w = h[_WP]
        if w == h[_WE]:  # the tail chunk is full (or there is none): a new one
            w = _grow(self)
            if w < 0:
                _count_drop(h, 1)
                return False
        d[w] = b
        h[_WP] = w + 1
        h[_N] += 1
        return True

    def pop_front():
        if not h[_N]:
            return -1
        r = h[_RP]
        v = d[r]
        h[_N] -= 1
        self._ls = 0  # readline_into's scan memory no longer starts at the read position
        r += 1
        if h[_N] and r != h[_RE]:
            h[_RP] = r
        else:
            _drop(self)  # the head chunk is done: back to the slab
        return v

    def writek(buf, n):
        return _writen(self, buf, n)

    def readk(buf, n):
        return _readn(self, buf, n)

    wl = self._wl  # the last buffers write/write_from and readinto checked, as the viper
    rl = self._rl  # twin's cells

    def write(buf, n=None):
        nonlocal wl
        if buf is not wl:
            self._wchk(buf)
            wl = buf
        if n is None or n < 0:
            return writek(buf, -1)
        if n > 0x3FFFFFFF:
            n = 0x3FFFFFFF
        return writek(buf, n)

    def write_from(buf, n):
        nonlocal wl
        if buf is not wl:
            self._wchk(buf)
            wl = buf
        if n < 1:  # nothing; TypeError for a non-int count
            n = n & 0 if n > -0x40000000 else self._nothing(n)
        elif n > 0x3FFFFFFF:
            n = 0x3FFFFFFF
        return writek(buf, n)

    def readinto(buf, n=None):
        nonlocal rl
        if buf is not rl:
            self._rchk(buf)
            rl = buf
        if n is None or n < 0:
            return readk(buf, -1)
        if n > 0x3FFFFFFF:
            n = 0x3FFFFFFF
        return readk(buf, n)

    return push_back, pop_front, writek, readk, write, write_from, readinto


def _put(self, buf, i, c):
    # Copy up to c bytes of buf from i into the tail chunk (taking a new one when it is
    # full); returns the count, 0 when the slab is exhausted.
    w = self._h[_WP]
    if w == self._h[_WE]:
        w = _grow(self)
        if w < 0:
            return 0
    if c > self._h[_WE] - w:
        c = self._h[_WE] - w
    _copy(self._d, w, buf, i, c)  # this chunk's bytes only (not a slab-wide slice store)
    self._h[_WP] = w + c
    return c


def _writen(self, buf, n):
    # writek: the first n bytes of buf (n < 0: all); the count queued. The caller has
    # checked buf.
    if type(n) is not int:
        n = _count(n)  # TypeError for a float (as the viper twin), bool: 0/1
    if n < 0 or n > _len(buf):
        n = _len(buf)
    i = 0
    while i < n:
        c = _put(self, buf, i, n - i)
        if not c:
            break
        i += c
    self._h[_N] += i
    if i < n:  # the refused tail: counted, as ByteRing's dropped
        _count_drop(self._h, n - i)
    return i


def _count_drop(h, c):
    # dropped += c mod 2**30 without ever forming 2**30 (a heap int on 32-bit boards:
    # a MemoryError in an IRQ). c < 2**30.
    if c <= 0x3FFFFFFF - h[_DROP]:
        h[_DROP] += c
    else:
        h[_DROP] = c - (0x3FFFFFFF - h[_DROP]) - 1


def _count(n):
    if type(n) is bool:
        return int(n)
    raise TypeError("count must be an int, not %s" % type(n).__name__)


def _get(self, buf, k, c):
    # Move up to c bytes from the head chunk into buf at k (buf None: drop them);
    # returns the count.
    r = self._h[_RP]
    if c > (self._h[_WP] if self._h[_QC] == 1 else self._h[_RE]) - r:
        c = (self._h[_WP] if self._h[_QC] == 1 else self._h[_RE]) - r
    if buf is not None:
        _copy(buf, k, self._d, r, c)
    self._h[_N] -= c
    r += c
    if self._h[_N] and r != self._h[_RE]:
        self._h[_RP] = r
    else:
        _drop(self)
    return c


def _readn(self, buf, n):
    # readk: move min(n, len(buf), len(self)) bytes into buf (n < 0: no limit). The
    # caller has checked buf.
    if type(n) is not int:
        n = _count(n)  # TypeError for a float (as the viper twin), bool: 0/1
    if n < 0 or n > _len(buf):
        n = _len(buf)
    if n > self._h[_N]:
        n = self._h[_N]
    if n > 0:
        self._ls = 0
    k = 0
    while k < n:
        k += _get(self, buf, k, n - k)
    return n


def clear(self):
    h = self._h
    self._ls = 0
    while h[_QC]:
        _give(self, h[_HD + h[_QH]])
        h[_HD + h[_QH]] = 0
        h[_QH] = h[_QH] + 1 if h[_QH] + 1 < h[_QL] else 0
        h[_QC] -= 1
    _reset(h)


# ---- ByteDeque consumer side: scan, peek, skip, lines (API second wave) ------------------
# Chunk q counts from the head (0 = the chunk being read). Small helpers keep every
# frame on the C stack (docs/design.md#heap-frames).


def _cs(h, q):
    # Offset in the slab data of chunk q's first held byte.
    if not q:
        return h[_RP]
    q += h[_QH]
    if q >= h[_QL]:
        q -= h[_QL]
    return ((h[_HD + q] & _LEN) - 1) * h[_CS]


def _ce(h, q):
    # Offset in the slab data just past chunk q's last held byte.
    if q == h[_QC] - 1:
        return h[_WP]
    if not q:
        return h[_RE]
    return _cs(h, q) + h[_CS]


def _fic(self, q, a, b):
    # The pattern byte in chunk q at chunk-relative a..b-1 (b clamped to the chunk):
    # its chunk-relative index, else -1 - (the clamped b). C bytearray.find.
    b += _cs(self._h, q)
    if b > _ce(self._h, q):
        b = _ce(self._h, q)
    q = _cs(self._h, q)
    a = self._d.find(self._pat, q + a, b) if q + a < b else -1
    return a - q if a >= 0 else q - b - 1


def _scan(self, byte, i, stop):
    # Offset (from the read position) of the first ``byte`` among the held bytes
    # i..stop-1 (caller keeps stop <= len), or -1.
    self._pat[0] = byte
    byte = 0  # from here: offset of chunk q; i and stop count from its start
    q = 0
    while i < stop:
        c = _fic(self, q, i, stop)
        if c >= 0:
            return byte + c
        c = -1 - c
        i -= c
        if i < 0:
            i = 0
        stop -= c
        byte += c
        q += 1
    return -1


def _part(self, buf, q, a, i):
    # Copy chunk q from chunk-relative a into buf at i, as much as fits; the count.
    a += _cs(self._h, q)
    q = _ce(self._h, q) - a
    if q > _len(buf) - i:
        q = _len(buf) - i
    _copy(buf, i, self._d, a, q)
    return q


def peek_into(self, buf, offset=0):
    if buf is not self._rl:
        self._rchk(buf)  # a new buffer object: check its type once (cold path)
    if offset < 0:
        self._bad(2, offset, 0)  # ValueError (cold path)
    q = 0  # the chunk holding offset, and offset within it (few locals on purpose)
    while q < self._h[_QC] and offset >= _ce(self._h, q) - _cs(self._h, q):
        offset -= _ce(self._h, q) - _cs(self._h, q)
        q += 1
    if q >= self._h[_QC] or not _len(buf):
        return 0  # offset at or past the end
    offset = _part(self, buf, q, offset, 0)  # from here: bytes copied
    while offset < _len(buf) and q + 1 < self._h[_QC]:
        q += 1
        offset += _part(self, buf, q, 0, offset)
    return offset


def skip(self, n):
    if type(n) is not int:
        n = _count(n)  # TypeError for a float or None (as the viper twin), bool: 0/1
    if n > self._h[_N]:
        n = self._h[_N]
    if n <= 0:
        return 0
    k = (self._ls >> 8) - n  # bytes of readline_into's scan still ahead
    self._ls = (k << 8) | (self._ls & 255) if k > 0 else 0
    k = 0
    while k < n:
        k += _get(self, None, k, n - k)
    return n


def _reserve(self, n):
    # ByteBuffer: chunks for n more bytes beyond the current one, all or none.
    h = self._h
    n = (n + h[_CS] - 1) // h[_CS]
    if h[_QC] + n > h[_QL]:
        return False
    j = 0
    while j < n:
        hd = _take(self)
        if not hd:
            _unreserve(self, h[_QC], j)  # nothing appended, nothing kept
            return False
        h[_HD + h[_QC] + j] = hd
        j += 1
    return True


def _unreserve(self, qc, j):
    # ByteBuffer: the chunks taken into table slots qc..qc+j-1 back to the slab.
    while j > 0:
        j -= 1
        _give(self, self._h[_HD + qc + j])
        self._h[_HD + qc + j] = 0


def _fill(self, buf, i, c):
    # ByteBuffer: copy up to c bytes of buf from i into the chunk being filled, moving
    # to the next reserved one (table slot _QC) when it is full; returns the count.
    w = self._h[_WP]
    if w == self._h[_WE]:
        w = _next(self._h)
    if c > self._h[_WE] - w:
        c = self._h[_WE] - w
    _copy(self._d, w, buf, i, c)  # this chunk's bytes only (not a slab-wide slice store)
    self._h[_WP] = w + c
    return c


def _next(h):
    # ByteBuffer: move into the next reserved chunk; returns its offset.
    w = ((h[_HD + h[_QC]] & _LEN) - 1) * h[_CS]
    h[_QC] += 1
    h[_WE] = w + h[_CS]
    return w


def _append(self, buf):
    # ByteBuffer: append all of buf (returns its length) or nothing (-1: the chunks are
    # reserved first, all or none). Never raises for a checked buffer.
    if buf is not self._wl:
        self._wchk(buf)
    n = _len(buf)  # few locals: docs/design.md#heap-frames
    if n > self._h[_WE] - self._h[_WP] and not _reserve(self, n - self._h[_WE] + self._h[_WP]):
        return -1
    i = 0
    while i < n:
        i += _fill(self, buf, i, n - i)
    self._h[_QT] = self._h[_QC]
    self._h[_N] += n
    return n


def _appender(self, strict):
    # ByteBuffer's append closure (buffer_kernels makes two, as the viper twin): all of
    # buf (its length) or nothing (-1; strict: AllocError through self._full).
    def append(buf):
        n = _append(self, buf)
        if n < 0 and strict:
            self._full(buf)
        return n

    return append


def buffer_kernels(self):
    """ByteBuffer's ``write``, ``try_write`` and the unguarded non-raising append, as
    the viper twin's."""
    write = _appender(self, True)
    appendk = _appender(self, False)

    def try_write(buf):
        return appendk(buf) >= 0

    return write, try_write, appendk
