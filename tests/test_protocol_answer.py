"""The receiver's plain-text answer: every record shape, tolerance, and streaming."""

from __future__ import annotations

from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccnow_tui.protocol import answer as answer_mod
from ccnow_tui.protocol.answer import (
    HTML_REASON,
    MAX_LINE,
    AnswerParser,
    ErrorMessage,
    MessageLine,
    OrderError,
    OrderLine,
    Unparsed,
    parse_answer,
    parse_line,
)
from ccnow_tui.protocol.orderid import OrderId
from ccnow_tui.protocol.status import StatusGroup, status_info

A = OrderId.parse("396-10-1142")
B = OrderId.parse("397-10-1159")


def feed_in_chunks(body: bytes, sizes: list[int]) -> list:
    p = AnswerParser()
    out: list = []
    pos = 0
    for size in sizes:
        out += p.feed(body[pos : pos + size])
        pos += size
    out += p.feed(body[pos:])
    out += p.close()
    return out


def one_byte_at_a_time(body: bytes) -> list:
    p = AnswerParser()
    out: list = []
    for i in range(len(body)):
        out += p.feed(body[i : i + 1])
    return out + p.close()


# ---------------------------------------------------------------- the vendor's examples


def test_vendor_pending_list() -> None:
    assert parse_answer(b"396-10-1142 pending\n397-10-1159 pending\n") == [
        OrderLine(A, "pending", "396-10-1142 pending"),
        OrderLine(B, "pending", "397-10-1159 pending"),
    ]


def test_vendor_no_pending_orders() -> None:
    expected = [MessageLine("no_pending_orders", "message no_pending_orders")]
    assert parse_answer(b"message no_pending_orders\n") == expected


def test_vendor_receiver_offline() -> None:
    assert parse_answer(b"error_message system down for maintenance\n") == [
        ErrorMessage("system down for maintenance", "error_message system down for maintenance")
    ]


def test_vendor_status_of_an_order() -> None:
    [rec] = parse_answer(b"396-10-1142 pending\n")
    assert isinstance(rec, OrderLine)
    assert rec.order_id == A and isinstance(rec.order_id, OrderId)
    assert status_info(rec.status).group is StatusGroup.ACTIONABLE


def test_vendor_cancel_and_ship() -> None:
    assert parse_answer(b"396-10-1142 mark_canceled\n397-10-1159 mark_shipped\n") == [
        OrderLine(A, "mark_canceled", "396-10-1142 mark_canceled"),
        OrderLine(B, "mark_shipped", "397-10-1159 mark_shipped"),
    ]


def test_vendor_adjust_track_ship_one_line() -> None:
    assert parse_answer(b"396-10-1142 mark_shipped\n") == [OrderLine(A, "mark_shipped", "396-10-1142 mark_shipped")]


# ---------------------------------------------------------------- record shapes


@pytest.mark.parametrize(
    ("line", "record"),
    [
        ("396-10-1142 pending", OrderLine(A, "pending", "396-10-1142 pending")),
        ("396101142 completed", OrderLine(A, "completed", "396101142 completed")),
        (
            "396-10-1142 error_message order_not_pending",
            OrderError(A, "order_not_pending", "396-10-1142 error_message order_not_pending"),
        ),
        (
            "396-10-1142 error_message order_not_found",
            OrderError(A, "order_not_found", "396-10-1142 error_message order_not_found"),
        ),
        (
            "396-10-1142 error_message x_amount_1 is not an amount",
            OrderError(A, "x_amount_1 is not an amount", "396-10-1142 error_message x_amount_1 is not an amount"),
        ),
        ("396-10-1142 error_message", OrderError(A, "", "396-10-1142 error_message")),
        ("message no_pending_orders", MessageLine("no_pending_orders", "message no_pending_orders")),
        ("message", MessageLine("", "message")),
        ("error_message invalid login", ErrorMessage("invalid login", "error_message invalid login")),
        (
            "error_message invalid request: x_orderid_2 missing",
            ErrorMessage("invalid request: x_orderid_2 missing", "error_message invalid request: x_orderid_2 missing"),
        ),
        ("error_message", ErrorMessage("", "error_message")),
    ],
)
def test_record_shapes(line: str, record: object) -> None:
    assert parse_line(line) == record
    assert parse_answer(line.encode() + b"\n") == [record]
    assert parse_answer(line.encode()) == [record]
    assert parse_answer(b"  " + line.encode() + b" \r\n") == [record]


def test_order_ids_in_answers_are_canonical() -> None:
    [rec] = parse_answer(b"396101142 pending\n")
    assert rec.order_id == "396-10-1142"
    assert rec.order_id.digits == "396101142"


