"""Render tools/bench JSON into docs/benchmarks.md and PNG plots; update README's summary.

    python tools/report                          # build/bench.json -> docs/benchmarks.md,
                                                 #   docs/benchmarks.json, docs/img/*.png
    python tools/report --readme README.md       # also copy the summary block into README
    python tools/report --check-readme README.md # exit 1 unless README's block is current
    python tools/report --no-plots               # markdown only (no matplotlib needed)

A ``tools/bench --quick`` run is a smoke test, not a measurement: its report goes to
build/report/ (not docs/) and README is left alone, so a quick run never changes a
tracked file. Only a full run (``make bench``) refreshes docs/ and README.

The summary block (between ``<!-- summary -->`` and ``<!-- /summary -->``) is the README
snippet: the headline table, one plot, the date and the interpreter it came from. Links in
it start with ``/`` (repository root), so the very same text works in README.md and in
docs/benchmarks.md. The JSON is copied next to the report so the committed markdown can be
regenerated from committed data (tests/test_host_report.py checks that it is).
Plots use matplotlib's Agg backend: no display needed.
"""

import argparse
import json
import os
import shutil
import sys

from mpalloc_tools import ROOT, footprint
from mpalloc_tools.mdtable import cells_line, kb, table

SCHEMA = 4
BEGIN, END = "<!-- summary -->", "<!-- /summary -->"
IMG_DIR = "docs/img"  # relative to ROOT; links are written root-relative ("/docs/img/...")
SUMMARY_PLOT = "latency.png"

FAMILY_TITLES = {
    "core": "ByteRing and Slab (core)", "bytebuf": "ByteDeque and ByteBuffer",
    "arena": "Arena and Stack", "pool": "ObjectPool and BlockPool",
    "fixed": "FixedVec and FixedStr", "memops": "memops",
    "lines": "Queues' consumer side: lines (readline_into, find)",
}


# ---- formatting helpers -------------------------------------------------------------------


def fmt_ns(x):
    if x is None:
        return "-"
    return "%.0f" % x if x >= 100 else "%.1f" % x


def fmt_ratio(r):
    """Median (min-max) over rounds; where the baseline allocates, GC-inclusive first and
    the short-window ratio beside it."""
    if r["ratio"] is None:
        return "-"
    text = "%.2fx (%.2f-%.2f)" % (r["ratio"], r["ratio_min"], r["ratio_max"])
    if r.get("ratio_gc") is not None:
        text = "%.2fx GC-incl. (%.2f-%.2f); %.2fx short windows" % (
            r["ratio"], r["ratio_min"], r["ratio_max"], r["ratio_short"])
    return text


def fmt_target(r, why=None):
    """The bound and pass/miss; a miss followed by ``why(r)`` (miss_text, miss_note)."""
    if r["target"] is None:
        return "-"
    text = "<= %gx: **%s**" % (r["target"], r["status"])
    return text + "; " + why(r) if why and r["status"] == "miss" else text


def floor_reading(ratio, floor_ratio, target):
    """(the case as a multiple of its floor, whether the floor itself is above the bound);
    None where a part is not measured. Both ratios are against the same baseline in the
    same rounds, so ratio / floor_ratio is case time / floor time."""
    if floor_ratio is None:
        return None, None
    return (None if ratio is None else ratio / floor_ratio,
            None if target is None else floor_ratio > target)


def miss_text(t, value_key="ratio"):
    """Why a missed ratio target misses, from its floor (issue 15: a miss is reported with
    the measured floor that explains it); None unless ``t`` (a case row, or a target with
    value_key="value") is a miss."""
    if t["status"] != "miss":
        return None
    over, above = floor_reading(t[value_key], t.get("floor_ratio"), t["target"])
    if over is None:
        return "no floor measured: unexplained"
    if above:
        return "the interpreter's floor is above the bound: explained (%.2fx of its floor)" \
            % over
    return "%.2fx of its floor: still ours to cut" % over


