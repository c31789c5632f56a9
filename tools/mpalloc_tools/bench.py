"""Benchmark mpalloc on the MicroPython unix port and the [armv7m] board; print markdown
tables, write JSON (tools/report renders it).

    python tools/bench                      # full run -> build/bench.json
    python tools/bench --quick              # smoke run, same cases and schema;
                                            #   tools/report puts its report in build/report
    python tools/bench --json PATH --rounds 31 --lib build/x64

The measuring half is tools/device/bench_mp.py (MicroPython), where every case is declared
once (its loop, baseline, target, floor, board target); its header states the method. It
runs with ``$MICROPYTHON`` (default ``.venv/bin/micropython`` under the repo, else
``micropython`` on PATH), and on the emulated Cortex-M3 of the [armv7m] test lane when qemu
and its firmware are there. This side pairs each case with its baseline round by round:
a ratio is the median over rounds of case / baseline measured in the same round (below 1.0
= faster than the baseline); targets are upper bounds on it, and a miss is printed with
its floor (the same ratio for the cheapest call of that shape). Footprint:
mpalloc_tools/footprint.py.
"""

import argparse
import collections
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile

from mpalloc_tools import DEVICE, ROOT, build, footprint, report

MP_SCRIPT = os.path.join(DEVICE, "bench_mp.py")
SCHEMA = 4


class Plan:
    """How long a run measures: interleaved rounds of short windows (+ up to gc_ms of them
    back to back for an allocating case's GC-inclusive sample), and the latency passes."""

    def __init__(self, rounds, window_ms, windows, gc_ms, lat_ops=0, lat_passes=0):
        self.rounds, self.window_ms, self.windows, self.gc_ms = (rounds, window_ms, windows,
                                                                 gc_ms)
        self.lat_ops, self.lat_passes = lat_ops, lat_passes

    def args(self):
        return [str(v) for v in (self.rounds, self.window_ms, self.windows, self.gc_ms,
                                 self.lat_ops, self.lat_passes)]


FULL = Plan(21, 2, 5, 400, 20000, 15)
QUICK = Plan(3, 1, 2, 50, 2000, 3)
BOARD_FULL = Plan(9, 10, 3, 400)
BOARD_QUICK = Plan(2, 2, 1, 50)
BOARD_ROOM = 40 * 1024  # bytes held below the code for the board's cases (board_main)
LATENCY_TARGET = 1 / 500  # worst single op <= 1/500 of the heap allocation's worst
METHOD = ("interleaved rounds (every case once per round, in declared order); per round "
          "the fastest of %d short windows (~%d ms each, after a gc.collect(): an "
          "allocating case sees no collection there); for an allocating case also a "
          "GC-inclusive sample from up to %d ms of such windows back to back: the fastest "
          "window without a collection plus (fastest with one - fastest without) / "
          "iterations per collection (free heap / bytes per iteration); ns/op is raw time "
          "per iteration from time.ticks_us, loop included; a ratio is the median over "
          "rounds of case / baseline in the same round, GC-inclusive where the baseline "
          "allocates (the short-window ratio beside it); a floor is a case showing the "
          "least a call of that shape costs, as a ratio to the same baseline")
LATENCY_NOTE = (
    "each kind runs the same single ops in every pass, each pass after a gc.collect(), so "
    "a collection falls on the same op index in every pass while host preemption does "
    "not; an op's latency is the minimum over passes at its index, worst = the largest of "
    "those, p99.9/p99/median over them. 0 us is under the 1 us tick of ticks_us and counts "
    "as 1 us in the ratio. Raw worst = the largest single reading in any pass (the host's "
    "preemption included). Collections and bytes allocated come from one untimed pass "
    "(gc.mem_alloc() after every op)")
BOARD_RATIO_NOTE = "qemu, not cycle-accurate: ratios only"
BOARD_LANE = "armv7m"  # the board the cases declared on_board/board_target run on


def micropython_binary():
    found = build.find_micropython()
    if found is None:
        sys.exit("tools/bench: no MicroPython unix port; run `make venv` or set "
                 "MICROPYTHON=/path/to/micropython")
    return found


