"""Small helpers shared by the allocator modules (internal)."""

from array import array

try:
    from micropython import const
except ImportError:  # CPython: const() is only a marker for the MicroPython compiler

    def const(x):
        return x


def words(n):
    """A zeroed ``array('I')`` of ``n`` words (constructor-time only: allocates)."""
    a = array("I", bytearray(4 * n))  # MicroPython copies the raw bytes: n words
    if len(a) != n:  # CPython makes one word per byte
        a = array("I", [0]) * n
    return a


def critical():
    """``(disable, enable)`` for a critical section where the port has
    ``machine.disable_irq`` (boards), else ``(None, lock)``: a ``_thread`` lock where
    threads stand in for IRQs (the unix port, CPython). Construction-time only.
    """
    try:
        import machine

        if hasattr(machine, "disable_irq"):
            return machine.disable_irq, machine.enable_irq
    except ImportError:
        pass
    import _thread

    return None, _thread.allocate_lock()
