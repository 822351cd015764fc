"""Connection settings: ``config.toml`` profiles, ``CCNOW_*`` variables, command-line options.

Precedence, lowest first: the profile in the file, then the environment, then options.
The API password is never stored in the file nor taken from the command line (both end
up in places others can read: backups, shell history, ``ps``); a profile names where to
get it instead: a command (a password manager) or an environment variable.

Every mistake in the file is reported as one :class:`ConfigError` that names the file and
the key, so the operator can fix it without guessing. Values are never echoed: a value
in the wrong place may well be a password.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..protocol.redact import Secret, redact
from ..storage.paths import PRIVATE_FILE_MODE, NotRegularFile, config_path, ensure_private_dir, read_regular

if TYPE_CHECKING:
    import subprocess

DEFAULT_URL = "https://www.ccnow.com/cgi-local/oapi_receive.cgi"
DEFAULT_TIMEOUT = 30.0
MAX_TIMEOUT = 3600.0
DEFAULT_MAX_ANSWER_BYTES = 64 * 1024 * 1024  # a stress-size pending list (docs/scale.md) is about 2 MB
DEFAULT_CONFIRM_OVER = 10  # a batch with more cancel and discount entries asks for a number typed, not y
DEFAULT_CONFIRM_DISCOUNT_OVER = Decimal("500.00")  # USD: discounts adding up to more ask for it too
DEFAULT_MAX_DISCOUNT = Decimal("100.00")  # a discount above it is flagged (a typo such as 5000 for 50.00)
PASSWORD_COMMAND_TIMEOUT = 10.0
MAX_CONFIG_BYTES = 4 * 1024 * 1024  # config.toml: a few kilobytes; a larger one is not read
PASSWORD_COMMAND_MAX_OUTPUT = 64 * 1024  # bytes a password_command may print; past it, it is stopped
ENV_PROFILE = "env"  # the profile name when settings come only from the environment

TOP_KEYS = ("default_profile", "profiles", "keys")
PROFILE_KEYS = (
    "url",
    "client_id",
    "store_id",
    "timeout",
    "password_command",
    "password_env",
    "max_answer_bytes",
    "confirm_over",
    "confirm_discount_over",
    "max_discount",
)
ENV_VARS = {"url": "CCNOW_URL", "client_id": "CCNOW_CLIENT_ID", "store_id": "CCNOW_STORE_ID"}
PASSWORD_VAR = "CCNOW_PASSWORD"
OPTIONS = {"url": "--url", "client_id": "--client-id", "store_id": "--store-id", "timeout": "--timeout"}

EXAMPLE = """\
default_profile = "shop"

