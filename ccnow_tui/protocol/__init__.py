"""The wire protocol of the CCNow Order Update API: pure data and functions, no I/O."""

# Loaded when first asked for (PEP 562), so that a command needing one part of the
# protocol (the store needs actions and order ids) does not pay for the rest (the answer
# parser, the form, the batch). ``redact`` is loaded at once: it is both a submodule and
# a function here, and the function must win whichever is imported first.
from .redact import MASK, Secret, redact

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .actions import ActionError, ActionKind, StagedAction, clean_notes, format_amount, parse_amount
    from .answer import AnswerParser, ErrorMessage, MessageLine, OrderError, OrderLine, Record, Unparsed, parse_answer
    from .batch import Batch, BatchError, Lint, Severity
    from .form import Credentials, decode_request, encode_form, preview_fields, request_fields
    from .orderid import InvalidOrderId, OrderId
    from .status import STATUS_CODES, STATUS_INFO, StatusGroup, StatusInfo, status_info

_WHERE = {
    **dict.fromkeys(
        ("ActionError", "ActionKind", "StagedAction", "clean_notes", "format_amount", "parse_amount"), "actions"
    ),
    **dict.fromkeys(
        (
            "AnswerParser",
            "ErrorMessage",
            "MessageLine",
            "OrderError",
            "OrderLine",
            "Record",
            "Unparsed",
            "parse_answer",
        ),
        "answer",
    ),
    **dict.fromkeys(("Batch", "BatchError", "Lint", "Severity"), "batch"),
    **dict.fromkeys(("Credentials", "decode_request", "encode_form", "preview_fields", "request_fields"), "form"),
    **dict.fromkeys(("InvalidOrderId", "OrderId"), "orderid"),
    **dict.fromkeys(("STATUS_CODES", "STATUS_INFO", "StatusGroup", "StatusInfo", "status_info"), "status"),
}


def __getattr__(name: str) -> object:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "MASK",
    "STATUS_CODES",
    "STATUS_INFO",
    "ActionError",
    "ActionKind",
    "AnswerParser",
    "Batch",
    "BatchError",
    "Credentials",
    "ErrorMessage",
    "InvalidOrderId",
    "Lint",
    "MessageLine",
    "OrderError",
    "OrderId",
    "OrderLine",
    "Record",
    "Secret",
    "Severity",
    "StagedAction",
    "StatusGroup",
    "StatusInfo",
    "Unparsed",
    "clean_notes",
    "decode_request",
    "encode_form",
    "format_amount",
    "parse_amount",
    "parse_answer",
    "preview_fields",
    "redact",
    "request_fields",
    "status_info",
]
