"""Words shared by the command line, the TUI and the protocol layer (no textual)."""

from __future__ import annotations

from collections.abc import Sequence


def counted(n: int, one: str, many: str) -> str:
    """``1 entry``, ``2 entries``: the number and the word that goes with it."""
    return f"{n} {one if n == 1 else many}"


NAMED = 5  # things named in full; past that, the first ones and a count


def named_orders(orders: Sequence[str], limit: int = NAMED) -> str:
    """``a``, ``a and b``, ``a, b and c``; past ``limit``, the first ones and a count
    (``a, b, c and 9 more``): the orders an action was for, so the words match the rows."""
    if len(orders) <= limit:
        return ", ".join(orders[:-1]) + " and " + orders[-1] if len(orders) > 1 else "".join(orders)
    first = max(1, limit - 2)
    return f"{', '.join(orders[:first])} and {len(orders) - first} more"
