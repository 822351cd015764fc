"""Batches: safe per-order ordering, numbering 1..N without gaps, lint and check()."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccnow_tui.protocol.actions import ACTION_RANK, ActionKind, StagedAction
from ccnow_tui.protocol.batch import Batch, BatchError, Lint, Severity, safe_order
from ccnow_tui.protocol.orderid import OrderId

A = "396-10-1142"
B = "397-10-1159"
C = "398-10-0001"


def q(o: str) -> StagedAction:
    return StagedAction.make(o, "query")


def ship(o: str) -> StagedAction:
    return StagedAction.make(o, "ship")


def cancel(o: str, notes: str = "") -> StagedAction:
    return StagedAction.make(o, "cancel", notes=notes)


def adjust(o: str, amount: str = "5") -> StagedAction:
    return StagedAction.make(o, "adjust", amount=amount)


def track(o: str, number: str = "1Z1") -> StagedAction:
    return StagedAction.make(o, "track", trackname="UPS", tracknumber=number)


def kinds_of(batch: Batch) -> list[tuple[str, str]]:
    return [(str(e.order_id), e.kind.value) for e in batch.entries]


def numbers_in(fields: list[tuple[str, str]]) -> list[int]:
    return [int(name.rsplit("_", 1)[1]) for name, _ in fields if name.startswith("x_orderid_")]


# ---------------------------------------------------------------- ordering


def test_single_order_is_sorted_query_adjust_track_then_ship() -> None:
    b = Batch([ship(A), track(A), adjust(A), q(A)])
    assert kinds_of(b) == [(A, "query"), (A, "adjust"), (A, "track"), (A, "ship")]


def test_cancel_goes_last_too() -> None:
    b = Batch([cancel(A), adjust(A)])
    assert kinds_of(b) == [(A, "adjust"), (A, "cancel")]


def test_operator_slots_are_kept_across_orders() -> None:
    # A's entries occupy staged slots 0, 2 and 4; B's occupy 1 and 3. Each order is
    # re-ordered only within its own slots.
    staged = [ship(A), track(B), adjust(A), q(B), track(A)]
    b = Batch(staged)
    assert kinds_of(b) == [(A, "adjust"), (B, "query"), (A, "track"), (B, "track"), (A, "ship")]
    assert b.send_order == [2, 3, 4, 1, 0]
    assert safe_order(staged) == [2, 3, 4, 1, 0]


def test_already_safe_batch_is_unchanged() -> None:
    staged = [q(A), adjust(B), track(A), ship(B), cancel(C), ship(A)]
    assert Batch(staged).entries == staged
    assert Batch(staged).send_order == list(range(6))


def test_same_rank_keeps_staged_order() -> None:
    t1, t2 = track(A, "first"), track(A, "second")
    b = Batch([ship(A), t1, t2])
    assert b.entries == [t1, t2, ship(A)]


def test_ordering_by_digits_not_spelling() -> None:
    b = Batch([StagedAction.make("396101142", "ship"), StagedAction.make("396-10-1142", "adjust", amount="1")])
    assert kinds_of(b) == [(A, "adjust"), (A, "ship")]


def test_numbered_runs_1_to_n() -> None:
    staged = [ship(A), track(B), adjust(A), q(B), track(A)]
    numbered = Batch(staged).numbered()
    assert [n for n, _ in numbered] == [1, 2, 3, 4, 5]
    assert Counter(e for _, e in numbered) == Counter(staged)


def test_order_ids_in_first_appearance_of_sending_order() -> None:
    b = Batch([q(B), ship(A), q(C), adjust(A)])
    assert b.order_ids == [B, A, C]
    assert all(isinstance(o, OrderId) for o in b.order_ids)


def test_form_fields_numbered_without_gaps() -> None:
    b = Batch([ship(A), cancel(B, "Test order"), adjust(A, "2.5"), track(C)])
    fields = b.form_fields()
    assert numbers_in(fields) == [1, 2, 3, 4]
    assert fields == [
        ("x_orderid_1", A),
        ("x_action_1", "adjust"),
        ("x_amount_1", "2.50"),
        ("x_orderid_2", B),
        ("x_action_2", "cancel"),
        ("x_notes_2", "Test order"),
        ("x_orderid_3", A),
        ("x_action_3", "ship"),
        ("x_orderid_4", C),
        ("x_action_4", "track"),
        ("x_trackname_4", "UPS"),
        ("x_tracknumber_4", "1Z1"),
    ]


def test_len_counts_changes_orders() -> None:
    b = Batch([q(A), q(B), ship(A)])
    assert len(b) == 3
    assert b.counts() == Counter({ActionKind.QUERY: 2, ActionKind.SHIP: 1})
    assert b.changes_orders
    assert not Batch([q(A), q(B)]).changes_orders


def test_batch_is_immutable_and_comparable() -> None:
    staged = [ship(A), q(B)]
    b = Batch(staged)
    staged.append(cancel(C))
    assert len(b) == 2
    assert b == Batch([ship(A), q(B)])
    assert b != Batch([q(B), ship(A)])
    with pytest.raises(AttributeError):
        b.staged = ()  # type: ignore[misc]


entries_st = st.builds(
    lambda o, k, n: {
        "query": lambda: q(o),
        "ship": lambda: ship(o),
        "cancel": lambda: cancel(o, n),
        "adjust": lambda: adjust(o, str(len(n) + 1)),
        "track": lambda: track(o, f"T{len(n)}"),
    }[k](),
    st.sampled_from([A, B, C]),
    st.sampled_from([k.value for k in ActionKind]),
    st.sampled_from(["", "x", "yy"]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(entries_st, max_size=12))
def test_property_safe_order_is_a_permutation_keeping_slots_and_ranks(staged: list[StagedAction]) -> None:
    b = Batch(staged)
    order = b.send_order
    assert sorted(order) == list(range(len(staged)))
    sent = b.entries
    assert [n for n, _ in b.numbered()] == list(range(1, len(staged) + 1))
    assert numbers_in(b.form_fields()) == list(range(1, len(staged) + 1))
    # Every slot keeps an entry of the same order id as the operator staged there.
    assert [e.order_id for e in sent] == [e.order_id for e in staged]
    for oid in {e.order_id for e in staged}:
        mine = [e for e in sent if e.order_id == oid]
        ranks = [ACTION_RANK[e.kind] for e in mine]
        assert ranks == sorted(ranks)
        # Stable: entries of equal rank keep their staged relative order.
        for rank in set(ranks):
            assert [e for e in mine if ACTION_RANK[e.kind] == rank] == [
                e for e in staged if e.order_id == oid and ACTION_RANK[e.kind] == rank
            ]


# ---------------------------------------------------------------- lint


def by_severity(lints: list[Lint], severity: Severity) -> list[Lint]:
    return [lint for lint in lints if lint.severity is severity]


def test_empty_batch_is_an_error() -> None:
    b = Batch([])
    lints = b.lint()
    assert [lint.severity for lint in lints] == [Severity.ERROR]
    assert "empty" in lints[0].message
    with pytest.raises(BatchError) as info:
        b.check()
    assert "empty" in str(info.value)
    assert info.value.lints == tuple(lints)
    assert b.form_fields() == []


def test_ship_and_cancel_on_one_order_is_an_error() -> None:
    b = Batch([ship(A), q(B), cancel("396101142")])
    errors = b.errors()
    assert len(errors) == 1
    err = errors[0]
    assert err.order_id == A
    assert err.staged_indexes == (0, 2)
    assert "ship and cancel" in err.message and A in err.message
    with pytest.raises(BatchError) as info:
        b.check()
    assert isinstance(info.value, ValueError)
    assert info.value.lints == (err,)
    assert A in str(info.value)


def test_ship_and_cancel_on_different_orders_is_fine() -> None:
    b = Batch([ship(A), cancel(B)])
    assert b.errors() == []
    assert b.check() is b


def test_clean_batch_has_no_lints() -> None:
    assert Batch([q(A), adjust(B), track(B), ship(B), cancel(C, "why")]).lint() == []


def test_duplicate_identical_entries_warn() -> None:
    b = Batch([ship(A), q(B), ship(A)])
    warnings = by_severity(b.lint(), Severity.WARNING)
    assert len(warnings) == 1
    assert warnings[0].order_id == A
    assert warnings[0].staged_indexes == (0, 2)
    assert "duplicate ship" in warnings[0].message
    assert "#1" in warnings[0].message and "#3" in warnings[0].message
    assert b.errors() == []


def test_duplicate_detected_across_spellings() -> None:
    b = Batch([StagedAction.make("396101142", "query"), StagedAction.make(A, "query")])
    assert any("duplicate query" in lint.message for lint in by_severity(b.lint(), Severity.WARNING))


def test_cancel_twice_with_different_notes_warns() -> None:
    b = Batch([cancel(A, "one"), cancel(A, "two")])
    msgs = [lint.message for lint in by_severity(b.lint(), Severity.WARNING)]
    assert msgs == [f"{A}: cancel staged 2 times"]


def test_different_discounts_warn() -> None:
    b = Batch([adjust(A, "1"), adjust(A, "2")])
    warnings = by_severity(b.lint(), Severity.WARNING)
    assert len(warnings) == 1
    assert "2 different discounts" in warnings[0].message
    assert warnings[0].staged_indexes == (0, 1)


def test_not_pending_lints_with_known_status() -> None:
    b = Batch([ship(A), cancel(B), q(C)])
    lints = b.lint({OrderId.parse(A): "pending", OrderId.parse(B): "completed", OrderId.parse(C): "completed"})
    errors = by_severity(lints, Severity.ERROR)
    assert [(lint.order_id, lint.staged_indexes) for lint in errors] == [(B, (1,))]
    assert "completed" in errors[0].message and "not pending" in errors[0].message
    # A query on a final order changes nothing and is not flagged.
    assert not any(lint.order_id == C for lint in lints)


def test_unknown_status_warns_only_when_statuses_are_given() -> None:
    b = Batch([ship(A)])
    assert b.lint() == []
    lints = b.lint({})
    assert [lint.severity for lint in lints] == [Severity.WARNING]
    assert "status unknown" in lints[0].message


def test_a_status_learnt_not_pending_is_an_error_naming_when() -> None:
    # Issue 14 §2: the session learnt the order is not pending: its entries are not sent.
    b = Batch([ship(A)])
    [error] = b.errors({OrderId.parse(A): "completed"}, {OrderId.parse(A): "at 13:45:02 from a query"})
    assert error.message == (
        f"{A}: last known status is completed (learnt at 13:45:02 from a query), not "
        "pending; the receiver will refuse it: remove it (S does not send it)"
    )
    assert b.check() is b  # without statuses (the client's own check) nothing is known


def test_reordering_is_reported_as_info() -> None:
    b = Batch([ship(A), adjust(A), q(B)])
    info = by_severity(b.lint(), Severity.INFO)
    assert len(info) == 1
    assert info[0].order_id == A
    assert info[0].staged_indexes == (0, 1)
    assert b.errors() == []
    assert Batch([adjust(A), ship(A)]).lint() == []


def test_all_errors_reported_together() -> None:
    b = Batch([ship(A), cancel(A), ship(B), cancel(B)])
    with pytest.raises(BatchError) as info:
        b.check()
    assert {lint.order_id for lint in info.value.lints} == {A, B}
    assert all(lint.severity is Severity.ERROR for lint in info.value.lints)


@settings(max_examples=150, deadline=None)
@given(st.lists(entries_st, max_size=10))
def test_property_check_raises_exactly_when_ship_meets_cancel(staged: list[StagedAction]) -> None:
    b = Batch(staged)
    per_order: dict[OrderId, set[ActionKind]] = {}
    for e in staged:
        per_order.setdefault(e.order_id, set()).add(e.kind)
    clash = {o for o, ks in per_order.items() if {ActionKind.SHIP, ActionKind.CANCEL} <= ks}
    must_fail = not staged or bool(clash)
    if must_fail:
        with pytest.raises(BatchError) as info:
            b.check()
        if staged:
            assert {lint.order_id for lint in info.value.lints} == clash
    else:
        assert b.check() is b
