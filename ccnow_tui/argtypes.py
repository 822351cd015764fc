"""argparse types for numbers, shared by ccnow-tui's options and the sandbox's."""

from __future__ import annotations

import argparse

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: the CLI's start-up
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeVar

    N = TypeVar("N", int, float)


def number(
    convert: Callable[[str], N], accept: Callable[[N], bool], out_of_range: str, not_a_number: str | None = None
) -> Callable[[str], N]:
    """An argparse ``type``: ``convert(text)`` (ValueError: not a number), then ``accept``.

    The messages name the text as given: ``{text!r}`` in them is replaced by it;
    ``not_a_number`` defaults to ``out_of_range``.
    """

    def parse(text: str) -> N:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError((not_a_number or out_of_range).format(text=text)) from None
        if not accept(value):
            raise argparse.ArgumentTypeError(out_of_range.format(text=text))
        return value

    return parse
