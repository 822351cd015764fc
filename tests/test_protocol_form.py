"""The POSTed form: credentials, numbered entries, the masked preview, and decoding."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccnow_tui.protocol.actions import ActionKind, StagedAction, first_invisible
from ccnow_tui.protocol.batch import Batch
from ccnow_tui.protocol.form import (
    Credentials,
    DecodedEntry,
    decode_request,
    encode_form,
    preview_fields,
    request_fields,
)
from ccnow_tui.protocol.redact import MASK, Secret

PASSWORD = "form-test-pw-Zq7!"
CREDS = Credentials("amylove", Secret(PASSWORD))
LINKED = Credentials("amylove", Secret(PASSWORD), store_id="amystore")


def as_dict(fields: list[tuple[str, str]]) -> dict[str, str]:
    d = dict(fields)
    assert len(d) == len(fields), "a field name repeats"
    return d


# ---------------------------------------------------------------- request_fields


def test_pending_list_request_is_credentials_only() -> None:
    # Vendor example 1: "Get list of pending orders", x_clientid=amylove and no entries.
    assert request_fields(CREDS) == [("x_clientid", "amylove"), ("x_password", PASSWORD)]


def test_store_id_only_for_linked_accounts() -> None:
    assert request_fields(LINKED) == [
        ("x_clientid", "amylove"),
        ("x_storeid", "amystore"),
        ("x_password", PASSWORD),
    ]
    assert "x_storeid" not in as_dict(request_fields(CREDS))


def test_status_request() -> None:
    # Vendor example 4: "Get status of an order".
    fields = request_fields(CREDS, Batch([StagedAction.make("396101142", "query")]))
    assert fields[0] == ("x_clientid", "amylove")
    assert as_dict(fields) == {
        "x_clientid": "amylove",
        "x_password": PASSWORD,
        "x_orderid_1": "396-10-1142",
        "x_action_1": "query",
    }


def test_vendor_example_cancel_and_ship() -> None:
    # Vendor example 5: "Mark an order canceled and an order shipped." The page keeps
    # x_clientid=amylove and x_notes_1=Test order; the answer names 396-10-1142
    # mark_canceled and 397-10-1159 mark_shipped.
    batch = Batch(
        [
            StagedAction.make("396-10-1142", "cancel", notes="Test order"),
            StagedAction.make("397-10-1159", "ship"),
        ]
    )
    fields = request_fields(CREDS, batch)
    assert fields[0] == ("x_clientid", "amylove")
    assert ("x_notes_1", "Test order") in fields
    assert as_dict(fields) == {
        "x_clientid": "amylove",
        "x_password": PASSWORD,
        "x_orderid_1": "396-10-1142",
        "x_action_1": "cancel",
        "x_notes_1": "Test order",
        "x_orderid_2": "397-10-1159",
        "x_action_2": "ship",
    }
    assert "x_clientid=amylove" in urlencode(fields)
    assert "x_notes_1=Test+order" in urlencode(fields)


EXAMPLE6_NOTES = "Package should arrive in a week. Thankyou for your order."


@pytest.mark.parametrize(
    "staged_kinds",
    [("adjust", "track", "ship"), ("ship", "track", "adjust"), ("track", "ship", "adjust")],
)
def test_vendor_example_adjust_track_ship(staged_kinds: tuple[str, ...]) -> None:
    # Vendor example 6: "Mark an order shipped; also apply a discount and include tracking
    # information." The page keeps x_notes_2 = the tracking notes, so tracking is entry 2:
    # adjust (1), track (2), ship (3), whatever order the operator staged them in.
    make = {
        "adjust": lambda: StagedAction.make("396-10-1142", "adjust", amount="5"),
        "track": lambda: StagedAction.make(
            "396-10-1142", "track", trackname="Fedex", tracknumber="123456789012", notes=EXAMPLE6_NOTES
        ),
        "ship": lambda: StagedAction.make("396-10-1142", "ship"),
    }
    fields = request_fields(CREDS, Batch([make[k]() for k in staged_kinds]))
    assert fields[0] == ("x_clientid", "amylove")
    assert as_dict(fields) == {
        "x_clientid": "amylove",
        "x_password": PASSWORD,
        "x_orderid_1": "396-10-1142",
        "x_action_1": "adjust",
        "x_amount_1": "5.00",
        "x_orderid_2": "396-10-1142",
        "x_action_2": "track",
        "x_trackname_2": "Fedex",
        "x_tracknumber_2": "123456789012",
        "x_notes_2": EXAMPLE6_NOTES,
        "x_orderid_3": "396-10-1142",
        "x_action_3": "ship",
    }


# ---------------------------------------------------------------- preview


@pytest.mark.parametrize("creds", [CREDS, LINKED])
@pytest.mark.parametrize("batch", [None, Batch([StagedAction.make("396101142", "cancel", notes="Test order")])])
def test_preview_masks_only_the_password(creds: Credentials, batch: Batch | None) -> None:
    real = request_fields(creds, batch)
    shown = preview_fields(creds, batch)
    assert [name for name, _ in shown] == [name for name, _ in real]
    for (name, value), (_, real_value) in zip(shown, real, strict=True):
        if name == "x_password":
            assert value == MASK
        else:
            assert value == real_value
    assert PASSWORD not in repr(shown)
    assert PASSWORD not in urlencode(shown)


def test_credentials_repr_hides_the_password() -> None:
    assert PASSWORD not in repr(CREDS)
    assert PASSWORD not in str(LINKED)
    assert CREDS.form_fields(masked=True)[-1] == ("x_password", MASK)


# ---------------------------------------------------------------- decode_request


def test_decode_groups_numbered_entries() -> None:
    pairs = request_fields(
        LINKED,
        Batch(
            [
                StagedAction.make("396-10-1142", "cancel", notes="Test order"),
                StagedAction.make("397-10-1159", "ship"),
            ]
        ),
    )
    d = decode_request(pairs)
    assert d.error == ""
    assert (d.client_id, d.store_id, d.password) == ("amylove", "amystore", PASSWORD)
    assert d.entries == (
        DecodedEntry(1, {"orderid": "396-10-1142", "action": "cancel", "notes": "Test order"}),
        DecodedEntry(2, {"orderid": "397-10-1159", "action": "ship"}),
    )
    assert d.entries[1].get("notes") == ""


def test_decode_entries_sorted_by_number_not_arrival() -> None:
    d = decode_request([("x_action_2", "ship"), ("x_orderid_2", "B"), ("x_orderid_1", "A"), ("x_action_1", "query")])
    assert d.error == ""
    assert [(e.n, e.get("orderid"), e.get("action")) for e in d.entries] == [(1, "A", "query"), (2, "B", "ship")]


def test_decode_pending_list_request() -> None:
    d = decode_request([("x_clientid", "amylove"), ("x_password", "pw")])
    assert (d.client_id, d.store_id, d.password, d.entries, d.error) == ("amylove", "", "pw", (), "")


def test_decode_ignores_unknown_fields() -> None:
    d = decode_request([("x_clientid", "c"), ("submit", "Go"), ("x_foo_1", "bar"), ("x_orderid_1", "A")])
    assert d.error == ""
    assert d.entries == (DecodedEntry(1, {"orderid": "A"}),)


@pytest.mark.parametrize(
    ("pairs", "names"),
    [
        # a gap: 1 and 3
        ([("x_orderid_1", "A"), ("x_action_1", "query"), ("x_orderid_3", "B"), ("x_action_3", "query")], "x_orderid_2"),
        # numbering does not start at 1
        ([("x_orderid_2", "A"), ("x_action_2", "query")], "x_orderid_1"),
        # a repeat
        ([("x_orderid_1", "A"), ("x_action_1", "query"), ("x_orderid_1", "B")], "x_orderid_1"),
        ([("x_orderid_1", "A"), ("x_action_1", "query"), ("x_action_1", "ship")], "x_action_1"),
        # an action without its order id
        ([("x_orderid_1", "A"), ("x_action_1", "query"), ("x_action_2", "ship")], "x_action_2"),
        ([("x_amount_1", "5.00")], "x_amount_1"),
        # x_orderid_0
        ([("x_orderid_0", "A"), ("x_action_0", "query")], "x_orderid_0"),
        ([("x_orderid_0", "A"), ("x_orderid_1", "B")], "x_orderid_0"),
        # a credential twice
        ([("x_clientid", "a"), ("x_clientid", "b")], "x_clientid"),
        ([("x_password", "a"), ("x_password", "a")], "x_password"),
    ],
)
def test_decode_numbering_errors_name_the_field(pairs: list[tuple[str, str]], names: str) -> None:
    has_creds = any(name in ("x_clientid", "x_password") for name, _ in pairs)
    creds = [] if has_creds else [("x_clientid", "amylove"), ("x_password", "pw")]
    d = decode_request(creds + pairs)
    assert d.error.startswith("invalid request: ")
    assert names in d.error
    assert d.entries == ()  # nothing may be applied


def test_decode_gap_error_keeps_credentials_for_the_answer() -> None:
    d = decode_request([("x_clientid", "amylove"), ("x_password", "pw"), ("x_orderid_2", "A")])
    assert d.error
    assert (d.client_id, d.password) == ("amylove", "pw")


@pytest.mark.parametrize(
    "name",
    [
        "x_orderid_\u0661",
        "x_orderid_\uff11",
        "x_orderid_1\n",
        "x_orderid_1 ",
        " x_orderid_1",
        "X_ORDERID_1",
        "x_orderid_",
    ],
)
def test_decode_field_names_are_ascii_exact(name: str) -> None:
    # Only x_orderid_N with ASCII digits names entry N; anything else is an unknown field.
    d = decode_request([(name, "396101142")])
    assert d.error == ""
    assert d.entries == ()


# ---------------------------------------------------------------- round trip (property)

# Text an operator might type: anything but control characters, plus line breaks and tabs
# (which the client folds to spaces); not the invisible characters notes refuse (bidi
# controls, zero-width and tag characters: first_invisible's rule, not a list of our own).
typed = (
    st.lists(
        st.one_of(
            st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")).filter(lambda c: first_invisible(c) is None),
            st.sampled_from(["\n", "\r\n", "\r", "\t", " ", "&", "=", "+", "%", "%20", ";"]),
        ),
        max_size=30,
    )
    .map("".join)
    .filter(lambda s: first_invisible(s) is None)
)  # what a note may hold (refused otherwise)
typed_required = typed.filter(lambda s: s.strip())
digits9 = st.text(alphabet="0123456789", min_size=9, max_size=9)
order_ids = st.one_of(digits9, digits9.map(lambda d: f"{d[:3]}-{d[3:5]}-{d[5:]}"))
amounts = st.integers(min_value=1, max_value=99_999_999).map(
    lambda c: f"{c // 100}.{c % 100:02d}".rstrip("0").rstrip(".")
)

staged_actions = st.one_of(
    st.builds(lambda o: StagedAction.make(o, "query"), order_ids),
    st.builds(lambda o: StagedAction.make(o, "ship"), order_ids),
    st.builds(lambda o, n: StagedAction.make(o, "cancel", notes=n), order_ids, typed),
    st.builds(lambda o, a, n: StagedAction.make(o, "adjust", amount=a, notes=n), order_ids, amounts, typed),
    st.builds(
        lambda o, t, k, n: StagedAction.make(o, "track", trackname=t, tracknumber=k, notes=n),
        order_ids,
        typed_required,
        typed_required,
        typed,
    ),
)


def remake(entry: DecodedEntry) -> StagedAction:
    return StagedAction.make(
        entry.get("orderid"),
        entry.get("action"),
        notes=entry.get("notes"),
        amount=entry.get("amount") or None,
        trackname=entry.get("trackname"),
        tracknumber=entry.get("tracknumber"),
    )


@settings(max_examples=120, deadline=None)
@given(st.lists(staged_actions, max_size=8), st.booleans())
def test_property_form_round_trip(entries: list[StagedAction], linked: bool) -> None:
    creds = LINKED if linked else CREDS
    batch = Batch(entries)
    body = urlencode(request_fields(creds, batch))
    pairs = parse_qsl(body, keep_blank_values=True, strict_parsing=bool(body))
    decoded = decode_request(pairs)
    assert decoded.error == ""
    assert (decoded.client_id, decoded.store_id, decoded.password) == (creds.client_id, creds.store_id, PASSWORD)
    assert [(e.n, remake(e)) for e in decoded.entries] == batch.numbered()
    # Amounts travel as plain two-place decimals.
    for e in decoded.entries:
        if e.get("action") == ActionKind.ADJUST:
            text = e.get("amount")
            assert Decimal(text).as_tuple().exponent == -2 and "e" not in text.lower()


@settings(max_examples=100, deadline=None)
@given(st.lists(staged_actions, min_size=1, max_size=8))
def test_property_form_fields_numbered_1_to_n(entries: list[StagedAction]) -> None:
    fields = Batch(entries).form_fields()
    ns = [int(name.rsplit("_", 1)[1]) for name, _ in fields if name.startswith("x_orderid_")]
    assert ns == list(range(1, len(entries) + 1))
    assert len(dict(fields)) == len(fields)


def test_zero_padded_entry_number_is_a_request_error_not_an_alias():
    d = decode_request(
        [("x_clientid", "c"), ("x_password", "p"), ("x_orderid_01", "396101142"), ("x_action_01", "ship")]
    )
    assert d.error == "invalid request: x_orderid_01 (entry numbers have no leading zeros)"
    assert d.entries == ()


def test_repeated_credential_keeps_the_rest_and_names_the_field():
    d = decode_request([("x_clientid", "c"), ("x_password", "p"), ("x_password", "q")])
    assert d.error == "invalid request: x_password given twice"
    assert d.client_id == "c"


@given(st.lists(st.tuples(st.text(max_size=12), st.text(max_size=30)), max_size=8))
def test_encode_form_is_urlencode(fields):
    assert encode_form(fields) == urlencode(fields).encode("ascii")


def test_encode_form_escapes_what_must_be_escaped():
    body = encode_form([("x_notes_1", "a b&c=d+é~"), ("x_orderid_1", "396-10-1142")])
    assert body == b"x_notes_1=a+b%26c%3Dd%2B%C3%A9~&x_orderid_1=396-10-1142"
