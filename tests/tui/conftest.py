"""TUI tests run the real app headless against the real sandbox on an ephemeral port.

Nothing of ours is mocked. Waiting is on conditions (bounded loops of ``pilot.pause``) or
on ``app.workers.wait_for_complete()``, never on a fixed sleep.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ccnow_tui.config.load import ConnectionSettings
from ccnow_tui.protocol.redact import Secret
from ccnow_tui.tui.app import CcnowApp

from .helpers import PASSWORD


@pytest.fixture
def sandbox_options() -> dict[str, object]:
    """The TUI's tests run against the account "shop" with 40 orders (tests/conftest.py's
    ``sandbox``, the one fixture)."""
    return {"client_id": "shop", "orders": 40, "seed": 11}


@pytest.fixture
def settings(sandbox, isolated_dirs) -> ConnectionSettings:
    return ConnectionSettings(
        profile="test",
        url=sandbox.url,
        client_id="shop",
        store_id="",
        password=Secret(PASSWORD),
        timeout=5.0,
        source="tests",
    )


@pytest.fixture
def make_app(settings) -> Callable[..., CcnowApp]:
    def make(**changes) -> CcnowApp:
        from dataclasses import replace

        return CcnowApp(replace(settings, **changes) if changes else settings)

    return make
