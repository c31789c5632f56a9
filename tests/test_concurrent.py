"""Writers on distinct handles / blocks / chunks of one shared buffer, running truly
concurrently (``_thread`` threads; the unix port runs them without a GIL): every byte
each writer reads back must be its own.

A copy that touches bytes outside its target fails here: a bytearray slice store
``data[a:b] = buf`` memmoves the whole rest of the buffer onto itself. glibc's x86-64
memmove loads a move of up to 256 bytes into registers before storing any of it, so a
neighbour's write made in between is put back to its old value (a larger move onto
itself is skipped there; a board's memmove copies it byte by byte, racing every
writer after ``b``). So the buffers here are small (the rest of the buffer after a
write is at most 256 bytes), the writers sit in adjacent blocks and in the last
block, and their loops make C-speed calls only.

Skipped where there is no ``_thread`` (the qemu boards, CircuitPython boards).
"""

from mpalloc.bytebuf import ByteBuffer, ByteDeque
from mpalloc.pool import BlockPool
from mpalloc.slab import Slab
from support import need_threads, run_threads

ROUNDS = 40000


def _pair(n, tid):
    # Two patterns a writer alternates between, distinct per thread and per round parity.
    a = bytearray(n)
    b = bytearray(n)
    for j in range(n):
        a[j] = (tid * 50 + j) & 0xFF
        b[j] = (tid * 50 + j + 128) & 0xFF
    return a, b, bytearray(n)


def _fail(what, tid, i, back, want):
    j = 0
    while back[j] == want[j]:
        j += 1
    raise AssertionError("%s of thread %d, round %d: byte %d is %d, wrote %d (a neighbour's "
                         "copy put an old value back)" % (what, tid, i, j, back[j], want[j]))


def _keyed_writer(o, key, tid, a, b, back):
    # Slab handles and BlockPool blocks: o.write(key, data), o.readinto(key, buf).
    for i in range(ROUNDS):
        p = b if i & 1 else a
        o.write(key, p)
        o.readinto(key, back)
        if back != p:
            _fail("%s %d" % (type(o).__name__, key), tid, i, back, p)


def _adjacent_and_last(o, keys):
    # The keys of blocks 0, 1 and the last, each written whole by its own thread.
    return [(o, keys[k], t) + _pair(16, t) for t, k in enumerate((0, 1, 15))]


def test_slab_writers_on_distinct_handles():
    need_threads()
    s = Slab(256, 16)
    run_threads(_keyed_writer, _adjacent_and_last(s, [s.alloc(16) for _ in range(16)]))


def test_blockpool_writers_on_distinct_blocks():
    need_threads()
    p = BlockPool(16, 16)
    run_threads(_keyed_writer, _adjacent_and_last(p, [p.alloc() for _ in range(16)]))


def _poison_or_write(p, x, tid, a, b, back):
    if tid:
        _keyed_writer(p, x, tid, a, b, back)
        return
    # Thread 0 frees and re-takes block x (try_free fills it with the poison byte) while
    # the others write their own blocks. Only this thread touches the pool's metadata.
    for _ in range(ROUNDS):
        assert p.try_free(x)
        assert p.try_alloc() == x


def test_blockpool_poison_fill_leaves_other_blocks_alone():
    need_threads()
    p = BlockPool(16, 16, poison=0xA5)
    blocks = [p.alloc() for _ in range(16)]
    args = [(p, blocks[0], 0, None, None, None)]
    for t, k in ((1, 1), (2, 15)):
        a, b, back = _pair(16, t)
        args.append((p, blocks[k], t, a, b, back))
    run_threads(_poison_or_write, args)
    assert p.stats()["poison_hits"] == 0


def _stream_user(q, tid, a, b, back):
    for i in range(ROUNDS):
        p = b if i & 1 else a
        q.write(p)
        q.readinto(back)
        if back != p:
            _fail(type(q).__name__, tid, i, back, p)
        q.clear()  # a ByteBuffer keeps what was read; a ByteDeque is empty already


def _three_on_one_slab(cls):
    # Each thread has its own ByteDeque/ByteBuffer on one irq_safe slab: their chunks
    # interleave in the slab's buffer, so a chunk copy that spills outside its chunk
    # shows up here.
    need_threads()
    s = Slab(16 * 16, 16, irq_safe=True)
    run_threads(_stream_user, [(cls(s), t) + _pair(5 + 2 * t, t) for t in range(3)])
    assert s.stats()["in_use"] == 0


def test_bytedeques_on_one_slab():
    _three_on_one_slab(ByteDeque)


def test_bytebuffers_on_one_slab():
    _three_on_one_slab(ByteBuffer)
