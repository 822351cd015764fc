"""What the CLI prints of a receiver's (or the store's) text (issue #7).

A receiver may echo the password (in any encoding, at any offset) and may send terminal
controls: an OSC title or clipboard write, a cursor move that overwrites a line with a
forged "done: 2 applied", bidi overrides. Whatever it sends, nothing the CLI writes
(stdout, stderr, text or --json) holds 6 consecutive characters of the password, nor a
control character a terminal would act on.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from ccnow_tui import cli
from ccnow_tui.cli import main, prompts
from ccnow_tui.protocol.redact import MASK, Secret, escape_controls, safe_text

# -- a receiver that says whatever the test wants ------------------------------------------


class HostileReceiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.status = 200
        self.body = b""
        self.url = f"http://127.0.0.1:{self.server_address[1]}/cgi-local/oapi_receive.cgi"

    def answer(self, text: str, status: int = 200) -> None:
        self.status, self.body = status, text.encode("utf-8")


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        server: HostileReceiver = self.server  # type: ignore[assignment]
        self.send_response(server.status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(server.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(server.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def receiver():
    server = HostileReceiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def cli_env(isolated_dirs, receiver, monkeypatch, tmp_path):
    monkeypatch.setattr(prompts, "CONTROLLING_TERMINAL", str(tmp_path / "no-terminal"))
    monkeypatch.setenv("CCNOW_URL", receiver.url)
    monkeypatch.setenv("CCNOW_CLIENT_ID", "demo")
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    return receiver


_orders = itertools.count(100_000_000)


def fresh_order() -> str:
    """A new order number each time: the store holds back an order whose batch ended
    unknown, and most hostile answers leave one."""
    digits = f"{next(_orders):09d}"
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def commands(order: str, csv_path) -> list[list[str]]:
    csv_path.write_text(f"order_id,action,notes\n{order},cancel,asked to\n")
    return [
        ["pending"],
        ["pending", "--json"],
        ["query", order],
        ["query", order, "--json"],
        ["submit", str(csv_path), "--yes"],
        ["submit", str(csv_path), "--yes", "--json"],
    ]


# -- the password, however the receiver echoes it -----------------------------------------

ENCODINGS = {
    "raw": lambda v: v,
    "quote_plus": quote_plus,
    "quote": lambda v: quote(v, safe=""),
    "repr": lambda v: repr(v)[1:-1],
    "json": lambda v: json.dumps(v)[1:-1],
    "json-utf8": lambda v: json.dumps(v, ensure_ascii=False)[1:-1],
    "html": html.escape,
    "html-noquote": lambda v: html.escape(v, quote=False),
}
password_chars = st.one_of(
    st.sampled_from("\"'&<>\\%+=;#/?-_"),
    st.characters(whitelist_categories=("Lu", "Ll", "Nd"), max_codepoint=0x2FF),
)
passwords = st.text(alphabet=password_chars, min_size=8, max_size=24)
# Around the password: symbols none of its encodings uses, and controls, so a run of
# password characters in the output can only come from the echoed copy.
FILLER = st.sampled_from([*"─│┌┐└┘├┤┬┴┼═║■□▲△▼▽◆◇○◎●★☆♠♣♥♦ ", "\x1b", "\x9b", "\u202e", "\x7f", "\t"])
TEMPLATES = [
    "{order} {pw}",  # as a status word
    "{order} error_message {pre}{pw}{post}",  # an order refused with its words
    "error_message {pre}{pw}{post}",  # the whole request refused
    "message {pre}{pw}{post}",
    "{pre}{pw}{post}",  # a line that is not the protocol
    "<html><body><p>{pre}{pw}{post}</p></body></html>",
]


def windows(text: str, size: int = 6) -> set[str]:
    return {text[i : i + size] for i in range(len(text) - size + 1)}


def _own_words() -> str:
    """Every string constant of the modules whose words the CLI prints: a password that
    shares six characters with them ("pendin00" and "1 pending order(s)") is not leaked
    when the CLI prints its own message."""
    import ast
    import pathlib

    import ccnow_tui

    root = pathlib.Path(ccnow_tui.__file__).parent
    texts = []
    for path in [*root.glob("*.py"), *root.glob("protocol/*.py"), *root.glob("storage/*.py")]:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                texts.append(node.value)
    return "\n".join(texts)


OWN_WORDS = _own_words()


def assert_no_run_of(forms: set[str], text: str) -> None:
    left = set().union(*(windows(f) for f in forms))
    found = [w for w in left if w in text]
    assert not found, (found, text)


@pytest.mark.slow  # 40 examples, each a CLI run against a hostile receiver
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(password=passwords, encoding=st.sampled_from(sorted(ENCODINGS)), data=st.data())
@example(password="Hunter2-leaks-here", encoding="raw", data=None)
def test_no_output_holds_six_characters_of_the_password(
    cli_env, capsys, tmp_path, monkeypatch, password, encoding, data
):
    monkeypatch.setenv("CCNOW_PASSWORD", password)
    echoed = ENCODINGS[encoding](password)
    assume(not any(w in OWN_WORDS for w in windows(password) | windows(echoed)))
    order = fresh_order()
    if data is None:  # the reported case: a 190-character line, then the password
        lines, status = ["x" * 190 + password], 200
    else:
        n = data.draw(st.integers(1, 3), label="lines")
        lines = []
        for _ in range(n):
            template = data.draw(st.sampled_from(TEMPLATES), label="template")
            pre = data.draw(st.text(FILLER, max_size=8), label="pre") * data.draw(st.integers(0, 40), label="times")
            post = data.draw(st.text(FILLER, max_size=20), label="post")
            lines.append(template.format(order=order, pw=echoed, pre=pre, post=post))
        # not 5xx: reads would retry, after a back-off
        status = data.draw(st.sampled_from([200, 200, 200, 404, 403]), label="status")
    cli_env.answer("\n".join(lines) + "\n", status)
    as_json = data is not None and data.draw(st.booleans(), label="json")
    for argv in commands(order, tmp_path / "b.csv"):
        if ("--json" in argv) != as_json:
            continue
        code, out, err = run(argv, capsys)
        assert code != cli.EXIT_INTERNAL, err
        for text in (out, err):
            assert_no_run_of({password, echoed}, text)
        if "--json" in argv:
            for line in out.splitlines():
                assert_no_run_of({password, echoed}, json.dumps(json.loads(line), ensure_ascii=False))


def test_a_long_line_then_the_password_is_masked_not_cut(cli_env, capsys, monkeypatch):
    """Cut to 200 characters, then masked, showed the password's first 10 characters."""
    password = "Pw-190-cut-Secret"
    monkeypatch.setenv("CCNOW_PASSWORD", password)
    cli_env.answer("y" * 190 + password + " and more\n")
    code, _out, err = run(["pending"], capsys)
    assert code == 3
    assert "y" * 190 in err and password[:6] not in err and "Pw-190" not in err


