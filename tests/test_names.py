"""One name per concept across families (API.md, second wave): ``view(h)`` is the
memoryview of an allocation, ``size(h)`` its length (-1 when not live), ``capacity`` the
total an allocator holds, as an int attribute, in the unit it hands out (bytes, blocks,
objects, items). The earlier names stay as aliases: ``Slab.get``, ``Stack.size_of``."""

from mpalloc.arena import Arena
from mpalloc.fixed import FixedStr, FixedVec
from mpalloc.pool import BlockPool, ObjectPool
from mpalloc.ring import ByteRing
from mpalloc.slab import Slab
from mpalloc.stack import Stack
from support import no_alloc, raises


def test_view_and_size_on_slab():
    s = Slab(256, 8)
    h = s.alloc(40)
    s.write(h, b"abc")
    v = s.view(h)
    assert len(v) == 40 and bytes(v[:3]) == b"abc"
    assert bytes(s.get(h)) == bytes(v)  # the alias
    assert s.size(h) == 40
    s.free(h)
    assert s.view(h) is None and s.get(h) is None and s.size(h) == -1


def test_view_and_size_on_stack():
    st = Stack(64)
    a = st.alloc(10)
    b = st.alloc(6, 4)
    assert st.size(a) == 10 and st.size(b) == 6 and st.size_of(b) == 6
    st.view(b)[0] = 7
    assert len(st.view(b)) == 6 and st.buf[st.offset(b)] == 7
    st.free(b)
    assert st.size(b) == -1 and st.size_of(b) == -1
    raises(ValueError, st.view, b)


def test_view_and_size_on_blockpool():
    p = BlockPool(16, 4)
    i = p.alloc()
    p.write(i, b"xy")
    assert len(p.view(i)) == 16 and bytes(p.view(i)[:2]) == b"xy"
    assert p.size(i) == 16
    p.free(i)
    assert p.size(i) == -1
    raises(ValueError, p.view, i)


def test_capacity_is_an_int_attribute_everywhere():
    s = Slab(1000, 32)  # 31-byte blocks: what the slab holds is 32 * 31 = 992 bytes
    assert s.capacity == 992 == s.slots * s.block_size
    assert ByteRing(100).capacity == 100
    assert Stack(128).capacity == 128
    assert BlockPool(16, 5).capacity == 5
    assert FixedVec(3).capacity == 3 and FixedVec(3, "h").capacity == 3
    assert FixedStr(12).capacity == 12
    a = Arena(64, grow=True)
    assert a.capacity == 64 and a.size == 64
    a.alloc(60)
    a.alloc(60)  # chains a second block
    assert a.capacity == 128 and a.size == 64
    pool = ObjectPool(list, 2, max_capacity=4, growth=2)
    assert pool.capacity == 2
    pool.acquire()
    pool.acquire()
    pool.acquire()  # grows by 2
    assert pool.capacity == 4 and pool.stats()["capacity"] == 4


def arena_capacity(ar):
    return ar.capacity  # served by Arena.__getattr__


def test_size_and_capacity_allocate_nothing():
    s = Slab(256, 8)
    h = s.alloc(40)
    st = Stack(64)
    a = st.alloc(10)
    p = BlockPool(16, 4)
    i = p.alloc()
    assert no_alloc(s.size, h) == 40
    assert no_alloc(st.size, a) == 10
    assert no_alloc(p.size, i) == 16
    assert no_alloc(arena_capacity, Arena(64)) == 64
