"""Secrets: never shown by str/repr/format/pickle; redact() masks them however they got in."""

from __future__ import annotations

import importlib
import logging
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, quote_plus, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccnow_tui.protocol.redact import MASK, Secret, redact

# The package re-exports the function redact(), which hides the submodule attribute.
redact_mod = importlib.import_module("ccnow_tui.protocol.redact")


@contextmanager
def private_registry() -> Iterator[None]:
    """Secrets made inside are forgotten afterwards, so random test secrets (say, "a")
    do not go on masking text in every later test of the session."""
    saved = redact_mod._known
    redact_mod._known = set(saved)
    try:
        yield
    finally:
        redact_mod._known = saved


PW = "redact-test-pw/with space&amp=+%"


def test_secret_never_shows_its_value() -> None:
    with private_registry():
        s = Secret(PW)
        assert s.reveal() == PW
        # Every formatting path on purpose: %-formatting and str.format are not the f-strings above.
        forms = (
            str(s),
            repr(s),
            f"{s}",
            f"{s!r}",
            "%s" % s,  # noqa: UP031
            "{}".format(s),  # noqa: UP032
            str([s]),
            str({"pw": s}),
        )
        for shown in forms:
            assert PW not in shown
            assert MASK in shown


def test_secret_cannot_be_pickled() -> None:
    with private_registry():
        with pytest.raises(TypeError):
            pickle.dumps(Secret(PW))


def test_secret_equality_and_truth() -> None:
    with private_registry():
        assert Secret(PW) == Secret(PW)
        assert Secret(PW) != Secret(PW + "x")
        assert Secret(PW) != PW
        assert hash(Secret(PW)) == hash(Secret(PW))
        assert Secret(PW) and not Secret("")


def test_secret_in_a_log_record(caplog: pytest.LogCaptureFixture) -> None:
    with private_registry():
        s = Secret(PW)
        with caplog.at_level(logging.INFO):
            logging.getLogger("ccnow-test").info("logging in with %s / %r", s, s)
        assert PW not in caplog.text
        assert MASK in caplog.text


@pytest.mark.parametrize(
    "form",
    [
        lambda v: v,
        quote_plus,
        lambda v: quote(v, safe=""),
        lambda v: repr(v)[1:-1],
        lambda v: urlencode({"x_password": v}).split("=", 1)[1],
    ],
    ids=["plain", "quote_plus", "quote", "repr", "urlencode"],
)
def test_registered_secret_is_masked_in_every_form(form) -> None:
    with private_registry():
        Secret(PW)
        text = f"POST x_clientid=amy&x_password={form(PW)}&x_action_1=ship failed"
        out = redact(text)
        assert form(PW) not in out
        assert MASK in out
        assert out.startswith("POST x_clientid=amy&x_password=")
        assert out.endswith("&x_action_1=ship failed")


def test_form_body_of_a_request_is_masked() -> None:
    with private_registry():
        Secret(PW)
        body = urlencode([("x_clientid", "amy"), ("x_password", PW), ("x_orderid_1", "396-10-1142")])
        assert redact(body) == f"x_clientid=amy&x_password={MASK}&x_orderid_1=396-10-1142"


def test_every_occurrence_is_masked() -> None:
    with private_registry():
        Secret("hunter2-xyz")
        assert redact("hunter2-xyz and hunter2-xyz") == f"{MASK} and {MASK}"


def test_longer_secret_masked_whole() -> None:
    with private_registry():
        Secret("abc-secret")
        Secret("abc-secret-and-more")
        assert redact("=abc-secret-and-more=") == f"={MASK}="


def test_extra_secrets_without_registration() -> None:
    with private_registry():
        assert redact("token=zzz-unregistered-1", "zzz-unregistered-1") == f"token={MASK}"
        # Not registered by that call.
        assert redact("token=zzz-unregistered-1") == "token=zzz-unregistered-1"
        assert redact("nothing here", "") == "nothing here"


def test_empty_secret_masks_nothing() -> None:
    with private_registry():
        Secret("")
        assert redact("plain text") == "plain text"


def test_redact_accepts_any_object() -> None:
    with private_registry():
        s = Secret("obj-secret-42")
        err = RuntimeError("login failed for obj-secret-42")
        assert "obj-secret-42" not in redact(err)
        assert redact(12) == "12"
        assert "obj-secret-42" not in redact({"pw": s.reveal()})


