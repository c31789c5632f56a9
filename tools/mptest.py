# Runs one test module on MicroPython and reports each test between markers.
# Usage: micropython tools/mptest.py LIBDIR TESTSDIR MODULE RUNTIME
# Output protocol (parsed by tests/conftest.py), one record per test:
#   @@MPT START <name>
#   ...anything the test prints, then on failure its traceback...
#   @@MPT PASS|FAIL|SKIP <name> [reason]
# A module that fails to import prints "@@MPT IMPORT-ERROR" and its traceback.
import gc
import sys

import micropython

libdir, testsdir, modname, runtime = sys.argv[1:5]
sys.path.clear()
sys.path.append(libdir)
sys.path.append(testsdir)
sys.path.append(".frozen")  # frozen modules (asyncio), as on a board

import support  # noqa: E402

support.RUNTIME = runtime


def unlock_heap():
    # heap_unlock() below depth 0 wraps to "locked forever": read the depth first.
    micropython.heap_lock()
    depth = micropython.heap_unlock()
    while depth > 0:
        depth = micropython.heap_unlock()


try:
    mod = __import__(modname)
except BaseException as e:  # noqa: B036 - report anything, SyntaxError included
    print("@@MPT IMPORT-ERROR")
    sys.print_exception(e)
    sys.exit(3)

names = []
for k in mod.__dict__:
    if k.startswith("test_") and callable(mod.__dict__[k]):
        names.append(k)
names.sort()
only = sys.argv[5:]
for name in names:
    if only and name not in only:
        continue
    gc.collect()
    print("@@MPT START", name)
    try:
        mod.__dict__[name]()
    except support.SkipTest as e:
        print("@@MPT SKIP", name, e.args[0] if e.args else "")
        continue
    except BaseException as e:  # noqa: B036
        unlock_heap()  # a test may have died with the heap locked
        sys.print_exception(e)
        print("@@MPT FAIL", name)
        continue
    print("@@MPT PASS", name)
print("@@MPT DONE")