def miss_note(r):
    """A missed case row's floor and what it says, for one cell."""
    floor = "" if r["floor_ratio"] is None else "floor %.2fx; " % r["floor_ratio"]
    return floor + miss_text(r)


def interpreter(meta):
    mp = meta["micropython"]
    impl = mp["implementation"]
    return "MicroPython %s (%s), unix port %s" % (
        ".".join(str(v) for v in impl["version"]), mp["sys_version"].split("; ", 1)[-1],
        meta["host"]["machine"])


def is_kernel_row(r, by_id):
    base = by_id.get(r["baseline"])
    return base is not None and ("[py kernel]" in base["label"] or base["id"].endswith("_py"))


# ---- summary block (the README snippet) -----------------------------------------------------


def summary_block(data):
    meta, lat = data["meta"], data["latency"]
    out = [BEGIN,
           "Measured %s on %s%s with `make bench`; full report with every case, the "
           "method and all targets: [docs/benchmarks.md](/docs/benchmarks.md)."
           % (meta["date"][:10], interpreter(meta),
              " (**--quick run: timings not meaningful**)" if meta["quick"] else ""),
           "",
           "| allocator | operation | what you would write otherwise | time vs that "
           "(median, min-max) | target |",
           "|---|---|---|---:|---|"]
    out += summary_rows(data["cases"]) + latency_headline(lat)
    out += ["", "Footprint: " + "; ".join(footprint_headline(data)) + ".", "",
            "![Single-operation latency, heap allocation vs mpalloc, with %d live objects]"
            "(/%s/%s)" % (lat["live_objects"], IMG_DIR, SUMMARY_PLOT),
            END]
    return "\n".join(out)


def summary_rows(rows):
    """The rows declared summary=<allocator> in tools/device/bench_*.py, in that order."""
    by_id = {r["id"]: r for r in rows}
    return [cells_line((r["summary"], r["label"], by_id[r["baseline"]]["label"],
                        fmt_ratio(r), fmt_target(r, miss_note)))
            for r in rows if r.get("summary") and r["ratio"] is not None]


def latency_headline(lat):
    if "slab" not in lat["ratios"]:
        return []
    heap, d, r = lat["heap"], lat["slab"], lat["ratios"]["slab"]
    return ["| Slab | worst single op, %d live objects on the heap | %s | %d us vs %d us "
            "(1/%.0f); GC collections: %d vs %d | <= 1/%d: **%s** |" % (
                lat["live_objects"], heap["label"], d["worst_us"], heap["worst_us"],
                1 / max(r["worst_over_heap_worst"], 1e-9), d["collections"],
                heap["collections"], round(1 / lat["target"]), r["status"])]


def module_name(name):
    return "`%s`" % name if name.startswith("mpalloc") else "whole library"


def footprint_headline(data):
    """The footprint sentence's parts: the 32-bit board's RAM first (there the kernels'
    machine code is on the heap, which the x64 figures leave out), then x64's targets."""
    fp = data["footprint"]
    parts = []
    boards = data.get("footprint_boards")
    if boards and boards.get("lanes"):  # tools/footprint: [armv7m] .mpy against the goals
        for label, got, goal in footprint.headline(boards):
            parts.append("%s on a Cortex-M3 (armv7m, qemu): %s RAM after .mpy import%s" % (
                label, kb(got), " (goal <= %s: **%s**)" % (
                    kb(goal), "pass" if got <= goal else "miss") if goal else ""))
    mods = {r["module"]: r for r in fp["modules"]}
    for name in ("mpalloc.ring", "(whole library)"):
        r = mods.get(name)
        if r is not None and r["target_mpy_bytes"] is not None:
            parts.append("%s %s RAM after .mpy import, %s from ROMFS (target <= %s: "
                         "**%s**; the bare API costs %s here)" % (
                             module_name(name), kb(r["mpy_bytes"]), kb(r["romfs_bytes"]),
                             kb(r["target_mpy_bytes"]), r["status"],
                             kb(r["floor_mpy_bytes"])))
    c = fp["core_mpy"]
    parts.append("core (errors, ring, slab) %s of .mpy on %s, %s without the viper kernels "
                 "(target <= %s: **%s**)" % (
                     kb(c["bytes"][c["arch"]]), c["arch"], kb(c["bytes_pure"][c["arch"]]),
                     kb(c["target_bytes"]), c["status"]))
    for m in fp["metadata"]:
        if m["target_bytes"] is not None:
            parts.append("Slab metadata %g B per slot (target <= %d B: **%s**)" % (
                m["per_item_bytes"], m["target_bytes"], m["status"]))
    return parts


