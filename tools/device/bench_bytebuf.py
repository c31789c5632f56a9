# Benchmark cases for mpalloc.bytebuf (ByteDeque, ByteBuffer); loaded by tools/device/bench_mp.py.
import time

from mpalloc.bytebuf import ByteBuffer, ByteDeque, _with_kernel
from mpalloc.slab import Slab

ticks_us = time.ticks_us
ticks_diff = time.ticks_diff


def t_push_pop(n, d, b):
    t0 = ticks_us()
    for _ in range(n):
        d.push_back(65)
        d.pop_front()
    return ticks_diff(ticks_us(), t0)


def t_write_readinto(n, d, bufs):
    src, dst = bufs
    t0 = ticks_us()
    for _ in range(n):
        d.write(src)
        d.readinto(dst)
    return ticks_diff(ticks_us(), t0)


def t_buffer_4k(n, b, piece):
    t0 = ticks_us()
    for _ in range(n):
        for _ in range(128):
            b.write(piece)
        b.clear()
    return ticks_diff(ticks_us(), t0)


def t_bytearray_4k(n, a, piece):
    t0 = ticks_us()
    for _ in range(n):
        buf = bytearray()
        for _ in range(128):
            buf += piece
    return ticks_diff(ticks_us(), t0)


def add_cases(add):
    held = ByteDeque(Slab(1024, 32))
    held.write(bytes(100))  # steady state: the deque holds data, chunks are reused
    src = bytearray(range(128))
    dst = bytearray(128)
    piece = bytearray(range(32))
    add("bytedeque_1_idle", 10, "ByteDeque push_back+pop_front, 1 B, idle deque "
        "(chunk taken and returned every time)", t_push_pop, ByteDeque(Slab(1024, 32)), None,
        baseline="ringio_1", target=1.0, floor="floor_calls_int",
        note="an empty deque holds no chunk, so each push takes one (Slab.try_alloc) and "
             "each pop that empties it returns it (try_free)")
    add("bytedeque_1_held", 10, "ByteDeque push_back+pop_front, 1 B, 100 B queued",
        t_push_pop, held, None, baseline="ringio_1", target=1.0, floor="floor_calls_int",
        summary="ByteDeque", note="a chunk is taken/returned once per 32 bytes")
    add("bytedeque_1_irq", 10, "ByteDeque push_back+pop_front, 1 B, irq_safe slab",
        t_push_pop, ByteDeque(Slab(1024, 32, irq_safe=True)), None, baseline="ringio_1",
        note="every call in a critical section (a _thread lock on the unix port)")
    add("bytedeque_128", 11, "ByteDeque(Slab(4096, 32)) write+readinto, 128 B",
        t_write_readinto, ByteDeque(Slab(4096, 32)), (src, dst), baseline="ringio_128",
        target=1.5, floor="floor_calls_buf")
    add("bytebuffer_4k", 12, "ByteBuffer(Slab(4096, 128)): 4 KB as 128 writes of 32 B, "
        "then clear()", t_buffer_4k, ByteBuffer(Slab(4096, 128)), piece,
        baseline="bytearray_4k", target=1.0, summary="ByteBuffer",
        note="allocates nothing (tests/test_bytebuf.py)")
    add("bytearray_4k", 12, "bytearray += 32 B, 128 times (4 KB)", t_bytearray_4k, None,
        piece, gc=True, note="reallocates as it grows; includes the collections it causes")
    # Kernel vs pure twin (>= 2x required to keep the kernel).
    for kind in ("viper", "py"):
        try:
            kmod = __import__("mpalloc._bytebuf_" + kind, None, None, ("NAME",))
            deque_cls, why = _with_kernel(kmod)[1], ""
        except (SyntaxError, ImportError, ValueError) as e:
            deque_cls, why = None, repr(e)
        viper = kind == "viper"
        for cid, label, fn, b in (
                ("bytebuf_1", "ByteDeque push_back+pop_front, 1 B, 100 B queued", t_push_pop,
                 None),
                ("bytebuf_128", "ByteDeque(Slab(4096, 32)) write+readinto, 128 B",
                 t_write_readinto, (src, dst))):
            d = None
            if deque_cls is not None:
                d = deque_cls(Slab(4096, 32))
                if cid == "bytebuf_1":
                    d.write(bytes(100))
            add("%s_%s" % (cid, kind), 13, "%s [%s kernel]" % (label, kind),
                fn if d is not None else None, d, b,
                baseline=cid + "_py" if viper else None, target=0.5 if viper else None,
                note=why)
