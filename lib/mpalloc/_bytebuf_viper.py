"""Viper kernel of ``mpalloc.bytebuf`` (twin of ``_bytebuf_py``: same functions, same
results, same call structure).

The hot entry points are per-instance closures called without ``self``: ByteDeque's
``push_back``/``pop_front``/``write``/``write_from``/``readinto`` (``kernels``) and
ByteBuffer's ``write``/``try_write`` (``buffer_kernels``), made at each class's one
binding site (docs/design.md#per-instance-closures). The other functions take the object
as ``self`` (class attributes). All state lives in ``self._h``, one ``array('I')`` (the
word table is in bytebuf.py), whose words ``_DA``/``_MA`` hold the slab buffers'
addresses.

Slab coupling (deliberate, for speed): a chunk is one slab block, and the slab's
one-block take/give run here on the slab's metadata words, as the slab's own kernel
does them. What bytebuf may touch and why it is safe: docs/bytebuf.md#the-slab-bytebuf-contract.
Byte copies: the closures inline the copy loop's aligned part (SHARED ``copy_aligned``,
docs/design.md#copy-words) and send chunks without common word alignment to
``_mem_viper.copy`` (``self._mcopy``); peek_into calls it once per chunk. No function
allocates.
"""

import micropython
from micropython import const

from mpalloc._mem_viper import copy as _mcopy

NAME = "viper"

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

# Slab._m words (slab.py). bytebuf may touch only those its one-block take/give writes,
# as the slab's own kernel does: docs/bytebuf.md#the-slab-bytebuf-contract.
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
_N1 = 1  # an object, not const: compared with the caller's count object
_BIG = 0x3FFFFFFF  # an object, not const: compared with the caller's int objects
_SCAP = const(0x3FFFFF)  # largest scan count kept in _SC (the word stays < 2**30)


@micropython.viper
def addr(buf) -> uint:
    return uint(ptr8(buf))


@micropython.viper
def _put_addr(hobj, i: int, buf):
    # Header words i, i + 1 = the address of buf's data (low, high 32 bits; the high
    # word is 0 on a 32-bit board). Read back as lo | hi << 16 << 16 (never a shift by
    # 32, which a 32-bit CPU may treat as a shift by 0).
    h = ptr32(hobj)
    a = uint(ptr8(buf))
    h[i] = a
    h[i + 1] = a >> 16 >> 16


def setup(self, h):
    """Record header ``h``, its address and the slab buffers' (``_bind`` only)."""
    self._h = h
    self._a = addr(h)
    _put_addr(h, _DA, self._d)
    if self._s is not None:
        _put_addr(h, _MA, self._s._m)


@micropython.viper
def length(self) -> int:
    h = ptr32(int(self._a))
    return int(h[_N])


@micropython.viper
def _unreserve(self, qc: int, j: int):
    # ByteBuffer: the chunks taken into table slots qc..qc+j-1 back to the slab, as the
    # slab's try_free (a write the slab could not serve whole: nothing appended, nothing
    # kept).
    h = ptr32(int(self._a))
    m = ptr32(int(h[_MA]) | (int(h[_MA + 1]) << 16 << 16))
    while j > 0:
        j -= 1
        hd = int(h[_HD + qc + j])
        h[_HD + qc + j] = 0
        # BEGIN SHARED slab-give-one
        slot = (hd & _LEN) - 1
        w = int(m[_H + slot])
        if (w & _LEN) != 0 and ((w ^ hd) >> 18) == 0:
            m[_H + slot] = (((w >> 18) + 1) & 0xFFF) << 18
            m[_FREE] = int(m[_FREE]) + 1
            m[_LIVE] = int(m[_LIVE]) - 1
            m[_FREES] = (int(m[_FREES]) + 1) & _M30
            m[_HINT] = slot
        # END SHARED slab-give-one


