"""Run the examples of docs/observability.md and write their real output under them.

    python tools/observe_docs            # rewrite the output blocks from a CPython run
    python tools/observe_docs --check    # exit 1 if an output block differs

An example is a ```python block right after an ``<!-- example NAME -->`` line, followed
by a ```text block holding what it prints. Addresses (``addr%4096=N``) and the kernel
name differ between machines and runtimes: they are compared as ``N``/``KERNEL``.
tests/test_host_observe_docs.py checks every example on CPython and on the MicroPython
unix port.
"""

import io
import os
import re
import subprocess
import sys
from contextlib import redirect_stdout

from mpalloc_tools import ROOT

DOC = os.path.join(ROOT, "docs", "observability.md")
_EX = re.compile(r"(<!-- example (\w+) -->\n```python\n)(.*?)(```\n\n```text\n)(.*?)(```\n)",
                 re.S)


def examples(text):
    """[(name, code, output)] in document order."""
    return [(m.group(2), m.group(3), m.group(5)) for m in _EX.finditer(text)]


def normalise(out):
    out = re.sub(r"addr%4096=\d+", "addr%4096=N", out)
    return re.sub(r"kernel (viper|py)", "kernel KERNEL", out)


def run_cpython(code):
    sys.path.insert(0, os.path.join(ROOT, "lib"))
    buf = io.StringIO()
    try:
        from mpalloc import observe

        before = observe.registered()
        with redirect_stdout(buf):
            exec(compile(code, "<example>", "exec"), {"__name__": "__example__"})
        for _, obj in observe.registered():  # leave the registry as it was
            if not any(obj is o for _, o in before):
                observe.unregister(obj)
    finally:
        sys.path.pop(0)
    return buf.getvalue()


def run_micropython(code, micropython):
    env = dict(os.environ, MICROPYPATH=os.path.join(ROOT, "lib"))
    r = subprocess.run([micropython, "-c", code], capture_output=True, text=True,
                       env=env, timeout=60)
    if r.returncode:
        raise RuntimeError("example failed on MicroPython:\n" + r.stdout + r.stderr)
    return r.stdout


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    with open(DOC) as f:
        text = f.read()
    bad = []

    def fill(m):
        out = run_cpython(m.group(3))
        if normalise(out) != normalise(m.group(5)):
            bad.append(m.group(2))
        return m.group(1) + m.group(3) + m.group(4) + out + m.group(6)

    new = _EX.sub(fill, text)
    if "--check" in argv:
        if bad:
            print("docs/observability.md: stale output for %s; run tools/observe_docs"
                  % ", ".join(bad))
            return 1
        return 0
    if new != text:
        with open(DOC, "w") as f:
            f.write(new)
    print("%d examples, %d rewritten" % (len(examples(new)), len(bad)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
