import time
from array import array

from mpalloc import _mem_py, bytebuf
from mpalloc.bytebuf import ByteBuffer, ByteDeque
from mpalloc.errors import AllocError
from mpalloc.slab import Slab
from support import (
    IS_MICROPYTHON,
    NO_PREEMPTION,
    RUNTIME,
    FakeIrq,
    as_port,
    eq,
    expected_kernel,
    has_numbers,
    kernels,
    no_alloc,
    no_heap_use,
    pattern,
    pause,
    produce,
    raises,
    rng,
    skip,
    start_thread,
    viper_kernel,
)

_bytebuf_viper = viper_kernel("_bytebuf_viper")

_mcopy = _mem_py.copy


class Sink:
    """A stream: MicroPython form write(buf, off, n); CPython form write(buf)."""

    def __init__(self, size, limit=-1):
        self.out = bytearray(size)
        self.n = 0
        self.limit = limit  # accept at most this many bytes in all (-1: no limit)

    def write(self, buf, off=0, n=-1):
        if n < 0:
            n = len(buf) - off
        if self.limit >= 0 and self.n + n > self.limit:
            n = self.limit - self.n
        for i in range(n):
            self.out[self.n + i] = buf[off + i]
        self.n += n
        return n


def _len(x):
    return len(x)


class LeanSink:
    """A MicroPython-form stream whose write() allocates nothing, not even its frame."""

    def __init__(self, size):
        self.out = bytearray(size)
        self.n = 0

    def write(self, buf, off, n):
        _mcopy(self.out, self.n, buf, off, n)
        self.n += n
        return n


# --- ByteBuffer -------------------------------------------------------------------------

def test_buffer_write_read_model():
    g = rng(5)
    for size, slots in ((256, 8), (1024, 32), (300, 7)):
        s = Slab(size, slots)
        b = ByteBuffer(s)
        model = bytearray()
        src = pattern(600)
        for _step in range(300):
            op = g.randrange(0, 10)
            if op < 6:
                n = g.randrange(0, 3 * s.block_size)
                off = g.randrange(0, 100)
                data = src[off:off + n]
                kind = g.randrange(0, 4)
                if kind == 1:
                    data = bytes(data)
                elif kind == 2:
                    data = memoryview(data)
                elif kind == 3:
                    data = array("B", data)
                fits = b.try_write(data)
                assert fits == (len(model) + n <= s.slots * s.block_size or fits)
                if fits:
                    model.extend(bytes(data))
            elif op == 6:
                buf = bytearray(g.randrange(0, 80))
                off = g.randrange(0, len(model) + 5)
                k = b.readinto(buf, off)
                want = max(0, min(len(buf), len(model) - off))
                assert k == want and buf[:k] == model[off:off + k]
            elif op == 7:
                assert b.to_bytes() == bytes(model)
            elif op == 8:
                assert b"".join(bytes(c) for c in b.chunks()) == bytes(model)
            elif g.randrange(0, 4) == 0:
                b.clear()
                model = bytearray()
                assert s.stats()["in_use"] == 0
            assert len(b) == len(model)
            used = (len(model) + s.block_size - 1) // s.block_size
            assert s.stats()["in_use"] == used, (len(model), used)
        b.clear()
        assert s.stats()["in_use"] == 0


def test_buffer_fills_whole_slab_then_refuses():
    s = Slab(256, 8)
    b = ByteBuffer(s)
    assert b.write(pattern(256)) == 256
    assert len(b) == 256 and s.stats()["free"] == 0
    assert b.try_write(b"x") is False
    assert b.write(b"") == 0
    assert b.to_bytes() == bytes(pattern(256))


