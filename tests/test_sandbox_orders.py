"""The sandbox's order book: data, the receiver's answer rules, settling and arrivals.

The book is driven with real decoded forms (``decode_request``) and a fake clock; the HTTP
side is in test_sandbox_server.py.
"""

from __future__ import annotations

import sys
import threading
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccnow_tui.protocol import STATUS_CODES, OrderError, OrderId, OrderLine, parse_answer
from ccnow_tui.protocol.form import decode_request
from ccnow_tui.sandbox.orders import ARRIVAL_STEP, DEMO_STATES, SandboxBook, Tracking

CREDS = [("x_clientid", "demo"), ("x_password", "demo")]


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def form(*entries: tuple) -> list[tuple[str, str]]:
    """Entries as ``(order, action, {extra fields})``, numbered 1..N as the client does."""
    pairs = list(CREDS)
    for n, (order, action, *extra) in enumerate(entries, start=1):
        pairs += [(f"x_orderid_{n}", str(order)), (f"x_action_{n}", action)]
        for name, value in (extra[0] if extra else {}).items():
            pairs.append((f"x_{name}_{n}", value))
    return pairs


def ask(book: SandboxBook, *entries: tuple) -> list[str]:
    return book.handle(decode_request(form(*entries)))


@pytest.fixture
def book() -> SandboxBook:
    return SandboxBook(orders=6, seed=42)


# -- data -------------------------------------------------------------------------------


def test_book_holds_n_pending_orders_and_one_in_every_other_state():
    book = SandboxBook(orders=25, seed=1)
    assert len(book.pending()) == 25
    assert len(DEMO_STATES) == 15 and set(DEMO_STATES) == STATUS_CODES - {"pending"}
    for state in DEMO_STATES:
        assert len(book.with_status(state)) >= 1, state
    assert len(book) == 25 + 15


def test_order_numbers_are_unique_nine_digit_ids_in_creation_order():
    book = SandboxBook(orders=500, seed=5)
    everything = [oid for state in STATUS_CODES for oid in book.with_status(state)]
    assert len(set(everything)) == len(everything) == 515
    for oid in everything:
        assert OrderId.parse(oid.digits) == oid and len(oid.digits) == 9
    pending = book.pending()
    assert pending == sorted(pending)  # numbers rise in creation order


def test_same_seed_same_book_other_seed_other_book():
    def picture(book: SandboxBook) -> list[tuple[str, str]]:
        return sorted((oid, state) for state in STATUS_CODES for oid in book.with_status(state))

    assert picture(SandboxBook(orders=30, seed=9)) == picture(SandboxBook(orders=30, seed=9))
    assert picture(SandboxBook(orders=30, seed=9)) != picture(SandboxBook(orders=30, seed=10))


@pytest.mark.parametrize("bad", [dict(orders=-1), dict(settle=-1.0), dict(arrivals=-2.0)])
def test_nonsense_parameters_are_refused(bad):
    with pytest.raises(ValueError):
        SandboxBook(**bad)


# -- the three request shapes --------------------------------------------------------------


def test_no_entries_is_the_pending_list(book):
    lines = book.handle(decode_request(CREDS))
    assert lines == [f"{oid} pending" for oid in book.pending()]
    assert len(lines) == 6


def test_no_pending_orders_is_a_message():
    assert SandboxBook(orders=0, seed=1).handle(decode_request(CREDS)) == ["message no_pending_orders"]


def test_query_one_and_several(book):
    first, second = book.pending()[:2]
    held = book.with_status("vacation_hold")[0]
    assert ask(book, (first.digits, "query")) == [f"{first} pending"]
    assert ask(book, (first, "query"), (held, "query"), (second, "QUERY")) == [
        f"{first} pending",
        f"{held} vacation_hold",
        f"{second} pending",
    ]


def test_vendor_example_cancel_one_ship_another(book):
    a, b = book.pending()[:2]
    assert ask(book, (a, "cancel", {"notes": "Test order"}), (b, "ship")) == [f"{a} mark_canceled", f"{b} mark_shipped"]
    assert book.record(a).notes == ("Test order",) and book.record(a).applied == ("cancel",)
    assert book.record(b).applied == ("ship",)


