"""Footprint: RAM after import per public module (x64 unix port, .py / .mpy / ROMFS, the API
floor), .mpy bytes per arch, metadata per slot, and RAM after import on the [armv7m] board
under qemu. Called by tools/bench (``footprint(exe)``, ``board_image``/``board_modules``);
its tables are printed by tools/bench and rendered by tools/report.
"""

import ast
import builtins
import importlib.machinery
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile

from mpalloc_tools import DEVICE, ROOT, build

PUBLIC_ORDER = ("errors", "ring", "slab", "bytebuf", "global_slab", "aio", "arena", "stack",
                "pool", "fixed", "memops", "observe")
WHOLE = "(whole library)"
CORE = ("mpalloc.errors", "mpalloc.ring", "mpalloc.slab")
MPY_ARCHES = ("armv6m", "armv7emsp", "rv32imc", "xtensawin")
RAM_TARGETS = {"mpalloc.ring": 1024, WHOLE: 12 * 1024}  # heap bytes after .mpy import
CORE_MPY_TARGET = ("armv6m", 6 * 1024)  # installed core .mpy bytes on armv6m
SLAB_META_TARGET = 4  # bytes of metadata per slot
NATIVE_NOTE = (
    "RAM after import is gc.mem_alloc() after minus before the import, in a fresh unix-port "
    "process per row (collected twice each side). On the unix port the machine code of "
    "viper/native functions loaded from .mpy is placed outside the GC heap, so the .mpy "
    "column leaves it out; on most boards (rp2, stm32, nrf, esp32 without a separate "
    "executable region) that code is allocated on the heap: add up to the kernel "
    "modules' .mpy size for that arch (table below) to the .mpy column. From .py the "
    "kernels are compiled on the host unix port to x64 code, also outside the heap.")
ROMFS_NOTE = (
    "ROMFS: the same x64 .mpy files in a ROMFS image (built by mpremote's own builder, "
    "mounted with vfs.VfsRom), as `mpremote romfs deploy` puts them on a board whose "
    "firmware has a ROMFS partition (MicroPython 1.25+). Bytecode, strings and names are "
    "then read in place from the image; the heap holds only the objects import creates. "
    "Native code is still copied: on boards add the kernels' .mpy size as above.")
FLOOR_NOTE = (
    "API floor: a skeleton package with exactly the public names of the .pyi stubs (every "
    "class with its methods as empty functions, every constant None), imported the same "
    "way. It is the least that defining these names in Python costs on this port, before "
    "any work is done (module, class and function objects, their dicts and names): a "
    "target below it cannot be met here by a Python implementation of this API. Most of "
    "it is machine words (pointers), so a 32-bit board needs roughly half the x64 figure. "
    "The aio rows are mostly asyncio, which aio imports.")

# One fresh process per row. Names are bound before the first measurement and the work
# runs inside a function, so no global dict grows between two readings.
RAM_SCRIPT = """\
import gc, sys
sys.path[:] = %(path)r
def ram():
    gc.collect(); gc.collect()
    return gc.mem_alloc()
def main(steps):
    before = set(sys.modules)
    out = []
    a = ram()
    for names in steps:
        for n in names:
            __import__(n)
        b = ram()
        out.append(b - a)
        a = b
    print('@@RAM', (out, sorted(k for k in sys.modules if k not in before)))
main(%(steps)r)
"""

META_SCRIPT = """\
import gc, sys
sys.path[:] = [%(lib)r, '.frozen']
from mpalloc.slab import Slab
from mpalloc.pool import BlockPool
from mpalloc.ring import ByteRing
from mpalloc.arena import Arena
def held(make, n):
    gc.collect(); gc.collect()
    a = gc.mem_alloc()
    o = make(n)
    gc.collect(); gc.collect()
    b = gc.mem_alloc()
    o = None
    return b - a
def main():
    out = {}
    for key, make, n in (
        ('slab', lambda n: Slab(n * 16, n), 512),
        ('blockpool_lifo', lambda n: BlockPool(16, n), 512),
        ('blockpool_fifo', lambda n: BlockPool(16, n, strategy='fifo'), 512),
        ('blockpool_bitmap', lambda n: BlockPool(16, n, strategy='bitmap'), 512),
        ('bytearray', lambda n: bytearray(n * 16), 512),
    ):
        out[key] = [n, held(make, n), held(make, 2 * n)]
    out['bytering'] = [1024, held(ByteRing, 1024)]
    out['arena'] = [4096, held(Arena, 4096)]
    out['bytearray_fixed'] = [1024, held(bytearray, 1024)]
    print('@@META', out)
main()
"""


