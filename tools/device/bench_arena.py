# Bench cases for mpalloc.arena / mpalloc.stack, loaded by tools/device/bench_mp.py (add_cases).
# fn(n, a, b) times n iterations with time.ticks_us and returns elapsed microseconds.
import time

from mpalloc.arena import Arena
from mpalloc.stack import Stack

ticks_us = time.ticks_us
ticks_diff = time.ticks_diff


def t_take(n, a, b):
    # Offset form; when the 64 KiB arena is full (1 in 1024 iterations) reset it.
    t0 = ticks_us()
    for _ in range(n):
        if a.take(64) < 0:
            a.reset()
    return ticks_diff(ticks_us(), t0)


def t_take_aligned(n, a, b):
    t0 = ticks_us()
    for _ in range(n):
        if a.take_aligned(64, 8) < 0:
            a.reset()
    return ticks_diff(ticks_us(), t0)


def t_alloc(n, a, b):
    # View form: the memoryview is the only allocation; reset every 1024 (the arena
    # holds 1024 x 64 bytes), counted in a local.
    a.reset()
    k = 0
    t0 = ticks_us()
    for _ in range(n):
        k += 1
        if k == 1024:
            a.reset()
            k = 0
        a.alloc(64)
    return ticks_diff(ticks_us(), t0)


def t_reset(n, a, pos):
    # reset() with the arena holding `pos` bytes of live allocations: one attribute
    # store puts the position back each iteration (the arena keeps no per-allocation
    # state, so this is the same state the allocations left).
    t0 = ticks_us()
    for _ in range(n):
        a._s[0] = pos  # the position word (arena.py _POS)
        a.reset()
    return ticks_diff(ticks_us(), t0)


def t_scope(n, a, b):
    t0 = ticks_us()
    for _ in range(n):
        with a.scope():
            a.take(64)
    return ticks_diff(ticks_us(), t0)


def t_stack(n, s, b):
    t0 = ticks_us()
    for _ in range(n):
        s.try_free(s.try_alloc(64, 1))
    return ticks_diff(ticks_us(), t0)


def filled(k):
    """An arena holding k live 8-byte allocations (made with take), and its position."""
    a = Arena(8 * k)
    for _ in range(k):
        a.take(8)
    return a, a.used()


def add_cases(add):
    big = 1 << 16
    add("arena_take", 10, "Arena(65536).take(64) (offset form, reset when full)", t_take,
        Arena(big), None, baseline="bytearray_64", target=1.0, floor="floor_call1",
        summary="Arena", note="no allocation; includes the amortised reset (1 per 1024)")
    add("arena_take_aligned", 10, "Arena(65536).take_aligned(64, 8)", t_take_aligned,
        Arena(big), None, baseline="bytearray_64")
    add("arena_alloc", 10, "Arena(65536).alloc(64) (memoryview form)", t_alloc,
        Arena(big), None, baseline="bytearray_64", target=1.5,
        note="allocates the memoryview only; includes a local counter and the amortised reset")
    add("arena_scope", 10, "with arena.scope(): take(64)", t_scope, Arena(256), None,
        baseline="bytearray_64", note="scope() returns the arena: no allocation")
    a10, p10 = filled(10)
    a10k, p10k = filled(10000)
    add("arena_reset_10", 10, "Arena.reset() with 10 live allocations", t_reset, a10, p10,
        note="includes one attribute store restoring the position")
    add("arena_reset_10000", 10, "Arena.reset() with 10,000 live allocations", t_reset,
        a10k, p10k, baseline="arena_reset_10", target=1.2,
        note="O(1): same cost as with 10 (ratio ~1.0)")
    add("stack_alloc_free", 10, "Stack(4096) try_alloc(64, 1)+try_free", t_stack,
        Stack(4096), None, baseline="bytearray_64", summary="Stack")
    # The take kernel (_arena_viper) against its pure twin (_arena_py), bound on an arena
    # each; cases "arena_take_<kind>" as every kernel-vs-twin row.
    for kind in ("viper", "py"):
        try:
            kmod = __import__("mpalloc._arena_" + kind, None, None, ("bind",))
            a = Arena(big)
            kmod.bind(a)
            why = ""
        except (SyntaxError, ImportError, ValueError) as e:
            a, why = None, repr(e)
        add("arena_take_" + kind, 12, "Arena(65536).take(64) [%s kernel]" % kind,
            t_take if a is not None else None, a, None,
            baseline="arena_take_py" if kind == "viper" else None,
            target=0.5 if kind == "viper" else None, note=why)
