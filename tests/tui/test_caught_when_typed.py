"""Repeats and implausible values caught where they are typed (issue 14 §2): an entry
identical to one staged is not staged again, a discount over the profile's limit is
flagged as it is typed, one tracking number on two orders is a warning, and an order the
session learnt is not pending is an error on its staged entries."""

from __future__ import annotations

from decimal import Decimal

from ccnow_tui.protocol import StagedAction
from ccnow_tui.tui.screens.confirm import ConfirmScreen
from ccnow_tui.tui.screens.forms import ActionForm
from ccnow_tui.tui.widgets.entry_table import EntryTable

from .helpers import SIZE, log_text, screen_text, settle, started, stored, wait_until


async def test_a_key_that_would_stage_an_identical_entry_again_does_not_and_says_so(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        a = app.session.book.rows[0]
        staging = app.session.staging
        await pilot.press("s", "s")
        assert staging.entries == (StagedAction.make(a, "ship"),)
        assert [e.action for e in stored().staged] == [StagedAction.make(a, "ship")]
        assert f"not staged again: 1 entry identical to one already staged (ship {a})" in log_text(app)
        # Two different discounts stay possible (with the lint's warning); the same one twice does not.
        await pilot.press("a", "5", "enter")
        await pilot.press("a", "7", "enter")
        await pilot.press("a", "5", "enter")
        adjusts = [e for e in staging.entries if e.kind.value == "adjust"]
        assert [str(e.amount) for e in adjusts] == ["5.00", "7.00"]
        assert f"not staged again: 1 entry identical to one already staged (adjust {a} $5.00)" in log_text(app)
        await pilot.press("b")
        assert "2 different discounts; each one is applied" in screen_text(app)


async def test_a_discount_above_max_discount_is_flagged_as_typed_in_the_lint_and_the_confirmation(make_app, sandbox):
    app = make_app(max_discount=Decimal("20.00"))  # the profile's limit, not the default
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        a = app.session.book.rows[0]
        await pilot.press("a", "2", "0")
        assert isinstance(app.screen, ActionForm)
        assert "max_discount" not in screen_text(app)  # $20.00 is not above $20.00
        await pilot.press("5")
        text = screen_text(app)
        assert f"$205.00 for {a} is more than this profile's max_discount" in text and "($20.00)" in text
        await pilot.press("backspace")
        assert "max_discount" not in screen_text(app)
        await pilot.press("0", "0", "enter")  # $2,000.00: flagged, and still staged if the operator wants it
        assert app.session.staging.entries == (StagedAction.make(a, "adjust", amount="2000"),)
        await pilot.press("b")
        text = screen_text(app)
        assert "lint: no problems found" not in text
        assert f"{a}: discount $2,000.00 is more than this profile's max_discount ($20.00)" in text
        await pilot.press("S")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        assert f"⚠ above max_discount ($20.00): {a} $2,000.00" in screen_text(app)


async def test_the_default_max_discount_flags_a_missing_dot(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        a = app.session.book.rows[0]
        await pilot.press("a", "5", "0", "0", "0", "enter", "b")
        assert f"{a}: discount $5,000.00 is more than this profile's max_discount ($100.00)" in screen_text(app)


async def test_one_tracking_number_on_two_orders_is_a_warning_naming_them(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        a, b = app.session.book.rows[:2]
        await pilot.press("t", "U", "P", "S", "tab", "1", "Z", "9", "9", "enter")
        await pilot.press("down", "t", "U", "P", "S", "tab", "1", "z", "9", "9", "enter")
        assert len(app.session.staging) == 2
        await pilot.press("b")
        assert f"tracking number 1Z99 is on 2 orders ({a}, {b})" in screen_text(app)
        await pilot.press("S")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        assert f"tracking number 1Z99 is on 2 orders ({a}, {b})" in screen_text(app)


async def test_the_label_preview_warns_of_one_tracking_number_on_two_orders(make_app, sandbox, tmp_path):
    from .test_import_labels import open_preview

    a, b = sandbox.book.pending()[:2]
    (tmp_path / "twice.csv").write_text(
        f"Order Number,Carrier,Tracking Number\n{a},UPS,1Z999AA10123456784\n{b},UPS,1Z999AA10123456784\n"
    )
    app = make_app()
    app.start_dir = tmp_path
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await open_preview(pilot, "twice.csv")
        assert f"tracking number 1Z999AA10123456784 is on 2 orders ({a}, {b})" in screen_text(app)


async def test_an_order_learnt_not_pending_is_an_error_and_s_does_not_send_it(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        a = app.session.book.rows[0]
        done = sandbox.book.with_status("completed")[0]
        # This window learns the order's status from a query, then stages a ship for it.
        app.query_orders([done])
        await settle(pilot)
        app.session.staging.add([StagedAction.make(done, "ship"), StagedAction.make(a, "ship")])
        await pilot.press("b")
        text = screen_text(app)
        assert f"{done}: last known status is completed (learnt at " in text and "from a query" in text
        before = sandbox.requests_seen
        await pilot.press("S")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)  # S does not send it, and says why
        assert sandbox.requests_seen == before
        # Removed, the rest is sent.
        row = next(
            i for i, r in enumerate(app.screen.query_one(EntryTable).rows) if r.entry and r.entry.order_id == done
        )
        app.screen.query_one(EntryTable).move_to(row)
        await pilot.press("d")
        assert app.session.staging.entries == (StagedAction.make(a, "ship"),)
        await pilot.press("S")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")


async def ship_from_another_window(sandbox, order) -> str:
    """Another window on the same profile ships ``order`` (its own store connection and
    client): claimed, sent, settled in the shared store. Returns the batch id."""
    from ccnow_tui.client import ReceiverClient
    from ccnow_tui.domain.staging import StagingArea
    from ccnow_tui.protocol import Batch, Credentials, Secret
    from ccnow_tui.storage.store import BatchMeta, Store

    from .helpers import PASSWORD

    with Store.for_profile("test") as store:
        other = StagingArea(store)
        other.add([StagedAction.make(order, "ship")])
        mine = max(other.staged, key=lambda e: e.id)  # the other window's own entry
        batch = Batch([mine.action])
        claim = other.claim_numbered(
            batch, [(1, mine.id, mine.rev, mine.action)], BatchMeta(sandbox.url, "x", "shop", "", "test")
        )
        async with ReceiverClient(sandbox.url, Credentials("shop", Secret(PASSWORD))) as client:
            answer = [ev async for ev in client.submit(batch)][-1]
        other.settle(claim, answer)
    assert sandbox.book.status(order) == "mark_shipped"
    return claim.batch_id


def errors(app) -> list:
    book = app.session.book
    return [
        lint
        for lint in app.session.staging.lint(book.status, book.status_version, book.learnt_words)
        if lint.severity.value == "error"
    ]


async def test_an_order_another_window_shipped_is_an_error_on_this_windows_ship(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        a = app.session.book.rows[0]
        await pilot.press("s", "b")
        assert "lint: no problems found" in screen_text(app)
        batch_id = await ship_from_another_window(sandbox, a)
        await wait_until(
            pilot, lambda: "last known status is mark_shipped" in screen_text(app), "the other window's answer"
        )
        [error] = errors(app)
        assert error.message.startswith(f"{a}: last known status is mark_shipped (learnt at ")
        assert f"from batch {batch_id} in the shared store" in error.message
        await pilot.press("S")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)


async def test_an_order_that_left_the_pending_list_is_an_error(make_app, sandbox):
    from ccnow_tui.client import ReceiverClient
    from ccnow_tui.protocol import Batch, Credentials, Secret

    from .helpers import PASSWORD

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        a = app.session.book.rows[0]
        await pilot.press("s")
        # Cancelled by some other tool (the backroom, a script): no store of this profile knows.
        async with ReceiverClient(sandbox.url, Credentials("shop", Secret(PASSWORD))) as client:
            [ev async for ev in client.submit(Batch([StagedAction.make(a, "cancel")]))]
        assert sandbox.book.status(a) == "mark_canceled"
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("b")
        text = screen_text(app)
        assert f"{a}: not pending: it left the pending list at " in text
        await pilot.press("S")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)


def test_help_says_the_rules_of_repeats_the_lint_and_the_header():
    from ccnow_tui.tui.app import help_sections

    text = " ".join(what for _, rows in help_sections() for _, what in rows)
    assert "never stages an entry identical to one already staged" in text
    assert "Lint errors hold S: an order this session learnt is not pending" in text and "max_discount" in text
    assert "INCOMPLETE: the last refresh failed" in text and '"not sent"' in text


async def test_an_order_another_window_shipped_before_this_one_started_is_an_error(make_app, sandbox):
    # The other window's answer is in the shared store before this window opens it: the
    # first pending list cannot say the order left it (it was never seen there), the journal can.
    from ccnow_tui.domain.staging import StagingArea
    from ccnow_tui.storage.store import Store

    a = sandbox.book.pending()[0]
    batch_id = await ship_from_another_window(sandbox, a)
    with Store.for_profile("test") as store:
        StagingArea(store).add([StagedAction.make(a, "adjust", amount="5.00")])  # staged after it was sent
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        [error] = errors(app)
        assert error.message.startswith(f"{a}: last known status is mark_shipped (learnt at ")
        assert f"from batch {batch_id} in the shared store" in error.message
        await pilot.press("S")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
