"""`ccnow-tui stage` and `staged`: files staged into the profile's store from the shell,
without sending, for a person to review and send in the TUI (issue #9, item 2).

Loopback only, against the sandbox built like the demo's (seed 7, 40 pending orders: the
example label files name its orders). The sandbox's request count shows that staging
never contacts the receiver; the store is read back with ``Store.for_profile``; the TUI's
side is the ``StagingArea`` it uses, on the same store.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SANDBOX_PASSWORD

from ccnow_tui.cli import main, prompts
from ccnow_tui.client import ReceiverClient
from ccnow_tui.config.load import ENV_PROFILE
from ccnow_tui.domain.answers import ReceiverAnswer
from ccnow_tui.domain.staging import ClaimConflict, StagingArea
from ccnow_tui.protocol import OrderId, StagedAction
from ccnow_tui.protocol.actions import ActionKind
from ccnow_tui.protocol.batch import Severity
from ccnow_tui.protocol.form import Credentials
from ccnow_tui.protocol.redact import Secret
from ccnow_tui.storage.store import BatchMeta, Store

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
HEADER = "order_id,action,notes,amount,trackname,tracknumber\n"


@pytest.fixture
def demo_sandbox():
    from ccnow_tui.sandbox.server import SandboxConfig, SandboxServer

    server = SandboxServer(
        SandboxConfig(port=0, seed=7, orders=40, password=SANDBOX_PASSWORD, log=io.StringIO())
    ).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def env(isolated_dirs, demo_sandbox, monkeypatch, tmp_path):
    """Settings from the environment (profile "env"), a receiver to point at, and no
    password anywhere: stage must not need one."""
    monkeypatch.setattr(prompts, "CONTROLLING_TERMINAL", str(tmp_path / "no-terminal"))
    monkeypatch.setenv("CCNOW_URL", demo_sandbox.url)
    monkeypatch.setenv("CCNOW_CLIENT_ID", "demo")
    return demo_sandbox


def write(tmp_path, text, name="batch.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def staged_actions() -> list[StagedAction]:
    with Store.for_profile(ENV_PROFILE) as store:
        return [e.action for e in store.snapshot().staged]


def pending(env, n):
    return [str(o) for o in env.book.pending()[:n]]


def test_stage_submit_csv_stages_in_file_order_and_sends_nothing(env, capsys, tmp_path):
    a, b = pending(env, 2)
    before = env.requests_seen
    path = write(tmp_path, HEADER + f"{a},ship,,,,\n{a},adjust,Damaged box,5,,\n{b},track,,,UPS,1Z999\n")
    assert main(["stage", path]) == 0
    out = capsys.readouterr()
    assert out.out == ""
    assert "3 entries staged in env's store, nothing sent; review them with `ccnow-tui` (b), remove with d" in out.err
    assert "u cannot undo" in out.err
    assert staged_actions() == [
        StagedAction.make(a, "ship"),
        StagedAction.make(a, "adjust", notes="Damaged box", amount="5"),
        StagedAction.make(b, "track", trackname="UPS", tracknumber="1Z999"),
    ]
    assert env.requests_seen == before
    assert env.book.status(OrderId.parse(a)) == "pending"


def test_staged_lists_staged_entries_as_text_and_json_lines(env, capsys, tmp_path):
    a, b = pending(env, 2)
    path = write(tmp_path, HEADER + f'{a},adjust,"Box ""dented""",5,,\n{b},track,,,USPS,9400 1234\n{a},ship,,,,\n')
    assert main(["stage", path]) == 0
    capsys.readouterr()
    before = env.requests_seen
    assert main(["staged"]) == 0
    out = capsys.readouterr()
    assert out.out.splitlines() == [
        f'{a} staged adjust amount=5.00 notes="Box \\"dented\\""',
        f'{b} staged track trackname=USPS tracknumber="9400 1234"',
        f"{a} staged ship",
    ]
    assert "profile env: 3 entries staged" in out.err
    assert main(["staged", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["order_id"], r["action"], r["state"], r["batch_id"]) for r in rows] == [
        (a, "adjust", "staged", None),
        (b, "track", "staged", None),
        (a, "ship", "staged", None),
    ]
    assert rows[0]["notes"] == 'Box "dented"' and rows[0]["amount"] == "5.00"
    assert rows[1]["trackname"] == "USPS" and rows[1]["tracknumber"] == "9400 1234"
    assert env.requests_seen == before


