"""Cold paths of ``mpalloc.slab`` (internal): error messages, ``stats``, ``dump`` and
``repr``. Serves only ``slab``, which imports each name inside the function that needs
it (``from mpalloc._slab_cold import name``), so a program that only allocates and
frees never holds this code in RAM. Never imports ``mpalloc.slab`` (the Slab comes in as
an argument).
"""

from mpalloc.errors import AllocError, StaleHandleError

# Header words of Slab._m (slab.py; docs/bytebuf.md#the-slab-bytebuf-contract).
_FREE = 1  # layout slab
_LIVE = 2  # layout slab
_ALLOCS = 3  # layout slab
_FREES = 4  # layout slab
_FAILS = 5  # layout slab
_PEAK = 6  # layout slab
_H = 10  # layout slab
_LEN = 0x3FFFF  # layout slab
_HLIMIT = 0x40000000  # layout slab
MAX_SLOTS = 0x3FFFF  # layout slab: slab.MAX_SLOTS (this module never imports slab)
MAX_ALLOC = 0x3FFFF  # layout slab: slab.MAX_ALLOC


def bad_args(size, slots):
    if type(size) is not int or type(slots) is not int:
        raise TypeError("Slab(size, slots): ints required, got %s and %s"
                        % (type(size).__name__, type(slots).__name__))
    if size < 1 or size >= _HLIMIT:
        raise ValueError("Slab size %d out of range: use 1 <= size < %d"
                         % (size, _HLIMIT))
    if slots < 1 or slots > MAX_SLOTS:
        raise ValueError("Slab slots %d out of range: use 1 <= slots <= %d"
                         % (slots, MAX_SLOTS))
    raise ValueError("Slab slots %d > size %d leaves 0-byte blocks: use at most "
                     "%d slots or a larger size" % (slots, size, size))


def alloc_fail(self, n):
    if type(n) is not int:
        raise TypeError("Slab.alloc(n): n must be an int, got %s" % type(n).__name__)
    if n < 1:
        raise ValueError("Slab.alloc(%d): n must be >= 1" % n)
    if n > MAX_ALLOC:
        raise ValueError("Slab.alloc(%d): one allocation holds at most %d bytes; "
                         "split the data" % (n, MAX_ALLOC))
    bs = self.block_size
    need = (n + bs - 1) // bs
    free = self._m[_FREE]
    run = self._k._find(self._m, 0)
    if need > self.slots:
        raise AllocError("Slab.alloc(%d): needs %d blocks of %d bytes but the slab has "
                         "%d blocks (%d bytes); %d blocks free, largest free run %d; "
                         "use a larger slab or split the data"
                         % (n, need, bs, self.slots, self.slots * bs, free, run))
    raise AllocError("Slab.alloc(%d): needs %d contiguous blocks of %d bytes; %d of %d "
                     "blocks free, largest free run %d; free some handles or use a "
                     "larger slab" % (n, need, bs, free, self.slots, run))


def free_fail(self, h):
    if type(h) is not int:
        raise TypeError("Slab.free(h): h must be an int handle, got %s"
                        % type(h).__name__)
    raise StaleHandleError(_why(self, h))


def _why(self, h):
    if h <= 0 or h >= _HLIMIT:
        return ("handle %d is not a slab handle (handles are 0 < h < %d); "
                "pass the value alloc returned" % (h, _HLIMIT))
    slot = (h & _LEN) - 1
    tag = h >> 18
    if slot < 0 or slot >= self.slots:
        return ("handle %d names slot %d but the slab has %d slots: forged or from "
                "another slab" % (h, slot, self.slots))
    w = self._m[_H + slot]
    if w & _LEN == 0:
        return ("handle %d (slot %d, generation tag %d): slot is free: double free, "
                "or a stale/foreign handle" % (h, slot, tag))
    return ("handle %d (slot %d, generation tag %d): slot now holds tag %d: stale "
            "(freed and reused) or from another slab" % (h, slot, tag, w >> 18))


def bad_buf(name, buf):
    if name == "write":
        raise TypeError("Slab.write: buf must be bytes, bytearray, memoryview or "
                        "array, got %s" % type(buf).__name__)
    raise TypeError("Slab.readinto: buf must be a bytearray, writable memoryview "
                    "or array, got %s" % type(buf).__name__)


def stats(self):
    m = self._m
    return {
        "unit": "blocks",
        "capacity": self.slots,
        "in_use": self.slots - m[_FREE],
        "free": m[_FREE],
        "peak": m[_PEAK],
        "allocs": m[_ALLOCS],
        "frees": m[_FREES],
        "failures": m[_FAILS],
        "live": m[_LIVE],
        "block_size": self.block_size,
        "largest_free_run": self._k._find(self._m, 0),
    }


def _blocks(self):
    # Per-block state for a memory map, walked forward (no per-block array): a
    # function i -> '#' (first block of an allocation), '=' (rest of its run), '.'.
    m = self._m
    bs = self.block_size
    st = [0, -1]  # next head to look at, end of the current run

    def cell(i):
        while st[0] <= i:
            w = m[_H + st[0]] & _LEN
            if w:
                st[1] = st[0] + (w + bs - 1) // bs
                if st[0] == i:
                    st[0] = st[1]
                    return "#"
                st[0] = st[1]
            else:
                st[0] += 1
        return "=" if i < st[1] else "."

    return cell


def dump(self, stream):
    from mpalloc import observe

    out = observe._out(stream)
    m = self._m
    n = self.slots
    bs = self.block_size
    out.write("Slab: %d blocks of %d bytes, %d live allocations in %d blocks, peak %d, "
              "allocs %d, frees %d, failures %d\n" % (
                  n, bs, m[_LIVE], n - m[_FREE], m[_PEAK], m[_ALLOCS], m[_FREES],
                  m[_FAILS]))
    observe._cells(out, n, _blocks(self), "block")
    shown = 0
    s = 0
    while s < n:
        w = m[_H + s]
        ln = w & _LEN
        if not ln:
            s += 1
            continue
        k = (ln + bs - 1) // bs
        if shown < observe.MAX_LINES:
            out.write("  live: slot %d, generation %d, %d bytes in %d block%s\n" % (
                s, ((w >> 18) - self._salt) & 0xFFF, ln, k, "s" if k > 1 else ""))
        shown += 1
        s += k
    observe._more(out, observe.MAX_LINES, shown)
    observe._runs(out, n, _blocks_free(self), "blocks")


def _blocks_free(self):
    cell = _blocks(self)

    def free(i):
        return cell(i) == "."

    return free


def rep(self):
    m = self._m
    return "<Slab %d x %d bytes, %d live, %d blocks free, kernel %s>" % (
        self.slots, self.block_size, m[_LIVE], m[_FREE], self.KERNEL)
