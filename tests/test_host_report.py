"""tools/report renders tools/bench JSON into docs/benchmarks.md, plots and README's summary.

Host-only (CPython). The committed report must be what tools/report makes of the
committed data (docs/benchmarks.json), and README.md's summary block must be the
report's, so the numbers a reader sees come from one run.
"""

import json
import os
import subprocess
import sys

import pytest

from mpalloc_tools import footprint, report

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPORT = os.path.join(ROOT, "tools", "report")
DATA = os.path.join(ROOT, "docs", "benchmarks.json")
MD = os.path.join(ROOT, "docs", "benchmarks.md")
README = os.path.join(ROOT, "README.md")
PNG = b"\x89PNG\r\n\x1a\n"




def read(path):
    with open(path) as f:
        return f.read()


def data():
    return report.load(DATA)


def run(*args):
    return subprocess.run([sys.executable, REPORT, *args], capture_output=True, text=True,
                          cwd=ROOT, env=dict(os.environ, MPLBACKEND="Agg"), timeout=300)


def test_committed_report_is_rendered_from_committed_data():
    assert read(MD) == report.render(data()), (
        "docs/benchmarks.md differs from tools/report's rendering of docs/benchmarks.json: "
        "run `make bench` (or tools/report --json docs/benchmarks.json)")


def test_committed_report_is_a_full_run():
    meta = data()["meta"]
    assert meta["quick"] is False, "commit a full run (make bench), not --quick"
    assert meta["rounds"] >= 11


def test_readme_summary_matches_report():
    block = report.extract_block(read(README))
    assert block is not None, (
        "README.md has no %s ... %s block: paste docs/benchmarks.md's summary there (or "
        "run tools/report --readme README.md after adding the markers)"
        % (report.BEGIN, report.END))
    assert block == report.extract_block(read(MD)), (
        "README.md's summary block differs from docs/benchmarks.md's: run "
        "tools/report --readme README.md")


def test_summary_block_content():
    d = data()
    block = report.summary_block(d)
    assert block.startswith(report.BEGIN) and block.endswith(report.END)
    assert d["meta"]["date"][:10] in block
    version = ".".join(str(v) for v in d["meta"]["micropython"]["implementation"]["version"])
    assert "MicroPython " + version in block
    named = [r for r in d["cases"] if r["summary"] and r["ratio"] is not None]
    assert named, "no case declared summary=... in tools/device/bench_*.py"
    at = []
    for r in named:  # one headline row per declared case, in declared order
        row = "| %s | %s |" % (r["summary"], r["label"].replace("|", "\\|"))
        assert row in block and report.fmt_ratio(r) in block, r["id"]
        at.append(block.index(row))
    assert at == sorted(at)
    links = [part.split(")")[0] for part in block.split("](")[1:]]
    assert links, block
    for link in links:
        assert link.startswith("/"), link  # root-relative: same text in README and docs/
        assert os.path.exists(os.path.join(ROOT, link[1:])), link
    assert sum(1 for x in links if x.endswith(".png")) == 1  # one plot


def test_summary_row_of_a_miss_says_what_its_floor_explains():
    base = {"id": "b", "label": "BASE", "baseline": None, "summary": None, "ratio": None}
    row = {"id": "c", "label": "C", "baseline": "b", "summary": "Ring", "ratio": 3.0,
           "ratio_min": 2.9, "ratio_max": 3.1, "ratio_gc": None, "target": 1.5,
           "status": "miss", "floor_ratio": 2.0}
    rows = [base, row, dict(row, id="d", label="D", floor_ratio=0.5),
            dict(row, id="e", label="E", floor_ratio=None),
            dict(row, id="p", label="P", ratio=1.0, status="pass")]
    got = report.summary_rows(rows)
    assert got[0].endswith("| <= 1.5x: **miss**; floor 2.00x; the interpreter's floor is "
                           "above the bound: explained (1.50x of its floor) |"), got[0]
    assert got[1].endswith("| <= 1.5x: **miss**; floor 0.50x; 6.00x of its floor: still "
                           "ours to cut |"), got[1]
    assert got[2].endswith("| <= 1.5x: **miss**; no floor measured: unexplained |"), got[2]
    assert got[3].endswith("| <= 1.5x: **pass** |"), got[3]
    assert report.floor_reading(3.0, 2.0, 1.5) == (1.5, True)
    assert report.floor_reading(3.0, 0.75, None) == (4.0, None)
    assert report.floor_reading(3.0, None, 1.5) == (None, None)


