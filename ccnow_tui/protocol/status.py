"""The sixteen order status codes of the vendor's table, and how we group them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class StatusGroup(StrEnum):
    ACTIONABLE = "actionable"
    ON_HOLD = "on hold"
    IN_PROGRESS = "in progress"
    FINAL = "final"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class StatusInfo:
    code: str
    meaning: str
    group: StatusGroup

    @property
    def known(self) -> bool:
        return self.group is not StatusGroup.UNKNOWN


_TABLE: tuple[tuple[str, str, StatusGroup], ...] = (
    ("received", "New order placed by consumer.", StatusGroup.IN_PROGRESS),
    ("paypal_hold", "Awaiting consumer completing payment at the PayPal server.", StatusGroup.ON_HOLD),
    ("processing", "Order undergoing screening, fraud review, and payment processing.", StatusGroup.IN_PROGRESS),
    ("vacation_hold", 'Order being held until you mark "return to office" in your backroom.', StatusGroup.ON_HOLD),
    ("preorder_hold", "Order being held until a product pre-order date has been reached.", StatusGroup.ON_HOLD),
    ("getman_hold", "Order being held until consumer provides proof of credit card ownership.", StatusGroup.ON_HOLD),
    (
        "pending",
        "Order has been approved and is now ready for client to process and indicate shipped.",
        StatusGroup.ACTIONABLE,
    ),
    ("canceled", "Order has been canceled.", StatusGroup.FINAL),
    ("mark_canceled", "Order in queue to be canceled.", StatusGroup.IN_PROGRESS),
    ("declined", "Payment for order has been declined.", StatusGroup.FINAL),
    (
        "rejected",
        "Order has been rejected due to not meeting CCNow product guidelines, missing order information, "
        "or consumer fraud.",
        StatusGroup.FINAL,
    ),
    ("mark_shipped", "Order in queue to be marked completed.", StatusGroup.IN_PROGRESS),
    ("completed", "Order processed and marked shipped in CCNow system.", StatusGroup.FINAL),
    ("test", "Completed test order.", StatusGroup.FINAL),
    ("refunded", "Order partially or fully refunded.", StatusGroup.FINAL),
    ("chargeback", "Chargeback issued on order.", StatusGroup.FINAL),
)

STATUS_INFO: dict[str, StatusInfo] = {code: StatusInfo(code, meaning, group) for code, meaning, group in _TABLE}
STATUS_CODES: frozenset[str] = frozenset(STATUS_INFO)
PENDING = "pending"


def status_info(code: str) -> StatusInfo:
    """Meaning and group of a status code; an unknown code is kept verbatim, never dropped."""
    info = STATUS_INFO.get(code)
    if info is None:
        return StatusInfo(code, "Unknown status code (not in the vendor's table).", StatusGroup.UNKNOWN)
    return info
