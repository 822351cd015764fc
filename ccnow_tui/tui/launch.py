"""From the command line to a running TUI: the settings, the embedded demo sandbox, the exit.

No textual here: the app class is handed in (``app.build_app`` and ``app.run_tui`` do),
so this module needs nothing of the app's and the app imports it, one way.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Callable
from typing import Any

from .. import config
from ..config import ConnectionSettings
from ..protocol.redact import Secret


def build_app(args, app_class: Callable[..., Any]) -> tuple[Any, object | None]:
    """The app for ``args`` (cli.py's namespace), and the demo sandbox to stop afterwards."""
    if getattr(args, "demo", False):
        return _demo(args, app_class)
    overrides = {
        "url": getattr(args, "url", None), "client_id": getattr(args, "client_id", None),
        "store_id": getattr(args, "store_id", None), "timeout": getattr(args, "timeout", None),
    }
    try:
        # Looked up when called (tests replace config.load_config)
        profile = getattr(args, "profile", None)
        settings = config.resolve_connection(config.load_config(), profile, os.environ, overrides)
    except config.ConfigError as exc:
        return app_class(None, setup_message=str(exc)), None
    # The first log line says where the URL and account came from (file, environment, options).
    return app_class(settings, notice=f"settings: {settings.source}",
                     refresh_every=getattr(args, "refresh", None) or 0.0), None


def _demo(args, app_class: Callable[..., Any]) -> tuple[Any, object]:
    """``--demo``: an embedded sandbox receiver on a free port, and a session with it."""
    from ..sandbox.faults import parse_fault
    from ..sandbox.server import SandboxConfig, SandboxServer

    faults = [parse_fault(f) for f in (getattr(args, "fault", None) or [])]
    # A fresh password per run: the embedded receiver is ours alone, and a password
    # equal to the profile name ("demo") would be masked wherever that word appears.
    password = secrets.token_urlsafe(12)
    server = SandboxServer(SandboxConfig(
        host="127.0.0.1", port=0, client_id="demo", password=password, orders=40, seed=7,
        settle=30.0, arrivals=4.0, faults=faults, log=None,
    )).start()
    settings = ConnectionSettings(
        profile="demo", url=server.url, client_id="demo", store_id="", password=Secret(password),
        timeout=getattr(args, "timeout", None) or config.DEFAULT_TIMEOUT, source="--demo",
    )
    shown = ", ".join(str(f) for f in faults)
    notice = f"demo: embedded sandbox receiver at {server.url}" + (f", faults: {shown}" if shown else "")
    refresh = getattr(args, "refresh", None)
    return app_class(settings, notice=notice, refresh_every=15.0 if refresh is None else refresh), server


def run_tui(args, app_class: Callable[..., Any]) -> int:
    """Run the TUI to its end; what it kept is said after the screen is restored."""
    try:
        app, server = build_app(args, app_class)
    except ValueError as exc:  # a bad --fault
        print(f"ccnow-tui: {exc}", file=sys.stderr)
        return 2
    try:
        code = app.run()
    finally:
        if server is not None:
            server.stop()  # type: ignore[attr-defined]
    if app.exit_message:
        print(app.exit_message, file=sys.stderr)
    return code if isinstance(code, int) else 0
