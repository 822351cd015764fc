"""The size of what the confirmation's key does: totals in the composer and the question,
and a batch that cancels or discounts more than the profile's ``confirm_over`` orders
sent only after the operator types the number of orders it changes (issue #9, item 3).

Real app, real sandbox: nothing of ours is mocked."""

from __future__ import annotations

from textual import events

from ccnow_tui.protocol import StagedAction
from ccnow_tui.tui.screens.composer import ComposerScreen
from ccnow_tui.tui.screens.confirm import ConfirmScreen

from .helpers import SIZE, answer_yes, screen_text, settle, started, wait_until


async def shown(pilot) -> ConfirmScreen:
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen.shown_at != float("inf"),
                     "the confirmation to show")
    return app.screen


def burst(app, *keys: str) -> None:
    """Post keys as the driver does when it reads them at once (as tests/tui/test_typeahead.py)."""
    chars = {"enter": "\r", "escape": "\x1b"}
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else chars.get(key)))


def cancels(orders) -> list[StagedAction]:
    return [StagedAction.make(o, "cancel", notes="customer asked") for o in orders]


async def test_totals_show_in_the_composer_and_the_confirmation(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        a, b, c = sandbox.book.pending()[:3]
        app.session.staging.add([
            StagedAction.make(a, "adjust", amount="5.00", notes="damaged box"),
            StagedAction.make(a, "adjust", amount="2.50", notes="late"),
            StagedAction.make(b, "adjust", amount="5.00"),
            StagedAction.make(b, "ship"),
            StagedAction.make(c, "query"),
        ])
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, ComposerScreen)
                         and "total discount" in screen_text(app), "the composer's summary")
        text = screen_text(app)
        assert "5 entries for 3 orders" in text and "total discount $12.50" in text
        assert "2 orders changed, total discount $12.50" in text and f"more than one discount: {a}" in text
        await pilot.press("S")
        await shown(pilot)
        text = screen_text(app)
        assert "orders touched 3, changed 2; total discount $12.50" in text
        assert f"more than one discount: {a}" in text and f"more than one discount: {a}, {b}" not in text
        assert "to send it," not in text  # two orders discounted: y is enough
        await pilot.press("n")
        assert isinstance(app.screen, ComposerScreen)


