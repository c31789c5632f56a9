"""lib/mpalloc/*.pyi: one stub per public module, in step with the module's public API
(names, classes, methods, parameter names), so IDE completion never lies."""

import ast
import inspect
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKG = os.path.join(ROOT, "lib", "mpalloc")
PUBLIC = ("errors", "ring", "slab", "bytebuf", "global_slab", "aio", "arena", "stack", "pool",
          "fixed", "memops", "observe")
DUNDERS = {"__init__", "__len__", "__iter__", "__getitem__", "__setitem__", "__contains__",
           "__enter__", "__exit__", "__bool__", "__str__"}


def module(name):
    sys.path.insert(0, os.path.join(ROOT, "lib"))
    try:
        return __import__("mpalloc." + name, fromlist=["_"])
    finally:
        sys.path.pop(0)


def stub(name):
    with open(os.path.join(PKG, name + ".pyi")) as f:
        return ast.parse(f.read(), name + ".pyi")


def top_names(tree):
    names = {}
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names[node.name] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = node
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    names[t.id] = node
    return names


def public_api(mod):
    """Public names the module itself defines (imports of other classes excluded)."""
    api = {}
    for name, obj in vars(mod).items():
        if name.startswith("_") or name == "const" or inspect.ismodule(obj):
            continue
        if inspect.isclass(obj) or inspect.isfunction(obj):
            src = obj.__module__  # defined here or in a private kernel module (memops.find)
            if src != mod.__name__ and not src.startswith("mpalloc._"):
                continue
        api[name] = obj
    return api


def methods(cls):
    """Public methods of ``cls`` including those from private bases."""
    found = {}
    for klass in reversed(cls.__mro__):
        if klass is object or (klass is not cls and not klass.__name__.startswith("_")):
            continue
        for name, val in vars(klass).items():
            if (not name.startswith("_") or name in DUNDERS) and callable(val):
                found[name] = val
    return found


def stub_methods(tree, cls_node):
    found = {n.name: n for n in cls_node.body
             if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    top = top_names(tree)
    for base in cls_node.bases:  # a stub base class in the same stub file
        if isinstance(base, ast.Name) and isinstance(top.get(base.id), ast.ClassDef):
            for name, node in stub_methods(tree, top[base.id]).items():
                found.setdefault(name, node)
    return found


def params(fn):
    return [p.name for p in inspect.signature(fn).parameters.values()]


def stub_params(node):
    a = node.args
    names = [x.arg for x in a.posonlyargs + a.args]
    if a.vararg:
        names.append(a.vararg.arg)
    names += [x.arg for x in a.kwonlyargs]
    if a.kwarg:
        names.append(a.kwarg.arg)
    return names


def test_every_public_module_has_a_stub():
    pys = {n[:-3] for n in os.listdir(PKG) if n.endswith(".py") and not n.startswith("_")}
    assert set(PUBLIC) <= pys
    for name in sorted(pys):
        assert os.path.exists(os.path.join(PKG, name + ".pyi")), name


@pytest.mark.parametrize("name", PUBLIC)
def test_stub_matches_module(name):
    mod = module(name)
    tree = stub(name)
    top = top_names(tree)
    api = public_api(mod)
    assert api, name
    for pub, obj in api.items():
        if inspect.isclass(obj) and issubclass(obj, BaseException) and name != "errors":
            continue  # error classes re-exported for convenience live in errors.pyi
        assert pub in top, "%s.pyi lacks %s" % (name, pub)
        node = top[pub]
        if inspect.isclass(obj) and isinstance(node, ast.ClassDef):
            have = stub_methods(tree, node)
            for meth, fn in methods(obj).items():
                assert meth in have, "%s.pyi: %s.%s missing" % (name, pub, meth)
                try:
                    want = params(fn)
                except (TypeError, ValueError):
                    continue
                got = stub_params(have[meth])
                if want and want[0] != "self" and got[:1] == ["self"]:
                    got = got[1:]  # kernel functions bound as methods: first arg is self
                    want = want[1:]
                assert got == want, (name, pub, meth, got, want)
        elif inspect.isfunction(obj) or inspect.isbuiltin(obj):
            assert isinstance(node, ast.FunctionDef), (name, pub)
            try:
                assert stub_params(node) == params(obj), (name, pub)
            except ValueError:
                pass
    for pub in top:  # nothing in the stub that the module lacks
        assert pub.startswith("_") or hasattr(mod, pub), "%s.pyi: %s not in module" % (name, pub)


def test_stubs_stay_off_the_board():
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import json

    with open(os.path.join(ROOT, "package.json")) as f:
        assert not [u for u in json.load(f)["urls"] if u[0].endswith(".pyi")]
    with open(os.path.join(ROOT, "manifest.py")) as f:
        assert ".pyi" not in f.read()  # package() freezes .py files only


def test_mypy_stubtest_finds_no_error():
    """mypy's own stub checker (pinned in pyproject's dev deps): signatures (positional vs
    keyword-only, defaults), async vs sync, names present at runtime and in the stub."""
    import subprocess

    pytest.importorskip("mypy", reason="mypy is pinned in pyproject's dev deps: make venv")
    mods = ["mpalloc." + n[:-4] for n in sorted(os.listdir(PKG)) if n.endswith(".pyi")]
    env = dict(os.environ, MYPY_CACHE_DIR=os.path.join(ROOT, "build", "mypy_cache"))
    proc = subprocess.run([sys.executable, "-m", "mypy.stubtest"] + mods,
                          cwd=os.path.join(ROOT, "lib"), capture_output=True, text=True,
                          timeout=600, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success" in proc.stdout


# One instance per stub class, for the attributes stubtest cannot see (set in __init__ or
# served by __getattr__).
def _samples():
    from mpalloc import aio, arena, bytebuf, fixed, pool, ring, slab, stack

    s = slab.Slab(256, 8)
    return {
        ("ring", "ByteRing"): ring.ByteRing(8),
        ("slab", "Slab"): s,
        ("bytebuf", "ByteBuffer"): bytebuf.ByteBuffer(s),
        ("bytebuf", "ByteDeque"): bytebuf.ByteDeque(s),
        ("arena", "Arena"): arena.Arena(64),
        ("stack", "Stack"): stack.Stack(64),
        ("pool", "BlockPool"): pool.BlockPool(8, 4),
        ("pool", "ObjectPool"): pool.ObjectPool(list, 2),
        ("fixed", "FixedVec"): fixed.FixedVec(4),
        ("fixed", "FixedStr"): fixed.FixedStr(4),
        ("fixed", "Format"): fixed.Format("{}"),
        ("aio", "QueueReader"): aio.QueueReader(ring.ByteRing(8)),
    }


def test_stub_attributes_exist_on_instances():
    sys.path.insert(0, os.path.join(ROOT, "lib"))
    try:
        samples = _samples()
    finally:
        sys.path.pop(0)
    for (name, cls), obj in samples.items():
        node = top_names(stub(name))[cls]
        attrs = [n.target.id for n in node.body
                 if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)]
        for attr in attrs:
            assert hasattr(obj, attr), "%s.pyi: %s.%s not on an instance" % (name, cls, attr)
