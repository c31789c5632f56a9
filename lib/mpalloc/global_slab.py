"""One slab for the whole program, and queues bound to it before it exists.

    from mpalloc import global_slab
    from mpalloc.global_slab import GlobalDeque

    RX = GlobalDeque()                           # module level, before configure:
                                                 # push_back returns False until then
    global_slab.configure(*global_slab.SLAB_1K_32)   # once, at start-up
    buf = ByteBuffer(global_slab.slab())

``configure`` creates ``Slab(size, slots, irq_safe=True)`` and binds every GlobalDeque
created so far (allocating their chunk tables there), so the first push from an IRQ
allocates nothing. Calling it again with the same figures does nothing; with other
figures it replaces the slab only while nothing is allocated from it (else
``RuntimeError`` saying so). Every GlobalDeque ever created stays referenced by this
module (they are meant to live as long as the program).

``_reset()`` (private, for tests) forgets the slab and unbinds every GlobalDeque (they
stay registered, empty, and are bound again by the next ``configure``).
"""

from mpalloc.bytebuf import _EMPTY, ByteDeque
from mpalloc.slab import Slab

# Presets: (size in bytes, slots); block_size = size // slots.
SLAB_512_16 = (512, 16)  # 16 chunks of 32 B
SLAB_1K_32 = (1024, 32)  # 32 chunks of 32 B
SLAB_4K_64 = (4096, 64)  # 64 chunks of 64 B
SLAB_16K_128 = (16384, 128)  # 128 chunks of 128 B

_slab = None
_figs = None
_deques = []


def configure(size, slots):
    """Create the program's slab (``irq_safe=True``) and bind every GlobalDeque.
    Allocates the slab and the deques' chunk tables; not IRQ-safe. Returns the slab.
    RuntimeError when a slab with other figures is configured and still in use;
    TypeError/ValueError for bad figures (as ``Slab``), leaving the old slab in place."""
    global _slab, _figs
    s = _slab
    if s is not None:
        if _figs == (size, slots) and type(size) is int and type(slots) is int:
            return s  # same figures: nothing to do (512.0 == 512, but is no size)
        live = s.stats()["live"]
        if live:
            from mpalloc._global_slab_cold import busy

            busy(size, slots, _figs, live)  # RuntimeError
    new = Slab(size, slots, irq_safe=True)
    for d in _deques:
        d._bind(new)
    _slab = new
    _figs = (size, slots)
    return new


def slab():
    """The configured Slab. RuntimeError when ``configure`` has not run. No allocation
    unless it raises; IRQ-safe once configured."""
    s = _slab
    if s is None:
        from mpalloc._global_slab_cold import unset

        unset()  # RuntimeError
    return s


def configured():
    """True once ``configure`` has run. No allocation, IRQ-safe."""
    return _slab is not None


class GlobalDeque(ByteDeque):
    """A ByteDeque on the global slab; may be created before ``configure``.

    Until ``configure`` runs, ``push_back`` returns False, ``write``/``write_from``
    return 0 and ``pop_front`` returns -1. Always guarded (the global slab is
    irq_safe): one IRQ producer and the main loop may use it together.
    """

    _always_guarded = True

    def __init__(self):
        """Allocates the guard now and the chunk table when bound (in ``configure``)."""
        self._wl = self._rl = _EMPTY  # last buffers checked by write / readinto
        self._bind(_slab)
        _deques.append(self)


def _reset():
    """Tests only: forget the slab; every GlobalDeque is emptied and unbound (its chunks
    are dropped with the old slab) until the next ``configure``."""
    global _slab, _figs
    _slab = _figs = None
    for d in _deques:
        d._bind(None)
