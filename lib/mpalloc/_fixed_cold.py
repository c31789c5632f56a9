"""Cold code of ``mpalloc.fixed``: error messages, repr, the ``_with_kernel`` hook.

Imported on first use (an error, repr, ``_with_kernel``); nothing here runs on a
no-alloc or IRQ-safe path, nor on construction without errors.
"""

from mpalloc.errors import CapacityError


def cap(cls, capacity, max_capacity):
    if not isinstance(capacity, int) or isinstance(capacity, bool):
        raise TypeError("%s capacity must be an int, got %s; e.g. %s(32)"
                        % (cls, type(capacity).__name__, cls))
    if capacity < 1 or capacity > max_capacity:
        # 0 is refused as by every mpalloc allocator (ByteRing, Slab, BlockPool, ...):
        # a container that can hold nothing is almost always a computed size gone wrong.
        raise ValueError("%s capacity must be 1..%d, got %d: size it for the most items "
                         "it must hold" % (cls, max_capacity, capacity))


def bad_typecode(typecode):
    raise ValueError("FixedVec typecode must be None or an array typecode such as 'B', "
                     "'h', 'i', 'f'; got %r" % (typecode,))


def v_fail(self, code, x):
    # Raise FixedVec error ``code`` (1 full, 2 empty, 3 out of range, 4 bad index x,
    # 5 extend by x items, 6 x not found, 7 x not an int index); the vec is unchanged.
    n = self._h[0]
    if code == 1:
        raise CapacityError("FixedVec full: %d of %d slots in use, cannot append; "
                            "pop or clear first, or create a bigger FixedVec"
                            % (n, self.capacity))
    if code == 2:
        raise IndexError("pop from an empty FixedVec (capacity %d)" % self.capacity)
    if code == 4:
        raise IndexError("FixedVec index %r out of range for length %d (capacity %d)"
                         % (x, n, self.capacity))
    if code == 5:
        raise CapacityError("FixedVec.extend of %d items does not fit: %d of %d slots "
                            "in use; nothing appended" % (x, n, self.capacity))
    if code == 6:
        raise ValueError("%r not in FixedVec (%d items)" % (x, n))
    if code == 7:
        raise TypeError("FixedVec.insert index must be an int, not %s (%r); FixedVec "
                        "unchanged (%d items)" % (type(x).__name__, x, n))
    if type(x) is not int and type(x) is not bool:  # a float compared out of range
        raise TypeError("FixedVec of typecode %r stores ints, not %s (%r); FixedVec "
                        "unchanged" % (self.typecode, type(x).__name__, x))
    raise OverflowError("%r out of range %d..%d for typecode %r; FixedVec unchanged "
                        "(%d of %d slots in use)"
                        % (x, self._lo, self._hi, self.typecode, n, self.capacity))


def v_repr(self):
    return "FixedVec(%r, capacity=%d, typecode=%r)" % (
        [self._d[i] for i in range(self._h[0])], self.capacity, self.typecode)


def s_full(self, k, whole):
    if whole:
        raise CapacityError("Format result of %d bytes does not fit in FixedStr(%d); "
                            "old text (%d bytes) kept; use a bigger FixedStr"
                            % (k, self.capacity, self._h[0]))
    raise CapacityError("FixedStr full: %d more bytes needed, %d of %d in use; "
                        "nothing appended (clear() or a bigger FixedStr)"
                        % (k, self._h[0], self.capacity))


def s_repr(self):
    return "FixedStr(%r, capacity=%d)" % (str(self), self.capacity)


def f_repr(self):
    return "Format(%d fields, %d program bytes)" % (len(self._v), len(self._p))


def f_bad(spec, i, what):
    if what is None:
        raise TypeError("Format spec must be a str, got %s" % type(spec).__name__)
    raise ValueError("Format: %s at position %d in %r; fields are {} and {.N} (N = 0..9), "
                     "'{{' and '}}' are literal braces" % (what, i, spec))


def f_value(fmt, i, v):
    if type(v) is not int:
        raise TypeError("Format.set(%r, %r): values are ints (fixed point for decimals: "
                        "{.1} of 235 is 23.5), got %s" % (i, v, type(v).__name__))
    raise OverflowError("Format.set(%r, %d): values are 32-bit, -%d..%d; scale it down "
                        "(fewer decimals) or clamp it" % (i, v, 0x7FFFFFFF, 0x7FFFFFFF))


def with_kernel(vec, fstr, kmod, str_ns):
    # (FixedVec, FixedStr) subclasses of ``vec``/``fstr`` on kernel module ``kmod``;
    # ``str_ns``: FixedStr's kernel functions (fixed._str_kernel).
    return (type("FixedVec_" + kmod.NAME, (vec,), {"_kernel": kmod}),
            type("FixedStr_" + kmod.NAME, (fstr,), str_ns))
