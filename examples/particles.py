"""Game-style object reuse: particles come from an ObjectPool, never from the heap.

    micropython examples/particles.py        (from any directory)

Each frame spawns a few particles, moves all live ones (integer fixed-point maths, so
no float objects), and returns the dead ones to the pool. The heap bytes allocated
inside each frame are printed: after the first frame (which creates each pool slot's
`borrow` helper and warms up the interpreter) they stay at zero.
"""

import gc
import sys

try:  # run from anywhere: the repo's lib/ beside examples/ (on a board /lib is on sys.path)
    sys.path.insert(0, (__file__.rsplit("/", 1)[0] if "/" in __file__ else ".") + "/../lib")
except NameError:
    pass

from mpalloc.pool import ObjectPool  # noqa: E402

MAX = 48


class Particle:
    def __init__(self):
        self.x = 0
        self.y = 0
        self.vx = 0
        self.vy = 0
        self.life = 0


def reset(p):
    p.x = p.y = p.vx = p.vy = p.life = 0


pool = ObjectPool(Particle, MAX, reset=reset)
live = [None] * MAX  # preallocated slots: appending to a list could allocate
state = [0, 12345]  # live count, rng state


def spawn(k):
    n = state[0]
    r = state[1]
    for _ in range(k):
        p = pool.try_acquire()  # None when all MAX are flying: skip, never allocate
        if p is None:
            break
        r = (r * 1103515245 + 12345) & 0x3FFFFFFF
        p.vx = (r & 15) - 8
        p.vy = -((r >> 4) & 15)
        p.life = 5 + ((r >> 8) & 15)
        live[n] = p
        n += 1
    state[0] = n
    state[1] = r


def step():
    n = state[0]
    i = 0
    while i < n:
        p = live[i]
        p.x += p.vx
        p.y += p.vy
        p.vy += 1  # gravity
        p.life -= 1
        if p.life <= 0:
            pool.release(p)
            n -= 1
            live[i] = live[n]
            live[n] = None
        else:
            i += 1
    state[0] = n


def frame():
    spawn(3)
    step()


def main(frames=40):
    have_mem = hasattr(gc, "mem_alloc")
    for f in range(frames):
        gc.collect()
        gc.disable()  # no collection inside the window: mem_alloc only grows
        a = gc.mem_alloc() if have_mem else 0
        frame()
        b = gc.mem_alloc() if have_mem else 0
        gc.enable()
        if f < 5 or f % 10 == 9:
            print("frame %2d: %2d live, %2d pooled free, heap bytes allocated in frame: %s"
                  % (f, state[0], pool.available(), b - a if have_mem else "n/a"))
    print(pool.stats())


main()
