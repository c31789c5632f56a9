"""Network / UART packet buffers from a BlockPool, and the worst-case latency it buys.

    micropython examples/packet_pool.py      (from any directory)

Part 1: a receive loop takes a 64-byte block per packet, fills it with `write` (no
memoryview), hands the index to a "consumer" queue, which copies it out with
`readinto` and frees the block. Heap bytes allocated per frame are printed: zero
after warm-up.

Part 2: worst-case latency of one packet buffer, taken and returned, with 20,000 live
objects on the heap and gc.threshold() set so collections really happen: heap
`bytearray(64)` vs `BlockPool.try_alloc()+try_free()`.
"""

import gc
import sys
import time

try:  # run from anywhere: the repo's lib/ beside examples/ (on a board /lib is on sys.path)
    sys.path.insert(0, (__file__.rsplit("/", 1)[0] if "/" in __file__ else ".") + "/../lib")
except NameError:
    pass

from mpalloc.pool import BlockPool  # noqa: E402

BLOCK = 64
blocks = BlockPool(BLOCK, 16, strategy="fifo")  # fifo: a freed buffer is reused last
queue = bytearray(16)  # indices of filled blocks (< 256 here)
q = [0, 0]  # head, count
payload = bytearray(b"\x7e" + bytes(range(40)) + b"\x7e")
out = bytearray(BLOCK)
dropped = [0]


def receive(k):
    for _ in range(k):
        i = blocks.try_alloc()  # IRQ-safe: -1 when all buffers are in flight
        if i < 0:
            dropped[0] += 1
            continue
        blocks.write(i, payload)
        queue[(q[0] + q[1]) & 15] = i
        q[1] += 1


def consume(k):
    total = 0
    while k and q[1]:
        i = queue[q[0]]
        q[0] = (q[0] + 1) & 15
        q[1] -= 1
        total += blocks.readinto(i, out)
        blocks.free(i)
        k -= 1
    return total


def frames(n=30):
    have_mem = hasattr(gc, "mem_alloc")
    for f in range(n):
        gc.collect()
        gc.disable()
        a = gc.mem_alloc() if have_mem else 0
        receive(3 + (f & 3))
        got = consume(4)
        b = gc.mem_alloc() if have_mem else 0
        gc.enable()
        if f < 4 or f % 10 == 9:
            print("frame %2d: %3d bytes consumed, %2d queued, heap bytes allocated in frame:"
                  " %s" % (f, got, q[1], b - a if have_mem else "n/a"))
    print(blocks.stats(), "dropped", dropped[0])


def latency(k=5000, live_n=20000):
    if not hasattr(gc, "threshold") or not hasattr(time, "ticks_us"):
        print("latency: needs MicroPython (gc.threshold, time.ticks_us)")
        return
    ticks, diff = time.ticks_us, time.ticks_diff
    live = [(i, i) for i in range(live_n)]  # noqa: F841 - keeps the heap busy
    bp = BlockPool(BLOCK, 64)
    gc.collect()
    gc.threshold(32768)
    heap_worst = pool_worst = 0
    try:
        last = gc.mem_alloc()
        cols = 0
        for _ in range(k):
            t0 = ticks()
            b = bytearray(BLOCK)
            t = diff(ticks(), t0)
            if t > heap_worst:
                heap_worst = t
            m = gc.mem_alloc()
            cols += m < last
            last = m
        del b
        for _ in range(k):
            t0 = ticks()
            bp.try_free(bp.try_alloc())
            t = diff(ticks(), t0)
            if t > pool_worst:
                pool_worst = t
    finally:
        gc.threshold(-1)
    print("latency, %d ops each, %d live objects: heap bytearray(%d) worst %d us (%d "
          "collections), BlockPool try_alloc+try_free worst %d us: 1/%d"
          % (k, live_n, BLOCK, heap_worst, cols, pool_worst,
             heap_worst // max(pool_worst, 1)))


frames()
latency()
