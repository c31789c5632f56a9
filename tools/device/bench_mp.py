# The MicroPython half of tools/bench: runs on the unix port, measures, prints records.
#
#     micropython -X heapsize=8M tools/device/bench_mp.py LIBDIR ROUNDS TARGET_MS LATENCY_K
#
# Every record is one line "@@BENCH <json>"; lines starting "# " are progress. The
# launcher (tools/bench, CPython) computes medians and ratios and prints the tables, so
# this file only measures and describes the cases (it is their single source of truth).
#
# Throughput: each case is a function f(n, a, b) timing n iterations of its operation with
# time.ticks_us; the result is raw ns per iteration including the loop (the "empty loop"
# case is reported so readers can subtract it). Rounds are interleaved: every round runs
# every case once, in a fixed order, after a gc.collect(), so allocating baselines pay for
# the collections their own garbage causes.
#
# Latency: single operations timed one by one with 20,000 live objects on the heap and a
# low gc.threshold, heap allocation vs slab try_alloc+try_free.
#
# tools/bench also imports it on an emulated board (no argv) for the loops of a few cases.
import sys

if len(sys.argv) > 1:
    sys.path.insert(0, sys.argv[1])

import gc
import json
import time
from collections import deque

import micropython

from mpalloc import ring, slab

ticks_us = time.ticks_us
ticks_diff = time.ticks_diff


def emit(kind, rec):
    rec["kind"] = kind
    print("@@BENCH " + json.dumps(rec))


def progress(text):
    print("# " + text)


# ---- timed loops: f(n, a, b) -> elapsed microseconds for n iterations ----------------


def t_empty(n, a, b):
    t0 = ticks_us()
    for _ in range(n):
        pass
    return ticks_diff(ticks_us(), t0)


def t_put_get(n, r, b):
    t0 = ticks_us()
    for _ in range(n):
        r.put(65)
        r.get()
    return ticks_diff(ticks_us(), t0)


def t_write_readinto(n, r, bufs):
    # Shared by ByteRing and RingIO so both run the very same loop.
    src, dst = bufs
    t0 = ticks_us()
    for _ in range(n):
        r.write(src)
        r.readinto(dst)
    return ticks_diff(ticks_us(), t0)


def t_deque_byte(n, d, b):
    t0 = ticks_us()
    for _ in range(n):
        d.append(65)
        d.popleft()
    return ticks_diff(ticks_us(), t0)


def t_deque_chunk(n, d, bufs):
    src, dst = bufs
    t0 = ticks_us()
    for _ in range(n):
        d.append(bytes(src))
        dst[:] = d.popleft()
    return ticks_diff(ticks_us(), t0)


def t_slab(n, s, b):
    t0 = ticks_us()
    for _ in range(n):
        s.try_free(s.try_alloc(48))
    return ticks_diff(ticks_us(), t0)


def t_bytearray(n, a, b):
    t0 = ticks_us()
    for _ in range(n):
        bytearray(64)
    return ticks_diff(ticks_us(), t0)


def t_bytearray_live(n, a, b):
    # The same allocation while a live objects stay on the heap, as in a real program:
    # each collection it triggers has to mark them. Built outside the timed window.
    live = [(i, i) for i in range(a)]
    gc.collect()
    t0 = ticks_us()
    for _ in range(n):
        bytearray(64)
    t = ticks_diff(ticks_us(), t0)
    del live
    return t


# ---- the library under test --------------------------------------------------------------


def kernel_class(mod, kernel_name):
    """The module's class bound to kernel module ``kernel_name`` (None, why-not)."""
    hook = getattr(mod, "_with_kernel", None)
    if hook is None:
        return None, "%s has no _with_kernel hook" % mod.__name__
    try:
        kmod = __import__("mpalloc." + kernel_name, None, None, ("NAME",))
    except (SyntaxError, ImportError, ValueError) as e:
        return None, "%s does not import here: %r" % (kernel_name, e)
    return hook(kmod), None