@pytest.mark.parametrize("argv", [["query", "{order}"], ["query", "{order}", "--json"]])
def test_the_receivers_words_on_stdout_are_masked(cli_env, capsys, monkeypatch, argv):
    password = "stdout-echo-pw-9"
    monkeypatch.setenv("CCNOW_PASSWORD", password)
    order = fresh_order()
    cli_env.answer(f"{order} error_message wrong password {password} for demo\n")
    code, out, _err = run([a.format(order=order) for a in argv], capsys)
    assert code == 1
    assert password not in out and MASK in (json.loads(out)["error"] if "--json" in argv else out)


# -- terminal controls ---------------------------------------------------------------------

OSC_TITLE = "\x1b]0;pwned\x07"
OSC52 = "\x1b]52;c;ZWNobyBldmls\x07"
FORGE = "\x1b[1A\x1b[2K\rccnow-tui: done: 2 applied"
HOSTILE = [OSC_TITLE, OSC52, FORGE, "\x9b31m", "\x7f", "\u202eevil\u202c", "\u2066x\u2069", "\x00\x08\x0b"]
# Nothing a terminal acts on: C0 but tab and the newline that ends each line, DEL, C1, bidi.
ACTED_ON = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printed_lines_are_inert(text: str) -> None:
    for line in text.splitlines():
        assert not ACTED_ON.search(line), repr(line)


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize("template", [*TEMPLATES[1:], "{order} pen\x1bding"])
@pytest.mark.parametrize("as_json", [False, True])
def test_no_control_character_from_the_receiver_reaches_the_terminal(
    cli_env, capsys, tmp_path, monkeypatch, hostile, template, as_json
):
    monkeypatch.setenv("CCNOW_PASSWORD", "controls-pw-31")
    order = fresh_order()
    cli_env.answer(template.format(order=order, pre=hostile, pw="", post=hostile) + "\n")
    for argv in commands(order, tmp_path / "b.csv"):
        if ("--json" in argv) != as_json:
            continue
        code, out, err = run(argv, capsys)
        assert code != cli.EXIT_INTERNAL, err
        printed_lines_are_inert(out)
        printed_lines_are_inert(err)
        assert "\x1b" not in out + err
        if as_json:
            for line in out.splitlines():
                json.loads(line)  # still JSON, the controls as \u escapes


