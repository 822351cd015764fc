"""Shared fixtures.

``isolated_dirs`` points platformdirs (which honours the XDG variables on Linux) at a
temporary home, so no test reads or writes the operator's real config, journal or drafts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class IsolatedDirs:
    config_home: Path
    data_home: Path


@pytest.fixture
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> IsolatedDirs:
    config_home = tmp_path / "xdg-config"
    data_home = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_home))
    monkeypatch.setenv("XDG_DATA_HOME", str(data_home))
    # A developer's own CCNow settings must not leak into the tests.
    for name in ("CCNOW_URL", "CCNOW_CLIENT_ID", "CCNOW_STORE_ID", "CCNOW_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    return IsolatedDirs(config_home, data_home)


@pytest.fixture
def store(tmp_path: Path):
    """A store of its own for the test, opened as the app opens a profile's."""
    from ccnow_tui.storage.store import Store

    with Store.open(tmp_path / "profile" / "store.sqlite3") as store:
        yield store


SANDBOX_PASSWORD = "sandbox-Pw-4711"


@pytest.fixture(autouse=True)
def _forget_secrets():
    """Secrets a test registers for redaction must not mask text in later tests."""
    import importlib

    # The module, not the function of the same name that the package re-exports.
    redact_module = importlib.import_module("ccnow_tui.protocol.redact")

    with redact_module._lock:
        before = set(redact_module._known)
    yield
    with redact_module._lock:
        redact_module._known.clear()
        redact_module._known.update(before)
        # The compiled patterns are keyed on the registry's size, which a restore can
        # leave as it was with other secrets in it: build them again.
        redact_module._compiled = (set(), 0, None, None)


@pytest.fixture
def sandbox_options() -> dict[str, object]:
    """How the ``sandbox`` fixture's receiver is set up; a folder's conftest.py overrides
    it (tests/tui wants 40 orders and the account "shop")."""
    return {"seed": 7, "orders": 12}


@pytest.fixture
def sandbox(sandbox_options):
    """The one sandbox fixture: a real sandbox receiver on an ephemeral loopback port,
    with a captured log (``log_text``), the password :data:`SANDBOX_PASSWORD`."""
    import io

    from ccnow_tui.sandbox.server import SandboxConfig, SandboxServer

    log = io.StringIO()
    # Not "demo": every Secret is registered for masking process-wide, and masking the
    # word "demo" would garble messages such as "try ccnow-tui --demo".
    config = SandboxConfig(**{"port": 0, "password": SANDBOX_PASSWORD, **sandbox_options, "log": log})
    server = SandboxServer(config).start()
    server.log_text = log  # type: ignore[attr-defined]
    try:
        yield server
    finally:
        server.stop()