def test_buffer_failed_write_is_atomic():
    s = Slab(320, 10)  # 10 chunks of 32
    b = ByteBuffer(s)
    other = ByteBuffer(s)
    b.write(b"abc")
    other.write(bytes(32 * 6))  # 6 chunks taken by someone else
    before = (len(b), b.to_bytes(), s.stats()["in_use"], s.stats()["free"])
    # 29 bytes left in b's chunk + 3 free chunks = 125 bytes; ask for 126.
    e = raises(AllocError, b.write, pattern(126))
    has_numbers(e, 126, 125, 29, 3)
    assert (len(b), b.to_bytes(), s.stats()["in_use"], s.stats()["free"]) == before
    assert b.try_write(pattern(126)) is False
    assert (len(b), b.to_bytes(), s.stats()["in_use"], s.stats()["free"]) == before
    # exactly what fits still goes in, and the buffer still works
    assert b.write(pattern(125)) == 125
    assert b.to_bytes() == b"abc" + bytes(pattern(125))
    assert s.stats()["free"] == 0
    other.clear()
    b.clear()
    assert s.stats()["in_use"] == 0


def test_buffer_bad_arguments_leave_state_unchanged():
    s = Slab(256, 8)
    b = ByteBuffer(s)
    b.write(b"hello")
    for bad in ("text", 5, None, [1, 2]):
        e = raises(TypeError, b.write, bad)
        assert type(bad).__name__ in str(e.args[0])
    for bad in (b"bytes", "text", memoryview(b"ro"), None):
        raises(TypeError, b.readinto, bad)
    e = raises(ValueError, b.readinto, bytearray(3), -1)
    has_numbers(e, -1, 5)
    raises(TypeError, ByteBuffer, bytearray(10))
    assert b.to_bytes() == b"hello" and s.stats()["in_use"] == 1


def test_buffer_write_to_stream_and_short_write():
    s = Slab(512, 16)
    b = ByteBuffer(s)
    data = pattern(300)
    for i in range(0, 300, 32):
        b.write(data[i:i + 32])
    out = Sink(400)
    assert b.write_to(out) == 300 and out.out[:300] == data
    short = Sink(400, limit=70)
    assert b.write_to(short) == 70 and short.out[:70] == data[:70]
    assert len(b) == 300  # write_to does not consume


def _bytesio_takes_offset():
    import io

    try:
        return io.BytesIO().write(b"xy", 1, 1) == 1
    except TypeError:
        return False


def test_write_to_uses_the_runtime_stream_form():
    # CircuitPython's streams take write(buf, off, n) like MicroPython's (py/stream.c):
    # the form is decided by what the runtime's streams accept, not by its name (on
    # CircuitPython it took the CPython path: a memoryview per chunk, allocating).
    import io

    b = ByteBuffer(Slab(256, 8))
    data = pattern(150)
    b.write(data)
    out = io.BytesIO()
    assert b.write_to(out) == 150 and out.getvalue() == bytes(data)
    assert bytebuf._OFFN == _bytesio_takes_offset()
    if bytebuf._OFFN:
        sink = LeanSink(200)  # takes only (buf, off, n): the zero-copy form
        assert b.write_to(sink) == 150 and sink.out[:150] == data
        if IS_MICROPYTHON:
            sink.n = 0
            eq(no_heap_use(b.write_to, sink), 150, "no_heap_use(b.write_to, sink)")


def test_no_alloc_buffer_methods():
    if not IS_MICROPYTHON:
        skip("heap_lock checks need MicroPython")
    s = Slab(1024, 32)
    b = ByteBuffer(s)
    piece = pattern(32)
    odd = bytes(pattern(45))
    mv = memoryview(pattern(70))
    for _ in range(3):
        eq(no_alloc(b.try_write, piece), True, "no_alloc(b.try_write, piece)")  # whole chunks
        eq(no_alloc(b.try_write, odd), True, "no_alloc(b.try_write, odd)")  # spans chunks
        eq(no_alloc(b.write, mv), 70, "no_alloc(b.write, mv)")
    assert no_alloc(b.try_write, bytes(2000)) is False  # refused: no exception object
    eq(no_alloc(_len, b), 3 * (32 + 45 + 70), "no_alloc(_len, b)")
    dst = bytearray(100)
    eq(no_alloc(b.readinto, dst, 20), 100, "no_alloc(b.readinto, dst, 20)")
    assert dst == (bytes(piece) + odd + bytes(mv))[20:120]
    out = Sink(1000)
    eq(no_alloc(b.write_to, out), len(b), "no_alloc(b.write_to, out)")
    no_alloc(b.clear)
    assert len(b) == 0 and s.stats()["in_use"] == 0


