"""tools/bench --quick runs against the unix port and writes JSON of the documented shape.

Host-only (CPython): it starts tools/bench as a subprocess. It checks the schema, that
every case ran and that ratios are positive; never the timings themselves.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

from mpalloc_tools import build, footprint

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Issue 15's goals as declared in tools/device/bench_*.py: case -> (baseline, target).
GOALS = {"ring_put_get": ("ringio_1", 1.0), "ring_128": ("ringio_128", 1.5),
         "ring_1024": ("ringio_1024", 1.6), "slab_48": ("bytearray_64", 0.9),
         "blockpool_lifo": ("bytearray_64", 1.0), "arena_take": ("bytearray_64", 1.0),
         "bytedeque_1_held": ("ringio_1", 1.0), "bytedeque_1_idle": ("ringio_1", 1.0)}
BOARD_GOALS = {"ring_put_get": ("ringio_1", 1.0), "slab_48": ("bytearray_64", 1.2)}
NUMBER = (int, float)
FAMILIES = ("bytebuf", "arena", "pool", "fixed", "memops", "lines")
PUBLIC = ("errors", "ring", "slab", "bytebuf", "global_slab", "aio", "arena", "stack", "pool",
          "fixed", "memops", "observe")
ARCHES = ("armv6m", "armv7emsp", "rv32imc", "xtensawin")


def micropython_binary():
    exe = build.find_micropython()  # None, too, when $MICROPYTHON names nothing runnable
    return exe if exe and (os.path.exists(exe) or shutil.which(exe)) else None


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    exe = micropython_binary()
    if exe is None:
        pytest.skip("no MicroPython unix port (set MICROPYTHON or run `make venv`)")
    path = tmp_path_factory.mktemp("bench") / "bench.json"
    env = dict(os.environ, MICROPYTHON=exe)
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "bench"), "--quick",
                           "--json", str(path)], capture_output=True, text=True, env=env,
                          timeout=1200, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(path) as f:
        return json.load(f), proc.stdout


def test_meta(bench):
    data, _ = bench
    assert data["schema"] == 4
    meta = data["meta"]
    for key in ("date", "host", "micropython", "rounds", "windows", "window_ms", "gc_ms",
                "quick", "empty_loop_ns", "ring_kernel", "slab_kernel", "method"):
        assert key in meta, key
    assert meta["quick"] is True
    for key in ("rounds", "windows", "window_ms", "gc_ms"):
        assert isinstance(meta[key], int) and meta[key] >= 1, key
    assert isinstance(meta["date"], str) and meta["date"][:2] == "20"
    assert "MicroPython" in meta["micropython"]["sys_version"]
    assert meta["micropython"]["implementation"]["name"] == "micropython"
    assert meta["ring_kernel"] in ("viper", "py")
    assert meta["slab_kernel"] in ("viper", "py")
    assert isinstance(meta["empty_loop_ns"], NUMBER) and meta["empty_loop_ns"] > 0


def test_every_case_ran(bench):
    data, _ = bench
    rows = {r["id"]: r for r in data["cases"]}
    assert len(rows) == len(data["cases"]), "case ids must be unique"
    for cid, r in rows.items():
        for key in ("group", "label", "note", "iterations", "rounds", "family", "floor",
                    "summary", "gc", "basis"):
            assert key in r, (cid, key)
        assert r["family"] in ("core",) + FAMILIES, (cid, r["family"])
        assert isinstance(r["label"], str) and r["label"], cid
        assert isinstance(r["iterations"], int) and r["iterations"] > 0, cid
        assert r["rounds"] == data["meta"]["rounds"], cid
        for key in ("ns_median", "ns_min", "ns_max"):
            assert isinstance(r[key], NUMBER) and r[key] > 0, (cid, key, r[key])
        assert r["ns_min"] <= r["ns_median"] <= r["ns_max"], cid
        if r["gc"]:  # an allocating case is also timed GC-inclusive
            assert r["ns_gc_median"] > 0, cid


def test_ratios(bench):
    data, _ = bench
    rows = {r["id"]: r for r in data["cases"]}
    for cid, r in rows.items():
        for ref in (r["baseline"], r["floor"]):
            assert ref is None or ref in rows, (cid, ref)  # declared cases only
        if r["baseline"] is None:
            assert r["ratio"] is None and r["target"] is None, cid
            continue
        for key in ("ratio", "ratio_min", "ratio_max", "ratio_short"):
            assert isinstance(r[key], float) and r[key] > 0, (cid, key, r[key])
        assert r["ratio_min"] <= r["ratio_max"], cid
        # GC-inclusive exactly where the baseline allocates, short windows otherwise.
        gc_basis = rows[r["baseline"]]["gc"]
        assert r["basis"] == ("GC-inclusive" if gc_basis else "short windows"), cid
        assert (r["ratio_gc"] is not None) == gc_basis, cid
        assert r["ratio"] == (r["ratio_gc"] if gc_basis else r["ratio_short"]), cid
        assert r["ratio_min"] <= r["ratio"] <= r["ratio_max"], cid
        assert (r["floor_ratio"] is not None) == (r["floor"] is not None), cid
        assert r["floor_label"] == (rows[r["floor"]]["label"] if r["floor"] else None), cid
        if r["floor"] is None:  # the floor read against the bound, the case against it
            assert r["over_floor"] is None and r["floor_above_bound"] is None, cid
        else:
            assert r["over_floor"] == pytest.approx(r["ratio"] / r["floor_ratio"]), cid
            assert r["floor_above_bound"] == (None if r["target"] is None
                                              else r["floor_ratio"] > r["target"]), cid
        if r["target"] is not None:
            assert r["status"] == ("pass" if r["ratio"] <= r["target"] else "miss"), cid
    for cid, (base, target) in GOALS.items():
        assert (rows[cid]["baseline"], rows[cid]["target"]) == (base, target), cid
        assert rows[cid]["floor"] is not None, cid  # a miss can always be explained
    assert rows["bytearray_64"]["gc"] and rows["slab_48"]["basis"] == "GC-inclusive"


def test_every_kernel_against_its_twin(bench):
    # A row per viper kernel module: <stem>_..._viper against <stem>_..._py, target 0.5.
    data, _ = bench
    rows = {r["id"]: r for r in data["cases"]}
    lib = os.path.join(ROOT, "lib", "mpalloc")
    kernels = sorted(n[1:-len("_viper.py")] for n in os.listdir(lib)
                     if n.startswith("_") and n.endswith("_viper.py"))
    assert kernels
    for stem in kernels:
        twins = [r for cid, r in rows.items()
                 if cid.startswith(stem + "_") and cid.endswith("_viper")]
        assert twins, "no kernel-vs-twin row for _%s_viper" % stem
        for r in twins:
            assert r["baseline"] == r["id"][:-len("viper")] + "py", r["id"]
            assert r["target"] == 0.5 and r["ratio"] is not None, r["id"]
    kernel_targets = [t for t in data["targets"] if t["kind"] == "kernel"]
    assert {t["id"] for t in kernel_targets} == {cid for cid in rows if cid.endswith("_viper")
                                                and rows[cid]["target"] is not None}


def test_summary_rows_are_declared(bench):
    # README's headline rows come from summary= in the case declarations.
    data, _ = bench
    named = [r for r in data["cases"] if r["summary"]]
    assert {"ByteRing", "Slab"} <= {r["summary"] for r in named}
    assert all(r["baseline"] is not None for r in named)


def test_footprint_ram_per_module(bench):
    data, _ = bench
    fp = data["footprint"]
    mods = {r["module"]: r for r in fp["modules"]}
    assert {"mpalloc." + m for m in PUBLIC} | {"(whole library)"} <= set(mods)
    for name, r in mods.items():
        for kind in ("py", "mpy"):
            assert isinstance(r[kind + "_bytes"], int) and r[kind + "_bytes"] > 0, name
            assert 0 < r[kind + "_own_bytes"] <= r[kind + "_bytes"], name
        if name.startswith("mpalloc."):
            assert name in r["loads"], name
            assert r["mpy_private_bytes"] <= r["mpy_own_bytes"], name
            assert all(m.startswith("mpalloc._") for m in r["private"]), name
            assert name not in r["deps"], name
    assert mods["mpalloc.ring"]["target_mpy_bytes"] == 1024
    assert mods["(whole library)"]["target_mpy_bytes"] == 12 * 1024
    for r in mods.values():
        t = r["target_mpy_bytes"]
        assert r["status"] == (None if t is None else
                               "pass" if r["mpy_bytes"] <= t else "miss"), r["module"]
    whole = mods["(whole library)"]
    steps = whole["steps"]
    assert [s["module"] for s in steps] == ["mpalloc." + m for m in PUBLIC]
    assert sum(s["mpy_bytes"] for s in steps) == whole["mpy_bytes"]
    # The whole library holds at least as much as its largest single module.
    assert whole["mpy_bytes"] >= max(r["mpy_bytes"] for r in mods.values()) * 0.9
    assert "outside the GC heap" in fp["note"]


def test_footprint_romfs_and_api_floor(bench):
    data, _ = bench
    fp = data["footprint"]
    mods = {r["module"]: r for r in fp["modules"]}
    for name, r in mods.items():
        for kind in ("romfs", "floor_mpy", "floor_romfs"):
            assert isinstance(r[kind + "_bytes"], int) and r[kind + "_bytes"] > 0, (name, kind)
    # Importing from ROMFS maps bytecode and names from the image: less heap than the same
    # .mpy files read from a filesystem, for every module with code (errors is four bare
    # classes: only its objects remain, within allocation granularity).
    for name in ("mpalloc.ring", "mpalloc.slab", "mpalloc.pool", "(whole library)"):
        assert mods[name]["romfs_bytes"] < mods[name]["mpy_bytes"], name
    assert mods["(whole library)"]["romfs_bytes"] < 0.9 * mods["(whole library)"]["mpy_bytes"]
    # The floor is the bare API: our modules do real work on top of it, so each costs at
    # least its floor (tolerance: qstr pools grow in steps, heap blocks are 16 bytes).
    for name, r in mods.items():
        for real, floor in (("mpy", "floor_mpy"), ("romfs", "floor_romfs")):
            assert r[floor + "_bytes"] <= r[real + "_bytes"] + 256, (name, real)
    assert mods["mpalloc.ring"]["floor_mpy_bytes"] < mods["mpalloc.ring"]["mpy_bytes"]
    whole = mods["(whole library)"]
    assert whole["floor_mpy_bytes"] < whole["mpy_bytes"]
    # The skeleton has every public class of the stubs, so the whole library's floor is
    # well above a single module's.
    assert whole["floor_mpy_bytes"] > 2 * mods["mpalloc.ring"]["floor_mpy_bytes"]
    for r in mods.values():
        t = r["target_mpy_bytes"]
        assert r["target_below_floor"] == (None if t is None else r["floor_mpy_bytes"] > t)
    assert "ROMFS" in fp["romfs_note"] and "skeleton" in fp["floor_note"]
    ram = [t for t in data["targets"] if t["kind"] == "ram_after_mpy_import"]
    assert ram and all(t["api_floor"] == mods[t["id"]]["floor_mpy_bytes"] for t in ram)


def test_api_floor_skeleton_matches_stubs(tmp_path):
    """The skeleton has exactly the stubs' public names, and nothing else."""
    stub = (
        "from typing import Any\n"
        "from mpalloc.slab import Slab\n"
        "_Buffer = bytes | Any\n"
        "KERNEL: str\n"
        "class E(ValueError):\n    ...\n"
        "class A(Any):\n"
        "    size: int\n"
        "    def __init__(self, n: int) -> None: ...\n"
        "    @property\n    def used(self) -> int: ...\n"
        "    def put(self, b: int) -> bool: ...\n"
        "def make(n: int) -> A: ...\n")
    src = footprint.floor_source(stub)
    ns = {}
    exec(src.replace("from mpalloc.slab import Slab", "Slab = object"), ns)
    assert sorted(k for k in ns if not k.startswith("__")) == ["A", "E", "KERNEL", "Slab",
                                                                "make"]
    assert issubclass(ns["E"], ValueError) and ns["A"].__bases__ == (object,)
    assert sorted(k for k in vars(ns["A"]) if not k.startswith("__") or k == "__init__") \
        == ["__init__", "put", "used"]
    assert ns["KERNEL"] is None and "_Buffer" not in ns and "size" not in vars(ns["A"])


