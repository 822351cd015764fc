"""Tracking numbers from a label file (issue #9): reading label exports and planning the import."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccnow_tui.domain.labels import (
    KEEP,
    CarrierFrom,
    ColumnMapping,
    Found,
    LabelFile,
    Role,
    RowVerdict,
    carrier_family,
    carrier_number,
    detect_delimiter,
    find_order_ids,
    plan_import,
    read_label_file,
    read_tracking_number,
    with_carrier,
    with_mapping,
)
from ccnow_tui.protocol import ActionKind, OrderId, StagedAction
from ccnow_tui.protocol.redact import register_secret
from ccnow_tui.protocol.status import PENDING
from ccnow_tui.sandbox.orders import DEMO_STATES, SandboxBook

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

A, B, C, D = (OrderId.parse(x) for x in ("396-10-1142", "396-10-1150", "397-10-1159", "397-10-1163"))
SHIPPED = OrderId.parse("398-00-0001")
UNKNOWN = OrderId.parse("399-00-0002")
STATUS = {A: PENDING, B: PENDING, C: PENDING, D: PENDING, SHIPPED: "mark_shipped"}


def track_ship(oid: OrderId, carrier: str, number: str) -> list[StagedAction]:
    return [StagedAction.make(oid, "track", trackname=carrier, tracknumber=number), StagedAction.make(oid, "ship")]


def verdicts(text: str) -> list[tuple[int, RowVerdict]]:
    plan = plan_import(read_label_file(text, "labels.csv"), known_status=STATUS)
    return [(row.line, row.verdict) for row in plan.rows]


# -- header styles and delimiters ---------------------------------------------------------

STYLES = [
    pytest.param(
        "Order Number,Order Date,Carrier,Tracking Number\n"
        "396-10-1142,2024-05-01,UPS,1Z999AA10123456784\n"
        "397101159,2024-05-01,USPS,9400 1000 0000 0000 0000 00\n",
        ",",
        ColumnMapping(0, 2, 3),
        id="shipstation-comma",
    ),
    pytest.param(
        "Created;Reference;Service;Tracking;Cost\n"
        "05/01/2024;#396-10-1142;UPS;1Z999AA10123456784;7,50\n"
        "05/01/2024;Order 397101159;USPS;9400 1000 0000 0000 0000 00;8,10\n",
        ";",
        ColumnMapping(1, 2, 3),
        id="pirateship-semicolon",
    ),
    pytest.param(
        "order_id\ttrackname\ttracknumber\n"
        "396-10-1142\tUPS\t1Z999AA10123456784\n"
        "397101159 \tUSPS\t9400 1000 0000 0000 0000 00\n",
        "\t",
        ColumnMapping(0, 1, 2),
        id="own-names-tab",
    ),
    pytest.param(
        "\ufeffOrder #,Provider,Tracking Code\r\n"
        "#396-10-1142,UPS,1Z999AA10123456784\r\n"
        '"Order 397-10-1159, gift",USPS,9400 1000 0000 0000 0000 00\r\n',
        ",",
        ColumnMapping(0, 1, 2),
        id="bom-crlf-comma",
    ),
    pytest.param(
        "ORDER NO.;Shipping Carrier;Tracking #\n"
        "396-10-1142;UPS;1Z999AA10123456784\n"
        "397-10-1159;USPS;9400 1000 0000 0000 0000 00\n",
        ";",
        ColumnMapping(0, 1, 2),
        id="order-no-semicolon",
    ),
]


@pytest.mark.parametrize(("text", "delimiter", "mapping"), STYLES)
def test_header_styles_are_recognised_and_every_row_accepted(text: str, delimiter: str, mapping: ColumnMapping) -> None:
    file = read_label_file(text, "labels.csv")
    assert file.delimiter == delimiter
    assert file.mapping == mapping
    assert file.header_line == 1
    assert file.problems == ()
    assert not any("\ufeff" in cell for cell in file.header)
    plan = plan_import(file, known_status=STATUS)
    assert (plan.accepted, plan.rejected) == (2, 0)
    assert [row.line for row in plan.rows] == [2, 3]
    # The USPS number is written as USPS writes it: without the blanks the label tool put in.
    assert list(plan.entries) == track_ship(A, "UPS", "1Z999AA10123456784") + track_ship(
        C, "USPS", "9400100000000000000000"
    )
    assert [row.changes for row in plan.rows] == [(), ("spaces removed",)]


def test_carrier_column_is_preferred_over_service_whatever_their_order() -> None:
    file = read_label_file("Service,Order Number,Carrier,Tracking Number\nUPS Ground,396101142,UPS,1Z1\n", "s.csv")
    assert file.mapping == ColumnMapping(order=1, carrier=2, number=3)


def test_title_lines_above_the_header_are_skipped_and_lines_stay_physical() -> None:
    text = (
        "Label export\n"  # 1
        "\n"  # 2
        "Reference;Service;Tracking\n"  # 3: the header
        '396-10-1142;UPS;"1Z999\n'  # 4: a quoted field over two lines...
        'AA1"\n'  # 5
        ";;\n"  # 6: blank, skipped
        "397-10-1159;USPS;9400\n"  # 7
    )
    file = read_label_file(text, "l.csv")
    assert (file.delimiter, file.header_line, file.header) == (";", 3, ("Reference", "Service", "Tracking"))
    assert [row.line for row in file.rows] == [4, 7]
    plan = plan_import(file, known_status=STATUS)
    assert [(row.line, row.verdict) for row in plan.rows] == [(4, RowVerdict.ACCEPTED), (7, RowVerdict.ACCEPTED)]
    assert plan.entries[0].tracknumber == "1Z999 AA1"  # the line break folds to a space (clean_notes)


def test_delimiter_is_counted_when_no_header_is_recognised() -> None:
    assert detect_delimiter("a;b;c,d\n1;2;3\n") == ";"
    assert detect_delimiter("a\tb\tc\n") == "\t"
    assert detect_delimiter("just one column\n") == ","
    assert detect_delimiter("") == ","


def test_a_comma_inside_a_semicolon_file_does_not_win() -> None:
    # Decimal commas in every row: the header decides, not the count of commas.
    text = "Reference;Service;Tracking;Cost,EUR;Weight,kg\n396-10-1142;UPS;1Z1;7,50;1,2\n"
    assert read_label_file(text, "l.csv").delimiter == ";"


# -- order numbers inside cells -----------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [
        "396-10-1142",
        "396101142",
        "#396-10-1142",
        "396101142 ",
        "Order 396-10-1142",
        "ORD-396101142",
        "396-10-1142 (gift)",
        "ccnow:396101142/2",
        "396-10-1142 and again 396101142",
    ],
)
def test_one_order_number_is_found_inside_decorated_cells(cell: str) -> None:
    assert find_order_ids(cell) == [A]


@pytest.mark.parametrize(
    "cell",
    [
        "",
        "n/a",
        "39610114",
        "3961011420",
        "396-10-11420",
        "39 61 01 142",
        "３９６１０１１４２",
    ],
)
def test_no_order_number(cell: str) -> None:
    assert find_order_ids(cell) == []


@pytest.mark.parametrize(
    "cell",
    [
        "\u0663100000001",
        "100000001\uff11",
        "\u0663396-10-1142",
        "396-10-1142\uff11",
        "x\u00b2396101142",
        "396101142\u0967 y",
        "\U0001d7ce396101142",
    ],
)
def test_a_digit_of_another_script_next_to_the_number_means_no_match(cell: str) -> None:
    assert find_order_ids(cell) == []


# Every digit str.isdigit() takes but ASCII's (Nd of every script, superscripts, ...).
_OTHER_DIGITS = st.sampled_from([c for c in map(chr, range(0x80, 0x110000)) if c.isdigit()])


@given(digit=_OTHER_DIGITS, before=st.booleans(), dashed=st.booleans())
def test_any_unicode_digit_run_around_an_order_number_is_no_match(digit: str, before: bool, dashed: bool) -> None:
    number = "396-10-1142" if dashed else "396101142"
    cell = f"order {digit}{number}" if before else f"{number}{digit} x"
    assert find_order_ids(cell) == []
    assert find_order_ids(f"{cell} {number}") == [A]  # the same number, standing alone, still counts


def test_a_label_row_with_a_foreign_digit_beside_the_number_is_not_staged() -> None:
    text = "Order Number,Carrier,Tracking Number\n\u0663100000001,UPS,1Z1\n100000001\uff11,UPS,1Z2\n"
    plan = plan_import(read_label_file(text, "l.csv"), known_status=None, ship=True)
    assert plan.entries == ()
    assert [row.verdict for row in plan.rows] == [RowVerdict.NO_ORDER, RowVerdict.NO_ORDER]


def test_two_different_order_numbers() -> None:
    assert find_order_ids("396-10-1142 / 397101159") == [A, C]


# -- bad rows, one of each kind -----------------------------------------------------------


def test_every_kind_of_bad_row_is_rejected_with_its_reason_and_line() -> None:
    text = (
        "Order Number,Carrier,Tracking Number\n"  # 1
        "396-10-1142,UPS,1Z1\n"  # 2 accepted
        "396-10-1142,ups,1z 1\n"  # 3 duplicate of 2 (case and blanks do not make it new)
        "396-10-1150,UPS,1Z2\n"  # 4 conflict with 6
        "398-00-0001,UPS,1Z3\n"  # 5 shipped
        "396-10-1150,USPS,9400\n"  # 6 conflict with 4
        "399-00-0002,UPS,1Z4\n"  # 7 not known
        "no order here,UPS,1Z5\n"  # 8
        "396-10-1142 397-10-1159,UPS,1Z6\n"  # 9 ambiguous
        "397-10-1159,,1Z7\n"  # 10 carrier missing, and the number names none
        f"397-10-1159,UPS,{'7' * 101}\n"  # 11 number too long
        ",,\n"  # 12 blank: skipped
        "397-10-1163,UPS,1Z8,surplus\n"  # 13 an extra cell
        "397-10-1163,UPS,1Z8,\n"  # 14 an empty extra cell is harmless
        "397-10-1159,UPS\n"  # 15 short row: the number is missing
    )
    file = read_label_file(text, "labels.csv")
    plan = plan_import(file, known_status=STATUS)
    got = {row.line: row for row in plan.rows}
    assert [(line, row.verdict) for line, row in got.items()] == [
        (2, RowVerdict.ACCEPTED),
        (3, RowVerdict.DUPLICATE),
        (4, RowVerdict.CONFLICT),
        (5, RowVerdict.NOT_PENDING),
        (6, RowVerdict.CONFLICT),
        (7, RowVerdict.NOT_KNOWN),
        (8, RowVerdict.NO_ORDER),
        (9, RowVerdict.AMBIGUOUS),
        (10, RowVerdict.NO_CARRIER),
        (11, RowVerdict.INVALID),
        (13, RowVerdict.EXTRA_CELLS),
        (14, RowVerdict.ACCEPTED),
        (15, RowVerdict.INVALID),
    ]
    assert (plan.accepted, plan.rejected) == (2, 11)
    assert list(plan.entries) == track_ship(A, "UPS", "1Z1") + track_ship(D, "UPS", "1Z8")
    assert "duplicate of line 2" in got[3].reason
    for line in (4, 6):
        assert "UPS 1Z2" in got[line].reason and "USPS 9400" in got[line].reason and "lines 4, 6" in got[line].reason
    assert "mark_shipped" in got[5].reason and "not pending" in got[5].reason
    assert "not known" in got[7].reason
    assert "'no order here'" in got[8].reason
    assert "396-10-1142, 397-10-1159" in got[9].reason
    assert got[10].reason.startswith("the carrier cell is empty, and '1Z7' has no carrier's format")
    assert got[10].reason.endswith("set the carrier for the file")
    assert got[11].reason.startswith("tracking number:") and "at most 100" in got[11].reason
    assert "4 cells, the header has 3" in got[13].reason
    assert got[15].reason.startswith("tracking number:") and "required" in got[15].reason
    assert all(row.entries == () for row in plan.rows if not row.accepted)
    assert all(row.reason == "" for row in plan.rows if row.accepted)


def test_conflict_rejects_every_row_of_the_order_also_its_duplicates() -> None:
    text = "order_id,trackname,tracknumber\n396101142,UPS,1Z1\n396101142,UPS,1Z1\n396101142,UPS,1Z2\n"
    assert verdicts(text) == [(2, RowVerdict.CONFLICT), (3, RowVerdict.CONFLICT), (4, RowVerdict.CONFLICT)]


def test_an_invalid_row_does_not_conflict_with_a_valid_one() -> None:
    text = "order_id,trackname,tracknumber\n396101142,UPS,1Z1\n396101142,UPS,\n"
    assert verdicts(text) == [(2, RowVerdict.ACCEPTED), (3, RowVerdict.INVALID)]


def test_field_rules_apply_bidi_controls_and_the_password() -> None:
    register_secret("Hunter2-Label-Pw")
    text = (
        "order_id,trackname,tracknumber\n"
        "396101142,UPS\u202e,1Z1\n"
        "397101159,UPS,Hunter2-Label-Pw\n"
        "Hunter2-Label-Pw,UPS,1Z3\n"
    )
    plan = plan_import(read_label_file(text, "l.csv"), known_status=STATUS)
    assert [row.verdict for row in plan.rows] == [RowVerdict.INVALID, RowVerdict.INVALID, RowVerdict.NO_ORDER]
    assert "bidi control U+202E" in plan.rows[0].reason
    assert "API password" in plan.rows[1].reason
    assert all("Hunter2" not in row.reason for row in plan.rows)


def test_ship_off_stages_track_alone() -> None:
    plan = plan_import(
        read_label_file("order_id,trackname,tracknumber\n396101142,UPS,1Z1\n", "l.csv"), known_status=STATUS, ship=False
    )
    assert [e.kind for e in plan.entries] == [ActionKind.TRACK]


def test_without_known_statuses_no_status_is_checked() -> None:
    text = "order_id,trackname,tracknumber\n398000001,UPS,1Z1\n399000002,UPS,1Z2\n"
    plan = plan_import(read_label_file(text, "l.csv"), known_status=None)
    assert (plan.accepted, plan.rejected) == (2, 0)


# -- reading problems ---------------------------------------------------------------------


def test_a_quote_never_closed_is_a_problem_naming_its_line() -> None:
    text = 'Order Number,Carrier,Tracking Number\n396101142,UPS,1Z1\n397101159,"UPS,1Z2\n397101163,UPS,1Z3\n'
    file = read_label_file(text, "labels.csv")
    assert len(file.problems) == 1
    assert file.problems[0].startswith("labels.csv: line 3: a quoted field starts on this line")
    assert [row.line for row in file.rows] == [2]  # nothing after the quote is read as rows
    plan = plan_import(file, known_status=STATUS)
    assert plan.problems == file.problems


def test_a_stray_quote_is_a_problem_naming_its_line() -> None:
    text = 'Order Number,Carrier,Tracking Number\n396101142,UPS,1Z1\n397101159,"UPS"x,1Z2\n'
    file = read_label_file(text, "labels.csv")
    assert len(file.problems) == 1 and file.problems[0].startswith("labels.csv: line 3: ")


@pytest.mark.parametrize("text", ["", "\ufeff", "\n\n", ",,\n , \n"])
def test_an_empty_file_is_a_problem(text: str) -> None:
    file = read_label_file(text, "e.csv")
    assert file.rows == () and file.problems == ("e.csv: the file is empty (expected a header row and label rows)",)
    assert plan_import(file, known_status=STATUS).accepted == 0


# -- the operator's mapping ---------------------------------------------------------------

SHIPSTATION_LIKE = (
    "Order Number,Carrier,Service,Tracking Number,Alt Reference\n396-10-1142,UPS,UPS Ground,1Z1,397-10-1159\n"
)


def test_a_column_not_found_is_a_problem_and_the_operator_picks_one() -> None:
    file = read_label_file("Order Number,Shipper,Parcel\n396101142,UPS,1Z1\n", "l.csv")
    assert file.mapping == ColumnMapping(0, 1, None)  # "Shipper" named by its content: UPS
    assert file.problems == ("l.csv: no column looks like the tracking number; choose one",)
    plan = plan_import(file, known_status=STATUS)
    assert [row.verdict for row in plan.rows] == [RowVerdict.UNMAPPED] and plan.entries == ()
    chosen = with_mapping(file, number=2)
    assert chosen.problems == () and chosen.mapping == ColumnMapping(0, 1, 2)
    assert list(plan_import(chosen, known_status=STATUS).entries) == track_ship(A, "UPS", "1Z1")


def test_a_changed_mapping_picks_other_columns() -> None:
    file = read_label_file(SHIPSTATION_LIKE, "s.csv")
    assert file.mapping == ColumnMapping(0, 1, 3)
    other = with_mapping(file, order=4, carrier=2)
    assert other.mapping == ColumnMapping(4, 2, 3)
    assert list(plan_import(other, known_status=STATUS).entries) == track_ship(C, "UPS Ground", "1Z1")
    assert file.mapping == ColumnMapping(0, 1, 3)  # the original is unchanged
    assert with_mapping(other, order=KEEP, carrier=KEEP, number=KEEP) == other


def test_one_column_for_two_roles_is_a_problem() -> None:
    file = with_mapping(read_label_file(SHIPSTATION_LIKE, "s.csv"), number=1)
    assert file.problems == (
        "s.csv: column 2 ('Carrier') is chosen for both the carrier and the tracking number; choose another",
    )
    assert plan_import(file, known_status=STATUS).accepted == 0


def test_unsetting_a_column_and_a_column_out_of_range() -> None:
    file = read_label_file(SHIPSTATION_LIKE, "s.csv")
    assert "no column looks like the order number; choose one" in with_mapping(file, order=None).problems[0]
    with pytest.raises(ValueError, match="not one of the file's 5 columns"):
        with_mapping(file, order=5)
    with pytest.raises(ValueError):
        with_mapping(file, number=-1)


def test_a_file_without_a_header_is_all_data_and_needs_a_mapping() -> None:
    text = "396-10-1142;UPS;1Z1\n397-10-1159;USPS;9400\n"
    file = read_label_file(text, "n.csv")
    assert (file.delimiter, file.header_line, file.header) == (";", None, ("Column 1", "Column 2", "Column 3"))
    assert [row.line for row in file.rows] == [1, 2]
    # Order and carrier are found by what the cells hold; "1Z1" and "9400" are no carrier's format.
    assert file.mapping == ColumnMapping(0, 1, None)
    assert file.problems == ("n.csv: no column looks like the tracking number; choose one",)
    plan = plan_import(with_mapping(file, order=0, carrier=1, number=2), known_status=STATUS)
    assert [(row.line, row.verdict) for row in plan.rows] == [(1, RowVerdict.ACCEPTED), (2, RowVerdict.ACCEPTED)]


def test_a_header_without_rows_is_a_problem() -> None:
    file = read_label_file("Order Number,Carrier,Tracking Number\n,,\n", "h.csv")
    assert file.problems == ("h.csv: no label rows after the header (line 1)",)


def test_a_header_of_unknown_names_stays_the_header() -> None:
    file = read_label_file("Foo,Bar,Baz\n396-10-1142,UPS,1Z1\n", "u.csv")
    assert file.header_line == 1 and file.header == ("Foo", "Bar", "Baz") and len(file.rows) == 1


# -- the property -------------------------------------------------------------------------

ORDER_POOL = [A, B, C, SHIPPED, UNKNOWN]
# (value, valid by the field rules)
CARRIERS = [("UPS", True), ("ups", True), (" USPS ", True), ("", False), ("X" * 101, False), ("Fed\x01Ex", False)]
NUMBERS = [
    ("1Z999", True),
    ("1z 999", True),
    ("1Z-999", True),
    ("9400 1", True),
    ("", False),
    ("7" * 101, False),
    ("\u202e12", False),
]
DECORATIONS = ["{id}", "#{id}", "Order {digits}", "{digits} ", "ref: {id}/1"]
HEADERS = [
    ("Order Number", "Carrier", "Tracking Number"),
    ("Reference", "Carrier Name", "Tracking"),
    ("order_id", "trackname", "tracknumber"),
    ("Order #", "Provider", "Tracking Code"),
]

label_row = st.one_of(
    st.tuples(
        st.sampled_from(ORDER_POOL), st.sampled_from(DECORATIONS), st.sampled_from(CARRIERS), st.sampled_from(NUMBERS)
    ),
    st.sampled_from(["blank", "no order", "ambiguous"]),
)


def expected_accepted(rows: list[object]) -> list[int]:
    """An oracle written from the rules: indexes of rows that must be accepted."""
    valid: dict[OrderId, list[tuple[int, tuple[str, str]]]] = {}
    for i, row in enumerate(rows):
        if not isinstance(row, tuple):
            continue
        oid, _, (carrier, carrier_ok), (number, number_ok) = row
        if STATUS.get(oid) == PENDING and carrier_ok and number_ok:
            key = (carrier.strip().casefold(), number.upper().replace(" ", "").replace("-", ""))
            valid.setdefault(oid, []).append((i, key))
    out = [found[0][0] for found in valid.values() if len({key for _, key in found}) == 1]
    return sorted(out)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(label_row, max_size=12),
    header=st.sampled_from(HEADERS),
    delimiter=st.sampled_from([",", ";", "\t"]),
    bom=st.booleans(),
    ship=st.booleans(),
)
def test_accepted_rows_are_exactly_the_pending_valid_first_unconflicted_ones(
    rows: list[object],
    header: tuple[str, str, str],
    delimiter: str,
    bom: bool,
    ship: bool,
) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        if row == "blank":
            writer.writerow(["", "", ""])
        elif row == "no order":
            writer.writerow(["n/a", "UPS", "1Z1"])
        elif row == "ambiguous":
            writer.writerow([f"{A} or {B}", "UPS", "1Z1"])
        else:
            assert isinstance(row, tuple)
            oid, decoration, (carrier, _), (number, _) = row
            writer.writerow([decoration.format(id=oid, digits=oid.digits), carrier, number])
    text = ("\ufeff" if bom else "") + out.getvalue()

    file = read_label_file(text, "gen.csv")
    assert file.delimiter == delimiter
    if all(row == "blank" for row in rows):
        assert file.problems == ("gen.csv: no label rows after the header (line 1)",)
    else:
        assert file.problems == ()
    plan = plan_import(file, known_status=STATUS, ship=ship)

    want = expected_accepted(rows)
    assert [row.line for row in plan.rows if row.accepted] == [i + 2 for i in want]
    assert [row.line for row in plan.rows] == [i + 2 for i, row in enumerate(rows) if row != "blank"]
    assert plan.accepted == len(want) and plan.accepted + plan.rejected == len(plan.rows)
    entries: list[StagedAction] = []
    for i in want:
        oid, _, (carrier, _), (number, _) = rows[i]  # type: ignore[misc]
        entries.append(StagedAction.make(oid, "track", trackname=carrier, tracknumber=number))
        if ship:
            entries.append(StagedAction.make(oid, "ship"))
    assert list(plan.entries) == entries


# -- the sample files, against the demo's order book -------------------------------------


def demo_statuses() -> dict[OrderId, str]:
    """Every order's status in a book seeded as ``ccnow-tui --demo`` seeds its sandbox."""
    book = SandboxBook(orders=40, seed=7, clock=lambda: 0.0)
    statuses = {oid: PENDING for oid in book.pending()}
    for state in DEMO_STATES:
        statuses.update({oid: state for oid in book.with_status(state)})
    assert len(statuses) == len(book)
    return statuses


