"""The consumer side of the byte queues (API second wave): find, peek_into, skip,
readline_into, and the stream convention write(buf, n) / readinto(buf, n), on ByteRing,
ByteDeque (plain and irq_safe slab) and GlobalDeque, on every kernel that imports here.

Everything is checked against a plain-Python reference queue (a list of ints)."""

from mpalloc import _bytebuf_py, _ring_py, bytebuf, global_slab, ring
from mpalloc.bytebuf import ByteDeque
from mpalloc.global_slab import GlobalDeque
from mpalloc.ring import ByteRing
from mpalloc.slab import Slab
from support import (
    IS_MICROPYTHON,
    eq,
    has_numbers,
    no_alloc,
    no_heap_use,
    raises,
    rng,
    skip,
    viper_kernel,
)

_ring_viper = viper_kernel("_ring_viper")
_bytebuf_viper = viper_kernel("_bytebuf_viper")


def queues(cap):
    """(name, queue) for every queue kind and kernel, each holding at least ``cap``
    bytes: rings of exactly ``cap`` (small: the wrap point moves), deques over 16-byte
    chunks (lines cross chunk boundaries everywhere)."""
    out = []
    for k in (_ring_py, _ring_viper):
        if k is not None:
            out.append(("ByteRing/" + k.NAME, ring._with_kernel(k)(cap)))
    slots = (cap + 15) // 16 + 1
    for k in (_bytebuf_py, _bytebuf_viper):
        if k is not None:
            out.append(("ByteDeque/" + k.NAME, bytebuf._with_kernel(k)[1](Slab(16 * slots,
                                                                               slots))))
    out.append(("ByteDeque/irq_safe", ByteDeque(Slab(16 * slots, slots, irq_safe=True))))
    global_slab._reset()
    g = GlobalDeque()
    global_slab.configure(16 * slots, slots)
    out.append(("GlobalDeque", g))
    return out


def room(q):
    # Bytes the queue can take now (a deque: free chunks plus the tail chunk's room).
    if isinstance(q, ByteRing):
        return q.space()
    s = q._s
    h = q._h
    return s.stats()["free"] * s.block_size + h[4] - h[3]


def ref_line(model, m, delim):
    """readline_into on the reference: (result, line bytes), consuming from model."""
    lim = min(len(model), m)
    for i in range(lim):
        if model[i] == delim:
            line = bytes(model[:i + 1])
            del model[:i + 1]
            return i + 1, line
    if len(model) >= m:
        line = bytes(model[:m])
        del model[:m]
        return -m, line
    return 0, b""


def ref_find(model, byte, start):
    for i in range(start, len(model)):
        if model[i] == byte:
            return i
    return -1


def stream(g, n, delim):
    """n bytes of lines: empty lines, short ones, ones longer than any buffer used."""
    out = bytearray(n)
    i = 0
    while i < n:
        k = (0, 1, 2, 5, 9, 17, 40)[g.randrange(0, 7)]
        for _ in range(k):
            if i >= n:
                break
            b = g.randrange(0, 256)
            out[i] = b if b != delim else b ^ 1
            i += 1
        if i < n:
            out[i] = delim
            i += 1
    return out


