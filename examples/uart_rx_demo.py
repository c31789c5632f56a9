"""UART RX queue: an "interrupt" pushes bytes into a ByteRing, the main loop drains them.

    micropython -X heapsize=4M examples/uart_rx_demo.py        (or: make demo)

A producer thread stands in for the UART RX interrupt: at a fixed line rate it delivers
a deterministic byte stream, one byte at a time (``put``) or as a burst of 2-16 bytes
from the FIFO (``write`` of a preallocated buffer), and never waits for the consumer:
what the ring refuses is lost, as on real hardware, and logged so the check below can
account for it. The main loop drains the ring with ``readinto`` into a preallocated
buffer, verifies order and content, and does some allocating "application work" so that
garbage collections run while bytes arrive.

Two passes: a deliberately small ring that overflows while the main loop is paused by
a collection, then a ring sized for those pauses. Then the worst single push is set
against the worst single ``bytearray`` allocation on the same populated heap.
"""

import gc
import sys
import time

try:
    _here = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."
    sys.path.insert(0, _here + "/../lib")  # the repo's lib/; on a board /lib is on sys.path
except NameError:
    pass

import _thread

import micropython

from mpalloc.ring import ByteRing

ticks_us = time.ticks_us
ticks_diff = time.ticks_diff
ticks_add = time.ticks_add

STREAM = 1000000  # bytes per pass
BYTE_US = 2  # line rate: one byte per 2 microseconds (~5 Mbaud)
TICK_US = 100  # the producer sleeps this long between hand-overs (it wakes later)
MAX_LAG_US = 2000  # woken later than this: the line time beyond it is skipped
MAX_BURST = 16  # a UART FIFO hands over up to 16 bytes per interrupt
LIVE = 20000 if gc.mem_free() > 2000000 else 2000  # live objects kept on the heap
GC_THRESHOLD = 32768  # collect after this many bytes allocated: collections really run
APP_US = 10000  # the rest of the main loop allocates APP_BYTES every APP_US
APP_BYTES = 10000
ALLOCS = 5000  # single bytearray allocations timed after the stream
HIST = 2000  # latency histogram: 1 us buckets, the last one is "HIST-1 us or more"


def pattern(i):
    """Byte ``i`` of the stream; not periodic in 256, so a lost 256-byte block shows."""
    return (i + (i >> 8)) & 255


def record(hist, us):
    hist[us if us < HIST else HIST - 1] += 1


def mem_total():
    """Bytes ever requested from the heap (unix port; -1 where not available)."""
    f = getattr(micropython, "mem_total", None)
    return f() if f else -1


def quantile(hist, per_mille):
    """As text: the latency (us) that ``per_mille``/1000 of the operations stayed within."""
    want = (sum(hist) * per_mille + 999) // 1000
    seen = 0
    for us in range(HIST - 1):
        seen += hist[us]
        if seen >= want:
            return str(us)
    return ">%d" % (HIST - 2)