def test_buffer_append_32_to_4k_allocates_nothing():
    # The benchmark shape: 4 KB in 32-byte pieces, zero heap allocations.
    if not IS_MICROPYTHON:
        skip("heap_lock checks need MicroPython")
    s = Slab(4096, 128)
    b = ByteBuffer(s)
    piece = pattern(32)

    def fill():
        for _ in range(128):
            b.write(piece)
        return len(b)

    for _ in range(3):
        eq(no_alloc(fill), 4096, "no_alloc(fill)")
        assert b.to_bytes() == bytes(piece) * 128
        b.clear()


# --- ByteDeque --------------------------------------------------------------------------

def test_deque_fifo_model():
    g = rng(11)
    for irq in (False, True):
        s = Slab(300, 10, irq_safe=irq)
        d = ByteDeque(s)
        model = []
        counter = 0
        src = pattern(200)
        for _step in range(2500):
            op = g.randrange(0, 8)
            if op == 0:
                ok = d.push_back(counter)
                if ok:
                    model.append(counter & 0xFF)
                counter += 1
            elif op == 1:
                v = d.pop_front()
                assert v == (model.pop(0) if model else -1)
            elif op in (2, 3):
                off = g.randrange(0, 100)
                n = g.randrange(0, 90)
                if op == 2:
                    k = d.write(src[off:off + n])
                else:
                    m = g.randrange(-2, n + 3)
                    k = d.write_from(src[off:off + n], m)
                    n = max(0, min(m, n))
                model.extend(src[off:off + k])
                assert k <= n
            elif op in (4, 5):
                buf = bytearray(g.randrange(0, 70))
                k = d.readinto(buf)
                assert k == min(len(buf), len(model))
                assert list(buf[:k]) == model[:k]
                del model[:k]
            elif g.randrange(0, 10) == 0:
                d.clear()
                model = []
            assert len(d) == len(model)
            if not model:
                assert s.stats()["in_use"] == 0  # an idle deque holds no chunk
            else:
                bs = s.block_size
                assert s.stats()["in_use"] <= (len(model) + 2 * bs - 2) // bs


def test_deque_exhaustion_loses_nothing():
    s = Slab(128, 4)  # 4 chunks of 32
    d = ByteDeque(s)
    assert d.write(pattern(100)) == 100
    n = 100
    while d.push_back(n):
        n += 1
    assert n == 128 and len(d) == 128
    assert d.push_back(1) is False and d.write(b"abc") == 0
    assert d.write_from(b"abc", 2) == 0
    want = bytes(pattern(100)) + bytes(range(100, 128))
    out = bytearray(200)
    assert d.readinto(out) == 128 and out[:128] == want
    assert s.stats()["in_use"] == 0
    # partial write: the first bytes in order, the rest refused, nothing else lost
    other = Slab(128, 4)
    d2 = ByteDeque(other)
    d2.write(b"head")
    assert d2.write(pattern(200)) == 124
    assert d2.readinto(out) == 128 and out[:128] == b"head" + pattern(200)[:124]


def test_deque_drained_chunk_returns_at_once():
    s = Slab(256, 8)  # chunks of 32
    d = ByteDeque(s)
    d.write(pattern(80))  # 3 chunks
    assert s.stats()["in_use"] == 3
    buf = bytearray(32)
    assert d.readinto(buf) == 32 and s.stats()["in_use"] == 2
    for _ in range(31):
        d.pop_front()
    assert s.stats()["in_use"] == 2
    d.pop_front()
    assert s.stats()["in_use"] == 1
    d.clear()
    assert s.stats()["in_use"] == 0 and len(d) == 0 and d.pop_front() == -1


