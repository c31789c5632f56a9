"""Write the mip manifests from lib/mpalloc: the umbrella package.json and one package per
public module (micropython-lib's way: each lists its own files and ``deps``).

    python tools/package           # rewrite package.json and packages/*/package.json
    python tools/package --check   # exit 1 if any of them is stale
    python tools/package --graph   # print the packages, their files and deps

The dependency graph is read from the sources (every ``import`` of an mpalloc module, at
any depth, so a lazy import of a cold path counts); it is the one graph that both these
manifests and ``tools/deploy --only`` follow. Each file belongs to one package:

    X.py, _X_*.py, _X.py     package X, for each public module X (ring: ring.py,
                             _ring_cold.py, _ring_py.py, _ring_viper.py)
    anything else            package core (__init__.py and helpers shared by several
                             families: _util.py, _mem_*.py, _lines.py)

A package depends on the packages of the files its files import, and on core (every
install needs mpalloc/__init__.py). The graph must be acyclic: mip follows deps
recursively and would never stop.

The umbrella ``package.json`` lists every .py with URLs relative to it, so
`mpremote mip install github:OWNER/mpalloc` and `mpremote mip install path/to/package.json`
both work. ``packages/<name>/package.json`` lists that package's files and its deps as
``github:`` URLs under REPO (mip resolves a dependency by URL or index name, never
relative to the package that names it), so `mpremote mip install
github:OWNER/mpalloc/packages/ring` brings ring and what it needs and nothing else.
Only .py files are listed: the .pyi stubs are for IDEs on the host.
"""

import ast
import json
import os
import re
import sys

from mpalloc_tools import ROOT

PKG = os.path.join(ROOT, "lib", "mpalloc")
MANIFEST = os.path.join(ROOT, "package.json")
PACKAGES = os.path.join(ROOT, "packages")
# Where the family packages point (their files and deps). Set it to the published
# repository and run `python tools/package`.
REPO = "github:OWNER/mpalloc"
REF = "HEAD"  # the branch or tag deps are fetched from (GitHub: HEAD = default branch)
CORE = "core"


class GraphError(Exception):
    pass


def version():
    with open(os.path.join(PKG, "__init__.py")) as f:
        return re.search(r'__version__ = "([^"]+)"', f.read()).group(1)


def sources():
    return sorted(n for n in os.listdir(PKG) if n.endswith(".py"))


def public_modules():
    return [n[:-3] for n in sources() if not n.startswith("_")]


def imports_of(name):
    """mpalloc modules (file names) that module ``name`` (a file name) imports, at any
    depth in it (a function-level import counts)."""
    with open(os.path.join(PKG, name)) as f:
        tree = ast.parse(f.read(), name)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "mpalloc":
                found.update(a.name for a in node.names)
            elif node.module.startswith("mpalloc."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names
                         if a.name.startswith("mpalloc."))
    return {m + ".py" for m in found if os.path.exists(os.path.join(PKG, m + ".py"))}


def package_of(name, public=None):
    """The package a file (``ring.py``, ``_ring_cold.py``) belongs to."""
    public = public_modules() if public is None else public
    stem = name[:-3]
    if stem in public:
        return stem
    if stem.startswith("_"):
        for p in sorted(public, key=len, reverse=True):  # _bytebuf_x: bytebuf, not a "byte"
            if stem == "_" + p or stem.startswith("_" + p + "_"):
                return p
    return CORE


def graph():
    """{package: {"files": [...], "deps": [...]}}; GraphError on a cycle."""
    public = public_modules()
    out = {}
    for n in sources():
        out.setdefault(package_of(n, public), {"files": [], "deps": set()})["files"].append(n)
    for name, pkg in out.items():
        for n in pkg["files"]:
            pkg["deps"].update(package_of(m, public) for m in imports_of(n))
        if name != CORE:
            pkg["deps"].add(CORE)
        pkg["deps"].discard(name)
        pkg["deps"] = sorted(pkg["deps"])
    check_acyclic(out)
    return out


