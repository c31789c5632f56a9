"""package.json (mip manifest) lists every library module and carries the library version."""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_manifest_is_fresh():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "package"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_manifest_version_and_files():
    with open(os.path.join(ROOT, "package.json")) as f:
        manifest = json.load(f)
    sys.path.insert(0, os.path.join(ROOT, "lib"))
    import mpalloc

    assert manifest["version"] == mpalloc.__version__
    for dest, src in manifest["urls"]:
        assert os.path.exists(os.path.join(ROOT, src)), src
        assert dest == src[len("lib/"):]
