import time

from mpalloc import aio
from mpalloc.bytebuf import ByteDeque
from mpalloc.ring import ByteRing
from mpalloc.slab import Slab
from support import HAS_HEAP_LOCK, IS_MICROPYTHON, eq, no_alloc, produce, skip, start_thread


def data(n):
    out = bytearray(n)
    for i in range(n):
        out[i] = (i * 13 + (i >> 8)) & 0xFF
    return out


def _run(reader, total, use_iter):
    import asyncio

    src = data(total)
    flags = [0, 0, 0]  # producer done, stop request, bytes refused
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

    # support.produce: push of 1..23 bytes, a 0.5 ms idle gap every 50 steps (the
    # coroutine really sleeps on the flag)
    start_thread(produce, src, flags, reader.push, bytearray(23), None, 0, 23, 50)
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


def needs_thread_producer():
    # Skips where a thread cannot wake this asyncio's loop: Adafruit's asyncio (the
    # CircuitPython unix port) has no ThreadSafeFlag and no call_soon_threadsafe;
    # CircuitPython boards have no threads, their producer polls on the same loop
    # (test_same_loop_producer_with_the_stand_in_flag covers that).
    try:
        import _thread  # noqa: F401
    except ImportError:
        skip("no _thread here")
    import asyncio

    if getattr(asyncio, "ThreadSafeFlag", None) is None:
        loop = asyncio.new_event_loop()
        ok = hasattr(loop, "call_soon_threadsafe")
        loop.close()
        if not ok:
            skip("this asyncio has neither ThreadSafeFlag nor call_soon_threadsafe: a "
                 "thread cannot wake its loop (CircuitPython: no threads on boards)")


def test_reader_readinto_with_producer_thread():
    needs_thread_producer()
    _run(aio.QueueReader(ByteRing(256)), 60000, False)


def test_reader_async_for_over_deque():
    needs_thread_producer()
    s = Slab(1024, 32, irq_safe=True)
    _run(aio.QueueReader(ByteDeque(s), chunk=50), 40000, True)
    assert s.stats()["in_use"] == 0


def returned_at_once(coro):
    # What ``coro`` returns when it finishes without suspending; fails if it suspends.
    # Driven by hand: no event loop needed (the WebAssembly port's asyncio has no run()).
    try:
        coro.send(None)
    except StopIteration as e:
        return e.args[0] if e.args else None
    raise AssertionError("the coroutine suspended")


def test_empty_buffer_returns_at_once():
    r = aio.QueueReader(ByteRing(8))
    assert returned_at_once(r.readinto(bytearray(0))) == 0
    # Bytes already queued come back without waiting on the flag.
    assert r.push(bytearray(b"abc"), 3) == 3
    buf = bytearray(2)
    assert returned_at_once(r.readinto(buf)) == 2 and buf == b"ab"
    assert returned_at_once(r.readinto(buf)) == 1 and buf[:1] == b"c"


def test_push_and_put_allocate_nothing():
    if not IS_MICROPYTHON:
        skip("heap_lock checks need MicroPython")
    r = aio.QueueReader(ByteRing(64))
    buf = bytearray(b"0123456789")
    eq(no_alloc(r.push, buf, 4), 4, "r.push")
    eq(no_alloc(r.put, 65), True, "r.put")
    no_alloc(r.set)
    d = aio.QueueReader(ByteDeque(Slab(256, 8, irq_safe=True)))
    eq(no_alloc(d.push, buf, 10), 10, "d.push")
    eq(no_alloc(d.put, 66), True, "d.put")


_StandIn = aio._stand_in()  # the class aio uses where asyncio has no ThreadSafeFlag


class _SameLoopFlag(_StandIn):
    # The stand-in as on CircuitPython: its loop cannot be woken from another thread.
    waits = 0

    @staticmethod
    def _threadsafe(loop):
        return None

    async def wait(self):
        _SameLoopFlag.waits += 1
        await _StandIn.wait(self)


def _same_loop_run(reader, total):
    # A polling producer task (a busio.UART drain on CircuitPython) and the consumer on
    # one loop; the consumer sleeps on the flag between bursts.
    import asyncio

    src = data(total)
    out = bytearray(total)

    async def produce():
        stage = bytearray(32)
        i = 0
        step = 0
        while i < total:
            step += 1
            c = min(step % 29 + 1, total - i)
            stage[:c] = src[i:i + c]
            i += reader.push(stage, c)
            for _ in range(step % 3):
                await asyncio.sleep(0)  # bursts and idle polls

    async def consume():
        buf = bytearray(37)
        got = 0
        while got < total:
            n = await reader.readinto(buf)
            out[got:got + n] = buf[:n]
            got += n
        return got

    async def main():
        t = asyncio.create_task(produce())
        got = await consume()
        await t
        return got

    assert asyncio.run(main()) == total and out == src


def test_same_loop_producer_with_the_stand_in_flag():
    # Adafruit's asyncio (CircuitPython) has no ThreadSafeFlag and its loop has no
    # call_soon_threadsafe: mpalloc.aio then uses the stand-in, set() from a task on the
    # same loop. It hung there when the stand-in called call_soon_threadsafe.
    import asyncio

    if not hasattr(asyncio, "run"):
        skip("no asyncio.run: asyncio runs on the JavaScript event loop (WebAssembly port)")
    saved = aio.ThreadSafeFlag
    aio.ThreadSafeFlag = _SameLoopFlag
    try:
        ring = aio.QueueReader(ByteRing(64))
        deque = aio.QueueReader(ByteDeque(Slab(512, 16)))
    finally:
        aio.ThreadSafeFlag = saved
    for r in (ring, deque):
        _SameLoopFlag.waits = 0
        _same_loop_run(r, 3000)
        assert _SameLoopFlag.waits > 10, _SameLoopFlag.waits  # it really waited
    if HAS_HEAP_LOCK:
        eq(no_alloc(ring.push, bytearray(b"xyz"), 3), 3, "ring.push")
        eq(no_alloc(ring.set), None, "ring.set")
