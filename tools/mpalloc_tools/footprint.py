"""RAM after import on the emulated boards: per public module, per use case, per name.

    tools/footprint                          # every module and use case, armv7m + rv32
    tools/footprint --lane armv7m ring slab  # just these rows, one lane
    tools/footprint --names ring             # what each name of mpalloc.ring costs
    tools/footprint --instances              # per-instance RAM of each allocator
    tools/footprint --json build/footprint.json

RAM after import = ``gc.mem_alloc()`` after minus before (two collections each side),
one fresh boot of the board's MicroPython firmware per row and kind (qemu, the
[armv7m]/[rv32] test lanes: tests/lanes/qemu.py). On these boards the viper kernels'
machine code lives on the heap, so these are the numbers a board pays. Kinds:

    mpy     the library as .mpy read from a filesystem (a read-only VFS whose files are
            plain streams: import copies bytecode into the heap, as from FAT/littlefs)
    romfs   the same .mpy files in the ROMFS partition (bytecode read in place)
    pure    as ``mpy`` without the viper kernels (``tools/deploy --pure``)
    romfs_pure  as ``romfs`` without the kernels: no bytecode and no machine code in RAM,
            the nearest measurable stand-in for freezing (frozen code also keeps the
            kernels' machine code and the interned names in flash)
    py      the .py sources from a filesystem (what mip installs): compiled on the board

Rows are public modules (``ring`` = ``import mpalloc.ring`` with everything it loads),
``whole`` (every public module) and use cases: ``uart`` (import global_slab, configure
SLAB_1K_32, one GlobalDeque with a line in it; the slab's 1 KB data buffer not counted),
``bytering`` (import ring, one ByteRing(256); its 256 bytes not counted), ``objectpool``
(ObjectPool of 8 bytearray(32); the 8 objects not counted) and ``formatter`` (FixedStr(64)
and a Format rendered once; the 64 bytes not counted).
The device side is tools/device/footprint_mp.py; budgets held by tests/test_host_footprint.py.

The same module serves tools/bench: RAM after import per public module on the x64 unix
port (.py / .mpy / ROMFS, the API floor), .mpy bytes per arch, metadata per slot
(``footprint(exe)``), these boards' rows (``boards()``) and the image its board cases run
from (``BoardImage``); tools/report renders their tables.
"""

import argparse
import ast
import builtins
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile

from mpalloc_tools import DEVICE, ROOT, build, deploy, package
from mpalloc_tools.mdtable import kb, table

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


def romfs_image(tree, path):
    """Write a ROMFS image of ``tree`` (a directory holding mpalloc/), packed the way
    tools/deploy --romfs packs it."""
    with open(path, "wb") as f:
        f.write(deploy.pack_romfs(tree))
    return path


# The API floor: a package with the same public names as ours (from the .pyi stubs, which a
# test keeps in step with the modules) and nothing else: every class with its methods as
# empty functions, every function empty, every constant None. What that costs after import
# is the least a Python implementation of this API pays on this port (module, class and
# function objects, their dicts and names), before a single line of work.
def floor_source(stub_text):
    """Python source of the API skeleton for one .pyi stub."""
    defined, out = set(), []
    for node in ast.parse(stub_text).body:
        for kind, part in ((ast.ImportFrom, floor_import), (ast.ClassDef, floor_class),
                           (ast.FunctionDef, floor_function), (ast.AnnAssign, floor_names),
                           (ast.Assign, floor_names)):
            if isinstance(node, kind):
                out += part(node, defined)
    return "\n".join(out) + "\n"


def floor_import(node, defined):
    if not (node.module or "").startswith("mpalloc"):
        return []
    defined.update(a.asname or a.name for a in node.names)
    return ["from %s import %s" % (node.module, ", ".join(a.name for a in node.names))]


def floor_class(node, defined):
    bases = [b.id for b in node.bases if isinstance(b, ast.Name)
             and (b.id in defined or hasattr(builtins, b.id))]
    methods = list(dict.fromkeys(item.name for item in node.body
                                 if isinstance(item, ast.FunctionDef)))
    defined.add(node.name)
    return (["class %s%s:" % (node.name, "(%s)" % ", ".join(bases) if bases else "")]
            + (["    def %s(*a):\n        pass" % m for m in methods] or ["    pass"]))


def floor_function(node, defined):
    if node.name in defined:  # an overload seen before
        return []
    defined.add(node.name)
    return ["def %s(*a):\n    pass" % node.name]


