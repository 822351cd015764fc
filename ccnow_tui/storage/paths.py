"""Where ccnow-tui keeps its files, per platform conventions (platformdirs).

Each profile gets its own data directory, so the journal and draft of the ``demo``
profile (``ccnow-tui --demo``) never mix with those of a real store. Directories we
create are private (0700): they hold records of money-moving requests.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path

import platformdirs

APP_NAME = "ccnow-tui"
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def config_path() -> Path:
    return platformdirs.user_config_path(APP_NAME) / "config.toml"


def data_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME)


def safe_profile_name(profile: str) -> str:
    """A file-system-safe directory name for ``profile``.

    Plain names are used as they are, so the operator can find their files. Anything
    else (slashes, dots, spaces, non-ASCII) is reduced to safe characters plus a short
    hash of the original, so two different profiles never share a directory.
    """
    if _SAFE_NAME.fullmatch(profile) and profile not in {".", ".."}:
        return profile
    readable = re.sub(r"[^A-Za-z0-9_-]+", "_", profile).strip("_")[:40] or "profile"
    digest = hashlib.sha256(profile.encode("utf-8")).hexdigest()[:10]
    return f"{readable}-{digest}"


def profile_dir(profile: str, *, create: bool = True) -> Path:
    path = data_dir() / "profiles" / safe_profile_name(profile)
    if create:
        ensure_private_dir(path)
    return path


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents with mode 0700; leave existing ones alone.

    ``os.makedirs(mode=...)`` applies the mode only to the leaf (and through the umask),
    so each missing level is created and chmod'ed here.
    """
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:  # created concurrently; it is not ours to chmod
            continue
        os.chmod(directory, PRIVATE_DIR_MODE)
    if not path.is_dir():
        raise NotADirectoryError(f"{path} exists and is not a directory")
    return path


def folder_problem(path: Path) -> str:
    """Why the folder ``path`` (a profile's, holding its store) is not safe to keep
    money-moving records in, as ssh refuses keys others could change; "" if it is.

    Followed through symlinks: the folder itself must belong to this user and be
    writable by no one else (not even with the sticky bit: others could put files and
    links of their own beside the store), and no folder above it may be writable by
    others unless sticky (as /tmp is) or belong to another user than this one or root.
    The message says which folder, its mode, and the chmod that fixes it."""
    if not hasattr(os, "getuid"):  # pragma: no cover - Windows: no such modes
        return ""
    uid = os.getuid()
    real = Path(os.path.realpath(path))
    via = f" (where {path} leads)" if real != Path(os.path.abspath(path)) else ""
    for folder in [real, *real.parents]:
        try:
            info = os.stat(folder)
        except OSError:
            continue  # not there yet: created private
        mode = stat.S_IMODE(info.st_mode)
        writable = mode & (stat.S_IWGRP | stat.S_IWOTH)
        own = folder == real
        where = f"the profile folder {folder}{via}" if own else f"{folder}, a folder above the profile's {real}"
        if info.st_uid not in (uid, 0) or (own and info.st_uid != uid):
            return (
                f"{where} belongs to another user (uid {info.st_uid}): refused, as ssh refuses keys others "
                f"can change; use a folder of your own"
            )
        if writable and (own or not mode & stat.S_ISVTX):
            who = (
                "its group and others"
                if mode & stat.S_IWGRP and mode & stat.S_IWOTH
                else ("others" if mode & stat.S_IWOTH else "its group")
            )
            fix = f"chmod 700 {folder}" if own else f"chmod go-w {folder}"
            return (
                f"{where} can be written by {who} (mode {mode:04o}): refused, as ssh refuses keys others can "
                f"change; fix it with `{fix}`" + (" or point the link elsewhere" if via else "")
            )
    return ""


class NotRegularFile(OSError):
    """A file to read that is a FIFO, a device, a socket or a folder, or too large: reading
    it could block for ever or never end. ``strerror`` says which."""


_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of ``path``, which must be a regular file of at most ``limit`` bytes
    (a symlink to one is fine). Opened without blocking, so a FIFO is refused at once
    instead of waiting for a writer. FileNotFoundError and other OSErrors as ``open``
    raises them; :class:`NotRegularFile` for anything that is not a regular file or is
    larger than ``limit``."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
            raise NotRegularFile(0, f"is {kind}, not a regular file")
        chunks: list[bytes] = []
        size = 0
        while True:
            data = os.read(fd, 1 << 20)
            if not data:
                return b"".join(chunks)
            size += len(data)
            if size > limit:
                raise NotRegularFile(0, f"is larger than {limit:,} bytes")
            chunks.append(data)
    finally:
        os.close(fd)
