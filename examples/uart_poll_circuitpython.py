"""CircuitPython: poll busio.UART into a ByteRing; the main loop reads from the ring.

Copy lib/mpalloc to CIRCUITPY/lib/mpalloc and this file to CIRCUITPY/code.py (pins:
board.TX/board.RX; change them for your board). CircuitPython has no user interrupts, so
the main loop polls the driver, and the ring decouples reading the port from parsing.
The README's CircuitPython section shows this file from its first import on (a test
checks that); tests/test_uart_poll.py runs it against a fake busio that behaves like the
driver.
"""

import board
import busio

from mpalloc.ring import ByteRing

uart = busio.UART(board.TX, board.RX, baudrate=115200, timeout=0, receiver_buffer_size=512)
rx = ByteRing(1024)              # the decoupling buffer: holds bursts until parsed
chunk = bytearray(64)            # preallocated: uart.readinto fills it without allocating
line = bytearray(128)


def poll(uart, rx, chunk):
    """Move what the driver has buffered into rx, a chunk at a time, until the driver is
    empty: one chunk per poll would leave the rest of a burst in the driver's buffer,
    which overflows on the next burst. Stops while rx has no room for a whole chunk (the
    bytes wait in the driver). Returns the bytes moved; allocates nothing."""
    moved = 0
    while uart.in_waiting and rx.space() >= len(chunk):
        got = uart.readinto(chunk)   # at most len(chunk) bytes; None when none arrived
        if not got:
            break
        rx.write_from(chunk, got)
        moved += got
    return moved


def main(handle):
    while True:
        poll(uart, rx, chunk)
        k = rx.readinto(line)        # consumer side: whatever arrived, up to len(line)
        if k:
            handle(line, k)          # the first k bytes of line are new


if __name__ == "__main__":
    main(lambda buf, k: print(bytes(buf[:k])))
