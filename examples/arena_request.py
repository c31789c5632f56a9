"""Request-scoped parsing with one Arena: zero GC allocations per request.

    micropython examples/arena_request.py        (also runs on CPython)

Idiom:
  1. Create the arena once, then the typed views that live as long as it (a request
     record and a token table); ``base = arena.mark()`` right after them.
  2. Per request, ``arena.release(base)`` (a reset to the end of the long-lived views,
     O(1)), then allocate request-scoped bytes with the offset form ``take()``: it returns
     an offset into ``arena.buf`` and allocates nothing.
  3. Parse with the typed views: ``rec.field = v`` / ``toks[i] = v`` write into arena
     memory without allocating (uctypes on MicroPython).
"""

import gc
import sys

try:  # run from anywhere: the repo's lib/ beside examples/ (on a board /lib is on sys.path)
    sys.path.insert(0, (__file__.rsplit("/", 1)[0] if "/" in __file__ else ".") + "/../lib")
except NameError:
    pass

from mpalloc.arena import Arena, Layout  # noqa: E402

REQ = Layout((("method", "B"), ("ntok", "B"), ("path_at", "H"), ("path_len", "H"),
              ("body_len", "H"), ("checksum", "I")))
MAX_TOKENS = 16
METHODS = (b"GET", b"PUT", b"POST")

REQUESTS = (
    b"GET /sensors/temp?unit=c HTTP/1.0\r\nHost: board\r\n\r\n",
    b"PUT /led/3 HTTP/1.0\r\nContent-Length: 2\r\n\r\non",
    b"POST /log HTTP/1.0\r\nContent-Length: 11\r\nX-Id: 7\r\n\r\nhello world",
)

arena = Arena(1024)
rec = arena.alloc_struct(REQ)  # lives as long as the arena
toks = arena.alloc_array("H", 2 * MAX_TOKENS)  # (start, end) offsets of header lines
base = arena.mark()  # everything after this is per request


def parse(raw):
    """Copy ``raw`` into the arena and fill ``rec``/``toks``; allocates nothing."""
    arena.release(base)  # O(1): forget the previous request
    n = len(raw)
    at = arena.take(n)  # the request's bytes, offset into arena.buf
    if at < 0:
        return False
    buf = arena.buf
    for i in range(n):  # byte copy without slicing (a right-hand slice would allocate)
        buf[at + i] = raw[i]
    sp = at
    while buf[sp] != 32:  # method ends at the first space
        sp += 1
    rec.method = 0
    for m in range(3):  # compare without building a bytes object
        word = METHODS[m]
        if len(word) == sp - at:
            same = True
            for j in range(sp - at):
                if buf[at + j] != word[j]:
                    same = False
            if same:
                rec.method = m + 1
    rec.path_at = sp + 1
    e = sp + 1
    while buf[e] != 32:
        e += 1
    rec.path_len = e - sp - 1
    ntok = 0
    i = e
    end = at + n
    while i + 1 < end and not (buf[i] == 13 and buf[i + 1] == 10 and i + 3 < end
                               and buf[i + 2] == 13 and buf[i + 3] == 10):
        if buf[i] == 13 and buf[i + 1] == 10 and ntok < MAX_TOKENS:
            toks[2 * ntok] = i + 2  # a header line starts after CRLF
            if ntok:
                toks[2 * ntok - 1] = i
            ntok += 1
        i += 1
    if ntok:
        toks[2 * ntok - 1] = i
    rec.ntok = ntok
    body = i + 4 if i + 4 <= end else end
    rec.body_len = end - body
    s = 0
    for k in range(body, end):
        s = (s * 31 + buf[k]) & 0xFFFFFF
    rec.checksum = s
    return True


def serve(count):
    total = 0
    for k in range(count):
        if parse(REQUESTS[k % 3]):
            total += rec.method + rec.ntok + rec.path_len + rec.body_len
    return total


def main():
    parse(REQUESTS[2])
    buf = arena.buf
    path = bytes(buf[rec.path_at:rec.path_at + rec.path_len])  # allocates: outside the loop
    print("method", rec.method, "path", path, "headers", rec.ntok, "body", rec.body_len)
    for t in range(rec.ntok):
        print("  header", bytes(buf[toks[2 * t]:toks[2 * t + 1]]))
    serve(3)  # warm up
    gc.collect()
    gc.disable()
    count = 3000
    if hasattr(gc, "mem_alloc"):
        before = gc.mem_alloc()
        total = serve(count)
        after = gc.mem_alloc()
        print("%d requests, checksum %d, GC heap bytes allocated in the loop: %d"
              % (count, total, after - before))
    else:  # CPython: no gc.mem_alloc
        total = serve(count)
        print("%d requests, checksum %d (gc.mem_alloc not available here)" % (count, total))
    gc.enable()
    try:
        from micropython import heap_lock, heap_unlock
    except ImportError:
        heap_lock = None
    if heap_lock is not None:  # stronger check: any allocation raises MemoryError
        heap_lock()
        try:
            serve(300)
        finally:
            heap_unlock()
        print("300 more requests with the heap locked: no allocation")
    print("arena high water", arena.high_water, "of", arena.capacity, "bytes")


main()