def ringio_limit_note(size):
    try:
        micropython.RingIO(size)
    except (ValueError, MemoryError) as e:
        return "micropython.RingIO(%d) raises %s" % (size, type(e).__name__)
    return "micropython.RingIO(%d) works on this build" % size


def build_cases():
    """List of case dicts; the order is the order within every round."""
    ByteRing = ring.ByteRing
    Slab = slab.Slab
    RingIO = micropython.RingIO
    one_src, one_dst = bytearray(b"A"), bytearray(1)
    src = bytearray(range(128))
    dst = bytearray(128)
    big = 1 << 17
    slab_args = (64 * 64, 64)  # 64 blocks of 64 bytes; try_alloc(48) takes one block

    cases = []
    family = ["core"]  # the plug-in adding cases (tools/report groups rows by it)

    def add(cid, group, label, fn, a, b, baseline=None, target=None, note=""):
        cases.append({"id": cid, "group": group, "label": label, "fn": fn, "a": a, "b": b,
                      "baseline": baseline, "target": target, "note": note,
                      "family": family[0]})

    add("empty_loop", 0, "empty `for _ in range(n)` loop", t_empty, None, None,
        note="loop overhead alone; every row includes it once per iteration")

    # Targets are cost ratios (case time / baseline time), as the issue states them.
    add("ring_put_get", 1, "ByteRing(1024) put+get, 1 B", t_put_get, ByteRing(1024), None,
        baseline="ringio_1", target=1.0)
    add("ringio_1", 1, "RingIO(1024) write+readinto, 1 B", t_write_readinto, RingIO(1024),
        (one_src, one_dst), note="1-byte bytearrays; RingIO has no single-byte put/get")
    add("deque_1", 1, "deque(maxlen=1024) append+popleft, 1 int", t_deque_byte,
        deque((), 1024), None, baseline="ringio_1")

    add("ring_128", 2, "ByteRing(1024) write+readinto, 128 B", t_write_readinto,
        ByteRing(1024), (src, dst), baseline="ringio_128", target=2.5,
        note="ByteRing always runs its own kernel (it must count dropped bytes of a partial "
             "write, which RingIO's C write cannot report); 2.5x is the issue's own-kernel "
             "target")
    add("ringio_128", 2, "RingIO(1024) write+readinto, 128 B", t_write_readinto,
        RingIO(1024), (src, dst))
    add("deque_128", 2, "deque of 128 B chunks: append(bytes(src)) + dst[:]=popleft()",
        t_deque_chunk, deque((), 8), (src, dst), baseline="ringio_128",
        note="pragmatic pure-Python queue of chunks (a byte-wise deque would be silly); "
             "allocates one bytes object per op")
    add("ring_128_big", 2, "ByteRing(131072) write+readinto, 128 B", t_write_readinto,
        ByteRing(big), (src, dst), baseline="ringio_128", target=2.5,
        note="capacity RingIO cannot hold (%s); baseline is RingIO(1024)"
             % ringio_limit_note(big))

    add("slab_48", 3, "Slab(4096, 64) try_alloc(48)+try_free", t_slab, Slab(*slab_args),
        None, baseline="bytearray_64", target=1.0)
    add("bytearray_64", 3, "bytearray(64)", t_bytearray, None, None,
        note="heap allocation, dropped at once; includes the collections it causes, on a "
             "heap holding almost nothing else (the heap's best case)")
    add("slab_48_live", 3, "Slab(4096, 64) try_alloc(48)+try_free, vs a populated heap",
        t_slab, Slab(*slab_args), None, baseline="bytearray_64_live", target=1.0,
        note="the same slab operation, compared with heap allocation in a program that "
             "keeps %d objects alive" % LIVE)
    add("bytearray_64_live", 3, "bytearray(64), %d live objects on the heap" % LIVE,
        t_bytearray_live, LIVE, None,
        note="collections must mark the live objects; they are built before timing")

    # Group 4: each viper kernel against its pure twin, through the _with_kernel hook.
    for mod, stem, rows in (
        (ring, "_ring", (("put_get", "ByteRing(1024) put+get, 1 B", t_put_get, None),
                         ("128", "ByteRing(1024) write+readinto, 128 B", t_write_readinto,
                          (src, dst)))),
        (slab, "_slab", (("alloc_free", "Slab(4096, 64) try_alloc(48)+try_free", t_slab,
                          None),)),
    ):
        classes = {}
        for kind in ("viper", "py"):
            classes[kind] = kernel_class(mod, stem + "_" + kind)
        for suffix, label, fn, b in rows:
            for kind in ("viper", "py"):
                cls, why = classes[kind]
                cid = "%s_%s_%s" % (stem[1:], suffix, kind)
                obj = None
                if cls is not None:
                    obj = cls(1024) if mod is ring else cls(*slab_args)
                pure_id = "%s_%s_py" % (stem[1:], suffix)
                add(cid, 4, "%s [%s kernel]" % (label, kind), fn if obj is not None else None,
                    obj, b, baseline=pure_id if kind == "viper" else None,
                    target=0.5 if kind == "viper" else None,  # >= 2x faster
                    note=why or "")

    # Further allocator families add their cases from tools/device/bench_<family>.py:
    # add_cases(add) calls add(id, group, label, fn, a, b, baseline, target, note) with
    # fn(n, a, b) -> microseconds for n iterations, as the cases above.
    for family_name in FAMILIES:
        try:
            plugin = __import__("bench_" + family_name)
        except ImportError as e:
            if "bench_" + family_name not in str(e):
                raise
            continue
        family[0] = family_name
        plugin.add_cases(add)
    return cases