def floor_names(node, defined):
    names = [t.id for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
             if isinstance(t, ast.Name) and not t.id.startswith("_")]
    defined.update(names)
    return ["%s = None" % n for n in names]


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


# ---- tools/footprint: RAM after import on the qemu boards -----------------------------

BOARD_LANES = ("armv7m", "rv32")
KINDS = ("mpy", "romfs")
KIND_TITLES = {"mpy": ".mpy", "romfs": "ROMFS"}
ALL_KINDS = ("mpy", "romfs", "pure", "romfs_pure", "py")
# use case -> (modules imported first, tools/device/footprint_mp.py CASES key)
CASES = {"uart": ("mpalloc.global_slab", "uart"),
         "bytering": ("mpalloc.ring", "ring"),
         "objectpool": ("mpalloc.pool", "pool"),
         "formatter": ("mpalloc.fixed", "fixedstr")}
CASE_LABELS = {"uart": "UART queue: global_slab + configure(SLAB_1K_32) + one GlobalDeque "
                       "(slab data not counted)",
               "bytering": "ByteRing(256) alone (its 256 B not counted)",
               "objectpool": "ObjectPool of 8 bytearray(32) (the objects not counted)",
               "formatter": "FixedStr(64) + Format rendered once (the 64 B not counted)"}
WHOLE_ROW = "whole"

# A read-only filesystem over a directory of the image whose files are plain streams:
# import then loads files as from a board's FAT/littlefs (nothing mapped in place, no
# whole-file buffer).
STREAM_FS_PRELUDE = """\
import vfs, io, os
_stat = os.stat
class _File(io.IOBase):
    # A plain stream over the ROMFS file: import must copy what it reads.
    def __init__(self, f):
        self._f = f
    def readinto(self, buf):
        return self._f.readinto(buf)
    def ioctl(self, op, arg):
        if op == 4:  # MP_STREAM_CLOSE
            self._f.close()
            return 0
        return -1
class CopyFS:
    def mount(self, ro, mkfs):
        pass
    def umount(self):
        pass
    def stat(self, p):
        return _stat(%(root)r + p)
    def open(self, p, mode):
        return _File(open(%(root)r + p, 'rb'))
vfs.mount(CopyFS(), '/fs')
"""


class FootprintError(Exception):
    pass


def _tests_path():
    path = os.path.join(ROOT, "tests")
    if path not in sys.path:
        sys.path.insert(0, path)


def lanes():
    """{name: lane} of the qemu lanes (tests/lanes/qemu.py)."""
    _tests_path()
    from lanes import qemu

    return {x.name: x for x in qemu.LANES}


def module_names():
    """Public modules, short names, in the report's order."""
    return [m.split(".", 1)[1] for m in public_modules()]


def rows_for(targets):
    """Row ids for ``targets`` (module short names, use cases, ``whole``); all if empty."""
    mods = module_names()
    every = mods + list(CASES) + [WHOLE_ROW]
    if not targets:
        return every
    out = []
    for t in targets:
        t = t.replace("mpalloc.", "")
        if t not in every:
            raise FootprintError("unknown row %r: modules %s; use cases %s; or %s"
                                 % (t, ", ".join(mods), ", ".join(CASES), WHOLE_ROW))
        out.append(t)
    return out


def steps_for(row):
    """(import steps, use case key or None) of a row."""
    if row == WHOLE_ROW:
        return ["mpalloc." + m for m in module_names()], None
    if row in CASES:
        mod, case = CASES[row]
        return [mod], case
    return ["mpalloc." + row], None


