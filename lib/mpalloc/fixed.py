"""Fixed-capacity containers: FixedVec (objects or packed values) and FixedStr (utf-8).

    from mpalloc.fixed import FixedVec, FixedStr

    v = FixedVec(32, "h")         # 32 packed int16 slots, allocated once
    v.append(-5); v.pop()         # no allocation; CapacityError when full

    line = FixedStr(24)           # 24 utf-8 bytes, allocated once
    line.clear(); line.push_str("T="); line.format_into(235, 1); line.push_str("C\\n")
    uart.write(line.as_bytes())   # "T=23.5C\\n", no garbage while building

    fmt = Format("T={.1}C N={}")  # compiled once; fmt.values = array('i', [0, 0])
    fmt.values[0] = 235; fmt.values[1] = 7
    line.render(fmt)              # replaces the text in one kernel call: "T=23.5C N=7"

``KERNEL`` names the kernel in use: ``"viper"`` (``_fixed_viper``) or ``"py"``.
Internal hook for tests and tools/bench: ``_with_kernel(kmod)`` returns
(FixedVec, FixedStr) subclasses running on kernel module ``kmod``.
"""

import sys

try:
    from mpalloc import _fixed_viper as _k
except (SyntaxError, ImportError, ValueError):
    from mpalloc import _fixed_py as _k
from array import array as _array

# Cold code (error messages, repr, _with_kernel) lives in _fixed_cold, imported on
# first use; the pure kernel is imported only by a vec that needs its closures.

KERNEL = _k.NAME

MAX_CAPACITY = 1 << 29
"""Largest capacity accepted: every index stays below 2**30 (a small int)."""

_WORD = 64 if sys.maxsize > (1 << 32) else 32
_INTS = "bBhHiIlLqQ"


def _cap(cls, capacity):
    if (not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 1
            or capacity > MAX_CAPACITY):
        from mpalloc._fixed_cold import cap

        cap(cls, capacity, MAX_CAPACITY)