FAMILIES = ("bytebuf", "arena", "pool", "fixed", "memops", "lines")


def calibrate(case, target_us):
    fn, a, b = case["fn"], case["a"], case["b"]
    n = 64
    while True:
        gc.collect()
        t = fn(n, a, b)
        if t >= 2000 or n >= 1 << 24:
            break
        n *= 4
    return max(64, int(n * target_us / max(t, 1)))


def throughput(rounds, target_ms):
    cases = build_cases()
    for c in cases:
        c["samples"] = []
        if c["fn"] is not None:
            c["n"] = calibrate(c, target_ms * 1000)
    progress("%d cases x %d rounds, ~%d ms each" % (len(cases), rounds, target_ms))
    for _ in range(rounds):
        for c in cases:
            if c["fn"] is None:
                continue
            n = c["n"]
            gc.collect()
            us = c["fn"](n, c["a"], c["b"])
            c["samples"].append(us * 1000 / n)
    for c in cases:
        emit("case", {"id": c["id"], "group": c["group"], "label": c["label"],
                      "baseline": c["baseline"], "target": c["target"], "note": c["note"],
                      "iterations": c.get("n", 0), "samples_ns": c["samples"],
                      "family": c["family"]})


# ---- worst-case single-op latency ---------------------------------------------------------

LIVE = 20000
GC_THRESHOLD = 32768


# A collection shows as gc.mem_alloc() going down between two iterations (MicroPython
# has no gc callback). mem_alloc() walks the heap (~0.3-0.6 ms here), outside the timing.
# Every single op runs through a one-argument function, so each row pays the same call.


def op_heap(a):
    return bytearray(64)  # kept until the next op replaces it, then garbage


def op_slab(s):
    s.try_free(s.try_alloc(48))


def op_blockpool(p):
    p.try_free(p.try_alloc())


def op_objpool(p):
    p.release(p.acquire())


def op_ring(r):
    r.put(65)
    r.get()


def op_arena(a):
    if a.take(64) < 0:
        a.reset()


def op_floor(a):
    pass


