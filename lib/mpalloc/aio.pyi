"""Type stubs for mpalloc.aio (IDE completion; not installed on the board)."""

from typing import Any

_Buffer = bytes | bytearray | memoryview | Any  # bytes-like / array

class QueueReader:
    """Wraps a byte queue (``ByteRing``, ``ByteDeque``, ``GlobalDeque``: anything with
    ``readinto(buf)`` and ``write_from(buf, n)``) for one consuming coroutine.
    """
    def __init__(self, queue: Any, chunk: int = 64) -> None: ...
    def push(self, buf: _Buffer, n: int) -> int: ...
    def put(self, b: int) -> bool: ...
    def readinto(self, buf: _Buffer) -> Any: ...
ThreadSafeFlag: Any  # asyncio.ThreadSafeFlag on MicroPython
