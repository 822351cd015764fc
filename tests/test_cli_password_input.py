"""The password in the input of a command (issue 17 §3): a CSV cell, `query`'s argument,
a note or tracking number to stage. A password that a variable or a command gives is read
before the input is checked, so no message repeats it; `stage` refuses a field holding it.

Each command runs as the operator runs it (a separate process, its stderr read whole),
against the real sandbox over loopback; the password comes from CCNOW_PASSWORD, a
profile's password_env or a profile's password_command (a small script printing it).
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from ccnow_tui.protocol.redact import MASK
from ccnow_tui.storage.store import Store

PASSWORD = "Hunter2-Xyzzy-9q"  # the account's; the sandbox accepts it


@pytest.fixture
def sandbox_options() -> dict[str, object]:
    """tests/conftest.py's sandbox, with this module's password."""
    return {"seed": 7, "orders": 12, "password": PASSWORD}


@pytest.fixture(params=["CCNOW_PASSWORD", "password_env", "password_command"])
def cli(request, isolated_dirs, sandbox, tmp_path):
    """Run ``ccnow-tui ARGS`` with the password from one of the non-interactive sources,
    with no terminal (no question can be asked, nothing typed)."""
    folder = isolated_dirs.config_home / "ccnow-tui"
    folder.mkdir(parents=True, mode=0o700)
    variables = {k: v for k, v in os.environ.items() if not k.startswith("CCNOW_")}
    variables.update(XDG_CONFIG_HOME=str(isolated_dirs.config_home), XDG_DATA_HOME=str(isolated_dirs.data_home))
    source = ""
    if request.param == "CCNOW_PASSWORD":
        variables["CCNOW_PASSWORD"] = PASSWORD
    elif request.param == "password_env":
        variables["SHOP_API_PASSWORD"] = PASSWORD
        source = 'password_env = "SHOP_API_PASSWORD"\n'
    else:
        script = tmp_path / "print-password"
        script.write_text(f"#!/bin/sh\necho '{PASSWORD}'\n")
        script.chmod(0o700)
        source = f'password_command = "{script}"\n'
    config = folder / "config.toml"
    config.write_text(f'[profiles.shop]\nurl = "{sandbox.url}"\nclient_id = "demo"\n{source}')
    config.chmod(0o600)

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "ccnow_tui", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=variables,
            cwd=tmp_path,
            timeout=60,
            start_new_session=True,
        )

    return run


def shows_password(text: str) -> bool:
    """The password in any form a reader could take it back from."""
    forms = {
        PASSWORD,
        PASSWORD.lower(),
        PASSWORD.upper(),
        quote(PASSWORD),
        repr(PASSWORD),
        base64.b64encode(PASSWORD.encode()).decode(),
    }
    return any(form in text for form in forms)


def csv_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "batch.csv"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    "row",
    [
        f"{PASSWORD},ship,,",  # the order column
        "396101142,adjust,," + PASSWORD,  # the amount column
        f"396101142,{PASSWORD},,",  # the action column
        f"396101142,adjust,,5.00\n{PASSWORD.lower()},cancel,,",  # another row, another case
    ],
    ids=["order", "amount", "action", "lowercase-order"],
)
def test_submit_never_repeats_the_password_from_a_csv_cell(cli, sandbox, tmp_path, row):
    path = csv_file(tmp_path, f"order_id,action,notes,amount\n{row}\n")
    before = sandbox.requests_seen
    done = cli("submit", path, "--yes")
    assert done.returncode == 2, done.stderr
    assert MASK in done.stderr and not shows_password(done.stderr + done.stdout), done.stderr
    assert "Traceback" not in done.stderr and sandbox.requests_seen == before


def test_submit_from_stdin_never_repeats_it_either(cli, sandbox):
    done = cli("submit", "-", "--yes", stdin=f"order_id,action\n{PASSWORD},cancel\n")
    assert done.returncode == 2 and MASK in done.stderr and not shows_password(done.stderr), done.stderr


def test_query_never_repeats_the_password_given_as_its_argument(cli, sandbox):
    before = sandbox.requests_seen
    done = cli("query", "396101142", PASSWORD)
    assert done.returncode == 2, done.stderr
    assert "is not a CCNow order number" in done.stderr
    assert MASK in done.stderr and not shows_password(done.stderr + done.stdout), done.stderr
    assert sandbox.requests_seen == before


def test_journal_never_repeats_the_password_given_as_an_order(cli):
    done = cli("journal", PASSWORD)
    assert done.returncode == 2, done.stderr
    assert MASK in done.stderr and not shows_password(done.stderr), done.stderr


@pytest.mark.parametrize(
    "column, row",
    [
        ("notes", f"396101142,cancel,customer said {PASSWORD} on the phone,,,"),
        ("tracknumber", f"396101142,track,,,UPS,1Z{PASSWORD}"),
        ("trackname", f"396101142,track,,,{PASSWORD},1Z999AA10123456784"),
        ("notes", f"396101142,adjust,{PASSWORD.upper()},5.00,,"),
    ],
)
def test_stage_refuses_a_field_that_holds_the_password(cli, sandbox, isolated_dirs, tmp_path, column, row):
    path = csv_file(tmp_path, f"order_id,action,notes,amount,trackname,tracknumber\n{row}\n")
    done = cli("stage", path, "--profile", "shop")
    assert done.returncode == 2, done.stderr
    assert f"{column}: contains the API password; it would be sent to the consumer" in done.stderr
    assert not shows_password(done.stderr + done.stdout), done.stderr
    with Store.for_profile("shop") as store:
        assert not store.snapshot().staged  # nothing staged
    assert sandbox.requests_seen == 0  # stage never contacts the receiver


def test_stage_never_repeats_the_password_from_an_order_cell(cli, tmp_path):
    path = csv_file(tmp_path, f"order_id,action\n{PASSWORD},ship\n")
    done = cli("stage", path, "--profile", "shop")
    assert done.returncode == 2 and MASK in done.stderr and not shows_password(done.stderr), done.stderr


def test_stage_with_a_failing_password_source_says_so_and_still_stages(isolated_dirs, tmp_path):
    """stage needs no password: a source that fails is said, and the file is staged (the
    TUI checks the fields again before anything is sent)."""
    folder = isolated_dirs.config_home / "ccnow-tui"
    folder.mkdir(parents=True, mode=0o700)
    (folder / "config.toml").write_text('[profiles.shop]\nclient_id = "demo"\npassword_env = "NOT_SET_ANYWHERE"\n')
    path = csv_file(tmp_path, "order_id,action\n396101142,ship\n")
    variables = {k: v for k, v in os.environ.items() if not k.startswith("CCNOW_") and k != "NOT_SET_ANYWHERE"}
    variables.update(XDG_CONFIG_HOME=str(isolated_dirs.config_home), XDG_DATA_HOME=str(isolated_dirs.data_home))
    done = subprocess.run(
        [sys.executable, "-m", "ccnow_tui", "stage", path],
        capture_output=True,
        text=True,
        env=variables,
        timeout=60,
        start_new_session=True,
    )
    assert done.returncode == 0, done.stderr
    assert "password_env names NOT_SET_ANYWHERE" in done.stderr
    assert "not checked for the API password" in done.stderr and "1 entry staged" in done.stderr
