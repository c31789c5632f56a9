"""Repeated code kept for speed must not drift (issue 15: one source per loop and constant).

Two markers in lib/mpalloc/*.py (docs: the bulletin's conventions, CONTRIBUTING.md):

    # BEGIN SHARED <name>          first line of a copied block, any indentation
    ...
    # END SHARED <name>

  every block of one <name> is identical after dedent, and a name has >= 2 blocks;

    _D = const(20)  # layout <family>[: any description]

  a layout constant repeated across files has one value per (family, name) (a tag on
  the one definition that others repeat is fine).

The checker is plain functions over {path: text}, so the tests below plant a drift in
memory and show the failure message a maintainer would read.
"""

import ast
import glob
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKG = os.path.join(ROOT, "lib", "mpalloc")

BEGIN = re.compile(r"^(\s*)# BEGIN SHARED (\S+)\s*$")
END = re.compile(r"^(\s*)# END SHARED (\S+)\s*$")
MARKER = re.compile(r"#\s*(BEGIN|END)\s+SHARED\b")
LAYOUT = re.compile(r"^\s*([A-Za-z_]\w*)\s*=\s*([^#]+?)\s*#\s*layout\s+(\w+)\b")
LAYOUT_LOOSE = re.compile(r"#\s*layout\b")


def sources():
    """{relative path: text} of every module in lib/mpalloc."""
    out = {}
    for path in sorted(glob.glob(os.path.join(PKG, "*.py"))):
        with open(path) as f:
            out[os.path.relpath(path, ROOT)] = f.read()
    return out


def dedent(lines):
    """The block's lines with the common leading whitespace removed (blank lines kept
    empty, trailing whitespace dropped)."""
    lines = [ln.rstrip() for ln in lines]
    widths = [len(ln) - len(ln.lstrip()) for ln in lines if ln.strip()]
    cut = min(widths) if widths else 0
    return [ln[cut:] if ln.strip() else "" for ln in lines]


def scan_blocks(files):
    """({name: [(path, begin line, dedented lines)]}, [malformed-marker errors])."""
    blocks = {}
    errors = []
    for path, text in files.items():
        open_ = None  # (name, begin line number, lines)
        for no, line in enumerate(text.splitlines(), 1):
            b = BEGIN.match(line)
            e = END.match(line)
            if b:
                if open_ is not None:
                    errors.append("%s:%d: BEGIN SHARED %s inside block %s opened at line %d"
                                  % (path, no, b.group(2), open_[0], open_[1]))
                    continue
                open_ = (b.group(2), no, [])
            elif e:
                if open_ is None:
                    errors.append("%s:%d: END SHARED %s without a BEGIN" % (path, no, e.group(2)))
                elif e.group(2) != open_[0]:
                    errors.append("%s:%d: END SHARED %s closes block %s opened at line %d"
                                  % (path, no, e.group(2), open_[0], open_[1]))
                else:
                    blocks.setdefault(open_[0], []).append((path, open_[1], dedent(open_[2])))
                    open_ = None
            elif MARKER.search(line):
                errors.append("%s:%d: malformed marker %r (want '# BEGIN SHARED <name>' or "
                              "'# END SHARED <name>' alone on its line)" % (path, no, line.strip()))
            elif open_ is not None:
                open_[2].append(line)
        if open_ is not None:
            errors.append("%s:%d: BEGIN SHARED %s never closed" % (path, open_[1], open_[0]))
    return blocks, errors


def block_errors(blocks):
    """One message per name whose copies differ or that has a single copy."""
    errors = []
    for name in sorted(blocks):
        copies = blocks[name]
        if len(copies) < 2:
            path, no, _ = copies[0]
            errors.append("SHARED %s: only one block (%s:%d); a shared block has >= 2 copies "
                          "(drop the markers or mark the other copy)" % (name, path, no))
            continue
        # The reference is the version most copies share (the first on a tie), so one
        # drifted copy is the one reported.
        votes = [sum(1 for c in copies if c[2] == x[2]) for x in copies]
        ref_path, ref_no, ref = copies[votes.index(max(votes))]
        for path, no, lines in copies:
            if lines == ref:
                continue
            for i in range(max(len(ref), len(lines))):
                a = ref[i] if i < len(ref) else "<end of block>"
                b = lines[i] if i < len(lines) else "<end of block>"
                if a != b:
                    break
            errors.append("SHARED %s differs: %s:%d vs %s:%d, first at block line %d:\n"
                          "    %s:%d: %s\n    %s:%d: %s"
                          % (name, ref_path, ref_no, path, no, i + 1,
                             ref_path, ref_no + 1 + i, a, path, no + 1 + i, b))
    return errors


def const_value(expr):
    """The int a tagged right-hand side stands for: `const(<int expr>)` or `<int expr>`;
    None when it is not a literal integer expression."""
    try:
        node = ast.parse(expr, mode="eval").body
    except SyntaxError:
        return None
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "const"
            and len(node.args) == 1):
        node = node.args[0]

    def ev(n):
        if isinstance(n, ast.Constant) and isinstance(n.value, int):
            return n.value
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.Invert)):
            v = ev(n.operand)
            return -v if isinstance(n.op, ast.USub) else ~v
        if isinstance(n, ast.BinOp):
            ops = {ast.Add: int.__add__, ast.Sub: int.__sub__, ast.Mult: int.__mul__,
                   ast.LShift: int.__lshift__, ast.RShift: int.__rshift__, ast.BitOr: int.__or__,
                   ast.BitAnd: int.__and__, ast.FloorDiv: int.__floordiv__, ast.Pow: int.__pow__}
            op = ops.get(type(n.op))
            if op is not None:
                return op(ev(n.left), ev(n.right))
        raise ValueError(ast.dump(n))

    try:
        return ev(node)
    except ValueError:
        return None


