"""Mutation check: plant one small bug at a time in the kernels and their twins, run the
tests that cover that module, and report how many mutants the suite catches.

    python tools/mutate                 # 40 mutants, seed 1 (a few minutes)
    python tools/mutate -n 10 --seed 7  # fewer / other mutants
    python tools/mutate --list          # every candidate mutant, without running

Mutants: a comparison swapped (< <=, > >=, == !=), an arithmetic or bitwise operator
swapped (+ -, & |, << >>), an int constant off by one, ``and``/``or`` swapped, or one
simple statement (an assignment or a call) deleted. They are drawn at random (seeded)
from every candidate in the files below, in a copy of the tracked tree under a temporary
directory (the working tree is never touched). A viper-kernel mutant runs its tests on
the ``unix`` lane, a pure-twin mutant on ``unix-pure``; a failing or hanging (timeout)
run catches it. Host tool (CPython 3.11+); not part of ``make test``.
"""

import argparse
import ast
import io
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import tokenize

from mpalloc_tools import ROOT

# kernel file -> the test files that cover it
TARGETS = {
    "_slab_viper.py": ("test_slab.py", "test_hostile.py", "test_contract.py"),
    "_slab_py.py": ("test_slab.py", "test_hostile.py", "test_contract.py"),
    "_ring_viper.py": ("test_ring.py", "test_hostile.py"),
    "_ring_py.py": ("test_ring.py", "test_hostile.py"),
    "_pool_viper.py": ("test_blockpool.py", "test_pool.py", "test_hostile.py"),
    "_pool_py.py": ("test_blockpool.py", "test_pool.py", "test_hostile.py"),
    "_bytebuf_viper.py": ("test_bytebuf.py", "test_global_slab.py"),
    "_bytebuf_py.py": ("test_bytebuf.py", "test_global_slab.py"),
    "_mem_viper.py": ("test_mem.py", "test_slab.py"),
    "_mem_py.py": ("test_mem.py", "test_slab.py"),
    "_fixed_viper.py": ("test_fixed.py", "test_fixedstr.py"),
    "_fixed_py.py": ("test_fixed.py", "test_fixedstr.py"),
    "_memops_viper.py": ("test_memops.py",),
    "_memops_py.py": ("test_memops.py",),
}

SWAPS = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "==",
         "+": "-", "-": "+", "&": "|", "|": "&", "<<": ">>", ">>": "<<",
         "and": "or", "or": "and"}


def _read(path):
    with open(path) as f:
        return f.read()


def _skip_lines(src):
    """Line numbers not to mutate: docstrings, module-level code (constants, imports)."""
    tree = ast.parse(src)
    skip = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and \
                isinstance(getattr(body[0], "value", None), ast.Constant) and \
                isinstance(body[0].value.value, str):
            skip.update(range(body[0].lineno, body[0].end_lineno + 1))
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            skip.update(range(node.lineno, node.end_lineno + 1))
    return skip


def candidates(path):
    """(description, new source) for every mutant of file ``path``: token swaps first,
    then statement deletions, each in source order."""
    src = _read(path)
    lines = src.splitlines(keepends=True)
    skip = _skip_lines(src)
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        row = tok.start[0]
        if row not in skip and row <= len(lines):
            new = _swap(tok, lines[row - 1])
            if new is not None:
                out.append(_mutant(lines, row, new, tok.start[1], tok.end[1]))
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.FunctionDef) and len(node.body) > 1:
            for st in node.body:
                if _deletable(st, skip):
                    line = lines[st.lineno - 1]
                    indent = line[:len(line) - len(line.lstrip())]
                    out.append(("%d: delete %s" % (st.lineno, line.strip()),
                                _with_line(lines, st.lineno, indent + "pass\n")))
    return out


def _swap(tok, line):
    """The token's mutated text (SWAPS, or an int constant off by one), or None."""
    if line.lstrip().startswith(("@", "def ", "import ", "from ")):
        return None
    if (tok.type == tokenize.OP and tok.string in SWAPS) or \
            (tok.type == tokenize.NAME and tok.string in ("and", "or")):
        if tok.string == "-" and line[:tok.start[1]].rstrip().endswith(("(", "=", ",", "[")):
            return None  # a unary minus
        return SWAPS[tok.string]
    if tok.type == tokenize.NUMBER and "." not in tok.string and "j" not in tok.string:
        try:
            v = int(tok.string, 0)
        except ValueError:
            return None
        return str(v + 1) if v < 0x3FFFFFFF else str(v - 1)
    return None


def _deletable(st, skip):
    """A one-line assignment or call (not a docstring) outside the skipped lines."""
    return (st.lineno == st.end_lineno and st.lineno not in skip
            and isinstance(st, (ast.Assign, ast.AugAssign, ast.Expr))
            and not (isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant)))


def _mutant(lines, row, new, col, ecol):
    line = lines[row - 1]
    mutated = line[:col] + new + line[ecol:]
    return ("%d: %s -> %s" % (row, line.strip(), mutated.strip()),
            _with_line(lines, row, mutated))


def _with_line(lines, row, text):
    return "".join(lines[:row - 1]) + text + "".join(lines[row:])


def copy_tree(dst):
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    for f in files:
        s = os.path.join(ROOT, f)
        if os.path.isfile(s):
            d = os.path.join(dst, f)
            os.makedirs(os.path.dirname(d), exist_ok=True)
            shutil.copy2(s, d)


def run_tests(tree, kernel, tests, timeout):
    env = dict(os.environ)
    env["MPALLOC_LANES"] = "unix" if kernel.endswith("_viper.py") else "unix-pure"
    env.setdefault("MICROPYTHON", os.path.join(ROOT, ".venv", "bin", "micropython"))
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"] + \
        [os.path.join("tests", t) for t in tests]
    try:
        p = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return "caught (timeout)"
    if p.returncode == 0:
        return "SURVIVED"
    if p.returncode == 1:
        return "caught"
    return "error %d: %s" % (p.returncode, p.stdout[-300:] + p.stderr[-300:])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=40, help="mutants to run (default 40)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=30,
                    help="seconds per mutant run (a hang counts as caught; default 30)")
    ap.add_argument("--list", action="store_true", help="list candidates, run nothing")
    args = ap.parse_args()
    pool = []
    for name in sorted(TARGETS):
        for desc, new in candidates(os.path.join(ROOT, "lib", "mpalloc", name)):
            pool.append((name, desc, new))
    if args.list:
        for name, desc, _ in pool:
            print("%s:%s" % (name, desc))
        print("%d candidates" % len(pool))
        return 0
    picks = random.Random(args.seed).sample(pool, min(args.n, len(pool)))
    caught = survived = errors = 0
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="mpalloc-mutate-") as tree:
        copy_tree(tree)
        for i, (name, desc, new) in enumerate(picks):
            path = os.path.join(tree, "lib", "mpalloc", name)
            orig = _read(path)
            with open(path, "w") as f:
                f.write(new)
            try:
                res = run_tests(tree, name, TARGETS[name], args.timeout)
            finally:
                with open(path, "w") as f:
                    f.write(orig)
            if res.startswith("caught"):
                caught += 1
            elif res == "SURVIVED":
                survived += 1
            else:
                errors += 1
            print("[%2d/%d] %-8s %s:%s" % (i + 1, len(picks), res.split(":")[0], name, desc),
                  flush=True)
    ran = caught + survived
    print("\n%d of %d mutants caught (%.0f%%), %d survived, %d errors; %d candidates, "
          "seed %d, %.0f s" % (caught, ran, 100.0 * caught / max(ran, 1), survived, errors,
                               len(pool), args.seed, time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
