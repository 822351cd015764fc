"""Quitting: ``q`` with a batch in flight asks first, and the last words are kept for
after the screen is restored (``exit_message``, printed by launch.run_tui)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import App

from ..config import ConnectionSettings
from .screens.confirm import ConfirmScreen

if TYPE_CHECKING:
    from .controller import SessionController
    from .session import Session

# A batch in flight when q is pressed: its answer is lost with the app.
IN_FLIGHT_TITLE = "A batch is in flight"
IN_FLIGHT = ("Quitting now loses its answer: the batch will be kept as OUTCOME UNKNOWN "
             "(never re-sent) for you to reconcile next time.\n\nQuit anyway?")
# In --demo the store is this run's own and the embedded sandbox stops with the app:
# there is no next time to reconcile in.
IN_FLIGHT_DEMO = ("Quitting now loses its answer, and nothing of it is kept: this demo's store is fresh each run "
                  "and its embedded sandbox stops with the app.\n\nQuit anyway?")


class Quitting(App[int]):
    """``q`` (app.quit): at once, or after a question when a batch is in flight."""

    settings: ConnectionSettings | None
    session: Session | None
    controller: SessionController | None
    exit_message: str

    async def action_quit(self) -> None:
        session = self.session
        if session is not None and session.in_flight is not None:
            demo = self.settings is not None and self.settings.store_dir is not None
            self.push_screen(ConfirmScreen(IN_FLIGHT_TITLE, IN_FLIGHT_DEMO if demo else IN_FLIGHT, yes="quit"),
                             callback=self._quit_confirmed)
            return
        self._quit()

    def _quit_confirmed(self, yes: bool | None) -> None:
        if yes:
            session = self.session
            if session is not None and session.in_flight is not None and session.in_flight.claim is not None:
                claim = session.in_flight.claim
                session.in_flight = None
                session.staging.mark_unknown(claim.batch_id, "quit while the batch was in flight")
            self._quit()

    def _quit(self) -> None:
        if self.controller is not None:
            self.exit_message = self.controller.exit_message()
        self.exit(0)
