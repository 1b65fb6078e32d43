"""Method parameters, read the way the real Bot API server reads them.

Parameters arrive by query string, urlencoded or multipart form (every value a string, objects
JSON-encoded) or as a JSON body (values keep their JSON types). `Params` gives one typed view
over all of them; a value of the wrong shape raises the server's own error.
"""

from __future__ import annotations

import builtins
import json
from dataclasses import dataclass, field
from typing import Any

from .errors import bad_request


def to_integer(value: Any) -> int:
    """An integer as the server reads one: garbage (and anything not a number) becomes 0."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        if isinstance(value, float):
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                return int(float(value))
    except (ValueError, OverflowError):  # "abc", "nan", "1e999"
        return 0
    return 0


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class Params:
    values: dict[str, Any]
    files: dict[str, UploadedFile] = field(default_factory=dict)

    def has(self, name: builtins.str) -> builtins.bool:
        value = self.values.get(name)
        return value is not None and value != ""

    def raw(self, name: builtins.str) -> Any:
        return self.values.get(name)

    def str(self, name: builtins.str, default: builtins.str | None = None) -> builtins.str | None:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        return json.dumps(value)

    def int(self, name: builtins.str, default: builtins.int | None = None) -> builtins.int | None:
        """Integers as the server reads them: garbage becomes 0, like td::to_integer."""
        value = self.values.get(name)
        if value is None or value == "":
            return default
        return to_integer(value)

    def float(self, name: builtins.str) -> builtins.float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        try:
            return float(str(value))
        except ValueError:
            return 0.0

    def bool(self, name: builtins.str, default: builtins.bool = False) -> builtins.bool:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return value != 0
        return str(value).strip().lower() in {"true", "1"}

    def json(self, name: builtins.str, what: builtins.str) -> Any:
        """A JSON-serialized parameter; `what` names it in the server's error message."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"Can't parse {what} JSON object") from None
        return value

    def object(
        self, name: builtins.str, what: builtins.str, not_object: builtins.str | None = None
    ) -> dict[builtins.str, Any] | None:
        """A JSON object parameter: `Can't parse {what} JSON object` if it is not JSON, and
        `not_object` (default `Object expected as {what}`) if it is JSON but not an object."""
        value = self.json(name, what)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise bad_request(not_object or f"Object expected as {what}")
        return value

    def array(
        self, name: builtins.str, expected: builtins.str, parsing: builtins.str | None = None
    ) -> list[Any] | None:
        """A JSON array parameter: `Can't parse {parsing} JSON object` if it is not JSON (the
        server names some parameters differently there), `Expected an Array of {expected}`."""
        value = self.json(name, parsing or expected)
        if value is None:
            return None
        if not isinstance(value, list):
            raise bad_request(f"Expected an Array of {expected}")
        return value
