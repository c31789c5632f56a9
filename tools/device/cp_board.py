# CircuitPython board profile for CircuitPython's unix port (device-side code).
#
# CircuitPython's unix port has more than a board: viper, micropython.heap_lock/mem_total/
# schedule, _thread, time.ticks_*. apply() takes away what boards lack, before anything
# else imports, so that code run afterwards sees what it would see on a board
# (CircuitPython 10, checked in its source: py/modmicropython.c with
# CIRCUITPY_MICROPYTHON_ADVANCED 0, shared-bindings/time, py/circuitpy_mpconfig.h):
#   micropython   const only (no heap_lock, heap_unlock, mem_total, schedule, viper, ...)
#   time          monotonic, monotonic_ns, sleep only (no ticks_*, time_ns, perf_counter)
#   supervisor    ticks_ms (boards have it; adafruit_ticks uses it, so asyncio does)
#   hidden        machine, _thread, uctypes, ctypes (ImportError, as on a board)
# sys.print_exception and random.Random are already missing from the unix port.
# The viper decorators cannot be hidden from here (the compiler reads them, not the
# micropython module): run the no-native tree of tools/build, whose kernels raise the
# SyntaxError a board's compiler raises.
#
# Usage (tests/lanes/circuitpython.py):
#   circuitpython tools/cp_board.py board|as-is LIBS LIBDIR TESTSDIR MODULE RUNTIME [TEST ...]
# runs tools/mptest.py's main with sys.path = [LIBDIR, TESTSDIR, LIBS] (LIBS: the
# CIRCUITPY/lib stand-in holding Adafruit's asyncio and adafruit_ticks), after apply()
# when the first argument is "board".
import builtins
import sys

HIDDEN = ("machine", "_thread", "uctypes", "ctypes")


class BoardModule:
    """A stand-in module object (the unix port cannot create module instances)."""

    def __init__(self, name, attrs):
        self.__name__ = name
        for k in attrs:
            setattr(self, k, attrs[k])

    def __repr__(self):
        return "<module '%s' (CircuitPython board profile)>" % self.__name__


def _board_modules():
    import time as real_time

    import micropython as real_micropython

    # One clock for all three, the one the C _asyncio module orders tasks by
    # (mp_hal_ticks_ms, which time.ticks_ms reads here and supervisor.ticks_ms on a
    # board): Adafruit's asyncio takes supervisor.ticks_ms, and a clock of its own
    # here left every task waiting for a deadline that never came.
    ticks_ms, ticks_diff = real_time.ticks_ms, real_time.ticks_diff
    clock = [ticks_ms(), 0]  # last reading, that clock unwrapped
    clock[1] = clock[0]  # (so monotonic_ns() // 10**6 agrees with it modulo 2**30)

    def elapsed_ms():  # time.ticks_ms wraps at 2**30 ms: unwrap it
        now = ticks_ms()
        clock[1] += ticks_diff(now, clock[0])
        clock[0] = now
        return clock[1]

    def monotonic_ns():  # a big int, as on a board (allocates)
        return elapsed_ms() * 1000000

    def monotonic():
        return elapsed_ms() / 1000

    def supervisor_ticks_ms():  # wraps at 2**29 ms, like the C _asyncio module's ticks
        return ticks_ms() & 0x1FFFFFFF

    return {
        "micropython": BoardModule("micropython", {"const": real_micropython.const}),
        "time": BoardModule("time", {"monotonic": monotonic, "monotonic_ns": monotonic_ns,
                                     "sleep": real_time.sleep}),
        "supervisor": BoardModule("supervisor", {"ticks_ms": supervisor_ticks_ms}),
    }


def apply():
    """Install the profile: an __import__ hook answering for the modules above."""
    replaced = _board_modules()
    real_import = builtins.__import__

    def board_import(name, globals=None, locals=None, fromlist=(), level=0):
        # sys.modules first, as import does: the replacements live there, and a test
        # may put another port's module there (support.as_port).
        if level == 0 and name not in sys.modules and name.split(".")[0] in HIDDEN:
            raise ImportError("no module named '%s' (CircuitPython board)" % name)
        return real_import(name, globals, locals, fromlist, level)

    for name in replaced:
        sys.modules[name] = replaced[name]
    for name in HIDDEN:
        if name in sys.modules:
            del sys.modules[name]
    builtins.__import__ = board_import


def main(argv):
    if argv[0] == "board":
        apply()
    elif argv[0] != "as-is":
        print("cp_board.py: first argument is 'board' or 'as-is', not %r" % argv[0])
        return 2
    import mptest  # after apply(): it must see the board's micropython module

    sys.path.clear()
    sys.path.append(argv[2])
    sys.path.append(argv[3])
    sys.path.append(argv[1])
    return mptest.main(None, None, argv[4], argv[5], argv[6:])


if __name__ == "__main__" and len(sys.argv) >= 7:
    sys.exit(main(sys.argv[1:]))
