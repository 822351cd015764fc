"""CCNow order numbers: nine digits, shown as ``DDD-DD-DDDD``."""

from __future__ import annotations

import re

_CANONICAL = re.compile(r"\d{3}-\d{2}-\d{4}", re.ASCII).fullmatch


class InvalidOrderId(ValueError):
    """A value that is not a nine-digit CCNow order number."""

    def __init__(self, value: object, reason: str = "") -> None:
        self.value = value
        self.reason = reason
        shown = repr(value) if isinstance(value, str) else repr(str(value))
        super().__init__(f"{shown} {self.without_value()}")

    def without_value(self) -> str:
        """The message without the value (for a form that shows the value itself, and
        must not repeat it: it may be the password, pasted by mistake)."""
        why = f" ({self.reason})" if self.reason else ""
        return f"is not a CCNow order number{why}: expected nine digits, as 396101142 or 396-10-1142"


class OrderId(str):
    """A canonical order number (``396-10-1142``).

    A ``str`` subclass so that ids hash, compare, sort and serialise as their canonical
    text at C speed: the parser builds one per answer line and stress-size answers (docs/scale.md) are
    normal. Two spellings of one order (with and without hyphens) become equal ids.
    Build one with :meth:`parse`; the constructor trusts its argument.
    """

    __slots__ = ()

    @classmethod
    def parse(cls, value: object) -> OrderId:
        if isinstance(value, OrderId):
            return value
        if type(value) is str and _CANONICAL(value):  # as written by us (drafts, CSV)
            return str.__new__(cls, value)
        if not isinstance(value, str):
            raise InvalidOrderId(value, "not text")
        text = value.strip()
        n = len(text)
        if n == 11 and text[3] == "-" and text[6] == "-":
            digits = text[:3] + text[4:6] + text[7:]
        elif n == 9:
            digits = text
        else:
            raise InvalidOrderId(value, "wrong length" if text else "empty")
        # isdigit() alone accepts '²' and other Unicode digits.
        if not (digits.isascii() and digits.isdigit()):
            raise InvalidOrderId(value, "not digits")
        return str.__new__(cls, f"{digits[:3]}-{digits[3:5]}-{digits[5:]}")

    @classmethod
    def from_digits(cls, digits: str) -> OrderId:
        """Fast path for trusted nine-digit strings (the sandbox's own data)."""
        return str.__new__(cls, f"{digits[:3]}-{digits[3:5]}-{digits[5:]}")

    @property
    def digits(self) -> str:
        return self.replace("-", "")

    def __repr__(self) -> str:
        return f"OrderId({str.__repr__(self)})"