# The same measurement with the library in a ROMFS image mounted at /rom (vfs.VfsRom over
# the image's bytes): MicroPython 1.25+ then maps bytecode, strings and qstr text from the
# image instead of copying them into the heap, as on a board whose firmware has a ROMFS
# partition (``mpremote romfs deploy``). The image is read before the first measurement.
ROMFS_PRELUDE = """\
import vfs
def _mount():
    with open(%(image)r, 'rb') as f:
        vfs.mount(vfs.VfsRom(f.read()), '/rom')
_mount()
"""


def ram_script(steps, lib=None, image=None):
    """RAM_SCRIPT importing from a library directory, or from a ROMFS image holding the
    package (mounted at /rom before the first measurement)."""
    if image is None:
        return RAM_SCRIPT % {"path": [lib, ".frozen"], "steps": steps}
    return (ROMFS_PRELUDE % {"image": image}
            + RAM_SCRIPT % {"path": ["/rom", ".frozen"], "steps": steps})


def load_tool(name):
    """tools/<name> (deploy, until it moves into this package) as a module."""
    path = os.path.join(ROOT, "tools", name)
    loader = importlib.machinery.SourceFileLoader("mpalloc_tools_" + name, path)
    spec = importlib.util.spec_from_loader(loader.name, loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def romfs_image(tree, path):
    """Write a ROMFS image of ``tree`` (a directory holding mpalloc/), packed the way
    tools/deploy --romfs packs it."""
    with open(path, "wb") as f:
        f.write(load_tool("deploy").pack_romfs(tree))
    return path


# The API floor: a package with the same public names as ours (from the .pyi stubs, which a
# test keeps in step with the modules) and nothing else: every class with its methods as
# empty functions, every function empty, every constant None. What that costs after import
# is the least a Python implementation of this API pays on this port (module, class and
# function objects, their dicts and names), before a single line of work.
def floor_source(stub_text):
    """Python source of the API skeleton for one .pyi stub."""
    tree = ast.parse(stub_text)
    defined, out = set(), []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mpalloc"):
            out.append("from %s import %s" % (node.module,
                                              ", ".join(a.name for a in node.names)))
            defined.update(a.asname or a.name for a in node.names)
        elif isinstance(node, ast.ClassDef):
            bases = [b.id for b in node.bases if isinstance(b, ast.Name)
                     and (b.id in defined or hasattr(builtins, b.id))]
            methods = []
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name not in methods:
                    methods.append(item.name)
            out.append("class %s%s:" % (node.name, "(%s)" % ", ".join(bases) if bases else ""))
            out += ["    def %s(*a):\n        pass" % m for m in methods] or ["    pass"]
            defined.add(node.name)
        elif isinstance(node, ast.FunctionDef) and node.name not in defined:
            out.append("def %s(*a):\n    pass" % node.name)
            defined.add(node.name)
        elif isinstance(node, (ast.AnnAssign, ast.Assign)):
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                if isinstance(t, ast.Name) and not t.id.startswith("_"):
                    out.append("%s = None" % t.id)
                    defined.add(t.id)
    return "\n".join(out) + "\n"


def build_floor(out):
    """The API skeleton package, compiled for x64, in ``out``/mpalloc."""
    src = os.path.join(out, "src", "mpalloc")
    dst = os.path.join(out, "mpy", "mpalloc")
    os.makedirs(src)
    os.makedirs(dst)
    pkg = os.path.join(ROOT, "lib", "mpalloc")
    mpy_cross = build.mpy_cross()
    files = {"__init__.py": "__version__ = None\n"}
    for n in sorted(os.listdir(pkg)):
        if n.endswith(".pyi"):
            with open(os.path.join(pkg, n)) as f:
                files[n[:-1]] = floor_source(f.read())
    for name, text in files.items():
        with open(os.path.join(src, name), "w") as f:
            f.write(text)
        proc = subprocess.run([mpy_cross, "-o", os.path.join(dst, name[:-3] + ".mpy"),
                               "-s", "mpalloc/" + name, os.path.join(src, name)],
                              capture_output=True, text=True)
        if proc.returncode:
            sys.exit("tools/bench: mpy-cross failed on the API skeleton %s:\n%s%s\n%s"
                     % (name, proc.stdout, proc.stderr, text))
    return os.path.dirname(dst)


def run_mp(exe, script, tag):
    p = subprocess.run([exe, "-c", script], capture_output=True, text=True, timeout=120,
                       cwd=ROOT)
    line = [x for x in p.stdout.splitlines() if x.startswith(tag + " ")]
    if p.returncode or not line:
        sys.exit("tools/bench: footprint script failed (%s):\n%s\n%s%s"
                 % (tag, script, p.stdout, p.stderr))
    return ast.literal_eval(line[0][len(tag) + 1:])


def public_modules():
    names = [n[:-3] for n in os.listdir(os.path.join(ROOT, "lib", "mpalloc"))
             if n.endswith(".py") and not n.startswith("_")]
    ordered = [n for n in PUBLIC_ORDER if n in names]
    ordered += sorted(n for n in names if n not in ordered)
    return ["mpalloc." + n for n in ordered]


def build_mpy(arches, out):
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "build"), "--out", out]
                          + ["--arch=" + a for a in arches], capture_output=True, text=True)
    if proc.returncode:
        sys.exit("tools/bench: tools/build failed:\n" + proc.stdout + proc.stderr)