def _drive(q, g, src, delim, steps, use_count):
    # Random arrival splits (write(buf, n) or write_from), random consumer calls, all
    # checked against the reference after every step.
    model = []
    fed = 0
    bufs = [bytearray(m) for m in (1, 2, 3, 7, 16, 33)]
    for step in range(steps):
        op = g.randrange(0, 10)
        if op < 4 and fed < len(src):
            n = min(g.randrange(0, 9), len(src) - fed, room(q))
            chunk = src[fed:fed + 12]
            k = q.write(chunk, n) if use_count else q.write_from(chunk, n)
            assert k == n, (step, k, n)
            model.extend(chunk[:n])
            fed += n
        elif op < 8:
            buf = bufs[g.randrange(0, len(bufs))]
            want, line = ref_line(model, len(buf), delim)
            got = q.readline_into(buf, delim)
            assert got == want, (step, got, want)
            assert bytes(buf[:abs(got)]) == line, step
        elif op == 8:
            byte = delim if g.randrange(0, 2) else g.randrange(0, 256)
            start = g.randrange(0, len(model) + 3)
            assert q.find(byte, start) == ref_find(model, byte, start), step
            buf = bufs[g.randrange(0, len(bufs))]
            off = g.randrange(0, len(model) + 2)
            n = q.peek_into(buf, off)
            assert n == max(0, min(len(buf), len(model) - off)), step
            assert list(buf[:n]) == model[off:off + n], step
        else:
            n = g.randrange(-1, 5)
            assert q.skip(n) == max(0, min(n, len(model))), step
            del model[:max(0, n)]
        assert len(q) == len(model), (step, len(q), len(model))
    return model


def test_lines_against_reference_random_splits():
    g = rng(1901)
    for cap in (13, 40):
        for delim in (10, 0, 255):
            src = stream(g, 700, delim)
            for name, q in queues(cap):
                model = _drive(q, g, src, delim, 600, delim != 0)
                out = bytearray(1)
                while model:  # what is left drains in order
                    assert q.readinto(out, 1) == 1 and out[0] == model.pop(0), name
                assert len(q) == 0, name
    global_slab._reset()


def test_delimiter_at_every_position_and_wrap():
    # A line with its delimiter at each position 0..m-1, starting at every ring index.
    cap = 11
    for name, q in queues(cap):
        for start in range(cap + 1):
            for pos in range(cap):
                q.clear()
                q.write(bytes(start))
                q.skip(start)  # both indices of a ring now at `start`
                line = bytearray(b"a" * pos + b"\n")
                q.write(line)
                for m in (pos, pos + 1, cap):
                    if m == 0:
                        continue
                    buf = bytearray(m)
                    assert q.find(10) == pos, (name, start, pos)
                    assert q.peek_into(buf) == min(m, pos + 1)
                    got = q.readline_into(buf)
                    if m > pos:
                        assert got == pos + 1 and buf[:pos + 1] == line, (name, start, pos)
                        assert len(q) == 0
                        q.write(line)
                    else:
                        assert got == -m and buf == line[:m], (name, start, pos, got)
                        assert q.readline_into(bytearray(cap)) == pos + 1 - m
                        q.write(line)
    global_slab._reset()


def test_empty_lines_and_no_line_consumes_nothing():
    for name, q in queues(16):
        buf = bytearray(8)
        assert q.readline_into(buf) == 0  # empty queue
        q.write(b"\n\nab")
        assert q.readline_into(buf) == 1 and buf[0] == 10
        assert q.readline_into(buf) == 1
        assert q.readline_into(buf) == 0 and len(q) == 2, name  # "ab": not complete
        q.write(b"c\r\n")
        assert q.readline_into(buf) == 5 and buf[:5] == b"abc\r\n", name
        q.write(b"x;y;")
        assert q.readline_into(buf, 0x3B) == 2 and buf[:2] == b"x;"
        assert q.readline_into(buf, 0x3B) == 2 and len(q) == 0
    global_slab._reset()


def _scanned(q):
    # readline_into's remembered scan count (internal: one word per kernel layout).
    if isinstance(q, ByteRing):
        return q._state()[4] >> 8  # word "scan", either kernel
    return q._ls >> 8 if q.KERNEL == "py" else q._h[15] >> 8