[profiles.shop]
client_id = "YOUR_CLIENT_ID"
password_command = "pass show ccnow/api"  # prints the API password on its first line
# password_env = "CCNOW_SHOP_PASSWORD"    # or: read it from this variable instead
# store_id = "LINKED_STORE_ID"            # only for a linked store account
# url = "https://www.ccnow.com/cgi-local/oapi_receive.cgi"
# timeout = 30
# max_answer_bytes = 67108864             # a longer answer is not read (a batch: outcome unknown)
# confirm_over = 10                       # more cancel and discount entries: type a number to send, not y
# confirm_discount_over = 500.00          # discounts adding up to more US dollars: the same
# max_discount = 100.00                   # a discount above this (USD) is flagged where it is typed
"""

TEMPLATE_HEADER = """\
# ccnow-tui configuration. Uncomment and edit the example profile below.
#
# The API password (not the backroom password) is never written here. Each profile
# names where to get it: password_command (run without a shell; the first line it
# prints is the password) or password_env (the name of an environment variable).
# CCNOW_URL, CCNOW_CLIENT_ID, CCNOW_STORE_ID and CCNOW_PASSWORD override this file;
# --url, --client-id, --store-id and --timeout override both.
#
"""


class ConfigError(Exception):
    """A configuration problem, explained in one message (secrets masked)."""

    def __init__(self, message: str) -> None:
        super().__init__(redact(message))


class NotConfigured(ConfigError):
    """Nothing to connect with yet; the message says how to set up a profile."""


@dataclass(frozen=True)
class Profile:
    name: str
    url: str
    client_id: str
    store_id: str = ""
    password_command: str = ""
    password_env: str = ""
    timeout: float = DEFAULT_TIMEOUT
    max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES
    confirm_over: int = DEFAULT_CONFIRM_OVER
    confirm_discount_over: Decimal = DEFAULT_CONFIRM_DISCOUNT_OVER
    max_discount: Decimal = DEFAULT_MAX_DISCOUNT
    # "PATH: line N: " for each key, for messages about a value found wrong only when it
    # is used (a bad url that CCNOW_URL or --url overrides is no error).
    places: Mapping[str, str] = dataclass_field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class KeyTable:
    """The ``[keys]`` table: binding id -> its keys as written (Textual's names, several
    separated by commas), for the TUI whatever the profile. Only its shape is checked
    here (the core knows no bindings); the TUI checks the ids and the keys themselves
    (tui/keymap.py) and names the line from ``places``."""

    keys: Mapping[str, str] = dataclass_field(default_factory=dict)
    # "PATH: line N: " for each id, for the TUI's messages about it.
    places: Mapping[str, str] = dataclass_field(default_factory=dict, compare=False, repr=False)
    path: Path | None = dataclass_field(default=None, compare=False)


@dataclass(frozen=True)
class Config:
    path: Path
    default_profile: str | None
    profiles: dict[str, Profile]
    keys: KeyTable = dataclass_field(default_factory=KeyTable)


@dataclass(frozen=True)
class ConnectionSettings:
    """Everything needed to connect. ``password`` None: not configured, the caller may prompt."""

    profile: str
    url: str
    client_id: str
    store_id: str
    password: Secret | None
    timeout: float
    source: str  # where the settings came from, as the TUI's first log line says it
    max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES  # from the profile only
    # A batch with more cancel and discount entries than confirm_over, or discounts adding
    # up to more than confirm_discount_over (USD), is sent only after the operator types
    # the number of entries it sends that change orders (from the profile only).
    confirm_over: int = DEFAULT_CONFIRM_OVER
    confirm_discount_over: Decimal = DEFAULT_CONFIRM_DISCOUNT_OVER
    # A discount above this (USD) is flagged in the form, the lint and the confirmation.
    max_discount: Decimal = DEFAULT_MAX_DISCOUNT
    # The store's directory when it is not the profile's own: each --demo run has one of
    # its own, fresh like its embedded sandbox (tui/launch.py). None: the profile's.
    store_dir: Path | None = None


# -- reading config.toml -----------------------------------------------------------------


def load_config(path: Path | None = None) -> Config:
    """The parsed config file; an empty :class:`Config` when there is no file."""
    path = Path(path) if path is not None else config_path()
    try:
        raw = read_regular(path, MAX_CONFIG_BYTES)  # a FIFO or a device would block or never end
    except FileNotFoundError:
        return Config(path, None, {})
    except NotRegularFile as exc:
        raise ConfigError(
            f"{path} {exc.strerror}: config.toml must be a file (move this away, then `ccnow-tui init` writes one)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}: line {line}: not UTF-8 text") from None
    text = text.removeprefix("\ufeff")  # a byte order mark, as some editors write: not TOML, but harmless
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_toml_error(path, str(exc))) from None
    except RecursionError:  # tomllib recurses into nested arrays and inline tables
        line = _deepest_line(text)
        raise ConfigError(f"{path}: line {line}: arrays or inline tables nested too deeply to read") from None
    return _parse_config(_Place(path, text), data)


class _Place:
    """Names a spot in the file for an error: ``PATH: line N: `` where the key is found.

    tomllib keeps no positions, so the line is found again from the text: the first
    ``KEY =`` under the table's header (or the header itself). When the text cannot tell
    (an inline table, a dotted key), the message names the file and the key. The text is
    scanned once, into an index, the first time a place is asked for: a [keys] table of
    thousands of lines names each line in constant time, not by a scan each.
    """

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()
        self._index: tuple[dict[str, int], dict[str, int], dict[tuple[str, str], int]] | None = None

    def __str__(self) -> str:
        return str(self.path)

    def at(self, table: str = "", key: str = "") -> str:
        line = self._find(table, key)
        return f"{self.path}: line {line}: " if line else f"{self.path}: "

    def _find(self, table: str, key: str) -> int | None:
        """The line of ``key =`` in the first section of ``table`` holding it, else the
        line of the table's last header (its first, without ``key``); None: not found."""
        first_header, last_header, keys = self._scan()
        table = _bare(table)
        if not key:
            return first_header.get(table)
        return keys.get((table, key), last_header.get(table))

    def _scan(self) -> tuple[dict[str, int], dict[str, int], dict[tuple[str, str], int]]:
        if self._index is not None:
            return self._index
        first_header: dict[str, int] = {}
        last_header: dict[str, int] = {}
        keys: dict[tuple[str, str], int] = {}
        current = ""
        for number, raw in enumerate(self.lines, start=1):
            text = raw.strip()
            header = _HEADER(text)
            if header:
                current = _bare(header.group(1))
                first_header.setdefault(current, number)
                last_header[current] = number
                continue
            # ``KEY =``, ``"KEY" =`` or ``'KEY' =``: each text before one of the line's
            # first few ``=``, with a quote at either end or none.
            start = 0
            for _ in range(_MAX_EQUALS):
                equals = text.find("=", start)
                if equals < 0:
                    break
                start = equals + 1
                before = text[:equals].rstrip()
                for name in _unquoted(before):
                    keys.setdefault((current, name), number)
        self._index = first_header, last_header, keys
        return self._index