def test_deque_bad_buffers_leave_state_unchanged():
    s = Slab(256, 8)
    d = ByteDeque(s)
    d.write(b"abc")
    for bad in ("text", 3, None, [1]):
        raises(TypeError, d.write, bad)
        raises(TypeError, d.write_from, bad, 1)
    for bad in (b"ro", memoryview(b"readonly"), "x", None):
        raises(TypeError, d.readinto, bad)
    assert len(d) == 3 and d.pop_front() == 97 and s.stats()["in_use"] == 1


def test_no_alloc_deque_methods():
    if not IS_MICROPYTHON:
        skip("heap_lock checks need MicroPython")
    for s in _slabs(512, 16):
        d = ByteDeque(s)
        src = pattern(100)
        mv = memoryview(pattern(60))
        dst = bytearray(150)
        for _ in range(3):
            assert no_alloc(d.push_back, 7) is True  # first push takes a chunk
            eq(no_alloc(d.pop_front), 7, "no_alloc(d.pop_front)")  # last pop gives it back
            eq(no_alloc(d.pop_front), -1, "no_alloc(d.pop_front)")
            eq(no_alloc(d.write, src), 100, "no_alloc(d.write, src)")
            eq(no_alloc(d.write_from, mv, 33), 33, "no_alloc(d.write_from, mv, 33)")
            eq(no_alloc(_len, d), 133, "no_alloc(_len, d)")
            eq(no_alloc(d.readinto, dst), 133, "no_alloc(d.readinto, dst)")
            assert dst[:133] == src + bytes(mv[:33])
            assert no_alloc(d.write, bytes(1000)) == 512  # exhausted: short count
            eq(no_alloc(d.push_back, 1), False, "no_alloc(d.push_back, 1)")
            no_alloc(d.clear)
            assert s.stats()["in_use"] == 0


_DROP_WORD = 10  # header word of ByteDeque._h holding dropped (bytebuf.py _DROP)


def test_dropped_wraps_at_the_maximum_without_a_heap_int():
    # dropped counts mod 2**30; a refusal that crosses 2**30 must not form 2**30 (a heap
    # int on 32-bit boards: MemoryError under heap_lock, i.e. in an IRQ). Every kernel.
    for _buf_cls, deq_cls in _twins():
        for before, refused, after in ((0x3FFFFFFF - 3, 10, 6), (0x3FFFFFFF, 1, 0),
                                       (0x3FFFFFFF - 9, 10, 0), (0x3FFFFFFF - 10, 10, 0x3FFFFFFF)):
            d = deq_cls(Slab(64, 2))
            d.write(bytes(64))  # full
            d._h[_DROP_WORD] = before
            if IS_MICROPYTHON:
                eq(no_alloc(d.write, bytes(refused)), 0, "no_alloc(d.write, bytes(refused))")
            else:
                assert d.write(bytes(refused)) == 0
            assert d.stats()["dropped"] == after, (deq_cls.KERNEL, before, refused)
            d._h[_DROP_WORD] = 0x3FFFFFFF
            if IS_MICROPYTHON:
                eq(no_alloc(d.push_back, 1), False, "no_alloc(d.push_back, 1)")
            else:
                assert d.push_back(1) is False
            assert d.stats()["dropped"] == 0, deq_cls.KERNEL


# --- kernels ----------------------------------------------------------------------------

def test_kernel_is_the_expected_one():
    assert bytebuf.KERNEL == expected_kernel()
    assert ByteDeque.KERNEL == ByteBuffer.KERNEL == bytebuf.KERNEL


def _twins():
    return [bytebuf._with_kernel(k) for k in kernels("bytebuf")]


def _state(obj, slab):
    # Everything a kernel keeps: the state array (slab addresses aside) and the slab's
    # metadata words (the viper kernel does the slab's one-block fast paths inline).
    return (list(obj._h)[:11], list(obj._h)[16:], list(slab._m), bytes(slab._data))


