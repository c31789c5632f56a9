"""The board lanes' host side (tests/lanes/qemu.py): skip reasons and the delta merge."""

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
    out = q.merge_delta(first, delta, ["test_a", "test_b"], "board finished")
    assert "@@MPT FAIL test_a" in out and "@@MPT PASS test_a" not in out
    assert "68 heap bytes" in out and "heap-usage delta" in out
    assert "@@MPT PASS test_b" in out and "@@MPT PASS test_c" in out
    # no result from the delta pass (a crash): a failure with the board's output
    out = q.merge_delta(first, "HardFault\n", ["test_a"], "qemu exited with code 1")
    assert "@@MPT FAIL test_a" in out and "HardFault" in out and "qemu exited" in out
