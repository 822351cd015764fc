"""The journal: durable, private, secret-free, and readable after a crash."""

from __future__ import annotations

import json
import stat
import time
from datetime import datetime

from ccnow_tui.protocol import Secret, StagedAction
from ccnow_tui.storage import NO_OUTCOME, Journal, data_dir, journal_path, profile_dir


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def entry(order: str, action: str = "ship", **fields) -> dict:
    return StagedAction.make(order, action, **fields).to_dict()


def result(order: str, outcome: str = "applied", status: str = "mark_shipped") -> dict:
    return {"order_id": order, "action": "ship", "outcome": outcome, "status": status, "message": ""}


def test_journal_lives_in_private_profile_dir(isolated_dirs):
    journal = Journal.for_profile("shop")
    journal.record_submit("b1", "shop", "example.test", [entry("396101142")])

    assert journal.path == isolated_dirs.data_home / "ccnow-tui" / "profiles" / "shop" / "journal.jsonl"
    assert mode(journal.path) == 0o600
    for directory in (isolated_dirs.data_home, data_dir(), data_dir() / "profiles", journal.path.parent):
        assert mode(directory) == 0o700, directory


def test_profiles_get_separate_directories(isolated_dirs):
    assert journal_path("demo") != journal_path("shop")
    # Names that are not plain file names still get their own directory inside profiles/.
    odd = [profile_dir(name) for name in ("../x", "a/b", "a_b", "..", "Shop Main")]
    assert len(set(odd)) == len(odd)
    assert all(p.parent == data_dir() / "profiles" for p in odd)