def test_stage_a_shipstation_label_file_stages_track_then_ship(env, capsys):
    before = env.requests_seen
    assert main(["stage", "--labels", str(EXAMPLES / "labels-shipstation.csv")]) == 0
    err = capsys.readouterr().err
    assert "order statuses were not checked" in err
    assert "20 entries staged in env's store" in err
    actions = staged_actions()
    assert [a.kind for a in actions] == [ActionKind.TRACK, ActionKind.SHIP] * 10
    assert actions[0] == StagedAction.make("186-92-8199", "track", trackname="UPS", tracknumber="1Z4E5F620382304355")
    assert actions[1] == StagedAction.make("186-92-8199", "ship")
    # The example file names the demo sandbox's pending orders, and nothing reached it.
    assert all(env.book.status(a.order_id) == "pending" for a in actions)
    assert env.requests_seen == before


def test_stage_a_pirateship_label_file_from_stdin_track_only(env, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO((EXAMPLES / "labels-pirateship.csv").read_text()))
    assert main(["stage", "-", "--labels", "--track-only"]) == 0
    assert "10 entries staged" in capsys.readouterr().err
    actions = staged_actions()
    assert {a.kind for a in actions} == {ActionKind.TRACK} and len(actions) == 10
    assert actions[0] == StagedAction.make(
        "186-92-8274", "track", trackname="USPS", tracknumber="9400097505843116396376"
    )  # as USPS writes it


def test_stage_bad_csv_reports_every_problem_and_stages_nothing(env, capsys, tmp_path):
    a = pending(env, 1)[0]
    assert main(["stage", write(tmp_path, HEADER + f"{a},ship,,,,\n")]) == 0  # something staged before
    capsys.readouterr()
    path = write(tmp_path, HEADER + f"{a},track,,,UPS,1Z1\n12345,ship,,,,\n{a},adjust,,$5,,\n{a},fly,,,,\n", "bad.csv")
    assert main(["stage", path]) == 2
    err = capsys.readouterr().err
    assert f"{path}: line 3: order_id: '12345' is not a CCNow order number" in err
    assert f"{path}: line 4: amount" in err and f"{path}: line 5: action: 'fly'" in err
    assert staged_actions() == [StagedAction.make(a, "ship")]  # the file's good row was not staged either


def test_stage_refuses_ship_and_cancel_in_one_file_like_submit(env, capsys, tmp_path):
    a = pending(env, 1)[0]
    assert main(["stage", write(tmp_path, f"order_id,action\n{a},ship\n{a},cancel\n")]) == 2
    assert "ship and cancel on one order" in capsys.readouterr().err
    assert staged_actions() == []


def test_stage_labels_rejected_rows_stage_nothing_unless_skip_rejected(env, capsys, tmp_path):
    a, b = pending(env, 2)
    path = write(
        tmp_path,
        "Order Number,Carrier,Tracking Number\n"
        f"{a},UPS,1Z1\n{b},UPS,1Z2\n{b},UPS,1Z3\nno order here,UPS,1Z4\n{a},UPS,1Z-1\n",
        "l.csv",
    )
    assert main(["stage", "--labels", path]) == 2
    err = capsys.readouterr().err
    assert f"{path}: line 3: order {b} has conflicting tracking" in err and f"{path}: line 4: order {b}" in err
    assert f"{path}: line 5: no order number in 'no order here'" in err
    assert f"{path}: line 6: duplicate of line 2" in err
    assert "4 rows were rejected (--skip-rejected stages the others); nothing staged" in err
    assert staged_actions() == []

    assert main(["stage", "--labels", path, "--skip-rejected"]) == 1
    err = capsys.readouterr().err
    assert f"rejected, not staged: {path}: line 5: no order number" in err
    assert "2 entries staged" in err
    assert staged_actions() == [
        StagedAction.make(a, "track", trackname="UPS", tracknumber="1Z1"),
        StagedAction.make(a, "ship"),
    ]


def test_stage_labels_with_no_accepted_row_is_an_input_error_even_with_skip_rejected(env, capsys, tmp_path):
    path = write(tmp_path, "Order Number,Carrier,Tracking Number\nnothing,UPS,1Z1\n", "l.csv")
    assert main(["stage", "--labels", path, "--skip-rejected"]) == 2
    assert "no row was accepted; nothing staged" in capsys.readouterr().err
    assert staged_actions() == []


