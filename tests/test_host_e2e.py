"""End to end with the real client: the unix port as a "device" behind a pty.

The unix port runs its interactive REPL (raw-REPL capable) on the slave of one pty,
with its cwd in a temporary directory that plays the device's filesystem. A thread
copies bytes between that pty's master and the master of a second pty; mpremote
connects to the second pty's slave path, exactly as to a board's /dev/ttyACM0. A soft
reset ends the unix port, so every mpremote call starts with ``resume``.

(a) ``mpremote mip install --target lib package.json`` installs the sources; (b)
``tools/deploy unix --port PTY --resume`` installs x64 .mpy; (c) ``mpremote mip install
github:OWNER/mpalloc/packages/<name>`` installs one package with its deps, GitHub
being answered from this checkout (see GITHUB_DOUBLE). Each then runs a smoke program on
the device from the installed copy (sys.path = ["lib"], the checkout is not on it) and
checks the files landed in the device's directory.

The tests skip only when this host cannot make ptys; anything else is a failure.
"""

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time

import pytest

from mpalloc_tools import build, package

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKG = os.path.join(ROOT, "lib", "mpalloc")
BOOT_TIMEOUT = 20.0
CALL_TIMEOUT = 180.0


def micropython_binary():
    found = build.find_micropython()
    assert found, "no MicroPython unix port: set MICROPYTHON=/path"
    return found


def mpremote_binary():
    exe = build.find_tool("mpremote")  # as tools/deploy finds it
    assert exe, "mpremote missing from the dev venv (pinned in pyproject.toml)"
    return exe


def raw_pty():
    """(master, slave) of a new pty in raw mode (no echo, no CR/LF translation)."""
    try:
        import termios
        import tty

        master, slave = os.openpty()
    except (ImportError, OSError) as e:
        pytest.skip("no ptys on this host: %s" % e)
    tty.setraw(slave, termios.TCSANOW)
    return master, slave


class PtyDevice:
    """The unix port on one pty, bridged to a second pty whose slave path mpremote opens."""

    def __init__(self, fs_dir):
        self.fs = fs_dir
        self.dev_master, dev_slave = raw_pty()
        self.host_master, self.host_slave = raw_pty()
        self.path = os.ttyname(self.host_slave)
        self.log = bytearray()
        self.proc = subprocess.Popen([micropython_binary()], stdin=dev_slave, stdout=dev_slave,
                                     stderr=dev_slave, cwd=fs_dir, start_new_session=True,
                                     env={k: v for k, v in os.environ.items()
                                          if k != "MICROPYPATH"})
        os.close(dev_slave)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.bridge, daemon=True)
        self.thread.start()
        self.wait_for(b">>> ", BOOT_TIMEOUT)

    def bridge(self):
        pairs = {self.dev_master: self.host_master, self.host_master: self.dev_master}
        while not self.stop.is_set():
            try:
                ready, _, _ = select.select(list(pairs), [], [], 0.05)
            except (OSError, ValueError):
                return
            for fd in ready:
                try:
                    data = os.read(fd, 4096)
                except OSError:  # EIO: the other side closed (device exited)
                    if fd == self.dev_master:
                        return
                    continue
                if fd == self.dev_master:
                    self.log += data
                os.write(pairs[fd], data)

    def wait_for(self, marker, timeout):
        end = time.monotonic() + timeout
        while marker not in self.log:
            if self.proc.poll() is not None or time.monotonic() > end:
                raise AssertionError("device did not print %r (exit %s); output:\n%s"
                                     % (marker, self.proc.poll(), bytes(self.log[-2000:])))
            time.sleep(0.02)

    def mpremote(self, *cmd, check=True):
        full = [mpremote_binary(), "connect", self.path, "resume"] + list(cmd)
        proc = subprocess.run(full, capture_output=True, text=True, timeout=CALL_TIMEOUT)
        if check:
            assert proc.returncode == 0, (cmd, proc.stdout, proc.stderr,
                                          bytes(self.log[-2000:]))
        return proc

    def close(self):
        self.stop.set()
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                self.proc.kill()
        self.proc.wait(timeout=10)
        self.thread.join(timeout=5)
        for fd in (self.dev_master, self.host_master, self.host_slave):
            try:
                os.close(fd)
            except OSError:
                pass


@pytest.fixture
def device(tmp_path):
    fs = tmp_path / "device-fs"
    fs.mkdir()
    dev = PtyDevice(str(fs))
    try:
        yield dev
    finally:
        dev.close()


