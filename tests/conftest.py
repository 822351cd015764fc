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
