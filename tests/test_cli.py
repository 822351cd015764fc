"""The scripting CLI end to end against the real sandbox over loopback."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ccnow_tui import cli
from ccnow_tui.cli import main, prompts
from ccnow_tui.sandbox.faults import parse_fault


@pytest.fixture
def env(isolated_dirs, sandbox, monkeypatch, tmp_path):
    # No terminal to ask on, even when the tests run from one (the question would wait).
    monkeypatch.setattr(prompts, "CONTROLLING_TERMINAL", str(tmp_path / "no-terminal"))
    monkeypatch.setenv("CCNOW_URL", sandbox.url)
    monkeypatch.setenv("CCNOW_CLIENT_ID", "demo")
    monkeypatch.setenv("CCNOW_PASSWORD", sandbox.config.password)
    return sandbox


def write_csv(tmp_path, text, name="batch.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_pending_prints_one_canonical_line_per_order(env, capsys):
    assert main(["pending"]) == 0
    out = capsys.readouterr()
    assert out.out.splitlines() == [f"{o} pending" for o in env.book.pending()]
    assert "pending order" in out.err


def test_pending_json_lines(env, capsys):
    assert main(["pending", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows == [{"order_id": str(o), "status": "pending"} for o in env.book.pending()]


def test_query_accepts_both_spellings(env, capsys):
    a, b = env.book.pending()[:2]
    assert main(["query", a.digits, str(b)]) == 0
    assert capsys.readouterr().out.splitlines() == [f"{a} pending", f"{b} pending"]


def test_query_bad_order_number_is_usage_error_and_sends_nothing(env, capsys):
    before = env.requests_seen
    assert main(["query", "396-10-114", "abc"]) == 2
    err = capsys.readouterr().err
    assert "'396-10-114' is not a CCNow order number" in err and "'abc'" in err
    assert env.requests_seen == before


def test_query_unknown_order_exits_1(env, capsys):
    assert main(["query", "999999999", "--json"]) == 1
    assert json.loads(capsys.readouterr().out) == {"order_id": "999-99-9999", "error": "order_not_found"}


def test_submit_applies_batch(env, capsys, tmp_path):
    a, b = env.book.pending()[:2]
    path = write_csv(
        tmp_path,
        (
            "order_id,action,notes,amount,trackname,tracknumber\n"
            f"{a},ship,,,,\n"
            f"{a.digits},adjust,Dented box,5,,\n"
            f"{a},track,,,UPS,1Z999\n"
            f'{b},cancel,"Asked to\ncancel",,,\n'
        ),
    )
    assert main(["submit", path, "--yes"]) == 0
    out = capsys.readouterr()
    assert out.out.splitlines() == [f"{a} mark_shipped", f"{b} mark_canceled"]
    plan = out.err
    port = env.url.split("//", 1)[1].split("/", 1)[0]  # 127.0.0.1:PORT, as the operator knows it
    assert f"About to send 4 entries for 2 orders to {port} as " in plan
    assert plan.index("adjust") < plan.index("track") < plan.index(f"ship {a}")
    assert env.book.status(a) == "mark_shipped" and env.book.status(b) == "mark_canceled"


def test_submit_from_stdin(env, capsys, monkeypatch):
    import io

    a = env.book.pending()[0]
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"order_id,action\n{a},ship\n"))
    assert main(["submit", "-", "--yes", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"order_id": str(a), "status": "mark_shipped"}


def test_submit_reports_every_bad_row_and_sends_nothing(env, capsys, tmp_path):
    before = env.requests_seen
    path = write_csv(
        tmp_path,
        ("order_id,action,notes,amount\n396-10-1142,ship,,\n12345,ship,,\n396-10-1142,adjust,,$5\n396-10-1142,fly,,\n"),
    )
    assert main(["submit", path, "--yes"]) == 2
    err = capsys.readouterr().err
    assert f"{path}: line 3: order_id: '12345' is not a CCNow order number" in err
    assert f"{path}: line 4: amount" in err and "'$5'" in err
    assert f"{path}: line 5: action: 'fly' is not an action" in err
    assert env.requests_seen == before


def test_submit_refuses_ship_with_cancel(env, capsys, tmp_path):
    a = env.book.pending()[0]
    path = write_csv(tmp_path, f"order_id,action\n{a},ship\n{a},cancel\n")
    assert main(["submit", path, "--yes"]) == 2
    assert "ship and cancel on one order" in capsys.readouterr().err


def test_submit_bad_header(env, capsys, tmp_path):
    path = write_csv(tmp_path, "order,what\n396-10-1142,ship\n")
    assert main(["submit", path, "--yes"]) == 2
    assert "line 1: header" in capsys.readouterr().err


def test_submit_without_terminal_or_yes_refuses(env, capsys, tmp_path):
    before = env.requests_seen
    path = write_csv(tmp_path, f"order_id,action\n{env.book.pending()[0]},ship\n")
    assert main(["submit", path]) == 2
    assert "refusing to send without --yes" in capsys.readouterr().err
    assert env.requests_seen == before


def test_submit_refused_entry_exits_1(env, capsys, tmp_path):
    a = env.book.pending()[0]
    assert main(["submit", write_csv(tmp_path, f"order_id,action\n{a},ship\n"), "--yes"]) == 0
    capsys.readouterr()
    assert main(["submit", write_csv(tmp_path, f"order_id,action\n{a},ship\n", "again.csv"), "--yes"]) == 1
    assert capsys.readouterr().out.strip() == f"{a} error_message order_not_pending"


@pytest.mark.parametrize(
    "fault,code", [("maintenance", 3), ("http500", 4), ("html", 4), ("truncate", 4), ("drop-after-apply", 4)]
)
def test_submit_fault_exit_codes(env, capsys, tmp_path, fault, code):
    a = env.book.pending()[0]
    env.set_faults([parse_fault(fault)])
    before = env.requests_seen
    assert main(["submit", write_csv(tmp_path, f"order_id,action\n{a},ship\n"), "--yes"]) == code
    err = capsys.readouterr().err
    assert env.requests_seen - before == 1
    assert "Traceback" not in err
    if code == 4:
        assert "OUTCOME UNKNOWN" in err and "ccnow-tui query" in err


def test_wrong_password_exits_3(env, capsys, monkeypatch):
    monkeypatch.setenv("CCNOW_PASSWORD", "hunter2-wrong")
    assert main(["pending"]) == 3
    out = capsys.readouterr()
    assert "invalid login" in out.err
    assert "hunter2-wrong" not in out.err + out.out


def test_plain_http_to_remote_host_refused(env, capsys, monkeypatch):
    monkeypatch.setenv("CCNOW_URL", "http://orders.example.com/cgi-local/oapi_receive.cgi")
    assert main(["pending"]) == 2
    assert "plain http" in capsys.readouterr().err


def test_no_configuration_explains_setup(isolated_dirs, capsys):
    assert main(["pending"]) == 2
    err = capsys.readouterr().err
    assert "--demo" in err and "config.toml" in err


def test_bad_config_file_names_file_and_line(isolated_dirs, capsys):
    path = isolated_dirs.config_home / "ccnow-tui" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text('default_profile = "x"\n[profiles.x\nclient_id = 1\n')
    assert main(["pending"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "line 2" in err


def test_init_creates_private_config(isolated_dirs, capsys):
    assert main(["init"]) == 0
    path = isolated_dirs.config_home / "ccnow-tui" / "config.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert main(["init"]) == 2  # never overwrites


def _run(args, **kw):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCNOW_")}
    env.update(kw.pop("env", {}))
    return subprocess.run(
        [sys.executable, "-m", "ccnow_tui", *args], capture_output=True, text=True, env=env, timeout=60, **kw
    )


def test_module_entry_point_and_scripting_path_import_no_textual(env, tmp_path):
    code = (
        "import sys\nfrom ccnow_tui.cli import main\n"
        "rc = main(['pending', '--json'])\n"
        "assert 'textual' not in sys.modules, 'scripting imported textual'\n"
        "sys.exit(rc)\n"
    )
    envv = dict(os.environ, CCNOW_URL=env.url, CCNOW_CLIENT_ID="demo", CCNOW_PASSWORD=env.config.password)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=envv, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == len(env.book.pending())
    version = _run(["--version"])
    assert version.returncode == 0 and version.stdout.startswith("ccnow-tui ")


def test_the_installed_script_runs_the_command_line(tmp_path):
    """`ccnow-tui` as pip installed it (the console script pyproject.toml names, next to
    this interpreter), run from a folder that is not the repository: its help and version
    come from the package's main()."""
    import sysconfig

    from ccnow_tui import __version__

    script = Path(sysconfig.get_path("scripts")) / "ccnow-tui"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCNOW_")}
    help_ = subprocess.run([script, "--help"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert help_.returncode == 0, help_.stderr
    assert help_.stdout.startswith("usage: ccnow-tui ")
    for command in ("pending", "query", "submit", "reconcile", "journal", "stage", "staged", "init", "sandbox"):
        assert command in help_.stdout
    version = subprocess.run([script, "--version"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert (version.returncode, version.stdout) == (0, f"ccnow-tui {__version__}\n")


def test_sandbox_command_serves_and_stops_cleanly(isolated_dirs):
    proc = subprocess.Popen(
        [sys.executable, "-m", "ccnow_tui", "sandbox", "--port", "0", "--orders", "3", "--seed", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert "http://127.0.0.1:" in line
        url = line.split()[line.split().index("on") + 1]
        result = _run(["pending"], env={"CCNOW_URL": url, "CCNOW_CLIENT_ID": "demo", "CCNOW_PASSWORD": "demo"})
        assert result.returncode == 0 and len(result.stdout.splitlines()) == 3
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert "Traceback" not in err


def test_bad_demo_fault_is_a_usage_error(isolated_dirs, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--demo", "--fault", "slow=soon"])
    assert exc.value.code == 2
    assert "'slow=soon'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--refresh", "2"], "'2': 0 (only on r), or 5 to 3600 seconds"),
        (["--refresh", "soon"], "'soon' is not a number of seconds"),
        (["--refresh", "30", "pending"], "--refresh is for the TUI"),
    ],
)
def test_bad_refresh_is_a_usage_error(isolated_dirs, capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_refresh_reaches_the_app(isolated_dirs):
    import argparse

    from ccnow_tui.tui.app import build_app

    base = dict(fault=[], profile=None, url=None, client_id=None, store_id=None, timeout=None)
    app, server = build_app(argparse.Namespace(demo=True, refresh=None, **base))
    try:
        assert app.refresh_every == 15.0  # the demo's queue is alive by default
    finally:
        server.stop()
    app, server = build_app(argparse.Namespace(demo=True, refresh=0.0, **base))
    try:
        assert app.refresh_every == 0.0
    finally:
        server.stop()
    real = {**base, "url": "https://receiver.example/r", "client_id": "shop"}
    app, _ = build_app(argparse.Namespace(demo=False, refresh=30.0, **real))
    assert app.settings is not None and app.refresh_every == 30.0


# -- issue #7: inputs that escaped as internal errors, or were misread -------------------


def journal_lines(capsys) -> list[str]:
    capsys.readouterr()
    assert main(["journal"]) == 0
    return capsys.readouterr().out.splitlines()


@pytest.mark.parametrize("url", ["http://127.0.0.1:99999/", "http://127.0.0.1:0/x", "http://[::1/x"])
def test_malformed_url_option_is_a_usage_error_and_nothing_is_recorded(env, capsys, tmp_path, url):
    before = env.requests_seen
    path = write_csv(tmp_path, f"order_id,action\n{env.book.pending()[0]},ship\n")
    for argv in (["pending", "--url", url], ["--url", url, "submit", path, "--yes"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "option --url: the receiver URL" in err and "internal error" not in err
    assert env.requests_seen == before
    assert journal_lines(capsys) == []  # no batch recorded for a request that never left


def test_malformed_url_in_config_is_a_usage_error_naming_file_and_line(isolated_dirs, capsys):
    path = isolated_dirs.config_home / "ccnow-tui" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text('[profiles.x]\nclient_id = "demo"\nurl = "http://[::1"\n')
    assert main(["pending"]) == 2
    assert (
        f"{path}: line 3: [profiles.x] url: the receiver URL is malformed (Invalid IPv6 URL)" in capsys.readouterr().err
    )


def test_config_nested_3000_deep_is_a_usage_error(isolated_dirs, capsys):
    path = isolated_dirs.config_home / "ccnow-tui" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text("a = " + "[" * 3000 + "]" * 3000 + "\n")
    assert main(["pending"]) == 2
    assert f"{path}: line 1: arrays or inline tables nested too deeply" in capsys.readouterr().err


def test_non_utf8_csv_on_stdin_is_a_usage_error_naming_the_line(env, capsys, monkeypatch):
    import io

    a = env.book.pending()[0]
    data = f"order_id,action,notes\n{a},ship,\n{a},cancel,caf\xe9\n".encode("latin-1")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    before = env.requests_seen
    assert main(["submit", "-", "--yes"]) == 2
    assert "<stdin>: line 3: not UTF-8 text" in capsys.readouterr().err
    assert env.requests_seen == before and journal_lines(capsys) == []


def test_non_utf8_csv_file_names_the_line(env, capsys, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"order_id,action,notes\n396-10-1142,cancel,caf\xe9\n")
    assert main(["submit", str(path), "--yes"]) == 2
    assert f"{path}: line 2: not UTF-8 text" in capsys.readouterr().err


# The last: a quote never closed, with more than csv's field limit (128 KiB) after it.
@pytest.mark.parametrize(
    "tail",
    ["\n{b},ship\n", "\n{b},ship", "\n{b},ship\n{b},track,,,UPS,1Z\n", "\n" + "x" * 140_000 + "\n{b},ship\n"],
    ids=["rows-after", "no-final-newline", "two-rows-after", "past-the-field-limit"],
)
def test_csv_with_an_unterminated_quote_is_refused_naming_the_line(env, capsys, tmp_path, tail):
    a, b = env.book.pending()[:2]
    path = write_csv(
        tmp_path,
        f'order_id,action,notes,amount,trackname,tracknumber\n{a},adjust,,5,,\n{a},cancel,"oops,,,' + tail.format(b=b),
    )
    before = env.requests_seen
    assert main(["submit", path, "--yes"]) == 2
    err = capsys.readouterr().err
    assert f"{path}: line 3: a quoted field starts on this line and its closing quote never comes" in err
    assert env.requests_seen == before and journal_lines(capsys) == []


def test_csv_quote_closed_by_a_stray_quote_rows_later_is_refused(env, capsys, tmp_path):
    a, b = env.book.pending()[:2]
    path = write_csv(tmp_path, f'order_id,action,notes\n{a},cancel,"oops\n{b},ship,\n{b},cancel,"x"\n')
    assert main(["submit", path, "--yes"]) == 2
    assert f"{path}: line 2: " in capsys.readouterr().err


def test_csv_multi_line_note_in_closed_quotes_still_works(env, capsys, tmp_path):
    a, b = env.book.pending()[:2]
    path = write_csv(tmp_path, f'order_id,action,notes\n{a},cancel,"two\nlines"\n{b},ship,\n{b},fly,\n')
    assert main(["submit", path, "--yes"]) == 2  # line numbers count from where the row starts
    assert f"{path}: line 5: action: 'fly' is not an action" in capsys.readouterr().err
    path = write_csv(tmp_path, f'order_id,action,notes\n{a},cancel,"two\nlines"\n{b},ship,\n', "ok.csv")
    assert main(["submit", path, "--yes"]) == 0
    assert capsys.readouterr().out.splitlines() == [f"{a} mark_canceled", f"{b} mark_shipped"]


# -- the y/N question: on the terminal, never on stdout; no is exit 5 ---------------------


@pytest.fixture
def term(env, isolated_dirs, tmp_path):
    """Run the CLI on a real terminal (a pty, its controlling terminal), as an operator has
    one: ``keys`` are typed once its y/N question shows (keys typed before it are thrown
    away: tests/test_cli_confirm_over.py). Returns the run (``screen``: what the terminal
    showed) and stdout."""
    from terminal import run_on_terminal

    variables = {k: v for k, v in os.environ.items() if not k.startswith("CCNOW_")}
    variables.update(
        {
            "CCNOW_URL": env.url,
            "CCNOW_CLIENT_ID": "demo",
            "CCNOW_PASSWORD": env.config.password,
            "XDG_CONFIG_HOME": str(isolated_dirs.config_home),
            "XDG_DATA_HOME": str(isolated_dirs.data_home),
        }
    )

    def run(args: str, keys: str, stdin_from: str = ""):
        out = tmp_path / "out.txt"
        with out.open("wb") as stdout, open(stdin_from or os.devnull, "rb") as stdin:
            done = run_on_terminal(
                [sys.executable, "-m", "ccnow_tui", *args.split()],
                env=variables,
                cwd=tmp_path,
                answers=[("[y/N] ", keys)],
                stdout=stdout.fileno(),
                stdin=stdin.fileno() if stdin_from else None,
            )
        return done, out.read_text()

    return run


@pytest.mark.parametrize("from_stdin", [False, True])
def test_submit_asks_on_the_terminal_and_no_is_exit_5(env, term, tmp_path, from_stdin):
    a = env.book.pending()[0]
    path = write_csv(tmp_path, f"order_id,action\n{a},ship\n")
    before = env.requests_seen
    proc, out = term("submit -" if from_stdin else f"submit {path}", "n\n", stdin_from=path if from_stdin else "")
    assert proc.returncode == 5, proc.screen
    assert "Send this batch? [y/N]" in proc.screen  # on the terminal
    assert "not confirmed: nothing sent" in proc.screen  # stderr is the terminal too
    assert out == ""  # nothing on stdout, the question least of all
    assert env.requests_seen == before and env.book.status(a) == "pending"


def test_submit_yes_on_the_terminal_sends_and_stdout_has_only_results(env, term, tmp_path):
    a = env.book.pending()[0]
    path = write_csv(tmp_path, f"order_id,action\n{a},ship\n")
    proc, out = term(f"submit {path}", "y\n")
    assert proc.returncode == 0, proc.screen
    assert out == f"{a} mark_shipped\n"
    assert env.book.status(a) == "mark_shipped"


def test_reconcile_asks_on_the_terminal_and_no_is_exit_5(env, term, tmp_path, capsys):
    a = env.book.pending()[0]
    env.set_faults([parse_fault("drop-after-apply:1")])
    assert main(["submit", write_csv(tmp_path, f"order_id,action\n{a},ship\n"), "--yes"]) == 4
    proc, out = term("reconcile", "n\n")
    assert proc.returncode == 5, proc.screen
    assert "Record this? [y/N]" in proc.screen and "Record this" not in out
    assert out.startswith(f"{a} ship ") and out.count("\n") == 1, out
    assert "nothing recorded" in proc.screen
    capsys.readouterr()
    assert main(["reconcile", "--yes"]) == 0  # still unknown: the "no" recorded nothing


def test_submit_from_a_pipe_without_a_terminal_refuses_without_yes(env, tmp_path):
    a = env.book.pending()[0]
    envv = {k: v for k, v in os.environ.items() if not k.startswith("CCNOW_")}
    envv.update(CCNOW_URL=env.url, CCNOW_CLIENT_ID="demo", CCNOW_PASSWORD=env.config.password)
    before = env.requests_seen
    proc = subprocess.run(
        [sys.executable, "-m", "ccnow_tui", "submit", "-"],
        input=f"order_id,action\n{a},ship\n",
        capture_output=True,
        text=True,
        env=envv,
        timeout=60,
        start_new_session=True,
    )
    assert proc.returncode == 2 and "refusing to send without --yes" in proc.stderr
    assert proc.stdout == "" and env.requests_seen == before


def test_a_reader_that_goes_away_mid_answer_does_not_lose_the_outcome(env, tmp_path):
    # `submit ... | head -1`: the pipe closes after the first line, the answer is still
    # read to its end and recorded, and the exit code is the answer's, not "all fine".
    a, b, c = env.book.pending()[:3]
    path = write_csv(tmp_path, f"order_id,action\n{a},ship\n{b},ship\n{c},ship\n")
    script = f"{sys.executable} -m ccnow_tui submit {path} --yes | head -c 0"
    proc = subprocess.run(
        ["bash", "-o", "pipefail", "-c", script], env=dict(os.environ), capture_output=True, text=True, timeout=60
    )
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert all(env.book.status(o) == "mark_shipped" for o in (a, b, c))
    journal = subprocess.run(
        [sys.executable, "-m", "ccnow_tui", "journal", "--json"],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    outcomes = [json.loads(line) for line in journal.stdout.splitlines()]
    assert sorted(r["outcome"] for r in outcomes if r["event"] == "outcome" and r["order_id"]) == ["applied"] * 3


# -- issue #14 §6: the CLI's smaller things -------------------------------------------------


@pytest.mark.parametrize("command", [["submit"], ["stage"]])
def test_row_errors_and_cross_row_conflicts_are_reported_in_one_run(env, capsys, tmp_path, command):
    a, b = env.book.pending()[:2]
    before = env.requests_seen
    # Line 2 and 3: ship and cancel on one order (a conflict between valid rows); line 4:
    # a bad amount; line 5: not an order number. One run names all three problems.
    path = write_csv(
        tmp_path,
        f"order_id,action,notes,amount\n{a},ship,,\n{a},cancel,Out of stock,\n{b},adjust,Late,$5\n12345,ship,,\n",
    )
    assert main([*command, path, *(["--yes"] if command == ["submit"] else [])]) == 2
    err = capsys.readouterr().err
    assert f"{path}: line 4: amount" in err
    assert f"{path}: line 5: order_id: '12345' is not a CCNow order number" in err
    assert "ship and cancel on one order" in err and str(a) in err
    assert env.requests_seen == before


def test_plain_journal_lines_split_back_into_what_the_json_says(env, capsys, tmp_path):
    import shlex

    a, b = env.book.pending()[:2]
    notes = 'Box "dented" = 2\\3  twice'
    quoted = notes.replace('"', '""')
    path = write_csv(
        tmp_path,
        "order_id,action,notes,amount,trackname,tracknumber\n"
        f'{a},adjust,"{quoted}",5.00,,\n'
        f"{a},track,,,UPS Ground,1Z 999\n{b},ship,,,,\n",
    )
    assert main(["submit", path, "--yes"]) == 0
    capsys.readouterr()
    assert main(["journal", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert main(["journal"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(rows) > 4
    for line, row in zip(lines, rows, strict=True):
        time, event, batch, receiver, order, *rest = shlex.split(line)
        assert (time, event, batch, order) == (
            row["time"],
            row["event"],
            row["batch_id"] or "-",
            row["order_id"] or "-",
        )
        assert receiver == f"{row['host'] or '-'}/{row['client_id'] or '-'}"
        named = dict(part.split("=", 1) for part in rest)
        want = {
            "n": str(row["n"]) if row["n"] else None,
            "action": row["action"],
            **row["fields"],
            "outcome": row["outcome"],
            "status": row["status"],
            "message": row["message"],
            "raw": row["raw"],
        }
        assert named == {k: v for k, v in want.items() if v not in (None, "")}, line
    adjust = next(shlex.split(line) for line, row in zip(lines, rows, strict=True) if row["action"] == "adjust")
    assert f"notes={notes}" in adjust and "amount=5.00" in adjust
    assert any("raw=" in line for line in lines) and any('"UPS Ground"' in line for line in lines)


def test_reconcile_yes_with_entries_left_unverified_has_its_own_exit_code(env, capsys, tmp_path):
    a, b = env.book.pending()[:2]
    env.set_faults([parse_fault("drop-after-apply:1")])
    path = write_csv(tmp_path, f"order_id,action,notes,amount\n{a},adjust,Late,2.50\n{b},ship,,\n")
    assert main(["submit", path, "--yes"]) == 4
    capsys.readouterr()
    assert main(["reconcile", "--yes"]) == cli.EXIT_UNSETTLED == 6
    err = capsys.readouterr().err
    assert "1 entry is unverified" in err
    # Nothing left to reconcile: 0 again.
    assert main(["reconcile", "--yes"]) == 0


def test_reconcile_yes_with_every_entry_settled_is_exit_0(env, capsys, tmp_path):
    a = env.book.pending()[0]
    env.set_faults([parse_fault("drop-after-apply:1")])
    assert main(["submit", write_csv(tmp_path, f"order_id,action\n{a},ship\n"), "--yes"]) == 4
    assert main(["reconcile", "--yes"]) == 0


@pytest.mark.parametrize("argv", [["staged"], ["staged", "--json"], ["stage", "x.csv"]])
def test_staged_and_stage_with_no_configuration_say_there_is_none(isolated_dirs, capsys, argv):
    assert main(["pending"]) == 2
    said = capsys.readouterr().err
    assert "No CCNow account is configured yet" in said
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err == said  # word for word what `pending` says
    assert not (isolated_dirs.data_home / "ccnow-tui" / "profiles").exists()  # no store made for nobody


def test_submit_plan_warns_of_one_tracking_number_on_two_orders_and_a_large_discount(env, capsys, tmp_path):
    a, b = env.book.pending()[:2]
    path = write_csv(
        tmp_path,
        (
            "order_id,action,notes,amount,trackname,tracknumber\n"
            f"{a},track,,,UPS,1Z 999-1\n"
            f"{b},track,,,UPS,1z9991\n"
            f"{b},adjust,,5000,,\n"
        ),
    )
    assert main(["submit", path]) == 2  # no terminal, no --yes: the plan is shown, nothing sent
    plan = capsys.readouterr().err
    assert f"warning: tracking number 1Z 999-1 is on 2 orders ({a}, {b})" in plan
    assert f"warning: {b}: discount $5,000.00 is more than this profile's max_discount ($100.00)" in plan
    assert env.book.status(a) == "pending" and env.book.status(b) == "pending"
