# Benchmark cases for mpalloc.bytebuf (ByteDeque, ByteBuffer); loaded by tools/device/bench_mp.py.
import micropython
from bench_kit import Plain, address, kernel_module, t_write_readinto, ticks_diff, ticks_us

from mpalloc.bytebuf import ByteBuffer, ByteDeque, _with_kernel
from mpalloc.slab import Slab

# ---- work floors (issue 15: a missed goal is shown with the least work any viper
# implementation of its operation must do here, in the same call shape) -----------------


def floor_deque_byte():
    """push_back(b)/pop_front() as per-instance viper closures over one captured address
    (>> 2, as the library's), each doing the least a chunked byte FIFO must: push stores
    the byte at the write position and bumps it and the count; pop checks the count, loads
    the byte at the read position and bumps it. Leaves out: the end-of-chunk compares, the
    chunk table, the slab's take/give (the idle deque does one of each per op), dropped
    and the scan memory."""
    m = bytearray(64)  # words 0..3: count, read, write; data from byte 16
    a4 = address(m) >> 2
    o = Plain()

    @micropython.viper
    def push_back(b: int) -> bool:
        p = int(a4) << 2
        h = ptr32(p)
        w = int(h[2])
        ptr8(p)[16 + w] = b
        h[2] = (w + 1) & 31
        h[0] = int(h[0]) + 1
        return True

    @micropython.viper
    def pop_front() -> int:
        p = int(a4) << 2
        h = ptr32(p)
        n = int(h[0])
        if n == 0:
            return -1
        r = int(h[1])
        v = int(ptr8(p)[16 + r])
        h[1] = (r + 1) & 31
        h[0] = n - 1
        return v

    o.push_back = push_back
    o.pop_front = pop_front
    o.keep = m
    return o


def floor_deque_stream():
    """write(buf, n=None)/readinto(buf, n=None) as the library's: a @native layer for the
    optional count (viper takes no defaults) over a per-instance viper closure (buf, n)
    capturing the object, one address (>> 2) and len; each does len(buf) + ptr8(buf) +
    the word copy of all of buf (the SHARED copy_aligned loop, 16 bytes per step) into /
    out of one fixed chunk + one header store. Leaves out: the buffer type check, the
    count clamps, the chunk table and the slab's take/give (one each per call in the
    case), the misaligned path."""
    m = bytearray(16 + 1024)  # word 0: bytes held; data from byte 16
    a4 = address(m) >> 2
    o = Plain()
    ln = len

    @micropython.viper
    def writek(buf, n: int) -> int:
        k = int(ln(buf))
        sa = int(ptr8(buf))
        da = int(a4) << 2
        h = ptr32(da)
        da += 16
        c = k
        e = da + (c & -16)
        while da < e:
            dw = ptr32(da)
            sw = ptr32(sa)
            dw[0] = sw[0]
            dw[1] = sw[1]
            dw[2] = sw[2]
            dw[3] = sw[3]
            da += 16
            sa += 16
        h[0] = k
        return k

    @micropython.viper
    def readk(buf, n: int) -> int:
        k = int(ln(buf))
        da = int(ptr8(buf))
        sa = int(a4) << 2
        h = ptr32(sa)
        sa += 16
        c = k
        e = da + (c & -16)
        while da < e:
            dw = ptr32(da)
            sw = ptr32(sa)
            dw[0] = sw[0]
            dw[1] = sw[1]
            dw[2] = sw[2]
            dw[3] = sw[3]
            da += 16
            sa += 16
        h[0] = 0
        return k

    @micropython.native
    def write(buf, n=None):
        if n is None or n < 0:
            return writek(buf, -1)
        return writek(buf, n)

    @micropython.native
    def readinto(buf, n=None):
        if n is None or n < 0:
            return readk(buf, -1)
        return readk(buf, n)

    o.write = write
    o.readinto = readinto
    o.keep = m
    return o


def t_push_pop(n, d, b):
    t0 = ticks_us()
    for _ in range(n):
        d.push_back(65)
        d.pop_front()
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
        baseline="ringio_1", target=1.0, floor="floor_deque_byte",
        note="an empty deque holds no chunk, so each push takes one (Slab.try_alloc) and "
             "each pop that empties it returns it (try_free)")
    add("bytedeque_1_held", 10, "ByteDeque push_back+pop_front, 1 B, 100 B queued",
        t_push_pop, held, None, baseline="ringio_1", target=1.0, floor="floor_deque_byte",
        summary="ByteDeque", note="a chunk is taken/returned once per 32 bytes")
    add("bytedeque_1_irq", 10, "ByteDeque push_back+pop_front, 1 B, irq_safe slab",
        t_push_pop, ByteDeque(Slab(1024, 32, irq_safe=True)), None, baseline="ringio_1",
        note="every call in a critical section (a _thread lock on the unix port)")
    add("bytedeque_128", 11, "ByteDeque(Slab(4096, 32)) write+readinto, 128 B",
        t_write_readinto, ByteDeque(Slab(4096, 32)), (src, dst), baseline="ringio_128",
        target=1.5, floor="floor_deque_stream")
    add("floor_deque_byte", 10, "floor: push_back(65)+pop_front() as closures over one "
        "address: the byte store/load and two header words each (no chunk bounds, no "
        "slab take/give)", t_push_pop, floor_deque_byte(), None, baseline="ringio_1")
    add("floor_deque_stream", 11, "floor: write(src)+readinto(dst) 128 B as the library's "
        "@native optional-count layer over a viper closure: len+ptr8, the 16-byte word "
        "copy, one header store each (no buffer check, clamps, chunk table, take/give)",
        t_write_readinto, floor_deque_stream(), (src, dst), baseline="ringio_128")
    add("bytebuffer_4k", 12, "ByteBuffer(Slab(4096, 128)): 4 KB as 128 writes of 32 B, "
        "then clear()", t_buffer_4k, ByteBuffer(Slab(4096, 128)), piece,
        baseline="bytearray_4k", target=1.0, summary="ByteBuffer",
        note="allocates nothing (tests/test_bytebuf.py)")
    add("bytearray_4k", 12, "bytearray += 32 B, 128 times (4 KB)", t_bytearray_4k, None,
        piece, gc=True, note="reallocates as it grows; includes the collections it causes")
    # Kernel vs pure twin (>= 2x required to keep the kernel).
    for kind in ("viper", "py"):
        kmod, why = kernel_module("_bytebuf_" + kind)
        deque_cls = _with_kernel(kmod)[1] if kmod is not None else None
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
            add(cid, 13, label, fn, d, b, note=why, kernel=kind)