@micropython.viper
def _drop(self):
    # ByteDeque: the head chunk is fully read: back to the slab. When nothing is left
    # (h[_N] == 0) every position resets; else reading continues in the next chunk.
    h = ptr32(int(self._a))
    qh = int(h[_QH])
    hd = int(h[_HD + qh])
    h[_HD + qh] = 0
    m = ptr32(int(h[_MA]) | (int(h[_MA + 1]) << 16 << 16))
    # BEGIN SHARED slab-give-one
    slot = (hd & _LEN) - 1
    w = int(m[_H + slot])
    if (w & _LEN) != 0 and ((w ^ hd) >> 18) == 0:
        m[_H + slot] = (((w >> 18) + 1) & 0xFFF) << 18
        m[_FREE] = int(m[_FREE]) + 1
        m[_LIVE] = int(m[_LIVE]) - 1
        m[_FREES] = (int(m[_FREES]) + 1) & _M30
        m[_HINT] = slot
    # END SHARED slab-give-one
    h[_QC] = int(h[_QC]) - 1
    if int(h[_N]) == 0:
        h[_QH] = 0
        h[_QT] = 0
        h[_RP] = 0
        h[_RE] = 0
        h[_WP] = 0
        h[_WE] = 0
        return
    qh += 1
    if qh == int(h[_QL]):
        qh = 0
    h[_QH] = qh
    cs = int(h[_CS])
    o = ((int(h[_HD + qh]) & _LEN) - 1) * cs
    h[_RP] = o
    h[_RE] = o + cs


