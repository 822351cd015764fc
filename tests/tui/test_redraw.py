"""What is redrawn when the model changes: the screens the operator sees, each once per
step. A screen hidden under another (the queue under the composer) waits, and is
brought up to date when it is shown again; one under a question's dim backdrop follows."""

from __future__ import annotations

from ccnow_tui.protocol import StagedAction
from ccnow_tui.tui.model import Topic
from ccnow_tui.tui.screens.composer import ComposerScreen
from ccnow_tui.tui.screens.forms import ActionForm
from ccnow_tui.tui.widgets.header import HeaderBar
from ccnow_tui.tui.widgets.status_log import StatusLog

from .helpers import SIZE, started


def header(screen) -> str:
    return screen.query_one(HeaderBar).text.plain


async def test_a_hidden_screen_waits_a_screen_under_a_question_follows(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        queue = app.screen
        a, b = app.session.book.rows[:2]
        await pilot.press("b")  # the composer, opaque, over the queue
        assert isinstance(app.screen, ComposerScreen)
        app.session.staging.add([StagedAction.make(a, "ship")])
        await pilot.pause()
        assert "1 staged" in header(app.screen) and "staged" not in header(queue)  # not redrawn unseen
        await pilot.press("escape")
        assert app.screen is queue and "1 staged" in header(queue)  # up to date once shown

        await pilot.press("t")  # the track form: a question over the queue, which shows under it
        assert isinstance(app.screen, ActionForm)
        app.session.staging.add([StagedAction.make(b, "ship")])
        await pilot.pause()
        assert "2 staged" in header(queue)


async def test_one_step_redraws_the_header_and_the_log_once(make_app):
    """A batch's answer comes in slices, each publishing several parts of the model: the
    header and the log follow once per slice, not once per part."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        screen = app.screen
        shown: list[str] = []
        bar, log = screen.query_one(HeaderBar), screen.query_one(StatusLog)
        real_show, real_sync = bar.show, log.sync
        bar.show = lambda session: (shown.append("header"), real_show(session))[1]  # counted, then done
        log.sync = lambda force=False: (shown.append("log"), real_sync(force))[1]
        for topic in (Topic.STATUS, Topic.LOG, Topic.FLIGHT, Topic.EVENTS):  # as app.apply does for a slice
            app.changed.publish(topic)
        await pilot.pause()
        assert shown == ["header", "log"]
