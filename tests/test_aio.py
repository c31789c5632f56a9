import time

from mpalloc import aio
from mpalloc.bytebuf import ByteDeque
from mpalloc.ring import ByteRing
from mpalloc.slab import Slab
from support import IS_MICROPYTHON, no_alloc, skip, start_thread


def data(n):
    out = bytearray(n)
    for i in range(n):
        out[i] = (i * 13 + (i >> 8)) & 0xFF
    return out


def _producer(reader, src, stage, flags):
    # Stands in for a UART IRQ: allocation-free pushes, a wake-up after each.
    i = 0
    n = len(src)
    step = 0
    while i < n:
        step += 1
        c = step % 23 + 1
        if c > n - i:
            c = n - i
        for j in range(c):
            stage[j] = src[i + j]
        k = reader.push(stage, c)
        i += k
        if k < c:
            time.sleep(0.001)  # queue full: wait for the consumer like a FIFO would
        elif step % 50 == 0:
            time.sleep(0.0005)  # idle gaps: the coroutine really sleeps on the flag
    flags[0] = 1


def _run(reader, total, use_iter):
    import asyncio

    src = data(total)
    flags = [0]
    out = bytearray(total)

    async def consume():
        got = 0
        if use_iter:
            async for view in reader:
                out[got:got + len(view)] = view
                got += len(view)
                if got >= total:
                    break
        else:
            buf = bytearray(37)
            while got < total:
                n = await reader.readinto(buf)
                assert n > 0
                out[got:got + n] = buf[:n]
                got += n
        return got

    start_thread(_producer, reader, src, bytearray(32), flags)
    got = asyncio.run(consume())
    t0 = time.time()
    while not flags[0]:
        assert time.time() - t0 < 30
        time.sleep(0.001)
    assert got == total and out == src


def test_flag_exists_on_both_runtimes():
    assert aio.ThreadSafeFlag is not None
    r = aio.QueueReader(ByteRing(8))
    assert r.push(bytearray(b"abc"), 2) == 2 and r.push(bytearray(b"x"), 0) == 0
    assert r.push(bytearray(b"x"), None) == 0
    assert r.put(7) is True and r.queue.read() == b"ab\x07"


def test_reader_readinto_with_producer_thread():
    try:
        import _thread  # noqa: F401
    except ImportError:
        skip("no _thread here")
    _run(aio.QueueReader(ByteRing(256)), 60000, False)


def test_reader_async_for_over_deque():
    try:
        import _thread  # noqa: F401
    except ImportError:
        skip("no _thread here")
    s = Slab(1024, 32, irq_safe=True)
    _run(aio.QueueReader(ByteDeque(s), chunk=50), 40000, True)
    assert s.stats()["in_use"] == 0


def test_empty_buffer_returns_at_once():
    import asyncio

    r = aio.QueueReader(ByteRing(8))
    assert asyncio.run(r.readinto(bytearray(0))) == 0


def test_push_and_put_allocate_nothing():
    if not IS_MICROPYTHON:
        skip("heap_lock checks need MicroPython")
    r = aio.QueueReader(ByteRing(64))
    buf = bytearray(b"0123456789")
    assert no_alloc(r.push, buf, 4) == 4
    assert no_alloc(r.put, 65) is True
    no_alloc(r.set)
    d = aio.QueueReader(ByteDeque(Slab(256, 8, irq_safe=True)))
    assert no_alloc(d.push, buf, 10) == 10
    assert no_alloc(d.put, 66) is True