def replace_block(text, block, what):
    """``text`` with its summary block replaced by ``block``; SystemExit if no markers."""
    i, j = text.find(BEGIN), text.find(END)
    if i < 0 or j < i:
        sys.exit("tools/report: %s has no %s ... %s markers; add them where the summary "
                 "goes" % (what, BEGIN, END))
    return text[:i] + block + text[j + len(END):]


def extract_block(text):
    i, j = text.find(BEGIN), text.find(END)
    if i < 0 or j < i:
        return None
    return text[i:j + len(END)]


# ---- the full report ------------------------------------------------------------------------


def cases_section(rows):
    """One table per family, kernel-vs-twin rows in a second table of their own."""
    by_id = {r["id"]: r for r in rows}
    out = []
    for fam in dict.fromkeys(r["family"] for r in rows):  # in declared order
        user, kern = split_kernel_rows([r for r in rows if r["family"] == fam], by_id)
        for title, sel in (("", user), (" - viper kernel vs its pure twin", kern)):
            if sel:
                out += ["### %s%s" % (FAMILY_TITLES.get(fam, fam), title), ""]
                out += case_table(sel, by_id)
    return "\n".join(out)


def split_kernel_rows(rows, by_id):
    """(the rows users read, the kernel-vs-twin rows with their twins)."""
    twins = {r["baseline"] for r in rows if is_kernel_row(r, by_id)}
    kern = [r for r in rows if is_kernel_row(r, by_id) or r["id"] in twins]
    return [r for r in rows if r not in kern], kern


def case_table(sel, by_id):
    out = table(("case", "ns/op median", "min-max", "baseline", "time vs baseline (min-max)",
                 "target", "floor"), "lrrlrlr", [(
        r["label"] if r["ns_median"] is not None else "%s (not run: %s)" % (r["label"],
                                                                           r["note"]),
        fmt_ns(r["ns_median"]), "%s-%s" % (fmt_ns(r["ns_min"]), fmt_ns(r["ns_max"])),
        by_id[r["baseline"]]["label"] if r["baseline"] in by_id else "-", fmt_ratio(r),
        fmt_target(r, miss_text), "-" if r["floor_ratio"] is None else
        "%.2fx" % r["floor_ratio"]) for r in sel])
    notes = ["- %s: %s" % (r["label"], r["note"]) for r in sel
             if r["note"] and r["ns_median"] is not None]
    return out + [""] + notes + ([""] if notes else [])


def latency_section(lat):
    out = table(("single op (%d live objects, gc.threshold(%d), %d ops, min over %d passes "
                 "per op)" % (lat["live_objects"], lat["gc_threshold"], lat["ops"],
                              lat["passes"]), "worst us", "p99.9 us", "p99 us", "median us",
                 "raw worst us (any pass)", "GC collections"), "lrrrrrr", [(
        lat[k]["label"], lat[k]["worst_us"], lat[k]["p999_us"], lat[k]["p99_us"],
        "%g" % lat[k]["median_us"], lat[k]["raw_worst_us"], lat[k]["collections"])
        for k in lat["kinds"]])
    out.append("")
    for kind, r in lat["ratios"].items():
        out.append("- %s worst / heap worst = %d / %d us = 1/%.0f (target <= 1/%d): **%s**"
                   % (kind, lat[kind]["worst_us"], lat["heap"]["worst_us"],
                      1 / max(r["worst_over_heap_worst"], 1e-9), round(1 / lat["target"]),
                      r["status"]))
    out += ["", "Method: " + lat["note"] + "."]
    return "\n".join(out)