def test_footprint_mpy_per_arch(bench):
    data, _ = bench
    fp = data["footprint"]
    assert set(ARCHES) <= set(fp["arches"])
    lib = os.path.join(ROOT, "lib", "mpalloc")
    assert set(fp["mpy_files"]) == {n[:-3] + ".mpy" for n in os.listdir(lib)
                                    if n.endswith(".py")}
    for f, sizes in fp["mpy_files"].items():
        for arch in fp["arches"]:
            assert isinstance(sizes[arch], int) and sizes[arch] > 0, (f, arch)
        if not f.endswith("_viper.mpy"):  # bytecode only: the same on every arch
            assert len(set(sizes.values())) == 1, f
    for r in fp["mpy_modules"]:
        assert set(r["loaded_files"]) <= set(r["installed_files"]), r["module"]
        for arch in fp["arches"]:
            assert r["loaded"][arch] == sum(fp["mpy_files"][f][arch]
                                            for f in r["loaded_files"])
            assert r["loaded"][arch] <= r["installed"][arch]
    for r in fp["mpy_modules"]:
        pure = [f for f in r["installed_files"] if not f.endswith("_viper.mpy")]
        for arch in fp["arches"]:
            assert r["installed_pure"][arch] == sum(fp["mpy_files"][f][arch] for f in pure)
    core = fp["core_mpy"]
    assert core["arch"] == "armv6m" and core["target_bytes"] == 6 * 1024
    kernels = [f for f in core["files"] if f.endswith("_viper.mpy")]
    assert {"_ring_viper.mpy", "_slab_viper.mpy"} <= set(kernels)
    assert core["bytes_pure"]["armv6m"] == core["bytes"]["armv6m"] - sum(
        fp["mpy_files"][f]["armv6m"] for f in kernels)
    assert {"errors.mpy", "ring.mpy", "slab.mpy"} <= set(core["files"])
    assert core["status"] == ("pass" if core["bytes"]["armv6m"] <= 6144 else "miss")


