import time

from mpalloc import global_slab
from mpalloc.bytebuf import ByteBuffer
from mpalloc.global_slab import GlobalDeque
from support import (
    HAS_HEAP_LOCK,
    IS_MICROPYTHON,
    NO_PREEMPTION,
    FakeIrq,
    as_port,
    eq,
    has_numbers,
    no_alloc,
    no_heap_use,
    pattern,
    produce,
    raises,
    skip,
    start_thread,
)


def _push(d, b):
    return d.push_back(b)


def test_presets_and_slab_before_configure():
    global_slab._reset()
    assert not global_slab.configured()
    e = raises(RuntimeError, global_slab.slab)
    assert "configure" in str(e.args[0])
    for name, size, slots in (("SLAB_512_16", 512, 16), ("SLAB_1K_32", 1024, 32),
                              ("SLAB_4K_64", 4096, 64)):
        assert getattr(global_slab, name) == (size, slots)
    s = global_slab.configure(*global_slab.SLAB_1K_32)
    assert global_slab.slab() is s and global_slab.configured()
    assert s.block_size == 32 and s.slots == 32 and s.irq_safe
    global_slab._reset()


def test_deque_before_configure_refuses_then_binds():
    global_slab._reset()
    d = GlobalDeque()
    assert d.push_back(1) is False and d.write(b"abc") == 0 and d.write_from(b"ab", 2) == 0
    assert d.pop_front() == -1 and len(d) == 0 and d.readinto(bytearray(4)) == 0
    d.clear()
    s = global_slab.configure(*global_slab.SLAB_512_16)
    assert d.push_back(65) is True and d.write(b"BC") == 2
    out = bytearray(5)
    assert d.readinto(out) == 3 and out[:3] == b"ABC"
    assert s.stats()["in_use"] == 0
    late = GlobalDeque()  # created after configure: bound at once
    assert late.push_back(1) and late.pop_front() == 1
    global_slab._reset()


def test_first_push_after_configure_allocates_nothing():
    if not IS_MICROPYTHON:
        skip("heap_lock checks need MicroPython")
    global_slab._reset()
    d = GlobalDeque()
    eq(no_alloc(_push, d, 1), False, "no_alloc(_push, d, 1)")  # before configure
    global_slab.configure(*global_slab.SLAB_1K_32)
    eq(no_alloc(_push, d, 2), True, "no_alloc(_push, d, 2)")
    eq(no_alloc(d.pop_front), 2, "no_alloc(d.pop_front)")
    eq(no_alloc(d.write_from, b"xyz", 2), 2, "no_alloc(d.write_from, b'xyz', 2)")
    eq(no_alloc(d.readinto, bytearray(4)), 2, "no_alloc(d.readinto, bytearray(4))")
    eq(no_alloc(global_slab.slab), global_slab.slab(), "no_alloc(global_slab.slab)")
    global_slab._reset()


def _start_program(n):
    # A program's start-up: module-level GlobalDeques, then configure(); returns them.
    global_slab._reset()
    ds = [GlobalDeque() for _ in range(n)]
    global_slab.configure(*global_slab.SLAB_512_16)
    return ds


def _run_program(d):
    # The main loop and an "IRQ" taking turns: returns what came out, in order.
    out = bytearray(8)
    d.push_back(1)
    d.write_from(b"\x02\x03\x04", 2)
    n = d.readinto(out)
    return bytes(out[:n])


def test_global_deque_and_configure_on_every_port():
    # Stock qemu, WebAssembly and CircuitPython boards have neither machine.disable_irq
    # nor _thread: nothing preempts, so no guard; boards with disable_irq use it.
    fake = FakeIrq()
    for port in (NO_PREEMPTION, {"machine": fake}):
        ds = as_port(port, _start_program, 2)
        s = global_slab.slab()
        assert s.irq_safe and hasattr(s, "_disable") == (port is not NO_PREEMPTION)
        for d in ds:
            assert _run_program(d) == b"\x01\x02\x03" and len(d) == 0
        assert s.stats()["in_use"] == 0
        if HAS_HEAP_LOCK:
            d = ds[0]
            assert no_alloc(_push, d, 9) is True and no_alloc(d.pop_front) == 9
        if IS_MICROPYTHON:
            d = ds[0]
            assert no_heap_use(_push, d, 8) is True and no_heap_use(d.pop_front) == 8
    assert fake.calls[0] == fake.calls[1] >= 6 and fake.depth == 0, fake.calls
    global_slab._reset()


def test_reconfigure_rules():
    global_slab._reset()
    d = GlobalDeque()
    s = global_slab.configure(512, 16)
    assert global_slab.configure(512, 16) is s  # same figures: no-op
    d.write(b"held")
    b = ByteBuffer(s)
    b.write(bytes(40))
    e = raises(RuntimeError, global_slab.configure, 1024, 32)
    has_numbers(e, 1024, 32, 512, 16, 3)  # 3 live allocations: 1 deque chunk + 2 buffer
    assert global_slab.slab() is s and len(d) == 4  # unchanged
    b.clear()
    d.clear()
    raises(ValueError, global_slab.configure, 0, 4)
    raises(ValueError, global_slab.configure, 64, 0)
    assert global_slab.slab() is s
    s2 = global_slab.configure(1024, 32)  # nothing allocated: replaced, deques rebound
    assert s2 is not s and global_slab.slab() is s2
    assert d.write(b"again") == 5 and s2.stats()["in_use"] == 1 and s.stats()["in_use"] == 0
    d.clear()
    global_slab._reset()


def test_two_thread_stress_global_deque():
    try:
        import _thread  # noqa: F401
    except ImportError:
        skip("no _thread here")
    global_slab._reset()
    d = GlobalDeque()
    s = global_slab.configure(*global_slab.SLAB_1K_32)
    total = 1000000
    src = pattern(total, 3)
    flags = [0, 0, 0]  # producer done, stop request, bytes refused
    buf = bytearray(48)
    got = 0
    step = 0
    t0 = time.time()
    # support.produce: push_back every 7th step, else write_from of 1..29 bytes
    start_thread(produce, src, flags, d.write_from, bytearray(29), d.push_back, 7, 29)
    try:
        while got < total:
            step += 1
            if step & 1:
                v = d.pop_front()
                if v >= 0:
                    assert v == src[got], got
                    got += 1
                    continue
            else:
                k = d.readinto(buf)
                for j in range(k):
                    assert buf[j] == src[got + j], got + j
                got += k
                if k:
                    continue
            assert time.time() - t0 < 120, "stalled at %d" % got
            if not IS_MICROPYTHON:
                time.sleep(0)
        while not flags[0]:
            assert time.time() - t0 < 120
            time.sleep(0.001)
    finally:
        flags[1] = 1
        while not flags[0] and time.time() - t0 < 150:
            time.sleep(0.001)
    assert got == total and len(d) == 0
    assert s.stats()["in_use"] == 0
    global_slab._reset()
