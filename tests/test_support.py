"""The harness's own promises: no_alloc really catches allocation."""

from support import IS_MICROPYTHON, no_alloc, raises


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