def test_footprint_metadata(bench):
    data, _ = bench
    meta = {m["id"]: m for m in data["footprint"]["metadata"]}
    assert {"slab", "blockpool_lifo", "blockpool_fifo", "blockpool_bitmap", "bytering",
            "arena"} <= set(meta)
    for key in ("slab", "blockpool_lifo", "blockpool_fifo", "blockpool_bitmap"):
        m = meta[key]
        # Held bytes grow with the slot count by at least the slots' data.
        assert m["bytes_2n"] - m["bytes_n"] >= m["n"] * 16, key
        assert m["per_item_bytes"] >= 0, key
        assert m["per_item_bytes"] == round((m["bytes_2n"] - m["bytes_n"]) / m["n"] - 16, 2)
    for key in ("bytering", "arena"):
        m = meta[key]
        assert m["fixed_bytes"] == m["bytes_n"] - m["n"] and m["fixed_bytes"] > 0, key
    assert meta["slab"]["target_bytes"] == 4
    assert meta["slab"]["status"] == ("pass" if meta["slab"]["per_item_bytes"] <= 4
                                      else "miss")


def test_targets_list(bench):
    data, _ = bench
    kinds = {t["kind"] for t in data["targets"]}
    assert {"cost_ratio", "kernel", "latency", "ram_after_mpy_import", "mpy_size",
            "metadata"} <= kinds
    if (data.get("footprint_boards") or {}).get("lanes"):  # issue 16's goals on [armv7m]
        assert {t["id"] for t in data["targets"] if t["kind"] == "board_ram"} == {
            label for label, _, goal in footprint.headline(data["footprint_boards"]) if goal}
    for t in data["targets"]:
        assert t["status"] in ("pass", "miss", "missing"), t
        if t["value"] is not None:
            assert t["status"] == ("pass" if t["value"] <= t["target"] else "miss"), t
        if t["kind"] in ("cost_ratio", "kernel", "board_cost_ratio"):
            assert t["lane"] and t["basis"] in ("GC-inclusive", "short windows"), t
    rows = {r["id"]: r for r in data["cases"]}
    ratio_ids = [t["id"] for t in data["targets"] if t["kind"] in ("cost_ratio", "kernel")]
    assert ratio_ids == [cid for cid, r in rows.items() if r["target"] is not None]
    for t in data["targets"]:
        if t["kind"] in ("cost_ratio", "kernel"):
            for key in ("floor_ratio", "over_floor", "floor_above_bound"):
                assert t[key] == rows[t["id"]][key], (t["id"], key)