_HEADER = re.compile(r"\[([^\[\]]+)\]\s*(#.*)?").fullmatch
_MAX_EQUALS = 8  # a key holding more "=" than this is named by its table, not its line


def _bare(table: str) -> str:
    return re.sub(r"[\s\"']", "", table)


def _unquoted(text: str) -> set[str]:
    """``text`` as a key may be written: as it is, without a leading and/or a trailing quote."""
    names = {text}
    if text[:1] in "\"'" and text:
        names.add(text[1:])
    for name in list(names):
        if name[-1:] in "\"'" and name:
            names.add(name[:-1])
    return names


def _deepest_line(text: str) -> int:
    """The line where brackets and braces (outside strings and comments, roughly) nest
    deepest: where a file too deeply nested for tomllib goes wrong."""
    depth = best = 0
    where = line = 1
    quote = ""
    for c in text:
        if c == "\n":
            line += 1
            quote = "" if quote in ("#", '"', "'") else quote
        elif quote:
            quote = "" if c == quote else quote
        elif c in "\"'#":
            quote = c
        elif c in "[{":
            depth += 1
            if depth > best:
                best, where = depth, line
        elif c in "]}":
            depth -= 1
    return where


def _toml_error(path: Path, message: str) -> str:
    """``PATH: line N: what`` from tomllib's ``what (at line N, column M)``."""
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)\s*$", message)
    if match:
        what = message[: match.start()]
        return f"{path}: line {match.group(1)}: {what} (column {match.group(2)})"
    match = re.search(r"\s*\(at end of document\)\s*$", message)
    if match:
        return f"{path}: at the end of the file: {message[: match.start()]}"
    return f"{path}: {message}"


def _type_name(value: object) -> str:
    names = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        dict: "a table",
        list: "an array",
    }
    return names.get(type(value), "a date or time")


def _unknown_keys(place: _Place, table: str, data: dict[str, Any], known: tuple[str, ...]) -> None:
    where = f"[{table}] " if table else ""
    for key in data:
        if key not in known:
            hint = ""
            if any(word in key.lower() for word in ("pas", "pw", "secret")):  # pasword, passwd, api_pw
                hint = "; the password itself is never stored here: use password_command or password_env"
            kind = "unknown key" if where else "unknown top-level key"
            raise ConfigError(f"{place.at(table, key)}{where}{kind} {key!r} (known: {', '.join(known)}){hint}")