def mpy_file(mod):
    """mpalloc.x -> x.mpy; the package itself -> __init__.mpy."""
    return "__init__.mpy" if mod == "mpalloc" else mod.split(".", 1)[1] + ".mpy"


def installed(files):
    """The files a package of ``files`` installs: every loaded viper kernel's pure twin
    too (a board without the native emitter falls back to it)."""
    out = set(files)
    for f in files:
        if f.endswith("_viper.mpy"):
            twin = f[:-len("_viper.mpy")] + "_py.mpy"
            if os.path.exists(os.path.join(ROOT, "lib", "mpalloc", twin[:-4] + ".py")):
                out.add(twin)
    return sorted(out)


def footprint(exe):
    """RAM after import per public module (.py and x64 .mpy, fresh processes), .mpy bytes
    per module per arch, metadata bytes per slot/block and fixed per-object overhead."""
    # A fresh build tree: a stale .mpy of a module since removed from lib/ must not count.
    with tempfile.TemporaryDirectory(prefix="mpalloc-footprint-") as out:
        build_mpy(("x64",) + MPY_ARCHES, out)
        floor = build_floor(os.path.join(out, "floor"))
        images = {"romfs": romfs_image(os.path.join(out, "x64"),
                                       os.path.join(out, "mpalloc-x64.romfs")),
                  "floor_romfs": romfs_image(floor, os.path.join(out, "floor.romfs"))}
        return _footprint(exe, out, floor, images)


def _footprint(exe, out, floor, images):
    libs = (("py", os.path.join(ROOT, "lib")), ("mpy", os.path.join(out, "x64")))
    mods = public_modules()
    rows = [module_row(exe, mod, libs, floor, images) for mod in mods]
    rows.append(whole_row(exe, mods, libs, floor, images))
    for r in rows:
        t = r["target_mpy_bytes"]
        r["status"] = None if t is None else ("pass" if r["mpy_bytes"] <= t else "miss")
        # A target the bare API already exceeds cannot be met by any implementation here.
        r["target_below_floor"] = None if t is None else r["floor_mpy_bytes"] > t
    arches = MPY_ARCHES + ("x64",)
    sizes = mpy_sizes(out, arches)
    mpy_rows = [mpy_row(r, sizes, arches) for r in rows]
    return {"note": NATIVE_NOTE, "romfs_note": ROMFS_NOTE, "floor_note": FLOOR_NOTE,
            "arches": list(arches), "modules": rows,
            "mpy_files": sizes, "mpy_modules": mpy_rows,
            "core_mpy": core_mpy(mpy_rows, sizes, arches),
            "metadata": metadata(exe, libs[0][1])}