def test_vendor_example_adjust_track_ship_on_one_order_gives_one_line(book):
    oid = book.pending()[0]
    lines = ask(
        book,
        (oid, "adjust", {"amount": "5.00", "notes": "Sorry for the delay"}),
        (
            oid.digits,
            "track",
            {
                "trackname": "UPS",
                "tracknumber": "1Z999",
                "notes": "Package should arrive in a week. Thankyou for your order.",
            },
        ),
        (oid, "ship"),
    )
    assert lines == [f"{oid} mark_shipped"]
    rec = book.record(oid)
    assert rec.discount == Decimal("5.00")
    assert rec.tracking == (Tracking("UPS", "1Z999", "Package should arrive in a week. Thankyou for your order."),)
    assert rec.notes == ("Sorry for the delay",)
    assert rec.applied == ("adjust", "track", "ship")


def test_adjust_and_track_leave_an_order_pending_and_discounts_add_up(book):
    oid = book.pending()[0]
    assert ask(book, (oid, "adjust", {"amount": "1.50"}), (oid, "adjust", {"amount": "2"})) == [f"{oid} pending"]
    assert ask(book, (oid, "track", {"trackname": "DHL", "tracknumber": "42"})) == [f"{oid} pending"]
    assert book.record(oid).discount == Decimal("3.50")
    assert book.status(oid) == "pending"


def test_lines_follow_first_appearance_with_the_status_after_the_whole_batch(book):
    a, b, c = book.pending()[:3]
    lines = ask(book, (b, "query"), (a, "adjust", {"amount": "1.00"}), (b, "ship"), (c, "query"), (a, "cancel"))
    assert lines == [f"{b} mark_shipped", f"{a} mark_canceled", f"{c} pending"]


# -- refusals of single orders ----------------------------------------------------------------


@pytest.mark.parametrize("state", DEMO_STATES)
@pytest.mark.parametrize(
    "action, extra",
    [
        ("ship", {}),
        ("cancel", {}),
        ("adjust", {"amount": "1.00"}),
        ("track", {"trackname": "UPS", "tracknumber": "1"}),
    ],
)
def test_actions_on_orders_that_are_not_pending_are_refused(state, action, extra):
    book = SandboxBook(orders=2, seed=3)
    oid = book.with_status(state)[0]
    before = book.record(oid)
    assert ask(book, (oid, action, extra)) == [f"{oid} error_message order_not_pending"]
    assert book.record(oid) == before
    assert ask(book, (oid, "query")) == [f"{oid} {state}"]


@pytest.mark.parametrize("action", ["query", "ship"])
def test_unknown_order(book, action):
    unknown = next(
        OrderId.from_digits(f"{n:09d}") for n in range(1, 1000) if OrderId.from_digits(f"{n:09d}") not in book
    )
    assert ask(book, (unknown.digits, action)) == [f"{unknown} error_message order_not_found"]


@pytest.mark.parametrize(
    "action, extra, field, hint",
    [
        ("refund", {}, "action", "'refund' is not an action"),
        ("", {}, "action", "'' is not an action"),
        ("adjust", {}, "amount", "amount is required"),
        ("adjust", {"amount": ""}, "amount", "amount is required"),
        ("adjust", {"amount": "$5.00"}, "amount", "'$5.00'"),
        ("adjust", {"amount": "5,00"}, "amount", "'5,00'"),
        ("adjust", {"amount": "1e3"}, "amount", "'1e3'"),
        ("adjust", {"amount": "-5"}, "amount", "'-5'"),
        ("adjust", {"amount": "0.00"}, "amount", "greater than 0"),
        ("adjust", {"amount": "5.001"}, "amount", "two decimal places"),
        ("track", {"tracknumber": "1Z"}, "trackname", "carrier"),
        ("track", {"trackname": "UPS"}, "tracknumber", "tracking number"),
        ("track", {"trackname": "UPS", "tracknumber": " "}, "tracknumber", "tracking number"),
        ("ship", {"amount": "5.00"}, "amount", "ship does not take amount"),
    ],
)
def test_a_bad_entry_fails_its_order_naming_the_field_and_the_others_are_applied(book, action, extra, field, hint):
    bad, good = book.pending()[:2]
    lines = ask(book, (bad, action, extra), (good, "ship"))
    assert lines[0].startswith(f"{bad} error_message invalid {field}: ")
    assert hint in lines[0]
    assert lines[1:] == [f"{good} mark_shipped"]
    assert book.status(bad) == "pending" and book.record(bad).applied == ()
    assert [r for r in parse_answer("\n".join(lines).encode()) if not isinstance(r, (OrderError, OrderLine))] == []