class FixedVec:
    """A vector of at most ``capacity`` items in storage allocated once.

    ``typecode=None`` keeps objects in a preallocated list; an ``array``
    typecode ('b', 'B', 'h', 'H', 'i', 'I', 'f', ...) keeps packed values.
    Int values are checked against the typecode's range (OverflowError) except
    the unsigned 4/8-byte codes, which MicroPython truncates like ``array``.

    ``append``/``try_append``/``pop`` are per-instance functions (no method
    lookup on the class): O(1), no allocation for small ints (float reads box
    a float: they allocate unless the port uses object representation C/D).
    ``try_append`` is IRQ-safe (False when full); ``append`` raises
    CapacityError, ``pop`` IndexError when empty. Bad values raise
    TypeError/OverflowError; the vec is unchanged after any error.
    Iteration runs a generator (allocates once per loop); the no-alloc idiom
    is ``for i in range(len(v)): v[i]``.
    """

    def __init__(self, capacity, typecode=None):
        """Allocate ``capacity`` slots (objects, or packed ``typecode`` values)."""
        _cap("FixedVec", capacity)
        self.capacity = capacity
        self.typecode = typecode
        # Header, one word each; 0 and 1 mean the same in both kernels:
        #   0 n         items stored: written by append/try_append/pop and the methods
        #               below (never in between their reads and their write)
        #   1 capacity  set here, never changed
        #   2..6        the kernel's own, set once by its vec_ops:
        #               _fixed_viper: 2 item size (1, 2, 4), 3 range check on (1) or off,
        #                 4 shift that sign-extends a loaded item, 5 offset from the
        #                 header to the items, 6 shift that sign-extends word 5 (32 on
        #                 64-bit builds, else 0)
        #               _fixed_py: 2 lo, 3 hi (the accepted range, when it is checked)
        self._h = h = _array("i", (0, capacity, 0, 0, 0, 0, 0))
        lo, hi, sx = 1, 0, 0
        if typecode is None:
            size = 0
            self._d = d = [None] * capacity
        else:
            try:
                if type(typecode) is not str or len(typecode) != 1:
                    raise TypeError  # 'BB': MicroPython's array would take the first letter
                d = _array(typecode, (0,))
            except (ValueError, TypeError):
                from mpalloc._fixed_cold import bad_typecode

                bad_typecode(typecode)
            size = len(bytearray(d))
            if typecode in _INTS:
                bits = 8 * size
                if typecode in "bhilq":
                    lo, hi, sx = -(1 << (bits - 1)), (1 << (bits - 1)) - 1, _WORD - bits
                else:
                    lo, hi = 0, (1 << bits) - 1
                if size >= 4:  # truncated like MicroPython's array (CPython raises)
                    lo, hi = 1, 0
            else:
                size = -1
            self._d = d = _array(typecode, bytes(len(bytearray(d)) * capacity))
        self._lo, self._hi = lo, hi
        fail = self._fail
        ops = self._kernel.vec_ops(d, h, size, lo, hi, sx, fail)
        if ops is None:
            from mpalloc import _fixed_py  # object/float vecs: loaded on first use

            ops = _fixed_py.vec_ops(d, h, size, lo, hi, sx, fail)
        elif size == 4 and typecode in "IL" and _WORD == 32:
            # A viper int is a signed 32-bit word on this board: its pop would return
            # 2**31 and above as negative. The pure pop reads the array (which makes an
            # int >= 2**30 a big int anyway); append/try_append stay native.
            from mpalloc import _fixed_py

            ops = (ops[0], ops[1], _fixed_py.vec_ops(d, h, size, lo, hi, sx, fail)[2])
        self.append, self.try_append, self.pop = ops

    _kernel = _k

    def _fail(self, code, x):
        # Cold path of append/pop (and of the methods below): raise (allocates).
        from mpalloc._fixed_cold import v_fail

        v_fail(self, code, x)

    def _idx(self, i):
        n = self._h[0]
        j = i + n if i < 0 else i
        if j < 0 or j >= n:
            self._fail(4, i)
        return j

    def __len__(self):
        """Items stored. O(1), no allocation, IRQ-safe."""
        return self._h[0]

    def __getitem__(self, i):
        """Item ``i`` (negative counts from the end); IndexError out of range.

        O(1), no allocation for objects and small ints (floats box).
        """
        n = self._h[0]
        if i < 0:
            i += n
            if i < 0:
                return self._d[self._idx(i - n)]
        elif i >= n:
            self._idx(i)
        return self._d[i]

    def __setitem__(self, i, x):
        """Replace item ``i``; IndexError/TypeError/OverflowError leave the vec unchanged.

        O(1), no allocation for objects and small ints.
        """
        i = self._idx(i)
        if self._lo <= self._hi and (x < self._lo or x > self._hi):
            self._fail(3, x)
        self._d[i] = x

    def __iter__(self):
        # A generator: allocates once per loop; sees items appended meanwhile.
        d = self._d
        h = self._h
        i = 0
        while i < h[0]:
            yield d[i]
            i += 1

    def extend(self, items):
        """Append every item, or none: CapacityError/TypeError leave the vec unchanged.

        O(len(items)); no allocation for a list/tuple/array of small ints.
        """
        h = self._h
        n = h[0]
        k = len(items)
        if n + k > self.capacity:
            self._fail(5, k)
        ap = self.append
        try:
            if items is self:  # v.extend(v): the k items there now, not those appended
                for j in range(k):
                    ap(self._d[j])
            else:
                for x in items:
                    ap(x)
        except BaseException:
            self._trim(n)
            raise

    def _trim(self, n):
        # Set the length to n <= len; clear dropped object slots (drop references).
        h = self._h
        if self.typecode is None:
            d = self._d
            for i in range(n, h[0]):
                d[i] = None
        h[0] = n

    def insert(self, i, x):
        """Insert ``x`` before index ``i`` (clamped like list.insert).

        O(len - i), no allocation for small ints; CapacityError when full.
        """
        if type(i) is not int and type(i) is not bool:
            self._fail(7, i)  # TypeError before anything moves
        h = self._h
        n = h[0]
        if i < 0:
            i = max(i + n, 0)
        elif i > n:
            i = n
        self.append(x)  # checks capacity and value; stores at n
        d = self._d
        x = d[n]
        while n > i:
            d[n] = d[n - 1]
            n -= 1
        d[i] = x

    def remove(self, x):
        """Remove the first item equal to ``x``; ValueError if absent. O(len), no allocation."""
        d = self._d
        n = self._h[0]
        for i in range(n):
            if d[i] == x:
                while i < n - 1:
                    d[i] = d[i + 1]
                    i += 1
                self._trim(n - 1)
                return
        self._fail(6, x)

    def swap_remove(self, i):
        """Remove and return item ``i``, moving the last item into its place.

        O(1) (order not kept), no allocation for objects and small ints.
        """
        i = self._idx(i)
        d = self._d
        n = self._h[0] - 1
        x = d[i]
        d[i] = d[n]
        self._trim(n)
        return x

    def clear(self):
        """Remove every item. O(1) for typed vecs, O(len) for objects; no allocation."""
        self._trim(0)

    def is_full(self):
        """True when len == capacity. O(1), no allocation, IRQ-safe."""
        return self._h[0] >= self.capacity

    def __eq__(self, other):
        """Same length and equal items (other: FixedVec, list, tuple, array). O(len)."""
        try:
            n = len(other)
        except TypeError:
            return False
        return n == self._h[0] and _same(self._d, other, n)

    def __repr__(self):
        from mpalloc._fixed_cold import v_repr

        return v_repr(self)


