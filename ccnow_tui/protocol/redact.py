"""The one place secrets are masked. Every log line, error message and preview passes here.

A :class:`Secret` registers its value when it is created, so ``redact()`` can mask it in
any text, however it got there: typed, URL-encoded (as in a form body), repr()'d, inside
JSON, or HTML-escaped. ``contains_secret()`` tells whether text holds one at all (notes
check it: they go to the consumer, where no masking happens).
"""

from __future__ import annotations

import html
import json
import threading
from typing import NoReturn
from urllib.parse import quote, quote_plus

MASK = "••••••"

_lock = threading.Lock()
_known: set[str] = set()


def _variants(value: str) -> set[str]:
    """The secret as it may appear in text: raw, URL-encoded, repr()'d, inside JSON, or
    HTML-escaped (``&amp;``, ``&lt;``, ``&quot;``, ``&#x27;``; with and without quotes)."""
    return {
        value, quote_plus(value), quote(value, safe=""), repr(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1], json.dumps(value)[1:-1],
        html.escape(value), html.escape(value, quote=False),
    }


def register_secret(value: str) -> None:
    if not value:
        return
    with _lock:
        _known.update(v for v in _variants(value) if v)


def contains_secret(text: str) -> bool:
    """Whether ``text`` holds a registered secret, in any of the forms ``redact()`` masks.

    Cheap when nothing is registered (a test, the sandbox process), so the notes check can
    run for each of 100,000 staged entries.
    """
    if not _known:
        return False
    with _lock:
        return any(secret in text for secret in _known)


def redact(text: object, *extra_secrets: str) -> str:
    """``text`` as a string with every known secret (and ``extra_secrets``) masked."""
    out = str(text)
    with _lock:
        secrets = set(_known)
    for value in extra_secrets:
        if value:
            secrets |= _variants(value)
    # Longest first, so a secret that contains another is masked whole.
    for secret in sorted(secrets, key=len, reverse=True):
        if secret and secret in out:
            out = out.replace(secret, MASK)
    return out


class Secret:
    """A password that cannot leak through ``str``, ``repr``, f-strings or logging."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        register_secret(value)

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __str__(self) -> str:
        return MASK

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __reduce__(self) -> NoReturn:  # pickling would write the value to disk or a pipe
        raise TypeError("a Secret cannot be pickled")


# -- text that leaves the program --------------------------------------------------------

# Characters a terminal acts on instead of showing: C0 (tab aside), DEL, C1, and the bidi
# controls that reorder what follows them. isprintable() is False for all of them (and for
# other invisible format and separator characters, which are escaped too).
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
MIN_FRAGMENT = 4  # the shortest piece of a secret masked at the edge of a cut text


def _escape_char(c: str) -> str:
    n = ord(c)
    if n < 0x100:
        return f"\\x{n:02x}"
    return f"\\u{n:04x}" if n < 0x10000 else f"\\U{n:08x}"


def escape_controls(text: str, *, newlines: bool = False) -> str:
    """``text`` with every control character written out (``\\x1b``, ``\\u202e``), so a
    terminal shows it and never acts on it. Tab stays; a newline stays only if
    ``newlines`` (text this program wrote itself, over several lines)."""
    if text.isprintable() and not any(c in _BIDI for c in text):
        return text
    return "".join(
        c if (c.isprintable() and c not in _BIDI) or c == "\t" or (newlines and c == "\n") else _escape_char(c)
        for c in text
    )


def _mask_cut_edges(text: str, secrets: set[str]) -> str:
    """Mask a piece of a secret left at either end of a text that was cut before it got
    here (the start of a secret at the end, its end at the start)."""
    for secret in sorted(secrets, key=len, reverse=True):
        for size in range(min(len(secret) - 1, len(text)), MIN_FRAGMENT - 1, -1):
            if text.endswith(secret[:size]):
                text = text[: len(text) - size] + MASK
                break
        for size in range(min(len(secret) - 1, len(text)), MIN_FRAGMENT - 1, -1):
            if text.startswith(secret[-size:]):
                text = MASK + text[size:]
                break
    return text


def safe_text(text: object, limit: int | None = None, *, newlines: bool = False, cut: bool = False) -> str:
    """The one way text from the network or the store leaves the program (a terminal, a
    pipe, a file): every known secret masked first, in every form :func:`redact` knows;
    then cut to ``limit`` characters (so a cut never splits a secret and hides it from
    the mask); then control characters escaped (see :func:`escape_controls`).

    ``cut``: the text was already cut somewhere else (the answer parser keeps only the
    start of an over-long line), so a piece of a secret at its ends is masked as well.
    Without a limit, what it returns passes through it again unchanged.
    """
    out = redact(text)
    if cut:
        with _lock:
            secrets = set(_known)
        out = _mask_cut_edges(out, secrets)
    if limit is not None and len(out) > limit:
        out = out[: max(limit - 1, 0)] + "…"
    return escape_controls(out, newlines=newlines)
