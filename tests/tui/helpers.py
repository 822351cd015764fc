"""Helpers for the TUI tests: waiting on conditions, reading the screen as text."""

from __future__ import annotations

from collections.abc import Callable

from conftest import SANDBOX_PASSWORD  # tests/conftest.py, as pytest imports it

from .seen import screen_text as screen_text  # what the operator sees (shared with screenshots/)
from .seen import toasts as toasts

PASSWORD = SANDBOX_PASSWORD  # the sandbox fixture's (tests/conftest.py)
SIZE = (100, 30)


async def wait_until(pilot, condition: Callable[[], object], what: str = "condition", tries: int = 400):
    """Let the app run until ``condition()`` holds (network answers arrive on their own time)."""
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def settle(pilot) -> None:
    """Every worker finished and every message it posted handled."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def started(pilot) -> None:
    """The session is up and the first pending list is in."""
    app = pilot.app
    await wait_until(
        pilot, lambda: app.session is not None and app.session.book.last_refresh is not None, "the first pending list"
    )
    await pilot.pause()


def log_text(app) -> str:
    return "\n".join(f"{line.kind.value}: {line.text}" for line in app.log_buffer.lines)


async def answer_yes(pilot) -> None:
    """``y`` to the confirmation once it is up: a ``y`` read before it shows is ignored
    on purpose (keys typed ahead must not answer a question unseen)."""
    from ccnow_tui.tui.screens.confirm import ConfirmScreen

    app = pilot.app
    await wait_until(
        pilot,
        lambda: isinstance(app.screen, ConfirmScreen) and app.screen.shown_at != float("inf"),
        "the confirmation to show",
    )
    await pilot.press("y")


def stored(profile: str = "test"):
    """What the profile's store holds now, read by a connection of its own (as another
    process would see it)."""
    from ccnow_tui.storage.store import Store

    with Store.for_profile(profile) as store:
        return store.snapshot()


def actions(entries) -> list:
    return [e.action for e in entries]