SAMPLES = {  # file -> (delimiter, rows, how the carrier is found)
    "labels-shipstation.csv": (",", 10, CarrierFrom.FILE),
    "labels-pirateship.csv": (";", 10, CarrierFrom.FILE),
    "labels-shippo.csv": (",", 4, CarrierFrom.FILE),
    "labels-easypost.csv": (",", 4, CarrierFrom.FILE),
    "labels-stampscom.csv": (",", 4, CarrierFrom.GUESSED),  # "Mail Class" holds service levels only
    "labels-shipworks.csv": (",", 4, CarrierFrom.FILE),
    "labels-worldship.csv": (",", 4, CarrierFrom.GUESSED),  # no carrier column; order in "Package Reference 1"
}


@pytest.mark.parametrize("path", sorted(SAMPLES))
def test_sample_label_files_import_every_row_against_the_demo_book(path: str) -> None:
    delimiter, count, carrier_from = SAMPLES[path]
    file = read_label_file((EXAMPLES / path).read_text(encoding="utf-8"), path)
    assert file.delimiter == delimiter and file.problems == ()
    plan = plan_import(file, known_status=demo_statuses())
    assert (plan.accepted, plan.rejected) == (count, 0), [row.reason for row in plan.rejected_rows()]
    assert [e.kind for e in plan.entries] == [ActionKind.TRACK, ActionKind.SHIP] * count
    assert len({e.order_id for e in plan.entries}) == count
    assert {row.carrier_from for row in plan.rows} == {carrier_from}
    for e in plan.entries[::2]:  # every number as its carrier writes it: no blanks or hyphens
        assert " " not in e.tracknumber and "-" not in e.tracknumber and e.tracknumber == e.tracknumber.upper()


