"""History (h): every batch sent from this profile, newest first, with its outcome; / filters,
enter opens a batch (its entries, results and the receiver's raw lines), R reconciles an
unknown one, x writes the shown batches to a CSV file in the start directory."""

from __future__ import annotations

import csv
import stat
from pathlib import Path

from ccnow_tui.sandbox.faults import parse_fault
from ccnow_tui.tui.app import help_sections
from ccnow_tui.tui.keys import bindings_of
from ccnow_tui.tui.screens.history import BatchScreen, HistoryScreen
from ccnow_tui.tui.screens.queue import QueueScreen

from .helpers import SIZE, answer_yes, log_text, screen_text, settle, started, wait_until


async def send_ship(pilot, *, down: int = 0) -> None:
    """Ship the order ``down`` rows below the top of the queue, confirmed with y."""
    await pilot.press("home", *["down"] * down, "s", "S")
    await answer_yes(pilot)
    await settle(pilot)


def test_the_history_keys_have_stable_ids_and_tooltips_and_are_in_the_help():
    ids = {b.id for cls in (HistoryScreen, BatchScreen) for b in bindings_of(cls)}
    assert {"history.open", "history.filter", "history.export", "history.reconcile", "nav.history"} <= ids
    listed = {what for _, rows in help_sections() for _, what in rows}
    for cls in (HistoryScreen, BatchScreen):
        for b in cls.BINDINGS:
            assert b.id and b.tooltip and b.tooltip in listed, b.key


async def test_h_lists_a_sent_batch_with_its_outcome_and_enter_shows_the_raw_line(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        a = sandbox.book.pending()[0]
        await send_ship(pilot)
        await pilot.press("h")
        assert isinstance(app.screen, HistoryScreen)
        text = screen_text(app)
        assert "ship 1" in text and "applied" in text and "shop" in text
        assert app.screen.shown[0].outcome == "applied"
        await pilot.press("enter")
        assert isinstance(app.screen, BatchScreen)
        text = screen_text(app)
        assert f"#1 {a} ship" in text and f"{a} ship: applied" in text
        assert f"{a} mark_shipped" in text  # the receiver's raw line
        await pilot.press("escape", "escape")
        assert isinstance(app.screen, QueueScreen)


async def test_a_lost_answer_shows_unknown_and_R_reconciles_it_from_the_history(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        # Short for the batch's answer, once the list is in: --timeout bounds a whole read,
        # retries included, and a busy machine may take longer for the first list.
        app.session.client.timeout = 0.5
        sandbox.set_faults([parse_fault("drop-after-apply")])  # applied, answer lost
        await send_ship(pilot)
        sandbox.set_faults([])
        assert len(app.session.staging.unknown_batches) == 1
        await pilot.press("h")
        assert app.screen.shown[0].outcome == "unknown" and "UNKNOWN" in screen_text(app)
        seen = sandbox.requests_seen
        await pilot.press("R")
        await settle(pilot)
        assert sandbox.requests_seen == seen + 1  # one query of its orders
        assert not app.session.staging.unknown_batches
        await wait_until(pilot, lambda: app.screen.shown[0].outcome == "reconciled", "the history to follow")
        assert "reconciled" in screen_text(app)
        await pilot.press("R")  # nothing unknown left: says so, asks nothing
        await settle(pilot)
        assert sandbox.requests_seen == seen + 1


async def test_slash_filters_by_order_number_and_outcome(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await send_ship(pilot)
        await send_ship(pilot, down=3)
        await pilot.press("h")
        screen = app.screen
        assert isinstance(screen, HistoryScreen) and len(screen.shown) == 2
        orders = [screen.store.batch_detail(b.batch_id).entries[0].order_id for b in screen.shown]
        assert orders[0] != orders[1]
        await pilot.press("slash", *orders[1][-6:], "enter")
        assert [b.batch_id for b in screen.shown] == [screen.all[1].batch_id]
        await pilot.press("escape")
        assert len(screen.shown) == 2 and isinstance(app.screen, HistoryScreen)
        await pilot.press("slash", *"refused", "enter")
        assert screen.shown == []
        await pilot.press("escape", "slash", *"ship", "enter")
        assert len(screen.shown) == 2


async def test_x_writes_the_shown_batches_to_a_private_csv_in_the_start_directory(
    make_app, sandbox, tmp_path, monkeypatch
):
    folder = tmp_path / "cwd"
    folder.mkdir()
    monkeypatch.chdir(folder)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        a = sandbox.book.pending()[0]
        await send_ship(pilot)
        await pilot.press("h", "x")
        await pilot.pause()
        [path] = list(folder.glob("ccnow-history-*.csv"))
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert str(path) in log_text(app)
        with Path(path).open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        assert [(r["order"], r["action"], r["batch_outcome"], r["outcome"]) for r in rows] == [
            (a, "ship", "applied", "applied")
        ]
        assert rows[0]["receiver"] and rows[0]["account"] == "shop"
