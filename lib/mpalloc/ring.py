"""Lock-free single-producer single-consumer byte ring (the UART RX queue).

    from mpalloc.ring import ByteRing

    rx = ByteRing(256)            # allocates once: storage and entry points

    def on_uart(uart):            # producer, e.g. a UART IRQ handler
        rx.put(uart_byte)         # or rx.write(chunk); False / short count when full

    n = rx.readinto(buf)          # consumer, main loop

``KERNEL`` names the kernel in use: ``"viper"`` (``_ring_viper``) where the native
emitter exists, else ``"py"`` (``_ring_py``, the pure twin: same behaviour).

Internal hook for tests and ``tools/bench``: ``_with_kernel(kmod)`` returns a
ByteRing subclass whose methods run on kernel module ``kmod`` (``_ring_viper``
or ``_ring_py``), to compare the twins side by side.
"""

try:
    from mpalloc import _ring_viper as _k
except (SyntaxError, ImportError, ValueError):
    from mpalloc import _ring_py as _k

try:
    import io as _io

    _NULL = _io.BytesIO()  # empty stream: readinto(buf) copies nothing, rejects read-only buf
except (ImportError, AttributeError):
    _NULL = None

from array import array as _array

from mpalloc._util import wide as _wide

KERNEL = _k.NAME

_EMPTY = bytearray(0)

MAX_CAPACITY = 1 << 29
"""Largest capacity accepted: every index stays below 2**30 (a small int)."""