class FixedStr:
    """A utf-8 string of at most ``capacity`` bytes in a bytearray allocated once.

    ``len`` and ``capacity`` count utf-8 bytes. Building a line with
    ``push_str``/``push_byte``/``format_into`` allocates nothing (with the
    viper kernel; the pure kernel encodes a ``str`` argument to a temporary,
    bytes arguments never allocate). Appends are atomic: CapacityError leaves
    the string unchanged. ``truncate``/``push_fit`` never split a character.
    """

    # _push, _fmt, _fill: the kernel's functions (class attributes set by _str_kernel
    # below, their one binding site), each returning bytes written or -(bytes needed).

    def __init__(self, capacity):
        """Allocate ``capacity`` bytes of storage."""
        _cap("FixedStr", capacity)
        self.capacity = capacity
        self._b = bytearray(capacity)
        self._h = _array("i", (0, capacity))

    def push_str(self, s):
        """Append str or bytes ``s`` whole, or raise CapacityError (nothing written).

        O(len(s)), no allocation (viper kernel; the pure kernel encodes a str to a
        temporary). TypeError for non-text.
        """
        m = self._push(s, 0)
        if m < 0:
            self._full(-m)

    append = push_str

    def push_int(self, v):
        """Append int ``v`` in decimal. Atomic (CapacityError); no allocation for small
        ints (|v| < 2**30)."""
        m = self._fmt(v, 0)
        if m < 0:
            self._full(-m)

    def push_fixed(self, v, dec):
        """Append int ``v`` as fixed point with ``dec`` decimals: (235, 1) -> "23.5",
        (-5, 2) -> "-0.05". Atomic (CapacityError); no allocation for small ints."""
        m = self._fmt(v, dec)
        if m < 0:
            self._full(-m)

    def render(self, fmt):
        """REPLACE the text with Format ``fmt`` filled from ``fmt.values``;
        CapacityError leaves the old text. O(len(result)), no allocation."""
        m = self._fill(fmt)
        if m < 0:
            self._full(-m, 1)

    def try_render(self, fmt):
        """``render`` returning False (text unchanged) instead of raising. IRQ-safe, no
        allocation."""
        return self._fill(fmt) >= 0

    def push_fit(self, s):
        """Append the longest prefix of ``s`` that fits, on a character boundary.

        Returns bytes written. O(len(s)); no allocation with the viper kernel.
        """
        return self._push(s, 1)

    def push_byte(self, b):
        """Append one byte (0..255); CapacityError when full. O(1), no allocation."""
        h = self._h
        n = h[0]
        if n >= h[1]:
            self._full(1)
        self._b[n] = b
        h[0] = n + 1

    def format_into(self, value, decimals=0):
        """``push_fixed(value, decimals)``: append an int in decimal / fixed point.

        Atomic (CapacityError); no allocation for small ints.
        """
        m = self._fmt(value, decimals)
        if m < 0:
            self._full(-m)

    def _full(self, k, whole=0):
        # Cold path of the appends and render: raise CapacityError (allocates).
        from mpalloc._fixed_cold import s_full

        s_full(self, k, whole)

    def __len__(self):
        """Bytes used. O(1), no allocation, IRQ-safe."""
        return self._h[0]

    def clear(self):
        """Empty the string. O(1), no allocation, IRQ-safe."""
        self._h[0] = 0

    def truncate(self, n):
        """Cut to at most ``n`` bytes, backing off to a character boundary. No allocation."""
        b = self._b
        if n < self._h[0]:
            while n > 0 and (b[n] & 0xC0) == 0x80:
                n -= 1
            self._h[0] = max(n, 0)

    def as_bytes(self):
        """A memoryview of the used bytes (no copy; allocates the view object)."""
        return memoryview(self._b)[:self._h[0]]

    def __str__(self):
        """The text as a str (allocates)."""
        return str(self.as_bytes(), "utf-8")

    def __repr__(self):
        from mpalloc._fixed_cold import s_repr

        return s_repr(self)

    def startswith(self, prefix):
        """True when the text starts with str/bytes ``prefix``. O(len(prefix))."""
        if isinstance(prefix, str):
            prefix = prefix.encode()
        k = len(prefix)
        return k <= self._h[0] and _same(self._b, prefix, k)

    def __eq__(self, other):
        """Equal to a FixedStr, str (compared as utf-8) or bytes-like. O(len)."""
        if isinstance(other, FixedStr):
            other = other.as_bytes()
        elif isinstance(other, str):
            other = other.encode()
        else:
            try:
                other = memoryview(other)
            except TypeError:
                return False
        n = self._h[0]
        if len(other) != n:
            return False
        return self.startswith(other)