def test_line_arriving_piecemeal_is_scanned_once():
    # Each poll resumes where the last one stopped: the remembered count grows with
    # the bytes that arrived, and any other consuming call resets it.
    for name, q in queues(80):
        buf = bytearray(80)
        for i in range(60):
            q.write(b"abcdefghij"[i % 10:i % 10 + 1])
            assert q.readline_into(buf) == 0
            assert _scanned(q) == i + 1, (name, i, _scanned(q))
        assert q.readline_into(buf, 0x20) == 0 and _scanned(q) == 60  # other delim: rescan
        assert q.readline_into(buf) == 0 and _scanned(q) == 60
        assert q.skip(10) == 10 and _scanned(q) == 50, name  # still known delim-free
        out = bytearray(1)
        assert q.readinto(out) == 1 and _scanned(q) == 0, name
        assert q.readline_into(buf) == 0 and _scanned(q) == 49
        q.write(b"\n")
        assert q.readline_into(buf) == 50 and buf[49] == 10 and _scanned(q) == 0
        q.write(b"xy")
        assert q.readline_into(buf) == 0 and _scanned(q) == 2
        q.clear()
        assert _scanned(q) == 0
    global_slab._reset()


def test_stream_convention_counts():
    for name, q in queues(16):
        assert q.write(b"xyz", 1) == 1
        assert q.write(b"abc", 0) == 0
        assert q.write(b"abc", -1) == 3  # a negative count: all of buf, as streams do
        assert q.write(b"de", 9) == 2
        buf = bytearray(8)
        assert q.readinto(buf, 2) == 2 and buf[:2] == b"xa"
        assert q.readinto(buf, 0) == 0
        assert q.readinto(buf, -5) == 4 and buf[:4] == b"bcde", name
        assert q.readinto(buf) == 0
    global_slab._reset()


def test_bad_arguments_raise_and_change_nothing():
    for name, q in queues(16):
        q.write(b"ab\ncd")
        buf = bytearray(4)
        for fn, args in ((q.find, (256,)), (q.find, (-1,)), (q.find, (10, -1)),
                         (q.readline_into, (bytearray(0),)), (q.readline_into, (buf, 300)),
                         (q.peek_into, (buf, -2))):
            e = raises(ValueError, fn, *args)
            has_numbers(e, 5)  # the bytes waiting
            assert len(q) == 5, name
        raises(TypeError, q.readline_into, b"read-only")
        raises(TypeError, q.peek_into, "text")
        assert q.readline_into(buf) == 3 and buf[:3] == b"ab\n", name  # lock released
        assert q.find(ord("d")) == 1
    global_slab._reset()


# --- no allocation, heap_lock and heap-usage delta ------------------------------------------


def _calls(check, q):
    # Every new method (and the count forms) once, with buffers already type-checked.
    src = bytearray(b"$GPGGA,1*00\r\nabc")
    line = bytearray(20)
    peek = bytearray(4)
    q.write(src)
    q.readline_into(line)
    q.peek_into(peek)
    q.clear()
    assert check(q.write, src) == 16
    assert check(q.write, src, 3) == 3
    assert check(q.find, 10) == 12
    assert check(q.find, 10, 13) == -1
    assert check(q.peek_into, peek) == 4
    assert check(q.peek_into, peek, 17) == 2
    assert check(q.readline_into, line) == 13
    assert check(q.readline_into, line) == 0
    assert check(q.readline_into, line, 0x62) == 2
    assert check(q.skip, 1) == 1
    assert check(q.readinto, peek, 3) == 3
    assert check(q.readinto, peek) == 0
    assert check(q.write, src) == 16
    assert check(q.readinto, peek) == 4
    assert check(q.skip, 100) == 12


def test_no_alloc_consumer_methods():
    if not IS_MICROPYTHON:
        skip("heap_lock checks need MicroPython")
    for _name, q in queues(40):
        for _ in range(3):  # several start positions
            _calls(no_alloc, q)
    global_slab._reset()


def test_no_heap_use_consumer_methods():
    # Counts even a call frame taken from the heap and freed on return.
    if not IS_MICROPYTHON:
        skip("needs micropython.mem_total")
    for _name, q in queues(40):
        for _ in range(3):
            _calls(no_heap_use, q)
    global_slab._reset()


# --- the twins agree ------------------------------------------------------------------------