@pytest.mark.parametrize("status", ["shipped", "on_backorder", "mark_refunded", "x1", "pending2"])
def test_unknown_status_word_is_kept_verbatim(status: str) -> None:
    [rec] = parse_answer(f"396-10-1142 {status}\n".encode())
    assert rec == OrderLine(A, status, f"396-10-1142 {status}")
    assert status_info(rec.status).group is StatusGroup.UNKNOWN


@pytest.mark.parametrize(
    ("line", "reason_part"),
    [
        ("396-10-1142", "truncated"),  # order number, status lost
        ("396101142", "truncated"),
        ("396-10-11", "not a protocol line"),  # cut inside the number
        ("Hello world", "not a protocol line"),
        ("OK", "not a protocol line"),
        ("396-10-1142 Pending", "lower-case"),
        ("396-10-1142 PENDING", "lower-case"),
        ("396-10-1142 pending extra words", "lower-case"),
        ("396-10-1142 mark-shipped", "lower-case"),
        ("396-10-1142 error_messageX", "not a protocol line"),
        ("396-10-1142 error_messagefoo", "not a protocol line"),
        ("39610114 pending", "not a protocol line"),  # eight digits
        ("3961011420 pending", "not a protocol line"),  # ten digits
        ("39٦-10-1142 pending", "not a protocol line"),  # a Unicode digit
        ("messages no_pending_orders", "not a protocol line"),
        ("ERROR_MESSAGE down", "not a protocol line"),
    ],
)
def test_unparseable_lines_are_kept_raw_with_a_reason(line: str, reason_part: str) -> None:
    records = parse_answer(line.encode() + b"\n")
    assert len(records) == 1
    rec = records[0]
    assert isinstance(rec, Unparsed)
    assert rec.raw == line
    assert reason_part in rec.reason


def test_order_error_and_order_line_do_not_depend_on_leading_blanks() -> None:
    # The same line must give the same record however it is indented.
    for line in (b"396-10-1142 error_message", b"396-10-1142 error_messagex", b"396-10-1142 pending"):
        plain = parse_answer(line + b"\n")
        assert parse_answer(b" " + line + b"\n") == plain
        assert parse_answer(b"\t" + line + b"  \r\n") == plain


def test_a_bare_order_error_is_never_read_as_a_status() -> None:
    records = parse_answer(b"396-10-1142 error_message\n")
    assert records == [OrderError(A, "", "396-10-1142 error_message")]


# ---------------------------------------------------------------- tolerance

EXPECTED_TWO = [
    OrderLine(A, "pending", "396-10-1142 pending"),
    OrderLine(B, "mark_shipped", "397-10-1159 mark_shipped"),
]


@pytest.mark.parametrize(
    "body",
    [
        b"396-10-1142 pending\n397-10-1159 mark_shipped\n",
        b"396-10-1142 pending\r\n397-10-1159 mark_shipped\r\n",  # CRLF
        b"396-10-1142 pending\n397-10-1159 mark_shipped",  # no final newline
        b"396-10-1142 pending\r\n397-10-1159 mark_shipped\r",  # CRLF, final LF lost
        b"\n\n396-10-1142 pending\n\n\n397-10-1159 mark_shipped\n\n",  # blank lines
        b"\r\n  \r\n396-10-1142 pending\r\n \t \r\n397-10-1159 mark_shipped\r\n\r\n",
        b"   396-10-1142 pending   \n\t397-10-1159 mark_shipped\t\n",  # leading/trailing blanks
        b"  396-10-1142   pending\n397-10-1159\tmark_shipped\n",  # blanks between the fields
    ],
)
def test_tolerated_layouts(body: bytes) -> None:
    records = parse_answer(body)
    assert [(type(r), r.order_id, r.status) for r in records] == [(type(r), r.order_id, r.status) for r in EXPECTED_TWO]


def test_canonical_lines_keep_exact_raw_text_without_cr() -> None:
    assert parse_answer(b"396-10-1142 pending\r\n397-10-1159 mark_shipped\r\n") == EXPECTED_TWO


def test_empty_and_blank_bodies_have_no_records() -> None:
    for body in (b"", b"\n", b"\r\n", b"   \n\t\n", b" "):
        assert parse_answer(body) == []


def test_invalid_utf8_is_replaced_not_raised() -> None:
    [rec] = parse_answer(b"\xff\xfe garbage \xc3\n")
    assert isinstance(rec, Unparsed)
    assert "\ufffd" in rec.raw


