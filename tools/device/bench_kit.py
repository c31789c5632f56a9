# What tools/device/bench_mp.py and the families' bench_<family>.py share on the device:
# the clock their timed loops read, the stream loop that the queues and RingIO all run,
# the parts work floors are built from, and the import of a kernel module for the
# kernel-vs-twin rows. Imported, never run; it goes into the
# board's image with the other bench_* programs.
import time

import micropython

ticks_us = time.ticks_us
ticks_diff = time.ticks_diff


def t_write_readinto(n, q, bufs):
    # One loop for ByteRing, ByteDeque, RingIO and their floors, so each case and its
    # baseline run the very same code.
    src, dst = bufs
    t0 = ticks_us()
    for _ in range(n):
        q.write(src)
        q.readinto(dst)
    return ticks_diff(ticks_us(), t0)


@micropython.viper
def address(buf) -> uint:
    """The address of buf's bytes, unsigned (a floor captures it >> 2, as the library
    does, so it stays a small int where RAM is at or above 0x80000000)."""
    return uint(ptr8(buf))


class Plain:
    """An empty object: a floor stores its closures on one and they are called without
    self, as the library's per-instance kernels are."""


def kernel_module(name):
    """mpalloc.<name> (a kernel module such as "_ring_viper") and "", or None and why it
    does not import here (a kernel-vs-twin row that is not timed says so in its note)."""
    try:
        return __import__("mpalloc." + name, None, None, ("NAME",)), ""
    except (SyntaxError, ImportError, ValueError) as e:
        return None, "%s does not import here: %r" % (name, e)
