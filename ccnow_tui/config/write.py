"""Writing a first profile into ``config.toml``: what the TUI's setup form saves.

config/load.py reads the file; this module writes it, once, for an operator who has none
yet. tomlkit renders it (so a client id or a command with quotes or backslashes reads
back exactly as typed, and an existing file keeps its comments and layout); the text is
checked by parsing it again before anything is written, and written atomically, mode
0600 in a 0700 directory. tomlkit is imported only when a file is rendered: start-up
never pays for it.

The API password is never written: a profile names where it comes from (a command or
an environment variable) or nothing (ccnow-tui asks for it at each start). A field that
holds the password itself, as far as it is known here, is refused.

An existing file that defines no profile (the commented template ``ccnow-tui init``
writes) keeps its text and comments; ``default_profile`` is set (before its first table)
and the profile added. A file that defines one is never touched: the form is only for a
machine with no configuration.
"""

from __future__ import annotations

import enum
import re
import shlex
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..protocol.receiver_url import is_loopback
from ..protocol.redact import Secret
from ..storage.atomic import atomic_write_private
from ..storage.paths import NotRegularFile, read_regular
from .load import DEFAULT_URL, ENV_PROFILE, ENV_VARS, MAX_CONFIG_BYTES, ConfigError, url_problem

if TYPE_CHECKING:
    from tomlkit.items import Table

MAX_PROFILE_NAME = 64  # longer names get a hashed store directory (storage.paths.safe_profile_name)
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

FORM_HEADER = """\
# ccnow-tui configuration, written by its setup form.
#
# The API password (not the backroom password) is never written here. Each profile
# names where to get it: password_command (run without a shell; the first line it
# prints is the password) or password_env (the name of an environment variable);
# with neither, ccnow-tui asks for it at each start.
# CCNOW_URL, CCNOW_CLIENT_ID, CCNOW_STORE_ID and CCNOW_PASSWORD override this file;
# --url, --client-id, --store-id and --timeout override both.

"""


@dataclass(frozen=True)
class FirstRun:
    """What the command line said on a first start, for the setup form: the fields it
    fills in (``--profile``, ``--url``, ``--client-id``, ``--store-id``, else ``CCNOW_*``),
    and how the saved file is then resolved (with the same options, as the next start
    with them would be)."""

    profile: str | None = None
    overrides: Mapping[str, object | None] = field(default_factory=dict)

    def initial(self, env: Mapping[str, str], default_name: str) -> dict[str, str]:
        """The form's starting values by field name (name, url, client_id, store_id)."""
        out = {"name": self.profile or default_name, "url": DEFAULT_URL}
        for key, var in ENV_VARS.items():
            given = self.overrides.get(key)
            value = str(given) if given else env.get(var, "")
            if value:
                out[key] = value
        return out


class PasswordSource(enum.StrEnum):
    COMMAND = "command"  # password_command: a password manager prints it
    ENV = "env"  # password_env: an environment variable holds it
    ASK = "ask"  # neither: asked for at each start, kept in memory only


@dataclass(frozen=True)
class NewProfile:
    """What the setup form holds, as typed (:meth:`cleaned` trims it)."""

    name: str
    url: str
    client_id: str
    store_id: str = ""
    source: PasswordSource = PasswordSource.ASK
    password_command: str = ""
    password_env: str = ""

    def cleaned(self) -> NewProfile:
        """Blanks at either end dropped (config/load.py drops them from url and ids too); the
        setting of the other password sources emptied."""
        source = self.source
        return NewProfile(
            name=self.name.strip(),
            url=self.url.strip(),
            client_id=self.client_id.strip(),
            store_id=self.store_id.strip(),
            source=source,
            password_command=self.password_command.strip() if source is PasswordSource.COMMAND else "",
            password_env=self.password_env.strip() if source is PasswordSource.ENV else "",
        )

    def table(self) -> dict[str, str]:
        """The profile's keys as config/load.py reads them back (a cleaned profile)."""
        out = {"url": self.url, "client_id": self.client_id}
        if self.store_id:
            out["store_id"] = self.store_id
        if self.source is PasswordSource.COMMAND:
            out["password_command"] = self.password_command
        elif self.source is PasswordSource.ENV:
            out["password_env"] = self.password_env
        return out


# -- checking what was typed ----------------------------------------------------------------


