"""The size of what the confirmation's key does: totals in the composer and the question,
and a batch over the profile's limits (more cancel and discount entries than
``confirm_over``, issue #9 item 3; discounts adding up to more than
``confirm_discount_over``, issue #17 §2) sent only after the operator types the number of
entries it sends that change orders. Digits and enter typed in one burst act in order.

Real app, real sandbox: nothing of ours is mocked."""

from __future__ import annotations

from decimal import Decimal

from textual import events

from ccnow_tui.protocol import StagedAction
from ccnow_tui.tui.screens.composer import ComposerScreen
from ccnow_tui.tui.screens.confirm import ConfirmScreen

from .helpers import SIZE, answer_yes, screen_text, settle, started, wait_until


async def shown(pilot) -> ConfirmScreen:
    app = pilot.app
    await wait_until(
        pilot,
        lambda: isinstance(app.screen, ConfirmScreen) and app.screen.shown_at != float("inf"),
        "the confirmation to show",
    )
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
        app.session.staging.add(
            [
                StagedAction.make(a, "adjust", amount="5.00", notes="damaged box"),
                StagedAction.make(a, "adjust", amount="2.50", notes="late"),
                StagedAction.make(b, "adjust", amount="5.00"),
                StagedAction.make(b, "ship"),
                StagedAction.make(c, "query"),
            ]
        )
        await pilot.press("b")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, ComposerScreen) and "total discount" in screen_text(app),
            "the composer's summary",
        )
        text = screen_text(app)
        assert "5 entries for 3 orders" in text and "total discount $12.50" in text
        assert "2 orders changed, total discount $12.50" in text and f"more than one discount: {a}" in text
        await pilot.press("S")
        await shown(pilot)
        text = screen_text(app)
        assert "orders touched 3, changed 2; total discount $12.50" in text
        assert f"more than one discount: {a}" in text and f"more than one discount: {a}, {b}" not in text
        assert "To send it," not in text  # two orders discounted: y is enough
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
        assert "It has 11 cancel and discount entries," in text and "more than confirm_over (10)." in text
        assert "To send it, type 11, the number of entries that change orders," in text
        assert "then enter (y does not)." in text

        await pilot.press("y")  # the usual key does nothing here
        assert app.screen is screen and "y does not send this batch: type 11" in screen_text(app)
        await pilot.press("1", "2", "enter")  # a wrong number says so, sends nothing
        assert app.screen is screen
        assert "12 is not the number asked for: nothing was sent" in screen_text(app)
        await pilot.press("enter")  # nothing typed: says what to type
        assert app.screen is screen and "Type 11, the number of entries" in screen_text(app)
        await pilot.press("1", "3", "backspace", "1")
        assert "number of entries: 11" in screen_text(app)
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


async def test_discounts_count_and_the_number_is_of_every_entry_changing_an_order(make_app, sandbox):
    """Eleven discounted orders (one twice) and three ships: type 15, the entries that
    change orders (14 orders)."""
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
        assert "It has 12 cancel and discount entries," in text and "more than confirm_over (10)" in text
        await pilot.press("1", "4", "enter")  # the orders: not the number asked for
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("1", "5", "enter")
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
        assert "To send it," not in screen_text(app)
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
        assert "To send it," not in screen_text(app)  # two: at the threshold
        await pilot.press("n")
        app.session.staging.add(cancels([c]))
        before = sandbox.requests_seen
        await pilot.press("S")
        screen = await shown(pilot)
        assert "It has 3 cancel and discount entries," in screen_text(app)
        assert "more than confirm_over (2)." in screen_text(app)
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
    batch = Batch(
        [
            StagedAction.make(a, "adjust", amount="5.00"),
            StagedAction.make(a, "adjust", amount="5.00"),  # twice, same
            StagedAction.make(b, "cancel"),
            StagedAction.make(c, "query"),
            StagedAction.make(d, "ship"),
            StagedAction.make(d, "adjust", amount="2.50"),
        ]
    )
    totals = batch.totals
    assert (totals.orders, totals.changed, totals.cancels_and_discounts, totals.changing_entries) == (4, 3, 4, 5)
    assert totals.discount == Decimal("12.50") and totals.discount_text == "$12.50"
    assert [str(o) for o in totals.discounted_twice] == ["396-10-1142"]
    empty = Batch([StagedAction.make(c, "query")]).totals
    assert (empty.changed, empty.discount_text, empty.discounted_twice) == (0, "$0.00", ())


async def test_digits_and_enter_in_one_burst_act_in_the_order_typed(make_app, sandbox):
    """``1 1 enter`` read at once, after the question showed: the enter reads 11 (issue 17)."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        orders = sandbox.book.pending()[:11]
        app.session.staging.add(cancels(orders))
        before = sandbox.requests_seen
        await pilot.press("S")
        screen = await shown(pilot)
        burst(app, "1", "2", "backspace", "enter")  # 1, backspace: "1", enter: wrong, says so
        await wait_until(pilot, lambda: "1 is not the number" in screen_text(app), "the wrong number's note")
        assert app.screen is screen and sandbox.requests_seen == before
        burst(app, "1", "1", "enter")
        await settle(pilot)
        assert sandbox.requests_seen == before + 1
        assert all(sandbox.book.status(o) == "mark_canceled" for o in orders)


async def test_discounts_on_one_order_count_each(make_app, sandbox):
    """Three discounts on one order are three entries: over confirm_over 2."""
    app = make_app(confirm_over=2)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        a = sandbox.book.pending()[0]
        app.session.staging.add([StagedAction.make(a, "adjust", amount=f"1.0{n}", notes=f"n{n}") for n in range(3)])
        await pilot.press("S")
        screen = await shown(pilot)
        assert "It has 3 cancel and discount entries," in screen_text(app)
        assert "more than confirm_over (2)." in screen_text(app)
        await pilot.press("y")
        assert app.screen is screen
        await pilot.press("3", "enter")
        await settle(pilot)
        assert sandbox.book.record(a).discount == Decimal("3.03")


async def test_the_total_discount_over_confirm_discount_over_asks_for_the_number(make_app, sandbox):
    app = make_app(confirm_discount_over=Decimal("50.00"))
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        a, b = sandbox.book.pending()[:2]
        app.session.staging.add([StagedAction.make(a, "adjust", amount="50.00"), StagedAction.make(b, "ship")])
        await pilot.press("S")
        await shown(pilot)
        assert "To send it," not in screen_text(app)  # $50.00: at the limit
        await pilot.press("n")
        app.session.staging.add([StagedAction.make(b, "adjust", amount="0.01")])
        before = sandbox.requests_seen
        await pilot.press("S")
        screen = await shown(pilot)
        assert "Its discounts add up to $50.01," in screen_text(app)
        assert "more than confirm_discount_over ($50.00)." in screen_text(app)
        await pilot.press("y")
        assert app.screen is screen and sandbox.requests_seen == before
        await pilot.press("3", "enter")
        await settle(pilot)
        assert sandbox.requests_seen == before + 1 and sandbox.book.status(b) == "mark_shipped"
