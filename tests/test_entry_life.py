"""Every entry has one life, whatever the operator and the receiver do, in any order.

staged → sending (claimed before a byte is sent) → applied (gone; the journal keeps it) |
refused (staged again, with the receiver's words) | unknown → reconciled: took effect,
re-staged, unverified (held for the operator), not re-staged. A process that dies with a
batch in flight leaves it unknown, never staged. A Hypothesis state machine drives the
StagingArea over a real store file and checks it, after every step, against a simple model.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from ccnow_tui.domain.answers import ReceiverAnswer, RequestShape
from ccnow_tui.domain.staging import RESTAGE_REMARK, Claim, ClaimConflict, StagingArea
from ccnow_tui.domain.tally import Tally
from ccnow_tui.protocol import OrderId, StagedAction
from ccnow_tui.protocol.actions import ActionKind
from ccnow_tui.protocol.batch import Batch, Severity
from ccnow_tui.protocol.outcome import EntryOutcome, EntryResult, Outcome
from ccnow_tui.storage.store import GONE_REASON, BatchMeta, BatchState, Store, Verdict

# a Hypothesis state machine of 100 runs: the quick loop (-m 'not slow') leaves it out
pytestmark = pytest.mark.slow

ORDERS = [
    OrderId.parse(x) for x in ("396-10-1142", "397-10-1159", "398-11-0001", "399-12-0002", "400-13-0003", "401-14-0004")
]
STATUSES = ("pending", "mark_shipped", "mark_canceled", "completed")
META = BatchMeta("http://127.0.0.1:1/", "127.0.0.1:1", "shop")

orders = st.sampled_from(ORDERS)
an_action = st.one_of(
    st.builds(lambda o: StagedAction.make(o, "ship"), orders),
    st.builds(lambda o: StagedAction.make(o, "query"), orders),
    st.builds(lambda o, n: StagedAction.make(o, "cancel", notes=n), orders, st.sampled_from(["", "out of stock"])),
    st.builds(
        lambda o, a, n: StagedAction.make(o, "adjust", amount=a, notes=n),
        orders,
        st.sampled_from(["1.00", "5.00", "12.50"]),
        st.sampled_from(["", "sorry"]),
    ),
    st.builds(
        lambda o, c, n: StagedAction.make(o, "track", trackname=c, tracknumber=n),
        orders,
        st.sampled_from(["UPS", "DHL"]),
        st.sampled_from(["1Z1", "1Z2"]),
    ),
)

# What a status proves, as docs/protocol.md puts it ("Changes cannot be taken back").
PROVES = {ActionKind.SHIP: {"mark_shipped", "completed", "refunded"}, ActionKind.CANCEL: {"mark_canceled", "canceled"}}


def model_verdict(kind: ActionKind, status: str) -> Verdict:
    if kind is ActionKind.QUERY:
        return Verdict.TOOK_EFFECT
    if kind in PROVES:
        if status in PROVES[kind]:
            return Verdict.TOOK_EFFECT
        return Verdict.RESTAGED if status == "pending" else Verdict.NOT_RESTAGED
    # adjust, track: no status proves them
    return Verdict.UNVERIFIED if status == "pending" else Verdict.NOT_RESTAGED


@dataclass(frozen=True)
class Entry:
    """The model's view of one live entry."""

    pos: int
    action: StagedAction
    state: str  # staged, sending, unknown, unverified
    batch: str | None = None
    remark: str | None = ""  # None: not predicted by the model