def kernels(self):
    """ByteDeque's hot entry points, made per instance by ``ByteDeque._bind`` (the one
    binding site; made again whenever it binds) and called without ``self``
    (docs/design.md#per-instance-closures): ``push_back``, ``pop_front``, the unguarded
    ``writek(buf, n)``/``readk(buf, n)`` (machine-int count, n < 0: no limit) and the
    public ``write``, ``write_from``, ``readinto`` over them. Every closure captures the
    header's address >> 2 (a small int on every board) and the deque (liveness, the
    remembered buffers, cold paths); the slab's data and metadata addresses are header
    words. Each carries the slab's one-block take/give inline."""
    ha4 = addr(self._h) >> 2
    ln = len  # a cell, not a global: docs/design.md#per-instance-closures
    wl = self._wl  # the last buffer write/write_from checked (a cell: docs/design.md
    rl = self._rl  # #per-instance-closures); the guarded calls keep theirs in _wl/_rl

    @micropython.viper
    def push_back(b: int) -> bool:
        h = ptr32(int(ha4) << 2)
        w = int(h[_WP])
        if w == int(h[_WE]):  # the tail chunk is full (or there is none): a new one
            qc = int(h[_QC])
            if qc == int(h[_QL]):
                h[_DROP] = (int(h[_DROP]) + 1) & _M30
                return False
            cs = int(h[_CS])
            m = ptr32(int(h[_MA]) | (int(h[_MA + 1]) << 16 << 16))
            # BEGIN SHARED slab-take-one
            slot = int(m[_HINT])
            if int(m[_FREE]) == 0 or (int(m[_H + slot]) & _LEN) != 0 or cs > int(m[_ONE]):
                hd = int(self._s._try_alloc(cs))
            else:
                tag = int(m[_H + slot]) >> 18
                m[_H + slot] = (tag << 18) | cs
                free = int(m[_FREE]) - 1
                m[_FREE] = free
                if int(m[_SLOTS]) - free > int(m[_PEAK]):
                    m[_PEAK] = int(m[_SLOTS]) - free
                m[_LIVE] = int(m[_LIVE]) + 1
                m[_ALLOCS] = (int(m[_ALLOCS]) + 1) & _M30
                if slot + 1 < int(m[_SLOTS]):
                    m[_HINT] = slot + 1
                else:
                    m[_HINT] = 0
                hd = (tag << 18) | (slot + 1)
            # END SHARED slab-take-one
            if hd == 0:
                h[_DROP] = (int(h[_DROP]) + 1) & _M30
                return False
            t = int(h[_QT])
            h[_HD + t] = hd
            t += 1
            if t == int(h[_QL]):
                t = 0
            h[_QT] = t
            h[_QC] = qc + 1
            w = ((hd & _LEN) - 1) * cs
            if qc == 0:
                h[_RP] = w
                h[_RE] = w + cs
            h[_WE] = w + cs
        d = ptr8(int(h[_DA]) | (int(h[_DA + 1]) << 16 << 16))
        d[w] = b
        h[_WP] = w + 1
        h[_N] = int(h[_N]) + 1
        return True

    @micropython.viper
    def pop_front() -> int:
        h = ptr32(int(ha4) << 2)
        n = int(h[_N])
        if n == 0:
            alive = self  # noqa: F841 (names self: a kept pop_front keeps the deque alive)
            return -1
        r = int(h[_RP])
        d = ptr8(int(h[_DA]) | (int(h[_DA + 1]) << 16 << 16))
        v = int(d[r])
        r += 1
        n -= 1
        h[_N] = n
        h[_SC] = 0  # readline_into's scan memory no longer starts at the read position
        if n != 0 and r != int(h[_RE]):
            h[_RP] = r
            return v
        # The head chunk is done: back to the slab (as _drop).
        qh = int(h[_QH])
        hd = int(h[_HD + qh])
        h[_HD + qh] = 0
        m = ptr32(int(h[_MA]) | (int(h[_MA + 1]) << 16 << 16))
        # BEGIN SHARED slab-give-one
        slot = (hd & _LEN) - 1
        w = int(m[_H + slot])
        if (w & _LEN) != 0 and ((w ^ hd) >> 18) == 0:
            m[_H + slot] = (((w >> 18) + 1) & 0xFFF) << 18
            m[_FREE] = int(m[_FREE]) + 1
            m[_LIVE] = int(m[_LIVE]) - 1
            m[_FREES] = (int(m[_FREES]) + 1) & _M30
            m[_HINT] = slot
        # END SHARED slab-give-one
        h[_QC] = int(h[_QC]) - 1
        if n == 0:
            h[_QH] = 0
            h[_QT] = 0
            h[_RP] = 0
            h[_RE] = 0
            h[_WP] = 0
            h[_WE] = 0
            return v
        qh += 1
        if qh == int(h[_QL]):
            qh = 0
        h[_QH] = qh
        cs = int(h[_CS])
        r = ((int(h[_HD + qh]) & _LEN) - 1) * cs
        h[_RP] = r
        h[_RE] = r + cs
        return v

    @micropython.viper
    def writek(buf, n: int) -> int:
        # Append the first n bytes of buf (n < 0: all); the count queued (short when
        # the slab or the table runs out; the refused tail counted in _DROP). The
        # caller has checked buf.
        k = int(ln(buf))
        if n < 0 or n > k:
            n = k
        h = ptr32(int(ha4) << 2)
        base = int(h[_DA]) | (int(h[_DA + 1]) << 16 << 16)
        sa = int(ptr8(buf))
        s0 = sa
        w = int(h[_WP])
        i = 0
        while i < n:
            c = int(h[_WE]) - w
            if c == 0:  # the tail chunk is full (or there is none): a new one
                qc = int(h[_QC])
                if qc == int(h[_QL]):
                    break
                cs = int(h[_CS])
                m = ptr32(int(h[_MA]) | (int(h[_MA + 1]) << 16 << 16))
                # BEGIN SHARED slab-take-one
                slot = int(m[_HINT])
                if int(m[_FREE]) == 0 or (int(m[_H + slot]) & _LEN) != 0 or cs > int(m[_ONE]):
                    hd = int(self._s._try_alloc(cs))
                else:
                    tag = int(m[_H + slot]) >> 18
                    m[_H + slot] = (tag << 18) | cs
                    free = int(m[_FREE]) - 1
                    m[_FREE] = free
                    if int(m[_SLOTS]) - free > int(m[_PEAK]):
                        m[_PEAK] = int(m[_SLOTS]) - free
                    m[_LIVE] = int(m[_LIVE]) + 1
                    m[_ALLOCS] = (int(m[_ALLOCS]) + 1) & _M30
                    if slot + 1 < int(m[_SLOTS]):
                        m[_HINT] = slot + 1
                    else:
                        m[_HINT] = 0
                    hd = (tag << 18) | (slot + 1)
                # END SHARED slab-take-one
                if hd == 0:
                    break
                t = int(h[_QT])
                h[_HD + t] = hd
                t += 1
                if t == int(h[_QL]):
                    t = 0
                h[_QT] = t
                h[_QC] = qc + 1
                w = ((hd & _LEN) - 1) * cs
                if qc == 0:
                    h[_RP] = w
                    h[_RE] = w + cs
                h[_WE] = w + cs
                h[_WP] = w
                continue
            if c > n - i:
                c = n - i
            i += c
            da = base + w
            w += c
            if c >= 16 and (da ^ sa) & 3:  # no common word alignment: the copy function
                self._mcopy(self._d, da - base, buf, sa - s0, c)
                sa += c
                c = 0
            # BEGIN SHARED copy_aligned
            # Copy c bytes from address sa to address da (same address mod 4 when
            # c >= 16); advances both (docs/design.md#copy-words).
            if c >= 16:
                while da & 3:
                    ptr8(da)[0] = ptr8(sa)[0]
                    da += 1
                    sa += 1
                    c -= 1
                e = da + (c & -16)
                while da < e:
                    dw = ptr32(da)
                    sw = ptr32(sa)
                    dw[0] = sw[0]
                    dw[1] = sw[1]
                    dw[2] = sw[2]
                    dw[3] = sw[3]
                    da += 16
                    sa += 16
                c &= 15
            d = ptr8(da)
            s = ptr8(sa)
            j = 0
            while j < c:
                d[j] = s[j]
                j += 1
            da += c
            sa += c
            # END SHARED copy_aligned
            h[_WP] = w
        h[_N] = int(h[_N]) + i
        if i < n:  # the refused tail: counted, as ByteRing's dropped
            h[_DROP] = (int(h[_DROP]) + n - i) & _M30
        return i

    @micropython.viper
    def readk(buf, n: int) -> int:
        # Move min(n, len(buf), len(self)) bytes into buf (n < 0: no limit); the count.
        # A chunk read to its end goes back to the slab at once. The caller has
        # checked buf.
        lim = int(ln(buf))
        if n >= 0 and n < lim:
            lim = n
        h = ptr32(int(ha4) << 2)
        n = int(h[_N])
        if lim > n:
            lim = n
        if lim <= 0:
            return 0
        h[_SC] = 0
        base = int(h[_DA]) | (int(h[_DA + 1]) << 16 << 16)
        da = int(ptr8(buf))
        d0 = da
        k = 0
        while k < lim:
            r = int(h[_RP])
            if int(h[_QC]) == 1:
                c = int(h[_WP]) - r
            else:
                c = int(h[_RE]) - r
            if c > lim - k:
                c = lim - k
            k += c
            sa = base + r
            r += c
            if c >= 16 and (da ^ sa) & 3:  # no common word alignment: the copy function
                self._mcopy(buf, da - d0, self._d, sa - base, c)
                da += c
                c = 0
            # BEGIN SHARED copy_aligned
            # Copy c bytes from address sa to address da (same address mod 4 when
            # c >= 16); advances both (docs/design.md#copy-words).
            if c >= 16:
                while da & 3:
                    ptr8(da)[0] = ptr8(sa)[0]
                    da += 1
                    sa += 1
                    c -= 1
                e = da + (c & -16)
                while da < e:
                    dw = ptr32(da)
                    sw = ptr32(sa)
                    dw[0] = sw[0]
                    dw[1] = sw[1]
                    dw[2] = sw[2]
                    dw[3] = sw[3]
                    da += 16
                    sa += 16
                c &= 15
            d = ptr8(da)
            s = ptr8(sa)
            j = 0
            while j < c:
                d[j] = s[j]
                j += 1
            da += c
            sa += c
            # END SHARED copy_aligned
            n = int(h[_N]) - (r - int(h[_RP]))
            h[_N] = n
            if n != 0 and r != int(h[_RE]):
                h[_RP] = r
                continue
            # The head chunk is done: back to the slab (as pop_front).
            qh = int(h[_QH])
            hd = int(h[_HD + qh])
            h[_HD + qh] = 0
            m = ptr32(int(h[_MA]) | (int(h[_MA + 1]) << 16 << 16))
            # BEGIN SHARED slab-give-one
            slot = (hd & _LEN) - 1
            w = int(m[_H + slot])
            if (w & _LEN) != 0 and ((w ^ hd) >> 18) == 0:
                m[_H + slot] = (((w >> 18) + 1) & 0xFFF) << 18
                m[_FREE] = int(m[_FREE]) + 1
                m[_LIVE] = int(m[_LIVE]) - 1
                m[_FREES] = (int(m[_FREES]) + 1) & _M30
                m[_HINT] = slot
            # END SHARED slab-give-one
            h[_QC] = int(h[_QC]) - 1
            if n == 0:
                h[_QH] = 0
                h[_QT] = 0
                h[_RP] = 0
                h[_RE] = 0
                h[_WP] = 0
                h[_WE] = 0
            else:
                qh += 1
                if qh == int(h[_QL]):
                    qh = 0
                h[_QH] = qh
                cs = int(h[_CS])
                r = ((int(h[_HD + qh]) & _LEN) - 1) * cs
                h[_RP] = r
                h[_RE] = r + cs
        return lim

    # The public stream calls: @native (write/readinto take an optional count, which
    # viper cannot), each checking a new buffer object once (cold path) against its cell,
    # then the count (an int, below 2**30: docs/design.md#compare-as-objects).
    @micropython.native
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

    @micropython.native
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

    @micropython.native
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


