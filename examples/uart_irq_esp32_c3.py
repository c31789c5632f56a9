"""UART bytes received in an interrupt on the ESP32-C3 DevKitM-1.

Board profile: boards/esp32-c3.json (port esp32, .mpy arch rv32imc): UART(1), TX 4,
RX 5, 115200 baud, slab preset SLAB_4K_64.

esp32 port on ESP32-C3 (RISC-V, .mpy arch rv32imc): triggers IRQ_RX, IRQ_RXIDLE,
IRQ_BREAK; no hard=True (soft handler). GPIO21/GPIO20 are UART0's TX/RX on the
DevKitM-1 (the USB-serial bridge and REPL), so UART(1) goes to GPIO4 (TX) / GPIO5 (RX),
free header pins that are neither strapping, flash nor USB pins.

Run on the board (after installing mpalloc to /lib):

    mpremote run examples/uart_irq_esp32_c3.py
    mpremote cp examples/uart_irq_esp32_c3.py :main.py + reset      (start at every boot)

Structure: ``make_handler(rx, chunk)`` builds the IRQ handler from a queue and a
preallocated buffer, so tests can run the very same handler on the unix port against a
fake UART under ``micropython.heap_lock()``; the ``machine`` setup lives in ``main()``.
"""

from array import array

from mpalloc.global_slab import GlobalDeque

BOARD = "esp32-c3"
UART_ID = 1
TX = 4
RX = 5
BAUD = 115200
HARD = False  # hard=True only where the port allows it (boards/esp32-c3.json)
TRIGGER = "IRQ_RXIDLE"
PRESET = "SLAB_4K_64"
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

    # Small on purpose: a function whose locals, closed-over names and stack exceed ~11
    # words gets its call frame from the heap (in a soft IRQ: an allocation per call).
    def on_rx(uart):
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


def main():
    import time

    import micropython
    from machine import UART

    from mpalloc import global_slab

    micropython.alloc_emergency_exception_buf(100)  # tracebacks from the IRQ
    global_slab.configure(*getattr(global_slab, PRESET))  # binds RX_QUEUE
    uart = UART(UART_ID, BAUD, tx=TX, rx=RX, timeout=0, rxbuf=512)
    handler = make_handler(RX_QUEUE, bytearray(CHUNK))
    uart.irq(handler=handler, trigger=getattr(UART, TRIGGER), hard=HARD)
    line = bytearray(64)
    while True:  # main loop: copy out what arrived (no allocation until we print)
        n = RX_QUEUE.readinto(line)
        if n:
            print("rx", n, bytes(line[:n]), "irqs", STATS[0], "lost", STATS[1])
        else:
            time.sleep_ms(10)


if __name__ == "__main__":
    main()