def check_acyclic(g):
    state = {}

    def visit(p, path):
        if state.get(p) == "done":
            return
        if state.get(p) == "open":
            cycle = path[path.index(p):] + [p]
            raise GraphError("package cycle %s: mip would follow it forever; move the "
                             "shared code into its own module (core) or break the import"
                             % " -> ".join(cycle))
        state[p] = "open"
        for d in g[p]["deps"]:
            visit(d, path + [p])
        state[p] = "done"

    for p in sorted(g):
        visit(p, [])


def closure(names, g=None):
    """The packages ``names`` need: themselves and their deps, transitively."""
    g = graph() if g is None else g
    want, todo = set(), list(names)
    while todo:
        p = todo.pop()
        if p not in g:
            raise GraphError("no package %r: packages are %s" % (p, ", ".join(sorted(g))))
        if p not in want:
            want.add(p)
            todo.extend(g[p]["deps"])
    return want


def files_for(names, g=None):
    """Source file names an install of packages ``names`` puts on the board."""
    g = graph() if g is None else g
    return sorted(f for p in closure(names, g) for f in g[p]["files"])


def dump(obj):
    return json.dumps(obj, indent=2) + "\n"


def umbrella():
    urls = [["mpalloc/" + n, "lib/mpalloc/" + n] for n in sources()]
    return dump({"urls": urls, "version": version()})


def family(name, g):
    pkg = g[name]
    return dump({
        "urls": [["mpalloc/" + n, "%s/lib/mpalloc/%s" % (REPO, n)] for n in pkg["files"]],
        "deps": [["%s/packages/%s" % (REPO, d), REF] for d in pkg["deps"]],
        "version": version(),
    })


def outputs():
    """{path: text} of every manifest this tool writes."""
    g = graph()
    out = {MANIFEST: umbrella()}
    for name in g:
        out[os.path.join(PACKAGES, name, "package.json")] = family(name, g)
    return out


def stale(out):
    """Lines saying which manifests differ from ``out`` (and which should not exist)."""
    lines = []
    for path, text in sorted(out.items()):
        rel = os.path.relpath(path, ROOT)
        try:
            with open(path) as f:
                old = f.read()
        except OSError:
            lines.append("%s: missing" % rel)
            continue
        if old != text:
            try:
                had = {d for d, _ in json.loads(old).get("urls", ())}
            except ValueError:
                had = set()
            now = {d for d, _ in json.loads(text)["urls"]}
            lines.append("%s: stale (missing: %s; extra: %s)" % (
                rel, ", ".join(sorted(now - had)) or "-", ", ".join(sorted(had - now)) or "-"))
    if os.path.isdir(PACKAGES):
        for name in sorted(os.listdir(PACKAGES)):
            path = os.path.join(PACKAGES, name, "package.json")
            if path not in out:
                lines.append("%s: no such package any more" % os.path.relpath(path, ROOT))
    return lines


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    try:
        out = outputs()
    except GraphError as e:
        sys.exit("tools/package: %s" % e)
    if "--graph" in args:
        g = graph()
        for name in sorted(g):
            print("%-12s deps: %-28s files: %s" % (name, ", ".join(g[name]["deps"]) or "-",
                                                  " ".join(g[name]["files"])))
        return
    if "--check" in args:
        bad = stale(out)
        if bad:
            sys.exit("tools/package: manifests are stale: run `python tools/package`\n  "
                     + "\n  ".join(bad))
        return
    for path, text in out.items():
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    if os.path.isdir(PACKAGES):
        for name in os.listdir(PACKAGES):
            path = os.path.join(PACKAGES, name, "package.json")
            if path not in out and os.path.exists(path):
                os.remove(path)
                os.rmdir(os.path.dirname(path))
    print("wrote package.json and %d packages in packages/" % (len(out) - 1))
