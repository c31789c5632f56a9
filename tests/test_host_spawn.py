"""The harness spawns lane processes from worker threads while pytest's main thread runs
host tests that change the environment; no spawn may fail for that (lanes.spawn_env).

Without the copy, this stress fails with "OSError: [Errno 14] Bad address" (measured:
72 of 3000 spawns from 8 threads, CPython 3.11.7, a 2-CPU host)."""

import os
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor

import lanes


def stress(spawn, count, jobs):
    """``spawn()`` ``count`` times from ``jobs`` threads while another thread sets and
    deletes environment variables; {error text: count} of the spawns that raised."""
    errors = {}
    stop = []

    def churn():
        i = 0
        while not stop:
            i += 1
            os.environ["MPALLOC_SPAWN_CHURN_%d" % (i % 50)] = "x" * (i % 300)
            if i % 7 == 0:
                for k in [k for k in os.environ if k.startswith("MPALLOC_SPAWN_CHURN_")]:
                    del os.environ[k]

    def one(_):
        try:
            spawn()
        except OSError as e:
            key = "%s: %s" % (type(e).__name__, e)
            errors[key] = errors.get(key, 0) + 1

    thread = threading.Thread(target=churn)
    thread.start()
    try:
        with ThreadPoolExecutor(jobs) as pool:
            list(pool.map(one, range(count)))
    finally:
        stop.append(1)
        thread.join()
        for k in [k for k in os.environ if k.startswith("MPALLOC_SPAWN_CHURN_")]:
            del os.environ[k]
    return errors


def test_lane_spawns_survive_environment_changes_in_another_thread():
    true = shutil.which("true")
    assert true, "no `true` on PATH"
    results = []

    def spawn():
        results.append(lanes.run_process([true], 30)[1])

    errors = stress(spawn, 600, 4)
    assert errors == {}, errors
    assert results == ["exit code 0"] * 600, set(results)


def test_run_process_passes_a_copy_of_the_environment(monkeypatch):
    seen = []

    def fake_popen(cmd, **kw):
        seen.append(kw.get("env"))
        raise OSError("stop here")

    monkeypatch.setattr(lanes.subprocess, "Popen", fake_popen)
    monkeypatch.setenv("MPALLOC_SPAWN_PROBE", "1")
    try:
        lanes.run_process(["x"], 1)
    except OSError:
        pass
    assert isinstance(seen[0], dict) and seen[0] is not os.environ, seen
    assert seen[0]["MPALLOC_SPAWN_PROBE"] == "1"