def footprint_section(fp):
    """x64's footprint: RAM after import per module, .mpy sizes, metadata per slot."""
    return "\n".join(ram_rows(fp) + mpy_rows(fp) + metadata_rows(fp))


def ram_rows(fp):
    out = table(("module (with what it loads)", ".py: RAM after import", ".mpy (x64): RAM "
                 "after import", ".mpy: its own (beyond its public deps)", ".mpy: of which "
                 "`_*` kernels/helpers", ".mpy from ROMFS", "API floor: .mpy / ROMFS",
                 "target (.mpy)"), "lrrrrrrl", [(
        r["module"], "%d B" % r["py_bytes"], "%d B" % r["mpy_bytes"],
        "%d B" % r["mpy_own_bytes"], "-" if r["mpy_private_bytes"] is None else
        "%d B" % r["mpy_private_bytes"], "%d B" % r["romfs_bytes"],
        "%d / %d B" % (r["floor_mpy_bytes"], r["floor_romfs_bytes"]),
        "<= %d B: **%s**%s" % (r["target_mpy_bytes"], r["status"], ", below the API floor"
                               if r["target_below_floor"] else "")
        if r["target_mpy_bytes"] else "-") for r in fp["modules"]])
    out += ["", fp["note"], "", fp["romfs_note"], "", fp["floor_note"], ""]
    whole = [r for r in fp["modules"] if r["module"] == "(whole library)"]
    if whole and whole[0].get("steps"):
        steps = sorted(whole[0]["steps"], key=lambda s: -s["mpy_bytes"])
        out += ["What the whole library's RAM is made of (each module imported after the "
                "ones before it in one process, so shared dependencies count once; largest "
                "first): " + ", ".join("%s %s" % (s["module"], kb(s["mpy_bytes"]))
                                       for s in steps) + ".", ""]
    return out


def mpy_rows(fp):
    arches, c = fp["arches"], fp["core_mpy"]
    whole = [r for r in fp["mpy_modules"] if r["module"] == "(whole library)"]
    return (["#### .mpy size per module and arch", "",
             "Bytes of .mpy a module needs: installed (its files plus the pure twin of each "
             "viper kernel, which a board without the native emitter falls back to) and, in "
             "brackets, loaded (what an import reads on a board with viper).", ""]
            + table(["module"] + arches, "l" + "r" * len(arches), [
                [r["module"]] + ["%d (%d)" % (r["installed"][a], r["loaded"][a])
                                 for a in arches] for r in fp["mpy_modules"]])
            + ["", "Core (%s): %d B of .mpy installed on %s (target <= %d B): **%s**. Files: "
               "%s." % (", ".join(c["modules"]), c["bytes"][c["arch"]], c["arch"],
                        c["target_bytes"], c["status"], ", ".join(c["files"])), "",
               "Without the viper kernels (`tools/deploy --pure`: every module on its pure "
               "twin, no machine code in RAM, 2-25x slower hot paths) the core takes %d B on "
               "%s%s." % (c["bytes_pure"][c["arch"]], c["arch"],
                          " and the whole library %d B instead of %d B" % (
                              whole[0]["installed_pure"][c["arch"]],
                              whole[0]["installed"][c["arch"]]) if whole else ""), ""]
            + table(["file"] + arches, "l" + "r" * len(arches), [
                [f] + [s[a] for a in arches] for f, s in sorted(
                    fp["mpy_files"].items(), key=lambda kv: -kv[1][c["arch"]])]))


