"""lib/'s import graph: no cycles, and each cold module serves exactly one public module.

Every ``import``/``from ... import`` anywhere in a module counts as an edge: at module
level AND inside functions (a lazy import is still a dependency; it only runs later).
``from mpalloc import name`` is an edge to ``mpalloc.name`` when that is a module, else
to the package. Only edges between ``mpalloc`` modules matter.

CYCLE_EDGES_TO_FIX lists the imports that closed a cycle when this test was written
(issue 17): each family helper deletes its entries as the cold module stops importing its
public module (pass the class or instance as an argument instead). The test fails on a
cycle not broken by an entry, AND on an entry that no longer closes a cycle, so the list
only shrinks. THE LIST MUST END EMPTY: then delete it and the ``allowed`` arguments.

COLD_SHARED_TO_FIX likewise lists cold modules imported by a module other than their own
(``_X_cold`` serves only ``X``), COLD_FORM_TO_FIX the modules that reach their cold code
another way than the house convention (bulletin, "Cold paths"); both must end empty too.
"""

import ast
import os

LIB = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "lib")
PKG = "mpalloc"

# (importer, imported): imports that close one of today's cycles. DELETE an entry when
# you break its cycle; the list must end empty (issue 17: no import cycles in lib/).
CYCLE_EDGES_TO_FIX = set()

# (cold module, importer other than its public module). DELETE an entry when you move
# that code home; the list must end empty.
COLD_SHARED_TO_FIX = set()

# Public modules that still reach their cold module another way than the convention
# (``from mpalloc._X_cold import name`` inside the function that needs it, then
# ``name(...)``): a string lookup ``_cold("badcap")``, ``_cold().name``, or
# ``from mpalloc import _X_cold``. DELETE an entry when its module follows it; the list
# must end empty.
COLD_FORM_TO_FIX = set()


def module_files(lib=LIB):
    """{module name: path} of every .py module of the package under ``lib``."""
    root = os.path.join(lib, PKG)
    found = {}
    for name in sorted(os.listdir(root)):
        if name.endswith(".py"):
            stem = name[:-3]
            found[PKG if stem == "__init__" else PKG + "." + stem] = os.path.join(root, name)
    return found


def parse(path):
    with open(path) as f:
        return ast.parse(f.read(), path)


def imports_of(path, modules):
    """{imported module: first line} for every mpalloc import in the file at ``path``,
    at any depth (module level, functions, methods, try blocks)."""
    tree = parse(path)
    edges = {}

    def add(target, line):
        if target in modules and target not in edges:
            edges[target] = line

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # the library uses absolute imports only
                raise AssertionError("%s:%d: relative import" % (path, node.lineno))
            base = node.module or ""
            for alias in node.names:
                full = base + "." + alias.name
                add(full if full in modules else base, node.lineno)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id == "__import__" and node.args
              and isinstance(node.args[0], ast.Constant)
              and str(node.args[0].value).startswith(PKG)):
            add(node.args[0].value, node.lineno)
    return edges


def import_graph(lib=LIB):
    """{module: {imported module: line}} over the package's modules."""
    files = module_files(lib)
    return {name: imports_of(path, files) for name, path in files.items()}


def find_cycle(graph, cut=()):
    """One import cycle as a list of modules [a, b, ..., a], or None; edges in ``cut``
    are left out."""
    state = {}  # module -> 1 on the current path, 2 done

    def visit(node, path):
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if (node, nxt) in cut:
                continue
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt, path)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start, [])
            if found:
                return found
    return None


def describe(graph, cycle):
    return " -> ".join(
        "%s (line %d)" % (a, graph[a][b]) for a, b in zip(cycle, cycle[1:])) + " -> " + cycle[-1]


def cycle_problems(graph, allowed):
    """Why the graph fails, as sentences: a cycle that no allowed edge breaks, an allowed
    edge that is gone or closes no cycle any more (delete it)."""
    problems = []
    cycle = find_cycle(graph, allowed)
    if cycle:
        problems.append("import cycle: %s. Break it: the lower module must not import the "
                        "higher one (pass the class or instance as an argument)."
                        % describe(graph, cycle))
    for edge in sorted(allowed):
        a, b = edge
        if b not in graph.get(a, {}):
            problems.append("%s no longer imports %s: delete %r from CYCLE_EDGES_TO_FIX"
                            % (a, b, edge))
        elif find_cycle(graph, allowed - {edge}) is None:
            problems.append("%s -> %s closes no cycle any more: delete %r from "
                            "CYCLE_EDGES_TO_FIX" % (a, b, edge))
    return problems