def test_twins_agree_on_consumer_calls():
    pairs = []
    if _ring_viper is not None:
        pairs.append((ring._with_kernel(_ring_py)(23), ring._with_kernel(_ring_viper)(23)))
    if _bytebuf_viper is not None:
        pairs.append((bytebuf._with_kernel(_bytebuf_py)[1](Slab(320, 20, _salt=5)),
                      bytebuf._with_kernel(_bytebuf_viper)[1](Slab(320, 20, _salt=5))))
    if not pairs:
        skip("only the pure kernels import on this runtime")
    for a, b in pairs:
        g = rng(606)
        src = stream(g, 400, 10)
        outs = (bytearray(32), bytearray(32))
        for step in range(2500):
            op = g.randrange(0, 7)
            n = g.randrange(-2, 30)
            off = g.randrange(0, 350)
            if op == 0:
                res = (a.write(src[off:off + 20], n), b.write(src[off:off + 20], n))
            elif op == 1:
                m = g.randrange(1, 32)
                res = (a.readline_into(memoryview(outs[0])[:m]),
                       b.readline_into(memoryview(outs[1])[:m]))
                assert outs[0][:abs(res[0])] == outs[1][:abs(res[1])], step
            elif op == 2:
                res = (a.find(10, n & 15), b.find(10, n & 15))
            elif op == 3:
                res = (a.peek_into(outs[0], n & 7), b.peek_into(outs[1], n & 7))
                assert outs[0][:res[0]] == outs[1][:res[1]], step
            elif op == 4:
                res = (a.skip(n), b.skip(n))
            elif op == 5:
                res = (a.readinto(outs[0], n), b.readinto(outs[1], n))
                assert outs[0][:res[0]] == outs[1][:res[1]], step
            else:
                res = (a.get() if isinstance(a, ByteRing) else a.pop_front(),
                       b.get() if isinstance(b, ByteRing) else b.pop_front())
            assert res[0] == res[1], (step, op, res)
            assert len(a) == len(b) and _scanned(a) == _scanned(b), step
            if isinstance(a, ByteRing):
                eq(b._state(), a._state(), "step %d op %d: state words (w, r, dropped, size, "
                   "scan, capacity, failures), viper vs py" % (step, op))
            else:
                assert list(a._h)[:11] == list(b._h)[:11], step


# --- aio.QueueReader: lines and exact reads from a producer thread (an IRQ stand-in) --------


def _wait(flags):
    import time

    for _ in range(30000):
        if flags[0]:
            return
        time.sleep(0.001)
    raise AssertionError("producer did not finish")


def _reader_lines(reader, src, buf):
    import asyncio

    from support import produce, start_thread

    want = []
    model = list(src)
    while model:
        want.append(ref_line(model, len(buf), 10))
    flags = [0, 0, 0]  # producer done, stop request, bytes refused

    async def consume():
        got = []
        async for n in reader.lines(buf):
            got.append((n, bytes(buf[:abs(n)])))
            if len(got) == len(want):
                break
        return got

    start_thread(produce, src, flags, reader.push, bytearray(13), None, 0, 13, 20)
    got = asyncio.run(consume())
    _wait(flags)
    return got, want


def test_reader_lines_with_producer_thread():
    try:
        import _thread  # noqa: F401
    except ImportError:
        skip("no _thread here")
    from mpalloc import aio

    g = rng(77)
    src = stream(g, 3000, 10)
    src[-1] = 10  # ends with a complete line
    for q in (ByteRing(64), ByteDeque(Slab(512, 16, irq_safe=True))):
        got, want = _reader_lines(aio.QueueReader(q), src, bytearray(24))
        assert got == want, type(q).__name__


