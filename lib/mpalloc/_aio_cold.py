"""Cold code of ``mpalloc.aio``: the ThreadSafeFlag stand-in, for where asyncio has none.

Loaded by ``aio._stand_in`` on CPython and CircuitPython only; MicroPython uses
``asyncio.ThreadSafeFlag`` (its ``set()`` is safe in a hard IRQ) and never imports this.
"""


class Flag:
    """ThreadSafeFlag stand-in.

    - CPython: ``set()`` may be called from any thread; it wakes the loop through
      ``loop.call_soon_threadsafe``.
    - CircuitPython (Adafruit's asyncio: no ThreadSafeFlag, and its loop has no
      ``call_soon_threadsafe``): there are no user interrupts, so the producer is polling
      code on the same event loop, and ``set()`` sets an ``asyncio.Event`` directly (no
      allocation).

    Chosen by what the running loop offers (``_threadsafe``), not by implementation name.
    """

    def __init__(self):
        self._ev = None  # the asyncio.Event wait() sleeps on; made by the first wait()
        self._loop = None  # the loop set() wakes through call_soon_threadsafe, if any
        self._state = False  # set() happened and no wait() has consumed it yet

    def set(self):
        self._state = True
        loop = self._loop
        if loop is not None:
            loop.call_soon_threadsafe(self._wake)
        elif self._ev is not None:
            self._ev.set()

    def _wake(self):
        if self._ev is not None:
            self._ev.set()

    def clear(self):
        self._state = False

    @staticmethod
    def _threadsafe(loop):
        # The loop if set() must wake it from another thread, else None.
        return loop if hasattr(loop, "call_soon_threadsafe") else None

    async def wait(self):
        import asyncio

        if self._ev is None:
            get = getattr(asyncio, "get_running_loop", None) or asyncio.get_event_loop
            self._loop = self._threadsafe(get())  # MicroPython: get_event_loop only
            self._ev = asyncio.Event()
        while not self._state:
            self._ev.clear()
            if self._state:
                break
            await self._ev.wait()
        self._state = False
