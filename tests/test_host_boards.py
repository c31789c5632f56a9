"""Schema of boards/*.json: every profile has the fields tools/build, tools/deploy and
examples/uart_irq.py read, with consistent values."""

import glob
import json
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATHS = sorted(glob.glob(os.path.join(ROOT, "boards", "*.json")))
NAMES = [os.path.basename(p)[:-5] for p in PATHS]

# mpy-cross -march values, and which ones each MicroPython port can run.
PORT_ARCHES = {"rp2": {"armv6m", "armv7emsp"}, "stm32": {"armv6m", "armv7m", "armv7emsp",
                                                         "armv7emdp"},
               "nrf": {"armv6m", "armv7emsp"}, "esp32": {"xtensawin", "rv32imc"},
               "unix": {"x64", "x86", "armv7m", "rv64imc"}}
# Facts from the issue: the arch of the chip on each board.
KNOWN_ARCH = {"rp2-pico": "armv6m", "rp2-pico2": "armv7emsp", "pyboard-v11": "armv7emsp",
              "nrf52840-dk": "armv7emsp", "esp32-c3": "rv32imc", "esp32": "xtensawin",
              "unix": "x64", "nucleo-l152re": "armv7m"}
FIELDS = {"name": str, "port": str, "arch": str, "ram_kb": int, "heap_kb": int,
          "flash_kb": (int, type(None)), "fs_kb": (int, type(None)), "repl": str,
          "uart": (dict, type(None)), "uart_shares_repl": bool, "uart_hard_irq": bool,
          "slab_preset": str, "notes": str}


def load(path):
    with open(path) as f:
        return json.load(f)


def presets():
    sys.path.insert(0, os.path.join(ROOT, "lib"))
    try:
        from mpalloc import global_slab
    finally:
        sys.path.pop(0)
    return {n: getattr(global_slab, n) for n in dir(global_slab) if n.startswith("SLAB_")}


def test_the_issue_boards_are_all_there():
    assert set(KNOWN_ARCH) <= set(NAMES), set(KNOWN_ARCH) - set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_profile_schema(name):
    b = load(os.path.join(ROOT, "boards", name + ".json"))
    assert set(b) == set(FIELDS), set(b) ^ set(FIELDS)
    for key, typ in FIELDS.items():
        assert isinstance(b[key], typ) and not (typ is int and isinstance(b[key], bool)), key
    assert b["name"] and b["notes"]
    assert b["port"] in PORT_ARCHES, b["port"]
    assert b["arch"] in PORT_ARCHES[b["port"]], (b["port"], b["arch"])
    if name in KNOWN_ARCH:
        assert b["arch"] == KNOWN_ARCH[name]
    assert 0 < b["heap_kb"] <= b["ram_kb"]
    if b["port"] != "unix":
        assert b["flash_kb"] and b["fs_kb"] and 0 < b["fs_kb"] < b["flash_kb"]
    size, slots = presets()[b["slab_preset"]]  # KeyError = unknown preset
    assert size * 8 <= b["heap_kb"] * 1024, "preset takes more than 1/8 of the heap"
    if b["port"] == "esp32":
        assert b["uart_hard_irq"] is False  # esp32 schedules UART handlers (no hard IRQ)


@pytest.mark.parametrize("name", [n for n in NAMES if load(os.path.join(ROOT, "boards",
                                                                         n + ".json"))["uart"]])
def test_uart_block(name):
    b = load(os.path.join(ROOT, "boards", name + ".json"))
    u = b["uart"]
    assert set(u) == {"id", "tx", "rx", "baud", "trigger", "pins"}
    # What examples/uart_irq.py passes to machine.UART and UART.irq (MicroPython docs):
    # rp2 has IRQ_RXIDLE and no IRQ_RX, nrf IRQ_RX and no IRQ_RXIDLE; rp2 takes Pin
    # objects, esp32 GPIO numbers, stm32 and nrf no pins (fixed by the board definition).
    assert u["trigger"] in ("IRQ_RX", "IRQ_RXIDLE")
    assert u["pins"] == {"rp2": "Pin", "esp32": "int", "stm32": "fixed", "nrf": "fixed"}[
        b["port"]], (b["port"], u["pins"])
    if b["port"] == "rp2":
        assert u["trigger"] == "IRQ_RXIDLE"
    if b["port"] == "nrf":
        assert u["trigger"] == "IRQ_RX"
    assert isinstance(u["id"], int) and u["id"] >= 0
    assert isinstance(u["baud"], int) and 300 <= u["baud"] <= 4000000
    assert u["tx"] != u["rx"]
    assert type(u["tx"]) is type(u["rx"]) and isinstance(u["tx"], (int, str))
    if b["port"] == "stm32":
        assert isinstance(u["tx"], str)  # stm32 pins are names, fixed per UART by the board
    else:
        assert isinstance(u["tx"], int)  # GPIO numbers
    if not b["uart_shares_repl"]:
        # The profile's UART must not be the one the REPL lives on.
        assert b["repl"] != "uart%d" % u["id"], (b["repl"], u["id"])
    else:
        assert "REPL" in b["notes"]


def test_console_pins_are_not_the_uart_pins():
    # ESP32-C3 DevKitM-1: GPIO20/21 are UART0 (console); ESP32: GPIO1/3.
    console = {"esp32-c3": {20, 21}, "esp32": {1, 3}}
    for name, pins in console.items():
        u = load(os.path.join(ROOT, "boards", name + ".json"))["uart"]
        assert not {u["tx"], u["rx"]} & pins, (name, u)
