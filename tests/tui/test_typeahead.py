"""Keys typed ahead: the key that closes a form or the filter hands the keys after it,
in order, to the screen underneath; ``esc`` read together with the next key (alt+key)
acts as the two keys typed.

Keys in one burst are posted the way the driver posts what it reads at once (fast typing,
or SSH delivering several keystrokes in one packet): see ``burst``.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from textual import events

from ccnow_tui.protocol import StagedAction
from ccnow_tui.tui.screens.composer import ComposerScreen
from ccnow_tui.tui.screens.confirm import ConfirmScreen
from ccnow_tui.tui.screens.forms import ActionForm
from ccnow_tui.tui.screens.queue import QueueScreen
from ccnow_tui.tui.widgets.order_table import OrderTable

from .helpers import SIZE, screen_text, started, wait_until


def burst(app, *keys: str) -> None:
    """Post keys as the driver does when it reads them at once."""
    names = {"\t": "tab", "/": "slash", " ": "space"}
    chars = {"enter": "\r", "escape": "\x1b", "tab": "\t"}
    for key in keys:
        name = names.get(key, key)
        app.post_message(events.Key(name, key if len(key) == 1 else chars.get(key)))


async def test_keys_after_enter_in_a_form_act_on_the_queue(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        rows = app.session.book.rows
        staging = app.session.staging
        # The reason is "OK"; the s after enter ships (it is not typed into the reason).
        burst(app, "c", "O", "K", "enter", "s")
        await wait_until(pilot, lambda: len(staging) == 2, "cancel and ship staged")
        assert staging.entries == (StagedAction.make(rows[0], "cancel", notes="OK"), StagedAction.make(rows[0], "ship"))
        assert isinstance(app.screen, QueueScreen)
        # An amount, enter, a move, and the next form: for the next order, empty.
        burst(app, "u", "u", "a", "5", "enter", "down", "c")
        await wait_until(
            pilot,
            # ready: its fields exist (the form is on the stack before they are mounted)
            lambda: isinstance(app.screen, ActionForm) and app.screen.orders == [rows[1]] and app.screen.ready,
            "the cancel form for the next order",
        )
        assert staging.entries == (StagedAction.make(rows[0], "adjust", amount="5"),)
        assert staging.entries[0].amount == Decimal("5")
        assert app.screen.kind.value == "cancel" and app.screen.orders == [rows[1]]
        assert app.screen.values() == {"notes": ""}
        # enter at once (no reason): the s after it is not lost.
        burst(app, "escape", "u", "up", "c", "enter", "s")
        await wait_until(pilot, lambda: len(staging) == 2, "cancel and ship staged")
        assert staging.entries == (StagedAction.make(rows[0], "cancel"), StagedAction.make(rows[0], "ship"))


async def test_keys_after_esc_in_a_form_act_on_the_queue(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        rows = app.session.book.rows
        burst(app, "c", "n", "o", "escape", "down", "s")
        await wait_until(pilot, lambda: len(app.session.staging) == 1, "ship staged")
        assert app.session.staging.entries == (StagedAction.make(rows[1], "ship"),)
        assert isinstance(app.screen, QueueScreen)


async def test_keys_after_enter_in_the_filter_act_on_the_list(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        target = app.session.book.rows[5]
        table = app.screen.query_one(OrderTable)
        burst(app, "/", *target.digits, "enter", "s")
        await wait_until(pilot, lambda: len(app.session.staging) == 1, "ship staged")
        assert app.session.staging.entries == (StagedAction.make(target, "ship"),)
        assert app.screen.query_one("#filter").value == target.digits and table.has_focus
        # esc clears the filter; the keys after it move on the whole list again.
        burst(app, "escape", "home", "down", "s")
        await wait_until(pilot, lambda: len(app.session.staging) == 2, "second ship staged")
        assert app.session.staging.entries[1] == StagedAction.make(app.session.book.rows[1], "ship")
        assert app.screen.query_one("#filter").value == ""


async def test_keys_after_the_answer_to_a_question_act_underneath(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        rows = app.session.book.rows
        burst(app, "s", "S")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen.shown_at != float("inf"))
        burst(app, "n", "down", "s")
        await wait_until(pilot, lambda: len(app.session.staging) == 2, "second ship staged")
        assert app.session.staging.entries[1] == StagedAction.make(rows[1], "ship")
        assert app.session.in_flight is None and isinstance(app.screen, QueueScreen)


async def test_esc_read_together_with_the_next_key_is_both_keys(make_app):
    # A terminal sends esc as one byte; esc and b in one read is the sequence alt+b.
    # No key of ours is an alt key: alt+b is esc, then b.
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        rows = app.session.book.rows
        burst(app, "s", "c", "n", "o")
        await wait_until(pilot, lambda: isinstance(app.screen, ActionForm) and app.screen.values() == {"notes": "no"})
        app.post_message(events.Key("alt+b", "b"))  # esc closes the form, b opens the composer
        await wait_until(pilot, lambda: isinstance(app.screen, ComposerScreen), "the composer")
        assert app.session.staging.entries == (StagedAction.make(rows[0], "ship"),)
        # esc S: back to the queue, then S asks to send (S was once typed into a field).
        app.post_message(events.Key("alt+shift+s", "S"))
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        assert isinstance(app.screen_stack[-2], QueueScreen)


async def test_a_y_typed_before_the_question_shows_is_named_in_the_question(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        burst(app, "s", "S", "y")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen.shown_at != float("inf"))
        await wait_until(pilot, lambda: "was not taken: press y again" in screen_text(app), "the note in the question")
        assert app.session.in_flight is None


async def _esc_then_s_stages_a_ship(pilot, *, as_alt: bool) -> None:
    """esc and s in one read on the modal screen up now: it closes, and s ships the
    highlighted order on the queue (nothing is dropped, nothing lands in the modal)."""
    app = pilot.app
    staging = app.session.staging
    before = len(staging)
    modal = app.screen
    if as_alt:
        app.post_message(events.Key("alt+s", "s"))
    else:
        burst(app, "escape", "s")
    await wait_until(pilot, lambda: len(staging) == before + 1, f"esc then s after {type(modal).__name__}")
    assert isinstance(app.screen, QueueScreen) and modal not in app.screen_stack


@pytest.mark.parametrize("as_alt", [False, True], ids=["two-keys", "alt+s"])
async def test_esc_and_a_key_in_one_burst_after_every_modal_screen(make_app, tmp_path, as_alt):
    """README: keys typed after the key that closes a screen act underneath. The help,
    the request preview, the label preview and the label path were screens where the key
    after esc was dropped (or went into the screen still closing)."""
    app = make_app()
    label_file = tmp_path / "labels.csv"
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        rows = app.session.book.rows
        label_file.write_text(f"Order Number,Carrier,Tracking Number\n{rows[3]},UPS,1Z999AA10123456784\n")
        app.start_dir = tmp_path
        opened = {
            "help": ("question_mark",),
            "command palette": ("ctrl+p",),
            "go-to form": ("g",),
            "stage form": ("c",),
            "label path": ("i",),
            "label preview": ("i", *"labels.csv", "enter"),
        }
        for what, keys in opened.items():
            burst(app, *keys)
            preview = what == "label preview"
            await wait_until(
                pilot,
                lambda p=preview: (
                    not isinstance(app.screen, QueueScreen)
                    and getattr(app.screen, "ready", True)
                    and (not p or type(app.screen).__name__ == "ImportPreviewScreen")
                ),
                what,
            )
            await pilot.pause()
            await _esc_then_s_stages_a_ship(pilot, as_alt=as_alt)
            await pilot.press("j")  # the next order for the next ship (each entry its own)
        # The request preview, from the composer: esc closes it, the composer's esc goes back.
        burst(app, "b")
        await wait_until(pilot, lambda: isinstance(app.screen, ComposerScreen), "the composer")
        burst(app, "p")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "PreviewScreen", "the request preview")
        await pilot.pause()
        if as_alt:
            app.post_message(events.Key("alt+u", "u"))
        else:
            burst(app, "escape", "u")
        await wait_until(pilot, lambda: len(app.session.staging) == len(opened) - 1, "u undid the last ship")
        assert isinstance(app.screen, ComposerScreen)
        assert [e.order_id for e in app.session.staging.entries] == rows[: len(opened) - 1]
        # The label preview's column form (1): esc t closes it, t acts on the preview.
        burst(app, "escape", "i", *"labels.csv", "enter")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ImportPreviewScreen", "the label preview")
        preview = app.screen
        burst(app, "1")
        await wait_until(
            pilot,
            lambda: type(app.screen).__name__ == "LabelChoiceForm" and getattr(app.screen, "ready", False),
            "the column form",
        )
        if as_alt:
            app.post_message(events.Key("alt+t", "t"))
        else:
            burst(app, "escape", "t")
        await wait_until(pilot, lambda: app.screen is preview and not preview.ship, "track only, on the preview")
