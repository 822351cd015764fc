"""One numbering everywhere: N as the entry will be sent (x_*_N), in the composer, the
lint and the order detail."""

from __future__ import annotations

import re

from ccnow_tui.protocol import StagedAction
from ccnow_tui.tui.screens.composer import ComposerScreen
from ccnow_tui.tui.screens.detail import DetailScreen
from ccnow_tui.tui.widgets.entry_table import EntryTable

from .helpers import SIZE, screen_text, started, wait_until


async def test_the_lint_and_the_detail_number_entries_as_the_composer_does(make_app, sandbox):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        a, b = sandbox.book.pending()[:2]
        staging = app.session.staging
        # a: ship, ship, track (sent track, ship, ship: the two ships are #2 and #3);
        # b's entries keep their slots.
        staging.add(
            [
                StagedAction.make(b, "ship"),
                StagedAction.make(a, "ship"),
                StagedAction.make(a, "ship"),
                StagedAction.make(a, "track", trackname="UPS", tracknumber="1"),
            ]
        )
        await pilot.press("b")
        assert isinstance(app.screen, ComposerScreen)
        await wait_until(pilot, lambda: "duplicate ship" in screen_text(app), "the lint")
        rows = app.screen.query_one(EntryTable).rows
        sent = {r.n: (r.entry.order_id, r.entry.kind.value) for r in rows if r.entry is not None}
        assert sent == {1: (b, "ship"), 2: (a, "track"), 3: (a, "ship"), 4: (a, "ship")}
        assert "(#3 and #4 are identical)" in screen_text(app)
        # The order's detail names each entry by the same N.
        await pilot.press("down", "enter")
        assert isinstance(app.screen, DetailScreen) and app.screen.order_id == a
        await wait_until(pilot, lambda: "staged for this order" in screen_text(app), "the detail")
        shown = re.findall(r"#(\d+) (\w+)", screen_text(app))
        assert [(int(n), kind) for n, kind in shown] == [(2, "track"), (3, "ship"), (4, "ship")]