def _parse_config(place: _Place, data: dict[str, Any]) -> Config:
    _unknown_keys(place, "", data, TOP_KEYS)
    profiles_raw = data.get("profiles", {})
    if not isinstance(profiles_raw, dict):
        raise ConfigError(
            f"{place.at('', 'profiles')}'profiles' must be a table of [profiles.NAME] sections, "
            f"not {_type_name(profiles_raw)}"
        )
    profiles = {name: _parse_profile(place, name, table) for name, table in profiles_raw.items()}
    keys = _parse_keys(place, data["keys"]) if "keys" in data else KeyTable(path=place.path)
    default = data.get("default_profile")
    if default is not None:
        at = place.at("", "default_profile")
        if not isinstance(default, str):
            raise ConfigError(f"{at}'default_profile' must be a string, not {_type_name(default)}")
        if default not in profiles:
            known = ", ".join(profiles) or "none defined"
            raise ConfigError(f"{at}default_profile {default!r} is not a [profiles.NAME] section (profiles: {known})")
    return Config(place.path, default, profiles, keys)


def _parse_keys(place: _Place, table: object) -> KeyTable:
    """``[keys]``: ``"stage.ship" = "x"`` (or unquoted ``stage.ship = "x"``, which TOML
    reads as a nested table: flattened back into the id). Each value is one key or
    several separated by commas, in Textual's names (``x``, ``S``, ``f5``, ``ctrl+o``)."""
    if not isinstance(table, dict):
        raise ConfigError(
            f"{place.at('', 'keys')}'keys' must be a table ([keys], one binding id = \"key\" a line), "
            f"not {_type_name(table)}"
        )
    keys: dict[str, str] = {}
    places: dict[str, str] = {}

    def flatten(prefix: str, value: object) -> None:
        if isinstance(value, dict):
            for name, inner in value.items():
                flatten(f"{prefix}.{name}" if prefix else name, inner)
            return
        at = _key_place(place, prefix)
        if not isinstance(value, str):
            raise ConfigError(
                f"{at}[keys] {prefix!r} must be a key name in quotes (several: separated by "
                f"commas), not {_type_name(value)}"
            )
        names = [name.strip() for name in value.split(",")]
        if not value.strip():
            raise ConfigError(f'{at}[keys] {prefix!r} is empty: give a key, such as "x" or "f5"')
        if any(not name or any(c.isspace() for c in name) for name in names):
            raise ConfigError(
                f"{at}[keys] {prefix!r}: {value!r} is not a key name or a list of them separated "
                'by commas ("x", "ctrl+o", "x,f5"; the space bar is "space")'
            )
        keys[prefix] = ",".join(names)
        places[prefix] = at

    flatten("", table)
    return KeyTable(keys, places, place.path)


def _key_place(place: _Place, binding_id: str) -> str:
    """Where ``binding_id`` is in [keys]: a quoted or dotted key, or under [keys.PREFIX]."""
    if place._find("keys", binding_id) not in (None, place._find("keys", "")):
        return place.at("keys", binding_id)
    prefix, _, last = binding_id.rpartition(".")
    while prefix:
        line = place._find(f"keys.{prefix}", last)
        if line is not None:
            return f"{place.path}: line {line}: "
        prefix, _, head = prefix.rpartition(".")
        last = f"{head}.{last}"
    return place.at("keys", binding_id)


