"""Byte-buffer operations that beat the builtin idioms: ``find``.

    from mpalloc import memops
    memops.find(line, 0x0A)               # index of the first "\\n", or -1

Only functions measured (tools/bench) at >= 1.0x the best builtin idiom are
offered (docs/design.md#family-memops): for fill, copy and compare the C idioms
``buf[a:b] = pattern``, ``dst[a:b] = mv[c:d]`` and ``ma[:n] == mb[:n]`` win.

Buffers are byte buffers (bytes, bytearray, or an array/memoryview of one-byte
items; others raise TypeError). ``KERNEL`` is ``"viper"`` (no allocation, IRQ-safe)
or ``"py"`` (the pure twin on C idioms: same results, allocates small temporaries).
"""

try:
    from mpalloc import _memops_viper as _k
except (SyntaxError, ImportError, ValueError):
    from mpalloc import _memops_py as _k

KERNEL = _k.NAME
find = _k.find
