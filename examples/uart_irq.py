"""UART bytes received in an interrupt, on any board with a profile in boards/.

The board facts (UART id, pins, baud, trigger, hard or soft handler, slab preset) come
from the board's profile, boards/<board>.json; this file is the same on every board.
On the board (after installing mpalloc to /lib, e.g. ``tools/deploy rp2-pico``):

    mpremote cp boards/rp2-pico.json :board.json       (once: which board this is)
    mpremote run examples/uart_irq.py                  (run it once), or
    mpremote cp examples/uart_irq.py :main.py + reset  (start at every boot)

Why the trigger and ``hard`` differ per port (MicroPython ``machine.UART.irq``): rp2 has
IRQ_RXIDLE but no IRQ_RX, so the handler drains what the driver's rxbuf collected when
the line goes idle; nrf has IRQ_RX but no IRQ_RXIDLE (one call per character); esp32
schedules every UART handler (no hard=True); stm32 allows hard=True, so the handler runs
in the hardware interrupt. The profile's ``uart.pins`` says how the constructor takes the
pins: "Pin" objects (rp2), plain ints (esp32), or "fixed" by the board definition
(stm32, nrf: no pin arguments).

Structure: ``make_handler(rx, chunk)`` builds the IRQ handler from a queue and a
preallocated buffer, so tests run the very same handler on the unix port against a fake
UART under ``micropython.heap_lock()``; ``start(profile)`` does the ``machine`` setup and
``main()`` adds the loop.
"""

import sys
from array import array

try:  # run from anywhere: the repo's lib/ beside examples/ (on a board /lib is on sys.path)
    _HERE = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
except NameError:  # mpremote run: no __file__
    _HERE = "."
sys.path.insert(0, _HERE + "/../lib")

from mpalloc.global_slab import GlobalDeque  # noqa: E402

CHUNK = 32  # bytes moved per readinto in the handler (preallocated)

# Created at import, before global_slab.configure(): configure() binds it, so the first
# push in the interrupt allocates nothing (a push before configure() returns False).
RX_QUEUE = GlobalDeque()

# [interrupts, bytes lost because the queue was full]: plain ints in a preallocated
# array, updated without allocating.
STATS = array("i", [0, 0])


def make_handler(rx, chunk, stats=STATS):
    """The UART IRQ handler: moves what the UART holds into ``rx`` (anything with
    ``write_from(buf, n)``: GlobalDeque, ByteDeque, ByteRing) through ``chunk``.

    Allocates nothing (no heap call frame either) and raises nothing: ``any()`` bounds
    each ``readinto`` so it never waits (``readinto`` also stops at ``len(chunk)``), at
    most 8 chunks per call keep the interrupt short, and bytes the queue refuses are
    counted in ``stats[1]``.
    """
    put = rx.write_from  # bound once, here: the handler then closes over 3 names

    def on_rx(uart):  # small on purpose: docs/design.md#heap-frames
        stats[0] += 1
        for _ in range(8):  # compiles to a counter loop: no range object
            n = uart.any()
            if n <= 0:
                return
            n = uart.readinto(chunk, n)  # at most len(chunk) bytes; never waits
            if not n:
                return
            n -= put(chunk, n)  # now the bytes the queue refused
            if n:
                stats[1] += n
                return

    return on_rx


def load_profile(board=None):
    """The board profile as a dict: ``boards/<board>.json`` of this repository (found
    from this file, whatever the current directory), or with no ``board`` the
    ``board.json`` copied onto the board (current directory, then ``/``)."""
    import json

    if board:
        root = _HERE.rsplit("/", 1)[0] if "/" in _HERE else _HERE + "/.."
        paths = (root + "/boards/" + board + ".json",)
    else:
        paths = ("board.json", "/board.json")
    for path in paths:
        try:
            with open(path) as f:
                return json.load(f)
        except OSError:
            pass
    raise OSError("no board profile at %s: copy one from boards/ "
                  "(mpremote cp boards/<board>.json :board.json)" % " or ".join(paths))


def uart_args(profile, pin):
    """(UART id, constructor keywords, trigger name, hard) from a profile; ``pin`` makes
    a pin object (``machine.Pin``) where the port wants one."""
    u = profile["uart"]
    kw = {"baudrate": u["baud"], "timeout": 0, "rxbuf": 512}
    if u["pins"] == "Pin":
        kw["tx"], kw["rx"] = pin(u["tx"]), pin(u["rx"])
    elif u["pins"] == "int":
        kw["tx"], kw["rx"] = u["tx"], u["rx"]
    return u["id"], kw, u["trigger"], profile["uart_hard_irq"]


def start(profile):
    """Configure the global slab, open the UART and install the handler; the UART."""
    import micropython
    from machine import UART, Pin

    from mpalloc import global_slab

    micropython.alloc_emergency_exception_buf(100)  # tracebacks from the IRQ
    global_slab.configure(*getattr(global_slab, profile["slab_preset"]))  # binds RX_QUEUE
    uid, kw, trigger, hard = uart_args(profile, Pin)
    uart = UART(uid, **kw)
    uart.irq(handler=make_handler(RX_QUEUE, bytearray(CHUNK)),
             trigger=getattr(UART, trigger), hard=hard)
    return uart


def main(board=None):
    import time

    start(load_profile(board))
    line = bytearray(64)
    while True:  # main loop: copy out what arrived (no allocation until we print)
        n = RX_QUEUE.readinto(line)
        if n:
            print("rx", n, bytes(line[:n]), "irqs", STATS[0], "lost", STATS[1])
        else:
            time.sleep_ms(10)


if __name__ == "__main__":
    main()
