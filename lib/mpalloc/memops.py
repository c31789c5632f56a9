"""Byte-buffer operations that beat the builtin idioms: ``find``.

    from mpalloc import memops
    memops.find(line, 0x0A)               # index of the first "\\n", or -1

Only functions measured (tools/bench) at >= 1.0x the best builtin idiom are
offered. ``fill``, ``copy`` (memmove) and ``compare`` exist in the kernels
(``_memops_viper``/``_memops_py``, tested against each other) but lose to
``buf[a:b] = pattern``, ``dst[a:b] = mv[c:d]`` and ``ma[:n] == mb[:n]`` (C
memset/memmove/memcmp, 1.1-10x faster even with their one or two memoryview
allocations), so they are not exported.

Buffers are byte buffers (bytes, bytearray, memoryview, array 'B'); offsets and
counts are bytes; a range outside a buffer raises ValueError before anything
changes. ``KERNEL`` is ``"viper"`` (no allocation, IRQ-safe) or ``"py"`` (the
pure twin on C idioms: same results, allocates small temporaries).
"""

try:
    from mpalloc import _memops_viper as _k
except (SyntaxError, ImportError, ValueError):
    from mpalloc import _memops_py as _k

KERNEL = _k.NAME
find = _k.find
