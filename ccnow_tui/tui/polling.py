"""The session's timers: the store polled for other windows' and scripts' changes, the
pending list fetched again every ``--refresh`` seconds, and the garbage collector's
deferred work done while the operator pauses (gcpause.py)."""

from __future__ import annotations

import time

from ..client import OFF_LOOP_ENTRIES
from ..gcpause import collect_frozen, frozen_for
from .host import TimerHost
from .screens.base import BaseScreen
from .widgets.header import TICK_SECONDS, HeaderBar

STORE_POLL_SECONDS = 0.5  # how soon another window's or a script's change shows
IDLE_SECONDS = 10.0  # no key for this long, nothing in flight: a full collection will not be felt
COLLECT_WITHIN = 300.0  # an operator who never pauses: the collection then anyway (memory stays bounded)


class Timers:
    """Started once the session is (CcnowApp.start_session)."""

    def __init__(self, app: TimerHost) -> None:
        self.app = app

    def start(self) -> None:
        # Other windows and scripts on this profile: their changes show within a second.
        self.app.set_interval(STORE_POLL_SECONDS, self.poll_store)
        # While a request is out (a batch, a refresh) the header's spinner and seconds move.
        self.app.set_interval(TICK_SECONDS, self.tick_alive)
        if self.app.refresh_every:
            self.app.set_interval(self.app.refresh_every, self.refresh_on_timer)

    def tick_alive(self) -> None:
        app = self.app
        session = app.session
        if session is None or (session.in_flight is None and not session.book.loading):
            return
        screen = app.screen
        if isinstance(screen, BaseScreen) and screen.is_attached:
            screen.query_one(HeaderBar).show(session)

    def poll_store(self) -> None:
        app = self.app
        session = app.session
        flight = session.in_flight if session is not None else None
        if flight is not None and flight.batch is not None and len(flight.batch) >= OFF_LOOP_ENTRIES:
            return  # our own worker is writing a big batch; its snapshot follows
        if app.controller is not None:
            app.apply(app.controller.poll())
        if (
            session is not None
            and flight is None
            and not session.book.loading
            and (time.monotonic() - app.key_order.last_key_at >= IDLE_SECONDS or frozen_for() >= COLLECT_WITHIN)
        ):
            collect_frozen()  # at most once after each big answer or load; nothing to do otherwise

    def refresh_on_timer(self) -> None:
        # Not over a list still coming in, nor beside a batch in flight (one request at a time).
        session = self.app.session
        if session is not None and not session.book.loading and session.in_flight is None:
            self.app.refresh_pending(automatic=True)
