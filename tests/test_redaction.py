"""The redact filter on its own: what it scrubs, what it keeps, and that it works on a copy."""

from __future__ import annotations

import logging
import sys

import pytest

from logboot.core.records import apply_filters, prepare
from logboot.filters.redaction import RedactFilter

pytestmark = pytest.mark.timeout(10)


def make(msg: object, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("app", logging.INFO, __file__, 1, msg, args or None, None)
    record.__dict__.update(extra)
    return record


def test_message_and_args_are_merged_then_scrubbed() -> None:
    """The copy carries the merged, scrubbed message; the original record is untouched."""
    original = make("user %s key %s", "ann", "sk-123456")
    redacted = RedactFilter([r"sk-\d+"]).filter(original)
    assert (redacted.msg, redacted.args) == ("user ann key [REDACTED]", None)
    assert (original.msg, original.args) == ("user %s key %s", ("ann", "sk-123456"))


def test_extra_values_by_key_and_by_pattern() -> None:
    """Named keys are replaced whole (any case, nested too); other text is scrubbed; containers stay."""
    record = make(
        "x",
        Token="t0",  # noqa: S106 - test data
        count=3,
        ratio=0.5,
        flags=("sk-1", "ok"),
        tags={"sk-2"},
        body={"password": "p", "inner": ["sk-3", {"TOKEN": "t1"}]},
        obj=ValueError("sk-4"),
        clean=ValueError("fine"),
    )
    out = vars(RedactFilter([r"sk-\d"], keys=["token", "password"], replacement="***").filter(record))
    assert out["Token"] == "***"  # noqa: S105 - the replacement
    assert (out["count"], out["ratio"]) == (3, 0.5)
    assert out["flags"] == ("***", "ok")
    assert out["tags"] == {"***"}
    assert out["body"] == {"password": "***", "inner": ["***", {"TOKEN": "***"}]}
    assert out["obj"] == "***"  # any other object: its str(), what a layout shows, scrubbed
    assert out["clean"] == "fine"


def test_exception_is_rendered_then_scrubbed() -> None:
    """exc_info becomes text on the copy, and the secret leaves both the text and exc_message."""
    try:
        raise PermissionError("bad key sk-42")
    except PermissionError:
        record = make("failed")
        record.exc_info = sys.exc_info()
    out = RedactFilter([r"sk-\d+"]).filter(record)
    assert out.exc_info is None
    assert vars(out)["exc_message"] == "bad key [REDACTED]"
    assert str(out.exc_text).endswith("PermissionError: bad key [REDACTED]")
    assert record.exc_info is not None


def test_prepared_record_and_stack_are_scrubbed() -> None:
    """A record already prepared (in the listener) with a stack is scrubbed the same way."""
    try:
        raise ValueError("sk-7")
    except ValueError:
        record = make("at sk-8")
        record.exc_info = sys.exc_info()
    record.stack_info = "Stack (most recent call last):\n  sk-9"
    record.message = "at sk-8"  # a formatter's cached copy
    out = RedactFilter([r"sk-\d"]).filter(prepare(record))
    assert out.msg == "at [REDACTED]"
    assert "sk-" not in f"{out.exc_text} {out.stack_info}"
    assert "message" not in out.__dict__


def test_apply_filters_replaces_the_record_and_stops_on_reject() -> None:
    """apply_filters gives 3.12 semantics on every version: a returned record replaces the input."""
    handler = logging.Handler()
    handler.addFilter(RedactFilter(["secret"]))
    record = make("a secret")
    out = apply_filters(handler, record)
    assert out is not None and out is not record and out.msg == "a [REDACTED]"
    handler.addFilter(lambda r: False)
    assert apply_filters(handler, record) is None