def test_text_without_secrets_is_unchanged() -> None:
    with private_registry():
        Secret("never-in-the-text-77")
        for text in ("", "396-10-1142 pending", "error_message invalid login", "ünïcode ✓"):
            assert redact(text) == text


# Secrets and surroundings: any text except the mask's own bullet (a secret made of
# bullets would trivially "appear" in the mask).
no_bullet = st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="•")
secrets = st.text(alphabet=no_bullet, min_size=1, max_size=24)
around = st.text(alphabet=no_bullet, max_size=40)


@settings(max_examples=200, deadline=None)
@given(secrets, around, around)
def test_property_registered_secret_is_masked_in_any_text(value: str, before: str, after: str) -> None:
    with private_registry():
        Secret(value)
        for shown in (value, quote_plus(value), quote(value, safe="")):
            out = redact(before + shown + after)
            assert shown not in out
            assert MASK in out
            assert value not in out


@settings(max_examples=100, deadline=None)
@given(secrets, st.lists(st.tuples(st.sampled_from(["x_clientid", "x_orderid_1", "x_notes_1"]), around), max_size=4))
def test_property_secret_masked_in_any_form_body(value: str, others: list[tuple[str, str]]) -> None:
    with private_registry():
        Secret(value)
        body = urlencode([*others[:2], ("x_password", value), *others[2:]])
        out = redact(body)
        assert quote_plus(value) not in out
        assert MASK in out  # (a one-letter secret may mask letters of field names too)


# A password longer than any field name, without '&' or '=': it can only occur inside
# values, so the form keeps its shape and exactly the password value is masked.
long_secrets = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="•&="),
    min_size=12,
    max_size=30,
)


@settings(max_examples=100, deadline=None)
@given(
    long_secrets, st.lists(st.tuples(st.sampled_from(["x_clientid", "x_orderid_1", "x_notes_1"]), around), max_size=4)
)
def test_property_password_field_masked_exactly(value: str, others: list[tuple[str, str]]) -> None:
    with private_registry():
        Secret(value)
        out = redact(urlencode([*others[:2], ("x_password", value), *others[2:]]))
        assert f"x_password={MASK}" in out.split("&")
        assert [part.split("=", 1)[0] for part in out.split("&")] == (
            [n for n, _ in others[:2]] + ["x_password"] + [n for n, _ in others[2:]]
        )


def test_private_registry_really_forgets() -> None:
    with private_registry():
        Secret("forget-me-please-123")
        assert redact("forget-me-please-123") == MASK
    assert redact("forget-me-please-123") == "forget-me-please-123"


# -- every encoded form ----------------------------------------------------------------------

import base64  # noqa: E402
import html  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402

from hypothesis import example  # noqa: E402

from ccnow_tui.protocol.redact import contains_secret  # noqa: E402


@contextmanager
def empty_registry() -> Iterator[None]:
    """Only the secrets made inside are known (none from other tests of the session)."""
    saved = redact_mod._known
    redact_mod._known = set()
    try:
        yield
    finally:
        redact_mod._known = saved


# The forms a password takes in text we show or log: typed, form-encoded, repr()'d, in
# JSON (both ways), in HTML (attribute-safe or not).
ENCODINGS = {
    "raw": lambda v: v,
    "quote_plus": quote_plus,
    "quote": lambda v: quote(v, safe=""),
    "repr": lambda v: repr(v)[1:-1],
    "json": lambda v: json.dumps(v, ensure_ascii=False)[1:-1],
    "json-ascii": lambda v: json.dumps(v)[1:-1],
    "html": html.escape,
    "html-noquote": lambda v: html.escape(v, quote=False),
    # Forms issue 17 found unmasked: URL-quoting that keeps "/", lowercase percent-hex,
    # upper case (a receiver that shouts), base64, XML numeric character references.
    "quote-keeps-slash": quote,
    "quote-lowercase-hex": lambda v: re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), quote(v, safe="")),
    "upper": str.upper,
    "lower": str.lower,
    "base64": lambda v: base64.b64encode(v.encode("utf-8")).decode("ascii"),
    "base64-urlsafe-unpadded": lambda v: base64.urlsafe_b64encode(v.encode("utf-8")).decode("ascii").rstrip("="),
    "xml-decimal": lambda v: "".join(f"&#{ord(c)};" for c in v),
    "xml-hex": lambda v: "".join(f"&#x{ord(c):x};" for c in v),
    "xml-hex-upper": lambda v: "".join(f"&#X{ord(c):X};" for c in v),
}