def parse_records(lines):
    """(records, done, other lines) from bench_mp's output; progress goes to stderr."""
    records, other, done = [], [], False
    for line in lines:
        if line.startswith("@@BENCH "):
            records.append(json.loads(line[8:]))
        elif line.startswith("@@BENCH-DONE"):
            done = True
        elif line.startswith("# "):
            print("bench:", line[2:].rstrip(), file=sys.stderr)
        else:
            other.append(line)
    return records, done, other


def run_micropython(exe, lib, heapsize, plan, only=None):
    cmd = [exe, "-X", "heapsize=" + heapsize, MP_SCRIPT, lib] + plan.args()
    if only:
        cmd.append(only)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=ROOT)
    records, done, other = parse_records(proc.stdout)
    rc = proc.wait()
    if rc or not done:
        sys.exit("tools/bench: %s exited with %d before finishing:\n%s"
                 % (" ".join(cmd), rc, "".join(other[-60:])))
    return records


def median_min_max(values):
    return statistics.median(values), min(values), max(values)


# ---- throughput: ratios, floors, targets ---------------------------------------------------


def paired(case, base, key="samples_ns", base_key="samples_ns"):
    """Median, min, max over rounds of case / base, both from the same round (``key`` of
    the case, ``base_key`` of the baseline: samples_ns, or samples_gc_ns for the baseline's
    GC-inclusive samples); None when there is nothing to pair. A 0 us reading is below
    ticks_us resolution (qemu's clock stalls under host load): not a sample of either case,
    so that round is left out."""
    if case is None or base is None:
        return None
    a, b = case.get(key) or [], base.get(base_key) or []
    if not a or len(a) != len(b):
        return None
    ratios = [x / y for x, y in zip(a, b) if x > 0 and y > 0]
    return median_min_max(ratios) if ratios else None


def summarize_cases(cases, target_key="target"):
    """One row per case. ``target_key`` names the bound that applies on this runtime
    (``target`` on x64, ``board_target`` on the board)."""
    by_id = {c["id"]: c for c in cases}
    return [summarize_case(c, by_id, c[target_key]) for c in cases]


def summarize_case(c, by_id, target):
    row = {k: c.get(k) for k in ("id", "group", "label", "baseline", "note", "iterations",
                                 "floor", "summary", "gc", "collections")}
    row["family"] = c.get("family", "core")
    row["target"] = target
    samples, incl = c["samples_ns"], c.get("samples_gc_ns") or []
    row["rounds"] = len(samples)
    row["ns_median"], row["ns_min"], row["ns_max"] = first(median_min_max, samples, 3)
    row["ns_gc_median"] = first(statistics.median, incl)
    row.update(ratios(c, by_id, target))
    row["over_floor"], row["floor_above_bound"] = report.floor_reading(
        row["ratio"], row["floor_ratio"], target)
    return row


def first(fn, values, n=None):
    """fn(values), or None (n Nones) for no values."""
    if values:
        return fn(values)
    return None if n is None else (None,) * n


def ratios(c, by_id, target):
    """The case against its baseline (GC-inclusive where the baseline allocates: then a
    case or floor that allocates too is read GC-inclusive as well) and its floor against
    the same baseline, on the same basis; pass/miss against ``target``."""
    base = by_id.get(c["baseline"])
    gc_basis = bool(base is not None and base.get("gc"))
    basis_key = "samples_gc_ns" if gc_basis else "samples_ns"
    short = paired(c, base)
    incl = paired(c, base, key=own_key(c, gc_basis), base_key=basis_key) if gc_basis else None
    out = {"basis": "GC-inclusive" if gc_basis else "short windows",
           "ratio_short": short and short[0], "ratio_gc": incl and incl[0]}
    out["ratio"], out["ratio_min"], out["ratio_max"] = (incl if gc_basis else short) or (
        None, None, None)
    floor_case = by_id.get(c.get("floor"))
    floor = paired(floor_case, base, key=own_key(floor_case, gc_basis), base_key=basis_key)
    out["floor_ratio"] = floor and floor[0]
    out["floor_label"] = by_id[c["floor"]]["label"] if c.get("floor") in by_id else None
    out["status"] = None if target is None else (
        "missing" if out["ratio"] is None else "pass" if out["ratio"] <= target else "miss")
    return out


