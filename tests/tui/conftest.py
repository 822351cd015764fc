"""TUI tests run the real app headless against the real sandbox on an ephemeral port.

Nothing of ours is mocked. Waiting is on conditions (bounded loops of ``pilot.pause``) or
on ``app.workers.wait_for_complete()``, never on a fixed sleep.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ccnow_tui.config import ConnectionSettings
from ccnow_tui.protocol.redact import Secret
from ccnow_tui.sandbox.server import SandboxConfig, SandboxServer
from ccnow_tui.tui.app import CcnowApp

from .helpers import PASSWORD


@pytest.fixture
def sandbox():
    server = SandboxServer(SandboxConfig(
        host="127.0.0.1", port=0, client_id="shop", password=PASSWORD, orders=40, seed=11, log=None,
    )).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings(sandbox, isolated_dirs) -> ConnectionSettings:
    return ConnectionSettings(
        profile="test", url=sandbox.url, client_id="shop", store_id="", password=Secret(PASSWORD),
        timeout=5.0, source="tests",
    )


@pytest.fixture
def make_app(settings) -> Callable[..., CcnowApp]:
    def make(**changes) -> CcnowApp:
        from dataclasses import replace

        return CcnowApp(replace(settings, **changes) if changes else settings)

    return make