def test_latency(bench):
    data, _ = bench
    lat = data["latency"]
    assert lat["live_objects"] == 20000
    assert isinstance(lat["ops"], int) and lat["ops"] > 0
    assert isinstance(lat["passes"], int) and lat["passes"] >= 2
    assert lat["target"] == 1 / 500
    for kind in lat["kinds"]:
        d = lat[kind]
        for key in ("worst_us", "median_us", "p99_us", "p999_us", "raw_worst_us",
                    "collections", "allocated"):
            assert isinstance(d[key], NUMBER) and d[key] >= 0, (kind, key, d[key])
        assert d["median_us"] <= d["p99_us"] <= d["p999_us"] <= d["worst_us"], kind
        # Per op the minimum over passes: never above the worst single reading.
        assert d["worst_us"] <= d["raw_worst_us"] == max(d["pass_worst_us"]), kind
        assert len(d["pass_worst_us"]) == lat["passes"], kind
        hist = d["hist"]
        assert sum(n for _, n in hist) == lat["ops"], kind
        assert hist == sorted(hist) and hist[-1][0] == d["worst_us"], kind
    # The slab path allocates nothing, so no collection can start inside it; the heap
    # loop runs with a low gc.threshold, so collections must have happened there.
    assert {"heap", "slab", "ring", "floor"} <= set(lat["kinds"])
    for kind in ("slab", "ring", "floor"):
        assert lat[kind]["collections"] == 0 and lat[kind]["allocated"] == 0, kind
    assert lat["heap"]["collections"] > 0 and lat["heap"]["allocated"] > 0
    for kind, r in lat["ratios"].items():
        want = max(lat[kind]["worst_us"], 1) / max(lat["heap"]["worst_us"], 1)
        assert r["worst_over_heap_worst"] == want, kind
        assert r["status"] == ("pass" if want <= lat["target"] else "miss"), kind
    assert lat["status"] == lat["ratios"]["slab"]["status"]