def _same(a, b, n):
    # True when the first n items of a and b are equal. No allocation.
    for i in range(n):  # noqa: SIM110 (all(genexpr) allocates a generator)
        if a[i] != b[i]:
            return False
    return True


def _str_kernel(k):
    # FixedStr's kernel functions from kernel module ``k``, by attribute name: the one
    # binding site (the class below, and _with_kernel's subclasses).
    return {"_kernel": k, "_push": k.push, "_fmt": k.fmt, "_fill": k.fill}


for _name, _fn in _str_kernel(_k).items():
    setattr(FixedStr, _name, _fn)
del _name, _fn


class Format:
    """A format compiled once: ``FixedStr.render(fmt)`` fills it without allocating.

        fmt = Format("T={.1}C RH={}% N={}\\n")   # parsed here (allocates once)
        v = fmt.values                            # array('i', [0, 0, 0])
        v[0] = 235; v[1] = 45; v[2] = 1234
        line.render(fmt)                          # "T=23.5C RH=45% N=1234\\n"

    Fields: ``{}`` an int in decimal, ``{.N}`` an int as fixed point with N
    (0..9) decimals ({.1} of 235 is "23.5", of -5 is "-0.5"). ``{{``/``}}``
    are literal braces; other text is copied as utf-8. ``values`` holds one
    int per field, in order, within +-(2**31 - 1). Bad specs raise ValueError
    naming the position.

    ``values[i] = v`` is the fast, unchecked store: MicroPython's ``array`` keeps the
    low 32 bits of a larger int without a word (2**31 renders as -2147483648; CPython
    raises OverflowError). ``set(i, v)`` checks the range first.
    """

    def __init__(self, spec):
        """Parse ``spec`` (str) into a byte program. O(len(spec)); allocates."""
        if not isinstance(spec, str):
            _bad(spec, 0, None)
        p = bytearray(6)
        run = bytearray()  # pending literal bytes
        lit = nf = i = 0
        n = len(spec)
        while i < n:
            c = spec[i]
            if c in "{}" and spec[i + 1:i + 2] == c:
                run.append(ord(c))
                i += 2
                continue
            if c == "}":
                _bad(spec, i, "single '}'")
            if c != "{":
                run.extend(c.encode())
                i += 1
                continue
            j = spec.find("}", i)
            f = spec[i + 1:j] if j > 0 else None
            if f != "" and (f is None or len(f) != 2 or f[0] != "." or f[1] not in "0123456789"):
                _bad(spec, i, "bad field %r" % spec[i:j + 1] if j > 0 else "unclosed '{'")
            lit += _flush(p, run)
            run = bytearray()
            p.append(128 + (int(f[1]) if f else 0))
            nf += 1
            i = j + 1
        lit += _flush(p, run)
        if lit > 65535 or len(p) > 65535:
            _bad(spec, n, "%d literal bytes, %d program bytes (limit 65535)" % (lit, len(p)))
        p[4] = lit & 255
        p[5] = lit >> 8
        p[1] = _WORD - 32
        p[2] = len(p) & 255
        p[3] = len(p) >> 8
        # The program both kernels' fill runs. Bytes 0..5: 0 (unused), the shift that
        # sign-extends a value word (32 on 64-bit builds, else 0), the program's end
        # (lo, hi), the literal bytes in all (lo, hi); then ops: 1..127 = a literal run
        # of that many bytes (they follow), 128 + d = the next value with d decimals.
        self._p = p
        # One word per field, in order; fill reads this very array (never replaced).
        self._v = _array("i", bytes(4 * nf))

    @property
    def values(self):
        """The ``array('i')`` of field values (one per field): assign its items. It
        cannot be replaced (AttributeError): render reads exactly this array, whose
        length and item size the compiled program relies on."""
        return self._v

    def set(self, i, v):
        """``values[i] = v`` with a check: OverflowError outside +-(2**31 - 1) (where
        the array would silently keep 32 bits on MicroPython), TypeError for a non-int,
        IndexError for a bad field; ``values`` unchanged after an error. O(1), no
        allocation for a small int; not for IRQs (it may raise)."""
        if type(v) is not int or v > 0x7FFFFFFF or v < -0x7FFFFFFF:
            from mpalloc._fixed_cold import f_value

            f_value(self, i, v)
        self.values[i] = v

    def __repr__(self):
        from mpalloc._fixed_cold import f_repr

        return f_repr(self)


def _flush(p, run):
    # Append literal bytes ``run`` to program ``p`` as runs of <= 127; returns len(run).
    for j in range(0, len(run), 127):
        k = min(127, len(run) - j)
        p.append(k)
        p.extend(run[j:j + k])
    return len(run)


def _bad(spec, i, what):
    # Raise Format's ValueError (what: the problem) or, with what None, TypeError.
    from mpalloc._fixed_cold import f_bad

    f_bad(spec, i, what)


def _with_kernel(kmod):
    """Internal (tests, tools/bench): (FixedVec, FixedStr) subclasses on kernel ``kmod``."""
    from mpalloc._fixed_cold import with_kernel

    return with_kernel(FixedVec, FixedStr, kmod, _str_kernel(kmod))
