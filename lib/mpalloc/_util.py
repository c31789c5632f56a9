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


def clock_bits():
    """The low 30 bits of whatever clock this port has, as a seed; 0 without one.
    ``time.ticks_us`` (MicroPython), ``time.monotonic_ns`` (CircuitPython boards, which
    have no ``ticks_*``; it returns a big int), ``time.perf_counter_ns`` (CPython).
    Construction-time only: may allocate."""
    t = _module("time")
    for name in ("ticks_us", "monotonic_ns", "perf_counter_ns"):
        f = getattr(t, name, None)
        if f is not None:
            try:
                return f() & 0x3FFFFFFF
            except Exception:  # a clock that cannot be read: try the next one
                pass
    return 0


def _module(name):
    # The module ``name``, or None where the port lacks it. A None entry in sys.modules
    # also counts as missing (how tests simulate another port on this one).
    try:
        return __import__(name)
    except ImportError:
        return None


def critical():
    """The critical section this port needs, chosen at construction time (allocates):

    - ``(disable, enable)``: ``machine.disable_irq``/``enable_irq``, where ``machine``
      has them (every MicroPython board port, and the qemu firmware in
      ``../shared/runtimes``): hard and soft IRQ handlers can preempt the main loop.
      Guarded calls run ``st = disable(); ...; enable(st)``.
    - ``(None, lock)``: a ``_thread`` lock where there is no ``disable_irq`` but threads
      exist and stand in for IRQs (MicroPython and CircuitPython unix ports, CPython).
    - ``(None, None)``: neither exists (stock ``ports/qemu``, WebAssembly, every
      CircuitPython board): no Python code can preempt other Python code there, so no
      guard is needed and guarded objects run their plain methods.

    The guarded paths built on this allocate nothing and contain no try/finally (a
    frame with an exception handler can come from the heap): they check their
    arguments before entering, and what runs inside cannot raise.
    """
    m = _module("machine")
    dis = getattr(m, "disable_irq", None)
    if dis is not None:
        return dis, m.enable_irq
    lock = getattr(_module("_thread"), "allocate_lock", None)
    if lock is None:
        return None, None
    return None, lock()
