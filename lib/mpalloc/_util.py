"""Small helpers shared by the allocator modules (internal)."""

import sys as _sys
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


def wide(buf, dst=False):
    """True when ``buf`` is an array or memoryview whose items are wider than one byte
    (``'h'``, ``'i'``, ``'f'``, ...): every byte-buffer method refuses those with
    TypeError (docs/contract.md), as MicroPython has no cast with which a pure twin could
    copy their raw bytes without allocating.

    An array is probed by storing 0x1FF into item 0 (a byte item keeps 0xFF or -1, or
    refuses it on CPython) and putting the old value back. A memoryview has
    ``itemsize`` on CPython; on MicroPython it has none, and a store would raise (and
    allocate) for a read-only view, so a source view counts as wide only when its item 0
    is outside -128..255, while a destination view (``dst``: it must be writable anyway)
    is probed like an array. No allocation for int items; callers run it once per
    buffer object where they can remember the last one checked.
    """
    # Two small functions: docs/design.md#heap-frames
    t = type(buf)
    if t is memoryview:
        t = getattr(buf, "itemsize", 0)
        if t:
            return t != 1
        if not dst:
            return len(buf) > 0 and not -128 <= buf[0] <= 255
    elif t is not array:
        return False
    return len(buf) > 0 and _probe(buf)


def need_bytes(buf, who):
    """Raise TypeError (naming ``who``) unless ``buf`` is bytes, bytearray, or an
    array/memoryview of one-byte items. No allocation when it passes."""
    t = type(buf)
    if t is not bytes and t is not bytearray and ((t is not memoryview and t is not array)
                                                 or wide(buf)):
        raise TypeError("%s needs a byte buffer (items of one byte), got %s"
                        % (who, type(buf).__name__))


def _probe(buf):
    # No try here (docs/design.md#handlers): the store that may raise is in _store_1ff.
    if _RAW is not None:
        return _probe_raw(buf)
    x = buf[0]
    if not _store_1ff(buf):
        return False
    if buf[0] == 0x1FF:
        buf[0] = x
        return True
    buf[0] = x
    return False


def _store_1ff(buf):
    # False where the store is refused (CPython: ValueError for a byte array; a
    # read-only view: TypeError). Two handlers: matching one 3-tuple took the frame's
    # stack past the limit (docs/design.md#heap-frames).
    try:
        buf[0] = 0x1FF
    except TypeError:
        return False
    except (ValueError, OverflowError):
        return False
    return True


# CircuitPython refuses 0x1FF in a byte array with OverflowError, and raising allocates:
# there the probe reads two raw bytes into the array instead (item 0 set to 0 stays 0
# only when items are one byte wide) and puts items 0 and 1 back.
_RAW = None
if _sys.implementation.name == "circuitpython":
    try:
        import io

        _RAW = io.BytesIO(b"\x00\x01")
    except (ImportError, AttributeError):
        pass


def _probe_raw(buf):
    x = buf[0]
    y = buf[1] if len(buf) > 1 else 0
    buf[0] = 0
    _RAW.seek(0)
    _RAW.readinto(buf)
    if buf[0]:
        buf[0] = x
        return True
    buf[0] = x
    if len(buf) > 1:
        buf[1] = y
    return False


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
