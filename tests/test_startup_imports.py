"""Each command loads only what it needs: a script or a cron job pays the start-up on every call.

Every check runs the command in a fresh interpreter (this test process has loaded
everything already) and looks at ``sys.modules`` once the command has returned. No
timings: which modules a command loads is what decides its start-up, and it does not
depend on how busy the machine is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SANDBOX_PASSWORD

REPO_ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys
from ccnow_tui.cli import main
try:
    rc = main(json.loads(sys.argv[1]))
except SystemExit as exc:  # --help
    rc = exc.code
print("\n" + json.dumps({"rc": rc, "modules": sorted(sys.modules)}))
"""

NETWORK = ("httpx", "httpcore", "anyio", "h11", "asyncio", "ssl", "ccnow_tui.client")
UI = ("textual", "rich", "ccnow_tui.tui")
SERVER = ("http.server", "ccnow_tui.sandbox")
STORE = ("sqlite3", "ccnow_tui.storage.store")


def run_command(argv: list[str], env: dict[str, str], stdin: str = "") -> tuple[int, set[str], str]:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(argv)],
        cwd=REPO_ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.stdout, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return result["rc"], set(result["modules"]), proc.stderr


def loaded(modules: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


@pytest.fixture
def child_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCNOW_")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    return env


def write_profile(env: dict[str, str], url: str = "https://example.invalid/cgi-local/oapi_receive.cgi") -> None:
    path = Path(env["XDG_CONFIG_HOME"]) / "ccnow-tui" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'default_profile = "shop"\n\n[profiles.shop]\nclient_id = "demo"\nurl = "{url}"\npassword_env = "SHOP_PW"\n'
    )
    path.chmod(0o600)


def test_help_loads_no_protocol_network_store_or_ui(child_env: dict[str, str]) -> None:
    rc, modules, _ = run_command(["--help"], child_env)
    assert rc == 0
    assert loaded(modules, NETWORK + UI + SERVER + STORE) == []
    # Nor anything of the protocol, the config or csv/json: argparse and the words.
    assert loaded(modules, ("ccnow_tui.protocol", "ccnow_tui.config", "ccnow_tui.storage", "tomllib", "csv")) == []
    assert "typing" not in modules  # ~10 ms by itself on a cold start


@pytest.mark.parametrize("argv", [["init"], ["journal"], ["staged"], ["journal", "--json", "396-10-1142"]])
def test_offline_commands_load_no_network_stack(child_env: dict[str, str], argv: list[str]) -> None:
    if argv != ["init"]:
        write_profile(child_env)
    rc, modules, stderr = run_command(argv, child_env)
    assert rc == 0, stderr
    assert loaded(modules, NETWORK + UI + SERVER) == []
    if argv == ["init"]:  # writes config.toml: no store to open
        assert loaded(modules, STORE) == []


def test_stage_loads_no_network_stack(child_env: dict[str, str]) -> None:
    write_profile(child_env)
    child_env["SHOP_PW"] = SANDBOX_PASSWORD  # stage reads the password the profile names (to refuse it in a note)
    rc, modules, stderr = run_command(["stage", "-"], child_env, stdin="order_id,action\n396-10-1142,ship\n")
    assert rc == 0, stderr
    # A CSV staged offline needs no network: the staging area reads the receiver's answer
    # types from domain/answers.py, so neither the client nor httpx and asyncio load.
    assert loaded(modules, NETWORK + UI + SERVER) == []


CLI_PARTS = ("ccnow_tui.cli.commands", "ccnow_tui.cli.csv_input", "ccnow_tui.cli.prompts")


@pytest.mark.parametrize(
    ("argv", "parts"),
    [
        (["--help"], []),
        (["init"], ["commands", "commands.offline", "commands.profile", "csv_input", "prompts"]),
        (["staged"], ["commands", "commands.offline", "commands.profile", "csv_input", "prompts"]),
        (["pending"], ["commands", "commands.profile", "commands.reads", "prompts"]),
    ],
)
def test_a_command_loads_only_its_own_part_of_the_command_line(
    child_env: dict[str, str], sandbox, argv: list[str], parts: list[str]
) -> None:
    """main() imports the module of the command's group and nothing of the others:
    `--help` none of them, `pending` no CSV reading, `staged` no sending."""
    if argv != ["init"]:  # init writes config.toml, and never over one
        write_profile(child_env, sandbox.url)
        child_env["SHOP_PW"] = SANDBOX_PASSWORD
    rc, modules, stderr = run_command(argv, child_env)
    assert rc == 0, stderr
    assert loaded(modules, CLI_PARTS) == [f"ccnow_tui.cli.{p}" for p in parts]