def test_reader_readexactly_into_and_readline_into():
    try:
        import _thread  # noqa: F401
    except ImportError:
        skip("no _thread here")
    import asyncio

    from mpalloc import aio
    from support import produce, start_thread

    src = bytearray((i * 7 + 3) & 0xFF for i in range(7 * 300))
    for q in (ByteRing(32), ByteDeque(Slab(256, 16, irq_safe=True))):
        r = aio.QueueReader(q)
        flags = [0, 0, 0]  # producer done, stop request, bytes refused

        async def frames(r):
            out = bytearray()
            buf = bytearray(10)
            while len(out) < len(src):
                assert await r.readexactly_into(buf, 7) == 7
                out.extend(buf[:7])
            return out

        start_thread(produce, src, flags, r.push, bytearray(13), None, 0, 13, 20)
        assert asyncio.run(frames(r)) == src, type(q).__name__
        _wait(flags)
        q.write(b"ok\npart")
        line = bytearray(8)
        assert asyncio.run(r.readline_into(line)) == 3 and line[:3] == b"ok\n"
        assert asyncio.run(r.readline_into(line, 0x72)) == 3 and line[:3] == b"par"
        q.clear()


def _asyncio():
    import asyncio

    if not hasattr(asyncio, "run"):
        skip("no asyncio.run: asyncio runs on the JavaScript event loop (WebAssembly port)")
    return asyncio


def test_reader_full_ring_without_delim_returns_a_piece():
    asyncio = _asyncio()

    from mpalloc import aio

    r = aio.QueueReader(ByteRing(6))
    r.queue.write(b"abcdef")  # full, no newline: a buffer of the ring's size takes a piece
    buf = bytearray(10)
    piece = memoryview(buf)[:6]
    assert asyncio.run(r.readline_into(piece)) == -6 and buf[:6] == b"abcdef"
    e = raises(ValueError, asyncio.run, r.readexactly_into(buf, 7))
    has_numbers(e, 7, 6)
    e = raises(ValueError, asyncio.run, r.readexactly_into(bytearray(4), 5))
    has_numbers(e, 5, 4)


def test_reader_lines_allocate_no_line_objects():
    # Per awaited line only the coroutine object is allocated: the same bytes for a
    # 10-byte and an 80-byte line (no bytes object per line, unlike StreamReader).
    try:
        import micropython

        total = micropython.mem_total
    except (ImportError, AttributeError):
        skip("needs micropython.mem_total")
    asyncio = _asyncio()

    from mpalloc import aio

    r = aio.QueueReader(ByteRing(2048))
    buf = bytearray(90)
    per = []
    for size in (10, 80):
        line = bytes(size - 1) + b"\n"

        async def take(n, size):
            a = total()
            async for k in r.lines(buf):
                assert k == size
                n -= 1
                if not n:
                    break
            return total() - a

        r.queue.clear()
        for _ in range(20):
            r.queue.write(line)
        asyncio.run(take(1, size))  # warm-up
        per.append(asyncio.run(take(16, size)) // 16)
    assert per[0] == per[1], per


def test_big_and_non_int_arguments():
    # Big ints must not truncate in a viper kernel (2**40 + 10 is not 10), floats raise
    # TypeError in every twin, before anything changes.
    big = 1 << 40
    for name, q in queues(16):
        q.write(b"ab\ncd")
        buf = bytearray(8)
        raises(ValueError, q.find, big + 10)
        raises(ValueError, q.find, 10, -big)
        raises(ValueError, q.readline_into, buf, big + 10)
        raises(ValueError, q.peek_into, buf, -big)
        assert q.find(10, big) == -1 and q.peek_into(buf, big) == 0, name
        for fn, args in ((q.skip, (1.5,)), (q.readinto, (buf, 2.5))):
            raises(TypeError, fn, *args)
            assert len(q) == 5, name
        assert q.readinto(buf, big) == 5 and buf[:5] == b"ab\ncd", name
        q.write(b"xyz")
        assert q.skip(big) == 3 and len(q) == 0, name
        assert q.skip(-big) == 0 and q.readinto(buf, -big) == 0
    global_slab._reset()