def _text_problem(value: str) -> str:
    for i, c in enumerate(value, start=1):
        if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            return f"character {i} is a control or invisible character (U+{ord(c):04X})"
    return ""


HOLDS_PASSWORD = (
    "This holds the API password, and it would be written to the file: name where the password comes from instead."
)


def problems(profile: NewProfile, password: Secret | None = None) -> dict[str, str]:
    """What is wrong with each field (``name``, ``url``, ``client_id``, ``store_id``,
    ``password_command``, ``password_env``), in words for the operator; empty: nothing.

    ``password``: the password as far as it is known (typed, or printed by the command
    on a test). No field may hold it: everything but the password is written to the file.
    """
    p = profile.cleaned()
    out: dict[str, str] = {}
    if not p.name:
        out["name"] = "A profile name is required (e.g. shop): --profile NAME picks it."
    elif not _BARE_KEY.fullmatch(p.name):
        out["name"] = "Letters, digits, - and _ only (no spaces or dots)."
    elif len(p.name) > MAX_PROFILE_NAME:
        out["name"] = f"At most {MAX_PROFILE_NAME} characters."
    elif p.name == ENV_PROFILE:
        out["name"] = f"{ENV_PROFILE!r} names settings from the environment alone; choose another name."
    problem = url_problem(p.url) if p.url else "The receiver URL is required (the vendor's is the default)."
    if not problem:
        problem = _text_problem(p.url)
    if not problem and p.url.lower().startswith("http:"):
        host = urlsplit(p.url).hostname or ""
        if not is_loopback(host):
            problem = (
                "Plain http would send the password unencrypted: use https:// "
                "(http only to this machine, e.g. a sandbox on 127.0.0.1)."
            )
    if problem:
        out["url"] = problem[0].upper() + problem[1:]
    if not p.client_id:
        out["client_id"] = "The client id is required: the account's login id (x_clientid)."
    elif problem := _text_problem(p.client_id):
        out["client_id"] = f"Not a client id: {problem}."
    if p.store_id and (problem := _text_problem(p.store_id)):
        out["store_id"] = f"Not a store id: {problem}."
    if p.source is PasswordSource.COMMAND:
        if not p.password_command:
            out["password_command"] = "Type the command that prints the password (e.g. pass show ccnow)."
        elif problem := _text_problem(p.password_command):
            out["password_command"] = f"Not a command: {problem}."
        else:
            try:
                words = shlex.split(p.password_command)
            except ValueError as exc:
                out["password_command"] = f"It cannot be split into words ({exc}): check its quotes."
            else:
                if not words:
                    out["password_command"] = "Type the command that prints the password (e.g. pass show ccnow)."
    elif p.source is PasswordSource.ENV:
        if not p.password_env:
            out["password_env"] = "Type the name of the variable that holds the password (e.g. CCNOW_API_PASSWORD)."
        elif not _ENV_NAME.fullmatch(p.password_env):
            out["password_env"] = "A variable name: letters, digits and _, not starting with a digit."
    secret = password.reveal() if password is not None else ""
    if secret:
        for key, value in (
            ("name", p.name),
            ("url", p.url),
            ("client_id", p.client_id),
            ("store_id", p.store_id),
            ("password_command", p.password_command),
            ("password_env", p.password_env),
        ):
            if secret in value and key not in out:
                out[key] = HOLDS_PASSWORD
    return out


# -- rendering -------------------------------------------------------------------------------


class _CannotAdd(Exception):
    """The existing file has a ``profiles`` key the form cannot add a table to."""


def _profile_table(p: NewProfile) -> Table:
    """The profile's table, with a comment on what each setting is (a cleaned profile)."""
    import tomlkit

    table = tomlkit.table()
    notes = {
        "url": "the vendor's receiver" if p.url == DEFAULT_URL else "",
        "store_id": "a linked store account",
        "password_command": "prints the API password first",
        "password_env": "holds the API password",
    }
    for key, value in p.table().items():
        table.add(key, value)
        if notes.get(key):
            table[key].comment(notes[key])
            table[key].trivia.comment_ws = "  "
    if p.source is PasswordSource.ASK:
        table.add(tomlkit.comment("No password_command or password_env: the API password is asked for at each start."))
    return table