def test_only_the_sandbox_command_loads_the_sandbox(child_env: dict[str, str]) -> None:
    rc, modules, _ = run_command(["sandbox", "--help"], child_env)
    assert rc == 0
    assert "ccnow_tui.sandbox.server" in modules  # its options come from the server's defaults
    assert loaded(modules, ("httpx", "asyncio", *UI)) == []


@pytest.mark.parametrize(
    ("argv", "code"), [(["pending"], 0), (["pending", "--json"], 0), (["query", "396-10-1142"], 1)]
)  # an order the sandbox does not know
def test_reads_open_no_store_and_load_no_ui(child_env: dict[str, str], sandbox, argv: list[str], code: int) -> None:
    write_profile(child_env, sandbox.url)
    child_env["SHOP_PW"] = SANDBOX_PASSWORD
    rc, modules, stderr = run_command(argv, child_env)
    assert rc == code, stderr
    assert "ccnow_tui.client" in modules  # the check is real: the command did go out
    assert loaded(modules, STORE + UI + SERVER + ("ccnow_tui.domain.staging",)) == []
    # Nothing written for a read: no store, no profile folder.
    data = Path(child_env["XDG_DATA_HOME"])
    assert not data.exists() or not list(data.rglob("*.sqlite3"))


def test_exit_unknown_is_the_outcome_s_exit_code() -> None:
    # cli writes the number out so that --help does not load the protocol.
    from ccnow_tui import cli
    from ccnow_tui.protocol.outcome import Outcome

    assert cli.EXIT_UNKNOWN == Outcome.UNKNOWN.exit_code


LAZY_CHILD = r"""
import importlib, json, sys
out = {}
for package in ("ccnow_tui.protocol", "ccnow_tui.storage"):
    module = importlib.import_module(package)
    names = list(module.__all__)
    out[package] = {"before": sorted(m for m in sys.modules if m.startswith(package + ".")), "bad": []}
    for name in names:
        value = getattr(module, name)
        home = getattr(value, "__module__", None)
        if callable(value) and home is not None and getattr(sys.modules[home], name, None) is not value:
            out[package]["bad"].append(name)
    try:
        module.no_such_name
    except AttributeError:
        out[package]["missing_raises"] = True
from ccnow_tui.protocol import redact
import ccnow_tui.protocol.redact
from ccnow_tui.protocol import redact as again
out["redact_is_function"] = callable(redact) and redact is again and not isinstance(again, type(sys))
print(json.dumps(out))
"""


def test_package_names_load_on_first_use_and_are_the_real_ones() -> None:
    """protocol/ and storage/ load their parts when a name is first asked for: importing
    the package costs next to nothing, and every exported name is the submodule's own."""
    proc = subprocess.run([sys.executable, "-c", LAZY_CHILD], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["ccnow_tui.protocol"]["before"] == ["ccnow_tui.protocol.redact"]
    assert out["ccnow_tui.storage"]["before"] == []
    for package in ("ccnow_tui.protocol", "ccnow_tui.storage"):
        assert out[package]["bad"] == []
        assert out[package]["missing_raises"]
    assert out["redact_is_function"]


@pytest.mark.parametrize(
    ("url", "loads_ca"),
    [
        ("http://127.0.0.1:8642/cgi-local/oapi_receive.cgi", False),
        ("https://example.invalid/cgi-local/oapi_receive.cgi", True),
    ],
)
async def test_only_an_https_client_loads_the_ca_bundle(
    monkeypatch: pytest.MonkeyPatch, url: str, loads_ca: bool
) -> None:
    """Loading the CA bundle is the largest part of a loopback `pending`'s own start-up;
    a plain-http client (loopback only, no redirects) never uses TLS. An https one
    still verifies against the bundle (SSL_CERT_FILE / SSL_CERT_DIR honoured)."""
    import ssl

    from ccnow_tui.client import ReceiverClient
    from ccnow_tui.protocol import Credentials, Secret

    loads: list[object] = []
    real = ssl.SSLContext.load_verify_locations

    def counting(self: ssl.SSLContext, *args: object, **kwargs: object) -> None:
        loads.append(args or kwargs)
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counting)
    async with ReceiverClient(url, Credentials("demo", Secret("pw-for-ca-test"))):
        pass
    assert bool(loads) is loads_ca
