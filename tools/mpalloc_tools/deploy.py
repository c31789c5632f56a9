"""Install mpalloc on a board with mpremote: .mpy for the board's arch, or sources.

    python tools/deploy rp2-pico --port /dev/ttyACM0       # .mpy (kernels native) -> /lib
    python tools/deploy rp2-pico --port /dev/ttyACM0 --py  # .py sources instead
    python tools/deploy esp32 --dry-run                    # what would be copied, vs budget
    python tools/deploy nrf52840-dk --only ring,bytebuf --port /dev/ttyACM0   # a subset
    python tools/deploy unix --port /dev/pts/5 --resume    # a unix port behind a pty
    python tools/deploy rp2-pico --romfs --port auto       # .mpy in the ROMFS partition
    python tools/deploy nucleo-l152re --pure --dry-run     # no viper kernels: smallest

BOARD is a file name in boards/ without .json. The kernels (``_*_viper.py``) are
compiled with ``-march=<arch>`` of the board; the other modules are arch-independent
bytecode. Before copying, the device is asked for ``sys.implementation._mpy`` and
the deploy stops if its .mpy version or native arch differs from the board profile
(``--force`` copies anyway: kernels that cannot load fall back to the pure twins).
Files of the other kind left in ``lib/mpalloc`` (a ``.py`` shadows an ``.mpy`` of the
same name) and modules not installed this time are removed. ``--only`` installs the
named packages (public modules) and the packages they depend on, the graph the mip
packages follow (tools/package --graph), for boards whose filesystem cannot hold the
whole library.

``--pure`` leaves out the viper kernels (``_*_viper``): every module runs on its pure
twin, as on firmware without the native emitter. About half the flash and no machine
code in RAM, for boards short of either; the twins are 2-25x slower (tools/bench).

``--romfs`` puts the same .mpy files into a ROMFS image (built with mpremote's own image
builder) and writes it to the board's ROMFS partition with ``mpremote romfs deploy``
(firmware 1.25+ with a ROMFS partition; ``/rom`` is on ``sys.path``). Import then reads
bytecode, strings and names in place from flash instead of copying them into the heap:
about a third less RAM after import (tools/bench, ROMFS column). The image replaces the
whole partition. ``--romfs-out FILE`` also keeps the image (with ``--dry-run``: only
writes it).

``--circuitpy DIR`` installs for CircuitPython instead: it writes ``DIR/lib/mpalloc``
(DIR is the mounted CIRCUITPY drive, or a folder to copy onto it) and needs no BOARD.
With ``--mpy-cross PATH`` (CircuitPython's mpy-cross, matching the board's CircuitPython
version: its .mpy files start with ``C``, MicroPython's with ``M``, and neither firmware
loads the other's) the modules go as .mpy, else as .py sources. The viper kernels are
left out: CircuitPython boards load no native code (``CIRCUITPY_ENABLE_MPY_NATIVE`` is
off on all but a handful) and every module runs its pure twin. ``--only`` applies.

    python tools/deploy --circuitpy /media/$USER/CIRCUITPY --mpy-cross ~/mpy-cross-10.x

``--resume`` passes mpremote's ``resume`` (no soft reset on connect), needed for the
unix port, whose soft reset ends the process. ``--mpremote CMD`` picks the client.
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

from mpalloc_tools import ROOT, build, package

BOARDS = os.path.join(ROOT, "boards")
PKG = os.path.join(ROOT, "lib", "mpalloc")

# .mpy header arch codes (py/persistentcode.h, MP_NATIVE_ARCH_*); 0 = no native code.
ARCH_CODES = {"x86": 1, "x64": 2, "armv6": 3, "armv6m": 4, "armv7m": 5, "armv7em": 6,
              "armv7emsp": 7, "armv7emdp": 8, "xtensa": 9, "xtensawin": 10, "rv32imc": 11,
              "rv64imc": 12}
ARCH_NAMES = {v: k for k, v in ARCH_CODES.items()}


class DeployError(Exception):
    pass




def board_names():
    return sorted(os.path.basename(p)[:-5] for p in glob.glob(os.path.join(BOARDS, "*.json")))


def load_board(name):
    path = os.path.join(BOARDS, name + ".json")
    if not os.path.exists(path):
        raise DeployError("unknown board %r: known boards are %s (files in boards/)"
                          % (name, ", ".join(board_names())))
    with open(path) as f:
        return json.load(f)


def default_target(board):
    # The unix port's filesystem is the host's: install relative to its cwd.
    return "lib" if board["port"] == "unix" else "/lib"


def imports_of(name):
    """mpalloc modules that module ``name`` (a file name) imports (tools/package)."""
    return package.imports_of(name)


def select(only):
    """Source file names to install: all, or the packages named in ``only`` (public
    modules, or core) with their deps: the graph the mip packages follow (tools/package)."""
    if not only:
        return package.sources()
    g = package.graph()
    want = []
    for m in only.split(","):
        m = m.strip().replace("mpalloc.", "")
        if m not in g:
            raise DeployError("--only: no module mpalloc.%s; public modules are %s"
                              % (m, ", ".join(package.public_modules())))
        want.append(m)
    return package.files_for(want, g)


def stage(board, py, out, only=None, pure=False):
    """Files to copy as [(local path, name)], built into ``out``; ``pure``: no kernels."""
    names = [n for n in select(only) if not (pure and build.is_kernel(n))]
    if py:
        return [(os.path.join(PKG, n), n) for n in names]
    try:
        built = build.build(board["arch"], out)
    except SystemExit as e:  # tools/build reports mpy-cross failures with sys.exit
        raise DeployError(str(e))
    keep = {n[:-3] + ".mpy" for n in names}
    return [(p, os.path.basename(p)) for p in built if os.path.basename(p) in keep]


def pack_romfs(tree):
    """A ROMFS image (bytes) of directory ``tree``, packed by mpremote's own image builder
    (the one ``mpremote romfs deploy`` uses); .mpy files go in as they are."""
    import contextlib
    import io

    try:
        from mpremote.romfs import make_romfs
    except ImportError:  # run by a python3 outside .venv: use the venv's copy of mpremote
        sys.path.extend(glob.glob(os.path.join(ROOT, ".venv", "lib", "python3*",
                                               "site-packages")))
    try:
        from mpremote.romfs import make_romfs
    except ImportError:
        raise DeployError("--romfs needs mpremote 1.25+ importable here: run `make venv` "
                          "(mpremote is pinned in pyproject.toml)")
    with contextlib.redirect_stdout(io.StringIO()):  # it prints the tree it packs
        return make_romfs(tree, mpy_cross=False)


def romfs_image(files, out):
    """A ROMFS image (bytes) holding ``mpalloc/<name>`` for each staged file."""
    tree = os.path.join(out, "romfs")
    os.makedirs(os.path.join(tree, "mpalloc"))
    for local, name in files:
        shutil.copyfile(local, os.path.join(tree, "mpalloc", name))
    return pack_romfs(tree)


def deploy_romfs(args, path, size):
    print("writing the ROMFS image (%d bytes) with mpremote romfs deploy ..." % size,
          flush=True)
    cmd = ["romfs"] + (["--partition", str(args.partition)] if args.partition is not None
                       else []) + ["deploy", path]
    print(run_mpremote(args, cmd, args.timeout).rstrip())


def mpy_header(path):
    """(version, sub-version, arch code) of a .mpy file; arch 0 = bytecode only."""
    with open(path, "rb") as f:
        head = f.read(4)
    return head[1], head[2] & 3, head[2] >> 2


def budget_lines(board, total):
    lines = []
    fs = board.get("fs_kb")
    if fs:
        pct = 100.0 * total / (fs * 1024)
        lines.append("flash: %d bytes = %.1f%% of the %d KiB filesystem%s"
                     % (total, pct, fs, "  ** DOES NOT FIT: install a subset with "
                        "--only ring,slab,... or leave out the viper kernels with --pure **"
                        if pct > 100 else ""))
    else:
        lines.append("flash: %d bytes (no filesystem budget for %s)" % (total, board["name"]))
    heap = board["heap_kb"]
    pct = 100.0 * total / (heap * 1024)
    lines.append("RAM:   importing every module loads up to about the code size into RAM: "
                 "~%d bytes = %.1f%% of the %d KiB heap (freeze with manifest.py for 0%%;"
                 " tools/footprint measures RAM after import per module)" % (total, pct, heap))
    return lines


def find_mpremote(cmd):
    if cmd:
        return cmd.split()
    exe = build.find_tool("mpremote")
    if exe is None:
        raise DeployError("mpremote not found: run `make venv` (it is pinned in pyproject.toml)"
                          " or pass --mpremote CMD")
    return [exe]


def check_port(port):
    if port is None:
        raise DeployError("no --port given: pass the board's serial port, e.g. --port "
                          "/dev/ttyACM0 (`mpremote connect list` shows them), or --port auto")
    if port.startswith("/") and not os.path.exists(port):
        raise DeployError("port %s does not exist: is the board plugged in? "
                          "(`mpremote connect list` shows the ports)" % port)


def connect_args(args):
    return ["connect", args.port] + (["resume"] if args.resume else [])


def run_mpremote(args, cmd, timeout):
    full = find_mpremote(args.mpremote) + connect_args(args) + cmd
    try:
        proc = subprocess.run(full, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise DeployError("mpremote timed out after %d s on %s: %s"
                          % (timeout, args.port, " ".join(cmd[:2])))
    if proc.returncode:
        raise DeployError("mpremote failed on %s (exit %d): %s\n%s%s"
                          % (args.port, proc.returncode, " ".join(cmd[:2]), proc.stdout,
                             proc.stderr))
    return proc.stdout


PROBE = ("import sys\nprint('MPALLOC-PROBE', sys.implementation.name, "
         "getattr(sys.implementation, '_mpy', -1))")


def probe(args):
    """(implementation name, sys.implementation._mpy or -1) of the device."""
    for line in run_mpremote(args, ["exec", PROBE], args.timeout).splitlines():
        if line.startswith("MPALLOC-PROBE "):
            _, name, mpy = line.split()
            return name, int(mpy)
    raise DeployError("the device on %s did not answer the probe" % args.port)


def check_device(board, files, impl, mpy, py):
    if impl == "circuitpython":
        raise DeployError("the device runs CircuitPython: its .mpy format differs and the "
                          "REPL usually cannot write to CIRCUITPY; install onto the mounted "
                          "drive with --circuitpy /path/to/CIRCUITPY (--mpy-cross for .mpy)")
    if py:
        return
    if mpy < 0:
        raise DeployError("the device does not report sys.implementation._mpy (firmware "
                          "too old for .mpy v6?): deploy sources with --py")
    ver, sub, arch = mpy & 0xFF, (mpy >> 8) & 3, mpy >> 10
    for local, name in files:  # the sub-version counts only in files with native code
        fver, fsub, farch = mpy_header(local)
        if fver != ver or (farch and fsub != sub):
            raise DeployError("the device loads .mpy v%d.%d but mpy-cross wrote %s as v%d.%d: "
                              "deploy sources with --py, or match firmware and mpy-cross"
                              % (ver, sub, name, fver, fsub))
    want = ARCH_CODES[board["arch"]]
    if arch != want:
        fits = [n for n in board_names() if ARCH_CODES.get(load_board(n)["arch"]) == arch]
        raise DeployError(
            "arch mismatch: board profile %s says %s but the device reports %s "
            "(sys.implementation._mpy = %d); %s (or --py for sources, or --force)"
            % (board["_id"], board["arch"],
               ARCH_NAMES.get(arch, "no native emitter" if arch == 0 else "code %d" % arch),
               mpy, ("profiles for this device: " + ", ".join(fits)) if fits
               else "no board profile matches: add one to boards/"))


CP_MPY_MAGIC = b"C"  # CircuitPython .mpy files start with C, MicroPython's with M


def circuitpy_mpy_cross(path):
    """Check that ``path`` is CircuitPython's mpy-cross; returns its version line."""
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise DeployError("--mpy-cross %s: no such executable; download the mpy-cross "
                          "matching your CircuitPython version (README, CircuitPython)" % path)
    proc = subprocess.run([path, "--version"], capture_output=True, text=True)
    version = (proc.stdout + proc.stderr).strip()
    if "CircuitPython" not in version:
        raise DeployError("--mpy-cross %s is not CircuitPython's (it says %r): CircuitPython "
                          "refuses MicroPython .mpy files ('use CircuitPython mpy-cross'); "
                          "download the mpy-cross matching your CircuitPython version, or "
                          "leave out --mpy-cross to copy .py sources" % (path, version))
    return version