def test_tables_on_stdout(bench):
    data, out = bench
    assert "| case | ns/op median |" in out
    lines = {}  # label -> its row in the x64 table (the first; the board's comes later)
    for line in out.splitlines():
        if line.startswith("| "):
            lines.setdefault(line.split(" | ")[0][2:], line)
    for r in data["cases"]:  # a miss printed with its floor and what that floor says
        if r["status"] == "miss" and r["floor_ratio"] is not None:
            line = lines[r["label"].replace("|", "\\|")]
            assert line.endswith("| %.2fx |" % r["floor_ratio"]), line
            assert "**miss**; " in line and "%.2fx of its floor" % r["over_floor"] in line, line
    assert "| single op (20000 live objects" in out and "min over" in out
    assert "slab worst / heap worst" in out
    assert "| module (with what it loads) |" in out
    assert "armv6m" in out


def test_board_ratios(bench):
    # [armv7m] under qemu: the cases declared for the board, with the same method;
    # skipped as a whole, with the reason, without qemu.
    data, out = bench
    b = data["board"]
    if "skipped" in b:
        assert "armv7m" in b["skipped"] and ("apt-get" in b["skipped"]
                                             or "MPALLOC_QEMU_FIRMWARE" in b["skipped"])
        assert "Not measured in this run: " + b["skipped"] in out
        return
    assert "modules" not in b  # RAM after import on the boards: footprint_boards
    rows = {r["id"]: r for r in b["cases"]}
    for cid, (base, target) in BOARD_GOALS.items():
        assert (rows[cid]["baseline"], rows[cid]["target"]) == (base, target), cid
    for r in b["cases"]:
        # qemu's clock can stall under host load: a window may read 0 us (left out of
        # the ratios), so only the shape is checked here.
        assert r["rounds"] == b["rounds"] and isinstance(r["ns_median"], NUMBER), r["id"]
        assert r["baseline"] is None or r["baseline"] in rows, r["id"]
        if r["ratio"] is not None:
            assert 0 < r["ratio_min"] <= r["ratio_max"], r
    board_targets = [t for t in data["targets"] if t["kind"] == "board_cost_ratio"]
    assert {t["id"] for t in board_targets} == {cid for cid, r in rows.items()
                                               if r["target"] is not None}
    assert "not cycle-accurate" in b["ratio_note"]
    assert "%d rounds on the board" % b["rounds"] in out