def cold_problems(graph, allowed):
    """Each ``mpalloc._X_cold`` is imported only by ``mpalloc.X`` (and ``_X_*`` modules of
    the same family), except the pairs in ``allowed``, which must still exist."""
    problems = []
    seen = set()
    for importer in sorted(graph):
        for target, line in sorted(graph[importer].items()):
            short = target[len(PKG) + 1:]
            if not (short.startswith("_") and short.endswith("_cold")):
                continue
            family = short[1:-len("_cold")]
            if importer == PKG + "." + family:
                continue
            if (target, importer) in allowed:
                seen.add((target, importer))
                continue
            problems.append("%s imports %s (line %d): a cold module serves only its own "
                            "public module (%s.%s); move the code to %s's own module"
                            % (importer, target, line, PKG, family, importer))
    for pair in sorted(allowed - seen):
        problems.append("%s is no longer imported by %s: delete %r from COLD_SHARED_TO_FIX"
                        % (pair[0], pair[1], pair))
    return problems


def test_lib_has_no_import_cycles_beyond_the_shrinking_allowlist():
    graph = import_graph()
    problems = cycle_problems(graph, CYCLE_EDGES_TO_FIX)
    assert not problems, "\n".join(problems)


def test_each_cold_module_serves_only_its_public_module():
    graph = import_graph()
    problems = cold_problems(graph, COLD_SHARED_TO_FIX)
    assert not problems, "\n".join(problems)


def cold_form_problems(lib, allowed):
    """Each import of a cold module must be ``from mpalloc._X_cold import name[, ...]``
    inside a function (never at module level, never ``from mpalloc import _X_cold``, which
    invites ``getattr``/string lookups), except in the modules ``allowed``, each of which
    must still break the rule."""
    problems = []
    breaking = set()
    for module, path in module_files(lib).items():
        tree = parse(path)
        in_function = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                in_function.update(id(n) for n in ast.walk(node) if n is not node)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                bad = [a.name for a in node.names if a.name.endswith("_cold")]
            elif isinstance(node, ast.ImportFrom):
                names = [(node.module or "") + "." + a.name for a in node.names]
                bad = [n for n in names if n.endswith("_cold")]
                if (node.module or "").endswith("_cold"):
                    bad = [] if id(node) in in_function else [node.module]
            else:
                continue
            if not bad:
                continue
            breaking.add(module)
            if module not in allowed:
                problems.append("%s:%d reaches %s another way than `from %s import name` "
                                "inside the function that needs it"
                                % (module, node.lineno, bad[0], bad[0]))
    for module in sorted(allowed - breaking):
        problems.append("%s follows the cold-path convention now: delete it from "
                        "COLD_FORM_TO_FIX" % module)
    return problems


def test_cold_code_is_reached_one_way():
    problems = cold_form_problems(LIB, COLD_FORM_TO_FIX)
    assert not problems, "\n".join(problems)


def test_allowlists_only_shrink():
    # Issue 17 closes when all three sets are empty (then delete them and this test).
    # Entries on 2026-12-02: 7 cycle edges, 4 shared cold modules, 9 modules off-form.
    assert len(CYCLE_EDGES_TO_FIX) <= 7, "a new import cycle: break it, do not allowlist it"
    assert len(COLD_SHARED_TO_FIX) <= 4, "a cold module serving a second module: move it"
    assert len(COLD_FORM_TO_FIX) <= 9, "a new way to reach cold code: use the convention"


# The checker checks itself on small made-up graphs (so a broken walk cannot pass lib/).

def test_checker_sees_a_function_level_import_cycle(tmp_path):
    pkg = tmp_path / PKG
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from mpalloc._a_cold import g\n    g()\n")
    (pkg / "_a_cold.py").write_text("from mpalloc import a\n")
    (pkg / "b.py").write_text("def h():\n    from mpalloc import _a_cold\n")
    graph = import_graph(str(tmp_path))
    assert graph["mpalloc.a"] == {"mpalloc._a_cold": 2}
    problems = cycle_problems(graph, set())
    assert len(problems) == 1 and "mpalloc._a_cold (line 1) -> mpalloc.a" in problems[0], problems
    assert cycle_problems(graph, {("mpalloc._a_cold", "mpalloc.a")}) == []
    stale = cycle_problems(graph, {("mpalloc._a_cold", "mpalloc.a"), ("mpalloc.a", "mpalloc.b")})
    assert len(stale) == 1 and "delete" in stale[0], stale
    cold = cold_problems(graph, set())
    assert len(cold) == 1 and "mpalloc.b imports mpalloc._a_cold (line 2)" in cold[0], cold
    assert cold_problems(graph, {("mpalloc._a_cold", "mpalloc.b")}) == []
    assert cold_form_problems(str(tmp_path), set()) == [
        "mpalloc.b:2 reaches mpalloc._a_cold another way than `from mpalloc._a_cold import "
        "name` inside the function that needs it"]
    assert cold_form_problems(str(tmp_path), {"mpalloc.b"}) == []
    assert "delete" in cold_form_problems(str(tmp_path), {"mpalloc.a", "mpalloc.b"})[0]
    (pkg / "_a_cold.py").write_text("def g(cls):\n    return cls\n")
    graph = import_graph(str(tmp_path))
    assert cycle_problems(graph, set()) == []
    gone = cycle_problems(graph, {("mpalloc._a_cold", "mpalloc.a")})
    assert len(gone) == 1 and "no longer imports" in gone[0], gone
