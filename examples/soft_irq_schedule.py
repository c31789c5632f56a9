"""Soft-IRQ pattern: a hard IRQ queues bytes, micropython.schedule runs the rest later.

A hard interrupt handler may not allocate, so it only moves bytes into a ByteRing and
asks ``micropython.schedule`` to run a callback soon, in the main context (between two
bytecodes of whatever the main program runs), where allocating is allowed again. Here
the callback assembles newline-terminated lines in a ByteBuffer and hands each one on.

Two rules make the hard half allocation-free:

- Pass ``schedule`` a callback bound ONCE (``self._cb = self.drain`` in ``__init__``):
  writing ``schedule(self.drain, 0)`` in the handler creates a bound-method object at
  every call, which allocates (and fails in a hard IRQ).
- Schedule at most once per burst (``pending`` flag): the schedule queue is small
  (MICROPY_SCHEDULER_DEPTH, 4 by default) and ``schedule`` raises RuntimeError when it is
  full. The callback clears ``pending`` first, so bytes arriving while it runs schedule
  it again; if the queue is full anyway, ``pending`` stays clear, the bytes stay in the
  ring and the next interrupt tries again.

On a board (pyboard, hard UART IRQ)::

    from machine import UART
    lines = LineAssembler(ByteRing(256), ByteBuffer(global_slab.slab()), print)
    uart = UART(1, 115200, timeout=0)
    uart.irq(handler=lines.uart_irq, trigger=UART.IRQ_RXIDLE, hard=True)

Run it on the unix port (``micropython examples/soft_irq_schedule.py``): a thread stands
in for the hard IRQ, feeds a few bursts under ``heap_lock`` and the scheduled ``drain``
prints the lines. tests/test_uart_irq.py runs the same path as a test.
"""

import sys
import time

import micropython

try:  # run from anywhere: the repo's lib/ beside examples/ (on a board /lib is on sys.path)
    sys.path.insert(0, (__file__.rsplit("/", 1)[0] if "/" in __file__ else ".") + "/../lib")
except NameError:
    pass

_schedule = micropython.schedule


class LineAssembler:
    """Hard half: ``uart_irq(uart)`` / ``on_bytes(buf, n)`` (no allocation). Soft half:
    ``drain(_)`` run by micropython.schedule: lines go to ``on_line(bytes)``."""

    def __init__(self, ring, line, on_line, chunk=32):
        self.rx = ring  # ByteRing (or any queue with write_from/readinto)
        self.line = line  # ByteBuffer collecting the current line
        self.on_line = on_line
        self.pending = False
        self.lost = 0  # bytes the ring refused (also in ring.dropped)
        self.too_long = 0  # lines dropped because the ByteBuffer's slab ran out
        self._cb = self.drain  # bound once: no allocation when scheduling it
        self._irqbuf = bytearray(chunk)  # hard half: readinto target
        self._buf = bytearray(chunk)  # soft half: readinto target
        self._mv = memoryview(self._buf)

    def uart_irq(self, uart):
        """UART IRQ handler (hard or soft): no allocation, no exception escapes."""
        buf = self._irqbuf
        k = uart.any()
        if k > len(buf):
            k = len(buf)
        if k > 0:
            self.on_bytes(buf, uart.readinto(buf, k))

    def on_bytes(self, buf, n):
        """Queue the first ``n`` bytes of ``buf`` and schedule ``drain`` once.
        No allocation; returns the bytes queued."""
        if not n:
            return 0
        got = self.rx.write_from(buf, n)
        self.lost += n - got
        if not self.pending:
            self.pending = True
            try:
                _schedule(self._cb, 0)
            except RuntimeError:  # schedule queue full: the next interrupt retries
                self.pending = False
        return got

    def drain(self, _):
        """Scheduled callback (main context, may allocate): split into lines."""
        self.pending = False  # first: bytes arriving from now on schedule us again
        buf, mv, line = self._buf, self._mv, self.line
        while True:
            n = self.rx.readinto(buf)
            if not n:
                return
            start = 0
            for i in range(n):
                if buf[i] == 10:  # b"\n"
                    self._append(mv[start:i])
                    self.on_line(line.to_bytes())
                    line.clear()
                    start = i + 1
            if start < n:
                self._append(mv[start:n])

    def _append(self, view):
        if not self.line.try_write(view):
            self.too_long += 1  # slab exhausted: drop this line, keep going
            self.line.clear()


def _irq_stand_in(lines, bursts, done):
    # A hard IRQ may not allocate: run each burst with the heap locked, as one would.
    for chunk in bursts:
        micropython.heap_lock()
        try:
            lines.on_bytes(chunk, len(chunk))
        finally:
            micropython.heap_unlock()
        time.sleep_ms(5)  # the next "interrupt" comes a little later
    done.append(True)


def main():
    import _thread

    from mpalloc.bytebuf import ByteBuffer
    from mpalloc.ring import ByteRing
    from mpalloc.slab import Slab

    print("soft-IRQ pattern: a thread stands in for the UART IRQ. Under heap_lock it only")
    print("queues bytes in a ByteRing and schedules drain() once per burst; drain() runs")
    print("in the main context, where it may allocate, and assembles the lines:")
    got = []

    def on_line(b):
        got.append(b)
        print("  line %d: %r" % (len(got), b))

    lines = LineAssembler(ByteRing(64), ByteBuffer(Slab(256, 8)), on_line)
    bursts = [bytearray(b"T=23.5C\nRH=4"), bytearray(b"5%\nN=12"), bytearray(b"34\n")]
    done = []
    _thread.start_new_thread(_irq_stand_in, (lines, bursts, done))
    t0 = time.ticks_ms()
    while not done or lines.pending:
        if time.ticks_diff(time.ticks_ms(), t0) > 5000:
            print("FAILED: the scheduled callback did not run")
            sys.exit(1)
        time.sleep_ms(1)  # the main loop: scheduled callbacks run between its bytecodes
    print("%d lines, %d bytes lost (ring full), %d lines too long for the slab"
          % (len(got), lines.lost, lines.too_long))


if __name__ == "__main__":
    main()