def _twin_step(d, b, op, n, k, j):
    # One random operation; its result (what the caller compares across kernels).
    src = _TWIN_SRC
    if op == 0:
        return d.push_back(n)
    if op == 1:
        return d.pop_front()
    if op == 2:
        return d.write(src[n:n + k])
    if op == 3:
        return d.write_from(memoryview(src), n)
    if op == 4:
        dst = bytearray(n)
        return (d.readinto(dst), bytes(dst))
    if op == 5:
        return b.try_write(bytes(src[n:n + k]))
    if op == 6:
        dst = bytearray(n)
        return (b.readinto(dst, j), bytes(dst))
    if op == 7 and j == 0:
        b.clear()
    elif op == 8 and k == 0:
        d.clear()
    return None


_TWIN_SRC = pattern(300)


_STATE_PARTS = ("result", "len(deque)", "len(buffer)", "deque header words 0-10",
                "deque chunk table", "slab metadata words", "slab data",
                "buffer header words 0-10", "buffer chunk table")


def test_twin_kernels_agree_with_each_other_and_the_slab():
    # The same random operations on each kernel's classes over slabs with the same salt,
    # in lockstep: identical results, state arrays and slab metadata word for word after
    # every step (so the viper kernel's inlined slab paths match the slab's own
    # try_alloc/try_free, which the pure twin calls). Compared step by step, not as
    # stored runs: 1500 snapshots per kernel do not fit a board's heap.
    if _bytebuf_viper is None:
        skip("only the pure kernel imports on %s: nothing to compare it with" % RUNTIME)
    twins = []
    for buf_cls, deq_cls in _twins():
        s = Slab(320, 10, _salt=77)
        twins.append((deq_cls(s), buf_cls(s), s))
    g = rng(23)
    for step in range(1500):
        op = g.randrange(0, 9)
        n = g.randrange(0, 80)
        k = g.randrange(0, 90) if op in (2, 5) else g.randrange(0, 8)
        j = g.randrange(0, 100) if op == 6 else g.randrange(0, 4)
        first = None
        for d, b, s in twins:
            st = _state(d, s)
            seen = (_twin_step(d, b, op, n, k, j), len(d), len(b), st[0], st[1], st[2],
                    bytes(s._data), _state(b, s)[0], _state(b, s)[1])
            if first is None:
                first = seen
                continue
            for part in range(len(seen)):
                eq(seen[part], first[part], "step %d op %d (n=%d k=%d j=%d): %s, %s kernel vs %s"
                   % (step, op, n, k, j, _STATE_PARTS[part], d.KERNEL, twins[0][0].KERNEL))


def test_deque_chunks_update_the_slab_as_its_own_kernel():
    # Every path that takes or gives a chunk (push_back and pop_front with the slab's
    # one-block fast path inline in the viper kernel, write/readinto, ByteBuffer.write,
    # clear) leaves the slab's metadata word for word as the slab's own try_alloc /
    # try_free would: compared with a reference slab driven directly.
    for buf_cls, deq_cls in _twins():
        s = Slab(256, 8, _salt=9)
        ref = Slab(256, 8, _salt=9)
        d = deq_cls(s)
        held = []
        for i in range(8 * 32):  # chunk by chunk through push_back: peak grows each time
            assert d.push_back(i & 0xFF) is True
            if i % 32 == 0:
                held.append(ref.try_alloc(32))
        assert d.push_back(1) is False  # the table is full: the slab is not asked
        eq(list(s._m), list(ref._m), "%s: slab metadata after push_back" % deq_cls.KERNEL)
        for i in range(8 * 32):  # chunk by chunk back through pop_front
            assert d.pop_front() == i & 0xFF
            if i % 32 == 31:
                ref.try_free(held.pop(0))
        eq(list(s._m), list(ref._m), "%s: slab metadata after pop_front" % deq_cls.KERNEL)
        assert d.write(bytes(100)) == 100 and d.readinto(bytearray(60)) == 60
        for c in (ref.try_alloc(32), ref.try_alloc(32), ref.try_alloc(32),
                  ref.try_alloc(32)):
            held.append(c)
        ref.try_free(held.pop(0))
        eq(list(s._m), list(ref._m), "%s: slab metadata after write/readinto"
           % deq_cls.KERNEL)
        d.clear()
        while held:
            ref.try_free(held.pop(0))
        b = buf_cls(s)
        assert b.try_write(bytes(70)) is True
        held = [ref.try_alloc(32) for _ in range(3)]
        eq(list(s._m), list(ref._m), "%s: slab metadata after ByteBuffer.try_write"
           % buf_cls.KERNEL)
        b.clear()
        for c in held:
            ref.try_free(c)
        eq(list(s._m), list(ref._m), "%s: slab metadata after clear" % buf_cls.KERNEL)