@pytest.mark.parametrize(
    "raw, shown",
    [
        ("39610114", "39610114"),
        ("396-10-114x", "396-10-114x"),
        ("", "''"),
        ("396 10 1142", "'396 10 1142'"),
        ("message", "'message'"),
        ("error_message", "'error_message'"),
    ],
)
def test_a_malformed_order_number_is_shown_verbatim_and_never_reads_as_a_request_error(book, raw, shown):
    good = book.pending()[0]
    lines = ask(book, (raw, "ship"), (good, "ship"))
    assert lines[0].startswith(f"{shown} error_message invalid order_id: ")
    assert "not a CCNow order number" in lines[0] and "\n" not in lines[0]
    assert lines[1] == f"{good} mark_shipped"
    # Whatever the client makes of the bad line, it is not a whole-request answer.
    first = parse_answer(lines[0].encode())[0]
    assert type(first).__name__ not in ("MessageLine", "ErrorMessage")


def test_multiline_values_cannot_break_the_answer_into_more_lines(book):
    oid = book.pending()[0]
    lines = ask(book, (oid, "adjust", {"amount": "5\n00"}), (oid, "track", {"trackname": "U\nPS", "tracknumber": "1"}))
    assert len(lines) == 1 and "\n" not in lines[0] and "\r" not in lines[0]


# -- per-order atomicity ---------------------------------------------------------------------


def test_one_bad_entry_undoes_its_whole_order_but_not_other_orders(book):
    a, b = book.pending()[:2]
    lines = ask(
        book,
        (a, "adjust", {"amount": "5.00"}),
        (b, "adjust", {"amount": "2.00"}),
        (a, "track", {"trackname": "UPS"}),
        (a, "ship"),
        (b, "ship"),
    )
    assert lines[0].startswith(f"{a} error_message invalid tracknumber: ")
    assert lines[1] == f"{b} mark_shipped"
    assert book.record(a).discount == Decimal("0.00") and book.record(a).applied == ()
    assert book.record(b).discount == Decimal("2.00") and book.status(b) == "mark_shipped"


def test_entries_are_checked_in_order_against_the_status_they_would_leave(book):
    a, b = book.pending()[:2]
    # Track after ship: the order is no longer pending when the track comes, so neither applies.
    assert ask(book, (a, "ship"), (a, "track", {"trackname": "UPS", "tracknumber": "1"})) == [
        f"{a} error_message order_not_pending"
    ]
    assert book.status(a) == "pending"
    # Ship and cancel on one order: the second finds it mark_shipped.
    assert ask(book, (b, "ship"), (b, "cancel")) == [f"{b} error_message order_not_pending"]
    assert book.status(b) == "pending"


def test_the_first_error_of_an_order_is_its_answer(book):
    oid = book.pending()[0]
    lines = ask(book, (oid, "adjust", {"amount": "x"}), (oid, "frobnicate"))
    assert lines[0].startswith(f"{oid} error_message invalid amount: ")


def test_a_second_ship_in_a_later_batch_is_not_pending(book):
    oid = book.pending()[0]
    assert ask(book, (oid, "ship")) == [f"{oid} mark_shipped"]
    assert ask(book, (oid, "ship")) == [f"{oid} error_message order_not_pending"]
    assert book.record(oid).applied == ("ship",)


