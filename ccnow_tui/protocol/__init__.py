"""The wire protocol of the CCNow Order Update API: pure data and functions, no I/O."""

from .actions import ActionError, ActionKind, StagedAction, format_amount, parse_amount, clean_notes
from .answer import AnswerParser, ErrorMessage, Message, OrderError, OrderLine, Record, Unparsed, parse_answer
from .batch import Batch, BatchError, Lint, Severity
from .form import Credentials, decode_request, encode_form, preview_fields, request_fields
from .orderid import InvalidOrderId, OrderId
from .redact import MASK, Secret, redact
from .status import STATUS_CODES, STATUS_INFO, StatusGroup, StatusInfo, status_info

__all__ = [
    "ActionError", "ActionKind", "StagedAction", "format_amount", "parse_amount", "clean_notes",
    "AnswerParser", "ErrorMessage", "Message", "OrderError", "OrderLine", "Record", "Unparsed", "parse_answer",
    "Batch", "BatchError", "Lint", "Severity",
    "Credentials", "decode_request", "encode_form", "preview_fields", "request_fields",
    "InvalidOrderId", "OrderId", "MASK", "Secret", "redact",
    "STATUS_CODES", "STATUS_INFO", "StatusGroup", "StatusInfo", "status_info",
]