def _parse_profile(place: _Place, name: str, table: object) -> Profile:
    section = f"profiles.{name}"
    where = f"[{section}] "

    def at(key: str = "") -> str:
        return place.at(section, key) + where

    if not isinstance(table, dict):
        raise ConfigError(f"{place.at('profiles', name)}{where}must be a table of settings, not {_type_name(table)}")
    _unknown_keys(place, section, table, PROFILE_KEYS)
    for key in ("url", "client_id", "store_id", "password_command", "password_env"):
        if key in table and not isinstance(table[key], str):
            raise ConfigError(f"{at(key)}{key!r} must be a string (in quotes), not {_type_name(table[key])}")
    if not table.get("client_id", "").strip():
        raise ConfigError(f"{at('client_id')}missing key 'client_id' (the account login id, x_clientid)")
    if "timeout" in table:
        timeout = _timeout(table["timeout"], f"{at('timeout')}'timeout'")
    else:
        timeout = DEFAULT_TIMEOUT
    max_answer_bytes = table.get("max_answer_bytes", DEFAULT_MAX_ANSWER_BYTES)
    if isinstance(max_answer_bytes, bool) or not isinstance(max_answer_bytes, int) or max_answer_bytes < 1:
        raise ConfigError(
            f"{at('max_answer_bytes')}'max_answer_bytes' must be a whole number of bytes, at least 1 "
            f"(default {DEFAULT_MAX_ANSWER_BYTES}, 64 MiB)"
        )
    confirm_over = table.get("confirm_over", DEFAULT_CONFIRM_OVER)
    if isinstance(confirm_over, bool) or not isinstance(confirm_over, int) or confirm_over < 0:
        raise ConfigError(
            f"{at('confirm_over')}'confirm_over' must be a whole number of entries, 0 or more "
            f"(default {DEFAULT_CONFIRM_OVER}): a batch with more cancel and discount entries "
            "asks for a number typed instead of y"
        )
    discount_over = _discount_limit(
        table.get("confirm_discount_over", DEFAULT_CONFIRM_DISCOUNT_OVER),
        f"{at('confirm_discount_over')}'confirm_discount_over'",
    )
    max_discount = _max_discount(table.get("max_discount", DEFAULT_MAX_DISCOUNT), f"{at('max_discount')}")
    command, variable = table.get("password_command", ""), table.get("password_env", "")
    if "password_command" in table and not command.strip():
        raise ConfigError(f"{at('password_command')}'password_command' is empty")
    if "password_env" in table and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", variable):
        raise ConfigError(f"{at('password_env')}'password_env' must be the name of an environment variable")
    if command and variable:
        raise ConfigError(f"{at('password_env')}set either 'password_command' or 'password_env', not both")
    return Profile(
        name=name,
        url=table.get("url", DEFAULT_URL).strip(),
        client_id=table["client_id"].strip(),
        store_id=table.get("store_id", "").strip(),
        password_command=command,
        password_env=variable,
        timeout=timeout,
        max_answer_bytes=max_answer_bytes,
        confirm_over=confirm_over,
        confirm_discount_over=discount_over,
        max_discount=max_discount,
        places={key: place.at(section, key) for key in ("url",) if key in table},
    )


def _discount_limit(value: object, where: str) -> Decimal:
    """``confirm_discount_over``: US dollars, 0 or more, at most two decimals (500, 500.0,
    "500.00" alike)."""
    problem = (
        f"{where} must be an amount in US dollars, 0 or more, with at most two decimals "
        f"(default {DEFAULT_CONFIRM_DISCOUNT_OVER}): discounts adding up to more ask for a number typed "
        "instead of y"
    )
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ConfigError(f"{problem}, not {_type_name(value)}")
    try:
        amount = Decimal(str(value).strip())
    except ArithmeticError:
        raise ConfigError(problem) from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01"), rounding="ROUND_DOWN"):
        raise ConfigError(problem)
    return amount.quantize(Decimal("0.01"))


def _max_discount(value: object, where: str) -> Decimal:
    """``max_discount``: an amount in USD, 0 or more, at most two decimals (``100``, ``100.00``, "100.00")."""
    why = (
        f"{where}'max_discount' must be an amount in USD such as 100.00 (0 or more, at most two decimals; "
        f"default {DEFAULT_MAX_DISCOUNT}): a discount above it is flagged before it is sent"
    )
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(f"{why}, not {_type_name(value)}")
    else:
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            raise ConfigError(f"{why}, not {value!r}") from None
    if not amount.is_finite() or not 0 <= amount < 10**9 or amount != amount.quantize(Decimal("0.01")):
        raise ConfigError(f"{why}, not {value!r}")
    return amount.quantize(Decimal("0.01"))