def test_stage_label_options_go_with_labels(env, capsys, tmp_path):
    path = write(tmp_path, HEADER + f"{pending(env, 1)[0]},ship,,,,\n")
    assert main(["stage", path, "--track-only"]) == 2
    assert "go with --labels" in capsys.readouterr().err
    assert staged_actions() == []


def test_stage_takes_no_connection_options(env, capsys, tmp_path):
    path = write(tmp_path, HEADER + f"{pending(env, 1)[0]},ship,,,,\n")
    with pytest.raises(SystemExit) as exc:
        main(["stage", path, "--url", env.url])
    assert exc.value.code == 2


def test_the_tui_side_sees_cli_staged_entries_and_sends_them(env, capsys, tmp_path):
    a, b = pending(env, 2)
    assert main(["stage", write(tmp_path, HEADER + f"{a},ship,,,,\n{b},track,,,UPS,1ZTUI\n")]) == 0
    before = env.requests_seen
    with Store.for_profile(ENV_PROFILE) as store:
        area = StagingArea(store)
        assert area.entries == (
            StagedAction.make(a, "ship"),
            StagedAction.make(b, "track", trackname="UPS", tracknumber="1ZTUI"),
        )
        assert [lint for lint in area.lint() if lint.severity is Severity.ERROR] == []
        client = ReceiverClient(env.url, Credentials("demo", Secret(SANDBOX_PASSWORD)), profile=ENV_PROFILE)
        claim = area.claim(area.batch(), BatchMeta(client.url, client.address, "demo", "", ENV_PROFILE))
        assert area.entries == () and [b.batch_id for b in area.held] == [claim.batch_id]

        async def send():
            async with client:
                answer = None
                async for ev in client.submit(claim.batch, batch_id=claim.batch_id):
                    if isinstance(ev, ReceiverAnswer):
                        answer = ev
                return answer

        answer = asyncio.run(send())
        report = area.settle(claim, answer)
        assert report.applied == list(claim.batch.staged) and not report.refused and not report.unknown
        assert area.is_empty
    assert env.requests_seen == before + 1
    assert env.book.status(OrderId.parse(a)) == "mark_shipped"
    capsys.readouterr()
    assert main(["staged"]) == 0
    out = capsys.readouterr()
    assert out.out == "" and "profile env: 0 entries staged" in out.err


def _child_env() -> dict[str, str]:
    environ = dict(os.environ)
    environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(Path(__file__).resolve().parent.parent), environ.get("PYTHONPATH")])
    )
    return environ


