"""docs/design.md's anchors are stable: every `docs/design.md#<anchor>` reference in the
project names an anchor the page defines (`<a id="anchor"></a>`), and the page's own
`(#anchor)` links resolve. Rename an anchor and this fails where it is still used."""

import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DESIGN = os.path.join(ROOT, "docs", "design.md")
SEARCHED = ("lib", "tests", "tools", "docs", "examples", "README.md", "CONTRIBUTING.md")
REFERENCE = re.compile(r"docs/design\.md#([A-Za-z0-9_-]+)")


def anchors(text):
    found = re.findall(r'<a id="([^"]+)"></a>', text)
    dupes = sorted({a for a in found if found.count(a) > 1})
    assert not dupes, "anchors defined twice in docs/design.md: %s" % dupes
    return set(found)


def files():
    for entry in SEARCHED:
        path = os.path.join(ROOT, entry)
        if os.path.isfile(path):
            yield path
            continue
        for dirpath, dirnames, filenames in os.walk(path):
            dirnames[:] = [d for d in dirnames if d not in ("__pycache__", "img")]
            for name in filenames:
                if name.endswith((".py", ".pyi", ".md", ".mjs")) or "." not in name:
                    yield os.path.join(dirpath, name)


def references():
    """[(path, line number, anchor)] for every docs/design.md#<anchor> in the project."""
    out = []
    for path in files():
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except (UnicodeDecodeError, IsADirectoryError):
            continue
        for n, line in enumerate(lines, 1):
            for anchor in REFERENCE.findall(line):
                out.append((os.path.relpath(path, ROOT), n, anchor))
    return out


def test_every_design_reference_names_an_anchor():
    with open(DESIGN, encoding="utf-8") as f:
        defined = anchors(f.read())
    bad = ["%s:%d: docs/design.md#%s" % ref for ref in references() if ref[2] not in defined]
    assert not bad, ("references to anchors docs/design.md does not define (it defines %s):\n"
                     % sorted(defined)) + "\n".join(bad)


def test_design_page_links_resolve():
    with open(DESIGN, encoding="utf-8") as f:
        text = f.read()
    defined = anchors(text)
    bad = sorted(set(re.findall(r"\]\(#([^)]+)\)", text)) - defined)
    assert not bad, "docs/design.md links to undefined anchors: %s" % bad


def test_checker_finds_references(tmp_path):
    # The pattern and the walk really see a comment in lib/ (else the check passes empty).
    refs = references()
    assert any(path.startswith("tests") for path, _, _ in refs), refs
    assert REFERENCE.findall("x = 1  # docs/design.md#heap-frames") == ["heap-frames"]
    assert anchors('<a id="a"></a> <a id="b"></a>') == {"a", "b"}