def test_a_forged_done_line_stays_on_the_line_it_came_in(cli_env, capsys, monkeypatch):
    monkeypatch.setenv("CCNOW_PASSWORD", "controls-pw-32")
    order = fresh_order()
    cli_env.answer(f"{order} error_message refused{FORGE}\n")
    _code, out, _err = run(["query", order], capsys)
    assert out == f"{order} error_message refused\\x1b[1A\\x1b[2K\\x0dccnow-tui: done: 2 applied\n"


def test_http_error_body_is_escaped(cli_env, capsys, monkeypatch):
    monkeypatch.setenv("CCNOW_PASSWORD", "controls-pw-33")
    cli_env.answer(f"{OSC52}Service down{OSC_TITLE}\n", status=403)
    code, _out, err = run(["pending", "--timeout", "5"], capsys)
    assert code == 3
    printed_lines_are_inert(err)
    assert "\\x1b]52;c;ZWNobyBldmls\\x07Service down" in err


def test_journal_escapes_and_masks_what_the_store_holds(cli_env, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("CCNOW_PASSWORD", "journal-pw-34")
    order = fresh_order()
    cli_env.answer(f"{order} error_message no{OSC_TITLE}\u202eway\n")
    path = tmp_path / "b.csv"
    path.write_text(f"order_id,action\n{order},ship\n")
    assert run(["submit", str(path), "--yes"], capsys)[0] == 1
    for argv in (["journal"], ["journal", "--json"]):
        code, out, _err = run(argv, capsys)
        assert code == 0 and out
        printed_lines_are_inert(out)
        if "--json" in argv:
            rows = [json.loads(line) for line in out.splitlines()]
            assert "\\u202e" in out and "\\u001b" in out  # escaped in the JSON text ...
            assert any("\u202e" in json.dumps(r, ensure_ascii=False) for r in rows)  # ... the data intact
        else:
            assert "no\\x1b]0;pwned\\x07\\u202eway" in out


# -- the function itself -------------------------------------------------------------------


def test_safe_text_masks_before_it_cuts():
    Secret("cut-before-mask-pw")
    text = "z" * 198 + "cut-before-mask-pw"
    assert safe_text(text, 200) == "z" * 198 + MASK[:1] + "…"
    assert "cut-be" not in safe_text(text, 200)


def test_safe_text_masks_a_secret_cut_off_elsewhere():
    Secret("edge-secret-xyz")
    assert safe_text("answer ends in edge-sec", cut=True) == "answer ends in " + MASK
    assert safe_text("ret-xyz starts it", cut=True) == MASK + " starts it"
    assert safe_text("answer ends in edge-sec") == "answer ends in edge-sec"  # only when told it was cut


@pytest.mark.parametrize(
    "char, shown",
    [
        ("\x1b", "\\x1b"),
        ("\x07", "\\x07"),
        ("\x7f", "\\x7f"),
        ("\x85", "\\x85"),
        ("\x9b", "\\x9b"),
        ("\u202e", "\\u202e"),
        ("\u2066", "\\u2066"),
        ("\u2069", "\\u2069"),
        ("\n", "\\x0a"),
        ("\r", "\\x0d"),
        ("\t", "\t"),
        ("é", "é"),
        ("\U0001f600", "\U0001f600"),
    ],
)
def test_escape_controls(char, shown):
    assert escape_controls(f"a{char}b") == f"a{shown}b"


def test_escape_keeps_this_programs_own_newlines_only_when_asked():
    assert escape_controls("one\ntwo", newlines=True) == "one\ntwo"
    assert escape_controls("one\ntwo") == "one\\x0atwo"