class EntryLife(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="entry-life-"))
        self.path = self.dir / "profile" / "store.sqlite3"
        self.store = Store.open(self.path)
        self.area = StagingArea(self.store)
        self.live: dict[int, Entry] = {}
        self.held: dict[str, str] = {}  # batch id -> sending | unknown
        self.claims: dict[str, Claim] = {}  # sending batches of this process
        self.undo: list[tuple] = []  # this process's changes, newest last
        self.ever: set[int] = set()  # every entry ever staged
        self.removed: set[int] = set()  # removed by the operator: intended to go
        self.final: dict[int, tuple] = {}  # id -> the journal line that ended it
        self.claimed: Counter[int] = Counter()  # how often an entry was claimed

    def teardown(self) -> None:
        try:
            self.store.close()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- model helpers ---------------------------------------------------------------------

    def _in(self, state: str) -> list[int]:
        return sorted((i for i, e in self.live.items() if e.state == state), key=lambda i: (self.live[i].pos, i))

    def _next_pos(self) -> int:
        return max((e.pos for e in self.live.values()), default=0) + 1

    def _blocked_orders(self) -> set[OrderId]:
        return {e.action.order_id for e in self.live.values() if e.state != "staged"}

    def _reopen(self) -> None:
        self.store = Store.open(self.path)
        self.area = StagingArea(self.store)
        self.undo.clear()  # undo belongs to the process that made the change
        self.claims.clear()

    # -- the operator ----------------------------------------------------------------------

    @initialize(new=st.lists(an_action, min_size=1, max_size=4), start=st.sampled_from(["staged", "sent", "lost"]))
    def begin(self, new, start):
        """Some life to start from (through the same rules): staged, in flight, or unknown."""
        self.stage(new)
        if start != "staged":
            self.claim()
            if start == "lost" and self.claims:
                [batch_id] = self.claims
                self._settle(batch_id, Outcome.UNKNOWN, {})

    @rule(new=st.lists(an_action, min_size=1, max_size=3))
    def stage(self, new):
        assert self.area.add(new) == len(new)
        added = self.area.staged[-len(new) :]
        assert [e.action for e in added] == new
        pos = self._next_pos()
        for i, e in enumerate(added):
            assert e.id not in self.ever, "an entry id was used twice"
            self.live[e.id] = Entry(pos + i, e.action, "staged")
            self.ever.add(e.id)
        self.undo.append(("add", [e.id for e in added]))

    @precondition(lambda self: self._in("staged"))
    @rule(data=st.data(), new=an_action)
    def edit(self, data, new):
        staged = self._in("staged")
        index = data.draw(st.integers(0, len(staged) - 1))
        entry_id = staged[index]
        old = self.live[entry_id]
        assert self.area.replace(index, new)
        if old.action != new:
            self.live[entry_id] = replace(old, action=new, remark="")
            self.undo.append(("restore", entry_id, old))

    @precondition(lambda self: self._in("staged"))
    @rule(data=st.data())
    def remove(self, data):
        staged = self._in("staged")
        indexes = data.draw(st.sets(st.integers(0, len(staged) - 1), min_size=1, max_size=2))
        gone = [staged[i] for i in sorted(indexes)]
        assert self.area.remove(indexes) == [self.live[i].action for i in gone]
        self.undo.append(("remove", {i: self.live.pop(i) for i in gone}))
        self.removed.update(gone)

    @rule()
    def undo_last(self):
        done = self.area.undo()
        if not self.undo:
            assert not done
            return
        assert done and self.area.last_undo_skipped == 0
        op = self.undo.pop()
        if op[0] == "add":
            for i in op[1]:
                assert self.live.pop(i).state == "staged"
                self.removed.add(i)
        elif op[0] == "restore":
            self.live[op[1]] = op[2]
        elif op[0] == "remove":
            self.live.update(op[1])
            self.removed.difference_update(op[1])
        elif op[0] == "forget":
            batch_id, entries = op[1], op[2]
            self.live.update(entries)
            self.held[batch_id] = "unknown"
            for i in entries:
                del self.final[i]
        else:  # pragma: no cover
            raise AssertionError(op)

    @precondition(lambda self: self._in("unverified"))
    @rule(data=st.data())
    def restage(self, data):
        entry_id = data.draw(st.sampled_from(self._in("unverified")))
        old = self.live[entry_id]
        assert self.area.restage([entry_id]) == [old.action]
        self.live[entry_id] = Entry(self._next_pos(), old.action, "staged", None, RESTAGE_REMARK)
        self.undo.append(("restore", entry_id, old))

    @precondition(lambda self: "unknown" in self.held.values())
    @rule(data=st.data())
    def forget(self, data):
        batch_id = data.draw(st.sampled_from([b for b, s in self.held.items() if s == "unknown"]))
        assert self.area.forget_unknown(batch_id) is not None
        entries = {i: e for i, e in self.live.items() if e.batch == batch_id and e.state == "unknown"}
        for i, e in entries.items():
            del self.live[i]
            self.final[i] = ("forgotten", batch_id, e.action.order_id, e.action.kind.value, "forgotten")
        del self.held[batch_id]
        self.undo.append(("forget", batch_id, entries))

    # -- sending -----------------------------------------------------------------------------

    @precondition(lambda self: self._in("staged"))
    @rule()
    def claim(self):
        staged = [self.live[i] for i in self._in("staged")]
        blocked = {e.action.order_id for e in staged} & self._blocked_orders()
        ship_and_cancel = any(
            {ActionKind.SHIP, ActionKind.CANCEL} <= {e.action.kind for e in staged if e.action.order_id == o}
            for o in ORDERS
        )
        errors = [lint for lint in self.area.lint() if lint.severity is Severity.ERROR]
        assert bool(errors) == bool(blocked or ship_and_cancel), errors
        if blocked:
            # The lint says so, and the store refuses too: nothing is claimed twice while held.
            with pytest.raises(ClaimConflict):
                self.area.claim(self.area.batch(), META)
            event("claim refused: an order is held")
            return
        if errors:
            return  # ship and cancel on one order: the composer does not send it
        claim = self.area.claim(self.area.batch(), META)
        event("claimed")
        assert sorted(claim.ids.values()) == sorted(self._in("staged"))
        assert sorted(self.store.entry_ids(claim.batch_id).items()) == sorted(claim.ids.items())
        for i in claim.ids.values():
            self.live[i] = replace(self.live[i], state="sending", batch=claim.batch_id, remark="")
            self.claimed[i] += 1
        self.held[claim.batch_id] = "sending"
        self.claims[claim.batch_id] = claim
        self.undo.clear()  # undo never reaches back past a claim

    @precondition(lambda self: self.claims)
    @rule(data=st.data())
    def answer(self, data):
        batch_id = data.draw(st.sampled_from(list(self.claims)))
        whole = data.draw(st.sampled_from([None, Outcome.UNKNOWN, Outcome.UNREACHABLE]))
        each = (
            {}
            if whole
            else {n: data.draw(st.sampled_from(list(EntryOutcome))) for n, _ in self.claims[batch_id].batch.numbered()}
        )
        self._settle(batch_id, whole, each)

    def _settle(self, batch_id: str, whole: Outcome | None, each: dict[int, EntryOutcome]) -> None:
        """The receiver's answer: a whole-request one, or an outcome per entry."""
        claim = self.claims.pop(batch_id)
        if whole is not None:  # nothing judged per entry: a lost answer, or it never left
            # Never sent: staged again, saying so (never "refused": the receiver said nothing).
            each = {
                n: EntryOutcome.UNKNOWN if whole is Outcome.UNKNOWN else EntryOutcome.NOT_SENT
                for n, _ in claim.batch.numbered()
            }
            answer = ReceiverAnswer(RequestShape.BATCH, whole, "no answer")
            words = {n: "no answer" if whole is Outcome.UNKNOWN else "not sent: no answer" for n in each}
        else:
            words = {n: f"refused #{n}" if o is EntryOutcome.REFUSED else "" for n, o in each.items()}
            results = tuple(
                EntryResult(
                    n,
                    e,
                    each[n],
                    "mark_shipped" if e.kind is ActionKind.SHIP and each[n] is EntryOutcome.APPLIED else "pending",
                    words[n],
                )
                for n, e in claim.batch.numbered()
            )
            outcomes = set(each.values())
            overall = (
                Outcome.UNKNOWN
                if EntryOutcome.UNKNOWN in outcomes
                else Outcome.REFUSED
                if outcomes == {EntryOutcome.REFUSED}
                else Outcome.SOME_REFUSED
                if EntryOutcome.REFUSED in outcomes
                else Outcome.OK
            )
            answer = ReceiverAnswer(RequestShape.BATCH, overall, "answered", (), results)
        self.area.settle(claim, answer)
        event("answered")
        for n, outcome in each.items():
            i = claim.ids[n]
            e = self.live[i]
            if outcome is EntryOutcome.APPLIED:
                del self.live[i]
                self.final[i] = ("outcome", batch_id, n, "applied")
            elif outcome in (EntryOutcome.REFUSED, EntryOutcome.NOT_SENT):
                self.live[i] = replace(e, state="staged", batch=None, remark=words[n])
            else:
                self.live[i] = replace(e, state="unknown")
        if EntryOutcome.UNKNOWN in each.values():
            self.held[batch_id] = "unknown"
        else:
            del self.held[batch_id]

    @precondition(lambda self: self.claims)
    @rule(hard=st.booleans())
    def crash(self, hard):
        """The process goes away with its batches in flight: the next one holds them as unknown."""
        in_flight = list(self.claims)
        if hard:  # as kill -9 leaves it: connections and lock dropped, no cleanup at all
            for conn in self.store._connections:
                conn.close()
            os.close(self.store.owners.fd)
        else:
            self.store.close()
        self._reopen()
        event("crashed in flight")
        for batch_id in in_flight:
            assert any(batch_id in n and GONE_REASON in n for n in self.area.notices), self.area.notices
            self.held[batch_id] = "unknown"
        for i, e in list(self.live.items()):
            if e.state == "sending":
                self.live[i] = replace(e, state="unknown")
        assert len(self.area.notices) == len(in_flight)
        # The dead process's undo went with it.
        assert not self.store.can_undo()
        owners = {o for (o,) in self.store._conn().execute("SELECT DISTINCT owner FROM undo")}
        assert owners <= {self.store.owner}

    @precondition(lambda self: not self.claims)
    @rule()
    def reopen(self):
        self.store.close()
        self._reopen()
        assert self.area.notices == []

    @precondition(lambda self: "unknown" in self.held.values())
    @rule(data=st.data())
    def reconcile(self, data):
        batch_id = data.draw(st.sampled_from([b for b, s in self.held.items() if s == "unknown"]))
        members = sorted(
            (i for i, e in self.live.items() if e.batch == batch_id and e.state == "unknown"),
            key=lambda i: (self.live[i].pos, i),
        )
        order_ids = list(dict.fromkeys(self.live[i].action.order_id for i in members))
        statuses = {o: data.draw(st.sampled_from(STATUSES)) for o in order_ids}
        rec = self.area.reconcile(batch_id, statuses)
        assert rec is not None
        event("reconciled")
        # The store judges entries grouped by order (first appearance); re-staged ones go last.
        judged = [i for o in order_ids for i in members if self.live[i].action.order_id == o]
        expected = [
            (self.live[i].action, model_verdict(self.live[i].action.kind, statuses[self.live[i].action.order_id]))
            for i in judged
        ]
        assert [(a, v) for a, v, _, _ in rec.verdicts] == expected
        pos = self._next_pos()
        for k, (i, (action, verdict)) in enumerate(zip(judged, expected, strict=True)):
            e = self.live[i]
            if verdict is Verdict.RESTAGED:
                self.live[i] = Entry(pos + k, action, "staged", None, None)
            elif verdict is Verdict.UNVERIFIED:
                self.live[i] = replace(e, state="unverified", remark=None)
            else:
                del self.live[i]
                self.final[i] = ("reconciled", batch_id, action.order_id, action.kind.value, verdict.value)
        del self.held[batch_id]

    # -- what must always hold -----------------------------------------------------------------

    @invariant()
    def staged_as_the_model_says(self):
        want = [(i, self.live[i].action) for i in self._in("staged")]
        assert [(e.id, e.action) for e in self.area.staged] == want
        assert [(e.id, e.action) for e in self.store.snapshot().staged] == want  # the view is the file
        for e in self.area.staged:
            assert e.state == "staged" and e.batch_id is None
            remark = self.live[e.id].remark
            if remark is not None:
                assert e.remark == remark

    @invariant()
    def the_composers_tally_says_what_counting_afresh_says(self):
        """The tally is patched change by change (domain/tally.py): after any run of changes it
        must say what the batch counted afresh says, and what a fresh tally says."""
        if not len(self.area):
            return
        batch = Batch(list(self.area.actions))
        tally = self.area.tally
        assert tally.lint() == batch.lint()
        assert tally.totals == batch.totals == Tally(self.area.staged).totals
        assert tally.counts() == batch.counts()
        assert list(tally.send_order()) == list(batch.send_order)

    @invariant()
    def held_and_unverified_as_the_model_says(self):
        snap = self.store.snapshot()
        for view in (self.area.held, snap.held):
            got = {b.batch_id: (b.state.value, sorted(e.id for e in b.entries)) for b in view}
            want = {
                b: (s, sorted(i for i, e in self.live.items() if e.batch == b and e.state == s))
                for b, s in self.held.items()
            }
            assert got == want
            for b in view:
                assert all(e.state.value == b.state.value for e in b.entries)
                assert b.state in (BatchState.SENDING, BatchState.UNKNOWN)
        assert sorted(e.id for e in self.area.unverified) == sorted(self._in("unverified"))
        assert sorted(e.id for e in snap.unverified) == sorted(self._in("unverified"))

    @invariant()
    def what_is_held_or_done_is_never_staged(self):
        staged = {e.id for e in self.area.staged}
        held = [e.id for b in self.area.held for e in b.entries]
        unverified = {e.id for e in self.area.unverified}
        assert not staged & set(held)
        assert len(held) == len(set(held)), "an entry held by two batches"
        assert not (staged | set(held) | unverified) & set(self.final), "an applied entry came back"

    @invariant()
    def nothing_is_claimed_twice_while_held(self):
        seen: set[int] = set()
        for b in self.area.held:
            ids = set(self.store.entry_ids(b.batch_id).values())
            assert {e.id for e in b.entries} <= ids
            held_ids = {e.id for e in b.entries}
            assert not held_ids & seen
            seen |= held_ids
        submits = Counter((e["batch_id"], e["n"]) for e in self.store.journal() if e["event"] == "submit")
        assert all(c == 1 for c in submits.values())
        assert sum(submits.values()) == sum(self.claimed.values())

    @invariant()
    def entries_are_never_lost(self):
        live = (
            {e.id for e in self.area.staged}
            | {e.id for e in self.area.unverified}
            | {e.id for b in self.area.held for e in b.entries}
        )
        assert live == set(self.live)
        assert self.ever == live | set(self.final) | (self.removed - live)
        journal = Counter()
        for e in self.store.journal():
            if e["event"] == "outcome" and e["order_id"]:
                journal[("outcome", e["batch_id"], e["n"], e["outcome"])] += 1
            elif e["event"] in ("reconciled", "forgotten") and e["order_id"]:
                journal[(e["event"], e["batch_id"], e["order_id"], e["action"], e["outcome"])] += 1
        wanted = Counter(self.final.values())
        assert all(journal[k] >= n for k, n in wanted.items()), (wanted, journal)


EntryLife.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestEntryLife = EntryLife.TestCase