# -- broken numbering: the whole request fails ------------------------------------------------


@pytest.mark.parametrize(
    "pairs, field",
    [
        (
            [("x_orderid_1", "{a}"), ("x_action_1", "ship"), ("x_orderid_3", "{b}"), ("x_action_3", "ship")],
            "x_orderid_2",
        ),
        ([("x_orderid_1", "{a}"), ("x_action_1", "ship"), ("x_action_2", "ship")], "x_action_2"),
        ([("x_orderid_1", "{a}"), ("x_action_1", "ship"), ("x_orderid_1", "{b}")], "x_orderid_1"),
        ([("x_orderid_2", "{a}"), ("x_action_2", "ship")], "x_orderid_1"),
    ],
)
def test_broken_numbering_fails_the_whole_request_and_applies_nothing(book, pairs, field):
    a, b = book.pending()[:2]
    filled = [(k, v.format(a=a, b=b)) for k, v in pairs]
    lines = book.handle(decode_request(CREDS + filled))
    assert len(lines) == 1 and lines[0].startswith("error_message invalid request: ")
    assert field in lines[0]
    assert book.status(a) == book.status(b) == "pending"


# -- settling ---------------------------------------------------------------------------------


def test_settle_turns_shipped_and_canceled_final_after_the_delay():
    clock = FakeClock()
    book = SandboxBook(orders=5, seed=2, settle=30.0, clock=clock)
    shipped, discounted, canceled = book.pending()[:3]
    ask(book, (shipped, "ship"), (discounted, "adjust", {"amount": "4.00"}), (discounted, "ship"), (canceled, "cancel"))
    assert book.record(shipped).settle_at == 1030.0
    clock.now = 1029.99
    assert [book.status(o) for o in (shipped, discounted, canceled)] == [
        "mark_shipped",
        "mark_shipped",
        "mark_canceled",
    ]
    clock.now = 1030.0
    assert [book.status(o) for o in (shipped, discounted, canceled)] == ["completed", "refunded", "canceled"]


def test_settle_counts_from_each_batch_and_answers_show_the_status_before_settling():
    clock = FakeClock()
    book = SandboxBook(orders=5, seed=2, settle=0.0, clock=clock)
    a, b = book.pending()[:2]
    assert ask(book, (a, "ship")) == [f"{a} mark_shipped"]  # settles at the next look, not during its own batch
    assert ask(book, (a, "query")) == [f"{a} completed"]
    book2 = SandboxBook(orders=5, seed=2, settle=10.0, clock=clock)
    ask(book2, (a, "ship"))
    clock.now += 5
    ask(book2, (b, "ship"))
    clock.now += 5
    assert (book2.status(a), book2.status(b)) == ("completed", "mark_shipped")


def test_without_settle_nothing_moves_and_demo_orders_never_settle():
    clock = FakeClock()
    book = SandboxBook(orders=3, seed=2, clock=clock)
    oid = book.pending()[0]
    ask(book, (oid, "ship"))
    demo = book.with_status("mark_shipped")
    clock.now += 10**6
    assert book.status(oid) == "mark_shipped" and book.with_status("mark_shipped") == demo


# -- arrivals ---------------------------------------------------------------------------------


def test_arrivals_walk_from_received_through_processing_to_pending():
    clock = FakeClock()
    book = SandboxBook(orders=2, seed=4, arrivals=6.0, clock=clock)  # one every 10 s
    start = len(book)
    demo_received = book.with_status("received")
    clock.now += 9.99
    assert len(book) == start
    clock.now = 1010.0
    assert len(book) == start + 1
    (new,) = set(book.with_status("received")) - set(demo_received)
    assert ask(book, (new, "ship")) == [f"{new} error_message order_not_pending"]
    clock.now = 1010.0 + ARRIVAL_STEP
    assert book.status(new) == "processing"
    assert len(book.with_status("received")) == len(demo_received) + 1  # the next one has arrived
    clock.now = 1010.0 + 2 * ARRIVAL_STEP
    assert book.status(new) == "pending"
    assert book.pending()[-1] == new  # creation order: arrivals come last
    assert ask(book, (new, "ship")) == [f"{new} mark_shipped"]


