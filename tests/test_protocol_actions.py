"""The five actions, their fields and the rules those fields follow."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccnow_tui.protocol.actions import (
    ACTION_FIELDS,
    MAX_NOTES,
    ActionError,
    ActionKind,
    StagedAction,
    clean_notes,
    format_amount,
    parse_amount,
)
from ccnow_tui.protocol.orderid import OrderId

OID = "396-10-1142"


# ---------------------------------------------------------------- kinds


def test_the_five_actions() -> None:
    assert [k.value for k in ActionKind] == ["query", "cancel", "ship", "adjust", "track"]


@pytest.mark.parametrize("kind", list(ActionKind))
def test_only_query_changes_nothing(kind: ActionKind) -> None:
    assert kind.changes_orders is (kind is not ActionKind.QUERY)


@pytest.mark.parametrize("text", ["ship", "SHIP", " Ship ", ActionKind.SHIP])
def test_action_names_are_read_leniently(text: object) -> None:
    assert StagedAction.make(OID, text).kind is ActionKind.SHIP


@pytest.mark.parametrize("bad", ["shipped", "", "delete", "refund", None, 3])
def test_unknown_action_rejected_with_field_action(bad: object) -> None:
    with pytest.raises(ActionError) as info:
        StagedAction.make(OID, bad)
    assert info.value.field == "action"
    assert repr(str(bad)) in info.value.message


def test_bad_order_id_rejected_with_field_order_id_naming_it() -> None:
    with pytest.raises(ActionError) as info:
        StagedAction.make("39610114", "ship")
    assert info.value.field == "order_id"
    assert "'39610114'" in info.value.message


def test_action_error_is_a_value_error_with_field_prefix() -> None:
    err = ActionError("amount", "bad")
    assert isinstance(err, ValueError)
    assert str(err) == "amount: bad"


def test_order_id_is_parsed_and_canonical() -> None:
    e = StagedAction.make("  396101142 ", "query")
    assert e.order_id == OrderId.parse(OID)
    assert isinstance(e.order_id, OrderId)


# ---------------------------------------------------------------- amounts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5", "5.00"),
        ("5.0", "5.00"),
        ("5.00", "5.00"),
        ("5.5", "5.50"),
        ("0.01", "0.01"),
        ("12.34", "12.34"),
        (" 7.25 ", "7.25"),
        ("007", "7.00"),
        ("999999.99", "999999.99"),
        (Decimal("3.1"), "3.10"),
        (2, "2.00"),
    ],
)
def test_parse_amount_accepts_plain_positive_decimals(text: object, expected: str) -> None:
    amount = parse_amount(text)
    assert isinstance(amount, Decimal)
    assert amount == Decimal(expected)
    assert format_amount(amount) == expected
    assert str(amount) == expected  # quantised to two places


@pytest.mark.parametrize(
    "bad",
    [
        "$5",
        "5$",
        "1,000",
        "1e3",
        "1E3",
        "-1",
        "+1",
        "0",
        "0.00",
        "0.001",
        "5.001",
        "",
        "   ",
        None,
        ".",
        "5..0",
        "5.0.0",
        "five",
        "NaN",
        "Infinity",
        "5 00",
        "\u0665",
        "５",
        "-0.01",
        "1000000",
        "1e-2",
    ],
)
def test_parse_amount_rejects_with_field_amount(bad: object) -> None:
    with pytest.raises(ActionError) as info:
        parse_amount(bad)
    assert info.value.field == "amount"


@pytest.mark.parametrize("bad", ["$5", "1,000", "1e3", "-1", "0", "5.001"])
def test_amount_message_names_the_bad_value(bad: str) -> None:
    with pytest.raises(ActionError) as info:
        parse_amount(bad)
    assert repr(bad) in info.value.message


@pytest.mark.parametrize("bad", ["$5", "1,000", "1e3", "-1", "0", "5.001", "", None])
def test_adjust_with_bad_amount_rejected_with_field_amount(bad: object) -> None:
    with pytest.raises(ActionError) as info:
        StagedAction.make(OID, "adjust", amount=bad)
    assert info.value.field == "amount"


def test_format_amount_never_uses_exponents() -> None:
    assert format_amount(Decimal("1E+2")) == "100.00"
    assert format_amount(Decimal("0.1")) == "0.10"
    assert format_amount(Decimal("5")) == "5.00"


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=1, max_value=99_999_999))
def test_property_amount_cents_round_trip(cents: int) -> None:
    text = f"{cents // 100}.{cents % 100:02d}"
    amount = parse_amount(text)
    assert amount == Decimal(cents) / 100
    assert format_amount(amount) == text
    assert parse_amount(format_amount(amount)) == amount


# ---------------------------------------------------------------- notes


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Test order", "Test order"),
        ("  padded  ", "padded"),
        ("line one\nline two", "line one line two"),
        ("line one\r\nline two", "line one line two"),
        ("line one\rline two", "line one line two"),
        ("a\tb", "a b"),
        ("\nleading and trailing\n", "leading and trailing"),
        ("Thank you — ünïcode ✓", "Thank you — ünïcode ✓"),
        (None, ""),
        ("", ""),
    ],
)
def test_clean_notes_folds_line_breaks_to_spaces(raw: object, clean: str) -> None:
    assert clean_notes(raw) == clean


@pytest.mark.parametrize("ch", ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x85", "\x9f"])
def test_clean_notes_rejects_control_characters(ch: str) -> None:
    with pytest.raises(ActionError) as info:
        clean_notes(f"bad{ch}note")
    assert info.value.field == "notes"
    assert f"U+{ord(ch):04X}" in info.value.message


def test_clean_notes_control_error_uses_given_field() -> None:
    with pytest.raises(ActionError) as info:
        clean_notes("x\x00", field="trackname")
    assert info.value.field == "trackname"


def test_notes_limit_is_500_characters_after_folding() -> None:
    assert MAX_NOTES == 500
    assert len(clean_notes("x" * 500)) == 500
    assert clean_notes("  " + "x" * 500 + "\n") == "x" * 500
    with pytest.raises(ActionError) as info:
        clean_notes("x" * 501)
    assert info.value.field == "notes"
    assert "501" in info.value.message
    # 250 + CRLF + 249 folds to 250 + 1 + 249 = 500: allowed.
    assert len(clean_notes("a" * 250 + "\r\n" + "b" * 249)) == 500


@pytest.mark.parametrize("kind", ["cancel", "adjust", "track"])
def test_actions_with_notes_clean_them(kind: str) -> None:
    extra = (
        {"amount": "1"} if kind == "adjust" else {"trackname": "UPS", "tracknumber": "1Z"} if kind == "track" else {}
    )
    e = StagedAction.make(OID, kind, notes=" Sorry,\r\nout of stock ", **extra)
    assert e.notes == "Sorry, out of stock"
    with pytest.raises(ActionError) as info:
        StagedAction.make(OID, kind, notes="x" * 501, **extra)
    assert info.value.field == "notes"
    with pytest.raises(ActionError) as info:
        StagedAction.make(OID, kind, notes="bell\x07", **extra)
    assert info.value.field == "notes"


# ---------------------------------------------------------------- each action


def test_query() -> None:
    e = StagedAction.make(OID, "query")
    assert (e.kind, e.notes, e.amount, e.trackname, e.tracknumber) == (ActionKind.QUERY, "", None, "", "")
    assert e.form_fields(1) == [("x_orderid_1", OID), ("x_action_1", "query")]


def test_ship() -> None:
    e = StagedAction.make("397101159", "ship")
    assert e.form_fields(2) == [("x_orderid_2", "397-10-1159"), ("x_action_2", "ship")]


@pytest.mark.parametrize("kind", [ActionKind.SHIP, ActionKind.QUERY])
def test_fieldless_actions_for_many_orders_are_what_make_builds(kind: ActionKind) -> None:
    """The C-speed maker of a whole list's ships (or queries) builds, for each order, the
    very action ``make`` builds: equal, of the same type, every field by name."""
    orders = [OrderId.parse(f"{396101142 + i * 7}") for i in range(5)]
    made = StagedAction.fieldless(kind, orders)
    expected = [StagedAction.make(o, kind.value) for o in orders]
    assert made == expected and all(type(a) is StagedAction for a in made)
    assert [a._asdict() for a in made] == [a._asdict() for a in expected]
    assert [a.form_fields(1) for a in made] == [a.form_fields(1) for a in expected]


@pytest.mark.parametrize("kind", [ActionKind.CANCEL, ActionKind.ADJUST, ActionKind.TRACK])
def test_fieldless_refuses_an_action_that_takes_fields(kind: ActionKind) -> None:
    with pytest.raises(ActionError, match=f"{kind.value} takes fields"):
        StagedAction.fieldless(kind, [OrderId.parse(OID)])


def test_cancel_with_and_without_notes() -> None:
    assert StagedAction.make(OID, "cancel", notes="Test order").form_fields(1) == [
        ("x_orderid_1", OID),
        ("x_action_1", "cancel"),
        ("x_notes_1", "Test order"),
    ]
    # Empty notes are not sent at all.
    assert StagedAction.make(OID, "cancel").form_fields(1) == [("x_orderid_1", OID), ("x_action_1", "cancel")]
    assert StagedAction.make(OID, "cancel", notes=" \n ").form_fields(1) == [
        ("x_orderid_1", OID),
        ("x_action_1", "cancel"),
    ]


def test_adjust_sends_amount_with_two_places() -> None:
    e = StagedAction.make(OID, "adjust", amount="5", notes="Late delivery")
    assert e.amount == Decimal("5.00")
    assert e.form_fields(3) == [
        ("x_orderid_3", OID),
        ("x_action_3", "adjust"),
        ("x_amount_3", "5.00"),
        ("x_notes_3", "Late delivery"),
    ]


def test_adjust_requires_amount() -> None:
    for missing in (None, "", "  "):
        with pytest.raises(ActionError) as info:
            StagedAction.make(OID, "adjust", amount=missing)
        assert info.value.field == "amount"


def test_track_sends_carrier_number_and_notes() -> None:
    e = StagedAction.make(OID, "track", trackname=" FedEx ", tracknumber="7946 1234\n5678", notes="Arrives Monday")
    assert (e.trackname, e.tracknumber) == ("FedEx", "7946 1234 5678")
    assert e.form_fields(1) == [
        ("x_orderid_1", OID),
        ("x_action_1", "track"),
        ("x_trackname_1", "FedEx"),
        ("x_tracknumber_1", "7946 1234 5678"),
        ("x_notes_1", "Arrives Monday"),
    ]


@pytest.mark.parametrize(
    ("trackname", "tracknumber", "field"),
    [
        ("", "1Z999", "trackname"),
        ("UPS", "", "tracknumber"),
        ("  ", "1Z999", "trackname"),
        ("UPS", None, "tracknumber"),
    ],
)
def test_track_needs_carrier_and_number(trackname: object, tracknumber: object, field: str) -> None:
    with pytest.raises(ActionError) as info:
        StagedAction.make(OID, "track", trackname=trackname, tracknumber=tracknumber)
    assert info.value.field == field


@pytest.mark.parametrize("field", ["trackname", "tracknumber"])
def test_track_fields_reject_control_characters_and_overlong(field: str) -> None:
    good = {"trackname": "UPS", "tracknumber": "1Z999"}
    with pytest.raises(ActionError) as info:
        StagedAction.make(OID, "track", **{**good, field: "1Z\x00"})
    assert info.value.field == field
    with pytest.raises(ActionError) as info:
        StagedAction.make(OID, "track", **{**good, field: "X" * 101})
    assert info.value.field == field
    assert StagedAction.make(OID, "track", **{**good, field: "X" * 100})


ALL_FIELDS = {"notes": "a note", "amount": "5", "trackname": "UPS", "tracknumber": "1Z999"}


@pytest.mark.parametrize(
    ("kind", "field"),
    [(k.value, f) for k in ActionKind for f in ALL_FIELDS if f not in ACTION_FIELDS[k]],
)
def test_fields_an_action_does_not_take_are_rejected(kind: str, field: str) -> None:
    required = {"adjust": {"amount": "5"}, "track": {"trackname": "UPS", "tracknumber": "1Z999"}}.get(kind, {})
    with pytest.raises(ActionError) as info:
        StagedAction.make(OID, kind, **{**required, field: ALL_FIELDS[field]})
    assert info.value.field == field
    assert kind in info.value.message


def test_fields_each_action_takes() -> None:
    assert ACTION_FIELDS == {
        ActionKind.QUERY: (),
        ActionKind.CANCEL: ("notes",),
        ActionKind.SHIP: (),
        ActionKind.ADJUST: ("amount", "notes"),
        ActionKind.TRACK: ("trackname", "tracknumber", "notes"),
    }


def test_blank_unused_fields_are_ignored() -> None:
    e = StagedAction.make(OID, "ship", notes="   ", amount="", trackname=None, tracknumber="")
    assert e == StagedAction.make(OID, "ship")


def test_staged_action_is_frozen_and_hashable() -> None:
    e = StagedAction.make(OID, "ship")
    with pytest.raises(AttributeError):
        e.kind = ActionKind.CANCEL  # type: ignore[misc]
    assert hash(e) == hash(StagedAction.make("396101142", "SHIP"))


def test_describe() -> None:
    e = StagedAction.make(OID, "adjust", amount="5", notes="late")
    assert e.describe() == "adjust 396-10-1142 $5.00 “late”"
    t = StagedAction.make(OID, "track", trackname="UPS", tracknumber="1Z9")
    assert t.describe() == "track 396-10-1142 UPS 1Z9"


# ---------------------------------------------------------------- to_dict / from_dict

EXAMPLES = [
    StagedAction.make(OID, "query"),
    StagedAction.make(OID, "ship"),
    StagedAction.make(OID, "cancel"),
    StagedAction.make(OID, "cancel", notes="Test order"),
    StagedAction.make(OID, "adjust", amount="12.5"),
    StagedAction.make(OID, "adjust", amount="0.01", notes="goodwill"),
    StagedAction.make(OID, "track", trackname="DHL", tracknumber="JD0146"),
    StagedAction.make(OID, "track", trackname="DHL", tracknumber="JD0146", notes="Package should arrive in a week."),
]


@pytest.mark.parametrize("entry", EXAMPLES, ids=lambda e: e.describe())
def test_to_dict_from_dict_round_trip(entry: StagedAction) -> None:
    data = entry.to_dict()
    assert set(data) == {"order_id", "action", "notes", "amount", "trackname", "tracknumber"}
    assert all(isinstance(v, str) for v in data.values())
    assert StagedAction.from_dict(data) == entry


def test_to_dict_shape() -> None:
    assert StagedAction.make("396101142", "adjust", amount="5", notes="x").to_dict() == {
        "order_id": OID,
        "action": "adjust",
        "notes": "x",
        "amount": "5.00",
        "trackname": "",
        "tracknumber": "",
    }


def test_from_dict_validates() -> None:
    with pytest.raises(ActionError) as info:
        StagedAction.from_dict({"order_id": OID, "action": "adjust", "amount": "-5"})
    assert info.value.field == "amount"
    with pytest.raises(ActionError) as info:
        StagedAction.from_dict({"order_id": "nope", "action": "ship"})
    assert info.value.field == "order_id"
    with pytest.raises(ActionError) as info:
        StagedAction.from_dict({"order_id": OID, "action": "ship", "notes": "sneaky"})
    assert info.value.field == "notes"
    with pytest.raises(ActionError) as info:
        StagedAction.from_dict({"order_id": OID})
    assert info.value.field == "action"


def test_from_dict_minimal() -> None:
    assert StagedAction.from_dict({"order_id": "396101142", "action": "ship"}) == StagedAction.make(OID, "ship")


# ---------------------------------------------------------------- what the consumer would see


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("line one\u2028line two", "line one line two"),
        ("para one\u2029para two", "para one para two"),
        ("\u2028edges\u2029", "edges"),
        ("mixed\r\n\u2028twice", "mixed  twice"),  # one space per break, as for \n\n
        ("Grüße\u2028aus Köln", "Grüße aus Köln"),
        # Visible text in any script stays as typed (Arabic is right-to-left, not a control).
        ("Danke schön — ¡gracias! 谢谢 شكرا 🙂\u2029½", "Danke schön — ¡gracias! 谢谢 شكرا 🙂 ½"),
    ],
)
def test_unicode_line_and_paragraph_separators_fold_like_line_breaks(raw: str, clean: str) -> None:
    assert clean_notes(raw) == clean


@pytest.mark.parametrize(
    ("text", "kind", "char", "position"),
    [
        ("abc def\u202egnp.exe", "a bidi control", "U+202E", 8),
        ("\u202ahello", "a bidi control", "U+202A", 1),
        ("hi \u2066x\u2069", "a bidi control", "U+2066", 4),
        ("ab\u2067", "a bidi control", "U+2067", 3),
        ("Größe\u2068", "a bidi control", "U+2068", 6),
        ("x\u200ey", "a bidi control", "U+200E", 2),
        ("x\u200fy", "a bidi control", "U+200F", 2),
        ("\u0645\u061c1", "a bidi control", "U+061C", 2),
        ("zero\u200bwidth", "a zero-width character", "U+200B", 5),
        ("a\u200cb", "a zero-width character", "U+200C", 2),
        ("a\u200db", "a zero-width character", "U+200D", 2),
        ("a\u2060b", "a zero-width character", "U+2060", 2),
        ("\ufeffBOM first", "a zero-width character", "U+FEFF", 1),
        # Positions count the text as typed: before line breaks fold and blanks are stripped.
        ("  \r\nab\u202e", "a bidi control", "U+202E", 7),
        ("🙂 x\u200by", "a zero-width character", "U+200B", 4),
        ("half a pair \ud800", "an unpaired surrogate", "U+D800", 13),
    ],
)
def test_bidi_controls_and_zero_width_characters_are_refused_naming_them_and_where(
    text: str, kind: str, char: str, position: int
) -> None:
    with pytest.raises(ActionError) as info:
        clean_notes(text)
    assert info.value.field == "notes"
    assert info.value.message == f"contains {kind} {char} at position {position}"


@pytest.mark.parametrize("field", ["trackname", "tracknumber", "notes"])
def test_tracking_fields_refuse_invisible_characters_too(field: str) -> None:
    good = {"trackname": "UPS", "tracknumber": "1Z999", "notes": "ok"}
    with pytest.raises(ActionError) as info:
        StagedAction.make(OID, "track", **{**good, field: "1Z\u202e999"})
    assert info.value.field == field
    assert "U+202E at position 3" in info.value.message


@pytest.fixture
def api_password():
    """The API password registered as a Secret the way the app does, forgotten afterwards."""
    import importlib

    from ccnow_tui.protocol.redact import Secret

    redact_mod = importlib.import_module("ccnow_tui.protocol.redact")
    saved = redact_mod._known
    redact_mod._known = set()
    try:
        yield Secret("Hunter2&Co!").reveal()
    finally:
        redact_mod._known = saved


@pytest.mark.parametrize("field", ["notes", "trackname", "tracknumber"])
@pytest.mark.parametrize("shown", ["Hunter2&Co!", "Hunter2%26Co%21", "Hunter2&amp;Co!"], ids=["raw", "url", "html"])
def test_a_field_holding_the_api_password_is_refused_without_repeating_it(
    api_password: str, field: str, shown: str
) -> None:
    good = {"trackname": "UPS", "tracknumber": "1Z999", "notes": "ok"}
    with pytest.raises(ActionError) as info:
        StagedAction.make(OID, "track", **{**good, field: f"see {shown} here"})
    assert info.value.field == field
    assert info.value.message == "contains the API password; it would be sent to the consumer"
    assert "Hunter2" not in str(info.value)
    with pytest.raises(ActionError):
        StagedAction.make(OID, "cancel", notes=f"pw\n{api_password}")
    # Only the password itself is refused, not text that resembles it.
    assert StagedAction.make(OID, "cancel", notes="Hunter2 & Co").notes == "Hunter2 & Co"


@pytest.mark.parametrize("field", ["trackname", "tracknumber"])
@pytest.mark.parametrize("length", [501, 100_000])
def test_an_overlong_tracking_field_is_told_its_own_limit(field: str, length: int) -> None:
    good = {"trackname": "UPS", "tracknumber": "1Z999"}
    with pytest.raises(ActionError) as info:
        StagedAction.make(OID, "track", **{**good, field: "X" * length})
    assert info.value.message == f"is {length} characters long; at most 100 are allowed"


# -- invisible characters by category (issue 17 §5) -------------------------------------------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_PLAIN = st.text(
    st.characters(categories=("L", "N", "P", "S", "Zs"), exclude_characters="\u3164\u115f\u1160\uffa0"), max_size=20
)
_EXTRA_INVISIBLE = st.sampled_from(
    [
        "\u00ad",
        "\u034f",
        "\u180e",
        "\ufff9",
        "\ufffa",
        "\ufffb",
        "\U000e0000",
        "\U000e0001",
        "\U000e0041",
        "\U000e007f",
        "\u3164",
        "\u115f",
    ]
)


@given(before=_PLAIN, invisible=st.one_of(st.characters(categories=("Cf",)), _EXTRA_INVISIBLE), after=_PLAIN)
def test_every_format_character_is_refused_by_category_naming_it(before: str, invisible: str, after: str) -> None:
    for field, cleaner in (("notes", clean_notes), ("tracknumber", None)):
        text = f"x{before}{invisible}{after}"
        with pytest.raises(ActionError) as info:
            if cleaner:
                cleaner(text)
            else:
                StagedAction.make(OID, "track", trackname="UPS", tracknumber=text)
        assert info.value.field == field
        assert f"U+{ord(invisible):04X} at position {len(before) + 2}" in info.value.message


@given(text=_PLAIN)
def test_visible_text_of_every_other_category_is_kept(text: str) -> None:
    assert clean_notes(f"x{text}") == f"x{text}".strip()


@pytest.mark.parametrize(
    "char, kind",
    [
        ("\u00ad", "a soft hyphen"),
        ("\U000e0041", "a tag character"),
        ("\ufff9", "an invisible format character"),
        ("\u034f", "an invisible character"),
        ("\u180e", "an invisible format character"),
    ],
)
def test_invisible_characters_are_named_as_what_they_are(char: str, kind: str) -> None:
    with pytest.raises(ActionError) as info:
        clean_notes(f"ab{char}c")
    assert kind in info.value.message and "position 3" in info.value.message


def test_variation_selectors_of_emoji_stay() -> None:
    assert clean_notes("thanks \u2764\ufe0f") == "thanks \u2764\ufe0f"
