"""What a command works on: the profile chosen (from config.toml, CCNOW_* variables and
the options), its connection settings and password, its store, and the client.

Each opens only what its command asks for: `pending` and `query` build a client and
never open the store; `journal`, `stage` and `staged` open the store and never load
the network stack.
"""

from __future__ import annotations

import os
import sys

from ..output import UsageError, err
from ..prompts import ask_password

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing at start-up
if TYPE_CHECKING:
    import argparse
    from pathlib import Path

    from ...client import ReceiverClient
    from ...config.load import ConnectionSettings
    from ...storage.store import Store


def connection_settings(args: argparse.Namespace) -> ConnectionSettings:
    from ...config.load import ConfigError, command_line_overrides, load_config, resolve_connection

    overrides = command_line_overrides(args)
    try:
        return resolve_connection(load_config(), args.profile, os.environ, overrides)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


_OPENED_STORES: list[Path] = []  # the store files this process opened, for messages about them


def open_store(profile: str) -> Store:
    from ...storage.store import Store, StoreError

    try:
        store = Store.for_profile(profile)
    except (StoreError, OSError) as exc:
        raise UsageError(str(exc)) from None
    _OPENED_STORES.append(store.path)
    return store


def store_problem(exc: BaseException) -> str:
    """The message for ``exc`` when it is the store's (a row or table no ccnow-tui writes,
    a file SQLite cannot read or write), naming the store file; "" otherwise."""
    store_module = sys.modules.get("ccnow_tui.storage.store")
    sqlite3 = sys.modules.get("sqlite3")
    path = _OPENED_STORES[-1] if _OPENED_STORES else "of this profile"
    if store_module is not None and isinstance(exc, store_module.CorruptRow):
        damaged: str = store_module.damaged(path, str(exc))  # a module from sys.modules is Any to mypy
        return damaged
    if store_module is not None and isinstance(exc, store_module.StoreError):
        return str(exc)
    if sqlite3 is not None and isinstance(exc, sqlite3.Error):
        return f"the store {path} could not be read or written ({exc})"
    return ""


def open_client(args: argparse.Namespace, settings: ConnectionSettings | None = None) -> ReceiverClient:
    """Build a ReceiverClient from config, environment and options (password never on argv)."""
    from ...client import ClientConfigError, ReceiverClient

    if settings is None:
        settings = connection_settings(args)
    password = settings.password
    if password is None:
        password = ask_password(settings)
    try:
        return ReceiverClient.from_settings(settings, password)
    except ClientConfigError as exc:
        raise UsageError(str(exc)) from None


def offline_profile(requested: str | None, *, configured: bool = False) -> str:
    """The profile a command that needs no connection (journal, stage, staged) works on.

    A profile with a store on this machine is taken as it is, without its settings (the
    demo's, or one whose config moved); otherwise it is chosen as the other commands
    choose it (--profile, CCNOW_* variables, default_profile). ``configured``: with no
    profile and no CCNOW_* variable, say that nothing is configured (as `pending` does)
    rather than use the environment's profile."""
    from ...config.load import ConfigError, load_config, profile_name
    from ...storage.paths import profile_dir
    from ...storage.store import STORE_NAME

    if requested and (profile_dir(requested, create=False) / STORE_NAME).exists():
        return requested
    try:
        return profile_name(load_config(), requested, os.environ if configured else None)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def know_password_offline(profile: str, *, quiet: bool = False) -> None:
    """Learn ``profile``'s password when a variable or a command gives it (a typed one is
    never asked for here): from then on every message masks it and no note or tracking
    field holding it is accepted. A source that fails is said on stderr (unless
    ``quiet``), and the command goes on without it: these commands need no password."""
    from ...config.load import ConfigError, load_config, offline_password

    try:
        offline_password(load_config(), profile)
    except ConfigError as exc:
        if not quiet:
            err(
                f"{exc}: so notes and tracking fields were not checked for the API password (the TUI checks them "
                "again and never sends one holding it)"
            )