@micropython.viper
def clear(self):
    # Every chunk back to the slab, oldest first; all positions reset.
    h = ptr32(int(self._a))
    qh = int(h[_QH])
    qc = int(h[_QC])
    m = ptr32(int(h[_MA]) | (int(h[_MA + 1]) << 16 << 16))
    while qc > 0:
        hd = int(h[_HD + qh])
        h[_HD + qh] = 0
        # BEGIN SHARED slab-give-one
        slot = (hd & _LEN) - 1
        w = int(m[_H + slot])
        if (w & _LEN) != 0 and ((w ^ hd) >> 18) == 0:
            m[_H + slot] = (((w >> 18) + 1) & 0xFFF) << 18
            m[_FREE] = int(m[_FREE]) + 1
            m[_LIVE] = int(m[_LIVE]) - 1
            m[_FREES] = (int(m[_FREES]) + 1) & _M30
            m[_HINT] = slot
        # END SHARED slab-give-one

        qh += 1
        if qh == int(h[_QL]):
            qh = 0
        qc -= 1
        h[_QC] = qc
    h[_N] = 0
    h[_SC] = 0
    h[_QH] = 0
    h[_QT] = 0
    h[_RP] = 0
    h[_RE] = 0
    h[_WP] = 0
    h[_WE] = 0


