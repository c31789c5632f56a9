"""RAM after import on [armv7m] (.mpy from a filesystem) held to the budgets in
tests/footprint_budgets.json, one fresh boot of the qemu Cortex-M3 firmware per row.

RAM after import is deterministic (the same firmware runs the same instructions), so a
budget is a hard upper bound: a change that makes a row cost more fails here, and the
change either pays for itself (raise the row, saying why in its note) or shrinks.
``tools/footprint --lane armv7m --kind mpy --names ROW`` shows what each name costs.
"""

import json
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUDGETS = os.path.join(ROOT, "tests", "footprint_budgets.json")


def footprint_tool():
    from mpalloc_tools import footprint

    return footprint


def budgets():
    with open(BUDGETS) as f:
        return json.load(f)


def test_every_module_and_use_case_has_a_budget():
    fp = footprint_tool()
    table = budgets()
    assert table["lane"] == "armv7m" and table["kind"] == "mpy", table
    assert sorted(table["rows"]) == sorted(fp.rows_for(())), (
        "tests/footprint_budgets.json must hold exactly the rows tools/footprint measures "
        "(every public module, use case and 'whole')")


def test_budgets_say_where_a_goal_is_missed():
    for row, b in budgets()["rows"].items():
        assert isinstance(b["budget"], int) and b["budget"] > 0, (row, b)
        goal = b.get("goal")
        if goal is not None and b["budget"] > goal:
            assert b.get("note", "").startswith("goal %s, missed" % kb(goal)), (
                "%s: budget %d B is above its goal %d B: its note must say "
                "'goal %s, missed, <why>'" % (row, b["budget"], goal, kb(goal)))


def kb(n):
    return "%g KB" % (n / 1024)


@pytest.fixture(scope="module")
def measured():
    fp = footprint_tool()
    lane = fp.lanes()["armv7m"]
    only = os.environ.get("MPALLOC_LANES")
    if only and "armv7m" not in only.split(","):
        pytest.skip("the [armv7m] lane is not selected (MPALLOC_LANES=%s)" % only)
    why = lane.unavailable()
    if why:
        if os.environ.get("MPALLOC_REQUIRE_LANES") == "1":
            pytest.fail("[armv7m] lane required but unavailable: " + why)
        pytest.skip("[armv7m] lane unavailable: " + why)
    result = fp.measure(("armv7m",), rows=list(budgets()["rows"]), kinds=("mpy",))
    return {row: by_kind["mpy"] for row, by_kind in result["lanes"]["armv7m"]["rows"].items()}


def test_ram_after_import_within_budget(measured):
    over = []
    for row, b in budgets()["rows"].items():
        got = measured[row]["bytes"]
        if got > b["budget"]:
            over.append("%s: %d B after import on [armv7m] .mpy, budget %d B (+%d B); "
                        "see `tools/footprint --lane armv7m --kind mpy --names %s`"
                        % (row, got, b["budget"], got - b["budget"], row))
    assert not over, "\n".join(over)


def test_use_cases_count_their_objects(measured):
    # A use case costs its import plus the objects it builds, less the payload the
    # user chose (the slab's data, the ring's bytes, ...): more than the bare import.
    fp = footprint_tool()
    for row in fp.CASES:
        rec = measured[row]
        assert rec["data_bytes"] > 0, (row, rec)
        assert rec["bytes"] > rec["import_bytes"], (row, rec)


def test_boards_markdown_shows_every_row_with_budget_and_goal():
    fp = footprint_tool()
    table = budgets()
    rows = {row: {"mpy": {"bytes": b["budget"] - 1}, "romfs": {"bytes": 100}}
            for row, b in table["rows"].items()}
    rows["ring"]["mpy"]["bytes"] = 3000  # meets its 4 KB goal
    d = {"lanes": {"armv7m": {"rows": rows}}, "budgets": table, "note": "NOTE",
         "labels": {row: fp.row_label(row) for row in fp.rows_for(())}}
    md = fp.boards_markdown(d)
    lines = {ln.split(" | ")[0][2:]: ln for ln in md.splitlines() if ln.startswith("| ")}
    for row in fp.rows_for(()):
        assert fp.row_label(row) in lines, row
    assert lines["mpalloc.ring"].endswith("<= 4.0 KB: **pass** |"), lines["mpalloc.ring"]
    assert lines["mpalloc.slab"].endswith("<= 4.0 KB: **miss** |"), lines["mpalloc.slab"]
    assert dict((label, got) for label, got, _ in fp.headline(d))["mpalloc.ring"] == 3000