def metadata_rows(fp):
    return ["", "#### Metadata and fixed overhead", "",
            "Heap bytes held by one object (gc.mem_alloc() delta, collected), built with n "
            "and 2n slots: per slot = (bytes(2n) - bytes(n)) / n minus the slot's own data; "
            "fixed = bytes(n) minus n slots. For ByteRing/Arena: bytes held minus capacity.",
            ""] + table(("object", "n", "bytes for n", "per slot/block beyond its data",
                         "fixed", "target"), "lrrrrl", [(
                m["label"], m["n"], m["bytes_n"], "-" if m["per_item_bytes"] is None else
                "%g B" % m["per_item_bytes"], "%d B" % m["fixed_bytes"],
                "<= %d B: **%s**" % (m["target_bytes"], m["status"])
                if m["target_bytes"] is not None else "-") for m in fp["metadata"]])


GOAL_GROUPS = (
    ("cost_ratio", "Time vs baseline, x64 unix port"),
    ("kernel", "Every viper kernel vs its pure twin (>= 2x: ratio <= 0.5), x64"),
    ("latency", "Worst single op vs the heap's (x64)"),
    ("board_cost_ratio", "Time vs baseline on the 32-bit board (qemu: ratios only)"),
    ("board_ram", "RAM after import on the 32-bit board ([armv7m] .mpy; per-name breakdown "
                  "of each miss under Footprint)"),
    ("footprint", "Footprint on x64 (the earlier x64 targets; no machine code counted)"),
)


def targets_section(targets):
    """The goals table: every target with its measurement, grouped; a missed time ratio
    shows its floor (the cheapest call of that shape against the same baseline)."""
    out = []
    for kind, title in GOAL_GROUPS:
        sel = [t for t in targets if t["kind"] == kind or (
            kind == "footprint" and t["kind"] in ("ram_after_mpy_import", "mpy_size",
                                                  "metadata"))]
        if not sel:
            continue
        out += ["#### " + title, ""] + goal_rows(kind, sel) + [""]
    passed = sum(1 for t in targets if t["status"] == "pass")
    out += ["%d of %d targets met." % (passed, len(targets))]
    return "\n".join(out)


def goal_rows(kind, sel):
    if kind in ("cost_ratio", "kernel", "board_cost_ratio"):
        return table(("goal", "measured", "bound", "result", "floor: its ratio to the same "
                      "baseline (a miss only)", "the miss: floor vs bound, case vs floor"),
                     "lrrlll", [(t["label"], goal_value(t), "<= %gx" % t["target"],
                                 "**%s**" % t["status"], goal_floor(t),
                                 miss_text(t, "value") or "-") for t in sel])
    rows = []
    for t in sel:
        if kind == "latency":
            v, b = "1/%.0f" % (1 / max(t["value"], 1e-9)), "1/%.0f" % (1 / t["target"])
        else:
            v, b = "%g B" % t["value"], "%g B" % t["target"]
            if t.get("target_below_floor"):
                b += " (the API alone needs %g B here)" % t["api_floor"]
        rows.append((t["label"], v, "<= " + b, "**%s**" % t["status"]))
    return table(("goal", "measured", "bound", "result"), "lrrl", rows)


def goal_value(t):
    v = "-" if t["value"] is None else "%.2fx" % t["value"]
    if t.get("ratio_gc") is not None:
        v += " GC-incl. (%.2fx short windows)" % t["ratio_short"]
    return v


def goal_floor(t):
    if t["status"] == "miss" and t.get("floor_ratio") is not None:
        return "%.2fx: %s" % (t["floor_ratio"], t["floor_label"])
    return "-"