def _appender(self, ha4, ln, strict):
    # ByteBuffer's append closure (``buffer_kernels`` makes two: strict for write, not
    # for try_write): all of buf (returns its length) or nothing (-1; strict: AllocError
    # through self._full). The chunks are taken first and given back when the slab runs
    # out. 4 cells + 1 argument (docs/design.md#closures-without-self).

    @micropython.viper
    def append(buf) -> int:
        if buf is not self._wl:
            self._wchk(buf)  # a new buffer object: check its type once (cold path)
        n = int(ln(buf))
        h = ptr32(int(ha4) << 2)
        w = int(h[_WP])
        ci = int(h[_QC])  # table slot of the next chunk to fill once the current one is full
        if n > int(h[_WE]) - w:
            cs = int(h[_CS])
            need = (n - int(h[_WE]) + w + cs - 1) // cs
            if ci + need > int(h[_QL]):
                if strict:
                    self._full(buf)  # AllocError (cold path)
                return -1
            m = ptr32(int(h[_MA]) | (int(h[_MA + 1]) << 16 << 16))
            k = 0
            while k < need:
                # BEGIN SHARED slab-take-one
                slot = int(m[_HINT])
                if int(m[_FREE]) == 0 or (int(m[_H + slot]) & _LEN) != 0 or cs > int(m[_ONE]):
                    hd = int(self._s._try_alloc(cs))
                else:
                    tag = int(m[_H + slot]) >> 18
                    m[_H + slot] = (tag << 18) | cs
                    free = int(m[_FREE]) - 1
                    m[_FREE] = free
                    if int(m[_SLOTS]) - free > int(m[_PEAK]):
                        m[_PEAK] = int(m[_SLOTS]) - free
                    m[_LIVE] = int(m[_LIVE]) + 1
                    m[_ALLOCS] = (int(m[_ALLOCS]) + 1) & _M30
                    if slot + 1 < int(m[_SLOTS]):
                        m[_HINT] = slot + 1
                    else:
                        m[_HINT] = 0
                    hd = (tag << 18) | (slot + 1)
                # END SHARED slab-take-one
                if hd == 0:
                    self._k._unreserve(self, ci, k)  # nothing appended, nothing kept
                    if strict:
                        self._full(buf)
                    return -1
                h[_HD + ci + k] = hd
                k += 1
            h[_QC] = ci + need
            h[_QT] = ci + need
        base = int(h[_DA]) | (int(h[_DA + 1]) << 16 << 16)
        sa = int(ptr8(buf))
        s0 = sa
        i = 0
        while i < n:
            c = int(h[_WE]) - w
            if c == 0:  # into the next reserved chunk
                cs = int(h[_CS])
                w = ((int(h[_HD + ci]) & _LEN) - 1) * cs
                ci += 1
                h[_WE] = w + cs
                c = cs
            if c > n - i:
                c = n - i
            i += c
            da = base + w
            w += c
            if c >= 16 and (da ^ sa) & 3:  # no common word alignment: the copy function
                self._mcopy(self._d, da - base, buf, sa - s0, c)
                sa += c
                c = 0
            # BEGIN SHARED copy_aligned
            # Copy c bytes from address sa to address da (same address mod 4 when
            # c >= 16); advances both (docs/design.md#copy-words).
            if c >= 16:
                while da & 3:
                    ptr8(da)[0] = ptr8(sa)[0]
                    da += 1
                    sa += 1
                    c -= 1
                e = da + (c & -16)
                while da < e:
                    dw = ptr32(da)
                    sw = ptr32(sa)
                    dw[0] = sw[0]
                    dw[1] = sw[1]
                    dw[2] = sw[2]
                    dw[3] = sw[3]
                    da += 16
                    sa += 16
                c &= 15
            d = ptr8(da)
            s = ptr8(sa)
            j = 0
            while j < c:
                d[j] = s[j]
                j += 1
            da += c
            sa += c
            # END SHARED copy_aligned
        h[_WP] = w
        h[_N] = int(h[_N]) + n
        return n

    return append


