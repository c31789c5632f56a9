from mpalloc.errors import AllocError, CapacityError, StaleHandleError


def test_hierarchy():
    assert issubclass(AllocError, MemoryError)
    assert issubclass(CapacityError, AllocError)
    assert issubclass(StaleHandleError, ValueError)


def test_catchable_as_builtin():
    try:
        raise CapacityError("full: 8 of 8")
    except MemoryError as e:
        assert "8 of 8" in str(e)
