"""The harness's own promises: no_alloc really catches allocation."""

from support import IS_MICROPYTHON, no_alloc, raises, skip


def allocate():
    return bytearray(16)


def plain_arith(a, b):
    return a + b


def test_no_alloc_catches_an_allocation():
    if not IS_MICROPYTHON:
        no_alloc(allocate)  # skips: CPython has no heap_lock
    raises(AssertionError, no_alloc, allocate)


def test_no_alloc_passes_and_returns():
    assert no_alloc(plain_arith, 2, 3) == 5


def test_heap_usable_after_failed_no_alloc():
    raises(AssertionError, no_alloc, allocate)
    assert len(bytearray(32)) == 32


def call_with_big_frame(a, b, c, d):
    # Enough locals and stack to exceed MicroPython's on-stack frame limit (~11 words).
    e = a + 1
    f = b + 1
    g = c + 1
    h = d + 1
    i = a + b
    j = c + d
    k = e + f
    m = g + h
    return a + b + c + d + e + f + g + h + i + j + k + m


def test_no_heap_use_catches_a_heap_frame():
    from support import frames_on_pystack, heap_counter, no_alloc_locked, no_heap_use

    if not IS_MICROPYTHON:
        no_heap_use(plain_arith, 1, 2)  # skips: CPython has no mem_total
    no_heap_use(plain_arith, 1, 2)
    raises(AssertionError, no_heap_use, allocate)
    # The heap_lock form explicitly: this test is about the two checks themselves, and
    # in the delta pass no_alloc would be no_heap_use, which fails on this frame by design.
    no_alloc_locked(call_with_big_frame, 1, 2, 3, 4)
    if frames_on_pystack():
        # Frames come from the pystack (the WebAssembly port): the big call uses no heap.
        assert no_heap_use(call_with_big_frame, 1, 2, 3, 4) == 48
        return
    if heap_counter()[1] != "mem_total":
        skip("gc.mem_alloc (no mem_total here) cannot see a heap frame freed on return")
    # The frame of a big function comes from the heap (freed on return): no_alloc cannot
    # see it (a locked heap makes MicroPython use the C stack), no_heap_use does.
    raises(AssertionError, no_heap_use, call_with_big_frame, 1, 2, 3, 4)