def test_arrivals_are_about_r_a_minute_even_across_a_long_gap():
    clock = FakeClock()
    book = SandboxBook(orders=0, seed=4, arrivals=30.0, clock=clock)
    clock.now += 600
    assert len(book) - len(DEMO_STATES) == 300
    # All but the ones that arrived in the last 20 s are pending by now.
    assert len(book.pending()) == 300 - int(2 * ARRIVAL_STEP * 30 / 60)


def test_arrivals_are_deterministic_for_a_seed():
    def arrivals(seed: int) -> list[OrderId]:
        clock = FakeClock()
        book = SandboxBook(orders=1, seed=seed, arrivals=60.0, clock=clock)
        clock.now += 120
        return book.pending()

    assert arrivals(8) == arrivals(8) and arrivals(8) != arrivals(9)


# -- properties ---------------------------------------------------------------------------------

_ACTIONS = st.sampled_from(["query", "ship", "cancel", "adjust", "track", "refund", ""])
_AMOUNTS = st.one_of(st.none(), st.sampled_from(["5.00", "0.01", "", "5,00", "-1", "1e2"]), st.text(max_size=6))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), _ACTIONS, _AMOUNTS, st.booleans()), min_size=1, max_size=10))
def test_any_batch_answers_one_line_per_order_and_failed_orders_stay_untouched(raw):
    book = SandboxBook(orders=3, seed=1)
    known = book.pending() + book.with_status("completed")
    pool = [*known, OrderId.from_digits("000000001"), "12345", "", "396-10-11x2"]
    entries = []
    for pick, action, amount, spell_digits in raw:
        oid = pool[pick]
        order = oid.digits if spell_digits and isinstance(oid, OrderId) else oid
        extra = {"amount": amount} if amount is not None else {}
        if action == "track":
            extra.update(trackname="UPS", tracknumber="1")
        entries.append((order, action, extra))
    before = {oid: book.record(oid) for oid in known}
    lines = book.handle(decode_request(form(*entries)))
    records = parse_answer("\n".join(lines).encode())
    assert len(records) == len(lines)
    valid_orders = list(dict.fromkeys(pool[p] for p, *_ in raw if isinstance(pool[p], OrderId)))
    answered = [r.order_id for r in records if isinstance(r, (OrderLine, OrderError))]
    assert answered == valid_orders
    assert not any(type(r).__name__ in ("MessageLine", "ErrorMessage") for r in records)
    for r in records:
        if isinstance(r, OrderError) and r.order_id in before:
            assert book.record(r.order_id) == before[r.order_id]
        if isinstance(r, OrderLine):
            assert r.status == book.status(r.order_id)


# -- the lock --------------------------------------------------------------------------------------


