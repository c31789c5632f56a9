from mpalloc import _mem_py
from support import eq, no_alloc, rng, viper_kernel

_mem_viper = viper_kernel("_mem_viper")


def kernels():
    return [k for k in (_mem_py, _mem_viper) if k is not None]


def test_copy_matches_reference_all_alignments():
    r = rng(1)
    src = bytearray(r.getrandbits(8) for _ in range(80))
    for k in kernels():
        for soff in range(9):
            for doff in range(9):
                for n in (0, 1, 3, 4, 5, 8, 15, 16, 17, 23, 31, 33, 64):
                    dst = bytearray(80)
                    k.copy(dst, doff, src, soff, n)
                    want = bytearray(80)
                    want[doff:doff + n] = src[soff:soff + n]
                    eq(dst, want, "%s copy(dst, %d, src, %d, %d)" % (k.NAME, doff, soff, n))


def test_copy_no_alloc():
    src = bytearray(range(64))
    dst = bytearray(64)
    for k in kernels():
        no_alloc(k.copy, dst, 3, src, 7, 40)  # no common alignment: the word merge
        eq(dst[3:43], src[7:47], k.NAME + " copy(dst, 3, src, 7, 40)")
        no_alloc(k.copy, dst, 4, src, 8, 40)  # common alignment: the copy_aligned block
        eq(dst[4:44], src[8:48], k.NAME + " copy(dst, 4, src, 8, 40)")
