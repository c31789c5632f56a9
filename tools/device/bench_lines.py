# Benchmark cases for the queues' consumer side (readline_into, find); loaded by
# tools/device/bench_mp.py. A 60-byte line (59 bytes + "\n"), queued and taken back per iteration.
import micropython
from bench_kit import ticks_diff, ticks_us

from mpalloc.bytebuf import ByteDeque
from mpalloc.ring import ByteRing
from mpalloc.slab import Slab

LINE = b"$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9*" + b"\n"
# The piecemeal cases: a 480-byte line (a long AT reply, a JSON record) arrives in 60
# pieces of 8 bytes, and the consumer polls after each piece.
PIECE = 8
LONG = bytes(b"0123456789abcdef" * 30)[:479] + b"\n"
_PIECES = [LONG[i:i + PIECE] for i in range(0, len(LONG), PIECE)]


def t_readline_into(n, q, buf):
    t0 = ticks_us()
    for _ in range(n):
        q.write(LINE)
        q.readline_into(buf)
    return ticks_diff(ticks_us(), t0)


def t_ringio_readline(n, q, b):
    t0 = ticks_us()
    for _ in range(n):
        q.write(LINE)
        q.readline()  # a new bytes object per line
    return ticks_diff(ticks_us(), t0)


def t_find_readinto(n, q, buf):
    # The primitives composed in Python: find the delimiter, then take that many bytes.
    t0 = ticks_us()
    for _ in range(n):
        q.write(LINE)
        k = q.find(10)
        if k >= 0:
            q.readinto(buf, k + 1)
    return ticks_diff(ticks_us(), t0)


def t_get_loop(n, q, buf):
    # What a user writes without these methods: byte by byte with get() until "\n".
    t0 = ticks_us()
    for _ in range(n):
        q.write(LINE)
        i = 0
        while True:
            c = q.get()
            buf[i] = c
            i += 1
            if c == 10 or c < 0:
                break
    return ticks_diff(ticks_us(), t0)


def t_piecemeal(n, q, buf):
    # LONG arrives PIECE bytes at a time; the consumer polls after each piece.
    t0 = ticks_us()
    for _ in range(n):
        for p in _PIECES:
            q.write(p)
            q.readline_into(buf)
    return ticks_diff(ticks_us(), t0)


def t_piecemeal_find(n, q, buf):
    # Same arrival, polled with find from the start each time (re-examines every byte).
    t0 = ticks_us()
    for _ in range(n):
        for p in _PIECES:
            q.write(p)
            k = q.find(10)
            if k >= 0:
                q.readinto(buf, k + 1)
    return ticks_diff(ticks_us(), t0)



def add_cases(add):
    buf = bytearray(83)
    big = bytearray(512)
    add("line_readline_into", 30, "ByteRing(1024) write + readline_into(buf), 60-byte line",
        t_readline_into, ByteRing(1024), buf, baseline="line_ringio_readline", target=1.0,
        on_board=True, note="into a preallocated buffer: allocates nothing")
    add("line_ringio_readline", 30, "RingIO(1024) write + readline(), 60-byte line",
        t_ringio_readline, micropython.RingIO(1024), None, gc=True,
        note="the user's alternative today: a new bytes object per line")
    add("line_find_readinto", 30, "ByteRing(1024) write + find(10) + readinto(buf, k+1)",
        t_find_readinto, ByteRing(1024), buf, baseline="line_ringio_readline",
        on_board=True, note="the same scan from Python with find: two calls per line")
    add("line_get_loop", 30, "ByteRing(1024) write + get() loop until '\\n'",
        t_get_loop, ByteRing(1024), buf, baseline="line_ringio_readline",
        note="byte-by-byte scan in Python, what users write without readline_into")
    add("line_deque_readline_into", 30, "ByteDeque(Slab(1024, 32)) write + readline_into",
        t_readline_into, ByteDeque(Slab(1024, 32)), buf, baseline="line_ringio_readline",
        note="a 60-byte line spans 2-3 chunks of 32 bytes")
    add("line_piecemeal", 31, "ByteRing: 480-byte line in 60 pieces of 8 B, readline_into "
        "polled after each", t_piecemeal, ByteRing(1024), big,
        baseline="line_piecemeal_find",
        note="readline_into resumes where the last poll stopped: each byte examined once")
    add("line_piecemeal_find", 31, "ByteRing: same arrival, find(10) from the start after "
        "each piece", t_piecemeal_find, ByteRing(1024), big,
        note="re-examines the waiting bytes on every poll: O(line^2 / piece)")
    add("line_piecemeal_pure", 31, "pure-Python ByteRing: 480-byte line in 8 B pieces, "
        "readline_into polled after each", t_piecemeal, _pure_ring(), big,
        baseline="line_piecemeal_find_pure",
        note="the kernel of firmware without viper (most CircuitPython boards)")
    add("line_piecemeal_find_pure", 31, "pure-Python ByteRing: same arrival, find(10) "
        "from the start after each piece", t_piecemeal_find, _pure_ring(), big)


def _pure_ring():
    from mpalloc import _ring_py, ring

    return ring._with_kernel(_ring_py)(1024)