def test_a_password_in_a_staged_note_is_refused_at_send_time(env, capsys, tmp_path):
    """`stage` (another process, which does not know the password) stages the note; the
    sending process, which does, shows a lint error and never claims it."""
    a, b = pending(env, 2)
    path = write(tmp_path, HEADER + f"{a},cancel,code {SANDBOX_PASSWORD} ok,,,\n{b},ship,,,,\n")
    run = subprocess.run(
        [sys.executable, "-m", "ccnow_tui", "stage", path], env=_child_env(), capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    before = env.requests_seen
    Secret(SANDBOX_PASSWORD)  # the TUI has the password once it starts: registered for masking
    with Store.for_profile(ENV_PROFILE) as store:
        area = StagingArea(store)
        errors = [lint for lint in area.lint() if lint.severity is Severity.ERROR]
        assert len(errors) == 1 and errors[0].order_id == OrderId.parse(a) and errors[0].staged_indexes == (0,)
        assert "the notes of the cancel entry contains the API password" in errors[0].message
        assert SANDBOX_PASSWORD not in errors[0].message
        meta = BatchMeta(env.url, "127.0.0.1", "demo", "", ENV_PROFILE)
        with pytest.raises(ClaimConflict) as exc:
            area.claim(area.batch(), meta)
        assert "contains the API password" in str(exc.value) and SANDBOX_PASSWORD not in str(exc.value)
        assert len(area.entries) == 2 and area.held == []  # nothing claimed
        area.remove([0])  # what d does: the rest can go
        assert area.claim(area.batch(), meta).batch.entries == [StagedAction.make(b, "ship")]
    assert env.requests_seen == before


HOLDER = """
import sys
from ccnow_tui.protocol import StagedAction
from ccnow_tui.storage.store import BatchMeta, Store
store = Store.for_profile("env")
batch_id = store.claim([(1, None, 0, StagedAction.make(sys.argv[1], "ship"))],
                       BatchMeta("http://127.0.0.1/", "127.0.0.1", "demo", "", "env"))
print("CLAIMED", batch_id, flush=True)
sys.stdin.readline()
"""


def test_stage_while_another_process_holds_a_batch_for_the_order(env, capsys, tmp_path):
    a, b = pending(env, 2)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, a], env=_child_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        line = holder.stdout.readline().split()
        assert line[:1] == ["CLAIMED"], line
        batch_id = line[1]
        path = write(tmp_path, HEADER + f"{a},track,,,UPS,1Z1\n{b},ship,,,,\n")
        assert main(["stage", path]) == 0  # staging is allowed: sending is what is blocked
        err = capsys.readouterr().err
        assert f"lint error: {a} is being sent right now by process {holder.pid}" in err
        assert f"(batch {batch_id})" in err and "2 entries staged" in err
        with Store.for_profile(ENV_PROFILE) as store:
            area = StagingArea(store)
            assert area.entries == (
                StagedAction.make(a, "track", trackname="UPS", tracknumber="1Z1"),
                StagedAction.make(b, "ship"),
            )
            errors = [lint for lint in area.lint() if lint.severity is Severity.ERROR]
            assert [(e.order_id, e.staged_indexes) for e in errors] == [(OrderId.parse(a), (0,))]
            assert f"being sent right now by process {holder.pid}" in errors[0].message
            with pytest.raises(ClaimConflict):
                area.claim(area.batch(), BatchMeta(env.url, "127.0.0.1", "demo", "", ENV_PROFILE))
        assert main(["staged"]) == 0
        out = capsys.readouterr()
        assert out.out.splitlines() == [
            f"{a} staged track trackname=UPS tracknumber=1Z1",
            f"{b} staged ship",
            f"{a} SENDING ship batch={batch_id}",
        ]
        assert f"batch {batch_id} in flight (SENDING, process {holder.pid}" in out.err
        assert main(["staged", "--json"]) == 0
        held = json.loads(capsys.readouterr().out.splitlines()[-1])
        assert (held["order_id"], held["state"], held["batch_id"]) == (a, "sending", batch_id)
    finally:
        holder.communicate("\n", timeout=30)


# -- label files from any tool: columns and carrier named on the command line (issue #14 §4)


def test_stage_a_worldship_export_guesses_ups_and_finds_the_order_in_a_reference(env, capsys):
    path = str(EXAMPLES / "labels-worldship.csv")
    assert main(["stage", "--labels", path]) == 0
    err = capsys.readouterr().err
    assert f"{path}: the order number: column 2 'Package Reference 1' (by its header)" in err
    assert f"{path}: the carrier: no column: guessed from each tracking number's format" in err
    assert f"{path}: carrier guessed from the tracking number's format for 4 rows (lines 2, 3, 4, 5)" in err
    actions = staged_actions()
    assert actions[0] == StagedAction.make("186-92-8431", "track", trackname="UPS", tracknumber="1Z4A8W970392016358")
    assert [a.kind for a in actions] == [ActionKind.TRACK, ActionKind.SHIP] * 4


def test_stage_labels_columns_by_name_or_number_and_one_carrier(env, capsys, tmp_path):
    a, b = pending(env, 2)
    # No header names anything: "Ref" and "Code" would be found, but the operator names them.
    path = write(
        tmp_path,
        "When,Who,Ref A,Ref B,Code,Via\n"
        f"today,Ada,{a},{b},9205 5000 0000 0000 0000 01,truck\n"
        f"today,Alan,{b},{a},9205 5000 0000 0000 0000 02,truck\n",
        "l.csv",
    )
    # The numbers could be USPS or FedEx: said, nothing staged without a carrier.
    assert main(["stage", "--labels", path, "--order-column", "ref b", "--number-column", "5"]) == 2
    err = capsys.readouterr().err
    assert f"{path}: line 2: no carrier column, and '9205 5000 0000 0000 0000 01' could be USPS or FedEx" in err
    assert "give --carrier NAME to set one for every row" in err
    assert staged_actions() == []
    assert (
        main(
            [
                "stage",
                "--labels",
                path,
                "--order-column",
                "ref b",
                "--number-column",
                "5",
                "--carrier",
                "FedEx",
                "--track-only",
            ]
        )
        == 0
    )
    err = capsys.readouterr().err
    assert f"{path}: the order number: column 4 'Ref B' (as given)" in err
    assert f"{path}: the carrier: 'FedEx' for every row (--carrier)" in err
    assert f"{path}: line 2: tracking number written as FedEx writes it: 9205500000000000000001 (spaces removed)" in err
    assert staged_actions() == [
        StagedAction.make(b, "track", trackname="FedEx", tracknumber="9205500000000000000001"),
        StagedAction.make(a, "track", trackname="FedEx", tracknumber="9205500000000000000002"),
    ]