class BoardImage:
    """ROMFS images for one lane: the library as .mpy at /rom/lib/mpalloc (without its
    kernels at /rom/pure/mpalloc, as sources at /rom/py/mpalloc), the device ``programs``
    (tools/device/<name>.py, compiled) at /rom."""

    def __init__(self, lane, out, programs=("footprint_mp",)):
        self.lane = lane
        tree = os.path.join(out, "tree")
        try:
            build.build(lane.arch, out)
        except SystemExit as e:
            raise FootprintError(str(e))
        src = os.path.join(out, lane.arch, "mpalloc")
        shutil.copytree(src, os.path.join(tree, "lib", "mpalloc"))
        shutil.copytree(src, os.path.join(tree, "pure", "mpalloc"),
                        ignore=lambda d, names: [n for n in names if n.endswith("_viper.mpy")])
        shutil.copytree(build.PKG, os.path.join(tree, "py", "mpalloc"),
                        ignore=lambda d, names: [n for n in names if not n.endswith(".py")])
        for name in programs:
            lane._compile(os.path.join(DEVICE, name + ".py"), os.path.join(tree, name + ".mpy"))
        self.path = os.path.join(out, "footprint.romfs")
        with open(self.path, "wb") as f:
            f.write(deploy.pack_romfs(tree))
        self.mpy_bytes = {n: os.path.getsize(os.path.join(src, n)) for n in os.listdir(src)}

    def run(self, kind, mode, modules, case, timeout=300):
        if kind in ("romfs", "romfs_pure"):
            prelude, path = "", "/rom/lib" if kind == "romfs" else "/rom/pure"
        else:
            prelude = STREAM_FS_PRELUDE % {"root": {"pure": "/rom/pure", "py": "/rom/py"}.get(
                kind, "/rom/lib")}
            path = "/fs"
        code = (prelude + "import footprint_mp\nfootprint_mp.main(%r, %r, %r, %r)\n"
                % (mode, path, list(modules), case))
        out, tail = self.lane.run_code(code, timeout, self.path)
        for line in out.splitlines():
            if line.startswith("@@FP "):
                return ast.literal_eval(line[5:])
        raise FootprintError("[%s] %s %s: the board printed no result (%s):\n%s"
                             % (self.lane.name, mode, " ".join(modules), tail, out[-3000:]))


def measure_row(image, kind, row):
    steps, case = steps_for(row)
    got = image.run(kind, "import", steps, case)
    total = sum(got["steps"])
    rec = {"import_bytes": total, "loaded": got["loaded"]}
    if case:
        rec["case_bytes"] = got["case"]
        rec["data_bytes"] = got["data"]
        total += got["case"] - got["data"]
    if row == WHOLE_ROW:
        rec["steps"] = dict(zip(steps, got["steps"]))
    rec["bytes"] = total
    return rec


def measure_names(image, kind, row):
    steps, _ = steps_for(row)
    got = image.run(kind, "names", steps, None)
    return {"import_bytes": got["total"], "names": got["names"], "loaded": got["loaded"]}


def run_jobs(jobs, workers):
    """Run [(key, fn, args)] on ``workers`` threads (each job boots its own qemu)."""
    out = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as ex:
        futs = {ex.submit(fn, *args): key for key, fn, args in jobs}
        for f in concurrent.futures.as_completed(futs):
            out[futs[f]] = f.result()
    return out


def measure(lane_names=BOARD_LANES, rows=None, kinds=KINDS, names=(), instances=False, workers=2):
    """{"lanes": {lane: {"rows": {row: {kind: rec}}, "names": ..., "instances": ...}}};
    ``rows`` None: every row, [] none."""
    rows = rows_for(()) if rows is None else rows_for(rows) if rows else []
    all_lanes = lanes()
    result = {"lanes": {}, "skipped": {}}
    with tempfile.TemporaryDirectory(prefix="mpalloc-footprint-") as out:
        images = {}
        for name in lane_names:
            if name not in all_lanes:
                raise FootprintError("unknown lane %r: %s" % (name, ", ".join(all_lanes)))
            why = all_lanes[name].unavailable()
            if why:
                result["skipped"][name] = why
            else:
                images[name] = BoardImage(all_lanes[name], os.path.join(out, name))
        jobs = [job for name, image in images.items()
                for job in lane_jobs(name, image, rows, names, kinds, instances)]
        got = run_jobs(jobs, workers)
        for name, image in images.items():
            result["lanes"][name] = lane_result(all_lanes[name], image,
                                                {k[1:]: v for k, v in got.items()
                                                 if k[0] == name})
    return result


def lane_jobs(name, image, rows, names, kinds, instances):
    """run_jobs' [(key, fn, args)] for one lane's image."""
    jobs = [((name, "rows", row, kind), measure_row, (image, kind, row))
            for row in rows for kind in kinds]
    jobs += [((name, "names", row, kind), measure_names, (image, kind, row))
             for row in names for kind in kinds]
    if instances:
        jobs.append(((name, "instances", None, "romfs"),
                     lambda im: im.run("romfs", "instances", (), None)["instances"],
                     (image,)))
    return jobs