def circuitpy(args):
    """Write lib/mpalloc for CircuitPython under args.circuitpy (see the module doc)."""
    names = [n for n in select(args.only) if not build.is_kernel(n)]
    dest = os.path.join(args.circuitpy, "lib", "mpalloc")
    version = circuitpy_mpy_cross(args.mpy_cross) if args.mpy_cross else None
    os.makedirs(dest, exist_ok=True)
    written = []
    for name in names:
        src = os.path.join(PKG, name)
        if version is None:
            target = os.path.join(dest, name)
            shutil.copyfile(src, target)
        else:
            target = os.path.join(dest, name[:-3] + ".mpy")
            proc = subprocess.run([args.mpy_cross, "-o", target, "-s", "mpalloc/" + name, src],
                                  capture_output=True, text=True)
            if proc.returncode:
                raise DeployError("mpy-cross failed for %s:\n%s%s"
                                  % (name, proc.stdout, proc.stderr))
            with open(target, "rb") as f:
                if f.read(1) != CP_MPY_MAGIC:
                    raise DeployError("%s did not write a CircuitPython .mpy" % args.mpy_cross)
        written.append(os.path.basename(target))
    for stale in sorted(set(os.listdir(dest)) - set(written)):
        path = os.path.join(dest, stale)
        if os.path.isfile(path):
            os.remove(path)
            print("removed %s (not part of this install)" % stale)
    total = sum(os.path.getsize(os.path.join(dest, n)) for n in written)
    print("CircuitPython: %d files, %d bytes, %s -> %s (pure twins; no viper kernels)"
          % (len(written), total, ".mpy by " + version if version else ".py sources", dest))
    return 0