def _timeout(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{where} must be a number of seconds, not {_type_name(value)}")
    if not (math.isfinite(value) and 0 < value <= MAX_TIMEOUT):
        raise ConfigError(f"{where} must be more than 0 and at most {MAX_TIMEOUT:g} seconds")
    return float(value)


# -- merging file, environment and options -------------------------------------------------


def command_line_overrides(args: object) -> dict[str, Any]:
    """What the command line's options (``--url``, ``--client-id``, ``--store-id``,
    ``--timeout``) say over the profile: the same for the scripting commands and the TUI."""
    return {name: getattr(args, name, None) for name in ("url", "client_id", "store_id", "timeout")}


def resolve_connection(
    config: Config,
    profile: str | None,
    env: Mapping[str, str] = os.environ,
    overrides: Mapping[str, object | None] = MappingProxyType({}),
) -> ConnectionSettings:
    """The settings to connect with. Runs the profile's password command if needed.

    Empty environment variables count as unset; an override of None means "not given".
    """
    unknown = set(overrides) - set(OPTIONS)
    if unknown:
        raise ValueError(f"unknown overrides {sorted(unknown)} (the password is never an option)")
    env_given = {field: env[var] for field, var in ENV_VARS.items() if env.get(var)}
    opt_given = {field: value for field, value in overrides.items() if value is not None}
    env_password = env.get(PASSWORD_VAR) or ""
    chosen = _choose_profile(config, profile, bool(env_given or env_password or opt_given))

    values: dict[str, tuple[object, str]] = {
        "url": (DEFAULT_URL, "the default URL"),
        "client_id": ("", ""),
        "store_id": ("", ""),
        "timeout": (DEFAULT_TIMEOUT, "the default"),
    }
    sources = [f"profile {chosen.name!r} in {config.path}" if chosen else "environment"]
    if chosen:
        for field in values:
            where = chosen.places.get(field, f"{config.path}: ")
            values[field] = (getattr(chosen, field), f"{where}[profiles.{chosen.name}] {field}")
    for field, text in env_given.items():
        values[field] = (text.strip(), f"environment variable {ENV_VARS[field]}")
    for field, value in opt_given.items():
        values[field] = (_option_value(field, value), f"option {OPTIONS[field]}")
    used_env = [ENV_VARS[f] for f in env_given] + ([PASSWORD_VAR] if env_password else [])
    if chosen and used_env:
        sources.append("environment: " + ", ".join(used_env))
    if opt_given:
        sources.append("options: " + ", ".join(OPTIONS[f] for f in opt_given))

    url, url_origin = values["url"]
    _check_url(str(url), url_origin)
    client_id, client_origin = values["client_id"]
    if not client_id:
        if client_origin:
            raise ConfigError(f"{client_origin}: the client id is empty")
        raise NotConfigured(
            f"No client id: {ENV_VARS['client_id']} is not set and {OPTIONS['client_id']} was not given.\n\n"
            + setup_help(config.path)
        )
    timeout = _timeout(*values["timeout"])

    return ConnectionSettings(
        profile=chosen.name if chosen else ENV_PROFILE,
        url=str(url),
        client_id=str(client_id),
        store_id=str(values["store_id"][0]),
        password=_password(config, chosen, env, env_password),
        timeout=timeout,
        source="; ".join(sources),
        max_answer_bytes=chosen.max_answer_bytes if chosen else DEFAULT_MAX_ANSWER_BYTES,
        confirm_over=chosen.confirm_over if chosen else DEFAULT_CONFIRM_OVER,
        confirm_discount_over=chosen.confirm_discount_over if chosen else DEFAULT_CONFIRM_DISCOUNT_OVER,
        max_discount=chosen.max_discount if chosen else DEFAULT_MAX_DISCOUNT,
    )


def _option_value(field: str, value: object) -> object:
    """Options may arrive as typed text; the timeout then still has to be a number."""
    if not isinstance(value, str):
        return value
    if field != "timeout":
        return value.strip()
    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"option {OPTIONS[field]}: must be a number of seconds") from None