def scan_layout(files):
    """({(family, name): [(path, line, value)]}, [malformed-tag errors])."""
    consts = {}
    errors = []
    for path, text in files.items():
        for no, line in enumerate(text.splitlines(), 1):
            m = LAYOUT.match(line)
            if m is None:
                if LAYOUT_LOOSE.search(line) and "=" in line.split("#")[0]:
                    errors.append("%s:%d: malformed layout tag %r (want 'NAME = const(N)  "
                                  "# layout <family>')" % (path, no, line.strip()))
                continue
            name, expr, family = m.groups()
            value = const_value(expr)
            if value is None:
                errors.append("%s:%d: layout %s %s = %s is not an integer literal expression"
                              % (path, no, family, name, expr))
                continue
            consts.setdefault((family, name), []).append((path, no, value))
    return consts, errors


def layout_errors(consts):
    errors = []
    for (family, name) in sorted(consts):
        sites = consts[(family, name)]
        if len({v for _, _, v in sites}) > 1:
            errors.append("layout %s %s has %d values:\n%s" % (
                family, name, len({v for _, _, v in sites}),
                "\n".join("    %s:%d: %s = %d (0x%X)" % (p, n, name, v, v) for p, n, v in sites)))
    return errors


def drift(files):
    """Every drift and malformed marker in ``files`` ({path: text}), as messages."""
    blocks, errors = scan_blocks(files)
    consts, more = scan_layout(files)
    return errors + more + block_errors(blocks) + layout_errors(consts)


def test_lib_shared_blocks_and_layout_constants_agree():
    errors = drift(sources())
    assert not errors, "repeated code drifted (fix this copy or the others):\n" + "\n".join(errors)


# The checker itself, on planted drifts (so the test above can fail).

LOOP = """\
def a(p, n):
    # BEGIN SHARED copy_words
    i = 0
    while i < n:
        p[i] = 0
        i += 1
    # END SHARED copy_words
    return n
"""


def nested(text):
    """The same block one indentation level deeper (blocks compare after dedent)."""
    return "class K:\n" + "".join("    " + ln + "\n" for ln in text.splitlines())


def test_identical_blocks_at_different_indentation_pass():
    assert drift({"a.py": LOOP, "b.py": nested(LOOP)}) == []


def test_planted_block_drift_names_files_lines_and_first_difference():
    planted = LOOP.replace("i += 1", "i += 2")
    errors = drift({"a.py": LOOP, "b.py": nested(planted)})
    assert len(errors) == 1, errors
    msg = errors[0]
    assert "SHARED copy_words differs: a.py:2 vs b.py:3, first at block line 4" in msg, msg
    assert "a.py:6:     i += 1" in msg and "b.py:7:     i += 2" in msg, msg


def test_the_copy_that_drifted_is_reported_against_the_majority():
    planted = LOOP.replace("i += 1", "i -= 1")
    errors = drift({"a.py": planted, "b.py": LOOP, "c.py": nested(LOOP)})
    assert len(errors) == 1 and "b.py:2 vs a.py:2" in errors[0], errors


def test_block_cut_short_reports_end_of_block():
    short = LOOP.replace("        i += 1\n", "")
    msg = drift({"a.py": LOOP, "b.py": short})[0]
    assert "b.py:6: <end of block>" in msg, msg


def test_single_block_and_malformed_markers_fail():
    assert "only one block (a.py:2)" in drift({"a.py": LOOP})[0]
    unclosed = LOOP.replace("    # END SHARED copy_words\n", "")
    assert any("never closed" in e for e in drift({"a.py": LOOP, "b.py": unclosed}))
    wrong_end = LOOP.replace("END SHARED copy_words", "END SHARED copy_word")
    assert any("closes block copy_words" in e for e in drift({"a.py": LOOP, "b.py": wrong_end}))
    typo = LOOP.replace("# BEGIN SHARED copy_words", "# BEGIN SHARED  copy words")
    assert any("malformed marker" in e for e in drift({"a.py": LOOP, "b.py": typo}))


def test_planted_layout_drift_names_every_site():
    a = "_D = const(20)  # layout ring\n_H = const(5)  # layout ring\n"
    b = "x = 1\n_D = const(4 * 5)  # layout ring\n_H = const(5)  # layout ring\n"
    assert drift({"a.py": a, "b.py": b}) == []
    c = b.replace("4 * 5", "24")
    errors = drift({"a.py": a, "b.py": c})
    assert errors == ["layout ring _D has 2 values:\n"
                      "    a.py:1: _D = 20 (0x14)\n    b.py:2: _D = 24 (0x18)"], errors
    # families are separate namespaces; an unreadable tag is an error
    assert drift({"a.py": a, "b.py": b.replace("layout ring", "layout slab")}) == []
    assert drift({"a.py": "_X = const(1)  # layout ring\n"}) == []  # the layout's one source
    assert drift({"a.py": "_X = const(1)  # layout ring: the header words\n",
                  "b.py": "_X = const(1)  # layout ring\n"}) == []  # a description may follow
    assert "not an integer" in drift({"a.py": "_X = const(Y)  # layout ring\n",
                                      "b.py": "_X = const(1)  # layout ring\n"})[0]