def lat_loop(out, start, k, op, a):
    """Time k single ops into out[start:]; returns the collections seen."""
    cols = 0
    last = gc.mem_alloc()
    keep = None
    for i in range(start, start + k):
        t0 = ticks_us()
        keep = op(a)
        t1 = ticks_us()
        out[i] = ticks_diff(t1, t0)
        m = gc.mem_alloc()
        if m < last:
            cols += 1
        last = m
    del keep
    return cols


class _Obj:
    def __init__(self):
        self.a = self.b = self.c = self.d = 0


def latency_ops():
    """(key, label, op, argument, kernel) for each single op; "heap" is the baseline."""
    ops = [
        ("heap", "bytearray(64), one at a time", op_heap, None, None),
        ("slab", "Slab(4096, 64) try_alloc(48)+try_free, one at a time", op_slab,
         slab.Slab(64 * 64, 64), slab.KERNEL),
    ]
    try:
        from mpalloc import pool
    except ImportError:
        pool = None
    if pool is not None:
        ops.append(("blockpool", "BlockPool(64, 64) try_alloc+try_free, one at a time",
                    op_blockpool, pool.BlockPool(64, 64), pool.KERNEL))
        ops.append(("objpool", "ObjectPool(4-attribute object, 64) acquire+release, one "
                    "at a time", op_objpool, pool.ObjectPool(_Obj, 64), pool.KERNEL))
    ops.append(("ring", "ByteRing(1024) put+get, one at a time", op_ring, ring.ByteRing(1024),
                ring.KERNEL))
    try:
        from mpalloc.arena import Arena
    except ImportError:
        Arena = None
    if Arena is not None:
        ops.append(("arena", "Arena(65536).take(64) (reset when full), one at a time",
                    op_arena, Arena(65536), None))
    ops.append(("floor", "empty timed window (timer + host scheduler jitter)", op_floor,
                None, None))
    return ops


def latency(total, rounds):
    k = total // rounds
    total = k * rounds
    ops = latency_ops()
    us = {}
    worst = {}
    cols = {}
    for key, _, op, a, _ in ops:
        us[key] = [0] * total
        worst[key] = []
        cols[key] = 0
        lat_loop(us[key], 0, min(k, 500), op, a)  # warm-up, overwritten below
    live = [(i, i) for i in range(LIVE)]
    gc.collect()
    progress("latency: %d live tuples, gc.threshold(%d), %d x %d single ops each"
             % (len(live), GC_THRESHOLD, rounds, k))
    gc.threshold(GC_THRESHOLD)
    try:
        for r in range(rounds):
            start = r * k
            for key, _, op, a, _ in ops:
                cols[key] += lat_loop(us[key], start, k, op, a)
                worst[key].append(max(us[key][start:start + k]))
    finally:
        gc.threshold(-1)
    rec = {"live_objects": len(live), "gc_threshold": GC_THRESHOLD, "ops": total,
           "rounds": rounds, "kinds": [o[0] for o in ops]}
    for key, label, _, _, kernel in ops:
        rec[key] = {"label": label, "us": us[key], "round_worst_us": worst[key],
                    "collections": cols[key]}
        if kernel:
            rec[key]["kernel"] = kernel
    emit("latency", rec)
    del live


def main():
    rounds, target_ms, lat_k = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    impl = sys.implementation
    emit("meta", {
        "sys_version": sys.version,
        "implementation": {"name": impl.name, "version": list(impl.version),
                           "machine": getattr(impl, "_machine", ""),
                           "build": getattr(impl, "_build", ""),
                           "mpy": getattr(impl, "_mpy", 0)},
        "platform": sys.platform,
        "ring_kernel": ring.KERNEL, "slab_kernel": slab.KERNEL,
        "heap_total": gc.mem_alloc() + gc.mem_free(),
    })
    throughput(rounds, target_ms)
    latency(lat_k, 4)
    print("@@BENCH-DONE")


if __name__ == "__main__":
    main()