def test_twin_kernels_slow_allocation_path():
    # A slab whose next-fit hint sits on a live block: chunks come from the slab's own
    # scan (not the inlined fast path) and the deque still works, in every kernel.
    for _buf_cls, deq_cls in _twins():
        s = Slab(256, 8)
        hs = [s.alloc(32) for _ in range(8)]
        s.free(hs[3])
        s.free(hs[6])
        s.try_free(s.try_alloc(32))  # the hint now points at slot 3 or 6 ...
        keep = s.alloc(32)  # ... which is taken again: the hint sits on a live block
        d = deq_cls(s)
        assert d.write(pattern(40)) == 32  # one free chunk left
        assert d.push_back(1) is False
        out = bytearray(40)
        assert d.readinto(out) == 32 and out[:32] == pattern(40)[:32]
        assert s.stats()["in_use"] == 7  # every deque chunk back
        s.free(keep)


# --- every documented no-alloc method, including transient heap frames -------------------

def _slabs(size, slots, fake=None):
    # A plain slab, then an irq_safe one under each critical section a port can have:
    # this runtime's own, machine.disable_irq (boards; a FakeIrq), and none (no
    # preemption: stock qemu, WebAssembly, CircuitPython boards).
    return [Slab(size, slots), Slab(size, slots, irq_safe=True),
            as_port({"machine": fake or FakeIrq()}, Slab, size, slots, irq_safe=True),
            as_port(NO_PREEMPTION, Slab, size, slots, irq_safe=True)]


def test_irq_safe_slab_under_every_guard():
    # ByteDeque and ByteBuffer on an irq_safe slab work under each guard; the disable_irq
    # guard is entered and left once per call that takes or returns chunks.
    fake = FakeIrq()
    for s in _slabs(256, 8, fake):
        # Made where the port has no guard of its own: they still take the slab's.
        d = as_port(NO_PREEMPTION, ByteDeque, s)
        b = as_port(NO_PREEMPTION, ByteBuffer, s)
        assert d.push_back(65) and d.write(b"BCD") == 3 and d.write_from(b"EFG", 2) == 2
        out = bytearray(8)
        assert d.readinto(out) == 6 and out[:6] == b"ABCDEF" and d.pop_front() == -1
        assert b.write(pattern(70)) == 70 and b.to_bytes() == pattern(70)
        raises(AllocError, b.write, bytes(300))
        b.clear()
        d.clear()
        assert s.stats()["in_use"] == 0
    assert fake.calls[0] == fake.calls[1] >= 8 and fake.depth == 0, fake.calls


