"""The TUI on the profile's store: what is in flight cannot be edited or removed, unverified
entries come back only when the operator says so, another window's (or a script's) work
shows within a second, and a batch left in flight by a process that died is held unknown."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from ccnow_tui.domain.staging import StagingArea
from ccnow_tui.protocol import StagedAction
from ccnow_tui.sandbox.faults import parse_fault
from ccnow_tui.storage.store import GONE_REASON, BatchMeta, BatchState, Store
from ccnow_tui.tui.screens.composer import ComposerScreen
from ccnow_tui.tui.screens.confirm import ConfirmScreen
from ccnow_tui.tui.screens.forms import ActionForm

from .helpers import SIZE, actions, answer_yes, log_text, screen_text, settle, started, stored, toasts, wait_until


def notified(app) -> str:
    """Every toast on the screen (a toast shows a frame after it is posted: pause first)."""
    return " | ".join(toasts(app))


async def test_entries_in_flight_cannot_be_edited_or_removed(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await started(pilot)
        a = sandbox.book.pending()[0]
        await pilot.press("a", "5", "enter")
        sandbox.set_faults([parse_fault("slow=1")])
        await pilot.press("b", "S")
        await answer_yes(pilot)
        await wait_until(pilot, lambda: app.session.in_flight is not None, "the batch to leave")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, ComposerScreen) and "SENDING" in screen_text(app),
            "the composer to show the batch in flight",
        )
        table = app.screen.table
        table.move_to(next(i for i, r in enumerate(table.rows) if r.entry is not None))
        await pilot.press("e")
        assert not isinstance(app.screen, ActionForm)
        await pilot.press("d")
        assert not isinstance(app.screen, ConfirmScreen)
        await pilot.pause()
        assert "is being sent" in notified(app)
        await settle(pilot)
        # Applied once, with the amount that was sent; nothing else staged or sent.
        assert app.session.staging.entries == () and not app.session.staging.held
        record = sandbox.book.record(a)
        assert record.discount == StagedAction.make(a, "adjust", amount="5").amount and record.applied == ("adjust",)


async def test_an_unverified_discount_is_restaged_only_after_the_question(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        # Short for the batch's answer, once the list is in: --timeout bounds a whole read,
        # retries included, and a busy machine may take longer for the first list.
        app.session.client.timeout = 0.5
        a = sandbox.book.pending()[0]
        await pilot.press("a", "5", "enter")
        sandbox.set_faults([parse_fault("drop-after-apply")])  # applied, answer lost
        await pilot.press("S")
        await answer_yes(pilot)
        await settle(pilot)
        sandbox.set_faults([])
        staging = app.session.staging
        assert len(staging.unknown_batches) == 1
        await pilot.press("b", "R")
        await settle(pilot)
        # The order is still pending either way: the discount cannot be proved. Not re-staged.
        assert staging.entries == () and actions(staging.unverified) == [StagedAction.make(a, "adjust", amount="5")]
        text = screen_text(app)
        assert "UNVERIFIED" in text and "unverified: adjust" in text
        assert "unverified" in log_text(app)
        table = app.screen.table
        table.move_to(next(i for i, r in enumerate(table.rows) if r.unverified is not None and not r.header))
        await pilot.press("r")
        assert isinstance(app.screen, ConfirmScreen)
        assert "This discount may already have been given: stage it again?" in " ".join(screen_text(app).split())
        await pilot.press("n")
        assert staging.entries == ()
        await pilot.press("r")
        await answer_yes(pilot)
        assert staging.entries == (StagedAction.make(a, "adjust", amount="5"),) and not staging.unverified
        # The confirmation of a batch names every unverified entry; here there are none left.
        assert "may already have been applied" in staging.remark_at(0)


async def test_the_confirmation_names_every_unverified_entry(make_app, sandbox):
    a, b = sandbox.book.pending()[:2]
    with Store.for_profile("test") as store:
        area = StagingArea(store)
        area.add([StagedAction.make(a, "adjust", amount="3.25")])
        claim = area.claim(area.batch(), BatchMeta(sandbox.url, "x", "shop"))
        area.mark_unknown(claim.batch_id, "lost")
        area.reconcile(claim.batch_id, {a: "pending"})
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        app.session.staging.add([StagedAction.make(b, "ship")])
        await pilot.press("S")
        assert isinstance(app.screen, ConfirmScreen)
        text = screen_text(app)
        assert "1 UNVERIFIED" in text and f"adjust {a} $3.25" in text


async def test_another_windows_work_shows_within_a_second_and_is_not_lost(make_app, sandbox):
    a, b = sandbox.book.pending()[:2]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("s")  # this window stages a ship for a
        with Store.for_profile("test") as other_window:
            other = StagingArea(other_window)
            assert other.entries == (StagedAction.make(a, "ship"),)
            other.add([StagedAction.make(b, "cancel", notes="asked to")])
        await wait_until(pilot, lambda: "2 staged" in screen_text(app), "the other window's entry")
        assert len(app.session.staging.entries) == 2
        await pilot.press("q")
    assert actions(stored().staged) == [StagedAction.make(a, "ship"), StagedAction.make(b, "cancel", notes="asked to")]


SENDER = textwrap.dedent("""
    import sys
    from ccnow_tui.protocol import StagedAction
    from ccnow_tui.domain.staging import StagingArea
    from ccnow_tui.storage.store import BatchMeta, Store
    store = Store.for_profile("test")
    area = StagingArea(store)
    area.add([StagedAction.make(sys.argv[1], "adjust", amount="5")])
    area.claim(area.batch(), BatchMeta("http://127.0.0.1:1/", "127.0.0.1:1", "shop"))
    print("claimed", flush=True)
    sys.stdin.read()  # in flight until killed
""")


async def test_a_batch_in_flight_when_its_process_was_killed_is_held_unknown(make_app, sandbox, isolated_dirs):
    a = sandbox.book.pending()[0]
    env = {
        **os.environ,
        "XDG_DATA_HOME": str(isolated_dirs.data_home),
        "XDG_CONFIG_HOME": str(isolated_dirs.config_home),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", SENDER, str(a)], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "claimed"
        app = make_app()
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await started(pilot)
            # Still running: in flight, not mistaken for dead, and nobody may send that order.
            [held] = app.session.staging.held
            assert held.state is BatchState.SENDING and not held.mine
            await pilot.press("s", "S")
            assert not isinstance(app.screen, ConfirmScreen)
            await pilot.pause()
            assert "being sent right now by process" in notified(app)
            await pilot.press("u")
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            await wait_until(pilot, lambda: app.session.staging.unknown_batches, "the batch to be held unknown")
            assert GONE_REASON in log_text(app)
            assert app.session.staging.entries == ()  # never staged again by itself
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()  # reaps it and closes its pipes (an open one is a ResourceWarning)