def board_section(data):
    """The cases timed on the emulated 32-bit board, beside x64's ratios (RAM after
    import on the boards is under Footprint)."""
    b = data["board"]
    if "skipped" in b:
        return "Not measured in this run: %s." % b["skipped"]
    by_id = {r["id"]: r for r in data["cases"]}
    names = {r["id"]: r["label"] for r in b["cases"]}
    out = ["[%s] %s: the cases declared for the board, the same method; its RAM after "
           "import is under Footprint." % (b["lane"], b["machine"]), ""]
    out += table(("case", "baseline", "%s (%s): median (min-max)" % (b["lane"],
                                                                     b["ratio_note"]),
                  "target", "x64 unix port"), "llrlr", [(
        r["label"], names.get(r["baseline"], "-"), fmt_ratio(r), fmt_target(r, miss_note),
        fmt_ratio(by_id[r["id"]]) if by_id.get(r["id"], {}).get("ratio") is not None
        else "-") for r in b["cases"] if r["ratio"] is not None])
    out += ["", "%d rounds on the board (%s); firmware %s." % (
        b["rounds"], b["method"], os.path.basename(b["firmware"]))]
    return "\n".join(out)


def render(data):
    meta = data["meta"]
    host = meta["host"]
    out = ["# mpalloc benchmarks", "",
           "Generated by `make bench` (tools/bench, then tools/report) from "
           "[benchmarks.json](benchmarks.json); do not edit by hand. The block below is "
           "the README summary (`tools/report --readme README.md` copies it).", "",
           summary_block(data), "",
           "## Run", "",
           "- date: %s, %s s" % (meta["date"], meta["seconds"]),
           "- interpreter: %s; heap %s; ring kernel %s, slab kernel %s" % (
               interpreter(meta), meta["micropython"]["heapsize"], meta["ring_kernel"],
               meta["slab_kernel"]),
           "- host: %s, %s CPUs" % (host["system"], host["cpu_count"]),
           "- %d interleaved rounds of %d windows of ~%d ms (+ up to %d ms GC-inclusive)%s"
           % (meta["rounds"], meta["windows"], meta["window_ms"], meta["gc_ms"],
               " (**--quick: timings not meaningful**)" if meta["quick"] else ""),
           "- method: %s. ns/op includes the loop; the empty loop costs %s ns." % (
               meta["method"], fmt_ns(meta["empty_loop_ns"])),
           "- time vs baseline below 1.0x means faster than what a MicroPython user would "
           "otherwise write; targets are upper bounds on it.", "",
           "## Goals", "", targets_section(data["targets"]), "",
           "## Cost per operation", ""]
    out += ["![Cost per operation vs the heap/builtin baseline](img/cost_ratios.png)", ""]
    out += [cases_section(data["cases"]), "",
            "## Worst-case single-operation latency", ""]
    out += ["![Latency distribution](img/latency.png)", ""]
    out += [latency_section(data["latency"]), "", "## Footprint", ""]
    out += ["![RAM after import and .mpy size per module](img/footprint.png)", ""]
    if data.get("footprint_boards"):  # RAM after import on the 32-bit boards first
        out += ["### RAM after import on [armv7m] and [rv32] (tools/footprint)", "",
                footprint.boards_markdown(data["footprint_boards"]), "",
                "### x64 unix port", ""]
    out += [footprint_section(data["footprint"]), ""]
    if "board" in data:  # results from before the board lanes have no such section
        out += ["## On a 32-bit board (Cortex-M3 under qemu)", "", board_section(data), ""]
    return "\n".join(out)


# ---- plots ----------------------------------------------------------------------------------


SAVE = {"metadata": {"Software": None}, "dpi": 100}  # no version string: stable PNGs


