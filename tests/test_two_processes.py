"""Two processes on one profile, against the real sandbox and its record of what it applied.

Two scripted operators (``tests/crash_driver.py``) and the CLI stage and send at once
into one store: every entry is sent once and applied once, none is lost. The CLI refuses
(exit 2, nothing sent, naming the order and the batch) an order that another process is
sending right now, or whose outcome is unknown or unverified; a CLI batch whose answer
was lost is unknown in the store (what the TUI reads) until ``ccnow-tui reconcile --yes``
settles it, and ``ccnow-tui journal ORDER --json`` shows the whole story.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter

import pytest
from test_crash_campaign import DRIVER, Campaign, child_env, entry_key, key_of_action, start_sandbox, tally

from ccnow_tui.domain.staging import StagingArea
from ccnow_tui.protocol import OrderId, StagedAction
from ccnow_tui.sandbox.faults import parse_fault
from ccnow_tui.storage.store import BatchState, Store


@pytest.fixture
def world(tmp_path):
    server = start_sandbox(400, seed=11, faults=["slow=0.02@updates"])
    try:
        campaign = Campaign(tmp_path, server, child_env(tmp_path, server.url))
        campaign.orders = [str(o) for o in server.book.pending()]  # type: ignore[attr-defined]
        yield campaign
    finally:
        server.stop()


def pool(world: Campaign, name: str, orders: list[str]) -> str:
    path = world.workdir / f"{name}.txt"
    path.write_text("\n".join(orders) + "\n")
    return str(path)


def csv_file(world: Campaign, name: str, rows: list[str]) -> str:
    path = world.workdir / f"{name}.csv"
    path.write_text("order_id,action,notes,amount,trackname,tracknumber\n" + "".join(r + "\n" for r in rows))
    return str(path)


def driver(world: Campaign, *args: str, stdin: bool = False):
    return world.start([sys.executable, str(DRIVER), *args], stdin=stdin)


def cli(world: Campaign, *args: str):
    run = world.start([sys.executable, "-m", "ccnow_tui", *args]).finish()
    return run, "\n".join(run.lines)


def applied_keys(world: Campaign) -> Counter:
    return Counter(entry_key(o, a, f) for o, a, f in world.server.book.applied())  # type: ignore[attr-defined]


def journal_batches(world: Campaign) -> set[str]:
    with Store.open(world.store_path) as store:
        return {row["batch_id"] for row in store.journal() if row["batch_id"]}


def test_two_drivers_and_the_cli_at_once_send_every_entry_once(world):
    orders = world.orders  # type: ignore[attr-defined]
    a = driver(
        world,
        "--pool",
        pool(world, "a", orders[0:100]),
        "--tag",
        "1",
        "--label",
        "A",
        "--rounds",
        "8",
        "--per-round",
        "3",
        "--think",
        "0.03",
    )
    b = driver(
        world,
        "--pool",
        pool(world, "b", orders[100:200]),
        "--tag",
        "2",
        "--label",
        "B",
        "--rounds",
        "8",
        "--per-round",
        "3",
        "--think",
        "0.02",
    )
    cli_runs = []
    for i in range(3):  # while both drivers run
        mine = orders[200 + 3 * i : 203 + 3 * i]
        path = csv_file(
            world,
            f"cli{i}",
            [f"{mine[0]},ship,,,,", f"{mine[1]},adjust,,{30 + i}.25,,", f"{mine[2]},track,,,UPS,CLI-{i}"],
        )
        world.intents |= {(mine[0], "ship", ""), (mine[1], "adjust", f"{30 + i}.25"), (mine[2], "track", f"CLI-{i}")}
        world.cli_orders |= set(mine)
        cli_runs.append(cli(world, "submit", path, "--yes"))
    runs = [a.finish(), b.finish()]
    for run in runs:
        assert run.returncode == 0 and run.lines[-1] == "DONE", "\n".join(run.lines)
        world.record(run)
    for run, text in cli_runs:
        assert run.returncode == 0, text
    final = driver(world, "--pool", pool(world, "none", []), "--tag", "3", "--rounds", "0", "--finish").finish()
    assert final.returncode == 0, "\n".join(final.lines)
    world.wait_idle()
    figures = tally(world)
    pools = {o: "A" for o in orders[0:100]} | {o: "B" for o in orders[100:200]}
    with Store.open(world.store_path) as store:
        rows = [r for r in store.journal() if r["event"] == "submit"]
    submits = Counter(entry_key(r["order_id"], r["action"], r["fields"]) for r in rows)
    by_batch: dict[str, set[str]] = {}
    for r in rows:
        by_batch.setdefault(r["batch_id"], set()).add(pools.get(r["order_id"], "cli"))
    mixed = sum(1 for who in by_batch.values() if who == {"A", "B"})
    conflicts = sum(1 for run in runs for line in run.lines if line.startswith("CONFLICT"))
    claimed_other = sum(1 for run in runs for line in run.lines if line.startswith("CLAIMED"))
    print(
        f"two processes: entries={figures['entries']} applied_once={figures['applied_once']} "
        f"applied_twice={figures['applied_twice']} sent_twice={sum(1 for n in submits.values() if n > 1)} "
        f"lost={figures['lost']} batches={claimed_other} with_both_drivers_entries={mixed} "
        f"claim_conflicts={conflicts}"
    )
    assert figures["problems"] == []
    assert figures["applied_twice"] == 0 and figures["lost"] == 0 and figures["misjudged"] == 0
    assert max(submits.values()) == 1  # no entry was sent twice (none came back refused or unknown)
    # Everything either process staged was sent, and applied.
    assert figures["entries"] == figures["applied_once"] > 50
    assert figures["staged"] == figures["held_unknown"] == figures["unverified"] == 0


def test_cli_refuses_an_order_another_process_is_sending_right_now(world):
    orders = world.orders  # type: ignore[attr-defined]
    sender = driver(
        world,
        "--pool",
        pool(world, "flight", orders[300:302]),
        "--tag",
        "4",
        "--rounds",
        "1",
        "--pause-after-claim",
        stdin=True,
    )
    try:
        claimed = sender.wait_for("CLAIMED")
        assert claimed is not None, "\n".join(sender.lines)
        batch_id = claimed.split()[1]
        order = json.loads(next(line for line in sender.lines if line.startswith("STAGE "))[6:])[0]
        requests, batches = world.server.requests_seen, journal_batches(world)  # type: ignore[attr-defined]
        run, text = cli(world, "submit", csv_file(world, "flight", [f"{order},ship,,,,"]), "--yes")
        assert run.returncode == 2, text
        assert f"{order} is being sent right now" in text and f"(batch {batch_id})" in text
        assert "nothing sent" in text
        assert world.server.requests_seen == requests  # type: ignore[attr-defined]
        assert journal_batches(world) == batches
    finally:
        sender.send("\n")
        done = sender.finish()
    assert done.returncode == 0 and any(line.startswith(f"SETTLED {batch_id} ") for line in done.lines), "\n".join(
        done.lines
    )
    assert (order, "ship", "") not in applied_keys(world)


def test_cli_refuses_an_order_whose_batch_the_receiver_is_applying(world):
    """The other batch is on the wire: the receiver has applied it and holds the answer."""
    orders = world.orders  # type: ignore[attr-defined]
    server = world.server
    server.set_faults([parse_fault("slow=600:1@updates")])  # type: ignore[attr-defined]
    applied_before = len(server.book.applied())  # type: ignore[attr-defined]
    sender = driver(world, "--pool", pool(world, "wire", orders[305:307]), "--tag", "7", "--rounds", "1")
    sending = sender.wait_for("PHASE send")
    assert sending is not None, "\n".join(sender.lines)
    batch_id = sending.split()[2]
    order = json.loads(next(line for line in sender.lines if line.startswith("STAGE "))[6:])[0]
    deadline = time.monotonic() + 30
    while len(server.book.applied()) == applied_before:  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, "the sandbox never applied the batch"
        time.sleep(0.005)
    requests = server.requests_seen  # type: ignore[attr-defined]
    run, text = cli(world, "submit", csv_file(world, "wire", [f"{order},cancel,,,,"]), "--yes")
    assert run.returncode == 2, text
    assert f"{order} is being sent right now by process {sender.proc.pid} " in text and f"(batch {batch_id})" in text
    assert server.requests_seen == requests  # type: ignore[attr-defined]
    server.stop()  # the held answer is cut off: the sender cannot know what happened
    done = sender.finish()
    assert done.returncode == 0 and any(
        line.startswith(f"SETTLED {batch_id} applied=0 refused=0 unknown=") for line in done.lines
    ), "\n".join(done.lines)
    assert (order, "cancel", "") not in applied_keys(world)
    with Store.open(world.store_path) as store:
        assert [b.batch_id for b in StagingArea(store).unknown_batches] == [batch_id]


def test_a_lost_answer_is_unknown_refuses_further_sends_and_reconcile_settles_it(world):
    orders = world.orders  # type: ignore[attr-defined]
    x, y = orders[310], orders[311]
    world.server.set_faults([parse_fault("drop-after-apply:1@updates")])  # type: ignore[attr-defined]
    run, text = cli(world, "submit", csv_file(world, "lost", [f"{x},ship,,,,", f"{y},adjust,sorry,7.25,,"]), "--yes")
    assert run.returncode == 4 and "OUTCOME UNKNOWN" in text, text
    assert applied_keys(world) == Counter({(x, "ship", ""): 1, (y, "adjust", "7.25"): 1})

    # What the TUI reads: one batch held as unknown, its orders blocked.
    with Store.open(world.store_path) as store:
        area = StagingArea(store)
        [held] = area.unknown_batches
        batch_id = held.batch_id
        assert held.state is BatchState.UNKNOWN
        assert sorted((str(e.order_id), e.action.kind.value) for e in held.entries) == sorted(
            [(x, "ship"), (y, "adjust")]
        )
        assert "OUTCOME UNKNOWN" in area.blocked()[OrderId.parse(x)]
    assert batch_id in text

    requests = world.server.requests_seen  # type: ignore[attr-defined]
    run, text = cli(world, "submit", csv_file(world, "again", [f"{x},track,,,UPS,1Z-AGAIN"]), "--yes")
    assert run.returncode == 2, text
    assert f"{x} has an OUTCOME UNKNOWN ship in batch {batch_id}: reconcile it first" in text
    assert world.server.requests_seen == requests  # type: ignore[attr-defined]

    run, text = cli(world, "reconcile", "--yes")
    assert run.returncode == 6, text  # recorded, with an entry left unverified for a person
    assert f"{x} ship took effect (mark_shipped)" in text and f"{y} adjust unverified (pending)" in text
    with Store.open(world.store_path) as store:
        area = StagingArea(store)
        assert area.unknown_batches == [] and area.held == []
        assert [(str(e.order_id), e.action.kind.value, e.batch_id) for e in area.unverified] == [
            (y, "adjust", batch_id)
        ]

    run, text = cli(world, "submit", csv_file(world, "unverified", [f"{y},track,,,UPS,1Z-Y"]), "--yes")
    assert run.returncode == 2, text
    assert f"{y} has an unverified adjust from batch {batch_id}" in text
    assert world.server.requests_seen == requests + 1  # only reconcile's query went out
    assert applied_keys(world) == Counter({(x, "ship", ""): 1, (y, "adjust", "7.25"): 1})

    run, text = cli(world, "journal", x, "--json")
    assert run.returncode == 0, text
    rows = [json.loads(line) for line in run.lines]
    story = [(r["event"], r["outcome"]) for r in rows if r["batch_id"] == batch_id and r["order_id"] == x]
    assert story == [("submit", ""), ("outcome", "unknown"), ("reconciled", "took effect")]
    assert {r["order_id"] for r in rows} == {x}
    run, text = cli(world, "journal", y, "--json")
    story = [(r["event"], r["outcome"], r["fields"]) for r in map(json.loads, run.lines) if r["batch_id"] == batch_id]
    assert story[0] == ("submit", "", {"amount": "7.25", "notes": "sorry"})
    assert story[-1] == ("reconciled", "unverified", {"amount": "7.25", "notes": "sorry"})


def test_an_undo_never_takes_away_what_another_process_staged_since(world):
    """An undo names entries by id: one process's undo of its add must not remove the
    entries another process staged after sending those (ids are never reused)."""
    orders = world.orders  # type: ignore[attr-defined]
    with Store.open(world.store_path) as store:
        mine = StagingArea(store)
        mine.add([StagedAction.make(orders[320], "ship"), StagedAction.make(orders[321], "ship")])
        sent = driver(world, "--rounds", "0", "--tag", "5", "--finish").finish()  # another process sends them
        assert any(line.startswith("SETTLED") and "applied=2" in line for line in sent.lines), "\n".join(sent.lines)
        staged = driver(
            world, "--pool", pool(world, "later", orders[322:325]), "--tag", "6", "--rounds", "1", "--no-send"
        ).finish()
        theirs = sorted(tuple(json.loads(line[6:])) for line in staged.lines if line.startswith("STAGE "))
        assert theirs and "STAGED " + str(len(theirs)) in staged.lines, "\n".join(staged.lines)
        assert mine.undo()  # take back my add: its entries were sent meanwhile
    with Store.open(world.store_path) as store:
        left = sorted(key_of_action(e.action) for e in store.snapshot().staged)
    assert left == theirs
