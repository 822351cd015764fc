"""The sixteen status codes of the vendor's table, their meanings and our grouping."""

from __future__ import annotations

import pytest

from ccnow_tui.protocol.status import PENDING, STATUS_CODES, STATUS_INFO, StatusGroup, StatusInfo, status_info

A = StatusGroup.ACTIONABLE
H = StatusGroup.ON_HOLD
P = StatusGroup.IN_PROGRESS
F = StatusGroup.FINAL

# Copied from the vendor's table of status codes, and docs/protocol.md's groups.
VENDOR_TABLE = [
    ("received", "New order placed by consumer.", P),
    ("paypal_hold", "Awaiting consumer completing payment at the PayPal server.", H),
    ("processing", "Order undergoing screening, fraud review, and payment processing.", P),
    ("vacation_hold", 'Order being held until you mark "return to office" in your backroom.', H),
    ("preorder_hold", "Order being held until a product pre-order date has been reached.", H),
    ("getman_hold", "Order being held until consumer provides proof of credit card ownership.", H),
    ("pending", "Order has been approved and is now ready for client to process and indicate shipped.", A),
    ("canceled", "Order has been canceled.", F),
    ("mark_canceled", "Order in queue to be canceled.", P),
    ("declined", "Payment for order has been declined.", F),
    (
        "rejected",
        "Order has been rejected due to not meeting CCNow product guidelines, "
        "missing order information, or consumer fraud.",
        F,
    ),
    ("mark_shipped", "Order in queue to be marked completed.", P),
    ("completed", "Order processed and marked shipped in CCNow system.", F),
    ("test", "Completed test order.", F),
    ("refunded", "Order partially or fully refunded.", F),
    ("chargeback", "Chargeback issued on order.", F),
]


def test_there_are_exactly_sixteen_codes() -> None:
    assert len(VENDOR_TABLE) == 16
    assert STATUS_CODES == {code for code, _, _ in VENDOR_TABLE}
    assert set(STATUS_INFO) == STATUS_CODES


@pytest.mark.parametrize(("code", "meaning", "group"), VENDOR_TABLE)
def test_each_code_has_the_vendor_meaning_and_our_group(code: str, meaning: str, group: StatusGroup) -> None:
    info = status_info(code)
    assert info == StatusInfo(code, meaning, group)
    assert info is STATUS_INFO[code]
    assert info.known


def test_groups_exactly_as_protocol_notes() -> None:
    groups: dict[StatusGroup, set[str]] = {}
    for code, info in STATUS_INFO.items():
        groups.setdefault(info.group, set()).add(code)
    assert groups == {
        StatusGroup.ACTIONABLE: {"pending"},
        StatusGroup.ON_HOLD: {"paypal_hold", "vacation_hold", "preorder_hold", "getman_hold"},
        StatusGroup.IN_PROGRESS: {"received", "processing", "mark_canceled", "mark_shipped"},
        StatusGroup.FINAL: {"canceled", "declined", "rejected", "completed", "test", "refunded", "chargeback"},
    }


def test_pending_constant() -> None:
    assert PENDING == "pending"
    assert status_info(PENDING).group is StatusGroup.ACTIONABLE


@pytest.mark.parametrize(
    "code",
    ["shipped", "Pending", "PENDING", " pending", "pending ", "on_hold", "", "mark_refunded", "état", "error_message"],
)
def test_unknown_codes_are_kept_verbatim_as_unknown(code: str) -> None:
    info = status_info(code)
    assert info.code == code
    assert info.group is StatusGroup.UNKNOWN
    assert not info.known
    assert info.meaning  # something to show, never blank
    assert code not in STATUS_INFO


def test_group_labels() -> None:
    assert [g.value for g in StatusGroup] == ["actionable", "on hold", "in progress", "final", "unknown"]


def test_status_info_is_immutable() -> None:
    info = status_info("pending")
    with pytest.raises(AttributeError):
        info.group = StatusGroup.FINAL  # type: ignore[misc]
