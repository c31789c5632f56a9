"""Stateful property test of mpalloc.slab.Slab against a dict model (CPython only)."""

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from test_slab import audit, slot_of

from mpalloc.errors import AllocError, StaleHandleError
from mpalloc.slab import Slab

LIMIT = 1 << 30


class SlabMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.s = None
        self.model = {}  # handle -> bytes the allocation must hold
        self.stale = []
        self.other = Slab(256, 8)

    @initialize(slots=st.integers(1, 40), bs=st.integers(1, 24), extra=st.integers(0, 7),
                salt=st.integers(0, 4095))
    def make(self, slots, bs, extra, salt):
        size = slots * bs + min(extra, slots - 1)  # leftover bytes are never used
        self.s = Slab(size, slots, _salt=salt)
        assert self.s.block_size == bs

    def _need(self, n):
        bs = self.s.block_size
        return (n + bs - 1) // bs

    def _fill(self, h, n, seed):
        data = bytes((seed + 13 * i) & 0xFF for i in range(n))
        assert self.s.write(h, data) == n
        self.model[h] = data

    def _check_new(self, h, n):
        assert 0 < h < LIMIT
        assert h not in self.model
        assert self.s.size(h) == n and self.s.valid(h)

    @rule(n=st.integers(1, 200), seed=st.integers(0, 255))
    def alloc(self, n, seed):
        room = self.s.stats()["largest_free_run"]
        try:
            h = self.s.alloc(n)
        except AllocError as e:
            assert room < self._need(n)
            assert str(n) in str(e)
            return
        assert room >= self._need(n)
        self._check_new(h, n)
        self._fill(h, n, seed)

    @rule(n=st.integers(-2, 200), seed=st.integers(0, 255))
    def try_alloc(self, n, seed):
        room = self.s.stats()["largest_free_run"]
        h = self.s.try_alloc(n)
        if n < 1:
            assert h == 0
            return
        assert (h != 0) == (room >= self._need(n))
        if h:
            self._check_new(h, n)
            self._fill(h, n, seed)

    @precondition(lambda self: self.model)
    @rule(data=st.data(), use_try=st.booleans())
    def free(self, data, use_try):
        h = data.draw(st.sampled_from(sorted(self.model)))
        if use_try:
            assert self.s.try_free(h) is True
        else:
            self.s.free(h)
        del self.model[h]
        self.stale.append(h)

    @precondition(lambda self: self.stale)
    @rule(data=st.data())
    def stale_rejected(self, data):
        h = data.draw(st.sampled_from(self.stale))
        if h in self.model:  # only after 4096 reuses of one slot; not reachable here
            return
        assert not self.s.valid(h) and self.s.size(h) == -1
        assert self.s.get(h) is None and self.s.readinto(h, bytearray(4)) == -1
        assert self.s.try_free(h) is False
        before = self.s.stats()
        try:
            self.s.free(h)
            raise AssertionError("stale handle freed")
        except StaleHandleError as e:
            assert str(h) in str(e) and str(slot_of(h)) in str(e)
        assert self.s.stats() == before

    @rule(h=st.integers(-5, LIMIT + 5))
    def forged(self, h):
        if h in self.model:
            return
        before = self.s.stats()
        assert self.s.try_free(h) is False
        assert not self.s.valid(h)
        assert self.s.stats() == before

    @rule()
    def foreign(self):
        g = self.other.try_alloc(1)
        if g and g not in self.model:
            assert self.s.try_free(g) is False
        if g:
            self.other.free(g)

    @precondition(lambda self: self.model)
    @rule(data=st.data(), m=st.integers(0, 220), seed=st.integers(0, 255))
    def write(self, data, m, seed):
        h = data.draw(st.sampled_from(sorted(self.model)))
        old = self.model[h]
        buf = bytes((seed * 7 + i) & 0xFF for i in range(m))
        k = min(m, len(old))
        assert self.s.write(h, buf) == k
        self.model[h] = buf[:k] + old[k:]

    @precondition(lambda self: self.model)
    @rule(data=st.data(), m=st.integers(0, 220))
    def readinto(self, data, m):
        h = data.draw(st.sampled_from(sorted(self.model)))
        buf = bytearray(b"\xee" * m)
        k = min(m, len(self.model[h]))
        assert self.s.readinto(h, buf) == k
        assert bytes(buf[:k]) == self.model[h][:k]
        assert bytes(buf[k:]) == b"\xee" * (m - k)

    @invariant()
    def consistent(self):
        if self.s is None:
            return
        heads = audit(self.s)
        assert sorted(heads) == sorted(slot_of(h) for h in self.model)
        for h, want in self.model.items():
            assert heads[slot_of(h)] == len(want)
            assert bytes(self.s.get(h)) == want
        # the blocks of live runs never overlap and cover exactly blocks_in_use
        bs = self.s.block_size
        used = sum((len(v) + bs - 1) // bs for v in self.model.values())
        assert self.s.stats()["in_use"] == used


def test_slab_state_machine():
    run_state_machine_as_test(SlabMachine, settings=settings(
        max_examples=150, stateful_step_count=60, deadline=None,
        suppress_health_check=[HealthCheck.too_slow]))
