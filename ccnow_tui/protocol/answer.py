"""Parsing the receiver's plain-text answer, incrementally, as it streams in.

Feed bytes in any chunking; each record comes out as soon as its line is complete, and the
records are the same whatever the chunking (even one byte at a time). The parser never
raises on any input: what it cannot read is kept raw as :class:`Unparsed`.
"""

from __future__ import annotations

import re
from itertools import repeat
from typing import NamedTuple

from .orderid import OrderId


class OrderLine(NamedTuple):
    """``396-10-1142 pending``: an order and its status (an unknown code kept verbatim)."""

    order_id: OrderId
    status: str
    raw: str


class OrderError(NamedTuple):
    """``396-10-1142 error_message order_not_pending``: the receiver refused this order."""

    order_id: OrderId
    message: str
    raw: str


class MessageLine(NamedTuple):
    """``message no_pending_orders``."""

    text: str
    raw: str


class ErrorMessage(NamedTuple):
    """``error_message TEXT`` alone on a line: the whole request was refused."""

    text: str
    raw: str


class Unparsed(NamedTuple):
    """A line that is not the protocol, kept verbatim with the reason."""

    raw: str
    reason: str


Record = OrderLine | OrderError | MessageLine | ErrorMessage | Unparsed

# Order numbers as they appear on the wire, with or without hyphens; ASCII digits only.
_ORDER = re.compile(r"(\d{3})(-?)(\d{2})\2(\d{4})", re.ASCII)  # both hyphens or none, as OrderId.parse
_STATUS = re.compile(r"[a-z][a-z0-9_]*", re.ASCII)
# The common line, canonical id and a status word, matched in one C call; anything else
# takes the general path in parse_line(). Same records either way.
# "ORDER error_message" (no text) is an OrderError, never a status: leave it to parse_line().
_FAST_LINE = re.compile(r"((\d{3}-\d{2}-\d{4}) (?!error_message)([a-z][a-z0-9_]*))\r?", re.ASCII).fullmatch
# A chunk made only of canonical "ORDER status" lines (the usual pending list, at the stress size too: docs/scale.md)
# is checked by one regex pass and turned into records by C-level map/zip, about three
# times faster than line-by-line matching. Any other chunk takes the per-line path; the
# records are the same either way (a property test feeds both).
_CLEAN_CHUNK = re.compile(
    r"(?:\d{3}-\d{2}-\d{4} [a-z][a-z0-9_]*\n)*\d{3}-\d{2}-\d{4} [a-z][a-z0-9_]*", re.ASCII
).fullmatch
# Records made without the named tuple's Python-level constructor (which checks nothing),
# only in the fast path over a clean chunk, the loop bench.py's parse_100k_s times: the
# stress size's records in 0.054 s of CPU this way, 0.096 s through OrderLine(...) (one
# process, interleaved, min of 15), a third of the whole parse.
_new = tuple.__new__

HTML_REASON = "not the protocol: the body is an HTML page"
MAX_LINE = 64 * 1024  # a longer "line" is not the protocol; keep memory bounded
LONG_REASON = "not the protocol: a line longer than 64 KiB (only its start is kept)"


def _order_id(token: str) -> OrderId | None:
    m = _ORDER.fullmatch(token)
    if m is None:
        return None
    if len(token) == 11:
        return OrderId(token)
    return OrderId(f"{m[1]}-{m[3]}-{m[4]}")


def parse_line(line: str) -> Record | None:
    """One line, already stripped of blanks; ``None`` for a blank line."""
    if not line:
        return None
    parts = line.split(None, 1)
    head = parts[0]
    rest = parts[1] if len(parts) > 1 else ""
    if head == "message":
        return MessageLine(rest, line)
    if head == "error_message":
        return ErrorMessage(rest, line)
    oid = _order_id(head)
    if oid is None:
        return Unparsed(line, "not a protocol line")
    if not rest:
        return Unparsed(line, "order number without a status (truncated line?)")
    if rest.startswith("error_message"):
        msg = rest[13:]
        if msg and not msg[0].isspace():
            return Unparsed(line, "not a protocol line")
        return OrderError(oid, msg.strip(), line)
    if _STATUS.fullmatch(rest) is None:
        return Unparsed(line, "status is not a single lower-case word")
    return OrderLine(oid, rest, line)


