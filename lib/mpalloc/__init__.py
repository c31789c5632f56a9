"""mpalloc: allocators and fixed-capacity containers in buffers allocated once.

Import the family you need (``from mpalloc.ring import ByteRing``); this package
file stays tiny so that importing one module does not pull in the others.
"""

__version__ = "0.1.0"
