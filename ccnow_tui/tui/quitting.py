"""Quitting with a batch in flight: the question asked first, and what a yes keeps.

The last words are kept for after the screen is restored (``exit_message``, printed by
launch.run_tui)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .screens.confirm import ConfirmScreen

if TYPE_CHECKING:
    from .session import Session

# A batch in flight when q is pressed: its answer is lost with the app.
IN_FLIGHT_TITLE = "A batch is in flight"
IN_FLIGHT = (
    "Quitting now loses its answer: the batch will be kept as OUTCOME UNKNOWN "
    "(never re-sent) for you to reconcile next time.\n\nQuit anyway?"
)
# In --demo the store is this run's own and the embedded sandbox stops with the app:
# there is no next time to reconcile in.
IN_FLIGHT_DEMO = (
    "Quitting now loses its answer, and nothing of it is kept: this demo's store is fresh each run "
    "and its embedded sandbox stops with the app.\n\nQuit anyway?"
)


def in_flight_question(demo: bool) -> ConfirmScreen:
    """What ``q`` asks while a batch is in flight."""
    return ConfirmScreen(IN_FLIGHT_TITLE, IN_FLIGHT_DEMO if demo else IN_FLIGHT, yes="quit")


def keep_in_flight_unknown(session: Session) -> None:
    """Quitting anyway: the batch in flight is kept as unknown (never re-sent)."""
    flight = session.in_flight
    if flight is not None and flight.claim is not None:
        session.in_flight = None
        session.staging.mark_unknown(flight.claim.batch_id, "quit while the batch was in flight")