def test_no_heap_use_deque_methods():
    # no_heap_use counts even memory freed before the call returns (Python frames over
    # ~11 words come from the heap), which a heap_lock test cannot see.
    if not IS_MICROPYTHON:
        skip("needs MicroPython")
    for s in _slabs(512, 16):
        d = ByteDeque(s)
        src = pattern(100)
        dst = bytearray(150)
        mv = memoryview(pattern(60))
        d.write(src)  # first use of each buffer object: its type check is done once
        d.write_from(mv, 1)
        d.readinto(dst)
        for _ in range(2):
            eq(no_heap_use(d.push_back, 7), True, "no_heap_use(d.push_back, 7)")
            eq(no_heap_use(d.pop_front), 7, "no_heap_use(d.pop_front)")
            eq(no_heap_use(d.pop_front), -1, "no_heap_use(d.pop_front)")
            eq(no_heap_use(d.write, src), 100, "no_heap_use(d.write, src)")
            eq(no_heap_use(d.write_from, mv, 33), 33, "no_heap_use(d.write_from, mv, 33)")
            eq(no_heap_use(_len, d), 133, "no_heap_use(_len, d)")
            eq(no_heap_use(d.readinto, dst), 133, "no_heap_use(d.readinto, dst)")
            eq(no_heap_use(d.write, src), 100, "no_heap_use(d.write, src)")
            eq(no_heap_use(d.clear), None, "no_heap_use(d.clear)")
            assert len(d) == 0 and s.stats()["in_use"] == 0


def test_no_heap_use_buffer_methods():
    if not IS_MICROPYTHON:
        skip("needs MicroPython")
    for s in _slabs(1024, 32):
        b = ByteBuffer(s)
        piece = pattern(32)
        odd = bytes(pattern(45))
        dst = bytearray(100)
        out = LeanSink(2000)
        b.try_write(piece)
        b.try_write(odd)
        b.readinto(dst)
        for _ in range(2):
            b.clear()
            eq(no_heap_use(b.try_write, piece), True, "no_heap_use(b.try_write, piece)")
            eq(no_heap_use(b.try_write, odd), True, "no_heap_use(b.try_write, odd)")
            eq(no_heap_use(b.write, odd), 45, "no_heap_use(b.write, odd)")
            eq(no_heap_use(b.try_write, odd), True, "no_heap_use(b.try_write, odd)")
            assert no_heap_use(b.try_write, bytes(1000)) is False
            eq(no_heap_use(b.readinto, dst, 20), 100, "no_heap_use(b.readinto, dst, 20)")
            assert dst == (bytes(piece) + odd + odd + odd)[20:120]
            out.n = 0
            eq(len(b), 32 + 45 * 3, "len(b)")
            eq(no_heap_use(b.write_to, out), len(b), "no_heap_use(b.write_to, out)")
            assert out.out[:len(b)] == bytes(piece) + odd * 3
            eq(no_heap_use(_len, b), 167, "no_heap_use(_len, b)")
            eq(no_heap_use(b.clear), None, "no_heap_use(b.clear)")
            assert s.stats()["in_use"] == 0


def test_unbound_and_rebound_deque():
    # global_slab's hook: _bind(None) unbinds (pushes refused, nothing held), _bind(s) binds.
    d = ByteDeque(Slab(128, 4))
    d.write(b"abc")
    d._bind(None)
    assert len(d) == 0 and d.pop_front() == -1 and d.push_back(1) is False
    assert d.write(b"xy") == 0 and d.readinto(bytearray(4)) == 0
    d.clear()
    s = Slab(128, 4)
    d._bind(s)
    assert d.write(b"xyz") == 3 and d.pop_front() == ord("x") and len(d) == 2
    d.clear()
    assert s.stats()["in_use"] == 0


def _method_of(cls, name, src):
    obj = cls(Slab(256, 8))
    if src is not None:
        obj.write(src)
    return getattr(obj, name)


def _kept_alone(cls, name, src=None):
    # Method ``name`` of a new cls on its own slab (given src first when not None), the object
    # itself dropped and its memory reused: a closure that did not hold it would now read
    # and write the 0xFF bytes of the junk.
    import gc

    fn = _method_of(cls, name, src)
    gc.collect()
    return fn, [bytearray(b"\xff" * n) for n in (16, 32, 48, 64, 96, 128, 256) * 20]


