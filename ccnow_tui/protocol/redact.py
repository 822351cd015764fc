"""The one place secrets are masked. Every log line, error message and preview passes here.

A :class:`Secret` registers its value when it is created, so ``redact()`` can mask it in
any text, however it got there: typed, URL-encoded (``+`` or ``%20``, ``/`` kept or not,
hex digits in either case), repr()'d, inside JSON, HTML-escaped, as XML numeric character
references (decimal or hex), base64 (standard or URL-safe, alone or inside a longer
base64 text), and in any letter case (a receiver that answers in capitals).
``contains_secret()`` tells whether text holds one at all (notes check it: they go to the
consumer, where no masking happens).
"""

from __future__ import annotations

import base64
import html
import json
import re
import threading
from typing import NoReturn
from urllib.parse import quote, quote_plus

MASK = "••••••"

_lock = threading.Lock()
_known: set[str] = set()

# A piece of a longer base64 text is masked only from this many characters on: shorter
# pieces (of a short password) would mask unrelated text.
MIN_BASE64_PIECE = 8


def _base64_forms(value: str) -> set[str]:
    """``value``'s UTF-8 bytes in base64 (standard and URL-safe, with and without padding),
    and the characters that encode only those bytes wherever they start inside a longer
    base64 text (at each of the three byte alignments)."""
    data = value.encode("utf-8", "surrogatepass")
    out: set[str] = set()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(data).decode("ascii")
        out |= {whole, whole.rstrip("=")}
        for lead in range(3):
            encoded = encode(b"\0" * lead + data).decode("ascii")
            start, end = -(-8 * lead // 6), (8 * lead + 8 * len(data)) // 6  # sextets of value's bits only
            piece = encoded[start:end]
            if len(piece) >= MIN_BASE64_PIECE:
                out.add(piece)
    return out


def _variants(value: str) -> set[str]:
    """The secret as it may appear in text: raw, URL-encoded (any way), repr()'d, inside
    JSON, HTML-escaped (``&amp;``, ``&lt;``, ``&quot;``, ``&#x27;``; with and without
    quotes), as XML numeric references, base64; upper and lower case of each (matching is
    case-insensitive as well, for mixed case and lowercase percent-hex)."""
    forms = {
        value,
        quote_plus(value),
        quote(value, safe=""),
        quote(value),
        quote_plus(value, safe="/"),
        repr(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        json.dumps(value)[1:-1],
        html.escape(value),
        html.escape(value, quote=False),
        "".join(f"&#{ord(c)};" for c in value),
        "".join(f"&#x{ord(c):x};" for c in value),
    }
    forms |= {f.upper() for f in forms} | {f.lower() for f in forms}
    return {f for f in forms | _base64_forms(value) if f}


# What the registry holds, compiled: (the set it was built from, its size, a pattern for
# the variants case-folded, one for them all). Rebuilt when a secret is registered.
_compiled: tuple[set[str], int, re.Pattern[str] | None, re.Pattern[str] | None] = (set(), 0, None, None)


def _pattern(secrets: set[str]) -> re.Pattern[str]:
    # Longest first: at one position the longest form is masked whole.
    alternatives = sorted(secrets, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, alternatives)), re.IGNORECASE)


def _matcher() -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    """A pattern for the registered forms case-folded (casefold() maps each character on
    its own, so a form in a text is its folded form in the folded text), and one for the
    forms themselves, in any case (None, None: nothing registered)."""
    global _compiled
    known, (built_from, size, folded, pattern) = _known, _compiled
    if built_from is not known or size != len(known):
        with _lock:
            folded = re.compile("|".join(map(re.escape, {s.casefold() for s in known}))) if known else None
            pattern = _pattern(known) if known else None
            _compiled = (known, len(known), folded, pattern)
    return folded, pattern


def register_secret(value: str) -> None:
    if not value:
        return
    with _lock:
        _known.update(v for v in _variants(value) if v)


def _holds(text: str, folded: re.Pattern[str] | None) -> bool:
    return folded is not None and folded.search(text.casefold()) is not None


def contains_secret(text: str) -> bool:
    """Whether ``text`` holds a registered secret, in any of the forms ``redact()`` masks
    (in any letter case).

    Cheap when nothing is registered (a test, the sandbox process), so the notes check can
    run for each staged entry, at the stress size too (docs/scale.md).
    """
    if not _known:
        return False
    folded, _ = _matcher()
    return _holds(text, folded)


def redact(text: object, *extra_secrets: str) -> str:
    """``text`` as a string with every known secret (and ``extra_secrets``) masked, in
    every form and letter case."""
    out = str(text)
    extra: set[str] = set()
    for value in extra_secrets:
        if value:
            extra |= _variants(value)
    if extra:
        with _lock:
            secrets = set(_known) | extra
        return _pattern(secrets).sub(MASK, out)
    if not _known:
        return out
    folded, pattern = _matcher()
    if pattern is None or not _holds(out, folded):  # the usual case: nothing to mask
        return out
    return pattern.sub(MASK, out)


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


def escape_controls(text: str, *, newlines: bool = False, tabs: bool = True) -> str:
    """``text`` with every control character written out (``\\x1b``, ``\\u202e``), so a
    terminal shows it and never acts on it: the one rule for text from the network or
    the store, in the CLI's output, the TUI's screens and the sandbox's log. A tab stays
    unless not ``tabs`` (a row of a screen, where it would push the columns apart); a
    newline stays only if ``newlines`` (text this program wrote itself, over several lines)."""
    # At C speed: every line of a stress-size answer passes here on its way to the log
    # (docs/scale.md); the bidi controls are not ASCII, so ASCII text needs no look for them.
    if text.isprintable() and (text.isascii() or _BIDI.isdisjoint(text)):
        return text
    keep = ("\t" if tabs else "") + ("\n" if newlines else "")
    return "".join(c if (c.isprintable() and c not in _BIDI) or c in keep else _escape_char(c) for c in text)


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
