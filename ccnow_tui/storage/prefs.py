"""The operator's UI preferences (the theme picked in the command palette), kept across runs.

Not in config.toml: that file is the operator's own, written by hand, and a program that
rewrites it loses their comments. A bad or unreadable file is ignored (defaults apply):
a preference is not worth refusing to start over.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .atomic import atomic_write_private, redacted_json
from .paths import data_dir, read_regular

PREFS_NAME = "ui.json"
MAX_PREFS_BYTES = 1024 * 1024  # a few preferences; a FIFO or a huge file there is ignored, never waited on


def prefs_path() -> Path:
    return data_dir() / PREFS_NAME


def load_prefs(path: Path | None = None) -> dict[str, Any]:
    try:
        data = json.loads(read_regular(path or prefs_path(), MAX_PREFS_BYTES).decode("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_pref(key: str, value: str, path: Path | None = None) -> None:
    """Set one preference (atomic, 0600). OSError is the caller's to report."""
    path = path or prefs_path()
    prefs = load_prefs(path)
    prefs[key] = value
    atomic_write_private(path, (redacted_json(prefs) + "\n").encode("utf-8"))
