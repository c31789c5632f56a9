"""Every ```python block in README.md and docs/*.md runs, on CPython and on the unix port.

Conventions for writing docs snippets (so a reader can paste them and see what the page says):
- A block runs on its own (its own imports), top to bottom, and must not raise.
- A line that raises on purpose says so in a trailing comment ``# raises Name: why``;
  the test checks that statement raises ``Name`` (an ``mpalloc.errors`` class or a
  builtin, or a subclass) and goes on with the next statement.
- A block that needs a board (``machine.UART``, ``board``/``busio``) is marked by the
  line ``<!-- docs-test: hardware -->`` just above its fence: it is compiled (CPython
  and mpy-cross) but not run.
"""

import ast
import glob
import os
import re
import subprocess
import sys

import pytest

from lanes import unix as unix_lane

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIB = os.path.join(ROOT, "lib")
PAGES = ["README.md"] + sorted(os.path.relpath(p, ROOT)
                               for p in glob.glob(os.path.join(ROOT, "docs", "*.md")))
FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
MARK = re.compile(r"<!--\s*docs-test:\s*([\w-]+)\s*-->\s*$")
RAISES = re.compile(r"#\s*raises\s+([A-Za-z_]\w*)")
HARDWARE = "hardware"

# Checks a statement marked "# raises Name"; the same text runs on CPython and MicroPython.
PRELUDE = '''import sys
sys.path.insert(0, %r)


def _docs_expect(exc, name, line):
    import mpalloc.errors
    cls = getattr(mpalloc.errors, name, None)
    if cls is None:
        cls = eval(name)
    if not isinstance(exc, cls):
        raise AssertionError("line %%d raised %%r, the comment says %%s" %% (line, exc, name))


'''


def blocks():
    """(page, first line number of the code, code, marker or None) for each block."""
    found = []
    for page in PAGES:
        with open(os.path.join(ROOT, page)) as f:
            text = f.read()
        for m in FENCE.finditer(text):
            before = text[:m.start()].rstrip("\n").rsplit("\n", 1)[-1]
            mark = MARK.search(before)
            line = text.count("\n", 0, m.start()) + 2
            found.append((page, line, m.group(1), mark.group(1) if mark else None))
    return found


BLOCKS = blocks()
IDS = ["%s:%d" % (page, line) for page, line, _, _ in BLOCKS]


def expect_raises(stmt, name, line):
    """``try: stmt / except Exception as e: check / else: fail`` as an ast node."""
    check = ast.parse("_docs_expect(_docs_e, %r, %d)" % (name, line)).body
    fail = ast.parse("raise AssertionError('line %d should raise %s')" % (line, name)).body
    handler = ast.ExceptHandler(type=ast.Name("Exception", ast.Load()), name="_docs_e",
                                body=check)
    return ast.Try(body=[stmt], handlers=[handler], orelse=fail, finalbody=[])


def script(page, line, code):
    """The block as a program: top-level statements marked ``# raises X`` wrapped so the
    error is checked and the rest of the block still runs."""
    lines = code.split("\n")
    tree = ast.parse(code, "%s:%d" % (page, line))
    body = []
    for stmt in tree.body:
        m = RAISES.search(lines[stmt.end_lineno - 1])
        if m:
            stmt = expect_raises(stmt, m.group(1), line + stmt.lineno - 1)
        body.append(stmt)
    tree.body = body
    return PRELUDE % LIB + ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def test_there_are_snippets_and_markers_are_known():
    assert len(BLOCKS) >= 6
    for page, line, _code, mark in BLOCKS:
        assert mark in (None, HARDWARE), "%s:%d: unknown docs-test marker %r" % (page, line, mark)


def test_raises_marker_is_checked(tmp_path):
    src = script("x.md", 1, "n = int('12')\nint('x')  # raises ValueError: not a number\n")
    proc = subprocess.run([sys.executable, "-c", src], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    src = script("x.md", 1, "int('12')  # raises ValueError: claimed, but it does not\n")
    proc = subprocess.run([sys.executable, "-c", src], capture_output=True, text=True)
    assert proc.returncode != 0 and "line 1 should raise ValueError" in proc.stderr
    src = script("x.md", 1, "int('x')  # raises KeyError: the wrong class\n")
    proc = subprocess.run([sys.executable, "-c", src], capture_output=True, text=True)
    assert proc.returncode != 0 and "the comment says KeyError" in proc.stderr


def run_block(cmd, src, tmp_path):
    path = tmp_path / "snippet.py"
    path.write_text(src)
    proc = subprocess.run(cmd + [str(path)], capture_output=True, text=True, timeout=120,
                          cwd=str(tmp_path))
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.parametrize("block", BLOCKS, ids=IDS)
def test_snippet_on_cpython(block, tmp_path):
    page, line, code, mark = block
    src = script(page, line, code)
    if mark == HARDWARE:
        compile(src, "%s:%d" % (page, line), "exec")
        return
    rc, out = run_block([sys.executable], src, tmp_path)
    assert rc == 0, "%s:%d on CPython:\n%s\n%s" % (page, line, out, src)


@pytest.mark.parametrize("block", BLOCKS, ids=IDS)
def test_snippet_on_unix_port(block, tmp_path):
    page, line, code, mark = block
    src = script(page, line, code)
    if mark == HARDWARE:  # compiled as for a board
        (tmp_path / "snippet.py").write_text(src)
        exe = os.path.join(os.path.dirname(sys.executable), "mpy-cross")
        proc = subprocess.run([exe, str(tmp_path / "snippet.py")], capture_output=True,
                              text=True)
        assert proc.returncode == 0, "%s:%d: mpy-cross: %s" % (page, line, proc.stderr)
        return
    exe = unix_lane.micropython_binary()
    if not exe or not os.access(exe, os.X_OK):
        pytest.skip("no MicroPython unix port: run `make test` or set MICROPYTHON")
    rc, out = run_block([exe, "-X", "heapsize=4M"], src, tmp_path)
    assert rc == 0, "%s:%d on MicroPython:\n%s\n%s" % (page, line, out, src)