def module_row(exe, mod, libs, floor, images):
    """RAM after import of one public module: .py, .mpy, ROMFS and the API floor, each split
    into its public dependencies, its private modules (kernels, helpers) and itself."""
    # Discovery: what importing the module loads, mpalloc and otherwise.
    _, loaded = run_mp(exe, ram_script([[mod]], libs[0][1]), "@@RAM")
    deps = [m for m in loaded if m != mod and not m.startswith("mpalloc._")]
    private = [m for m in loaded if m.startswith("mpalloc._")]
    row = {"module": mod, "loads": loaded, "deps": deps, "private": private,
           "target_mpy_bytes": RAM_TARGETS.get(mod)}
    for kind, lib in libs:
        (d, k, m), _ = run_mp(exe, ram_script([deps, private, [mod]], lib), "@@RAM")
        row[kind + "_bytes"] = d + k + m          # the module with everything it loads
        row[kind + "_own_bytes"] = k + m          # beyond its public dependencies
        row[kind + "_private_bytes"] = k          # its kernels/helpers (_*.py)
    (d, k, m), _ = run_mp(exe, ram_script([deps, private, [mod]], image=images["romfs"]),
                          "@@RAM")
    row["romfs_bytes"] = d + k + m
    for kind, lib, image in (("floor_mpy", floor, None),
                             ("floor_romfs", None, images["floor_romfs"])):
        (d, m), _ = run_mp(exe, ram_script([deps, [mod]], lib, image), "@@RAM")
        row[kind + "_bytes"] = d + m
    return row


def whole_row(exe, mods, libs, floor, images):
    """Whole library: every public module, one after the other, in one process."""
    whole = {"module": WHOLE, "loads": [], "deps": [], "private": [],
             "target_mpy_bytes": RAM_TARGETS.get(WHOLE), "steps": []}
    steps = {}
    for kind, lib in libs:
        steps[kind], loaded = run_mp(exe, ram_script([[m] for m in mods], lib), "@@RAM")
        whole[kind + "_bytes"] = sum(steps[kind])
        whole[kind + "_own_bytes"] = whole[kind + "_bytes"]
        whole[kind + "_private_bytes"] = None
        whole["loads"] = loaded
    for kind, lib, image in (("romfs", None, images["romfs"]), ("floor_mpy", floor, None),
                             ("floor_romfs", None, images["floor_romfs"])):
        got, _ = run_mp(exe, ram_script([[m] for m in mods], lib, image), "@@RAM")
        whole[kind + "_bytes"] = sum(got)
    whole["steps"] = [{"module": m, "py_bytes": p, "mpy_bytes": q}
                      for m, p, q in zip(mods, steps["py"], steps["mpy"])]
    return whole


def mpy_sizes(out, arches):
    """.mpy bytes per file per arch, from the build tree ``out``."""
    files = sorted(n[:-3] + ".mpy" for n in os.listdir(os.path.join(ROOT, "lib", "mpalloc"))
                   if n.endswith(".py"))
    return {f: {a: os.path.getsize(os.path.join(out, a, "mpalloc", f)) for a in arches}
            for f in files}


def mpy_row(r, sizes, arches):
    """.mpy bytes a module loads and installs, per arch."""
    load = [mpy_file(m) for m in r["loads"] if m.startswith("mpalloc")]
    inst = installed(load)
    pure = [f for f in inst if not f.endswith("_viper.mpy")]  # tools/deploy --pure
    return {"module": r["module"], "loaded_files": load, "installed_files": inst,
            "loaded": {a: sum(sizes[f][a] for f in load) for a in arches},
            "installed": {a: sum(sizes[f][a] for f in inst) for a in arches},
            "installed_pure": {a: sum(sizes[f][a] for f in pure) for a in arches}}


