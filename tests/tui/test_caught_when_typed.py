"""Repeats and implausible values caught where they are typed (issue 14 §2): an entry
identical to one staged is not staged again, a discount over the profile's limit is
flagged as it is typed, one tracking number on two orders is a warning, and an order the
session learnt is not pending is an error on its staged entries."""

from __future__ import annotations

from ccnow_tui.protocol import StagedAction

from .helpers import SIZE, log_text, screen_text, started, stored


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