def _choose_profile(config: Config, requested: str | None, env_or_options: bool) -> Profile | None:
    """The file profile to start from, or None for settings from the environment alone."""
    names = ", ".join(config.profiles)
    if requested is not None:
        if requested in config.profiles:
            return config.profiles[requested]
        if requested == ENV_PROFILE:
            return None
        if not config.profiles:
            raise NotConfigured(f"There is no profile {requested!r}.\n\n" + setup_help(config.path))
        raise ConfigError(f"{config.path}: unknown profile {requested!r} (profiles: {names})")
    if config.default_profile:
        return config.profiles[config.default_profile]
    if len(config.profiles) == 1:
        return next(iter(config.profiles.values()))
    if config.profiles:
        raise ConfigError(
            f"{config.path}: several profiles ({names}) and no default_profile; "
            "choose one with --profile NAME or set default_profile"
        )
    if env_or_options:
        return None
    raise NotConfigured("No CCNow account is configured yet.\n\n" + setup_help(config.path))


def setup_help(path: Path) -> str:
    """How to get going: where the file goes, what it holds, and the no-account demo."""
    state = "exists but defines no profile" if path.exists() else "does not exist yet"
    example = "".join(f"    {line}".rstrip() + "\n" for line in EXAMPLE.splitlines())
    return (
        f"Create a profile in {path} ({state}); `ccnow-tui init` writes a commented template. "
        f"For example:\n\n{example}\n"
        f"Or set {ENV_VARS['client_id']} and {PASSWORD_VAR} in the environment.\n"
        "To look around without an account, run `ccnow-tui --demo` (a local sandbox)."
    )


def _check_url(url: str, origin: str) -> None:
    """A URL that cannot be a receiver's (scheme, host, port) is caught here, named by
    where it came from; the client checks the rest (plain http only to loopback)."""
    problem = url_problem(url)
    if problem:
        raise ConfigError(f"{origin}: {problem}")