def test_racing_threads_ship_each_order_exactly_once():
    """Threads ship the same 300 orders in the same order, so they collide on each one;
    without the book's lock two of them see it pending and both ship it."""
    book = SandboxBook(orders=300, seed=6)
    orders = book.pending()
    requests = [decode_request(form((oid, "ship"))) for oid in orders]
    barrier = threading.Barrier(4)
    answers: list[list[str]] = [[] for _ in range(4)]

    def ship_all(mine: list[str]) -> None:
        barrier.wait()
        for request in requests:
            mine += book.handle(request)

    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so a missing lock shows
    try:
        threads = [threading.Thread(target=ship_all, args=(a,)) for a in answers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        sys.setswitchinterval(before)
    shipped = [line for mine in answers for line in mine if line.endswith(" mark_shipped")]
    assert sorted(shipped) == sorted(f"{oid} mark_shipped" for oid in orders)
    assert all(book.record(oid).applied == ("ship",) for oid in orders)


# -- the book's own record of what it applied ---------------------------------------------------------


def test_applied_lists_every_change_in_order_with_the_fields_as_sent(book):
    a, b, c, d = book.pending()[:4]
    done = book.with_status("completed")[0]
    ask(
        book,
        (a, "query"),
        (a.digits, "adjust", {"amount": "5", "notes": "Sorry\r\nlate"}),  # recorded as sent, not as cleaned
        (b, "cancel", {"notes": "Test order"}),
        (done, "ship"),  # refused: not pending
        (c, "adjust", {"amount": "2.00"}),
        (c, "track", {"trackname": "UPS"}),  # refused: no number, so c's adjust is not applied either
        ("000000001", "cancel"),  # refused: unknown order
        (a, "track", {"trackname": "DHL", "tracknumber": "JD01", "notes": ""}),
        (a, "ship"),
    )
    ask(book, (d, "query"), (d, "cancel"))
    assert book.applied() == [
        (str(a), "adjust", {"amount": "5", "notes": "Sorry\r\nlate"}),
        (str(a), "track", {"trackname": "DHL", "tracknumber": "JD01", "notes": ""}),
        (str(a), "ship", {}),
        (str(b), "cancel", {"notes": "Test order"}),
        (str(d), "cancel", {}),
    ]
    assert all(type(oid) is str for oid, _, _ in book.applied())  # canonical text, not OrderId


def test_applied_is_a_copy_and_refused_requests_add_nothing(book):
    a = book.pending()[0]
    ask(book, (a, "ship"))
    seen = book.applied()
    seen.append(("x", "ship", {}))
    seen[0][2]["notes"] = "changed by the caller"
    assert book.applied() == [(str(a), "ship", {})]
    ask(book, (a, "ship"))  # not pending any more
    book.handle(decode_request([*CREDS, ("x_orderid_2", str(a)), ("x_action_2", "cancel")]))  # broken numbering
    book.handle(decode_request(CREDS))  # the pending list
    assert book.applied() == [(str(a), "ship", {})]


def test_applied_under_racing_threads_holds_each_ship_once_and_reading_it_is_safe():
    book = SandboxBook(orders=200, seed=8)
    orders = book.pending()
    requests = [decode_request(form((oid, "ship"), (oid, "query"))) for oid in orders]
    barrier = threading.Barrier(5)
    snapshots: list[int] = []
    errors: list[BaseException] = []

    def ship_all() -> None:
        barrier.wait()
        for request in requests:
            book.handle(request)

    def read_all() -> None:
        barrier.wait()
        try:
            for _ in range(200):
                snapshots.append(len(book.applied()))
        except BaseException as exc:  # reported below
            errors.append(exc)

    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=ship_all) for _ in range(4)] + [threading.Thread(target=read_all)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        sys.setswitchinterval(before)
    assert not errors
    assert snapshots == sorted(snapshots)  # the log only grows
    log = book.applied()
    assert sorted(oid for oid, _, _ in log) == sorted(str(oid) for oid in orders)
    assert {(action, tuple(fields)) for _, action, fields in log} == {("ship", ())}


# -- values as long as the body -----------------------------------------------------------------


@pytest.mark.parametrize(
    "entry, field",
    [
        (("1" * 1_000_000, "ship"), "order_id"),
        (("{a}", "x" * 1_000_000), "action"),
        (("{a}", "adjust", {"amount": "9" * 100_000}), "amount"),
        (("{a}", "adjust", {"amount": "1 " * 100_000}), "amount"),  # long, but in short words
    ],
    ids=["order_id", "action", "amount", "amount-words"],
)
def test_values_echoed_in_an_error_line_are_cut_to_a_sensible_length(book, entry, field):
    a = book.pending()[0]
    entry = (entry[0].replace("{a}", str(a)), *entry[1:])
    lines = ask(book, entry, (book.pending()[1], "query"))
    assert len(lines) == 2 and len(lines[0]) <= 600, len(lines[0])
    assert f" error_message invalid {field}: " in lines[0] and "..." in lines[0]
    assert type(parse_answer(lines[0].encode())[0]).__name__ not in ("MessageLine", "ErrorMessage")
    assert lines[1].endswith(" pending")
