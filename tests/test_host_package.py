"""package.json (mip manifest) and manifest.py (freezing) list every library module and
carry the library version. The install itself runs in test_host_e2e.py."""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKG = os.path.join(ROOT, "lib", "mpalloc")


def library_version():
    sys.path.insert(0, os.path.join(ROOT, "lib"))
    try:
        import mpalloc

        return mpalloc.__version__
    finally:
        sys.path.pop(0)


def package_json():
    with open(os.path.join(ROOT, "package.json")) as f:
        return json.load(f)


def test_manifest_is_fresh():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "package"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_url_list_regenerated_from_lib():
    # Independent of tools/package: every .py in lib/mpalloc, nothing else (no .pyi stubs).
    want = sorted(["mpalloc/" + n, "lib/mpalloc/" + n]
                  for n in os.listdir(PKG) if n.endswith(".py"))
    assert sorted(package_json()["urls"]) == want, "package.json is stale: python tools/package"


def test_manifest_version_and_files():
    manifest = package_json()
    assert manifest["version"] == library_version()
    for dest, src in manifest["urls"]:
        assert os.path.exists(os.path.join(ROOT, src)), src
        assert dest == src[len("lib/"):]
        assert src.endswith(".py"), src


def load_package_tool():
    from mpalloc_tools import package

    return package


def test_check_reports_what_is_stale(tmp_path, monkeypatch):
    mod = load_package_tool()
    stale = package_json()
    dropped = stale["urls"].pop()[0]
    path = tmp_path / "package.json"
    path.write_text(json.dumps(stale))
    monkeypatch.setattr(mod, "MANIFEST", str(path))
    monkeypatch.setattr(mod, "PACKAGES", str(tmp_path / "packages"))
    monkeypatch.setattr(sys, "argv", ["package", "--check"])
    try:
        mod.main()
        raise AssertionError("--check accepted a stale package.json")
    except SystemExit as e:
        assert "stale" in str(e) and dropped in str(e), str(e)


def run_freeze_manifest():
    """Execute manifest.py as MicroPython's tools/makemanifest.py does (its functions)."""
    calls = {"metadata": [], "package": []}

    def metadata(**kw):
        calls["metadata"].append(kw)

    def package(path, files=None, base_path=".", opt=None):
        calls["package"].append((path, files, base_path))

    with open(os.path.join(ROOT, "manifest.py")) as f:
        code = compile(f.read(), "manifest.py", "exec")
    exec(code, {"metadata": metadata, "package": package})
    return calls


def test_freeze_manifest():
    calls = run_freeze_manifest()
    assert len(calls["metadata"]) == 1
    assert calls["metadata"][0]["version"] == library_version()
    assert calls["package"] == [("mpalloc", None, "lib")]
    # package("mpalloc", base_path="lib") freezes every .py under lib/mpalloc.
    path, _, base = calls["package"][0]
    assert os.path.isfile(os.path.join(ROOT, base, path, "__init__.py"))


# ---- one mip package per public module (packages/<name>/package.json) ----

def family_manifests():
    out = {}
    for name in sorted(os.listdir(os.path.join(ROOT, "packages"))):
        with open(os.path.join(ROOT, "packages", name, "package.json")) as f:
            out[name] = json.load(f)
    return out


def imports_in(name):
    """mpalloc modules a source file imports, read independently of tools/package."""
    import ast

    with open(os.path.join(PKG, name)) as f:
        tree = ast.parse(f.read())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "mpalloc":
            found.update(a.name + ".py" for a in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mpalloc."):
            found.add(node.module.split(".")[1] + ".py")
    return {n for n in found if os.path.exists(os.path.join(PKG, n))}


def installed_by(name, fams, prefix):
    """Files a mip install of packages/<name> writes, following deps as mip does."""
    files, seen, todo = set(), set(), [name]
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        files.update(dest[len("mpalloc/"):] for dest, _ in fams[p]["urls"])
        for url, _ in fams[p]["deps"]:
            assert url.startswith(prefix + "/packages/"), url
            todo.append(url[len(prefix + "/packages/"):])
    return files


def test_a_package_per_public_module_and_every_file_in_exactly_one():
    fams = family_manifests()
    public = sorted(n[:-3] for n in os.listdir(PKG) if n.endswith(".py") and n[0] != "_")
    assert sorted(fams) == sorted(public + ["core"])
    owner = {}
    for name, m in fams.items():
        assert m["version"] == library_version(), name
        for dest, _src in m["urls"]:
            assert dest.startswith("mpalloc/") and dest.endswith(".py"), dest
            assert dest not in owner, "%s in %s and %s" % (dest, owner[dest], name)
            owner[dest] = name
    assert sorted(owner) == sorted("mpalloc/" + n for n in os.listdir(PKG) if n.endswith(".py"))


def test_each_package_installs_what_its_modules_import():
    # The files one package brings (its own and its deps', followed as mip follows them)
    # are closed under import: nothing the installed code imports is missing.
    mod = load_package_tool()
    fams = family_manifests()
    for name in fams:
        files = installed_by(name, fams, mod.REPO)
        assert "__init__.py" in files, name
        for f in files:
            missing = imports_in(f) - files
            assert not missing, "packages/%s: %s imports %s, not installed" % (name, f, missing)
        if name != "core":
            assert name + ".py" in files


def test_ring_and_the_uart_queue_bring_only_what_they_need():
    mod = load_package_tool()
    fams = family_manifests()
    ring = installed_by("ring", fams, mod.REPO)
    assert "ring.py" in ring and "_ring_viper.py" in ring and "_ring_py.py" in ring
    assert not {"slab.py", "bytebuf.py", "pool.py", "fixed.py", "arena.py"} & ring, ring
    uart = installed_by("global_slab", fams, mod.REPO)
    assert {"global_slab.py", "bytebuf.py", "slab.py"} <= uart
    assert not {"pool.py", "fixed.py", "arena.py", "memops.py", "aio.py"} & uart, uart
    # tools/deploy --only follows the same graph.
    assert set(mod.files_for(["ring"])) == ring and set(mod.files_for(["global_slab"])) == uart


def test_family_urls_point_at_the_library_files():
    mod = load_package_tool()
    for name, m in family_manifests().items():
        for dest, src in m["urls"]:
            assert src == "%s/lib/%s" % (mod.REPO, dest), (name, src)
            assert os.path.exists(os.path.join(ROOT, "lib", dest)), src


def test_a_package_cycle_is_refused(monkeypatch):
    mod = load_package_tool()
    real = mod.imports_of
    # _util (core) importing ring would make core -> ring -> core.
    monkeypatch.setattr(mod, "imports_of",
                        lambda n: real(n) | ({"ring.py"} if n == "_util.py" else set()))
    try:
        mod.graph()
        raise AssertionError("a cycle core -> ring -> core was accepted")
    except mod.GraphError as e:
        assert "core -> ring -> core" in str(e) or "ring -> core -> ring" in str(e), str(e)