def test_append_adds_utc_time_and_keeps_a_given_one(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    journal.append({"event": "note"})
    journal.append({"event": "note", "time": "2020-01-01T00:00:00+00:00"})

    first, second = journal.read().events
    assert datetime.fromisoformat(first["time"]).utcoffset().total_seconds() == 0
    assert second["time"] == "2020-01-01T00:00:00+00:00"


def test_submit_and_outcome_records_store_canonical_order_ids(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    journal.record_submit("b1", "shop", "example.test", [{"order_id": "396101142", "action": "ship"}])
    journal.record_outcome("b1", "shop", "example.test", "applied", ["396101142 mark_shipped"],
                           [result("396101142")], "ok")

    submit, outcome = journal.read().events
    assert submit["event"] == "submit" and submit["entries"][0]["order_id"] == "396-10-1142"
    assert outcome["event"] == "outcome" and outcome["results"][0]["order_id"] == "396-10-1142"
    assert outcome["answer_lines"] == ["396101142 mark_shipped"] and outcome["message"] == "ok"


def test_password_is_never_written(tmp_path):
    raw = 'Hunter2-"quoted"\\and-ünïcode'
    Secret(raw)
    journal = Journal(tmp_path / "j.jsonl")
    journal.record_submit("b1", "shop", "example.test", [entry("396101142", "cancel", notes=f"pw {raw} oops")])
    journal.record_outcome("b1", "shop", "example.test", "error", [f"error_message bad {raw}"], [], f"msg {raw}")
    journal.append({"event": "note", raw: "key too", "secret": Secret(raw)})

    text = journal.path.read_text("utf-8")
    assert raw not in text
    assert json.dumps(raw, ensure_ascii=False)[1:-1] not in text  # the JSON-escaped spelling
    assert json.dumps(raw)[1:-1] not in text
    assert len(journal.read().events) == 3


def test_truncated_last_line_is_reported_and_the_next_record_survives(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    journal.record_submit("b1", "shop", "h", [entry("396101142")])
    journal.record_outcome("b1", "shop", "h", "applied", [], [result("396101142")])
    with open(journal.path, "ab") as handle:  # a crash in the middle of a write
        handle.write(b'{"event": "submit", "batch_id": "b2", "entr')

    read = journal.read()
    assert [e["batch_id"] for e in read.events] == ["b1", "b1"]
    assert len(read.problems) == 1
    assert "line 3" in read.problems[0] and "cut short" in read.problems[0]

    journal.record_submit("b3", "shop", "h", [entry("396101143")])
    read = journal.read()
    assert [e["batch_id"] for e in read.events] == ["b1", "b1", "b3"]
    assert len(read.problems) == 1 and "line 3" in read.problems[0]


def test_corrupt_middle_line_is_skipped_with_its_line_number(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    journal.append({"event": "note", "n": 1})
    with open(journal.path, "ab") as handle:
        handle.write(b"not json\n[1, 2]\n\xff\xfe\n\n")
    journal.append({"event": "note", "n": 2})

    read = journal.read()
    assert [e["n"] for e in read.events] == [1, 2]
    assert [p.split(": line ")[1].split(":")[0] for p in read.problems] == ["2", "3", "4"]
    assert "not a JSON object" in read.problems[1]


def test_reading_a_missing_journal_is_empty(tmp_path):
    journal = Journal(tmp_path / "nothing.jsonl")
    assert journal.read().events == [] and journal.read().problems == []
    assert journal.history("396101142") == [] and journal.last_event_by_order() == {}


def test_history_joins_each_submit_to_its_outcome(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    journal.record_submit("A", "shop", "h", [entry("396101142", "adjust", amount="5"), entry("396101143")])
    journal.record_outcome("A", "shop", "h", "applied",
                           ["396-10-1142 pending", "396-10-1143 mark_shipped"],
                           [result("396-10-1142", status="pending"), result("396-10-1143")])
    journal.record_submit("B", "shop", "h", [entry("396-10-1143", "cancel")])  # another order only
    journal.record_submit("C", "shop", "h", [entry("396-10-1142")])           # crashed in flight

    items = journal.history("396101142")  # either spelling
    assert [i["batch_id"] for i in items] == ["A", "C"]
    a, c = items
    assert [e["action"] for e in a["entries"]] == ["adjust"]
    assert a["outcome"] == "applied" and a["results"] == [result("396-10-1142", status="pending")]
    assert a["answer_lines"] == ["396-10-1142 pending"] and a["outcome_time"]
    assert c["outcome"] == NO_OUTCOME and c["outcome_time"] is None and c["results"] == []


def test_history_uses_the_latest_outcome_and_lists_orphan_events(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    journal.record_outcome("X", "shop", "h", "applied", [], [result("396101142")])  # its submit is gone
    journal.record_submit("A", "shop", "h", [entry("396101142")])
    journal.record_outcome("A", "shop", "h", "unknown", [], [], "connection reset")
    journal.record_outcome("A", "shop", "h", "reconciled", [], [result("396101142")])

    orphan, a = journal.history("396-10-1142")
    assert orphan["event"] == "outcome" and orphan["batch_id"] == "X"
    assert a["outcome"] == "reconciled" and a["results"] == [result("396-10-1142")]


def test_last_event_by_order_counts_a_whole_request_failure_for_its_orders(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    journal.record_submit("A", "shop", "h", [entry("396101142"), entry("396101143")])
    journal.record_outcome("A", "shop", "h", "refused", ["error_message invalid login"], [], "invalid login")
    journal.record_submit("B", "shop", "h", [entry("396101143", "cancel")])

    last = journal.last_event_by_order()
    assert set(last) == {"396-10-1142", "396-10-1143"}
    assert last["396-10-1142"]["event"] == "outcome" and last["396-10-1142"]["outcome"] == "refused"
    assert last["396-10-1143"]["event"] == "submit" and last["396-10-1143"]["batch_id"] == "B"


def test_last_event_by_order_scales_to_a_large_queue(tmp_path):
    journal = Journal(tmp_path / "j.jsonl")
    orders = [f"{n:09d}" for n in range(100_000, 200_000)]
    for b in range(100):
        chunk = orders[b * 1000:(b + 1) * 1000]
        journal.record_submit(f"b{b}", "shop", "h", [{"order_id": o, "action": "ship"} for o in chunk])
        journal.record_outcome(f"b{b}", "shop", "h", "applied", [], [result(o) for o in chunk])

    started = time.perf_counter()
    last = journal.last_event_by_order()
    elapsed = time.perf_counter() - started
    assert len(last) == 100_000
    assert last["000-19-9999"]["batch_id"] == "b99" and last["000-19-9999"]["event"] == "outcome"
    assert elapsed < 15, elapsed  # generous: a quadratic scan would take minutes