def test_mixed_body_keeps_every_line_in_order() -> None:
    body = (
        b"396-10-1142 mark_shipped\n"
        b"397-10-1159 error_message order_not_pending\n"
        b"something odd\n"
        b"398-10-0001 teleported\n"
    )
    records = parse_answer(body)
    assert [type(r) for r in records] == [OrderLine, OrderError, Unparsed, OrderLine]
    assert records[3].status == "teleported"


# ---------------------------------------------------------------- HTML bodies

HTML = (
    b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    b"<body>\n396-10-1142 completed\nerror_message nope\n</body></html>\n"
)


@pytest.mark.parametrize("prefix", [b"", b"\n\n", b"  \r\n", b"\t"])
def test_html_body_is_flagged_and_never_read_as_records(prefix: bytes) -> None:
    p = AnswerParser()
    records = p.feed(prefix + HTML) + p.close()
    assert p.non_protocol
    assert records and all(isinstance(r, Unparsed) and r.reason == HTML_REASON for r in records)
    assert "396-10-1142 completed" in [r.raw for r in records]
    assert records == one_byte_at_a_time(prefix + HTML)


def test_lowercase_html_without_doctype() -> None:
    records = parse_answer(b"<html>\n<body>Service Unavailable</body>\n</html>")
    assert [r.raw for r in records] == ["<html>", "<body>Service Unavailable</body>", "</html>"]
    assert {r.reason for r in records} == {HTML_REASON}


def test_protocol_body_is_not_flagged() -> None:
    p = AnswerParser()
    p.feed(b"396-10-1142 pending\n")
    p.close()
    assert not p.non_protocol
    assert p.lines == 1


def test_markup_after_a_protocol_line_is_just_unparsed() -> None:
    p = AnswerParser()
    records = p.feed(b"396-10-1142 pending\n<html>\n") + p.close()
    assert not p.non_protocol
    assert records[0] == OrderLine(A, "pending", "396-10-1142 pending")
    assert isinstance(records[1], Unparsed) and records[1].reason != HTML_REASON


# ---------------------------------------------------------------- the streaming parser


def test_records_come_out_as_soon_as_their_line_is_complete() -> None:
    p = AnswerParser()
    assert p.feed(b"396-10-11") == []
    assert p.pending_bytes == 9
    assert p.feed(b"42 pend") == []
    assert p.feed(b"ing\n397-10") == [OrderLine(A, "pending", "396-10-1142 pending")]
    assert p.pending_bytes == 6
    assert p.feed(b"-1159 mark_shipped\r") == []
    assert p.feed(b"\n") == [OrderLine(B, "mark_shipped", "397-10-1159 mark_shipped")]
    assert p.pending_bytes == 0
    assert p.close() == []
    assert p.lines == 2


def test_close_flushes_the_last_line_once() -> None:
    p = AnswerParser()
    assert p.feed(b"message no_pending_orders") == []
    assert p.close() == [MessageLine("no_pending_orders", "message no_pending_orders")]
    assert p.close() == []


def test_truncated_answer_leaves_pending_bytes() -> None:
    p = AnswerParser()
    p.feed(b"396-10-1142 mark_shipped\n397-10-")
    assert p.pending_bytes == len(b"397-10-")
    [rec] = p.close()
    assert isinstance(rec, Unparsed)


def test_empty_feed_is_harmless() -> None:
    p = AnswerParser()
    assert p.feed(b"") == []
    assert p.close() == []


def test_multibyte_character_split_across_chunks() -> None:
    body = "396-10-1142 error_message commande refusée ✓\n".encode()
    cut = body.index("é".encode()) + 1  # inside the two-byte é
    assert feed_in_chunks(body, [cut]) == parse_answer(body)
    [rec] = parse_answer(body)
    assert rec == OrderError(A, "commande refusée ✓", body.decode().strip())


def test_many_lines_in_one_chunk() -> None:
    n = 2000
    body = b"".join(b"%03d-10-%04d pending\n" % (i % 1000, i) for i in range(n))
    records = parse_answer(body)
    assert len(records) == n
    assert all(isinstance(r, OrderLine) and r.status == "pending" for r in records)
    assert records[-1].order_id == "999-10-1999"


# ---------------------------------------------------------------- over-long lines

LONG_SIZES = [[], [1000] * 80, [4096] * 20, [MAX_LINE], [MAX_LINE + 1], [MAX_LINE - 1, 2, 3], [7] * 3 + [65000] + [3]]