def test_targets_table_counts_every_target():
    d = data()
    md = report.targets_section(d["targets"])
    passed = sum(1 for t in d["targets"] if t["status"] == "pass")
    assert "%d of %d targets met." % (passed, len(d["targets"])) in md
    assert md.count("| **miss** |") == sum(1 for t in d["targets"] if t["status"] == "miss")
    for t in d["targets"]:  # a missed ratio shows its floor and what the floor says
        if t["status"] != "miss" or "floor" not in t:
            continue
        if t["floor_ratio"] is None:
            assert "| - | no floor measured: unexplained |" in md, t["id"]
            continue
        over = t["value"] / t["floor_ratio"]
        why = ("the interpreter's floor is above the bound: explained (%.2fx of its floor)"
               if t["floor_ratio"] > t["target"] else "%.2fx of its floor: still ours to cut")
        assert "| %.2fx: %s | %s |" % (t["floor_ratio"], t["floor_label"].replace(
            "|", "\\|"), why % over) in md, t["id"]


def test_goals_table_renders_a_made_up_run():
    # Rendering only: a ratio target that missed with a floor, one GC-inclusive, one
    # kernel row, the latency goal, a board row, a footprint target.
    # Misses: floor under the bound (ours to cut), floor above it (the interpreter's,
    # explained), no floor (unexplained).
    ratio = {"lane": "x64", "baseline": "b", "basis": "short windows", "ratio_short": 1.3,
             "ratio_gc": None, "floor": "f", "floor_label": "FLOOR", "floor_ratio": 0.84}
    targets = [
        dict(ratio, kind="cost_ratio", id="a", label="A", value=1.3, target=1.0,
             status="miss"),
        dict(ratio, kind="cost_ratio", id="w", label="W", value=3.0, target=1.5,
             status="miss", floor_label="WORK | FLOOR", floor_ratio=2.0),
        dict(ratio, kind="cost_ratio", id="n", label="N", value=1.2, target=1.0,
             status="miss", floor=None, floor_label=None, floor_ratio=None),
        dict(ratio, kind="cost_ratio", id="s", label="S", value=0.8, target=0.9,
             status="pass", basis="GC-inclusive", ratio_gc=0.8, ratio_short=1.2),
        dict(ratio, kind="kernel", id="k_viper", label="K", value=0.25, target=0.5,
             status="pass", floor=None, floor_ratio=None),
        {"kind": "latency", "id": "slab", "label": "L", "lane": "x64", "value": 1 / 800,
         "target": 1 / 500, "status": "pass"},
        dict(ratio, kind="board_cost_ratio", id="a", label="A", lane="armv7m", value=1.4,
             target=1.0, status="miss", floor_ratio=0.9),
        {"kind": "metadata", "id": "slab", "label": "M", "value": 4, "target": 4,
         "status": "pass"},
    ]
    md = report.targets_section(targets)
    assert ("| A | 1.30x | <= 1x | **miss** | 0.84x: FLOOR | 1.55x of its floor: still "
            "ours to cut |") in md
    assert ("| W | 3.00x | <= 1.5x | **miss** | 2.00x: WORK \\| FLOOR | the interpreter's "
            "floor is above the bound: explained (1.50x of its floor) |") in md
    assert "| N | 1.20x | <= 1x | **miss** | - | no floor measured: unexplained |" in md
    assert "| S | 0.80x GC-incl. (1.20x short windows) | <= 0.9x | **pass** | - | - |" in md
    assert "| K | 0.25x | <= 0.5x | **pass** | - | - |" in md
    assert "| L | 1/800 | <= 1/500 | **pass** |" in md
    assert ("| A | 1.40x | <= 1x | **miss** | 0.90x: FLOOR | 1.56x of its floor: still ours "
            "to cut |") in md
    assert "| M | 4 B | <= 4 B | **pass** |" in md
    assert md.index("x64 unix port") < md.index("pure twin") < md.index("Worst single op") \
        < md.index("32-bit board") < md.index("Footprint")
    assert md.endswith("4 of 8 targets met.")


def test_cli_writes_markdown_and_json(tmp_path):
    out = tmp_path / "r" / "benchmarks.md"
    proc = run("--json", DATA, "--out", str(out), "--no-plots")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert out.read_text() == report.render(data())
    assert json.loads((tmp_path / "r" / "benchmarks.json").read_text()) == data()


