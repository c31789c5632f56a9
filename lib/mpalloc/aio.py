"""asyncio adapter: an IRQ producer wakes a coroutine through ``asyncio.ThreadSafeFlag``.

    from mpalloc.aio import QueueReader

    rx = QueueReader(ByteRing(512))     # or any queue with write_from/readinto
    chunk = bytearray(32)

    def on_rx(uart):                    # UART IRQ handler: allocates nothing
        rx.push(chunk, uart.readinto(chunk))   # write_from + flag.set()

    async def consumer():
        buf = bytearray(64)
        while True:
            n = await rx.readinto(buf)  # sleeps until the IRQ sets the flag
            ...
        # or:  async for view in rx:   (a memoryview per chunk: allocates a view)

    async def lines():                  # line-oriented input (NMEA, AT replies, ...)
        line = bytearray(83)
        async for n in rx.lines(line):  # n = line length, line[:n] holds it
            ...                         # (or: n = await rx.readline_into(line))

``ThreadSafeFlag.set()`` may be called from a hard IRQ or another thread (MicroPython);
it allocates nothing. Where asyncio has no ThreadSafeFlag a small stand-in takes its
place: on CPython an Event set through ``loop.call_soon_threadsafe`` (a thread may be
the producer); on CircuitPython (Adafruit's asyncio, whose loop has no
``call_soon_threadsafe``; no user interrupts) the producer is polling code on the same
loop, e.g. a task draining ``busio.UART``, and ``set()`` sets an ``asyncio.Event``
directly. The reader never loses a wake-up: it re-checks the queue after every wait.
"""

try:
    import asyncio
except ImportError:
    # MicroPython freezes asyncio into the firmware and finds it through the ".frozen"
    # entry of sys.path; MICROPYPATH=lib (the natural way to try mpalloc on the unix
    # port) replaces the default path and drops that entry. Put it back and retry; it
    # stays on the path because asyncio loads some submodules lazily.
    import sys

    if ".frozen" in sys.path:
        raise
    sys.path.append(".frozen")
    try:
        import asyncio
    except ImportError:
        sys.path.remove(".frozen")
        raise ImportError("mpalloc.aio needs asyncio: built into MicroPython firmware; on "
                          "CircuitPython install adafruit-circuitpython-asyncio into lib")


def _stand_in():
    # The ThreadSafeFlag stand-in class (where asyncio has none: CPython, Adafruit's
    # asyncio). Cold: MicroPython has its own flag and never loads _aio_cold.
    from mpalloc._aio_cold import Flag

    return Flag


ThreadSafeFlag = getattr(asyncio, "ThreadSafeFlag", None) or _stand_in()


class QueueReader:
    """Wraps a byte queue (``ByteRing``, ``ByteDeque``, ``GlobalDeque``: anything with
    ``readinto(buf)`` and ``write_from(buf, n)``) for one consuming coroutine.

    Producer side (IRQ/thread): ``push(buf, n)`` or ``put(b)``, or the queue's own
    methods followed by ``set()`` (the flag's bound ``set``, stored once). Consumer side:
    ``await readinto(buf)`` or ``async for view in reader``. ``chunk`` is the size of
    the buffer ``async for`` reads into (allocated once by the constructor).
    """

    def __init__(self, queue, chunk=64):
        """Allocates the flag and the ``async for`` buffer (``chunk`` bytes)."""
        self.queue = queue  # read by the consumer, written by the producer (IRQ)
        self.flag = ThreadSafeFlag()  # set by the producer after each push, waited on
        self.set = self.flag.set  # bound once (docs/design.md#bound-on-instance)
        self._put = getattr(queue, "push_back", None) or queue.put  # bound once too
        self._buf = bytearray(chunk)  # async for reads into it (one chunk per step)
        self._mv = memoryview(self._buf)  # sliced for each step's view of _buf

    def push(self, buf, n):
        """Producer: queue the first ``n`` bytes of ``buf`` (``n`` None or <= 0 queues
        nothing) and wake the reader. Returns the bytes queued. No allocation,
        IRQ-safe when the queue's ``write_from`` is."""
        if not n:
            return 0
        k = self.queue.write_from(buf, n)
        self.set()
        return k

    def put(self, b):
        """Producer: queue one byte (``push_back``/``put``) and wake the reader; False
        when full. No allocation, IRQ-safe when the queue's method is."""
        ok = self._put(b)
        self.set()
        return ok

    async def readinto(self, buf):
        """Wait until bytes are queued, then move up to len(buf) of them into ``buf``;
        returns the count (>= 1, or 0 for an empty ``buf``). Allocates only what
        asyncio's wait does."""
        if not len(buf):
            return 0
        q = self.queue
        while True:
            n = q.readinto(buf)
            if n:
                return n
            await self.flag.wait()

    def __aiter__(self):
        return self

    async def __anext__(self):
        n = await self.readinto(self._buf)
        return self._mv[:n]  # valid until the next iteration (the buffer is reused)

    # ---- lines and exact reads (API second wave) ------------------------------------
    # No bytes object per line (the queue copies into the caller's buffer); each await
    # still creates its coroutine object, as any async def call does (136 bytes on the
    # x64 unix port). A main loop polling queue.readline_into allocates nothing at all.

    async def readline_into(self, buf, delim=10):
        """Wait until a complete line (through ``delim``) is queued, then move it into
        ``buf``; returns its length. A line longer than ``buf`` fills it and returns
        -len(buf) (the rest follows on the next call), as the queue's readline_into.
        Use a ``buf`` no longer than the queue can hold: a full ByteRing without
        ``delim`` and a larger ``buf`` wait for a line that cannot arrive. ValueError for
        an empty ``buf`` or a ``delim`` outside 0..255."""
        while True:
            n = self.queue.readline_into(buf, delim)
            if n:
                return n
            await self.flag.wait()

    async def readexactly_into(self, buf, n):
        """Wait until ``n`` bytes are queued, then move exactly ``n`` into buf[0:n];
        returns n. ValueError (nothing consumed) when n < 0, n > len(buf) or n exceeds
        a ByteRing's capacity (it could never hold them)."""
        q = self.queue
        while len(q) < n or n < 0 or n > len(buf):
            if n < 0 or n > min(len(buf), getattr(q, "capacity", n)):
                q._bad(3, n, len(buf))
            await self.flag.wait()
        return q.readinto(buf, n)

    def lines(self, buf, delim=10):
        """``async for n in reader.lines(buf):`` one complete line per step, moved into
        ``buf`` (its length ``n``; -len(buf) for a piece of a line longer than buf).
        Allocates the iterator once; each step allocates nothing more than
        ``await readline_into`` does."""
        return _Lines((self, buf, delim))


class _Lines(list):
    # The iterator of QueueReader.lines: [reader, buffer, delimiter].
    def __aiter__(self):
        return self

    def __anext__(self):
        # Not async itself: returns readline_into's coroutine, so a step creates one
        # coroutine object, not two.
        return self[0].readline_into(self[1], self[2])
