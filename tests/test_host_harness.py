"""The multi-runtime harness itself: failures and import errors on MicroPython fail loudly."""

import os
import shutil

from lanes import unix as unix_lane

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_project(pytester, monkeypatch):
    """A copy of the harness (conftest, support, runner, build, lib) in a temp dir."""
    base = pytester.path
    for rel in ("tests/conftest.py", "tests/support.py", "tools/device/mptest.py",
                "tools/build"):
        os.makedirs(base / os.path.dirname(rel), exist_ok=True)
        shutil.copy(os.path.join(ROOT, rel), base / rel)
    shutil.copytree(os.path.join(ROOT, "tools", "mpalloc_tools"), base / "tools" / "mpalloc_tools")
    shutil.copytree(os.path.join(ROOT, "tests", "lanes"), base / "tests" / "lanes")
    shutil.copytree(os.path.join(ROOT, "lib"), base / "lib")
    shutil.copytree(os.path.join(ROOT, "boards"), base / "boards")
    # as pyproject.toml: the lanes import the host tools package (mpalloc_tools)
    (base / "pytest.ini").write_text("[pytest]\ntestpaths = tests\npythonpath = tools\n")
    monkeypatch.setenv("MPALLOC_LANES", "cpython,unix,unix-pure,unix-mpy")
    monkeypatch.delenv("MPALLOC_REQUIRE_LANES", raising=False)  # set by .ci/run
    # The copy has no .venv of its own: point it at this project's unix port (the one the
    # suite itself uses, $MICROPYTHON or .venv/bin/micropython), so these tests pass
    # without MICROPYTHON set.
    exe = unix_lane.micropython_binary()
    if exe:
        monkeypatch.setenv("MICROPYTHON", os.path.abspath(exe))
    return base / "tests"


def test_items_for_all_four_runtimes(pytester, monkeypatch):
    tests = make_project(pytester, monkeypatch)
    (tests / "test_ok.py").write_text("def test_a():\n    assert 1 + 1 == 2\n")
    result = pytester.runpytest_subprocess("-v")
    result.assert_outcomes(passed=4)
    for rt in ("cpython", "unix", "unix-pure", "unix-mpy"):
        result.stdout.fnmatch_lines(["*test_a[[]%s[]] PASSED*" % rt])


def test_micropython_failure_shows_its_traceback(pytester, monkeypatch):
    tests = make_project(pytester, monkeypatch)
    (tests / "test_mp_only_fail.py").write_text(
        "import sys\n\n\ndef test_b():\n"
        "    assert sys.implementation.name != 'micropython', 'boom on mp'\n")
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1, failed=3)
    result.stdout.fnmatch_lines(["*MicroPython (unix) traceback:*", "*boom on mp*"])


def test_import_error_on_micropython_fails_every_item(pytester, monkeypatch):
    tests = make_project(pytester, monkeypatch)
    (tests / "test_bad_import.py").write_text(
        "import sys\nif sys.implementation.name == 'micropython':\n"
        "    import no_such_module_here\n\n\ndef test_c():\n    pass\n\n\ndef test_d():\n"
        "    pass\n")
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=2, failed=6)
    result.stdout.fnmatch_lines(["*no_such_module_here*"])


def test_skip_is_reported_as_skip(pytester, monkeypatch):
    tests = make_project(pytester, monkeypatch)
    (tests / "test_sk.py").write_text(
        "from support import no_alloc\n\n\ndef test_e():\n    no_alloc(len, 'x')\n")
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=3, skipped=1)


def test_missing_lane_is_one_skip_with_its_reason(pytester, monkeypatch):
    tests = make_project(pytester, monkeypatch)
    (tests / "test_one.py").write_text("def test_a():\n    pass\n")
    (tests / "test_two.py").write_text("def test_b():\n    pass\n")
    monkeypatch.setenv("MICROPYTHON", str(pytester.path / "no-such-micropython"))
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("MPALLOC_LANES", "cpython,unix")
    result = pytester.runpytest_subprocess("-rs")
    result.assert_outcomes(passed=2, skipped=1)
    result.stdout.fnmatch_lines(["*lane unix skipped: no MicroPython unix port*make test*"])


def test_missing_lane_fails_where_lanes_are_required(pytester, monkeypatch):
    tests = make_project(pytester, monkeypatch)
    (tests / "test_one.py").write_text("def test_a():\n    pass\n")
    monkeypatch.setenv("MICROPYTHON", str(pytester.path / "no-such-micropython"))
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("MPALLOC_LANES", "cpython,unix")
    monkeypatch.setenv("MPALLOC_REQUIRE_LANES", "1")
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*MPALLOC_REQUIRE_LANES is set*"])
