"""The POSTed form: credentials plus numbered entries, and its decoding (for the sandbox)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote_plus

from .batch import Batch
from .redact import MASK, Secret


@dataclass(frozen=True, slots=True)
class Credentials:
    client_id: str
    password: Secret
    store_id: str = ""  # only for linked accounts

    def form_fields(self, *, masked: bool = False) -> list[tuple[str, str]]:
        out = [("x_clientid", self.client_id)]
        if self.store_id:
            out.append(("x_storeid", self.store_id))
        out.append(("x_password", MASK if masked else self.password.reveal()))
        return out


def request_fields(credentials: Credentials, batch: Batch | None = None) -> list[tuple[str, str]]:
    """Every field of one POST. No batch: the pending-list request."""
    return credentials.form_fields() + (batch.form_fields() if batch is not None else [])


# What quote_plus leaves alone; a value made only of these is sent as it is.
_UNRESERVED = re.compile(r"[A-Za-z0-9_.\-~]*")


def encode_form(fields: list[tuple[str, str]]) -> bytes:
    """``application/x-www-form-urlencoded`` body, as ``urllib.parse.urlencode`` makes it.

    Most of a batch is field names and order numbers that need no escaping; skipping
    ``quote_plus`` for those makes a stress-size body (docs/scale.md) several times faster to build.
    """
    safe = _UNRESERVED.fullmatch
    return "&".join(f"{k if safe(k) else quote_plus(k)}={v if safe(v) else quote_plus(v)}" for k, v in fields).encode(
        "ascii"
    )


def preview_fields(credentials: Credentials, batch: Batch | None = None) -> list[tuple[str, str]]:
    """What :func:`request_fields` sends, with the password masked, for showing."""
    return credentials.form_fields(masked=True) + (batch.form_fields() if batch is not None else [])


# ASCII digits only, and the whole name: "x_orderid_\u0661" or "x_orderid_1\n" is not entry 1.
_NUMBERED = re.compile(r"x_(orderid|action|notes|amount|trackname|tracknumber)_(\d+)", re.ASCII)
_KNOWN_PLAIN = {"x_clientid", "x_storeid", "x_password"}


@dataclass(frozen=True, slots=True)
class DecodedEntry:
    """One numbered entry as received, not yet validated (values are raw strings)."""

    n: int
    fields: Mapping[str, str]

    def get(self, name: str) -> str:
        return self.fields.get(name, "")


@dataclass(frozen=True, slots=True)
class DecodedRequest:
    client_id: str
    store_id: str
    password: str
    entries: tuple[DecodedEntry, ...] = ()
    error: str = ""  # set when the numbering itself is broken: nothing may be applied


def decode_request(pairs: Sequence[tuple[str, str]]) -> DecodedRequest:
    """Group a received form into numbered entries and check the numbering.

    A gap or repeat in the numbering, or an ``x_action_N`` (or any other ``x_*_N``) with no
    ``x_orderid_N``, is an error of the whole request, naming the field.
    """
    plain: dict[str, str] = {}
    numbered: dict[int, dict[str, str]] = {}
    for name, value in pairs:
        if name in _KNOWN_PLAIN:
            if name in plain:
                return _bad(plain, f"invalid request: {name} given twice")
            plain[name] = value
            continue
        m = _NUMBERED.fullmatch(name)
        if not m:
            continue  # unknown fields are ignored, as CGI receivers do
        kind, digits = m.group(1), m.group(2)
        if len(digits) > 1 and digits[0] == "0":
            return _bad(plain, f"invalid request: {name} (entry numbers have no leading zeros)")
        n = int(digits)
        slot = numbered.setdefault(n, {})
        if kind in slot:
            return _bad(plain, f"invalid request: {name} given twice")
        slot[kind] = value
    entries: list[DecodedEntry] = []
    for expected, n in enumerate(sorted(numbered), start=1):
        if n == 0:
            return _bad(plain, "invalid request: x_orderid_0 (numbering starts at 1)")
        if n != expected:
            return _bad(plain, f"invalid request: x_orderid_{expected} missing (numbering must run 1..N without gaps)")
        slot = numbered[n]
        if "orderid" not in slot:
            other = sorted(slot)[0]
            return _bad(plain, f"invalid request: x_{other}_{n} without x_orderid_{n}")
        entries.append(DecodedEntry(n, slot))
    login = plain.get("x_clientid", ""), plain.get("x_storeid", ""), plain.get("x_password", "")
    return DecodedRequest(*login, tuple(entries))


def _bad(plain: Mapping[str, str], error: str) -> DecodedRequest:
    login = plain.get("x_clientid", ""), plain.get("x_storeid", ""), plain.get("x_password", "")
    return DecodedRequest(*login, (), error)