def cleanup_script(target, names):
    """Device code: make ``target/mpalloc`` and remove files not in ``names``."""
    d = target.rstrip("/") + "/mpalloc"
    parts = d.strip("/").split("/")
    lead = "/" if d.startswith("/") else ""
    dirs = [lead + "/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    return ("import os\n"
            "for _d in %r:\n"
            "    try:\n"
            "        os.mkdir(_d)\n"
            "    except OSError:\n"
            "        pass\n"
            "for _n in os.listdir(%r):\n"
            "    if _n not in %r:\n"
            "        os.remove(%r + '/' + _n)\n"
            "        print('removed', _n)\n" % (dirs, d, names, d))


def copy(args, files, target):
    cmd = find_mpremote(args.mpremote) + connect_args(args) + [
        "exec", cleanup_script(target, [n for _, n in files])]
    for local, name in files:
        cmd += ["+", "fs", "cp", local, ":%s/mpalloc/%s" % (target, name)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    done, tail = 0, []
    try:
        for line in proc.stdout:
            line = line.rstrip()
            tail = (tail + [line])[-20:]
            if line.startswith("cp "):
                done += 1
                print("[%2d/%d] %s" % (done, len(files), line[3:]), flush=True)
            elif line.startswith("removed "):
                print("       " + line + " (stale on the device)", flush=True)
        proc.wait(timeout=args.timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode or done != len(files):
        raise DeployError("copy failed after %d of %d files (mpremote exit %s):\n%s"
                          % (done, len(files), proc.returncode, "\n".join(tail)))


def options(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("board", nargs="?", help="one of: " + ", ".join(board_names()))
    ap.add_argument("--circuitpy", metavar="DIR", help="CircuitPython: write DIR/lib/mpalloc "
                    "(DIR: the CIRCUITPY drive); no BOARD, no device connection")
    ap.add_argument("--mpy-cross", metavar="PATH", help="with --circuitpy: CircuitPython's "
                    "mpy-cross for your CircuitPython version (.mpy instead of .py)")
    ap.add_argument("--port", help="serial port for mpremote connect (or auto)")
    ap.add_argument("--py", action="store_true", help="copy .py sources instead of .mpy")
    ap.add_argument("--dry-run", action="store_true", help="list files and budget; no device")
    ap.add_argument("--only", metavar="MODULES", help="comma-separated modules (e.g. "
                    "ring,bytebuf): only these and what they import")
    ap.add_argument("--target", help="install dir on the device (default /lib; unix: lib)")
    ap.add_argument("--resume", action="store_true", help="mpremote resume (no soft reset)")
    ap.add_argument("--force", action="store_true", help="skip the device .mpy/arch check")
    ap.add_argument("--mpremote", help="mpremote command (default: the venv's mpremote)")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per mpremote call")
    ap.add_argument("--pure", action="store_true", help="leave out the viper kernels: "
                    "every module runs on its pure twin (smallest flash, slower)")
    ap.add_argument("--romfs", action="store_true", help="write the .mpy files as a ROMFS "
                    "image to the board's ROMFS partition (mpremote romfs deploy)")
    ap.add_argument("--partition", type=int, help="ROMFS partition (default: mpremote's, 0)")
    ap.add_argument("--romfs-out", metavar="FILE", help="also save the ROMFS image here")
    return ap.parse_args(argv)


def refuse_bad_options(args):
    """DeployError for options that do not go together, before anything is built."""
    if args.circuitpy:
        if args.board or args.port or args.py or args.romfs or args.pure or args.target:
            raise DeployError("--circuitpy writes to a folder: no BOARD, --port, --py, "
                              "--romfs, --pure or --target (kernels are always left out;"
                              " without --mpy-cross the sources are copied)")
        return
    if args.mpy_cross:
        raise DeployError("--mpy-cross applies to --circuitpy (MicroPython installs use "
                          "the pinned mpy-cross)")
    if not args.board:
        raise DeployError("name a BOARD (one of %s) or give --circuitpy DIR"
                          % ", ".join(board_names()))
    if (args.romfs_out or args.partition is not None) and not args.romfs:
        raise DeployError("--romfs-out/--partition only apply with --romfs")
    if args.romfs and args.py:
        raise DeployError("--romfs packs .mpy files: sources in ROMFS would still be "
                          "compiled into RAM at import; drop --py")
    if args.romfs and args.target:
        raise DeployError("--romfs installs at /rom/mpalloc (the image root); --target "
                          "applies to filesystem installs only")


def deploy_board(args):
    """Stage the files for BOARD, then list them (--dry-run), write a ROMFS image or copy
    them with mpremote; the exit status."""
    board = load_board(args.board)
    board["_id"] = args.board
    target = (args.target or default_target(board)).rstrip("/") or "/"
    if not args.dry_run:
        check_port(args.port)
    with tempfile.TemporaryDirectory(prefix="mpalloc-deploy-") as out:
        files = stage(board, args.py, out, args.only, args.pure)
        total = sum(os.path.getsize(p) for p, _ in files)
        image, image_path = announce(args, board, files, target, out)
        if args.dry_run:
            dry_run_listing(args, board, files, total, target, image)
            return 0
        impl, mpy = probe(args)
        print("device: %s, sys.implementation._mpy = %d" % (impl, mpy))
        if not args.force:
            check_device(board, files, impl, mpy, args.py)
        if image is not None:
            deploy_romfs(args, image_path, len(image))
            print("done: %d files in the ROMFS image; import mpalloc from /rom" % len(files))
            return 0
        for line in budget_lines(board, total):
            print(line)
        copy(args, files, target)
        print("done: %d files, %d bytes in %s/mpalloc" % (len(files), total, target))
        return 0


def announce(args, board, files, target, out):
    """Print what goes where; with --romfs build (and save) the image: (image, path)."""
    kind = "sources (.py)" if args.py else ".mpy for %s" % board["arch"]
    if args.pure:
        kind += ", pure twins only (no viper kernels)"
    if not args.romfs:
        print("%s: %d files, %s -> %s/mpalloc" % (board["name"], len(files), kind, target))
        return None, None
    image = romfs_image(files, out)
    image_path = args.romfs_out or os.path.join(out, "mpalloc.romfs")
    with open(image_path, "wb") as f:
        f.write(image)
    print("%s: %d files, %s -> ROMFS image of %d bytes, /rom/mpalloc%s"
          % (board["name"], len(files), kind, len(image),
             " (saved as %s)" % args.romfs_out if args.romfs_out else ""))
    return image, image_path


def dry_run_listing(args, board, files, total, target, image):
    for local, name in files:
        arch = "" if args.py else (" native" if mpy_header(local)[2] else "")
        print("  %6d  %s/mpalloc/%s%s" % (os.path.getsize(local),
                                           "/rom" if image else target, name, arch))
    if image is None:
        print("\n".join(budget_lines(board, total)))
    else:
        print("ROMFS: %d bytes of the board's ROMFS partition; the heap keeps only "
              "the objects import creates (bytecode and names stay in flash)" % len(image))


def main(argv=None):
    args = options(argv)
    try:
        refuse_bad_options(args)
        if args.circuitpy:
            return circuitpy(args)
        return deploy_board(args)
    except DeployError as e:
        print("tools/deploy: error: %s" % e, file=sys.stderr)
        return 2