def test_the_sample_files_name_different_orders() -> None:
    ids: set[OrderId | None] = set()
    for path in SAMPLES:
        file: LabelFile = read_label_file((EXAMPLES / path).read_text(encoding="utf-8"), path)
        ids |= {row.order_id for row in plan_import(file, known_status=None).rows}
    assert len(ids) == sum(count for _, count, _ in SAMPLES.values()) == 40


# -- carriers guessed from tracking numbers (issue #14 §4) --------------------------------


@pytest.mark.parametrize(
    ("number", "carriers"),
    [
        ("1Z999AA10123456784", ("UPS",)),
        ("1z 999 aa1 0123 4567 84", ("UPS",)),
        ("9400 1000 0000 0000 0000 00", ("USPS",)),  # 22 digits, 94
        ("9300-1000-0000-0000-0000", ("USPS",)),  # 20 digits, 93
        ("950010000000000000000", ("USPS",)),  # 21 digits, 95
        ("9205500000000000000000", ("USPS", "FedEx")),  # 22 digits starting 92: either
        ("92055000000000000000", ("USPS", "FedEx")),  # 20 digits starting 92: either
        ("420 94107 9400100000000000000000", ("USPS",)),  # 420 + ZIP + the USPS number
        ("420941071234 9400100000000000000000", ("USPS",)),  # 420 + ZIP+4
        ("EA123456789US", ("USPS",)),
        ("7712 3456 7890", ("FedEx",)),  # 12
        ("123456789012345", ("FedEx",)),  # 15
        ("9612019012345678901234", ("FedEx",)),  # 22 starting 96
        ("61299990000000000000", ("FedEx",)),  # 20 not starting 92-95
        ("12 3456 7890", ("DHL Express",)),
        ("1Z1", ()),
        ("12345678901", ()),
        ("396101142", ()),
        ("", ()),
        ("RR123456789DE", ()),
        ("９４００１０００００００００００００００００００", ()),  # full-width digits: no format
    ],
)
def test_the_carrier_a_tracking_numbers_format_names(number: str, carriers: tuple[str, ...]) -> None:
    reading = read_tracking_number(number)
    assert reading.carriers == carriers
    assert reading.guess == (carriers[0] if len(carriers) == 1 else None)


