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

    def __reduce__(self):  # pickling would write the value to disk or a pipe
        raise TypeError("a Secret cannot be pickled")