def url_problem(url: str) -> str:
    """Why ``url`` cannot be a receiver URL ("" if it can, as far as its syntax goes)."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises for a port that is not a number or out of range
        host = parts.hostname
    except ValueError as exc:  # "Invalid IPv6 URL", "Port out of range 0-65535", ...
        return f"the receiver URL is malformed ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        got = f"scheme {parts.scheme!r}" if parts.scheme else "no scheme"
        return f"the receiver URL must start with https:// or http:// (it has {got})"
    if not host:
        return "the receiver URL has no host name"
    if port == 0:
        return "the receiver URL's port must be 1 to 65535"
    return ""


def _password(config: Config, chosen: Profile | None, env: Mapping[str, str], env_password: str) -> Secret | None:
    if env_password:
        return Secret(env_password)
    if chosen is None:
        return None
    if chosen.password_env:
        value = env.get(chosen.password_env) or ""
        if not value:
            raise ConfigError(
                f"{config.path}: [profiles.{chosen.name}] password_env names {chosen.password_env}, "
                "but that environment variable is not set (or is empty)"
            )
        return Secret(value)
    if chosen.password_command:
        return run_password_command(chosen.name, chosen.password_command)
    return None


def offline_password(config: Config, profile: str, env: Mapping[str, str] = os.environ) -> Secret | None:
    """The password of ``profile`` when a variable or a command gives it (``CCNOW_PASSWORD``
    first, as :func:`resolve_connection` takes it), without the rest of the connection
    settings; None when it would be asked for. For commands that contact no receiver
    (``stage``) but must still know the password: to mask it in every message, and to
    refuse a note that holds it. Creating the Secret registers it for masking."""
    return _password(config, config.profiles.get(profile), env, env.get(PASSWORD_VAR) or "")


def run_password_command(profile: str, command: str) -> Secret:
    """The first line a password manager prints. Run without a shell, so nothing is expanded.

    The command runs with this process's environment (not the ``env`` mapping given to
    :func:`resolve_connection`, which only decides settings). Its output never appears in
    an error, since on failure it may hold the password or part of it.
    """
    import shlex  # here: reading the config (every command) needs neither
    import subprocess

    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise ConfigError(f"profile {profile!r}: password_command cannot be split into words ({exc})") from None
    if not argv:
        raise ConfigError(f"profile {profile!r}: password_command is empty")
    what = f"profile {profile!r}: password_command {argv[0]!r}"
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except FileNotFoundError:
        raise ConfigError(f"{what}: program not found") from None
    except PermissionError:
        raise ConfigError(f"{what}: program is not executable") from None
    except OSError as exc:
        raise ConfigError(f"{what}: could not be started ({exc.strerror or type(exc).__name__})") from None
    try:
        output, returncode = _bounded_output(proc, PASSWORD_COMMAND_TIMEOUT, PASSWORD_COMMAND_MAX_OUTPUT)
    except subprocess.TimeoutExpired:
        raise ConfigError(f"{what}: no answer within {PASSWORD_COMMAND_TIMEOUT:g} s; it was stopped") from None
    except _TooMuchOutput:
        raise ConfigError(
            f"{what}: printed more than {PASSWORD_COMMAND_MAX_OUTPUT // 1024} KiB (a password is one "
            "short line); it was stopped"
        ) from None
    if returncode != 0:
        how = f"killed by signal {-returncode}" if returncode < 0 else f"exit status {returncode}"
        raise ConfigError(f"{what}: failed ({how})")
    first = output.split(b"\n", 1)[0].rstrip(b"\r")
    if not first:
        raise ConfigError(f"{what}: printed nothing on its first line (expected the password)")
    try:
        return Secret(first.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{what}: its output is not UTF-8 text") from None


class _TooMuchOutput(Exception):
    """The command printed more than the cap."""


def _bounded_output(proc: subprocess.Popen[bytes], timeout: float, cap: int) -> tuple[bytes, int]:
    """``(stdout, exit status)`` of ``proc``, read within ``timeout`` seconds and at most
    ``cap`` bytes of it. Past either, the command is killed (and reaped) and
    TimeoutExpired or _TooMuchOutput is raised: a command that prints without end
    (``yes``) or never ends cannot hold or fill this process."""
    import selectors  # here, as in run_password_command: reading the config needs neither
    import subprocess
    import time

    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    size = 0
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(proc.stdout, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    raise subprocess.TimeoutExpired(proc.args, timeout)
                data = os.read(proc.stdout.fileno(), 65536)
                if not data:
                    break
                size += len(data)
                if size > cap:
                    raise _TooMuchOutput
                chunks.append(data)
        returncode = proc.wait(max(0.0, deadline - time.monotonic()))
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        proc.stdout.close()
    return b"".join(chunks), returncode


# -- ccnow-tui init ------------------------------------------------------------------------


def config_template() -> str:
    """The header and the example with every setting commented out."""
    lines = (line if line.startswith("#") else f"# {line}".rstrip() for line in EXAMPLE.splitlines())
    return TEMPLATE_HEADER + "".join(f"{line}\n" for line in lines)


def write_config_template(path: Path | None = None) -> Path:
    """Create a commented config file (0600, directory 0700); never overwrite one."""
    from ..storage.atomic import fsync_dir, write_all

    path = Path(path) if path is not None else config_path()
    try:
        ensure_private_dir(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, PRIVATE_FILE_MODE)
    except FileExistsError:
        raise ConfigError(f"{path} already exists; not overwriting it (edit it, or move it away first)") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be created: {exc.strerror or exc}") from None
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)
        write_all(fd, config_template().encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(path.parent)
    return path


def profile_name(config: Config, requested: str | None, env: Mapping[str, str] | None = None) -> str:
    """The profile a command without a connection (``journal``, ``staged``) reads: as the
    others choose it. Given ``env``: with no profile in the file and no ``CCNOW_*``
    setting in it, :class:`NotConfigured` (as ``pending`` says it), not the
    environment's profile (``journal`` passes none: an empty trail is its answer)."""
    env_given = env is None or any(env.get(var) for var in (*ENV_VARS.values(), PASSWORD_VAR))
    chosen = _choose_profile(config, requested, env_or_options=env_given)
    return chosen.name if chosen else ENV_PROFILE
