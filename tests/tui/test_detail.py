"""Order detail: status with meaning and group, query now, staging keys, journal history."""

from __future__ import annotations

from ccnow_tui.protocol import StagedAction
from ccnow_tui.tui.screens.confirm import ConfirmScreen
from ccnow_tui.tui.screens.detail import DetailScreen

from .helpers import SIZE, answer_yes, screen_text, settle, started, wait_until


async def test_detail_stages_sends_and_shows_the_history(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        a = sandbox.book.pending()[0]
        await pilot.press("enter")
        assert isinstance(app.screen, DetailScreen)
        text = screen_text(app)
        assert str(a) in text and "pending" in text and "(actionable)" in text
        assert "ready for client to process" in text and "nothing sent for this order" in text
        await pilot.press("r", "r")  # more log lines than the pane shows, written while the queue is hidden
        await settle(pilot)
        await pilot.press("c", *"no stock", "enter")
        assert app.session.staging.entries == (StagedAction.make(a, "cancel", notes="no stock"),)
        assert "#1 cancel" in screen_text(app)
        await pilot.press("S")
        assert isinstance(app.screen, ConfirmScreen)
        await answer_yes(pilot)
        await settle(pilot)
        await wait_until(pilot, lambda: app.screen.history, "the journal history")
        text = screen_text(app)
        assert "sent cancel “no stock”" in text and "→ ok" in text and f"answer: {a} mark_canceled" in text
        assert "mark_canceled" in text and "(in progress)" in text
        # The queue's log pane followed the lines written while it was in the background.
        await pilot.press("escape")
        assert "batch applied: 1 applied" in screen_text(app)


async def test_r_queries_the_receiver_now(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        a = sandbox.book.pending()[0]
        await pilot.press("enter")
        before = app.session.book.checked[a]
        seen = sandbox.requests_seen
        await pilot.press("r")
        await settle(pilot)
        assert sandbox.requests_seen == seen + 1
        assert app.session.book.checked[a] >= before
        assert f"{a} pending (actionable)" in "\n".join(line.text for line in app.log_buffer.lines)


async def test_an_order_the_receiver_does_not_know_says_so(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("g", *"123456789", "enter")  # opening an unknown order queries it
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen) and app.screen.order_id == "123-45-6789"
        text = screen_text(app)
        assert "not known yet" in text and "refused at" in text and "order_not_found" in text


def test_an_entry_reads_the_same_in_the_journal_the_composer_and_the_cli():
    import json

    from ccnow_tui.storage.rows import fields_json
    from ccnow_tui.tui.screens.detail import _entry_text
    from ccnow_tui.tui.widgets.entry_table import fields_text

    oid = "396-10-1142"
    for entry in (
        StagedAction.make(oid, "ship"),
        StagedAction.make(oid, "cancel", notes="no stock"),
        StagedAction.make(oid, "adjust", amount="12.5", notes="goodwill"),
        StagedAction.make(oid, "track", trackname="DHL", tracknumber="JD0146"),
    ):
        stored = fields_json(entry)
        row = {"n": 1, "action": entry.kind.value, **(json.loads(stored) if stored else {})}  # as history() gives it
        fields = fields_text(entry)
        assert _entry_text(row) == f"{entry.kind.value} {fields}".strip()
        assert entry.describe() == f"{entry.kind.value} {oid} {fields}".strip()
    assert fields_text(StagedAction.make(oid, "adjust", amount="12.5", notes="goodwill")) == "$12.50 “goodwill”"