def plot_all(data, img_dir):
    """Write the report's PNGs into img_dir; the file names written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(img_dir, exist_ok=True)
    made = []
    for name, draw in (("cost_ratios.png", plot_cost_ratios), ("latency.png", plot_latency),
                       ("footprint.png", plot_footprint)):
        fig = draw(plt, data)
        if fig is None:
            continue
        fig.tight_layout()
        fig.savefig(os.path.join(img_dir, name), **SAVE)
        plt.close(fig)
        made.append(name)
    return made


def plot_cost_ratios(plt, data):
    """Cost ratio of every case against its baseline (kernel rows left out), log axis."""
    rows = data["cases"]
    by_id = {r["id"]: r for r in rows}
    sel = [r for r in rows if r["ratio"] is not None and not is_kernel_row(r, by_id)]
    if not sel:
        return None
    fig, ax = plt.subplots(figsize=(12, 1.6 + 0.3 * len(sel)))
    y = list(range(len(sel)))[::-1]
    colors = [{"pass": "tab:green", "miss": "tab:red"}.get(r["status"], "tab:gray")
              for r in sel]
    err = [[r["ratio"] - r["ratio_min"] for r in sel],
           [r["ratio_max"] - r["ratio"] for r in sel]]
    ax.barh(y, [r["ratio"] for r in sel], xerr=err, color=colors, alpha=0.8, capsize=2)
    for yi, r in zip(y, sel):
        if r["target"] is not None:
            ax.plot([r["target"]] * 2, [yi - 0.4, yi + 0.4], color="black", lw=2)
    ax.axvline(1.0, color="black", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_yticks(y)
    ax.set_yticklabels(["[%s] %s" % (r["family"], r["label"][:80]) for r in sel], fontsize=7)
    ax.set_xlabel("time / baseline time (log; < 1 = faster than the heap/builtin "
                  "baseline)\nblack tick = target; green pass, red miss, grey no target; "
                  "whiskers = min-max over rounds")
    ax.set_title("mpalloc cost per op vs what a MicroPython user would write")
    return fig


def survival(hist):
    """(x, y) of a step curve: the fraction of ops taking at least x us."""
    total = sum(n for _, n in hist)
    xs, ys, above = [], [], total
    for v, n in hist:
        xs.append(max(v, 0.5))
        ys.append(above / total)
        above -= n
    xs.append(xs[-1])
    ys.append(1 / total / 2)  # the curve ends below the last op
    return xs, ys


def plot_latency(plt, data):
    """Latency distribution per kind: fraction of ops taking >= x us, log-log."""
    lat = data["latency"]
    fig, ax = plt.subplots(figsize=(9, 5))
    for kind in lat["kinds"]:
        xs, ys = survival(lat[kind]["hist"])
        ax.step(xs, ys, where="post", lw=2.2 if kind == "heap" else 1.4,
                label="%s (worst %d us, %d GC)" % (lat[kind]["label"], lat[kind]["worst_us"],
                                                   lat[kind]["collections"]))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("single-op latency, us: per op the minimum over %d passes (log; 0 us = "
                  "under the 1 us timer tick, drawn at 0.5)" % lat["passes"])
    ax.set_ylabel("fraction of ops taking at least x")
    ax.set_title("%d single ops each, %d live objects on the heap, gc.threshold(%d)"
                 % (lat["ops"], lat["live_objects"], lat["gc_threshold"]), fontsize=10)
    ax.legend(fontsize=7, loc="upper right")
    ax.grid(True, which="major", alpha=0.3)
    return fig


def plot_footprint(plt, data):
    """RAM after import (.py, .mpy, ROMFS) and installed .mpy per arch, per module."""
    fp = data["footprint"]
    mods = fp["modules"]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 5), sharey=True)
    y = list(range(len(mods)))[::-1]
    ram_bars(a1, mods, y)
    mpy_bars(a2, fp, mods, y)
    fig.suptitle("mpalloc footprint per module (with what it imports)")
    return fig


def ram_bars(ax, mods, y):
    h = 0.27
    ax.barh([v + h for v in y], [r["py_bytes"] / 1024 for r in mods], h, label=".py")
    ax.barh(y, [r["mpy_bytes"] / 1024 for r in mods], h,
            label=".mpy (x64; native code not on the heap)")
    ax.barh([v - h for v in y], [r["romfs_bytes"] / 1024 for r in mods], h,
            label=".mpy from ROMFS")
    ax.scatter([r["floor_mpy_bytes"] / 1024 for r in mods], y, marker="|", s=120,
               color="red", zorder=3, label="API floor (.mpy)")
    for yi, r in zip(y, mods):
        if r["target_mpy_bytes"]:
            ax.plot([r["target_mpy_bytes"] / 1024] * 2, [yi - 0.45, yi + 0.45], color="black",
                    lw=2)
    ax.set_yticks(y)
    ax.set_yticklabels([r["module"] for r in mods], fontsize=8)
    ax.set_xlabel("KB of heap after import (black tick = target)")
    ax.legend(fontsize=7)


def mpy_bars(ax, fp, mods, y):
    mpy = {r["module"]: r for r in fp["mpy_modules"]}
    arches = [a for a in fp["arches"] if a != "x64"]
    hh = 0.8 / max(len(arches), 1)
    for i, arch in enumerate(arches):
        ax.barh([v + 0.4 - hh * (i + 0.5) for v in y],
                [mpy[r["module"]]["installed"][arch] / 1024 for r in mods], hh, label=arch)
    ax.set_xlabel("KB of .mpy installed")
    ax.legend(fontsize=7)


# ---- main -----------------------------------------------------------------------------------


def load(path):
    with open(path) as f:
        data = json.load(f)
    if data.get("schema") != SCHEMA:
        sys.exit("tools/report: %s has schema %r, this report reads schema %d; rerun "
                 "tools/bench" % (path, data.get("schema"), SCHEMA))
    return data


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", default=os.path.join(ROOT, "build", "bench.json"),
                    help="tools/bench output (default build/bench.json)")
    ap.add_argument("--out", default=None,
                    help="markdown report (default docs/benchmarks.md, or "
                         "build/report/benchmarks.md for a --quick run); the JSON is copied "
                         "next to it as benchmarks.json and plots go to img/ beside it")
    ap.add_argument("--no-plots", action="store_true", help="skip the PNGs (no matplotlib)")
    ap.add_argument("--readme", metavar="FILE", help="replace FILE's summary block")
    ap.add_argument("--check-readme", metavar="FILE",
                    help="exit 1 unless FILE's summary block equals the report's")
    args = ap.parse_args(argv)

    data = load(args.json)
    block = summary_block(data)
    if args.check_readme:
        return check_readme(args.check_readme, block)
    quick = bool(data["meta"].get("quick"))
    write_report(args, data, quick)
    if args.readme and quick:
        print("report: %s not updated: a --quick run is not a measurement (run make bench "
              "without --quick to refresh docs/ and the README summary)" % args.readme)
    elif args.readme:
        update_readme(args.readme, block)


def check_readme(path, block):
    with open(path) as f:
        have = extract_block(f.read())
    if have != block:
        sys.exit("tools/report: %s's summary block %s; run tools/report --readme %s"
                 % (path, "is missing" if have is None else "is stale", path))
    print("%s: summary block is current" % path)


def write_report(args, data, quick):
    """The markdown, the JSON beside it and the plots (a --quick run: under build/)."""
    if args.out is None:
        args.out = os.path.join(ROOT, "build" if quick else "docs",
                                *(("report", "benchmarks.md") if quick else ("benchmarks.md",)))
    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    plots = [] if args.no_plots else plot_all(data, os.path.join(out_dir, "img"))
    with open(args.out, "w") as f:
        f.write(render(data))
    copy = os.path.join(out_dir, "benchmarks.json")
    if os.path.abspath(args.json) != copy:
        shutil.copyfile(args.json, copy)
    print("report: %s (+ %s%s)" % (os.path.relpath(args.out), os.path.relpath(copy),
                                   "".join(", img/" + p for p in plots)))


def update_readme(path, block):
    with open(path) as f:
        text = f.read()
    new = replace_block(text, block, path)
    if new != text:
        with open(path, "w") as f:
            f.write(new)
    print("report: summary block of %s %s" % (path, "updated" if new != text else "unchanged"))

if __name__ == "__main__":
    main()