@pytest.mark.parametrize("sizes", LONG_SIZES, ids=lambda s: f"{len(s)}chunks")
def test_overlong_line_gives_the_same_records_in_any_chunking(sizes: list[int]) -> None:
    body = b"396-10-1142 pending\n" + ("é" * 40_000).encode() + b"\n397-10-1159 mark_shipped\n"
    assert len(body) > MAX_LINE + 40
    whole = parse_answer(body)
    assert feed_in_chunks(body, sizes) == whole
    assert whole[0] == OrderLine(A, "pending", "396-10-1142 pending")
    assert whole[-1] == OrderLine(B, "mark_shipped", "397-10-1159 mark_shipped")
    middle = whole[1:-1]
    assert len(middle) == 1 and isinstance(middle[0], Unparsed)
    assert len(middle[0].raw.encode()) <= MAX_LINE + 3  # bounded (a cut character may become U+FFFD)


def test_overlong_line_without_newline_is_bounded() -> None:
    p = AnswerParser()
    for _ in range(40):
        p.feed(b"x" * 4096)
    assert p.pending_bytes <= MAX_LINE + 1
    [rec] = p.close()
    assert isinstance(rec, Unparsed)


# ---------------------------------------------------------------- properties

protocol_lines = st.one_of(
    st.builds(
        lambda d, s: f"{d[:3]}-{d[3:5]}-{d[5:]} {s}",
        st.text("0123456789", min_size=9, max_size=9),
        st.sampled_from(
            [
                "pending",
                "mark_shipped",
                "completed",
                "weird_status",
                "error_message order_not_pending",
                "error_message",
                "Pending",
                "",
            ]
        ),
    ),
    st.sampled_from(
        ["message no_pending_orders", "error_message system down for maintenance", "", "  ", "<html>", "garbage"]
    ),
    st.text(max_size=20),
)
bodies = st.one_of(
    st.binary(max_size=200),
    st.builds(
        lambda lines, eol, lead, tail: lead + eol.join(line.encode("utf-8", "surrogatepass") for line in lines) + tail,
        st.lists(protocol_lines, max_size=8),
        st.sampled_from([b"\n", b"\r\n", b" \n", b"\n\n"]),
        st.sampled_from([b"", b"\n", b"  ", b"<"]),
        st.sampled_from([b"", b"\n", b"\r\n", b"\r", b"\xe2\x82"]),
    ),
)
RECORD_TYPES = (OrderLine, OrderError, MessageLine, ErrorMessage, Unparsed)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_property_parser_never_raises_on_arbitrary_bytes(body: bytes) -> None:
    records = parse_answer(body)
    for r in records:
        assert isinstance(r, RECORD_TYPES)
        if isinstance(r, Unparsed):
            assert r.raw and r.reason
        if isinstance(r, (OrderLine, OrderError)):
            assert OrderId.parse(str(r.order_id)) == r.order_id


@settings(max_examples=200, deadline=None)
@given(bodies, st.lists(st.integers(min_value=0, max_value=40), max_size=12), st.booleans())
def test_property_any_chunking_gives_the_same_records(body: bytes, sizes: list[int], bytewise: bool) -> None:
    whole = parse_answer(body)
    assert feed_in_chunks(body, sizes) == whole
    if bytewise:
        assert one_byte_at_a_time(body) == whole


@settings(max_examples=150, deadline=None)
@given(bodies, st.lists(st.integers(min_value=0, max_value=20), max_size=12), st.integers(min_value=1, max_value=12))
def test_property_any_chunking_with_a_small_line_limit(body: bytes, sizes: list[int], limit: int) -> None:
    # The same invariant when lines often exceed the limit (MAX_LINE shrunk for the test).
    with mock.patch.object(answer_mod, "MAX_LINE", limit):
        whole = parse_answer(body)
        assert feed_in_chunks(body, sizes) == whole
        assert one_byte_at_a_time(body) == whole


canonical_lines = st.lists(
    st.builds(
        lambda d, s: f"{d[:3]}-{d[3:5]}-{d[5:]} {s}",
        st.text("0123456789", min_size=9, max_size=9),
        st.one_of(
            st.sampled_from(
                ["pending", "mark_shipped", "error_message", "error_messages", "error_message_x", "message"]
            ),
            st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True),
        ),
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(canonical_lines)
def test_property_fast_paths_agree_with_the_general_path(lines: list[str]) -> None:
    # Canonical lines may take the parser's fast paths; the same lines indented (which
    # only the general path reads) must give the same records.
    plain = parse_answer("\n".join(lines).encode() + b"\n")
    assert parse_answer("".join(f" {line}\r\n" for line in lines).encode()) == plain
    assert [parse_line(line) for line in lines] == plain
    assert len(plain) == len(lines)


def test_answer_order_numbers_follow_orderid_rules():
    records = parse_answer(b"396-101142 pending\n39610-1142 pending\n396101142 pending\n")
    assert [type(r).__name__ for r in records] == ["Unparsed", "Unparsed", "OrderLine"]