@pytest.mark.parametrize(
    ("number", "carrier", "written", "changes"),
    [
        ("9400 1000 0000 0000 0000 00", "USPS", "9400100000000000000000", ("spaces removed",)),
        ("9400-1000-0000-0000-0000-00", "usps priority mail", "9400100000000000000000", ("hyphens removed",)),
        ("1z999aa10123456784", "UPS", "1Z999AA10123456784", ("made upper case",)),
        ("1z 999 aa1 0123456784", "UPS® Ground", "1Z999AA10123456784", ("spaces removed", "made upper case")),
        (
            "42094107 9400100000000000000000",
            "USPS",
            "9400100000000000000000",
            ("spaces removed", "routing prefix 42094107 (420 and the ZIP code) removed"),
        ),
        ("7712 3456 7890", "FedEx", "771234567890", ("spaces removed",)),
        ("9205 5000 0000 0000 0000 00", "FedEx", "9205500000000000000000", ("spaces removed",)),
        # Another carrier's format, or a carrier this program does not know: left as typed.
        ("9400 1000 0000 0000 0000 00", "UPS", "9400 1000 0000 0000 0000 00", ()),
        ("1z999aa10123456784", "OnTrac", "1z999aa10123456784", ()),
        ("  ab-12 ", "USPS", "ab-12", ()),
    ],
)
def test_numbers_are_written_as_their_carrier_writes_them(number, carrier, written, changes) -> None:
    assert carrier_number(number, carrier) == (written, changes)


