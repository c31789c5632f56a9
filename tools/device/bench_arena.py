# Bench cases for mpalloc.arena / mpalloc.stack, loaded by tools/device/bench_mp.py (add_cases).
# fn(n, a, b) times n iterations with time.ticks_us and returns elapsed microseconds.
from bench_kit import kernel_module, ticks_diff, ticks_us

from mpalloc.arena import Arena
from mpalloc.stack import Stack


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
    # View form: the memoryview is the only allocation. The arena holds 1024 x 64 bytes:
    # reset before each run of 1024 (an outer loop, so the inner one is as bare as the
    # baseline's; the reset is amortised over 1024).
    t0 = ticks_us()
    while n > 0:
        a.reset()
        for _ in range(1024 if n > 1024 else n):
            a.alloc(64)
        n -= 1024
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


def floor_alloc(size):
    """Floor of Arena.alloc: an arena whose ``alloc`` is the least a correct implementation
    does for one call of that shape: a Python closure on the instance with the default
    ``align`` (a viper function cannot have one); the view sliced from the current block's
    memoryview before the arena's viper ``take`` moves the position (a MemoryError for the
    view must leave the arena unchanged, and a chained arena switches ``_mv``, so it is
    read per call); two cells, as a third one puts the frame on the heap
    (docs/design.md#heap-frames)."""
    a = Arena(size)
    take = a.take

    def alloc(n, align=1):
        p = a._s[0]
        v = a._mv[p:p + n]
        take(n)
        return v

    a.alloc = alloc
    return a


def add_cases(add):
    big = 1 << 16
    add("arena_take", 10, "Arena(65536).take(64) (offset form, reset when full)", t_take,
        Arena(big), None, baseline="bytearray_64", target=1.0, floor="floor_call1",
        summary="Arena", note="no allocation; includes the amortised reset (1 per 1024)")
    add("arena_take_aligned", 10, "Arena(65536).take_aligned(64, 8)", t_take_aligned,
        Arena(big), None, baseline="bytearray_64")
    add("arena_alloc", 10, "Arena(65536).alloc(64) (memoryview form)", t_alloc,
        Arena(big), None, baseline="bytearray_64", target=1.5, floor="floor_arena_alloc",
        gc=True, note="allocates the memoryview only (GC-inclusive: with the collections "
        "its views cause); includes the amortised reset (1 per 1024)")
    add("floor_arena_alloc", 10, "floor: o.alloc(64) as a closure with align=1 on the "
        "instance: the position read, one slice of the current block's memoryview (made "
        "first: an error leaves the arena unchanged), the arena's viper take (leaves out "
        "the align test and the full/bad-request branch)", t_alloc,
        floor_alloc(big), None, baseline="bytearray_64", gc=True)
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
    # The stack kernel (_stack_viper) and the take kernel (_arena_viper) against their pure
    # twins (_stack_py, _arena_py), each bound on an allocator of its own: the rows
    # "stack_alloc_free_<kind>" and "arena_take_<kind>", as every kernel-vs-twin row.
    for cid, stem, make, label, fn in (
        ("stack_alloc_free", "_stack_", lambda: Stack(4096),
         "Stack(4096) try_alloc(64, 1)+try_free", t_stack),
        ("arena_take", "_arena_", lambda: Arena(big), "Arena(65536).take(64)", t_take),
    ):
        for kind in ("viper", "py"):
            kmod, why = kernel_module(stem + kind)
            obj = None
            if kmod is not None:
                obj = make()
                kmod.bind(obj)
            add(cid, 12, label, fn, obj, None, note=why, kernel=kind)
