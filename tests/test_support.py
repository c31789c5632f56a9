"""The harness's own promises: no_alloc really catches allocation."""

from support import IS_MICROPYTHON, eq, no_alloc, raises, skip


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


def test_eq_passes_on_equal_values():
    eq(3, 3, "ints")
    eq(b"ab", bytearray(b"ab"), "bytes against a bytearray")
    eq([1, (2, 3)], [1, (2, 3)], "nested")


def test_eq_failure_shows_actual_expected_and_context():
    from support import message

    text = message(raises(AssertionError, eq, 41, 42, "step 7 put"))
    assert "41" in text and "42" in text and "step 7 put" in text, text
    text = message(raises(AssertionError, eq, b"abXd", b"abcd", ("seed", 5)))
    assert "[2]" in text and "5" in text, text  # first differing index, context repr'd
    text = message(raises(AssertionError, eq, [1, 2], [1, 2, 3], "lists"))
    assert "2 != 3" in text, text  # the lengths


def eq_under_lock(a, b):
    eq(a, b, "locked")


def test_eq_fails_readably_under_heap_lock():
    from support import HAS_HEAP_LOCK, message, no_alloc_locked

    if not HAS_HEAP_LOCK:
        skip("no micropython.heap_lock here: nothing to show")
    no_alloc_locked(eq_under_lock, 5, 5)  # a passing eq does not allocate
    text = message(raises(AssertionError, no_alloc_locked, eq_under_lock, 6, 7))
    assert "locked" in text and "6" in text and "7" in text, text
    assert len(bytearray(16)) == 16  # the heap is unlocked again


def test_no_alloc_failures_name_the_call():
    from support import HAS_HEAP_LOCK, message, no_alloc_locked, no_heap_use

    if not HAS_HEAP_LOCK:
        skip("no micropython.heap_lock here: nothing to show")
    text = message(raises(AssertionError, no_alloc_locked, allocate))
    assert text.startswith("allocate() allocated under heap_lock"), text
    text = message(raises(AssertionError, no_heap_use, plain_arith, 2**70, 1))
    assert text.startswith("plain_arith(%r, 1): " % 2**70) and "heap bytes" in text, text