@pytest.mark.parametrize(
    ("cell", "family"),
    [
        ("UPS", "UPS"),
        ("ups", "UPS"),
        ("UPS® Ground", "UPS"),
        ("UPS Next Day Air", "UPS"),
        ("USPS", "USPS"),
        ("Stamps.com USPS", "USPS"),
        ("United States Postal Service", "USPS"),
        ("FedEx Home Delivery", "FedEx"),
        ("Federal Express", "FedEx"),
        ("DHL", "DHL Express"),
        ("DHL Express Worldwide", "DHL Express"),
        ("Ground", None),
        ("Priority Mail", None),
        ("OnTrac", None),
        ("", None),
        ("Groups", None),
    ],
)
def test_which_carrier_a_carrier_cell_names(cell: str, family: str | None) -> None:
    assert carrier_family(cell) == family


WORLDSHIP = (
    "Tracking Number,Package Reference 1,Package Reference 2,Ship To Company or Name,Service,Weight\n"
    "1Z 4E5 F62 03 8230 4355,396-10-1142,gift,Ada Lovelace,Ground,2.0\n"
    "1z4e5f620381161302,397101159,,Alan Turing,Next Day Air,1.5\n"
)


def test_no_carrier_column_each_carrier_is_guessed_and_the_order_is_in_a_reference() -> None:
    file = read_label_file(WORLDSHIP, "ws.csv")
    # "Service" holds service levels only: it is not the carrier column.
    assert file.mapping == ColumnMapping(1, None, 0) and file.problems == ()
    assert file.found_by(Role.ORDER) is Found.HEADER and file.found_by(Role.CARRIER) is None
    plan = plan_import(file, known_status=STATUS)
    assert [row.verdict for row in plan.rows] == [RowVerdict.ACCEPTED, RowVerdict.ACCEPTED]
    assert list(plan.entries) == track_ship(A, "UPS", "1Z4E5F620382304355") + track_ship(C, "UPS", "1Z4E5F620381161302")
    assert [row.carrier_from for row in plan.rows] == [CarrierFrom.GUESSED, CarrierFrom.GUESSED]
    assert plan.rows[0].changes == ("spaces removed",) and plan.rows[1].changes == ("made upper case",)


