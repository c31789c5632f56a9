"""Type stubs for mpalloc.memops (IDE completion; not installed on the board)."""

from typing import Any

_Buffer = bytes | bytearray | memoryview | Any  # bytes-like / array

KERNEL: str

def find(buf: _Buffer, byte: int) -> int:
    """Index of the first ``byte`` in ``buf``, or -1."""