SMOKE = """
import sys
sys.path[:] = ['lib']
import mpalloc
from mpalloc import global_slab, ring, slab
r = ring.ByteRing(16)
assert r.write(b'hello') == 5
buf = bytearray(8)
n = r.readinto(buf)
s = slab.Slab(256, 16)
h = s.alloc(20)
s.write(h, b'abc')
out = bytearray(3)
s.readinto(h, out)
s.free(h)
print('SMOKE', mpalloc.__version__, n, bytes(buf[:n]).decode(), bytes(out).decode(),
      ring.KERNEL, slab.KERNEL, mpalloc.__file__, global_slab.SLAB_1K_32[0])
"""


def smoke(dev):
    out = dev.mpremote("exec", SMOKE).stdout
    line = [ln for ln in out.splitlines() if ln.startswith("SMOKE ")]
    assert line, out
    return line[0].split()


def test_device_is_a_raw_repl_behind_the_pty(device):
    out = device.mpremote("exec", "import os; print('CWD', os.getcwd())").stdout
    assert "CWD " + device.fs in out, out
    assert device.proc.poll() is None  # resume: no soft reset, the device lives on


def test_mip_install_from_package_json(device):
    proc = device.mpremote("mip", "install", "--target", "lib",
                           os.path.join(ROOT, "package.json"))
    assert "Done" in proc.stdout, proc.stdout + proc.stderr
    with open(os.path.join(ROOT, "package.json")) as f:
        manifest = json.load(f)
    for dest, src in manifest["urls"]:
        on_device = os.path.join(device.fs, "lib", dest)
        assert os.path.exists(on_device), dest
        with open(on_device, "rb") as a, open(os.path.join(ROOT, src), "rb") as b:
            assert a.read() == b.read(), dest
    fields = smoke(device)
    assert fields[1:5] == [package.version(), "5", "hello", "abc"], fields
    assert fields[5] == fields[6] == "viper", fields  # unix port: native emitter present
    assert fields[7].startswith("lib/mpalloc/"), fields  # the installed copy ran


def deploy(device, *extra):
    return subprocess.run([sys.executable, os.path.join(ROOT, "tools", "deploy"), "unix",
                           "--port", device.path, "--resume"] + list(extra),
                          capture_output=True, text=True, timeout=CALL_TIMEOUT)


def test_deploy_unix_mpy(device):
    # A stale source left by an earlier mip install would shadow the .mpy: deploy removes it.
    device.mpremote("mip", "install", "--target", "lib", os.path.join(ROOT, "package.json"))
    proc = deploy(device)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    sources = sorted(n for n in os.listdir(PKG) if n.endswith(".py"))
    installed = sorted(os.listdir(os.path.join(device.fs, "lib", "mpalloc")))
    assert installed == sorted(n[:-3] + ".mpy" for n in sources), installed
    assert "[%2d/%d]" % (len(sources), len(sources)) in proc.stdout, proc.stdout  # progress
    for name in installed:
        with open(os.path.join(device.fs, "lib", "mpalloc", name), "rb") as f:
            head = f.read(3)
        assert head[:1] == b"M", name
        assert head[2] >> 2 == (2 if name.endswith("_viper.mpy") else 0), name  # x64 kernels
    fields = smoke(device)
    assert fields[1:5] == [package.version(), "5", "hello", "abc"], fields
    assert fields[5] == fields[6] == "viper", fields
    assert fields[7] == "lib/mpalloc/__init__.mpy", fields


def test_deploy_py_sources(device):
    proc = deploy(device, "--py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    sources = sorted(n for n in os.listdir(PKG) if n.endswith(".py"))
    assert sorted(os.listdir(os.path.join(device.fs, "lib", "mpalloc"))) == sources
    assert smoke(device)[7] == "lib/mpalloc/__init__.py"


def test_deploy_refuses_arch_mismatch(device):
    # The x64 device against the armv6m Pico profile: stopped before anything is copied.
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "deploy"), "rp2-pico",
                           "--port", device.path, "--resume", "--target", "lib"],
                          capture_output=True, text=True, timeout=CALL_TIMEOUT)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "arch mismatch" in proc.stderr and "armv6m" in proc.stderr \
        and "x64" in proc.stderr and "unix" in proc.stderr, proc.stderr
    assert not os.path.exists(os.path.join(device.fs, "lib")), "copied despite the mismatch"


# ---- per-package mip installs (packages/<name>/package.json) ----

