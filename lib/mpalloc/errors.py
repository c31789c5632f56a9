"""Exceptions raised by mpalloc.

Every message carries the numbers involved (requested, capacity, in use) and a
remedy. IRQ-safe methods never raise these: they return False, -1 or 0.
"""


class AllocError(MemoryError):
    """An allocator is exhausted: the request does not fit in what is left."""


class CapacityError(AllocError):
    """A fixed-capacity container is full."""


class StaleHandleError(ValueError):
    """A handle was freed, reused, forged, or belongs to another allocator."""


class OrderError(ValueError):
    """A LIFO allocator was asked to free an allocation that is not on top."""
