"""Benchmark mpalloc on the MicroPython unix port; print markdown tables, write JSON.

    python tools/bench                      # full run (~1-2 min) -> build/bench.json
    python tools/bench --quick              # smoke run (~1 min), same cases and schema;
                                            #   tools/report puts its report in build/report
    python tools/bench --json PATH --rounds 31 --lib build/x64

The measuring half is tools/device/bench_mp.py, run with ``$MICROPYTHON`` (default
``.venv/bin/micropython`` under the repo, else ``micropython`` on PATH). Cases run in
interleaved rounds (A, B, C, A, B, C, ...); a row shows the median ns per iteration over
the rounds, its min-max, and its cost ratio against the named baseline: the median over
rounds of case_ns / baseline_ns, both measured in the same round (below 1.0 = faster than
the baseline). Targets are upper bounds on that ratio. ns/op is raw time per loop
iteration including the loop itself; the "empty loop" row is that loop's own cost.
"""

import argparse
import collections
import datetime
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile

from mpalloc_tools import DEVICE, ROOT, footprint

MP_SCRIPT = os.path.join(DEVICE, "bench_mp.py")
SCHEMA = 3
# (rounds, ms per measurement, single ops per latency loop)
FULL = (21, 40, 20000)
QUICK = (3, 4, 2000)
LATENCY_TARGET = 1 / 50  # slab worst case <= 1/50 of the heap allocation's worst case
JITTER_NOTE = ("on this host a sub-microsecond op sees one 5-60 us spike about every 4 ms "
               "of run time (timer/hypervisor interrupts, with or without mpalloc: the "
               "empty window row catches fewer only because it is shorter), so the slab's "
               "worst case here is the host's; on a board without an OS it is its "
               "median plus IRQ latency")


def micropython_binary():
    exe = os.environ.get("MICROPYTHON")
    if exe:
        return exe
    venv = os.path.join(ROOT, ".venv", "bin", "micropython")
    if os.path.exists(venv):
        return venv
    found = shutil.which("micropython")
    if found is None:
        sys.exit("tools/bench: no MicroPython unix port; run `make venv` or set "
                 "MICROPYTHON=/path/to/micropython")
    return found


def run_micropython(exe, lib, heapsize, rounds, target_ms, lat_k):
    cmd = [exe, "-X", "heapsize=" + heapsize, MP_SCRIPT, lib, str(rounds), str(target_ms),
           str(lat_k)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=ROOT)
    records, other, done = [], [], False
    for line in proc.stdout:
        if line.startswith("@@BENCH "):
            records.append(json.loads(line[8:]))
        elif line.startswith("@@BENCH-DONE"):
            done = True
        elif line.startswith("# "):
            print("bench:", line[2:].rstrip(), file=sys.stderr)
        else:
            other.append(line)
    rc = proc.wait()
    if rc or not done:
        sys.exit("tools/bench: %s exited with %d before finishing:\n%s"
                 % (" ".join(cmd), rc, "".join(other[-60:])))
    return records


def median_min_max(values):
    return statistics.median(values), min(values), max(values)


def summarize_cases(cases):
    by_id = {c["id"]: c for c in cases}
    out = []
    for c in cases:
        row = {k: c[k] for k in ("id", "group", "label", "baseline", "target", "note",
                                 "iterations")}
        row["family"] = c.get("family", "core")
        samples = c["samples_ns"]
        row["rounds"] = len(samples)
        row["ns_median"] = row["ns_min"] = row["ns_max"] = None
        row["ratio"] = row["ratio_min"] = row["ratio_max"] = None
        row["status"] = None
        if samples:
            row["ns_median"], row["ns_min"], row["ns_max"] = median_min_max(samples)
        base = by_id.get(c["baseline"])
        if samples and base is not None and len(base["samples_ns"]) == len(samples):
            # Paired per round: same round, same conditions.
            ratios = [a / b for a, b in zip(samples, base["samples_ns"]) if b > 0]
            if ratios:
                row["ratio"], row["ratio_min"], row["ratio_max"] = median_min_max(ratios)
        if c["target"] is not None:
            row["status"] = "missing" if row["ratio"] is None else (
                "pass" if row["ratio"] <= c["target"] else "miss")
        out.append(row)
    return out


