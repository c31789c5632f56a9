"""No-alloc methods leave the heap alone even when it is unlocked.

``no_alloc`` (heap_lock) cannot see a call frame taken from the heap and freed on return:
with the heap locked MicroPython uses the C stack instead. These tests count every heap
byte with ``micropython.mem_total()`` around one unlocked call, on every MicroPython
runtime, the pure twins included (firmware without a native emitter runs those).
"""

from mpalloc import ring, slab
from support import no_heap_use, viper_kernel


def classes(mod, twins):
    out = [mod.ByteRing if mod is ring else mod.Slab]
    for name in twins:
        kmod = viper_kernel(name) if name.endswith("_viper") else \
            __import__("mpalloc." + name, None, None, ("NAME",))
        if kmod is not None:
            out.append(mod._with_kernel(kmod))
    return out


def test_ring_methods():
    src = bytearray(range(40))
    dst = bytearray(40)
    for cls in classes(ring, ("_ring_viper", "_ring_py")):
        r = cls(57)
        r.write(src)
        r.readinto(dst)  # first use of each buffer: its type check is the cold path
        for _ in range(3):  # cover the wrap point
            assert no_heap_use(r.put, 7)
            assert no_heap_use(r.peek) == 7
            assert no_heap_use(r.get) == 7
            assert no_heap_use(r.write, src) == 40
            assert no_heap_use(r.any) == 40
            assert no_heap_use(r.space) == 17
            assert no_heap_use(r.readinto, dst) == 40
        assert dst == src
        no_heap_use(r.clear)


def test_slab_methods():
    src = bytearray(range(100))
    dst = bytearray(100)
    for cls in classes(slab, ("_slab_viper", "_slab_py")):
        for irq_safe in (False, True):
            s = cls(1024, 32, irq_safe=irq_safe)
            keep = s.try_alloc(10)
            for n in (10, 100):  # one block, then a run found by the scan
                h = no_heap_use(s.try_alloc, n)
                assert h
                assert no_heap_use(s.valid, h)
                assert no_heap_use(s.size, h) == n
                assert no_heap_use(s.write, h, src) == n
                assert no_heap_use(s.readinto, h, dst) == n
                assert dst[:n] == src[:n]
                assert no_heap_use(s.try_free, h)
            assert s.valid(keep)
