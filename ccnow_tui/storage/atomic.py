"""Durable, private, secret-free file writes (the UI preferences, config.toml's template).

A write lands whole or not at all, is readable only by the operator (0600), and never
carries the API password. The profile's staged work and journal live in the SQLite store.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from ..protocol.redact import redact
from .paths import PRIVATE_FILE_MODE, ensure_private_dir

# Compact, because only then does json use its C encoder; one encoder for every call,
# because json.dumps with options builds a new one per call (more than a small value costs).
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str, separators=(",", ":"))


def compact_json(value: Any) -> str:
    """Compact JSON text of ``value``, not masked: callers pass the whole text to :func:`mask_json`."""
    return _ENCODER.encode(value)


def redacted_json(value: Any) -> str:
    """Compact JSON text of ``value`` that contains no known secret (see :func:`mask_json`)."""
    return mask_json(compact_json(value))


def mask_json(text: str) -> str:
    """JSON ``text`` with every known secret masked, checked once over the whole text.

    ``redact()`` knows each secret's JSON-escaped forms too, so escaping (``\\"``,
    ``\\u00e9``) cannot hide one. Masking inside a string keeps the JSON valid; should it
    break the JSON (a secret made of JSON syntax), a marker is written instead.
    """
    masked = redact(text)
    if masked == text:
        return text
    try:
        json.loads(masked)
    except ValueError:
        return json.dumps({"withheld": "a record was not written: masking a secret in it broke its JSON"})
    return masked


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def fsync_dir(directory: Path) -> None:
    """Make a create, rename or replace in ``directory`` survive a power cut."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` all at once; the file is mode 0600.

    The temporary file lives in the same directory (``os.replace`` is atomic only within
    one file system) and is removed if anything fails before the replace.
    """
    ensure_private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PRIVATE_FILE_MODE)
    try:
        try:
            os.fchmod(fd, PRIVATE_FILE_MODE)  # exactly 0600, whatever the umask
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
