"""Options before the command mean what they mean after it (issue #7).

``ccnow-tui --profile test submit b.csv --yes`` used to send to the default profile's
account: the subcommand's copy of each option overwrote the one given before it. Each
option is now accepted on either side; on both sides with different values, or before a
command that does not take it, it is a usage error (exit 2), never silently dropped.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from ccnow_tui.cli import build_parser, main, parsing, prompts
from ccnow_tui.sandbox.faults import parse_fault

DEAD_URL = "http://127.0.0.1:1/cgi-local/oapi_receive.cgi"  # nothing listens on port 1


def parse(argv):
    parser = build_parser()
    args = parser.parse_args(argv)
    parsing.merge_options(parser, args)
    return args


def usage_error(argv, capsys) -> str:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    return capsys.readouterr().err


# -- the parsed options: the same value on either side -----------------------------------

COMMANDS = {
    "pending": ["pending"],
    "query": ["query", "396-10-1142"],
    "submit": ["submit", "b.csv", "--yes"],
    "reconcile": ["reconcile", "--yes"],
    "journal": ["journal"],
    "sandbox": ["sandbox", "--port", "0"],
}
VALUES = {
    "profile": ("--profile", "test", "test"),
    "url": ("--url", "https://receiver.example/r", "https://receiver.example/r"),
    "client_id": ("--client-id", "C7", "C7"),
    "store_id": ("--store-id", "S7", "S7"),
    "timeout": ("--timeout", "7", 7.0),
    "fault": ("--fault", "html", [parse_fault("html")]),
}
CASES = [
    (command, name)
    for command, takes in parsing.TAKES.items()
    if command in COMMANDS
    for name in sorted(takes)
    if name in VALUES
]


@pytest.mark.parametrize("where", ["before", "after"])
@pytest.mark.parametrize("command, name", CASES)
def test_every_option_means_the_same_before_and_after_the_command(command, name, where):
    flag, text, value = VALUES[name]
    argv = [flag, text, *COMMANDS[command]] if where == "before" else [*COMMANDS[command], flag, text]
    assert getattr(parse(argv), name) == value


def test_every_command_that_connects_takes_every_connection_option():
    for command in ("pending", "query", "submit", "reconcile"):
        assert {name for c, name in CASES if c == command} == set(parsing.CONNECTION_OPTIONS)
    assert {name for c, name in CASES if c == "sandbox"} == {"client_id", "store_id", "fault"}


@pytest.mark.parametrize(
    "argv",
    [
        ["--demo", "--fault", "html"],
        ["--demo", "--timeout", "5"],
        ["--profile", "shop"],
        ["--refresh", "30"],
    ],
)
def test_the_tui_keeps_its_options(argv):
    args = parse(argv)
    assert args.command is None
    flag, text = argv[-2:]
    name = flag[2:].replace("-", "_")
    expected = {"--fault": ["html"], "--timeout": 5.0, "--refresh": 30.0}.get(flag, text)
    assert getattr(args, name) == expected


@pytest.mark.parametrize("command, name", CASES)
def test_both_places_with_different_values_is_a_usage_error(command, name, capsys):
    flag, text, _ = VALUES[name]
    other = {"timeout": "8", "fault": "maintenance"}.get(name, text + "x")
    err = usage_error([flag, text, *COMMANDS[command], flag, other], capsys)
    assert f"{flag} is given before and after `{command}` with different values" in err


@pytest.mark.parametrize("command, name", CASES)
def test_both_places_with_the_same_value_is_that_value(command, name):
    flag, text, value = VALUES[name]
    assert getattr(parse([flag, text, *COMMANDS[command], flag, text]), name) == value


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--url", "https://r.example/", "journal"], "--url does not apply to `journal`"),
        (["--timeout", "5", "journal"], "--timeout does not apply to `journal`"),
        (["--profile", "shop", "init"], "--profile does not apply to `init`"),
        (["--url", "https://r.example/", "sandbox"], "--url does not apply to `sandbox`"),
        (["--profile", "shop", "sandbox"], "--profile does not apply to `sandbox`"),
        (["--fault", "html", "pending"], "--fault goes with --demo"),
        (["--demo", "pending"], "--demo starts the TUI; it does not go with `pending`"),
        (["--refresh", "30", "submit", "b.csv"], "--refresh is for the TUI"),
        (["--demo", "--url", "https://r.example/"], "--url does not go with --demo"),
        (["--fault", "html"], "--fault goes with --demo"),
    ],
)
def test_an_option_the_command_does_not_take_is_a_usage_error(argv, message, capsys, isolated_dirs):
    assert message in usage_error(argv, capsys)


# -- end to end: the option given before the command reaches the receiver ---------------

CSV = "order_id,action\n{order},ship\n"


@pytest.fixture
def world(isolated_dirs, sandbox, monkeypatch, tmp_path):
    monkeypatch.setenv("CCNOW_PASSWORD", sandbox.config.password)
    monkeypatch.setattr(prompts, "CONTROLLING_TERMINAL", str(tmp_path / "no-terminal"))
    return sandbox


def _setup(world, name, monkeypatch, tmp_path):
    """Settings in which the option under test makes the difference; its value and the
    exit code when it is used."""
    if name == "profile":
        path = tmp_path / "xdg-config" / "ccnow-tui" / "config.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            textwrap.dedent(f"""\
            default_profile = "main"
            [profiles.main]
            client_id = "demo"
            url = "{DEAD_URL}"
            [profiles.test]
            client_id = "demo"
            url = "{world.url}"
            """)
        )
        return "test", 0
    monkeypatch.setenv("CCNOW_URL", DEAD_URL if name == "url" else world.url)
    monkeypatch.setenv("CCNOW_CLIENT_ID", "nobody" if name == "client_id" else "demo")
    return {"url": (world.url, 0), "client_id": ("demo", 0), "store_id": ("not-linked", 3)}[name]


@pytest.mark.parametrize("where", ["before", "after"])
@pytest.mark.parametrize("name", ["profile", "url", "client_id", "store_id"])
@pytest.mark.parametrize("command", ["pending", "query", "submit", "reconcile"])
def test_option_before_the_command_reaches_the_receiver(world, monkeypatch, tmp_path, capsys, command, name, where):
    value, code = _setup(world, name, monkeypatch, tmp_path)
    flag = VALUES[name][0]
    order = world.book.pending()[0]
    csv_path = tmp_path / "b.csv"
    csv_path.write_text(CSV.format(order=order))
    if command == "reconcile":  # an unknown batch to reconcile, sent with working settings
        world.set_faults([parse_fault("drop-after-apply:1")])
        setup = ["submit", str(csv_path), "--yes"] + ([flag, value] if name != "store_id" else [])
        assert main(setup) == 4
        capsys.readouterr()
    rest = {
        "pending": ["pending"],
        "query": ["query", str(order)],
        "submit": ["submit", str(csv_path), "--yes"],
        "reconcile": ["reconcile", "--yes"],
    }[command]
    before = world.requests_seen
    argv = [flag, value, *rest] if where == "before" else [*rest, flag, value]
    assert main(argv) == code, capsys.readouterr().err
    assert world.requests_seen == before + 1
    if name == "store_id":
        assert "invalid login" in capsys.readouterr().err


def _first_lines(proc, n_err):
    out = proc.stdout.readline()
    err = [proc.stderr.readline() for _ in range(n_err)]
    return out, err


@pytest.mark.parametrize("where", ["before", "after"])
def test_sandbox_takes_fault_and_account_before_the_command(isolated_dirs, where):
    opts = ["--fault", "html", "--client-id", "shop7"]
    argv = [*opts, "sandbox", "--port", "0"] if where == "before" else ["sandbox", "--port", "0", *opts]
    proc = subprocess.Popen(
        [sys.executable, "-m", "ccnow_tui", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "CCNOW_SANDBOX_PASSWORD": "pw-77"},
    )
    try:
        out, (err,) = _first_lines(proc, 1)
        assert "(client id shop7)" in out
        assert "faults: html" in err
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