@pytest.mark.parametrize(
    "header",
    [
        "Package Reference 1",
        "Reference",
        "Order #",
        "Order Number",
        "Reference 1",
        "Shipment Reference 1",
        "Customer Reference",
        "Ref #",
        "REFERENCE NO.",
    ],
)
def test_reference_headers_name_the_order_column(header: str) -> None:
    file = read_label_file(f"Tracking,{header}\n1Z999AA10123456784,#396-10-1142\n", "r.csv")
    assert file.mapping.order == 1 and file.found_by(Role.ORDER) is Found.HEADER


def test_a_reference_column_without_order_numbers_gives_way_to_one_with_them() -> None:
    text = (
        "Package Reference 1,Package Reference 2,Tracking Number\n"
        "blue mug,396-10-1142,1Z999AA10123456784\n"
        "red mug,397-10-1159,1Z999AA10123456785\n"
    )
    assert read_label_file(text, "r.csv").mapping.order == 1


def test_the_order_column_is_found_by_content_preferring_this_accounts_orders() -> None:
    # No header names an order column; two columns hold nine-digit numbers. The one whose
    # numbers are this account's orders is the order column.
    text = (
        "Shipped,Zip,Customer Ref,Tracking\n"
        f"2024-05-01,941071234,{A},1Z999AA10123456784\n"
        f"2024-05-01,100011234,{C},1Z999AA10123456785\n"
    )
    known = read_label_file(text, "c.csv", known_orders=set(STATUS))
    assert known.mapping == ColumnMapping(2, None, 3) and known.found_by(Role.ORDER) is Found.CONTENT
    # Without the account's orders, two columns hold order-like numbers: none is taken.
    unknown = read_label_file(text, "c.csv")
    assert unknown.mapping.order is None
    assert unknown.problems == ("c.csv: no column looks like the order number; choose one",)


