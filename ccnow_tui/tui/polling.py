"""The session's timers: the store polled for other windows' and scripts' changes, the
pending list fetched again every ``--refresh`` seconds, and the garbage collector's
deferred work done while the operator pauses (gcpause.py)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual.app import App

from ..client import OFF_LOOP_ENTRIES
from ..gcpause import collect_frozen, frozen_for
from .screens.base import BaseScreen
from .widgets.header import TICK_SECONDS, HeaderBar

if TYPE_CHECKING:
    from .controller import SessionController, Update
    from .session import Session

STORE_POLL_SECONDS = 0.5  # how soon another window's or a script's change shows
IDLE_SECONDS = 10.0  # no key for this long, nothing in flight: a full collection will not be felt
COLLECT_WITHIN = 300.0  # an operator who never pauses: the collection then anyway (memory stays bounded)


class Polling(App[int]):
    """Started once the session is (CcnowApp.start_session)."""

    session: Session | None
    controller: SessionController | None
    refresh_every: float  # seconds between automatic refreshes; 0: only on r
    last_key_at: float  # time.monotonic() of the operator's last key (key_order.py)

    def apply(self, update: Update | None) -> None:
        raise NotImplementedError

    def refresh_pending(self, automatic: bool = False) -> object:
        raise NotImplementedError

    def start_timers(self) -> None:
        # Other windows and scripts on this profile: their changes show within a second.
        self.set_interval(STORE_POLL_SECONDS, self._poll_store)
        # While a request is out (a batch, a refresh) the header's spinner and seconds move.
        self.set_interval(TICK_SECONDS, self._tick_alive)
        if self.refresh_every:
            self.set_interval(self.refresh_every, self._refresh_on_timer)

    def _tick_alive(self) -> None:
        session = self.session
        if session is None or (session.in_flight is None and not session.book.loading):
            return
        screen = self.screen
        if isinstance(screen, BaseScreen) and screen.is_attached:
            screen.query_one(HeaderBar).show(session)

    def _poll_store(self) -> None:
        session = self.session
        flight = session.in_flight if session is not None else None
        if flight is not None and flight.batch is not None and len(flight.batch) >= OFF_LOOP_ENTRIES:
            return  # our own worker is writing a big batch; its snapshot follows
        if self.controller is not None:
            self.apply(self.controller.poll())
        if (session is not None and flight is None and not session.book.loading
                and (time.monotonic() - self.last_key_at >= IDLE_SECONDS or frozen_for() >= COLLECT_WITHIN)):
            collect_frozen()  # at most once after each big answer or load; nothing to do otherwise

    def _refresh_on_timer(self) -> None:
        # Not over a list still coming in, nor beside a batch in flight (one request at a time).
        session = self.session
        if session is not None and not session.book.loading and session.in_flight is None:
            self.refresh_pending(automatic=True)
