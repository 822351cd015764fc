"""OrderId: nine digits, ``DDD-DD-DDDD`` canonical, both spellings equal, everything else refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccnow_tui.protocol.orderid import InvalidOrderId, OrderId

nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


@pytest.mark.parametrize(
    "text",
    [
        "396-10-1142",
        "396101142",
        "  396-10-1142  ",
        "\t396101142\n",
        "\r\n 396-10-1142\r\n",
    ],
)
def test_parse_accepts_both_forms_with_blanks_stripped(text: str) -> None:
    oid = OrderId.parse(text)
    assert oid == "396-10-1142"
    assert str(oid) == "396-10-1142"
    assert isinstance(oid, OrderId)
    assert oid.digits == "396101142"


def test_both_spellings_are_equal_and_hash_alike() -> None:
    a = OrderId.parse("397-10-1159")
    b = OrderId.parse("397101159")
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1
    assert {a: 1}[b] == 1


def test_different_orders_differ_and_sort_by_digits() -> None:
    ids = [OrderId.parse(t) for t in ("397101159", "396-10-1142", "000000001")]
    assert ids[0] != ids[1]
    assert sorted(ids) == ["000-00-0001", "396-10-1142", "397-10-1159"]


def test_digits_is_a_plain_nine_digit_string() -> None:
    d = OrderId.parse("012-34-5678").digits
    assert d == "012345678"
    assert len(d) == 9 and d.isascii() and d.isdigit()


def test_leading_zeros_are_kept() -> None:
    assert OrderId.parse("000000000") == "000-00-0000"
    assert OrderId.parse("007-00-0001").digits == "007000001"


def test_parse_of_an_orderid_returns_it() -> None:
    oid = OrderId.parse("396101142")
    assert OrderId.parse(oid) is oid


def test_repr_shows_canonical_form() -> None:
    assert repr(OrderId.parse("396101142")) == "OrderId('396-10-1142')"


def test_from_digits_builds_canonical_form() -> None:
    assert OrderId.from_digits("396101142") == OrderId.parse("396-10-1142")


BAD_STRINGS = [
    "",  # empty
    "   ",  # blank
    "39610114",  # 8 digits
    "3961011420",  # 10 digits
    "39-61-01142",  # hyphens misplaced, right length
    "3961-0-1142",  # hyphens misplaced
    "396-101142",  # one hyphen only
    "39610-1142",  # one hyphen only
    "396--101142",  # two hyphens, wrong places
    "-396101142",  # leading hyphen
    "396101142-",  # trailing hyphen
    "396-10-114",  # short last group
    "396-10-11420",  # long last group
    "396 10 1142",  # blanks instead of hyphens
    "396_10_1142",  # underscores
    "396.10.1142",  # dots
    "39610114a",  # a letter
    "ABC-DE-FGHI",  # letters in the canonical shape
    "abcdefghi",
    "396-1O-1142",  # letter O for zero
    "39610114\u0663",  # Arabic-Indic digit three
    "\u0663\u0669\u0666\u0661\u0660\u0661\u0661\u0664\u0662",  # all Arabic-Indic digits
    "39610114\u00b2",  # superscript two
    "３９６１０１１４２",  # full-width digits
    "396\u201010\u20101142",  # Unicode hyphens (U+2010)
    "396\u221210\u22121142",  # minus signs
    "396-10-1142 pending",  # a whole answer line
    "+396101142",
    "0x1799b1b6",
]


@pytest.mark.parametrize("bad", BAD_STRINGS)
def test_parse_rejects_bad_shapes_naming_the_value(bad: str) -> None:
    with pytest.raises(InvalidOrderId) as info:
        OrderId.parse(bad)
    assert isinstance(info.value, ValueError)
    assert info.value.value == bad
    assert repr(bad) in str(info.value)


@pytest.mark.parametrize("bad", [396101142, None, b"396101142", 3.96e8, ["396101142"], object()])
def test_parse_rejects_non_str_naming_the_value(bad: object) -> None:
    with pytest.raises(InvalidOrderId) as info:
        OrderId.parse(bad)
    assert info.value.value is bad
    assert str(bad) in str(info.value)
    assert "not text" in str(info.value)


def test_message_explains_the_expected_shape() -> None:
    with pytest.raises(InvalidOrderId) as info:
        OrderId.parse("12345")
    msg = str(info.value)
    assert "'12345'" in msg
    assert "nine digits" in msg


def test_empty_and_wrong_length_have_distinct_reasons() -> None:
    with pytest.raises(InvalidOrderId, match="empty"):
        OrderId.parse("  ")
    with pytest.raises(InvalidOrderId, match="wrong length"):
        OrderId.parse("39610114")
    with pytest.raises(InvalidOrderId, match="not digits"):
        OrderId.parse("39610114\u0663")


@settings(max_examples=150, deadline=None)
@given(nine_digits, st.sampled_from(["", " ", "\t", "\n", " \r\n "]), st.sampled_from(["", " ", "\n", "\r\n"]))
def test_property_both_spellings_agree_and_str_round_trips(d: str, before: str, after: str) -> None:
    plain = OrderId.parse(before + d + after)
    hyphened = OrderId.parse(f"{before}{d[:3]}-{d[3:5]}-{d[5:]}{after}")
    assert plain == hyphened
    assert plain.digits == d
    assert str(plain) == f"{d[:3]}-{d[3:5]}-{d[5:]}"
    assert OrderId.parse(str(plain)) == plain
    assert OrderId.parse(plain.digits) == plain


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=14))
def test_property_anything_accepted_is_canonical_and_anything_else_named(text: str) -> None:
    stripped = text.strip()
    shape_ok = (len(stripped) == 9 and stripped.isascii() and stripped.isdigit()) or (
        len(stripped) == 11
        and stripped[3] == "-"
        and stripped[6] == "-"
        and (stripped[:3] + stripped[4:6] + stripped[7:]).isascii()
        and (stripped[:3] + stripped[4:6] + stripped[7:]).isdigit()
    )
    try:
        oid = OrderId.parse(text)
    except InvalidOrderId as exc:
        assert not shape_ok
        assert repr(text) in str(exc)
    else:
        assert shape_ok
        assert OrderId.parse(str(oid)) == oid
        assert oid.digits == stripped.replace("-", "")


# Every digit str.isdigit() takes but ASCII's (issue 17 §5): an order number is ASCII only.
_OTHER_DIGITS = st.sampled_from([c for c in map(chr, range(0x80, 0x110000)) if c.isdigit()])


@given(digit=_OTHER_DIGITS, where=st.integers(0, 8), dashed=st.booleans())
def test_a_digit_of_any_other_script_is_no_order_digit(digit: str, where: int, dashed: bool) -> None:
    digits = "396101142"
    digits = digits[:where] + digit + digits[where + 1 :]
    text = f"{digits[:3]}-{digits[3:5]}-{digits[5:]}" if dashed else digits
    with pytest.raises(InvalidOrderId):
        OrderId.parse(text)
