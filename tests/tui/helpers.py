"""Helpers for the TUI tests: waiting on conditions, reading the screen as text."""

from __future__ import annotations

import io
from collections.abc import Callable

from conftest import SANDBOX_PASSWORD  # tests/conftest.py, as pytest imports it
from rich.console import Console

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


def shown_under(app) -> list:
    """The screens that show under the top one, bottom first: those down to the first
    opaque one (what Textual draws under a see-through question)."""
    under = []
    for screen in reversed(app.screen_stack[:-1]):
        under.append(screen)
        if screen.styles.background.a >= 1:
            break
    return under[::-1]


def screen_text(app) -> str:
    """Everything on the screen (modal and the screens under it) as plain text."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(app.screen._compositor.render_update(full=True, screen_stack=shown_under(app)))
    return console.export_text()


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
