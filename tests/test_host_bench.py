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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CASES = (
    "empty_loop",
    "ring_put_get", "ringio_1", "deque_1",
    "ring_128", "ringio_128", "deque_128", "ring_128_big",
    "slab_48", "bytearray_64", "slab_48_live", "bytearray_64_live",
    "ring_put_get_viper", "ring_put_get_py", "ring_128_viper", "ring_128_py",
    "slab_alloc_free_viper", "slab_alloc_free_py",
)
# Rows compared with a baseline measured in the same rounds, and that baseline.
BASELINES = {
    "ring_put_get": "ringio_1", "deque_1": "ringio_1",
    "ring_128": "ringio_128", "deque_128": "ringio_128", "ring_128_big": "ringio_128",
    "slab_48": "bytearray_64", "slab_48_live": "bytearray_64_live",
    "ring_put_get_viper": "ring_put_get_py", "ring_128_viper": "ring_128_py",
    "slab_alloc_free_viper": "slab_alloc_free_py",
}
# Cost-ratio targets (case time / baseline time) from the issue.
TARGETED = {"ring_put_get": 1.0, "ring_128": 2.5, "ring_128_big": 2.5, "slab_48": 1.0,
            "slab_48_live": 1.0,
            "ring_put_get_viper": 0.5, "ring_128_viper": 0.5, "slab_alloc_free_viper": 0.5}
NUMBER = (int, float)


def micropython_binary():
    exe = os.environ.get("MICROPYTHON")
    if exe:
        return exe if os.path.exists(exe) or shutil.which(exe) else None
    venv = os.path.join(ROOT, ".venv", "bin", "micropython")
    if os.path.exists(venv):
        return venv
    return shutil.which("micropython")


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    exe = micropython_binary()
    if exe is None:
        pytest.skip("no MicroPython unix port (set MICROPYTHON or run `make venv`)")
    path = tmp_path_factory.mktemp("bench") / "bench.json"
    env = dict(os.environ, MICROPYTHON=exe)
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "bench"), "--quick",
                           "--json", str(path)], capture_output=True, text=True, env=env,
                          timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(path) as f:
        return json.load(f), proc.stdout


def test_meta(bench):
    data, _ = bench
    assert data["schema"] == 1
    meta = data["meta"]
    for key in ("date", "host", "micropython", "rounds", "quick", "empty_loop_ns",
                "ring_kernel", "slab_kernel", "method"):
        assert key in meta, key
    assert meta["quick"] is True
    assert isinstance(meta["rounds"], int) and meta["rounds"] >= 1
    assert isinstance(meta["date"], str) and meta["date"][:2] == "20"
    assert "MicroPython" in meta["micropython"]["sys_version"]
    assert meta["micropython"]["implementation"]["name"] == "micropython"
    assert meta["ring_kernel"] in ("viper", "py")
    assert meta["slab_kernel"] in ("viper", "py")
    assert isinstance(meta["empty_loop_ns"], NUMBER) and meta["empty_loop_ns"] > 0


def test_every_case_ran(bench):
    data, _ = bench
    rows = {r["id"]: r for r in data["cases"]}
    assert set(CASES) <= set(rows), set(CASES) - set(rows)  # families may add more
    for cid, r in rows.items():
        for key in ("group", "label", "note", "iterations", "rounds"):
            assert key in r, (cid, key)
        assert isinstance(r["label"], str) and r["label"], cid
        assert isinstance(r["iterations"], int) and r["iterations"] > 0, cid
        assert r["rounds"] == data["meta"]["rounds"], cid
        for key in ("ns_median", "ns_min", "ns_max"):
            assert isinstance(r[key], NUMBER) and r[key] > 0, (cid, key, r[key])
        assert r["ns_min"] <= r["ns_median"] <= r["ns_max"], cid


def test_ratios(bench):
    data, _ = bench
    rows = {r["id"]: r for r in data["cases"]}
    for cid, r in rows.items():
        if cid in CASES:
            assert r["baseline"] == BASELINES.get(cid), cid
        if r["baseline"] is None:
            assert r["ratio"] is None, cid
            continue
        for key in ("ratio", "ratio_min", "ratio_max"):
            assert isinstance(r[key], float) and r[key] > 0, (cid, key, r[key])
        assert r["ratio_min"] <= r["ratio"] <= r["ratio_max"], cid
    for cid, target in TARGETED.items():
        assert rows[cid]["target"] == target, cid
    for cid, r in rows.items():
        if r["baseline"] is not None:
            assert r["baseline"] in rows, (cid, r["baseline"])
        if r["target"] is not None:
            assert r["status"] == ("pass" if r["ratio"] <= r["target"] else "miss"), cid


def test_footprint(bench):
    data, _ = bench
    mods = {r["module"]: r for r in data["footprint"]}
    assert {"mpalloc.errors", "mpalloc.ring", "mpalloc.slab"} <= set(mods)
    for name, r in mods.items():
        assert isinstance(r["py_bytes"], int) and r["py_bytes"] > 0, name
        assert isinstance(r["mpy_bytes"], int) and r["mpy_bytes"] > 0, name
    assert mods["mpalloc.ring"]["target_mpy_bytes"] == 1024
    assert mods["mpalloc.ring"]["status"] in ("pass", "miss")


def test_latency(bench):
    data, _ = bench
    lat = data["latency"]
    assert lat["live_objects"] == 20000
    assert isinstance(lat["ops"], int) and lat["ops"] > 0
    for kind in lat["kinds"]:
        d = lat[kind]
        for key in ("worst_us", "median_us", "p99_us", "p999_us", "round_worst_min_us",
                    "round_worst_max_us", "collections"):
            assert isinstance(d[key], NUMBER) and d[key] >= 0, (kind, key, d[key])
        assert d["median_us"] <= d["p99_us"] <= d["p999_us"] <= d["worst_us"], kind
        assert d["round_worst_max_us"] == d["worst_us"], kind
    # The slab path allocates nothing, so no collection can start inside it; the heap
    # loop runs with a low gc.threshold, so collections must have happened there.
    assert lat["slab"]["collections"] == 0
    assert lat["heap"]["collections"] > 0
    assert isinstance(lat["ratio_slab_over_heap_worst"], float)
    assert lat["ratio_slab_over_heap_worst"] > 0
    assert lat["status"] in ("pass", "miss")


def test_tables_on_stdout(bench):
    _, out = bench
    assert "| case | ns/op median |" in out
    assert "| single op (20000 live objects" in out
    assert "slab worst / heap worst" in out
