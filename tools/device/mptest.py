# Runs one test module on MicroPython or CircuitPython and reports each test between markers.
# Usage: micropython tools/mptest.py LIBDIR TESTSDIR MODULE RUNTIME [TEST ...]
# or, where there is no argv (a board's REPL): import mptest; mptest.main(LIBDIR, TESTSDIR,
# MODULE, RUNTIME, [TEST, ...]) with LIBDIR/TESTSDIR None to leave sys.path as it is.
# Output protocol (parsed by tests/conftest.py), one record per test:
#   @@MPT START <name>
#   ...anything the test prints, then on failure its traceback...
#   @@MPT PASS|FAIL|SKIP <name> [reason]
#   @@MPT NO-ALLOC <name> <calls>  (after PASS: the test made <calls> support.no_alloc calls)
# ALLOC_CHECK "delta" runs support.no_alloc as a heap-usage delta instead of under heap_lock:
# asked for by DELTA_FLAG as the first TEST name (so every runner passes it through as is);
# the host's second pass over the tests that printed NO-ALLOC (tests/lanes/__init__.py).
# A module that fails to import prints "@@MPT IMPORT-ERROR" and its traceback.
import gc
import sys

try:
    import micropython
except ImportError:
    micropython = None


def print_exception(e):
    if hasattr(sys, "print_exception"):  # MicroPython
        sys.print_exception(e)
        return
    try:
        import traceback  # CircuitPython

        traceback.print_exception(e)
    except ImportError:
        print(repr(e))


def unlock_heap():
    # heap_unlock() below depth 0 wraps to "locked forever": read the depth first.
    if micropython is None or not hasattr(micropython, "heap_lock"):
        return
    micropython.heap_lock()
    depth = micropython.heap_unlock()
    while depth > 0:
        depth = micropython.heap_unlock()


DELTA_FLAG = "--alloc-check=delta"


def main(libdir, testsdir, modname, runtime, only=(), alloc_check="lock"):
    if only and only[0] == DELTA_FLAG:
        alloc_check = "delta"
        only = only[1:]
    if libdir is not None:
        sys.path.clear()
        sys.path.append(libdir)
        sys.path.append(testsdir)
        sys.path.append(".frozen")  # frozen modules (asyncio), as on a board

    import support

    support.RUNTIME = runtime
    support.ALLOC_CHECK = alloc_check  # "delta": no_alloc counts heap bytes, unlocked
    try:
        mod = __import__(modname)
    except BaseException as e:  # noqa: B036 - report anything, SyntaxError included
        print("@@MPT IMPORT-ERROR")
        print_exception(e)
        return 3

    names = []
    for k in mod.__dict__:
        if k.startswith("test_") and callable(mod.__dict__[k]):
            names.append(k)
    names.sort()
    for name in names:
        if only and name not in only:
            continue
        gc.collect()
        support.NO_ALLOC_CALLS = 0
        print("@@MPT START", name)
        try:
            mod.__dict__[name]()
        except support.SkipTest as e:
            print("@@MPT SKIP", name, e.args[0] if e.args else "")
            continue
        except BaseException as e:  # noqa: B036
            unlock_heap()  # a test may have died with the heap locked
            print_exception(e)
            print("@@MPT FAIL", name)
            continue
        print("@@MPT PASS", name)
        if support.NO_ALLOC_CALLS:
            print("@@MPT NO-ALLOC", name, support.NO_ALLOC_CALLS)
    print("@@MPT DONE")
    return 0


if __name__ == "__main__" and len(sys.argv) >= 5:
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]))