# The real mpremote, with GitHub answered from this checkout: mip fetches
# https://raw.githubusercontent.com/OWNER/REPO/<ref>/<path> for every github: URL of a
# package, its files and its deps; here urlopen serves <path> from the checkout and
# refuses any other URL (and any ".." segment), so the committed manifests and their
# deps are followed exactly as on GitHub, offline.
GITHUB_DOUBLE = r"""
import os, sys, urllib.error, urllib.request
ROOT, PREFIX = sys.argv[1], sys.argv[2]
def urlopen(url, *args, **kw):
    url = getattr(url, "full_url", url)
    if not url.startswith(PREFIX):
        raise urllib.error.URLError("not the repository under test: " + url)
    path = url[len(PREFIX):].partition("/")[2]
    full = os.path.join(ROOT, *path.split("/"))
    if ".." in path.split("/") or not os.path.isfile(full):
        raise urllib.error.HTTPError(url, 404, "Not Found", None, None)
    print("FETCH", path)
    return open(full, "rb")
urllib.request.urlopen = urlopen
sys.argv = ["mpremote"] + sys.argv[3:]
from mpremote.main import main
sys.exit(main())
"""


def package_tool():
    from mpalloc_tools import package

    return package


def mip_package(device, name):
    """``mpremote mip install --target lib github:<REPO>/packages/<name>``; its output."""
    repo = package_tool().REPO
    assert repo.startswith("github:"), repo
    prefix = "https://raw.githubusercontent.com/%s/" % repo[len("github:"):]
    proc = subprocess.run([sys.executable, "-c", GITHUB_DOUBLE, ROOT, prefix, "connect",
                           device.path, "resume", "mip", "install", "--target", "lib",
                           "%s/packages/%s" % (repo, name)],
                          capture_output=True, text=True, timeout=CALL_TIMEOUT)
    assert proc.returncode == 0 and "Done" in proc.stdout, (proc.stdout, proc.stderr,
                                                            bytes(device.log[-2000:]))
    return proc.stdout


def installed_sources(device):
    return sorted(os.listdir(os.path.join(device.fs, "lib", "mpalloc")))


RING_SMOKE = """
import sys
sys.path[:] = ['lib']
from mpalloc.ring import ByteRing, KERNEL
r = ByteRing(16)
r.write(b'$GPGGA,1\\n')
buf = bytearray(16)
n = r.readline_into(buf)
print('RING', n, bytes(buf[:n - 1]).decode(), KERNEL, r.stats()['dropped'])
"""

UART_SMOKE = """
import sys
sys.path[:] = ['lib']
from mpalloc import global_slab
from mpalloc.global_slab import GlobalDeque
rx = GlobalDeque()
early = rx.push_back(65)
global_slab.configure(*global_slab.SLAB_1K_32)
for b in b'$GPGGA,1\\n':
    rx.push_back(b)
buf = bytearray(32)
n = rx.readline_into(buf)
print('UART', early, n, bytes(buf[:n - 1]).decode(), global_slab.slab().stats()['in_use'])
"""


def smoke_line(device, code, tag):
    out = device.mpremote("exec", code).stdout
    line = [ln for ln in out.splitlines() if ln.startswith(tag + " ")]
    assert line, out
    return line[0].split()[1:]


def test_mip_install_ring_package_brings_only_what_ring_needs(device):
    out = mip_package(device, "ring")
    want = package_tool().files_for(["ring"])
    assert installed_sources(device) == want, out
    assert "slab.py" not in want and "bytebuf.py" not in want and "pool.py" not in want
    assert "FETCH packages/core/package.json" in out, out  # a dep, followed by mip
    for n in want:
        with open(os.path.join(device.fs, "lib", "mpalloc", n), "rb") as a, \
                open(os.path.join(PKG, n), "rb") as b:
            assert a.read() == b.read(), n
    assert smoke_line(device, RING_SMOKE, "RING") == ["9", "$GPGGA,1", "viper", "0"]


def test_mip_install_uart_queue_package(device):
    out = mip_package(device, "global_slab")
    want = package_tool().files_for(["global_slab"])
    assert installed_sources(device) == want, out
    assert {"global_slab.py", "bytebuf.py", "slab.py"} <= set(want)
    assert not {"ring.py", "pool.py", "fixed.py", "arena.py", "memops.py"} & set(want), want
    # Before configure a push is refused (False); after it the line comes back whole and
    # every chunk is back in the slab.
    assert smoke_line(device, UART_SMOKE, "UART") == ["False", "9", "$GPGGA,1", "0"]
