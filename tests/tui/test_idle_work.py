"""Work kept for when the operator pauses: the garbage collector's full collection after a
big answer (gcpause.py) runs from the store's poll once no key came for IDLE_SECONDS and
nothing is in flight, never while the operator is typing."""

from __future__ import annotations

import time

from ccnow_tui.gcpause import FREEZE_FROM, collection_due, collector_paused
from ccnow_tui.tui.polling import IDLE_SECONDS, STORE_POLL_SECONDS

from .helpers import started, wait_until


async def test_the_full_collection_waits_for_a_pause_in_the_keys(make_app):
    app = make_app()
    async with app.run_test() as pilot:
        await started(pilot)
        with collector_paused():  # as a big answer's reading does
            made = [(i,) for i in range(2 * FREEZE_FROM)]
        del made
        assert collection_due()
        await pilot.press("down")  # the operator is at work: polls go by, nothing collected
        for _ in range(3):
            app.timers.poll_store()  # as the timer calls it every STORE_POLL_SECONDS
        assert collection_due()
        app.key_order.last_key_at = time.monotonic() - IDLE_SECONDS  # then no key for that long
        await wait_until(
            pilot,
            lambda: not collection_due(),
            "the collection at the next poll",
            tries=int(4 * STORE_POLL_SECONDS / 0.01),
        )


async def test_an_operator_who_never_pauses_gets_the_collection_after_a_while(make_app, monkeypatch):
    from ccnow_tui.tui import polling

    app = make_app()
    async with app.run_test() as pilot:
        await started(pilot)
        with collector_paused():
            made = [(i,) for i in range(2 * FREEZE_FROM)]
        del made
        await pilot.press("down")
        app.timers.poll_store()
        assert collection_due()  # typing, and frozen only just now
        monkeypatch.setattr(polling, "COLLECT_WITHIN", 0.0)  # as if it had been frozen for that long
        await pilot.press("down")
        app.timers.poll_store()
        assert not collection_due()
