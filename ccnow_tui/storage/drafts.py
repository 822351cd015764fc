"""The draft: entries staged but not yet sent, and batches whose outcome is unknown.

A draft is the operator's unsent work, so it is saved atomically (a crash leaves the
old draft or the new one, never half of either) and a draft that cannot be read is
moved aside, never deleted and never half-loaded: loading half would let the next save
silently drop the rest. Batches with an unknown outcome stay here until reconciled,
because re-sending them blindly could ship, cancel or refund twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..protocol.actions import ActionError, StagedAction
from ..protocol.redact import redact
from .atomic import atomic_write_private, compact_json, fsync_dir, mask_json
from .paths import profile_dir

DRAFT_NAME = "draft.json"
DRAFT_VERSION = 1


class DraftCorrupt(ValueError):
    """The draft file cannot be used as a whole; the message says why."""


@dataclass
class UnknownBatch:
    """A batch that was sent but whose answer was lost; kept until reconciled."""

    batch_id: str
    sent_at: str
    host: str
    entries: list[StagedAction] = field(default_factory=list)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "sent_at": self.sent_at,
            "host": self.host,
            "entries": [entry.to_dict() for entry in self.entries],
            "note": self.note,
        }


@dataclass
class Draft:
    entries: list[StagedAction] = field(default_factory=list)
    unknown_batches: list[UnknownBatch] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": DRAFT_VERSION,
            "entries": [entry.to_dict() for entry in self.entries],
            "unknown_batches": [batch.to_dict() for batch in self.unknown_batches],
        }


@dataclass(frozen=True)
class DraftLoad:
    draft: Draft
    message: str | None = None
    moved_aside: Path | None = None


def draft_path(profile: str) -> Path:
    return profile_dir(profile) / DRAFT_NAME


class DraftStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        # The JSON of each entry last written. The draft is rewritten on every change, and
        # a change touches a few entries: re-encoding 100,000 unchanged ones each time
        # would freeze the UI for half a second per keystroke. Holds only the entries of
        # the last draft written. Keyed by id() (hashing a StagedAction costs more than
        # the lookup saves); the entry is held in the value, so its id cannot be reused.
        self._encoded: dict[int, tuple[StagedAction, str]] = {}

    @classmethod
    def for_profile(cls, profile: str) -> "DraftStore":
        return cls(draft_path(profile))

    def save(self, draft: Draft) -> None:
        previous, encoded, parts = self._encoded, {}, []
        for entry in draft.entries:
            key = id(entry)
            hit = previous.get(key)
            if hit is None or hit[0] is not entry:
                hit = (entry, compact_json(entry.to_dict()))
            encoded[key] = hit
            parts.append(hit[1])
        entries = ",".join(parts)
        unknown = compact_json([batch.to_dict() for batch in draft.unknown_batches])
        text = f'{{"version":{DRAFT_VERSION},"entries":[{entries}],"unknown_batches":{unknown}}}'
        atomic_write_private(self.path, (mask_json(text) + "\n").encode("utf-8"))
        self._encoded = encoded

    def load(self) -> DraftLoad:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return DraftLoad(Draft())
        except OSError as exc:
            return self._move_aside(f"it cannot be read: {exc.strerror or exc}")
        try:
            return DraftLoad(parse_draft(raw))
        except DraftCorrupt as exc:
            return self._move_aside(str(exc))

    def _move_aside(self, why: str) -> DraftLoad:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while aside.exists():  # two bad drafts within one second: keep both
            n += 1
            aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
        self.path.rename(aside)
        fsync_dir(self.path.parent)
        message = redact(
            f"The draft {self.path} could not be loaded ({why}). It was moved aside to "
            f"{aside} and an empty draft was started; nothing was deleted."
        )
        return DraftLoad(Draft(), message, aside)


def parse_draft(raw: bytes) -> Draft:
    """The draft stored in ``raw``, or :class:`DraftCorrupt` naming the first problem."""
    try:
        data = json.loads(raw)
    except ValueError as exc:  # also UnicodeDecodeError
        raise DraftCorrupt(f"not valid JSON: {getattr(exc, 'msg', exc)}") from None
    _expect_keys(data, "the file", required={"version", "entries"}, optional={"unknown_batches"})
    version = data["version"]
    if type(version) is not int or version != DRAFT_VERSION:
        raise DraftCorrupt(f"unknown version {version!r} (this program reads version {DRAFT_VERSION})")
    entries = _entries(data["entries"])
    batches_raw = data.get("unknown_batches", [])
    if not isinstance(batches_raw, list):
        raise DraftCorrupt("'unknown_batches' is not a list")
    batches = [_unknown_batch(item, i) for i, item in enumerate(batches_raw, 1)]
    return Draft(entries, batches)


def _expect_keys(data: object, where: str, *, required: set[str], optional: set[str]) -> None:
    if not isinstance(data, dict):
        raise DraftCorrupt(f"{where} is not a JSON object")
    missing = sorted(required - data.keys())
    if missing:
        raise DraftCorrupt(f"{where} lacks {', '.join(map(repr, missing))}")
    unknown = sorted(data.keys() - required - optional)
    if unknown:  # would be dropped by the next save
        raise DraftCorrupt(f"{where} has unknown keys {', '.join(map(repr, unknown))}")


def _entries(items: object, prefix: str = "") -> list[StagedAction]:
    if not isinstance(items, list):
        raise DraftCorrupt(f"{prefix}'entries' is not a list")
    out = []
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise DraftCorrupt(f"{prefix}entry #{i} is not a JSON object")
        try:
            out.append(StagedAction.from_dict(item))
        except (ActionError, TypeError, ValueError) as exc:
            raise DraftCorrupt(f"{prefix}entry #{i} is invalid: {exc}") from None
    return out


def _unknown_batch(item: object, i: int) -> UnknownBatch:
    where = f"unknown batch #{i}"
    _expect_keys(item, where, required={"batch_id", "sent_at", "host", "entries"}, optional={"note"})
    assert isinstance(item, dict)
    for key in ("batch_id", "sent_at", "host", "note"):
        if not isinstance(item.get(key, ""), str):
            raise DraftCorrupt(f"{where}: {key!r} is not text")
    if not item["batch_id"]:
        raise DraftCorrupt(f"{where}: 'batch_id' is empty")
    entries = _entries(item["entries"], f"{where}: ")
    return UnknownBatch(item["batch_id"], item["sent_at"], item["host"], entries, item.get("note", ""))