def own_key(case, gc_basis):
    # A case's samples read against a GC-inclusive baseline: its own GC-inclusive ones when
    # it allocates (declared gc=True), else its short windows (it causes no collection).
    return "samples_gc_ns" if gc_basis and case is not None and case.get("gc") else "samples_ns"


# ---- latency -------------------------------------------------------------------------------


def summarize_latency(lat):
    out = {k: lat[k] for k in ("live_objects", "gc_threshold", "ops", "passes", "kinds")}
    for kind in lat["kinds"]:
        d = lat[kind]
        us = d["us"]
        out[kind] = {
            "label": d["label"],
            "worst_us": max(us),
            "median_us": statistics.median(us),
            "p99_us": quantile(us, 0.99),
            "p999_us": quantile(us, 0.999),
            "raw_worst_us": max(d["pass_worst_us"]),
            "pass_worst_us": d["pass_worst_us"],
            "collections": d["collections"],
            "allocated": d["allocated"],
            # The whole distribution of per-index minima, exact: [[us, count], ...]
            # ascending (tools/report plots it); 0 means under the 1 us tick.
            "hist": sorted([v, n] for v, n in collections.Counter(us).items()),
        }
        if "kernel" in d:
            out[kind]["kernel"] = d["kernel"]
    heap_worst = max(out["heap"]["worst_us"], 1)
    out["target"] = LATENCY_TARGET
    out["note"] = LATENCY_NOTE
    out["ratios"] = {}
    for kind in lat["kinds"]:
        if kind in ("heap", "floor"):
            continue
        ratio = max(out[kind]["worst_us"], 1) / heap_worst
        out["ratios"][kind] = {"worst_over_heap_worst": ratio,
                               "status": "pass" if ratio <= LATENCY_TARGET else "miss"}
    out["ratio_slab_over_heap_worst"] = out["ratios"]["slab"]["worst_over_heap_worst"]
    out["status"] = out["ratios"]["slab"]["status"]
    return out


def quantile(values, q):
    """The value that a fraction ``q`` of ``values`` stays within (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


# ---- the board: [armv7m] under qemu --------------------------------------------------------

BOARD_SCRIPT = """\
import gc
import sys
sys.path[:] = ['/rom/lib', '/rom', '.frozen']
gc.collect()
room = [bytearray(%d)]  # for the cases' objects, below all machine code (board_main)
gap = bytearray(1100)  # the first code page starts past the room's last page
import bench_mp
bench_mp.board_main(room, %%s)
""" % BOARD_ROOM


def board(quick):
    """The board's cases on the emulated Cortex-M3, or {"skipped": reason}. (RAM after
    import on the boards is tools/footprint's: footprint.boards().)"""
    lane = footprint.lanes()[BOARD_LANE]
    why = lane.unavailable()
    if why:
        return {"skipped": "%s lane unavailable: %s" % (BOARD_LANE, why)}
    plan = BOARD_QUICK if quick else BOARD_FULL
    # Every benchmark program goes into the image (flash, not heap); bench_mp imports
    # only its BOARD_FAMILIES there.
    programs = sorted(n[:-3] for n in os.listdir(DEVICE) if n.startswith("bench_"))
    with tempfile.TemporaryDirectory(prefix="mpalloc-board-") as out:
        image = footprint.BoardImage(lane, out, programs)
        text, tail = lane.run_code(BOARD_SCRIPT % ", ".join(plan.args()[:4]), 1800,
                                   image.path)
    records, done, other = parse_records(text.splitlines())
    if not done:
        raise RuntimeError("the board's benchmark did not finish (%s):\n%s"
                           % (tail, "\n".join(other[-60:])))
    cases = summarize_cases([r for r in records if r["kind"] == "case"], "board_target")
    return {"lane": BOARD_LANE, "machine": "qemu mps2-an385, Cortex-M3",
            "firmware": lane.firmware(), "ratio_note": BOARD_RATIO_NOTE, "cases": cases,
            "rounds": plan.rounds, "method": METHOD % (plan.windows, plan.window_ms,
                                                       plan.gc_ms)}


