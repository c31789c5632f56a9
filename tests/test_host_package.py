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


def test_check_reports_what_is_stale(tmp_path, monkeypatch):
    import importlib.machinery
    import importlib.util

    loader = importlib.machinery.SourceFileLoader("mpalloc_package",
                                                  os.path.join(ROOT, "tools", "package"))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    stale = package_json()
    dropped = stale["urls"].pop()[0]
    path = tmp_path / "package.json"
    path.write_text(json.dumps(stale))
    monkeypatch.setattr(mod, "MANIFEST", str(path))
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