class Producer:
    """The UART RX interrupt stand-in; its run() allocates nothing."""

    def __init__(self, ring):
        self.ring = ring
        self.fifo = [bytearray(k) for k in range(MAX_BURST + 1)]  # one buffer per burst size
        # Drop log, circular: a record waits for the consumer only while accepted bytes
        # follow it in the ring (consecutive losses share one record), so capacity + 2
        # slots never overflow.
        self.logsize = ring.capacity + 2
        self.gap_at = [0] * self.logsize  # stream position of the first lost byte
        self.gap_len = [0] * self.logsize
        self.gaps = 0  # records written; published after the record is complete
        self.lost = 0
        self.alloc_error = False
        self.pushes = 0
        self.late = 0  # wake-ups later than MAX_LAG_US
        self.skipped_us = 0  # line time skipped by those (never delivered, never counted)
        self.worst_us = 0
        self.hist = [0] * HIST
        self.finished = False
        self.done = _thread.allocate_lock()
        self.done.acquire()

    def lose(self, pos, n):
        self.lost += n
        g = self.gaps
        last = (g - 1) % self.logsize
        if g and self.gap_at[last] + self.gap_len[last] == pos:
            self.gap_len[last] += n  # nothing accepted since the last loss: extend it
        else:
            self.gap_at[g % self.logsize] = pos
            self.gap_len[g % self.logsize] = n
            self.gaps = g + 1

    def run(self):
        # Held for the whole stream: an allocation here would raise MemoryError, so the
        # printout can say that pushing allocated nothing. (The heap lock is per thread.)
        lock = getattr(micropython, "heap_lock", None)
        if lock:
            lock()
        try:
            self.stream()
        except MemoryError:
            self.alloc_error = True
        finally:
            if lock:
                micropython.heap_unlock()
            self.finished = True
            self.done.release()

    def stream(self):
        # The line delivers one byte per BYTE_US. The thread sleeps, wakes every TICK_US
        # or so and hands over what arrived meanwhile, one "interrupt" after another
        # (1 byte: put; 2-16 bytes: a FIFO burst, write). If it woke very late (the OS
        # ran something else), the line time beyond MAX_LAG_US is skipped, not flooded.
        ring, fifo, hist = self.ring, self.fifo, self.hist
        pos = 0
        x = 1  # ZX81 LCG: deterministic burst sizes, every product below 2**30
        line = ticks_us()  # line time up to which bytes have been delivered
        while pos < STREAM:
            time.sleep_us(TICK_US)
            now = ticks_us()
            lag = ticks_diff(now, line)
            if lag > MAX_LAG_US:
                self.late += 1
                self.skipped_us += lag - MAX_LAG_US
                line = ticks_add(now, -MAX_LAG_US)
            due = ticks_diff(now, line) // BYTE_US
            if due > STREAM - pos:
                due = STREAM - pos
            line = ticks_add(line, due * BYTE_US)
            while due > 0:
                x = (x * 75 + 74) % 65537
                k = 1 if x & 1 else 2 + (x >> 1) % (MAX_BURST - 1)
                if k > due:
                    k = due
                if k == 1:
                    b = pattern(pos)
                    t0 = ticks_us()
                    ok = ring.put(b)
                    us = ticks_diff(ticks_us(), t0)
                    if not ok:
                        self.lose(pos, 1)
                else:
                    f = fifo[k]
                    for j in range(k):
                        f[j] = pattern(pos + j)
                    t0 = ticks_us()
                    n = ring.write(f)
                    us = ticks_diff(ticks_us(), t0)
                    if n < k:
                        self.lose(pos + n, k - n)
                record(hist, us)
                if us > self.worst_us:
                    self.worst_us = us
                self.pushes += 1
                pos += k
                due -= k


class Checker:
    """Follows the stream in the main loop, skipping exactly the logged losses."""

    def __init__(self, producer):
        self.p = producer
        self.expect = 0  # stream position of the next byte we should see
        self.gap_i = 0
        self.moved = 0
        self.bad = 0

    def check(self, buf, n):
        p = self.p
        gap_at, gap_len, size = p.gap_at, p.gap_len, p.logsize
        gaps = p.gaps  # every loss before these bytes was logged before they were pushed
        e, gi, bad = self.expect, self.gap_i, 0
        nxt = gap_at[gi % size] if gi < gaps else -1
        for j in range(n):
            if e == nxt:
                e += gap_len[gi % size]
                gi += 1
                nxt = gap_at[gi % size] if gi < gaps else -1
            if buf[j] != (e + (e >> 8)) & 255:  # pattern(e), inlined
                bad += 1
            e += 1
        self.expect, self.gap_i = e, gi
        self.moved += n
        self.bad += bad

    def finish(self):
        p = self.p
        while self.gap_i < p.gaps and p.gap_at[self.gap_i % p.logsize] == self.expect:
            self.expect += p.gap_len[self.gap_i % p.logsize]  # lost at the very end
            self.gap_i += 1


def run_pass(capacity):
    ring = ByteRing(capacity)
    prod = Producer(ring)
    chk = Checker(prod)
    buf = bytearray(512)
    worst_pause_us = 0
    heap0 = mem_total()
    t0 = prev = app_due = ticks_us()
    _thread.start_new_thread(prod.run, ())
    while True:
        n = ring.readinto(buf)
        now = ticks_us()
        worst_pause_us = max(worst_pause_us, ticks_diff(now, prev))  # ring left undrained
        prev = now
        if n:
            chk.check(buf, n)
        elif prod.finished and not ring.any():
            break
        else:
            time.sleep_us(50)  # nothing waiting: give the CPU away for a moment
        if ticks_diff(now, app_due) < 0:
            continue
        # The rest of the application, every APP_US: it builds and drops a buffer
        # (~1 MB/s in all), so collections run while bytes arrive.
        app_due = ticks_add(app_due, APP_US)
        bytes(APP_BYTES)
    prod.done.acquire()  # the thread has finished
    elapsed = ticks_diff(ticks_us(), t0)
    heap = mem_total() - heap0  # the producer allocated nothing: this is the main loop
    chk.finish()
    ok = (chk.bad == 0 and not prod.alloc_error and chk.expect == STREAM
          and chk.moved + prod.lost == STREAM and ring.dropped == prod.lost)
    return {"capacity": capacity, "moved": chk.moved, "dropped": ring.dropped,
            "overruns": prod.gaps, "bad": chk.bad, "ok": ok, "alloc_error": prod.alloc_error,
            "heap": heap, "worst_pause_us": worst_pause_us,
            "ms": elapsed // 1000, "pushes": prod.pushes, "push_worst": prod.worst_us,
            "hist": prod.hist, "late": prod.late, "skipped_us": prod.skipped_us}