def buffer_kernels(self):
    """ByteBuffer's ``write``, ``try_write`` and the unguarded non-raising append,
    made per instance by the ByteBuffer constructor (the one binding site) and called
    without ``self``: docs/design.md#per-instance-closures."""
    ha4 = addr(self._h) >> 2
    write = _appender(self, ha4, len, True)
    appendk = _appender(self, ha4, len, False)

    @micropython.viper
    def try_write(buf) -> bool:
        return int(appendk(buf)) >= 0

    return write, try_write, appendk


# ---- ByteDeque consumer side: scan, peek, skip, lines (API second wave) ------------------


@micropython.viper
def _scan(self, byte: int, i: int, stop: int) -> int:
    # Offset (from the read position) of the first ``byte`` among the held bytes
    # i..stop-1 (caller keeps stop <= len), or -1. Chunks before i are stepped over
    # (O(1) each); O(stop - i) compares.
    if i >= stop:
        return -1
    h = ptr32(int(self._a))
    d = ptr8(self._d)
    qc = int(h[_QC])
    q = int(h[_QH])
    cs = int(h[_RP])  # chunk data: cs..ce-1 in the slab data
    if qc == 1:
        ce = int(h[_WP])
    else:
        ce = int(h[_RE])
    pos = 0  # offset of cs from the read position
    j = 1  # chunks reached
    while True:
        if i < pos + ce - cs:
            p = cs + i - pos
            e = cs + stop - pos
            if e > ce:
                e = ce
            while p < e:
                if d[p] == byte:
                    return pos + p - cs
                p += 1
            i = pos + ce - cs
            if i >= stop:
                return -1
        pos += ce - cs
        q += 1
        if q == int(h[_QL]):
            q = 0
        cs = ((int(h[_HD + q]) & _LEN) - 1) * int(h[_CS])
        j += 1
        if j == qc:
            ce = int(h[_WP])
        else:
            ce = cs + int(h[_CS])


@micropython.viper
def _find(self, byte: int, start: int) -> int:
    if byte < 0 or byte > 255 or start < 0:
        self._bad(0, byte, start)  # ValueError (cold path)
    h = ptr32(int(self._a))
    return int(_scan(self, byte, start, int(h[_N])))


