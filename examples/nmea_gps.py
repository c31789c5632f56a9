"""NMEA sentences from a (simulated) GPS on the UART path, parsed without allocating.

    micropython examples/nmea_gps.py        (from the repository root)

A UART RX interrupt hands over 1-16 bytes at a time (``uart.readinto(chunk)`` on a
board; here a loop over a prepared byte stream stands in for the UART) and queues them
with ``ByteRing.write_from``. The main loop takes complete lines with
``readline_into`` into one preallocated buffer, checks each sentence's checksum (XOR of
the bytes between ``$`` and ``*``, two hex digits after ``*``) and reads a few fields
as integers straight from the bytes: no slice, no ``bytes``, no ``str`` per line.
``readline_into`` remembers how far it has looked, so a sentence that arrives a few
bytes per interrupt is scanned once, not once per poll.

Each line's read-and-parse is measured with the heap counter (``micropython.mem_total``
where the port has it, else ``gc.mem_alloc`` with collections off) and printed after
the window closes: 0 heap bytes per line. A burst of line noise longer than the buffer
shows the ``-len(buf)`` return: the long line arrives in pieces and is dropped.
"""

import gc
import sys

try:
    _here = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
    sys.path.insert(0, _here + "/../lib")  # the repo's lib/; on a board /lib is on sys.path
except NameError:
    pass

from mpalloc.ring import ByteRing  # noqa: E402

try:
    from micropython import mem_total as _heap_counter

    HEAP_COUNTER = "micropython.mem_total"
except ImportError:  # a port without memory statistics (or CPython: None below)
    _heap_counter = getattr(gc, "mem_alloc", None)
    HEAP_COUNTER = "gc.mem_alloc" if _heap_counter else "none"

DOLLAR = 0x24
STAR = 0x2A
COMMA = 0x2C
MAX_LINE = 83  # NMEA 0183: at most 82 characters including "\r\n"; one spare

SENTENCES = (
    b"GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,",
    b"GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W",
    b"GPGSA,A,3,04,05,,09,12,,,24,,,,,2.5,1.3,2.1",
    b"GPGGA,123520,4807.040,N,01131.002,E,1,09,0.9,545.6,M,46.9,M,,",
    b"GPVTG,054.7,T,034.4,M,005.5,N,010.2,K",
)


def checksum_of(body):
    x = 0
    for b in body:
        x ^= b
    return x


def simulated_gps(repeats):
    """The byte stream the GPS sends: ``repeats`` rounds of SENTENCES, with one
    corrupted checksum and one burst of line noise (longer than any sentence) per round.
    Built once at start-up (allocates)."""
    out = bytearray()
    for r in range(repeats):
        for i, body in enumerate(SENTENCES):
            x = checksum_of(body)
            if i == 2 and r % 2 == 1:
                x ^= 0x10  # a corrupted sentence: the parser must reject it
            out += b"$" + body + b"*%02X\r\n" % x
        out += b"\x00\xff" * 60 + b"\r\n"  # 122 bytes of noise, then an end of line
    return out


# ---- the parser: small functions, small ints, no allocation ---------------------------


def hexval(c):
    if 48 <= c <= 57:
        return c - 48
    if 65 <= c <= 70:
        return c - 55
    return -1


def checksum_ok(buf, n):
    # "$...*HH\r\n": XOR of the bytes between $ and * equals HH.
    if n < 6 or buf[0] != DOLLAR or buf[n - 5] != STAR:
        return False
    x = 0
    i = 1
    while i < n - 5:
        x ^= buf[i]
        i += 1
    return (hexval(buf[n - 4]) << 4) | hexval(buf[n - 3]) == x


def field_at(buf, n, k):
    # Index of the first byte of comma-separated field k (field 0 is "$GPGGA").
    i = 0
    while k and i < n:
        if buf[i] == COMMA:
            k -= 1
        i += 1
    return i


def int_at(buf, i):
    # Decimal digits from index i (up to a non-digit) as an int; -1 when none.
    v = -1
    while 48 <= buf[i] <= 57:
        v = (0 if v < 0 else v * 10) + buf[i] - 48
        i += 1
    return v


