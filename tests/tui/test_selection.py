"""Every action targets what the operator can see: the header counts the selection and the
selected orders the filter hides; an action key with hidden selected orders asks first;
the log names the orders staged for; space stays on its row; j and k move."""

from __future__ import annotations

from ccnow_tui.protocol import StagedAction
from ccnow_tui.tui.screens.forms import ActionForm
from ccnow_tui.tui.screens.hidden import HiddenSelectionScreen
from ccnow_tui.tui.screens.queue import QueueScreen
from ccnow_tui.tui.widgets.header import HeaderBar
from ccnow_tui.tui.widgets.order_table import OrderTable
from ccnow_tui.words import named_orders

from .helpers import SIZE, log_text, screen_text, started, wait_until
from .test_typeahead import burst


def header(app) -> str:
    return str(app.screen.query_one(HeaderBar).render())


async def question_up(pilot) -> HiddenSelectionScreen:
    app = pilot.app
    await wait_until(
        pilot,
        lambda: isinstance(app.screen, HiddenSelectionScreen) and app.screen.shown_at != float("inf"),
        "the hidden-selection question",
    )
    return app.screen


async def filter_to(pilot, order) -> None:
    await pilot.press("slash", *order.digits[-4:], "enter")


async def test_a_hidden_selected_order_is_never_staged_unasked(make_app, sandbox):
    """space on one order, / to another, s: the question names the hidden order; n stages
    nothing; a stages for every selected order, as it says."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        rows = list(app.session.book.rows)
        table = app.screen.query_one(OrderTable)
        staging = app.session.staging
        await pilot.press("space")
        assert table.current == rows[0]  # space stays on its row
        assert table.selected == {rows[0]}
        assert "1 selected" in header(app) and "hidden" not in header(app)
        await filter_to(pilot, rows[7])
        assert table.current == rows[7]
        assert "1 selected, 1 hidden by the filter" in header(app)
        await pilot.press("s")
        question = await question_up(pilot)
        assert len(staging) == 0
        text = screen_text(app)
        assert "Stage ship: 1 of the 1 selected order is hidden by the filter" in text
        assert rows[0] in text and "None of the selected orders is shown" in text
        assert "only the" not in text  # nothing shown to act on: no "shown only" answer
        await pilot.press("v")  # means nothing here
        assert app.screen is question and len(staging) == 0
        await pilot.press("n")
        assert isinstance(app.screen, QueueScreen) and len(staging) == 0
        assert "Stage ship: nothing done (1 of the 1 selected order hidden by the filter)" in log_text(app)
        assert table.selected == {rows[0]}
        await pilot.press("s")
        await question_up(pilot)
        await pilot.press("a")
        await wait_until(pilot, lambda: len(staging) == 1, "the ship staged")
        assert staging.entries == (StagedAction.make(rows[0], "ship"),)  # what the question said: all
        assert not table.selected and "selected" not in header(app)
        assert f"staged ship for {rows[0]} (" in log_text(app)


async def test_shown_only_acts_on_the_shown_ones_and_keeps_the_hidden_selected(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        rows = list(app.session.book.rows)
        table = app.screen.query_one(OrderTable)
        staging = app.session.staging
        await pilot.press("space", "j", "space", "j", "j", "k", "space")  # rows 0, 1 and 2
        assert table.selected == set(rows[:3])
        await filter_to(pilot, rows[2])
        await pilot.press("c")
        await question_up(pilot)
        text = screen_text(app)
        assert "Stage cancel: 2 of the 3 selected orders are hidden by the filter" in text
        assert f"{rows[0]} and {rows[1]}" in text and "v only the 1 shown" in text and "a all 3 selected" in text
        # The answer, the reason and enter in one burst: the form comes up for the shown one.
        burst(app, "v", "O", "K", "enter")
        await wait_until(pilot, lambda: len(staging) == 1, "the cancel staged")
        assert staging.entries == (StagedAction.make(rows[2], "cancel", notes="OK"),)
        assert table.selected == {rows[0], rows[1]}  # not acted on: still selected, and counted
        assert "2 selected, 2 hidden by the filter" in header(app)
        await pilot.press("escape")  # the filter; the selection shows again
        assert "2 selected" in header(app) and "hidden" not in header(app)


async def test_keys_typed_ahead_do_not_answer_the_question(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        rows = list(app.session.book.rows)
        staging = app.session.staging
        await pilot.press("space")
        await filter_to(pilot, rows[3])
        burst(app, "s", "a")
        question = await question_up(pilot)
        await wait_until(pilot, lambda: "was not taken" in screen_text(app), "the note on the early key")
        assert app.screen is question and len(staging) == 0
        await pilot.press("a")
        await wait_until(pilot, lambda: len(staging) == 1, "the ship staged")


async def test_copy_asks_too_and_select_all_says_what_it_left(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        rows = list(app.session.book.rows)
        table = app.screen.query_one(OrderTable)
        await pilot.press("space")
        await filter_to(pilot, rows[9])
        await pilot.press("A")  # every shown order: the hidden one stays selected, and is counted
        assert table.selected == {rows[0], *table.shown()}
        hidden = len(table.selected) - len(table.shown())
        assert f"{len(table.selected)} selected, {hidden} hidden by the filter" in header(app)
        assert f"{len(table.selected)} selected, {hidden} hidden by the filter" in log_text(app)
        await pilot.press("C")
        await question_up(pilot)
        await pilot.press("v")
        assert app.clipboard == "\n".join(o for o in table.targets() if o in table.shown())
        assert rows[0] not in app.clipboard


async def test_the_log_names_the_orders_staged_for(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        rows = list(app.session.book.rows)
        await pilot.press("A", "s")
        await wait_until(pilot, lambda: len(app.session.staging) == len(rows), "ship for every order")
        line = f"staged ship for {len(rows)} orders: {rows[0]}, {rows[1]}, {rows[2]} and {len(rows) - 3} more ("
        assert line in log_text(app)


def test_named_orders_names_a_few_then_the_first_ones_and_a_count():
    assert named_orders(["a"]) == "a"
    assert named_orders(["a", "b"]) == "a and b"
    assert named_orders(list("abcde")) == "a, b, c, d and e"
    assert named_orders(list("abcdefghij")) == "a, b, c and 7 more"


async def test_j_and_k_move_on_every_list(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        table = app.screen.query_one(OrderTable)
        await pilot.press("j", "j", "k")
        assert table.cursor == 1
        await pilot.press("s", "j", "s", "b")  # the composer's list
        await wait_until(pilot, lambda: app.screen.__class__.__name__ == "ComposerScreen", "the composer")
        composer_list = app.screen.focused
        start = composer_list.cursor
        await pilot.press("j")
        assert composer_list.cursor == start + 1
        await pilot.press("k")
        assert composer_list.cursor == start
        assert not isinstance(app.screen, ActionForm)


async def test_j_and_k_scroll_the_help_as_they_move_on_lists(make_app, sandbox):
    from ccnow_tui.tui.widgets.scroll_body import ScrollBody

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("question_mark")
        body = app.screen.query_one(ScrollBody)
        assert body.has_focus and body.scroll_y == 0
        await pilot.press("j", "j", "j")
        await wait_until(pilot, lambda: body.scroll_y == 3, "three lines down")
        await pilot.press("k")
        await wait_until(pilot, lambda: body.scroll_y == 2, "one line up")