@micropython.viper
def _peek(self, buf, off: int) -> int:
    if buf is not self._rl:
        self._rchk(buf)  # a new buffer object: check its type once (cold path)
    if off < 0:
        self._bad(2, off, 0)  # ValueError (cold path)
    h = ptr32(int(self._a))
    k = int(h[_N]) - off
    m = int(_len(buf))
    if k > m:
        k = m
    if k <= 0:
        return 0
    qc = int(h[_QC])
    q = int(h[_QH])
    cs = int(h[_RP])
    if qc == 1:
        ce = int(h[_WP])
    else:
        ce = int(h[_RE])
    j = 1
    i = 0  # bytes copied
    while True:
        c = ce - cs
        if off < c:
            c -= off
            if c > k - i:
                c = k - i
            _mcopy(buf, i, self._d, cs + off, c)
            i += c
            if i >= k:
                return k
            off = 0
        else:
            off -= c
        q += 1
        if q == int(h[_QL]):
            q = 0
        cs = ((int(h[_HD + q]) & _LEN) - 1) * int(h[_CS])
        j += 1
        if j == qc:
            ce = int(h[_WP])
        else:
            ce = cs + int(h[_CS])


@micropython.viper
def skip(self, nobj) -> int:
    n = int(nobj)  # TypeError for a float or None
    if nobj > _BIG:  # docs/design.md#compare-as-objects
        n = 0x3FFFFFFF
    if nobj < _N1:
        return 0
    h = ptr32(int(self._a))
    k = int(h[_N])
    if n < k:
        k = n
    if k <= 0:
        return 0
    s = int(h[_SC])
    c = (s >> 8) - k  # bytes of readline_into's scan still ahead of the new position
    if c > 0:
        h[_SC] = (c << 8) | (s & 255)
    else:
        h[_SC] = 0
    left = k
    while left > 0:
        r = int(h[_RP])
        if int(h[_QC]) == 1:
            c = int(h[_WP]) - r
        else:
            c = int(h[_RE]) - r
        if c > left:
            c = left
        left -= c
        r += c
        h[_N] = int(h[_N]) - c
        if int(h[_N]) == 0 or r == int(h[_RE]):
            _drop(self)  # the head chunk back to the slab
        else:
            h[_RP] = r
    return k


@micropython.viper
def _line(self, buf, delim: int) -> int:
    if buf is not self._rl:
        self._rchk(buf)  # a new buffer object: check its type once (cold path)
    m = int(_len(buf))
    if m == 0 or delim < 0 or delim > 255:
        self._bad(1, m, delim)  # ValueError (cold path)
    h = ptr32(int(self._a))
    n = int(h[_N])
    lim = n
    if lim > m:
        lim = m
    i = 0
    s = int(h[_SC])
    if (s & 255) == delim:
        i = s >> 8  # already known to hold no delim: scan on from there
        if i > lim:
            i = lim
    i = int(_scan(self, delim, i, lim))
    if i >= 0:
        return int(self._readk(buf, i + 1))
    if n >= m:  # no delim in the first len(buf) bytes: the line goes on
        self._readk(buf, m)
        return 0 - m
    if lim > _SCAP:
        lim = _SCAP
    h[_SC] = (lim << 8) | delim
    return 0


# Consumer-side entry points with optional arguments: viper functions take a fixed
# number of arguments, so these are small plain-Python functions (one call layer;
# bytecode costs a quarter of the RAM native code would: docs/design.md#ram-per-kernel).


def find(self, byte, start=0):
    if byte < 0 or byte > 255 or start < 0:  # docs/design.md#compare-as-objects
        self._bad(0, byte, start)
    if start > _BIG:
        start = _BIG
    return _find(self, byte, start)


def peek_into(self, buf, offset=0):
    if offset < 0:  # docs/design.md#compare-as-objects
        self._bad(2, offset, 0)
    if offset > _BIG:
        offset = _BIG
    return _peek(self, buf, offset)


def readline_into(self, buf, delim=10):
    if delim < 0 or delim > 255:  # docs/design.md#compare-as-objects
        self._bad(1, _len(buf), delim)
    return _line(self, buf, delim)
