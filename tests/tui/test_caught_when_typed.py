"""Repeats and implausible values caught where they are typed (issue 14 §2): an entry
identical to one staged is not staged again, a discount over the profile's limit is
flagged as it is typed, one tracking number on two orders is a warning, and an order the
session learnt is not pending is an error on its staged entries."""

from __future__ import annotations

from decimal import Decimal

from ccnow_tui.protocol import StagedAction
from ccnow_tui.tui.screens.confirm import ConfirmScreen
from ccnow_tui.tui.screens.forms import ActionForm

from .helpers import SIZE, log_text, screen_text, started, stored, wait_until


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
    (tmp_path / "twice.csv").write_text("Order Number,Carrier,Tracking Number\n"
                                        f"{a},UPS,1Z999AA10123456784\n{b},UPS,1Z999AA10123456784\n")
    app = make_app()
    app.start_dir = tmp_path
    async with app.run_test(size=(120, 40)) as pilot:
        await started(pilot)
        await open_preview(pilot, "twice.csv")
        assert f"tracking number 1Z999AA10123456784 is on 2 orders ({a}, {b})" in screen_text(app)