def test_a_headerless_file_is_mapped_by_content() -> None:
    text = "1Z999AA10123456784;UPS;396-10-1142\n9400 1000 0000 0000 0000 00;USPS;397-10-1159\n"
    file = read_label_file(text, "n.csv")
    assert file.header_line is None and file.mapping == ColumnMapping(2, 1, 0) and file.problems == ()
    assert all(file.found_by(role) is Found.CONTENT for role in Role)
    assert plan_import(file, known_status=STATUS).accepted == 2


def test_an_ambiguous_or_unknown_number_needs_a_carrier_set_for_the_file() -> None:
    text = (
        "Order Number,Tracking Number\n"
        "396-10-1142,9205 5000 0000 0000 0000 00\n"
        "397-10-1159,TBA123456789000\n"
        "396-10-1150,9400 1000 0000 0000 0000 00\n"
    )
    file = read_label_file(text, "a.csv")
    assert file.mapping == ColumnMapping(0, None, 1) and file.problems == ()
    plan = plan_import(file, known_status=STATUS)
    assert [row.verdict for row in plan.rows] == [RowVerdict.NO_CARRIER, RowVerdict.NO_CARRIER, RowVerdict.ACCEPTED]
    assert "could be USPS or FedEx (22 digits starting 92); set the carrier for the file" in plan.rows[0].reason
    assert "'TBA123456789000' has no carrier's format" in plan.rows[1].reason
    assert plan.rows[2].entries[0] == StagedAction.make(
        B, "track", trackname="USPS", tracknumber="9400100000000000000000"
    )
    fedex = plan_import(with_carrier(file, "FedEx"), known_status=STATUS)
    assert [row.verdict for row in fedex.rows] == [RowVerdict.ACCEPTED] * 3
    assert [row.carrier_from for row in fedex.rows] == [CarrierFrom.SET] * 3
    assert [e.tracknumber for e in fedex.entries if e.kind is ActionKind.TRACK] == [
        "9205500000000000000000",
        "TBA123456789000",
        "9400 1000 0000 0000 0000 00",
    ]
    # The set carrier does not match the third number's format: said, not hidden.
    assert fedex.rows[2].remarks == ("the number has USPS's format (22 digits starting 94), not FedEx's",)
    assert (
        plan_import(with_carrier(fedex_file := with_carrier(file, "FedEx"), None), known_status=STATUS).accepted == 1
        and fedex_file.carrier == "FedEx"
    )


