"""docs/design.md#repetition lists the repetition the project keeps, by file and name, each
with its guard or its reason. This holds that table to the code: every place and name it
cites exists, every guard it names exists (SHARED blocks, layout tags, twin tests), and
every SHARED block and layout family in lib/ has a row. (`duplicates`, which finds the
repetition, is a reviewer's tool and not available in CI; nothing here runs it.)"""

import ast
import os
import re

import test_host_drift as drift

ROOT = drift.ROOT
# A row's places and guards, as docs/design.md#repetition writes them.
PLACE = re.compile(r"`([\w./-]+\.py)(?::([\w.,]+))?`")
SHARED = re.compile(r"SHARED `([\w-]+)`")
LAYOUT = re.compile(r"layout `(\w+)`")
TWIN = re.compile(r"twin test `(tests/[\w/]+\.py)::(\w+)`")


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def rows(text):
    """[(places [(path, [names])], guard cell, why cell)] of the section's table."""
    start = text.index('<a id="repetition"></a>')
    end = text.index("<a id=", start + 1)
    out = []
    for line in text[start:end].splitlines():
        if not line.startswith("| `"):
            continue
        where, guard, why = [c.strip() for c in line.strip("|").split(" | ")]
        places = [(p, names.split(",") if names else []) for p, names in PLACE.findall(where)]
        out.append((places, guard, why))
    return out


def defined(source):
    """Names a module defines: functions and classes by simple and dotted name (nested
    ones too), and assigned names at module and class level."""
    out = set()

    def walk(node, prefix):
        for ch in ast.iter_child_nodes(node):
            if isinstance(ch, (ast.FunctionDef, ast.ClassDef)):
                out.update((ch.name, prefix + ch.name))
                walk(ch, prefix + ch.name + ".")
            elif isinstance(ch, ast.Assign) and not isinstance(node, ast.FunctionDef):
                for t in ch.targets:
                    if isinstance(t, ast.Name):
                        out.update((t.id, prefix + t.id))

    walk(ast.parse(source), "")
    return out


def lib_markers():
    """({SHARED name: {lib paths}}, {layout family: {lib paths}}), read the way
    tests/test_host_drift.py reads the markers."""
    files = drift.sources()
    blocks, _ = drift.scan_blocks(files)
    layout = {}
    for path, text in files.items():
        for line in text.splitlines():
            m = drift.LAYOUT.match(line)
            if m:
                layout.setdefault(m.group(3), set()).add(path)
    return {name: {b[0] for b in found} for name, found in blocks.items()}, layout


def problems(table, shared, layout):
    """What in ``table`` (rows()) does not hold; empty when all of it does."""
    out = []
    for places, guard, why in table:
        if not places or not why:
            out.append("a row without places or reason: %r" % ((places, guard, why),))
        for path, names in places:
            if not os.path.isfile(os.path.join(ROOT, path)):
                out.append("%s: no such file" % path)
                continue
            have = defined(read(path))
            out += ["%s: no %s" % (path, n) for n in names if n not in have]
        files = {p for p, _ in places if p.startswith("lib/")}
        for name in SHARED.findall(guard):
            if not shared.get(name, set()) & files:
                out.append("SHARED %s: no such block in %s" % (name, sorted(files)))
        for fam in LAYOUT.findall(guard):
            out += ["%s: no '# layout %s' tag" % (p, fam) for p in sorted(files)
                    if p not in layout.get(fam, ())]
        for path, func in TWIN.findall(guard):
            if not os.path.isfile(os.path.join(ROOT, path)) or \
                    not re.search(r"^def %s\(" % func, read(path), re.M):
                out.append("%s has no test %s" % (path, func))
        if not (SHARED.search(guard) or LAYOUT.search(guard) or TWIN.search(guard)
                or guard == "none"):
            out.append("guard %r: SHARED `name`, layout `family`, twin test `path::test` "
                       "or none" % guard)
    guards = " ".join(g for _, g, _ in table)
    out += ["SHARED %s (in %s) has no row" % (n, sorted(p)) for n, p in sorted(shared.items())
            if n not in SHARED.findall(guards)]
    out += ["layout family %s has no row" % f for f in sorted(layout)
            if f not in LAYOUT.findall(guards)]
    return out


def test_every_kept_repetition_is_named_and_guarded():
    table = rows(read("docs/design.md"))
    assert len(table) >= 20, table  # the parser sees the table
    bad = problems(table, *lib_markers())
    assert not bad, ("docs/design.md#repetition does not match the code (rename the place "
                     "there, or add a row with its guard):\n" + "\n".join(bad))


def test_checker_catches_a_stale_row():
    # A renamed function, a SHARED block that is gone, a missing twin test, a layout
    # family without a row: each is reported.
    shared, layout = lib_markers()
    assert "copy_aligned" in shared and "slab" in layout
    table = [([("lib/mpalloc/_mem_viper.py", ["copy_renamed"])], "SHARED `gone`", "why"),
             ([("lib/mpalloc/_ring_py.py", ["bind"])],
              "twin test `tests/test_ring.py::test_no_such_twin`", "why")]
    bad = "\n".join(problems(table, shared, layout))
    assert "_mem_viper.py: no copy_renamed" in bad
    assert "SHARED gone: no such block" in bad
    assert "tests/test_ring.py has no test test_no_such_twin" in bad
    assert "SHARED copy_aligned" in bad and "layout family slab has no row" in bad
    assert "Slab._irq_try_alloc" in defined(read("lib/mpalloc/slab.py"))
