"""Device side of tools/footprint: RAM after import, per name and per instance.

Runs on the board (or the unix port), one fresh boot per call of ``main``; prints one
``@@FP {...}`` line. RAM is ``gc.mem_alloc()`` after two collections. Every name the
measurement uses is bound before its first reading and the work runs inside functions,
so no global dict grows between two readings.

    main("import", path, modules, case)  RAM after importing ``modules`` (one step each),
                                         then the use case ``case`` (or None) built on top
    main("names", path, modules, None)   import, then take every loaded mpalloc module
                                         apart name by name: what each name holds alone
    main("instances", path, (), None)    per-instance RAM of each allocator
"""

import gc
import sys


def _scrub(n):
    # Overwrite the C stack below the caller with fresh frames: a stale pointer left
    # there by an earlier call would keep garbage alive through the (conservative) GC.
    if n:
        _scrub(n - 1)


def ram():
    _scrub(24)
    gc.collect()
    gc.collect()
    return gc.mem_alloc()


def held(make, arg):
    """Bytes that one more ``make(arg)`` keeps alive. Measured as the second of two
    live objects: native code can leave a pointer to the object it just built in a
    callee-saved register, which the GC scans, so a dropped object may outlive the
    next reading; the first object is alive anyway while the second is measured."""
    first = make(arg)
    a = ram()
    second = make(arg)
    b = ram()
    first = second = None  # noqa: F841 - released before the caller's next reading
    return b - a


def _bytearray(n):
    return bytearray(n)


# ---- use cases: build(), and the payload bytes the user's data takes (not counted) ----

def _uart():
    from mpalloc import global_slab

    d = global_slab.GlobalDeque()
    global_slab.configure(*global_slab.SLAB_1K_32)
    d.write(b"$GPGGA,1\n")
    return d


def _uart_data():
    from mpalloc import global_slab

    return held(_bytearray, global_slab.SLAB_1K_32[0])  # the slab's data buffer


def _ring():
    from mpalloc.ring import ByteRing

    r = ByteRing(256)
    r.write(b"$GPGGA,1\n")
    return r


def _ring_data():
    return held(_bytearray, 256)


def _item():
    return bytearray(32)


def _pool():
    from mpalloc.pool import ObjectPool

    p = ObjectPool(_item, 8)
    p.release(p.acquire())
    return p


def _pool_data():
    return 8 * held(_bytearray, 32)  # the user's 8 objects


def _fmt():
    from mpalloc.fixed import FixedStr, Format

    s = FixedStr(64)
    f = Format("T={.1}C RH={}% N={}\n")
    v = f.values
    v[0] = 235
    v[1] = 45
    v[2] = 1234
    s.render(f)
    return s, f


def _fmt_data():
    return held(_bytearray, 64)  # the FixedStr's storage


CASES = {"uart": (_uart, _uart_data), "ring": (_ring, _ring_data),
         "pool": (_pool, _pool_data), "fixedstr": (_fmt, _fmt_data)}


def measure_import(modules, case):
    steps = []
    out = {"steps": steps}
    for n in modules:
        a = ram()
        __import__(n)
        b = ram()
        steps.append(b - a)  # allocates: the next step reads its own "before"
    if case:
        build, data = CASES[case]
        a = ram()
        o = build()
        b = ram()
        out["case"] = b - a
        out["data"] = data()
        o = None  # noqa: F841
    return out


# ---- per name: take the loaded modules apart ----

def _loaded():
    return [k for k in sys.modules if k == "mpalloc" or k.startswith("mpalloc.")]


def measure_names(modules, first):
    a = ram()
    for n in modules:
        __import__(n)
    total = ram() - a
    mods = _loaded()
    # The measured module first, then the others it loaded, the package last.
    order = [m for m in first if m in mods]
    order += sorted(m for m in mods if m not in order and m != "mpalloc")
    order.append("mpalloc")
    out = []
    pkg = sys.modules["mpalloc"]
    for m in order:
        mod = sys.modules[m]
        names = [k for k in mod.__dict__ if k not in ("__name__", "__file__", "__path__")]
        for k in names:
            a = ram()
            delattr(mod, k)
            b = ram()
            out.append((m, k, a - b))
        # The module object itself: its dict, the package attribute, the sys.modules entry.
        mod = names = None
        short = m.split(".")[-1]
        a = ram()
        if m != "mpalloc" and short in pkg.__dict__:
            delattr(pkg, short)
        if m == "mpalloc":
            pkg = None
        del sys.modules[m]
        b = ram()
        out.append((m, None, a - b))
    return {"names": out, "total": total}


# ---- per instance: fixed bytes and bytes per item (two sizes) ----

def _instances():
    from mpalloc.arena import Arena
    from mpalloc.bytebuf import ByteBuffer, ByteDeque
    from mpalloc.fixed import FixedStr, FixedVec
    from mpalloc.global_slab import GlobalDeque
    from mpalloc.pool import BlockPool, ObjectPool
    from mpalloc.ring import ByteRing
    from mpalloc.slab import Slab
    from mpalloc.stack import Stack

    s = Slab(1024, 32)
    return (
        # (id, label, make(n), n): make(n) builds the object with n items of payload
        ("bytering", "ByteRing(n)", ByteRing, 256),
        ("slab", "Slab(32 * n, n)", lambda n: Slab(32 * n, n), 32),
        ("slab_irq", "Slab(32 * n, n, irq_safe=True)",
         lambda n: Slab(32 * n, n, irq_safe=True), 32),
        ("bytebuffer", "ByteBuffer(slab) (chunks in the slab)", lambda n: ByteBuffer(s), 0),
        ("bytedeque", "ByteDeque(slab) (chunks in the slab)", lambda n: ByteDeque(s), 0),
        ("globaldeque", "GlobalDeque() before configure", lambda n: GlobalDeque(), 0),
        ("arena", "Arena(n)", Arena, 1024),
        ("stack", "Stack(n)", Stack, 1024),
        ("blockpool", "BlockPool(16, n)", lambda n: BlockPool(16, n), 32),
        ("blockpool_fifo", "BlockPool(16, n, strategy='fifo')",
         lambda n: BlockPool(16, n, strategy="fifo"), 32),
        ("blockpool_bitmap", "BlockPool(16, n, strategy='bitmap')",
         lambda n: BlockPool(16, n, strategy="bitmap"), 32),
        ("objectpool", "ObjectPool(object, n) (objects not counted)",
         lambda n: ObjectPool(object, n), 8),
        ("fixedvec", "FixedVec(n)", FixedVec, 16),
        ("fixedvec_i", "FixedVec(n, 'i')", lambda n: FixedVec(n, "i"), 16),
        ("fixedstr", "FixedStr(n)", FixedStr, 64),
    )


def measure_instances():
    rows = _instances()
    out = []
    for key, label, make, n in rows:
        make(n)  # first use: lazy imports and one-time bindings are not per instance
        one = held(make, n)
        two = held(make, 2 * n) if n else one
        out.append((key, label, n, one, two))
    return {"instances": out}


def main(mode, path, modules, case):
    sys.path[:] = [path, ".frozen"]
    if mode == "import":
        out = measure_import(modules, case)
    elif mode == "names":
        out = measure_names(modules, modules)
    else:
        out = measure_instances()
    out["loaded"] = sorted(_loaded())
    print("@@FP", out)
