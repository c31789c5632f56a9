"""The runtime facts docs/design.md builds on, checked on every lane.

If one of these fails after a MicroPython upgrade, the rule in docs/design.md that cites
it (and the code following that rule) needs another look.
"""

import sys

from support import (
    HAS_HEAP_LOCK,
    eq,
    frames_on_pystack,
    heap_counter,
    lacks,
    no_alloc_locked,
    no_heap_use,
    raises,
    skip,
)

WIDE_WORDS = sys.maxsize > 2**32  # 64-bit small ints (unix x64) rather than a board's 32


def need_frame_counter():
    # docs/design.md#heap-frames: a heap frame is freed on return, so only a cumulative
    # counter sees it, and only where frames do not come from a pystack.
    if heap_counter()[1] != "mem_total":
        skip(lacks("micropython.mem_total (a heap frame is freed before gc.mem_alloc "
                   "could see it)"))
    if frames_on_pystack():
        skip("call frames come from the pystack on %s, never from the heap"
             % sys.implementation.name)


def frame_11_words(a):
    # 1 argument + 8 locals + a value stack of 2 (the chained +) = 11 words.
    b = a
    c = a
    d = a
    e = a
    f = a
    g = a
    h = a
    i = a
    return a + b + c + d + e + f + g + h + i


def frame_12_words(a):
    # One local more than frame_11_words.
    b = a
    c = a
    d = a
    e = a
    f = a
    g = a
    h = a
    i = a
    j = a
    return a + b + c + d + e + f + g + h + i + j


def test_frame_over_11_words_comes_from_the_heap():
    # docs/design.md#heap-frames
    need_frame_counter()
    eq(no_heap_use(frame_11_words, 3), 27, "an 11-word frame is on the C stack")
    err = raises(AssertionError, no_heap_use, frame_12_words, 3)
    # 12 words + the frame's header: 136 B on a 64-bit port, 68 B on a 32-bit board.
    eq(str(err), "frame_12_words(3): %d heap bytes allocated during the call"
       % (136 if WIDE_WORDS else 68), "a 12-word frame")
    # heap_lock hides it (the VM falls back to the C stack): why no_alloc has a delta pass.
    eq(no_alloc_locked(frame_12_words, 3), 30, "a 12-word frame under heap_lock")


def small_with_handler(a):
    # 1 argument + 2 locals + stack: 4 words, plus one exception-stack entry.
    try:
        b = a
        c = b
        return c
    except ValueError:
        return 0


def small_without_handler(a):
    b = a
    c = b
    return c


def test_a_handler_puts_a_small_frame_on_the_heap():
    # docs/design.md#handlers
    need_frame_counter()
    eq(no_heap_use(small_without_handler, 4), 4, "4 words, no handler")
    raises(AssertionError, no_heap_use, small_with_handler, 4)


def add(a, b):
    return a + b


def test_two_to_the_30_allocates_on_32_bit():
    # docs/design.md#small-ints
    if not HAS_HEAP_LOCK:
        skip(lacks("micropython.heap_lock"))
    half = 1 << 29
    eq(no_alloc_locked(add, half, half - 1), (1 << 30) - 1, "2**30 - 1 is a small int")
    if WIDE_WORDS:
        eq(no_alloc_locked(add, half, half), 1 << 30, "2**30 on a 64-bit port")
        return
    err = raises(AssertionError, no_alloc_locked, add, half, half)
    assert "allocated" in str(err), err


def test_time_ns_allocates_ticks_do_not():
    # docs/design.md#clocks
    if not HAS_HEAP_LOCK:
        skip(lacks("micropython.heap_lock"))
    import time

    no_alloc_locked(time.ticks_us)
    no_alloc_locked(time.ticks_ms)
    if not hasattr(time, "time_ns"):
        skip(lacks("time.time_ns"))
    raises(AssertionError, no_alloc_locked, time.time_ns)


def first(a):
    return a[0]


def test_q_array_reads_allocate_i_array_reads_do_not():
    # docs/design.md#small-ints
    if not HAS_HEAP_LOCK:
        skip(lacks("micropython.heap_lock"))
    from array import array

    no_alloc_locked(first, array("i", [5]))
    try:
        q = array("q", [5])
    except ValueError:
        skip(lacks("array typecode 'q'"))
    raises(AssertionError, no_alloc_locked, first, q)
