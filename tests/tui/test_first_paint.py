"""The first frame with orders waits for nothing it does not show.

The composer is mounted ahead of its first use (so that ``b`` at 100,000 staged entries
stays quick), but only once a pending list has come in and been drawn (mounting it at
start held back the queue's first frame), and only over the queue (pushed and popped in
one step: nothing else on top is disturbed). Until then ``b`` mounts it itself.
"""

from __future__ import annotations

from ccnow_tui.sandbox.faults import parse_fault
from ccnow_tui.tui.screens.composer import ComposerScreen
from ccnow_tui.tui.screens.queue import QueueScreen

from .helpers import SIZE, screen_text, settle, started, wait_until

COMPOSER = "composer"


async def test_the_composer_is_mounted_after_the_first_pending_list_is_drawn(make_app, sandbox):
    app = make_app()
    pending = sandbox.book.pending()
    seen: list[tuple[int, bool, bool]] = []
    mount = app.install_composer

    def install_composer() -> None:  # what was on the screen when the composer was mounted
        assert app.session is not None
        seen.append(
            (
                len(app.session.book.rows),
                isinstance(app.screen, QueueScreen),
                any(str(o) in screen_text(app) for o in pending),
            )
        )
        mount()

    app.install_composer = install_composer  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await wait_until(pilot, lambda: app.is_screen_installed(COMPOSER), "the composer mounted ahead")
        await settle(pilot)
        assert seen == [(len(pending), True, True)]  # once, with the list on the screen
        composer = app.get_screen(COMPOSER)
        assert composer.is_running  # mounted, not only installed: b only shows it
        await pilot.press("b")
        await wait_until(pilot, lambda: app.screen is composer, "the composer")
        await pilot.press("escape", "r")  # a later refresh mounts no second composer
        await wait_until(pilot, lambda: isinstance(app.screen, QueueScreen), "the queue")
        await settle(pilot)
        assert len(seen) == 1 and app.get_screen(COMPOSER) is composer


async def test_b_before_the_list_arrives_opens_the_composer(make_app, sandbox):
    sandbox.set_faults([parse_fault("slow=2")])  # the pending list takes 2 s
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, QueueScreen), "the queue")
        assert app.session is not None and app.session.book.last_refresh is None
        assert not app.is_screen_installed(COMPOSER)  # nothing mounted ahead before the list
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, ComposerScreen), "the composer")
        composer = app.screen
        await started(pilot)
        await settle(pilot)
        assert app.get_screen(COMPOSER) is composer  # the list's arrival mounts no second one


async def test_mounting_the_composer_ahead_leaves_the_queue_as_it_was(make_app, sandbox):
    """The composer is mounted ahead by being shown and taken away in one step: the queue
    keeps its place, its focus and its cursor, and the keys after it act on the queue."""
    sandbox.set_faults([parse_fault("slow=1")])  # time to move the cursor before the list is in
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, QueueScreen), "the queue")
        queue = app.screen
        await started(pilot)
        await pilot.press("down", "down")
        await wait_until(pilot, lambda: app.is_screen_installed(COMPOSER), "the composer mounted ahead")
        await settle(pilot)
        composer = app.get_screen(COMPOSER)
        assert composer.is_running and composer not in app.screen_stack
        table = queue.table
        assert app.screen is queue and app.focused is table and table.cursor == 2
        await pilot.press("down", "s")  # acts on the queue, on the order under the cursor
        await settle(pilot)
        assert [e.order_id for e in app.session.staging.staged] == [app.session.book.rows[3]]


async def test_a_form_over_the_queue_when_the_list_comes_in_waits_for_no_composer(make_app, sandbox):
    """A form up when the first list arrives stays up and keeps its keys: the composer is
    mounted ahead at a later list, over the queue, or by ``b``."""
    sandbox.set_faults([parse_fault("slow=1")])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, QueueScreen), "the queue")
        await pilot.press("g")  # the go-to form, up before the list is in
        form = app.screen
        assert not isinstance(form, QueueScreen)
        await started(pilot)
        await settle(pilot)
        assert app.screen is form and not app.is_screen_installed(COMPOSER)
        await pilot.press("escape", "r")  # back on the queue: the next list mounts it
        await wait_until(pilot, lambda: app.is_screen_installed(COMPOSER), "the composer mounted ahead")
        await settle(pilot)
        assert app.get_screen(COMPOSER).is_running and isinstance(app.screen, QueueScreen)
