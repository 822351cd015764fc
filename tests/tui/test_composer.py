"""The composer: numbering as sent, lint, edit/remove/undo, the masked preview, forms."""

from __future__ import annotations

from decimal import Decimal

from textual import events

from ccnow_tui.protocol import StagedAction
from ccnow_tui.protocol.redact import MASK
from ccnow_tui.tui.screens.composer import ComposerScreen
from ccnow_tui.tui.screens.confirm import ConfirmScreen
from ccnow_tui.tui.screens.forms import ActionForm
from ccnow_tui.tui.screens.preview import PreviewScreen
from ccnow_tui.tui.widgets.entry_table import EntryTable

from .helpers import PASSWORD, SIZE, screen_text, started


async def test_track_form_validates_as_you_type_and_stages_on_enter(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        first = sandbox.book.pending()[0]
        await pilot.press("t")
        assert isinstance(app.screen, ActionForm)
        await pilot.press("U", "P", "S", "enter")  # no tracking number yet
        assert isinstance(app.screen, ActionForm)
        assert "a tracking number is required" in screen_text(app)
        assert app.screen.focused.id == "f-tracknumber"  # enter took us to the bad field
        await pilot.press("1", "Z", "9", "enter")
        assert app.session.staging.entries == (StagedAction.make(first, "track", trackname="UPS", tracknumber="1Z9"),)
        await pilot.press("t", "escape")  # escape cancels, nothing staged
        assert len(app.session.staging) == 1


async def test_tab_in_a_burst_of_keys_moves_on_before_the_next_key(make_app, sandbox):
    # Over SSH several keystrokes often arrive in one read; the driver posts them all at
    # once. Tab must move to the next field before the keys after it are delivered.
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("t")
        assert isinstance(app.screen, ActionForm)
        for key, char in [
            ("U", "U"),
            ("P", "P"),
            ("S", "S"),
            ("tab", "\t"),
            ("1", "1"),
            ("Z", "Z"),
            ("tab", "\t"),
            ("h", "h"),
            ("i", "i"),
        ]:
            app.post_message(events.Key(key, char))
        await pilot.pause()
        assert app.screen.values() == {"trackname": "UPS", "tracknumber": "1Z", "notes": "hi"}
        app.post_message(events.Key("shift+tab", None))
        app.post_message(events.Key("X", "X"))
        await pilot.pause()
        assert app.screen.values()["tracknumber"] == "1ZX"


def burst(app, *keys: str) -> None:
    """Post keys the way the driver does when they arrive in one read (fast typing over SSH)."""
    names = {"\t": "tab", "/": "slash", " ": "space"}
    for key in keys:
        name = names.get(key, key)
        app.post_message(events.Key(name, key if len(key) == 1 else None))


async def test_keys_typed_right_after_the_key_that_opens_a_form_land_in_it(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        first = app.session.book.rows[0]
        burst(app, "t", "U", "P", "S", "\t", "1", "Z")
        await pilot.pause()
        assert isinstance(app.screen, ActionForm)
        assert app.screen.values() == {"trackname": "UPS", "tracknumber": "1Z", "notes": ""}
        await pilot.press("enter")
        assert app.session.staging.entries == (StagedAction.make(first, "track", trackname="UPS", tracknumber="1Z"),)
        # The same for the filter, and for going to an order.
        burst(app, "/", "8", "2")
        await pilot.pause()
        assert app.screen.query_one("#filter").value == "82"
        await pilot.press("escape")
        burst(app, "g", *first.digits)
        await pilot.pause()
        assert app.screen.query_one("#f-order").value == first.digits
        # A key typed ahead never answers a question: S then y at once does not send.
        await pilot.press("escape")
        burst(app, "S", "y")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and app.session.in_flight is None


async def test_adjust_amount_rules_show_under_the_field(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("a", "5", ".", "0", "0", "1")
        assert "more than two decimal places" in screen_text(app)
        await pilot.press("backspace")
        assert "more than two decimal places" not in screen_text(app)
        await pilot.press("enter")
        assert app.session.staging.entries[0].amount == Decimal("5.00")


async def test_composer_numbers_as_sent_and_shows_the_lint(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        a, b = sandbox.book.pending()[:2]
        done = sandbox.book.with_status("completed")[0]
        staging = app.session.staging
        # ship then track on one order (re-ordered), ship+cancel on another (error),
        # a duplicate, and an order not known to be pending.
        staging.add(
            [
                StagedAction.make(a, "ship"),
                StagedAction.make(a, "track", trackname="UPS", tracknumber="1"),
                StagedAction.make(b, "ship"),
                StagedAction.make(b, "cancel"),
                StagedAction.make(b, "ship"),
                StagedAction.make(done, "ship"),
            ]
        )
        await pilot.press("b")
        assert isinstance(app.screen, ComposerScreen)
        table = app.screen.query_one(EntryTable)
        assert [(r.n, r.entry) for r in table.rows] == staging.batch().numbered()
        assert table.rows[0].entry.kind.value == "track"  # adjust/track go before ship
        text = screen_text(app)
        assert "ship and cancel on one order" in text
        assert "duplicate ship entry" in text
        assert f"{done}: last known status is completed, not pending" in text or f"{done}: status unknown" in text
        assert "re-ordered so adjust/track go before ship/cancel" in text
        # A batch with an error cannot be sent: S says why and asks nothing.
        await pilot.press("S")
        assert not isinstance(app.screen, ConfirmScreen)


async def test_edit_remove_undo(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        a, b = sandbox.book.pending()[:2]
        staging = app.session.staging
        staging.add([StagedAction.make(a, "adjust", amount="5"), StagedAction.make(b, "ship")])
        await pilot.press("b", "e")
        assert isinstance(app.screen, ActionForm)
        await pilot.press("end", "backspace", "backspace", "backspace", "backspace", "7", "enter")
        assert staging.entries[0] == StagedAction.make(a, "adjust", amount="7")
        await pilot.press("d")
        assert staging.entries == (StagedAction.make(b, "ship"),)
        await pilot.press("u")
        assert staging.entries[0] == StagedAction.make(a, "adjust", amount="7")
        await pilot.press("u")
        assert staging.entries[0] == StagedAction.make(a, "adjust", amount="5")


async def test_preview_masks_the_password(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        a = sandbox.book.pending()[0]
        app.session.staging.add([StagedAction.make(a, "cancel", notes="out of stock")])
        await pilot.press("b", "p")
        assert isinstance(app.screen, PreviewScreen)
        text = screen_text(app)
        assert "x_clientid=shop" in text and f"x_password={MASK}" in text
        assert f"x_orderid_1={a}" in text and "x_action_1=cancel" in text and "x_notes_1=out of stock" in text
        assert PASSWORD not in text and PASSWORD not in app.export_screenshot()
        await pilot.press("escape")
        assert isinstance(app.screen, ComposerScreen)


async def test_a_quick_correction_in_a_field_comes_out_as_typed(make_app, sandbox):
    # "5.0", backspace, "5" in one read must give 5.5: Textual's Input would type the 5
    # first and delete it after (its backspace is a binding run later), giving 5.0.
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("a")
        await pilot.pause()
        burst(app, "5", ".", "0", "backspace", "5", "left", "backspace", ".", "home", "1", "end", "0", "backspace")
        await pilot.pause()
        assert app.screen.values()["amount"] == "15.5"
        await pilot.press("enter")
        assert app.session.staging.entries[0].amount == Decimal("15.5")


async def test_a_burst_of_keys_acts_in_the_order_typed(make_app, sandbox):
    # Moving, selecting and staging typed in one burst: the staging key must not jump
    # ahead of the moves before it (it would act on an order the operator moved away from).
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        rows = app.session.book.rows
        burst(app, "down", "down", "s")
        await pilot.pause()
        assert [e.order_id for e in app.session.staging.entries] == [rows[2]]
        burst(app, "u", "home", " ", "down", " ", "escape", "s")  # select two, clear them, ship the highlighted
        await pilot.pause()
        assert [e.order_id for e in app.session.staging.entries] == [rows[1]]  # space stays on its row
        burst(app, "u", "home", " ", "down", " ", "s")
        await pilot.pause()
        assert sorted(e.order_id for e in app.session.staging.entries) == sorted([rows[0], rows[1]])


async def test_text_that_looks_like_markup_is_shown_as_typed(make_app, sandbox):
    # Notes go to the receiver and come back in answers and the journal: no screen may
    # read them as Textual markup (which would swallow or restyle the brackets).
    app = make_app()
    note = "[b]fragile[/b] [red]box[/] [@click=app.quit]x[/]"
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("c")
        app.screen.query_one("#f-notes").value = note
        await pilot.press("enter")
        await pilot.press("b")
        assert note in screen_text(app)
        await pilot.press("p")
        assert f"x_notes_1={note}" in screen_text(app)
        await pilot.press("escape", "enter")  # the order's detail
        assert note in screen_text(app)


async def test_a_change_before_the_composer_redraws_neither_breaks_drawing_nor_moves_what_d_removes(make_app):
    """The staging area changes its list in place; the composer rebuilds its rows after the
    next refresh. In between, rows are drawn and keys act on what the operator saw: the
    rows are a copy as built, and d removes the entry shown (found again by identity),
    not whatever now stands at its old place."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        a, b, c = app.session.book.rows[:3]
        staging = app.session.staging
        staging.add([StagedAction.make(o, "ship") for o in (a, b, c)])
        await pilot.press("b")
        assert isinstance(app.screen, ComposerScreen)
        table = app.screen.query_one(EntryTable)
        table.move_to(1)
        await pilot.pause()
        assert table.current.entry.order_id == b
        staging.remove([0])  # as another change would, before the composer has rebuilt
        for y in range(table.size.height):  # drawing the rows as built still works
            table.render_line(y)
        assert table.current.entry.order_id == b  # what the operator sees
        app.screen.action_remove()
        assert [e.action.order_id for e in staging.staged] == [c]  # b went, not c
        await pilot.pause()
        assert [r.entry.order_id for r in table.rows if r.entry is not None] == [c]


async def test_one_composer_mounted_ahead_opens_anew_follows_the_staging_area_and_b_goes_back_to_it(make_app):
    """The session mounts its composer before the first b (mounting it is most of what b
    cost at 100,000 entries) and keeps it: b shows it as a new one would open, with what
    was staged meanwhile; from an order opened over it, b goes back to it."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        queue = app.screen
        composer = app.get_screen("composer")
        assert isinstance(composer, ComposerScreen) and composer.is_running and composer is not queue
        a, b, c, d = app.session.book.rows[:4]
        staging = app.session.staging
        staging.add([StagedAction.make(o, "ship") for o in (a, b, c)])  # while the composer is hidden
        app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"  # and a new theme
        await pilot.press("b")
        assert app.screen is composer
        table = composer.query_one(EntryTable)
        error = table.get_component_rich_style("entry-table--error").color
        assert error is not None and error.triplet.hex.lower() == app.get_css_variables()["text-error"].lower()
        assert [r.entry.order_id for r in table.rows] == [a, b, c] and table.cursor == 0 and table.has_focus
        await pilot.press("down", "down", "L")  # leave it far down, with the log focused
        assert table.cursor == 2 and not table.has_focus
        await pilot.press("escape", "escape")  # the log, then the composer
        assert app.screen is queue
        staging.add([StagedAction.make(d, "cancel")])
        await pilot.press("b")
        assert app.screen is composer and table.has_focus and table.cursor == 0
        assert sorted(str(r.entry.order_id) for r in table.rows) == sorted(str(o) for o in (a, b, c, d))
        assert "4 entries for 4 orders" in screen_text(app)

        depth = len(app.screen_stack)
        await pilot.press("enter")  # the highlighted entry's order, over the composer
        assert app.screen is not composer and app.screen in app.screen_stack
        await pilot.press("b")  # back to the composer below, not a second one on top
        assert app.screen is composer and len(app.screen_stack) == depth
        await pilot.press("escape")
        assert app.screen is queue


def holding_the_password(order) -> list[StagedAction]:
    """Entries as `ccnow-tui stage` leaves them when it did not know the password: made
    without the check (StagedAction.make refuses them), straight into the store."""
    return [
        StagedAction(
            StagedAction.make(order, "cancel").order_id,
            StagedAction.make(order, "cancel").kind,
            f"call {PASSWORD} back",
            None,
            "",
            "",
        ),
        StagedAction(
            StagedAction.make(order, "track", trackname="UPS", tracknumber="1").order_id,
            StagedAction.make(order, "track", trackname="UPS", tracknumber="1").kind,
            "",
            None,
            "UPS",
            f"1Z{PASSWORD.upper()}",
        ),
    ]


async def test_a_staged_note_holding_the_password_is_shown_masked(make_app, sandbox):
    """Issue 17 §3: the list and the field line under it showed such a note in clear, under
    a lint saying it holds the password."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        a = sandbox.book.pending()[0]
        app.session.staging.add(holding_the_password(a))
        await pilot.press("b")
        assert isinstance(app.screen, ComposerScreen)
        for _ in range(2):  # each entry in turn, the field line showing it
            await pilot.pause()
            text = screen_text(app)
            assert "holds the API password" in text or "contains the API password" in text
            assert PASSWORD not in text and PASSWORD.upper() not in text, text
            assert MASK in text
            await pilot.press("down")
        shot = app.export_screenshot()
        assert PASSWORD not in shot and PASSWORD.upper() not in shot


async def test_go_to_never_repeats_the_password_typed(make_app, sandbox):
    """Issue 17 §3: `g` repeated typed text in its error; pasted there, the password showed twice."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("g", *PASSWORD[:9])  # as it is typed (or pasted): the error never repeats it
        await pilot.pause()
        assert "is not a CCNow order number" in screen_text(app)
        assert PASSWORD[:9] not in screen_text(app).replace(f"{PASSWORD[:9]}", "", 1)  # only in the field itself
        await pilot.press(*PASSWORD[9:], "enter")
        await pilot.pause()
        text = screen_text(app)
        assert "holds the API password: it was cleared" in text
        assert PASSWORD not in text and PASSWORD not in app.export_screenshot(), text
        await pilot.press(*"12345678", "x", "enter")  # any other text: named as typed, never echoed
        await pilot.pause()
        assert "What is typed is not a CCNow order number" in screen_text(app)
