"""End to end: the sandbox's receivers whose answers cannot prove what happened, through
the CLI and the store (issue: "Answers that cannot prove what happened").

Each fault behaves like a receiver met in the field: it applies entries and then answers
in a way that says less than it seems. The client must keep every entry it cannot prove
as unknown, send nothing again by itself, and after reconciling never offer a discount or
a tracking number again as if it had been refused. The sandbox's own record of what it
applied is the ground truth.
"""

from __future__ import annotations

import json

import pytest

from ccnow_tui.cli import main, prompts
from ccnow_tui.sandbox.faults import parse_fault

TRACK = "UPS,1Z999AA10123456784"


@pytest.fixture
def env(isolated_dirs, sandbox, monkeypatch, tmp_path):
    monkeypatch.setattr(prompts, "CONTROLLING_TERMINAL", str(tmp_path / "no-terminal"))  # nothing asks
    monkeypatch.setenv("CCNOW_URL", sandbox.url)
    monkeypatch.setenv("CCNOW_CLIENT_ID", "demo")
    monkeypatch.setenv("CCNOW_PASSWORD", sandbox.config.password)
    return sandbox


def batch_csv(tmp_path, rows: list[str]) -> str:
    path = tmp_path / "batch.csv"
    path.write_text("order_id,action,amount,trackname,tracknumber\n" + "".join(r + "\n" for r in rows))
    return str(path)


def held(capsys) -> list[dict]:
    capsys.readouterr()
    assert main(["staged", "--json"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def applied(sandbox) -> list[tuple[str, str]]:
    return [(o, k) for o, k, _ in sandbox.book.applied()]


# fault -> what the sandbox applies of "adjust + track on A, ship on B"
CASES = {
    "first-error": lambda a, b: [(a, "adjust"), (b, "ship")],  # the track refused after the adjust
    "first-error,per-entry-reversed": lambda a, b: [(a, "adjust"), (b, "ship")],
    "late-error": lambda a, b: [(a, "adjust"), (a, "track"), (b, "ship")],
    "two-errors": lambda a, b: [(a, "adjust"), (a, "track"), (b, "ship")],
    "pending-list": lambda a, b: [],
}


@pytest.mark.parametrize("faults", CASES)
def test_an_answer_that_cannot_prove_the_adjust_keeps_it_unknown_and_reconcile_never_restages_it(
    env, capsys, tmp_path, faults
):
    a, b = env.book.pending()[:2]
    env.set_faults([parse_fault(f) for f in faults.split(",")])
    path = batch_csv(tmp_path, [f"{a},adjust,5.00,,", f"{a},track,,{TRACK}", f"{b},ship,,,"])
    sent = env.requests_seen
    code = main(["submit", path, "--yes"])
    err = capsys.readouterr().err
    assert env.requests_seen == sent + 1 and applied(env) == CASES[faults](str(a), str(b))
    assert code == 4, err
    assert "OUTCOME UNKNOWN" in err and "Traceback" not in err
    # Neither the adjust nor the track is "refused" (and so staged again), nor "applied".
    rows = held(capsys)
    mine = {(r["order_id"], r["action"]): r for r in rows}
    assert mine[(str(a), "adjust")]["state"] == mine[(str(a), "track")]["state"] == "unknown", rows
    env.set_faults([])
    # Reconcile: one query, nothing sent again, the discount never comes back as staged;
    # it is left unverified or not re-staged, for a person: exit 6.
    assert main(["reconcile", "--yes"]) == 6
    out = capsys.readouterr().out
    assert f"{a} adjust unverified" in out or f"{a} adjust not_restaged" in out, out
    staged_now = [(r["order_id"], r["action"]) for r in held(capsys) if r["state"] == "staged"]
    assert (str(a), "adjust") not in staged_now and (str(a), "track") not in staged_now
    assert applied(env) == CASES[faults](str(a), str(b))  # still: nothing was sent again


def test_a_receiver_that_answers_each_entry_in_reverse_proves_only_what_each_line_can(env, capsys, tmp_path):
    a = env.book.pending()[0]
    env.set_faults([parse_fault("per-entry-reversed")])
    path = batch_csv(tmp_path, [f"{a},adjust,5.00,,", f"{a},track,,{TRACK}", f"{a},ship,,,"])
    assert main(["submit", path, "--yes"]) == 4
    capsys.readouterr()
    assert applied(env) == [(str(a), "adjust"), (str(a), "track"), (str(a), "ship")]
    rows = {r["action"]: r["state"] for r in held(capsys)}
    # Paired in order, the adjust meets "mark_shipped" and the ship meets "pending": neither
    # is proved. The track's line, "pending", is true of any order the track was applied to.
    assert rows == {"adjust": "unknown", "ship": "unknown"}, rows


def test_a_single_entry_refused_by_its_line_is_still_refused(env, capsys, tmp_path):
    b = env.book.pending()[0]
    env.set_faults([parse_fault("first-error")])
    done = env.book.with_status("completed")[0]
    path = batch_csv(tmp_path, [f"{done},adjust,5.00,,", f"{b},ship,,,"])
    assert main(["submit", path, "--yes"]) == 1
    out = capsys.readouterr()
    assert f"{done} error_message order_not_pending" in out.out and "1 applied, 1 refused, 0 unknown" in out.err
    assert applied(env) == [(str(b), "ship")] and held(capsys) == []  # refused: nothing held unknown