# ---- targets (the goals table) --------------------------------------------------------------


def targets_summary(rows, lat, fp, board_result, boards_ram=None):
    """Every target with its measured value and pass/miss, in one list: time ratios on
    x64 (kernel rows apart), latency, time ratios on the board, RAM after import on the
    board (tools/footprint's goals), then x64 footprint."""
    out = []
    for r in rows:
        if r["target"] is not None:
            out.append(ratio_target(r, "kernel" if r["id"].endswith("_viper")
                                    else "cost_ratio", "x64"))
    for kind, r in lat["ratios"].items():
        out.append({"kind": "latency", "id": kind, "label": lat[kind]["label"],
                    "lane": "x64", "value": r["worst_over_heap_worst"],
                    "target": lat["target"], "status": r["status"]})
    for r in board_result.get("cases", []):
        if r["target"] is not None:
            out.append(ratio_target(r, "board_cost_ratio", board_result["lane"]))
    for label, got, goal in footprint.headline(boards_ram or {}):
        if goal:
            out.append({"kind": "board_ram", "id": label, "lane": footprint.BUDGET_LANE,
                        "label": "RAM after .mpy import: " + label, "value": got,
                        "target": goal, "status": "pass" if got <= goal else "miss"})
    return out + footprint_targets(fp)


def ratio_target(r, kind, lane):
    return {"kind": kind, "id": r["id"], "label": r["label"], "lane": lane,
            "baseline": r["baseline"], "basis": r["basis"], "value": r["ratio"],
            "target": r["target"], "status": r["status"], "floor": r["floor"],
            "floor_label": r["floor_label"], "floor_ratio": r["floor_ratio"],
            "over_floor": r["over_floor"], "floor_above_bound": r["floor_above_bound"],
            "ratio_short": r["ratio_short"], "ratio_gc": r["ratio_gc"]}


def footprint_targets(fp):
    out = []
    for r in fp["modules"]:
        if r["target_mpy_bytes"] is not None:
            out.append({"kind": "ram_after_mpy_import", "id": r["module"],
                        "label": "RAM after .mpy import: " + r["module"],
                        "value": r["mpy_bytes"], "target": r["target_mpy_bytes"],
                        "status": r["status"], "api_floor": r["floor_mpy_bytes"],
                        "target_below_floor": r["target_below_floor"]})
    c = fp["core_mpy"]
    out.append({"kind": "mpy_size", "id": "core_" + c["arch"],
                "label": "core .mpy on " + c["arch"], "value": c["bytes"][c["arch"]],
                "target": c["target_bytes"], "status": c["status"]})
    for m in fp["metadata"]:
        if m["target_bytes"] is not None:
            out.append({"kind": "metadata", "id": m["id"], "label": m["label"],
                        "value": m["per_item_bytes"], "target": m["target_bytes"],
                        "status": m["status"]})
    return out