def test_closures_keep_their_deque_and_buffer_alive():
    # The hot entry points are per-instance closures over raw addresses (header, slab data
    # and metadata): each kept alone must keep its object, its header and its slab alive
    # (an IRQ handler often keeps only d.push_back or d.write_from).
    src = pattern(70)
    for buf_cls, deq_cls in _twins():
        k = deq_cls.KERNEL
        for name in ("push_back", "write", "write_from"):
            fn, junk = _kept_alone(deq_cls, name)
            got = [fn(7) for _ in range(70)] if name == "push_back" else (
                [fn(src)] if name == "write" else [fn(src, 70)])
            eq(got[-1], True if name == "push_back" else 70, "%s: kept %s" % (k, name))
            del junk
        for name in ("pop_front", "readinto"):
            fn, junk = _kept_alone(deq_cls, name, src)
            if name == "pop_front":
                got = bytes([fn() for _ in range(70)]) + bytes([fn() + 1])
            else:
                out = bytearray(80)
                got = bytes(out[:fn(out)]) + bytes(1)
            eq(got, bytes(src) + bytes(1), "%s: kept %s" % (k, name))
            del junk
        for name in ("write", "try_write"):
            fn, junk = _kept_alone(buf_cls, name)
            eq(fn(src), 70 if name == "write" else True, "%s: kept ByteBuffer.%s" % (k, name))
            eq(fn(src), 70 if name == "write" else True, "%s: kept ByteBuffer.%s" % (k, name))
            del junk


# --- two threads: an IRQ-fed deque beside main-loop buffers on one irq_safe slab --------

def _stress_deque(d, slab, total):
    src = pattern(total, 7)
    flags = [0, 0, 0]  # producer done, stop request, bytes refused
    bufs = [bytearray(n) for n in (1, 7, 32, 100)]
    bb = ByteBuffer(slab)
    piece = pattern(40, 3)
    got = 0
    step = 0
    spins = 0
    last = time.time()
    seen = 0
    # support.produce: push_back every 3rd step, else write_from of 1..45 bytes
    start_thread(produce, src, flags, d.write_from, bytearray(45), d.push_back, 3, 45)
    try:
        while got < total:
            step += 1
            # Main-loop ByteBuffer writer on the same slab, between reads.
            if step % 16 == 0 and (not bb.try_write(piece) or len(bb) > 200):
                bb.clear()
            if step % 5 == 0:
                v = d.pop_front()
                k = 0
                if v >= 0:
                    assert v == src[got], (got, v, src[got])
                    got += 1
                    k = 1
            else:
                buf = bufs[step & 3]
                k = d.readinto(buf)
                for j in range(k):
                    if buf[j] != src[got + j]:
                        raise AssertionError("byte %d: %d != %d" % (got + j, buf[j],
                                                                    src[got + j]))
                got += k
            if k:
                spins = 0
                continue
            spins += 1
            pause(spins)
            if spins % 1000 == 0:
                now = time.time()
                if got != seen:
                    seen, last = got, now
                elif now - last > 30:
                    raise AssertionError("no progress for 30 s at byte %d" % got)
        t0 = time.time()
        while not flags[0]:
            assert time.time() - t0 < 30, "producer did not finish"
            time.sleep(0.001)
        assert len(d) == 0 and d.pop_front() == -1
    finally:
        flags[1] = 1
        t0 = time.time()
        while not flags[0] and time.time() - t0 < 30:
            time.sleep(0.001)
    bb.clear()
    return got


def test_two_thread_stress_irq_safe_slab():
    # 1,000,000 bytes from a producer thread (push_back + write_from) to the main thread
    # (pop_front + readinto) through a ByteDeque on an irq_safe slab, while the main
    # thread also fills and clears a ByteBuffer on that slab. Zero loss, in order, and
    # every chunk back in the slab at the end.
    try:
        import _thread  # noqa: F401
    except ImportError:
        skip("no _thread here")
    s = Slab(64 * 32, 64, irq_safe=True)
    d = ByteDeque(s)
    total = 1000000
    assert _stress_deque(d, s, total) == total
    st = s.stats()
    assert st["in_use"] == 0 and st["free"] == 64, st
