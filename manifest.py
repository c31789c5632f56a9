# ruff: noqa: F821  (metadata/package are provided by MicroPython's makemanifest.py)
# Freeze mpalloc into custom MicroPython firmware (no filesystem copy, no RAM for the code):
#
#     make -C ports/rp2 BOARD=RPI_PICO FROZEN_MANIFEST=/path/to/mpalloc/manifest.py
#
# or from a board's own manifest: include("/path/to/mpalloc/manifest.py").
# The firmware build runs mpy-cross with the port's -march, so the viper kernels are
# frozen as native code. tests/test_host_package.py keeps the version equal to
# mpalloc.__version__ and checks that every library module is frozen.
metadata(
    description="Preallocated allocators and fixed-capacity containers",
    version="0.1.0",
    license="MIT",
)
package("mpalloc", base_path="lib")
