"""Type stubs for mpalloc.aio (IDE completion; not installed on the board)."""

from collections.abc import AsyncIterator
from typing import Any

_Buffer = bytes | bytearray | memoryview | Any  # bytes-like / array

class QueueReader:
    """Wraps a byte queue (``ByteRing``, ``ByteDeque``, ``GlobalDeque``: anything with
    ``readinto(buf)`` and ``write_from(buf, n)``) for one consuming coroutine.
    """
    queue: Any
    flag: Any  # asyncio.ThreadSafeFlag
    def __init__(self, queue: Any, chunk: int = 64) -> None: ...
    def __aiter__(self) -> AsyncIterator[memoryview]: ...
    async def __anext__(self) -> memoryview: ...
    def push(self, buf: _Buffer, n: int) -> int: ...
    def put(self, b: int) -> bool: ...
    async def readinto(self, buf: _Buffer) -> int: ...
ThreadSafeFlag: Any  # asyncio.ThreadSafeFlag on MicroPython