class AnswerParser:
    """Incremental parser. ``feed()`` returns the records completed by that chunk."""

    __slots__ = ("_buf", "_closed", "_started", "lines", "non_protocol", "order_lines")

    def __init__(self) -> None:
        self._buf = b""
        self._started = False
        self._closed = False
        self.non_protocol = False  # True once the body is seen to be HTML
        self.lines = 0  # non-blank lines seen
        self.order_lines = 0  # of which OrderLine records

    def feed(self, data: bytes) -> list[Record]:
        if not data:
            return []
        cut = data.rfind(b"\n")
        if cut < 0:
            # Keep at most MAX_LINE + 1 bytes of an unfinished line: enough to know it is
            # over-long, and the same start whatever the chunking.
            room = MAX_LINE + 1 - len(self._buf)
            if room > 0:
                self._buf += data[:room]
            return []
        complete = self._buf + data[:cut] if self._buf else data[:cut]
        self._buf = data[cut + 1 : cut + 2 + MAX_LINE]
        return self._parse_bytes(complete)

    def close(self) -> list[Record]:
        """The end of the body: a final line without a newline still counts."""
        if self._closed:
            return []
        self._closed = True
        rest, self._buf = self._buf, b""
        return self._parse_bytes(rest) if rest else []

    @property
    def pending_bytes(self) -> int:
        """Bytes of an incomplete last line (a truncated answer leaves some)."""
        return len(self._buf)

    def _parse_bytes(self, block: bytes) -> list[Record]:
        """Complete lines; one longer than MAX_LINE becomes one Unparsed of its start."""
        if len(block) <= MAX_LINE or max(map(len, block.split(b"\n"))) <= MAX_LINE:
            return self._parse_text(block.decode("utf-8", "replace"))
        out: list[Record] = []
        short: list[bytes] = []
        for line in block.split(b"\n"):
            if len(line) <= MAX_LINE:
                short.append(line)
                continue
            if short:
                out += self._parse_text(b"\n".join(short).decode("utf-8", "replace"))
                short = []
            text = line[:MAX_LINE].decode("utf-8", "replace")
            raw = text.strip() or text
            if not self._started:
                self._started = True
                self.non_protocol = raw.startswith("<")
            out.append(Unparsed(raw, HTML_REASON if self.non_protocol else LONG_REASON))
            self.lines += 1
        if short:
            out += self._parse_text(b"\n".join(short).decode("utf-8", "replace"))
        return out

    def _parse_text(self, text: str) -> list[Record]:
        out: list[Record] = []
        append = out.append
        if not self._started:
            stripped = text.lstrip()
            if not stripped:
                return out
            self._started = True
            if stripped.startswith("<"):
                self.non_protocol = True
        if self.non_protocol:
            for line in text.split("\n"):
                line = line.strip()
                if line:
                    append(Unparsed(line, HTML_REASON))
            self.lines += len(out)
            return out
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        # "ORDER error_message" looks like a status word to the regex; one substring search
        # is cheaper than a look-ahead on every line.
        if "error_message" not in text and _CLEAN_CHUNK(text) is not None:
            lines = text.split("\n")
            # The regex proved every line is "ID STATUS" with one space, so a
            # whitespace split alternates ids and statuses.
            words = text.split()
            pairs = zip(map(OrderId, words[0::2]), words[1::2], lines, strict=True)
            out = list(map(_new, repeat(OrderLine), pairs))
            self.lines += len(out)
            self.order_lines += len(out)
            return out
        fast = _FAST_LINE
        for line in text.split("\n"):
            m = fast(line)
            if m is not None:
                raw, oid, status = m.groups()
                append(OrderLine(OrderId(oid), status, raw))
                continue
            line = line.strip()
            rec = parse_line(line)
            if rec is not None:
                append(rec)
        self.lines += len(out)
        self.order_lines += sum(1 for r in out if type(r) is OrderLine)
        return out


def parse_answer(body: bytes) -> list[Record]:
    """The whole body at once (the same records as any incremental feeding)."""
    p = AnswerParser()
    return p.feed(body) + p.close()
