"""examples/uart_poll_circuitpython.py (the README's CircuitPython pattern) against a fake
busio.UART that behaves like CircuitPython's driver."""


from mpalloc.ring import ByteRing
from support import add_examples_path, as_port, no_alloc, rng

add_examples_path(__file__)


class FakeUART:
    """busio.UART as CircuitPython's driver behaves (shared-bindings/busio/UART.c): the
    driver buffers received bytes in a ring of ``receiver_buffer_size``; a byte arriving
    when it is full is lost (counted in ``lost`` here). ``in_waiting`` is what it holds;
    ``readinto(buf)`` takes no length, copies at most ``len(buf)`` bytes and returns
    None when there are none (timeout=0). ``arrive(src, start, n)`` makes n bytes of src
    "received". Allocates nothing after construction."""

    def __init__(self, tx, rx, *, baudrate=9600, bits=8, parity=None, stop=1, timeout=1,
                 receiver_buffer_size=64):
        self.pins = (tx, rx)
        self.baudrate = baudrate
        self.timeout = timeout
        self.buf = bytearray(receiver_buffer_size)
        self.head = 0  # next byte to hand out
        self.count = 0
        self.lost = 0

    @property
    def in_waiting(self):
        return self.count

    def arrive(self, src, start, n):
        size = len(self.buf)
        for i in range(start, start + n):
            if self.count == size:
                self.lost += 1
                continue
            self.buf[(self.head + self.count) % size] = src[i]
            self.count += 1

    def readinto(self, buf):
        k = self.count
        if k == 0:
            return None
        if k > len(buf):
            k = len(buf)
        size = len(self.buf)
        for i in range(k):
            buf[i] = self.buf[(self.head + i) % size]
        self.head = (self.head + k) % size
        self.count -= k
        return k


class FakeBusio:
    UART = FakeUART


class FakeBoard:
    TX = "board.TX"
    RX = "board.RX"


def example():
    """The example module, imported as on a board (``board`` and ``busio`` present)."""
    return as_port({"board": FakeBoard, "busio": FakeBusio}, __import__,
                   "uart_poll_circuitpython")


def stream(n):
    out = bytearray(n)
    for i in range(n):
        out[i] = (i * 7 + (i >> 8)) & 0xFF  # not periodic in 256: a lost block shows
    return out


def test_example_sets_up_the_uart_as_documented():
    mod = example()
    assert isinstance(mod.uart, FakeUART) and mod.uart.pins == ("board.TX", "board.RX")
    assert mod.uart.baudrate == 115200 and mod.uart.timeout == 0
    assert len(mod.uart.buf) == 512  # receiver_buffer_size
    assert isinstance(mod.rx, ByteRing) and mod.rx.space() == 1024
    assert len(mod.chunk) == 64 and len(mod.line) == 128


def test_poll_drains_a_burst_larger_than_one_chunk():
    mod = example()
    uart = FakeUART("tx", "rx", timeout=0, receiver_buffer_size=512)
    rx = ByteRing(1024)
    src = stream(500)
    uart.arrive(src, 0, 500)
    assert mod.poll(uart, rx, bytearray(64)) == 500
    assert uart.in_waiting == 0 and uart.lost == 0 and rx.dropped == 0
    out = bytearray(600)
    assert rx.readinto(out) == 500 and out[:500] == src
    assert mod.poll(uart, rx, bytearray(64)) == 0  # empty driver: readinto not even called


def test_poll_leaves_bytes_in_the_driver_while_the_ring_lacks_a_chunk():
    mod = example()
    uart = FakeUART("tx", "rx", timeout=0, receiver_buffer_size=512)
    rx = ByteRing(100)
    chunk = bytearray(64)
    src = stream(300)
    uart.arrive(src, 0, 300)
    assert mod.poll(uart, rx, chunk) == 64  # then 36 bytes of room: less than a chunk
    assert uart.in_waiting == 236 and len(rx) == 64 and rx.dropped == 0
    got = bytearray()
    out = bytearray(50)
    while len(got) < 300:
        k = rx.readinto(out)
        got += out[:k]
        mod.poll(uart, rx, chunk)
    assert got == src and rx.dropped == 0 and uart.lost == 0


def _run(poll, total, seed):
    # Bursts of 1..500 bytes arrive between polls; the consumer drains the ring.
    uart = FakeUART("tx", "rx", timeout=0, receiver_buffer_size=512)
    rx = ByteRing(1024)
    chunk = bytearray(64)
    src = stream(total)
    r = rng(seed)
    sent = 0
    got = bytearray()
    out = bytearray(512)
    while len(got) + uart.lost + rx.dropped < total:
        n = min(r.randint(1, 500), total - sent)
        uart.arrive(src, sent, n)
        sent += n
        poll(uart, rx, chunk)
        k = rx.readinto(out)
        got += out[:k]
        if sent == total and not uart.in_waiting and not len(rx):
            break
    return src, got, uart.lost, rx.dropped


def one_chunk_per_poll(uart, rx, chunk):
    # The pattern this example replaces: one readinto per poll.
    if uart.in_waiting:
        rx.write_from(chunk, uart.readinto(chunk) or 0)


def test_bursts_arrive_whole_and_in_order():
    mod = example()
    src, got, lost, dropped = _run(mod.poll, 20000, 7)
    assert lost == 0 and dropped == 0 and got == src


def test_one_chunk_per_poll_loses_bursts_in_the_driver():
    # The fake's overflow is real: the pattern the example replaces loses bytes in it.
    src, got, lost, dropped = _run(one_chunk_per_poll, 20000, 7)
    assert lost > 0 and len(got) + lost + dropped == len(src)


class Done(Exception):
    pass


def test_main_loop_as_written():
    # examples/uart_poll_circuitpython.py's main() with its own uart, ring and buffers:
    # 500 bytes are waiting at the start, then 100 more arrive each time a line is
    # handled; every byte reaches handle() once, in order.
    mod = example()
    total = 3000
    src = stream(total)
    got = bytearray()
    sent = [500]
    mod.uart.arrive(src, 0, 500)

    def handle(buf, k):
        assert buf is mod.line and 0 < k <= len(buf)
        got.extend(buf[:k])
        n = min(100, total - sent[0])
        mod.uart.arrive(src, sent[0], n)
        sent[0] += n
        if len(got) == total:
            raise Done

    try:
        mod.main(handle)
    except Done:
        pass
    assert got == src and mod.uart.lost == 0 and mod.rx.dropped == 0


def test_poll_allocates_nothing():
    mod = example()
    uart = FakeUART("tx", "rx", timeout=0, receiver_buffer_size=512)
    rx = ByteRing(1024)
    chunk = bytearray(64)
    uart.arrive(stream(300), 0, 300)
    assert no_alloc(mod.poll, uart, rx, chunk) == 300