def summarize_latency(lat):
    out = {k: lat[k] for k in ("live_objects", "gc_threshold", "ops", "rounds", "kinds")}
    for kind in lat["kinds"]:
        d = lat[kind]
        us = d["us"]
        out[kind] = {
            "label": d["label"],
            "worst_us": max(us),
            "median_us": statistics.median(us),
            "p99_us": quantile(us, 0.99),
            "p999_us": quantile(us, 0.999),
            "round_worst_min_us": min(d["round_worst_us"]),
            "round_worst_max_us": max(d["round_worst_us"]),
            "collections": d["collections"],
            # The whole distribution, exact: [[us, count], ...] ascending (tools/report
            # plots it); ticks_us resolution, so 0 means under 1 us.
            "hist": sorted([v, n] for v, n in collections.Counter(us).items()),
        }
        if "kernel" in d:
            out[kind]["kernel"] = d["kernel"]
    heap_worst = max(out["heap"]["worst_us"], 1)
    out["target"] = LATENCY_TARGET
    out["note"] = JITTER_NOTE
    out["ratios"] = {}
    for kind in lat["kinds"]:
        if kind in ("heap", "floor"):
            continue
        ratio = out[kind]["worst_us"] / heap_worst
        out["ratios"][kind] = {"worst_over_heap_worst": ratio,
                               "status": "pass" if ratio <= LATENCY_TARGET else "miss"}
    out["ratio_slab_over_heap_worst"] = out["ratios"]["slab"]["worst_over_heap_worst"]
    out["status"] = out["ratios"]["slab"]["status"]
    return out


def quantile(values, q):
    """The value that a fraction ``q`` of ``values`` stays within (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def fmt_ns(x):
    if x is None:
        return "-"
    return "%.0f" % x if x >= 100 else "%.1f" % x


def cases_table(rows):
    names = {r["id"]: r["label"] for r in rows}
    lines = ["| case | ns/op median | min-max | baseline | time vs baseline | target "
             "| result |",
             "|---|---:|---:|---|---:|---:|---|"]
    for r in rows:
        label = r["label"]
        if r["ns_median"] is None:
            label += " (not run: %s)" % r["note"]
        lines.append("| %s | %s | %s-%s | %s | %s | %s | %s |" % (
            label, fmt_ns(r["ns_median"]), fmt_ns(r["ns_min"]), fmt_ns(r["ns_max"]),
            names.get(r["baseline"], "-") if r["baseline"] else "-",
            "%.2fx" % r["ratio"] if r["ratio"] is not None else "-",
            "<= %.1fx" % r["target"] if r["target"] is not None else "-",
            r["status"] or "-"))
    return "\n".join(lines)


def notes(rows):
    return "\n".join("- %s: %s" % (r["label"], r["note"]) for r in rows
                     if r["note"] and r["ns_median"] is not None)


def latency_table(lat):
    lines = ["| single op (%d live objects, gc.threshold(%d)) | worst us | p99.9 us | p99 us "
             "| median us | per-round worst us | GC collections |" % (lat["live_objects"],
                                                                     lat["gc_threshold"]),
             "|---|---:|---:|---:|---:|---:|---:|"]
    for kind in lat["kinds"]:
        d = lat[kind]
        lines.append("| %s | %d | %d | %d | %g | %d-%d | %d |" % (
            d["label"], d["worst_us"], d["p999_us"], d["p99_us"], d["median_us"],
            d["round_worst_min_us"],
            d["round_worst_max_us"], d["collections"]))
    lines.append("")
    for kind, r in lat["ratios"].items():
        lines.append("%s worst / heap worst = %d / %d us = 1/%.0f (target <= 1/%d): %s" % (
            kind, lat[kind]["worst_us"], lat["heap"]["worst_us"],
            1 / max(r["worst_over_heap_worst"], 1e-9), round(1 / lat["target"]),
            r["status"].upper()))
    lines.append("Note: " + lat["note"] + ".")
    return "\n".join(lines)


# ---- ratios on the 32-bit board: [armv7m] under qemu ------------------------------------

BOARD_RATIO_NOTE = "qemu, not cycle-accurate: ratios only"
# The loops are tools/device/bench_mp.py's (imported from the image): the same cases as on x64.
BOARD_RATIO_SCRIPT = """\
import gc, sys, micropython
sys.path[:] = ['/rom/lib', '/rom', '.frozen']
from bench_mp import t_empty, t_put_get, t_write_readinto, t_slab, t_bytearray
from bench_lines import t_readline_into, t_ringio_readline, t_find_readinto
from mpalloc.ring import ByteRing
from mpalloc.slab import Slab
def main(n, rounds):
    cases = (('ring_put_get', t_put_get, ByteRing(1024), None),
             ('ringio_1', t_write_readinto, micropython.RingIO(1024),
              (bytearray(b'A'), bytearray(1))),
             ('slab_48', t_slab, Slab(64 * 64, 64), None),
             ('bytearray_64', t_bytearray, None, None),
             ('empty_loop', t_empty, None, None),
             ('lines_readline_into', t_readline_into, ByteRing(256), bytearray(80)),
             ('lines_ringio_readline', t_ringio_readline, micropython.RingIO(256), None),
             ('lines_find_readinto', t_find_readinto, ByteRing(256), bytearray(80)))
    out = {}
    for c in cases:
        out[c[0]] = []
    for _ in range(rounds):
        for cid, fn, a, b in cases:
            gc.collect()
            out[cid].append(fn(n, a, b) * 1000 / n)
    print('@@BOARD', out)
