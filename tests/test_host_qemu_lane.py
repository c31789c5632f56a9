"""The board lanes' host side (tests/lanes/qemu.py): skip reasons; the heap-usage pass
every lane runs (tests/lanes/__init__.py: run_with_delta, merge_delta)."""

import os

import lanes
import lanes.qemu as q


def test_missing_qemu_names_the_package(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    reasons = {lane.name: lane.unavailable() for lane in q.LANES}
    assert reasons["armv7m"] == reasons["armv6m"]
    assert "apt-get install qemu-system-arm" in reasons["armv7m"]
    assert "qemu-system-riscv32 not found" in reasons["rv32"]
    assert "apt-get install qemu-system-misc" in reasons["rv32"]


def test_missing_firmware_names_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv(q.FIRMWARE_ENV, str(tmp_path))
    for lane in q.LANES:
        if lane.unavailable() and "qemu-system" in lane.unavailable():
            continue  # no qemu on this machine: that reason comes first
        why = lane.unavailable()
        assert why and q.FIRMWARE_ENV in why and lane.elf in why and str(tmp_path) in why


def test_delta_failure_turns_pass_into_fail():
    first = ("@@MPT START test_a\n@@MPT PASS test_a\n@@MPT NO-ALLOC test_a 2\n"
             "@@MPT START test_b\n@@MPT PASS test_b\n@@MPT NO-ALLOC test_b 1\n"
             "@@MPT START test_c\n@@MPT PASS test_c\n@@MPT DONE\n")
    delta = ("@@MPT START test_a\nTraceback\nAssertionError: 68 heap bytes\n"
             "@@MPT FAIL test_a\n@@MPT START test_b\n@@MPT PASS test_b\n@@MPT DONE\n")
    out = lanes.merge_delta(first, delta, ["test_a", "test_b"], "board finished")
    assert "@@MPT FAIL test_a" in out and "@@MPT PASS test_a" not in out
    assert "68 heap bytes" in out and "heap-usage delta" in out
    assert "@@MPT PASS test_b" in out and "@@MPT PASS test_c" in out
    # no result from the delta pass (a crash): a failure with the board's output
    out = lanes.merge_delta(first, "HardFault\n", ["test_a"], "qemu exited with code 1")
    assert "@@MPT FAIL test_a" in out and "HardFault" in out and "qemu exited" in out


class _FakeLane:
    name = "fake"

    def __init__(self, first, delta):
        self.outs = [first, delta]
        self.calls = []

    def run(self, path, names):
        self.calls.append(list(names))
        return self.outs[len(self.calls) - 1], "exit code 0"


FIRST = ("@@MPT START test_a\n@@MPT PASS test_a\n@@MPT NO-ALLOC test_a 3\n"
         "@@MPT START test_c\n@@MPT PASS test_c\n@@MPT DONE\n")


def test_every_lane_reruns_no_alloc_tests_as_deltas(monkeypatch):
    monkeypatch.delenv(lanes.DELTA_ENV, raising=False)
    lane = _FakeLane(FIRST, "@@MPT START test_a\nAssertionError: 136 heap bytes\n"
                            "@@MPT FAIL test_a\n@@MPT DONE\n")
    out, tail = lanes.run_with_delta(lane, None, [])
    assert lane.calls == [[], [lanes.DELTA_FLAG, "test_a"]]  # only the no_alloc test
    assert "@@MPT FAIL test_a" in out and "136 heap bytes" in out
    assert "@@MPT PASS test_c" in out and "delta pass: exit code 0" in tail
    monkeypatch.setenv(lanes.DELTA_ENV, "0")  # the pass turned off: one run
    lane = _FakeLane(FIRST, "")
    assert lanes.run_with_delta(lane, None, [])[0] == FIRST and lane.calls == [[]]


def test_mptest_knows_the_delta_flag():
    # tools/device/mptest.py runs on the boards and cannot import lanes: the flag is spelled twice.
    with open(os.path.join(lanes.ROOT, "tools", "device", "mptest.py")) as f:
        assert 'DELTA_FLAG = "%s"' % lanes.DELTA_FLAG in f.read()