class ByteRing:
    """Fixed-capacity FIFO of bytes; one producer and one consumer, no lock.

    Holds exactly ``capacity`` bytes. The storage is allocated by the constructor;
    nothing else allocates except ``read()`` (and raising on a wrong buffer type).

    Who updates what (like ``Buffer`` in micropython-lib ``usb/device/core.py``):

    - The **producer** (one context, e.g. an IRQ handler) calls ``put``/``write``.
      It writes the data bytes first, then publishes them by storing the write
      index; it alone updates the write index and ``dropped``.
    - The **consumer** (one other context, e.g. the main loop) calls ``get``,
      ``peek``, ``readinto``, ``read`` and ``clear``. It copies the bytes out, then
      frees them by storing the read index; it alone updates the read index.
    - ``any``, ``space``, ``len`` read both indices; they are exact for the side
      calling them (the other side can only make the answer more favourable:
      more bytes waiting for the consumer, more space for the producer).

    The two indices run over ``capacity`` rounded up past a multiple of 4 storage bytes
    (docs/design.md#ring-storage): ``write == read`` means empty, ``any() == capacity``
    full, and no shared count is needed. With several producers or several consumers,
    guard each side with a lock / ``machine.disable_irq()``.

    Methods (IRQ = may run in a hard IRQ handler: no allocation, returns a status):

    ==================  ======  =========================================  =========
    method              side    returns                                    cost
    ==================  ======  =========================================  =========
    ``put(b)``          prod.   True, or False when full (``dropped`` +1)  O(1), IRQ
    ``write(buf)``      prod.   bytes accepted (partial when nearly full;  O(n), IRQ
                                the refused tail counts in ``dropped``)
    ``write(buf, n)``   prod.   as write(buf[:n]) (n < 0: all of buf)      O(n), IRQ
    ``write_from(b,n)`` prod.   as write(buf[:n]) (n <= 0: nothing)        O(n), IRQ
    ``get()``           cons.   next byte, or -1 when empty                O(1), IRQ
    ``peek()``          cons.   next byte without removing it, or -1       O(1), IRQ
    ``readinto(buf)``   cons.   bytes copied: min(len(buf), any())         O(n), IRQ
    ``readinto(buf,n)`` cons.   at most n bytes copied (n < 0: no limit)   O(n), IRQ
    ``find(b, start)``  cons.   offset of byte b at/after start, or -1     O(scan), IRQ
    ``peek_into(buf,o)`` cons.  bytes copied from offset o, not consumed   O(n), IRQ
    ``skip(n)``         cons.   bytes dropped: min(n, any())               O(1), IRQ
    ``readline_into``   cons.   line length, 0 (no full line), -len(buf)   O(scan), IRQ
      ``(buf, delim)``          (line longer than buf: buf filled)
    ``any()``, ``len``  either  bytes waiting                              O(1), IRQ
    ``space()``         either  bytes that fit: capacity - any()           O(1), IRQ
    ``clear()``         cons.   None; discards the bytes waiting           O(1), IRQ
    ``read(n=-1)``      cons.   bytes (allocates)                          O(n)
    ==================  ======  =========================================  =========

    ``put(b)`` stores ``b & 0xFF`` (MicroPython bytearray semantics). Buffers are
    byte buffers: ``write`` takes bytes, bytearray, memoryview or array,
    ``readinto`` a bytearray, writable memoryview or array; ``len(buf)`` is the
    byte count: arrays and views must have byte items (``'b'``/``'B'``). Any other
    type, and wider items, raise TypeError before the ring changes (misuse, not an
    IRQ-time condition; docs/contract.md).

    ``write``/``readinto`` remember the last buffer object each has checked (in a
    closure cell; ``write_from`` and the consumer calls in ``_wl``/``_rl``), so a reused
    buffer skips the type check; that buffer stays referenced until another one is
    passed.

    ``find``, ``peek_into``, ``skip`` and ``readline_into`` are consumer calls (offsets
    count from the oldest waiting byte); ValueError for a byte/delim outside 0..255, a
    negative start/offset or an empty line buffer. ``readline_into`` remembers how far
    it has looked for ``delim`` (consumer-owned; any other consuming call forgets it),
    so a line that arrives a few bytes at a time is scanned once: polling it costs
    O(new bytes), not O(line). On the viper kernel the optional arguments cost one
    small ``@native`` (write, readinto) or bytecode (find, peek_into, readline_into)
    layer: viper functions take no defaults.

    ``dropped``: bytes refused because the ring was full, wrapping modulo 2**30.
    Producer-owned diagnostics: the consumer never resets it (``clear()`` does not).
    """

    KERNEL = KERNEL

    # Methods from the kernel; put, get, write, readinto are bound per instance by
    # _init (the kernel's bind: closures over the storage, docs/design.md#ring-closures).
    peek = _k.peek
    write_from = _k.write_from
    any = _k.any
    space = _k.space
    clear = _k.clear
    find = _k.find
    peek_into = _k.peek_into
    skip = _k.skip
    readline_into = _k.readline_into
    _scan = _k._scan  # for the pure twin's shared readline_into/find (mpalloc._lines)
    __len__ = _k.any
    _init = _k.bind
    _dropped = _k.dropped
    _state = _k.state

    def __init__(self, capacity):
        """Allocate a ring holding ``capacity`` bytes (1..MAX_CAPACITY). TypeError /
        ValueError for a bad capacity. Allocates the storage and the per-instance entry
        points (docs/design.md#ring-closures); not IRQ-safe."""
        if (isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1
                or capacity > MAX_CAPACITY):
            from mpalloc._ring_cold import bad_capacity

            bad_capacity(capacity, MAX_CAPACITY)
        self.capacity = capacity
        self._wl = self._rl = _EMPTY  # last buffer checked by write / readinto
        self._init(capacity)

    def __getattr__(self, name):
        # ``dropped``: bytes refused because the ring was full (mod 2**30); no
        # allocation, IRQ-safe. Served here rather than by a property: a data descriptor
        # in the class slows every instance attribute lookup (docs/design.md#no-properties).
        if name == "dropped":
            return self._dropped()
        from mpalloc._ring_cold import no_attribute

        no_attribute(name)

    def read(self, n=-1):
        """Remove and return up to ``n`` waiting bytes (all of them when ``n < 0``).

        Consumer side. Allocates (a bytearray and the returned bytes): not IRQ-safe.
        O(n). Returns ``b""`` when empty.
        """
        from mpalloc._ring_cold import read

        return read(self, n)

    def stats(self):
        """Counters as a new dict (allocates), in bytes: the shared keys
        (docs/observability.md) unit, capacity, in_use (waiting), free (space),
        dropped, failures (put/write/write_from calls that dropped bytes; counted on
        the failure path only, mod 2**30); peak, allocs and frees are None (not
        counted: a counter per byte would slow put/get). Not IRQ-safe."""
        from mpalloc._ring_cold import stats

        return stats(self)

    def dump(self, stream=None):
        """Write a memory map to ``stream`` (default ``sys.stdout``), line by line:
        counters, the storage ('#' waiting, '.' free; at most 128 characters) and the
        read/write indices. Allocates (the lines). Not IRQ-safe."""
        from mpalloc._ring_cold import dump

        dump(self, stream)

    def __repr__(self):
        from mpalloc._ring_cold import describe

        return describe(self)

    def _bad(self, what, a, b):
        # Cold path of find (0), readline_into (1), peek_into (2): ValueError.
        from mpalloc._ring_cold import bad_argument

        bad_argument(self, what, a, b)

    # Cold path of write/readinto (and write_from, peek_into, readline_into), run when a
    # buffer object is seen for the first time in a row: check its type once, then
    # remember it (self._wl / self._rl here, a cell in write/readinto; the last buffer
    # stays referenced). No allocation unless it raises.
    def _wchk(self, buf):
        t = type(buf)
        if t is bytearray or t is bytes or ((t is memoryview or t is _array)
                                            and not _wide(buf)):
            self._wl = buf  # producer-owned
            return
        from mpalloc._ring_cold import bad_buffer

        bad_buffer(self, "write", buf)

    def _rchk(self, buf):
        t = type(buf)
        if not ((t is _array or t is memoryview) and _wide(buf, True)) and (
                t is bytearray or t is _array or t is memoryview and _writable(buf)):
            self._rl = buf  # consumer-owned
            return
        from mpalloc._ring_cold import bad_buffer

        bad_buffer(self, "readinto", buf)


def _writable(view):
    # False for a read-only memoryview. Its own function: the try's exception-stack
    # entry put ByteRing._rchk's frame on the heap (docs/design.md#handlers).
    try:
        if _NULL is not None:
            _NULL.readinto(view)  # copies nothing; TypeError when read-only
        return True
    except TypeError:
        return False


def _with_kernel(kmod):
    """Internal (tests, tools/bench): a ByteRing subclass running on kernel ``kmod``.

    ``kmod`` is ``mpalloc._ring_viper`` or ``mpalloc._ring_py``; the class has the
    same API and the same per-call cost as ByteRing (kernel functions bound directly).
    """
    from mpalloc._ring_cold import with_kernel

    return with_kernel(ByteRing, kmod)