main(%(n)d, %(rounds)d)
"""
# case id -> (baseline id, label); ids as in tools/device/bench_mp.py
BOARD_RATIOS = (("ring_put_get", "ringio_1", "ByteRing(1024) put+get, 1 B vs RingIO(1024) "
                 "write+readinto, 1 B"),
                ("slab_48", "bytearray_64", "Slab(4096, 64) try_alloc(48)+try_free vs "
                 "bytearray(64)"),
                ("lines_readline_into", "lines_ringio_readline", "ByteRing(256) write + "
                 "readline_into, 60-byte line vs RingIO(256) write + readline()"),
                ("lines_find_readinto", "lines_ringio_readline", "ByteRing(256) write + find "
                 "+ readinto(buf, n) in Python, 60-byte line vs RingIO(256) write + readline()"))


def board(quick):
    """Footprint and a few ratios on the emulated Cortex-M3, or {"skipped": reason}."""
    lane, why = footprint.board_lane()
    if why:
        return {"skipped": "%s lane unavailable: %s" % (footprint.BOARD_LANE, why)}
    with tempfile.TemporaryDirectory(prefix="mpalloc-board-") as out:
        image = footprint.board_image(lane, out, ("bench_mp", "bench_lines"))
        rows = footprint.board_modules(lane, image)
        n, rounds = (500, 3) if quick else (4000, 9)
        samples = footprint.run_board(lane, image, BOARD_RATIO_SCRIPT % {
            "n": n, "rounds": rounds}, "@@BOARD")
    ratios = []
    for cid, base, label in BOARD_RATIOS:
        # A 0 us reading is below ticks_us resolution (qemu's clock stalls under host
        # load): not a sample of either case, so that round is left out.
        r = [a / b for a, b in zip(samples[cid], samples[base]) if a > 0 and b > 0]
        med, lo, hi = median_min_max(r)
        ratios.append({"id": cid, "baseline": base, "label": label, "ratio": med,
                       "ratio_min": lo, "ratio_max": hi, "rounds": rounds,
                       "iterations": n})
    return {"lane": footprint.BOARD_LANE, "machine": "qemu mps2-an385, Cortex-M3",
            "firmware": lane.firmware(), "note": footprint.BOARD_NOTE,
            "ratio_note": BOARD_RATIO_NOTE, "modules": rows, "ratios": ratios,
            "samples_ns": samples}


def board_table(b):
    if "skipped" in b:
        return "Board (%s): skipped: %s" % (footprint.BOARD_LANE, b["skipped"])
    lines = [footprint.board_modules_table(b), ""]
    lines.append("| ratio on %s (%s) | median | min..max |" % (b["lane"], b["ratio_note"]))
    lines.append("|---|---:|---|")
    for r in b["ratios"]:
        lines.append("| %s | %.2fx | %.2f..%.2f |" % (r["label"], r["ratio"], r["ratio_min"],
                                                     r["ratio_max"]))
    return "\n".join(lines)


def targets_summary(rows, lat, fp):
    """Every target of the issue with its measured value and pass/miss, in one list."""
    out = []
    for r in rows:
        if r["target"] is not None:
            out.append({"kind": "cost_ratio", "id": r["id"], "label": r["label"],
                        "value": r["ratio"], "target": r["target"], "status": r["status"]})
    for kind, r in lat["ratios"].items():
        out.append({"kind": "latency", "id": kind, "label": lat[kind]["label"],
                    "value": r["worst_over_heap_worst"], "target": lat["target"],
                    "status": r["status"]})
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


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="smoke run (about a minute; no time claims): tools/report writes "
                         "its report to build/report/, never docs/ or README")
    ap.add_argument("--json", default=os.path.join(ROOT, "build", "bench.json"),
                    help="where to write the results (default build/bench.json)")
    ap.add_argument("--rounds", type=int, help="interleaved rounds (default 21, quick 3)")
    ap.add_argument("--lib", default=os.path.join(ROOT, "lib"),
                    help="directory holding the mpalloc package (default lib/)")
    ap.add_argument("--heapsize", default="8M", help="MicroPython heap (default 8M)")
    args = ap.parse_args(argv)

    rounds, target_ms, lat_k = QUICK if args.quick else FULL
    if args.rounds:
        rounds = args.rounds
    exe = micropython_binary()
    started = datetime.datetime.now(datetime.timezone.utc)
    records = run_micropython(exe, os.path.abspath(args.lib), args.heapsize, rounds,
                              target_ms, lat_k)
    meta = [r for r in records if r["kind"] == "meta"][0]
    rows = summarize_cases([r for r in records if r["kind"] == "case"])
    lat = summarize_latency([r for r in records if r["kind"] == "latency"][0])
    empty = [r for r in rows if r["id"] == "empty_loop"][0]
    ram = footprint.footprint(exe)
    on_board = board(args.quick)

    result = {
        "schema": SCHEMA,
        "meta": {
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
            "rounds": rounds,
            "ms_per_measurement": target_ms,
            "quick": args.quick,
            "empty_loop_ns": empty["ns_median"],
            "method": ("interleaved rounds; median/min/max over rounds of raw ns per "
                       "iteration (loop included) from time.ticks_us; ratio = median over "
                       "rounds of case_ns / baseline_ns; gc.collect() before each "
                       "measurement"),
        },
        "cases": rows,
        "latency": lat,
        "footprint": ram,
        "board": on_board,
        "targets": targets_summary(rows, lat, ram),
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")

    impl = meta["implementation"]
    print("mpalloc bench: MicroPython %s (%s), %s, ring kernel %s, slab kernel %s, "
          "%d rounds%s" % (".".join(str(v) for v in impl["version"]), meta["sys_version"],
                           platform.machine(), meta["ring_kernel"], meta["slab_kernel"],
                           rounds, " (--quick: timings not meaningful)" if args.quick else ""))
    print()
    print(cases_table(rows))
    print()
    print(notes(rows))
    print()
    print(latency_table(lat))
    print()
    print(footprint.footprint_table(ram))
    print()
    print("Note: " + ram["note"])
    print()
    print(board_table(on_board))
    print()
    print("JSON: " + os.path.relpath(args.json))


if __name__ == "__main__":
    main()

