"""The draft store: atomic, private saves; a bad draft is moved aside, never half-loaded."""

from __future__ import annotations

import json
import re
import stat

import pytest

from ccnow_tui.protocol import Secret, StagedAction
from ccnow_tui.storage import Draft, DraftStore, UnknownBatch, draft_path


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def sample_draft() -> Draft:
    return Draft(
        entries=[
            StagedAction.make("396101142", "adjust", amount="5", notes="sorry for the delay"),
            StagedAction.make("396-10-1142", "track", trackname="UPS", tracknumber="1Z999"),
            StagedAction.make("396101142", "ship"),
        ],
        unknown_batches=[
            UnknownBatch("b7", "2026-01-02T03:04:05+00:00", "www.ccnow.com",
                         [StagedAction.make("396101143", "cancel", notes="out of stock")], "connection reset"),
        ],
    )


def test_save_and_load_round_trip_in_private_profile_dir(isolated_dirs):
    store = DraftStore.for_profile("shop")
    store.save(sample_draft())

    assert store.path == draft_path("shop") and store.path.name == "draft.json"
    assert mode(store.path) == 0o600 and mode(store.path.parent) == 0o700
    loaded = store.load()
    assert loaded.draft == sample_draft()
    assert loaded.message is None and loaded.moved_aside is None
    assert json.loads(store.path.read_text())["version"] == 1


def test_repeated_saves_replace_the_file_and_leave_no_temp_files(tmp_path):
    store = DraftStore(tmp_path / "draft.json")
    store.save(sample_draft())
    store.save(Draft(entries=[StagedAction.make("396101144", "query")]))

    assert sorted(p.name for p in tmp_path.iterdir()) == ["draft.json"]
    assert [e.order_id for e in store.load().draft.entries] == ["396-10-1144"]


def test_a_failed_replace_keeps_nothing_but_what_was_there(tmp_path):
    target = tmp_path / "draft.json"
    target.mkdir()  # os.replace cannot put a file over a non-empty directory
    (target / "keep").write_text("x")
    with pytest.raises(OSError):
        DraftStore(target).save(sample_draft())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["draft.json"]
    assert (target / "keep").read_text() == "x"


def test_missing_draft_loads_empty(tmp_path):
    loaded = DraftStore(tmp_path / "draft.json").load()
    assert loaded.draft == Draft() and loaded.message is None and loaded.moved_aside is None
    assert list(tmp_path.iterdir()) == []


def write_and_load(tmp_path, content: str | bytes):
    path = tmp_path / "draft.json"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path, DraftStore(path).load()


GOOD_ENTRY = {"order_id": "396101142", "action": "ship"}


@pytest.mark.parametrize(
    "content, why",
    [
        ('{"version": 1, "entries": [', "not valid JSON"),
        (b"\xff\xfe{}", "not valid JSON"),
        ("[]", "not a JSON object"),
        ('{"version": 2, "entries": []}', "unknown version 2"),
        ('{"version": true, "entries": []}', "unknown version True"),
        ('{"entries": []}', "lacks 'version'"),
        ('{"version": 1, "entries": {}}', "'entries' is not a list"),
        ('{"version": 1, "entries": [], "extra": 1}', "unknown keys 'extra'"),
        (json.dumps({"version": 1, "entries": [GOOD_ENTRY, {"order_id": "12", "action": "ship"}]}),
         "entry #2 is invalid: order_id"),
        (json.dumps({"version": 1, "entries": [{"order_id": "396101142", "action": "adjust", "amount": "-1"}]}),
         "entry #1 is invalid: amount"),
        (json.dumps({"version": 1, "entries": [], "unknown_batches": [{"batch_id": "b", "sent_at": "t", "host": "h"}]}),
         "unknown batch #1 lacks 'entries'"),
        (json.dumps({"version": 1, "entries": [], "unknown_batches": [
            {"batch_id": "b", "sent_at": "t", "host": "h", "entries": [{"order_id": "396101142", "action": "explode"}]}]}),
         "unknown batch #1: entry #1 is invalid: action"),
    ],
)
def test_unusable_draft_is_moved_aside_with_a_reason(tmp_path, content, why):
    path, loaded = write_and_load(tmp_path, content)

    assert loaded.draft == Draft()  # never half-loaded, even when entry #1 was fine
    assert not path.exists()
    assert loaded.moved_aside is not None and loaded.moved_aside.parent == tmp_path
    assert re.fullmatch(r"draft\.json\.corrupt-\d{8}T\d{6}", loaded.moved_aside.name)
    expected = content.encode() if isinstance(content, str) else content
    assert loaded.moved_aside.read_bytes() == expected  # nothing lost
    assert why in loaded.message
    assert str(path) in loaded.message and str(loaded.moved_aside) in loaded.message


def test_two_bad_drafts_are_both_kept(tmp_path):
    _, first = write_and_load(tmp_path, "{")
    _, second = write_and_load(tmp_path, "[")
    assert first.moved_aside != second.moved_aside
    assert first.moved_aside.read_text() == "{" and second.moved_aside.read_text() == "["


def test_saving_after_a_bad_draft_starts_fresh(tmp_path):
    path, loaded = write_and_load(tmp_path, "garbage")
    store = DraftStore(path)
    store.save(loaded.draft)
    assert store.load().message is None
    assert loaded.moved_aside.read_text() == "garbage"


def test_password_in_a_note_is_never_written(tmp_path):
    raw = "s3cr3t-Draft-Pässword"
    Secret(raw)
    store = DraftStore(tmp_path / "draft.json")
    draft = Draft(
        entries=[StagedAction.make("396101142", "cancel", notes=f"my password is {raw}")],
        unknown_batches=[UnknownBatch("b1", "t", "h", [], note=f"lost; {raw}")],
    )
    store.save(draft)

    assert raw not in store.path.read_text("utf-8")
    loaded = store.load()
    assert loaded.message is None and raw not in loaded.draft.entries[0].notes


def test_rewrites_after_changes_hold_exactly_the_current_entries(isolated_dirs):
    # The store re-uses the JSON of entries it wrote before; every rewrite must still be
    # exactly the draft as it is now (removed, added, replaced and repeated entries).
    store = DraftStore.for_profile("shop")
    draft = sample_draft()
    store.save(draft)
    first = draft.entries[0]
    edited = StagedAction.make(first.order_id, "cancel", notes="out of stock")
    changes = [
        lambda d: d.entries.pop(0),
        lambda d: d.entries.append(StagedAction.make("396-10-1199", "adjust", amount="2.50")),
        lambda d: d.entries.__setitem__(0, edited),
        lambda d: d.entries.append(d.entries[0]),  # the same object twice
        lambda d: d.entries.append(StagedAction.make(edited.order_id, "cancel", notes="out of stock")),  # equal, new object
        lambda d: d.entries.clear(),
    ]
    for change in changes:
        change(draft)
        store.save(draft)
        assert json.loads(store.path.read_text()) == draft.to_dict()
        assert store.load().draft == draft
