"""Type stubs for mpalloc.global_slab (IDE completion; not installed on the board)."""

from typing import Any

from mpalloc.bytebuf import ByteDeque
from mpalloc.slab import Slab

_Buffer = bytes | bytearray | memoryview | Any  # bytes-like / array

class GlobalDeque(ByteDeque):
    """A ByteDeque on the global slab; may be created before ``configure``."""
    KERNEL: str
    def __init__(self) -> None: ...
    def __len__(self) -> int: ...
    def dump(self, stream: Any = None) -> None: ...
    def stats(self) -> dict: ...
SLAB_16K_128: tuple
SLAB_1K_32: tuple
SLAB_4K_64: tuple
SLAB_512_16: tuple

def configure(size: int, slots: int) -> Slab: ...

def configured() -> bool: ...

def slab() -> Slab: ...  # RuntimeError before configure()
