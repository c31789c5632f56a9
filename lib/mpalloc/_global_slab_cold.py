"""Cold paths of ``mpalloc.global_slab`` (internal): its error messages. Serves only
``global_slab``, which imports each name inside the function that needs it, so they
cost no RAM until raised.
"""


def busy(size, slots, figs, live):
    raise RuntimeError(
        "global_slab.configure(%d, %d): already configured as (%d, %d) with %d "
        "allocations live; configure once at start-up, or free everything (clear "
        "every GlobalDeque/ByteBuffer) before reconfiguring"
        % (size, slots, figs[0], figs[1], live))


def unset():
    raise RuntimeError("global_slab.slab(): not configured; call "
                       "global_slab.configure(*global_slab.SLAB_1K_32) (or your own "
                       "size, slots) once at start-up")
