# Benchmark cases for mpalloc.pool, imported by tools/device/bench_mp.py (add_cases(add)).
# Every fn(n, a, b) times n iterations with time.ticks_us and returns microseconds.
from bench_kit import kernel_module, ticks_diff, ticks_us

from mpalloc import pool


class Particle:
    """The ObjectPool baseline: a small class with 4 attributes."""

    def __init__(self):
        self.x = 0
        self.y = 0
        self.vx = 0
        self.vy = 0


def t_new(n, cls, b):
    t0 = ticks_us()
    for _ in range(n):
        cls()
    return ticks_diff(ticks_us(), t0)


def t_acq_rel(n, p, b):
    t0 = ticks_us()
    for _ in range(n):
        p.release(p.acquire())
    return ticks_diff(ticks_us(), t0)


def t_borrow(n, p, b):
    t0 = ticks_us()
    for _ in range(n):
        with p.borrow():
            pass
    return ticks_diff(ticks_us(), t0)


def t_blk(n, bp, b):
    t0 = ticks_us()
    for _ in range(n):
        bp.try_free(bp.try_alloc())
    return ticks_diff(ticks_us(), t0)


def t_blk_churn(n, bp, hold):
    # Keeps `hold` blocks live and frees the oldest each step: the strategies differ.
    q = hold
    k = len(q)
    for j in range(k):
        q[j] = bp.try_alloc()
    j = 0
    t0 = ticks_us()
    for _ in range(n):
        bp.try_free(q[j])
        q[j] = bp.try_alloc()
        j += 1
        if j == k:
            j = 0
    t = ticks_diff(ticks_us(), t0)
    for j in range(k):
        bp.try_free(q[j])
    return t


def add_cases(add):
    add("pool_obj", 10, "ObjectPool(Particle, 16) acquire+release", t_acq_rel,
        pool.ObjectPool(Particle, 16), None, baseline="new_particle", target=1.0,
        floor="floor_calls_nested", summary="ObjectPool", note="kernel %s" % pool.KERNEL)
    add("new_particle", 10, "Particle() (class with 4 attributes)", t_new, Particle, None,
        gc=True, note="heap allocation, dropped at once; includes the collections it causes")
    add("pool_obj_reset", 10, "ObjectPool(Particle, 16, reset=fn) acquire+release",
        t_acq_rel, pool.ObjectPool(Particle, 16, reset=lambda o: None), None,
        baseline="new_particle")
    add("pool_obj_bytearray", 10, "ObjectPool(bytearray(64) x 16) acquire+release",
        t_acq_rel, pool.ObjectPool(lambda: bytearray(64), 16), None,
        baseline="bytearray_64", note="unhashable objects: keyed by id()")
    add("pool_obj_locked", 10, "ObjectPool(Particle, 16, locked=True) acquire+release",
        t_acq_rel, pool.ObjectPool(Particle, 16, locked=True), None,
        baseline="new_particle")
    add("pool_borrow", 10, "ObjectPool(Particle, 16) `with borrow()`", t_borrow,
        pool.ObjectPool(Particle, 16), None, baseline="new_particle")
    for s in pool.STRATEGIES:
        add("blockpool_" + s, 11, "BlockPool(64, 64, %r) try_alloc+try_free" % s, t_blk,
            pool.BlockPool(64, 64, strategy=s), None, baseline="bytearray_64", target=1.0,
            floor="floor_calls_nested", summary="BlockPool" if s == "lifo" else None,
            note="kernel %s" % pool.KERNEL)
    for s in pool.STRATEGIES:
        add("blockpool_churn_" + s, 11,
            "BlockPool(64, 64, %r) free oldest + alloc, 48 live" % s, t_blk_churn,
            pool.BlockPool(64, 64, strategy=s), [0] * 48, baseline="bytearray_64")
    add("blockpool_poison", 11, "BlockPool(64, 64, poison=0xA5) try_alloc+try_free",
        t_blk, pool.BlockPool(64, 64, poison=0xA5), None, baseline="bytearray_64",
        note="debug mode: fill on free, check on alloc")
    for kind in ("viper", "py"):
        kmod, why = kernel_module("_pool_" + kind)
        k = pool._with_kernel(kmod) if kmod is not None else None  # ObjectPool, BlockPool
        for cid, label, fn, mk in (
            ("objpool", "ObjectPool(Particle, 16) acquire+release", t_acq_rel,
             lambda c: c[0](Particle, 16)),
            ("blockpool", "BlockPool(64, 64) try_alloc+try_free", t_blk,
             lambda c: c[1](64, 64)),
        ):
            add("pool_" + cid, 12, label, fn, mk(k) if k is not None else None, None,
                note=why, kernel=kind)
