"""The tally the composer reads after every keystroke says exactly what counting the
batch afresh says: the same findings (words, order, staged positions), totals, counts,
sending order and numbers, after any run of small and big changes, undos and edits.

Random runs with a fixed seed each: a failure names its seed and step to replay.
"""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import pytest

from ccnow_tui.domain.staging import SMALL_CHANGE, StagingArea
from ccnow_tui.domain.tally import Tally
from ccnow_tui.protocol import Batch, OrderId, StagedAction
from ccnow_tui.protocol.status import PENDING
from ccnow_tui.storage.store import Store

ORDERS = [OrderId.parse(f"{396100000 + i}") for i in range(12)]
STATUSES = (PENDING, PENDING, PENDING, "mark_shipped", "canceled")


def random_action(rng: random.Random) -> StagedAction:
    oid = rng.choice(ORDERS)
    kind = rng.choice(("ship", "cancel", "adjust", "track", "query"))
    if kind == "adjust":
        return StagedAction.make(oid, kind, amount=rng.choice(("5.00", "0.01", "12.50")))
    if kind == "track":
        return StagedAction.make(oid, kind, trackname="UPS", tracknumber=rng.choice(("1Z1", "1Z2")))
    if kind == "cancel":
        return StagedAction.make(oid, kind, notes=rng.choice(("", "out of stock")))
    return StagedAction.make(oid, kind)


def expected(staging: StagingArea, status: dict) -> tuple:
    batch = Batch(list(staging.actions))
    return (batch.lint(status) if len(batch) else [], batch.totals, batch.counts(), list(batch.send_order))


def observed(staging: StagingArea, status: dict, version: int) -> tuple:
    tally = staging.tally
    lints = tally.lint(status, version) if len(staging) else []
    return lints, tally.totals, tally.counts(), list(staging.send_order())


@pytest.mark.parametrize("seed", range(12))
def test_the_tally_says_what_counting_afresh_says(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    status = {oid: rng.choice(STATUSES) for oid in ORDERS}
    version = 0
    with Store.open(tmp_path / "store.sqlite3") as store:
        staging = StagingArea(store)
        for step in range(60):
            move = rng.random()
            n = len(staging)
            if move < 0.35 or n == 0:
                staging.add([random_action(rng) for _ in range(rng.choice((1, 1, 2, 3)))])
            elif move < 0.55:
                staging.remove(rng.sample(range(n), k=min(n, rng.choice((1, 1, 2)))))
            elif move < 0.7:
                staging.replace(rng.randrange(n), random_action(rng))
            elif move < 0.85:
                staging.undo()
            else:  # a status learnt: the lint must see it through the version
                status[rng.choice(ORDERS)] = rng.choice(STATUSES)
                version += 1
            # The tally kept up to date matches one counted afresh, and the batch itself.
            assert observed(staging, status, version) == expected(staging, status), f"seed {seed} step {step}"
            fresh = Tally(staging.staged)
            assert fresh.totals == staging.tally.totals
            numbers = [staging.tally.number(i) for i in range(len(staging))]
            by_batch = {i: n for n, i in enumerate(Batch(list(staging.actions)).send_order, 1)}
            assert numbers == [by_batch[i] for i in range(len(staging))], f"seed {seed} step {step}"


def test_a_small_change_patches_the_tally_and_a_big_one_counts_it_again(tmp_path: Path) -> None:
    with Store.open(tmp_path / "store.sqlite3") as store:
        staging = StagingArea(store)
        staging.add([StagedAction.make(ORDERS[0], "adjust", amount="5.00"), StagedAction.make(ORDERS[1], "ship")])
        tally = staging.tally
        staging.remove([0])
        assert staging.tally is tally  # patched, not counted again
        assert tally.discount == Decimal("0.00") and tally.counts() == Batch(list(staging.actions)).counts()
        many = [StagedAction.make(OrderId.parse(f"{500000000 + i}"), "ship") for i in range(SMALL_CHANGE + 1)]
        staging.add(many)
        assert staging.tally is not tally  # counted again when asked
        assert staging.tally.totals == Batch(list(staging.actions)).totals


def test_a_status_change_without_a_new_version_is_not_seen_and_with_one_it_is(tmp_path: Path) -> None:
    """The version is the contract: the order book bumps it with every status it learns."""
    with Store.open(tmp_path / "store.sqlite3") as store:
        staging = StagingArea(store)
        staging.add([StagedAction.make(ORDERS[0], "ship")])
        status = {ORDERS[0]: PENDING}
        assert staging.lint(status, 1) == []
        status[ORDERS[0]] = "canceled"
        assert staging.lint(status, 1) == []  # same version: the cached answer
        found = staging.lint(status, 2)
        assert [lint.order_id for lint in found] == [ORDERS[0]] and "canceled" in found[0].message


def test_the_fields_read_for_a_pasted_password_are_the_text_fields() -> None:
    """has_text spells TEXT_FIELDS out for speed: each text field, alone, counts."""
    from ccnow_tui.domain.tally import has_text
    from ccnow_tui.protocol.actions import ALL_FIELDS, TEXT_FIELDS

    assert set(TEXT_FIELDS) < set(ALL_FIELDS) and "amount" not in TEXT_FIELDS
    bare = StagedAction.make(OrderId.parse("123-45-6789"), "ship")
    assert not has_text(bare)
    for name in TEXT_FIELDS:  # built around make()'s checks: only the one field set
        assert has_text(bare._replace(**{name: "text"})), name