def render_profile(profile: NewProfile) -> str:
    """The profile's table, as the form saves it (a cleaned profile)."""
    import tomlkit

    doc = tomlkit.document()
    profiles = tomlkit.table(is_super_table=True)
    profiles.add(profile.name, _profile_table(profile))
    doc.add("profiles", profiles)
    return tomlkit.dumps(doc)


def render_config(existing: str | None, profile: NewProfile) -> str:
    """The file's new text: ``existing`` (a file with no profile, or None) kept with its
    comments, ``default_profile`` set before its first table, the profile's table added
    (under an existing ``[profiles]`` table, else at the end)."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError
    from tomlkit.items import AoT, Table

    p = profile.cleaned()
    try:
        doc = tomlkit.parse(existing or "")
    except TOMLKitError:
        raise _CannotAdd from None
    tables = any(isinstance(value, (Table, AoT)) for value in doc.values())
    if "default_profile" not in doc and existing and not tables and not existing.endswith("\n\n"):
        doc.add(tomlkit.nl())  # a blank line after the comments it follows
    doc["default_profile"] = p.name
    profiles = doc.get("profiles")
    table = _profile_table(p)
    if profiles is None:
        doc.add("profiles", tomlkit.table(is_super_table=True))
        profiles = doc["profiles"]
    elif not isinstance(profiles, Table):  # an inline table, a string, ...
        raise _CannotAdd
    else:
        table.add(tomlkit.nl())  # other tables may follow the [profiles] it goes under
    profiles.add(p.name, table)
    text = tomlkit.dumps(doc)
    return FORM_HEADER + text if existing is None else text


def _by_hand(path: Path, profile: NewProfile) -> str:
    return f"{path}: the form cannot add its profile to this file safely; add it by hand:\n\n{render_profile(profile)}"


def check_rendered(text: str, existing: str | None, profile: NewProfile, path: Path) -> None:
    """``text`` read as config/load.py reads it gives exactly ``profile`` as the default and
    only profile, and whatever else ``existing`` set (a ``[keys]`` table) unchanged; a
    ConfigError otherwise (an existing file this cannot add to safely)."""
    p = profile.cleaned()
    hand = _by_hand(path, p)
    try:
        data = tomllib.loads(text)
        before = tomllib.loads(existing or "")
    except tomllib.TOMLDecodeError:
        raise ConfigError(hand) from None
    ours = ("default_profile", "profiles")
    profiles = data.get("profiles")
    if (
        data.get("default_profile") != p.name
        or not isinstance(profiles, dict)
        or set(profiles) != {p.name}
        or profiles[p.name] != p.table()
        or {k: v for k, v in data.items() if k not in ours} != {k: v for k, v in before.items() if k not in ours}
    ):
        raise ConfigError(hand)


def write_profile(path: Path, profile: NewProfile, password: Secret | None = None) -> str:
    """Write ``profile`` into the config file at ``path``; return the text written.

    Refused (ConfigError, nothing written) when a field is wrong, when the file defines
    a profile already or cannot be read, or when it changed since it was read.
    """
    found = problems(profile, password)
    if found:
        raise ConfigError("; ".join(f"{key}: {why}" for key, why in found.items()))
    p = profile.cleaned()
    existing = _read(path)
    if existing is not None:
        try:
            data = tomllib.loads(existing)
        except tomllib.TOMLDecodeError:
            raise ConfigError(f"{path} is not valid TOML: fix it (or move it away), then start again") from None
        if data.get("profiles"):
            raise ConfigError(f"{path} already defines a profile: not changing it (edit it by hand)")
    try:
        text = render_config(existing, p)
    except _CannotAdd:
        raise ConfigError(_by_hand(path, p)) from None
    check_rendered(text, existing, p, path)
    if _read(path) != existing:  # another window or `ccnow-tui init` wrote it meanwhile
        raise ConfigError(f"{path} changed while the form was open: not overwriting it; start ccnow-tui again")
    try:
        atomic_write_private(path, text.encode("utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be written: {exc.strerror or exc}") from None
    return text


def _read(path: Path) -> str | None:
    try:
        return read_regular(path, MAX_CONFIG_BYTES).decode("utf-8").removeprefix("\ufeff")
    except FileNotFoundError:
        return None
    except NotRegularFile as exc:
        raise ConfigError(
            f"{path} {exc.strerror}: config.toml must be a file; move it away, then start again"
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text: fix it (or move it away), then start again") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None