async def test_eleven_cancels_are_sent_only_when_11_is_typed(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        orders = sandbox.book.pending()[:11]
        app.session.staging.add(cancels(orders))
        before = sandbox.requests_seen
        await pilot.press("S")
        screen = await shown(pilot)
        text = screen_text(app)
        assert "It cancels or discounts 11 orders (more than 10): to send it," in text
        assert "type 11, the number of orders it changes, then enter (y does not)." in text

        await pilot.press("y")  # the usual key does nothing here
        assert app.screen is screen and "y does not send this batch: type 11" in screen_text(app)
        await pilot.press("1", "2", "enter")  # a wrong number says so, sends nothing
        assert app.screen is screen
        assert "12 is not the number of orders this batch changes: nothing was sent" in screen_text(app)
        await pilot.press("enter")  # nothing typed: says what to type
        assert app.screen is screen and "Type 11, the number of orders" in screen_text(app)
        await pilot.press("1", "3", "backspace", "1")
        assert "number of orders: 11" in screen_text(app)
        assert sandbox.requests_seen == before and len(app.session.staging) == 11

        await pilot.press("enter")
        await settle(pilot)
        assert sandbox.requests_seen == before + 1
        assert all(sandbox.book.status(o) == "mark_canceled" for o in orders)
        assert app.session.staging.entries == ()


async def test_esc_goes_back_from_a_number_to_type(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        app.session.staging.add(cancels(sandbox.book.pending()[:11]))
        before = sandbox.requests_seen
        await pilot.press("S")
        await shown(pilot)
        await pilot.press("1", "1", "escape")
        assert not isinstance(app.screen, ConfirmScreen)
        await settle(pilot)
        assert sandbox.requests_seen == before and len(app.session.staging) == 11


async def test_a_number_typed_ahead_does_not_answer(make_app, sandbox):
    """``S 1 1 enter`` in one burst: the question shows and waits for 11 typed after it."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        app.session.staging.add(cancels(sandbox.book.pending()[:11]))
        before = sandbox.requests_seen
        burst(app, "S", "1", "1", "enter")
        screen = await shown(pilot)
        await wait_until(pilot, lambda: "Keys typed before" in screen_text(app), "the note in the question")
        assert app.screen is screen and screen.typed == ""
        assert "Keys typed before this question showed were not taken: type 11" in screen_text(app)
        assert sandbox.requests_seen == before
        await pilot.press("1", "1", "enter")
        await settle(pilot)
        assert sandbox.requests_seen == before + 1 and app.session.staging.entries == ()


async def test_discounts_count_and_the_number_is_of_every_order_changed(make_app, sandbox):
    """Eleven discounted orders (one twice) and three ships: type 14, the orders it changes."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        pending = sandbox.book.pending()
        discounted, shipped = pending[:11], pending[11:14]
        entries = [StagedAction.make(o, "adjust", amount="1.25") for o in discounted]
        entries += [StagedAction.make(discounted[0], "adjust", amount="1.00")]
        entries += [StagedAction.make(o, "ship") for o in shipped]
        app.session.staging.add(entries)
        await pilot.press("S")
        await shown(pilot)
        text = screen_text(app)
        assert "orders touched 14, changed 14; total discount $14.75" in text
        assert "cancels or discounts 11 orders" in text
        await pilot.press("1", "1", "enter")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("1", "4", "enter")
        await settle(pilot)
        assert all(sandbox.book.status(o) == "mark_shipped" for o in shipped)


async def test_at_the_threshold_y_still_sends(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        orders = sandbox.book.pending()[:10]
        app.session.staging.add(cancels(orders))
        before = sandbox.requests_seen
        await pilot.press("S")
        await shown(pilot)
        assert "to send it," not in screen_text(app)
        await answer_yes(pilot)
        await settle(pilot)
        assert sandbox.requests_seen == before + 1
        assert all(sandbox.book.status(o) == "mark_canceled" for o in orders)


async def test_many_ships_still_need_only_y(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        orders = sandbox.book.pending()[:20]
        app.session.staging.add([StagedAction.make(o, "ship") for o in orders])
        await pilot.press("S")
        await answer_yes(pilot)
        await settle(pilot)
        assert all(sandbox.book.status(o) == "mark_shipped" for o in orders)


async def test_confirm_over_from_the_profile_is_honoured(make_app, sandbox):
    app = make_app(confirm_over=2)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        a, b, c = sandbox.book.pending()[:3]
        app.session.staging.add(cancels([a, b]))
        await pilot.press("S")
        await shown(pilot)
        assert "to send it," not in screen_text(app)  # two: at the threshold
        await pilot.press("n")
        app.session.staging.add(cancels([c]))
        before = sandbox.requests_seen
        await pilot.press("S")
        screen = await shown(pilot)
        assert "cancels or discounts 3 orders (more than 2): to send it," in screen_text(app)
        await pilot.press("y")
        assert app.screen is screen and sandbox.requests_seen == before
        await pilot.press("3", "enter")
        await settle(pilot)
        assert sandbox.requests_seen == before + 1
        assert all(sandbox.book.status(o) == "mark_canceled" for o in (a, b, c))


async def test_confirm_over_zero_asks_for_the_number_of_even_one_cancel(make_app, sandbox):
    app = make_app(confirm_over=0)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        a = sandbox.book.pending()[0]
        app.session.staging.add(cancels([a]))
        await pilot.press("S")
        await shown(pilot)
        await pilot.press("1", "enter")
        await settle(pilot)
        assert sandbox.book.status(a) == "mark_canceled"


def test_totals_of_a_batch():
    from decimal import Decimal

    from ccnow_tui.protocol import Batch

    a, b, c, d = "396101142", "397101159", "398101160", "399101161"
    batch = Batch([
        StagedAction.make(a, "adjust", amount="5.00"), StagedAction.make(a, "adjust", amount="5.00"),  # twice, same
        StagedAction.make(b, "cancel"), StagedAction.make(c, "query"), StagedAction.make(d, "ship"),
        StagedAction.make(d, "adjust", amount="2.50"),
    ])
    totals = batch.totals
    assert (totals.orders, totals.changed, totals.cancelled_or_discounted) == (4, 3, 3)
    assert totals.discount == Decimal("12.50") and totals.discount_text == "$12.50"
    assert [str(o) for o in totals.discounted_twice] == ["396-10-1142"]
    empty = Batch([StagedAction.make(c, "query")]).totals
    assert (empty.changed, empty.discount_text, empty.discounted_twice) == (0, "$0.00", ())