def test_a_carrier_set_for_the_file_wins_over_the_carrier_column() -> None:
    file = with_carrier(read_label_file(SHIPSTATION_LIKE, "s.csv"), "  DHL Express ")
    assert file.carrier == "DHL Express"
    assert plan_import(file, known_status=STATUS).entries[0].trackname == "DHL Express"


@pytest.mark.parametrize(("carrier", "why"), [("U\x01PS", "control characters"), ("X" * 101, "at most 100")])
def test_a_carrier_a_field_cannot_hold_is_refused(carrier: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        with_carrier(read_label_file(SHIPSTATION_LIKE, "s.csv"), carrier)


def test_a_service_column_naming_carriers_is_the_carrier_column() -> None:
    pirate = read_label_file("Reference;Service;Tracking\n396101142;USPS;9400100000000000000000\n", "p.csv")
    assert pirate.mapping.carrier == 1
    levels = read_label_file("Reference;Service;Tracking\n396101142;Priority Mail;9400100000000000000000\n", "p.csv")
    assert levels.mapping.carrier is None
    assert plan_import(levels, known_status=STATUS).entries[0].trackname == "USPS"


@pytest.mark.parametrize("number", ["7019 0140 0000 1234 5678", "03001290000123456789", "23001234567890123456"])
def test_usps_older_twenty_digit_forms_are_ambiguous_with_fedex(number: str) -> None:
    assert read_tracking_number(number).carriers == ("USPS", "FedEx")


@pytest.mark.parametrize("cell", ["stamps_com", "Stamps.com", "Endicia", "USPS (Stamps.com)"])
def test_usps_resellers_name_usps(cell: str) -> None:
    assert carrier_family(cell) == "USPS"


def test_a_voided_label_is_rejected_saying_so() -> None:
    text = (
        "Tracking Number,Package Reference 1,Void Indicator\n"
        "1Z999AA10123456784,396-10-1142,Y\n"
        "1Z999AA10123456785,397-10-1159,N\n"
    )
    plan = plan_import(read_label_file(text, "ws.csv"), known_status=STATUS)
    assert [row.verdict for row in plan.rows] == [RowVerdict.VOIDED, RowVerdict.ACCEPTED]
    assert plan.rows[0].reason.startswith("the label was voided (column 3 'Void Indicator' says 'Y')")


@pytest.mark.parametrize("number", ["9.40011E+21", "7.94812e+11", "9,4001E+21", "1E21"])
def test_a_number_a_spreadsheet_rounded_is_refused(number: str) -> None:
    plan = plan_import(
        read_label_file(f"Order Number;Carrier;Tracking Number\n396101142;USPS;{number}\n", "x.csv"),
        known_status=STATUS,
    )
    assert plan.rows[0].verdict is RowVerdict.INVALID
    assert "is a number a spreadsheet rounded (its digits are lost)" in plan.rows[0].reason


def test_ten_digit_cells_alone_are_not_taken_as_the_number_column() -> None:
    # A phone column has DHL Express's form; without a header naming it, it is not the number.
    text = "Order Number,Phone,Parcel\n396-10-1142,5551234567,x\n397-10-1159,5559876543,y\n"
    file = read_label_file(text, "p.csv")
    assert file.mapping.number is None
    assert "no column looks like the tracking number; choose one" in file.problems[0]
