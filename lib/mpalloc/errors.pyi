"""Type stubs for mpalloc.errors (IDE completion; not installed on the board)."""

from typing import Any

_Buffer = bytes | bytearray | memoryview | Any  # bytes-like / array

class AllocError(MemoryError):
    """An allocator is exhausted: the request does not fit in what is left."""
    ...

class CapacityError(AllocError):
    """A fixed-capacity container is full."""
    ...

class OrderError(ValueError):
    """A LIFO allocator was asked to free an allocation that is not on top."""
    ...

class StaleHandleError(ValueError):
    """A handle was freed, reused, forged, or belongs to another allocator."""
    ...