def test_stage_labels_carrier_column_by_name(env, capsys, tmp_path):
    a = pending(env, 1)[0]
    path = write(tmp_path, f"Order Number,Tracking Number,Shipped With\n{a},1Z999AA10123456784,Acme Courier\n")
    assert main(["stage", "--labels", path, "--carrier-column", "Shipped With"]) == 0
    assert staged_actions()[0] == StagedAction.make(
        a, "track", trackname="Acme Courier", tracknumber="1Z999AA10123456784"
    )


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (
            ["--order-column", "9"],
            "--order-column '9': column 9: the file has 3 columns (1 'Order Number', 2 'Carrier', 3 'Tracking Number')",
        ),
        (["--number-column", "Parcel"], "--number-column 'Parcel': no column is named 'Parcel'"),
        (["--carrier-column", "0"], "--carrier-column '0': column 0: the file has 3 columns"),
        (["--carrier", "U\x01PS"], "--carrier: carrier 'U\\x01PS': contains control characters (U+0001)"),
        (["--carrier", "UPS", "--carrier-column", "2"], "does not go with --carrier-column"),
    ],
)
def test_stage_labels_bad_column_or_carrier_is_an_input_error(env, capsys, tmp_path, options, said):
    path = write(tmp_path, f"Order Number,Carrier,Tracking Number\n{pending(env, 1)[0]},UPS,1Z1\n")
    assert main(["stage", "--labels", path, *options]) == 2
    assert said in capsys.readouterr().err
    assert staged_actions() == []


def test_stage_labels_a_column_not_found_says_which_options_name_it(env, capsys, tmp_path):
    path = write(tmp_path, f"Order Number,Carrier,Parcel\n{pending(env, 1)[0]},UPS,1Z1\n")
    assert main(["stage", "--labels", path]) == 2
    err = capsys.readouterr().err
    assert "no column looks like the tracking number; choose one" in err
    assert "name the columns with --order-column, --carrier-column, --number-column" in err


@pytest.mark.parametrize(
    "option", [["--carrier", "UPS"], ["--order-column", "1"], ["--number-column", "x"], ["--carrier-column", "2"]]
)
def test_stage_label_column_options_go_with_labels(env, capsys, tmp_path, option):
    path = write(tmp_path, HEADER + f"{pending(env, 1)[0]},ship,,,,\n")
    assert main(["stage", path, *option]) == 2
    assert "go with --labels" in capsys.readouterr().err


def test_stage_does_not_stage_an_entry_identical_to_one_already_staged(env, capsys, tmp_path):
    a, b = pending(env, 2)
    first = write(tmp_path, HEADER + f"{a},ship,,,,\n{a},adjust,,5,,\n", "first.csv")
    assert main(["stage", first]) == 0
    capsys.readouterr()
    # The same ship and discount again, a different discount and a new order: only those two are new.
    again = write(tmp_path, HEADER + f"{a},ship,,,,\n{a},adjust,,5.00,,\n{a},adjust,,6,,\n{b},ship,,,,\n", "again.csv")
    assert main(["stage", again]) == 0
    err = capsys.readouterr().err
    assert f"not staged again: ship {a} is identical to an entry already staged" in err
    assert f"not staged again: adjust {a} $5.00 is identical to an entry already staged" in err
    assert "2 entries staged" in err
    assert staged_actions() == [
        StagedAction.make(a, "ship"),
        StagedAction.make(a, "adjust", amount="5"),
        StagedAction.make(a, "adjust", amount="6"),
        StagedAction.make(b, "ship"),
    ]


def test_stage_warns_of_one_tracking_number_on_two_orders(env, capsys, tmp_path):
    a, b = pending(env, 2)
    path = write(tmp_path, HEADER + f"{a},track,,,UPS,1Z777\n{b},track,,,UPS,1Z777\n{a},adjust,,900,,\n")
    assert main(["stage", path]) == 0
    err = capsys.readouterr().err
    assert f"lint warning: tracking number 1Z777 is on 2 orders ({a}, {b})" in err
    assert f"lint warning: {a}: discount $900.00 is more than this profile's max_discount ($100.00)" in err
