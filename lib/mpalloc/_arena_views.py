"""Typed views of ``mpalloc.arena`` (internal): ``Arena.alloc_struct``/``alloc_array``
and ``Layout``'s work, imported on first use so arenas without typed views do not pay
its RAM. ``uctypes`` on MicroPython, ``memoryview.cast`` on CPython, struct-based
accessors elsewhere.
"""

try:
    import uctypes as _uct
except ImportError:  # CPython and ports without uctypes: memoryview.cast or struct
    _uct = None

# typecode -> (bytes, uctypes type name); standard sizes, little-endian.
_TYPES = {"b": (1, "INT8"), "B": (1, "UINT8"), "h": (2, "INT16"), "H": (2, "UINT16"),
          "i": (4, "INT32"), "I": (4, "UINT32"), "q": (8, "INT64"), "Q": (8, "UINT64"),
          "f": (4, "FLOAT32"), "d": (8, "FLOAT64")}


def alloc_struct(a, layout):
    """Arena.alloc_struct: a record view of a new ``layout.size`` bytes."""
    p = a._off(layout.size, layout.align)
    if _uct is not None:
        return _uct.struct(_uct.addressof(a.buf) + p, layout.desc(), _uct.LITTLE_ENDIAN)
    return _PackedStruct(a.buf, p, layout)


def alloc_array(a, typecode, n):
    """Arena.alloc_array: a typed view of ``n`` new items."""
    t = _TYPES.get(typecode)
    if t is None:
        raise ValueError("Arena.alloc_array(%r, %d): typecode must be one of %s"
                         % (typecode, n, "".join(_TYPES)))
    size = t[0]
    if type(n) is not int or n < 0:
        raise ValueError("Arena.alloc_array(%r, %r): n must be an int >= 0"
                         % (typecode, n))
    p = a._off(n * size, size)
    if _uct is not None:
        return _uct.struct(_uct.addressof(a.buf) + p,
                           (_uct.ARRAY | 0, getattr(_uct, t[1]) | n), _uct.NATIVE)
    if hasattr(a._mv, "cast"):
        return a._mv[p:p + n * size].cast(typecode)
    return _PackedArray(a.buf, p, "<" + typecode, size, n)


def layout(lay, fields):
    """Layout.__init__: offsets, size and alignment of the packed fields."""
    off = 0
    align = 1
    lay.fields = {}
    lay._spec = []
    for name, code in fields:
        count = int(code[:-1]) if len(code) > 1 else 0
        t = _TYPES.get(code[-1])
        if t is None or count < 0:
            raise ValueError("Layout field %r: code %r must be [count]one of %s"
                             % (name, code, "".join(_TYPES)))
        lay.fields[name] = (off, "<" + code[-1], count)
        lay._spec.append((name, off, t[1], count))
        off += t[0] * (count or 1)
        if t[0] > align:
            align = t[0]
    lay.size = off
    lay.align = align
    lay._desc = None


def desc(lay):
    """Layout.desc: build (once) and keep the uctypes descriptor dict."""
    d = {}
    for name, off, tname, count in lay._spec:
        t = getattr(_uct, tname)
        d[name] = (_uct.ARRAY | off, t | count) if count else t | off
    lay._desc = d
    return d


try:
    from struct import pack_into as _pack_into
    from struct import unpack_from as _unpack_from
except ImportError:  # pragma: no cover - every target port has struct
    _pack_into = _unpack_from = None


class _PackedArray:
    """Indexable typed access via struct (where neither uctypes nor memoryview.cast
    exist). Each read allocates the unpacked tuple."""

    def __init__(self, buf, off, fmt, size, n):
        self._b = buf
        self._o = off
        self._f = fmt
        self._s = size
        self._n = n

    def __len__(self):
        return self._n

    def _at(self, i):
        if i < 0:
            i += self._n
        if i < 0 or i >= self._n:
            raise IndexError("index %d out of range for %d items" % (i, self._n))
        return self._o + i * self._s

    def __getitem__(self, i):
        return _unpack_from(self._f, self._b, self._at(i))[0]

    def __setitem__(self, i, v):
        _pack_into(self._f, self._b, self._at(i), v)


class _PackedStruct:
    """Attribute access to a Layout record via struct (where uctypes is missing)."""

    def __init__(self, buf, off, layout):
        object.__setattr__(self, "_s", (buf, off, layout))

    def _field(self, name):
        f = self._s[2].fields.get(name)
        if f is None:
            raise AttributeError("record has no field %r" % name)
        return f

    def __getattr__(self, name):
        o, fmt, count = self._field(name)
        buf, off = self._s[0], self._s[1]
        if count:
            return _PackedArray(buf, off + o, fmt, _TYPES[fmt[1]][0], count)
        return _unpack_from(fmt, buf, off + o)[0]

    def __setattr__(self, name, v):
        o, fmt, count = self._field(name)
        if count:
            raise AttributeError("array field %r: assign its items" % name)
        _pack_into(fmt, self._s[0], self._s[1] + o, v)