# ---- main -----------------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="smoke run (a few minutes; no time claims): tools/report writes "
                         "its report to build/report/, never docs/ or README")
    ap.add_argument("--json", default=os.path.join(ROOT, "build", "bench.json"),
                    help="where to write the results (default build/bench.json)")
    ap.add_argument("--rounds", type=int, help="interleaved rounds (default 21, quick 3)")
    ap.add_argument("--lib", default=os.path.join(ROOT, "lib"),
                    help="directory holding the mpalloc package (default lib/)")
    ap.add_argument("--heapsize", default="8M", help="MicroPython heap (default 8M)")
    ap.add_argument("--only", metavar="ID[,ID...]",
                    help="while working on a case: time only these case ids (with their "
                         "baselines and floors) on the unix port, print their table; no "
                         "latency, footprint or board; JSON to build/bench-only.json")
    args = ap.parse_args(argv)

    plan = QUICK if args.quick else FULL
    if args.rounds:
        plan = Plan(args.rounds, plan.window_ms, plan.windows, plan.gc_ms, plan.lat_ops,
                    plan.lat_passes)
    exe = micropython_binary()
    started = datetime.datetime.now(datetime.timezone.utc)
    if args.only:
        return only_cases(exe, args, plan)
    records = run_micropython(exe, os.path.abspath(args.lib), args.heapsize, plan)
    meta = [r for r in records if r["kind"] == "meta"][0]
    rows = summarize_cases([r for r in records if r["kind"] == "case"])
    lat = summarize_latency([r for r in records if r["kind"] == "latency"][0])
    ram = footprint.footprint(exe)
    on_board = board(args.quick)
    boards_ram = footprint.boards()  # [armv7m] and [rv32]: RAM after import, budgets
    result = {
        "schema": SCHEMA,
        "meta": run_meta(args, exe, meta, plan, started, rows),
        "cases": rows,
        "latency": lat,
        "footprint": ram,
        "board": on_board,
        "footprint_boards": boards_ram,
        "targets": targets_summary(rows, lat, ram, on_board, boards_ram),
    }
    write_json(args.json, result)
    print_tables(result)
    print("JSON: " + os.path.relpath(args.json))


def only_cases(exe, args, plan):
    """tools/bench --only: the named cases, their baselines and floors, nothing else."""
    records = run_micropython(exe, os.path.abspath(args.lib), args.heapsize, plan, args.only)
    rows = summarize_cases([r for r in records if r["kind"] == "case"])
    missing = set(args.only.split(",")) - set(r["id"] for r in rows)
    if missing:
        sys.exit("tools/bench --only: no case %s" % ", ".join(sorted(missing)))
    path = os.path.join(ROOT, "build", "bench-only.json")
    write_json(path, {"schema": SCHEMA, "only": args.only, "cases": rows})
    print(report.cases_section(rows))
    print("JSON: " + os.path.relpath(path))


def write_json(path, data):
    """``data`` as JSON at ``path`` (its directory made if need be), newline-terminated."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")


def run_meta(args, exe, meta, plan, started, rows):
    empty = [r for r in rows if r["id"] == "empty_loop"][0]
    return {
        "date": started.isoformat(timespec="seconds"),
        "seconds": round((datetime.datetime.now(datetime.timezone.utc)
                          - started).total_seconds(), 1),
        "host": {"node": platform.node(), "machine": platform.machine(),
                 "system": platform.platform(), "cpu_count": os.cpu_count()},
        "micropython": {"binary": exe, "sys_version": meta["sys_version"],
                        "implementation": meta["implementation"],
                        "platform": meta["platform"], "heapsize": args.heapsize,
                        "heap_total": meta["heap_total"]},
        "lib": os.path.abspath(args.lib),
        "ring_kernel": meta["ring_kernel"],
        "slab_kernel": meta["slab_kernel"],
        "rounds": plan.rounds,
        "window_ms": plan.window_ms,
        "windows": plan.windows,
        "gc_ms": plan.gc_ms,
        "quick": args.quick,
        "empty_loop_ns": empty["ns_median"],
        "method": METHOD % (plan.windows, plan.window_ms, plan.gc_ms),
    }


def print_tables(result):
    """The run on stdout: the report's own tables (tools/report renders the same)."""
    meta = result["meta"]
    print("mpalloc bench: %s, ring kernel %s, slab kernel %s, %d rounds%s" % (
        report.interpreter(meta), meta["ring_kernel"], meta["slab_kernel"], meta["rounds"],
        " (--quick: timings not meaningful)" if meta["quick"] else ""))
    for part in (report.cases_section(result["cases"]),
                 report.latency_section(result["latency"]),
                 report.footprint_section(result["footprint"]),
                 report.board_section(result)):
        print()
        print(part)
    print()
