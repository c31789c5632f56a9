"""Cold paths of ``mpalloc.ring`` (internal): error messages, ``read``, ``repr``,
``stats``, ``dump`` and the ``_with_kernel`` test hook. ``ring`` imports each function
where it needs it (``from mpalloc._ring_cold import read``), so a program that only moves
bytes never holds this code in RAM. Serves ``ring`` only and never imports it: the class
or instance comes in as an argument.
"""

_KERNEL_METHODS = ("peek", "write_from", "any", "space", "clear", "find", "peek_into", "skip",
                   "readline_into", "_scan")


def bad_capacity(capacity, limit):
    if not isinstance(capacity, int) or isinstance(capacity, bool):
        raise TypeError("ByteRing capacity must be an int, got %s; pass the number of "
                        "bytes the queue must hold, e.g. ByteRing(256)"
                        % type(capacity).__name__)
    raise ValueError("ByteRing capacity must be 1..%d, got %d; pass the number of "
                     "bytes the queue must hold, e.g. ByteRing(256)"
                     % (limit, capacity))


def no_attribute(name):
    raise AttributeError("'ByteRing' object has no attribute '%s'" % name)


def read(self, n):
    if not isinstance(n, int):
        raise TypeError("ByteRing.read(n) needs an int, got %s; use read() for all "
                        "%d waiting bytes" % (type(n).__name__, self.any()))
    avail = self.any()
    if n < 0 or n > avail:
        n = avail
    buf = bytearray(n)
    self.readinto(buf)
    return bytes(buf)


def describe(self):
    return "<ByteRing %d/%d bytes, dropped %d, kernel %s>" % (
        self.any(), self.capacity, self.dropped, self.KERNEL)


def stats(self):
    return {"unit": "bytes", "capacity": self.capacity, "in_use": self.any(),
            "free": self.space(), "peak": None, "allocs": None, "frees": None,
            "failures": self._state()[6], "dropped": self.dropped}


def dump(self, stream):
    from mpalloc import observe

    out = observe._out(stream)
    w, r, _, size, _, _, failures = self._state()
    out.write("ByteRing: %d of %d bytes waiting, %d free, dropped %d in %d refused calls, "
              "kernel %s\n" % (self.any(), self.capacity, self.space(), self.dropped,
                               failures, self.KERNEL))

    def cell(i):  # storage byte i: waiting between r and w (wrapping)
        return "#" if (r <= i < w if r <= w else (i >= r or i < w)) else "."

    observe._cells(out, size, cell, "byte")
    out.write("  read index %d, write index %d of %d storage bytes%s\n"
              % (r, w, size, "; the waiting bytes wrap" if w < r else ""))


def bad_buffer(self, name, buf):
    try:
        n = len(buf)
    except TypeError:
        n = "no len"
    if name == "readinto":
        want = ("a writable byte buffer (bytearray, writable memoryview, array; items "
                "of one byte)")
    else:
        want = "a byte buffer (bytes, bytearray, memoryview, array; items of one byte)"
    raise TypeError("ByteRing.%s needs %s, got %s (len %s); %d bytes waiting, %d free, "
                    "ring unchanged" % (name, want, type(buf).__name__, n,
                                        self.any(), self.space()))


def bad_argument(self, what, a, b):
    # ByteRing/ByteDeque/GlobalDeque consumer calls, raised before anything changes:
    # find(byte, start), readline_into(len(buf), delim), peek_into(offset, 0), and
    # QueueReader.readexactly_into(n, limit).
    cap = getattr(self, "capacity", None)
    raise ValueError("%s.%s(%d, %d): want %s; %d bytes waiting, unchanged" % (
        type(self).__name__, ("find", "readline_into", "peek_into", "readexactly_into")[what],
        a, b, ("byte 0..255, start >= 0", "a buf, delim 0..255", "offset >= 0",
               "0 <= n <= len(buf) and n <= capacity %s" % cap)[what], len(self)))


def with_kernel(cls, kmod):
    # A subclass of ``cls`` (ByteRing) whose methods run on kernel module ``kmod``.
    ns = {"KERNEL": kmod.NAME, "__len__": kmod.any, "_init": kmod.bind,
          "_dropped": kmod.dropped, "_state": kmod.state}
    for name in _KERNEL_METHODS:
        ns[name] = getattr(kmod, name)
    return type(cls.__name__ + "_" + kmod.NAME, (cls,), ns)