def test_cli_writes_plots(tmp_path):
    # The plotting stack is the `bench` extra, not a test dependency: `make venv-bench`
    # (or `make bench`) installs it; .ci/run does, so CI always runs this test.
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        pytest.skip("plots need matplotlib, the bench extra: run `make venv-bench`")
    out = tmp_path / "r" / "benchmarks.md"
    proc = run("--json", DATA, "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert out.read_text() == report.render(data())
    for name in ("cost_ratios.png", "latency.png", "footprint.png"):
        png = (tmp_path / "r" / "img" / name).read_bytes()
        assert png[:8] == PNG and len(png) > 10000, name
        assert "](img/%s)" % name in out.read_text(), name


def test_readme_update_replaces_only_the_block(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# top\n\nintro\n\n%s\nold numbers\n%s\n\n## rest\nmore\n"
                      % (report.BEGIN, report.END))
    proc = run("--json", DATA, "--check-readme", str(readme))
    assert proc.returncode != 0 and "stale" in proc.stderr, proc.stderr
    proc = run("--json", DATA, "--out", str(tmp_path / "d" / "benchmarks.md"), "--no-plots",
               "--readme", str(readme))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = readme.read_text()
    assert text == "# top\n\nintro\n\n%s\n\n## rest\nmore\n" % report.summary_block(data())
    proc = run("--json", DATA, "--check-readme", str(readme))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = run("--json", DATA, "--out", str(tmp_path / "d" / "benchmarks.md"), "--no-plots",
               "--readme", str(readme))
    assert proc.returncode == 0 and "unchanged" in proc.stdout
    assert readme.read_text() == text


def test_readme_without_markers_is_an_error(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# no block here\n")
    proc = run("--json", DATA, "--out", str(tmp_path / "benchmarks.md"), "--no-plots",
               "--readme", str(readme))
    assert proc.returncode != 0 and report.BEGIN in proc.stderr
    assert readme.read_text() == "# no block here\n"
    proc = run("--json", DATA, "--check-readme", str(readme))
    assert proc.returncode != 0 and "missing" in proc.stderr


def test_wrong_schema_is_refused(tmp_path):
    d = data()
    d["schema"] = 1
    path = tmp_path / "old.json"
    path.write_text(json.dumps(d))
    proc = run("--json", str(path), "--out", str(tmp_path / "x.md"), "--no-plots")
    assert proc.returncode != 0 and "schema" in proc.stderr
    assert not (tmp_path / "x.md").exists()


def test_quick_run_never_touches_docs_or_readme(tmp_path, monkeypatch):
    """`make bench BENCH_ARGS=--quick` = tools/bench --quick + tools/report --readme README.md:
    a quick run's report goes to build/report/, docs/ and README stay as they are."""
    d = data()
    d["meta"]["quick"] = True
    quick = tmp_path / "build" / "bench.json"
    quick.parent.mkdir()
    quick.write_text(json.dumps(d))
    (tmp_path / "docs").mkdir()
    readme = tmp_path / "README.md"
    readme.write_text("%s\nold\n%s\n" % (report.BEGIN, report.END))
    monkeypatch.setattr(report, "ROOT", str(tmp_path))
    report.main(["--json", str(quick), "--no-plots", "--readme", str(readme)])
    assert (tmp_path / "build" / "report" / "benchmarks.md").read_text() == report.render(d)
    assert readme.read_text() == "%s\nold\n%s\n" % (report.BEGIN, report.END)
    assert os.listdir(tmp_path / "docs") == []
    d["meta"]["quick"] = False  # a full run still goes to docs/ and README
    quick.write_text(json.dumps(d))
    report.main(["--json", str(quick), "--no-plots", "--readme", str(readme)])
    assert (tmp_path / "docs" / "benchmarks.md").read_text() == report.render(d)
    assert report.extract_block(readme.read_text()) == report.summary_block(d)


def test_board_section_beside_x64():
    d = data()
    d["board"] = {"lane": "armv7m", "machine": "qemu mps2-an385, Cortex-M3",
                  "firmware": "/x/mps2-an385-armv7m.elf",
                  "ratio_note": "qemu, not cycle-accurate: ratios only",
                  "rounds": 9, "method": "METHOD-TEXT",
                  "cases": [{"id": "ring_put_get", "baseline": "ringio_1", "label": "RING",
                             "ratio": 1.21, "ratio_min": 1.1, "ratio_max": 1.4,
                             "ratio_gc": None, "target": 1.0, "status": "miss",
                             "floor_ratio": 0.8},
                            {"id": "ringio_1", "baseline": None, "label": "RINGIO",
                             "ratio": None, "target": None}]}
    text = report.render(d)
    section = text[text.index("## On a 32-bit board"):]
    assert ("| RING | RINGIO | 1.21x (1.10-1.40) | <= 1x: **miss**; floor 0.80x; 1.51x of "
            "its floor: still ours to cut |") in section
    assert "not cycle-accurate" in section and "9 rounds on the board (METHOD-TEXT)" in section
    assert "| module" not in section  # RAM after import there: tools/footprint
    # The README headline takes the board's RAM from tools/footprint's rows.
    boards = d["footprint_boards"]
    block = report.summary_block(d)
    for label, got, _ in footprint.headline(boards):
        assert "%s on a Cortex-M3 (armv7m, qemu): %s" % (label, report.kb(got)) in block
    d["board"] = {"skipped": "armv7m lane unavailable: qemu-system-arm not found"}
    assert "Not measured in this run: armv7m lane unavailable" in report.render(d)
