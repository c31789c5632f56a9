"""A new user's first hour (issue 18), as tests: the README's try-it line, the examples
run from any directory and say what they do, MICROPYPATH=lib is enough for mpalloc.aio,
and the docs pages the README links exist."""

import os
import re
import subprocess

import pytest

from lanes import unix as unix_lane

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIB = os.path.join(ROOT, "lib")
EXAMPLES = os.path.join(ROOT, "examples")


def read(*parts):
    with open(os.path.join(ROOT, *parts)) as f:
        return f.read()


def micropython():
    exe = unix_lane.micropython_binary()
    if not exe or not os.access(exe, os.X_OK):
        pytest.skip("no MicroPython unix port: run `make test` or set MICROPYTHON")
    return os.path.abspath(exe)


def run(cmd, cwd, env=None, timeout=300):
    e = dict(os.environ)
    e.pop("MICROPYPATH", None)
    e.update(env or {})
    proc = subprocess.run(cmd, cwd=str(cwd), env=e, capture_output=True, text=True,
                          timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr


def test_readme_try_it_line_runs_as_written():
    """The one-liner near the top of README (after `make venv`), from the repo root."""
    m = re.search(r"^(MICROPYPATH=lib \.venv/bin/micropython -c .*)$", read("README.md"), re.M)
    assert m, "README lost its try-it line"
    line = m.group(1).split("  #")[0].strip()
    if not os.access(os.path.join(ROOT, ".venv", "bin", "micropython"), os.X_OK):
        pytest.skip("the README's line uses .venv/bin/micropython: run `make venv`")
    rc, out = run(["bash", "-c", line], ROOT)
    assert rc == 0, out
    assert out.strip(), "the try-it line prints nothing"


def test_readme_quick_start_comes_before_the_benchmarks():
    text = read("README.md")
    heads = [h.lower() for h in re.findall(r"^## (.*)$", text, re.M)]
    assert any("quick start" in h for h in heads[:2]), heads
    assert heads.index("install") < heads.index("benchmarks"), heads


@pytest.mark.parametrize("name", ["arena_request", "particles", "soft_irq_schedule"])
def test_example_runs_from_any_directory_and_prints(name, tmp_path):
    rc, out = run([micropython(), "-X", "heapsize=8M",
                   os.path.join(EXAMPLES, name + ".py")], tmp_path)
    assert rc == 0, out
    assert len(out.strip().splitlines()) >= 3, out


def test_soft_irq_example_shows_its_lines(tmp_path):
    rc, out = run([micropython(), os.path.join(EXAMPLES, "soft_irq_schedule.py")], tmp_path)
    assert rc == 0, out
    assert "b'T=23.5C'" in out and "b'RH=45%'" in out and "b'N=1234'" in out, out
    assert "3 lines, 0 bytes lost" in out, out


def test_micropypath_lib_is_enough_for_aio(tmp_path):
    """asyncio is frozen into the unix port and found through '.frozen' on sys.path;
    MICROPYPATH=lib drops that entry, and mpalloc.aio puts it back."""
    src = ("from mpalloc.aio import QueueReader\n"
           "from mpalloc.ring import ByteRing\n"
           "import asyncio\n"
           "r = QueueReader(ByteRing(16))\n"
           "async def one():\n"
           "    return 1\n"
           "async def main():\n"
           "    buf = bytearray(8)\n"
           "    r.push(b'hey', 3)\n"
           "    n = await r.readinto(buf)\n"
           "    assert await asyncio.gather(one(), one()) == [1, 1]  # a lazy submodule\n"
           "    print('AIO', bytes(buf[:n]))\n"
           "asyncio.run(main())\n")
    (tmp_path / "t.py").write_text(src)
    rc, out = run([micropython(), "t.py"], tmp_path, {"MICROPYPATH": LIB})
    assert rc == 0 and "AIO b'hey'" in out, out


def test_demo_explains_its_pauses():
    """`make demo`'s output says why a pause longer than the ring holds need not drop."""
    src = read("examples", "uart_rx_demo.py")
    assert "MAX_LAG_US = %d us" in src and "skipped" in src


@pytest.mark.parametrize("page", ["bytebuf", "global_slab", "aio", "arena", "pool", "fixed"])
def test_every_family_has_a_docs_page_linked_from_readme(page):
    assert os.path.exists(os.path.join(ROOT, "docs", page + ".md")), page
    assert "docs/%s.md" % page in read("README.md"), page


@pytest.mark.parametrize("page", ["arena", "pool", "fixed"])
def test_family_pages_quote_no_timings(page):
    """Numbers live in docs/benchmarks.md (one run, regenerated); a family page that quoted
    its own drifted from it."""
    text = read("docs", page + ".md")
    assert "benchmarks.md" in text
    assert not re.search(r"\d\.\d\dx\b", text), re.findall(r".*\d\.\d\dx\b.*", text)
    assert not re.search(r"\b\d+ ns\b", text), re.findall(r".*\b\d+ ns\b.*", text)