def alloc_latency(k):
    """Single bytearray(64) allocations: (worst us, histogram, collections seen)."""
    hist = [0] * HIST
    worst = cols = 0
    last = gc.mem_alloc()
    for _ in range(k):
        t0 = ticks_us()
        b = bytearray(64)
        us = ticks_diff(ticks_us(), t0)
        record(hist, us)
        if us > worst:
            worst = us
        m = gc.mem_alloc()
        if m < last:
            cols += 1
        last = m
    del b
    return worst, hist, cols


def main():
    live = [(i, i) for i in range(LIVE)]  # a populated heap: every collection marks these
    gc.collect()
    gc.threshold(GC_THRESHOLD)
    print("mpalloc UART RX demo: producer thread = UART RX interrupt, main loop = consumer")
    print("  %d bytes per pass, one byte per %d us on the line: single bytes (put) and"
          % (STREAM, BYTE_US))
    print("  2-%d byte FIFO bursts (write); %d live objects on the heap, gc.threshold(%d)"
          % (MAX_BURST, len(live), GC_THRESHOLD))
    print()
    results = []
    try:
        for capacity in (128, 4096):
            r = run_pass(capacity)
            results.append(r)
            print("ByteRing(%d): %d B moved, %d B dropped (ring.dropped) in %d overruns, "
                  "order %s" % (capacity, r["moved"], r["dropped"], r["overruns"],
                                "OK" if r["ok"] else "WRONG (%d bad bytes)" % r["bad"]))
            print("  holds %d us of line time; longest main-loop pause %d us in %d ms"
                  % (capacity * BYTE_US, r["worst_pause_us"], r["ms"]))
            if r["heap"] >= 0:
                print("  main loop allocated %d KB meanwhile: ~%d collections at gc.threshold"
                      % (r["heap"] // 1024, r["heap"] // GC_THRESHOLD))
            if r["late"]:
                print("  the producer woke > MAX_LAG_US (%d us) late %d times (OS scheduling) "
                      "and skipped" % (MAX_LAG_US, r["late"]))
                print("  %d us of line time there (see below), so a longer pause need not "
                      "drop here" % r["skipped_us"])
        print()
        print("The producer never waits, as an interrupt cannot: bytes the ring refuses are")
        print("lost, counted in ring.dropped and logged, and the check skipped exactly those")
        print("and found every other byte in order. A ring drops when the main loop pauses")
        print("longer than the line time it holds (collections, and on this host the OS")
        print("scheduler): size it for baud rate x the longest pause of your main loop.")
        print("On this host the producer thread is descheduled too, sometimes for longer")
        print("than the main loop pauses: then no bytes arrive at all. When it wakes more")
        print("than MAX_LAG_US = %d us late it skips the line time beyond that instead of"
              % MAX_LAG_US)
        print("flooding the ring (a real UART's own FIFO would have overrun then), and")
        print("reports it above; that is why a pause longer than the ring holds need not")
        print("drop bytes here.")
        print()
        hist = [a + b for a, b in zip(results[0]["hist"], results[1]["hist"])]
        push_worst = max(r["push_worst"] for r in results)
        a_worst, a_hist, a_cols = alloc_latency(ALLOCS)
        print("single-op latency, us          worst  99.9%  median  ops")
        print("ByteRing put/write (producer)  %5d  %5s  %6s  %d" % (
            push_worst, quantile(hist, 999), quantile(hist, 500), sum(hist)))
        print("bytearray(64), same heap       %5d  %5s  %6s  %d (%d collections)" % (
            a_worst, quantile(a_hist, 999), quantile(a_hist, 500), sum(a_hist), a_cols))
        if getattr(micropython, "heap_lock", None) and not any(r["alloc_error"]
                                                                for r in results):
            print("The producer ran under micropython.heap_lock(): no push allocated, so no")
            print("collection ever ran inside one. Its worst case is the OS preempting the")
            print("thread (10 us to a few ms on a shared unix host), not the heap.")
    finally:
        gc.threshold(-1)
    del live
    if not all(r["ok"] for r in results):
        print("FAILED: the stream did not arrive as sent")
        sys.exit(1)


main()
