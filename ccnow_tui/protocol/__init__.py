"""The wire protocol of the CCNow Order Update API: pure data and functions, no I/O."""

from .actions import ActionError, ActionKind, StagedAction, clean_notes, format_amount, parse_amount
from .answer import AnswerParser, ErrorMessage, MessageLine, OrderError, OrderLine, Record, Unparsed, parse_answer
from .batch import Batch, BatchError, Lint, Severity
from .form import Credentials, decode_request, encode_form, preview_fields, request_fields
from .orderid import InvalidOrderId, OrderId
from .redact import MASK, Secret, redact
from .status import STATUS_CODES, STATUS_INFO, StatusGroup, StatusInfo, status_info

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
