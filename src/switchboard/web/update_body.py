"""A webhook body read as the JSON Telegram sends, and refused with a reason when it is not.

`json.loads` alone accepts things no Telegram update holds, and some of them fail only later,
deep in the pipeline, where the failure looks like ours (a 5xx, which Telegram retries
forever) instead of the sender's (a 400):

- nesting past the interpreter's recursion limit raises RecursionError, not ValueError;
- NaN, Infinity and numbers like 1e999 are not JSON, and not a coordinate or a date either;
- integers past 64 bits: every id is a BIGINT column, and the database refuses them;
- lone UTF-16 surrogates (`"\\ud800"`, or encoded as if they were characters): valid JSON
  escapes, but no UTF-8 encoder (the database driver's, the log's) accepts the string they
  make.
"""

from __future__ import annotations

import json
import math
from typing import Any

_INT64 = 2**63
_DIGITS_AS_NINES = bytes.maketrans(b"0123456789", b"9" * 10)
_LONG_RUN = b"9" * 19


class BadUpdateBody(ValueError):
    """The body is not a Telegram update; the message says why, fit for a 400's detail."""


def read_update(body: bytes) -> dict[str, Any]:
    """The JSON object in `body`, with an integer `update_id`, or BadUpdateBody."""
    try:
        # Strict UTF-8 (JSON's only encoding on the wire): given bytes, json.loads decodes
        # with "surrogatepass", letting encoded surrogates through.
        text = body.decode()
        # Checking every integer costs a Python call each (more than the parse itself); only a
        # run of 19 digits or more can be past 64 bits. (translate and `in` find one in a
        # tenth of the time a regular expression takes.)
        long_number = _LONG_RUN in body.translate(_DIGITS_AS_NINES)
        update = (_CHECKING_INTS if long_number else _DECODER).decode(text)
    except RecursionError:
        raise BadUpdateBody("the body is nested too deeply") from None
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError and ours below
        raise BadUpdateBody(f"the body is not JSON: {str(error)[:200]}") from None
    if not isinstance(update, dict) or type(update.get("update_id")) is not int:
        raise BadUpdateBody("the body is not a Telegram Update (an object with an update_id)")
    # A surrogate can only come from an escape; Telegram escapes emoji as pairs, so look only
    # when there is one.
    if ("\\ud" in text or "\\uD" in text) and _has_lone_surrogate(update):
        raise BadUpdateBody("the body has a lone UTF-16 surrogate, which is not text")
    return update


def _int64(text: str) -> int:
    value = int(text) if len(text) <= 20 else _INT64
    if not -_INT64 <= value < _INT64:
        raise ValueError(f"{text[:24]}… is not a 64-bit integer")
    return value


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:24]} is out of range")
    return value


def _no_constant(text: str) -> float:
    raise ValueError(f"{text} is not a JSON value")


_DECODER = json.JSONDecoder(parse_float=_finite, parse_constant=_no_constant)
_CHECKING_INTS = json.JSONDecoder(
    parse_int=_int64, parse_float=_finite, parse_constant=_no_constant
)


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:  # not recursive: the nesting is as deep as the parser allowed
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode()
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
