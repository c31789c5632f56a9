"""Each runtime really runs what its label says (no silent fallback)."""

import mpalloc
from mpalloc import errors
from support import IS_MICROPYTHON, MPY_LANES, RUNTIME, expected_kernel, viper_kernel


def test_library_source_matches_runtime():
    path = errors.__file__
    if RUNTIME.endswith("-mpy") or RUNTIME in MPY_LANES:  # unix-mpy, wasm32-mpy, boards
        assert path.endswith(".mpy"), path
    else:
        assert path.endswith(".py"), path
    assert IS_MICROPYTHON == (RUNTIME != "cpython")


def test_kernels_match_runtime():
    from mpalloc import _mem_py

    k = viper_kernel("_mem_viper") or _mem_py
    assert k.NAME == expected_kernel(), (RUNTIME, k.NAME)


def test_version_is_a_string():
    parts = mpalloc.__version__.split(".")
    assert len(parts) == 3 and all(p.isdigit() for p in parts), mpalloc.__version__