def lane_result(lane, image, got):
    """One lane's part of measure()'s result from its jobs' {(what, row, kind): rec}."""
    res = {"arch": lane.arch, "firmware": os.path.basename(lane.firmware()),
           "rows": {}, "names": {}, "mpy_file_bytes": image.mpy_bytes}
    for (what, row, kind), rec in got.items():
        if what == "instances":
            res["instances"] = [
                {"id": k, "label": label, "n": n, "bytes_n": one, "bytes_2n": two,
                 "fixed_bytes": 2 * one - two, "per_item_bytes": (two - one) / n if n else None}
                for k, label, n, one, two in rec]
        else:
            res[what].setdefault(row, {})[kind] = rec
    return res


BUDGETS = os.path.join(ROOT, "tests", "footprint_budgets.json")
BUDGET_LANE, BUDGET_KIND = "armv7m", "mpy"
GOALS = {"ring": 4 * 1024, "slab": 4 * 1024, "uart": 10 * 1024, WHOLE_ROW: 40 * 1024}  # issue 16


MARGIN_PERCENT, MARGIN_MIN = 2, 256


def budget_for(row, measured):
    """The goal when it is met, else the measured bytes plus a small margin
    (MARGIN_PERCENT, at least MARGIN_MIN bytes, rounded up to 64 B)."""
    goal = GOALS.get(row)
    if goal is not None and measured <= goal:
        return goal
    margin = max(MARGIN_MIN, measured * MARGIN_PERCENT // 100)
    return -(-(measured + margin) // 64) * 64


def budget_text(table):
    """tests/footprint_budgets.json, one row per line (rows merge line by line)."""
    head = {k: v for k, v in table.items() if k != "rows"}
    lines = ["{"] + ["  %s: %s," % (json.dumps(k), json.dumps(v)) for k, v in head.items()]
    lines.append('  "rows": {')
    rows = ["    %s: %s" % (json.dumps(r), json.dumps(table["rows"][r])) for r in table["rows"]]
    lines.append(",\n".join(rows))
    lines += ["  }", "}"]
    return "\n".join(lines) + "\n"


def write_budgets(result):
    """Set every budget in tests/footprint_budgets.json from ``result`` (armv7m, mpy),
    keeping each row's note; returns the lines saying what changed."""
    with open(BUDGETS) as f:
        table = json.load(f)
    rows = result["lanes"][BUDGET_LANE]["rows"]
    out, new = [], {}
    for row in rows_for(()):
        old = table["rows"].get(row, {})
        got = rows[row][BUDGET_KIND]["bytes"]
        rec = {"budget": budget_for(row, got), "measured": got}
        if row in GOALS:
            rec["goal"] = GOALS[row]
        if old.get("note"):
            rec["note"] = old["note"]
        new[row] = rec
        if old.get("budget") != rec["budget"]:
            out.append("%s: budget %s -> %d B (measured %d B)"
                       % (row, old.get("budget", "-"), rec["budget"], got))
    table["rows"] = new
    with open(BUDGETS, "w") as f:
        f.write(budget_text(table))
    return out


def rows_table(result, kinds):
    cols = [(ln, k) for ln in result["lanes"] for k in kinds]
    order = next(iter(result["lanes"].values()))["rows"] if result["lanes"] else {}
    return "\n".join(table(["RAM after import"] + ["%s %s" % c for c in cols],
                            "l" + "r" * len(cols), [
        [row_label(row)] + [cell(result["lanes"][ln]["rows"].get(row, {}).get(k), True)
                            for ln, k in cols]
        for row in rows_for(()) if row in order]))


def cell(rec, with_bytes=False):
    """A measured row's cell: its KB (and bytes), or "-"."""
    if rec is None:
        return "-"
    return "%s (%d B)" % (kb(rec["bytes"]), rec["bytes"]) if with_bytes else kb(rec["bytes"])


def names_table(lane, row, kind, rec):
    """Per name, most expensive first, with the residual import cost no name holds."""
    steps, _ = steps_for(row)
    per_mod = {}
    for mod, name, n in rec["names"]:
        per_mod.setdefault(mod, []).append((name, n))
    rows = []
    for mod, names in per_mod.items():
        rows.append(("**%s**" % mod, "(all)", "**%d**" % sum(n for _, n in names)))
        rows += [(mod, name or "(module object, dict)", n)
                 for name, n in sorted(names, key=lambda x: -x[1]) if n]
    rows.append(("-", "not freed (interned names: qstr pool; fragments)",
                 rec["import_bytes"] - sum(n for _, _, n in rec["names"])))
    return "\n".join(["%s %s: import %s = %d B; per name (bytes freed when it alone is "
                      "deleted, in this order; an object several names share counts at the "
                      "last one):" % (lane, kind, ", ".join(steps), rec["import_bytes"])]
                     + table(("module", "name", "bytes"), "llr", rows))


def packages_table(result, lane, kinds):
    """Per mip package (tools/package): what it installs (with its deps) and what
    importing its module costs, for the README's install section."""
    g = package.graph()
    res = result["lanes"][lane]
    rows = []
    for name in sorted(g, key=lambda n: (n != "core", n)):
        files = package.files_for([name], g)
        flash = sum(res["mpy_file_bytes"][f[:-3] + ".mpy"] for f in files)
        rows.append([name, len(files), kb(flash)]
                    + [cell(res["rows"].get(name, {}).get(k)) for k in kinds])
    return "\n".join(table(["mip package (with its deps)", "files", "flash, %s .mpy"
                            % res["arch"]] + ["RAM after import, %s" % k for k in kinds],
                           "lrr" + "r" * len(kinds), rows))


def instances_table(lane, recs):
    return "\n".join(["%s: per-instance RAM (bytes one more object keeps alive, built "
                      "after a first one; library from ROMFS)" % lane] + table(
        ("object", "n", "bytes for n", "bytes for 2n", "fixed", "per item"), "lrrrrr", [(
            r["label"], r["n"], r["bytes_n"], r["bytes_2n"], r["fixed_bytes"],
            "-" if r["per_item_bytes"] is None else "%g" % r["per_item_bytes"])
            for r in recs]))


# ---- for tools/bench and tools/report -------------------------------------------------------

BOARDS_NOTE = (
    "RAM after import = gc.mem_alloc() after minus before, one fresh boot of MicroPython "
    "v1.29 firmware per row under qemu: [armv7m] Cortex-M3 (mps2-an385), [rv32] RV32IMC "
    "(virt), 140 KiB heap each (tools/footprint; the [armv7m]/[rv32] test lanes). The viper "
    "kernels' machine code is on the heap there, so these are the numbers a board pays. "
    ".mpy: the library as .mpy read from a filesystem (import copies bytecode into the "
    "heap, as from FAT/littlefs); ROMFS: the same files in the ROMFS partition (bytecode "
    "read in place; machine code still copied). Use cases count the objects they build, "
    "not the payload the user sizes (the slab's data buffer, the ring's bytes). Budget: "
    "the bound tests/test_host_footprint.py holds on [armv7m] .mpy "
    "(tests/footprint_budgets.json); goal: issue 16's.")


def boards(workers=2):
    """Every row on [armv7m] and [rv32] (.mpy and ROMFS), per-instance RAM on [armv7m],
    and the budget table: the JSON tools/bench stores as "footprint_boards"."""
    result = measure(BOARD_LANES, rows=None, kinds=KINDS, workers=workers)
    if BUDGET_LANE in result["lanes"]:
        image_free = measure((BUDGET_LANE,), rows=[], kinds=(), instances=True,
                             workers=workers)
        result["lanes"][BUDGET_LANE]["instances"] = (
            image_free["lanes"][BUDGET_LANE]["instances"])
    with open(BUDGETS) as f:
        result["budgets"] = json.load(f)
    result["note"] = BOARDS_NOTE
    result["labels"] = {row: row_label(row) for row in rows_for(())}
    return result


def row_label(row):
    return CASE_LABELS.get(row) or ("whole library" if row == WHOLE_ROW else "mpalloc." + row)


def boards_markdown(d):
    """The footprint section for docs/benchmarks.md from boards()' JSON."""
    if not d.get("lanes"):
        return "Not measured in this run: %s." % "; ".join(
            "[%s] %s" % kv for kv in d.get("skipped", {}).items())
    lanes_ = [ln for ln in BOARD_LANES if ln in d["lanes"]]
    budgets = d["budgets"]["rows"]
    lines = [d["note"], ""] + table(
        ["RAM after import"] + ["%s %s" % (ln, KIND_TITLES[k]) for ln in lanes_ for k in KINDS]
        + ["budget ([armv7m] .mpy)", "goal"], "l" + "r" * (len(lanes_) * len(KINDS)) + "rl",
        [[d["labels"].get(row, row)] + [cell(d["lanes"][ln]["rows"].get(row, {}).get(k))
                                        for ln in lanes_ for k in KINDS]
         + budget_cells(d, row) for row in rows_for(())])
    notes = [(row, b["note"]) for row, b in budgets.items() if b.get("note")]
    if notes:
        lines += [""] + ["- %s: %s" % (d["labels"].get(row, row), n) for row, n in notes]
    inst = d["lanes"].get(BUDGET_LANE, {}).get("instances")
    if inst:
        lines += ["", instances_table(BUDGET_LANE, inst)]
    return "\n".join(lines)


def budget_cells(d, row):
    """A row's budget and its goal with pass/miss on [armv7m] .mpy."""
    b = d["budgets"]["rows"].get(row, {})
    got = d["lanes"].get(BUDGET_LANE, {}).get("rows", {}).get(row, {}).get(BUDGET_KIND)
    goal = b.get("goal")
    return [kb(b["budget"]) if "budget" in b else "-",
            "-" if goal is None or got is None else "<= %s: **%s**" % (
                kb(goal), "pass" if got["bytes"] <= goal else "miss")]


def headline(d):
    """[(label, bytes, goal or None)] for the README summary: [armv7m] .mpy."""
    rows = d.get("lanes", {}).get(BUDGET_LANE, {}).get("rows", {})
    return [(d["labels"][row], rows[row][BUDGET_KIND]["bytes"], GOALS.get(row))
            for row in ("ring", "slab", "uart", WHOLE_ROW) if row in rows]


def tables(result, kinds, names, packages):
    """tools/footprint's printed tables: the rows (unless --names), each lane's packages,
    per-name breakdowns and per-instance RAM."""
    out = [] if names else [rows_table(result, kinds)]
    if packages:
        out += [packages_table(result, lane, kinds) for lane in result["lanes"]]
    for lane, res in result["lanes"].items():
        out += [names_table(lane, row, kind, rec) for row, by_kind in res["names"].items()
                for kind, rec in by_kind.items()]
        if "instances" in res:
            out.append(instances_table(lane, res["instances"]))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n", 1)[1])
    ap.add_argument("rows", nargs="*", help="modules (ring, slab, ...), use cases (%s) or "
                    "%s; default: all" % (", ".join(CASES), WHOLE_ROW))
    ap.add_argument("--lane", action="append", help="armv7m, rv32 or armv6m (repeatable; "
                    "default armv7m and rv32)")
    ap.add_argument("--kind", action="append", choices=ALL_KINDS,
                    help="repeatable, default mpy and romfs (the kinds are described below)")
    ap.add_argument("--names", action="store_true",
                    help="per-name breakdown of the given rows instead of the row table")
    ap.add_argument("--instances", action="store_true", help="per-instance RAM too")
    ap.add_argument("--packages", action="store_true",
                    help="per mip package: files, flash and RAM after import")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="boards booted at once")
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--write-budgets", action="store_true",
                    help="measure every row on armv7m (.mpy) and set the budgets in "
                         "tests/footprint_budgets.json (goal if met, else measured + margin)")
    args = ap.parse_args(argv)
    lanes_ = args.lane or list(BOARD_LANES)
    kinds = args.kind or list(KINDS)
    if args.write_budgets:
        lanes_, kinds, args.rows = [BUDGET_LANE], [BUDGET_KIND], []
    try:
        if args.names:
            result = measure(lanes_, rows=[], kinds=kinds, names=rows_for(args.rows),
                             workers=args.jobs)
        else:
            result = measure(lanes_, rows=args.rows or None, kinds=kinds,
                             instances=args.instances, workers=args.jobs)
    except FootprintError as e:
        print("tools/footprint: error: %s" % e, file=sys.stderr)
        return 2
    for lane, why in result["skipped"].items():
        print("[%s] skipped: %s" % (lane, why))
    text = "\n\n".join(tables(result, kinds, args.names, args.packages))
    if text:
        print(text)
    if args.write_budgets:
        if BUDGET_LANE not in result["lanes"]:
            print("tools/footprint: error: [%s] unavailable, budgets unchanged" % BUDGET_LANE,
                  file=sys.stderr)
            return 2
        print("\n".join(write_budgets(result)) or "budgets unchanged")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
            f.write("\n")
    return 0
