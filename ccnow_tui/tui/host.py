"""What the app's parts need of the app, as types: the screens (:class:`ScreenHost`) and
the timers (:class:`TimerHost`) name these Protocols, never the App class.

So no module the app imports imports app.py back, not even for a type checker: the
import graph is a stack with type-only imports counted too (tests/test_import_graph.py).
``CcnowApp`` is checked against both where it hands itself to its timers (``Timers(self)``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from textual.screen import Screen
from textual.signal import Signal

from .controller import SessionController, Update
from .model import LogBuffer, LogKind, Topic
from .session import Session


class ScreenHost(Protocol):
    """What every main screen reads and asks of the app: the session, the log and its
    pane, the model's change signal, and where a label file's path is read from."""

    session: Session | None
    log_buffer: LogBuffer
    changed: Signal[Topic]
    log_visible: bool
    start_dir: Path

    def log_line(self, kind: LogKind, text: str, *, publish: bool = True) -> None: ...


class KeyClock(Protocol):
    """When the operator last typed (the app's ``key_order``)."""

    last_key_at: float


class TimerHost(ScreenHost, Protocol):
    """What the timers (polling.py) need: Textual's interval timers and the screen shown,
    the controller whose changes they apply, and when the operator last typed."""

    controller: SessionController | None
    refresh_every: float

    @property
    def key_order(self) -> KeyClock: ...

    @property
    def screen(self) -> Screen[object]: ...

    def set_interval(self, interval: float, callback: Callable[[], object]) -> object: ...

    def apply(self, update: Update | None) -> None: ...

    def refresh_pending(self, automatic: bool = False) -> object: ...