def core_mpy(mpy_rows, sizes, arches):
    """The core modules' installed .mpy bytes against CORE_MPY_TARGET."""
    core_files = installed(sorted({f for r in mpy_rows if r["module"] in CORE
                                   for f in r["loaded_files"]}))
    arch, limit = CORE_MPY_TARGET
    core = {"modules": list(CORE), "files": core_files, "arch": arch,
            "bytes": {a: sum(sizes[f][a] for f in core_files) for a in arches},
            # The same modules installed without their viper kernels (tools/deploy --pure).
            "bytes_pure": {a: sum(sizes[f][a] for f in core_files
                                  if not f.endswith("_viper.mpy")) for a in arches},
            "target_bytes": limit}
    core["status"] = "pass" if core["bytes"][arch] <= limit else "miss"
    return core


def metadata(exe, lib):
    """Heap bytes per slot/block and fixed per object (META_SCRIPT, one process)."""
    meta = run_mp(exe, META_SCRIPT % {"lib": lib}, "@@META")
    out = []
    for key, label, per in (("slab", "Slab(n * 16, n): metadata per slot", 16),
                            ("blockpool_lifo", "BlockPool(16, n): metadata per block", 16),
                            ("blockpool_fifo", "BlockPool(16, n, 'fifo'): per block", 16),
                            ("blockpool_bitmap", "BlockPool(16, n, 'bitmap'): per block",
                             16),
                            ("bytearray", "bytearray(n * 16) (reference): per 16 B", 16)):
        n, d1, d2 = meta[key]
        slope = (d2 - d1) / n
        out.append({"id": key, "label": label, "n": n, "bytes_n": d1,
                    "bytes_2n": d2, "per_item_bytes": round(slope - per, 2),
                    "fixed_bytes": round(d1 - n * slope),
                    "target_bytes": SLAB_META_TARGET if key == "slab" else None})
    for key, label in (("bytering", "ByteRing(capacity)"), ("arena", "Arena(size)"),
                       ("bytearray_fixed", "bytearray(n) (reference)")):
        n, d = meta[key]
        out.append({"id": key, "label": label, "n": n, "bytes_n": d, "bytes_2n": None,
                    "per_item_bytes": None, "fixed_bytes": d - n, "target_bytes": None})
    for m in out:
        t = m["target_bytes"]
        m["status"] = None if t is None else ("pass" if m["per_item_bytes"] <= t else "miss")
    return out


def kb(n):
    return "%.1f KB" % (n / 1024)


