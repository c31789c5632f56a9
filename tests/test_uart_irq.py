"""The UART IRQ example's handler (examples/uart_irq.py, one file for every board in
boards/), run on every lane against a fake UART."""

import time

from mpalloc import global_slab
from mpalloc.bytebuf import ByteBuffer
from mpalloc.ring import ByteRing
from mpalloc.slab import Slab
from support import IS_MICROPYTHON, add_examples_path, no_alloc, skip, start_thread

add_examples_path(__file__)


def presets():
    """The slab presets of mpalloc.global_slab (each board profile names one)."""
    return sorted(n for n in dir(global_slab) if n.startswith("SLAB_"))


class FakeUART:
    """Stands in for machine.UART: any() and readinto(buf, n) over a preallocated
    stream; ``arrive(k)`` makes k more bytes "received". Allocates nothing."""

    def __init__(self, data):
        self.data = data
        self.pos = 0  # next byte to hand out
        self.end = 0  # bytes received so far

    def arrive(self, k):
        self.end = min(len(self.data), self.end + k)

    def any(self):
        return self.end - self.pos

    def readinto(self, buf, n):
        # Few locals: a frame over ~11 words would come from the heap, an allocation
        # the handlers' heap-usage checks would count against them.
        n = min(n, self.end - self.pos, len(buf))
        p = self.pos
        for i in range(n):
            buf[i] = self.data[p + i]
        self.pos = p + n
        return n or None  # MicroPython streams return None when nothing is waiting


def stream(n):
    out = bytearray(n)
    for i in range(n):
        out[i] = (i * 7 + (i >> 8)) & 0xFF
    return out


def _irq(handler, uart, k):
    uart.arrive(k)
    handler(uart)


def load():
    mod = __import__("uart_irq")
    # board setup lives in start()/main(); the handler and the queue import without it
    assert callable(mod.make_handler) and callable(mod.start) and callable(mod.main)
    assert mod.RX_QUEUE is not None
    return mod


def test_example_imports_without_machine():
    mod = load()
    assert len(mod.STATS) == 2 and mod.CHUNK == 32
    assert len(presets()) >= 3, presets()


def test_handlers_under_heap_lock_into_global_deque():
    if not IS_MICROPYTHON:
        skip("heap_lock checks need MicroPython")
    mod = load()
    for name in presets():
        global_slab._reset()
        s = global_slab.configure(*getattr(global_slab, name))
        q = mod.RX_QUEUE  # the module-level GlobalDeque, bound by configure
        data = stream(700)
        uart = FakeUART(data)
        stats = mod.STATS
        stats[0] = stats[1] = 0
        handler = mod.make_handler(q, bytearray(mod.CHUNK))
        out = bytearray(800)
        got = 0
        for k in (1, 5, 31, 32, 33, 64, 100, 200, 0, 234):
            no_alloc(_irq, handler, uart, k)
            got += q.readinto(memoryview(out)[got:])
        assert got == 700 and out[:700] == data, name
        assert stats[0] == 10 and stats[1] == 0
        assert s.stats()["in_use"] == 0
    global_slab._reset()


def test_handler_into_byte_ring_counts_losses():
    mod = load()
    for _ in range(2):  # twice: the handler keeps no state but STATS
        data = stream(300)
        uart = FakeUART(data)
        ring = ByteRing(100)
        stats = mod.STATS
        stats[0] = stats[1] = 0
        handler = mod.make_handler(ring, bytearray(mod.CHUNK))
        _irq(handler, uart, 40)
        assert ring.read() == bytes(data[:40])
        _irq(handler, uart, 260)  # more than the ring holds: the rest is refused
        c = mod.CHUNK
        taken = (100 // c + 1) * c  # whole chunks, then the one the ring cut short
        assert len(ring) == 100 and stats[1] == ring.dropped == taken - 100
        assert ring.read() == bytes(data[40:140])
        # the handler stops at a full queue: what is left stays in the UART
        assert uart.any() == 260 - taken


def test_handler_under_heap_lock_into_byte_ring():
    if not IS_MICROPYTHON:
        skip("heap_lock checks need MicroPython")
    mod = load()
    data = stream(500)
    uart = FakeUART(data)
    ring = ByteRing(600)
    handler = mod.make_handler(ring, bytearray(32))
    for k in (3, 60, 200, 237):
        no_alloc(_irq, handler, uart, k)
    assert ring.read() == bytes(data)


def test_handler_before_configure_drops_and_counts():
    mod = load()
    global_slab._reset()
    uart = FakeUART(stream(50))
    stats = mod.STATS
    stats[0] = stats[1] = 0
    handler = mod.make_handler(mod.RX_QUEUE, bytearray(32))
    _irq(handler, uart, 50)
    assert stats[1] == 32 and len(mod.RX_QUEUE) == 0  # refused, counted, no crash


# --- soft-IRQ path: micropython.schedule with a pre-bound callback ------------------------

def _hard_half(la, src, res):
    import micropython

    micropython.heap_lock()
    try:
        res[0] = la.on_bytes(src, 12)
        res[1] = la.on_bytes(src, len(src))
    except MemoryError:
        res[2] = 2
    finally:
        micropython.heap_unlock()
    res[2] += 1


def test_soft_irq_schedule_pattern():
    # The hard half runs on another thread (standing in for the interrupt) with its heap
    # locked; micropython.schedule runs the pre-bound drain callback on the main thread.
    if not IS_MICROPYTHON:
        skip("micropython.schedule needs MicroPython")
    try:
        import _thread  # noqa: F401
    except ImportError:
        skip("no _thread here")
    from soft_irq_schedule import LineAssembler

    lines = []
    la = LineAssembler(ByteRing(64), ByteBuffer(Slab(256, 8)), lines.append)
    assert la._cb == la.drain  # bound once, in __init__
    src = bytearray(b"hello\nworld\npart")
    res = [0, 0, 0]
    start_thread(_hard_half, la, src, res)
    t0 = time.time()
    while not res[2] or la.pending:
        assert time.time() - t0 < 10, "scheduled callback did not run"
        time.sleep(0.001)
    assert res == [12, 16, 1], res  # no MemoryError under the lock
    assert lines == [b"hello", b"world", b"hello", b"world"], lines
    assert la.line.to_bytes() == b"part" and la.lost == 0
    # the UART-facing handler runs the same path
    uart = FakeUART(bytearray(b"!\n"))
    uart.arrive(2)
    la.uart_irq(uart)
    t0 = time.time()
    while la.pending:
        assert time.time() - t0 < 10
        time.sleep(0.001)
    assert lines[-1] == b"part!"