def test_only_times_the_named_cases_with_their_baselines_and_floors():
    """tools/bench --only (for work on one case): the case, its baseline and floor, the
    empty loop, and nothing else; an unknown id is an error that names it."""
    run = [sys.executable, os.path.join(ROOT, "tools", "bench"), "--rounds", "1"]
    out = subprocess.run(run + ["--only", "ring_128"], capture_output=True, text=True,
                         cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    with open(os.path.join(ROOT, "build", "bench-only.json")) as f:
        rows = {r["id"]: r for r in json.load(f)["cases"]}
    ring = rows["ring_128"]
    assert ring["baseline"] == "ringio_128" and ring["floor"], ring  # the floor it declares
    assert sorted(rows) == sorted(["empty_loop", "ring_128", "ringio_128", ring["floor"]])
    assert "| %s |" % ring["label"] in out.stdout, out.stdout  # its table is printed
    bad = subprocess.run(run + ["--only", "no_such_case"], capture_output=True, text=True,
                         cwd=ROOT, timeout=300)
    assert bad.returncode != 0 and "no_such_case" in bad.stderr, bad.stderr


def test_an_allocating_case_is_read_gc_inclusive_against_an_allocating_baseline():
    # Both allocate: the case's GC-inclusive samples against the baseline's (its own
    # collections count); a case that does not allocate keeps its short windows.
    from mpalloc_tools.bench import ratios

    base = {"id": "b", "gc": True, "samples_ns": [10.0], "samples_gc_ns": [20.0]}
    alloc = {"id": "a", "baseline": "b", "floor": "f", "gc": True,
             "samples_ns": [10.0], "samples_gc_ns": [30.0]}
    floor = {"id": "f", "label": "floor", "gc": False, "samples_ns": [5.0],
             "samples_gc_ns": []}
    by_id = {"b": base, "a": alloc, "f": floor}
    r = ratios(alloc, by_id, 1.0)
    assert (r["ratio_gc"], r["ratio_short"], r["floor_ratio"]) == (1.5, 1.0, 0.25), r
    assert r["status"] == "miss", r
    plain = dict(alloc, gc=False)
    assert ratios(plain, dict(by_id, a=plain), 1.0)["ratio_gc"] == 0.5