def footprint_table(fp):
    lines = ["| module (with what it loads) | RAM after import, .py | RAM after import, "
             ".mpy (x64) | of which its own (.mpy) | ROMFS | API floor .mpy / ROMFS "
             "| target (.mpy) | result |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in fp["modules"]:
        t = r["target_mpy_bytes"]
        lines.append("| %s | %d B | %d B | %d B | %d B | %d / %d B | %s | %s |" % (
            r["module"], r["py_bytes"], r["mpy_bytes"], r["mpy_own_bytes"],
            r["romfs_bytes"], r["floor_mpy_bytes"], r["floor_romfs_bytes"],
            "<= %d B" % t if t else "-",
            (r["status"] + (" (below the API floor)" if r["target_below_floor"] else ""))
            if r["status"] else "-"))
    arches = fp["arches"]
    lines += ["", "| module: .mpy bytes installed (loaded) | %s |" % " | ".join(arches),
              "|---|%s" % ("---:|" * len(arches))]
    for r in fp["mpy_modules"]:
        lines.append("| %s | %s |" % (r["module"], " | ".join(
            "%d (%d)" % (r["installed"][a], r["loaded"][a]) for a in arches)))
    c = fp["core_mpy"]
    lines += ["", "core (%s) .mpy on %s: %d B (target <= %d B): %s" % (
        ", ".join(c["modules"]), c["arch"], c["bytes"][c["arch"]], c["target_bytes"],
        c["status"].upper()), "",
        "| object | n | bytes for n | per slot/block beyond its data | fixed | target |",
        "|---|---:|---:|---:|---:|---|"]
    for m in fp["metadata"]:
        lines.append("| %s | %d | %d | %s | %d B | %s |" % (
            m["label"], m["n"], m["bytes_n"],
            "-" if m["per_item_bytes"] is None else "%g B" % m["per_item_bytes"],
            m["fixed_bytes"], "<= %d B: %s" % (m["target_bytes"], m["status"])
            if m["target_bytes"] is not None else "-"))
    return "\n".join(lines)


# ---- the 32-bit board: [armv7m] under qemu ---------------------------------------------

BOARD_LANE = "armv7m"
BOARD_NOTE = (
    "MicroPython v1.29 firmware for an emulated Cortex-M3 (qemu mps2-an385, the [armv7m] "
    "test lane: tests/lanes/qemu.py, firmware from ../shared/runtimes/qemu), 140 KiB heap, "
    "the library as armv7m .mpy. RAM after import is gc.mem_alloc() after minus before, "
    "one fresh boot per row; here the viper kernels' machine code is on the heap, so "
    "these are the numbers a board pays. ROMFS: the .mpy in the ROMFS partition (bytecode "
    "read in place). Filesystem: the same files served by a read-only VFS whose files "
    "are plain streams, so import copies them into the heap as from FAT/littlefs.")
# A read-only filesystem over the image's /rom/lib whose files are streams (io.BytesIO):
# import then loads .mpy files as from a board's FAT/littlefs (nothing mapped in place).
BOARD_FS_PRELUDE = """\
import vfs, io, os
_stat = os.stat
class CopyFS:
    def mount(self, ro, mkfs):
        pass
    def umount(self):
        pass
    def stat(self, p):
        return _stat('/rom/lib' + p)
    def open(self, p, mode):
        with open('/rom/lib' + p, 'rb') as f:
            return io.BytesIO(f.read())
vfs.mount(CopyFS(), '/fs')
"""

def board_lane():
    """The [armv7m] lane object (tests/lanes/qemu.py), or (None, why it is missing)."""
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    try:
        from lanes import qemu
    finally:
        sys.path.pop(0)
    lane = [x for x in qemu.LANES if x.name == BOARD_LANE][0]
    return lane, lane.unavailable()


def board_image(lane, out, programs=()):
    """ROMFS image: the library as armv7m .mpy at /rom/lib/mpalloc, the device programs
    ``programs`` (tools/device/<name>.py, compiled) at /rom."""
    tree = os.path.join(out, "board")
    lib = os.path.join(tree, "lib")
    build_mpy((lane.arch,), out)
    os.makedirs(lib)
    shutil.copytree(os.path.join(out, lane.arch, "mpalloc"), os.path.join(lib, "mpalloc"))
    for name in programs:
        lane._compile(os.path.join(DEVICE, name + ".py"), os.path.join(tree, name + ".mpy"))
    return romfs_image(tree, os.path.join(out, "board.romfs"))


def run_board(lane, image, script, tag, timeout=600):
    out, tail = lane.run_code(script, timeout, image)
    for line in out.splitlines():
        if line.startswith(tag + " "):
            return ast.literal_eval(line[len(tag) + 1:])
    raise RuntimeError("the board printed no %s line (%s):\n%s" % (tag, tail, out[-3000:]))


def board_modules(lane, image):
    """RAM after import per public module (and the whole library) on the board, from the
    ROMFS image and from a filesystem that copies files into the heap."""
    mods = public_modules()
    rows = []
    for mod in mods + [WHOLE]:
        steps = [[m] for m in mods] if mod == WHOLE else [[mod]]
        row = {"module": mod}
        for kind, path, prelude in (("romfs", "/rom/lib", ""),
                                    ("fs", "/fs", BOARD_FS_PRELUDE)):
            got, _ = run_board(lane, image, prelude + RAM_SCRIPT % {
                "path": [path, ".frozen"], "steps": steps}, "@@RAM")
            row[kind + "_bytes"] = sum(got)
        rows.append(row)
    return rows


def board_modules_table(b):
    lines = ["| module (%s, %s) | RAM after import, ROMFS | RAM after import, filesystem |"
             % (b["lane"], b["machine"]), "|---|---:|---:|"]
    for r in b["modules"]:
        lines.append("| %s | %s | %s |" % (r["module"], kb(r["romfs_bytes"]), kb(r["fs_bytes"])))
    return "\n".join(lines)
