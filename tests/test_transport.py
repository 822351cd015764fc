"""Where requests go: proxies from the environment, and what counts as this machine (issue #7).

Plain http is allowed only to loopback (the sandbox), so it must never go through a
proxy: with HTTP_PROXY or ALL_PROXY set, the form (password included) would cross to the
proxy in clear text. https honours the standard proxy variables and NO_PROXY.
"""

from __future__ import annotations

import socket
import socketserver
import threading

import pytest

from ccnow_tui.cli import main, prompts
from ccnow_tui.client import ClientConfigError, ReceiverClient
from ccnow_tui.protocol.form import Credentials
from ccnow_tui.protocol.outcome import Outcome
from ccnow_tui.protocol.receiver_url import is_loopback
from ccnow_tui.protocol.redact import Secret

PROXY_VARIABLES = (
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
)


class RecordingProxy(socketserver.ThreadingTCPServer):
    """A 'proxy' on loopback that records the first line of every request it gets, then
    hangs up (so a request sent through it fails at once, and the test knows it came)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        self.seen: list[str] = []
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"


class _ProxyHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        line = self.rfile.readline(4096).decode("latin-1").strip()
        self.server.seen.append(line)  # type: ignore[attr-defined]


@pytest.fixture
def proxy(monkeypatch):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    server = RecordingProxy()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    "variables",
    [("HTTP_PROXY", "http_proxy"), ("ALL_PROXY", "all_proxy"), ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")],
)
def test_plain_http_to_the_sandbox_never_goes_through_a_proxy(
    isolated_dirs, sandbox, proxy, monkeypatch, capsys, tmp_path, variables
):
    for name in variables:
        monkeypatch.setenv(name, proxy.url)
    monkeypatch.setenv("CCNOW_URL", sandbox.url)
    monkeypatch.setenv("CCNOW_CLIENT_ID", "demo")
    monkeypatch.setenv("CCNOW_PASSWORD", sandbox.config.password)
    before = sandbox.requests_seen
    assert main(["pending"]) == 0, capsys.readouterr().err
    assert proxy.seen == []
    assert sandbox.requests_seen == before + 1
    # and a batch (the password and the orders) neither
    order = sandbox.book.pending()[0]
    path = tmp_path / "b.csv"
    path.write_text(f"order_id,action\n{order},ship\n")
    assert main(["submit", str(path), "--yes"]) == 0
    assert proxy.seen == []


async def test_https_honours_the_proxy_variables(proxy, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    client = ReceiverClient(
        "https://receiver.example/cgi-local/oapi_receive.cgi", Credentials("C1", Secret("proxy-test-pw-1")), retries=0
    )
    async with client:
        events = [ev async for ev in client.pending()]
    assert proxy.seen == ["CONNECT receiver.example:443 HTTP/1.1"]
    assert events[-1].outcome is not Outcome.OK


async def test_https_honours_no_proxy(proxy, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    monkeypatch.setenv("ALL_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    client = ReceiverClient(
        f"https://127.0.0.1:{closed_port()}/cgi", Credentials("C1", Secret("proxy-test-pw-2")), retries=0
    )
    async with client:
        events = [ev async for ev in client.pending()]
    assert proxy.seen == []
    assert events[-1].outcome is Outcome.UNREACHABLE  # straight to the (closed) port


@pytest.mark.parametrize(
    "host, loopback",
    [
        ("localhost", True),
        ("LOCALHOST", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost.", False),
        ("localhost.localdomain", False),
        ("localhost.example.com", False),
        ("::ffff:127.0.0.1", False),
        ("0.0.0.0", False),
        ("128.0.0.1", False),
        ("example.com", False),
    ],
)
def test_only_localhost_127_8_and_ipv6_1_are_loopback(host, loopback):
    assert is_loopback(host) is loopback


@pytest.mark.parametrize("url", ["http://localhost./cgi", "http://localhost.:8642/cgi"])
def test_plain_http_to_localhost_dot_is_refused(url):
    with pytest.raises(ClientConfigError, match="plain http"):
        ReceiverClient(url, Credentials("C1", Secret("dot-test-pw-3")))


def test_cli_refuses_plain_http_to_localhost_dot(isolated_dirs, monkeypatch, capsys):
    monkeypatch.setattr(prompts, "CONTROLLING_TERMINAL", "/nonexistent/tty")
    monkeypatch.setenv("CCNOW_CLIENT_ID", "demo")
    monkeypatch.setenv("CCNOW_PASSWORD", "dot-test-pw-4")
    assert main(["pending", "--url", "http://localhost.:8642/cgi-local/oapi_receive.cgi"]) == 2
    assert "plain http" in capsys.readouterr().err