HTML_PW = "pa\"ss&<w'rd>"


@pytest.mark.parametrize("form", [html.escape, lambda v: html.escape(v, quote=False)], ids=["quote", "noquote"])
def test_an_html_escaped_password_is_masked(form) -> None:
    with empty_registry():
        Secret(HTML_PW)
        shown = form(HTML_PW)
        assert shown != HTML_PW  # the escaped form really differs
        out = redact(f"<p>login failed for {shown} at line 3</p>")
        assert out == f"<p>login failed for {MASK} at line 3</p>"


# Passwords: 6-30 characters, printable or not, heavy on the characters that encodings change.
password_chars = st.one_of(
    st.sampled_from("\"'&<>\\%+=;# /?"),
    st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="•"),
)
passwords = st.text(alphabet=password_chars, min_size=6, max_size=30)
# Surroundings come from symbols that none of the password's encodings uses, so a run of
# password characters found after masking can only be left over from the embedded copy.
SURROUNDING_POOL = "─│┌┐└┘├┤┬┴┼═║╔╗╚╝╠╣╦╩╬■□▲△▼▽◆◇○◎●★☆♠♣♥♦♪♫☀☁☂"


def windows(text: str, size: int = 6) -> set[str]:
    return {text[i : i + size] for i in range(len(text) - size + 1)}


@settings(max_examples=300, deadline=None)
@given(passwords, st.sampled_from(sorted(ENCODINGS)), st.data())
@example(HTML_PW, "html", None)
@example(HTML_PW, "html-noquote", None)
def test_property_no_run_of_the_password_survives_in_any_encoding(value: str, encoding: str, data) -> None:
    embedded = ENCODINGS[encoding](value)
    used = set("".join(form(value) for form in ENCODINGS.values()))
    pool = [c for c in SURROUNDING_POOL if c not in used]
    if data is None:  # the explicit examples
        before, after = pool[0] * 3, pool[1] * 2
    else:
        before = data.draw(st.text(alphabet=st.sampled_from(pool), max_size=40), label="before")
        after = data.draw(st.text(alphabet=st.sampled_from(pool), max_size=40), label="after")
    with empty_registry():
        Secret(value)
        out = redact(before + embedded + after)
    assert MASK in out
    left = windows(embedded) | windows(value)
    assert not [w for w in left if w in out], (embedded, out)


def test_contains_secret_sees_every_form_and_nothing_else() -> None:
    with empty_registry():
        assert not contains_secret("anything at all")  # nothing registered
        Secret(HTML_PW)
        for form in ENCODINGS.values():
            assert contains_secret(f"note: {form(HTML_PW)} ok")
        assert not contains_secret("pa ss w rd")
        assert not contains_secret("")


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_each_form_of_a_password_is_masked_in_a_sentence(encoding: str) -> None:
    with empty_registry():
        Secret("Tr0ub4dor/&3 ok")
        shown = ENCODINGS[encoding]("Tr0ub4dor/&3 ok")
        out = redact(f"receiver said: {shown} (line 2)")
        assert out == f"receiver said: {MASK} (line 2)", (encoding, shown)
        assert contains_secret(f"note {shown}")


@settings(max_examples=200, deadline=None)
@given(passwords, st.binary(max_size=7), st.binary(max_size=7))
def test_property_a_password_inside_a_longer_base64_text_is_masked(value: str, before: bytes, after: bytes) -> None:
    """``user:password`` in a Basic header, a password in a base64 blob: whatever the bytes
    around it, the characters that encode only the password's bytes are masked (from
    MIN_BASE64_PIECE of them on; the one or two at each end also encode a neighbour)."""
    data = value.encode("utf-8")
    text = base64.b64encode(before + data + after).decode("ascii")
    first, last = -(-8 * len(before) // 6), (8 * len(before) + 8 * len(data)) // 6
    piece = text[first:last]
    with empty_registry():
        Secret(value)
        out = redact(f"Authorization: Basic {text}")
        held = contains_secret(text)
    if len(piece) >= redact_mod.MIN_BASE64_PIECE:
        assert held and MASK in out
        assert not [w for w in windows(piece) if w in out], (piece, out)