def is_type(buf, a, b, c):
    # The sentence type after the 2-letter talker id: "$GP" + a, b, c.
    return buf[3] == a and buf[4] == b and buf[5] == c


# Results of the last parse (preallocated: a module-level list updated in place).
FIX = [0, 0, 0, 0]  # utc hhmmss, fix quality (GGA) or 1/0 for A/V (RMC), satellites, kind


def parse(buf, n):
    """One complete line of length n: 1 parsed (FIX updated), 0 other sentence,
    -1 bad checksum."""
    if not checksum_ok(buf, n):
        return -1
    if is_type(buf, 71, 71, 65):  # GGA: time, ..., fix quality (field 6), satellites (7)
        FIX[0] = int_at(buf, field_at(buf, n, 1))
        FIX[1] = int_at(buf, field_at(buf, n, 6))
        FIX[2] = int_at(buf, field_at(buf, n, 7))
        FIX[3] = 1
        return 1
    if is_type(buf, 82, 77, 67):  # RMC: time, status A (valid) / V
        FIX[0] = int_at(buf, field_at(buf, n, 1))
        FIX[1] = 1 if buf[field_at(buf, n, 2)] == 65 else 0
        FIX[3] = 2
        return 1
    return 0


# ---- the UART path --------------------------------------------------------------------

rx = ByteRing(256)  # the RX queue (allocated once)
chunk = bytearray(16)  # the IRQ handler's FIFO buffer (allocated once)


def on_uart_rx(src, pos, k):
    # The IRQ handler: on a board, k = uart.readinto(chunk); here copy k bytes of the
    # simulated stream. write_from queues them without a slice (IRQ-safe, no allocation).
    for i in range(k):
        chunk[i] = src[pos + i]
    rx.write_from(chunk, k)


def main(repeats=4, show=True):
    src = simulated_gps(repeats)
    line = bytearray(MAX_LINE)
    counts = {"lines": 0, "parsed": 0, "bad_checksum": 0, "other": 0, "noise_pieces": 0,
              "heap_max": 0}
    heap = _heap_counter
    junk = False  # inside a line longer than the buffer: drop its pieces
    pos = 0
    seed = 7
    while pos < len(src) or len(rx):
        if pos < len(src):
            seed = (seed * 1103515245 + 12345) & 0x3FFFFFFF
            k = min(1 + (seed >> 16) % 16, len(src) - pos, rx.space())
            on_uart_rx(src, pos, k)  # an "interrupt"
            pos += k
        while True:
            gc.disable()  # gc.mem_alloc fallback: nothing collected inside the window
            h0 = heap() if heap else 0
            n = rx.readline_into(line)
            r = parse(line, n) if n > 0 and not junk else 0
            h1 = heap() if heap else 0
            gc.enable()
            if n == 0:
                break  # no complete line yet: back to the UART
            used = h1 - h0
            counts["heap_max"] = max(counts["heap_max"], used)
            if n < 0 or junk:
                counts["noise_pieces"] += 1
                junk = n < 0  # a positive n ends the long line
                if show:
                    print("  noise piece of %d bytes dropped" % abs(n))
                continue
            counts["lines"] += 1
            if r == 1:
                counts["parsed"] += 1
                if show:
                    print("%s utc=%06d %s heap bytes this line: %d"
                          % ("GGA" if FIX[3] == 1 else "RMC", FIX[0],
                             "fix=%d sats=%d" % (FIX[1], FIX[2]) if FIX[3] == 1
                             else "status=%s" % ("A" if FIX[1] else "V"),
                             used if heap else -1))
            elif r < 0:
                counts["bad_checksum"] += 1
                if show:
                    print("  bad checksum, dropped; heap bytes this line: %d" % used)
            else:
                counts["other"] += 1
    if show:
        print(counts, "(heap counter: %s)" % HEAP_COUNTER)
    return counts


if __name__ == "__main__":
    main()
